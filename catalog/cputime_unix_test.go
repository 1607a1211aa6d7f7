//go:build unix

package catalog

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. The benchmarks report it per operation as
// "cpu-ms/op" besides ns/op: on a shared machine wall time measures the neighbours too, while
// cpu-ms/op ÷ cores bounds the wall time on an idle machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
