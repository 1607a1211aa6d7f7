package pyyaml

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// runPython runs script with input on stdin and returns its stdout.
func runPython(t *testing.T, script string, input []byte) []byte {
	t.Helper()
	cmd := exec.Command(testenv.Python(t, "yaml"), "-c", script)
	cmd.Stdin = bytes.NewReader(input)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return out
}
