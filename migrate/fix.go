package migrate

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// FixRules are the validate rules whose findings `ckptmeta fix` corrects ([validate.FixRules],
// the one list): what PyYAML would misread in a plain scalar, a duplicate key that repeats
// its value, sidecar/misplaced (a recorded checkpoint path that does not name the checkpoint
// the file sits beside) — all by [FixBytes] — and sidecar/yml-name (a rename, by [Run]).
var FixRules = validate.FixRules

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
	return fixBytes(nil, nil, name, src, beside, root)
}

// fixBytes is FixBytes judging by reg's schemas (schemas.Default() when nil): a chain's
// fixes see the schema extensions its registry holds. A rule rules turns off (a level of
// validate.Options.Rules) is neither fixed nor reported as not fixed: a finding validate
// would not report is not one to fix. The other levels change nothing here (what fix
// writes depends on what is in the file, not on how loudly it is reported).
func fixBytes(reg *schemas.Registry, rules map[string]validate.RuleLevel, name string, src []byte, beside, root string) (fx *Fixed, err error) {
	defer func() {
		if r := recover(); r != nil { // untrusted input must not crash the caller
			fx, err = nil, fmt.Errorf("migrate: %s: internal error: %v", name, r)
		}
	}()
	fx = &Fixed{Data: src}
	off := offRules(rules)
	v := validate.New(reg, validate.Options{Rules: off})
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
		if f.Rule == "yaml/duplicate-key" {
			if e, why := duplicateEdit(src, lines, doc.File, f); why != "" {
				fx.Unfixed = append(fx.Unfixed, fmt.Sprintf("line %d: %s [%s]: %s", f.Line, f.Message, f.Rule, why))
			} else {
				edits = append(edits, e)
			}
			continue
		}
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
	if off["sidecar/misplaced"] != "" {
		beside = "" // the rule is off: the recorded path is left as it is
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
	applied := edits[:0:0]
	for _, e := range edits {
		if e.off < last { // two findings on one scalar, or inside a removed entry: the first edit does it
			continue
		}
		out.Write(src[last:e.off])
		out.WriteString(e.text)
		last = e.end
		applied = append(applied, e)
	}
	out.Write(src[last:])
	data := out.Bytes()

	// verifyFix refuses any error the input did not have; an error it had and fix does not
	// cover (a key repeated with another value) stays the user's, and does not keep the
	// certain fixes from being made.
	why := verifyFix(v, name, before, data, edits, beside)
	if why == "" && len(data) > validate.MaxFileSize {
		why = fmt.Sprintf("the fixed file would be %d bytes, over the %d bytes validate reads", len(data), validate.MaxFileSize)
	}
	if why != "" {
		for _, e := range applied {
			fx.Unfixed = append(fx.Unfixed, fmt.Sprintf("line %d: %s [%s]: left as it is, the fixed file would not check (%s)", e.line, e.desc, e.rule, why))
		}
		return fx, nil
	}
	for _, e := range applied {
		fx.Fixes = append(fx.Fixes, fmt.Sprintf("line %d: %s", e.line, e.desc))
	}
	fx.Data, fx.Changed = data, !bytes.Equal(data, src)
	return fx, nil
}

// offRules keeps the rules that are off: the only level that changes what is fixed.
func offRules(rules map[string]validate.RuleLevel) map[string]validate.RuleLevel {
	var off map[string]validate.RuleLevel
	for id, l := range rules {
		if l == validate.RuleOff {
			if off == nil {
				off = map[string]validate.RuleLevel{}
			}
			off[id] = l
		}
	}
	return off
}

// duplicateEdit removes a later occurrence of a duplicate key (the finding f, at that key)
// whose key and value repeat the first ([validate.SameValue]; validate's hint then runs
// `ckptmeta fix`). The entry's lines go: its key's line and the lines after it that are
// indented more (its value), up to the last such line. A comment on those lines that the first
// entry does not carry too stays, as a line of its own at the key's indentation; comment lines
// above the key are left where they are. why says why the duplicate was left as it is.
func duplicateEdit(src []byte, lines []int, root *yaml.Node, f validate.Finding) (e edit, why string) {
	m, i := mappingOfKey(root, f.Line, f.Column)
	if m == nil {
		return e, "the key was not found at its position"
	}
	key, val := m.Content[i], m.Content[i+1]
	i0 := -1
	for j := 0; j < i; j += 2 {
		if m.Content[j].Kind == yaml.ScalarNode && m.Content[j].Value == key.Value {
			i0 = j
			break
		}
	}
	switch {
	case i0 < 0 || !validate.SameValue(m.Content[i0], key) || !validate.SameValue(m.Content[i0+1], val):
		return e, "the values differ: keep the right one by hand (PyYAML keeps the last)"
	case m.Style&yaml.FlowStyle != 0:
		return e, "in a flow mapping ({...}): remove it by hand"
	case !validate.Fixable(f):
		return e, "the key is repeated with another value too: keep the right one by hand (PyYAML keeps the last)"
	}
	start, end, ok := entryLines(src, lines, key)
	if !ok || lastLine(val) > end || (i+2 < len(m.Content) && m.Content[i+2].Line <= end) {
		return e, "the entry does not stand on lines of its own; remove it by hand"
	}
	kept := map[string]bool{}
	if s0, e0, ok := entryLines(src, lines, m.Content[i0]); ok {
		for _, c := range entryComments(src, lines, s0, e0, m.Content[i0], m.Content[i0+1]) {
			kept[c] = true
		}
	}
	indent := strings.Repeat(" ", key.Column-1)
	var keep strings.Builder
	for _, c := range entryComments(src, lines, start, end, key, val) {
		if !kept[c] {
			kept[c] = true
			keep.WriteString(indent + c + "\n")
		}
	}
	off := lines[start-1]
	stop := len(src)
	if end < len(lines) {
		stop = lines[end]
	}
	desc := fmt.Sprintf("%s: removed the repeated key (same value as line %d)", dotted(f.Pointer), m.Content[i0].Line)
	if end > start {
		desc = fmt.Sprintf("%s: removed the repeated key, lines %d-%d (same value as line %d)", dotted(f.Pointer), start, end, m.Content[i0].Line)
	}
	return edit{off: off, end: stop, text: keep.String(), line: f.Line, rule: f.Rule, pointer: f.Pointer, desc: desc}, ""
}

// mappingOfKey finds the mapping whose key node starts at line:col, and that key's index.
func mappingOfKey(n *yaml.Node, line, col int) (*yaml.Node, int) {
	if n == nil {
		return nil, 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Line == line && k.Column == col {
				return n, i
			}
		}
	}
	for _, c := range n.Content {
		if m, i := mappingOfKey(c, line, col); m != nil {
			return m, i
		}
	}
	return nil, 0
}

