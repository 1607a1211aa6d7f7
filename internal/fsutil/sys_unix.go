//go:build unix

package fsutil

import (
	"io/fs"
	"os"
	"syscall"
	"time"
)

// openNonblock keeps an open of a FIFO from blocking until a writer appears.
const openNonblock = syscall.O_NONBLOCK

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
