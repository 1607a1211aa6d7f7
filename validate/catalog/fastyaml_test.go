package catalog

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// corpus is every sidecar sample this package and the shared testdata hold.
func corpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{filepath.Join(testdataAbs, "sidecars"), filepath.Join(testdataAbs, "..", "..", "..", "testdata", "sidecars")} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil {
				out[p] = b
			}
			return nil
		})
	}
	if len(out) < 8 {
		t.Fatalf("sidecar corpus has %d files", len(out))
	}
	return out
}

// checkAgrees fails when fastParse accepts src but validate.Parse reads it differently or has
// anything to say about it, or when quickValid calls valid what the validator does not.
func checkAgrees(t *testing.T, name string, src []byte) (accepted bool) {
	t.Helper()
	m, ok := fastParse(src)
	doc, findings := validate.Parse(name, src)
	if ok {
		if doc == nil {
			t.Fatalf("%s: fastParse accepted what validate.Parse cannot read: %v", name, findings)
		}
		if len(findings) > 0 {
			t.Errorf("%s: fastParse accepted a document validate.Parse reports: %v", name, findings)
		}
		if !reflect.DeepEqual(any(m), doc.Value) {
			t.Errorf("%s: values differ\nfast  %#v\nparse %#v", name, m, doc.Value)
		}
	}
	reg := schemas.Default()
	if res, _ := quickValid(name, src, reg, false); res != nil {
		full := validate.New(reg, validate.Options{}).ValidateBytes(name, src)
		if full.Status != validate.StatusValid || full.Version != res.Version {
			t.Errorf("%s: quick verdict valid %s, validator says %s %s: %v", name, res.Version, full.Status, full.Version, full.Findings)
		}
	}
	return ok
}

func TestFastParseAgrees(t *testing.T) {
	accepted := 0
	for name, src := range corpus(t) {
		if checkAgrees(t, name, src) {
			accepted++
		}
	}
	if accepted < 3 {
		t.Errorf("fastParse accepted only %d corpus files: it no longer reads PyYAML's output", accepted)
	}
}

func TestFastParseSubset(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[string]any // nil: must fall back to validate.Parse
	}{
		{name: "PyYAML block style", src: "schema_version: '1.0'\ntraining:\n  epoch: 0\n  max_epochs: null\nmodel:\n  decoder:\n    in_channels:\n    - 16\n    - 24\n    params: {}\nmetrics:\n  hmean: 0.9524165391921997\n  small: 1.0e-05\nname: 'it''s'\nlv: 2.1.2\nflag: true\nempty:\n",
			want: map[string]any{"schema_version": "1.0", "training": map[string]any{"epoch": num("0"), "max_epochs": nil},
				"model":   map[string]any{"decoder": map[string]any{"in_channels": []any{num("16"), num("24")}, "params": map[string]any{}}},
				"metrics": map[string]any{"hmean": num("0.9524165391921997"), "small": num("1.0e-05")}, "name": "it's", "lv": "2.1.2", "flag": true, "empty": nil}},
		{name: "indented sequence and comments", src: "# made by hand\na:\n  - x\n  - y # not a comment in a plain scalar? no: a comment\n", want: nil},
		{name: "indented sequence", src: "a:\n  - x\n  - 'y'\nb: c\n", want: map[string]any{"a": []any{"x", "y"}, "b": "c"}},
		{name: "unquoted version", src: "schema_version: 1.0\n"},
		{name: "unquoted timestamp", src: "created_at: 2025-10-19T13:36:50\n"},
		{name: "unquoted date", src: "created_at: 2025-10-19\n"},
		{name: "duplicate key", src: "a: 1\na: 2\n"},
		{name: "anchor", src: "a: &x 1\nb: *x\n"},
		{name: "tag", src: "a: !!str 1\n"},
		{name: "flow mapping", src: "a: {b: 1}\n"},
		{name: "flow sequence", src: "a: [1, 2]\n"},
		{name: "truthy", src: "a: yes\n"},
		{name: "truthy key", src: "on: 1\n"},
		{name: "exponent without dot", src: "a: 1e5\n"},
		{name: "hex", src: "a: 0x1F\n"},
		{name: "octal", src: "a: 010\n"},
		{name: "infinity", src: "a: .inf\n"},
		{name: "tab", src: "a:\tb\n"},
		{name: "two documents", src: "a: 1\n---\nb: 2\n"},
		{name: "block scalar", src: "a: |\n  text\n"},
		{name: "continuation line", src: "a: some\n  text\n"},
		{name: "mapping in a sequence", src: "a:\n- b: 1\n"},
		{name: "not a mapping", src: "- a\n"},
		{name: "escape in double quotes", src: "a: \"x\\ty\"\n"},
		{name: "colon in a value", src: "a: b: c\n"},
		{name: "sexagesimal", src: "a: 1:30\n"},
		{name: "windows line ends", src: "a: 1\r\n"},
		{name: "version not a string", src: "schema_version: {}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := fastParse([]byte(tc.src))
			if tc.want == nil {
				if ok {
					if _, _, dok := fastDocument([]byte(tc.src)); dok {
						t.Fatalf("accepted %q as %#v; it must fall back", tc.src, got)
					}
				}
			} else if !ok || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v (ok %v), want %#v", got, ok, tc.want)
			}
			checkAgrees(t, tc.name, []byte(tc.src))
		})
	}
}

// FuzzFastParse: whatever fastParse accepts, validate.Parse reads the same way without a word,
// and whatever quickValid calls valid, the validator calls valid.
func FuzzFastParse(f *testing.F) {
	for _, src := range corpus(f) {
		f.Add(string(src))
	}
	f.Add("a: b\n")
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Count(src, "\n") > 400 {
			return
		}
		checkAgrees(t, "fuzz.yaml", []byte(src))
	})
}
