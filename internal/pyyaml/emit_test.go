package pyyaml

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// encodeV3 is what Emit must equal: yaml.v3's Encoder, set up as migrate sets it up.
// ok is false when yaml.v3 fails (an error or a panic).
func encodeV3(doc *yaml.Node, indent int, compact bool) (out []byte, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = nil, false
		}
	}()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(indent)
	if compact {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(doc); err != nil {
		return nil, false
	}
	if err := enc.Close(); err != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// emitSettings are the encoder settings the tests try: migrate detects the indentation
// (2 to 9) and whether sequences sit at their key's column.
var emitSettings = []struct {
	indent  int
	compact bool
}{{2, true}, {2, false}, {4, false}, {4, true}, {3, true}, {0, false}, {9, false}}

// checkEmit compares Emit with yaml.v3 for doc under every setting. It fails the test when
// Emit accepts and the bytes differ, or accepts what yaml.v3 cannot encode. It reports
// whether Emit took doc under every setting.
func checkEmit(t testing.TB, doc *yaml.Node, what string) bool {
	t.Helper()
	all := true
	for _, s := range emitSettings {
		want, wantOK := encodeV3(doc, s.indent, s.compact)
		prefix := []byte("prefix")
		got, ok := Emit(prefix[:len(prefix):len(prefix)], doc, s.indent, s.compact)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("%s: Emit lost dst's bytes", what)
		}
		got = got[len("prefix"):]
		if !ok {
			all = false
			if len(got) != 0 {
				t.Fatalf("%s: Emit refused but returned %q", what, got)
			}
			continue
		}
		if !wantOK {
			t.Fatalf("%s (indent %d, compact %v): Emit wrote what yaml.v3 cannot encode:\n%s", what, s.indent, s.compact, got)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s (indent %d, compact %v): Emit differs from yaml.v3\nyaml.v3:\n%s\nEmit:\n%s", what, s.indent, s.compact, want, got)
		}
	}
	return all
}

// decodeFirst is the first document of src as yaml.v3 reads it, or nil.
func decodeFirst(src []byte) *yaml.Node {
	var n yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&n); err != nil || n.Kind == 0 {
		return nil
	}
	return &n
}

func emitCorpus(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	dirs := []string{sidecarDir, generateDir, migrateDir, reportDir, filepath.Join("..", "..", "testdata", "yaml-safeload")}
	for _, dir := range dirs {
		for _, p := range yamlFiles(t, dir) {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[p] = src
		}
	}
	return files
}

// TestEmitFiles: every YAML file in the repository's test data, as yaml.v3 reads it,
// is written by Emit exactly as yaml.v3 writes it; the sidecars our tools write are all
// taken (not left to the fallback).
func TestEmitFiles(t *testing.T) {
	files := emitCorpus(t)
	if len(files) < 100 {
		t.Fatalf("found only %d YAML files; has testdata moved?", len(files))
	}
	taken, parsed := 0, 0
	for p, src := range files {
		doc := decodeFirst(src)
		if doc == nil {
			continue
		}
		parsed++
		ok := checkEmit(t, doc, p)
		if ok {
			taken++
		}
		if !ok && (strings.Contains(p, filepath.Join("sidecars", "valid")) || strings.HasPrefix(p, generateDir)) {
			t.Errorf("%s: Emit left a sidecar our tools write to the fallback", p)
		}
	}
	// The rest carry tags, anchors, aliases or timestamps (most of testdata/yaml-safeload).
	t.Logf("%d files, %d parsed by yaml.v3, %d taken by Emit under every setting", len(files), parsed, taken)
	if taken < parsed/2 {
		t.Errorf("Emit took only %d of %d documents", taken, parsed)
	}
}

