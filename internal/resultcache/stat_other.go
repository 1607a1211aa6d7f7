//go:build !linux && !darwin && !windows

package resultcache

import "io/fs"

// sigOf is size and mtime where no portable change time is known to this package.
func sigOf(info fs.FileInfo) sig {
	return sig{size: info.Size(), mtime: info.ModTime().UnixNano()}
}
