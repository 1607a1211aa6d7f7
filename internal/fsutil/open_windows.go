//go:build windows

package fsutil

import "os"

// openReadNonblock is zero: a Windows open never waits for the other end of a pipe.
const openReadNonblock = 0

func clearNonblock(*os.File) error { return nil }
