// Package resultcache remembers, between runs, what a command concluded about a file's
// content, so a run over files that did not change reads none of them.
//
// A [Cache] is a directory (by default os.UserCacheDir()/ckptmeta). A [Table] is one file in
// it, named by a digest of everything the verdicts depend on besides the files' content:
// the tool's identity ([ToolID]: version and the executable's Go build ID, so a rebuilt
// binary never trusts an old table), and the caller's key (command, working directory,
// schema registry digest, options fingerprint; not the roots a run walks, so runs over a few
// files share the table of runs over the tree). A table holds one record per file path: the
// file's stat signature (size, mtime, ctime, device and inode where the platform has them),
// the SHA-256 of its content and the caller's payload (opaque bytes).
//
// What it promises:
//
//   - A record is used only for the content it was made from. [Table.Check] trusts the stat
//     signature alone only when the record is not racy: the file's mtime and ctime were more
//     than two seconds older than the moment its content was read (git's "racily clean"
//     entries; two seconds covers coarse and FAT time stamps and small clock skew). Otherwise,
//     and whenever the signature differs, the caller reads the file and [Table.Confirm]
//     compares content hashes. The signature is taken before the content is read, so an edit
//     racing the read is seen next time.
//   - Two runs may share a table: each writes a new file under a temp name in the cache
//     directory and renames it into place; the last one wins and both were correct. No
//     fsync: a cache needs atomicity, not durability, and every record and the index carry a
//     CRC, so what a crash leaves (a truncated or zeroed file) is ignored and rewritten.
//   - A damaged record or table is a miss, never an error; a cache that cannot be written
//     makes [Table.Close] return an error the caller may print, and the run's results are
//     the same.
//   - Carry-forward: a run writes back the records it judged or kept, drops those of paths
//     under its roots ([Table.Cover]) that it did not look up (gone, or excluded), and carries
//     every other record forward unchanged.
//   - Bounded: after a table is written, the directory's tables are evicted least recently
//     used first (by mtime: a run that changes nothing touches its table) until their sizes
//     add up to at most the cache's byte limit ([DefaultMaxBytes]) and they are at most
//     [MaxTables]; carried records never make one table exceed the byte limit.
//   - Memory: a run holds 16 bytes (and two bits) per record of the table it read and 24 per
//     record it will write; records stay on disk and are read one at a time, except that a
//     table of at most 8 MiB is read whole once a run has looked up 32 records.
//
// A nil *Table is a valid, empty, never-writing table: callers need no "cache off" branch.
package resultcache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBytes bounds the total size of the tables in a cache directory: a table costs
// about 150 bytes per file, so this is about 400,000 files' verdicts.
const DefaultMaxBytes = 64 << 20

// MaxTables bounds how many tables a cache directory keeps, whatever their size. Every run
// that writes a table lists and stats the directory to evict; tables are keyed by working
// directory, command and options (not roots), so a cache rarely holds many, but nothing else
// bounds their number before the byte bound evicts any.
const MaxTables = 256

// racyWindow: a record whose file changed less than this before its content was read is
// confirmed by content next time, whatever its stat signature says.
const racyWindow = 2 * time.Second

const (
	fileMagic    = "ckptmeta-resultcache 1\n"
	trailerMagic = "ckptRC1\n"
	trailerSize  = 4 + 4 + 8 + 8 // count, index CRC, index offset, magic
	indexEntry   = 16            // path hash, offset, length
	tableSuffix  = ".rc"
	tempPrefix   = ".tmp-"
)

// ErrCache wraps every error this package returns.
var ErrCache = errors.New("resultcache")

// Cache is a cache directory.
type Cache struct {
	dir      string
	maxBytes int64
}

// DefaultDir is os.UserCacheDir()/ckptmeta.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCache, err)
	}
	return filepath.Join(d, "ckptmeta"), nil
}

