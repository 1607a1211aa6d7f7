//go:build unix

package fsutil

import (
	"io/fs"
	"os"
	"syscall"
	"time"
)

func stampOf(info fs.FileInfo) stamp {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp{size: info.Size(), mtime: info.ModTime()}
	}
	return stampOfStat(st, info.ModTime())
}

func stampOfStat(st *syscall.Stat_t, mtime time.Time) stamp {
	return stamp{
		size: st.Size, mtime: mtime,
		dev: uint64(st.Dev), ino: uint64(st.Ino), hasID: true, //nolint:unconvert // Dev is int32 on macOS
		nlink: uint64(st.Nlink), //nolint:unconvert // uint16 on macOS
		uid:   int(st.Uid), gid: int(st.Gid), owned: true,
	}
}

// syncDir makes the renames done in dir durable.
func syncDir(dir *os.File) error { return dir.Sync() }

// keepOwner gives f the uid and gid of owner when they differ from f's. Only root may give
// a file away: for anyone else a failure is not an error (the new file is theirs, as an
// editor's save would make it); for root it is.
func keepOwner(f *os.File, owner stamp) error {
	if !owner.owned {
		return nil
	}
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if st := stampOf(info); st.uid == owner.uid && st.gid == owner.gid {
		return nil
	}
	if err := f.Chown(owner.uid, owner.gid); err != nil && os.Geteuid() == 0 {
		return err
	}
	return nil
}
