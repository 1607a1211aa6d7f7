package validate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRunArenaSameAsFresh: Run parses each file into a tree carved from a reused arena
// (Session.check); ValidateFile parses into fresh memory. Over every sidecar in testdata and
// mutated variants of each (lines dropped, repeated, indented, keys and values changed), in
// one tree checked by several workers, so each arena holds the tree of some other file
// before, both must report the same results, finding for finding.
func TestRunArenaSameAsFresh(t *testing.T) {
	var srcs [][]byte
	err := filepath.WalkDir("../testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(d.Name(), ".metadata.") {
			return err
		}
		b, err := os.ReadFile(p)
		srcs = append(srcs, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) < 10 {
		t.Fatalf("only %d sidecars in testdata", len(srcs))
	}
	var variants [][]byte
	for _, src := range srcs {
		variants = append(variants, src)
		lines := bytes.SplitAfter(src, []byte("\n"))
		for i := range lines {
			if i%3 != 0 && len(lines) > 30 {
				continue // every line of small files, a third of the lines of large ones
			}
			edit := func(f func(l []byte) []byte) {
				var b bytes.Buffer
				for j, l := range lines {
					if j == i {
						l = f(l)
					}
					b.Write(l)
				}
				variants = append(variants, b.Bytes())
			}
			edit(func([]byte) []byte { return nil })                                    // dropped
			edit(func(l []byte) []byte { return append(append([]byte{}, l...), l...) }) // repeated
			edit(func(l []byte) []byte { return append([]byte("  "), l...) })           // indented
			edit(func(l []byte) []byte { return bytes.Replace(l, []byte(": "), []byte(": -7 #"), 1) })
			edit(func(l []byte) []byte { return bytes.Replace(l, []byte(": "), []byte(": [1, {a: yes}]  #"), 1) })
			edit(func(l []byte) []byte { return bytes.Replace(l, []byte("_"), []byte("_x_"), 1) })
		}
	}
	dir := t.TempDir()
	for i, src := range variants {
		d := filepath.Join(dir, fmt.Sprintf("d%02d", i/100))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(d, fmt.Sprintf("v%05d.ckpt", i))
		if err := os.WriteFile(name+".metadata.yaml", src, 0o644); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := os.WriteFile(name, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	v := New(nil, Options{Jobs: 3})
	seen := 0
	if err := v.Run(context.Background(), []string{dir}, func(r *Result) {
		seen++
		fresh := v.ValidateFile(r.Path)
		if !reflect.DeepEqual(r, fresh) {
			t.Errorf("%s: Run (arena) found %s %v, ValidateFile %s %v", r.Path, r.Status, dump(r.Findings), fresh.Status, dump(fresh.Findings))
		}
	}); err != nil {
		t.Fatal(err)
	}
	if seen != len(variants) {
		t.Fatalf("Run saw %d files, want %d", seen, len(variants))
	}
	t.Logf("%d files", seen)
}
