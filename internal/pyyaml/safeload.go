package pyyaml

// Where PyYAML's reader, scanner and composer refuse what yaml.v3 accepts: tabs,
// duplicate anchors, %YAML versions. Each function takes the tree yaml.v3 built for src
// and reports the first place PyYAML's safe_load would stop at.

import (
	"bytes"
	"sort"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// NormalizeYAMLDirective returns src with the directives of the first document made
// acceptable to yaml.v3 the way PyYAML accepts them, every position kept: "%YAML 1.x"
// becomes "%YAML 1.1" padded with spaces (PyYAML accepts any 1.x and reads it with its
// YAML 1.1 resolvers; yaml.v3 refuses all but 1.1), and a reserved directive ("%FOO
// bar", which PyYAML ignores and yaml.v3 refuses) becomes a comment. Only directives
// followed by a "---" line are touched (PyYAML refuses the others, and so does yaml.v3
// untouched). src is not modified; a copy is returned when something changed.
func NormalizeYAMLDirective(src []byte) []byte {
	type edit struct {
		off  int
		text []byte
	}
	var edits []edit
	for off := 0; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += off
		}
		l := src[off:end]
		switch {
		case len(bytes.TrimLeft(l, " \r")) == 0 || l[0] == '#':
		case l[0] != '%':
			if len(edits) == 0 || !bytes.HasPrefix(l, []byte("---")) || (len(l) > 3 && l[3] != ' ' && l[3] != '\r' && l[3] != '\t') {
				return src
			}
			out := append([]byte(nil), src...)
			for _, e := range edits {
				copy(out[e.off:], e.text)
			}
			return out
		case bytes.HasPrefix(l, []byte("%YAML ")):
			d := 6
			for d < len(l) && l[d] >= '0' && l[d] <= '9' {
				d++
			}
			if d != 7 || l[6] != '1' || d >= len(l) || l[d] != '.' {
				break // not 1.x: yaml.v3 judges it as PyYAML does
			}
			e := d + 1
			for e < len(l) && l[e] >= '0' && l[e] <= '9' {
				e++
			}
			if e > d+1 && (e == len(l) || l[e] == ' ' || l[e] == '\r') {
				edits = append(edits, edit{off + d + 1, append([]byte("1"), bytes.Repeat([]byte(" "), e-d-2)...)})
			}
		case !bytes.HasPrefix(l, []byte("%TAG ")) && !bytes.HasPrefix(l, []byte("%YAML")):
			n := 1
			for n < len(l) && (isAlnum(l[n]) || l[n] == '-' || l[n] == '_') {
				n++
			}
			if n > 1 && (n == len(l) || l[n] == ' ' || l[n] == '\r') {
				edits = append(edits, edit{off, []byte("#")})
			}
		}
		off = end + 1
	}
	return src
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// DuplicateAnchor returns the node that defines an anchor a second time in doc, and the
// first definition (PyYAML's composer raises "found duplicate anchor"; yaml.v3 lets the
// second one win). Aliases are not followed.
func DuplicateAnchor(doc *yaml.Node) (dup, first *yaml.Node) {
	seen := map[string]*yaml.Node{}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind != yaml.AliasNode && n.Anchor != "" {
			if f, ok := seen[n.Anchor]; ok {
				dup, first = n, f
				return false
			}
			seen[n.Anchor] = n
		}
		if n.Kind == yaml.AliasNode {
			return true
		}
		for _, c := range n.Content {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	walk(doc)
	return dup, first
}

// FirstBadTab returns the 1-based line and column (in characters) of the first tab
// PyYAML's scanner refuses in src, which yaml.v3 parsed into doc. PyYAML never skips a
// tab between tokens ("found character '\t' that cannot start any token"), and a plain
// scalar ends at one; tabs are text only inside quoted scalars, inside block scalars'
// indented lines, and in comments.
func FirstBadTab(src []byte, doc *yaml.Node) (line, col int, found bool) {
	if bytes.IndexByte(src, '\t') < 0 {
		return 0, 0, false
	}
	t := tabScan{src: src}
	t.lineStarts()
	t.walk(doc, -1)
	sort.Slice(t.ranges, func(i, j int) bool { return t.ranges[i][0] < t.ranges[j][0] })
	r := 0 // next range that may hold the cursor
	comment := false
	for i := 0; i < len(src); i++ {
		for r < len(t.ranges) && t.ranges[r][1] <= i {
			r++
		}
		if r < len(t.ranges) && t.ranges[r][0] <= i {
			i = t.ranges[r][1] - 1 // inside a quoted or block scalar: text
			continue
		}
		switch c := src[i]; {
		case c == '\n':
			comment = false
		case comment:
		case c == '#' && (i == 0 || src[i-1] == ' ' || src[i-1] == '\t' || src[i-1] == '\n'):
			comment = true
		case c == '\t':
			l := sort.SearchInts(t.starts, i+1) - 1
			return l + 1, utf8.RuneCount(src[t.starts[l]:i]) + 1, true
		}
	}
	return 0, 0, false
}

type tabScan struct {
	src    []byte
	starts []int    // byte offset of each line
	ranges [][2]int // [start, end) of scalar text where tabs are content
}

func (t *tabScan) lineStarts() {
	t.starts = []int{0}
	for i, c := range t.src {
		if c == '\n' {
			t.starts = append(t.starts, i+1)
		}
	}
}

// offset turns yaml.v3's 1-based line and column (in characters) into a byte offset.
func (t *tabScan) offset(line, col int) int {
	if line < 1 || line > len(t.starts) {
		return -1
	}
	off := t.starts[line-1]
	for c := 1; c < col && off < len(t.src) && t.src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(t.src[off:])
		off += size
	}
	return off
}

