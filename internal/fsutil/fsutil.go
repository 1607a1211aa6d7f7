// Package fsutil is ckptmeta's file system boundary: the safe reader every sidecar read goes
// through and the one atomic writer every sidecar, backup and report write goes through.
//
// Reading ([ReadFile], [ReadSnapshot], [OpenRegular]) never blocks: only regular files are
// read (a FIFO or a device is refused with [ErrNotRegular] before a read could hang), and
// ReadFile reads at most max+1 bytes.
//
// Writing ([Roots.WriteFile], [Roots.Remove]; [Create] for report files) puts the data in a
// temp file beside the target ("." + name + decimal digits, so a later run can recognise and
// remove what a killed one left: [Roots.RemoveTemps]), makes that file durable on its own
// (fsync), renames it over the target and then makes the rename durable (fsync of the
// directory, shared by the writers in flight in that directory). A crash leaves the target
// old or new, never partial, and nothing flushes the rest of the machine's dirty pages
// (sync(2) would: on a training host writing multi-GB checkpoints that is the whole cost).
// [Roots] keeps every write inside the paths a command was given (symlinks leading out are
// refused with [ErrOutsideRoots], directories are opened through os.Root), replaces a file
// only while it still holds what the caller read ([ErrChanged]), keeps the replaced bytes
// in a never-overwritten backup chain (X.bak, X.bak.1, …) when asked, keeps mode and owner,
// and refuses files with other hard links ([ErrHardLinked]). [Roots.Rename] renames a file
// within its directory without ever replacing one ([ErrExists]): link, unlink, fsync of the
// directory.
//
// Platform notes: on Linux and macOS the reader uses raw non-blocking system calls; elsewhere
// it goes through os.File. Go's (*os.File).Sync is F_FULLFSYNC on macOS, so the data reaches
// the medium, not just the drive's cache. Windows has no fsync for a directory (a directory
// handle cannot be opened for writing, which FlushFileBuffers needs); NTFS journals the rename
// itself, so the directory step is a no-op there.
package fsutil

import (
	"errors"
	"time"
)

// ErrNotRegular is returned for a path that is not a regular file (a FIFO, a device): reading
// it could block forever.
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads a sidecar (or any small file the tools read beside one) without ever
// blocking: it refuses what is not a regular file, FIFOs included, and reads at most max+1
// bytes, so the caller can tell a file is larger than max. Errors are *fs.PathError.
func ReadFile(name string, max int64) ([]byte, error) {
	data, _, err := readFile(name, max)
	return data, err
}

// stamp is what identifies a file's state cheaply: a write changes at least one of these
// (the mtime only at the file system's clock granularity; see [Snapshot]).
type stamp struct {
	size  int64
	mtime time.Time
	dev   uint64
	ino   uint64
	hasID bool // dev and ino are known (not on Windows)
	nlink uint64
	uid   int
	gid   int
	owned bool // uid and gid are known (Unix)
}

func (s stamp) same(o stamp) bool {
	return s.size == o.size && s.mtime.Equal(o.mtime) && s.hasID == o.hasID && s.dev == o.dev && s.ino == o.ino
}
