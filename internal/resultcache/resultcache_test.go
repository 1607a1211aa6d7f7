package resultcache

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// at sets the clock to d after p's mtime (and ctime: written together), whatever time it is.
func at(t *testing.T, p string, d time.Duration) {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	old := now
	now = func() time.Time { return info.ModTime().Add(d) }
	t.Cleanup(func() { now = old })
}

// later moves the clock past the racy window of every file written so far.
func later(t *testing.T) {
	t.Helper()
	old := now
	now = func() time.Time { return old().Add(3 * time.Second) }
	t.Cleanup(func() { now = old })
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// judge is what a caller does: Check, else read, Confirm, else compute and Put. It returns
// the payload and how it was had: "stat", "content" or "computed".
func judge(t *testing.T, tb *Table, p string) (string, string) {
	t.Helper()
	probe, payload, hit := tb.Check(p)
	if hit {
		return string(payload), "stat"
	}
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if payload, ok := tb.Confirm(probe, src); ok {
		return string(payload), "content"
	}
	verdict := "verdict on " + string(src)
	tb.Put(probe, src, []byte(verdict))
	return verdict, "computed"
}

func openCache(t *testing.T) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func closeTable(t *testing.T, tb *Table) {
	t.Helper()
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRacyThenClean: a file judged within the racy window of its last change is confirmed by
// content next time (its stat is not trusted); once older, its stat alone suffices; a change
// is always seen.
func TestRacyThenClean(t *testing.T) {
	c := openCache(t)
	p := filepath.Join(t.TempDir(), "a.yaml")
	write(t, p, "one")
	at(t, p, time.Second) // judged a second after the write: racy, however slow the machine
	steps := []struct{ want, how string }{
		{"verdict on one", "computed"},
		{"verdict on one", "content"}, // racy: the file was written just before it was read
	}
	for i, s := range steps {
		tb := c.Table("k")
		got, how := judge(t, tb, p)
		if got != s.want || how != s.how {
			t.Fatalf("run %d: got %q by %s, want %q by %s", i, got, how, s.want, s.how)
		}
		closeTable(t, tb)
	}
	at(t, p, 3*time.Second)
	tb := c.Table("k")
	if got, how := judge(t, tb, p); how != "content" || got != "verdict on one" {
		t.Fatalf("after the window, first run: %q by %s", got, how) // still the racy record
	}
	closeTable(t, tb)
	tb = c.Table("k")
	if got, how := judge(t, tb, p); how != "stat" || got != "verdict on one" {
		t.Fatalf("clean record: %q by %s", got, how)
	}
	closeTable(t, tb)
	write(t, p, "two") // same size
	at(t, p, 3*time.Second)
	tb = c.Table("k")
	if got, how := judge(t, tb, p); how != "computed" || got != "verdict on two" {
		t.Fatalf("after an edit: %q by %s", got, how)
	}
	closeTable(t, tb)
}

// TestRacyRecordIgnoresEqualStat: a racy record is never trusted on its stat, even when the
// signature is equal (what a same-tick, same-size edit looks like on a coarse clock).
func TestRacyRecordIgnoresEqualStat(t *testing.T) {
	c := openCache(t)
	p := filepath.Join(t.TempDir(), "a.yaml")
	write(t, p, "one")
	at(t, p, time.Second)
	tb := c.Table("k")
	judge(t, tb, p)
	closeTable(t, tb)
	tb = c.Table("k")
	probe, _, hit := tb.Check(p)
	if hit || !probe.hasOld || !probe.old.racy || probe.old.sig != probe.sig {
		t.Fatalf("want a racy record with the file's very signature, not trusted: hit %v, %+v", hit, probe)
	}
	// The content changed behind an equal signature: Confirm must refuse.
	if _, ok := tb.Confirm(probe, []byte("two")); ok {
		t.Fatal("a racy record confirmed other content")
	}
	closeTable(t, tb)
}

// TestKeyAndToolSeparateTables: another key, or another build of the tool, never reads a
// table it did not write.
func TestKeyAndToolSeparateTables(t *testing.T) {
	c := openCache(t)
	later(t)
	p := filepath.Join(t.TempDir(), "a.yaml")
	write(t, p, "one")
	tb := c.Table("k")
	judge(t, tb, p)
	closeTable(t, tb)
	for _, k := range []string{"k2", "k\x00"} {
		tb := c.Table(k)
		if _, how := judge(t, tb, p); how != "computed" {
			t.Errorf("key %q used key k's table (%s)", k, how)
		}
		tb.Close()
	}
	old := toolID
	toolID = func() string { return "another build" }
	defer func() { toolID = old }()
	tb = c.Table("k")
	if _, how := judge(t, tb, p); how != "computed" {
		t.Errorf("another build used this build's table (%s)", how)
	}
	tb.Close()
}

// TestDamagedTables: every truncation of a table, and a flipped byte anywhere in it, is a
// miss for the damaged part (never an error, never a wrong payload), and the next run rewrites it.
func TestDamagedTables(t *testing.T) {
	c := openCache(t)
	later(t)
	dir := t.TempDir()
	var paths []string
	for i := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("f%d.yaml", i))
		write(t, p, fmt.Sprintf("content %d", i))
		paths = append(paths, p)
	}
	tb := c.Table("k")
	for _, p := range paths {
		judge(t, tb, p)
	}
	closeTable(t, tb)
	good, err := os.ReadFile(tb.name)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		tb := c.Table("k")
		for i, p := range paths {
			got, _ := judge(t, tb, p)
			if want := fmt.Sprintf("verdict on content %d", i); got != want {
				t.Fatalf("%s: %s: got %q, want %q", what, p, got, want)
			}
		}
		closeTable(t, tb)
		tb = c.Table("k")
		for _, p := range paths {
			if _, how := judge(t, tb, p); how != "stat" {
				t.Fatalf("%s: not rewritten: %s judged by %s", what, p, how)
			}
		}
		closeTable(t, tb)
	}
	for n := 0; n < len(good); n += 7 {
		os.WriteFile(tb.name, good[:n], 0o600)
		check(fmt.Sprintf("truncated to %d bytes", n))
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		os.WriteFile(tb.name, bad, 0o600)
		check(fmt.Sprintf("byte %d flipped", i))
	}
	os.WriteFile(tb.name, nil, 0o600)
	check("empty")
}

