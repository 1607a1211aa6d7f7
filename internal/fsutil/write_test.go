package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func put(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func snap(t *testing.T, p string) *Snapshot {
	t.Helper()
	s, err := ReadSnapshot(p, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func roots(t *testing.T, paths ...string) *Roots {
	t.Helper()
	r, err := OpenRoots(paths)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// names lists the directory's entries, sorted.
func names(t *testing.T, dir string) []string {
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

func needUnix(t *testing.T, what string) {
	if runtime.GOOS == "windows" {
		t.Skip(what + " needs Unix")
	}
}

func TestWriteFileNewAndReplace(t *testing.T) {
	dir := t.TempDir()
	r := roots(t, dir)
	p := filepath.Join(dir, "a", "x.metadata.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteFile(p, []byte("one\n"), WriteOptions{Perm: 0o640}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "one\n" {
		t.Fatalf("new file holds %q", got)
	}
	if info, _ := os.Stat(p); runtime.GOOS != "windows" && info.Mode().Perm() != 0o640 {
		t.Errorf("new file mode %v, want 0640", info.Mode())
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := r.WriteFile(p, []byte("two\n"), WriteOptions{Old: snap(t, p)})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "two\n" || w.Backup != "" || w.Same {
		t.Fatalf("replaced file holds %q, result %+v", got, w)
	}
	if info, _ := os.Stat(p); runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("replaced file mode %v, want the old 0600", info.Mode())
	}
	if got := names(t, filepath.Dir(p)); len(got) != 1 {
		t.Errorf("directory holds %v, want the file alone (no temp files)", got)
	}
}

// TestWriteFileChangedDuringRun: an edit that lands between the read and the write is kept
// and reported, whether it changes the size, or keeps size and mtime (caught by content).
func TestWriteFileChangedDuringRun(t *testing.T) {
	dir := t.TempDir()
	r := roots(t, dir)
	p := filepath.Join(dir, "x.metadata.yaml")
	for _, tc := range []struct {
		name string
		edit func(mtime time.Time)
	}{
		{"edit", func(time.Time) { put(t, p, "a person's edit\n") }},
		{"same size, mtime put back", func(m time.Time) {
			put(t, p, "ONE\n")
			if err := os.Chtimes(p, m, m); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced by rename", func(time.Time) {
			put(t, p+".new", "one\n")
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
		}},
		{"removed", func(time.Time) { os.Remove(p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			put(t, p, "one\n")
			old := snap(t, p)
			info, _ := os.Stat(p)
			tc.edit(info.ModTime())
			before, _ := os.ReadFile(p)
			_, err := r.WriteFile(p, []byte("migrated\n"), WriteOptions{Old: old, Backup: true})
			if !errors.Is(err, ErrChanged) {
				t.Fatalf("err = %v, want ErrChanged", err)
			}
			if !strings.Contains(err.Error(), "changed during run") || !strings.Contains(err.Error(), p) {
				t.Errorf("message %q should name the file and say it changed during run", err)
			}
			after, _ := os.ReadFile(p)
			if string(after) != string(before) {
				t.Errorf("file now %q, want the edit %q kept", after, before)
			}
			for _, n := range names(t, dir) {
				if n != "x.metadata.yaml" {
					t.Errorf("left behind: %s", n)
				}
			}
		})
	}
	// A file that appeared where the caller expected none is not replaced either.
	put(t, p, "someone's new file\n")
	if _, err := r.WriteFile(p, []byte("generated\n"), WriteOptions{}); !errors.Is(err, ErrChanged) {
		t.Fatalf("expected-absent: err = %v, want ErrChanged", err)
	}
	// But a file that already holds exactly the new bytes is not a lost update.
	old := snap(t, p)
	put(t, p, "generated\n")
	if w, err := r.WriteFile(p, []byte("generated\n"), WriteOptions{Old: old}); err != nil || !w.Same {
		t.Fatalf("same bytes: %+v %v", w, err)
	}
}

// TestBackupChain: every replacement keeps what it replaced, in X.bak, X.bak.1, X.bak.2, …;
// an existing backup, even a symlink planted as one, is never replaced nor written through.
func TestBackupChain(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "passwd")
	put(t, outside, "root:x:0:0\n")
	r := roots(t, dir)
	p := filepath.Join(dir, "x.metadata.yaml")
	put(t, p, "v0\n")
	for i, v := range []string{"v1\n", "v2\n", "v3\n"} {
		if i == 1 {
			// X.bak.1 is a symlink out of the tree: the chain goes past it.
			if runtime.GOOS != "windows" {
				if err := os.Symlink(outside, p+".bak.1"); err != nil {
					t.Fatal(err)
				}
			}
		}
		w, err := r.WriteFile(p, []byte(v), WriteOptions{Old: snap(t, p), Backup: true})
		if err != nil {
			t.Fatal(err)
		}
		if w.Backup == "" {
			t.Fatalf("write %d made no backup", i)
		}
	}
	want := map[string]string{".bak": "v0\n", ".bak.2": "v1\n", ".bak.3": "v2\n", "": "v3\n"}
	if runtime.GOOS == "windows" {
		want = map[string]string{".bak": "v0\n", ".bak.1": "v1\n", ".bak.2": "v2\n", "": "v3\n"}
	}
	for suffix, content := range want {
		if got := read(t, p+suffix); got != content {
			t.Errorf("%s holds %q, want %q", filepath.Base(p+suffix), got, content)
		}
	}
	if got := read(t, outside); got != "root:x:0:0\n" {
		t.Errorf("the file outside was written through the planted link: %q", got)
	}
	if n := len(names(t, dir)); n != len(want)+map[bool]int{true: 0, false: 1}[runtime.GOOS == "windows"] {
		t.Errorf("directory holds %v", names(t, dir))
	}
}

// TestSymlinkOutsideRoots: a sidecar linking out of the tree is never written through, and no
// backup appears beside its target.
func TestSymlinkOutsideRoots(t *testing.T) {
	needUnix(t, "symlinks")
	dir := t.TempDir()
	elsewhere := t.TempDir()
	target := filepath.Join(elsewhere, "passwd")
	put(t, target, "root:x:0:0\n")
	link := filepath.Join(dir, "x.metadata.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	r := roots(t, dir)
	_, err := r.WriteFile(link, []byte("regenerated\n"), WriteOptions{Old: snap(t, link), Backup: true})
	if !errors.Is(err, ErrOutsideRoots) || !strings.Contains(err.Error(), target) {
		t.Fatalf("err = %v, want ErrOutsideRoots naming %s", err, target)
	}
	if got := read(t, target); got != "root:x:0:0\n" {
		t.Errorf("target overwritten: %q", got)
	}
	if got := names(t, elsewhere); len(got) != 1 {
		t.Errorf("beside the target: %v", got)
	}
	if li, _ := os.Lstat(link); li.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced")
	}
	// Given as the root itself, a file root counts as its directory: same answer.
	r2 := roots(t, link)
	if _, err := r2.WriteFile(link, []byte("x"), WriteOptions{Old: snap(t, link)}); !errors.Is(err, ErrOutsideRoots) {
		t.Fatalf("file root: err = %v", err)
	}
	if _, err := r2.Remove(link, RemoveOptions{}); err != nil {
		t.Fatalf("removing the link itself (inside) failed: %v", err)
	}
	if got := read(t, target); got != "root:x:0:0\n" {
		t.Errorf("target changed by removing the link: %q", got)
	}
}

// TestSymlinkInsideRoots: a link to a file inside the roots stays a link; the file it names
// is replaced, with its backup beside it.
func TestSymlinkInsideRoots(t *testing.T) {
	needUnix(t, "symlinks")
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "epoch-01.ckpt.metadata.yaml")
	put(t, real, "old\n")
	link := filepath.Join(dir, "last.ckpt.metadata.yaml")
	if err := os.Symlink(filepath.Join("real", "epoch-01.ckpt.metadata.yaml"), link); err != nil {
		t.Fatal(err)
	}
	r := roots(t, dir)
	w, err := r.WriteFile(link, []byte("new\n"), WriteOptions{Old: snap(t, link), Backup: true})
	if err != nil {
		t.Fatal(err)
	}
	realResolved, _ := filepath.EvalSymlinks(real)
	if w.Path != realResolved || w.Backup != realResolved+".bak" {
		t.Errorf("result %+v", w)
	}
	if li, _ := os.Lstat(link); li.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
	if read(t, real) != "new\n" || read(t, real+".bak") != "old\n" {
		t.Errorf("real %q, backup %q", read(t, real), read(t, real+".bak"))
	}
}

// TestDirectorySwappedMidWrite: a directory replaced by a symlink out of the tree after the
// path was resolved cannot redirect the write (the directory is opened inside the root).
func TestDirectorySwappedMidWrite(t *testing.T) {
	needUnix(t, "symlinks")
	dir := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "run", "x.metadata.yaml") // a new sidecar: no old content to compare
	r := roots(t, dir)
	testHookLocated = func() {
		if err := os.Rename(filepath.Join(dir, "run"), filepath.Join(dir, "run.moved")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, filepath.Join(dir, "run")); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { testHookLocated = nil }()
	_, err := r.WriteFile(p, []byte("new\n"), WriteOptions{})
	if err == nil {
		t.Error("the write went through the swapped-in link")
	}
	if got := names(t, elsewhere); len(got) != 0 {
		t.Errorf("written outside the roots: %v", got)
	}
}

func TestHardLinkRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.metadata.yaml")
	put(t, p, "old\n")
	if err := os.Link(p, filepath.Join(dir, "other-name.metadata.yaml")); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	r := roots(t, dir)
	_, err := r.WriteFile(p, []byte("new\n"), WriteOptions{Old: snap(t, p), Backup: true})
	if runtime.GOOS == "windows" {
		t.Skip("link counts are not read on Windows")
	}
	if !errors.Is(err, ErrHardLinked) {
		t.Fatalf("err = %v, want ErrHardLinked", err)
	}
	if read(t, p) != "old\n" || len(names(t, dir)) != 2 {
		t.Errorf("file %q, dir %v", read(t, p), names(t, dir))
	}
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	r := roots(t, dir)
	p := filepath.Join(dir, "x.metadata.json")
	put(t, p, "{}\n")
	old := snap(t, p)
	put(t, p, "{\"edited\": 1}\n")
	if _, err := r.Remove(p, RemoveOptions{Old: old, Backup: true}); !errors.Is(err, ErrChanged) {
		t.Fatalf("edited: err = %v, want ErrChanged", err)
	}
	put(t, p+".bak", "older backup\n")
	w, err := r.Remove(p, RemoveOptions{Old: snap(t, p), Backup: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("not removed: %v", err)
	}
	if filepath.Base(w.Backup) != "x.metadata.json.bak.1" || read(t, p+".bak.1") != "{\"edited\": 1}\n" || read(t, p+".bak") != "older backup\n" {
		t.Errorf("backup %q", w.Backup)
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "a", ".x.yaml123"), filepath.Join(dir, "a", "keep.yaml"), filepath.Join(outside, ".x.yaml456")} {
		put(t, p, "")
	}
	// Only regular files go: a directory or a link with a temp name is somebody else's.
	if err := os.Mkdir(filepath.Join(dir, "a", ".x.yamldir"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep := []string{".x.yamldir", "keep.yaml"}
	if err := os.Symlink("keep.yaml", filepath.Join(dir, "a", ".x.yaml789")); err == nil {
		keep = []string{".x.yaml789", ".x.yamldir", "keep.yaml"}
	}
	r := roots(t, dir)
	isTemp := func(n string) bool { return strings.HasPrefix(n, ".x.yaml") }
	r.RemoveTemps([]string{filepath.Join(dir, "a"), outside}, isTemp)
	if got := names(t, filepath.Join(dir, "a")); !slices.Equal(got, keep) {
		t.Errorf("inside: %v, want %v", got, keep)
	}
	if got := names(t, outside); len(got) != 1 {
		t.Errorf("a directory outside the roots was cleaned: %v", got)
	}
}

// TestTempNames: what a killed writer leaves is "." + the name + digits, the shape
// sidecar.IsTemp recognises.
func TestTempNames(t *testing.T) {
	dir := t.TempDir()
	d, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, name, err := createTemp(d, "x.ckpt.metadata.yaml", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	digits := strings.TrimPrefix(name, ".x.ckpt.metadata.yaml")
	if digits == name || digits == "" || strings.Trim(digits, "0123456789") != "" {
		t.Errorf("temp name %q", name)
	}
}

func TestPending(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ckptmeta.prom")
	put(t, p, "old\n")
	pf, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	pf.Write([]byte("new "))
	if got := read(t, p); got != "old\n" {
		t.Errorf("before Commit the file holds %q", got)
	}
	pf.Write([]byte("report\n"))
	if err := pf.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := pf.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "new report\n" || len(names(t, dir)) != 1 {
		t.Errorf("after Commit: %q, dir %v", got, names(t, dir))
	}
	// Abandoned: nothing changes, nothing is left.
	pf, err = Create(p)
	if err != nil {
		t.Fatal(err)
	}
	pf.Write([]byte("half"))
	pf.Close()
	if got := read(t, p); got != "new report\n" || len(names(t, dir)) != 1 {
		t.Errorf("after Close: %q, dir %v", got, names(t, dir))
	}
	// A missing directory fails at once, with os.Create's message.
	if _, err := Create(filepath.Join(dir, "nodir", "r.prom")); err == nil || !strings.HasSuffix(err.Error(), "nodir/r.prom: no such file or directory") || !strings.HasPrefix(err.Error(), "open ") {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := Create(dir); err == nil {
		t.Errorf("a directory as the file: no error")
	}
}

// TestSameFileTwoNames: a symlinked sidecar and its target, written at once with the same
// bytes from the same read, make one write; the other finds the work done (no second
// rename, no duplicate backup).
func TestSameFileTwoNames(t *testing.T) {
	needUnix(t, "symlinks")
	for i := 0; i < 30; i++ {
		dir := t.TempDir()
		real := filepath.Join(dir, "real.metadata.yaml")
		put(t, real, "old\n")
		link := filepath.Join(dir, "link.metadata.yaml")
		if err := os.Symlink("real.metadata.yaml", link); err != nil {
			t.Fatal(err)
		}
		r := roots(t, dir)
		old := snap(t, real)
		results := make(chan Written, 2)
		for _, p := range []string{real, link} {
			go func() {
				w, err := r.WriteFile(p, []byte("new\n"), WriteOptions{Old: old, Backup: true})
				if err != nil {
					t.Error(err)
				}
				results <- w
			}()
		}
		a, b := <-results, <-results
		if a.Same == b.Same {
			t.Fatalf("run %d: want exactly one write, got %+v and %+v", i, a, b)
		}
		if got := names(t, dir); len(got) != 3 { // link, real, real.bak
			t.Fatalf("run %d: directory %v", i, got)
		}
	}
}

func TestRename(t *testing.T) {
	dir := t.TempDir()
	r := roots(t, dir)
	from, to := filepath.Join(dir, "x.metadata.yml"), filepath.Join(dir, "x.metadata.yaml")
	put(t, from, "a: 1\n")
	if err := os.Chmod(from, 0o640); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	old := snap(t, from)

	// Edited since it was read: left alone.
	put(t, from, "a: 2\n")
	if _, err := r.Rename(from, to, RenameOptions{Old: old}); !errors.Is(err, ErrChanged) {
		t.Fatalf("edited: err = %v, want ErrChanged", err)
	}
	if got := names(t, dir); strings.Join(got, " ") != "x.metadata.yml" {
		t.Fatalf("edited: files %v", got)
	}
	put(t, from, "a: 1\n")
	if err := os.Chmod(from, 0o640); err != nil {
		t.Fatal(err)
	}
	before, _ = os.Stat(from)
	old = snap(t, from)

	// The new name is taken: never replaced, whether it was there at the check or came
	// between the check and the link.
	put(t, to, "mine\n")
	if _, err := r.Rename(from, to, RenameOptions{Old: old}); !errors.Is(err, ErrExists) {
		t.Fatalf("taken: err = %v, want ErrExists", err)
	}
	if read(t, to) != "mine\n" || read(t, from) != "a: 1\n" {
		t.Fatal("taken: a file changed")
	}
	if err := os.Remove(to); err != nil {
		t.Fatal(err)
	}
	testHookBeforeLink = func() { put(t, to, "raced\n") }
	_, err = r.Rename(from, to, RenameOptions{Old: old})
	testHookBeforeLink = nil
	if !errors.Is(err, ErrExists) || read(t, to) != "raced\n" || read(t, from) != "a: 1\n" {
		t.Fatalf("raced: err = %v, files %v", err, names(t, dir))
	}
	if err := os.Remove(to); err != nil {
		t.Fatal(err)
	}

	// The rename: same file (inode, mode, bytes) under the new name, the old name gone,
	// nothing else left in the directory.
	w, err := r.Rename(from, to, RenameOptions{Old: old})
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(to)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || after.Mode().Perm() != 0o640 || read(t, to) != "a: 1\n" || filepath.Base(w.Path) != "x.metadata.yaml" {
		t.Errorf("renamed: same=%v mode=%v path=%s", os.SameFile(before, after), after.Mode().Perm(), w.Path)
	}
	if got := names(t, dir); strings.Join(got, " ") != "x.metadata.yaml" {
		t.Errorf("renamed: files %v", got)
	}
	// The snapshot still describes the file under its new name: a content write may follow.
	if _, err := r.WriteFile(to, []byte("a: '1'\n"), WriteOptions{Old: old}); err != nil {
		t.Errorf("write after rename: %v", err)
	}

	// Another directory, or a name outside the roots: refused.
	put(t, from, "b\n")
	if _, err := r.Rename(from, filepath.Join(dir, "sub", "x.metadata.yaml"), RenameOptions{Old: snap(t, from)}); err == nil {
		t.Error("rename into another directory: no error")
	}
	outside := filepath.Join(t.TempDir(), "y.metadata.yml")
	put(t, outside, "c\n")
	if _, err := r.Rename(outside, strings.TrimSuffix(outside, ".yml")+".yaml", RenameOptions{Old: snap(t, outside)}); !errors.Is(err, ErrOutsideRoots) {
		t.Errorf("outside the roots: err = %v", err)
	}
}

func TestRenameRefusesLinks(t *testing.T) {
	needUnix(t, "symbolic and hard links")
	dir := t.TempDir()
	r := roots(t, dir)
	real := filepath.Join(dir, "real.yaml")
	put(t, real, "a: 1\n")
	link := filepath.Join(dir, "x.metadata.yml")
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Rename(link, filepath.Join(dir, "x.metadata.yaml"), RenameOptions{Old: snap(t, link)}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("symlink: err = %v, want ErrNotRegular", err)
	}
	hard := filepath.Join(dir, "h.metadata.yml")
	if err := os.Link(real, hard); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Rename(hard, filepath.Join(dir, "h.metadata.yaml"), RenameOptions{Old: snap(t, hard)}); !errors.Is(err, ErrHardLinked) {
		t.Errorf("hard link: err = %v, want ErrHardLinked", err)
	}
	if got := names(t, dir); strings.Join(got, " ") != "h.metadata.yml real.yaml x.metadata.yml" {
		t.Errorf("files %v", got)
	}
}
