//go:build !linux && !darwin

package fsutil

import (
	"io"
	"io/fs"
	"os"
)

// readFile goes through os.File where the raw Linux/macOS path is not written; openNonblock
// still keeps a Unix FIFO from blocking the open.
func readFile(name string, max int64) ([]byte, stamp, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, stamp{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, stamp{}, err
	}
	if !info.Mode().IsRegular() {
		return nil, stamp{}, &fs.PathError{Op: "read", Path: name, Err: ErrNotRegular}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, stamp{}, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, stampOf(info), nil
}
