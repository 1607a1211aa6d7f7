//go:build !unix

package validate

import "errors"

// mkfifo: there are no FIFOs in the file system here; tests that need one skip that part.
func mkfifo(string) error { return errors.ErrUnsupported }
