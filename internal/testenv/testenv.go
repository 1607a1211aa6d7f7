// Package testenv finds the outside tools the tests compare ckptmeta with or run it against
// (Debian's python3 and its modules, headless Chromium, Prometheus). It is for tests only. When a tool is missing, the test skips with an
// install hint on a developer's machine and fails under CI (CI set), because .ci/run
// installs every tool: a skipped comparison must never pass for a done one there.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// Command returns the path of the outside program name: on PATH, else in /usr/bin or
// /usr/sbin. When it is missing the test skips with "apt-get install pkg" (fails under CI).
func Command(t testing.TB, name, pkg string) string {
	t.Helper()
	if exe, err := exec.LookPath(name); err == nil {
		return exe
	}
	for _, dir := range []string{"/usr/bin", "/usr/sbin"} {
		exe := filepath.Join(dir, name)
		if fi, err := os.Stat(exe); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return exe
		}
	}
	missing(t, name+" not found; apt-get install "+pkg)
	return ""
}

// Browser is headless Chromium with a profile of its own, for tests that render pages.
type Browser struct {
	exe  string
	args []string
}

// Chromium returns headless Chromium (Debian's chromium package), skipping or failing as
// Command does when it is missing.
func Chromium(t testing.TB) *Browser {
	t.Helper()
	exe := Command(t, "chromium", "chromium")
	return &Browser{exe: exe, args: []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + filepath.Join(t.TempDir(), "profile")}}
}

// DOM loads url (file:// or http://) and returns the DOM as Chromium built it. Extra
// switches go before the URL (--virtual-time-budget=MS lets timers and reloads run first).
func (b *Browser) DOM(ctx context.Context, url string, extra ...string) (string, error) {
	args := append(append(append([]string(nil), b.args...), extra...), "--dump-dom", url)
	out, err := exec.CommandContext(ctx, b.exe, args...).Output()
	if err != nil {
		return "", fmt.Errorf("chromium --dump-dom %s: %w", url, err)
	}
	return string(out), nil
}

// Screenshot loads url in a window of width × height pixels and saves it as the PNG file.
func (b *Browser) Screenshot(ctx context.Context, url, file string, width, height int) error {
	args := append(append([]string(nil), b.args...), "--screenshot="+file, fmt.Sprintf("--window-size=%d,%d", width, height), url)
	if out, err := exec.CommandContext(ctx, b.exe, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("chromium --screenshot %s: %w\n%s", url, err, out)
	}
	return nil
}

// CopyFile copies the file src to dst (mode 0644), creating dst's directory; any error
// fails the test. It is the one copy helper of the module's tests.
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
