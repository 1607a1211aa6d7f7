//go:build linux || darwin

package watch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
)

// asNobodyEnv marks the test binary re-run as an unprivileged user.
const asNobodyEnv = "CKPTMETA_WATCH_TEST_AS_NOBODY"

// runAsNobody runs the named test again in a copy of this test binary as the user nobody,
// and reports its failure: root reads every directory whatever its mode bits, so a test of
// unreadable directories must not run as root. It returns false when the caller is that
// child (it should run the test), true when the parent ran it.
func runAsNobody(t *testing.T, name string) bool {
	t.Helper()
	if os.Geteuid() != 0 || os.Getenv(asNobodyEnv) != "" {
		return false
	}
	shared, err := os.MkdirTemp("", "ckptmeta-nobody-") // t.TempDir's parent is private to root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(shared, "watch.test")
	src, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(shared, "tmp")
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), asNobodyEnv+"=1", "TMPDIR="+tmp, "HOME="+tmp, "GOCOVERDIR=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s as nobody: %v\n%s", name, err, out)
	}
	t.Logf("ran as nobody (uid 65534):\n%s", out)
	return true
}

// TestUnreadableDirectoriesFollowEvents: the running watcher's list of paths it cannot read
// (Coverage.Problems, ckptmeta_scan_problems) follows permission changes and removals through
// events, without a rescan: a directory that becomes readable is walked (its checkpoint gets
// its sidecar and counts), one that becomes unreadable is a problem and its checkpoints no
// longer count (as a rescan would report it), an unreadable directory removed is no problem,
// and an unreadable directory inside one moved in is found by the walk of the new directory.
func TestUnreadableDirectoriesFollowEvents(t *testing.T) {
	if runAsNobody(t, "TestUnreadableDirectoriesFollowEvents") {
		return
	}
	if os.Geteuid() == 0 {
		t.Fatal("running as root: mode bits do not stop root reading")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "outputs")
	open, secret, empty := filepath.Join(root, "open", "checkpoints"), filepath.Join(root, "secret"), filepath.Join(root, "empty")
	copyFile(t, "ckpt/best.ckpt", filepath.Join(open, "b.ckpt"))
	copyFile(t, "ckpt/best.ckpt", filepath.Join(secret, "checkpoints", "a.ckpt"))
	for _, d := range []string{secret, empty} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(secret, 0o755); os.Chmod(empty, 0o755) })
	problems := func(c *catalog.Coverage) []string {
		var ps []string
		for _, p := range c.Problems {
			ps = append(ps, filepath.ToSlash(strings.TrimPrefix(p.Path, root+string(filepath.Separator))))
		}
		return ps
	}
	state := func(want string, checkpoints int) func([]Event, *catalog.Coverage) bool {
		return func(_ []Event, c *catalog.Coverage) bool {
			return c != nil && strings.Join(problems(c), " ") == want && c.Total.Checkpoints == checkpoints && c.Total.Current == checkpoints
		}
	}
	obs := startRun(t, root, Options{Quiet: 20 * time.Millisecond})
	obs.waitFor(t, "the start-up scan: two unreadable directories, one checkpoint", 10*time.Second, state("empty secret", 1))

	if err := os.Chmod(secret, 0o755); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "secret readable again: walked, its checkpoint current", 10*time.Second, state("empty", 2))

	if err := os.Chmod(secret, 0o311); err != nil { // writable and searchable, not listable
		t.Fatal(err)
	}
	obs.waitFor(t, "secret unreadable again: a problem, its checkpoint no longer counted", 10*time.Second, state("empty secret", 1))

	if err := os.Remove(empty); err != nil { // an empty directory: its parent's write bit is enough
		t.Fatal(err)
	}
	obs.waitFor(t, "empty removed: no problem any more", 10*time.Second, state("secret", 1))

	staging := filepath.Join(dir, "staging", "late")
	copyFile(t, "ckpt/best.ckpt", filepath.Join(staging, "checkpoints", "c.ckpt"))
	locked := filepath.Join(staging, "locked")
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(root, "late", "locked"), 0o755) })
	if err := os.Rename(staging, filepath.Join(root, "late")); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "a run moved in with an unreadable directory inside", 10*time.Second, state("late/locked secret", 2))
	if f := obs.failures(); len(f) != 0 {
		t.Errorf("failures: %v", f)
	}
}
