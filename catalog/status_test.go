package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

func TestStatusStates(t *testing.T) {
	root := buildTree(t)
	c, err := Status(context.Background(), []string{root}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]State{}
	for _, it := range c.Items {
		key := it.Checkpoint
		if it.State == StateOrphan {
			key = it.Sidecars[0]
		}
		got[key] = it.State
		t.Logf("%-8s %s %s %q", it.State, key, it.Version, it.Reason)
	}
	e1 := "outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/"
	e3 := "outputs/pan_resnet18_no_polygons_canonical/checkpoints/"
	e4 := "outputs/transforms_test-dbnetpp-dbnetpp_decoder-resnet18/checkpoints/"
	e5 := "outputs/dbnet_pan_resnet34/checkpoints/"
	want := map[string]State{
		e1 + "best.ckpt":                               StateOutdated,
		e1 + "last.ckpt":                               StateOutdated,
		e1 + "epoch-00_step-000205.ckpt":               StateCurrent,
		"outputs/my_experiment/checkpoints/best.ckpt":  StateOutdated,
		e3 + "epoch-10_step-001133.ckpt":               StateLegacy,
		e3 + "last_20251011_004442.ckpt":               StateMissing,
		e3 + "epoch-14_step-001500.ckpt":               StateInvalid,
		e4 + "epoch-18_step-003895.ckpt":               StateConflict,
		e4 + "epoch-16_step-003000.ckpt.metadata.yaml": StateOrphan,
		e4 + "epoch-19_step-004100.ckpt":               StateInvalid,
		e4 + "best-hmean-0.8920.ckpt":                  StateInvalid,
		e5 + "epoch_28_step_023722.ckpt":               StateStale,
		e5 + "last.ckpt":                               StateCurrent,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: state %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d items, want %d", len(got), len(want))
	}
	wantTotal := Counts{Checkpoints: 12, Current: 2, Outdated: 3, Stale: 1, Legacy: 1, Invalid: 3, Conflict: 1, Missing: 1, Orphans: 1}
	if c.Total != wantTotal {
		t.Errorf("totals %+v, want %+v", c.Total, wantTotal)
	}
	if p, want := c.Percent(), 100*5.0/12; p != want {
		t.Errorf("Percent() = %v, want %v", p, want)
	}
	if len(c.Experiments) != 5 {
		t.Errorf("%d experiments, want 5", len(c.Experiments))
	}
	for i := 1; i < len(c.Items); i++ {
		if c.Items[i-1].Checkpoint > c.Items[i].Checkpoint {
			t.Errorf("items out of order: %s before %s", c.Items[i-1].Checkpoint, c.Items[i].Checkpoint)
		}
	}
}