// TestEviction: the tables beyond the size bound go, least recently used first; the table
// just written stays; a table used without change is touched, so it counts as recent.
func TestEviction(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, err := Open(dir, 1) // set below, to four tables' worth
	if err != nil {
		t.Fatal(err)
	}
	later(t)
	src := t.TempDir()
	var files []string
	for i := range 20 {
		p := filepath.Join(src, fmt.Sprintf("f%02d.yaml", i))
		write(t, p, fmt.Sprint(i))
		files = append(files, p)
	}
	tables := map[string]string{}
	base := time.Now().Add(-time.Hour)
	for i := range 8 {
		key := fmt.Sprint("table ", i)
		tb := c.Table(key)
		for _, p := range files {
			judge(t, tb, p)
		}
		closeTable(t, tb)
		if i == 0 {
			info, err := os.Stat(tb.name)
			if err != nil {
				t.Fatal(err)
			}
			c.maxBytes = 4*info.Size() + info.Size()/2
		}
		tables[key] = tb.name
		// Make the order of use explicit (mtime granularity could tie them).
		os.Chtimes(tb.name, base.Add(time.Duration(i)*time.Minute), base.Add(time.Duration(i)*time.Minute))
		if i == 2 {
			// table 0 is used again, unchanged: it becomes the most recent
			tb := c.Table("table 0")
			for _, p := range files {
				if _, how := judge(t, tb, p); how != "stat" {
					t.Fatal("table 0 missed")
				}
			}
			closeTable(t, tb)
		}
	}
	var total int64
	left := map[string]bool{}
	for key, name := range tables {
		if info, err := os.Stat(name); err == nil {
			total += info.Size()
			left[key] = true
		}
	}
	if total > c.maxBytes {
		t.Errorf("tables add up to %d bytes, over the bound of %d", total, c.maxBytes)
	}
	if len(left) != 4 {
		t.Errorf("want 4 tables left, got %v", left)
	}
	if !left["table 7"] {
		t.Error("the table just written was evicted")
	}
	if !left["table 0"] || left["table 1"] {
		t.Errorf("want table 0 (used recently) kept and table 1 gone: %v", left)
	}
	if len(left) < 2 {
		t.Errorf("everything evicted: %v", left)
	}
}

