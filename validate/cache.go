package validate

import (
	"fmt"
	"os"
	"sync"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/internal/resultcache"
	"github.com/ckptmeta/ckptmeta/schemas"
)

// Cache keeps verdicts on sidecars' content between runs (internal/resultcache): a run over
// files that did not change reads none of them. Only what a file's content decides is kept
// (its YAML and schema findings, and the facts its neighbour checks read); the neighbour
// checks (conflict, orphan, superseded, misplaced, stale) run afresh every time, on those
// facts, so a cached run reports exactly what an uncached one does. A Cache is safe for
// concurrent use, and two processes may share its directory.
type Cache struct {
	rc    *resultcache.Cache
	mu    sync.Mutex
	errs  []error
	stats CacheStats
}

// CacheStats counts how the tables of the runs that used a Cache answered (for tests, and
// the hidden --cache-stats flag); no verdict depends on them.
type CacheStats struct {
	Hits      int // files answered by their stat signature: not read
	Confirmed int // files read whose content hash matched their record
	Stored    int // files judged afresh
	Carried   int // records of files the runs did not look at, kept for later runs
	Dropped   int // records of files under the runs' roots that are no longer there
	Written   int // tables written (a run that changes nothing writes none)
}

// Stats is what the runs that used c so far did with it.
func (c *Cache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func (c *Cache) count(s resultcache.Stats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Hits += s.Hits
	c.stats.Confirmed += s.Confirmed
	c.stats.Stored += s.Stored
	c.stats.Carried += s.Carried
	c.stats.Dropped += s.Dropped
	if s.Written {
		c.stats.Written++
	}
}

// OpenCache opens (creating it) the cache directory dir; "" is the default,
// os.UserCacheDir()/ckptmeta. maxBytes bounds its size (0: 64 MiB); the least recently used
// tables go first.
func OpenCache(dir string, maxBytes int64) (*Cache, error) {
	if dir == "" {
		d, err := resultcache.DefaultDir()
		if err != nil {
			return nil, fmt.Errorf("validate: cache: %w", err)
		}
		dir = d
	}
	rc, err := resultcache.Open(dir, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("validate: cache: %w", err)
	}
	return &Cache{rc: rc}, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.rc.Dir() }

// Err returns what went wrong writing the cache during the runs that used it (nil when
// nothing did). Such trouble never changes a run's results: the run was merely not cached.
func (c *Cache) Err() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs[0]
}

func (c *Cache) fail(err error) {
	if err == nil {
		return
	}
	c.mu.Lock()
	c.errs = append(c.errs, fmt.Errorf("validate: cache: %w", err))
	c.mu.Unlock()
}

// Session is one run's use of the cache: the table of verdicts for one command, with one
// validator's options, in one working directory. Close it when the run is over to save the
// table. A session of a validator without a cache checks every file.
type Session struct {
	v     *Validator
	table *resultcache.Table
	cache *Cache
	dirs  *dirNames // CheckFile's listings: one per directory instead of an lstat per candidate name
}

// Session opens the table of scope (the command, e.g. "validate", and anything of the
// caller's own that its derived data depends on) for a run over roots, in the validator's
// Options.Cache (without one, the session checks every file). The table is keyed by the
// tool's build, the schema registry's content, the validator's options ([Options]
// fingerprint) and the working directory (paths are as given), not by the roots: runs over
// different files of one tree (pre-commit passes the changed ones) share it. Records of files
// under roots that the run does not look at are dropped when it closes (the files are gone);
// records of files elsewhere are carried forward unchanged.
func (v *Validator) Session(scope string, roots []string) *Session {
	c := v.opts.Cache
	if c == nil {
		return &Session{v: v, dirs: newDirNames(false)}
	}
	wd, _ := os.Getwd()
	t := c.rc.Table("validate/"+scope, RegistryDigest(v.reg), optionsFingerprint(v.opts), wd)
	t.Cover(roots)
	return &Session{v: v, table: t, cache: c, dirs: newDirNames(false)}
}

