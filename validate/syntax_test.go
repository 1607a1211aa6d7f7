package validate

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestSyntaxPositionsLikePyYAML: on the generated broken set that internal/pyyaml compares
// with Debian's PyYAML (live under CI; its answers are recorded in the golden file read
// here), every yaml/syntax finding sits at PyYAML's problem mark, line and column, and has
// a position (after placement) even when PyYAML raises nothing at that place.
func TestSyntaxPositionsLikePyYAML(t *testing.T) {
	src, err := os.ReadFile("../internal/pyyaml/testdata/syntax.golden")
	if err != nil {
		t.Fatal(err)
	}
	compared, v3Only, pyOnly := 0, 0, 0
	for _, line := range strings.Split(strings.TrimSuffix(string(src), "\n"), "\n") {
		var row []any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		doc, err := strconv.Unquote(row[0].(string))
		if err != nil {
			t.Fatal(err)
		}
		r := New(nil, Options{}).ValidateBytes("x.ckpt.metadata.yaml", []byte(doc))
		var syntax *Finding
		for i, f := range r.Findings {
			if f.Line < 1 || f.Column < 1 {
				t.Errorf("%q: finding without a position: %+v", doc, f)
			}
			if f.Rule == "yaml/syntax" && syntax == nil {
				syntax = &r.Findings[i]
			}
		}
		switch {
		case row[1] == nil && syntax != nil:
			v3Only++ // yaml.v3 refuses what PyYAML reads: yaml.v3's line, column 1
		case row[1] != nil && syntax == nil:
			pyOnly++ // yaml.v3 reads what PyYAML refuses (the reader's accept/reject, not positions)
		case syntax != nil:
			compared++
			wl, wc := int(row[2].(float64))+1, int(row[3].(float64))+1
			if syntax.Line != wl || syntax.Column != wc {
				t.Errorf("%q: yaml/syntax at %d:%d (%s), PyYAML's problem mark %d:%d (%v)", doc, syntax.Line, syntax.Column, syntax.Message, wl, wc, row[4])
			}
		}
	}
	t.Logf("%d syntax errors at PyYAML's line:col; %d refused only by yaml.v3, %d only by PyYAML", compared, v3Only, pyOnly)
	if compared < 1000 {
		t.Fatalf("only %d documents compared", compared)
	}
}
