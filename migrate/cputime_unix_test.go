//go:build unix

package migrate

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used so far: user, and user + system.
func processCPU() (user, total time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
