package migrate

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"
)

func needSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks (Unix)")
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// TestSymlinkedSidecarInsideRoots: a sidecar that links to a file inside the paths given is
// migrated through the link: the link stays, the file it names is replaced.
func TestSymlinkedSidecarInsideRoots(t *testing.T) {
	needSymlinks(t)
	dir := t.TempDir()
	real := filepath.Join(dir, "store", "best.ckpt.metadata.yaml")
	put(t, real, readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml"), 0o644)
	link := filepath.Join(dir, "run", "checkpoints", "best.ckpt.metadata.yaml")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	sum, rs := runAll(t, []string{filepath.Join(dir, "run"), filepath.Join(dir, "store")}, Options{})
	if sum.Failed != 0 || sum.Written != 1 {
		t.Errorf("summary %+v, want one file written (the link and its file are one sidecar)", sum)
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Path, r.Err)
		}
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("symlink replaced: %v", info)
	}
	assertValid(t, "2.0", readFixture(t, real))
}

// TestSymlinkOutsideRootsNotWritten is issue 14's hole: a sidecar linking to a file outside
// the paths given (think /etc/passwd) that does not parse was "regenerated" through the
// link, and a .bak written beside the target. It is now a per-file failure; nothing outside
// changes.
func TestSymlinkOutsideRootsNotWritten(t *testing.T) {
	needSymlinks(t)
	root, ck := outputsTree(t)
	elsewhere := t.TempDir()
	passwd := filepath.Join(elsewhere, "passwd")
	const content = "root:x:0:0:root:/root:/bin/bash\n"
	put(t, passwd, []byte(content), 0o644)
	link := filepath.Join(ck, "last.ckpt.metadata.yaml") // checkpoints/last.ckpt exists: regeneration would run
	if err := os.Symlink(passwd, link); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Root: root, Now: fixedNow}, {Root: root, Now: fixedNow, Backup: true}} {
		sum, rs := runAll(t, []string{root}, o)
		r := byPath(rs)["last.ckpt.metadata.yaml"]
		if r == nil || !errors.Is(r.Err, fsutil.ErrOutsideRoots) || r.Written {
			t.Fatalf("result %+v, want ErrOutsideRoots and nothing written", r)
		}
		if !strings.Contains(r.Err.Error(), passwd) {
			t.Errorf("the message should name where the link leads: %v", r.Err)
		}
		if sum.Failed == 0 {
			t.Errorf("summary %+v: the refusal must count as a failure (exit 1)", sum)
		}
		if got := readFixture(t, passwd); string(got) != content {
			t.Fatalf("the file outside was overwritten:\n%s", got)
		}
		if got := dirNames(t, elsewhere); len(got) != 1 {
			t.Fatalf("written beside the target: %v", got)
		}
	}
	if li, _ := os.Lstat(link); li.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link itself was replaced")
	}
}

// TestBackupChain: each regeneration keeps the content it replaced, in X.bak, X.bak.1, …
// (before, a second regeneration found X.bak and kept nothing).
func TestBackupChain(t *testing.T) {
	root, ck := outputsTree(t)
	p := filepath.Join(ck, "last.ckpt.metadata.yaml")
	var versions [][]byte
	for i := 0; i < 3; i++ {
		v := []byte(strings.Replace(brokenSidecar, "hand-named-run", "hand-named-run-"+string(rune('a'+i)), 1))
		put(t, p, v, 0o644)
		versions = append(versions, v)
		_, rs := runAll(t, []string{root}, Options{Root: root, Now: fixedNow})
		if r := byPath(rs)["last.ckpt.metadata.yaml"]; r == nil || r.Err != nil || !r.Regenerated || !r.Written {
			t.Fatalf("run %d: %+v", i, r)
		}
	}
	for i, suffix := range []string{".bak", ".bak.1", ".bak.2"} {
		if got := readFixture(t, p+suffix); !bytes.Equal(got, versions[i]) {
			t.Errorf("%s holds\n%s\nwant the hand-edited version %d", filepath.Base(p+suffix), got, i)
		}
	}
	if _, err := os.Stat(p + ".bak.3"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an extra backup: %v", err)
	}
	// --backup on plain migrations continues the same chain.
	seed := readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	put(t, p, seed, 0o644)
	if _, rs := runAll(t, []string{p}, Options{Backup: true}); rs[0].Err != nil || !rs[0].Written {
		t.Fatalf("%+v", rs[0])
	}
	if got := readFixture(t, p+".bak.3"); !bytes.Equal(got, seed) {
		t.Errorf(".bak.3 holds\n%s\nwant the 1.0 file it replaced", got)
	}
}

// TestEditDuringRun: a person's edit that lands after migrate read the file and before it
// writes survives, and the file is reported "changed during run".
func TestEditDuringRun(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "best.ckpt.metadata.yaml")
	put(t, p, readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml"), 0o644)
	edit := append([]byte("# a person's note, saved while migrate ran\n"), readFixture(t, p)...)
	testHookBeforeWrite = func(out string) {
		if err := os.WriteFile(out, edit, 0o644); err != nil {
			t.Error(err)
		}
	}
	defer func() { testHookBeforeWrite = nil }()
	sum, rs := runAll(t, []string{dir}, Options{Backup: true})
	if len(rs) != 1 || !errors.Is(rs[0].Err, fsutil.ErrChanged) || rs[0].Written || sum.Failed != 1 {
		t.Fatalf("summary %+v, result %+v: want one failure, ErrChanged", sum, rs[0])
	}
	if !strings.Contains(rs[0].Err.Error(), "changed during run") {
		t.Errorf("message: %v", rs[0].Err)
	}
	if got := readFixture(t, p); !bytes.Equal(got, edit) {
		t.Errorf("the edit was lost:\n%s", got)
	}
	if got := dirNames(t, dir); len(got) != 1 {
		t.Errorf("left beside it: %v", got)
	}
}

// TestOwnerKeptAsRoot: as root, migrate keeps a user's file the user's (before, it became
// root:root with the mode kept).
func TestOwnerKeptAsRoot(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root on Unix to own files as another user")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "best.ckpt.metadata.yaml")
	put(t, p, readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml"), 0o640)
	if err := os.Chown(p, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	if _, rs := runAll(t, []string{dir}, Options{Backup: true}); rs[0].Err != nil || !rs[0].Written {
		t.Fatalf("%+v", rs[0])
	}
	for _, f := range []string{p, p + ".bak"} {
		uid, gid, mode := owner(t, f)
		if uid != 4242 || gid != 4343 || mode != 0o640 {
			t.Errorf("%s: %d:%d %o, want 4242:4343 640", filepath.Base(f), uid, gid, mode)
		}
	}
}

// TestHardLinkedSidecarReported: a sidecar with a second name is reported, not split.
func TestHardLinkedSidecarReported(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("link counts are not read on Windows")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "best.ckpt.metadata.yaml")
	seed := readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	put(t, p, seed, 0o644)
	other := filepath.Join(t.TempDir(), "snapshot-of-best.yaml")
	if err := os.Link(p, other); err != nil {
		t.Fatal(err)
	}
	_, rs := runAll(t, []string{p}, Options{})
	if !errors.Is(rs[0].Err, fsutil.ErrHardLinked) || rs[0].Written {
		t.Fatalf("%+v", rs[0])
	}
	if got := readFixture(t, p); !bytes.Equal(got, seed) {
		t.Error("the file changed")
	}
}
