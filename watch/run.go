package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/ckptmeta/ckptmeta/internal/fsutil"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/migrate"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// Once scans paths (generate.DefaultPath when empty) as `ckptmeta status` does, generates
// the missing sidecars, regenerates the stale ones (and, with Options.Migrate, migrates
// the outdated, legacy and broken ones), waits for checkpoints still being written (up to
// Options.Settle unchanged), and returns what it did and the coverage afterwards. Per-file
// trouble is counted in Summary.Failed; the error is ctx's when it is done (the files in hand
// are finished first).
func Once(ctx context.Context, paths []string, o Options) (*Summary, error) {
	sum := &Summary{}
	w, err := newWatcher(paths, o)
	if err != nil {
		return sum, err
	}
	w.sum = sum
	if err := w.scan(ctx, nil); err != nil {
		return sum, err
	}
	for ctx.Err() == nil {
		w.mu.Lock()
		next, ok := w.q.next()
		w.mu.Unlock()
		if !ok {
			break
		}
		if d := next.Sub(w.now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		w.handleDue(ctx)
	}
	sum.Coverage = w.coverage()
	w.publish(true)
	return sum, ctx.Err()
}

// Run watches paths (generate.DefaultPath when empty) until ctx is done: one full scan that
// fixes what it finds (as Once does), then file-system events. It returns nil when ctx is
// done (the file in hand finished), and an error only when watching cannot start: a
// *LimitError when the system's watch limit is reached (its Hint says how to raise it),
// or the watcher's own error.
func Run(ctx context.Context, paths []string, o Options) error {
	w, err := newWatcher(paths, o)
	if err != nil {
		return err
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		if isWatchLimit(err) {
			return &LimitError{Err: err}
		}
		return fmt.Errorf("watch: %w", err)
	}
	defer fw.Close()
	w.fw = fw
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		w.collect(ctx)
	}()
	defer func() { <-collected }()
	defer fw.Close() // ends collect
	if err := w.scan(ctx, w.addWatch); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if err := w.startErr(); err != nil {
		return err
	}
	for _, p := range w.paths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			w.log.Warn("not a directory: scanned, not watched (name its directory to follow it)", "path", p)
		}
	}
	w.log.Info("watching", "paths", w.paths, "directories", w.watchedCount())
	for {
		w.handleDue(ctx)
		w.publish(false)
		if ctx.Err() != nil {
			w.log.Info("stopped")
			return nil
		}
		w.mu.Lock()
		next, pending := w.q.next()
		w.mu.Unlock()
		var timer <-chan time.Time
		var t *time.Timer
		switch {
		case pending:
			t = time.NewTimer(max(next.Sub(w.now()), 0))
		case w.covDirty:
			t = time.NewTimer(max(w.lastCov.Add(coverageEvery).Sub(w.now()), 0))
		}
		if t != nil {
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// watcher is the state of one Run or Once. Fields above mu are set once; mu guards the
// queue and the set of watched directories, which the event collector shares with the
// handler. The rest belongs to the handler's goroutine (the caller of Run or Once).
type watcher struct {
	o      Options
	paths  []string
	log    *slog.Logger
	obs    Observer
	now    func() time.Time
	quiet  time.Duration
	settle time.Duration
	fw     *fsnotify.Watcher // nil in Once
	wake   chan struct{}     // the collector queued something
	valid  *validate.Validator
	chain  *migrate.Chain // --migrate's, over Options.Registry
	latest string

	mu       sync.Mutex
	q        *queue
	watched  map[string]bool // directories with a watch, cleaned paths
	limitErr error           // the first watch-limit error while starting
	// unreadable holds the keys of problems' paths (symlink loops aside), for the collector:
	// an event on one of them is looked at again (access).
	unreadable map[string]bool

	items    map[string][]catalog.Item // by checkpoint (slash-separated), the last verdict
	problems []catalog.Problem         // what the walk could not read: the last full scan's, kept current by access
	ours     map[string]stamp          // sidecars just written by us: their events are not edits
	covDirty bool
	lastCov  time.Time
	sum      *Summary // Once's tally; nil in Run
}

// stamp is what a file looked like when we wrote it.
type stamp struct {
	size  int64
	mtime time.Time
}

func newWatcher(paths []string, o Options) (*watcher, error) {
	if len(paths) == 0 {
		paths = []string{generate.DefaultPath}
	}
	w := &watcher{o: o, paths: paths, log: o.Logger, obs: o.Observer, now: o.now,
		quiet: o.Quiet, settle: o.Settle, wake: make(chan struct{}, 1),
		watched: map[string]bool{}, items: map[string][]catalog.Item{}, ours: map[string]stamp{}, unreadable: map[string]bool{}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.quiet <= 0 {
		w.quiet = DefaultQuiet
	}
	if w.settle <= 0 {
		w.settle = DefaultSettle
	}
	maxPending := o.MaxPending
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	w.q = newQueue(maxPending)
	if o.Registry == nil {
		o.Registry = schemas.Default()
	}
	o.Generate.Registry = o.Registry
	w.o = o
	w.valid = validate.New(o.Registry, validate.Options{Rules: o.Rules})
	w.latest = o.Registry.Latest().Version
	w.chain = migrate.Default()
	if o.Migrate {
		chain, err := migrate.ForRegistry(o.Registry)
		if err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
		w.chain = chain
	}
	return w, nil
}

// key is how a path is kept: cleaned and slash-separated, as catalog reports checkpoints.
func key(p string) string { return filepath.ToSlash(filepath.Clean(p)) }

// scan is the start-up scan (and the rescan after an overflow): catalog.Status over the
// paths (adding a watch to each directory before it is listed, when onDir is set), the
// verdicts kept, and every checkpoint that needs work queued as due now.
func (w *watcher) scan(ctx context.Context, onDir func(string)) error {
	start := w.now()
	w.mu.Lock()
	w.q.reset()
	w.mu.Unlock()
	cov, err := catalog.Status(ctx, w.paths, w.statusOptions(onDir))
	if err != nil {
		return err
	}
	clear(w.items)
	w.setProblems(cov.Problems)
	for _, p := range cov.Problems {
		var loop *sidecar.LoopError
		if errors.As(p.Err, &loop) {
			w.log.Warn("symlink loop not followed", "path", p.Path, "err", p.Err.Error())
		} else {
			w.log.Error("cannot read", "path", p.Path, "err", p.Err.Error())
		}
	}
	toFix := 0
	w.mu.Lock()
	for _, it := range cov.Items {
		w.items[it.Checkpoint] = append(w.items[it.Checkpoint], it)
		if w.needsWork(it) {
			w.q.touch(it.Checkpoint, kindCheckpoint, start, 0)
			toFix++
		}
	}
	w.mu.Unlock()
	w.log.Info("scanned", "paths", w.paths, "checkpoints", cov.Total.Checkpoints, "to_fix", toFix,
		"coverage_percent", round2(cov.Total.Percent()), "elapsed_ms", w.now().Sub(start).Milliseconds())
	for _, it := range cov.Items {
		if !w.needsWork(it) && it.State != catalog.StateCurrent && it.State != catalog.StateOutdated && it.State != catalog.StateOrphan {
			w.log.Warn("sidecar left alone", "checkpoint", it.Checkpoint, "state", string(it.State), "reason", it.Reason)
		}
	}
	w.covDirty = true
	w.publish(true)
	return nil
}

// statusOptions are the options of every catalog.Status the watcher runs: its verdicts
// are status's under the same rule levels.
func (w *watcher) statusOptions(onDir func(string)) catalog.StatusOptions {
	return catalog.StatusOptions{Exclude: w.o.Exclude, Jobs: w.o.Jobs, OnDir: onDir, Registry: w.o.Registry,
		Validate: validate.Options{Rules: w.o.Rules}}
}

// needsWork says whether a verdict is one the watcher fixes: a missing or stale sidecar
// (what `generate --stale` rebuilds), and with Migrate what `migrate` fixes.
func (w *watcher) needsWork(it catalog.Item) bool {
	switch it.State {
	case catalog.StateMissing, catalog.StateStale:
		return true
	case catalog.StateOutdated, catalog.StateLegacy, catalog.StateInvalid:
		return w.o.Migrate
	}
	return false
}

// handleDue handles every path whose quiet time has passed.
func (w *watcher) handleDue(ctx context.Context) {
	w.mu.Lock()
	overflow := w.q.overflow
	w.mu.Unlock()
	if overflow {
		w.log.Warn("too many changes to follow one by one; rescanning")
		var onDir func(string)
		if w.fw != nil {
			onDir = w.addWatch
		}
		if err := w.scan(ctx, onDir); err != nil {
			return
		}
	}
	w.mu.Lock()
	paths, ps := w.q.take(w.now())
	w.mu.Unlock()
	if len(paths) == 0 {
		return
	}
	var ckpts, sidecars []string
	seen := map[string]pending{}
	for i, p := range paths {
		seen[p] = ps[i]
		switch ps[i].kind {
		case kindCheckpoint:
			ckpts = append(ckpts, p)
		case kindSidecar:
			sidecars = append(sidecars, p)
		case kindGone:
			w.forgetUnder(p)
		case kindAccess:
			w.access(ctx, p, ps[i].err)
		}
	}
	touched := map[string]bool{} // checkpoints whose verdict must be looked at again
	for _, s := range sidecars {
		edited, gone := w.edited(s)
		if edited {
			w.validated(s, seen[s])
		}
		c := key(sidecar.CheckpointFor(s))
		if edited || gone {
			touched[c] = true
		}
		if _, queued := seen[c]; gone && !queued {
			// A removed sidecar leaves its checkpoint without one (or with its other one):
			// generate --stale decides, as the start-up scan would after a restart.
			ckpts = append(ckpts, c)
			seen[c] = seen[s]
		}
	}
	if len(ckpts) > 0 {
		w.generate(ctx, ckpts, seen, touched)
	}
	if ctx.Err() != nil && len(touched) == 0 {
		return
	}
	w.refresh(ctx, touched)
	if w.o.Migrate && ctx.Err() == nil {
		var outdated []string
		for c := range touched {
			for _, it := range w.items[c] {
				if it.State == catalog.StateOutdated || it.State == catalog.StateLegacy || it.State == catalog.StateInvalid {
					outdated = append(outdated, it.Sidecars...)
				}
			}
		}
		if len(outdated) > 0 {
			sort.Strings(outdated)
			w.migrate(ctx, outdated, seen)
			w.refresh(ctx, touched)
		}
	}
}

// generate runs `generate --stale` over the checkpoints: a missing sidecar is generated, a
// stale one regenerated. A checkpoint found incomplete (no zip end record yet, or changed
// while it was read) is put back with a back-off, not reported, until it has stayed unchanged
// for Settle.
func (w *watcher) generate(ctx context.Context, ckpts []string, seen map[string]pending, touched map[string]bool) {
	before := map[string]stamp{}
	hadYAML := map[string]bool{}
	var present []string
	for _, c := range ckpts {
		touched[c] = true
		if w.leftAlone(c) {
			continue // generate --stale cannot read it; the refresh reports it, --migrate fixes it
		}
		st, err := statOf(c)
		if err != nil {
			continue // removed (or renamed away): its verdict is refreshed, nothing to build
		}
		before[c] = st
		for _, s := range sidecar.Existing(c) {
			if k, _ := sidecar.Classify(s); k == sidecar.KindSidecar {
				hadYAML[c] = true
			}
		}
		present = append(present, c)
	}
	if len(present) == 0 {
		return
	}
	// generate --stale, unless sidecar/stale is off: then a sidecar whose checkpoint changed
	// is no finding, so no reason to rebuild it (DESIGN.md "Rule levels").
	stale := w.o.Rules["sidecar/stale"] != validate.RuleOff
	ro := generate.RunOptions{Options: w.o.Generate, Stale: stale, Jobs: w.o.Jobs, Exclude: w.o.Exclude, Roots: w.paths}
	_, err := generate.Run(ctx, present, ro, func(r *generate.Result) {
		c := key(r.Checkpoint)
		switch r.Status {
		case generate.Written:
			w.remember(r.Sidecar)
			a := ActionGenerated
			if hadYAML[c] {
				a = ActionRegenerated
			}
			w.handled(Event{Path: c, Action: a, Lag: w.now().Sub(seen[c].seen)}, "sidecar", r.Sidecar)
			for _, warn := range r.Warnings {
				w.log.Warn("generate warning", "checkpoint", c, "warning", warn)
			}
		case generate.Failed:
			if !exists(c) {
				return // removed meanwhile (a run deleted): its verdict is refreshed, nothing failed
			}
			if errors.Is(r.Err, fsutil.ErrChanged) {
				w.superseded(c, seen[c], r.Err)
				return
			}
			if w.incomplete(c, r.Err, before[c]) {
				// Unchanged since when? The file's mtime, or (watching) its last event: a copy
				// that keeps the source's mtime is still being written while events come.
				last := before[c].mtime
				if w.fw != nil && seen[c].seen.After(last) {
					last = seen[c].seen
				}
				if since := w.now().Sub(last); since < w.settle {
					w.log.Debug("checkpoint incomplete; will look again", "checkpoint", c, "tries", seen[c].tries+1, "err", errText(r.Err))
					w.mu.Lock()
					w.q.retry(c, seen[c], w.now(), w.quiet, maxRetryDelay)
					w.mu.Unlock()
					return
				}
			}
			w.handled(Event{Path: c, Action: ActionFailed, Lag: w.now().Sub(seen[c].seen), Err: r.Err})
		}
	})
	if err != nil && ctx.Err() == nil {
		w.log.Error("generate", "err", err.Error())
	}
}

// leftAlone says whether a checkpoint's sidecar is one `generate --stale` cannot read (not
// YAML at all): only migrate (which regenerates it) or a person can fix it. The refresh
// reports it invalid.
func (w *watcher) leftAlone(c string) bool {
	for _, s := range sidecar.Existing(c) {
		if k, _ := sidecar.Classify(s); k != sidecar.KindSidecar {
			continue
		}
		snap, err := fsutil.ReadSnapshot(s, validate.MaxFileSize)
		if err != nil {
			return false // generate reports it
		}
		doc, _ := validate.Parse(key(s), snap.Data)
		return doc == nil
	}
	return false
}

// superseded puts a checkpoint back when the sidecar about to be replaced changed while it
// was worked on (someone wrote it; fsutil.ErrChanged kept their bytes): that write raises its
// own events, and the checkpoint is looked at again after it, not reported as failed.
func (w *watcher) superseded(c string, p pending, err error) {
	if p.tries >= 5 { // rewritten under us again and again: say so rather than chase it forever
		w.handled(Event{Path: c, Action: ActionFailed, Lag: w.now().Sub(p.seen), Err: err})
		return
	}
	w.log.Debug("sidecar changed while being replaced; will look again", "checkpoint", c, "err", errText(err))
	w.mu.Lock()
	w.q.retry(c, p, w.now(), w.quiet, maxRetryDelay)
	w.mu.Unlock()
}

// incomplete says whether a failed read met a checkpoint still being written: the file ends
// before its zip end record (or its pickle), or it is not the file it was when the batch began.
func (w *watcher) incomplete(c string, err error, before stamp) bool {
	if errors.Is(err, ckpt.ErrTruncated) {
		return true
	}
	after, serr := statOf(c)
	return serr == nil && after != before
}

// migrate runs `migrate` (to the latest version) over outdated, legacy and broken sidecars.
func (w *watcher) migrate(ctx context.Context, sidecars []string, seen map[string]pending) {
	mo := migrate.Options{Jobs: w.o.Jobs, Exclude: w.o.Exclude, Root: w.o.Generate.Root,
		Now: w.o.Generate.Now, ToolVersion: w.o.Generate.ToolVersion, Rules: w.o.Rules}
	_, err := w.chain.Run(ctx, sidecars, mo, func(r *migrate.FileResult) {
		c := key(sidecar.CheckpointFor(r.Path))
		lag := w.now().Sub(seen[c].seen)
		switch {
		case errors.Is(r.Err, fsutil.ErrChanged):
			w.superseded(c, seen[c], r.Err)
		case r.Err != nil && !exists(r.Path):
			// removed meanwhile: its verdict is refreshed, nothing failed
		case r.Err != nil:
			w.handled(Event{Path: key(r.Path), Action: ActionFailed, Lag: lag, Err: r.Err})
		case r.Written:
			w.remember(r.Output)
			a := ActionMigrated
			if r.Regenerated {
				a = ActionRegenerated
			}
			w.handled(Event{Path: c, Action: a, Lag: lag}, "sidecar", r.Output, "from", r.From, "to", r.To)
		}
	})
	if err != nil && ctx.Err() == nil {
		w.log.Error("migrate", "err", err.Error())
	}
}

// edited says whether a sidecar event is someone else's edit, not our own write arriving,
// and gone whether the sidecar was removed.
func (w *watcher) edited(s string) (edited, gone bool) {
	st, err := statOf(s)
	if err != nil {
		delete(w.ours, s)
		return false, errors.Is(err, fs.ErrNotExist)
	}
	if mine, ok := w.ours[s]; ok {
		delete(w.ours, s)
		return mine != st, false
	}
	return true, false
}

// remember notes a sidecar we wrote, so the events of that write are not taken for an edit.
func (w *watcher) remember(path string) {
	if st, err := statOf(path); err == nil {
		w.ours[key(path)] = st
	}
}

// validated re-validates an edited sidecar and logs its findings.
func (w *watcher) validated(s string, p pending) {
	res := w.valid.ValidateFile(s)
	errs, warns := res.Count()
	for _, f := range res.Findings {
		level := slog.LevelWarn
		if f.Severity == validate.SeverityError {
			level = slog.LevelError
		}
		w.log.Log(context.Background(), level, "finding", "path", f.Path, "line", f.Line, "column", f.Column,
			"rule", f.Rule, "severity", f.Severity.String(), "message", f.Message)
	}
	w.handled(Event{Path: s, Action: ActionValidated, Lag: w.now().Sub(p.seen), Findings: errs + warns},
		"errors", errs, "warnings", warns)
}

// refresh asks catalog for the verdict on each touched checkpoint (with its sidecars; an
// orphan's sidecars when the checkpoint is gone) and replaces what was kept.
func (w *watcher) refresh(ctx context.Context, touched map[string]bool) {
	if len(touched) == 0 {
		return
	}
	var named []string
	for c := range touched {
		if _, err := os.Lstat(c); err == nil {
			named = append(named, c)
		} else {
			named = append(named, sidecar.Existing(c)...)
		}
	}
	fresh := map[string][]catalog.Item{}
	if len(named) > 0 {
		// A fresh context: the verdicts of what was just written must be known even while stopping.
		so := w.statusOptions(nil)
		so.Exclude = nil // the touched checkpoints are named one by one, not walked
		cov, err := catalog.Status(context.WithoutCancel(ctx), named, so)
		if err != nil {
			return
		}
		for _, it := range cov.Items {
			c := key(it.Checkpoint)
			it.Checkpoint = c
			fresh[c] = append(fresh[c], it)
		}
	}
	for c := range touched {
		if !sameItems(w.items[c], fresh[c]) {
			w.covDirty = true
		}
		if len(fresh[c]) == 0 {
			delete(w.items, c)
		}
	}
	for c, its := range fresh {
		w.items[c] = its
	}
}

// sameItems says whether two verdicts on one checkpoint are the same.
func sameItems(a, b []catalog.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Experiment != y.Experiment || x.Checkpoint != y.Checkpoint || x.State != y.State ||
			x.Version != y.Version || x.Reason != y.Reason || strings.Join(x.Sidecars, "\x00") != strings.Join(y.Sidecars, "\x00") {
			return false
		}
	}
	return true
}

// setProblems keeps what the walk could not read, sorted by path as the scan reports it, and
// the set of those paths the collector looks events up in.
func (w *watcher) setProblems(ps []catalog.Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return key(ps[i].Path) < key(ps[j].Path) })
	w.problems = ps
	w.mu.Lock()
	clear(w.unreadable)
	for _, p := range ps {
		var loop *sidecar.LoopError
		if !errors.As(p.Err, &loop) {
			w.unreadable[key(p.Path)] = true
		}
	}
	w.mu.Unlock()
}

