//go:build !unix

package migrate

import "time"

// processCPU is not measured here: the benchmark reports 0 CPU.
func processCPU() (user, total time.Duration) { return 0, 0 }