// Open returns the cache in dir, creating the directory (mode 0700: verdicts name the
// user's files). maxBytes bounds the tables' total size; 0 means DefaultMaxBytes.
func Open(dir string, maxBytes int64) (*Cache, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: no cache directory", ErrCache)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCache, err)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Cache{dir: dir, maxBytes: maxBytes}, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// now is the clock the racy test reads; tests move it.
var now = time.Now

// toolID is ToolID's value; tests replace it to play a different build.
var toolID = sync.OnceValue(computeToolID)

// ToolID identifies the running binary: its module version and its Go build ID (a hash of
// everything that went into the build), read from the first 64 KiB of the executable, where
// the Go linker puts it on every platform. Without one it is the executable's SHA-256.
func ToolID() string { return toolID() }

func computeToolID() string {
	id := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		id = bi.Main.Path + "@" + bi.Main.Version
	}
	exe, err := os.Executable()
	if err != nil {
		return id + " no-executable"
	}
	f, err := os.Open(exe)
	if err != nil {
		return id + " no-executable"
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	if b := buildID(head[:n]); b != "" {
		return id + " build " + b
	}
	h := sha256.New()
	if _, err := f.Seek(0, io.SeekStart); err == nil {
		if _, err := io.Copy(h, f); err == nil {
			return id + " sha256 " + hex.EncodeToString(h.Sum(nil))
		}
	}
	return id + " no-executable"
}

// buildID finds the Go build ID in the head of an executable: in ELF, the linker's
// .note.go.buildid note (namesz 4, descsz, type 4, "Go\x00\x00", the ID), in the first page;
// on Mach-O and PE, the `\xff Go build ID: "…"\n \xff` line at the start of the text.
func buildID(b []byte) string {
	const note = "\x04\x00\x00\x00Go\x00\x00"
	if bytes.HasPrefix(b, []byte("\x7fELF")) {
		if i := bytes.Index(b, []byte(note)); i >= 8 && binary.LittleEndian.Uint32(b[i-8:]) == 4 {
			n := int(binary.LittleEndian.Uint32(b[i-4:]))
			if n > 0 && n <= 256 && i+8+n <= len(b) {
				return string(b[i+8 : i+8+n])
			}
		}
	}
	const start, end = "\xff Go build ID: \"", "\"\n \xff"
	i := bytes.Index(b, []byte(start))
	if i < 0 {
		return ""
	}
	rest := b[i+len(start):]
	j := bytes.Index(rest, []byte(end))
	if j <= 0 || j > 256 {
		return ""
	}
	return string(rest[:j])
}

// sig is a file's stat signature; fields a platform lacks are zero.
type sig struct {
	size, mtime, ctime int64
	ino, dev           uint64
}

// entry locates one record in a table file.
type entry struct {
	hash uint64
	off  uint32
	n    uint32
}

// ref is a record of the table being written: in the new file, or kept from the old one.
type ref struct {
	entry
	old bool
}

// Table is one run's view of one table file: the records of the last run to write it, and
// the records this run will write. Its methods are safe for concurrent use.
type Table struct {
	c    *Cache
	name string

	old     *os.File
	oldIdx  []entry // sorted by hash
	oldEnd  int64   // where the old table's records end (its index starts)
	oldSize int64
	oldAll  atomic.Pointer[[]byte] // the whole old table, once read (then records are not pread)
	lookups atomic.Int64

	cover coverage

	mu      sync.Mutex
	tmp     *os.File
	w       *bufio.Writer
	off     int64
	refs    []ref
	seen    []uint64 // bit i: old record i is this run's to judge (it looked the path up)
	kept    []uint64 // bit i: old record i is kept as it is (one bit a record)
	nkept   int
	dirty   bool
	err     error
	stats   Stats
	written bool
}

// Stats counts what a table did for one run: how its files were answered, and what became
// of the records of files the run did not look at. They are for tests and --cache-stats;
// no verdict depends on them.
type Stats struct {
	Hits      int // answered by the stat signature alone: the file was not read
	Confirmed int // the file was read, and its content hash matched the record
	Stored    int // judged afresh and stored
	Carried   int // records of files this run did not look at, kept unchanged
	Dropped   int // records of files under this run's roots that it no longer found (gone or excluded)
	Written   bool
}

// Table opens the table for key (every string the verdicts depend on besides the files'
// content and ToolID). A table file that is missing or damaged is an empty table.
//
// The roots a run walks are not part of the key: runs over different files of the same tree
// (pre-commit passes the changed files) share one table. [Table.Cover] tells the table which
// paths this run is answerable for, so Close can tell a record of a file that is gone from
// one of a file this run simply did not look at.
func (c *Cache) Table(key ...string) *Table {
	h := sha256.New()
	io.WriteString(h, fileMagic)
	for _, k := range append([]string{ToolID()}, key...) {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))])
		io.WriteString(h, k)
	}
	t := &Table{c: c, name: filepath.Join(c.dir, hex.EncodeToString(h.Sum(nil)[:16])+tableSuffix)}
	t.load()
	t.kept = make([]uint64, (len(t.oldIdx)+63)/64)
	t.seen = make([]uint64, (len(t.oldIdx)+63)/64)
	return t
}