// TestConcurrentUse: many goroutines judging through one table, and two tables for the same
// key written at once, stay correct.
func TestConcurrentUse(t *testing.T) {
	c := openCache(t)
	later(t)
	dir := t.TempDir()
	var paths []string
	for i := range 200 {
		p := filepath.Join(dir, fmt.Sprintf("f%03d.yaml", i))
		write(t, p, fmt.Sprintf("content %d", i))
		paths = append(paths, p)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		for range 2 {
			tb := c.Table("k")
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(paths); i += 4 {
						got, _ := judge(t, tb, paths[i])
						if want := fmt.Sprintf("verdict on content %d", i); got != want {
							t.Errorf("round %d: %s: got %q", round, paths[i], got)
						}
					}
				}()
			}
			wg.Add(1)
			go func() { defer wg.Done(); time.Sleep(time.Millisecond); _ = tb }()
			defer tb.Close()
		}
		wg.Wait()
	}
}

func TestBuildID(t *testing.T) {
	if got := buildID([]byte("junk\xff Go build ID: \"abc/def\"\n \xffmore")); got != "abc/def" {
		t.Errorf("got %q", got)
	}
	if got := buildID([]byte("no id here")); got != "" {
		t.Errorf("got %q", got)
	}
	// The test binary itself has one.
	if id := ToolID(); !bytes.Contains([]byte(id), []byte(" build ")) {
		t.Errorf("ToolID %q has no build ID", id)
	}
}

// TestNilTable: a nil table (no cache) never hits and never fails.
func TestNilTable(t *testing.T) {
	var tb *Table
	p, _, hit := tb.Check("x")
	if hit {
		t.Fatal("nil table hit")
	}
	if _, ok := tb.Confirm(p, nil); ok {
		t.Fatal("nil table confirmed")
	}
	tb.Put(p, nil, nil)
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestUncovered: the fingerprint coverage check names what a test must fail on.
func TestUncovered(t *testing.T) {
	type opts struct {
		Strict  bool
		Rules   map[string]string
		Jobs    int
		Hook    func()
		private int
	}
	got := Uncovered(opts{}, map[string]string{"Jobs": "speed only", "Gone": "no such field"})
	want := map[string]bool{"Gone": false, "Hook": false, "private": false}
	for _, g := range got {
		name, _, _ := strings.Cut(g, " ")
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected: %s", g)
		}
		want[name] = true
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("%s not reported (got %q)", name, got)
		}
	}
	if Fingerprint(opts{Strict: true}, nil) == Fingerprint(opts{}, nil) {
		t.Error("Strict does not change the fingerprint")
	}
}