// Close saves the table (when anything changed) and releases it. Trouble writing it is kept
// for Cache.Err; the run's results stand.
func (s *Session) Close() {
	if s.table == nil {
		return
	}
	s.cache.fail(s.table.Close())
	s.cache.count(s.table.Stats())
	s.table = nil
}

// CheckFile is [Validator.CheckFile] through the cache, for callers that keep something of the
// document besides the verdict: derive computes it from the parsed document (nil when the
// file did not parse) and the verdict on the content alone (before the neighbour checks). It is
// stored with the verdict, and returned without reading the file while the file is
// unchanged. derive must depend on nothing but its arguments and what the scope names. It is not
// called for a file that could not be read (a StatusError result).
func (s *Session) CheckFile(name string, derive func(doc *Document, content *Result) []byte) (*Result, []byte) {
	return s.check(name, s.dirs, derive)
}

func (s *Session) check(name string, dirs *dirNames, derive func(*Document, *Result) []byte) (*Result, []byte) {
	v, table := s.v, s.table
	probe, payload, hit := table.Check(name)
	if hit {
		if res, f, extra, ok := decodeVerdict(name, payload); ok {
			return v.withNeighbours(name, res, f, dirs), extra
		}
	}
	src, err := readSidecar(name)
	if err != nil {
		return errorResult(name, err), nil
	}
	if payload, ok := table.Confirm(probe, src); ok {
		if res, f, extra, ok := decodeVerdict(name, payload); ok {
			return v.withNeighbours(name, res, f, dirs), extra
		}
	}
	var arena *pyyaml.Arena
	if derive == nil {
		// Nothing keeps the document past this call, so its tree may be carved from a
		// reused arena: the bulk of a file's memory is then allocated once per worker.
		arena = arenas.Get().(*pyyaml.Arena)
		defer arenas.Put(arena)
	}
	res, doc, sup := v.content(name, src, arena)
	var extra []byte
	if derive != nil {
		extra = derive(doc, res)
	}
	f := factsOf(doc)
	f.sup = sup
	if table != nil {
		// Put stores a copy: res is completed in place by withNeighbours.
		table.Put(probe, src, encodeVerdict(res, f, extra))
	}
	return v.withNeighbours(name, res, f, dirs), extra
}

// arenas hold the memory of parsed trees between files ([pyyaml.Arena]).
var arenas = sync.Pool{New: func() any { return new(pyyaml.Arena) }}

// notVerdict names the Options fields that cannot change a verdict on a file's content or
// its neighbour checks, with why; every other field is part of the fingerprint.
// TestOptionsFingerprintCoversEveryField fails for a field in neither.
var notVerdict = map[string]string{
	"Jobs":    "how many files are checked at once, not how",
	"Exclude": "which files the walk visits; a visited file's checks read the directory itself",
	"Cache":   "where verdicts are kept",
}

// optionsFingerprint is every verdict-changing field of o, by name, as JSON: a field added
// to Options is in it unless notVerdict says why not.
func optionsFingerprint(o Options) string { return resultcache.Fingerprint(o, notVerdict) }

// RegistryDigest is the SHA-256 of a registry's versions and schema documents
// ([schemas.Registry.Digest], schema extensions included): part of the key of every cache
// table whose verdicts read the schemas.
func RegistryDigest(reg *schemas.Registry) string { return reg.Digest() }

// OpenTable opens a table of the cache for a caller that keeps verdicts of its own (migrate
// --check); key is everything they depend on besides the files' content and the tool's build
// (which every table's key includes). Close it with CloseTable.
func (c *Cache) OpenTable(key ...string) *resultcache.Table {
	if c == nil {
		return nil
	}
	return c.rc.Table(key...)
}

// CloseTable saves t (when anything changed); trouble is kept for Err.
func (c *Cache) CloseTable(t *resultcache.Table) {
	if c != nil {
		c.fail(t.Close())
		c.count(t.Stats())
	}
}
