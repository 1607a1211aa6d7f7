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

// statPath is sigOf(os.Stat(path)) and whether path is a regular file (links followed),
// without the FileInfo os.Stat allocates (see stat_linux.go).
func statPath(path string) (s sig, regular bool, err error) {
	var st syscall.Stat_t
	for {
		err = syscall.Stat(path, &st)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return sig{}, false, err
	}
	return sig{size: st.Size, mtime: st.Mtimespec.Sec*1e9 + st.Mtimespec.Nsec, ctime: st.Ctimespec.Sec*1e9 + st.Ctimespec.Nsec,
			ino: st.Ino, dev: uint64(st.Dev)}, //nolint:unconvert // Dev is int32 on macOS
		st.Mode&syscall.S_IFMT == syscall.S_IFREG, nil
}
