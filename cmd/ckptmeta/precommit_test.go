package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitHook installs this repository's hooks with the real pre-commit
// (`pre-commit try-repo`, language: golang) into a scratch git repository and checks that
// the validate hook fails on a bad sidecar and passes on a good one, that the migrate-check
// hook fails on an outdated one, and that the fix hook fixes and fails, then passes.
func TestPreCommitHook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ckptmeta through pre-commit; not in -short")
	}
	preCommit, err := exec.LookPath("pre-commit")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pre-commit is not installed; .ci/run installs it (apt-get install pre-commit)")
		}
		t.Skip("pre-commit is not installed (apt-get install pre-commit; .ci/run installs it)")
	}
	repoRoot, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	home := t.TempDir()
	env := append(os.Environ(), "PRE_COMMIT_HOME="+home, "HOME="+home, "NO_COLOR=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		// Reuse the module cache instead of downloading the dependencies again.
		env = append(env, "GOMODCACHE="+strings.TrimSpace(string(out)), "GOFLAGS=-buildvcs=false")
	}
	run := func(wantOK bool, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("%s %s: err=%v, want ok=%v\n%s", name, strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}
	good, err := os.ReadFile("../../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "outputs", "exp", "checkpoints")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sidecar := filepath.Join(dir, "best.ckpt.metadata.yaml")
	write := func(b []byte) {
		if err := os.WriteFile(sidecar, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(true, "git", "init", "-q")
	write(good)
	run(true, "git", "add", "-A")
	out := run(true, preCommit, "try-repo", repoRoot, "ckptmeta-validate", "--all-files")
	if !strings.Contains(out, "Passed") {
		t.Fatalf("good sidecar: hook did not pass:\n%s", out)
	}
	write([]byte(strings.Replace(string(good), "epoch: 18", "epoch: -18", 1)))
	run(true, "git", "add", "-A")
	out = run(false, preCommit, "try-repo", repoRoot, "ckptmeta-validate", "--all-files")
	if !strings.Contains(out, "Failed") || !strings.Contains(out, "best.ckpt.metadata.yaml:6:10: error: training.epoch: must be >= 0, got -18 [schema/minimum]") {
		t.Fatalf("bad sidecar: want the finding in the hook's output:\n%s", out)
	}

	// The second hook fails while the sidecar is not at the latest version, and passes once
	// `ckptmeta migrate` has upgraded it.
	write(good)
	run(true, "git", "add", "-A")
	out = run(false, preCommit, "try-repo", repoRoot, "ckptmeta-migrate-check", "--all-files")
	if !strings.Contains(out, "1.0 -> 2.0") {
		t.Fatalf("migrate-check on a 1.0 sidecar: want the planned upgrade in the output:\n%s", out)
	}
	if code := runIn(work, "migrate", sidecar); code != 0 {
		t.Fatalf("ckptmeta migrate exited %d", code)
	}
	run(true, "git", "add", "-A")
	out = run(true, preCommit, "try-repo", repoRoot, "ckptmeta-migrate-check", "--all-files")
	if !strings.Contains(out, "Passed") {
		t.Fatalf("migrate-check after migrating: hook did not pass:\n%s", out)
	}

	// The third hook fixes in place: on a sidecar with an unquoted schema_version and
	// timestamp it rewrites the file and fails (pre-commit's "files were modified"), then
	// passes on the fixed file, which the validate hook accepts.
	bad := strings.Replace(strings.Replace(string(good), "schema_version: '1.0'", "schema_version: 1.0", 1),
		"created_at: '", "created_at: ", 1)
	bad = strings.Replace(bad, "'\n", "\n", 1) // the timestamp's closing quote (created_at is the first quoted value left)
	if !strings.Contains(bad, "schema_version: 1.0\n") || strings.Count(bad, "'") != strings.Count(string(good), "'")-4 {
		t.Fatalf("the fixture to edit has changed; update the replacements:\n%s", bad)
	}
	write([]byte(bad))
	run(true, "git", "add", "-A")
	out = run(false, preCommit, "try-repo", repoRoot, "ckptmeta-fix", "--all-files")
	if !strings.Contains(out, "Failed") || !strings.Contains(out, "files were modified by this hook") ||
		!strings.Contains(out, "schema_version: quoted 1.0") {
		t.Fatalf("fix hook on unquoted values: want it to fix and fail:\n%s", out)
	}
	if got, err := os.ReadFile(sidecar); err != nil || string(got) != string(good) {
		t.Fatalf("fix hook: the file is not the quoted original (%v):\n%s", err, got)
	}
	run(true, "git", "add", "-A")
	out = run(true, preCommit, "try-repo", repoRoot, "ckptmeta-fix", "--all-files")
	if !strings.Contains(out, "Passed") {
		t.Fatalf("fix hook on a fixed file: did not pass:\n%s", out)
	}
	out = run(true, preCommit, "try-repo", repoRoot, "ckptmeta-validate", "--all-files")
	if !strings.Contains(out, "Passed") {
		t.Fatalf("validate hook after the fix hook: did not pass:\n%s", out)
	}

	// Files that merely share the sidecar naming (an image-preprocessing metadata file in
	// docs/) are not checkpoint metadata: both hooks pass on them and say nothing.
	docs := filepath.Join(work, "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"preprocess.metadata.json": `{"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "created_at": "2025-10-18"}` + "\n",
		"images.metadata.yaml":     "source: coco\nresize: {width: 640, height: 640}\n",
	} {
		if err := os.WriteFile(filepath.Join(docs, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(true, "git", "add", "-A")
	for _, hook := range []string{"ckptmeta-validate", "ckptmeta-migrate-check", "ckptmeta-fix"} {
		out = run(true, preCommit, "try-repo", repoRoot, hook, "--files", "docs/preprocess.metadata.json", "docs/images.metadata.yaml")
		if !strings.Contains(out, "Passed") {
			t.Fatalf("%s on files that are not sidecars: hook did not pass:\n%s", hook, out)
		}
	}
}

// runIn runs ckptmeta in-process in dir (the same code the hook's binary runs).
func runIn(dir string, args ...string) int {
	var out, errw strings.Builder
	old, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(old)
	return run(args, &out, &errw)
}
