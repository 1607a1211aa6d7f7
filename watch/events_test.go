package watch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ckptmeta/ckptmeta/catalog"
)

// chanObserver forwards what Run reports to the test, which runs on another goroutine.
type chanObserver struct {
	mu        sync.Mutex
	events    []Event
	coverages []*catalog.Coverage
	changed   chan struct{}
}

func newChanObserver() *chanObserver { return &chanObserver{changed: make(chan struct{}, 1)} }

func (o *chanObserver) Coverage(c *catalog.Coverage) {
	o.mu.Lock()
	o.coverages = append(o.coverages, c)
	o.mu.Unlock()
	o.poke()
}

func (o *chanObserver) Handled(e Event) {
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
	o.poke()
}

func (o *chanObserver) poke() {
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds of what was reported, for at most d.
func (o *chanObserver) waitFor(t *testing.T, what string, d time.Duration, cond func(events []Event, cov *catalog.Coverage) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		o.mu.Lock()
		var cov *catalog.Coverage
		if len(o.coverages) > 0 {
			cov = o.coverages[len(o.coverages)-1]
		}
		ok := cond(o.events, cov)
		o.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-o.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			o.mu.Lock()
			defer o.mu.Unlock()
			t.Fatalf("timed out waiting for %s; events so far:\n%v", what, o.events)
		}
	}
}

func (o *chanObserver) failures() []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	var f []Event
	for _, e := range o.events {
		if e.Action == ActionFailed {
			f = append(f, e)
		}
	}
	return f
}

func has(events []Event, path string, a Action) bool {
	for _, e := range events {
		if e.Path == path && e.Action == a {
			return true
		}
	}
	return false
}

func count(events []Event, path string, a Action) int {
	n := 0
	for _, e := range events {
		if e.Path == path && e.Action == a {
			n++
		}
	}
	return n
}

// startRun runs Run on root until the test ends, and waits for its start-up scan.
func startRun(t *testing.T, root string, o Options) *chanObserver {
	t.Helper()
	obs := newChanObserver()
	o.Observer = obs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{root}, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10 s of cancel")
		}
	})
	obs.waitFor(t, "the start-up scan", 10*time.Second, func(_ []Event, c *catalog.Coverage) bool { return c != nil })
	// The scan has published; the watches were added before it listed each directory.
	return obs
}

