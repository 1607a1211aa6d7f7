//go:build !linux && !darwin

package fsutil

import (
	"io"
	"io/fs"
)

// readFile goes through [OpenRegular] where the raw Linux/macOS path is not written.
func readFile(name string, max int64) ([]byte, stamp, error) {
	f, info, err := OpenRegular(name)
	if err != nil {
		return nil, stamp{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, stamp{}, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, stampOf(info), nil
}