// load reads the old table's index; on any damage the table starts empty.
func (t *Table) load() {
	f, err := os.Open(t.name)
	if err != nil {
		return
	}
	idx, end, size, err := readIndex(f)
	if err != nil {
		f.Close()
		t.dirty = true // rewrite what is damaged
		return
	}
	t.old, t.oldIdx, t.oldEnd, t.oldSize = f, idx, end, size
}

func readIndex(f *os.File) (idx []entry, end, size int64, err error) {
	info, err := f.Stat()
	if err != nil {
		return nil, 0, 0, err
	}
	size = info.Size()
	if size < int64(len(fileMagic))+trailerSize || size > 1<<32 {
		return nil, 0, 0, errors.New("bad size")
	}
	head := make([]byte, len(fileMagic))
	if _, err := f.ReadAt(head, 0); err != nil || string(head) != fileMagic {
		return nil, 0, 0, errors.New("bad header")
	}
	tr := make([]byte, trailerSize)
	if _, err := f.ReadAt(tr, size-trailerSize); err != nil || string(tr[16:]) != trailerMagic {
		return nil, 0, 0, errors.New("bad trailer")
	}
	count := int64(binary.LittleEndian.Uint32(tr[0:]))
	sum := binary.LittleEndian.Uint32(tr[4:])
	at := int64(binary.LittleEndian.Uint64(tr[8:]))
	if at < int64(len(fileMagic)) || at+count*indexEntry != size-trailerSize {
		return nil, 0, 0, errors.New("bad index offset")
	}
	raw := make([]byte, count*indexEntry)
	if _, err := f.ReadAt(raw, at); err != nil || crc32.ChecksumIEEE(raw) != sum {
		return nil, 0, 0, errors.New("bad index")
	}
	idx = make([]entry, count)
	for i := range idx {
		b := raw[i*indexEntry:]
		idx[i] = entry{hash: binary.LittleEndian.Uint64(b), off: binary.LittleEndian.Uint32(b[8:]), n: binary.LittleEndian.Uint32(b[12:])}
		if int64(idx[i].off) < int64(len(fileMagic)) || int64(idx[i].off)+int64(idx[i].n) > at || (i > 0 && idx[i].hash < idx[i-1].hash) {
			return nil, 0, 0, errors.New("bad index entry")
		}
	}
	return idx, at, size, nil
}

func pathHash(p string) uint64 {
	// FNV-1a, inline: hash/fnv would allocate per call.
	h := uint64(14695981039346656037)
	for i := 0; i < len(p); i++ {
		h ^= uint64(p[i])
		h *= 1099511628211
	}
	return h
}

// wholeReadAfter and wholeReadMax: once a run has looked up this many records, and the
// table is no larger than this, the table is read in one read and records are sliced from it
// instead of read one pread each (a warm run over a tree). A run over a few files (pre-commit)
// preads the few records it needs; a larger table is pread record by record, so memory does
// not grow with it.
const (
	wholeReadAfter = 32
	wholeReadMax   = 8 << 20
)

