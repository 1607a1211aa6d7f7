package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
	o := Options{addWatch: func(dir string) error {
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
