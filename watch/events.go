package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ckptmeta/ckptmeta/internal/sidecar"
)

// LimitError is the system's limit on watches (Linux: fs.inotify.max_user_watches, or
// max_user_instances for the watcher itself) reached: the directory cannot be watched, so
// changes in it would go unseen.
type LimitError struct {
	Dir string // the directory that could not be watched; "" when the watcher itself could not start
	Err error
}

func (e *LimitError) Error() string {
	if e.Dir == "" {
		return fmt.Sprintf("watch: cannot start watching: the system's limit on watchers is reached: %v", e.Err)
	}
	return fmt.Sprintf("watch: cannot watch %s: the system's limit on watched directories is reached: %v", e.Dir, e.Err)
}

func (e *LimitError) Unwrap() error { return e.Err }

// Hint says how to raise the limit.
func (e *LimitError) Hint() string { return watchLimitHint }

// addWatch watches dir. It is called by the walk just before dir is listed, so a file created
// in it after the listing raises an event and one created before is listed.
func (w *watcher) addWatch(dir string) {
	dir = filepath.Clean(dir)
	w.mu.Lock()
	if w.watched[dir] {
		w.mu.Unlock()
		return
	}
	w.watched[dir] = true
	w.mu.Unlock()
	var err error
	if w.o.failWatch != nil {
		err = w.o.failWatch(dir)
	}
	if err == nil {
		err = w.fw.Add(dir)
	}
	if err == nil {
		return
	}
	w.mu.Lock()
	delete(w.watched, dir)
	w.mu.Unlock()
	if isWatchLimit(err) {
		le := &LimitError{Dir: dir, Err: err}
		w.mu.Lock()
		if w.limitErr == nil {
			w.limitErr = le
		}
		w.mu.Unlock()
		w.log.Error("cannot watch directory", "dir", dir, "err", le.Error(), "fix", watchLimitHint)
		return
	}
	if !errors.Is(err, os.ErrNotExist) {
		w.log.Error("cannot watch directory", "dir", dir, "err", err.Error())
	}
}

// startErr is the first watch-limit error met while starting.
func (w *watcher) startErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limitErr
}

func (w *watcher) watchedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.watched)
}

// collect turns file-system events into dirty paths until the watcher is closed. It never
// blocks on the handler: the queue is a set (bounded), and the handler is woken by a
// one-slot channel.
func (w *watcher) collect(ctx context.Context) {
	for {
		select {
		case ev, ok := <-w.fw.Events:
			if !ok {
				return
			}
			w.event(ctx, ev)
		case err, ok := <-w.fw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.log.Warn("event queue overflowed; rescanning", "err", err.Error())
				w.mu.Lock()
				w.q.overflow = true
				w.mu.Unlock()
				w.poke()
				continue
			}
			w.log.Error("watch error", "err", err.Error())
		}
	}
}

func (w *watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// event records one fsnotify event.
func (w *watcher) event(ctx context.Context, ev fsnotify.Event) {
	name := filepath.Clean(ev.Name)
	now := w.now()
	if w.accessEvent(name, ev, now) {
		return
	}
	if ev.Op == fsnotify.Chmod {
		return // attributes only: a touch never makes a sidecar stale
	}
	base := filepath.Base(name)
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		w.mu.Lock()
		wasDir := w.watched[name]
		if wasDir {
			prefix := name + string(filepath.Separator)
			for d := range w.watched {
				if d == name || strings.HasPrefix(d, prefix) {
					delete(w.watched, d)
					_ = w.fw.Remove(d) // the kernel dropped it already; this only tidies fsnotify's table
				}
			}
			w.q.touch(key(name), kindGone, now, 0)
		}
		w.mu.Unlock()
		if wasDir {
			w.poke()
			return
		}
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Stat(name); err == nil && fi.IsDir() {
			if k, _ := sidecar.Classify(base); k != sidecar.KindCheckpoint {
				w.newDir(ctx, name)
				return
			}
		}
	}
	if sidecar.IsTemp(base) {
		return
	}
	k, ok := sidecar.Classify(base)
	if !ok {
		return
	}
	w.enqueue(name, k, now)
	w.poke()
}

// accessEvent queues a path whose readability may have changed, and says whether that is all
// the event means: a change of permissions (Chmod: inotify's IN_ATTRIB) of a watched directory
// or of a path the walk could not read, and anything else that happens to such a path (it was
// removed, or replaced). The handler looks at it again (access); a Chmod of anything else is
// ignored, as before (a touch never makes a sidecar stale). Costs a map look-up per event.
func (w *watcher) accessEvent(name string, ev fsnotify.Event, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	unreadable := w.unreadable[key(name)]
	if !unreadable && (ev.Op != fsnotify.Chmod || !w.watched[name]) {
		return false
	}
	w.q.touch(key(name), kindAccess, now, w.quiet)
	w.poke()
	return ev.Op == fsnotify.Chmod || unreadable
}

// enqueue marks a checkpoint or sidecar path dirty as of now.
func (w *watcher) enqueue(p string, k sidecar.Kind, now time.Time) {
	qk := kindSidecar
	if k == sidecar.KindCheckpoint {
		qk = kindCheckpoint
	}
	w.mu.Lock()
	w.q.touch(key(p), qk, now, w.quiet)
	w.mu.Unlock()
}

// newDir watches a directory that appeared (a new run, a new checkpoints/) and everything
// under it, and queues the checkpoints and sidecars already in it: they may have been
// written before the watch was added.
func (w *watcher) newDir(ctx context.Context, dir string) {
	now := w.now()
	n := 0
	err := sidecar.WalkDirs(ctx, []string{dir}, w.o.Exclude, func(p string, k sidecar.Kind, err error) {
		if err != nil {
			var loop *sidecar.LoopError
			if !errors.As(err, &loop) {
				// A path it cannot read (a directory without permission): the handler adds it to
				// what the scan could not read.
				w.mu.Lock()
				w.q.touch(key(p), kindAccess, now, 0)
				if pe := w.q.m[key(p)]; pe != nil { // nil: the queue overflowed, a rescan will find it
					pe.err = err
				}
				w.mu.Unlock()
			}
			return
		}
		w.enqueue(p, k, now)
		n++
	}, w.addWatch)
	if err == nil {
		w.log.Debug("new directory", "dir", key(dir), "files", n)
	}
	w.poke()
}
