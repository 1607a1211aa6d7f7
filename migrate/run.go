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
	"slices"
	"strings"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/ckptmeta/ckptmeta/internal/ordered"
	"github.com/ckptmeta/ckptmeta/internal/resultcache"
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
	Backup       bool   // keep the replaced bytes as <file>.bak, then .bak.1, .bak.2, … (never overwritten)
	PruneLegacy  bool   // remove X.metadata.json once a YAML sidecar holds its data
	FixOnly      bool   // apply only the certain fixes (FixBytes), in place; no version changes, no regeneration
	Jobs         int    // files in flight at most; 0 = 4×GOMAXPROCS (writers wait on a disk flush, so more than the CPUs pays)
	// MemoryBudget bounds the estimated working memory of the files in flight (see
	// FileCost); 0 = DefaultMemoryBudget. A file costlier than the whole budget runs alone.
	MemoryBudget int64
	Exclude      []string
	Root         string           // outputs root: checkpoint paths are relative to it
	Now          func() time.Time // clock for regeneration; nil = time.Now
	ToolVersion  string           // written to provenance.tool_version
	// Cache, when not nil and Check is set, keeps between runs which files were already at
	// the target (or not checkpoint metadata), so they are not read again; the report is the
	// same (see validate.Cache).
	Cache *validate.Cache
	// ValidateEachStep validates every step's output against that step's target schema
	// before the next step runs (the tests that prove each step keeps documents valid use
	// it; so can a debugging session). Without it the result is validated once, after the
	// last step; a failure there is re-run step by step, so the error is the same.
	ValidateEachStep bool
	// Rules are the rule levels validate reports with (validate.Options.Rules: config
	// file, preset, --disable/--enable/--severity). migrate never changes a file for a
	// finding validate would not report: a certain fix (quoting, re-pointing, renaming) of
	// a rule that is off is not made, and a file whose reasons to be regenerated are all
	// off, or suppressed by its own comments, is not regenerated (see [AcceptedError]).
	// Version steps do not depend on them. nil: every rule at its own level.
	Rules map[string]validate.RuleLevel

	// beside is the checkpoint the file sits beside, when it exists (set by Run for each
	// file): a recorded checkpoint path that does not name it is re-pointed at it.
	beside string

	roots *fsutil.Roots // set by Run: writes stay under its paths

	regens chan struct{} // set by Run: one token per regeneration that may run at once

	table *resultcache.Table // set by Run for --check with a Cache
}

// DefaultMemoryBudget is the estimated working memory Run admits files into (bytes in
// flight, not only a count of files): 256 MiB, so a run stays near that however large or
// hostile the files are and however many CPUs there are.
const DefaultMemoryBudget = 256 << 20

// MaxRegenerations bounds the regenerations that run at once: each reads a checkpoint's
// pickle, which the ckpt package bounds at 64 MB however hostile the file, so together
// they add at most 128 MB to a run's budget.
const MaxRegenerations = 2

// FileCost estimates the working memory of migrating a sidecar of size bytes: parsing,
// each step's validation, editing, encoding and checking the output allocated up to 760
// bytes per input byte (a 150 KB flow list of 50,000 items took 114 MB; a 4 KB sidecar
// 4.8 MB), and validate's node budget caps what one file can cost. Every
// file also costs a fixed 64 KiB.
func FileCost(size int64) int64 {
	return min(max(size, 0)*1024, 128<<20) + 64<<10
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
	Renamed     bool     // FixOnly: Path is (or would be) renamed to Output (sidecar/yml-name)
	Skipped     bool     // not checkpoint metadata (validate.IsCheckpointMetadata): left alone
	Fixes       []string // certain corrections made besides the steps ("checkpoint_path: a -> b")
	Unfixed     []string // FixOnly: findings FixBytes's rules cover that were left as they were, and why
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
	Unfixed     int // FixOnly: files with a finding fix could not correct (FileResult.Unfixed)
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
	// ckpt is what the walk's listing of the file's directory showed under its checkpoint's
	// name: the checkpoint beside it without a stat per file (see besideOf).
	ckpt ckptSeen
}

// ckptSeen is what a directory listing says of the checkpoint beside a sidecar.
type ckptSeen uint8

const (
	ckptUnlisted ckptSeen = iota // no listing said (a file named as a root): stat it
	ckptRegular                  // listed as a regular file
	ckptLink                     // listed as a link: stat it (it may dangle)
	ckptNone                     // not listed, or not a file
)