// oldRecord returns the bytes of old record e: a view of the whole table once read, else a
// fresh buffer.
func (t *Table) oldRecord(e entry) ([]byte, bool) {
	if all := t.oldAll.Load(); all != nil {
		return (*all)[e.off : e.off+e.n : e.off+e.n], true
	}
	buf := make([]byte, e.n)
	if _, err := t.old.ReadAt(buf, int64(e.off)); err != nil {
		return nil, false
	}
	return buf, true
}

// readWhole reads the old table in one read, when it is small enough; t.mu is not needed
// (concurrent callers may both read it; the first stored wins).
func (t *Table) readWhole() {
	if t.oldAll.Load() != nil || t.oldSize > wholeReadMax {
		return
	}
	all := make([]byte, t.oldSize)
	if _, err := t.old.ReadAt(all, 0); err != nil {
		return
	}
	t.oldAll.CompareAndSwap(nil, &all)
}

// lookup finds path's record in the old table, and its index there.
func (t *Table) lookup(path string) (record, int, bool) {
	if t.old == nil {
		return record{}, 0, false
	}
	if t.lookups.Add(1) == wholeReadAfter {
		t.readWhole()
	}
	h := pathHash(path)
	i := t.first(h)
	for ; i < len(t.oldIdx) && t.oldIdx[i].hash == h; i++ {
		buf, ok := t.oldRecord(t.oldIdx[i])
		if !ok {
			continue
		}
		r, ok := decodeRecord(buf)
		if ok && string(r.path) == path {
			return r, i, true
		}
	}
	return record{}, 0, false
}

// record is one decoded record; path and payload are views of the bytes it was decoded from.
type record struct {
	path    []byte
	sig     sig
	racy    bool
	sum     [sha256.Size]byte
	payload []byte
}

