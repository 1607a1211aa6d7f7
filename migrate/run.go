package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/ckptmeta/ckptmeta/internal/ordered"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/validate"
)

// Options control a migration run. The zero value migrates to the latest version,
// writes in place, and regenerates broken sidecars.
type Options struct {
	To           string // "latest" (or "") or a known version
	AllowLossy   bool   // drop what the target cannot hold instead of refusing
	NoRegenerate bool   // report broken sidecars instead of rebuilding them
	DryRun       bool   // compute and report; write nothing
	Check        bool   // like DryRun; the caller fails when anything would change
	Diff         bool   // fill FileResult.Diff
	Backup       bool   // keep <file>.bak (never overwritten) before replacing a file
	PruneLegacy  bool   // remove X.metadata.json once a YAML sidecar holds its data
	Jobs         int    // files in flight; 0 = 16×GOMAXPROCS (writers wait on a shared disk flush, so more than the CPUs pays)
	Exclude      []string
	Root         string           // outputs root: checkpoint paths are relative to it
	Now          func() time.Time // clock for regeneration; nil = time.Now
	ToolVersion  string           // written to provenance.tool_version

	// beside is the checkpoint the file sits beside, when it exists (set by Run for each
	// file): a recorded checkpoint path that does not name it is re-pointed at it.
	beside string
}

// FileResult is the outcome for one discovered file.
type FileResult struct {
	Path        string   // the file as discovered
	Output      string   // the file written (or that would be): Path, or the YAML sidecar of a legacy JSON
	From, To    string   // versions before and after ("" when the file could not be read)
	Steps       []string // applied steps, "1.0->1.1"
	Changed     bool     // Output's bytes differ (or would) from what was there
	Written     bool     // Output was written
	Regenerated bool     // rebuilt from the checkpoint instead of migrated
	Pruned      bool     // the legacy JSON was removed (PruneLegacy; never in DryRun or Check)
	Skipped     bool     // not checkpoint metadata (validate.IsCheckpointMetadata): left alone
	Fixes       []string // certain corrections made besides the steps ("checkpoint_path: a -> b")
	Diff        string   // unified diff (Options.Diff)
	Warnings    []string // from regeneration: what the generator left out or guessed
	Cause       error    // why the file was regenerated, or why the legacy JSON was skipped
	Err         error    // the file failed; nothing was written for it
	NotFollowed bool     // not a file: a symbolic link back to its own ancestor (sidecar.LoopError), in Warnings
}

// Summary counts a run.
type Summary struct {
	Files       int // files considered
	Changed     int // would change or changed
	Written     int // written
	Regenerated int // rebuilt from their checkpoint
	Failed      int // FileResult.Err != nil
	Unchanged   int // already at the target, nothing to do
	Skipped     int // named like a sidecar but not checkpoint metadata; never touched
	NotFollowed int // symbolic links back to their own ancestor: warnings, not files
}

// ErrSuperseded is the Cause of a legacy JSON sidecar left alone because its checkpoint
// already has a YAML sidecar (the one migrate or generate wrote).
var ErrSuperseded = errors.New("migrate: a YAML sidecar exists for this checkpoint")

// RegenError reports a sidecar that needed regeneration (Cause) and could not get it.
type RegenError struct {
	Cause error // why migration was impossible
	Err   error // why regeneration failed (ErrNoCheckpoint, a generate error, ...)
}

func (e *RegenError) Error() string {
	return fmt.Sprintf("%s; regeneration failed: %s", e.Cause, trimPrefix(e.Err))
}

func (e *RegenError) Unwrap() []error { return []error{e.Cause, e.Err} }

// Run migrates every sidecar (YAML and legacy JSON) found under paths. each is called
// once per file, in lexical (slash-separated) path order, from the calling goroutine.
// Per-file problems (a path that does not exist included) are in FileResult.Err and the run
// goes on; a symbolic link back to its own ancestor is a NotFollowed result with a warning.
// Run's error is for the run itself (a bad target, a cancelled context). When ctx is
// cancelled, files already in hand finish (each is written whole or not at all), no other is
// started or reported, and Run returns ctx's error.
func Run(ctx context.Context, paths []string, o Options, each func(*FileResult)) (Summary, error) {
	return Default().Run(ctx, paths, o, each)
}

type item struct {
	path string
	kind sidecar.Kind
	err  error
}

