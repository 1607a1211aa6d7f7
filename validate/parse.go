package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/schemas"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds what Parse reads: sidecars are about a kilobyte.
const MaxFileSize = 1 << 20

// Document is a parsed sidecar: the YAML node tree (for positions and for editing) and the
// JSON value the schemas see. The JSON value models what the Python consumers read with
// PyYAML's safe_load (YAML 1.1 scalars), so a file that only PyYAML misreads is flagged.
type Document struct {
	Path    string
	File    *yaml.Node // the DocumentNode: keeps head and foot comments
	Root    *yaml.Node // File's content node
	Value   any        // map[string]any, []any, string, json.Number, bool or nil
	Version string     // schema_version as written; schemas.Legacy ("0") when absent

	index positionIndex // built on the first Position call
}

// Parse reads one sidecar. Findings report YAML problems (syntax, duplicate keys, several
// documents, unquoted timestamps, ...). The document is nil when it could not be parsed at
// all; otherwise it is returned even when findings exist, so the caller can go on.
// Parse never touches the file system.
func Parse(path string, src []byte) (*Document, []Finding) { return parseIn(path, src, nil) }

// Arena is memory that [ParseIn] carves documents' trees from and keeps for the next parse:
// a caller that parses many files one after another allocates (and collects) the bulk of a
// tree's memory once. The zero Arena is ready to use; it is not safe for concurrent use.
type Arena struct{ a pyyaml.Arena }

// ParseIn is [Parse] with the document's tree (File, Root and every node under them) carved
// from arena; nil is fresh memory, as Parse. Parsing into arena again overwrites that tree,
// so the caller must be done with it, and keep no node of it, by then. Value, and the strings
// in the tree, do not live in arena.
func ParseIn(path string, src []byte, arena *Arena) (*Document, []Finding) {
	if arena == nil {
		return parseIn(path, src, nil)
	}
	return parseIn(path, src, &arena.a)
}

// parseIn is Parse that carves the tree from arena when the fast path reads the file (nil:
// fresh memory); see [pyyaml.ParseIn] for what the caller then promises.
func parseIn(path string, src []byte, arena *pyyaml.Arena) (*Document, []Finding) {
	p := &parser{path: path}
	if len(src) > MaxFileSize {
		p.add(0, 0, "", "yaml/too-large", fmt.Sprintf("file is larger than %d bytes; sidecars that large are not read", MaxFileSize), "")
		return nil, p.findings
	}
	// The budget is checked before any tree exists: yaml.v3 spends about 250 bytes per node.
	// countNodes counts at most two per byte, so a file of MaxNodes/2 bytes or fewer (every
	// real sidecar) cannot pass the budget and is not scanned.
	if mayExceedNodes(len(src), MaxNodes) {
		if n, line := countNodes(src, MaxNodes); n > MaxNodes {
			p.add(line, 0, "", "yaml/node-budget", fmt.Sprintf("file holds more than %d YAML nodes; sidecars hold a few hundred", MaxNodes), "")
			return nil, p.findings
		}
	}
	// The fast path parses the block YAML that PyYAML writes into exactly the tree yaml.v3
	// would build, about ten times faster; anything else goes through yaml.v3.
	file, ok := pyyaml.ParseIn(src, arena)
	if !ok {
		// PyYAML reads %YAML 1.2 (any 1.x) with its 1.1 rules; yaml.v3 refuses all but 1.1.
		norm := pyyaml.NormalizeYAMLDirective(src)
		if file = p.decode(norm); file == nil {
			return p.result(nil)
		}
		// What PyYAML's scanner and composer refuse and yaml.v3 accepts (the fast path
		// refuses tabs and anchors itself).
		if line, col, bad := pyyaml.FirstBadTab(norm, file); bad {
			p.add(line, col, "", "yaml/syntax", "found character '\\t' that cannot start any token (PyYAML)",
				"PyYAML allows tabs only inside quoted and block scalars and in comments; use spaces")
			return p.result(nil)
		}
		if dup, first := pyyaml.DuplicateAnchor(file); dup != nil {
			p.add(dup.Line, dup.Column, "", "yaml/duplicate-anchor",
				fmt.Sprintf("anchor &%s is defined again (first at line %d); PyYAML refuses the file", dup.Anchor, first.Line), "give each anchor its own name")
		}
	}
	doc := &Document{Path: path, File: file, Version: schemas.Legacy}
	if file.Kind == yaml.DocumentNode && len(file.Content) == 1 {
		doc.Root = file.Content[0]
	} else {
		doc.Root = file
	}
	p.budget = 2*len(src) + 1000
	v, err := p.value(doc.Root, 0)
	if err != nil {
		return p.result(nil)
	}
	doc.Value = v
	if m, ok := v.(map[string]any); ok {
		if sv, ok := m["schema_version"]; ok && sv != nil {
			doc.Version = fmt.Sprint(sv)
		}
	}
	return p.result(doc)
}

