package migrate

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/sidecar"

	"github.com/ckptmeta/ckptmeta/schemas"
)

func readFixture(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func put(t testing.TB, p string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every file under dir to a hash of its bytes, mode and mtime.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		var b []byte
		if info.Mode().IsRegular() {
			b, _ = os.ReadFile(p)
		}
		h := sha256.Sum256(b)
		out[p] = string(h[:]) + info.Mode().String() + info.ModTime().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runAll(t testing.TB, paths []string, o Options) (Summary, []*FileResult) {
	t.Helper()
	var rs []*FileResult
	sum, err := Run(context.Background(), paths, o, func(r *FileResult) { rs = append(rs, r) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum, rs
}

func byPath(rs []*FileResult) map[string]*FileResult {
	m := map[string]*FileResult{}
	for _, r := range rs {
		m[filepath.Base(r.Path)] = r
	}
	return m
}

// tree lays out a run directory with one file of each kind migrate meets.
func tree(t testing.TB) string {
	dir := t.TempDir()
	ck := filepath.Join(dir, "outputs", "exp_a", "checkpoints")
	put(t, filepath.Join(ck, "best.ckpt.metadata.yaml"), readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml"), 0o640)
	put(t, filepath.Join(ck, "future.metadata.yaml"), readFixture(t, "../testdata/sidecars/invalid/future-version.metadata.yaml"), 0o644)
	put(t, filepath.Join(ck, "v0.metadata.json"), readFixture(t, "../testdata/sidecars/legacy/v0.metadata.json"), 0o600)
	put(t, filepath.Join(ck, "collide.metadata.yaml"), []byte(base11+"metrics: {hmean: 0.5, additional_metrics: {hmean: 0.6}}\n"), 0o644)
	latest, err := MigrateBytes("x.metadata.yaml", readFixture(t, "../testdata/sidecars/valid/design-doc.metadata.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, filepath.Join(ck, "done.metadata.yaml"), latest.Data, 0o644)
	return dir
}

func TestRun(t *testing.T) {
	dir := tree(t)
	ck := filepath.Join(dir, "outputs", "exp_a", "checkpoints")
	futureBefore := snapshot(t, ck)[filepath.Join(ck, "future.metadata.yaml")]
	sum, rs := runAll(t, []string{dir}, Options{Root: filepath.Join(dir, "outputs"), ToolVersion: "1.2.3"})

	var order []string
	for _, r := range rs {
		order = append(order, filepath.ToSlash(r.Path))
	}
	if !sort.StringsAreSorted(order) || len(order) != 5 {
		t.Errorf("each order = %v", order)
	}
	want := Summary{Files: 5, Changed: 2, Written: 2, Failed: 2, Unchanged: 1}
	if sum != want {
		t.Errorf("Summary = %+v, want %+v", sum, want)
	}
	got := byPath(rs)

	best := got["best.ckpt.metadata.yaml"]
	if best.Err != nil || !best.Written || best.From != "1.0" || best.To != "2.0" || !reflect.DeepEqual(best.Steps, []string{"1.0->1.1", "1.1->2.0"}) {
		t.Errorf("best: %+v", best)
	}
	if info, _ := os.Stat(best.Path); info.Mode().Perm() != 0o640 {
		t.Errorf("permissions not kept: %v", info.Mode())
	}
	assertValid(t, "2.0", readFixture(t, best.Path))

	var ne *NewerVersionError
	if f := got["future.metadata.yaml"]; !errors.As(f.Err, &ne) || f.Written || f.Regenerated {
		t.Errorf("future: %+v", f)
	}
	if snapshot(t, ck)[filepath.Join(ck, "future.metadata.yaml")] != futureBefore {
		t.Errorf("a newer-version file was touched")
	}

	v0 := got["v0.metadata.json"]
	wantOut := filepath.Join(ck, "v0.ckpt.metadata.yaml")
	if v0.Err != nil || !v0.Written || v0.Output != wantOut || v0.From != "0" {
		t.Errorf("v0: %+v", v0)
	}
	if _, err := os.Stat(v0.Path); err != nil {
		t.Errorf("legacy JSON removed without PruneLegacy: %v", err)
	}
	if info, _ := os.Stat(wantOut); info == nil || info.Mode().Perm() != 0o600 {
		t.Errorf("new YAML sidecar missing or without the JSON's permissions: %v", info)
	}
	out := readFixture(t, wantOut)
	assertValid(t, "2.0", out)
	if !strings.Contains(string(out), "name: exp_a") {
		t.Errorf("exp_name not taken from the directory above checkpoints:\n%s", out)
	}

	var ce *CollisionError
	if c := got["collide.metadata.yaml"]; !errors.As(c.Err, &ce) || c.Written || c.Regenerated {
		t.Errorf("collide: %+v", c)
	}
	if d := got["done.metadata.yaml"]; d.Err != nil || d.Changed || d.Written {
		t.Errorf("done: %+v", d)
	}

	// A second run changes nothing and touches nothing.
	before := snapshot(t, dir)
	sum2, rs2 := runAll(t, []string{dir}, Options{Root: filepath.Join(dir, "outputs"), ToolVersion: "1.2.3"})
	if sum2.Changed != 0 || sum2.Written != 0 || sum2.Regenerated != 0 {
		t.Errorf("second run: %+v", sum2)
	}
	for _, r := range rs2 {
		if r.Path == v0.Path && !errors.Is(r.Cause, ErrSuperseded) {
			t.Errorf("second run on the legacy JSON: %+v", r)
		}
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("second run touched files")
	}
}

func TestRunLookBeforeWriting(t *testing.T) {
	for _, o := range []Options{{DryRun: true}, {Check: true}, {Check: true, Diff: true}, {DryRun: true, PruneLegacy: true, Backup: true}} {
		dir := tree(t)
		before := snapshot(t, dir)
		sum, rs := runAll(t, []string{dir}, o)
		if sum.Changed != 2 || sum.Written != 0 {
			t.Errorf("%+v: summary %+v", o, sum)
		}
		if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
			t.Errorf("%+v wrote files", o)
		}
		best := byPath(rs)["best.ckpt.metadata.yaml"]
		switch {
		case o.Diff && (!strings.HasPrefix(best.Diff, "--- a/") || !strings.Contains(best.Diff, "+schema_version: '2.0'")):
			t.Errorf("diff:\n%s", best.Diff)
		case !o.Diff && best.Diff != "":
			t.Errorf("diff without Diff")
		}
		if v0 := byPath(rs)["v0.metadata.json"]; o.Diff && !strings.HasPrefix(v0.Diff, "--- /dev/null") {
			t.Errorf("diff of a new file:\n%s", v0.Diff)
		}
	}
}

func TestRunBackup(t *testing.T) {
	dir := tree(t)
	p := filepath.Join(dir, "outputs", "exp_a", "checkpoints", "best.ckpt.metadata.yaml")
	old := readFixture(t, p)
	put(t, filepath.Join(filepath.Dir(p), "done.metadata.yaml.bak"), []byte("older backup\n"), 0o644)
	runAll(t, []string{dir}, Options{Backup: true})
	if b := readFixture(t, p+".bak"); string(b) != string(old) {
		t.Errorf("backup holds %q", b)
	}
	// An existing backup is never overwritten, even when the file changes again.
	put(t, p, old, 0o644)
	runAll(t, []string{dir}, Options{Backup: true, To: "1.1"})
	if b := readFixture(t, p+".bak"); string(b) != string(old) {
		t.Errorf("backup overwritten")
	}
	if b := readFixture(t, filepath.Join(filepath.Dir(p), "done.metadata.yaml.bak")); string(b) != "older backup\n" {
		t.Errorf("unrelated backup changed")
	}
}

func TestRunPruneLegacy(t *testing.T) {
	dir := tree(t)
	ck := filepath.Join(dir, "outputs", "exp_a", "checkpoints")
	_, rs := runAll(t, []string{dir}, Options{PruneLegacy: true})
	v0 := byPath(rs)["v0.metadata.json"]
	if !v0.Pruned || !v0.Written {
		t.Errorf("v0: %+v", v0)
	}
	if _, err := os.Stat(filepath.Join(ck, "v0.metadata.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("legacy JSON still there: %v", err)
	}
	// A legacy JSON beside an existing YAML sidecar is left alone, or pruned on request.
	put(t, filepath.Join(ck, "best.metadata.json"), readFixture(t, "../testdata/sidecars/legacy/v0.metadata.json"), 0o644)
	_, rs = runAll(t, []string{dir}, Options{})
	if r := byPath(rs)["best.metadata.json"]; !errors.Is(r.Cause, ErrSuperseded) || r.Changed || r.Output != filepath.Join(ck, "best.ckpt.metadata.yaml") {
		t.Errorf("superseded JSON: %+v", r)
	}
	_, rs = runAll(t, []string{dir}, Options{PruneLegacy: true})
	if r := byPath(rs)["best.metadata.json"]; !r.Pruned {
		t.Errorf("superseded JSON not pruned: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(ck, "best.metadata.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("superseded JSON still there")
	}
}

func TestStaleTemps(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{".best.ckpt.metadata.yaml1234567890", true},
		{".best.metadata.yml42", true},
		{".best.ckpt.metadata.yaml.bak998877", true},
		{".best.ckpt.metadata.yaml", false},
		{"best.ckpt.metadata.yaml123", false},
		{".notes.txt123", false},
		{".best.metadata.json123", false},
		{".x.metadata.yamlabc", false},
	}
	for _, tc := range tests {
		if got := sidecar.IsTemp(tc.name); got != tc.want {
			t.Errorf("IsTemp(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	dir := tree(t)
	ck := filepath.Join(dir, "outputs", "exp_a", "checkpoints")
	put(t, filepath.Join(ck, ".best.ckpt.metadata.yaml5577006791947779410"), []byte("half"), 0o600)
	put(t, filepath.Join(ck, ".keep.txt123"), []byte("mine"), 0o600)
	runAll(t, []string{dir}, Options{Check: true})
	if _, err := os.Stat(filepath.Join(ck, ".best.ckpt.metadata.yaml5577006791947779410")); err != nil {
		t.Errorf("Check removed a temp file")
	}
	runAll(t, []string{dir}, Options{})
	if _, err := os.Stat(filepath.Join(ck, ".best.ckpt.metadata.yaml5577006791947779410")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ck, ".keep.txt123")); err != nil {
		t.Errorf("unrelated dotfile removed")
	}
}

func TestRunBadTarget(t *testing.T) {
	_, err := Run(context.Background(), []string{t.TempDir()}, Options{To: "1.7"}, nil)
	var ue *schemas.UnknownVersionError
	if !errors.As(err, &ue) || ue.Version != "1.7" {
		t.Fatalf("err = %v", err)
	}
	if _, err := Run(context.Background(), []string{t.TempDir()}, Options{To: "0"}, nil); !errors.Is(err, ErrTargetLegacy) {
		t.Fatalf("err = %v", err)
	}
}

func TestRunCancelled(t *testing.T) {
	dir := tree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := snapshot(t, dir)
	_, err := Run(ctx, []string{dir}, Options{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(before, snapshot(t, dir)) {
		t.Errorf("a cancelled run wrote files")
	}
}

var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestRunTooLargeUntouched(t *testing.T) {
	root, ck := outputsTree(t)
	p := filepath.Join(ck, "last.ckpt.metadata.yaml")
	big := []byte("schema_version: '1.0'\nnotes: '" + strings.Repeat("x", 1<<20) + "'\n")
	put(t, p, big, 0o644)
	_, rs := runAll(t, []string{root}, Options{})
	var pe *ParseError
	if r := byPath(rs)["last.ckpt.metadata.yaml"]; !errors.As(r.Err, &pe) || r.Regenerated || r.Written {
		t.Errorf("result: %+v", r)
	}
	if got := readFixture(t, p); len(got) != len(big) {
		t.Errorf("an oversized sidecar was replaced")
	}
}

func TestRunExcludeAndJobs(t *testing.T) {
	dir := tree(t)
	for _, jobs := range []int{1, 3} {
		_, rs := runAll(t, []string{dir}, Options{Check: true, Jobs: jobs, Exclude: []string{"*.json", "future.*"}})
		var got []string
		for _, r := range rs {
			got = append(got, filepath.Base(r.Path))
		}
		want := []string{"best.ckpt.metadata.yaml", "collide.metadata.yaml", "done.metadata.yaml"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("jobs %d: files = %v, want %v", jobs, got, want)
		}
	}
}
