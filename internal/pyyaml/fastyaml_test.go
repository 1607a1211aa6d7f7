package pyyaml

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Sidecars elsewhere in the repository: the project's samples, the generator's golden
// output (what 10,000 real files look like) and the migrator's hand-edited inputs.
var (
	sidecarDir  = filepath.Join("..", "..", "testdata", "sidecars")
	generateDir = filepath.Join("..", "..", "generate", "testdata", "golden")
	migrateDir  = filepath.Join("..", "..", "migrate", "testdata", "golden")
	reportDir   = filepath.Join("..", "report", "testdata")
	seedFile    = filepath.Join(sidecarDir, "valid", "seed.ckpt.metadata.yaml")
)

// yamlFiles lists the .yaml and .yml files under dir.
func yamlFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func TestFiles(t *testing.T) {
	// Files the fast path must take: everything our tools and PyYAML write.
	mustAccept := map[string]bool{}
	for _, dir := range []string{filepath.Join(sidecarDir, "valid"), generateDir} {
		for _, f := range yamlFiles(t, dir) {
			mustAccept[f] = true
		}
	}
	if len(mustAccept) < 10 {
		t.Fatalf("found only %d sidecars that must be accepted; has testdata moved?", len(mustAccept))
	}
	var all []string
	for _, dir := range []string{sidecarDir, generateDir, migrateDir, reportDir} {
		all = append(all, yamlFiles(t, dir)...)
	}
	accepted := 0
	for _, f := range all {
		t.Run(f, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ok := check(t, src)
			if !ok && mustAccept[f] {
				t.Fatalf("refused %s; the fast path must take what the tools write", f)
			}
			if ok {
				accepted++
			}
		})
	}
	t.Logf("accepted %d of %d files", accepted, len(all))
}

// outcome is what Parse must do with a case. Either way, an accepted input must match
// yaml.v3 exactly.
type outcome bool

const (
	accept outcome = true
	refuse outcome = false
)

