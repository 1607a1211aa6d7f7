//go:build unix

package fsutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOwnerKept: as root, a replaced file keeps another user's uid and gid (and its mode).
func TestOwnerKept(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user; run the tests as root to cover this")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "x.metadata.yaml")
	put(t, p, "old\n")
	const uid, gid = 12345, 23456
	if err := os.Chown(p, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	r := roots(t, dir)
	w, err := r.WriteFile(p, []byte("new\n"), WriteOptions{Old: snap(t, p), Backup: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p, w.Backup} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		st := info.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid || info.Mode().Perm() != 0o640 {
			t.Errorf("%s: %d:%d %v, want %d:%d -rw-r-----", filepath.Base(f), st.Uid, st.Gid, info.Mode(), uid, gid)
		}
	}
}

func TestPendingNewFileModeAndSymlink(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	p := filepath.Join(dir, "new.prom")
	pf, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	pf.Write([]byte("x\n"))
	if err := pf.Commit(); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(p); info.Mode().Perm() != 0o640 {
		t.Errorf("new report mode %v, want 0666 less the umask 027", info.Mode())
	}
	link := filepath.Join(dir, "link.prom")
	if err := os.Symlink("new.prom", link); err != nil {
		t.Fatal(err)
	}
	pf, err = Create(link)
	if err != nil {
		t.Fatal(err)
	}
	pf.Write([]byte("through\n"))
	if err := pf.Commit(); err != nil {
		t.Fatal(err)
	}
	if li, _ := os.Lstat(link); li.Mode()&fs.ModeSymlink == 0 || read(t, p) != "through\n" {
		t.Errorf("symlinked --output: the link should stay and its file change")
	}
}
