//go:build unix

package sidecar

import (
	"errors"
	"io/fs"
	"syscall"
)

// identity is the directory's device and inode, so the walk enters each directory once.
func identity(_ string, info fs.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // Dev is int32 on some platforms
}

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