// access looks again at a path whose readability may have changed: a watched directory whose
// permissions changed, a path the walk could not read that changed, or one a walk of a new
// directory could not read (walkErr). A directory that cannot be listed now is a problem, as
// the scan would report it, and the verdicts under it are dropped (the scan would not see
// them); one that can be listed again stops being one, and is walked as a new directory is
// (watched, its files queued). A path that went away is no problem (unless it is a PATH
// given: then it is one that does not exist). So the list of unreadable paths follows
// events; a path whose parent is not watched (a PATH that did not exist at the start) is
// looked at again only by a rescan.
func (w *watcher) access(ctx context.Context, p string, walkErr error) {
	native := filepath.FromSlash(p)
	err := walkErr
	if err == nil {
		err = listable(native)
	}
	if errors.Is(err, fs.ErrNotExist) && !w.isRoot(p) {
		err = nil // gone: nothing left to read
	}
	had := -1
	for i, pr := range w.problems {
		if key(pr.Path) == p {
			had = i
		}
	}
	switch {
	case err == nil && had >= 0:
		w.setProblems(slices.Delete(slices.Clone(w.problems), had, had+1))
		w.covDirty = true
		w.log.Info("readable again", "path", p)
		if exists(native) {
			w.newDir(ctx, native)
		}
	case err != nil && had < 0:
		w.forgetUnder(p)
		w.setProblems(append(slices.Clone(w.problems), catalog.Problem{Path: native, Err: err}))
		w.covDirty = true
		w.log.Error("cannot read", "path", p, "err", err.Error())
	case err != nil:
		ps := slices.Clone(w.problems)
		ps[had].Err = err
		w.setProblems(ps)
	}
}

