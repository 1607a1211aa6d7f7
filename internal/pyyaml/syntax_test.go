package pyyaml

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
)

// brokenDocuments generates the comparison set: each broken snippet (unclosed flow
// collections, bad indentation, tabs, stray ':', unterminated quotes, bad escapes,
// anchors, tags, directives, block scalar headers, control characters, invalid UTF-8, ...)
// placed after 0-3 valid lines and before 0-2 more, plus random mutations of a real
// sidecar. Deterministic.
func brokenDocuments() []string {
	snippets := []string{
		// unclosed flow collections
		"tags: [a, b, c\n", "tags: [a, b,\n", "tags: [\n", "tags: [a, [b, c]\n", "m: {a: 1, b: 2\n", "m: {a: 1,\n",
		"m: {\n", "m: {a: [1, 2}\n", "tags: [a, b}\n", "m: {a: 1]\n", "[a, b\n", "{a: 1\n", "tags: [a, b c: d]\n",
		"tags: [a, b]]\n", "m: {a: 1}}\n", "tags: ]\n", "m: }\n", "tags: [a, b]\n  c\n", "tags: [a,\n  b,\n  c\n",
		// bad indentation
		"a:\n  b: 1\n c: 2\n", "a: 1\n  b: 2\n", "- a\n - b\n", "a:\n- b\n  - c\n", "a:\n  - b\n - c\n",
		"a:\n    b: 1\n  c: 2\n", "a: b\n  - c\n", "- a\nb: c\n", "a: b\n- c\n", "  a: 1\nb: 2\n", "a:\n  b:\n    c: 1\n   d: 2\n",
		// tabs
		"a:\n\tb: 1\n", "a:\t1\n", "\ta: 1\n", "a: 1\n\tb: 2\n", "a:\n  b:\t1\n", "- \ta\n", "a: [1,\t2]\n", "a: 1\t# c\n", "a\t: 1\n",
		// stray ':'
		"a: b: c\n", "a:: b\n", ": x\n", "a: [b: c: d]\n", "a: x:y: z\n", "a: {b: c: d}\n", "a: b :c\n", "::\n", "a: 'b': c\n",
		"a: \"b\": c\n", "a: [b]: c\n",
		// unterminated and broken quotes
		"a: 'abc\n", "a: \"abc\n", "a: 'abc\nb: 1\n", "a: \"abc\nb: 1\n", "a: 'it's'\n", "a: \"x\" y\n", "a: 'x' y\n",
		"a: \"bad \\q escape\"\n", "a: \"\\x4\"\n", "a: \"\\u12G4\"\n", "a: \"ok\\\n  more\"\n", "a: \"x\n---\ny\"\n", "a: '\n...\n'\n",
		// anchors, aliases, tags
		"a: &\n", "a: *\n", "a: &x! b\n", "a: *x y\n", "a: !<x\n", "a: !x!y z\n", "a: !a! b\n", "a: !!\n", "a: ! b\n",
		"a: !e!x b\n", "a: !<> b\n", "a: &a &b c\n", "a: !!str &a !!int b\n", "a: %zz\n", "a: !a%zz b\n",
		// block scalars
		"a: |0\n  x\n", "a: |x\n  y\n", "a: >-3 # c\n   x\n", "a: | junk\n  x\n", "a: |2\n x\n", "a: |\n  x\n y: 1\n", "a: >+\n\n",
		// directives and document markers
		"%YAML 2.0\n---\na: 1\n", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n", "%YAML 1\n---\n", "%YAML 1.x\n---\n", "%TAG ! !\n%TAG ! !\n---\na: 1\n",
		"%FOO bar\n---\n", "%\n---\n", "%YAML 1.1\na: 1\n", "--- a\n--- b\n", "a: 1\n...\nb: 2\n", "...\na: 1\n", "--- |\n  x\n--- [\n",
		"%TAG !e! tag:x,2000:\n---\na: !e!b c\n", "%YAML 1.1 # c\n---\n", "%YAML 1.1 x\n---\n",
		// other starts and characters
		"a: @x\n", "a: `x\n", "a: |\n", "a: -\n", "- - - \n", "? a\n? b\n: c\n", "a: ? b\n", "? a\n  b\n", "a: - b\n",
		"a: 1\x01\n", "a: \x7f\n", "a: \xff\n", "a: \xc3\n", "\ufeffa: [\n", "a: [\ufeff\n", "a: \u2028b: [\n", "a: 1\r\nb: [\r\n",
		"a: 1\rb: [\r", "a: [\x85b\n", "a:\n  - b\n  c: d\n", "- a: 1\n  - b\n", "a: {b\n", "{a: b, c}\n", "[a: b, c: d: e]\n",
		"? [a\n", "a: [b, {c: d]\n", strings.Repeat("k", 1100) + ": 1\n", "key " + strings.Repeat("x ", 600) + ": 1\n",
		"a:\n  b\n  c: d\n", "a: b\nc\nd: e\n", "a: b\n c\n", "a: [b, c]d\n", "a: {b: c}d\n", "a: 'b'c\n", "- [a, b]\n- c: [d\n",
		"---\n- a\n- b\nc: d\n", "!!map\n- a\n", "&x\n- a\n- *x\n", "a: *x\n", "*x: 1\n",
		"a: &x 1\nb: *x\nc: *y\n", "a: [*x, &x 1]\n", "a: &x {b: *x}\n", "a: !!str &x 1\nb: *x\n", "--- &x 1\n--- *x\n",
		"a: *x\nb: [\n", "a: [b, *c\n",
	}
	prefixes := []string{"", "exp_name: foo\n", "schema_version: '1.0'\nexp_name: foo\n", "model:\n  architecture: dbnet\n  encoder:\n    model_name: resnet50\n",
		"# comment\n", "notes: >\n  folded\n  text\n"}
	suffixes := []string{"", "metrics:\n  hmean: 0.8\n", "model:\n  x: 1\n- y\n"}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, sn := range snippets {
		for i, p := range prefixes {
			for j, sf := range suffixes {
				if (i+j)%2 == 0 || i == 0 || j == 0 {
					add(p + sn + sf)
				}
			}
		}
	}
	// Random single-character edits of a real sidecar.
	base := "schema_version: '1.0'\nexp_name: dbnet-resnet50\ncheckpoint_path: epoch=10-step=1133.ckpt\nmodel:\n  architecture: dbnet\n  encoder: {model_name: resnet50, pretrained: true}\n  heads: [det, rec]\nmetrics:\n  hmean: 0.8734\n  monitor: \"val/hmean\"\n  note: 'best so far'\ncreated_at: '2025-10-19T13:36:50'\n"
	rng := rand.New(rand.NewSource(10))
	const chars = "[]{}:,-?'\"\t #&*!|>%@`\n "
	for len(out) < 2800 {
		b := []rune(base)
		for k := 0; k < 1+rng.Intn(2); k++ {
			i := rng.Intn(len(b))
			c := rune(chars[rng.Intn(len(chars))])
			switch rng.Intn(3) {
			case 0:
				b[i] = c
			case 1:
				b = append(b[:i], append([]rune{c}, b[i:]...)...)
			default:
				b = append(b[:i], b[i+1:]...)
			}
		}
		add(string(b))
	}
	return out
}