// TestRunFollowsEvents drives a running watcher through what training does to a tree: a
// new run directory, a checkpoint written in place slowly (its zip incomplete for a while),
// one renamed into place, one overwritten, a run directory moved in whole, a sidecar edited
// by hand, a run removed. Every checkpoint ends with a sidecar status calls current, and no
// read of a half-written file is reported as a failure.
func TestRunFollowsEvents(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "outputs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	obs := startRun(t, root, Options{Quiet: 50 * time.Millisecond, Logger: testLogger(t)})
	slash := func(p string) string { return filepath.ToSlash(p) }
	ckpts := filepath.Join(root, "run1", "checkpoints")

	// A new run: its directories appear, then a checkpoint written in place.
	copyFile(t, "ckpt/best.ckpt", filepath.Join(ckpts, "epoch=0-step=10.ckpt"))
	a := slash(filepath.Join(ckpts, "epoch=0-step=10.ckpt"))
	obs.waitFor(t, "a sidecar for a checkpoint in a new directory", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, a, ActionGenerated)
	})

	// A checkpoint written slowly: four chunks, 300 ms apart (longer than the debounce), so
	// the watcher looks while the zip has no end record yet.
	full, err := os.ReadFile(filepath.Join("..", "testdata", "ckpt", "lightning2.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	slow := filepath.Join(ckpts, "slow.ckpt")
	f, err := os.Create(slow)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		chunk := full[i*len(full)/4 : (i+1)*len(full)/4]
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "the slowly written checkpoint's sidecar", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, slash(slow), ActionGenerated)
	})

	// Renamed into place, as a careful writer does.
	tmp := filepath.Join(ckpts, "tmp-save.part")
	copyFile(t, "ckpt/best.ckpt", tmp)
	renamed := filepath.Join(ckpts, "last.ckpt")
	if err := os.Rename(tmp, renamed); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "the renamed checkpoint's sidecar", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, slash(renamed), ActionGenerated)
	})

	// Overwritten: last.ckpt gets new bytes; its sidecar is stale and rebuilt.
	copyFile(t, "ckpt/lightning2.ckpt", renamed)
	obs.waitFor(t, "the overwritten checkpoint's regeneration", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, slash(renamed), ActionRegenerated)
	})

	// A directory moved in whole: its files were there before any watch could be added.
	staging := filepath.Join(dir, "staging", "run2")
	copyFile(t, "ckpt/best.ckpt", filepath.Join(staging, "checkpoints", "x.ckpt"))
	copyFile(t, "ckpt/best.ckpt", filepath.Join(staging, "checkpoints", "deeper", "y.ckpt"))
	if err := os.Rename(staging, filepath.Join(root, "run2")); err != nil {
		t.Fatal(err)
	}
	x := slash(filepath.Join(root, "run2", "checkpoints", "x.ckpt"))
	y := slash(filepath.Join(root, "run2", "checkpoints", "deeper", "y.ckpt"))
	obs.waitFor(t, "the sidecars of a directory moved in", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, x, ActionGenerated) && has(ev, y, ActionGenerated)
	})
	// ... and that directory is watched now.
	copyFile(t, "ckpt/best.ckpt", filepath.Join(root, "run2", "checkpoints", "deeper", "z.ckpt"))
	z := slash(filepath.Join(root, "run2", "checkpoints", "deeper", "z.ckpt"))
	obs.waitFor(t, "a sidecar in the moved directory", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, z, ActionGenerated)
	})

	// A sidecar edited by hand is validated and its findings counted; our own writes are not
	// taken for edits.
	side := a + ".metadata.yaml"
	b, err := os.ReadFile(side)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(side, append(b, []byte("my_note: hello\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "the edited sidecar's validation", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		for _, e := range ev {
			if e.Path == side && e.Action == ActionValidated && e.Findings == 1 {
				return true
			}
		}
		return false
	})

	obs.waitFor(t, "coverage of 6 current checkpoints", 10*time.Second, func(_ []Event, c *catalog.Coverage) bool {
		return c != nil && c.Total.Checkpoints == 6 && c.Total.Current == 6
	})
	assertStatus(t, root, catalog.Counts{Checkpoints: 6, Current: 6})

	// A run removed: its checkpoints leave the coverage. The checkpoints go first: a sidecar
	// removed while its checkpoint is still there is regenerated at once (as documented), and
	// that write into a directory RemoveAll is emptying made it fail now and then under load
	// ("directory not empty").
	for _, c := range []string{x, y, z} {
		if err := os.Remove(filepath.FromSlash(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(root, "run2")); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "coverage without the removed run", 10*time.Second, func(_ []Event, c *catalog.Coverage) bool {
		return c != nil && c.Total.Checkpoints == 3 && c.Total.Current == 3
	})

	if f := obs.failures(); len(f) > 0 {
		t.Errorf("failures reported: %v", f)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	for _, e := range obs.events {
		if e.Action == ActionValidated && e.Path != side {
			t.Errorf("our own write was taken for an edit: %+v", e)
		}
	}
	if n := count(obs.events, slash(slow), ActionGenerated); n != 1 {
		t.Errorf("the slow checkpoint was generated %d times, want 1", n)
	}
}

// testLogger logs to the test's output, debug records included.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// More changed paths than MaxPending at once: the set stops growing, the watcher rescans,
// and nothing is lost.
func TestRunRescansPastMaxPending(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outputs")
	dir := filepath.Join(root, "run", "checkpoints")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var rescans atomic.Int64
	obs := startRun(t, root, Options{MaxPending: 5, Quiet: 200 * time.Millisecond, Logger: slog.New(countingHandler{"too many changes", &rescans})})
	for i := 0; i < 40; i++ {
		copyFile(t, "ckpt/best.ckpt", filepath.Join(dir, fmt.Sprintf("e%02d.ckpt", i)))
	}
	obs.waitFor(t, "40 current checkpoints", 30*time.Second, func(_ []Event, c *catalog.Coverage) bool {
		return c != nil && c.Total.Checkpoints == 40 && c.Total.Current == 40
	})
	assertStatus(t, root, catalog.Counts{Checkpoints: 40, Current: 40})
	if f := obs.failures(); len(f) > 0 {
		t.Errorf("failures: %v", f)
	}
	if rescans.Load() == 0 {
		t.Error("40 paths changed with MaxPending 5, and no rescan")
	}
}

// countingHandler counts the log records whose message starts with prefix.
type countingHandler struct {
	prefix string
	n      *atomic.Int64
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.prefix) {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// With Migrate, a sidecar written in an older version while watching is migrated; one
// removed is generated again (what the start-up scan would do after a restart).
func TestRunMigratesAndRestores(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outputs")
	dir := filepath.Join(root, "exp", "checkpoints")
	copyFile(t, "ckpt/best.ckpt", filepath.Join(dir, "seed.ckpt"))
	copyFile(t, "ckpt/best.ckpt", filepath.Join(dir, "keep.ckpt"))
	obs := startRun(t, root, Options{Migrate: true, Quiet: 50 * time.Millisecond})
	seed, keep := filepath.ToSlash(filepath.Join(dir, "seed.ckpt")), filepath.ToSlash(filepath.Join(dir, "keep.ckpt"))
	obs.waitFor(t, "the start-up scan's sidecars", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, seed, ActionGenerated) && has(ev, keep, ActionGenerated)
	})
	// A person writes an old 1.0 sidecar (from another run: misplaced too) over seed's.
	copyFile(t, "sidecars/valid/seed.ckpt.metadata.yaml", seed+".metadata.yaml")
	obs.waitFor(t, "the old sidecar migrated", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, seed, ActionMigrated)
	})
	if b, err := os.ReadFile(seed + ".metadata.yaml"); err != nil || !strings.Contains(string(b), "schema_version: '2.0'") {
		t.Errorf("after migration: %v\n%s", err, b)
	}
	// keep's sidecar is removed: it comes back.
	if err := os.Remove(keep + ".metadata.yaml"); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "the removed sidecar generated again", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return count(ev, keep, ActionGenerated) == 2
	})
	obs.waitFor(t, "2 current checkpoints", 10*time.Second, func(_ []Event, c *catalog.Coverage) bool {
		return c != nil && c.Total.Checkpoints == 2 && c.Total.Current == 2
	})
	if f := obs.failures(); len(f) > 0 {
		t.Errorf("failures: %v", f)
	}
}

