package resultcache

import (
	"io/fs"
	"syscall"
)

// sigOf is a file's stat signature: size, mtime, ctime (which no user can set), device and
// inode (see stat_linux.go).
func sigOf(info fs.FileInfo) sig {
	s := sig{size: info.Size(), mtime: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		s.ctime = st.Ctimespec.Sec*1e9 + st.Ctimespec.Nsec
		s.ino, s.dev = st.Ino, uint64(st.Dev) //nolint:unconvert // Dev is int32 on macOS
	}
	return s
}
