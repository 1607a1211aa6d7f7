//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
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

// TestWatchKill9LosesNothing: two training runs save checkpoints with the real torch.save
// (watch/testdata/torch_writer.py) while `ckptmeta watch` runs; it is killed with SIGKILL in
// the middle of the burst (after its first sidecars, while saves go on), and started again
// while the writers still write. When they are done, every checkpoint has a valid, current
// sidecar recording the final checkpoint's data.pkl, and no temp file of an interrupted
// write is left in a directory the restarted watch wrote to.
func TestWatchKill9LosesNothing(t *testing.T) {
	py := testenv.Python(t, "torch")
	dir := t.TempDir()
	root := filepath.Join(dir, "outputs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../watch/testdata/torch_writer.py")
	if err != nil {
		t.Fatal(err)
	}
	first := startWatch(t, dir, "outputs")
	first.waitLine(t, "msg=watching", 10*time.Second)
	var writers []*exec.Cmd
	for _, w := range []struct{ run, mode string }{{"run_a", "inplace"}, {"run_b", "rename"}} {
		c := exec.Command(py, script, filepath.Join(root, w.run), w.mode, "10", "2", "0.15", filepath.Join(dir, w.run+".manifest"))
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		writers = append(writers, c)
	}
	first.waitLine(t, "msg=generated", 60*time.Second)
	first.waitLine(t, "msg=generated", 30*time.Second)
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.exit(t, 5*time.Second)
	time.Sleep(300 * time.Millisecond) // saves go on with nobody watching
	second := startWatch(t, dir, "outputs")
	for _, c := range writers {
		if err := c.Wait(); err != nil {
			t.Fatalf("%v: %v", c.Args, err)
		}
	}
	want := 2 * 11 // ten epoch=E-step=S.ckpt and last.ckpt per run
	deadline := time.Now().Add(60 * time.Second)
	for {
		cov, err := catalog.Status(context.Background(), []string{root}, catalog.StatusOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cov.Total.Checkpoints == want && cov.Total.Current == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart: %+v, want %d current\nfirst watch:\n%s\nsecond watch:\n%s", cov.Total, want, first.stderr(), second.stderr())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := second.exit(t, 5*time.Second); code != 0 {
		t.Errorf("the restarted watch exited %d on SIGTERM", code)
	}
	if strings.Contains(second.stderr(), "level=ERROR") {
		t.Errorf("the restarted watch logged errors:\n%s", second.stderr())
	}
	// Each sidecar records the final save of its checkpoint.
	for _, run := range []string{"run_a", "run_b"} {
		b, err := os.ReadFile(filepath.Join(dir, run+".manifest"))
		if err != nil {
			t.Fatal(err)
		}
		final := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			p, sha, _ := strings.Cut(line, " ")
			final[p] = sha
		}
		for p, sha := range final {
			side, err := os.ReadFile(p + ".metadata.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(side), "data_pkl_sha256: "+sha+"\n") {
				t.Errorf("%s: the sidecar does not record the final save (%s)", p, sha)
			}
		}
		entries, err := os.ReadDir(filepath.Join(root, run, "checkpoints"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if sidecar.IsTemp(e.Name()) {
				t.Errorf("%s/%s: a temp file of an interrupted write is left", run, e.Name())
			}
		}
	}
	t.Logf("killed after the first sidecars; the restart's log:\n%s", second.stderr())
}