// fsnotify's ErrEventOverflow (the kernel's queue overflowed: events were lost) makes the
// watcher rescan, which finds what the lost events were about.
func TestEventOverflowRescans(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outputs")
	dir := filepath.Join(root, "run", "checkpoints")
	copyFile(t, "ckpt/best.ckpt", filepath.Join(dir, "a.ckpt"))
	var rescans atomic.Int64
	w, err := newWatcher([]string{root}, Options{Logger: slog.New(countingHandler{"too many changes", &rescans})})
	if err != nil {
		t.Fatal(err)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	w.fw = fw
	ctx := context.Background()
	collected := make(chan struct{})
	go func() { w.collect(ctx); close(collected) }()
	if err := w.scan(ctx, w.addWatch); err != nil {
		t.Fatal(err)
	}
	w.handleDue(ctx)
	// A checkpoint whose events are lost: written, and the overflow reported instead.
	copyFile(t, "ckpt/best.ckpt", filepath.Join(dir, "lost.ckpt"))
	fw.Errors <- fsnotify.ErrEventOverflow
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		overflow := w.q.overflow
		if overflow {
			clear(w.q.m) // as if lost.ckpt's events never came; the overflow flag stays
		}
		w.mu.Unlock()
		if overflow {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ErrEventOverflow did not mark the queue overflowed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.handleDue(ctx) // rescans: lost.ckpt is found missing and queued as due now
	w.handleDue(ctx)
	fw.Close()
	<-collected
	c := w.coverage()
	if c.Total.Checkpoints != 2 || c.Total.Current != 2 {
		t.Fatalf("after the overflow: %+v", c.Total)
	}
	if rescans.Load() != 1 {
		t.Errorf("%d rescans after one overflow, want 1", rescans.Load())
	}
}
