//go:build !unix

package catalog

import "time"

// cpuTime is not measured here (no getrusage): the benchmarks' cpu-ms/op reads 0.
func cpuTime() time.Duration { return 0 }
