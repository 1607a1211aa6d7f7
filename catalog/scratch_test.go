package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/resultcache"
)

// testLimits are the scratch limits the catalog tests run with: the defaults, and ones so
// small that every value is its own run, runs are merged in several passes, and every line
// is longer than its reader's buffer.
var testLimits = []scratchLimits{scratchDefaults, {chunkItems: 1, chunkBytes: 1 << 20, fanIn: 2, readBuf: 16}}

// setScratchLimits sets the limits new scratch stores get, until the test ends.
func setScratchLimits(t *testing.T, lim scratchLimits) {
	old := scratchDefaults
	scratchDefaults = lim
	t.Cleanup(func() { scratchDefaults = old })
}

// scratchValue is what TestSortedScratchSortsStably sorts: by Key only, so that Seq (the
// arrival order) shows whether equal keys kept their order.
type scratchValue struct {
	Key  int
	Seq  int
	Text string
	Ptr  *float64
}

func compareScratchValues(a, b *scratchValue) int { return a.Key - b.Key }

func encodeScratchValue(enc *resultcache.Encoder, v *scratchValue) {
	enc.Int(int64(v.Key))
	enc.Int(int64(v.Seq))
	enc.String(v.Text)
	enc.Bool(v.Ptr != nil)
	if v.Ptr != nil {
		enc.Uint(math.Float64bits(*v.Ptr))
	}
}

func decodeScratchValue(d *resultcache.Decoder) (v scratchValue) {
	v.Key, v.Seq, v.Text = int(d.Int()), int(d.Int()), d.String()
	if d.Bool() {
		f := math.Float64frombits(d.Uint())
		v.Ptr = &f
	}
	return v
}

// newScratchValues is a store of scratchValues in dir.
func newScratchValues(dir string) (*sortedScratch[scratchValue], error) {
	return newSortedScratch(dir, "ckptmeta-test-*", compareScratchValues, encodeScratchValue, decodeScratchValue)
}

// TestSortedScratchSortsStably: whatever the limits (one value a chunk, chunks bounded by
// bytes, fan-in 2 so that runs are merged level by level, readers smaller than a line), the
// store reads back exactly what sort.SliceStable makes of the values, twice running.
func TestSortedScratchSortsStably(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, lim := range []scratchLimits{
		scratchDefaults,
		{chunkItems: 1, chunkBytes: 1 << 20, fanIn: 2, readBuf: 16},
		{chunkItems: 3, chunkBytes: 1 << 20, fanIn: 3, readBuf: 64},
		{chunkItems: 1000, chunkBytes: 200, fanIn: 4, readBuf: 16},
		{chunkItems: 7, chunkBytes: 1 << 20, fanIn: 64, readBuf: 4096},
	} {
		for _, n := range []int{0, 1, 2, 5, 100, 1000} {
			for _, keys := range []int{1, 3, n + 1} { // all equal, few distinct, mostly distinct
				var in []scratchValue
				for i := range n {
					f := float64(i) / 3
					v := scratchValue{Key: rng.IntN(keys), Seq: i, Text: strings.Repeat("é\n\"\xff\x00", rng.IntN(20))}
					if i%2 == 0 {
						v.Ptr = &f
					}
					in = append(in, v)
				}
				name := fmt.Sprintf("%+v, %d values, %d keys", lim, n, keys)
				s := newTestScratch(t, lim)
				for i := range in {
					s.add(&in[i])
				}
				want := slices.Clone(in)
				sort.SliceStable(want, func(i, j int) bool { return want[i].Key < want[j].Key })
				for pass := range 2 {
					var got []scratchValue
					if err := s.each(func(v *scratchValue) error { got = append(got, *v); return nil }); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if !equalScratchValues(got, want) {
						t.Fatalf("%s, pass %d: read back\n%v\nwant\n%v", name, pass, got, want)
					}
				}
				if s.len() != n {
					t.Errorf("%s: len %d", name, s.len())
				}
				if len(s.runs) > lim.fanIn {
					t.Errorf("%s: %d runs left to merge at once, fan-in %d", name, len(s.runs), lim.fanIn)
				}
				s.close()
			}
		}
	}
}

