// Package pyyaml models YAML as PyYAML reads and writes it. It holds the one copy of
// each PyYAML rule the rest of ckptmeta needs:
//
//   - Resolve, Construct and NeedsQuotes: the YAML 1.1 implicit resolvers of SafeLoader
//     (what tag a plain scalar gets) and SafeConstructor (what safe_load builds from it, or
//     the error it raises). The validator reads scalars with them; generate and migrate
//     quote exactly what NeedsQuotes names. They are compared with Debian's PyYAML on a
//     generated table of thousands of scalars (resolver_test.go).
//   - FloatRepr and FloatScalar: Python's repr(float) and PyYAML's float representer,
//     compared with Python on generated floats (float_test.go).
//   - Parse, the fast parser: it reads the small block-YAML subset that PyYAML's yaml.dump
//     and yaml.safe_dump write for checkpoint sidecars, several times faster than
//     go.yaml.in/yaml/v3 and with a few allocations instead of hundreds.
//   - Emit, the fast emitter (emit.go): the bytes yaml.v3's Encoder writes for a node tree,
//     comments included, about six times faster, or a refusal (anchors, aliases, explicit
//     tags, folded scalars) that sends the caller to yaml.v3. migrate writes with it.
//
// The PyYAML port and the emitter are translations of MIT-licensed code; NOTICE.md in this
// directory carries their copyright and license notices, which must travel with them.
//
// The rest of this comment is about Parse.
//
// It promises exactness, not coverage: when Parse reports ok, the returned tree is
// the one yaml.v3's Decoder.Decode(&node) builds for the same input, field for field
// (Kind, Style, Tag, Value, Anchor, Line, Column, comments, Content). When the input
// leaves the subset, or anything is doubtful, Parse reports !ok and the caller falls
// back to yaml.v3. Bailing out is always safe; guessing is not. An accepted input holds
// exactly one document: a second Decode would report io.EOF.
//
// The nodes share a few allocations: they are carved from one slab, every Content
// slice has cap == len (so appending copies), and plain values are substrings of one
// copy of the input. Nothing refers to the caller's slice afterwards.
//
// The subset, one construct per line:
//   - block mappings and block sequences, including "- key: v" items and sequences at
//     the same indentation as their parent key;
//   - plain scalars and single- or double-quoted scalars on one line (double-quoted
//     with yaml.v3's escapes);
//   - one-line flow sequences and mappings of scalars and nested flow collections;
//   - keys that are plain or quoted one-line scalars;
//   - one group of full-line comments at the very top of a block-mapping document.
//
// Everything else is refused: other comments, anchors, aliases, tags, block scalars,
// multi-line scalars and flow collections, complex and merge keys, directives and
// document markers, tabs, carriage returns, byte order marks, control characters,
// invalid UTF-8, plain scalars that yaml.v3 may read as timestamps, inputs over 1 MiB
// and nesting deeper than 64 levels.
package pyyaml

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

const (
	maxSize  = 1 << 20 // the validator reads nothing larger either
	maxDepth = 64
	// yaml.v3 forgets a possible simple key 1024 characters after its start; keys
	// are kept well below that so the limit never matters.
	maxKey = 1000
)

const (
	tagStr   = "!!str"
	tagNull  = "!!null"
	tagBool  = "!!bool"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagMap   = "!!map"
	tagSeq   = "!!seq"
)

// Parse parses src when it lies in the supported subset and returns the document
// exactly as go.yaml.in/yaml/v3 would (a *yaml.Node of Kind DocumentNode). ok is false
// when src is outside the subset or anything is doubtful; the caller then uses
// yaml.v3. It never panics.
func Parse(src []byte) (doc *yaml.Node, ok bool) { return ParseIn(src, nil) }

// Arena is memory that parsed trees are carved from, kept for the next parse: a run over
// many files parses each into the same arena once done with the one before, and allocates
// (and collects) the bulk of a tree's memory once instead of once per file. The zero Arena
// is ready to use; an Arena is not safe for concurrent use.
type Arena struct {
	lines []line
	slab  []yaml.Node
	ptrs  []*yaml.Node
	stack []*yaml.Node
}

