//go:build unix

package fsutil

import (
	"os"
	"syscall"
)

// openReadNonblock keeps the open of a FIFO from waiting for a writer.
const openReadNonblock = syscall.O_NONBLOCK

// clearNonblock puts a regular file back in blocking mode. Reads of regular files never
// return EAGAIN, so this is hygiene for callers that hand the descriptor on (a child
// process, a dup), not a correctness fix.
func clearNonblock(f *os.File) error {
	return syscall.SetNonblock(int(f.Fd()), false)
}