// decode parses src with yaml.v3, reporting syntax errors and extra documents.
func (p *parser) decode(src []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var file yaml.Node
	if err := dec.Decode(&file); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, 0, "", "yaml/empty", "file has no YAML document", "")
		} else {
			p.syntax(err, pyyaml.FindSyntaxError(src))
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		p.add(next.Line, next.Column, "", "yaml/multiple-documents", "file holds more than one YAML document; a sidecar is one document", "remove everything from the second '---' on")
	case !errors.Is(err, io.EOF):
		p.syntax(err, pyyaml.FindStreamSyntaxError(src)) // an error in a later document
	}
	return &file
}

// ToJSON converts a node tree (for example one a migration step edited) into JSON values,
// with the same rules as Parse. It returns the first problem as an error.
func ToJSON(n *yaml.Node) (any, error) {
	p := &parser{budget: 1 << 22}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	v, err := p.value(n, 0)
	if err != nil {
		return nil, err
	}
	for _, f := range p.findings {
		if f.Severity == SeverityError && f.Rule != "yaml/unquoted-timestamp" && f.Rule != "yaml/unquoted-version" {
			return nil, fmt.Errorf("validate: line %d: %s", f.Line, f.Message)
		}
	}
	return v, nil
}

// Number reads a JSON number value (json.Number, or a Go int or float).
func Number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

type parser struct {
	path     string
	stack    []string // keys and indexes down to the node being converted
	findings []Finding
	budget   int                 // nodes left to convert; aliases spend it too
	more     moreFindings        // findings past MaxFindings, counted only
	reported map[*yaml.Node]bool // tagged nodes already reported (aliases reach a node again)
}

// result is what Parse returns: the findings, sorted, with the ones past MaxFindings
// summed up in one.
func (p *parser) result(doc *Document) (*Document, []Finding) {
	if p.more.errors+p.more.warnings > 0 {
		p.findings = append(p.findings, p.more.finding(p.path))
	}
	sortFindings(p.findings)
	return doc, p.findings
}

// FixRules are the rules whose findings `ckptmeta fix` corrects (migrate.FixBytes and the
// rename of a .yml sidecar), sorted. A finding of one of them is fixable when its hint runs
// `ckptmeta fix` ([Fixable]): every one is, except a duplicate key whose values differ (which
// value is right is the user's call) or that sits in a flow mapping. Hints name `ckptmeta
// fix` for these rules only; a test runs every such hint.
var FixRules = []string{"sidecar/misplaced", "sidecar/yml-name", "yaml/duplicate-key", "yaml/non-string-key",
	"yaml/truthy", "yaml/unquoted-timestamp", "yaml/unquoted-version"}

// Fixable reports whether `ckptmeta fix` corrects the finding: its rule is one of
// [FixRules] and its hint says to run `ckptmeta fix`.
func Fixable(f Finding) bool {
	return slices.Contains(FixRules, f.Rule) && strings.Contains(f.Hint, "`ckptmeta fix ")
}

// fixHint is the hint of the findings `ckptmeta fix` corrects (FixRules): quoting what
// PyYAML misreads, writing true/false where the schema wants a boolean, removing a
// duplicate key that repeats its value.
func (p *parser) fixHint() string { return runOn("ckptmeta fix", p.path) }