// TestEvictionBoundsTheTableCount: many small tables (pre-commit makes one per set of
// changed files) are evicted least recently used first once they outnumber MaxTables, even
// far below the byte bound; the table just written stays.
func TestEvictionBoundsTheTableCount(t *testing.T) {
	c := openCache(t)
	later(t)
	p := filepath.Join(t.TempDir(), "f.yaml")
	write(t, p, "x")
	base := time.Now().Add(-time.Hour)
	var names []string
	for i := range MaxTables + 10 {
		tb := c.Table(fmt.Sprint("roots ", i))
		judge(t, tb, p)
		closeTable(t, tb)
		names = append(names, tb.name)
		at := base.Add(time.Duration(i) * time.Second) // explicit order of use
		os.Chtimes(tb.name, at, at)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != MaxTables {
		t.Fatalf("%d tables kept, want %d", len(entries), MaxTables)
	}
	for i, name := range names {
		_, err := os.Stat(name)
		if gone := err != nil; gone != (i < 10) {
			t.Errorf("table %d: gone = %v, want %v (the 10 least recently used go)", i, gone, i < 10)
		}
	}
}

// TestCarryForwardAndDrop: a run over some files keeps the records of the others unchanged;
// a record of a file under the run's roots that the run did not look up (deleted) is dropped;
// a table never grows past the cache's byte bound by carrying records.
func TestCarryForwardAndDrop(t *testing.T) {
	c := openCache(t)
	later(t)
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []string{"a", "b"} {
		os.Mkdir(d, 0o755)
		for i := range 3 {
			write(t, fmt.Sprintf("%s/f%d.yaml", d, i), fmt.Sprintf("%s %d", d, i))
		}
	}
	all := []string{"a/f0.yaml", "a/f1.yaml", "a/f2.yaml", "b/f0.yaml", "b/f1.yaml", "b/f2.yaml"}
	run := func(roots []string, paths ...string) (Stats, []string) {
		t.Helper()
		tb := c.Table("k")
		tb.Cover(roots)
		var hows []string
		for _, p := range paths {
			_, how := judge(t, tb, p)
			hows = append(hows, how)
		}
		closeTable(t, tb)
		return tb.Stats(), hows
	}
	if s, _ := run([]string{"."}, all...); s.Stored != 6 || !s.Written {
		t.Fatalf("first run: %+v", s)
	}
	if s, hows := run([]string{"a/f1.yaml"}, "a/f1.yaml"); s.Hits != 1 || s.Carried != 5 || s.Written || hows[0] != "stat" {
		t.Fatalf("one file: %+v %v", s, hows)
	}
	write(t, "a/f1.yaml", "edited") // judged afresh; the rest carried, unchanged
	if s, _ := run([]string{"a/f1.yaml"}, "a/f1.yaml"); s.Stored != 1 || s.Carried != 5 || !s.Written {
		t.Fatalf("edited file: %+v", s)
	}
	if s, hows := run([]string{"."}, all...); s.Hits != 6 || s.Written {
		t.Fatalf("all after the edit: %+v %v", s, hows)
	}
	os.Remove("b/f2.yaml")
	// Outside the roots of this run: carried, even though the file is gone.
	if s, _ := run([]string{"a"}, "a/f0.yaml", "a/f1.yaml", "a/f2.yaml"); s.Hits != 3 || s.Carried != 3 || s.Dropped != 0 || s.Written {
		t.Fatalf("a run over a: %+v", s)
	}
	// Under them (a directory root, here with a trailing slash): dropped.
	if s, _ := run([]string{"./b/"}, "b/f0.yaml", "b/f1.yaml"); s.Hits != 2 || s.Carried != 3 || s.Dropped != 1 || !s.Written {
		t.Fatalf("a run over b: %+v", s)
	}
	// A file root that is gone drops its record too.
	os.Remove("a/f0.yaml")
	if s, _ := run([]string{"a/f0.yaml"}); s.Dropped != 1 || s.Carried != 4 || !s.Written {
		t.Fatalf("a gone file named: %+v", s)
	}
	if s, hows := run([]string{"."}, "a/f1.yaml", "a/f2.yaml", "b/f0.yaml", "b/f1.yaml"); s.Hits != 4 || s.Written {
		t.Fatalf("what is left: %+v %v", s, hows)
	}
	// The byte bound: a run that judges one file under a bound of a few records' size carries
	// only what fits.
	info, err := os.Stat(c.Table("k").name)
	if err != nil {
		t.Fatal(err)
	}
	c.maxBytes = info.Size() / 2
	write(t, "a/f1.yaml", "edited again")
	s, _ := run([]string{"a/f1.yaml"}, "a/f1.yaml")
	info2, err := os.Stat(c.Table("k").name)
	if err != nil {
		t.Fatal(err)
	}
	if s.Stored != 1 || s.Dropped == 0 || info2.Size() > c.maxBytes {
		t.Fatalf("bounded: %+v, table %d bytes, bound %d", s, info2.Size(), c.maxBytes)
	}
}

// TestWholeTableRead: past wholeReadAfter lookups a small table is read once and records are
// views of it; the answers are the same as record by record.
func TestWholeTableRead(t *testing.T) {
	c := openCache(t)
	later(t)
	dir := t.TempDir()
	var paths []string
	for i := range 3 * wholeReadAfter {
		p := filepath.Join(dir, fmt.Sprintf("f%03d.yaml", i))
		write(t, p, fmt.Sprintf("content %d", i))
		paths = append(paths, p)
	}
	tb := c.Table("k")
	for _, p := range paths {
		judge(t, tb, p)
	}
	closeTable(t, tb)
	tb = c.Table("k")
	for i, p := range paths {
		got, how := judge(t, tb, p)
		if want := fmt.Sprintf("verdict on content %d", i); got != want || how != "stat" {
			t.Fatalf("%s: %q by %s", p, got, how)
		}
		if whole := tb.oldAll.Load() != nil; whole != (i >= wholeReadAfter-1) {
			t.Fatalf("lookup %d: whole table read = %v", i+1, whole)
		}
	}
	closeTable(t, tb)
}

// TestStatPathIsSigOfStat: the allocation-free stat gives the very signature os.Stat does
// (records written by either are the same), and tells regular files from the rest.
func TestStatPathIsSigOfStat(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.yaml")
	write(t, p, "content")
	for _, path := range []string{p, dir} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		s, regular, err := statPath(path)
		if err != nil || s != sigOf(info) || regular != info.Mode().IsRegular() {
			t.Errorf("%s: statPath %+v %v %v, os.Stat %+v %v", path, s, regular, err, sigOf(info), info.Mode().IsRegular())
		}
	}
	if _, _, err := statPath(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file stats")
	}
}

