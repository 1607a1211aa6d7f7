//go:build !linux && !darwin

package resultcache

import "os"

// statPath is sigOf(os.Stat(path)) and whether path is a regular file (links followed).
func statPath(path string) (s sig, regular bool, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return sig{}, false, err
	}
	return sigOf(info), info.Mode().IsRegular(), nil
}