// pythonSyntax asks PyYAML what safe_load's reader, scanner and parser make of each
// document, reading exactly as far as safe_load does (Composer.get_single_node without
// composing): the error class, the problem mark (0-based; a ReaderError has only a
// position, turned into line and column as Reader.forward counts), context and problem.
const pythonSyntax = `
import json, sys, yaml
def linecol(text, pos):
    line = col = 0
    for i, ch in enumerate(text[:pos]):
        if ch in '\n\x85\u2028\u2029' or (ch == '\r' and text[i+1:i+2] != '\n'):
            line += 1; col = 0
        elif ch != '\ufeff':
            col += 1
    return line, col
class Undefined(Exception):
    pass
def check_alias(ev, anchors):
    # Composer.compose_node's undefined-alias check (anchors are forgotten per document)
    if isinstance(ev, yaml.AliasEvent) and ev.anchor not in anchors:
        raise Undefined(ev)
    if isinstance(ev, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)) and ev.anchor is not None:
        anchors.add(ev.anchor)
    if isinstance(ev, yaml.DocumentEndEvent):
        anchors.clear()
    return ev
out = []
for doc in json.load(sys.stdin):
    raw = bytes.fromhex(doc)
    try:
        loader = yaml.SafeLoader(raw)
        anchors = set()
        loader.get_event()
        if not loader.check_event(yaml.StreamEndEvent):
            while not isinstance(check_alias(loader.get_event(), anchors), yaml.DocumentEndEvent):
                pass
            loader.check_event(yaml.StreamEndEvent)
        out.append(None)
    except Undefined as e:
        ev = e.args[0]
        out.append(["composer", ev.start_mark.line, ev.start_mark.column, "found undefined alias %r" % ev.anchor, ""])
    except yaml.reader.ReaderError as e:
        if e.encoding == 'unicode':  # a character the printable check refused: a character index
            line, col = linecol(raw.decode('utf-8'), e.position)
        else:  # a byte that does not decode: a byte offset
            text = raw[:e.position].decode('utf-8')
            line, col = linecol(text, len(text))
        out.append(["reader", line, col, "", ""])
    except yaml.MarkedYAMLError as e:
        kind = {"ScannerError": "scanner", "ParserError": "parser"}.get(type(e).__name__, type(e).__name__)
        out.append([kind, e.problem_mark.line, e.problem_mark.column, e.problem or "", e.context or ""])
    except Exception as e:
        out.append(["python " + type(e).__name__, 0, 0, str(e), ""])
    if len(sys.argv) > 1:  # the whole stream, as yaml.parse reads it
        try:
            anchors = set()
            for ev in yaml.parse(raw, Loader=yaml.SafeLoader):
                check_alias(ev, anchors)
            out[-1] = None
        except Undefined as e:
            ev = e.args[0]
            out[-1] = ["composer", ev.start_mark.line, ev.start_mark.column, "found undefined alias %r" % ev.anchor, ""]
        except yaml.reader.ReaderError:
            pass  # the same reader error as above
        except yaml.MarkedYAMLError as e:
            kind = {"ScannerError": "scanner", "ParserError": "parser"}.get(type(e).__name__, type(e).__name__)
            out[-1] = [kind, e.problem_mark.line, e.problem_mark.column, e.problem or "", e.context or ""]
json.dump(out, sys.stdout)
`