// mutate edits a sidecar's text the ways people do: comments above, beside and below
// entries (at any indentation), blank lines, CRLF line ends, quoting and re-styling of
// values, unicode, long strings, flow collections, anchors.
func mutate(r *rand.Rand, src []byte) []byte {
	lines := strings.SplitAfter(string(src), "\n")
	edits := 1 + r.IntN(6)
	for range edits {
		i := r.IntN(len(lines))
		l := lines[i]
		indent := len(l) - len(strings.TrimLeft(l, " "))
		body := strings.TrimRight(l, "\n")
		switch r.IntN(14) {
		case 0: // a full-line comment at the line's indentation, or another
			lines[i] = strings.Repeat(" ", pickInt(r, indent, 0, indent+2)) + pick(r, commentTexts) + "\n" + l
		case 1: // a line comment
			if body != "" && !strings.Contains(body, "#") {
				lines[i] = body + pick(r, []string{" # c", "  # two", " #x", "\t# tab"}) + "\n"
			}
		case 2: // a blank line
			lines[i] = pick(r, []string{"\n", "  \n", "\n\n"}) + l
		case 3: // CRLF everywhere
			for j := range lines {
				if strings.HasSuffix(lines[j], "\n") && !strings.HasSuffix(lines[j], "\r\n") {
					lines[j] = strings.TrimSuffix(lines[j], "\n") + "\r\n"
				}
			}
		case 4, 5, 6: // a value replaced
			if c := strings.Index(body, ": "); c >= 0 {
				lines[i] = body[:c+2] + pick(r, mutValues) + "\n"
			}
		case 7: // a key quoted
			if c := strings.Index(body, ":"); c > indent {
				key := body[indent:c]
				if !strings.ContainsAny(key, "'\"") {
					q := pick(r, []string{"'" + key + "'", `"` + key + `"`})
					lines[i] = body[:indent] + q + body[c:] + "\n"
				}
			}
		case 8: // a comment at the end of the document
			lines = append(lines, pick(r, commentTexts)+"\n")
		case 9: // an anchor and an alias
			if c := strings.Index(body, ": "); c >= 0 && r.IntN(2) == 0 {
				lines[i] = body[:c+2] + "&a " + body[c+2:] + "\n"
				lines = append(lines, "alias_of_a: *a\n")
			}
		case 10: // a new entry with a block or flow value
			lines[i] = strings.Repeat(" ", indent) + pick(r, mutKeys) + ": " + pick(r, mutValues) + "\n" + l
		case 11: // a literal or folded block scalar
			lines = append(lines, pick(r, mutKeys)+": "+pick(r, []string{"|", "|-", "|+", ">", ">-", "|2"})+"\n  line one\n  line  two\n\n  three\n")
		case 12: // indentation doubled (a nested block becomes 4 wide)
			for j := range lines {
				n := len(lines[j]) - len(strings.TrimLeft(lines[j], " "))
				lines[j] = strings.Repeat(" ", n) + lines[j]
			}
		case 13: // a head comment on the document
			lines = append([]string{pick(r, commentTexts) + "\n", pick(r, []string{"", "\n"})}, lines...)
		}
	}
	return []byte(strings.Join(lines, ""))
}

var (
	commentTexts = []string{"# c", "#", "# a comment: with # signs", "#x", "# é ü 😀", "# two\n# lines", "#   spaced   "}
	mutKeys      = []string{"extra", "'quoted key'", `"dq key"`, "é", "ключ", "k with spaces", "a:b", "x-1", "null", "1", "true", "~"}
	mutValues    = []string{
		"x", "'single'", `"double"`, `"esc \t \u00e9 \\ \" \x01"`, "'it''s'", "null", "~", "", "true", "yes", "no", "on", "1", "0x1F", "1e3",
		"1.0", ".5", "-.inf", "2025-10-19", "'2025-10-19T13:36:50'", "2025-10-19 13:36:50", "12:30", "1_000", "0o17", "017",
		"[]", "{}", "[1, 2, 'three']", "{a: 1, b: [x, y]}", "[{a: 1}, [b]]", "{ a: b , c: d }",
		"é ü ß", "日本語", "😀", "\"\\U0001F600\"", "'  leading'", "'trailing  '", "\"tab\\there\"", "a #not a comment",
		"- x", "'- x'", "'---'", "'...'", "'? x'", "': x'", "'#c'", "'&a'", "'*a'", "'!x'", "'%x'", "'@x'", "'`x`'",
		strings.Repeat("long ", 40), "'" + strings.Repeat("quoted long ", 30) + "'", strings.Repeat("x", 200),
		"\"\\ufeffbom\"", "\"\\u2028ls\"", "\"\\N\\_\\L\\P\"", "\"a\\nb\"", "\"a\\n\"", "\"\\na\"", "\"a \\n b\"", "\"a\\n b\"",
		"\"\\r\"", "'multi\n  line'", "!!str 1", "!!int '3'", "!custom x", "!!binary aGVsbG8=", "&x y", "<<",
	}
)

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func pickInt(r *rand.Rand, list ...int) int { return list[r.IntN(len(list))] }

