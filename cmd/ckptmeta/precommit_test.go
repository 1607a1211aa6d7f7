package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// readmeSnippet is the ```yaml block that follows the marker comment
// "<!-- ckptmeta-precommit: NAME" in README.md: the configuration users paste.
func readmeSnippet(t *testing.T, name string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	marker := "<!-- ckptmeta-precommit: " + name + " "
	_, after, ok := strings.Cut(string(readme), marker)
	if !ok {
		t.Fatalf("README.md has no %q marker before its pre-commit snippet", marker)
	}
	_, block, ok := strings.Cut(after, "\n```yaml\n")
	if !ok || strings.Index(after, "\n```yaml\n") > strings.Index(after, "-->")+4 {
		t.Fatalf("README.md: the %q marker is not right before a ```yaml block", marker)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("README.md: the %q block is not closed", marker)
	}
	return block + "\n"
}

var (
	snippetRepo = regexp.MustCompile(`(?m)^(\s+- repo: )(\S+)$`)
	snippetRev  = regexp.MustCompile(`(?m)^(\s+rev: )([0-9a-f]{40})(\s.*)?$`)
	snippetIDs  = regexp.MustCompile(`(?m)^\s+- id: (\S+)`)
)

// TestPreCommitHook runs the README's pre-commit configurations as written, with the real
// pre-commit, in a scratch git repository: `pre-commit run --all-files` passes on a good
// sidecar (exit 0), fails on a bad one (exit 1), and the fix hook rewrites a fixable one and
// fails (exit 1, "files were modified"), then passes. The language: golang snippet gets one
// substitution: its repository URL and rev become a local clone of this working tree and
// that clone's HEAD commit (a test must not fetch from GitHub, and must test this code), and
// `pre-commit autoupdate` is checked to move rev to that HEAD, as the README says. The
// language: system snippet runs unchanged, with the built binary on PATH. Nothing touches the
// network: Go modules come from the local module cache (GOPROXY=off), the toolchain is the
// local one (GOTOOLCHAIN=local), and HTTP(S) proxies point at a closed port so any download
// pre-commit or go would try fails instead.
func TestPreCommitHook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ckptmeta through pre-commit; not in -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the scratch repositories and hooks are driven with POSIX paths")
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
	golang := readmeSnippet(t, "golang")
	system := readmeSnippet(t, "system")

	home := t.TempDir()
	env := append(os.Environ(), "PRE_COMMIT_HOME="+filepath.Join(home, "pre-commit"), "HOME="+home, "NO_COLOR=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
		"GIT_CONFIG_NOSYSTEM=1", "GOFLAGS=-buildvcs=false", "GOPROXY=off", "GOSUMDB=off", "GOTOOLCHAIN=local",
		"http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
		"no_proxy=", "NO_PROXY=")
	for _, v := range []string{"GOMODCACHE", "GOCACHE"} { // HOME moves; keep Go's caches where they are
		if out, err := exec.Command("go", "env", v).Output(); err == nil {
			env = append(env, v+"="+strings.TrimSpace(string(out)))
		}
	}
	exitOf := func(err error) int {
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		return -1
	}
	// in runs name in dir and asserts its exact exit code.
	in := func(dir string, extraEnv []string, want int, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, append(append([]string{}, env...), extraEnv...)
		out, err := cmd.CombinedOutput()
		if got := exitOf(err); got != want {
			t.Fatalf("%s %s (in %s): exit %d (%v), want %d\n%s", name, strings.Join(args, " "), dir, got, err, want, out)
		}
		return string(out)
	}

	// The README's rev exists: a commit of this repository whose hooks file has every hook
	// the snippet names.
	rev := snippetRev.FindStringSubmatch(golang)
	repo := snippetRepo.FindStringSubmatch(golang)
	if len(snippetRev.FindAllString(golang, -1)) != 1 || len(snippetRepo.FindAllString(golang, -1)) != 1 {
		t.Fatalf("the README's golang snippet must have one repo and one rev (a full commit SHA):\n%s", golang)
	}
	in(repoRoot, nil, 0, "git", "cat-file", "-e", rev[2]+"^{commit}")
	hooksAtRev := in(repoRoot, nil, 0, "git", "show", rev[2]+":.pre-commit-hooks.yaml")
	for _, id := range snippetIDs.FindAllStringSubmatch(golang, -1) {
		if !regexp.MustCompile(`(?m)^- id: ` + regexp.QuoteMeta(id[1]) + `$`).MatchString(hooksAtRev) {
			t.Errorf("the README pins %s, whose .pre-commit-hooks.yaml has no hook %s", rev[2], id[1])
		}
	}

	// The hook repository: a clone of this one with the working tree committed on top, so
	// uncommitted changes are what is tested, as with `pre-commit try-repo`.
	hookRepo := filepath.Join(t.TempDir(), "ckptmeta")
	in(repoRoot, nil, 0, "git", "clone", "-q", "--no-hardlinks", repoRoot, hookRepo)
	copyWorkingTree(t, repoRoot, hookRepo, func(args ...string) string { return in(repoRoot, nil, 0, "git", args...) })
	in(hookRepo, nil, 0, "git", "add", "-A")
	in(hookRepo, nil, 0, "git", "commit", "-q", "--allow-empty", "--no-verify", "-m", "the working tree under test")
	head := strings.TrimSpace(in(hookRepo, nil, 0, "git", "rev-parse", "HEAD"))

	// The one substitution: where the repository is and which commit.
	config := snippetRepo.ReplaceAllString(golang, "${1}"+hookRepo)
	config = snippetRev.ReplaceAllString(config, "${1}"+head+"${3}")
	if strings.Count(config, hookRepo) != 1 || strings.Count(config, head) != 1 || strings.Contains(config, repo[2]) {
		t.Fatalf("substitution went wrong:\n%s", config)
	}

	good := sampleSidecar(t)
	badSchema := strings.Replace(good, "  epoch: 18\n", "  epoch: -18\n", 1)
	fixable := strings.Replace(good, "schema_version: '2.0'\n", "schema_version: 2.0\n", 1)
	if badSchema == good || fixable == good {
		t.Fatalf("the sample sidecar has changed; update the replacements:\n%s", good)
	}

	// sampleRepo is a git repository with the configuration and one sidecar, staged.
	sampleRepo := func(config string) (dir, sidecar string) {
		dir = t.TempDir()
		in(dir, nil, 0, "git", "init", "-q")
		writeFile(t, filepath.Join(dir, ".pre-commit-config.yaml"), config)
		sidecar = filepath.Join(dir, "outputs", "exp", "checkpoints", "best.ckpt.metadata.yaml")
		writeFile(t, sidecar, good)
		in(dir, nil, 0, "git", "add", "-A")
		return dir, sidecar
	}
	put := func(dir, sidecar, body string) {
		writeFile(t, sidecar, body)
		in(dir, nil, 0, "git", "add", "-A")
	}
	// scenario is what both snippets must do on the same sidecars.
	scenario := func(dir, sidecar string, pathEnv []string, wantHooks int) {
		t.Helper()
		out := in(dir, pathEnv, 0, preCommit, "run", "--all-files")
		if strings.Count(out, "Passed") != wantHooks {
			t.Fatalf("good sidecar: want %d hooks passed:\n%s", wantHooks, out)
		}
		put(dir, sidecar, badSchema)
		out = in(dir, pathEnv, 1, preCommit, "run", "--all-files")
		if !strings.Contains(out, "best.ckpt.metadata.yaml:9:10: error: training.epoch: must be >= 0, got -18 [schema/minimum]") {
			t.Fatalf("bad sidecar: want the finding in the hook's output:\n%s", out)
		}
		if got, _ := os.ReadFile(sidecar); string(got) != badSchema {
			t.Fatal("bad sidecar: a hook changed a file it cannot fix")
		}
		put(dir, sidecar, fixable)
		out = in(dir, pathEnv, 1, preCommit, "run", "--all-files")
		if !strings.Contains(out, "files were modified by this hook") || !strings.Contains(out, "schema_version: quoted 2.0") {
			t.Fatalf("fixable sidecar: want the fix hook to fix and fail:\n%s", out)
		}
		if got, _ := os.ReadFile(sidecar); string(got) != good {
			t.Fatalf("fix hook: the file is not the quoted original:\n%s", got)
		}
		in(dir, nil, 0, "git", "add", "-A")
		in(dir, pathEnv, 0, preCommit, "run", "--all-files")

		// Files that merely share the sidecar naming (an image-preprocessing metadata file
		// in docs/) are not checkpoint metadata: every hook passes on them.
		for name, body := range map[string]string{
			"docs/preprocess.metadata.json": `{"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "created_at": "2025-10-18"}` + "\n",
			"docs/images.metadata.yaml":     "source: coco\nresize: {width: 640, height: 640}\n",
		} {
			writeFile(t, filepath.Join(dir, name), body)
		}
		in(dir, nil, 0, "git", "add", "-A")
		in(dir, pathEnv, 0, preCommit, "run", "--files", "docs/preprocess.metadata.json", "docs/images.metadata.yaml")
	}

	// language: golang, as pasted (but for the repository and rev).
	dir, sidecar := sampleRepo(config)
	scenario(dir, sidecar, nil, 3)
	// migrate-check fails on a valid sidecar that is not at the latest version.
	seed, err := os.ReadFile("../../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	put(dir, sidecar, string(seed))
	if out := in(dir, nil, 1, preCommit, "run", "ckptmeta-migrate-check", "--all-files"); !strings.Contains(out, "1.0 -> 2.0") {
		t.Fatalf("migrate-check on a 1.0 sidecar: want the planned upgrade in the output:\n%s", out)
	}
	// pre-commit autoupdate moves an older pin (the README's own) to the newest commit.
	writeFile(t, filepath.Join(dir, ".pre-commit-config.yaml"), snippetRev.ReplaceAllString(config, "${1}"+rev[2]+"${3}"))
	in(dir, nil, 0, preCommit, "autoupdate")
	updated, err := os.ReadFile(filepath.Join(dir, ".pre-commit-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if m := snippetRev.FindStringSubmatch(string(updated)); m == nil || m[2] != head {
		t.Errorf("pre-commit autoupdate: rev is not the clone's HEAD %s:\n%s", head, updated)
	}

	// language: system, exactly as pasted, with the binary on PATH.
	bin := realBinary(t)
	pathEnv := []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	dir, sidecar = sampleRepo(system)
	scenario(dir, sidecar, pathEnv, 2)
}

// sampleSidecar is a valid sidecar at the latest version: the seed sample, migrated.
func sampleSidecar(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fixture(t, dir, "sidecars/valid/seed.ckpt.metadata.yaml", "outputs/exp/checkpoints/best.ckpt.metadata.yaml")
	if code := runIn(dir, "migrate", "outputs"); code != 0 {
		t.Fatalf("ckptmeta migrate exited %d", code)
	}
	b, err := os.ReadFile(filepath.Join(dir, "outputs/exp/checkpoints/best.ckpt.metadata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyWorkingTree makes the clone's files those of the working tree at from: every file git
// tracks or would add (modified and untracked ones included), with its mode; tracked files
// deleted there are deleted in the clone.
func copyWorkingTree(t *testing.T, from, clone string, git func(args ...string) string) {
	t.Helper()
	for _, name := range strings.Split(git("ls-files", "-z", "--deleted"), "\x00") {
		if name != "" {
			if err := os.Remove(filepath.Join(clone, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	for _, name := range strings.Split(git("ls-files", "-z", "--cached", "--others", "--exclude-standard"), "\x00") {
		if name == "" {
			continue
		}
		src := filepath.Join(from, name)
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted, or a link (the tree has none that the build needs)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(clone, name)
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
			t.Fatal(err)
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
