//go:build linux || darwin

package fsutil

import (
	"io/fs"
	"syscall"
)

// readFile uses raw system calls: O_NONBLOCK keeps a FIFO from blocking the open, and
// os.File would then try to register the descriptor with the network poller on every file.
// The size from fstat lets one read usually do.
func readFile(name string, max int64) ([]byte, stamp, error) {
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, stamp{}, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, stamp{}, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, stamp{}, &fs.PathError{Op: "read", Path: name, Err: ErrNotRegular}
	}
	limit := max + 1
	buf := make([]byte, 0, min(st.Size+1, limit))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // the file grew since fstat
		}
		n, err := syscall.Read(fd, buf[len(buf):min(int64(cap(buf)), limit)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, stamp{}, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf, stampOfStat(&st, mtimeOf(&st)), nil
}