// removableDuplicates maps each key of a mapping that appears more than once to whether it
// appears each time with the same key and value as the first ([SameValue]): then, in a block
// mapping, `ckptmeta fix` removes the later ones. A key repeated with another value anywhere
// is false (which one is right is the user's call).
func removableDuplicates(n *yaml.Node) map[string]bool {
	var out map[string]bool
	first := map[string]int{}
	bad := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		i0, dup := first[k.Value]
		if !dup {
			first[k.Value] = i
			continue
		}
		if out == nil {
			out = map[string]bool{}
		}
		same := SameValue(n.Content[i0], k) && SameValue(n.Content[i0+1], n.Content[i+1])
		out[k.Value] = same && !bad[k.Value]
		if !same {
			bad[k.Value] = true
		}
	}
	return out
}

// SameValue reports whether two YAML values are certainly equal as PyYAML's safe_load
// builds them: the same kind, scalars with the same tag (a plain scalar's as PyYAML's
// resolver gives it) and text, mappings with the same keys in the same order and equal
// values, sequences item by item. Anchors and aliases are never equal (removing one would
// change what an alias names), so false may mean "not known to be equal".
func SameValue(a, b *yaml.Node) bool {
	if a == nil || b == nil || a.Kind != b.Kind || a.Anchor != "" || b.Anchor != "" || len(a.Content) != len(b.Content) {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		return a.Value == b.Value && scalarTag(a) == scalarTag(b)
	case yaml.MappingNode, yaml.SequenceNode:
		if a.ShortTag() != b.ShortTag() {
			return false
		}
		for i := range a.Content {
			if !SameValue(a.Content[i], b.Content[i]) {
				return false
			}
		}
		return true
	}
	return false // aliases, documents
}

// scalarTag is the tag safe_load gives a scalar: an explicit tag as written, a quoted or
// block scalar's str, a plain one's from PyYAML's implicit resolvers.
func scalarTag(n *yaml.Node) string {
	switch {
	case n.Style&yaml.TaggedStyle != 0:
		return n.ShortTag()
	case n.Style == 0:
		return pyyaml.Resolve(n.Value).Short()
	}
	return pyyaml.Str.Short()
}

// runOn is the hint to run command on the sidecar path; the commands that rewrite a file
// cannot take standard input, so for [StdinName] the hint says to save it first.
func runOn(command, path string) string {
	if path == StdinName {
		return "save it to a file and run `" + command + " FILE`"
	}
	return "run `" + command + " " + path + "`"
}

// pointer is the JSON pointer of the node being converted; built only for findings.
func (p *parser) pointer() string { return pointer(p.stack) }

var errAbort = errors.New("validate: conversion aborted")

func (p *parser) add(line, col int, ptr, rule, msg, hint string) {
	p.addSev(SeverityError, line, col, ptr, rule, msg, hint)
}

