//go:build unix

package migrate

import (
	"os"
	"syscall"
	"testing"
)

func owner(t *testing.T, p string) (uid, gid int, mode os.FileMode) {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid), info.Mode().Perm()
}
