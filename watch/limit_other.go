//go:build !linux

package watch

import (
	"errors"
	"syscall"
)

// isWatchLimit recognises running out of file descriptors: kqueue (macOS, BSD) holds one
// per watched directory and file.
func isWatchLimit(err error) bool { return errors.Is(err, syscall.EMFILE) }

const watchLimitHint = "raise the open-file limit (ulimit -n), or watch fewer directories; kqueue holds one descriptor per watched directory and file"