func TestStatusNoStale(t *testing.T) {
	root := buildTree(t)
	c, err := Status(context.Background(), []string{root}, StatusOptions{NoStale: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Total.Stale != 0 || c.Total.Current != 3 {
		t.Errorf("NoStale: stale %d current %d, want 0 and 3", c.Total.Stale, c.Total.Current)
	}
}

func TestStatusPaths(t *testing.T) {
	buildTree(t)
	e3 := "outputs/pan_resnet18_no_polygons_canonical/checkpoints/"
	tests := []struct {
		name    string
		paths   []string
		want    map[string]State
		problem bool
	}{
		{name: "checkpoint named alone brings its sidecar", paths: []string{e3 + "epoch-10_step-001133.ckpt"},
			want: map[string]State{e3 + "epoch-10_step-001133.ckpt": StateLegacy}},
		{name: "sidecar named alone brings its checkpoint", paths: []string{e3 + "epoch-14_step-001500.ckpt.metadata.yaml"},
			want: map[string]State{e3 + "epoch-14_step-001500.ckpt": StateInvalid}},
		{name: "missing path beside a real one is a problem", paths: []string{e3 + "last_20251011_004442.ckpt", "outputs/nope"},
			want: map[string]State{e3 + "last_20251011_004442.ckpt": StateMissing}, problem: true},
		{name: "overlapping roots count once", paths: []string{e3, e3 + "last_20251011_004442.ckpt"},
			want: map[string]State{e3 + "epoch-10_step-001133.ckpt": StateLegacy, e3 + "last_20251011_004442.ckpt": StateMissing,
				e3 + "epoch-14_step-001500.ckpt": StateInvalid}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Status(context.Background(), tc.paths, StatusOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Items) != len(tc.want) {
				t.Fatalf("%d items, want %d: %+v", len(c.Items), len(tc.want), c.Items)
			}
			for _, it := range c.Items {
				if tc.want[it.Checkpoint] != it.State {
					t.Errorf("%s: %s, want %s", it.Checkpoint, it.State, tc.want[it.Checkpoint])
				}
			}
			if got := len(c.Problems) > 0; got != tc.problem {
				t.Errorf("problems %v, want %v", c.Problems, tc.problem)
			}
		})
	}
}

func TestStatusNoSuchPath(t *testing.T) {
	// A path that does not exist is a per-path problem, as in every command, not a failed run.
	c, err := Status(context.Background(), []string{t.TempDir() + "/absent"}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) != 1 || !errors.Is(c.Problems[0].Err, fs.ErrNotExist) {
		t.Fatalf("problems %v, want the absent path", c.Problems)
	}
}

func TestStatusEmptyTree(t *testing.T) {
	c, err := Status(context.Background(), []string{t.TempDir()}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Total.Checkpoints != 0 || c.Percent() != 100 {
		t.Errorf("empty tree: %+v, %v%%", c.Total, c.Percent())
	}
}

func TestStatusCancelled(t *testing.T) {
	buildTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Status(ctx, []string{"outputs"}, StatusOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestStatusUnreadableSidecar(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("chmod 0 does not stop reads on Windows")
	}
	if os.Geteuid() == 0 {
		t.Skip("running as root: file permissions do not stop reads")
	}
	buildTree(t)
	p := "outputs/my_experiment/checkpoints/best.metadata.yaml"
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	c, err := Status(context.Background(), []string{"outputs/my_experiment"}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Items[0].State != StateInvalid {
		t.Errorf("unreadable sidecar: %s, want invalid", c.Items[0].State)
	}
}

func TestStatusLegacyShapes(t *testing.T) {
	v0 := readTestdata(t, "v0-legacy.json")
	unversioned := strings.Replace(readTestdata(t, "v1.0-seed.yaml"), "schema_version: '1.0'\n", "", 1)
	v11 := recordAt(t, readTestdata(t, "v1.1.yaml"), "exp/checkpoints/x.ckpt")
	unversioned = recordAt(t, unversioned, "exp/checkpoints/x.ckpt")
	tests := []struct {
		name  string
		files map[string]string // name beside x.ckpt → content
		want  State
	}{
		{name: "V0 JSON alone", files: map[string]string{"x.metadata.json": v0}, want: StateLegacy},
		{name: "unversioned YAML of the 1.0 shape", files: map[string]string{"x.ckpt.metadata.yaml": unversioned}, want: StateLegacy},
		{name: "V0 JSON that fits no legacy shape", files: map[string]string{"x.metadata.json": `{"checkpoint_path": 7}`}, want: StateInvalid},
		{name: "truncated V0 JSON", files: map[string]string{"x.metadata.json": v0[:200]}, want: StateInvalid},
		{name: "1.1 written as JSON is still a legacy file", files: map[string]string{"x.metadata.json": yamlToJSON(t, v11)}, want: StateLegacy},
		{name: "YAML decides over the JSON left by migrate", files: map[string]string{"x.metadata.json": v0, "x.metadata.yaml": v11}, want: StateOutdated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "exp", "checkpoints")
			writeFile(t, filepath.Join(dir, "x.ckpt"), fakeCkpt)
			for name, content := range tc.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			c, err := Status(context.Background(), []string{dir}, StatusOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Items) != 1 || c.Items[0].State != tc.want {
				t.Fatalf("items %+v, want one %s", c.Items, tc.want)
			}
			if c.Items[0].Experiment != "exp" {
				t.Errorf("experiment %q, want exp", c.Items[0].Experiment)
			}
		})
	}
}

// yamlToJSON turns a sample into the JSON the V1 UniqueModelCheckpoint wrote.
func yamlToJSON(t *testing.T, src string) string {
	t.Helper()
	doc, findings := validate.Parse("x.yaml", []byte(src))
	if doc == nil {
		t.Fatal(findings)
	}
	b, err := json.MarshalIndent(doc.Value, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExcludeAndProblems(t *testing.T) {
	root := buildTree(t)
	c, err := Status(context.Background(), []string{root}, StatusOptions{Exclude: []string{"transforms_test-*", "*.json"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range c.Items {
		if strings.Contains(it.Checkpoint, "transforms_test-") {
			t.Errorf("excluded directory scanned: %s", it.Checkpoint)
		}
		if strings.HasSuffix(it.Checkpoint, "epoch-10_step-001133.ckpt") && it.State != StateMissing {
			t.Errorf("excluded legacy JSON still counted: %s", it.State)
		}
	}
	var problems []Problem
	es, err := List(context.Background(), []string{root, "outputs/absent"}, ListOptions{OnProblem: func(p Problem) { problems = append(problems, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 14 || len(problems) != 1 || problems[0].Path != "outputs/absent" || !errors.Is(problems[0].Err, fs.ErrNotExist) {
		t.Errorf("%d entries, problems %v: want 14 and outputs/absent not existing", len(es), problems)
	}
}

// status agrees with validate: a sidecar copied from another run is invalid, and so is one
// whose checkpoint cannot be fingerprinted (a /dev/zero link), never "current".
func TestStatusAgreesWithValidateOnNeighbours(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outputs", "exp", "checkpoints")
	realCkpt := repoTestdataAbs(t, "det_resnet50_v1/checkpoints/last.ckpt")
	fi, err := os.Stat(realCkpt)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "copied.ckpt"), fakeCkpt)
	writeFile(t, filepath.Join(dir, "copied.ckpt.metadata.yaml"), recordAt(t, readTestdata(t, "v1.0-seed.yaml"), "outputs/other/checkpoints/best.ckpt"))
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.ckpt")); err != nil {
		t.Skip(err)
	}
	writeFile(t, filepath.Join(dir, "zero.ckpt.metadata.yaml"), recordAt(t,
		withFingerprint(t, fi.Size(), "2025-10-19T07:00:00Z", strings.Repeat("ab", 32)), "outputs/exp/checkpoints/zero.ckpt"))
	c, err := Status(context.Background(), []string{dir}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"copied.ckpt": "sidecar/misplaced", "zero.ckpt": "checkpoint/unreadable"}
	for _, it := range c.Items {
		rule := want[filepath.Base(it.Checkpoint)]
		if it.State != StateInvalid || !strings.HasPrefix(it.Reason, rule) {
			t.Errorf("%s: %s %q, want invalid by %s", it.Checkpoint, it.State, it.Reason, rule)
		}
	}
	if len(c.Items) != 2 {
		t.Errorf("%d items, want 2", len(c.Items))
	}
	// list puts the copied sidecar under the experiment it sits in, with the problem.
	es, err := List(context.Background(), []string{dir}, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if filepath.Base(e.Checkpoint) == "copied.ckpt" && (e.Experiment != "exp" || e.Problem != "sidecar/misplaced") {
			t.Errorf("list: copied sidecar %+v, want experiment exp and problem sidecar/misplaced", e)
		}
	}
}
