package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/validate/report"
)

// cacheRun is one command line whose output must not depend on the results cache.
type cacheRun []string

// cacheRuns are the command lines TestCacheReportsWhatNoCacheReports compares: every format
// of every command that uses the cache, and the options that change verdicts.
func cacheRuns() []cacheRun {
	var runs []cacheRun
	for _, f := range report.Formats() {
		runs = append(runs, cacheRun{"validate", "-o", string(f), "outputs"})
	}
	runs = append(runs,
		cacheRun{"validate", "--strict", "outputs"},
		cacheRun{"validate", "--strict", "-o", "sarif", "outputs"},
		cacheRun{"validate", "--no-stale", "-o", "json", "outputs"},
		cacheRun{"validate", "--exclude", "**/exp-b/**", "-o", "json", "outputs"},
		cacheRun{"validate", "-o", "json", "outputs/exp-a"},
	)
	// Runs over some files (pre-commit passes the changed ones) and over a subtree share the
	// table of the runs over the whole tree: they use its records, and carry the others forward.
	files := []string{
		"outputs/exp-a/checkpoints/best.ckpt.metadata.yaml",
		"outputs/exp-a/checkpoints/best.metadata.yaml", // absent until the conflict step
		"outputs/exp-b/checkpoints/broken.ckpt.metadata.yaml",
		"outputs/exp-b/checkpoints/moved.ckpt.metadata.yaml", // appears late
		"outputs/exp-b/checkpoints/seed.ckpt.metadata.yaml",
	}
	runs = append(runs,
		append(cacheRun{"validate"}, files...),
		append(cacheRun{"validate", "-o", "json"}, files[:3]...),
		cacheRun{"validate", "outputs/exp-b/checkpoints/seed.ckpt.metadata.yaml"},
		cacheRun{"validate", "outputs/exp-b"},
		cacheRun{"validate", "--no-stale", "outputs/exp-a/checkpoints"},
		append(cacheRun{"status", "-o", "json"}, files...),
		cacheRun{"status", "outputs/exp-b"},
		append(cacheRun{"list", "-o", "json"}, files...),
		cacheRun{"list", "outputs/exp-a"},
	)
	for _, f := range catalog.StatusFormats() {
		runs = append(runs, cacheRun{"status", "-o", f, "outputs"})
	}
	runs = append(runs,
		cacheRun{"status", "--verbose", "outputs"},
		cacheRun{"status", "--no-stale", "-o", "json", "outputs"},
		cacheRun{"status", "--exclude", "**/exp-b/**", "-o", "json", "outputs"},
	)
	for _, f := range catalog.ListFormats() {
		runs = append(runs, cacheRun{"list", "-o", f, "outputs"})
	}
	runs = append(runs,
		cacheRun{"list", "--valid-only", "-o", "json", "outputs"},
		cacheRun{"list", "--sort", "-hmean,epoch", "--filter", "epoch>0", "outputs"},
		cacheRun{"list", "--exclude", "*.yaml", "-o", "json", "outputs"},
		cacheRun{"migrate", "--check", "outputs"},
		cacheRun{"migrate", "--check", "-o", "json", "outputs"},
		cacheRun{"migrate", "--check", "--to", "1.1", "-o", "json", "outputs"},
		cacheRun{"migrate", "--check", "--no-regenerate", "--diff", "outputs"},
		cacheRun{"migrate", "--check", "--root", "outputs/exp-a", "-o", "json", "outputs"},
		append(cacheRun{"migrate", "--check", "-o", "json"}, files...),
		cacheRun{"migrate", "--check", "outputs/exp-b"},
	)
	return runs
}

