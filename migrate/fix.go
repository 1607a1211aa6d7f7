package migrate

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// FixRules are the validate rules whose findings [FixBytes] corrects: what PyYAML would
// misread in a plain scalar, plus sidecar/misplaced (a recorded checkpoint path that does
// not name the checkpoint the file sits beside).
var FixRules = []string{"sidecar/misplaced", "yaml/non-string-key", "yaml/truthy", "yaml/unquoted-timestamp", "yaml/unquoted-version"}

var fixQuoting = map[string]bool{"yaml/non-string-key": true, "yaml/truthy": true, "yaml/unquoted-timestamp": true, "yaml/unquoted-version": true}

// Fixed is the outcome of fixing one in-memory document.
type Fixed struct {
	Data    []byte   // the fixed document (the input itself when nothing changed)
	Changed bool     // Data differs from the input
	Fixes   []string // what was corrected, one "line N: ..." each, in file order
	Unfixed []string // findings of FixRules left as they were, with the reason
}

// edit replaces src[off:end] with text.
type edit struct {
	off, end int
	text     string
	line     int
	rule     string
	pointer  string // the finding's pointer, for the check after the edit
	desc     string
}

// FixBytes applies the certain fixes to one sidecar held in memory, as minimal text edits:
// every byte outside the edited scalars stays as it was. It quotes what PyYAML would
// misread (an unquoted schema_version such as 1.0, an unquoted timestamp, a plain key PyYAML
// reads as a number or a date), writes a yes/no/on/off value as true/false when the schema
// does not want a string there (so consumers read what they read before) and quotes it
// when it does, and, when beside (the checkpoint the file sits beside) is set, re-points a
// recorded checkpoint path that names another checkpoint (root as for generate). It never
// changes schema_version's value and migrates nothing. The result is parsed and validated
// again: when a fixed finding is still there or a new error appears, nothing is changed
// and every finding is in Unfixed. Errors are *ParseError (the file cannot be read as YAML).
func FixBytes(name string, src []byte, beside, root string) (fx *Fixed, err error) {
	return fixBytes(nil, name, src, beside, root)
}