// walk records the text ranges of the scalars under n; indent is PyYAML's current block
// indentation (the column, 0-based, of the innermost block collection; -1 at the top).
func (t *tabScan) walk(n *yaml.Node, indent int) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			return
		}
		off := t.content(t.offset(n.Line, n.Column))
		if off < 0 || off >= len(t.src) {
			return
		}
		switch q := t.src[off]; q {
		case '\'', '"':
			t.ranges = append(t.ranges, [2]int{off, t.quotedEnd(off, q)})
		case '|', '>':
			if r, ok := t.blockScalar(off, indent); ok {
				t.ranges = append(t.ranges, r)
			}
		}
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle == 0 && n.Column > 0 {
			indent = n.Column - 1
		}
		for _, c := range n.Content {
			t.walk(c, indent)
		}
	case yaml.DocumentNode:
		for _, c := range n.Content {
			t.walk(c, indent)
		}
	}
}

// content skips a node's properties (tag, anchor) and the white space and comments after
// them: yaml.v3 places a node where its properties start.
func (t *tabScan) content(off int) int {
	s := t.src
	for off >= 0 && off < len(s) {
		switch s[off] {
		case '!', '&':
			for off < len(s) && s[off] != ' ' && s[off] != '\t' && s[off] != '\n' && s[off] != '\r' {
				off++
			}
		case ' ', '\t', '\n', '\r':
			off++
		case '#':
			for off < len(s) && s[off] != '\n' {
				off++
			}
		default:
			return off
		}
	}
	return off
}

// quotedEnd returns the offset after the quote that closes the scalar opened at off.
func (t *tabScan) quotedEnd(off int, q byte) int {
	s := t.src
	for i := off + 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i + 1
		}
	}
	return len(s)
}

// blockScalar returns the range of the content lines of the block scalar whose
// indicator is at off, as scan_block_scalar finds them: the indentation is the header's
// digit, or the deepest leading spaces up to the first line with text, at least one
// more than the parent's; the scalar ends at the first line with text indented less.
func (t *tabScan) blockScalar(off, indent int) ([2]int, bool) {
	s := t.src
	i := off + 1
	increment := 0
	for k := 0; k < 2 && i < len(s); k++ {
		switch c := s[i]; {
		case c == '+' || c == '-':
			i++
		case c >= '1' && c <= '9':
			increment = int(c - '0')
			i++
		}
	}
	nl := bytes.IndexByte(s[i:], '\n')
	if nl < 0 {
		return [2]int{}, false
	}
	start := i + nl + 1
	minIndent := max(indent+1, 1)
	blockIndent := minIndent + increment - 1
	if increment == 0 {
		most := 0
		for p := start; p < len(s); {
			sp := 0
			for p+sp < len(s) && s[p+sp] == ' ' {
				sp++
			}
			most = max(most, sp)
			if p+sp < len(s) && s[p+sp] != '\n' && s[p+sp] != '\r' {
				break // the first line with text
			}
			p += sp + 1
		}
		blockIndent = max(minIndent, most)
	}
	end := start
	for p := start; p < len(s); {
		sp := 0
		for p+sp < len(s) && sp < blockIndent && s[p+sp] == ' ' {
			sp++
		}
		eol := bytes.IndexByte(s[p:], '\n')
		if eol < 0 {
			eol = len(s)
		} else {
			eol += p
		}
		blank := p+sp == eol || (s[p+sp] == '\r' && p+sp+1 == eol)
		if sp < blockIndent && !blank {
			break
		}
		end = eol
		p = eol + 1
	}
	return [2]int{start, end}, true
}