// first is the index of the first old record whose path hash is at least h. The hashes are
// FNV-1a, spread evenly over 64 bits, so an interpolation step lands within a few entries of
// the answer: two or three index entries are read instead of a binary search's log2(n) (each
// a cache miss in a large index).
func (t *Table) first(h uint64) int {
	idx := t.oldIdx
	lo, hi := 0, len(idx) // the answer is in [lo, hi]
	const w = 8           // half the window around a guess
	for hi-lo > 4*w {
		lh, hh := idx[lo].hash, idx[hi-1].hash
		if h <= lh {
			return lo
		}
		if h > hh {
			return hi
		}
		// Interpolate between idx[lo] and idx[hi-1] (128-bit product: no overflow; q < hi-1-lo
		// since lh < h <= hh).
		hi64, lo64 := bits.Mul64(h-lh, uint64(hi-1-lo))
		q, _ := bits.Div64(hi64, lo64, hh-lh)
		m := lo + int(q)
		a, b := max(lo, m-w), min(hi, m+w+1)
		switch {
		case a > lo && idx[a-1].hash >= h:
			hi = a // the guess overshot
		case b < hi && idx[b-1].hash < h:
			lo = b // the guess fell short
		default:
			lo, hi = a, b // in the window: done below
			continue
		}
		// A missed guess (hashes unevenly spread) is followed by a bisection, so the search
		// never takes more than twice binary search's steps.
		if mid := lo + (hi-lo)/2; idx[mid].hash < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for lo < hi && idx[lo].hash < h {
		lo++
	}
	return lo
}

// Probe is what Check learnt about one file, for Confirm and Put.
type Probe struct {
	path    string
	sig     sig
	statOK  bool
	readAt  int64 // ns: when the content was (about to be) read
	old     record
	hasOld  bool
	sum     [sha256.Size]byte
	summed  bool
	settled bool // Check or Confirm answered: Put has nothing to do
}

// mark sets bit i of bits; t.mu is held. It reports whether the bit was clear.
func mark(bits []uint64, i int) bool {
	if bits[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	bits[i/64] |= 1 << (i % 64)
	return true
}

func isSet(bits []uint64, i int) bool { return bits[i/64]&(1<<(i%64)) != 0 }

// Check stats path and looks it up. It returns the stored payload and true when the file's
// stat signature is the stored one and the record is not racy: the caller need not read the
// file. Otherwise the caller reads the file and calls Confirm, then Put when Confirm misses.
// The payload is read-only: it may be a view of the table.
func (t *Table) Check(path string) (p *Probe, payload []byte, hit bool) {
	pr := Probe{path: path, readAt: now().UnixNano()} // on the stack: a hit allocates no probe
	miss := func() (*Probe, []byte, bool) {
		p := new(Probe)
		*p = pr
		return p, nil, false
	}
	if t == nil {
		return miss()
	}
	sg, regular, err := statPath(path)
	if err != nil || !regular {
		return miss() // not cached: the caller reports what it finds
	}
	pr.sig, pr.statOK = sg, true
	r, i, ok := t.lookup(path)
	if !ok {
		return miss()
	}
	pr.old, pr.hasOld = r, true
	hit = !r.racy && r.sig == pr.sig
	t.mu.Lock()
	mark(t.seen, i) // this run judges the path: the old record is kept below, or replaced
	if hit && mark(t.kept, i) {
		t.nkept++
		t.refs = append(t.refs, ref{entry: t.oldIdx[i], old: true})
	}
	if hit {
		t.stats.Hits++
	}
	t.mu.Unlock()
	if !hit {
		return miss()
	}
	// Answered: Confirm and Put have nothing to do with this probe; the caller gets the shared
	// settled one.
	return settledProbe, r.payload, true
}

// settledProbe is what Check returns with a hit: Confirm and Put ignore a settled probe, and
// nothing writes to one.
var settledProbe = &Probe{settled: true}

// Confirm reports the stored payload when src, the file's content read after Check, is the
// content the record was made from (SHA-256), and stores the record again with the file's
// current signature. A nil Table or probe never confirms.
func (t *Table) Confirm(p *Probe, src []byte) ([]byte, bool) {
	if t == nil || p == nil || !p.statOK || p.settled {
		return nil, false
	}
	p.sum, p.summed = sha256.Sum256(src), true
	if !p.hasOld || p.sum != p.old.sum {
		return nil, false
	}
	t.write(p, p.old.payload, true)
	p.settled = true
	return p.old.payload, true
}

// Put stores payload as the verdict on src, the content read after Check. Nothing is stored
// for a file Check could not stat, or when Check or Confirm already answered.
func (t *Table) Put(p *Probe, src, payload []byte) {
	if t == nil || p == nil || !p.statOK || p.settled {
		return
	}
	if !p.summed {
		p.sum, p.summed = sha256.Sum256(src), true
	}
	t.write(p, payload, false)
	p.settled = true
}

func (t *Table) write(p *Probe, payload []byte, confirmed bool) {
	r := record{path: []byte(p.path), sig: p.sig, sum: p.sum, payload: payload,
		racy: max(p.sig.mtime, p.sig.ctime) >= p.readAt-int64(racyWindow)}
	b := encodeRecord(r)
	t.mu.Lock()
	defer t.mu.Unlock()
	if confirmed {
		t.stats.Confirmed++
	} else {
		t.stats.Stored++
	}
	t.dirty = true
	if t.err != nil || !t.ensureTemp() {
		return
	}
	if _, err := t.w.Write(b); err != nil {
		t.err = err
		return
	}
	t.refs = append(t.refs, ref{entry: entry{hash: pathHash(p.path), off: uint32(t.off), n: uint32(len(b))}})
	t.off += int64(len(b))
}

// ensureTemp creates the new table file on first use; t.mu is held.
func (t *Table) ensureTemp() bool {
	if t.tmp != nil {
		return true
	}
	f, err := os.CreateTemp(t.c.dir, tempPrefix+"*")
	if err != nil {
		t.err = err
		return false
	}
	t.tmp, t.w = f, bufio.NewWriterSize(f, 64<<10)
	n, err := t.w.WriteString(fileMagic)
	t.off = int64(n)
	if err != nil {
		t.err = err
	}
	return err == nil
}

// coverage is the set of paths a run answers for: the roots it walks, as its callers spell
// the paths they look up (slash-separated).
type coverage struct {
	dirs  []string        // a path under one of these (prefix ending in "/"; "" is every relative path)
	files map[string]bool // these paths exactly
	any   bool            // Cover was called with something
}

// Cover tells the table which paths this run answers for: roots as the run walks them. A
// root that is a directory covers every path under it (as the walk spells it: the root
// cleaned, then "/", slash-separated); any other root covers its own path. At Close, a record
// of the old table that this run did not look up is dropped when the run covers its path (the
// walk did not report it: the file is gone, or was excluded this time), and carried forward
// unchanged otherwise: a run over a few files keeps the verdicts on the rest of the tree.
func (t *Table) Cover(roots []string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range roots {
		t.cover.any = true
		if info, err := os.Stat(r); err == nil && info.IsDir() {
			d := filepath.ToSlash(filepath.Clean(r))
			switch {
			case d == ".":
				d = ""
			case !strings.HasSuffix(d, "/"):
				d += "/"
			}
			t.cover.dirs = append(t.cover.dirs, d)
			continue
		}
		if t.cover.files == nil {
			t.cover.files = map[string]bool{}
		}
		t.cover.files[filepath.ToSlash(r)] = true
		t.cover.files[r] = true
	}
}

// covers reports whether path is under the run's roots.
func (c *coverage) covers(path string) bool {
	if c.files[path] {
		return true
	}
	path = filepath.ToSlash(path)
	for _, d := range c.dirs {
		if d == "" {
			// "." covers what a walk of "." reports: relative paths that do not climb.
			if !filepath.IsAbs(path) && !strings.HasPrefix(path, "/") && path != ".." && !strings.HasPrefix(path, "../") {
				return true
			}
			continue
		}
		if strings.HasPrefix(path, d) {
			return true
		}
	}
	return false
}

// Stats reports what the table did so far (Carried, Dropped and Written once it is closed).
func (t *Table) Stats() Stats {
	if t == nil {
		return Stats{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats
}

// forEachOld calls fn with each old record this run did not look up, in file order (one
// sequential read of the table), and its index. It stops at the first false fn returns.
func (t *Table) forEachOld(fn func(i int, rec []byte) bool) {
	if t.old == nil {
		return
	}
	var order []int32
	for i := range t.oldIdx {
		if !isSet(t.seen, i) {
			order = append(order, int32(i))
		}
	}
	if len(order) == 0 {
		return
	}
	sort.Slice(order, func(a, b int) bool { return t.oldIdx[order[a]].off < t.oldIdx[order[b]].off })
	if all := t.oldAll.Load(); all != nil {
		for _, i := range order {
			e := t.oldIdx[i]
			if !fn(int(i), (*all)[e.off:e.off+e.n:e.off+e.n]) {
				return
			}
		}
		return
	}
	r := bufio.NewReaderSize(io.NewSectionReader(t.old, 0, t.oldEnd), 256<<10)
	var pos int64
	var buf []byte
	for _, i := range order {
		e := t.oldIdx[i]
		if int64(e.off) < pos { // overlapping records: only a damaged (yet CRC-clean) index does that
			continue
		}
		if _, err := r.Discard(int(int64(e.off) - pos)); err != nil {
			return
		}
		if cap(buf) < int(e.n) {
			buf = make([]byte, e.n)
		}
		buf = buf[:e.n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		pos = int64(e.off) + int64(e.n)
		if !fn(int(i), buf) {
			return
		}
	}
}

// dropsAny reports whether an old record this run did not look up is under its roots (so the
// table must be rewritten without it); t.mu is held.
func (t *Table) dropsAny() bool {
	if !t.cover.any || len(t.oldIdx) == t.nkept {
		return false
	}
	if len(t.cover.dirs) == 0 {
		// Only files were named: only records whose path hash is one of theirs can be covered.
		hashes := map[uint64]bool{}
		for f := range t.cover.files {
			hashes[pathHash(f)] = true
		}
		for i, e := range t.oldIdx {
			if isSet(t.seen, i) || !hashes[e.hash] {
				continue
			}
			if b, ok := t.oldRecord(e); ok {
				if r, ok := decodeRecord(b); !ok || t.cover.covers(string(r.path)) {
					return true
				}
			}
		}
		return false
	}
	drops := false
	t.forEachOld(func(_ int, b []byte) bool {
		r, ok := decodeRecord(b)
		drops = !ok || t.cover.covers(string(r.path))
		return !drops
	})
	return drops
}

// Close writes the table when this run changed anything (else it only marks the table
// used), evicts what exceeds the cache's size bound, and releases the files. The error is
// for a table that could not be written; the run's verdicts stand either way.
func (t *Table) Close() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() {
		if t.old != nil {
			t.old.Close()
			t.old = nil
		}
	}()
	seenNotKept := false
	for i := range t.seen {
		if t.seen[i] != t.kept[i] {
			seenNotKept = true // a record replaced, or of a file that could not be read now
			break
		}
	}
	if !t.dirty && !seenNotKept && !t.dropsAny() {
		t.stats.Carried = len(t.oldIdx) - t.nkept
		if t.old != nil {
			now := time.Now()
			os.Chtimes(t.name, now, now) // least recently used is what eviction removes
		}
		return nil
	}
	err := t.save()
	if err != nil {
		if t.tmp != nil {
			t.tmp.Close()
			os.Remove(t.tmp.Name())
		}
		return fmt.Errorf("%w: write %s: %w", ErrCache, t.name, err)
	}
	t.stats.Written = true
	t.c.evict(t.name)
	return nil
}

func (t *Table) save() error {
	if t.err != nil {
		return t.err
	}
	if !t.ensureTemp() {
		return t.err
	}
	// Records kept from the old table move into the new one.
	refs := make([]ref, 0, len(t.refs))
	for _, r := range t.refs {
		if !r.old {
			refs = append(refs, r)
			continue
		}
		b, ok := t.oldRecord(r.entry)
		if !ok {
			continue
		}
		if _, err := t.w.Write(b); err != nil {
			return err
		}
		refs = append(refs, ref{entry: entry{hash: r.hash, off: uint32(t.off), n: r.n}})
		t.off += int64(r.n)
	}
	// Then the records of files this run did not look at: those under its roots are gone (or
	// excluded) and dropped; the others are carried forward unchanged, in the old table's
	// order (the most recently judged first), while the table stays within the cache's byte
	// bound: what does not fit is the longest carried, and goes.
	var werr error
	t.forEachOld(func(i int, b []byte) bool {
		r, ok := decodeRecord(b)
		if !ok || t.cover.covers(string(r.path)) {
			t.stats.Dropped++
			return true
		}
		if t.off+int64(len(b))+int64(len(refs)+1)*indexEntry+trailerSize > t.c.maxBytes {
			t.stats.Dropped++
			return true
		}
		if _, werr = t.w.Write(b); werr != nil {
			return false
		}
		refs = append(refs, ref{entry: entry{hash: t.oldIdx[i].hash, off: uint32(t.off), n: uint32(len(b))}})
		t.off += int64(len(b))
		t.stats.Carried++
		return true
	})
	if werr != nil {
		return werr
	}
	if t.off+int64(len(refs))*indexEntry+trailerSize > 1<<32 {
		return errors.New("table over 4 GiB")
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].hash < refs[j].hash })
	idx := make([]byte, 0, len(refs)*indexEntry)
	for _, r := range refs {
		idx = binary.LittleEndian.AppendUint64(idx, r.hash)
		idx = binary.LittleEndian.AppendUint32(idx, r.off)
		idx = binary.LittleEndian.AppendUint32(idx, r.n)
	}
	tr := binary.LittleEndian.AppendUint32(nil, uint32(len(refs)))
	tr = binary.LittleEndian.AppendUint32(tr, crc32.ChecksumIEEE(idx))
	tr = binary.LittleEndian.AppendUint64(tr, uint64(t.off))
	tr = append(tr, trailerMagic...)
	if _, err := t.w.Write(idx); err != nil {
		return err
	}
	if _, err := t.w.Write(tr); err != nil {
		return err
	}
	if err := t.w.Flush(); err != nil {
		return err
	}
	if err := t.tmp.Close(); err != nil {
		return err
	}
	if t.old != nil {
		// Windows renames nothing over a file open without FILE_SHARE_DELETE, as Go opens them.
		t.old.Close()
		t.old = nil
	}
	if err := os.Rename(t.tmp.Name(), t.name); err != nil {
		// The directory took the temp file, so it is writable: what refused the rename is
		// another run holding the table open (Windows). That run writes the table too.
		os.Remove(t.tmp.Name())
	}
	t.tmp = nil
	return nil
}

// evict removes the least recently used tables until the rest fit in maxBytes and number
// at most MaxTables (never
// keep, the table just written), and temp files a killed run left over an hour ago.
func (c *Cache) evict(keep string) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type table struct {
		name  string
		size  int64
		mtime time.Time
	}
	var tables []table
	var total int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		name := filepath.Join(c.dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), tempPrefix):
			if time.Since(info.ModTime()) > time.Hour {
				os.Remove(name)
			}
		case strings.HasSuffix(e.Name(), tableSuffix):
			tables = append(tables, table{name, info.Size(), info.ModTime()})
			total += info.Size()
		}
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].mtime.Before(tables[j].mtime) })
	count := len(tables)
	for _, tb := range tables {
		if total <= c.maxBytes && count <= MaxTables {
			break
		}
		if tb.name == keep {
			continue
		}
		if err := os.Remove(tb.name); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= tb.size
			count--
		}
	}
}