// walkItems is what Run works on: every file the walk reports except checkpoints, each with
// what its directory's listing showed of the checkpoint beside it.
func walkItems(ctx context.Context, paths, exclude []string) ([]item, error) {
	var items []item
	// The listing of the directory whose files the walk is reporting: the checkpoint beside
	// each sidecar is looked up there instead of stat'ed (10,000 calls on a 10,000-file tree).
	var listedDir string
	var listed []fs.DirEntry
	seen := func(p string) ckptSeen {
		ckpt := sidecar.CheckpointFor(p)
		if listed == nil || filepath.Dir(p) != listedDir || filepath.Dir(ckpt) != listedDir {
			return ckptUnlisted
		}
		name := filepath.Base(ckpt)
		i, ok := slices.BinarySearchFunc(listed, name, func(e fs.DirEntry, n string) int { return strings.Compare(e.Name(), n) })
		switch {
		case !ok:
			return ckptNone
		case listed[i].Type().IsRegular():
			return ckptRegular
		case listed[i].Type()&fs.ModeSymlink != 0:
			return ckptLink
		}
		return ckptNone
	}
	err := sidecar.WalkListing(ctx, paths, exclude, func(p string, k sidecar.Kind, err error) {
		if k != sidecar.KindCheckpoint || err != nil {
			it := item{path: p, kind: k, err: err}
			if err == nil {
				it.ckpt = seen(p)
			}
			items = append(items, it)
		}
	}, nil, func(dir string, entries []fs.DirEntry) {
		listedDir, listed = dir, entries
	})
	return items, err
}

// besideOf is the checkpoint it sits beside when that is a regular file (through links),
// else "". The walk's listing decides when it can; a link or an unlisted name is stat'ed.
func besideOf(it item) string {
	ckpt := sidecar.CheckpointFor(it.path)
	switch it.ckpt {
	case ckptRegular:
		return ckpt
	case ckptNone:
		return ""
	}
	if isRegular(ckpt) {
		return ckpt
	}
	return ""
}