// entryLines is the span of lines (1-based, inclusive) of the block-mapping entry whose key is
// key: the key must begin its line (only spaces before it); the entry runs on over the lines
// indented more than the key, blank and comment lines between them included, and stops
// before trailing blank or comment lines (they belong to what follows).
func entryLines(src []byte, lines []int, key *yaml.Node) (start, end int, ok bool) {
	start = key.Line
	if start < 1 || start > len(lines) {
		return 0, 0, false
	}
	lineText := func(n int) []byte {
		b := src[lines[n-1]:]
		if n < len(lines) {
			b = src[lines[n-1]:lines[n]]
		}
		return bytes.TrimRight(b, "\r\n")
	}
	if prefix := lineText(start); len(prefix) < key.Column-1 || strings.Trim(string(prefix[:key.Column-1]), " ") != "" {
		return 0, 0, false
	}
	end = start
	for n := start + 1; n <= len(lines); n++ {
		t := lineText(n)
		body := bytes.TrimLeft(t, " ")
		switch {
		case len(body) == 0 || body[0] == '#':
			continue // belongs to the entry only if more of it follows
		case len(t)-len(body) > key.Column-1:
			end = n
		default:
			return start, end, true
		}
	}
	return start, end, true
}

// lastLine is the last line any node of n's subtree starts on.
func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	return l
}

// entryComments lists, trimmed, the comments on lines start..end of the entry key: value:
// whole comment lines, and the comments yaml.v3 attached to the end of a line of its nodes.
func entryComments(src []byte, lines []int, start, end int, key, val *yaml.Node) []string {
	var out []string
	for n := start; n <= end && n <= len(lines); n++ {
		stop := len(src)
		if n < len(lines) {
			stop = lines[n]
		}
		if body := strings.TrimSpace(string(src[lines[n-1]:stop])); strings.HasPrefix(body, "#") {
			out = append(out, body)
		}
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if c := strings.TrimSpace(n.LineComment); c != "" && n.Line >= start && n.Line <= end {
			out = append(out, c)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(key)
	walk(val)
	return out
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
var plainPath = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./=+,-]*$`) })

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
	if n.Style != 0 || !plainPath().MatchString(rel) || pyyaml.NeedsQuotes(rel) {
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
