package catalog

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ckptmeta/ckptmeta/internal/resultcache"
)

// sortedScratch sorts values of any number in flat memory, for StatusTo (items) and ListTo
// (rows): an external merge sort through one scratch file. Values are kept in memory a chunk
// at a time (at most chunkItems of them, or chunkBytes of their records); a full chunk is
// sorted (stably) and written to the file as one run of records (a length, then what encode
// wrote: exact, so a name that is not valid UTF-8 comes back as it was); reading merges the
// runs, ties going to the earlier run, so the whole is a stable sort by cmp, as
// slices.SortStableFunc would give. Memory is one chunk while values arrive and one buffered reader per run while
// they are read (never more than fanIn: beyond that, runs are first merged into longer ones).
// Values that arrive in order (status: scan order is output order but for rare names) make
// one run, which reads back as it was written.
//
// The file lives in dir (os.TempDir when ""). On Unix it is unlinked as soon as it is created
// (the open descriptor keeps it), so no exit path, not even a kill, leaves it behind;
// elsewhere close removes it. Callers defer close.
type sortedScratch[T any] struct {
	cmp    func(a, b *T) int
	encode func(*resultcache.Encoder, *T)
	decode func(*resultcache.Decoder) T
	lim    scratchLimits
	f      *os.File
	name   string // removed by close when the file could not be unlinked while open
	w      *bufio.Writer
	size   int64 // bytes written so far: the end of the last run
	runs   []scratchRun
	n      int // values added

	chunk []T                 // the values not yet written, in arrival order
	recs  resultcache.Encoder // their records, one after another
	ends  []int               // where each value's record ends in recs
	last  T                   // the greatest value of the last run, when there is one
	err   error
}

// scratchRun is a sorted stretch of the scratch file: records from off to end.
type scratchRun struct{ off, end int64 }

// scratchLimits bound a sortedScratch's memory.
type scratchLimits struct {
	chunkItems int // values held before a run is written
	chunkBytes int // bytes of their records held before a run is written
	fanIn      int // runs merged at once
	readBuf    int // buffer of each run's reader
}

// scratchDefaults: a chunk of 4,096 list rows (about 300 bytes of record each, and as much
// again as values) costs about 2.5 MB; 100,000 rows make 25 runs, merged at once through 25
// readers of 8 KiB.
var scratchDefaults = scratchLimits{chunkItems: 4096, chunkBytes: 1 << 20, fanIn: 64, readBuf: 8 << 10}

// newSortedScratch creates the scratch file in dir ("" = os.TempDir), named after pattern
// (see os.CreateTemp). Values are ordered by cmp and stored as encode writes them; decode
// reads one back.
func newSortedScratch[T any](dir, pattern string, cmp func(a, b *T) int,
	encode func(*resultcache.Encoder, *T), decode func(*resultcache.Decoder) T) (*sortedScratch[T], error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("catalog: scratch file: %w", err)
	}
	s := &sortedScratch[T]{cmp: cmp, encode: encode, decode: decode, lim: scratchDefaults, f: f, name: f.Name(),
		w: bufio.NewWriterSize(f, 64<<10)}
	if unlinkWhileOpen && os.Remove(f.Name()) == nil {
		s.name = ""
	}
	return s, nil
}

// close closes and removes the scratch file.
func (s *sortedScratch[T]) close() {
	s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
}

// add keeps a copy of *v. The first error (writing the file) is kept; add does nothing
// after it, and sort and each return it.
func (s *sortedScratch[T]) add(v *T) {
	if s.err != nil {
		return
	}
	s.encode(&s.recs, v)
	s.chunk = append(s.chunk, *v)
	s.ends = append(s.ends, len(s.recs.Bytes()))
	s.n++
	if len(s.chunk) >= s.lim.chunkItems || len(s.recs.Bytes()) >= s.lim.chunkBytes {
		s.err = s.flush()
	}
}

// len is the number of values added.
func (s *sortedScratch[T]) len() int { return s.n }

// flush sorts the chunk and writes it as a run, or as the continuation of the last run when
// its least value is not less than the last run's greatest.
func (s *sortedScratch[T]) flush() error {
	if len(s.chunk) == 0 {
		return nil
	}
	order := make([]int, len(s.chunk))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return s.cmp(&s.chunk[a], &s.chunk[b]) })
	recs, n := s.recs.Bytes(), 0
	var head []byte
	for _, i := range order {
		start := 0
		if i > 0 {
			start = s.ends[i-1]
		}
		head = binary.AppendUvarint(head[:0], uint64(s.ends[i]-start)) // the record's length
		s.w.Write(head)
		s.w.Write(recs[start:s.ends[i]])
		n += len(head) + s.ends[i] - start
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("catalog: scratch file: %w", err)
	}
	end := s.size + int64(n)
	if len(s.runs) > 0 && s.cmp(&s.last, &s.chunk[order[0]]) <= 0 {
		s.runs[len(s.runs)-1].end = end
	} else {
		s.runs = append(s.runs, scratchRun{off: s.size, end: end})
	}
	s.size = end
	s.last = s.chunk[order[len(order)-1]]
	clear(s.chunk) // let the values go
	s.chunk, s.recs, s.ends = s.chunk[:0], resultcache.Encoder{}, s.ends[:0]
	return nil
}

