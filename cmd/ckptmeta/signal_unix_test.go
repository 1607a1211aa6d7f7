//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/sidecar"
)

// bigTree is outputs/ with n checkpoints (hard links to one real torch.save), 50 to a
// directory, each with the 1.1 sidecar ckptmeta generated for it, so every command has
// seconds of work.
func bigTree(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/best.ckpt")
	if code, out := ckptmeta(t, dir, "generate", "--schema-version", "1.1", "outputs"); code != 0 {
		t.Fatalf("setup: generate exited %d:\n%s", code, out)
	}
	src := filepath.Join(dir, "outputs/exp/checkpoints/best.ckpt")
	side, err := os.ReadFile(src + ".metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		d := filepath.Join(dir, "outputs", fmt.Sprintf("run%03d", i/50), "checkpoints")
		if i%50 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		name := filepath.Join(d, fmt.Sprintf("e%05d.ckpt", i))
		if err := os.Link(src, name); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name+".metadata.yaml", side, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSignalStopsWithinASecond sends SIGTERM (and SIGINT) to real running processes over a big
// tree: each must exit within a second with exit code 130 and say it was interrupted.
// migrate really writes: every sidecar must afterwards be whole (its old bytes or a complete
// new file) and no temp file may be left.
func TestSignalStopsWithinASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a tree of 12,000 runs")
	}
	const n = 8000
	dir := bigTree(t, n)
	original, err := os.ReadFile(filepath.Join(dir, "outputs/run000/checkpoints/e00000.ckpt.metadata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// --no-cache: a run over a tree an earlier case already judged finishes from the results
	// cache in a few hundred milliseconds, before the signal; this test is about stopping work.
	cases := []struct {
		args      []string
		sig       syscall.Signal
		streaming bool // prints as it goes: signalled only once it has printed (is mid-run)
	}{
		{[]string{"validate", "--no-cache", "outputs"}, syscall.SIGTERM, true},
		{[]string{"validate", "--no-cache", "-o", "sarif", "outputs"}, syscall.SIGINT, false},
		{[]string{"migrate", "--check", "--no-cache", "outputs"}, syscall.SIGTERM, true},
		{[]string{"generate", "--dry-run", "--force", "outputs"}, syscall.SIGTERM, true},
		{[]string{"status", "--no-cache", "outputs"}, syscall.SIGTERM, false},
		{[]string{"list", "--no-cache", "outputs"}, syscall.SIGINT, false},
		{[]string{"watch", "--once", "outputs"}, syscall.SIGTERM, false}, // the daemon's 0 is TestWatchSignalExitsZero
		{[]string{"migrate", "outputs"}, syscall.SIGTERM, true},          // last: it changes the tree
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, "_")+"_"+c.sig.String(), func(t *testing.T) {
			cmd := exec.Command("ckptmeta", c.args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "NO_COLOR=1", "GITHUB_STEP_SUMMARY=")
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Fatalf("finished before the signal (%v): make the tree bigger\n%s", err, stderr.String())
			case <-time.After(400 * time.Millisecond):
			}
			for deadline := time.Now().Add(20 * time.Second); c.streaming && stdout.Len() == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			sent := time.Now()
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			var waitErr error
			select {
			case waitErr = <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 5 s after %v", c.sig)
			}
			took := time.Since(sent)
			code := 0
			var ee *exec.ExitError
			if errors.As(waitErr, &ee) {
				code = ee.ExitCode()
			}
			t.Logf("%v: exit %d after %v", c.sig, code, took.Round(time.Millisecond))
			if code != exitInterrupted {
				t.Errorf("exit %d after %v, want %d\nstderr:\n%s", code, c.sig, exitInterrupted, tail(stderr.String()))
			}
			if took > time.Second {
				t.Errorf("took %v to stop after %v, want under a second", took, c.sig)
			}
			if !strings.Contains(stderr.String(), "ckptmeta: interrupted: ") {
				t.Errorf("stderr does not say the run was interrupted:\n%s", tail(stderr.String()))
			}
		})
	}

	// After the interrupted migrate: no temp file, and every sidecar whole.
	var temps []string
	changed := 0
	filepath.WalkDir(filepath.Join(dir, "outputs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if sidecar.IsTemp(d.Name()) {
			temps = append(temps, p)
		}
		if strings.HasSuffix(p, ".metadata.yaml") {
			if b, _ := os.ReadFile(p); !bytes.Equal(b, original) {
				changed++
			}
		}
		return nil
	})
	if len(temps) > 0 {
		t.Errorf("temp files left by the interrupted migrate: %v", temps[:min(len(temps), 5)])
	}
	t.Logf("migrate changed %d of %d sidecars before the signal", changed, n+1)
	if changed == 0 || changed > n {
		t.Errorf("migrate changed %d of %d sidecars: the signal did not land mid-run", changed, n+1)
	}
	// Whole files: validate parses every one of them (no YAML error of any kind).
	code, out := ckptmeta(t, dir, "validate", "-o", "json", "--no-stale", "outputs")
	var rep struct {
		Results []struct {
			Path     string `json:"path"`
			Findings []struct {
				Rule string `json:"rule"`
			} `json:"findings"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("validate -o json (exit %d): %v\n%s", code, err, tail(out))
	}
	if len(rep.Results) != n+1 {
		t.Errorf("validate saw %d files, want %d", len(rep.Results), n+1)
	}
	for _, f := range rep.Results {
		for _, fd := range f.Findings {
			if strings.HasPrefix(fd.Rule, "yaml/") || fd.Rule == "file/unreadable" {
				t.Errorf("%s: %s after the interrupted migrate: a half-written file", f.Path, fd.Rule)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer the test may read while the process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return strings.Join(lines, "\n")
}
