package validate

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: no input panics, hangs or grows without bound, and the same bytes always give
// the same findings and the same value.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/sidecars/*/*")
	corpus, _ := filepath.Glob("../testdata/yaml-safeload/*.yaml") // tags, tabs, anchors, directives, huge ints
	seeds = append(seeds, corpus...)
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: {a: 1}\n"))
	v := New(nil, Options{})
	f.Fuzz(func(t *testing.T, src []byte) {
		d1, f1 := Parse("f.yaml", src)
		d2, f2 := Parse("f.yaml", src)
		if !reflect.DeepEqual(f1, f2) {
			t.Fatalf("findings differ between runs")
		}
		if (d1 == nil) != (d2 == nil) || (d1 != nil && !reflect.DeepEqual(d1.Value, d2.Value)) {
			t.Fatalf("values differ between runs")
		}
		r := v.ValidateBytes("f.yaml", src)
		if r.Status != StatusValid && r.Status != StatusInvalid && r.Status != StatusSkipped {
			t.Fatalf("status %v", r.Status)
		}
		for _, x := range r.Findings {
			if x.Rule == "" || x.Message == "" {
				t.Fatalf("finding without rule or message: %+v", x)
			}
		}
	})
}