// sort ends the adding: it writes the last chunk and merges runs until at most fanIn are
// left. It returns the first error of add or its own; callers call it before writing
// anything, so that a scratch-file error leaves no partial output.
func (s *sortedScratch[T]) sort() error {
	if s.err == nil {
		s.err = s.flush()
	}
	for s.err == nil && len(s.runs) > s.lim.fanIn {
		s.err = s.mergeRuns()
	}
	return s.err
}

// each calls fn with every value in sorted order (sort is called first if it was not); it
// may be called more than once (the list table is measured first), and add may not be
// called after it. The values are read back from the file; *v is valid until fn returns
// (its strings and slices for good).
func (s *sortedScratch[T]) each(fn func(*T) error) error {
	if err := s.sort(); err != nil {
		return err
	}
	return s.merge(s.runs, func(_ []byte, v *T) error { return fn(v) })
}

// mergeRuns merges each fanIn consecutive runs into one, written at the end of the file;
// the runs stay in arrival order, so ties still go to the earlier value.
func (s *sortedScratch[T]) mergeRuns() error {
	var merged []scratchRun
	for len(s.runs) > 0 {
		group := s.runs[:min(s.lim.fanIn, len(s.runs))]
		s.runs = s.runs[len(group):]
		if len(group) == 1 {
			merged = append(merged, group[0])
			continue
		}
		start := s.size
		err := s.merge(group, func(rec []byte, _ *T) error {
			n, err := s.w.Write(rec)
			s.size += int64(n)
			return err
		})
		if err == nil {
			err = s.w.Flush()
		}
		if err != nil {
			return fmt.Errorf("catalog: scratch file: %w", err)
		}
		merged = append(merged, scratchRun{off: start, end: s.size})
	}
	s.runs = merged
	return nil
}

// merge reads runs at once and calls fn with each record (length included) and its value in
// order: the least value first, of equal ones the one of the earlier run.
func (s *sortedScratch[T]) merge(runs []scratchRun, fn func(rec []byte, v *T) error) error {
	h := &runHeap[T]{cmp: s.cmp}
	for i, r := range runs {
		c := &runCursor[T]{run: i, decode: s.decode,
			r: bufio.NewReaderSize(io.NewSectionReader(s.f, r.off, r.end-r.off), s.lim.readBuf)}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			h.cs = append(h.cs, c)
		}
	}
	heap.Init(h)
	for len(h.cs) > 0 {
		c := h.cs[0]
		if err := fn(c.rec, &c.v); err != nil {
			return err
		}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// runCursor reads one run: rec is the current value's record, v the value.
type runCursor[T any] struct {
	run    int
	r      *bufio.Reader
	decode func(*resultcache.Decoder) T
	rec    []byte
	v      T
}

// next reads the following value; false at the end of the run.
func (c *runCursor[T]) next() (bool, error) {
	n, err := binary.ReadUvarint(c.r)
	if err == io.EOF {
		return false, nil
	}
	if err == nil && n > maxRecord {
		err = fmt.Errorf("record of %d bytes", n)
	}
	var head int
	if err == nil {
		c.rec = binary.AppendUvarint(c.rec[:0], n)
		head = len(c.rec)
		c.rec = slices.Grow(c.rec, int(n))[:head+int(n)]
		_, err = io.ReadFull(c.r, c.rec[head:])
	}
	if err != nil {
		return false, fmt.Errorf("catalog: scratch file: %w", err)
	}
	d := resultcache.NewDecoder(c.rec[head:])
	c.v = c.decode(d) // a new value: fn may keep its strings
	if !d.Done() {
		return false, errors.New("catalog: scratch file: a record does not decode")
	}
	return true, nil
}

// maxRecord bounds a record read back (ours are well under a megabyte).
const maxRecord = 1 << 30

// runHeap orders the cursors by their values, then by run.
type runHeap[T any] struct {
	cs  []*runCursor[T]
	cmp func(a, b *T) int
}

func (h *runHeap[T]) Len() int { return len(h.cs) }
func (h *runHeap[T]) Less(i, j int) bool {
	if c := h.cmp(&h.cs[i].v, &h.cs[j].v); c != 0 {
		return c < 0
	}
	return h.cs[i].run < h.cs[j].run
}
func (h *runHeap[T]) Swap(i, j int) { h.cs[i], h.cs[j] = h.cs[j], h.cs[i] }
func (h *runHeap[T]) Push(x any)    { h.cs = append(h.cs, x.(*runCursor[T])) }
func (h *runHeap[T]) Pop() any {
	c := h.cs[len(h.cs)-1]
	h.cs = h.cs[:len(h.cs)-1]
	return c
}

// inMemory is what the writers read when the values are already in memory and in order
// (WriteStatus, WriteList).
type inMemory[T any] []T

func (s inMemory[T]) len() int { return len(s) }

func (s inMemory[T]) each(fn func(*T) error) error {
	for i := range s {
		if err := fn(&s[i]); err != nil {
			return err
		}
	}
	return nil
}