// ckptmetaOut runs the real binary in dir and returns what it printed and its exit code.
func ckptmetaOut(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(realBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"NO_COLOR=1", "CI=", "GITHUB_STEP_SUMMARY="}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("ckptmeta %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// cacheTree is an outputs tree with real checkpoints and the sidecars generate writes for
// them (fingerprints included, so staleness is judged), a 1.0 sidecar, an invalid one and a
// legacy one, in two experiments.
func cacheTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ckpts := map[string]string{
		"outputs/exp-a/checkpoints/best.ckpt":           "best.ckpt",
		"outputs/exp-a/checkpoints/last.ckpt":           "lightning2.ckpt",
		"outputs/exp-a/checkpoints/epoch-3.ckpt":        "legacy.ckpt",
		"outputs/exp-b/checkpoints/epoch-5.ckpt":        "protocol4.ckpt",
		"outputs/exp-b/checkpoints/weights.ckpt":        "weights_only.ckpt",
		"outputs/exp-b/checkpoints/seed.ckpt":           "best.ckpt",
		"outputs/exp-b/checkpoints/broken.ckpt":         "best.ckpt",
		"outputs/exp-b/checkpoints/unversioned.ckpt":    "best.ckpt",
		"outputs/exp-b/checkpoints/no-sidecar-yet.ckpt": "best.ckpt",
	}
	for dst, src := range ckpts {
		testenv.CopyFile(t, filepath.Join("..", "..", "testdata", "ckpt", src), filepath.Join(dir, dst))
	}
	if _, errs, code := ckptmetaOut(t, dir, nil, "generate", "outputs"); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, errs)
	}
	os.Remove(filepath.Join(dir, "outputs/exp-b/checkpoints/no-sidecar-yet.ckpt.metadata.yaml"))
	sidecars := map[string]string{
		"outputs/exp-b/checkpoints/seed.ckpt.metadata.yaml":        "valid/seed.ckpt.metadata.yaml",
		"outputs/exp-b/checkpoints/broken.ckpt.metadata.yaml":      "invalid/bounds-and-types.metadata.yaml",
		"outputs/exp-b/checkpoints/unversioned.ckpt.metadata.yaml": "legacy/unversioned.metadata.yaml",
	}
	for dst, src := range sidecars {
		testenv.CopyFile(t, filepath.Join("..", "..", "testdata", "sidecars", src), filepath.Join(dir, dst))
	}
	return dir
}

// compareCached runs every cacheRun with the cache and with --no-cache and fails on any
// difference in standard output, standard error or exit code. It returns how many runs
// reported findings, so the caller can tell the tree is not trivially clean.
func compareCached(t *testing.T, dir, cacheDir, step string) {
	t.Helper()
	for _, run := range cacheRuns() {
		args := []string(run)
		cached := append([]string{args[0], "--cache-dir", cacheDir}, args[1:]...)
		uncached := append([]string{args[0], "--no-cache"}, args[1:]...)
		out1, err1, code1 := ckptmetaOut(t, dir, nil, cached...)
		out0, err0, code0 := ckptmetaOut(t, dir, nil, uncached...)
		if out1 != out0 || err1 != err0 || code1 != code0 {
			t.Errorf("%s: ckptmeta %s: cached run differs from --no-cache:\n--- cached (exit %d)\n%s%s\n--- uncached (exit %d)\n%s%s",
				step, strings.Join(args, " "), code1, out1, err1, code0, out0, err0)
		}
	}
}