func (p *parser) addSev(sev Severity, line, col int, ptr, rule, msg, hint string) {
	if len(p.findings) >= MaxFindings {
		p.more.add(sev) // a hostile file's hundred thousand duplicate keys cost nothing more
		return
	}
	p.findings = append(p.findings, Finding{Path: p.path, Line: line, Column: col, Pointer: ptr, Rule: rule, Severity: sev, Message: msg, Hint: hint})
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// syntax reports yaml.v3's syntax error err at PyYAML's problem mark pe: where the Python
// consumers' yaml.safe_load says the problem is, with the context it names (where the
// unclosed collection or quote began). yaml.v3 gives only a line, and for parser errors the
// 0-based line of the context, so the mark comes from pyyaml.FindSyntaxError. The message
// stays yaml.v3's. When PyYAML raises nothing (pe nil: an error only yaml.v3 makes, or
// input FindSyntaxError leaves alone), yaml.v3's line is kept and the column is 1.
func (p *parser) syntax(err error, pe *pyyaml.SyntaxError) {
	msg := err.Error()
	line := 0
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	col := 0
	if pe != nil {
		line, col = pe.Mark.Line+1, pe.Mark.Column+1
		if pe.ContextMark != nil && pe.Context != "" && *pe.ContextMark != pe.Mark {
			msg += fmt.Sprintf(" (%s that starts at line %d column %d)", strings.TrimPrefix(pe.Context, "while "), pe.ContextMark.Line+1, pe.ContextMark.Column+1)
		}
	}
	p.add(line, col, "", "yaml/syntax", msg, "")
}

// reJSON is JSON's number syntax: a YAML float written this way keeps its text.
var reJSON = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$`)
})

func (p *parser) value(n *yaml.Node, depth int) (any, error) {
	p.budget--
	if p.budget < 0 {
		p.add(n.Line, n.Column, p.pointer(), "yaml/alias-budget", "aliases expand to too many nodes", "sidecars need no anchors or aliases; write the values out")
		return nil, errAbort
	}
	if n.Style&yaml.TaggedStyle != 0 && !p.knownTag(n) {
		return nil, nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return p.value(n.Content[0], depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return p.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			p.stack = append(p.stack, strconv.Itoa(i))
			v, err := p.value(c, depth+1)
			p.stack = p.stack[:len(p.stack)-1]
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return p.mapping(n, depth)
	case yaml.ScalarNode:
		return p.scalar(n, depth)
	}
	return nil, nil
}

func (p *parser) mapping(n *yaml.Node, depth int) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var removable map[string]bool // removableDuplicates(n), once a key is repeated
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.add(k.Line, k.Column, p.pointer(), "yaml/non-string-key", msgComplexKey, "")
			continue
		}
		key := k.Value
		if k.Style&yaml.TaggedStyle != 0 {
			if p.knownTag(k) {
				_, _ = p.scalar(k, depth) // safe_load constructs keys too: "!!int x: 1" fails
			}
		} else if k.Style == 0 { // plain and untagged: PyYAML's resolver decides
			switch tag := pyyaml.Resolve(key); tag {
			case pyyaml.Str:
			case pyyaml.Value, pyyaml.Indicator:
				p.unloadable(k, p.pointer()+"/"+escape(key), tag)
			case pyyaml.Int, pyyaml.Timestamp:
				if p.constructs(k, p.pointer()+"/"+escape(key)) {
					p.addSev(SeverityWarning, k.Line, k.Column, p.pointer()+"/"+escape(key), "yaml/non-string-key",
						fmt.Sprintf("key %s is not a string for PyYAML", key), p.fixHint())
				}
			default:
				p.addSev(SeverityWarning, k.Line, k.Column, p.pointer()+"/"+escape(key), "yaml/non-string-key",
					fmt.Sprintf("key %s is not a string for PyYAML", key), p.fixHint())
			}
		}
		p.stack = append(p.stack, key)
		// out holds exactly the keys before this one (merged keys come in after the loop).
		if _, dup := out[key]; dup {
			i0 := firstKey(n, key)
			if removable == nil {
				removable = removableDuplicates(n)
			}
			hint := "keep one of them: the values differ (PyYAML keeps the last)"
			if removable[key] {
				hint = p.fixHint() + " to remove the later one (both hold the same value)"
				if n.Style&yaml.FlowStyle != 0 {
					hint = "remove the later one (both hold the same value; ckptmeta fix does not edit flow mappings)"
				}
			}
			p.add(k.Line, k.Column, p.pointer(), "yaml/duplicate-key", fmt.Sprintf("duplicate key %q (first at line %d)", key, i0.Line), hint)
		}
		var val any
		var err error
		if depth == 0 && key == "schema_version" {
			val, err = p.version(v)
		} else {
			val, err = p.value(v, depth+1)
		}
		p.stack = p.stack[:len(p.stack)-1]
		if err != nil {
			return nil, err
		}
		out[key] = val // PyYAML keeps the last of duplicate keys
	}
	for _, m := range merges {
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, s := range sources {
			mv, err := p.value(s, depth+1)
			if err != nil {
				return nil, err
			}
			mm, ok := mv.(map[string]any)
			if !ok {
				p.add(s.Line, s.Column, p.pointer(), "yaml/syntax", "merge key '<<' needs a mapping", "")
				continue
			}
			for k, v := range mm {
				if _, set := out[k]; !set {
					out[k] = v
				}
			}
		}
	}
	return out, nil
}

// isMergeKey reports whether k is a merge key ("<<" plain, which PyYAML resolves to !!merge).
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0 && k.ShortTag() == "!!merge"
}

// firstKey returns the first key node of the mapping n that is the scalar key (merge keys
// aside): where a duplicate's first occurrence is. Duplicates are rare, so a scan on finding
// one costs less than a map of every key of every mapping.
func firstKey(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key && !isMergeKey(k) {
			return k
		}
	}
	return nil
}

// version reads schema_version: a plain number such as 1.0 is read by PyYAML as a float,
// which the Python model rejects; it is flagged and read as its text for detection.
func (p *parser) version(n *yaml.Node) (any, error) {
	if n.Kind == yaml.ScalarNode && n.Style == 0 && isNumber(pyyaml.Resolve(n.Value)) {
		p.add(n.Line, n.Column, p.pointer(), "yaml/unquoted-version",
			fmt.Sprintf("schema_version %s is a number for PyYAML, not the string '%s'", n.Value, n.Value),
			p.fixHint())
		return n.Value, nil
	}
	return p.value(n, 1)
}

func (p *parser) scalar(n *yaml.Node, depth int) (any, error) {
	s := n.Value
	if n.Style&yaml.TaggedStyle != 0 {
		return p.tagged(n)
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return s, nil
	}
	// PyYAML's resolver decides what a plain scalar is; the shortcut keeps the text of
	// numbers that are already JSON without building their values. Long ones go the full
	// way: a 400-digit "1...1.5" is inf to Python.
	if t, ok := pyyaml.PlainNumber(s); ok && (t == pyyaml.Int || t == pyyaml.Float) && len(s) <= 32 {
		return json.Number(s), nil
	}
	tag := pyyaml.Resolve(s)
	if tag == pyyaml.Str {
		return s, nil
	}
	if tag == pyyaml.Int && pyyaml.IntTooLarge(s) {
		p.intTooLarge(n)
		return nil, nil
	}
	sc, err := pyyaml.Construct(s)
	switch tag {
	case pyyaml.Null:
		return nil, nil
	case pyyaml.Bool:
		if l := strings.ToLower(s); l != "true" && l != "false" {
			p.addSev(SeverityWarning, n.Line, n.Column, p.pointer(), "yaml/truthy",
				fmt.Sprintf("unquoted %s is read as a boolean by PyYAML", s), p.fixHint())
		}
		return sc.Bool, nil
	case pyyaml.Int:
		if err != nil {
			p.add(n.Line, n.Column, p.pointer(), "yaml/unloadable",
				fmt.Sprintf("unquoted %s is an int to PyYAML, and safe_load fails on it (%s)", s, constructReason(err)),
				fmt.Sprintf("quote it: '%s'", s))
			return s, nil
		}
		return json.Number(sc.Int.String()), nil
	case pyyaml.Float:
		return p.float(n, sc.Float)
	case pyyaml.Timestamp:
		if err != nil { // safe_load raises: that is a refusal, not a misreading
			p.add(n.Line, n.Column, p.pointer(), "yaml/unloadable",
				fmt.Sprintf("unquoted %s is a timestamp to PyYAML, and safe_load fails on it (%s)", s, constructReason(err)),
				fmt.Sprintf("quote it: '%s'", s))
			return s, nil
		}
		p.add(n.Line, n.Column, p.pointer(), "yaml/unquoted-timestamp",
			fmt.Sprintf("unquoted timestamp %s is read as a datetime by PyYAML, not a string", s), p.fixHint())
		return s, nil
	}
	p.unloadable(n, p.pointer(), tag) // "=", "<<" as a value
	return s, nil
}

// unloadable reports a plain scalar PyYAML resolves to a tag safe_load has no constructor
// for ("=" is tag:yaml.org,2002:value; "<<" anywhere but as a key is a merge).
func (p *parser) unloadable(n *yaml.Node, ptr string, tag pyyaml.Tag) {
	p.add(n.Line, n.Column, ptr, "yaml/unloadable",
		fmt.Sprintf("unquoted %s is %s to PyYAML, which safe_load cannot construct", n.Value, tag),
		fmt.Sprintf("quote it: '%s'", n.Value))
}

func constructReason(err error) string {
	var ce *pyyaml.ConstructError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return err.Error()
}

func isNumber(t pyyaml.Tag) bool { return t == pyyaml.Int || t == pyyaml.Float }

// float is a float PyYAML has built from n: its text when that is a JSON number already,
// the shortest JSON spelling of its value otherwise; .inf, .nan and overflow are findings.
func (p *parser) float(n *yaml.Node, f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		p.add(n.Line, n.Column, p.pointer(), "yaml/non-finite-number", fmt.Sprintf("%s is not a JSON number", n.Value), "use null for an unknown value")
		return nil, nil
	}
	if s := strings.ReplaceAll(n.Value, "_", ""); len(s) <= 32 && reJSON().MatchString(s) {
		return json.Number(s), nil // longer text is kept as the float64 Python reads
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

// escape encodes one JSON pointer token (RFC 6901).
func escape(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

func unescape(tok string) string {
	if !strings.Contains(tok, "~") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// constructs reports whether safe_load constructs the plain key k (an int or a timestamp
// to PyYAML); when not ("0b_: 1", "2020-02-30: x") the file does not load.
func (p *parser) constructs(k *yaml.Node, ptr string) bool {
	if pyyaml.Resolve(k.Value) == pyyaml.Int && pyyaml.IntTooLarge(k.Value) {
		p.intTooLarge(k)
		return false
	}
	sc, err := pyyaml.Construct(k.Value)
	if err != nil {
		p.add(k.Line, k.Column, ptr, "yaml/unloadable",
			fmt.Sprintf("unquoted key %s is %s to PyYAML, and safe_load fails on it (%s)", k.Value, sc.Tag.Short(), constructReason(err)),
			fmt.Sprintf("quote it: '%s'", k.Value))
		return false
	}
	return true
}

func (p *parser) intTooLarge(n *yaml.Node) {
	p.add(n.Line, n.Column, p.pointer(), "yaml/int-too-large",
		fmt.Sprintf("integer of more than %d decimal digits: ckptmeta does not read it (PyYAML does, in base 2, 8, 16 or 60)", pyyaml.MaxIntDigits),
		"no sidecar field needs such a number")
}

// tagged is a scalar with an explicit tag safe_load knows (knownTag said so), constructed
// as SafeConstructor constructs it: "!!int 0o17" is 15, "!!int abc" does not load.
func (p *parser) tagged(n *yaml.Node) (any, error) {
	s := n.Value
	var err error
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if b, err = pyyaml.ConstructBool(s); err == nil {
			return b, nil
		}
	case "!!int":
		var v *big.Int
		if v, err = pyyaml.ConstructInt(s); err == nil {
			return json.Number(v.String()), nil
		}
		if errors.Is(err, pyyaml.ErrIntTooLarge) {
			p.intTooLarge(n)
			return nil, nil
		}
	case "!!float":
		var f float64
		if f, err = pyyaml.ConstructFloat(s); err == nil {
			return p.float(n, f)
		}
	case "!!timestamp":
		err = pyyaml.CheckTimestamp(s)
	case "!!binary":
		err = pyyaml.CheckBinary(s)
	}
	if err != nil {
		p.add(n.Line, n.Column, p.pointer(), "yaml/unloadable",
			fmt.Sprintf("%s %s: safe_load fails on it (%s)", n.ShortTag(), strconv.Quote(truncate(s)), err), "fix the value or remove the tag")
		return nil, nil
	}
	return s, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// knownTag reports whether safe_load has a constructor for n's explicit tag that fits
// n's kind; when not, the finding is made (once per node, however many aliases reach it)
// and the value is null.
func (p *parser) knownTag(n *yaml.Node) bool {
	tag := n.ShortTag()
	kind := pyyaml.ClassifyTag(tag)
	if kind != pyyaml.TagUnknown && kind != pyyaml.TagUnsafe && pyyaml.CheckKind(kind, n) == nil {
		return true
	}
	if p.reported[n] {
		return false
	}
	if p.reported == nil {
		p.reported = map[*yaml.Node]bool{}
	}
	p.reported[n] = true
	switch kind {
	case pyyaml.TagUnsafe:
		p.add(n.Line, n.Column, p.pointer(), "yaml/unsafe-tag",
			fmt.Sprintf("tag %s: yaml.safe_load refuses the file; only yaml.unsafe_load builds Python objects, which runs code", tag),
			"remove the tag: a sidecar holds plain values")
	case pyyaml.TagUnknown:
		p.add(n.Line, n.Column, p.pointer(), "yaml/unknown-tag",
			fmt.Sprintf("tag %s: yaml.safe_load has no constructor for it and refuses the file", tag), "remove the tag")
	default:
		p.add(n.Line, n.Column, p.pointer(), "yaml/unloadable",
			fmt.Sprintf("tag %s: %s; safe_load fails on it", tag, pyyaml.CheckKind(kind, n)), "remove the tag")
	}
	return false
}