func equalScratchValues(a, b []scratchValue) bool {
	return slices.EqualFunc(a, b, func(x, y scratchValue) bool {
		return x.Key == y.Key && x.Seq == y.Seq && x.Text == y.Text && (x.Ptr == nil) == (y.Ptr == nil) && (x.Ptr == nil || *x.Ptr == *y.Ptr)
	})
}

func newTestScratch(t *testing.T, lim scratchLimits) *sortedScratch[scratchValue] {
	t.Helper()
	setScratchLimits(t, lim)
	s, err := newScratchValues(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSortedScratchInOrderIsOneRun: values that arrive in order (status's scan order) are
// one run however many chunks they fill, read back as they came; one chunk out of order
// starts a second run.
func TestSortedScratchInOrderIsOneRun(t *testing.T) {
	lim := scratchLimits{chunkItems: 5, chunkBytes: 1 << 20, fanIn: 64, readBuf: 16}
	s := newTestScratch(t, lim)
	defer s.close()
	for i := range 20 {
		s.add(&scratchValue{Key: i / 3, Seq: i})
	}
	if err := s.sort(); err != nil {
		t.Fatal(err)
	}
	if len(s.runs) != 1 {
		t.Errorf("in order: %d runs, want 1", len(s.runs))
	}
	s2 := newTestScratch(t, lim)
	defer s2.close()
	for i := range 20 {
		s2.add(&scratchValue{Key: (i + 10) % 20, Seq: i})
	}
	if err := s2.sort(); err != nil {
		t.Fatal(err)
	}
	if len(s2.runs) != 2 {
		t.Errorf("one step back: %d runs, want 2", len(s2.runs))
	}
	var got []int
	if err := s2.each(func(v *scratchValue) error { got = append(got, v.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(got) || len(got) != 20 {
		t.Errorf("read back %v", got)
	}
}

// TestSortedScratchFileIsRemoved: the scratch file is made in the directory asked for
// (os.TempDir by default), is unlinked while open where the system allows it, and is gone
// after close, whether the store was used, failed to write, or read back a record it could
// not decode.
func TestSortedScratchFileIsRemoved(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		use     func(s *sortedScratch[scratchValue])
		wantErr string
	}{
		{"used", func(s *sortedScratch[scratchValue]) {
			for i := range 10 {
				s.add(&scratchValue{Key: 10 - i})
			}
		}, ""},
		{"record does not decode", func(s *sortedScratch[scratchValue]) {
			for i := range 10 {
				s.add(&scratchValue{Key: i, Text: "x"})
			}
			s.decode = func(d *resultcache.Decoder) scratchValue { return scratchValue{Key: int(d.Int())} }
		}, "catalog: scratch file: a record does not decode"},
		{"file not writable", func(s *sortedScratch[scratchValue]) {
			s.f.Close() // every write fails from here on
			for i := range 10 {
				s.add(&scratchValue{Key: i})
			}
		}, "catalog: scratch file: "},
	} {
		setScratchLimits(t, scratchLimits{chunkItems: 2, chunkBytes: 1 << 20, fanIn: 2, readBuf: 16})
		s, err := newScratchValues(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.f.Name(), filepath.Join(dir, "ckptmeta-test-")) {
			t.Errorf("%s: scratch file %s, want one in %s", tc.name, s.f.Name(), dir)
		}
		if n := len(readDir(t, dir)); unlinkWhileOpen && n != 0 || !unlinkWhileOpen && n != 1 {
			t.Errorf("%s: %d files in the directory while the store is open (unlinked while open: %v)", tc.name, n, unlinkWhileOpen)
		}
		tc.use(s)
		err = s.sort()
		if eachErr := s.each(func(*scratchValue) error { return nil }); err == nil {
			err = eachErr
		} else if !errors.Is(eachErr, err) {
			t.Errorf("%s: each returned %v after sort's %v", tc.name, eachErr, err)
		}
		s.close()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)) {
			t.Errorf("%s: sort, then each: %v, want %q", tc.name, err, tc.wantErr)
		}
		if left := readDir(t, dir); len(left) != 0 {
			t.Errorf("%s: left behind %v", tc.name, left)
		}
	}
	tmp := t.TempDir()
	setTempDir(t, tmp)
	s, err := newScratchValues("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.f.Name(), filepath.Join(tmp, "ckptmeta-test-")) {
		t.Errorf("scratch file %s, want one in os.TempDir %s", s.f.Name(), tmp)
	}
	s.close()
	if left := readDir(t, tmp); len(left) != 0 {
		t.Errorf("left behind in os.TempDir: %v", left)
	}
}

// setTempDir points os.TempDir at dir until the test ends.
func setTempDir(t *testing.T, dir string) {
	if runtime.GOOS == "windows" {
		t.Setenv("TMP", dir)
	} else {
		t.Setenv("TMPDIR", dir)
	}
	if os.TempDir() != dir {
		t.Fatalf("os.TempDir() = %s, want %s", os.TempDir(), dir)
	}
}

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// failingWriter fails every write, after looking at os.TempDir while StatusTo or ListTo has
// its scratch file open.
type failingWriter struct {
	t       *testing.T
	dir     string
	prefix  string
	checked bool
}

func (w *failingWriter) Write([]byte) (int, error) {
	if !w.checked {
		w.checked = true
		checkScratchOpen(w.t, w.dir, w.prefix)
	}
	return 0, errors.New("disk full")
}

// checkScratchOpen: while the scratch file is open it is in dir: listed there, or, unlinked
// while open, still named by the process's open descriptors (Linux shows them in /proc).
func checkScratchOpen(t *testing.T, dir, prefix string) {
	names := readDir(t, dir)
	if !unlinkWhileOpen {
		if len(names) != 1 || !strings.HasPrefix(names[0], prefix) {
			t.Errorf("open scratch files in %s: %v, want one %s*", dir, names, prefix)
		}
		return
	}
	if len(names) != 0 {
		t.Errorf("files in %s while the scratch file is open: %v, want none (unlinked)", dir, names)
	}
	if runtime.GOOS != "linux" {
		return
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil &&
			strings.HasPrefix(target, filepath.Join(dir, prefix)) && strings.HasSuffix(target, " (deleted)") {
			return
		}
	}
	t.Errorf("no open, unlinked %s* in %s", prefix, dir)
}

// TestScratchFileIsRemovedOnEveryExit: StatusTo and ListTo make their scratch file in
// os.TempDir and leave nothing there, whether they succeed, their context is done, or
// writing the output fails.
func TestScratchFileIsRemovedOnEveryExit(t *testing.T) {
	root := buildTree(t)
	tmp := t.TempDir()
	setTempDir(t, tmp)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		out  func(prefix string) *failingWriter // nil: a buffer
		want string                             // the error, "" for none
	}{
		{"written", context.Background(), nil, ""},
		{"context done", done, nil, "context canceled"},
		{"output fails", context.Background(), func(prefix string) *failingWriter {
			return &failingWriter{t: t, dir: tmp, prefix: prefix}
		}, "disk full"},
	} {
		for _, cmd := range []string{"status", "list"} {
			var w interface{ Write([]byte) (int, error) } = &bytes.Buffer{}
			var fw *failingWriter
			if tc.out != nil {
				fw = tc.out("ckptmeta-" + cmd + "-")
				w = fw
			}
			var err error
			if cmd == "status" {
				_, err = StatusTo(tc.ctx, []string{root}, StatusOptions{}, w, "json", WriteOptions{})
			} else {
				_, err = ListTo(tc.ctx, []string{root}, ListOptions{Sort: "-hmean"}, w, "json")
			}
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("%s, %s: err = %v, want %q", cmd, tc.name, err, tc.want)
			}
			if fw != nil && !fw.checked {
				t.Errorf("%s, %s: the output was never written", cmd, tc.name)
			}
			if left := readDir(t, tmp); len(left) != 0 {
				t.Errorf("%s, %s: left in os.TempDir: %v", cmd, tc.name, left)
			}
		}
	}
}

// TestStatusToWritesWhatWriteStatusWrites: the flat-memory path (items through the scratch
// file) and the in-memory one give the same bytes in every format, with the default limits
// and with ones so small that every item is a run and runs are merged in several passes.
func TestStatusToWritesWhatWriteStatusWrites(t *testing.T) {
	root := buildTree(t)
	for _, lim := range testLimits {
		setScratchLimits(t, lim)
		statusToWritesWhatWriteStatusWrites(t, root)
	}
}

func statusToWritesWhatWriteStatusWrites(t *testing.T, root string) {
	for _, format := range StatusFormats() {
		for _, verbose := range []bool{false, true} {
			o := WriteOptions{Verbose: verbose}
			c, err := Status(context.Background(), []string{root}, StatusOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var want, got bytes.Buffer
			if err := WriteStatus(&want, c, format, o); err != nil {
				t.Fatal(err)
			}
			c2, err := StatusTo(context.Background(), []string{root}, StatusOptions{}, &got, format, o)
			if err != nil {
				t.Fatal(err)
			}
			if c2.Items != nil || c2.Total != c.Total {
				t.Errorf("%s: StatusTo's coverage: %d items, totals %+v; want none, %+v", format, len(c2.Items), c2.Total, c.Total)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s verbose=%v, %+v: StatusTo wrote\n%s\nWriteStatus wrote\n%s", format, verbose, scratchDefaults, got.String(), want.String())
			}
			if want.Len() < 200 {
				t.Errorf("%s: only %d bytes written", format, want.Len())
			}
		}
	}
	if _, err := StatusTo(context.Background(), []string{root}, StatusOptions{}, &bytes.Buffer{}, "yaml", WriteOptions{}); err == nil {
		t.Error("StatusTo accepted format yaml")
	}
}

// TestScratchKeepsNamesExactly: a name that is not valid UTF-8 comes back from the scratch
// file as it went in, so StatusTo and ListTo write what WriteStatus and WriteList write for
// it (the text formats render its bytes as \xff, as everywhere else; a JSON round trip would
// have made them U+FFFD).
func TestScratchKeepsNamesExactly(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"a\xffb.ckpt", "c\x1bd.ckpt", "e\u202ef.ckpt"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(fakeCkpt), 0o644); err != nil {
			t.Skipf("this file system takes no such name: %v", err)
		}
	}
	c, err := Status(context.Background(), []string{root}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"table", "json", "html"} {
		var want, got bytes.Buffer
		o := WriteOptions{Verbose: true}
		if err := WriteStatus(&want, c, format, o); err != nil {
			t.Fatal(err)
		}
		if _, err := StatusTo(context.Background(), []string{root}, StatusOptions{}, &got, format, o); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("status %s: StatusTo wrote\n%s\nWriteStatus wrote\n%s", format, got.String(), want.String())
		}
		if format == "table" && !strings.Contains(got.String(), `a\xffb.ckpt`) {
			t.Errorf("status table: no a\\xffb.ckpt in\n%s", got.String())
		}
	}
	es, err := List(context.Background(), []string{root}, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range ListFormats() {
		var want, got bytes.Buffer
		if err := WriteList(&want, es, format); err != nil {
			t.Fatal(err)
		}
		if _, err := ListTo(context.Background(), []string{root}, ListOptions{}, &got, format); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("list %s: ListTo wrote\n%s\nWriteList wrote\n%s", format, got.String(), want.String())
		}
	}
}