// listable says why the walk could not list p (nil when it can, or when p is not a directory).
func listable(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.IsDir() {
		return err
	}
	if _, err := f.ReadDir(1); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// isRoot says whether p is one of the PATHs watched.
func (w *watcher) isRoot(p string) bool {
	for _, r := range w.paths {
		if key(r) == p {
			return true
		}
	}
	return false
}

// forgetUnder drops the verdicts under a directory that went away.
func (w *watcher) forgetUnder(dir string) {
	prefix := dir + "/"
	for c := range w.items {
		if strings.HasPrefix(c, prefix) {
			delete(w.items, c)
			w.covDirty = true
		}
	}
	for s := range w.ours {
		if strings.HasPrefix(s, prefix) {
			delete(w.ours, s)
		}
	}
}

// handled reports one action to the log, the observer and Once's tally.
func (w *watcher) handled(e Event, attrs ...any) {
	e.Time = w.now()
	args := append([]any{"path", e.Path, "lag_ms", e.Lag.Milliseconds()}, attrs...)
	switch e.Action {
	case ActionFailed:
		w.log.Error(string(e.Action), append(args, "err", errText(e.Err))...)
	case ActionValidated:
		if e.Findings > 0 {
			w.log.Warn(string(e.Action), args...)
		} else {
			w.log.Info(string(e.Action), args...)
		}
	default:
		w.log.Info(string(e.Action), args...)
	}
	if w.sum != nil {
		switch e.Action {
		case ActionGenerated:
			w.sum.Generated++
		case ActionRegenerated:
			w.sum.Regenerated++
		case ActionMigrated:
			w.sum.Migrated++
		case ActionValidated:
			w.sum.Validated++
		case ActionFailed:
			w.sum.Failed++
		}
	}
	if w.obs != nil {
		w.obs.Handled(e)
	}
}

// coverage is the tree as the kept verdicts describe it.
func (w *watcher) coverage() *catalog.Coverage {
	items := make([]catalog.Item, 0, len(w.items))
	for _, its := range w.items {
		items = append(items, its...)
	}
	return catalog.Summarize(w.latest, items, append([]catalog.Problem(nil), w.problems...))
}

// publish hands the coverage to the observer when it changed, at most every coverageEvery
// unless forced.
func (w *watcher) publish(force bool) {
	if !w.covDirty || (!force && w.now().Sub(w.lastCov) < coverageEvery) {
		return
	}
	w.covDirty = false
	w.lastCov = w.now()
	if w.obs == nil && !w.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	c := w.coverage()
	w.log.Debug("coverage", "checkpoints", c.Total.Checkpoints, "covered", c.Total.Covered(), "coverage_percent", round2(c.Total.Percent()))
	if w.obs != nil {
		w.obs.Coverage(c)
	}
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return !errors.Is(err, fs.ErrNotExist)
}

func statOf(p string) (stamp, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return stamp{}, err
	}
	if !fi.Mode().IsRegular() {
		return stamp{}, fs.ErrInvalid
	}
	return stamp{fi.Size(), fi.ModTime()}, nil
}