// fixBytes is FixBytes judging by reg's schemas (schemas.Default() when nil): a chain's
// fixes see the schema extensions its registry holds.
func fixBytes(reg *schemas.Registry, name string, src []byte, beside, root string) (fx *Fixed, err error) {
	defer func() {
		if r := recover(); r != nil { // untrusted input must not crash the caller
			fx, err = nil, fmt.Errorf("migrate: %s: internal error: %v", name, r)
		}
	}()
	fx = &Fixed{Data: src}
	v := validate.New(reg, validate.Options{})
	before, doc := v.Check(name, src)
	if doc == nil {
		for _, f := range before.Findings {
			if f.Severity == validate.SeverityError {
				return nil, &ParseError{Path: name, Line: f.Line, Rule: f.Rule, Msg: f.Message}
			}
		}
		return nil, &ParseError{Path: name, Msg: "not a YAML document"}
	}
	if before.Status == validate.StatusSkipped {
		return fx, nil
	}
	schemaAt := map[string]bool{} // pointers with a schema error: the schema wants something else there
	for _, f := range before.Findings {
		if strings.HasPrefix(f.Rule, "schema/") && f.Severity == validate.SeverityError {
			schemaAt[f.Pointer] = true
		}
	}
	lines := lineStarts(src)
	var edits []edit
	for _, f := range before.Findings {
		if !fixQuoting[f.Rule] {
			continue
		}
		n := scalarAt(doc.File, f.Line, f.Column)
		off, ok := offsetOf(src, lines, f.Line, f.Column)
		if n == nil || n.Style != 0 || !ok || !bytes.HasPrefix(src[off:], []byte(n.Value)) || strings.ContainsAny(n.Value, "\n'") {
			fx.Unfixed = append(fx.Unfixed, fmt.Sprintf("line %d: %s [%s]: not a one-line plain scalar at %d:%d", f.Line, f.Message, f.Rule, f.Line, f.Column))
			continue
		}
		e := edit{off: off, end: off + len(n.Value), text: "'" + n.Value + "'", line: f.Line, rule: f.Rule, pointer: f.Pointer}
		switch f.Rule {
		case "yaml/truthy":
			if sc, err := pyyaml.Construct(n.Value); err == nil && !schemaAt[f.Pointer] {
				e.text = fmt.Sprint(sc.Bool)
				e.desc = fmt.Sprintf("%s: wrote %s as %s", dotted(f.Pointer), n.Value, e.text)
			} else {
				e.desc = fmt.Sprintf("%s: quoted %s (the schema wants a string)", dotted(f.Pointer), n.Value)
			}
		case "yaml/non-string-key":
			e.desc = fmt.Sprintf("%s: quoted the key", dotted(f.Pointer))
		case "yaml/unquoted-version":
			e.desc = fmt.Sprintf("schema_version: quoted %s", n.Value)
		default:
			e.desc = fmt.Sprintf("%s: quoted timestamp %s", dotted(f.Pointer), n.Value)
		}
		edits = append(edits, e)
	}
	if e, ok, why := repointEdit(src, lines, doc, beside, root); why != "" {
		fx.Unfixed = append(fx.Unfixed, why)
	} else if ok {
		edits = append(edits, e)
	}
	if len(edits) == 0 {
		return fx, nil
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].off < edits[j].off })
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.off < last { // two findings on one scalar: keep the first
			continue
		}
		out.Write(src[last:e.off])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	data := out.Bytes()

	if why := verifyFix(v, name, before, data, edits, beside); why != "" || checkOutput(name, data) != nil {
		if why == "" {
			why = checkOutput(name, data).Error()
		}
		for _, e := range edits {
			fx.Unfixed = append(fx.Unfixed, fmt.Sprintf("line %d: %s [%s]: left as it is, the fixed file would not check (%s)", e.line, e.desc, e.rule, why))
		}
		return fx, nil
	}
	for _, e := range edits {
		fx.Fixes = append(fx.Fixes, fmt.Sprintf("line %d: %s", e.line, e.desc))
	}
	fx.Data, fx.Changed = data, !bytes.Equal(data, src)
	return fx, nil
}

// verifyFix checks the fixed bytes: every fixed finding is gone, no error appears that was
// not there before, and a re-pointed path names the checkpoint beside. It returns why not.
func verifyFix(v *validate.Validator, name string, before *validate.Result, data []byte, edits []edit, beside string) string {
	after, doc := v.Check(name, data)
	if doc == nil {
		return "it does not parse"
	}
	type key struct{ rule, ptr string }
	had := map[key]int{}
	for _, f := range before.Findings {
		if f.Severity == validate.SeverityError {
			had[key{f.Rule, f.Pointer}]++
		}
	}
	fixed := map[key]bool{}
	for _, e := range edits {
		fixed[key{e.rule, e.pointer}] = true
	}
	for _, f := range after.Findings {
		k := key{f.Rule, f.Pointer}
		if fixed[k] && f.Rule != "sidecar/misplaced" {
			return fmt.Sprintf("line %d: %s [%s] is still there", f.Line, f.Message, f.Rule)
		}
		if f.Severity == validate.SeverityError && !strings.HasPrefix(f.Rule, "schema/") {
			if had[k] == 0 {
				return fmt.Sprintf("line %d: %s [%s] would be new", f.Line, f.Message, f.Rule)
			}
			had[k]--
		}
	}
	if fixed[key{"sidecar/misplaced", misplacedPointer}] {
		if _, rec := validate.RecordedCheckpoint(doc); !validate.NamesCheckpoint(rec, beside) {
			return "the checkpoint path still names another checkpoint"
		}
	}
	// A schema error may go (a quoted timestamp is the string the schema wants) but must not come.
	bad := map[key]int{}
	for _, f := range before.Findings {
		if strings.HasPrefix(f.Rule, "schema/") && f.Severity == validate.SeverityError {
			bad[key{f.Rule, f.Pointer}]++
		}
	}
	for _, f := range after.Findings {
		if strings.HasPrefix(f.Rule, "schema/") && f.Severity == validate.SeverityError {
			k := key{f.Rule, f.Pointer}
			if bad[k] == 0 {
				return fmt.Sprintf("line %d: %s [%s] would be new", f.Line, f.Message, f.Rule)
			}
			bad[k]--
		}
	}
	return ""
}