// ParseIn is Parse that carves the tree from a (nil: fresh memory, as Parse). The tree
// lives in a: parsing into a again overwrites it, so the caller must be done with every
// node of the tree (and keep none) before it does. Strings in the tree (values, tags,
// comments) do not live in a.
func ParseIn(src []byte, a *Arena) (doc *yaml.Node, ok bool) {
	defer func() {
		if recover() != nil { // a bug here must cost speed, never correctness
			doc, ok = nil, false
		}
	}()
	return parse(src, a)
}

// line is one line of the input that is not blank, without its '\n'.
type line struct {
	no         int // 0-based line number
	start, end int // byte offsets into parser.src
	indent     int // leading spaces
	comment    bool
	ascii      bool // columns are byte offsets
}

type parser struct {
	src   string
	lines []line
	li    int // index in lines of the line being parsed
	depth int

	slab  []yaml.Node  // nodes are carved from here: one allocation for most files
	ptrs  []*yaml.Node // Content slices are carved from here
	stack []*yaml.Node // children of the collections being parsed
	chunk int          // size of further slabs
	arena *Arena       // where lines, the first slabs and the stack come from (nil: fresh)
}

func parse(src []byte, a *Arena) (*yaml.Node, bool) {
	if len(src) > maxSize {
		return nil, false
	}
	p := &parser{src: string(src), arena: a}
	if a != nil {
		p.lines, p.stack = a.lines[:0], a.stack[:0]
		defer func() { // what grew is kept for the next parse
			a.lines, a.stack = p.lines[:0], p.stack[:0]
		}()
	}
	if !p.scanLines() {
		return nil, false
	}
	return p.document()
}

// scanLines splits the input into lines and refuses every character yaml.v3 rejects
// or treats specially (tabs, CR, NEL, LS, PS, BOM, controls, invalid UTF-8).
func (p *parser) scanLines() bool {
	s := p.src
	if cap(p.lines) == 0 {
		p.lines = make([]line, 0, 64)
	}
	for start, no := 0, 0; start < len(s); no++ {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		l := line{no: no, start: start, end: end, ascii: true}
		i := start
		for i < end && s[i] == ' ' {
			i++
		}
		l.indent = i - start
		for ; i < end; i++ {
			if c := s[i]; c-0x20 < 0x5f {
				continue // printable ASCII
			} else if c < 0x80 {
				return false // controls, tab, CR, DEL
			}
			r, size := utf8.DecodeRuneInString(s[i:end])
			if r == utf8.RuneError && size == 1 || r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r >= 0xfffe && r <= 0xffff {
				return false
			}
			l.ascii = false
			i += size - 1
		}
		start = end + 1
		switch {
		case l.start+l.indent == l.end:
			continue // blank lines only count
		case s[l.start+l.indent] == '#':
			l.comment = true
		default:
			if l.indent == 0 && l.end-l.start >= 3 {
				switch s[l.start : l.start+3] {
				case "---", "...": // document markers, and keys that look like them
					return false
				}
			}
		}
		p.lines = append(grow(p.lines, 1), l)
	}
	// Two nodes a line, two a flow entry, one a flow collection: a close upper
	// bound for what PyYAML writes; more slabs follow if it is not. Capped, so
	// that odd input (a megabyte of commas in a string) costs no odd memory.
	est := 2*len(p.lines) + 2*strings.Count(s, ",") + strings.Count(s, "[") + strings.Count(s, "{") + 4
	est = min(est, 1<<12)
	p.chunk = est/2 + 16
	if a := p.arena; a != nil {
		if cap(a.slab) < est {
			a.slab = make([]yaml.Node, 0, est)
		}
		if cap(a.ptrs) < est {
			a.ptrs = make([]*yaml.Node, 0, est)
		}
		p.slab, p.ptrs = a.slab[:0], a.ptrs[:0]
		return true
	}
	p.slab = make([]yaml.Node, 0, est)
	p.ptrs = make([]*yaml.Node, 0, est)
	return true
}

