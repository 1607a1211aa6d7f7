package resultcache

import (
	"io/fs"
	"syscall"
)

// sigOf is a file's stat signature on Windows: size, last-write time (100 ns) and creation
// time. os.Stat gives neither a change time nor a file index without opening the file, so an
// edit that keeps the size and sets the last-write time back is not seen: the gap git for
// Windows has too. A save by rename (a new file) changes the creation time.
func sigOf(info fs.FileInfo) sig {
	s := sig{size: info.Size(), mtime: info.ModTime().UnixNano()}
	if d, ok := info.Sys().(*syscall.Win32FileAttributeData); ok {
		s.ctime = d.CreationTime.Nanoseconds()
	}
	return s
}