// misplacedPointer marks the re-pointing edit: validate reports sidecar/misplaced from the
// file system, so the check after the edit looks at the recorded path itself.
const misplacedPointer = "#misplaced"

// plainPath is a checkpoint path that needs no quotes in YAML.
var plainPath = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./=+,-]*$`)

// repointEdit is the sidecar/misplaced fix (see repoint): the recorded checkpoint path is
// replaced, at its place in the text, by the path generate would write for beside. why
// says why a misplaced path was left as it is.
func repointEdit(src []byte, lines []int, doc *validate.Document, beside, root string) (e edit, ok bool, why string) {
	if beside == "" {
		return e, false, ""
	}
	ptr, rec := validate.RecordedCheckpoint(doc)
	if ptr == "" || validate.NamesCheckpoint(rec, beside) {
		return e, false, ""
	}
	line, _ := doc.Position(ptr, false)
	fail := func(reason string) (edit, bool, string) {
		return edit{}, false, fmt.Sprintf("line %d: %s %q does not name the checkpoint beside [sidecar/misplaced]: %s", line, dotted(ptr), rec, reason)
	}
	rel, err := generate.RecordedPath(beside, root)
	if err != nil || !validate.NamesCheckpoint(rel, beside) {
		return fail("no path to write for it")
	}
	d, err := NewDoc(doc.File)
	if err != nil {
		return fail(err.Error())
	}
	n, found := d.get(ptr)
	if !found || n.Kind != yaml.ScalarNode {
		return fail("not a scalar")
	}
	off, okOff := offsetOf(src, lines, n.Line, n.Column)
	if !okOff {
		return fail("no position")
	}
	end := scalarEnd(src, off, n)
	if end < 0 {
		return fail("not a one-line scalar")
	}
	text := rel
	if n.Style != 0 || !plainPath.MatchString(rel) || pyyaml.NeedsQuotes(rel) {
		text = "'" + strings.ReplaceAll(rel, "'", "''") + "'"
	}
	return edit{off: off, end: end, text: text, line: n.Line, rule: "sidecar/misplaced", pointer: misplacedPointer,
		desc: fmt.Sprintf("%s: %s -> %s", dotted(ptr), rec, rel)}, true, ""
}

func dotted(ptr string) string { return strings.TrimPrefix(strings.ReplaceAll(ptr, "/", "."), ".") }

// scalarEnd is the end offset of the one-line scalar n starting at off, or -1.
func scalarEnd(src []byte, off int, n *yaml.Node) int {
	switch {
	case n.Style == 0:
		if bytes.HasPrefix(src[off:], []byte(n.Value)) && !strings.Contains(n.Value, "\n") {
			return off + len(n.Value)
		}
	case n.Style&yaml.SingleQuotedStyle != 0 && off < len(src) && src[off] == '\'':
		for i := off + 1; i < len(src) && src[i] != '\n'; i++ {
			if src[i] == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
	case n.Style&yaml.DoubleQuotedStyle != 0 && off < len(src) && src[off] == '"':
		for i := off + 1; i < len(src) && src[i] != '\n'; i++ {
			switch src[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
	}
	return -1
}

// lineStarts holds the offset of each line's first byte.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, b := range src {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// offsetOf turns a 1-based line and column (counted in characters, as the YAML parsers
// count) into a byte offset.
func offsetOf(src []byte, starts []int, line, col int) (int, bool) {
	if line < 1 || line > len(starts) || col < 1 {
		return 0, false
	}
	off := starts[line-1]
	for c := 1; c < col; c++ {
		if off >= len(src) || src[off] == '\n' {
			return 0, false
		}
		_, w := utf8.DecodeRune(src[off:])
		off += w
	}
	return off, true
}

// scalarAt is the scalar node (key or value) that starts at line:col, or nil.
func scalarAt(n *yaml.Node, line, col int) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Line == line && n.Column == col {
		return n
	}
	for _, c := range n.Content {
		if found := scalarAt(c, line, col); found != nil {
			return found
		}
	}
	return nil
}