// encodeRecord: uvarint path length, path, the signature (varints), racy, SHA-256, uvarint
// payload length, payload, CRC-32 of all that.
func encodeRecord(r record) []byte {
	b := make([]byte, 0, 64+len(r.path)+len(r.payload))
	b = binary.AppendUvarint(b, uint64(len(r.path)))
	b = append(b, r.path...)
	b = binary.AppendVarint(b, r.sig.size)
	b = binary.AppendVarint(b, r.sig.mtime)
	b = binary.AppendVarint(b, r.sig.ctime)
	b = binary.AppendUvarint(b, r.sig.ino)
	b = binary.AppendUvarint(b, r.sig.dev)
	racy := byte(0)
	if r.racy {
		racy = 1
	}
	b = append(b, racy)
	b = append(b, r.sum[:]...)
	b = binary.AppendUvarint(b, uint64(len(r.payload)))
	b = append(b, r.payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

func decodeRecord(b []byte) (r record, ok bool) {
	if len(b) < 4 || crc32.ChecksumIEEE(b[:len(b)-4]) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return r, false
	}
	d := Decoder{b: b[:len(b)-4]}
	r.path = d.Bytes()
	r.sig.size, r.sig.mtime, r.sig.ctime = d.Int(), d.Int(), d.Int()
	r.sig.ino, r.sig.dev = d.Uint(), d.Uint()
	r.racy = d.Byte() != 0
	copy(r.sum[:], d.take(sha256.Size))
	r.payload = d.Bytes()
	return r, d.Done()
}

// OverrideToolID makes ToolID return id until restore is called: for tests that play
// another build of the tool. Not safe while tables are being opened.
func OverrideToolID(id string) (restore func()) {
	old := toolID
	toolID = func() string { return id }
	return func() { toolID = old }
}