// document parses the whole input as one document whose root starts in column 1.
func (p *parser) document() (*yaml.Node, bool) {
	// An optional group of comments at the very top, each at column 1.
	first := 0
	for first < len(p.lines) && p.lines[first].comment && p.lines[first].indent == 0 && p.lines[first].no == first {
		first++ // (the group starts on line 1 and has no blank lines)
	}
	comments := first
	p.li = first
	if p.li == len(p.lines) || p.lines[p.li].comment || p.lines[p.li].indent != 0 {
		return nil, false
	}
	l := &p.lines[p.li]
	doc := p.node(yaml.DocumentNode, "", "", p.li, 1)
	var root *yaml.Node
	var ok bool
	switch c := p.src[l.start]; {
	case c == '[' || c == '{':
		root, ok = p.flowLine(l.start)
	case isDash(p.src, l.start, l.end):
		root, ok = p.blockSequence(0, false)
	default:
		root, ok = p.blockMapping(l.start, 0)
	}
	if !ok || p.li != len(p.lines) {
		return nil, false
	}
	if comments > 0 {
		if root.Kind != yaml.MappingNode || root.Style != 0 {
			return nil, false // where yaml.v3 puts these is not modelled
		}
		text := p.src[p.lines[0].start:p.lines[comments-1].end]
		if p.lines[comments].no > comments {
			doc.HeadComment = text // separated by a blank line: the document's
		} else {
			root.Content[0].HeadComment = text // adjacent: the first key's
		}
	}
	doc.Content = p.finish([]*yaml.Node{root})
	return doc, true
}

// node carves a node from the slab. li indexes p.lines; col is the 1-based column.
func (p *parser) node(kind yaml.Kind, tag, value string, li, col int) *yaml.Node {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]yaml.Node, 0, p.chunk)
	}
	p.slab = p.slab[:len(p.slab)+1]
	n := &p.slab[len(p.slab)-1]
	// Every field: an arena's slab holds the nodes of the tree before, and a discarded
	// probe's slot its probe (see startsKey).
	*n = yaml.Node{Kind: kind, Tag: tag, Value: value, Line: p.lines[li].no + 1, Column: col}
	return n
}

// finish copies children into a Content slice carved from the pointer slab. Its
// capacity is its length, so a caller's append never overwrites a neighbour.
func (p *parser) finish(children []*yaml.Node) []*yaml.Node {
	n := len(children)
	if n == 0 {
		return nil // yaml.v3 leaves Content nil for empty collections
	}
	if cap(p.ptrs)-len(p.ptrs) < n {
		p.ptrs = make([]*yaml.Node, 0, max(n, p.chunk))
	}
	i := len(p.ptrs)
	p.ptrs = append(p.ptrs, children...)
	return p.ptrs[i : i+n : i+n]
}

// col is the 1-based column of byte offset off on line li; yaml.v3 counts characters.
func (p *parser) col(li, off int) int {
	l := &p.lines[li]
	if l.ascii {
		return off - l.start + 1
	}
	return utf8.RuneCountInString(p.src[l.start:off]) + 1
}

// advance moves to the next line with content. Comments are outside the subset.
func (p *parser) advance() bool {
	p.li++
	return p.li == len(p.lines) || !p.lines[p.li].comment
}

func (p *parser) enter() bool {
	p.depth++
	return p.depth <= maxDepth
}

// isDash reports whether s[i:end] starts with a block sequence entry indicator.
func isDash(s string, i, end int) bool {
	return s[i] == '-' && (i+1 == end || s[i+1] == ' ')
}

// grow makes room for n more elements, doubling: append's gentler growth for large
// slices would allocate several times the final size on huge inputs.
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	bigger := make([]T, len(s), 2*cap(s)+n)
	copy(bigger, s)
	return bigger
}

func skipSpaces(s string, i, end int) int {
	for i < end && s[i] == ' ' {
		i++
	}
	return i
}

// blockMapping parses a block mapping whose first key starts at byte off of the
// current line, in column indent+1. Its other keys start lines indented by indent.
func (p *parser) blockMapping(off, indent int) (*yaml.Node, bool) {
	if !p.enter() {
		return nil, false
	}
	defer func() { p.depth-- }()
	m := p.node(yaml.MappingNode, tagMap, "", p.li, p.col(p.li, off))
	mark := len(p.stack)
	for {
		l := &p.lines[p.li]
		key, i, ok := p.scalar(p.li, off, false)
		if !ok || i >= l.end || p.src[i] != ':' || i+1 < l.end && p.src[i+1] != ' ' || i-off > maxKey {
			return nil, false
		}
		i++ // past ':'
		var val *yaml.Node
		if v := skipSpaces(p.src, i, l.end); v == l.end {
			val, ok = p.blockBelow(p.li, i, indent, true)
		} else {
			val, ok = p.inline(v)
		}
		if !ok {
			return nil, false
		}
		p.stack = append(grow(p.stack, 2), key, val)
		if p.li == len(p.lines) || p.lines[p.li].indent < indent {
			break
		}
		if p.lines[p.li].indent > indent {
			return nil, false // continuation lines, or bad indentation
		}
		off = p.lines[p.li].start + indent
	}
	m.Content = p.finish(p.stack[mark:])
	p.stack = p.stack[:mark]
	return m, true
}