// TestCacheReportsWhatNoCacheReports: on a tree where sidecars, checkpoints and options
// change between runs, every command and format prints exactly what --no-cache prints, with
// the same exit code, while the cache fills and is used.
func TestCacheReportsWhatNoCacheReports(t *testing.T) {
	dir := cacheTree(t)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	ckdir := filepath.Join(dir, "outputs", "exp-a", "checkpoints")
	// Files older than the racy window are trusted on their stat alone: the steps below then
	// exercise both paths (the edited files are confirmed by content).
	time.Sleep(2100 * time.Millisecond)

	compareCached(t, dir, cacheDir, "cold")
	if n := tableCount(t, cacheDir); n == 0 {
		t.Fatal("the cached runs wrote no table")
	}
	compareCached(t, dir, cacheDir, "warm")

	steps := []struct {
		name   string
		change func()
	}{
		{"edit a sidecar, its mtime put back", func() {
			p := filepath.Join(ckdir, "best.ckpt.metadata.yaml")
			b, _ := os.ReadFile(p)
			edited := bytes.Replace(b, []byte("epoch: 1\n"), []byte("epoch: -1\n"), 1)
			if bytes.Equal(b, edited) {
				t.Fatalf("no epoch in %s:\n%s", p, b)
			}
			info, _ := os.Stat(p)
			os.WriteFile(p, edited, 0o644)
			// The mtime put back: only the ctime (and size) tell.
			os.Chtimes(p, info.ModTime(), info.ModTime())
		}},
		{"edit a sidecar back within the same second", func() {
			p := filepath.Join(ckdir, "best.ckpt.metadata.yaml")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("epoch: -1\n"), []byte("epoch: 1\n"), 1), 0o644)
		}},
		{"touch a checkpoint (same content)", func() {
			now := time.Now()
			os.Chtimes(filepath.Join(ckdir, "last.ckpt"), now, now)
		}},
		{"replace a checkpoint (stale)", func() {
			testenv.CopyFile(t, filepath.Join("..", "..", "testdata", "ckpt", "protocol4.ckpt"), filepath.Join(ckdir, "last.ckpt"))
		}},
		{"delete a checkpoint (orphan)", func() {
			os.Remove(filepath.Join(ckdir, "epoch-3.ckpt"))
		}},
		{"add a conflicting sidecar", func() {
			testenv.CopyFile(t, filepath.Join(ckdir, "best.ckpt.metadata.yaml"), filepath.Join(ckdir, "best.metadata.yaml"))
		}},
		{"add a legacy JSON beside a YAML sidecar (superseded)", func() {
			testenv.CopyFile(t, filepath.Join("..", "..", "testdata", "sidecars", "legacy", "v0.metadata.json"), filepath.Join(ckdir, "best.metadata.json"))
		}},
		{"a checkpoint appears for the orphan", func() {
			testenv.CopyFile(t, filepath.Join("..", "..", "testdata", "ckpt", "legacy.ckpt"), filepath.Join(ckdir, "epoch-3.ckpt"))
		}},
		{"a sidecar replaced by rename with the same bytes", func() {
			p := filepath.Join(ckdir, "last.ckpt.metadata.yaml")
			b, _ := os.ReadFile(p)
			os.WriteFile(p+".new", b, 0o644)
			os.Rename(p+".new", p)
		}},
		{"remove the conflict", func() {
			os.Remove(filepath.Join(ckdir, "best.metadata.yaml"))
		}},
		{"a sidecar copied from another run, its checkpoint absent (orphan)", func() {
			testenv.CopyFile(t, filepath.Join(ckdir, "best.ckpt.metadata.yaml"), filepath.Join(dir, "outputs/exp-b/checkpoints/moved.ckpt.metadata.yaml"))
		}},
		{"its checkpoint appears (misplaced: migrate would re-point it)", func() {
			testenv.CopyFile(t, filepath.Join("..", "..", "testdata", "ckpt", "best.ckpt"), filepath.Join(dir, "outputs/exp-b/checkpoints/moved.ckpt"))
		}},
	}
	for _, s := range steps {
		s.change()
		compareCached(t, dir, cacheDir, s.name)
	}
}

func tableCount(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.rc"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// TestCacheUnusableDirDoesNotFailTheRun: a cache directory that cannot be created or written
// gives one warning and the run's own output and exit code; the default one (no home) gives
// none.
func TestCacheUnusableDirDoesNotFailTheRun(t *testing.T) {
	dir := cacheTree(t)
	want, wantErr, wantCode := ckptmetaOut(t, dir, nil, "validate", "--no-cache", "outputs")
	if wantCode != 1 || wantErr != "" {
		t.Fatalf("uncached: exit %d, stderr %q", wantCode, wantErr)
	}
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o644)
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"--cache-dir under a file", []string{"validate", "--cache-dir", filepath.Join(blocker, "cache"), "outputs"}, nil},
		{"env under a file", []string{"validate", "outputs"}, []string{cacheDirEnv + "=" + filepath.Join(blocker, "cache")}},
	} {
		out, errs, code := ckptmetaOut(t, dir, tc.env, tc.args...)
		if out != want || code != wantCode {
			t.Errorf("%s: output or exit code changed (exit %d):\n%s", tc.name, code, out)
		}
		if strings.Count(errs, "ckptmeta: warning:") != 1 || !strings.Contains(errs, "the run was not cached") {
			t.Errorf("%s: want one warning, got %q", tc.name, errs)
		}
	}
	// No usable home: the default directory cannot be made; silently uncached.
	out, errs, code := ckptmetaOut(t, dir, []string{"HOME=" + filepath.Join(blocker, "home"), "XDG_CACHE_HOME=", cacheDirEnv + "="}, "validate", "outputs")
	if out != want || code != wantCode || errs != "" {
		t.Errorf("default cache dir unusable: exit %d, stderr %q", code, errs)
	}
	// A directory that exists but cannot be written (not as root: root writes anyway).
	if os.Geteuid() != 0 {
		ro := filepath.Join(t.TempDir(), "ro")
		os.Mkdir(ro, 0o500)
		out, errs, code := ckptmetaOut(t, dir, nil, "validate", "--cache-dir", ro, "outputs")
		if out != want || code != wantCode || strings.Count(errs, "ckptmeta: warning:") != 1 {
			t.Errorf("read-only cache dir: exit %d, stderr %q", code, errs)
		}
	}
}

