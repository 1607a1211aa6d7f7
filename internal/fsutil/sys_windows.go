//go:build windows

package fsutil

import (
	"io/fs"
	"os"
)

// stampOf has no file identity on Windows (os.SameFile's volume and index are private);
// a changed file is still caught by size, mtime and content.
func stampOf(info fs.FileInfo) stamp {
	return stamp{size: info.Size(), mtime: info.ModTime(), nlink: 1}
}

// syncDir is a no-op: Windows cannot flush a directory (FlushFileBuffers needs a handle
// opened for writing, and a directory cannot be opened so), and NTFS journals the rename.
func syncDir(*os.File) error { return nil }

// keepOwner: ownership is an ACL matter on Windows; a replaced file takes the directory's
// inherited ACL, as any editor's save does.
func keepOwner(*os.File, stamp) error { return nil }