// TestFirstIsSortSearch: the interpolation search gives sort.Search's answer on every kind of
// index: empty, tiny, evenly spread, clustered, duplicated hashes, and hashes at the extremes.
func TestFirstIsSortSearch(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := range 2000 {
		n := rng.Intn(300)
		if round%50 == 0 {
			n = 20000
		}
		idx := make([]entry, n)
		for i := range idx {
			switch round % 4 {
			case 0:
				idx[i].hash = rng.Uint64()
			case 1:
				idx[i].hash = rng.Uint64() >> 60 // many duplicates
			case 2:
				idx[i].hash = uint64(rng.Intn(3)) * (math.MaxUint64 / 2) // extremes
			case 3:
				idx[i].hash = rng.Uint64()>>1 | uint64(i%2)<<63
			}
		}
		sort.Slice(idx, func(i, j int) bool { return idx[i].hash < idx[j].hash })
		tb := &Table{oldIdx: idx}
		probes := []uint64{0, 1, math.MaxUint64, math.MaxUint64 - 1, rng.Uint64()}
		for _, e := range idx[:min(len(idx), 20)] {
			probes = append(probes, e.hash, e.hash-1, e.hash+1)
		}
		for range 50 {
			if n > 0 {
				e := idx[rng.Intn(n)]
				probes = append(probes, e.hash, e.hash-1, e.hash+1)
			}
			probes = append(probes, rng.Uint64())
		}
		for _, h := range probes {
			want := sort.Search(n, func(i int) bool { return idx[i].hash >= h })
			if got := tb.first(h); got != want {
				t.Fatalf("round %d, n %d, hash %x: first %d, sort.Search %d", round, n, h, got, want)
			}
		}
	}
}