// Run is [Run] on this chain.
func (c *Chain) Run(ctx context.Context, paths []string, o Options, each func(*FileResult)) (Summary, error) {
	var sum Summary
	if _, err := c.Resolve(o.To); err != nil {
		return sum, err
	}
	var items []item
	if err := sidecar.Walk(ctx, paths, o.Exclude, func(p string, k sidecar.Kind, err error) {
		if k != sidecar.KindCheckpoint || err != nil {
			items = append(items, item{p, k, err})
		}
	}); err != nil {
		return sum, err
	}
	if !o.DryRun && !o.Check {
		cleanStaleTemps(items)
	}

	jobs := o.Jobs
	if jobs <= 0 {
		jobs = 16 * runtime.GOMAXPROCS(0)
	}
	// Reports stay in path order whatever the scheduling; at most 4×jobs results wait for
	// the callback, so memory stays flat on large trees however slow it is.
	ordered.Map(len(items), jobs, 4*jobs, func(i int) *FileResult {
		if err := ctx.Err(); err != nil {
			return &FileResult{Path: items[i].path, Output: items[i].path, Err: err}
		}
		var loop *sidecar.LoopError
		if errors.As(items[i].err, &loop) {
			return &FileResult{Path: items[i].path, NotFollowed: true, Warnings: []string{loop.Error()}}
		}
		return c.one(items[i], &o)
	}, func(_ int, r *FileResult) {
		if ctx.Err() != nil && errors.Is(r.Err, ctx.Err()) {
			return // never started: not a failure, not reported
		}
		if r.NotFollowed {
			sum.NotFollowed++
			if each != nil {
				each(r)
			}
			return
		}
		sum.Files++
		switch {
		case r.Err != nil:
			sum.Failed++
		case r.Skipped:
			sum.Skipped++
		case r.Changed:
			sum.Changed++
		default:
			sum.Unchanged++
		}
		if r.Written {
			sum.Written++
		}
		if r.Regenerated {
			sum.Regenerated++
		}
		if each != nil {
			each(r)
		}
	})
	return sum, ctx.Err()
}

// one handles one discovered file. It never panics.
func (c *Chain) one(it item, o *Options) (r *FileResult) {
	r = &FileResult{Path: it.path, Output: it.path}
	defer func() {
		if p := recover(); p != nil {
			r.Err = fmt.Errorf("migrate: %s: internal error: %v", it.path, p)
			r.Written = false
		}
	}()
	if it.err != nil {
		r.Err = fmt.Errorf("migrate: %w", it.err)
		return r
	}
	src, err := fsutil.ReadFile(it.path, validate.MaxFileSize) // Parse reports a file over the limit
	if err != nil {
		r.Err = fmt.Errorf("migrate: %w", err)
		return r
	}
	if notMetadata(it.path, src) {
		r.Skipped = true
		return r
	}
	if it.kind == sidecar.KindLegacyJSON {
		ckpt := sidecar.CheckpointFor(it.path)
		for _, cand := range sidecar.Candidates(ckpt) {
			if cand == it.path || strings.HasSuffix(cand, ".json") {
				continue
			}
			if _, err := os.Lstat(cand); err == nil {
				r.Output, r.Cause = cand, ErrSuperseded
				if doc, _ := validate.Parse(it.path, src); doc != nil {
					r.From, r.To = doc.Version, doc.Version
				}
				if o.PruneLegacy {
					r.Changed = true
					if !o.DryRun && !o.Check {
						if err := prune(it.path, src, o); err != nil {
							r.Err = err
						} else {
							r.Pruned = true
						}
					}
				}
				return r
			}
		}
		r.Output = sidecar.Path(ckpt, sidecar.NamingCkpt)
	}
	mo := *o
	if ckpt := sidecar.CheckpointFor(it.path); isRegular(ckpt) {
		mo.beside = ckpt
	}
	m, err := c.MigrateBytes(it.path, src, mo)
	if err != nil {
		var pe *ParseError
		if refusal(err) || (errors.As(err, &pe) && pe.Rule == "yaml/too-large") {
			// A refusal is for the user to settle; an oversized file was not read whole,
			// so it must not be replaced.
			r.Err = err
			return r
		}
		c.regenerate(r, it, src, err, o)
		return r
	}
	r.From, r.To, r.Steps, r.Changed, r.Fixes = m.From, m.To, m.Steps, m.Changed, m.Fixes
	if !m.Changed {
		return r
	}
	old := src
	if r.Output != it.path {
		old = nil // a new file
	}
	if o.Diff {
		r.Diff = unifiedDiff(it.path, r.Output, old, m.Data)
	}
	if o.DryRun || o.Check {
		return r
	}
	if err := write(r.Output, it.path, old, m.Data, o.Backup); err != nil {
		r.Err = err
		return r
	}
	r.Written = true
	if m.JSON && o.PruneLegacy {
		if err := prune(it.path, src, o); err != nil {
			r.Err = err
			return r
		}
		r.Pruned = true
	}
	return r
}

