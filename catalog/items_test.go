package catalog

import (
	"bytes"
	"context"
	"testing"
)

// TestItemStoreOrder: items that arrive in order are read back as they came, with no keys
// kept; one out of order and the store sorts them as Status sorts its Items (checkpoint,
// then first sidecar, stable).
func TestItemStoreOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []Item
		sorted bool
		want   []string
	}{
		{"in order", []Item{{Checkpoint: "a", Reason: "1"}, {Checkpoint: "a", Sidecars: []string{"a.x"}, Reason: "2"},
			{Checkpoint: "b", Reason: "3"}}, true, []string{"1", "2", "3"}},
		{"out of order", []Item{{Checkpoint: "b", Reason: "1"}, {Checkpoint: "a", Sidecars: []string{"a.y"}, Reason: "2"},
			{Checkpoint: "a", Sidecars: []string{"a.x"}, Reason: "3"}, {Checkpoint: "a", Sidecars: []string{"a.x"}, Reason: "4"}},
			false, []string{"3", "4", "2", "1"}},
	} {
		st, err := newItemStore()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range tc.in {
			st.add(it)
		}
		if st.sorted != tc.sorted {
			t.Errorf("%s: sorted = %v, want %v", tc.name, st.sorted, tc.sorted)
		}
		if err := st.sort(); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := st.each(func(it *Item) error { got = append(got, it.Reason); return nil }); err != nil {
			t.Fatal(err)
		}
		st.close()
		if len(got) != len(tc.want) {
			t.Fatalf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%s: got %q, want %q", tc.name, got, tc.want)
			}
		}
	}
}

// TestStatusToWritesWhatWriteStatusWrites: the flat-memory path (items through the scratch
// file) and the in-memory one give the same bytes in every format.
func TestStatusToWritesWhatWriteStatusWrites(t *testing.T) {
	root := buildTree(t)
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
				t.Errorf("%s verbose=%v: StatusTo wrote\n%s\nWriteStatus wrote\n%s", format, verbose, got.String(), want.String())
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

// TestRowStoreCheckpointTieBreak: rows that arrive in checkpoint order keep no checkpoint
// strings and sort by arrival; rows out of order have their checkpoints read back, and both
// sort as SortEntries does (experiment, then checkpoint, after the user's keys).
func TestRowStoreCheckpointTieBreak(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ckpts   []string
		inOrder bool
	}{
		{"in order", []string{"e/a.ckpt", "e/b.ckpt", "e/b.ckpt", "e/c.ckpt"}, true},
		{"out of order", []string{"e/c.ckpt", "e/a.ckpt", "e/b.ckpt", "e/a.ckpt"}, false},
	} {
		st, err := newRowStore(nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []Entry
		for i, c := range tc.ckpts {
			e := Entry{Experiment: []string{"y", "x"}[i%2], Checkpoint: c, Sidecar: c + ".metadata.yaml"}
			st.add(&e)
			want = append(want, e)
		}
		if st.ckptInOrder != tc.inOrder {
			t.Errorf("%s: ckptInOrder = %v, want %v", tc.name, st.ckptInOrder, tc.inOrder)
		}
		if err := st.sort(); err != nil {
			t.Fatal(err)
		}
		keys, _ := ParseSort("")
		SortEntries(want, keys)
		var got []string
		st.each(func(e *Entry) error { got = append(got, e.Experiment+" "+e.Checkpoint); return nil })
		st.close()
		for i := range want {
			if w := want[i].Experiment + " " + want[i].Checkpoint; i >= len(got) || got[i] != w {
				t.Fatalf("%s: got %q, want SortEntries' order (row %d: %q)", tc.name, got, i, w)
			}
		}
	}
}
