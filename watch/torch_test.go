//go:build unix

package watch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// writer is one torch_writer.py run (see its doc): a training run saving checkpoints.
type writer struct {
	run    string  // run directory under the outputs root
	mode   string  // inplace or rename
	epochs int     //
	mb     float64 // tensor size
	pause  float64 // seconds between epochs
}

// startWriters starts the writers at once (each its own process, as parallel training jobs
// are) and returns a function that waits for them all.
func startWriters(t testing.TB, py, root, manifestDir string, ws []writer) func() {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "torch_writer.py"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	for _, w := range ws {
		c := exec.Command(py, script, filepath.Join(root, w.run), w.mode, fmt.Sprint(w.epochs), fmt.Sprint(w.mb),
			fmt.Sprint(w.pause), filepath.Join(manifestDir, w.run+".manifest"))
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	return func() {
		t.Helper()
		for _, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatalf("%v: %v", c.Args, err)
			}
		}
	}
}

// manifests reads what the writers completed: for each checkpoint path (slash-separated),
// the data.pkl sha256 of every complete version, in order.
func manifests(t testing.TB, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.manifest"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			path, sha, ok := strings.Cut(line, " ")
			if ok {
				out[filepath.ToSlash(path)] = append(out[filepath.ToSlash(path)], sha)
			}
		}
	}
	return out
}

var shaLine = regexp.MustCompile(`(?m)^\s*data_pkl_sha256: ([0-9a-f]{64})$`)

// recordedSHA is the data_pkl_sha256 a sidecar records.
func recordedSHA(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	m := shaLine.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s records no data_pkl_sha256", path)
	}
	return string(m[1]), nil
}

// shaObserver checks, the moment each sidecar is written, which checkpoint version it
// describes: the sidecar records the data.pkl sha256 of the bytes generate read.
type shaObserver struct {
	*chanObserver
	mu      sync.Mutex
	written map[string][]string // checkpoint → the sha256 each of its sidecars recorded when written
	errs    []string
}

func (o *shaObserver) Handled(e Event) {
	if e.Action == ActionGenerated || e.Action == ActionRegenerated {
		sha, err := recordedSHA(e.Path + ".metadata.yaml")
		o.mu.Lock()
		if err != nil {
			o.errs = append(o.errs, err.Error())
		} else {
			o.written[e.Path] = append(o.written[e.Path], sha)
		}
		o.mu.Unlock()
	}
	o.chanObserver.Handled(e)
}

// TestTorchWriters: three training runs save checkpoints with the real torch.save while
// Run watches: one in place (the final name, written sequentially, central directory last),
// one by rename, one with 16 MB saves overwriting last.ckpt back to back; their run and
// checkpoints/ directories appear while watching. Afterwards every checkpoint has a valid,
// current sidecar (catalog.Status, the validator's verdict with the fingerprint compared),
// and no sidecar was ever made from a half-written file: each one, read the moment it was
// written, records the data.pkl sha256 of a version the writer had completed; no read of an
// incomplete file was reported as a failure.
func TestTorchWriters(t *testing.T) {
	py := testenv.Python(t, "torch")
	dir := t.TempDir()
	root := filepath.Join(dir, "outputs")
	manifestDir := filepath.Join(dir, "manifests")
	for _, d := range []string{root, manifestDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	obs := &shaObserver{chanObserver: newChanObserver(), written: map[string][]string{}}
	var incomplete atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{root}, Options{Observer: obs, Logger: slog.New(countingHandler{"checkpoint incomplete", &incomplete})})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	obs.waitFor(t, "the start-up scan", 10*time.Second, func(_ []Event, c *catalog.Coverage) bool { return c != nil })

	ws := []writer{
		{run: "run_inplace", mode: "inplace", epochs: 6, mb: 4, pause: 0.05},
		{run: "run_rename", mode: "rename", epochs: 6, mb: 4, pause: 0.05},
		{run: "run_big", mode: "inplace", epochs: 4, mb: 16, pause: 0},
	}
	wait := startWriters(t, py, root, manifestDir, ws)
	wait()
	want := 0
	for _, w := range ws {
		want += w.epochs + 1 // epoch=E-step=S.ckpt each epoch, and last.ckpt
	}
	obs.waitFor(t, fmt.Sprintf("coverage of %d current checkpoints", want), 60*time.Second, func(_ []Event, c *catalog.Coverage) bool {
		return c != nil && c.Total.Checkpoints == want && c.Total.Current == want
	})
	assertStatus(t, root, catalog.Counts{Checkpoints: want, Current: want})

	if f := obs.failures(); len(f) > 0 {
		t.Errorf("failures reported: %v", f)
	}
	man := manifests(t, manifestDir)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.errs) > 0 {
		t.Errorf("sidecars unreadable when written: %v", obs.errs)
	}
	for ckpt, shas := range obs.written {
		for _, sha := range shas {
			if !contains(man[ckpt], sha) {
				t.Errorf("%s: a sidecar recorded data.pkl %s, which no completed save of it had (%v): made from a half-written file", ckpt, sha, man[ckpt])
			}
		}
	}
	for ckpt, versions := range man {
		sha, err := recordedSHA(ckpt + ".metadata.yaml")
		if err != nil {
			t.Error(err)
			continue
		}
		if final := versions[len(versions)-1]; sha != final {
			t.Errorf("%s: the sidecar records %s, the final checkpoint is %s", ckpt, sha, final)
		}
	}
	regen := 0
	for _, e := range obs.events {
		if e.Action == ActionRegenerated {
			regen++
		}
	}
	t.Logf("%d checkpoints, %d saves; %d sidecars written (%d regenerations of last.ckpt); incomplete files met and retried %d times",
		want, countVersions(man), len(obs.events), regen, incomplete.Load())
	if regen == 0 {
		t.Error("last.ckpt was overwritten after its first sidecar, yet never regenerated")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func countVersions(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}