// regenerate rebuilds the sidecar of it from its checkpoint after cause made migration
// impossible. Without a checkpoint, or with NoRegenerate, the file is reported untouched.
func (c *Chain) regenerate(r *FileResult, it item, src []byte, cause error, o *Options) {
	r.Err = cause
	if o.NoRegenerate {
		return
	}
	ckpt := sidecar.CheckpointFor(it.path)
	if info, err := os.Stat(ckpt); err != nil || !info.Mode().IsRegular() {
		r.Err = &RegenError{Cause: cause, Err: fmt.Errorf("%w: %s", ErrNoCheckpoint, ckpt)}
		return
	}
	target, _ := c.Resolve(o.To)
	ca := carryFrom(it.path, src)
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sc, err := buildSidecar(ckpt, buildOptions{Root: o.Root, Version: target, Now: now, ToolVersion: o.ToolVersion, Carry: ca})
	if err != nil {
		r.Err = &RegenError{Cause: cause, Err: err}
		return
	}
	out := it.path
	if it.kind == sidecar.KindLegacyJSON {
		out = sc.Path
	}
	r.Err, r.Cause = nil, cause
	r.Output, r.To, r.Regenerated, r.Warnings = out, sc.Version, true, sc.Warnings
	var old []byte
	if out == it.path {
		old = src
	}
	r.Changed = !bytes.Equal(old, sc.Data) || old == nil
	if o.Diff {
		r.Diff = unifiedDiff(it.path, out, old, sc.Data)
	}
	if o.DryRun || o.Check {
		return
	}
	// The old file is replaced wholesale: keep it as <file>.bak whatever Backup says.
	if err := write(out, it.path, old, sc.Data, old != nil); err != nil {
		r.Err = err
		return
	}
	r.Written = true
	if it.kind == sidecar.KindLegacyJSON && o.PruneLegacy {
		if err := prune(it.path, src, o); err == nil {
			r.Pruned = true
		} else {
			r.Err = err
		}
	}
}

// write replaces (or creates) out with data atomically. When old is not nil (out exists
// and old is its content) and backup is set, old is first kept as out+".bak" unless a
// backup already exists. perm comes from the existing file, or from src for a new one.
func write(out, src string, old, data []byte, backup bool) error {
	target, perm := out, os.FileMode(0o644)
	if info, err := os.Lstat(out); err == nil {
		if info.Mode()&fs.ModeSymlink != 0 {
			// Write through a symlinked sidecar, not over the link.
			if resolved, err := filepath.EvalSymlinks(out); err == nil {
				target = resolved
				if ti, err := os.Stat(resolved); err == nil {
					info = ti
				}
			}
		}
		perm = info.Mode().Perm()
	} else if info, err := os.Stat(src); err == nil {
		perm = info.Mode().Perm()
	}
	if old != nil && backup {
		if err := writeBackup(target+".bak", old, perm); err != nil {
			return err
		}
	}
	if err := fsutil.WriteFile(target, data, perm); err != nil {
		return fmt.Errorf("migrate: write %s: %w", out, err)
	}
	return nil
}

// writeBackup creates path with data unless it exists; it is never overwritten, and a
// crash leaves either no backup or a whole one (temp file, then a hard link, which
// fails when the name exists).
func writeBackup(path string, data []byte, perm os.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if err := fsutil.CreateNew(path, data, perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("migrate: backup %s: %w", path, err)
	}
	return nil
}

// prune removes a legacy JSON sidecar whose data now lives in YAML, if it still holds
// the bytes that were read (a file changed meanwhile is left alone).
func prune(path string, src []byte, o *Options) error {
	cur, err := fsutil.ReadFile(path, validate.MaxFileSize)
	if err != nil {
		return fmt.Errorf("migrate: prune: %w", err)
	}
	if !bytes.Equal(cur, src) {
		return fmt.Errorf("migrate: prune %s: the file changed during the run; left in place", path)
	}
	if o.Backup {
		if err := writeBackup(path+".bak", src, 0o644); err != nil {
			return err
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("migrate: prune: %w", err)
	}
	return nil
}

// cleanStaleTemps removes recognised temp files from the directories of the discovered
// files. A concurrent ckptmeta writing in the same directory would lose its pending
// write (its rename fails and reports an error); no sidecar is ever lost.
func cleanStaleTemps(items []item) {
	dirs := map[string]bool{}
	for _, it := range items {
		dirs[filepath.Dir(it.path)] = true
	}
	for dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Type().IsRegular() && sidecar.IsTemp(e.Name()) {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}

func unifiedDiff(from, to string, a, b []byte) string {
	fromName := "a/" + filepath.ToSlash(from)
	if a == nil {
		fromName = "/dev/null"
	}
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(a)), B: difflib.SplitLines(string(b)),
		FromFile: fromName, ToFile: "b/" + filepath.ToSlash(to), Context: 3,
	})
	if err != nil {
		return ""
	}
	return d
}

// notMetadata reports a file that has a sidecar's name but is not checkpoint metadata (an
// image-preprocessing *.metadata.json, say): migrate must neither convert nor regenerate
// it. Every versioned sidecar names schema_version, so only the others are parsed here.
func notMetadata(name string, src []byte) bool {
	if bytes.Contains(src, []byte("schema_version")) {
		return false
	}
	doc, _ := validate.Parse(name, src)
	return doc != nil && !validate.IsCheckpointMetadata(doc)
}

func isRegular(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}
