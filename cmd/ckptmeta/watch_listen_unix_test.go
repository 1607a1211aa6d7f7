//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestWatchListenWithRealPrometheus: the real `ckptmeta watch --listen` process is scraped by a
// real Prometheus server. A checkpoint copied in gets its sidecar; Prometheus then returns, for
// every experiment and state, the counts `status` computes over the tree on disk, and one
// generated action; the live page lists the event. SIGTERM stops watcher and server: exit 0,
// the port closed.
func TestWatchListenWithRealPrometheus(t *testing.T) {
	dir := cleanTree(t)
	fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/missing-before.ckpt")
	addr := freeAddr(t)
	p := startWatch(t, dir, "--listen", addr, "outputs")
	p.waitLine(t, "msg=serving addr="+addr, 10*time.Second)
	p.waitLine(t, "msg=watching", 10*time.Second)
	if code, body := httpGet(t, "http://"+addr+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz after the scan: %d %q", code, body)
	}
	prom := testenv.Prometheus(t, addr)
	fixture(t, dir, "ckpt/best.ckpt", "outputs/run2/checkpoints/new.ckpt")
	p.waitLine(t, "msg=generated path=outputs/run2/checkpoints/new.ckpt", 10*time.Second)

	c, err := catalog.Status(context.Background(), []string{filepath.Join(dir, "outputs")}, catalog.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Total.Checkpoints != 3 || c.Total.Current != 3 {
		t.Fatalf("status of the tree after watch: %+v, want 3 current checkpoints", c.Total)
	}
	want := map[string]float64{}
	for _, e := range c.Experiments {
		for _, s := range catalog.States() {
			if s != catalog.StateOrphan {
				want[e.Name+"|"+string(s)] = float64(e.Get(s))
			}
		}
	}
	prom.WaitFor(t, "coverage of the tree", `ckptmeta_checkpoints{job="ckptmeta"}`, func(got []testenv.Series) string {
		seen := map[string]float64{}
		for _, s := range got {
			seen[s.Labels["experiment"]+"|"+s.Labels["state"]] = s.Value
		}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			return fmt.Sprintf("%v, want %v", seen, want)
		}
		return ""
	})
	generated := float64(strings.Count(p.stderr(), "msg=generated "))
	prom.WaitFor(t, "actions", `ckptmeta_watch_actions_total{action="generated"}`, func(got []testenv.Series) string {
		if len(got) != 1 || got[0].Value != generated {
			return fmt.Sprintf("%v, want %v (the log's generated records)", got, generated)
		}
		return ""
	})
	prom.WaitFor(t, "overall coverage", "ckptmeta_overall_coverage_ratio", func(got []testenv.Series) string {
		if len(got) != 1 || got[0].Value != 1 {
			return fmt.Sprint(got)
		}
		return ""
	})
	if code, page := httpGet(t, "http://"+addr+"/"); code != 200 || !strings.Contains(page, "<td>generated</td><td>outputs/run2/checkpoints/new.ckpt</td>") {
		t.Errorf("the live page (%d) does not list the generated checkpoint:\n%s", code, page)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t, 10*time.Second); code != 0 {
		t.Errorf("watch --listen exited %d after SIGTERM, want 0:\n%s", code, p.stderr())
	}
	if strings.Contains(p.stderr(), "serving stopped") {
		t.Errorf("the server did not stop cleanly:\n%s", p.stderr())
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the port still answers after watch exited")
	}
}

// TestWatchListenPortInUse: a --listen port that is taken is one line and exit 2, before any
// scan (nothing is generated).
func TestWatchListenPortInUse(t *testing.T) {
	dir := cleanTree(t)
	fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/other.ckpt")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	cmd := exec.Command(realBinary(t), "watch", "--listen", addr, "outputs")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 {
		t.Fatalf("exit %d (%v), want 2:\n%s", code, err, out)
	}
	if want := "ckptmeta: error: serve: listen on " + addr + ": address already in use\n"; string(out) != want {
		t.Errorf("stderr %q, want %q", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "outputs/exp/checkpoints/other.ckpt.metadata.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a sidecar was generated although watch could not listen (%v)", err)
	}
}
