package validate

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/resultcache"
)

// TestOptionsFingerprintCoversEveryField: every field of Options changes the fingerprint
// that keys the cache's tables, unless notVerdict says why it cannot change a verdict. A
// field added to Options (a rule switch, a config) fails here until it is one or the other.
func TestOptionsFingerprintCoversEveryField(t *testing.T) {
	for _, f := range resultcache.Uncovered(Options{}, notVerdict) {
		t.Errorf("Options.%s", f)
	}
}

// TestVerdictRoundTrip: what the cache keeps of a verdict reads back as the very verdict and
// facts, for every sidecar in testdata.
func TestVerdictRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../testdata/sidecars/*/*")
	more, _ := filepath.Glob("testdata/*/*")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("only %d files", len(files))
	}
	v := New(nil, Options{})
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		res, doc := v.Check(name, src)
		f := factsOf(doc)
		got, gotF, extra, ok := decodeVerdict(name, encodeVerdict(res, f, []byte("extra")))
		if !ok || string(extra) != "extra" {
			t.Fatalf("%s: does not decode", name)
		}
		if len(res.Findings) == 0 {
			res.Findings = nil
		}
		if !reflect.DeepEqual(got, res) {
			t.Errorf("%s: verdict\n got %+v\nwant %+v", name, got, res)
		}
		if gotF.fp.ModTime.Equal(f.fp.ModTime) {
			gotF.fp.ModTime = f.fp.ModTime
		}
		if gotF != f {
			t.Errorf("%s: facts\n got %+v\nwant %+v", name, gotF, f)
		}
	}
	if _, _, _, ok := decodeVerdict("x", []byte{1, 2, 3}); ok {
		t.Error("garbage decodes")
	}
}

// TestCacheKeyedByBuild: a verdict the cache holds is used by the same build (a poisoned one
// shows it), and never by another build of the tool.
func TestCacheKeyedByBuild(t *testing.T) {
	dir := t.TempDir()
	name := filepath.ToSlash(filepath.Join(dir, "x.ckpt.metadata.yaml"))
	src := []byte("schema_version: '1.0'\nepoch: -1\n") // invalid
	os.WriteFile(name, src, 0o644)
	os.WriteFile(filepath.Join(dir, "x.ckpt"), nil, 0o644) // no orphan: only content findings
	os.Chtimes(name, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	c, err := OpenCache(filepath.Join(dir, "cache"), 0)
	if err != nil {
		t.Fatal(err)
	}
	v := New(nil, Options{Cache: c, NoStale: true})
	run := func() []string {
		var rules []string
		if err := v.Run(context.Background(), []string{dir}, func(r *Result) {
			for _, f := range r.Findings {
				rules = append(rules, f.Rule)
			}
		}); err != nil {
			t.Fatal(err)
		}
		return rules
	}
	want := run()
	if len(want) == 0 {
		t.Fatal("no findings")
	}
	// Poison the table: claim the file is valid, as a buggy older build might have.
	tables, _ := filepath.Glob(filepath.Join(c.Dir(), "*.rc"))
	for _, tb := range tables {
		os.Remove(tb)
	}
	s := v.Session("validate", []string{dir})
	probe, _, hit := s.table.Check(name)
	if hit {
		t.Fatal("hit in an emptied cache")
	}
	s.table.Put(probe, src, encodeVerdict(&Result{Version: "1.0", Status: StatusValid}, facts{}, nil))
	s.Close()
	if got := run(); len(got) != 0 {
		t.Fatalf("the same build did not use the cache (got %v): the poison test proves nothing", got)
	}
	restore := resultcache.OverrideToolID("another build")
	defer restore()
	if got := run(); !reflect.DeepEqual(got, want) {
		t.Errorf("another build used this build's verdicts: got %v, want %v", got, want)
	}
}
