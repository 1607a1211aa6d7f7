//go:build unix

package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// watchProc is a running `ckptmeta watch` (the real binary) whose stderr is collected.
type watchProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	line chan string // every stderr line, as it comes (never blocks the reader)
	done chan error
}

func startWatch(t *testing.T, dir string, args ...string) *watchProc {
	t.Helper()
	p := &watchProc{cmd: exec.Command(realBinary(t), append([]string{"watch"}, args...)...), line: make(chan string, 1<<16), done: make(chan error, 1)}
	p.cmd.Dir = dir
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.line <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, stderr)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
	})
	return p
}

// waitLine waits for a stderr line containing s.
func (p *watchProc) waitLine(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l := <-p.line:
			if strings.Contains(l, s) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q in watch's log within %v:\n%s", s, d, p.stderr())
		}
	}
}

func (p *watchProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// exit waits for the process and returns its exit code.
func (p *watchProc) exit(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		p.cmd.Process.Kill()
		t.Fatalf("watch did not exit within %v:\n%s", d, p.stderr())
	}
	return -1
}

// TestWatchSignalExitsZero: the daemon is stopped by SIGTERM or SIGINT, and that is its
// normal end: exit 0 (not 130 like the other commands), within a second, saying "stopped".
// Before the signal it must have done its job: a checkpoint copied in gets its sidecar.
func TestWatchSignalExitsZero(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := cleanTree(t)
			p := startWatch(t, dir)
			p.waitLine(t, "msg=watching", 10*time.Second)
			fixture(t, dir, "ckpt/best.ckpt", "outputs/run2/checkpoints/new.ckpt")
			p.waitLine(t, "msg=generated path=outputs/run2/checkpoints/new.ckpt", 10*time.Second)
			if _, err := os.Stat(filepath.Join(dir, "outputs/run2/checkpoints/new.ckpt.metadata.yaml")); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := p.exit(t, 5*time.Second); code != 0 {
				t.Errorf("watch exited %d after %v, want 0:\n%s", code, sig, p.stderr())
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("watch took %v to stop", d)
			}
			if !strings.Contains(p.stderr(), "msg=stopped") || strings.Contains(p.stderr(), "interrupted") {
				t.Errorf("stderr:\n%s", p.stderr())
			}
		})
	}
}
