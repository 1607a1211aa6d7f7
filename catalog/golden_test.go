package catalog

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// golden compares got with testdata/golden/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(testdataAbs, "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestStatusGolden(t *testing.T) {
	root := buildTree(t)
	c, err := Status(context.Background(), []string{root}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := Status(context.Background(), []string{t.TempDir()}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file   string
		format string
		o      WriteOptions
		c      *Coverage // nil: the tree's
	}{
		{file: "status.table", format: "table"},
		{file: "status-verbose.table", format: "table", o: WriteOptions{Verbose: true}},
		{file: "status.json", format: "json"},
		{file: "status.prom", format: "prometheus"},
		{file: "status.html", format: "html"},
		{file: "status-empty.json", format: "json", c: empty},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if tc.c == nil {
				tc.c = c
			}
			var buf bytes.Buffer
			if err := WriteStatus(&buf, tc.c, tc.format, tc.o); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

func TestListGolden(t *testing.T) {
	root := buildTree(t)
	es, err := List(context.Background(), []string{root}, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sorted, err := List(context.Background(), []string{root}, ListOptions{Sort: "-hmean", Filters: []string{"hmean>=0.6"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file    string
		format  string
		entries []Entry
	}{
		{file: "list.table", format: "table", entries: es},
		{file: "list.json", format: "json", entries: es},
		{file: "list.csv", format: "csv", entries: es},
		{file: "list-best.table", format: "table", entries: sorted},
		{file: "list-empty.json", format: "json", entries: nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteList(&buf, tc.entries, tc.format); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	var fe *FormatError
	if err := WriteStatus(&bytes.Buffer{}, &Coverage{}, "yaml", WriteOptions{}); !errorsAs(err, &fe) || fe.Format != "yaml" {
		t.Errorf("WriteStatus: err = %v, want *FormatError", err)
	}
	if err := WriteList(&bytes.Buffer{}, nil, "xml"); !errorsIs(err, ErrUnknownFormat) {
		t.Errorf("WriteList: err = %v, want ErrUnknownFormat", err)
	}
}

// ListTo (rows spilled to a scratch file, merge-sorted) writes exactly what WriteList writes
// for List's entries, in every format and sort order, with the default scratch limits and
// with ones that make every row a run.
func TestListToMatchesList(t *testing.T) {
	root := buildTree(t)
	for _, lim := range testLimits {
		setScratchLimits(t, lim)
		listToMatchesList(t, root)
	}
}

func listToMatchesList(t *testing.T, root string) {
	for _, sortSpec := range []string{"", "-hmean", "architecture,-epoch", "created"} {
		for _, format := range ListFormats() {
			o := ListOptions{Sort: sortSpec}
			es, err := List(context.Background(), []string{root}, o)
			if err != nil {
				t.Fatal(err)
			}
			var want, got bytes.Buffer
			if err := WriteList(&want, es, format); err != nil {
				t.Fatal(err)
			}
			n, err := ListTo(context.Background(), []string{root}, o, &got, format)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(es) || got.String() != want.String() {
				t.Errorf("sort %q, %s, %+v: ListTo wrote %d rows\n%s\nList+WriteList %d rows\n%s", sortSpec, format, scratchDefaults, n, got.String(), len(es), want.String())
			}
		}
	}
}
