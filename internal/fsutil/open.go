package fsutil

import (
	"io/fs"
	"os"
)

// OpenRegular opens name for reading the way the safe reader does, for callers that read
// part of a large file themselves (checkpoints: the zip directory and data.pkl, never the
// tensors): the open never blocks (a FIFO named X.ckpt does not wait for a writer), and
// anything that is not a regular file — FIFO, device, socket, directory — is closed again
// and refused with a *fs.PathError wrapping [ErrNotRegular]. The FileInfo is the open
// file's own (fstat), not a second look-up of the name.
func OpenRegular(name string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|openReadNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	if err := clearNonblock(f); err != nil {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, info, nil
}
