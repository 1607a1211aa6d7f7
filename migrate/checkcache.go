package migrate

import (
	"os"

	"github.com/ckptmeta/ckptmeta/internal/resultcache"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/validate"
)

// migrate --check keeps, in the results cache (Options.Cache), the two outcomes that depend
// on a file's content alone: not checkpoint metadata (Skipped), and already at the target
// with nothing to fix (unchanged). Everything else — a change, a failure, a regeneration, a
// superseded legacy JSON — is worked out afresh every run. An unchanged verdict also depends
// on the checkpoint beside the file (a recorded path that does not name it is re-pointed):
// the recorded path is kept with the verdict and judged against the checkpoint there now.

// notVerdict names the Options fields that cannot change a cached outcome, with why; every
// other field keys the table. TestCheckCacheOptionsCovered fails for a field in neither.
var notVerdict = map[string]string{
	"DryRun":       "only --check runs use the cache",
	"Check":        "only --check runs use the cache",
	"Diff":         "only unchanged files are cached, and they have no diff",
	"Backup":       "about writes, which --check never makes",
	"Jobs":         "how many files at once, not how",
	"MemoryBudget": "how many files at once, not how",
	"Exclude":      "which files the walk visits, not what a visited file is",
	"Now":          "the clock of regeneration, whose outcomes are never cached",
	"Cache":        "where outcomes are kept",
	"beside":       "set per file by Run; the cached outcome is judged against the checkpoint there now",
	"roots":        "set by Run, for writes",
	"regens":       "set by Run, for regenerations",
	"table":        "set by Run: the cache table itself",
}

// openCheckCache opens the table of a --check run (nil without a cache or for other runs).
func (c *Chain) openCheckCache(paths []string, o Options) *resultcache.Table {
	if !o.Check || o.FixOnly || o.Cache == nil {
		return nil
	}
	wd, _ := os.Getwd()
	// Not keyed by the paths: runs over different files of one tree share the table, and
	// Cover tells it which records this run answers for (see validate.Validator.Session).
	t := o.Cache.OpenTable("migrate/check", validate.RegistryDigest(c.reg), resultcache.Fingerprint(o, notVerdict), wd)
	t.Cover(paths)
	return t
}

const (
	outcomeSkipped   = 1
	outcomeUnchanged = 2
)

func appendStrings(e *resultcache.Encoder, s []string) {
	e.Bool(s != nil)
	e.Uint(uint64(len(s)))
	for _, x := range s {
		e.String(x)
	}
}

func readStrings(d *resultcache.Decoder) []string {
	isNil := !d.Bool()
	n := d.Uint()
	if isNil || !d.OK() || n > 1<<16 {
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, d.String())
	}
	return out
}

// skippedOutcome and unchangedOutcome are the cache payloads of the two cached outcomes.
func skippedOutcome() []byte {
	var e resultcache.Encoder
	e.Uint(outcomeSkipped)
	return e.Bytes()
}

func unchangedOutcome(r *FileResult, m *Migrated) []byte {
	var e resultcache.Encoder
	e.Uint(outcomeUnchanged)
	e.String(r.Output)
	e.String(r.From)
	e.String(r.To)
	appendStrings(&e, r.Steps)
	appendStrings(&e, r.Fixes)
	e.String(m.recPtr)
	e.String(m.rec)
	return e.Bytes()
}

// cachedOutcome fills r from a cached outcome; false when the payload is damaged or the
// unchanged verdict no longer holds (a checkpoint beside the file that its recorded path does
// not name: the file would be re-pointed).
func cachedOutcome(r *FileResult, payload []byte) bool {
	d := resultcache.NewDecoder(payload)
	switch d.Uint() {
	case outcomeSkipped:
		if !d.Done() {
			return false
		}
		r.Skipped = true
		return true
	case outcomeUnchanged:
		output, from, to := d.String(), d.String(), d.String()
		steps, fixes := readStrings(d), readStrings(d)
		recPtr, rec := d.String(), d.String()
		if !d.Done() || output != r.Path {
			return false
		}
		if ckpt := sidecar.CheckpointFor(r.Path); recPtr != "" && isRegular(ckpt) && !validate.NamesCheckpoint(rec, ckpt) {
			return false
		}
		r.From, r.To, r.Steps, r.Fixes = from, to, steps, fixes
		return true
	}
	return false
}
