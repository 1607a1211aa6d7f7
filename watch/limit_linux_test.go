package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
)

// When inotify_add_watch fails with ENOSPC (fs.inotify.max_user_watches reached) while
// starting, Run stops with a *LimitError naming the directory, whose hint is the sysctl fix.
// (The limit is the machine's: the test makes Add fail the way the kernel does rather than
// lower it for every process on the machine.)
func TestRunReportsWatchLimit(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outputs")
	if err := os.MkdirAll(filepath.Join(root, "run", "checkpoints"), 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	o := Options{failWatch: func(dir string) error {
		n++
		if n > 2 {
			return fmt.Errorf("inotify_add_watch %s: %w", dir, syscall.ENOSPC) // as fsnotify wraps it
		}
		return nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, []string{root}, o)
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("Run = %v, want a *LimitError", err)
	}
	if le.Dir != filepath.Join(root, "run", "checkpoints") || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("LimitError %+v", le)
	}
	if !strings.Contains(le.Hint(), "sysctl fs.inotify.max_user_watches=") {
		t.Errorf("hint %q does not give the fix", le.Hint())
	}
	if !strings.Contains(err.Error(), "cannot watch "+le.Dir) {
		t.Errorf("message %q", err.Error())
	}
}

// Reaching the limit later (a new run directory) is logged as an error with the fix, and
// the watcher goes on with what it watches.
func TestRunLogsWatchLimitLater(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outputs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	var started atomic.Bool
	var logged atomic.Int64
	fw := func(dir string) error {
		if started.Load() && dir != root {
			return fmt.Errorf("inotify_add_watch %s: %w", dir, syscall.ENOSPC)
		}
		return nil
	}
	obs := newChanObserver()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	o := Options{Observer: obs, Logger: slog.New(countingHandler{"cannot watch directory", &logged})}
	go func() { done <- Run(ctx, []string{root}, withAdd(o, fw)) }()
	obs.waitFor(t, "the start-up scan", 10*time.Second, func(_ []Event, c *catalog.Coverage) bool { return c != nil })
	started.Store(true)
	if err := os.MkdirAll(filepath.Join(root, "run2", "checkpoints"), 0o755); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for logged.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if logged.Load() == 0 {
		t.Error("the watch limit met on a new directory was not logged")
	}
	// Still running, and still handling what it watches.
	copyFile(t, "ckpt/best.ckpt", filepath.Join(root, "top.ckpt"))
	obs.waitFor(t, "a sidecar in a watched directory", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, filepath.ToSlash(filepath.Join(root, "top.ckpt")), ActionGenerated)
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func withAdd(o Options, fail func(string) error) Options {
	o.failWatch = fail
	return o
}
