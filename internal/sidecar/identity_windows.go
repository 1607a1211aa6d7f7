//go:build windows

package sidecar

import (
	"errors"
	"io/fs"
	"syscall"
)

// identity is the volume serial number and file index of the directory (what os.SameFile
// compares), so the walk enters each directory once even through junctions and links.
func identity(path string, _ fs.FileInfo) (fileID, bool) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return fileID{}, false
	}
	// FILE_FLAG_BACKUP_SEMANTICS is what lets CreateFile open a directory.
	h, err := syscall.CreateFile(p, 0, syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|syscall.FILE_SHARE_DELETE,
		nil, syscall.OPEN_EXISTING, syscall.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return fileID{}, false
	}
	defer syscall.CloseHandle(h)
	var d syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(h, &d); err != nil {
		return fileID{}, false
	}
	return fileID{uint64(d.VolumeSerialNumber), uint64(d.FileIndexHigh)<<32 | uint64(d.FileIndexLow)}, true
}

// isLoop: Windows reports a link cycle as ERROR_CANT_RESOLVE_FILENAME (1921).
func isLoop(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == 1921
}