// TestEmitMutated runs the differential check on thousands of edited sidecars.
func TestEmitMutated(t *testing.T) {
	var seeds [][]byte
	for p, src := range emitCorpus(t) {
		if strings.Contains(p, "sidecars") || strings.Contains(p, "golden") {
			seeds = append(seeds, src)
		}
	}
	n := 6000
	if testing.Short() {
		n = 1500
	}
	r := rand.New(rand.NewPCG(12, 34))
	taken, parsed := 0, 0
	for i := range n {
		src := mutate(r, seeds[r.IntN(len(seeds))])
		doc := decodeFirst(src)
		if doc == nil {
			continue
		}
		parsed++
		if checkEmit(t, doc, fmt.Sprintf("mutation %d:\n%s", i, src)) {
			taken++
		}
	}
	t.Logf("%d mutated sidecars, %d parsed by yaml.v3, %d taken by Emit under every setting", n, parsed, taken)
	if parsed < n/2 || taken < parsed/2 {
		t.Errorf("the mutations no longer exercise Emit: %d parsed, %d taken", parsed, taken)
	}
}

// treeGen builds node trees directly, as migrate's steps do (new nodes with or without
// tags, styles set by hand, comments moved around), including shapes no parser produces.
type treeGen struct{ g gen }

var treeValues = []string{
	"", " ", "x", "a b", "  lead", "trail  ", "a\nb", "a\n", "\na", "a\n\nb", "a \nb", "a\n b", "\n", "a\r\nb", "tab\there", "\t",
	"1", "-1", "1.5", "1e3", ".inf", "null", "~", "true", "yes", "0x1F", "0o17", "017", "1_000", "<<", "2025-10-19", "12:30",
	"---", "...", "--- x", "-", "- x", "-x", "?", "? x", ":", ": x", "x:", "x: y", "a#b", "a #b", "#a", ",a", "a,b", "[a]", "{a}",
	"&a", "*a", "!a", "|a", ">a", "'a", "\"a", "%a", "@a", "`a", "a'b", "a\"b", "a\\b", "é", "日本", "😀", "\u00a0", "\u0085", "\u2028",
	"\u2029", "\ufeffx", "x\ufeff", "\x01", "\x7f", "\u00ad", "\ufffe", "\U0001F600 x", strings.Repeat("w", 129), strings.Repeat("w ", 70),
}

var treeComments = []string{"", "", "", "", "# c", "c", "#", "# two\n# lines", "a\nb", "# é", "#  x  ", "# c\n\n# d"}

var treeTags = []string{"", "!!str", "!!str", "!!int", "!!float", "!!bool", "!!null", "tag:yaml.org,2002:str", "!!timestamp", "!x", "!!binary"}

var treeStyles = []yaml.Style{0, 0, 0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle, yaml.FlowStyle, yaml.TaggedStyle}

func (tg *treeGen) comments(n *yaml.Node) {
	g := &tg.g
	if g.pick(3) == 0 {
		n.HeadComment = g.str(treeComments)
		n.LineComment = g.str(treeComments)
		n.FootComment = g.str(treeComments)
	}
}

func (tg *treeGen) scalar() *yaml.Node {
	g := &tg.g
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: g.str(treeValues), Tag: g.str(treeTags), Style: treeStyles[g.pick(len(treeStyles))]}
	tg.comments(n)
	return n
}

func (tg *treeGen) node(depth int) *yaml.Node {
	g := &tg.g
	if depth > 3 {
		return tg.scalar()
	}
	switch g.pick(6) {
	case 0, 1:
		return tg.mapping(depth)
	case 2:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: g.str([]string{"", "!!seq"})}
		if g.pick(3) == 0 {
			n.Style = yaml.FlowStyle
		}
		for range g.pick(4) {
			n.Content = append(n.Content, tg.node(depth+1))
		}
		tg.comments(n)
		return n
	}
	return tg.scalar()
}

