package generate

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/validate"
)

func runOpts() RunOptions {
	return RunOptions{Options: Options{Now: fixedNow, Version: "1.1", ToolVersion: "0.0.0-test"}, Jobs: 3}
}

// collect runs Run and returns the results in callback order.
func collect(t *testing.T, paths []string, o RunOptions) ([]*Result, Summary) {
	t.Helper()
	var got []*Result
	sum, err := Run(context.Background(), paths, o, func(r *Result) { got = append(got, r) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return got, sum
}

// files lists every regular file under root, relative, with its bytes.
func files(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

func TestRunWritesThenSkips(t *testing.T) {
	root := sampleTree(t)
	want := checkpoints(t, root)
	got, sum := collect(t, []string{root}, runOpts())
	if sum != (Summary{Found: len(want), Written: len(want)}) {
		t.Errorf("summary = %+v, want %d found and written", sum, len(want))
	}
	var order []string
	for _, r := range got {
		order = append(order, r.Checkpoint)
		if r.Status != Written || r.Err != nil {
			t.Errorf("%s: %v %v", r.Checkpoint, r.Status, r.Err)
			continue
		}
		disk, err := os.ReadFile(r.Sidecar)
		if err != nil || !bytes.Equal(disk, r.Data) {
			t.Errorf("%s: file on disk differs from Result.Data (%v)", r.Sidecar, err)
		}
		if r.Sidecar != r.Checkpoint+".metadata.yaml" {
			t.Errorf("sidecar %s for %s", r.Sidecar, r.Checkpoint)
		}
		if res := validate.New(nil, validate.Options{}).ValidateFile(r.Sidecar); res.Status != validate.StatusValid {
			t.Errorf("%s: %v %v", r.Sidecar, res.Status, res.Findings)
		}
	}
	if !sort.StringsAreSorted(order) || len(order) != len(want) {
		t.Errorf("callback order not sorted or incomplete: %v", order)
	}
	got, sum = collect(t, []string{root}, runOpts())
	if sum != (Summary{Found: len(want), Skipped: len(want)}) {
		t.Errorf("second run summary = %+v, want all skipped", sum)
	}
	for _, r := range got {
		if r.Status != Skipped || r.Reason != "sidecar exists" {
			t.Errorf("%s: %v %q", r.Checkpoint, r.Status, r.Reason)
		}
	}
}

func TestRunExistingSidecars(t *testing.T) {
	tests := []struct {
		name      string
		existing  string // sidecar name beside the checkpoint X.ckpt (X = best)
		force     bool
		wantState Status
		wantFile  string // the sidecar the result names
	}{
		{name: "ckpt naming exists", existing: "best.ckpt.metadata.yaml", wantState: Skipped, wantFile: "best.ckpt.metadata.yaml"},
		{name: "stem naming exists", existing: "best.metadata.yaml", wantState: Skipped, wantFile: "best.metadata.yaml"},
		{name: "yml exists", existing: "best.metadata.yml", wantState: Skipped, wantFile: "best.metadata.yml"},
		{name: "legacy json alone does not count", existing: "best.metadata.json", wantState: Written, wantFile: "best.ckpt.metadata.yaml"},
		{name: "force rewrites the stem file in place", existing: "best.metadata.yaml", force: true, wantState: Written, wantFile: "best.metadata.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := sampleTree(t)
			dir := filepath.Join(root, "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33", "checkpoints")
			ck := filepath.Join(dir, "best.ckpt")
			old := []byte("exp_name: hand written\n")
			if err := os.WriteFile(filepath.Join(dir, tt.existing), old, 0o600); err != nil {
				t.Fatal(err)
			}
			before := files(t, root)
			o := runOpts()
			o.Force = tt.force
			got, _ := collect(t, []string{ck}, o)
			if len(got) != 1 {
				t.Fatalf("%d results, want 1", len(got))
			}
			r := got[0]
			if r.Status != tt.wantState || r.Sidecar != filepath.Join(dir, tt.wantFile) {
				t.Fatalf("status %v sidecar %s, want %v %s (%v)", r.Status, r.Sidecar, tt.wantState, tt.wantFile, r.Err)
			}
			after := files(t, root)
			if tt.wantState == Skipped {
				if !equalMaps(before, after) {
					t.Errorf("a skipped checkpoint changed files")
				}
				return
			}
			if len(after) != len(before)+btoi(!tt.force) {
				t.Errorf("%d files after, %d before: a second sidecar was added or one was lost", len(after), len(before))
			}
			if tt.force {
				st, err := os.Stat(r.Sidecar)
				if err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("forced rewrite did not keep the file's permissions: %v %v", st.Mode(), err)
				}
			}
		})
	}
}

func TestRunDryRunWritesNothing(t *testing.T) {
	root := sampleTree(t)
	before := files(t, root)
	o := runOpts()
	o.DryRun = true
	got, sum := collect(t, []string{root}, o)
	if !equalMaps(before, files(t, root)) {
		t.Error("dry run changed the tree")
	}
	if sum.Written != len(got) || sum.Found != len(got) {
		t.Errorf("summary %+v", sum)
	}
	for _, r := range got {
		if r.Status != WouldWrite || len(r.Data) == 0 || !strings.HasSuffix(r.Sidecar, ".ckpt.metadata.yaml") {
			t.Errorf("%s: %v, %d bytes, %s", r.Checkpoint, r.Status, len(r.Data), r.Sidecar)
		}
	}
}

func TestRunFailuresDoNotStopTheRun(t *testing.T) {
	root := sampleTree(t)
	bad := filepath.Join(root, "broken", "checkpoints")
	testenv.CopyFile(t, filepath.Join("..", "testdata", "ckpt", "hostile_reduce.ckpt"), filepath.Join(bad, "hostile.ckpt"))
	testenv.CopyFile(t, filepath.Join("..", "testdata", "ckpt", "truncated.ckpt"), filepath.Join(bad, "truncated.ckpt"))
	testenv.CopyFile(t, filepath.Join("testdata", "ckpt", "weights.ckpt"), filepath.Join(bad, "weights.ckpt"))
	if err := os.WriteFile(filepath.Join(bad, "empty.ckpt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := len(checkpoints(t, root)) - 4
	got, sum := collect(t, []string{root}, runOpts())
	if sum != (Summary{Found: good + 4, Written: good, Failed: 4}) {
		t.Errorf("summary = %+v, want %d written and 4 failed", sum, good)
	}
	wantErr := map[string]error{
		"hostile.ckpt":   ErrUnsafe,
		"truncated.ckpt": ckpt.ErrTruncated,
		"weights.ckpt":   ErrNoEpoch,
		"empty.ckpt":     ckpt.ErrTruncated,
	}
	for _, r := range got {
		want, isBad := wantErr[filepath.Base(r.Checkpoint)]
		if !isBad {
			if r.Status != Written {
				t.Errorf("%s: %v %v", r.Checkpoint, r.Status, r.Err)
			}
			continue
		}
		if r.Status != Failed || !errors.Is(r.Err, want) {
			t.Errorf("%s: status %v err %v, want Failed with %v", r.Checkpoint, r.Status, r.Err, want)
		}
		if strings.Contains(r.Reason, "\n") || !strings.Contains(r.Reason, r.Checkpoint) {
			t.Errorf("reason %q is not one line naming %s", r.Reason, r.Checkpoint)
		}
		if _, err := os.Stat(r.Checkpoint + ".metadata.yaml"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a sidecar was written for a failed checkpoint", r.Checkpoint)
		}
	}
	if _, err := os.Stat("/tmp/ckptmeta-ckpt-fixture-pwned"); err == nil {
		t.Error("the hostile payload ran")
	}
}

func TestRunAllowUnsafe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outputs", "exp", "checkpoints")
	ck := filepath.Join(dir, "hostile.ckpt")
	testenv.CopyFile(t, filepath.Join("..", "testdata", "ckpt", "hostile_reduce.ckpt"), ck)
	o := runOpts()
	o.AllowUnsafe = true
	got, _ := collect(t, []string{ck}, o)
	if len(got) != 1 || got[0].Status != Written {
		t.Fatalf("results %+v", got)
	}
	if w := strings.Join(got[0].Warnings, "\n"); !strings.Contains(w, "dangerous globals") {
		t.Errorf("no warning about the dangerous globals: %q", w)
	}
}

// TestRunAtomic rewrites one sidecar many times while readers keep reading it: every read
// must be a whole file (the old one or a new one), and no temporary file may be left.
func TestRunAtomic(t *testing.T) {
	root := sampleTree(t)
	ck := filepath.Join(root, "det_resnet50_v1", "checkpoints", "last.ckpt")
	o := runOpts()
	if _, err := Run(context.Background(), []string{ck}, o, nil); err != nil {
		t.Fatal(err)
	}
	o.Force = true // every rebuild from here on writes the same bytes (action: regenerated)
	if _, err := Run(context.Background(), []string{ck}, o, nil); err != nil {
		t.Fatal(err)
	}
	side := ck + ".metadata.yaml"
	whole, err := os.ReadFile(side)
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var torn atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				b, err := os.ReadFile(side)
				if err != nil || !bytes.Equal(b, whole) {
					torn.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 30; i++ {
		if _, err := Run(context.Background(), []string{ck}, o, nil); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if n := torn.Load(); n > 0 {
		t.Errorf("%d reads saw a missing or partial sidecar", n)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(ck), ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestRunMissingPathAlone(t *testing.T) {
	// A path that does not exist is a per-path failure (exit 1 in the CLI), as in every
	// command, not a run that could not happen.
	missing := filepath.Join(t.TempDir(), "nope")
	got, sum := collect(t, []string{missing}, runOpts())
	if len(got) != 1 || got[0].Status != Failed || !errors.Is(got[0].Err, fs.ErrNotExist) {
		t.Fatalf("results %+v, want the missing path as Failed", got)
	}
	if sum != (Summary{Unreadable: 1}) {
		t.Errorf("summary %+v, want only Unreadable: 1", sum)
	}
}

func TestRunDanglingCheckpointLinksAddUp(t *testing.T) {
	root := sampleTree(t)
	ckpts := checkpoints(t, root)
	dir := filepath.Dir(ckpts[0])
	for _, n := range []string{"gone1.ckpt", "gone2.ckpt", "gone3.ckpt"} {
		if err := os.Symlink(filepath.Join(dir, "nowhere-"+n), filepath.Join(dir, n)); err != nil {
			t.Skipf("symbolic links are not available: %v", err)
		}
	}
	_, sum := collect(t, []string{root}, runOpts())
	if sum.Found != len(ckpts)+3 || sum.Failed != 3 || sum.Found != sum.Written+sum.Skipped+sum.Failed {
		t.Errorf("summary %+v: want %d found, 3 failed, adding up", sum, len(ckpts)+3)
	}
}

func TestRunCancelled(t *testing.T) {
	root := sampleTree(t)
	before := files(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var n int
	_, err := Run(ctx, []string{root}, runOpts(), func(r *Result) { n++ })
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("err %v, %d results; want context.Canceled and nothing started or reported", err, n)
	}
	if after := files(t, root); !equalMaps(before, after) {
		t.Errorf("a cancelled run changed the tree: %d files before, %d after", len(before), len(after))
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkRun100 generates sidecars for 100 small checkpoints end to end (discovery, read,
// Hydra config, render, validate, atomic write).
func BenchmarkRun100(b *testing.B) { benchRun(b, false) }

func benchRun(b *testing.B, dry bool) {
	src := sampleTree(b)
	samples := checkpoints(b, src)
	root := filepath.Join(b.TempDir(), "outputs")
	for i := 0; i < 100; i++ {
		s := samples[i%len(samples)]
		rel, _ := filepath.Rel(src, s)
		run := filepath.Join(root, "run"+string(rune('a'+i/26))+string(rune('a'+i%26)))
		data, _ := os.ReadFile(s)
		dst := filepath.Join(run, "checkpoints", filepath.Base(rel))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		os.WriteFile(dst, data, 0o644)
		if cfg, err := os.ReadFile(filepath.Join(src, strings.Split(rel, string(filepath.Separator))[0], ".hydra", "config.yaml")); err == nil {
			os.MkdirAll(filepath.Join(run, ".hydra"), 0o755)
			os.WriteFile(filepath.Join(run, ".hydra", "config.yaml"), cfg, 0o644)
		}
	}
	o := runOpts()
	o.Force = true
	o.DryRun = dry
	o.Jobs = 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum, err := Run(context.Background(), []string{root}, o, nil)
		if err != nil || sum.Written != 100 {
			b.Fatalf("%+v %v", sum, err)
		}
	}
}

// BenchmarkRun100DryRun is BenchmarkRun100 without the writes (and their fsyncs).
func BenchmarkRun100DryRun(b *testing.B) {
	benchRun(b, true)
}

func TestRunStale(t *testing.T) {
	root := sampleTree(t)
	dir := filepath.Join(root, "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33", "checkpoints")
	if _, err := Run(context.Background(), []string{dir}, runOpts(), nil); err != nil {
		t.Fatal(err)
	}
	// Overwrite last.ckpt with another checkpoint: size, mtime and pickle all change.
	changed := filepath.Join(dir, "last.ckpt")
	testenv.CopyFile(t, filepath.Join(dir, "best-v1.ckpt"), changed)
	side, err := os.ReadFile(changed + ".metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if stale, _, err := staleSidecar(changed+".metadata.yaml", side, changed); err != nil || !stale {
		t.Fatalf("an overwritten checkpoint is not stale (stale=%v, err=%v)", stale, err)
	}
	o := runOpts()
	o.Stale = true
	got, sum := collect(t, []string{dir}, o)
	for _, r := range got {
		want, reason := Skipped, "sidecar is up to date"
		if r.Checkpoint == changed {
			want, reason = Written, "pickle hash"
		}
		if r.Status != want || !strings.HasPrefix(r.Reason, reason) {
			t.Errorf("%s: %v (%s), want %v (%s)", r.Checkpoint, r.Status, r.Reason, want, reason)
		}
	}
	// A 1.0 sidecar has no fingerprint: it is left alone, and the reason says how to rebuild it.
	o10 := runOpts()
	o10.Version, o10.Force = "1.0", true
	if _, err := Run(context.Background(), []string{changed}, o10, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = collect(t, []string{changed}, o)
	if len(got) != 1 || got[0].Status != Skipped || !strings.Contains(got[0].Reason, "no checkpoint fingerprint") {
		t.Errorf("1.0 sidecar under Stale: %+v", got)
	}
	if sum.Written != 1 {
		t.Errorf("summary %+v, want one rewritten", sum)
	}
	b, _ := os.ReadFile(changed + ".metadata.yaml")
	if !bytes.Contains(b, []byte("epoch: 14\n")) {
		t.Errorf("rewritten sidecar does not describe the new content:\n%s", b)
	}
}

// TestRunForceCarries: a forced rebuild keeps the run identity a person wrote in the old
// sidecar (1.x or 2.0 layout) and records the action as regenerated; the checkpoint's and
// Hydra config's facts win over the old file's other values, while its extra keys and
// their comments stay.
func TestRunForceCarries(t *testing.T) {
	tests := []struct {
		name string
		old  string
		want []string
	}{
		{name: "1.x", old: "schema_version: '1.0'\nexp_name: renamed by hand\nwandb_run_id: abc123\n"},
		{name: "2.0", old: "schema_version: '2.0'\nexperiment: {name: renamed by hand, wandb_run_id: abc123}\n"},
		{name: "facts win, notes stay", old: "schema_version: '1.0'\nexp_name: renamed by hand\nwandb_run_id: abc123\n" +
			"checkpointing:\n  monitor: val/loss # hand\n  mode: min\n  save_top_k: 9\n  save_last: false\n  owner: bob\nnote: keep me # why\n",
			want: []string{"  monitor: val/hmean # hand\n  mode: max\n  save_top_k: 1\n  save_last: true\n  owner: bob\n", "note: keep me # why\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := sampleTree(t)
			ck := filepath.Join(root, "det_resnet50_v1", "checkpoints", "last.ckpt")
			if err := os.WriteFile(ck+".metadata.yaml", []byte(tt.old), 0o644); err != nil {
				t.Fatal(err)
			}
			o := runOpts()
			o.Force = true
			got, _ := collect(t, []string{ck}, o)
			if len(got) != 1 || got[0].Status != Written {
				t.Fatalf("%+v", got)
			}
			b, _ := os.ReadFile(ck + ".metadata.yaml")
			for _, want := range append([]string{"exp_name: renamed by hand\n", "wandb_run_id: abc123\n", "action: regenerated\n"}, tt.want...) {
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("no %q in\n%s", want, b)
				}
			}
		})
	}
}

func TestBuildOptions(t *testing.T) {
	root := sampleTree(t)
	ck := filepath.Join(root, "det_resnet50_v1", "checkpoints", "last.ckpt")
	sc, err := Build(ck, Options{Naming: NamingStem, Action: ActionRegenerated, Version: "2.0", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(ck), "last.metadata.yaml"); sc.Path != want {
		t.Errorf("path %s, want %s", sc.Path, want)
	}
	for _, want := range []string{"action: regenerated\n", "mtime: '2025-10-19T12:00:00Z'\n", "path: det_resnet50_v1/checkpoints/last.ckpt\n"} {
		if !bytes.Contains(sc.Data, []byte(want)) {
			t.Errorf("no %q in\n%s", want, sc.Data)
		}
	}
	if _, err := os.Stat(sc.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Build wrote a file")
	}
	if _, err := Build(filepath.Dir(ck), Options{}); !errors.Is(err, ckpt.ErrUnsupported) {
		t.Errorf("a directory: err = %v, want ErrUnsupported", err)
	}
}

// TestBuildReaderFixtures builds sidecars at every version from the reader's own fixtures
// (testdata/ckpt, values from its README), and checks the rejected ones fail cleanly.
func TestBuildReaderFixtures(t *testing.T) {
	tests := []struct {
		file        string
		epoch, step int64
		monitor     string
		best        *float64
		hmean       *float64
		encoder     string
		warning     string
		err         error
	}{
		{file: "lightning2.ckpt", epoch: 7, step: 800, monitor: "val/hmean", best: f64(0.8125), hmean: f64(0.8076923076923077), encoder: "resnet18", warning: `hyper_parameters.max_epochs "???" cannot be resolved`},
		{file: "unique_callback.ckpt", epoch: 12, step: 3900, hmean: f64(0.8470588235294118), encoder: "resnet50", warning: "best_model_score is NaN; written as null"},
		{file: "legacy.ckpt", epoch: 3, step: 120, monitor: "val_loss", best: f64(0.6875)},
		{file: "weights_only.ckpt", epoch: 2, step: 50, encoder: "mobilenet_v3"},
		{file: "protocol4.ckpt", epoch: 5, step: 500, best: f64(0.625)},
		{file: "best.ckpt", epoch: 1, best: f64(0.5)},
		{file: "hostile_cycle.ckpt", err: ErrNoEpoch},
		{file: "hostile_reduce.ckpt", err: ErrUnsafe},
		// The pickle policy: a lightning-hydra-template run with partial(torch.optim.Adam) and a
		// user-class net generates; partial(os.system), every gadget family and every qualified
		// name that reaches os.system is refused.
		{file: "lht_partial.ckpt", epoch: 9, step: 8600, monitor: "val/acc", best: f64(float64(float32(0.9875)))}, // a float32 tensor
		{file: "user_data.ckpt", epoch: 4, step: 40},
		{file: "hostile_partial.ckpt", err: ErrUnsafe},
		{file: "gadget_imaplib.ckpt", err: ErrUnsafe},
		{file: "gadget_collect_env.ckpt", err: ErrUnsafe},
		{file: "gadget_logging_config.ckpt", err: ErrUnsafe},
		{file: "gadget_yaml_unsafe_load.ckpt", err: ErrUnsafe},
		{file: "gadget_distutils_spawn.ckpt", err: ErrUnsafe},
		{file: "gadget_fx_source.ckpt", err: ErrUnsafe},
		{file: "gadget_codecs_open.ckpt", err: ErrUnsafe},
		{file: "gadget_torch_hub.ckpt", err: ErrUnsafe},
		{file: "qualified_posixpath.ckpt", err: ErrUnsafe},
		{file: "qualified_tempfile.ckpt", err: ErrUnsafe},
		{file: "qualified_torch.ckpt", err: ErrUnsafe},
		{file: "hostile_expansion.ckpt", err: ckpt.ErrLimit},
		{file: "zipbomb.ckpt", err: ckpt.ErrLimit},
		{file: "not_a_checkpoint.ckpt", err: ckpt.ErrFormat},
		{file: "magic_bypass.ckpt", err: ckpt.ErrFormat},
		{file: "torchscript.ckpt", err: ckpt.ErrUnsupported},
		{file: "tar_era.ckpt", err: ckpt.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ck := filepath.Join(t.TempDir(), "outputs", "exp", "checkpoints", tt.file)
			testenv.CopyFile(t, filepath.Join("..", "testdata", "ckpt", tt.file), ck)
			for _, v := range []string{"1.0", "1.1", "2.0"} {
				sc, err := Build(ck, Options{Version: v, Now: fixedNow})
				if tt.err != nil {
					if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), ck) {
						t.Fatalf("err = %v, want %v naming the file", err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", v, err)
				}
				f := sc.Facts
				if *f.Epoch != tt.epoch || (tt.step != 0 && *f.GlobalStep != tt.step) {
					t.Errorf("epoch %d step %d, want %d %d", *f.Epoch, *f.GlobalStep, tt.epoch, tt.step)
				}
				if tt.monitor != "" {
					eq(t, "monitor", f.Checkpointing.Monitor, tt.monitor)
				}
				eq(t, "best", f.Metrics.Best, tt.best)
				if tt.hmean != nil {
					eq(t, "hmean", f.Metrics.Hmean, tt.hmean)
				}
				if tt.encoder != "" {
					if f.Model.Encoder == nil {
						t.Fatalf("no encoder")
					}
					eq(t, "encoder", f.Model.Encoder.ModelName, tt.encoder)
				}
				if tt.warning != "" && !strings.Contains(strings.Join(sc.Warnings, "\n"), tt.warning) {
					t.Errorf("no warning %q in %q", tt.warning, sc.Warnings)
				}
			}
		})
	}
}

func TestRunMissingPathAmongOthers(t *testing.T) {
	root := sampleTree(t)
	missing := filepath.Join(root, "typo")
	got, sum := collect(t, []string{missing, root}, runOpts())
	var failed []*Result
	for _, r := range got {
		if r.Status == Failed {
			failed = append(failed, r)
		}
	}
	if len(failed) != 1 || failed[0].Checkpoint != missing || !errors.Is(failed[0].Err, fs.ErrNotExist) {
		t.Fatalf("failed results %+v, want the missing path alone", failed)
	}
	if sum.Unreadable != 1 || sum.Failed != 0 || sum.Written != len(checkpoints(t, root)) {
		t.Errorf("summary %+v", sum)
	}
}
