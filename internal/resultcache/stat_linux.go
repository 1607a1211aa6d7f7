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
		s.ctime = int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec) //nolint:unconvert // int32 on 32-bit platforms
		s.ino, s.dev = uint64(st.Ino), uint64(st.Dev)          //nolint:unconvert // narrower on some platforms
	}
	return s
}

// statPath is sigOf(os.Stat(path)) and whether path is a regular file (links followed),
// without the FileInfo os.Stat allocates: a warm run stats every file once.
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
	//nolint:unconvert // the fields are narrower on some platforms
	return sig{size: int64(st.Size), mtime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), ctime: int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec),
			ino: uint64(st.Ino), dev: uint64(st.Dev)},
		st.Mode&syscall.S_IFMT == syscall.S_IFREG, nil
}