// cases pins down the subset: what must be taken and what must be left to yaml.v3.
// They also seed FuzzParse.
var cases = []struct {
	name string
	src  string
	want outcome
}{
	// Shapes PyYAML writes.
	{name: "seed shape", src: "a: 1\nb:\n  c: x\n  d: [16, 24]\n  e: {}\n  f: []\n", want: accept},
	{name: "indentless sequence", src: "a:\n- x\n- y\nb: 1\n", want: accept},
	{name: "indented sequence", src: "a:\n  - x\n  - y\nb: 1\n", want: accept},
	{name: "compact mapping items", src: "a:\n- k: 1\n  l: 2\n- k: 3\n", want: accept},
	{name: "compact mapping with nested values", src: "- a:\n  - z\n  b:\n    c: d\n  e: 1\n- f\n", want: accept},
	{name: "root sequence", src: "- a\n- 1\n- {x: y}\n", want: accept},
	{name: "root flow mapping", src: "{a: 1, b: [x, 'y']}\n", want: accept},
	{name: "root flow sequence", src: "[1, 2]", want: accept},
	{name: "nested flow", src: "p: {nested: {a: 1}, l: [[1, 2], {}]}\n", want: accept},
	{name: "flow with spaces", src: "a: [ 1 ,  two words ,'q' ]\nb: { k : v }\n", want: accept},
	{name: "indent 4", src: "a:\n    b:\n        - 1\n        - 2\n    c: x\n", want: accept},
	{name: "uneven sibling indents", src: "a:\n   b: 1\nc:\n in: 2\n", want: accept},
	{name: "empty value null", src: "a:\nb: 1\n", want: accept},
	{name: "empty value at end", src: "a: 1\nb:", want: accept},
	{name: "empty value with trailing spaces", src: "a:   \n\n  \nb: 1\n", want: accept},
	{name: "empty sequence items", src: "- \n-\n- a\n", want: accept},
	{name: "item value below", src: "-\n  a: 1\n-\n  - x\n", want: accept},
	{name: "no final newline", src: "a: b", want: accept},
	{name: "blank lines", src: "\n\na: 1\n\n\nb: 2\n\n", want: accept},
	{name: "trailing spaces", src: "a: b   \nc: 'd'  \ne: [1]  \n", want: accept},
	{name: "spaces before colon", src: "a  : 1\n'b' :\n", want: accept},
	{name: "many spaces after colon", src: "a:      1\n", want: accept},
	{name: "null spellings", src: "a: null\nb: ~\nc: Null\nd: NULL\ne: nul\n", want: accept},
	{name: "bool spellings", src: "a: true\nb: False\nc: TRUE\nd: yes\ne: on\nf: No\ng: OFF\nh: y\n", want: accept},
	{name: "ints", src: "a: 0\nb: -0\nc: +1\nd: 0x1F\ne: 0o17\nf: 017\ng: 0b101\nh: 1_000\ni: 9223372036854775807\nj: 9223372036854775808\nk: 18446744073709551616\nl: -0b11\nm: 09\nn: 0_\np: +\n", want: accept},
	{name: "floats", src: "a: 1.5\nb: .5\nc: -.5\nd: 1e3\ne: 1E-3\nf: 1.\ng: .inf\nh: -.Inf\ni: .NaN\nj: 1e400\nk: 0.9508013093641193\nl: 6.02e+23\nm: 1_0.5\nn: ._5\no: +.5e1\np: 00.5\n", want: accept},
	{name: "number-like strings", src: "a: 1.2.3\nb: 2.1.3-rc\nc: 1:30\nd: 0x\ne: 1e\nf: 12e3.5\ng: .\nh: +-1\n", want: accept},
	{name: "versions", src: "schema_version: '1.0'\nlightning_version: 2.2.0\nv: 1.10\n", want: accept},
	{name: "quoted scalars", src: "a: ''\nb: \"\"\nc: 'it''s'\nd: \"a: b\"\ne: 'x #y'\nf: \"1.0\"\ng: 'null'\n", want: accept},
	{name: "double-quoted escapes", src: `a: "\x41\u00e9\U0001F600\n\t\\\"\0\a\b\v\f\r\e\ \N\_\L\P\'"` + "\n", want: accept},
	{name: "quoted keys", src: "'a b': 1\n\"c: d\": 2\n'': 3\n\"val/hmean\": 4\n", want: accept},
	{name: "keys of other types", src: "1: a\ntrue: b\nnull: c\n1.5: d\n~: e\n", want: accept},
	{name: "colons and hashes inside plain", src: "url: http://x/y#z\nk:v: 1\na#b: c\nt: 12:30:00\n", want: accept},
	{name: "brackets inside block plain", src: "a: x[1]\nb: y{2}, z\nc: a,b\n", want: accept},
	{name: "dash-led plain", src: "a: -x\nb: -1\n- c: 1\n", want: refuse},
	{name: "dash-led plain values", src: "a: -x\nb: -1\nc: -.5\n", want: accept},
	{name: "unicode", src: "ключ: значение\nb: [é, 'ü', \"日本\"]\nc: 😀 x\n\"é\": {ü: ñ}\n", want: accept},
	{name: "unicode before value", src: "aé: x\n- ü\n", want: refuse},
	{name: "duplicate keys", src: "a: 1\na: 2\n", want: accept},
	{name: "leading comment on first key", src: "# made by hand\n# twice\nkey: v\nb: 1\n", want: accept},
	{name: "leading comment for document", src: "# c\n\n\nkey: v\n", want: accept},
	{name: "leading comment trailing spaces", src: "#c  \n#\nkey: v\n", want: accept},
	{name: "leading comment then spaces-only line", src: "# c\n   \nkey: v\n", want: accept},
	{name: "leading comment before quoted key", src: "#c\n'k': v\n", want: accept},
	{name: "leading comment before nested mapping", src: "# c\nk:\n  a: 1\n", want: accept},
	{name: "many compact items", src: strings.Repeat("- k: v\n  l: {a: [1, 2]}\n", 300), want: accept},
	{name: "many flow entries", src: "a: [" + strings.Repeat("1, ", 500) + "2]\nb: {" + strings.Repeat("k: [], ", 300) + "z: {}}\n", want: accept},
	{name: "long key", src: strings.Repeat("k", 900) + ": v\n", want: accept},

	// Outside the subset: refused, and yaml.v3 decides.
	{name: "line comment", src: "a: 1 # one\n", want: refuse},
	{name: "comment line inside", src: "a: 1\n# c\nb: 2\n", want: refuse},
	{name: "indented leading comment", src: "  # c\nkey: v\n", want: refuse},
	{name: "two comment groups", src: "# a\n\n# b\nkey: v\n", want: refuse},
	{name: "blank line before comment", src: "\n# c\nkey: v\n", want: refuse},
	{name: "leading comment before sequence", src: "# c\n- a\n", want: refuse},
	{name: "leading comment before flow", src: "# c\n{a: 1}\n", want: refuse},
	{name: "trailing comment", src: "a: 1\n# end\n", want: refuse},
	{name: "comment after quoted", src: "a: 'x' # c\n", want: refuse},
	{name: "comment after flow", src: "a: [1] #c\n", want: refuse},
	{name: "comment as value", src: "a: # c\n", want: refuse},
	{name: "document start", src: "---\na: 1\n", want: refuse},
	{name: "document end", src: "a: 1\n...\n", want: refuse},
	{name: "two documents", src: "a: 1\n---\nb: 2\n", want: refuse},
	{name: "directive", src: "%YAML 1.2\n---\na: 1\n", want: refuse},
	{name: "anchor and alias", src: "a: &x 1\nb: *x\n", want: refuse},
	{name: "merge key", src: "<<: {a: 1}\n", want: refuse},
	{name: "tag", src: "a: !!str 1\n", want: refuse},
	{name: "literal block scalar", src: "a: |\n  x\n", want: refuse},
	{name: "folded block scalar", src: "a: >-\n  x\n", want: refuse},
	{name: "multi-line plain", src: "a: b\n  c\n", want: refuse},
	{name: "multi-line plain in sequence", src: "- b\n  c\n", want: refuse},
	{name: "multi-line quoted", src: "a: 'b\n  c'\n", want: refuse},
	{name: "escaped line break", src: "a: \"b\\\n  c\"\n", want: refuse},
	{name: "multi-line flow", src: "a: [1,\n  2]\n", want: refuse},
	{name: "trailing comma", src: "a: [1, 2,]\n", want: refuse},
	{name: "flow pair in sequence", src: "a: [b: c]\n", want: refuse},
	{name: "flow key without value", src: "a: {b, c: d}\n", want: refuse},
	{name: "flow empty value", src: "a: {b: , c: d}\n", want: refuse},
	{name: "flow adjacent colon", src: "a: {\"b\":1}\n", want: refuse},
	{name: "complex key", src: "? a\n: b\n", want: refuse},
	{name: "flow key", src: "[a]: b\n", want: refuse},
	{name: "tab", src: "a:\tb\n", want: refuse},
	{name: "tab indentation", src: "a:\n\tb: 1\n", want: refuse},
	{name: "CRLF", src: "a: b\r\nc: d\r\n", want: refuse},
	{name: "BOM", src: "\ufeffa: b\n", want: refuse},
	{name: "NEL", src: "a: b\u0085c\n", want: refuse},
	{name: "line separator", src: "a: b\u2028c\n", want: refuse},
	{name: "control character", src: "a: b\x01\n", want: refuse},
	{name: "invalid UTF-8", src: "a: \xff\n", want: refuse},
	{name: "unknown escape", src: `a: "\/"` + "\n", want: refuse},
	{name: "surrogate escape", src: `a: "\ud800"` + "\n", want: refuse},
	{name: "short hex escape", src: `a: "\x4"` + "\n", want: refuse},
	{name: "unclosed quote", src: "a: 'b\n", want: refuse},
	{name: "text after quote", src: "a: 'b' c\n", want: refuse},
	{name: "unquoted date", src: "a: 2025-10-19\n", want: refuse},
	{name: "unquoted datetime", src: "created_at: 2025-10-19T13:36:50.323967\n", want: refuse},
	{name: "mapping value in value", src: "a: b: c\n", want: refuse},
	{name: "colon at end of value", src: "a: b:\n", want: refuse},
	{name: "sequence on key line", src: "a: - b\n", want: refuse},
	{name: "dash as value", src: "o: -\n", want: refuse},
	{name: "nested compact sequence", src: "- - a\n", want: refuse},
	{name: "bad indentation", src: "a:\n    b: 1\n  c: 2\n", want: refuse},
	{name: "sequence item continued", src: "a:\n- x\n  y: 1\n", want: refuse},
	{name: "entry after value", src: "a: 1\n- b\n", want: refuse},
	{name: "indented root", src: "  a: 1\n", want: refuse},
	{name: "root scalar", src: "hello\n", want: refuse},
	{name: "scalar below key", src: "a:\n  b\n", want: refuse},
	{name: "flow below key", src: "a:\n  [b]\n", want: refuse},
	{name: "empty input", src: "", want: refuse},
	{name: "only comments", src: "# c\n", want: refuse},
	{name: "only blank lines", src: "\n \n", want: refuse},
	{name: "key without colon", src: "a: 1\nb\n", want: refuse},
	{name: "key with adjacent colon", src: "a:1\n", want: refuse},
	{name: "reserved indicator", src: "a: @x\n", want: refuse},
	{name: "too long key", src: strings.Repeat("k", 1100) + ": v\n", want: refuse},
	{name: "too deep", src: strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n", want: refuse},
	{name: "too large", src: "a: " + strings.Repeat("x", maxSize) + "\n", want: refuse},
}

func TestCases(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := outcome(check(t, []byte(tc.src))); got != tc.want {
				_, _, err := decodeV3([]byte(tc.src))
				t.Fatalf("accepted = %v, want %v (yaml.v3 error: %v)\ninput:\n%s", got, tc.want, err, tc.src)
			}
		})
	}
}

