package resultcache

import (
	"io/fs"
	"syscall"
)

// sigOf is a file's stat signature: size, mtime, ctime (which no user can set: a `touch -d`
// or an rsync that restores an old mtime still moves it), device and inode (an editor's
// save-by-rename makes a new inode).
func sigOf(info fs.FileInfo) sig {
	s := sig{size: info.Size(), mtime: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		s.ctime = st.Ctim.Sec*1e9 + st.Ctim.Nsec
		s.ino, s.dev = st.Ino, st.Dev
	}
	return s
}
