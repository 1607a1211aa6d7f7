// Package testenv finds the outside tools the tests compare ckptmeta with (Debian's python3
// and its modules). It is for tests only. When a tool is missing, the test skips with an
// install hint on a developer's machine and fails under CI (CI set), because .ci/run
// installs every tool: a skipped comparison must never pass for a done one there.
package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python returns Debian's /usr/bin/python3 (else the python3 on PATH) when it can import
// every module (yaml, torch, pydantic, omegaconf, …; Debian ships each as python3-NAME).
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	pkgs := make([]string, len(modules))
	for i, m := range modules {
		pkgs[i] = "python3-" + m
	}
	hint := "apt-get install python3 " + strings.Join(pkgs, " ")
	exe := "/usr/bin/python3"
	if _, err := os.Stat(exe); err != nil {
		if exe, err = exec.LookPath("python3"); err != nil {
			missing(t, "python3 not found; "+hint)
		}
	}
	if len(modules) > 0 {
		if out, err := exec.Command(exe, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput(); err != nil {
			missing(t, exe+" cannot import "+strings.Join(modules, ", ")+" ("+string(bytes.TrimSpace(out))+"); "+hint)
		}
	}
	return exe
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (.ci/run installs it)")
	}
	t.Skip(msg)
}