type pyMark struct {
	Kind             string
	Line, Column     int
	Problem, Context string
}

func (m *pyMark) Mark() Mark { return Mark{Line: m.Line, Column: m.Column} }

func pythonMarks(t *testing.T, docs []string, wholeStream bool) []*pyMark {
	t.Helper()
	hexes := make([]string, len(docs))
	for i, d := range docs {
		hexes[i] = fmt.Sprintf("%x", d)
	}
	in, _ := json.Marshal(hexes)
	var rows []json.RawMessage
	script := pythonSyntax
	if wholeStream {
		script = "import sys; sys.argv.append('stream')\n" + script
	}
	if err := json.Unmarshal(runPython(t, script, in), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(docs) {
		t.Fatalf("python answered %d rows for %d documents", len(rows), len(docs))
	}
	out := make([]*pyMark, len(rows))
	for i, r := range rows {
		var row []any
		if err := json.Unmarshal(r, &row); err != nil {
			t.Fatal(err)
		}
		if row == nil {
			continue
		}
		out[i] = &pyMark{Kind: row[0].(string), Line: int(row[1].(float64)), Column: int(row[2].(float64)), Problem: row[3].(string), Context: row[4].(string)}
	}
	return out
}

// TestFindSyntaxErrorMatchesPyYAML: on every generated broken document, FindSyntaxError
// finds the error PyYAML raises (or none when PyYAML reads it), with the same class,
// problem mark, problem and context.
func TestFindSyntaxErrorMatchesPyYAML(t *testing.T) {
	docs := brokenDocuments()
	want := pythonMarks(t, docs, false)
	stream := pythonMarks(t, docs, true)
	bad, errs, later := 0, 0, 0
	kinds := map[string]int{}
	for i, d := range docs {
		// The whole stream first: only the errors past the first document differ.
		w, got := stream[i], FindStreamSyntaxError([]byte(d))
		if (w == nil) != (got == nil) || w != nil && (got.Kind != w.Kind || got.Mark.Line != w.Mark().Line || got.Mark.Column != w.Column) {
			if bad++; bad <= 25 {
				t.Errorf("%q: whole stream: got %v, yaml.parse %+v", d, got, w)
			}
		}
		if w != nil && want[i] == nil {
			later++
		}
		w = want[i]
		got = FindSyntaxError([]byte(d))
		if w != nil {
			errs++
			kinds[w.Kind]++
		}
		var diff string
		switch {
		case w == nil && got == nil:
		case w == nil:
			diff = fmt.Sprintf("got %v, PyYAML reads it", got)
		case got == nil:
			diff = fmt.Sprintf("got no error, PyYAML %+v", *w)
		case w.Kind == "reader":
			if got.Kind != "reader" || got.Mark.Line != w.Line || got.Mark.Column != w.Column {
				diff = fmt.Sprintf("got %v (%s), PyYAML %+v", got, got.Kind, *w)
			}
		case got.Kind != w.Kind || got.Mark.Line != w.Line || got.Mark.Column != w.Column || got.Problem != w.Problem || got.Context != w.Context:
			diff = fmt.Sprintf("got %s %d:%d %q %q, PyYAML %+v", got.Kind, got.Mark.Line, got.Mark.Column, got.Problem, got.Context, *w)
		}
		if diff != "" {
			if bad++; bad <= 25 {
				t.Errorf("%q: %s", d, diff)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d documents differ from PyYAML", bad, len(docs))
	}
	t.Logf("%d documents, %d errors (%v), all at PyYAML's problem mark; %d more past the first document", len(docs), errs, kinds, later)
	if errs < 500 || kinds["scanner"] < 100 || kinds["parser"] < 100 || kinds["reader"] < 3 || kinds["composer"] < 3 {
		t.Fatalf("the generated set has too few errors of some class: %d, %v", errs, kinds)
	}
	if *update {
		var b strings.Builder
		for i, d := range docs {
			q := strconv.Quote(d) // Go quoting: the invalid UTF-8 documents survive JSON
			row := []any{q, nil}
			if w := want[i]; w != nil {
				row = []any{q, w.Kind, w.Line, w.Column, w.Problem, w.Context}
			}
			line, _ := json.Marshal(row)
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(goldenSyntax, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goldenSyntax is the broken set with PyYAML's answers, for machines without Python and
// for validate's test of the positions it reports (go test -update rewrites it).
const goldenSyntax = "testdata/syntax.golden"

// TestFindSyntaxErrorGolden repeats the comparison against the recorded answers.
func TestFindSyntaxErrorGolden(t *testing.T) {
	src, err := os.ReadFile(goldenSyntax)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(src), "\n"), "\n") {
		var row []any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%s: %v", goldenSyntax, err)
		}
		n++
		doc, err := strconv.Unquote(row[0].(string))
		if err != nil {
			t.Fatalf("%s: %v", goldenSyntax, err)
		}
		got := FindSyntaxError([]byte(doc))
		if row[1] == nil {
			if got != nil {
				t.Errorf("%q: got %v, PyYAML reads it", doc, got)
			}
			continue
		}
		kind, l, c := row[1].(string), int(row[2].(float64)), int(row[3].(float64))
		if got == nil || got.Kind != kind || got.Mark.Line != l || got.Mark.Column != c {
			t.Errorf("%q: got %v, PyYAML %s error at %d:%d", doc, got, kind, l+1, c+1)
		}
	}
	if n < 2000 {
		t.Fatalf("%s has only %d documents", goldenSyntax, n)
	}
}

// FuzzFindSyntaxError: the port never panics (safeFind would hide it), whatever the input.
func FuzzFindSyntaxError(f *testing.F) {
	for i, d := range brokenDocuments() {
		if i%7 == 0 {
			f.Add([]byte(d))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		findSyntaxError(src, false)
		findSyntaxError(src, true)
	})
}
