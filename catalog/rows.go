package catalog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// rows is what the list writers read: a count and the entries in output order, possibly
// twice (the table measures its columns first).
type rows interface {
	len() int
	each(fn func(*Entry) error) error
}

type sliceRows []Entry

func (s sliceRows) len() int { return len(s) }

func (s sliceRows) each(fn func(*Entry) error) error {
	for i := range s {
		if err := fn(&s[i]); err != nil {
			return err
		}
	}
	return nil
}

// rowStore keeps a catalog of any size in flat memory: each entry is written, as one JSON
// line, to a scratch file in os.TempDir, and only its offset and sort-key values stay in
// memory. The file is removed by close.
type rowStore struct {
	f     *os.File
	keys  []SortKey // the sort keys, then the experiment and checkpoint tie-breakers
	rows  []storedRow
	off   int64
	buf   bytes.Buffer
	enc   *json.Encoder
	names map[string]string // interned sort values of the fields many rows share
	err   error             // the first write error; add does nothing after it

	// Rows arrive in scan order, which is checkpoint order but for rare names. While they
	// do, the last tie-breaker (the checkpoint) is not kept: the stable sort leaves rows
	// equal on every other key in arrival order, which is checkpoint order. One out of
	// order, and sort reads the checkpoints back from the scratch file.
	lastCkpt    string
	ckptInOrder bool
}

type storedRow struct {
	off  int64
	size int32
	vals []sortVal
}

// sortVal is one sort-key value of a row: a string, or a number when ok.
type sortVal struct {
	s  string
	n  float64
	ok bool
}

func newRowStore(keys []SortKey) (*rowStore, error) {
	f, err := os.CreateTemp("", "ckptmeta-list-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("catalog: scratch file: %w", err)
	}
	exp, _ := lookupField("experiment")
	ck, _ := lookupField("checkpoint")
	st := &rowStore{f: f, keys: append(append([]SortKey(nil), keys...), SortKey{Field: exp.name, f: exp}, SortKey{Field: ck.name, f: ck}),
		names: map[string]string{}, ckptInOrder: true}
	st.enc = json.NewEncoder(&st.buf)
	st.enc.SetEscapeHTML(false)
	return st, nil
}

// shared are the fields whose values repeat across rows; their sort values are interned.
var shared = map[string]bool{"experiment": true, "schema_version": true, "architecture": true, "encoder": true, "source": true}

func (st *rowStore) add(e *Entry) {
	if st.err != nil {
		return
	}
	st.buf.Reset()
	if err := st.enc.Encode(e); err != nil {
		st.err = fmt.Errorf("catalog: %w", err)
		return
	}
	n, err := st.f.Write(st.buf.Bytes())
	if err != nil {
		st.err = fmt.Errorf("catalog: scratch file: %w", err)
		return
	}
	vals := make([]sortVal, len(st.keys))
	last := len(st.keys) - 1 // the checkpoint tie-breaker
	for i, k := range st.keys {
		if i == last {
			if ck := k.f.str(e); ck == "" || ck < st.lastCkpt {
				st.ckptInOrder = false
			} else if ck != st.lastCkpt {
				st.lastCkpt = strings.Clone(ck)
			}
			continue
		}
		if k.f.kind == kindString {
			s := k.f.str(e)
			if shared[k.f.name] {
				if in, ok := st.names[s]; ok {
					s = in
				} else {
					s = strings.Clone(s)
					st.names[s] = s
				}
			} else {
				s = strings.Clone(s) // not the whole entry's memory
			}
			vals[i] = sortVal{s: s, ok: s != ""}
		} else {
			vals[i].n, vals[i].ok = k.f.num(e)
		}
	}
	st.rows = append(st.rows, storedRow{off: st.off, size: int32(n), vals: vals})
	st.off += int64(n)
}

func (st *rowStore) len() int { return len(st.rows) }

// sort orders the rows as SortEntries orders entries.
func (st *rowStore) sort() error {
	if !st.ckptInOrder {
		last := len(st.keys) - 1
		if err := st.eachStored(func(r *storedRow, e *Entry) error {
			s := st.keys[last].f.str(e)
			r.vals[last] = sortVal{s: s, ok: s != ""}
			return nil
		}); err != nil {
			return err
		}
	}
	sort.SliceStable(st.rows, func(i, j int) bool {
		a, b := st.rows[i].vals, st.rows[j].vals
		for k := range st.keys {
			if c := compareVal(st.keys[k], a[k], b[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	return nil
}

// compareVal is compareBy on stored values: unknown values last, whatever the direction.
func compareVal(k SortKey, x, y sortVal) int {
	switch {
	case !x.ok && !y.ok:
		return 0
	case !x.ok:
		return 1
	case !y.ok:
		return -1
	}
	var c int
	if k.f.kind == kindString {
		c = strings.Compare(x.s, y.s)
	} else {
		c = cmp.Compare(x.n, y.n)
	}
	if k.Descending {
		c = -c
	}
	return c
}

func (st *rowStore) each(fn func(*Entry) error) error {
	return st.eachStored(func(_ *storedRow, e *Entry) error { return fn(e) })
}

// eachStored reads every row back, in the rows' present order.
func (st *rowStore) eachStored(fn func(*storedRow, *Entry) error) error {
	var buf []byte
	for i := range st.rows {
		r := &st.rows[i]
		if cap(buf) < int(r.size) {
			buf = make([]byte, r.size)
		}
		buf = buf[:r.size]
		if _, err := st.f.ReadAt(buf, r.off); err != nil {
			return fmt.Errorf("catalog: scratch file: %w", err)
		}
		var e Entry
		if err := json.Unmarshal(buf, &e); err != nil {
			return fmt.Errorf("catalog: scratch file: %w", err)
		}
		if err := fn(r, &e); err != nil {
			return err
		}
	}
	return nil
}

func (st *rowStore) close() {
	name := st.f.Name()
	st.f.Close()
	os.Remove(name)
}
