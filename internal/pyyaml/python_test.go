package pyyaml

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// python returns Debian's python3 (or the one on PATH) when it can import yaml. Under CI
// (.ci/run installs python3-yaml) a missing interpreter or module fails the test; elsewhere
// the test skips with the install hint.
func python(t *testing.T) string {
	t.Helper()
	exe := "/usr/bin/python3"
	if _, err := os.Stat(exe); err != nil {
		if exe, err = exec.LookPath("python3"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("python3 not found; .ci/run installs python3-yaml")
			}
			t.Skip("python3 not found; install python3 and python3-yaml (PyYAML) to compare with PyYAML")
		}
	}
	if out, err := exec.Command(exe, "-c", "import yaml").CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 cannot import yaml (%s)", bytes.TrimSpace(out))
		}
		t.Skipf("python3 cannot import yaml (%s); install python3-yaml (Debian) or PyYAML", bytes.TrimSpace(out))
	}
	return exe
}

// runPython runs script with input on stdin and returns its stdout.
func runPython(t *testing.T, script string, input []byte) []byte {
	t.Helper()
	cmd := exec.Command(python(t), "-c", script)
	cmd.Stdin = bytes.NewReader(input)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return out
}