// blockSequence parses a block sequence whose entries start lines indented by indent.
// An indentless sequence (PyYAML's style under a mapping key) ends at the first line
// of that indentation that is not an entry.
func (p *parser) blockSequence(indent int, indentless bool) (*yaml.Node, bool) {
	if !p.enter() {
		return nil, false
	}
	defer func() { p.depth-- }()
	s := p.node(yaml.SequenceNode, tagSeq, "", p.li, indent+1)
	mark := len(p.stack)
	for {
		l := &p.lines[p.li]
		off := l.start + indent
		if !isDash(p.src, off, l.end) {
			if indentless {
				break
			}
			return nil, false
		}
		var item *yaml.Node
		var ok bool
		v := skipSpaces(p.src, off+1, l.end)
		switch {
		case v == l.end:
			item, ok = p.blockBelow(p.li, off+1, indent, false)
		case isDash(p.src, v, l.end):
			return nil, false // "- - x": not in the subset
		case p.startsKey(p.li, v):
			item, ok = p.blockMapping(v, v-l.start)
		default:
			item, ok = p.inline(v)
		}
		if !ok {
			return nil, false
		}
		p.stack = append(grow(p.stack, 2), item)
		if p.li == len(p.lines) || p.lines[p.li].indent < indent {
			break
		}
		if p.lines[p.li].indent > indent {
			return nil, false
		}
	}
	s.Content = p.finish(p.stack[mark:])
	p.stack = p.stack[:mark]
	return s, true
}

