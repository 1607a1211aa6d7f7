package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

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
func Parse(path string, src []byte) (*Document, []Finding) {
	p := &parser{path: path}
	if len(src) > MaxFileSize {
		p.add(0, 0, "", "yaml/too-large", fmt.Sprintf("file is %d bytes; sidecars larger than %d bytes are not read", len(src), MaxFileSize), "")
		return nil, p.findings
	}
	// The budget is checked before any tree exists: yaml.v3 spends about 250 bytes per node.
	if n, line := countNodes(src, MaxNodes); n > MaxNodes {
		p.add(line, 0, "", "yaml/node-budget", fmt.Sprintf("file holds more than %d YAML nodes; sidecars hold a few hundred", MaxNodes), "")
		return nil, p.findings
	}
	// The fast path parses the block YAML that PyYAML writes into exactly the tree yaml.v3
	// would build, about ten times faster; anything else goes through yaml.v3.
	file, ok := pyyaml.Parse(src)
	if !ok {
		if file = p.decode(src); file == nil {
			return nil, p.findings
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
	budget   int          // nodes left to convert; aliases spend it too
	more     moreFindings // findings past MaxFindings, counted only
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

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax reports yaml.v3's syntax error err at PyYAML's problem mark pe: where the Python
// consumers' yaml.safe_load says the problem is, with the context it names (where the
// unclosed collection or quote began). yaml.v3 gives only a line, and for parser errors the
// 0-based line of the context, so the mark comes from pyyaml.FindSyntaxError. The message
// stays yaml.v3's. When PyYAML raises nothing (pe nil: an error only yaml.v3 makes, or
// input FindSyntaxError leaves alone), yaml.v3's line is kept and the column is 1.
func (p *parser) syntax(err error, pe *pyyaml.SyntaxError) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
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
var reJSON = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$`)

func (p *parser) value(n *yaml.Node, depth int) (any, error) {
	p.budget--
	if p.budget < 0 {
		p.add(n.Line, n.Column, p.pointer(), "yaml/alias-budget", "aliases expand to too many nodes", "sidecars need no anchors or aliases; write the values out")
		return nil, errAbort
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
	firstLine := make(map[string]int, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0 && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.add(k.Line, k.Column, p.pointer(), "yaml/non-string-key", "mapping key is not a scalar", "")
			continue
		}
		key := k.Value
		if k.Style == 0 { // plain and untagged: PyYAML's resolver decides
			switch tag := pyyaml.Resolve(key); tag {
			case pyyaml.Str:
			case pyyaml.Value, pyyaml.Indicator:
				p.unloadable(k, p.pointer()+"/"+escape(key), tag)
			default:
				p.addSev(SeverityWarning, k.Line, k.Column, p.pointer()+"/"+escape(key), "yaml/non-string-key",
					fmt.Sprintf("key %s is not a string for PyYAML", key), fmt.Sprintf("quote it: '%s'", key))
			}
		}
		p.stack = append(p.stack, key)
		if line, dup := firstLine[key]; dup {
			p.add(k.Line, k.Column, p.pointer(), "yaml/duplicate-key", fmt.Sprintf("duplicate key %q (first at line %d)", key, line), "keep one of them")
		} else {
			firstLine[key] = k.Line
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

// version reads schema_version: a plain number such as 1.0 is read by PyYAML as a float,
// which the Python model rejects; it is flagged and read as its text for detection.
func (p *parser) version(n *yaml.Node) (any, error) {
	if n.Kind == yaml.ScalarNode && n.Style == 0 && isNumber(pyyaml.Resolve(n.Value)) {
		p.add(n.Line, n.Column, p.pointer(), "yaml/unquoted-version",
			fmt.Sprintf("schema_version %s is a number for PyYAML, not the string '%s'", n.Value, n.Value),
			fmt.Sprintf("quote it: schema_version: '%s'", n.Value))
		return n.Value, nil
	}
	return p.value(n, 1)
}

func (p *parser) scalar(n *yaml.Node, depth int) (any, error) {
	s := n.Value
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return s, nil
	}
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.ShortTag() {
		case "!!str", "!!binary":
			return s, nil
		case "!!timestamp":
			return s, nil
		case "!!null":
			return nil, nil
		case "!!bool":
			b, err := strconv.ParseBool(strings.ToLower(s))
			if err != nil {
				b = pyyaml.Resolve(s) == pyyaml.Bool && strings.Contains("yYtToO", s[:1]) && !strings.EqualFold(s, "off")
			}
			return b, nil
		case "!!int", "!!float":
			// fall through to the plain rules below
		default:
			return s, nil
		}
	}
	// PyYAML's resolver decides what a plain scalar is; the shortcut keeps the text of
	// numbers that are already JSON without building their values.
	if t, ok := pyyaml.PlainNumber(s); ok && (t == pyyaml.Int || t == pyyaml.Float) {
		return json.Number(s), nil
	}
	tag := pyyaml.Resolve(s)
	if tag == pyyaml.Str {
		return s, nil
	}
	sc, err := pyyaml.Construct(s)
	switch tag {
	case pyyaml.Null:
		return nil, nil
	case pyyaml.Bool:
		if l := strings.ToLower(s); l != "true" && l != "false" {
			p.addSev(SeverityWarning, n.Line, n.Column, p.pointer(), "yaml/truthy",
				fmt.Sprintf("unquoted %s is read as a boolean by PyYAML", s), "write true or false, or quote it")
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
		msg := fmt.Sprintf("unquoted timestamp %s is read as a datetime by PyYAML, not a string", s)
		if err != nil {
			msg = fmt.Sprintf("unquoted %s is a timestamp to PyYAML, and safe_load fails on it (%s)", s, constructReason(err))
		}
		p.add(n.Line, n.Column, p.pointer(), "yaml/unquoted-timestamp", msg, fmt.Sprintf("quote it: '%s'", s))
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
	if s := strings.ReplaceAll(n.Value, "_", ""); reJSON.MatchString(s) {
		return json.Number(s), nil
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