// TestCacheConcurrentRuns: two processes sharing one cache directory at once, over and over
// (the first round both write the same table): each prints what --no-cache prints.
func TestCacheConcurrentRuns(t *testing.T) {
	dir := cacheTree(t)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	want, _, wantCode := ckptmetaOut(t, dir, nil, "validate", "--no-cache", "-o", "json", "outputs")
	for round := range 4 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, stderr, code := ckptmetaOut(t, dir, nil, "validate", "--cache-dir", cacheDir, "-o", "json", "outputs")
				if out != want || code != wantCode || stderr != "" {
					errs[i] = fmt.Errorf("round %d, process %d: exit %d, stderr %q, output differs: %v", round, i, code, stderr, out != want)
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	}
	if tableCount(t, cacheDir) != 1 {
		t.Errorf("want one table, got %d", tableCount(t, cacheDir))
	}
}

// TestCacheRebuiltBinaryUsesItsOwnTable: another build of ckptmeta (here another version
// linked in) keys its own table, never the one this build wrote, and reports what --no-cache
// reports. (TestCacheKeyedByBuild in validate proves a table of another build is not read even
// when it holds a wrong verdict.)
func TestCacheRebuiltBinaryUsesItsOwnTable(t *testing.T) {
	dir := cacheTree(t)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	other := filepath.Join(t.TempDir(), "ckptmeta-other")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-cache-test", "-o", other, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, _, code := ckptmetaOut(t, dir, nil, "validate", "--cache-dir", cacheDir, "outputs"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if n := tableCount(t, cacheDir); n != 1 {
		t.Fatalf("want 1 table, got %d", n)
	}
	run := func(args ...string) (string, int) {
		cmd := exec.Command(other, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	want, wantCode := run("validate", "--no-cache", "-o", "json", "outputs")
	for range 2 {
		got, code := run("validate", "--cache-dir", cacheDir, "-o", "json", "outputs")
		if got != want || code != wantCode {
			t.Errorf("the other build's cached run differs from its --no-cache run (exit %d, want %d)", code, wantCode)
		}
	}
	if n := tableCount(t, cacheDir); n != 2 {
		t.Errorf("the other build shared this build's table: %d tables", n)
	}
}

// cacheStats runs the real binary with the hidden --cache-stats flag and returns its counts
// (hits, confirmed, judged, carried, dropped, tables written), after checking that the output
// and exit code are those of --no-cache.
func cacheStats(t *testing.T, dir, cacheDir string, args ...string) [6]int {
	t.Helper()
	want, _, wantCode := ckptmetaOut(t, dir, nil, append([]string{args[0], "--no-cache"}, args[1:]...)...)
	out, errs, code := ckptmetaOut(t, dir, nil, append([]string{args[0], "--cache-dir", cacheDir, "--cache-stats"}, args[1:]...)...)
	if out != want || code != wantCode {
		t.Fatalf("ckptmeta %v: cached run differs from --no-cache (exit %d, want %d):\n%s\n---\n%s", args, code, wantCode, out, want)
	}
	var s [6]int
	if _, err := fmt.Sscanf(errs, "ckptmeta: cache: %d hits, %d confirmed, %d judged, %d carried, %d dropped, %d tables written\n",
		&s[0], &s[1], &s[2], &s[3], &s[4], &s[5]); err != nil {
		t.Fatalf("ckptmeta %v: no cache stats in stderr %q: %v", args, errs, err)
	}
	return s
}

// TestCachePreCommitRunsHit: runs over one file (what pre-commit does) share the table of the
// tree's working directory: a second run over the same file is a hit that reads nothing and
// writes no table; a run over another file keeps the first file's record (carried forward);
// a run over the whole tree uses both; a one-file run after it hits and carries the rest; a
// sidecar deleted is dropped from the table by the next run over its directory, not before.
func TestCachePreCommitRunsHit(t *testing.T) {
	dir := cacheTree(t)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	time.Sleep(2100 * time.Millisecond) // past the racy window: unchanged files hit on their stat
	a := "outputs/exp-a/checkpoints/best.ckpt.metadata.yaml"
	b := "outputs/exp-b/checkpoints/seed.ckpt.metadata.yaml"
	gone := "outputs/exp-b/checkpoints/broken.ckpt.metadata.yaml"
	sidecars, err := filepath.Glob(filepath.Join(dir, "outputs", "*", "checkpoints", "*.metadata.yaml"))
	if err != nil || len(sidecars) < 5 {
		t.Fatalf("sidecars: %v %v", sidecars, err)
	}
	n := len(sidecars)
	steps := []struct {
		what string
		args []string
		want [6]int // hits, confirmed, judged, carried, dropped, written
	}{
		{"first run over one file", []string{"validate", a}, [6]int{0, 0, 1, 0, 0, 1}},
		{"second run over the same file", []string{"validate", a}, [6]int{1, 0, 0, 0, 0, 0}},
		{"a run over another file", []string{"validate", b}, [6]int{0, 0, 1, 1, 0, 1}},
		{"both files", []string{"validate", a, b}, [6]int{2, 0, 0, 0, 0, 0}},
		{"the whole tree", []string{"validate", "outputs"}, [6]int{2, 0, n - 2, 0, 0, 1}},
		{"one file after the whole tree", []string{"validate", a}, [6]int{1, 0, 0, n - 1, 0, 0}},
		{"status over one file, then again", []string{"status", a}, [6]int{0, 0, 1, 0, 0, 1}},
		{"status again", []string{"status", a}, [6]int{1, 0, 0, 0, 0, 0}},
		{"list over one file, then again", []string{"list", a}, [6]int{0, 0, 1, 0, 0, 1}},
		{"list again", []string{"list", a}, [6]int{1, 0, 0, 0, 0, 0}},
	}
	for _, s := range steps {
		if got := cacheStats(t, dir, cacheDir, s.args...); got != s.want {
			t.Fatalf("%s (ckptmeta %v): got %v, want %v (hits, confirmed, judged, carried, dropped, tables written)", s.what, s.args, got, s.want)
		}
	}
	os.Remove(filepath.Join(dir, gone))
	// A run that does not cover the deleted file's directory keeps its record ...
	if got := cacheStats(t, dir, cacheDir, "validate", a); got != [6]int{1, 0, 0, n - 1, 0, 0} {
		t.Fatalf("after a deletion, a run over another directory's file: got %v", got)
	}
	// ... the next run over its directory drops it, and keeps the rest.
	if got := cacheStats(t, dir, cacheDir, "validate", filepath.ToSlash(filepath.Dir(gone))); got[4] != 1 || got[5] != 1 || got[0] == 0 || got[0]+got[3] != n-1 {
		t.Fatalf("a run over the deleted file's directory: got %v, want 1 dropped, the %d others kept", got, n-1)
	}
	if got := cacheStats(t, dir, cacheDir, "validate", "outputs"); got != [6]int{n - 1, 0, 0, 0, 0, 0} {
		t.Fatalf("the whole tree after the deletion: got %v, want %d hits and nothing written", got, n-1)
	}
}
