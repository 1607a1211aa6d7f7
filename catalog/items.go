package catalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// statusItems is what the status writers read: the items in output order.
type statusItems interface {
	each(fn func(*Item) error) error
}

type sliceItems []Item

func (s sliceItems) each(fn func(*Item) error) error {
	for i := range s {
		if err := fn(&s[i]); err != nil {
			return err
		}
	}
	return nil
}

// itemStore keeps the items of a status run in flat memory: each item is written, as one
// JSON line, to a scratch file in os.TempDir, and only its offset and size stay in memory
// (12 bytes). Items arrive in scan order, which is their output order (checkpoint, then first
// sidecar) but for rare names (a checkpoint named like another's sidecar stem); while they
// do, nothing else is kept, and only when one arrives out of order are the sort keys read
// back from the file to sort. The file is removed by close.
type itemStore struct {
	f      *os.File
	rows   []itemRow
	off    int64
	buf    bytes.Buffer
	enc    *json.Encoder
	last   itemKey
	sorted bool  // every item so far came at or after the one before it
	err    error // the first write error; add does nothing after it
}

type itemRow struct {
	off  int64
	size int32
}

type itemKey struct{ ckpt, sidecar string }

func keyOf(it *Item) itemKey { return itemKey{it.Checkpoint, first(it.Sidecars)} }

func (a itemKey) less(b itemKey) bool {
	if a.ckpt != b.ckpt {
		return a.ckpt < b.ckpt
	}
	return a.sidecar < b.sidecar
}

func newItemStore() (*itemStore, error) {
	f, err := os.CreateTemp("", "ckptmeta-status-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("catalog: scratch file: %w", err)
	}
	st := &itemStore{f: f, sorted: true}
	st.enc = json.NewEncoder(&st.buf)
	st.enc.SetEscapeHTML(false)
	return st, nil
}

func (st *itemStore) add(it Item) {
	if st.err != nil {
		return
	}
	k := keyOf(&it)
	if len(st.rows) > 0 && k.less(st.last) {
		st.sorted = false
	}
	st.last = itemKey{string([]byte(k.ckpt)), string([]byte(k.sidecar))} // not the item's memory
	st.buf.Reset()
	if err := st.enc.Encode(&it); err != nil {
		st.err = fmt.Errorf("catalog: %w", err)
		return
	}
	n, err := st.f.Write(st.buf.Bytes())
	if err != nil {
		st.err = fmt.Errorf("catalog: scratch file: %w", err)
		return
	}
	st.rows = append(st.rows, itemRow{off: st.off, size: int32(n)})
	st.off += int64(n)
}

// sort puts the rows in output order, as Status sorts its Items (stable).
func (st *itemStore) sort() error {
	if st.sorted || st.err != nil {
		return st.err
	}
	keys := make([]itemKey, len(st.rows))
	r := bufio.NewReader(io.NewSectionReader(st.f, 0, st.off))
	dec := json.NewDecoder(r)
	for i := range keys {
		var it Item
		if err := dec.Decode(&it); err != nil {
			return fmt.Errorf("catalog: scratch file: %w", err)
		}
		keys[i] = keyOf(&it)
	}
	idx := make([]int, len(st.rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]].less(keys[idx[b]]) })
	rows := make([]itemRow, len(st.rows))
	for i, j := range idx {
		rows[i] = st.rows[j]
	}
	st.rows, st.sorted = rows, true
	return nil
}

func (st *itemStore) each(fn func(*Item) error) error {
	var buf []byte
	for _, r := range st.rows {
		if cap(buf) < int(r.size) {
			buf = make([]byte, r.size)
		}
		buf = buf[:r.size]
		if _, err := st.f.ReadAt(buf, r.off); err != nil {
			return fmt.Errorf("catalog: scratch file: %w", err)
		}
		var it Item
		if err := json.Unmarshal(buf, &it); err != nil {
			return fmt.Errorf("catalog: scratch file: %w", err)
		}
		if err := fn(&it); err != nil {
			return err
		}
	}
	return nil
}

func (st *itemStore) close() {
	name := st.f.Name()
	st.f.Close()
	os.Remove(name)
}