// TestPrefixes feeds the parser the seed sidecar cut at every byte: each prefix either
// matches yaml.v3 or is refused.
func TestPrefixes(t *testing.T) {
	src, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= len(src); i++ {
		check(t, src[:i])
	}
}

// TestContentAppend checks that Content slices are not shared: appending to one
// (as the migrator's node edits do) must not change a neighbour.
func TestContentAppend(t *testing.T) {
	doc, ok := Parse([]byte("a: [1, 2]\nb: [3, 4]\n"))
	if !ok {
		t.Fatal("refused")
	}
	m := doc.Content[0]
	a, b := m.Content[1], m.Content[3]
	a.Content = append(a.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "x"})
	if len(b.Content) != 2 || b.Content[0].Value != "3" || m.Content[2].Value != "b" {
		t.Fatalf("append to one Content slice changed another: %v %v", b.Content, m.Content)
	}
}

func TestParseRecovers(t *testing.T) {
	// Parse is the boundary for untrusted input: whatever it is given, no panic.
	for _, src := range [][]byte{nil, {}, []byte("\n"), []byte("-"), []byte("{"), []byte(":"), []byte("'"), bytes.Repeat([]byte("- "), 100)} {
		if doc, ok := Parse(src); ok {
			if d := mustDiffV3(t, src, doc); d != "" {
				t.Fatalf("%q: %s", src, d)
			}
		}
	}
}