// Run is [Run] on this chain.
func (c *Chain) Run(ctx context.Context, paths []string, o Options, each func(*FileResult)) (Summary, error) {
	var sum Summary
	if _, err := c.Resolve(o.To); err != nil {
		return sum, err
	}
	items, err := walkItems(ctx, paths, o.Exclude)
	if err != nil {
		return sum, err
	}
	if !o.DryRun && !o.Check {
		roots, err := fsutil.OpenRoots(paths)
		if err != nil {
			return sum, fmt.Errorf("migrate: %w", err)
		}
		defer roots.Close()
		o.roots = roots
		// Each directory once: the walk yields a directory's files together, and every
		// directory costs RemoveTemps a resolution of its path (a dozen system calls).
		var dirs []string
		for _, it := range items {
			if d := filepath.Dir(it.path); len(dirs) == 0 || dirs[len(dirs)-1] != d {
				dirs = append(dirs, d)
			}
		}
		// What a killed run left (sidecar and .bak temp names only).
		roots.RemoveTemps(dirs, sidecar.IsTemp)
	}

	jobs := o.Jobs
	if jobs <= 0 {
		jobs = 4 * runtime.GOMAXPROCS(0)
	}
	budget := o.MemoryBudget
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	o.regens = make(chan struct{}, MaxRegenerations)
	o.table = c.openCheckCache(paths, o)
	defer o.Cache.CloseTable(o.table)
	// Reports stay in path order whatever the scheduling; at most 4×jobs results wait for
	// the callback, so memory stays flat on large trees however slow it is; and files are
	// admitted by their estimated cost, so it stays flat however large they are.
	weight := func(i int) int64 {
		var size int64
		if info, err := os.Lstat(items[i].path); err == nil {
			size = info.Size()
		}
		return FileCost(min(size, validate.MaxFileSize+1)) // larger files are not read whole
	}
	ordered.MapWeighted(len(items), jobs, 4*jobs, budget, weight, func(i int) *FileResult {
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
		if len(r.Unfixed) > 0 {
			sum.Unfixed++
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
	probe, payload, hit := o.table.Check(it.path)
	if hit && cachedOutcome(r, payload) {
		return r
	}
	snap, err := fsutil.ReadSnapshot(it.path, validate.MaxFileSize) // Parse reports a file over the limit
	if err != nil {
		r.Err = fmt.Errorf("migrate: %w", err)
		return r
	}
	src := snap.Data
	if payload, ok := o.table.Confirm(probe, src); ok && cachedOutcome(r, payload) {
		return r
	}
	if notMetadata(it.path, src) {
		r.Skipped = true
		o.table.Put(probe, src, skippedOutcome())
		return r
	}
	if o.FixOnly {
		c.fix(r, it, snap, o)
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
						if err := prune(it.path, snap, o); err != nil {
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
	mo.beside = besideOf(it)
	m, err := c.MigrateBytes(it.path, src, mo)
	if err != nil {
		var pe *ParseError
		if refusal(err) || (errors.As(err, &pe) && pe.Rule == "yaml/too-large") {
			// A refusal is for the user to settle; an oversized file was not read whole,
			// so it must not be replaced.
			r.Err = err
			return r
		}
		if acc := c.regenerationAccepted(it.path, src, o, err); acc != nil {
			r.Err = acc // validate accepts the file as it is: it is not replaced
			return r
		}
		if o.regens != nil {
			o.regens <- struct{}{} // a checkpoint read costs more than a sidecar: a few at a time
			defer func() { <-o.regens }()
		}
		c.regenerate(r, it, snap, err, o)
		return r
	}
	r.From, r.To, r.Steps, r.Changed, r.Fixes = m.From, m.To, m.Steps, m.Changed, m.Fixes
	if !m.Changed {
		o.table.Put(probe, src, unchangedOutcome(r, m))
		return r
	}
	old := snap
	if r.Output != it.path {
		old = nil // a new file
	}
	if o.Diff {
		r.Diff = unifiedDiff(it.path, r.Output, dataOf(old), m.Data)
	}
	if o.DryRun || o.Check {
		return r
	}
	written, err := write(o.roots, r.Output, it.path, old, m.Data, o.Backup)
	if err != nil {
		r.Err = err
		return r
	}
	r.Written = written
	if m.JSON && o.PruneLegacy {
		if err := prune(it.path, snap, o); err != nil {
			r.Err = err
			return r
		}
		r.Pruned = true
	}
	return r
}

// fix is one file of a FixOnly run: FixBytes, then the one writer. A legacy JSON sidecar is
// left for migrate (making it YAML is a migration), and says so in Unfixed.
func (c *Chain) fix(r *FileResult, it item, snap *fsutil.Snapshot, o *Options) {
	if it.kind == sidecar.KindLegacyJSON {
		r.Unfixed = []string{"legacy JSON sidecar: a migration, not a fix; run `ckptmeta migrate " + it.path + "`"}
		return
	}
	beside := besideOf(it)
	fx, err := fixBytes(c.reg, o.Rules, it.path, snap.Data, beside, o.Root)
	if err != nil {
		r.Err = err
		return
	}
	r.Fixes, r.Unfixed, r.Changed = fx.Fixes, fx.Unfixed, fx.Changed
	to, why := renameTarget(it.path)
	if o.Rules["sidecar/yml-name"] == validate.RuleOff {
		to, why = "", "" // the rule is off: the name stays
	}
	if why != "" {
		r.Unfixed = append(r.Unfixed, why)
	}
	if to != "" {
		r.Output, r.Renamed, r.Changed = to, true, true
		r.Fixes = append([]string{"renamed to " + filepath.Base(to) + " (the name readers look for)"}, r.Fixes...)
	}
	if !r.Changed {
		return
	}
	if o.Diff {
		r.Diff = renameDiff(it.path, r.Output, snap.Data, fx.Data)
	}
	if o.DryRun || o.Check {
		return
	}
	if r.Renamed {
		// The rename first (it never replaces a file), then the edits under the new name: the
		// file is the same one, so what was read still describes it.
		if _, err := o.roots.Rename(it.path, to, fsutil.RenameOptions{Old: snap}); err != nil {
			if why := renameRefused(err); why != "" {
				r.Output, r.Renamed, r.Fixes, r.Changed = it.path, false, r.Fixes[1:], fx.Changed
				r.Unfixed = append(r.Unfixed, fmt.Sprintf("not renamed to %s: %s [sidecar/yml-name]", filepath.Base(to), why))
				if !fx.Changed {
					return
				}
			} else {
				r.Err = fmt.Errorf("migrate: %w", err)
				return
			}
		} else {
			r.Written = true
		}
	}
	if !fx.Changed {
		return
	}
	written, err := write(o.roots, r.Output, r.Output, snap, fx.Data, o.Backup)
	if err != nil {
		r.Err = err
		return
	}
	r.Written = r.Written || written
}

// renameTarget is the name `fix` gives a sidecar named .metadata.yml (sidecar/yml-name): the
// .metadata.yaml name of the same naming family, the one readers look for. It is certain
// only while the checkpoint has no other YAML sidecar; otherwise why says so (that is
// sidecar/conflict, which fix does not settle).
func renameTarget(p string) (to, why string) {
	to, ok := sidecar.ReadName(p)
	if !ok {
		return "", ""
	}
	for _, c := range sidecar.Existing(sidecar.CheckpointFor(p)) {
		if k, _ := sidecar.Classify(c); k == sidecar.KindSidecar && filepath.Clean(c) != filepath.Clean(p) {
			return "", fmt.Sprintf("not renamed to %s: %s exists for the same checkpoint (sidecar/conflict: keep one by hand)", filepath.Base(to), filepath.Base(c))
		}
	}
	return to, ""
}

// renameRefused says why the writer left a file unrenamed for a reason the user settles
// (the new name taken, a symbolic link, other hard links), or "" for a failure.
func renameRefused(err error) string {
	switch {
	case errors.Is(err, fsutil.ErrExists):
		return "a file of that name exists"
	case errors.Is(err, fsutil.ErrNotRegular):
		return "it is not a regular file (a symbolic link?); rename it by hand"
	case errors.Is(err, fsutil.ErrHardLinked):
		return "it has other hard links; rename it by hand"
	}
	return ""
}

// renameDiff is a unified diff that shows a rename as one, as git does: "rename from" and
// "rename to" lines, then the changed lines if the content changed too.
func renameDiff(from, to string, a, b []byte) string {
	if from == to {
		return unifiedDiff(from, to, a, b)
	}
	head := "rename from " + filepath.ToSlash(from) + "\nrename to " + filepath.ToSlash(to) + "\n"
	if bytes.Equal(a, b) {
		return head
	}
	return head + unifiedDiff(from, to, a, b)
}

// regenerate rebuilds the sidecar of it from its checkpoint after cause made migration
// impossible. Without a checkpoint, or with NoRegenerate, the file is reported untouched.
func (c *Chain) regenerate(r *FileResult, it item, snap *fsutil.Snapshot, cause error, o *Options) {
	src := snap.Data
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
	sc, err := buildSidecar(ckpt, buildOptions{Root: o.Root, Version: target, Now: now, ToolVersion: o.ToolVersion, Carry: ca, Registry: c.reg})
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
	var old *fsutil.Snapshot
	if out == it.path {
		old = snap
	}
	r.Changed = old == nil || !bytes.Equal(old.Data, sc.Data)
	if o.Diff {
		r.Diff = unifiedDiff(it.path, out, dataOf(old), sc.Data)
	}
	if o.DryRun || o.Check {
		return
	}
	// The old file is replaced wholesale: keep it as <file>.bak (or the next free .bak.N)
	// whatever Backup says.
	written, err := write(o.roots, out, it.path, old, sc.Data, old != nil)
	if err != nil {
		r.Err = err
		return
	}
	r.Written = written
	if it.kind == sidecar.KindLegacyJSON && o.PruneLegacy {
		if err := prune(it.path, snap, o); err == nil {
			r.Pruned = true
		} else {
			r.Err = err
		}
	}
}

// write replaces (or creates) out with data through the one writer: atomically, only while
// out still holds old (nil: while there is no file), keeping the replaced bytes as a backup
// when backup is set. A new file takes the permissions of src (the legacy JSON it comes
// from). It reports false when out already held exactly data (written through another name
// meanwhile): nothing was written.
func write(roots *fsutil.Roots, out, src string, old *fsutil.Snapshot, data []byte, backup bool) (bool, error) {
	if testHookBeforeWrite != nil {
		testHookBeforeWrite(out)
	}
	perm := os.FileMode(0o644)
	if old == nil {
		if info, err := os.Stat(src); err == nil {
			perm = info.Mode().Perm()
		}
	}
	w, err := roots.WriteFile(out, data, fsutil.WriteOptions{Perm: perm, Old: old, Backup: backup && old != nil})
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	return !w.Same, nil
}

// testHookBeforeWrite runs between reading a file and writing its replacement (tests put a
// person's edit there).
var testHookBeforeWrite func(out string)

// prune removes a legacy JSON sidecar whose data now lives in YAML, if it still holds
// what was read (a file changed meanwhile is left alone), keeping it as a backup with Backup.
func prune(path string, snap *fsutil.Snapshot, o *Options) error {
	if _, err := o.roots.Remove(path, fsutil.RemoveOptions{Old: snap, Backup: o.Backup}); err != nil {
		return fmt.Errorf("migrate: prune: %w", err)
	}
	return nil
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

// dataOf is what the snapshot holds; nil for none (a file that does not exist yet).
func dataOf(s *fsutil.Snapshot) []byte {
	if s == nil {
		return nil
	}
	return s.Data
}