// startsKey reports whether a mapping key starts at byte off of line li.
func (p *parser) startsKey(li, off int) bool {
	l := &p.lines[li]
	_, i, ok := p.scalar(li, off, false)
	p.slab = p.slab[:len(p.slab)-btoi(ok)] // the probe's node is not kept
	return ok && i < l.end && p.src[i] == ':' && (i+1 == l.end || p.src[i+1] == ' ')
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// blockBelow parses the value of a key or entry that ends its line at byte off of line
// li: a nested block collection on the following lines, or else an empty (null) scalar.
func (p *parser) blockBelow(li, off, indent int, mapValue bool) (*yaml.Node, bool) {
	if !p.advance() {
		return nil, false
	}
	if p.li < len(p.lines) {
		l := &p.lines[p.li]
		switch {
		case l.indent > indent:
			if isDash(p.src, l.start+l.indent, l.end) {
				return p.blockSequence(l.indent, false)
			}
			return p.blockMapping(l.start+l.indent, l.indent)
		case l.indent == indent && mapValue && isDash(p.src, l.start+l.indent, l.end):
			return p.blockSequence(indent, true)
		}
	}
	// yaml.v3 places the empty scalar right after the indicator.
	return p.node(yaml.ScalarNode, tagNull, "", li, p.col(li, off)), true
}

// inline parses a value that starts at byte off of the current line and must end it:
// a scalar or a flow collection. It then moves to the next line.
func (p *parser) inline(off int) (*yaml.Node, bool) {
	if c := p.src[off]; c == '[' || c == '{' {
		return p.flowLine(off)
	}
	n, i, ok := p.scalar(p.li, off, false)
	if !ok || i != p.lines[p.li].end {
		return nil, false // "a: b: c", a comment, ...
	}
	return n, p.advance()
}

// flowLine parses a flow collection that must end its line, then moves to the next line.
func (p *parser) flowLine(off int) (*yaml.Node, bool) {
	n, i, ok := p.flow(off)
	if !ok || skipSpaces(p.src, i, p.lines[p.li].end) != p.lines[p.li].end {
		return nil, false
	}
	return n, p.advance()
}

// flow parses a one-line flow collection starting with '[' or '{' at byte off of the
// current line. It returns the offset after the closing bracket.
func (p *parser) flow(off int) (*yaml.Node, int, bool) {
	if !p.enter() {
		return nil, 0, false
	}
	defer func() { p.depth-- }()
	l := &p.lines[p.li]
	s := p.src
	isMap := s[off] == '{'
	closer := byte(']')
	n := p.node(yaml.SequenceNode, tagSeq, "", p.li, p.col(p.li, off))
	if isMap {
		closer = '}'
		n.Kind, n.Tag = yaml.MappingNode, tagMap
	}
	n.Style = yaml.FlowStyle
	mark := len(p.stack)
	i := skipSpaces(s, off+1, l.end)
	if i < l.end && s[i] == closer {
		return n, i + 1, true
	}
	for {
		if isMap {
			key, j, ok := p.scalar(p.li, i, true)
			if !ok || j >= l.end || s[j] != ':' || j+1 >= l.end || s[j+1] != ' ' || j-i > maxKey {
				return nil, 0, false // "{a}", "{a:1}", "{[a]: b}", ...
			}
			p.stack = append(grow(p.stack, 2), key)
			i = skipSpaces(s, j+1, l.end)
		}
		if i >= l.end {
			return nil, 0, false
		}
		var item *yaml.Node
		var ok bool
		if c := s[i]; c == '[' || c == '{' {
			item, i, ok = p.flow(i)
		} else {
			item, i, ok = p.scalar(p.li, i, true)
			if ok && i < l.end && s[i] == ':' {
				ok = false // "[a: b]" is a one-pair mapping; not in the subset
			}
		}
		if !ok {
			return nil, 0, false
		}
		p.stack = append(grow(p.stack, 2), item)
		i = skipSpaces(s, i, l.end)
		if i >= l.end {
			return nil, 0, false // continues on the next line
		}
		if s[i] == closer {
			i++
			break
		}
		if s[i] != ',' {
			return nil, 0, false
		}
		i = skipSpaces(s, i+1, l.end)
		if i >= l.end || s[i] == closer {
			return nil, 0, false // trailing comma, or the next line
		}
	}
	n.Content = p.finish(p.stack[mark:])
	p.stack = p.stack[:mark]
	return n, i, true
}

// scalar scans one scalar starting at byte off of line li. A plain scalar stops before
// ": " (or ':' at the end of the line) and, in flow context, before ',', ']' and '}'.
// It returns the offset after the scalar and any spaces after it.
func (p *parser) scalar(li, off int, inFlow bool) (*yaml.Node, int, bool) {
	l := &p.lines[li]
	s := p.src
	end := l.end
	if off >= end {
		return nil, 0, false
	}
	switch c := s[off]; c {
	case '\'', '"':
		v, i, ok := p.quoted(off, end, c)
		if !ok {
			return nil, 0, false
		}
		style := yaml.SingleQuotedStyle
		if c == '"' {
			style = yaml.DoubleQuotedStyle
		}
		n := p.node(yaml.ScalarNode, tagStr, v, li, p.col(li, off))
		n.Style = style
		return n, skipSpaces(s, i, end), true
	case '-':
		// "-x" is plain; "- " is an entry. Keep away from "-," "-]" "-:" and friends.
		if off+1 == end || isIndicator(s[off+1]) {
			return nil, 0, false
		}
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		return nil, 0, false
	}
	i, last := off, off
	for i < end {
		c := s[i]
		if !plainStop[c] {
			i++
			last = i
			continue
		}
		switch {
		case c == ' ':
			i++
			continue
		case c == '#' && s[i-1] == ' ':
			return nil, 0, false // a comment
		case c == ':' && (i+1 == end || s[i+1] == ' '):
			end = i // the value indicator
			continue
		case inFlow:
			switch c {
			case ',', ']', '}':
				end = i
				continue
			case '[', '{', '?', ':':
				return nil, 0, false // yaml.v3 reads these in odd ways; not modelled
			}
		}
		i++
		last = i
	}
	v := s[off:last]
	tag, ok := resolve(v)
	if !ok {
		return nil, 0, false
	}
	return p.node(yaml.ScalarNode, tag, v, li, p.col(li, off)), skipSpaces(s, last, l.end), true
}

// plainStop marks the bytes a plain scalar must look at twice: the blank, and the
// indicators that may end it or start a comment.
var plainStop = [256]bool{' ': true, '#': true, ':': true, ',': true, '[': true, ']': true, '{': true, '}': true, '?': true}

// isIndicator reports the characters that may not follow a '-' opening a plain scalar
// here: blanks and flow or comment indicators.
func isIndicator(c byte) bool {
	switch c {
	case ' ', ',', '[', ']', '{', '}', ':', '#', '?':
		return true
	}
	return false
}