func (tg *treeGen) mapping(depth int) *yaml.Node {
	g := &tg.g
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: g.str([]string{"", "!!map", "!!map"})}
	if g.pick(4) == 0 {
		n.Style = yaml.FlowStyle
	}
	for range g.pick(5) {
		k := tg.scalar()
		if g.pick(2) == 0 {
			k.Tag, k.Style = "!!str", 0
		}
		n.Content = append(n.Content, k, tg.node(depth+1))
	}
	tg.comments(n)
	return n
}

func (tg *treeGen) doc() *yaml.Node {
	d := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{tg.mapping(0)}}
	if tg.g.pick(4) == 0 {
		d.HeadComment = tg.g.str(treeComments)
		d.FootComment = tg.g.str(treeComments)
	}
	return d
}

// TestEmitTrees runs the differential check on generated node trees: every scalar style
// and tag with values at the edges of each style, comments on every node.
func TestEmitTrees(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 20000
	if testing.Short() {
		n = 4000
	}
	taken := 0
	for i := range n {
		choices := make([]byte, 512)
		for j := range choices {
			choices[j] = byte(r.UintN(256))
		}
		tg := &treeGen{g: gen{choices: choices}}
		doc := tg.doc()
		if checkEmit(t, doc, fmt.Sprintf("tree %d", i)) {
			taken++
		}
	}
	t.Logf("%d trees, %d taken by Emit under every setting", n, taken)
	if taken < n/5 {
		t.Errorf("Emit took only %d of %d trees", taken, n)
	}
}

// TestEmitRefuses: what Emit leaves to yaml.v3.
func TestEmitRefuses(t *testing.T) {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	for name, n := range map[string]*yaml.Node{
		"anchor":       {Kind: yaml.ScalarNode, Tag: "!!str", Value: "x", Anchor: "a"},
		"alias":        {Kind: yaml.AliasNode, Value: "a"},
		"explicit tag": {Kind: yaml.ScalarNode, Tag: "!x", Value: "x"},
		"tagged style": {Kind: yaml.ScalarNode, Tag: "!!str", Value: "x", Style: yaml.TaggedStyle},
		"folded":       {Kind: yaml.ScalarNode, Tag: "!!str", Value: "a b", Style: yaml.FoldedStyle},
		"not UTF-8":    str("\xff"),
		"timestamp":    {Kind: yaml.ScalarNode, Tag: "!!str", Value: "2025-10-19"},
		"merge key":    {Kind: yaml.ScalarNode, Tag: "!!str", Value: "<<"},
		"no kind":      {},
	} {
		doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Content: []*yaml.Node{str("k"), n}}}}
		if out, ok := Emit(nil, doc, 2, true); ok {
			t.Errorf("%s: Emit took it and wrote %q", name, out)
		}
	}
}

// FuzzEmit is differential: for a document yaml.v3 parses from the input, or a tree the
// input steers the generator to, Emit writes yaml.v3's bytes or declines; it never panics.
func FuzzEmit(f *testing.F) {
	for _, src := range emitCorpus(f) {
		if len(src) < 4096 {
			f.Add(src)
		}
	}
	for _, s := range []string{
		"# head\n\na: 1 # line\n# foot\nb:\n  - x\n  # in seq\n  - {c: d}\n",
		"a: |\n  x\n  y\n", "a: \"\\t\\u00e9\"\n", "? [a]\n: b\n", "a: [1, {b: c}] # c\n", "k: 'x' #c\n\n# foot\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if doc := decodeFirst(in); doc != nil {
			checkEmit(t, doc, fmt.Sprintf("input %q", in))
		}
		tg := &treeGen{g: gen{choices: in}}
		checkEmit(t, tg.doc(), fmt.Sprintf("tree from %q", in))
	})
}

func BenchmarkEmit(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(generateDir, "..", "..", "..", "migrate", "testdata", "golden", "1.1_2.0", "full.want.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	doc := decodeFirst(src)
	b.Run("Emit", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for range b.N {
			var ok bool
			if buf, ok = Emit(buf[:0], doc, 2, true); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, ok := encodeV3(doc, 2, true); !ok {
				b.Fatal("failed")
			}
		}
	})
}