func mustDiffV3(t *testing.T, src []byte, doc *yaml.Node) string {
	t.Helper()
	want, _, err := decodeV3(src)
	if err != nil {
		return "yaml.v3 rejects it: " + err.Error()
	}
	return diff(doc, want, "doc")
}

// TestMemoryBound checks that odd inputs near the size limit cost memory in proportion
// to their size, not to guesses made from them: at most four times their size, or what
// yaml.v3 spends on them when the tree itself is larger.
func TestMemoryBound(t *testing.T) {
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	for _, tc := range []struct {
		name string
		src  string
	}{
		{"blank lines", strings.Repeat("\n", maxSize-10)},
		{"commas in a string", "a: '" + strings.Repeat(",", maxSize-10) + "'\n"},
		{"brackets in a string", "a: '" + strings.Repeat("[{", maxSize/2-10) + "'\n"},
		{"many keys", strings.Repeat("k: v\n", maxSize/5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			got := allocated(func() { Parse(src) })
			limit := max(4*uint64(len(src)), allocated(func() { decodeV3(src) }))
			t.Logf("%d bytes: allocated %d, limit %d", len(src), got, limit)
			if got > limit {
				t.Fatalf("parsing %d bytes allocated %d bytes, over %d", len(src), got, limit)
			}
		})
	}
}
