package pyyaml

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mark is a position as PyYAML counts it: 0-based line and column in characters (code
// points), Index the character offset. A line ends at \n, \r\n, a lone \r, U+0085, U+2028
// or U+2029; a byte order mark takes no column.
type Mark struct{ Index, Line, Column int }

// SyntaxError is the first error PyYAML's reader, scanner or parser raises on a stream
// (a ReaderError, ScannerError or ParserError), with its problem mark, and its context mark
// when it has one.
type SyntaxError struct {
	Kind        string // "reader", "scanner", "parser" or "composer" (an undefined alias)
	Context     string // "while parsing a flow sequence", or ""
	ContextMark *Mark  // where the context began; nil when there is none
	Problem     string // "expected ',' or ']', but got '<stream end>'"
	Mark        Mark   // the problem mark: where PyYAML's message points
}

func (e *SyntaxError) Error() string {
	msg := fmt.Sprintf("pyyaml: line %d column %d: %s", e.Mark.Line+1, e.Mark.Column+1, e.Problem)
	if e.Context != "" && e.ContextMark != nil {
		msg += fmt.Sprintf(" (%s at line %d column %d)", e.Context, e.ContextMark.Line+1, e.ContextMark.Column+1)
	}
	return msg
}

// maxFlowLevel bounds flow nesting: PyYAML's simple-key bookkeeping is linear in the
// nesting per token, so deeper input is left to yaml.v3's own error.
const maxFlowLevel = 1000

// FindSyntaxError runs PyYAML's reader, scanner and parser (a port of PyYAML 6.0's
// reader.py, scanner.py and parser.py, lazily interleaved as PyYAML interleaves them)
// over src up to the point where yaml.safe_load stops reading: the end of the stream or
// the start of a second document. It returns the first error they raise, or nil. It
// returns nil as well for input it does not model: UTF-16 (a BOM), and flow nesting deeper
// than 1000. Of the composer's errors it raises one, an undefined alias (Kind "composer"),
// because yaml.v3 reports that one without any line; duplicate anchors, tags and values
// are not syntax.
func FindSyntaxError(src []byte) *SyntaxError { return safeFind(src, false) }

// FindStreamSyntaxError is FindSyntaxError over the whole stream, every document, as
// yaml.parse reads it: the error a later document holds, which safe_load never reaches
// (it stops at the second document) but which yaml.v3's next Decode reports.
func FindStreamSyntaxError(src []byte) *SyntaxError { return safeFind(src, true) }

// safeFind turns a bug in the port (a panic that is not a SyntaxError; the fuzz test
// looks for them) into "no mark": the caller then keeps yaml.v3's line.
func safeFind(src []byte, wholeStream bool) (found *SyntaxError) {
	defer func() {
		if r := recover(); r != nil {
			found = nil
		}
	}()
	return findSyntaxError(src, wholeStream)
}

func findSyntaxError(src []byte, wholeStream bool) (found *SyntaxError) {
	if len(src) >= 2 && (src[0] == 0xff && src[1] == 0xfe || src[0] == 0xfe && src[1] == 0xff) {
		return nil
	}
	buf, err := decodeReader(src)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*SyntaxError)
			if !ok {
				if r == errTooDeep {
					found = nil
					return
				}
				panic(r)
			}
			found = e
		}
	}()
	p := &ysParser{s: newScanner(buf)}
	p.state = p.parseStreamStart
	if wholeStream {
		for p.state != nil {
			p.getEvent()
		}
		return nil
	}
	p.run()
	return nil
}

// decodeReader is Reader: strict UTF-8 and the printable-character check, both over the
// whole input before any token (PyYAML decodes a string or bytes input at once).
func decodeReader(src []byte) ([]rune, *SyntaxError) {
	buf := make([]rune, 0, len(src)+1)
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			m := markAt(buf, len(buf))
			return nil, &SyntaxError{Kind: "reader", Problem: fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d", src[i], i), Mark: m}
		}
		buf = append(buf, r)
		i += n
	}
	for i, r := range buf {
		if !printable(r) {
			return nil, &SyntaxError{Kind: "reader", Problem: fmt.Sprintf("unacceptable character #x%04x: special characters are not allowed", r), Mark: markAt(buf, i)}
		}
	}
	return append(buf, 0), nil
}

// printable is the complement of Reader.NON_PRINTABLE.
func printable(r rune) bool {
	return r == 0x09 || r == 0x0a || r == 0x0d || r >= 0x20 && r <= 0x7e || r == 0x85 ||
		r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
}

// markAt counts lines and columns up to character index i, as Reader.forward does.
func markAt(buf []rune, i int) Mark {
	m := Mark{}
	for k := 0; k < i; k++ {
		ch := buf[k]
		m.Index++
		if ch == '\n' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == '\r' && (k+1 >= len(buf) || buf[k+1] != '\n') {
			m.Line++
			m.Column = 0
		} else if ch != 0xfeff {
			m.Column++
		}
	}
	return m
}

var errTooDeep = &struct{ string }{"too deep"}

// ---- scanner (scanner.py) ----

type tokenKind int

const (
	tStreamStart tokenKind = iota
	tStreamEnd
	tDirective
	tDocumentStart
	tDocumentEnd
	tBlockSequenceStart
	tBlockMappingStart
	tBlockEnd
	tFlowSequenceStart
	tFlowMappingStart
	tFlowSequenceEnd
	tFlowMappingEnd
	tKey
	tValue
	tBlockEntry
	tFlowEntry
	tAlias
	tAnchor
	tTag
	tScalar
)

// tokenIDs are PyYAML's Token.id strings, which its messages quote.
var tokenIDs = [...]string{
	tStreamStart: "<stream start>", tStreamEnd: "<stream end>", tDirective: "<directive>",
	tDocumentStart: "<document start>", tDocumentEnd: "<document end>",
	tBlockSequenceStart: "<block sequence start>", tBlockMappingStart: "<block mapping start>",
	tBlockEnd: "<block end>", tFlowSequenceStart: "[", tFlowMappingStart: "{", tFlowSequenceEnd: "]",
	tFlowMappingEnd: "}", tKey: "?", tValue: ":", tBlockEntry: "-", tFlowEntry: ",", tAlias: "<alias>",
	tAnchor: "<anchor>", tTag: "<tag>", tScalar: "<scalar>",
}

type token struct {
	kind       tokenKind
	start, end Mark
	// directives and tags: what the parser checks
	name          string // directive name
	major         int    // %YAML major version
	handle        string // %TAG handle, or a tag's handle ("" and hasHandle false: none)
	hasHandle     bool
	plain         bool
	anchorOrAlias string
}

type simpleKey struct {
	tokenNumber int
	required    bool
	index, line int
	column      int
	mark        Mark
}

type scanner struct {
	buf                []rune
	ptr                int
	line, column       int
	done               bool
	flowLevel          int
	tokens             []token
	tokensTaken        int
	indent             int
	indents            []int
	allowSimpleKey     bool
	possibleSimpleKeys map[int]*simpleKey
	comments           *commentLog // nil unless Comments asked for them
}

func newScanner(buf []rune) *scanner {
	s := &scanner{buf: buf, indent: -1, allowSimpleKey: true, possibleSimpleKeys: map[int]*simpleKey{}}
	m := s.mark()
	s.tokens = append(s.tokens, token{kind: tStreamStart, start: m, end: m})
	return s
}

func (s *scanner) peek(i int) rune {
	if s.ptr+i < len(s.buf) {
		return s.buf[s.ptr+i]
	}
	return 0
}

func (s *scanner) prefix(n int) string {
	end := s.ptr + n
	if end > len(s.buf) {
		end = len(s.buf)
	}
	return string(s.buf[s.ptr:end])
}

func (s *scanner) forward(n int) {
	for ; n > 0 && s.ptr < len(s.buf); n-- {
		ch := s.buf[s.ptr]
		s.ptr++
		if ch == '\n' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == '\r' && s.peek(0) != '\n' {
			s.line++
			s.column = 0
		} else if ch != 0xfeff {
			s.column++
		}
	}
}

func (s *scanner) mark() Mark { return Mark{Index: s.ptr, Line: s.line, Column: s.column} }

func in(ch rune, set string) bool { return strings.ContainsRune(set, ch) }

const (
	zBreak      = "\r\n\u0085\u2028\u2029"
	zBreakOrEnd = "\x00" + zBreak
	zBlank      = "\x00 \t" + zBreak // end, blanks and breaks
	zSpaceEnd   = "\x00 " + zBreak   // end, space and breaks (no tab)
)

// in treats '\x00' in a set as the end of input: peek returns 0 there.
func isIn(ch rune, set string) bool {
	if ch == 0 {
		return strings.IndexByte(set, 0) >= 0
	}
	return in(ch, set)
}

func (s *scanner) fail(context string, cm *Mark, problem string, m Mark) {
	panic(&SyntaxError{Kind: "scanner", Context: context, ContextMark: cm, Problem: problem, Mark: m})
}

func (s *scanner) checkToken(kinds ...tokenKind) bool {
	for s.needMoreTokens() {
		s.fetchMoreTokens()
	}
	if len(s.tokens) == 0 {
		return false
	}
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if s.tokens[0].kind == k {
			return true
		}
	}
	return false
}

func (s *scanner) peekToken() *token {
	for s.needMoreTokens() {
		s.fetchMoreTokens()
	}
	if len(s.tokens) == 0 {
		return nil
	}
	return &s.tokens[0]
}

func (s *scanner) getToken() token {
	for s.needMoreTokens() {
		s.fetchMoreTokens()
	}
	t := s.tokens[0]
	s.tokens = s.tokens[1:]
	s.tokensTaken++
	return t
}

func (s *scanner) needMoreTokens() bool {
	if s.done {
		return false
	}
	if len(s.tokens) == 0 {
		return true
	}
	s.staleSimpleKeys()
	n, ok := s.nextPossibleSimpleKey()
	return ok && n == s.tokensTaken
}

func (s *scanner) fetchMoreTokens() {
	s.scanToNextToken()
	if s.comments != nil && !s.atEnd() {
		s.comments.tokenAt(s.line)
	}
	s.staleSimpleKeys()
	s.unwindIndent(s.column)
	ch := s.peek(0)
	switch {
	case ch == 0 && s.ptr >= len(s.buf)-1:
		s.fetchStreamEnd()
	case ch == '%' && s.column == 0:
		s.fetchDirective()
	case ch == '-' && s.checkDocumentIndicator("---"):
		s.fetchDocumentIndicator(tDocumentStart)
	case ch == '.' && s.checkDocumentIndicator("..."):
		s.fetchDocumentIndicator(tDocumentEnd)
	case ch == '[':
		s.fetchFlowCollectionStart(tFlowSequenceStart)
	case ch == '{':
		s.fetchFlowCollectionStart(tFlowMappingStart)
	case ch == ']':
		s.fetchFlowCollectionEnd(tFlowSequenceEnd)
	case ch == '}':
		s.fetchFlowCollectionEnd(tFlowMappingEnd)
	case ch == ',':
		s.fetchFlowEntry()
	case ch == '-' && isIn(s.peek(1), zBlank):
		s.fetchBlockEntry()
	case ch == '?' && (s.flowLevel > 0 || isIn(s.peek(1), zBlank)):
		s.fetchKey()
	case ch == ':' && (s.flowLevel > 0 || isIn(s.peek(1), zBlank)):
		s.fetchValue()
	case ch == '*':
		s.saveSimpleKey()
		s.allowSimpleKey = false
		s.tokens = append(s.tokens, s.scanAnchor(tAlias))
	case ch == '&':
		s.saveSimpleKey()
		s.allowSimpleKey = false
		s.tokens = append(s.tokens, s.scanAnchor(tAnchor))
	case ch == '!':
		s.saveSimpleKey()
		s.allowSimpleKey = false
		s.tokens = append(s.tokens, s.scanTag())
	case (ch == '|' || ch == '>') && s.flowLevel == 0:
		s.allowSimpleKey = true
		s.removeSimpleKey()
		s.tokens = append(s.tokens, s.scanBlockScalar(ch == '>'))
	case ch == '\'' || ch == '"':
		s.saveSimpleKey()
		s.allowSimpleKey = false
		s.tokens = append(s.tokens, s.scanFlowScalar(ch == '"'))
	case s.checkPlain():
		s.saveSimpleKey()
		s.allowSimpleKey = false
		s.tokens = append(s.tokens, s.scanPlain())
	default:
		s.fail("while scanning for the next token", nil, fmt.Sprintf("found character %s that cannot start any token", reprChar(string(ch))), s.mark())
	}
}

func (s *scanner) nextPossibleSimpleKey() (int, bool) {
	min, ok := 0, false
	for _, k := range s.possibleSimpleKeys {
		if !ok || k.tokenNumber < min {
			min, ok = k.tokenNumber, true
		}
	}
	return min, ok
}

func (s *scanner) staleSimpleKeys() {
	// Python walks the dict in insertion order, which is ascending flow level here;
	// the first required stale key raises.
	for level := 0; level <= s.flowLevel+1 && len(s.possibleSimpleKeys) > 0; level++ {
		k, ok := s.possibleSimpleKeys[level]
		if !ok {
			continue
		}
		if k.line != s.line || s.ptr-k.index > 1024 {
			if k.required {
				s.fail("while scanning a simple key", &k.mark, "could not find expected ':'", s.mark())
			}
			delete(s.possibleSimpleKeys, level)
		}
	}
}

func (s *scanner) saveSimpleKey() {
	required := s.flowLevel == 0 && s.indent == s.column
	if s.allowSimpleKey {
		s.removeSimpleKey()
		s.possibleSimpleKeys[s.flowLevel] = &simpleKey{tokenNumber: s.tokensTaken + len(s.tokens), required: required,
			index: s.ptr, line: s.line, column: s.column, mark: s.mark()}
	}
}

func (s *scanner) removeSimpleKey() {
	if k, ok := s.possibleSimpleKeys[s.flowLevel]; ok {
		if k.required {
			s.fail("while scanning a simple key", &k.mark, "could not find expected ':'", s.mark())
		}
		delete(s.possibleSimpleKeys, s.flowLevel)
	}
}

func (s *scanner) unwindIndent(column int) {
	if s.flowLevel > 0 {
		return
	}
	for s.indent > column {
		m := s.mark()
		s.indent = s.indents[len(s.indents)-1]
		s.indents = s.indents[:len(s.indents)-1]
		s.tokens = append(s.tokens, token{kind: tBlockEnd, start: m, end: m})
	}
}

func (s *scanner) addIndent(column int) bool {
	if s.indent < column {
		s.indents = append(s.indents, s.indent)
		s.indent = column
		return true
	}
	return false
}

func (s *scanner) simple(kind tokenKind) {
	start := s.mark()
	s.forward(1)
	s.tokens = append(s.tokens, token{kind: kind, start: start, end: s.mark()})
}

func (s *scanner) fetchStreamEnd() {
	s.unwindIndent(-1)
	s.removeSimpleKey()
	s.allowSimpleKey = false
	s.possibleSimpleKeys = map[int]*simpleKey{}
	m := s.mark()
	s.tokens = append(s.tokens, token{kind: tStreamEnd, start: m, end: m})
	s.done = true
}

func (s *scanner) fetchDirective() {
	s.unwindIndent(-1)
	s.removeSimpleKey()
	s.allowSimpleKey = false
	s.tokens = append(s.tokens, s.scanDirective())
}

func (s *scanner) checkDocumentIndicator(ind string) bool {
	return s.column == 0 && s.prefix(3) == ind && isIn(s.peek(3), zBlank)
}

func (s *scanner) fetchDocumentIndicator(kind tokenKind) {
	s.unwindIndent(-1)
	s.removeSimpleKey()
	s.allowSimpleKey = false
	start := s.mark()
	s.forward(3)
	s.tokens = append(s.tokens, token{kind: kind, start: start, end: s.mark()})
}

func (s *scanner) fetchFlowCollectionStart(kind tokenKind) {
	s.saveSimpleKey()
	s.flowLevel++
	if s.flowLevel > maxFlowLevel {
		panic(errTooDeep)
	}
	s.allowSimpleKey = true
	s.simple(kind)
}

func (s *scanner) fetchFlowCollectionEnd(kind tokenKind) {
	s.removeSimpleKey()
	s.flowLevel--
	s.allowSimpleKey = false
	s.simple(kind)
}

func (s *scanner) fetchFlowEntry() {
	s.allowSimpleKey = true
	s.removeSimpleKey()
	s.simple(tFlowEntry)
}

func (s *scanner) fetchBlockEntry() {
	if s.flowLevel == 0 {
		if !s.allowSimpleKey {
			s.fail("", nil, "sequence entries are not allowed here", s.mark())
		}
		if s.addIndent(s.column) {
			m := s.mark()
			s.tokens = append(s.tokens, token{kind: tBlockSequenceStart, start: m, end: m})
		}
	}
	s.allowSimpleKey = true
	s.removeSimpleKey()
	s.simple(tBlockEntry)
}

func (s *scanner) fetchKey() {
	if s.flowLevel == 0 {
		if !s.allowSimpleKey {
			s.fail("", nil, "mapping keys are not allowed here", s.mark())
		}
		if s.addIndent(s.column) {
			m := s.mark()
			s.tokens = append(s.tokens, token{kind: tBlockMappingStart, start: m, end: m})
		}
	}
	s.allowSimpleKey = s.flowLevel == 0
	s.removeSimpleKey()
	s.simple(tKey)
}

func (s *scanner) insertToken(at int, t token) {
	s.tokens = append(s.tokens, token{})
	copy(s.tokens[at+1:], s.tokens[at:])
	s.tokens[at] = t
}

func (s *scanner) fetchValue() {
	if k, ok := s.possibleSimpleKeys[s.flowLevel]; ok {
		delete(s.possibleSimpleKeys, s.flowLevel)
		s.insertToken(k.tokenNumber-s.tokensTaken, token{kind: tKey, start: k.mark, end: k.mark})
		if s.flowLevel == 0 && s.addIndent(k.column) {
			s.insertToken(k.tokenNumber-s.tokensTaken, token{kind: tBlockMappingStart, start: k.mark, end: k.mark})
		}
		s.allowSimpleKey = false
	} else {
		if s.flowLevel == 0 {
			if !s.allowSimpleKey {
				s.fail("", nil, "mapping values are not allowed here", s.mark())
			}
			if s.addIndent(s.column) {
				m := s.mark()
				s.tokens = append(s.tokens, token{kind: tBlockMappingStart, start: m, end: m})
			}
		}
		s.allowSimpleKey = s.flowLevel == 0
		s.removeSimpleKey()
	}
	s.simple(tValue)
}

func (s *scanner) checkPlain() bool {
	ch := s.peek(0)
	return !isIn(ch, "\x00 \t"+zBreak+"-?:,[]{}#&*!|>'\"%@`") ||
		!isIn(s.peek(1), zBlank) && (ch == '-' || s.flowLevel == 0 && (ch == '?' || ch == ':'))
}

func (s *scanner) scanToNextToken() {
	if s.ptr == 0 && s.peek(0) == 0xfeff {
		s.forward(1)
	}
	for {
		for s.peek(0) == ' ' {
			s.forward(1)
		}
		if s.peek(0) == '#' {
			s.skipComment()
		}
		if s.scanLineBreak() != "" {
			if s.flowLevel == 0 {
				s.allowSimpleKey = true
			}
		} else {
			return
		}
	}
}

func isWordChar(ch rune) bool {
	return ch >= '0' && ch <= '9' || ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch == '-' || ch == '_'
}

func (s *scanner) scanDirective() token {
	start := s.mark()
	s.forward(1)
	t := token{kind: tDirective, start: start}
	n := 0
	for isWordChar(s.peek(n)) {
		n++
	}
	if n == 0 {
		s.fail("while scanning a directive", &start, "expected alphabetic or numeric character, but found "+reprChar(string(s.peek(0))), s.mark())
	}
	t.name = s.prefix(n)
	s.forward(n)
	if !isIn(s.peek(0), zSpaceEnd) {
		s.fail("while scanning a directive", &start, "expected alphabetic or numeric character, but found "+reprChar(string(s.peek(0))), s.mark())
	}
	switch t.name {
	case "YAML":
		for s.peek(0) == ' ' {
			s.forward(1)
		}
		t.major = s.scanDirectiveNumber(start)
		if s.peek(0) != '.' {
			s.fail("while scanning a directive", &start, "expected a digit or '.', but found "+reprChar(string(s.peek(0))), s.mark())
		}
		s.forward(1)
		s.scanDirectiveNumber(start)
		if !isIn(s.peek(0), zSpaceEnd) {
			s.fail("while scanning a directive", &start, "expected a digit or ' ', but found "+reprChar(string(s.peek(0))), s.mark())
		}
	case "TAG":
		for s.peek(0) == ' ' {
			s.forward(1)
		}
		t.handle = s.scanTagHandle("directive", start)
		if s.peek(0) != ' ' {
			s.fail("while scanning a directive", &start, "expected ' ', but found "+reprChar(string(s.peek(0))), s.mark())
		}
		for s.peek(0) == ' ' {
			s.forward(1)
		}
		s.scanTagURI("directive", start)
		if !isIn(s.peek(0), zSpaceEnd) {
			s.fail("while scanning a directive", &start, "expected ' ', but found "+reprChar(string(s.peek(0))), s.mark())
		}
	default:
		for !isIn(s.peek(0), zBreakOrEnd) {
			s.forward(1)
		}
	}
	t.end = s.mark()
	for s.peek(0) == ' ' {
		s.forward(1)
	}
	if s.peek(0) == '#' {
		s.skipComment()
	}
	if !isIn(s.peek(0), zBreakOrEnd) {
		s.fail("while scanning a directive", &start, "expected a comment or a line break, but found "+reprChar(string(s.peek(0))), s.mark())
	}
	s.scanLineBreak()
	return t
}

func (s *scanner) scanDirectiveNumber(start Mark) int {
	if ch := s.peek(0); ch < '0' || ch > '9' {
		s.fail("while scanning a directive", &start, "expected a digit, but found "+reprChar(string(ch)), s.mark())
	}
	n := 0
	for ch := s.peek(n); ch >= '0' && ch <= '9'; ch = s.peek(n) {
		n++
	}
	v, err := strconv.Atoi(s.prefix(n))
	if err != nil {
		v = 2 // more digits than an int holds: not version 1 either way
	}
	s.forward(n)
	return v
}

func (s *scanner) scanAnchor(kind tokenKind) token {
	start := s.mark()
	name := "anchor"
	if s.peek(0) == '*' {
		name = "alias"
	}
	s.forward(1)
	n := 0
	for isWordChar(s.peek(n)) {
		n++
	}
	if n == 0 {
		s.fail("while scanning an "+name, &start, "expected alphabetic or numeric character, but found "+reprChar(string(s.peek(0))), s.mark())
	}
	value := s.prefix(n)
	s.forward(n)
	if !isIn(s.peek(0), "\x00 \t"+zBreak+"?:,]}%@`") {
		s.fail("while scanning an "+name, &start, "expected alphabetic or numeric character, but found "+reprChar(string(s.peek(0))), s.mark())
	}
	return token{kind: kind, start: start, end: s.mark(), anchorOrAlias: value}
}

func (s *scanner) scanTag() token {
	start := s.mark()
	t := token{kind: tTag, start: start}
	ch := s.peek(1)
	switch {
	case ch == '<':
		s.forward(2)
		s.scanTagURI("tag", start)
		if s.peek(0) != '>' {
			s.fail("while parsing a tag", &start, "expected '>', but found "+reprChar(string(s.peek(0))), s.mark())
		}
		s.forward(1)
	case isIn(ch, zBlank):
		s.forward(1)
	default:
		n := 1
		useHandle := false
		for !isIn(ch, zSpaceEnd) {
			if ch == '!' {
				useHandle = true
				break
			}
			n++
			ch = s.peek(n)
		}
		t.hasHandle = true
		if useHandle {
			t.handle = s.scanTagHandle("tag", start)
		} else {
			t.handle = "!"
			s.forward(1)
		}
		s.scanTagURI("tag", start)
	}
	if !isIn(s.peek(0), zSpaceEnd) {
		s.fail("while scanning a tag", &start, "expected ' ', but found "+reprChar(string(s.peek(0))), s.mark())
	}
	t.end = s.mark()
	return t
}

func (s *scanner) scanBlockScalar(folded bool) token {
	start := s.mark()
	s.forward(1)
	// indicators
	increment := 0 // none; the chomping indicator changes no position
	ch := s.peek(0)
	if ch == '+' || ch == '-' {
		s.forward(1)
		if ch = s.peek(0); ch >= '0' && ch <= '9' {
			if ch == '0' {
				s.fail("while scanning a block scalar", &start, "expected indentation indicator in the range 1-9, but found 0", s.mark())
			}
			increment = int(ch - '0')
			s.forward(1)
		}
	} else if ch >= '0' && ch <= '9' {
		if ch == '0' {
			s.fail("while scanning a block scalar", &start, "expected indentation indicator in the range 1-9, but found 0", s.mark())
		}
		increment = int(ch - '0')
		s.forward(1)
		if ch = s.peek(0); ch == '+' || ch == '-' {
			s.forward(1)
		}
	}
	if !isIn(s.peek(0), zSpaceEnd) {
		s.fail("while scanning a block scalar", &start, "expected chomping or indentation indicators, but found "+reprChar(string(s.peek(0))), s.mark())
	}
	// ignored line
	for s.peek(0) == ' ' {
		s.forward(1)
	}
	if s.peek(0) == '#' {
		s.skipComment()
	}
	if !isIn(s.peek(0), zBreakOrEnd) {
		s.fail("while scanning a block scalar", &start, "expected a comment or a line break, but found "+reprChar(string(s.peek(0))), s.mark())
	}
	s.scanLineBreak()
	minIndent := s.indent + 1
	if minIndent < 1 {
		minIndent = 1
	}
	var indent int
	var end Mark
	if increment == 0 {
		maxIndent := 0
		end = s.mark()
		for isIn(s.peek(0), " "+zBreak) && s.peek(0) != 0 {
			if s.peek(0) != ' ' {
				s.scanLineBreak()
				end = s.mark()
			} else {
				s.forward(1)
				if s.column > maxIndent {
					maxIndent = s.column
				}
			}
		}
		indent = max(minIndent, maxIndent)
	} else {
		indent = minIndent + increment - 1
		end = s.blockScalarBreaks(indent)
	}
	for s.column == indent && !s.atEnd() {
		for !isIn(s.peek(0), zBreakOrEnd) {
			s.forward(1)
		}
		s.scanLineBreak()
		end = s.blockScalarBreaks(indent)
		if !(s.column == indent && !s.atEnd()) {
			break
		}
	}
	return token{kind: tScalar, start: start, end: end}
}

// atEnd is peek() == '\0' in PyYAML: the end of the buffer.
func (s *scanner) atEnd() bool { return s.ptr >= len(s.buf)-1 }

func (s *scanner) blockScalarBreaks(indent int) Mark {
	end := s.mark()
	for s.column < indent && s.peek(0) == ' ' {
		s.forward(1)
	}
	for isIn(s.peek(0), zBreak) && s.peek(0) != 0 {
		s.scanLineBreak()
		end = s.mark()
		for s.column < indent && s.peek(0) == ' ' {
			s.forward(1)
		}
	}
	return end
}

var escapeReplacements = "0abt\tnvfre \"\\/N_LP"

func (s *scanner) scanFlowScalar(double bool) token {
	start := s.mark()
	quote := s.peek(0)
	s.forward(1)
	s.flowNonSpaces(double, start)
	for s.peek(0) != quote {
		s.flowSpaces(start)
		s.flowNonSpaces(double, start)
	}
	s.forward(1)
	return token{kind: tScalar, start: start, end: s.mark()}
}

func (s *scanner) flowNonSpaces(double bool, start Mark) {
	for {
		for !isIn(s.peek(0), "'\"\\\x00 \t"+zBreak) {
			s.forward(1)
		}
		ch := s.peek(0)
		switch {
		case !double && ch == '\'' && s.peek(1) == '\'':
			s.forward(2)
		case double && ch == '\'' || !double && (ch == '"' || ch == '\\'):
			s.forward(1)
		case double && ch == '\\':
			s.forward(1)
			ch = s.peek(0)
			switch {
			case ch != 0 && in(ch, escapeReplacements):
				s.forward(1)
			case ch == 'x' || ch == 'u' || ch == 'U':
				n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[ch]
				s.forward(1)
				for k := 0; k < n; k++ {
					if c := s.peek(k); c == 0 || !in(c, "0123456789ABCDEFabcdef") {
						s.fail("while scanning a double-quoted scalar", &start,
							fmt.Sprintf("expected escape sequence of %d hexadecimal numbers, but found %s", n, reprChar(string(c))), s.mark())
					}
				}
				if code, _ := strconv.ParseUint(s.prefix(n), 16, 64); code > 0x10ffff {
					// chr() raises a ValueError here, not a YAMLError: not a syntax error we can place
					panic(&SyntaxError{Kind: "scanner", Problem: "chr() arg not in range(0x110000)", Mark: s.mark()})
				}
				s.forward(n)
			case isIn(ch, zBreak) && ch != 0:
				s.scanLineBreak()
				s.flowBreaks(start)
			default:
				s.fail("while scanning a double-quoted scalar", &start, "found unknown escape character "+reprChar(string(ch)), s.mark())
			}
		default:
			return
		}
	}
}

func (s *scanner) flowSpaces(start Mark) {
	for s.peek(0) == ' ' || s.peek(0) == '\t' {
		s.forward(1)
	}
	ch := s.peek(0)
	if ch == 0 && s.atEnd() {
		s.fail("while scanning a quoted scalar", &start, "found unexpected end of stream", s.mark())
	}
	if isIn(ch, zBreak) {
		s.scanLineBreak()
		s.flowBreaks(start)
	}
}

func (s *scanner) flowBreaks(start Mark) {
	for {
		if p := s.prefix(3); (p == "---" || p == "...") && isIn(s.peek(3), zBlank) {
			s.fail("while scanning a quoted scalar", &start, "found unexpected document separator", s.mark())
		}
		for s.peek(0) == ' ' || s.peek(0) == '\t' {
			s.forward(1)
		}
		if isIn(s.peek(0), zBreak) && s.peek(0) != 0 {
			s.scanLineBreak()
		} else {
			return
		}
	}
}

func (s *scanner) scanPlain() token {
	start := s.mark()
	end := start
	indent := s.indent + 1
	for {
		n := 0
		if s.peek(0) == '#' {
			break
		}
		for {
			ch := s.peek(n)
			if isIn(ch, zBlank) ||
				ch == ':' && (isIn(s.peek(n+1), zBlank) || s.flowLevel > 0 && in(s.peek(n+1), ",[]{}")) ||
				s.flowLevel > 0 && in(ch, ",?[]{}") {
				break
			}
			n++
		}
		if n == 0 {
			break
		}
		s.allowSimpleKey = false
		s.forward(n)
		end = s.mark()
		if !s.plainSpaces() || s.peek(0) == '#' || s.flowLevel == 0 && s.column < indent {
			break
		}
	}
	return token{kind: tScalar, start: start, end: end, plain: true}
}

// plainSpaces is scan_plain_spaces; it reports whether it returned a non-empty chunk
// list (the caller goes on only then).
func (s *scanner) plainSpaces() bool {
	n := 0
	for s.peek(n) == ' ' {
		n++
	}
	s.forward(n)
	ch := s.peek(0)
	if isIn(ch, zBreak) && ch != 0 {
		s.scanLineBreak()
		s.allowSimpleKey = true
		if p := s.prefix(3); (p == "---" || p == "...") && isIn(s.peek(3), zBlank) {
			return false
		}
		for (s.peek(0) == ' ' || isIn(s.peek(0), zBreak)) && s.peek(0) != 0 {
			if s.peek(0) == ' ' {
				s.forward(1)
			} else {
				s.scanLineBreak()
				if p := s.prefix(3); (p == "---" || p == "...") && isIn(s.peek(3), zBlank) {
					return false
				}
			}
		}
		return true // a line break always yields a chunk
	}
	return n > 0
}

func (s *scanner) scanTagHandle(name string, start Mark) string {
	if ch := s.peek(0); ch != '!' {
		s.fail("while scanning a "+name, &start, "expected '!', but found "+reprChar(string(ch)), s.mark())
	}
	n := 1
	if ch := s.peek(n); ch != ' ' {
		for isWordChar(ch) {
			n++
			ch = s.peek(n)
		}
		if ch != '!' {
			s.forward(n)
			s.fail("while scanning a "+name, &start, "expected '!', but found "+reprChar(string(ch)), s.mark())
		}
		n++
	}
	v := s.prefix(n)
	s.forward(n)
	return v
}

func (s *scanner) scanTagURI(name string, start Mark) {
	n := 0
	any := false
	ch := s.peek(n)
	for isWordChar(ch) || ch != 0 && in(ch, ";/?:@&=+$,.!~*'()[]%") {
		if ch == '%' {
			if n > 0 {
				any = true
			}
			s.forward(n)
			n = 0
			s.scanURIEscapes(name, start)
			any = true
		} else {
			n++
		}
		ch = s.peek(n)
	}
	if n > 0 {
		s.forward(n)
		any = true
	}
	if !any {
		s.fail("while parsing a "+name, &start, "expected URI, but found "+reprChar(string(ch)), s.mark())
	}
}

func (s *scanner) scanURIEscapes(name string, start Mark) {
	var codes []byte
	m := s.mark()
	for s.peek(0) == '%' {
		s.forward(1)
		for k := 0; k < 2; k++ {
			if c := s.peek(k); c == 0 || !in(c, "0123456789ABCDEFabcdef") {
				s.fail("while scanning a "+name, &start,
					"expected URI escape sequence of 2 hexadecimal numbers, but found "+reprChar(string(c)), s.mark())
			}
		}
		b, _ := strconv.ParseUint(s.prefix(2), 16, 8)
		codes = append(codes, byte(b))
		s.forward(2)
	}
	if !utf8.Valid(codes) {
		s.fail("while scanning a "+name, &start, "'utf-8' codec can't decode the URI escapes", m)
	}
}

func (s *scanner) scanLineBreak() string {
	ch := s.peek(0)
	switch {
	case ch == '\r' || ch == '\n' || ch == 0x85:
		if s.prefix(2) == "\r\n" {
			s.forward(2)
		} else {
			s.forward(1)
		}
		return "\n"
	case ch == 0x2028 || ch == 0x2029:
		s.forward(1)
		return string(ch)
	}
	return ""
}

// reprChar is Python's repr of a short string, as PyYAML's messages quote characters.
func reprChar(v string) string {
	if v == "\x00" {
		return `'\x00'`
	}
	q := "'"
	if strings.Contains(v, "'") && !strings.Contains(v, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range v {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r < 0x20 || r >= 0x7f && r <= 0xa0 || r == 0xad:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0x2028 || r == 0x2029 || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// ---- parser (parser.py) ----

type eventKind int

const (
	eStreamStart eventKind = iota
	eStreamEnd
	eDocumentStart
	eDocumentEnd
	eAlias
	eScalar
	eSequenceStart
	eSequenceEnd
	eMappingStart
	eMappingEnd
)

type ysParser struct {
	s          *scanner
	state      func() eventKind
	states     []func() eventKind
	marks      []Mark
	current    *eventKind
	tagHandles map[string]bool
	anchors    map[string]bool // defined so far in this document (the composer's check)
}

func (p *ysParser) fail(context string, cm *Mark, problem string, m Mark) {
	panic(&SyntaxError{Kind: "parser", Context: context, ContextMark: cm, Problem: problem, Mark: m})
}

func (p *ysParser) peekEvent() eventKind {
	if p.current == nil {
		e := p.state()
		p.current = &e
	}
	return *p.current
}

func (p *ysParser) getEvent() eventKind {
	e := p.peekEvent()
	p.current = nil
	return e
}

func (p *ysParser) pop() func() eventKind {
	f := p.states[len(p.states)-1]
	p.states = p.states[:len(p.states)-1]
	return f
}

func (p *ysParser) popMark() { p.marks = p.marks[:len(p.marks)-1] }

func (p *ysParser) lastMark() *Mark { m := p.marks[len(p.marks)-1]; return &m }

// run is what safe_load asks of the parser (Composer.get_single_node): the stream start,
// one document's events, and whether another document follows. It stops there, as
// safe_load does (a second document is a composer error, not a syntax error).
func (p *ysParser) run() {
	p.getEvent()
	if p.peekEvent() == eStreamEnd {
		return
	}
	for p.getEvent() != eDocumentEnd {
	}
	p.peekEvent()
}

func (p *ysParser) parseStreamStart() eventKind {
	p.s.getToken()
	p.state = p.parseImplicitDocumentStart
	return eStreamStart
}

func (p *ysParser) parseImplicitDocumentStart() eventKind {
	if !p.s.checkToken(tDirective, tDocumentStart, tStreamEnd) {
		p.tagHandles = map[string]bool{"!": true, "!!": true}
		p.s.peekToken()
		p.states = append(p.states, p.parseDocumentEnd)
		p.state = p.parseBlockNode
		return eDocumentStart
	}
	return p.parseDocumentStart()
}

func (p *ysParser) parseDocumentStart() eventKind {
	for p.s.checkToken(tDocumentEnd) {
		p.s.getToken()
	}
	if !p.s.checkToken(tStreamEnd) {
		p.s.peekToken()
		p.processDirectives()
		if !p.s.checkToken(tDocumentStart) {
			t := p.s.peekToken()
			p.fail("", nil, fmt.Sprintf("expected '<document start>', but found %s", reprChar(tokenIDs[t.kind])), t.start)
		}
		p.s.getToken()
		p.states = append(p.states, p.parseDocumentEnd)
		p.state = p.parseDocumentContent
		return eDocumentStart
	}
	p.s.getToken()
	p.state = nil
	return eStreamEnd
}

func (p *ysParser) defineAnchor(name string) {
	if p.anchors == nil {
		p.anchors = map[string]bool{}
	}
	p.anchors[name] = true
}

func (p *ysParser) parseDocumentEnd() eventKind {
	p.anchors = nil // compose_document forgets the anchors after each document
	p.s.peekToken()
	if p.s.checkToken(tDocumentEnd) {
		p.s.getToken()
	}
	p.state = p.parseDocumentStart
	return eDocumentEnd
}

func (p *ysParser) parseDocumentContent() eventKind {
	if p.s.checkToken(tDirective, tDocumentStart, tDocumentEnd, tStreamEnd) {
		p.s.peekToken()
		p.state = p.pop()
		return eScalar
	}
	return p.parseBlockNode()
}

func (p *ysParser) processDirectives() {
	seenYAML := false
	p.tagHandles = map[string]bool{}
	for p.s.checkToken(tDirective) {
		t := p.s.getToken()
		switch t.name {
		case "YAML":
			if seenYAML {
				p.fail("", nil, "found duplicate YAML directive", t.start)
			}
			if t.major != 1 {
				p.fail("", nil, "found incompatible YAML document (version 1.* is required)", t.start)
			}
			seenYAML = true
		case "TAG":
			if p.tagHandles[t.handle] {
				p.fail("", nil, "duplicate tag handle "+reprChar(t.handle), t.start)
			}
			p.tagHandles[t.handle] = true
		}
	}
	p.tagHandles["!"], p.tagHandles["!!"] = true, true
}

func (p *ysParser) parseBlockNode() eventKind { return p.parseNode(true, false) }
func (p *ysParser) parseFlowNode() eventKind  { return p.parseNode(false, false) }
func (p *ysParser) parseBlockNodeOrIndentlessSequence() eventKind {
	return p.parseNode(true, true)
}

func (p *ysParser) parseNode(block, indentlessSequence bool) eventKind {
	if p.s.checkToken(tAlias) {
		t := p.s.getToken()
		if !p.anchors[t.anchorOrAlias] { // Composer.compose_node, as soon as it gets the event
			panic(&SyntaxError{Kind: "composer", Problem: "found undefined alias " + reprChar(t.anchorOrAlias), Mark: t.start})
		}
		p.state = p.pop()
		return eAlias
	}
	var start *Mark
	var tag *token
	hasAnchor := false
	if p.s.checkToken(tAnchor) {
		t := p.s.getToken()
		start, hasAnchor = &t.start, true
		p.defineAnchor(t.anchorOrAlias)
		if p.s.checkToken(tTag) {
			tt := p.s.getToken()
			tag = &tt
		}
	} else if p.s.checkToken(tTag) {
		tt := p.s.getToken()
		start, tag = &tt.start, &tt
		if p.s.checkToken(tAnchor) {
			t := p.s.getToken()
			hasAnchor = true
			p.defineAnchor(t.anchorOrAlias)
		}
	}
	if tag != nil && tag.hasHandle && !p.tagHandles[tag.handle] {
		p.fail("while parsing a node", start, "found undefined tag handle "+reprChar(tag.handle), tag.start)
	}
	if start == nil {
		m := p.s.peekToken().start
		start = &m
	}
	if indentlessSequence && p.s.checkToken(tBlockEntry) {
		p.state = p.parseIndentlessSequenceEntry
		return eSequenceStart
	}
	switch {
	case p.s.checkToken(tScalar):
		p.s.getToken()
		p.state = p.pop()
		return eScalar
	case p.s.checkToken(tFlowSequenceStart):
		p.state = p.parseFlowSequenceFirstEntry
		return eSequenceStart
	case p.s.checkToken(tFlowMappingStart):
		p.state = p.parseFlowMappingFirstKey
		return eMappingStart
	case block && p.s.checkToken(tBlockSequenceStart):
		p.state = p.parseBlockSequenceFirstEntry
		return eSequenceStart
	case block && p.s.checkToken(tBlockMappingStart):
		p.state = p.parseBlockMappingFirstKey
		return eMappingStart
	case hasAnchor || tag != nil:
		p.state = p.pop()
		return eScalar
	}
	node := "flow"
	if block {
		node = "block"
	}
	t := p.s.peekToken()
	p.fail("while parsing a "+node+" node", start, "expected the node content, but found "+reprChar(tokenIDs[t.kind]), t.start)
	return 0
}

func (p *ysParser) parseBlockSequenceFirstEntry() eventKind {
	t := p.s.getToken()
	p.marks = append(p.marks, t.start)
	return p.parseBlockSequenceEntry()
}

func (p *ysParser) parseBlockSequenceEntry() eventKind {
	if p.s.checkToken(tBlockEntry) {
		p.s.getToken()
		if !p.s.checkToken(tBlockEntry, tBlockEnd) {
			p.states = append(p.states, p.parseBlockSequenceEntry)
			return p.parseBlockNode()
		}
		p.state = p.parseBlockSequenceEntry
		return eScalar
	}
	if !p.s.checkToken(tBlockEnd) {
		t := p.s.peekToken()
		p.fail("while parsing a block collection", p.lastMark(), "expected <block end>, but found "+reprChar(tokenIDs[t.kind]), t.start)
	}
	p.s.getToken()
	p.state = p.pop()
	p.popMark()
	return eSequenceEnd
}

func (p *ysParser) parseIndentlessSequenceEntry() eventKind {
	if p.s.checkToken(tBlockEntry) {
		p.s.getToken()
		if !p.s.checkToken(tBlockEntry, tKey, tValue, tBlockEnd) {
			p.states = append(p.states, p.parseIndentlessSequenceEntry)
			return p.parseBlockNode()
		}
		p.state = p.parseIndentlessSequenceEntry
		return eScalar
	}
	p.s.peekToken()
	p.state = p.pop()
	return eSequenceEnd
}

func (p *ysParser) parseBlockMappingFirstKey() eventKind {
	t := p.s.getToken()
	p.marks = append(p.marks, t.start)
	return p.parseBlockMappingKey()
}

func (p *ysParser) parseBlockMappingKey() eventKind {
	if p.s.checkToken(tKey) {
		p.s.getToken()
		if !p.s.checkToken(tKey, tValue, tBlockEnd) {
			p.states = append(p.states, p.parseBlockMappingValue)
			return p.parseBlockNodeOrIndentlessSequence()
		}
		p.state = p.parseBlockMappingValue
		return eScalar
	}
	if !p.s.checkToken(tBlockEnd) {
		t := p.s.peekToken()
		p.fail("while parsing a block mapping", p.lastMark(), "expected <block end>, but found "+reprChar(tokenIDs[t.kind]), t.start)
	}
	p.s.getToken()
	p.state = p.pop()
	p.popMark()
	return eMappingEnd
}

func (p *ysParser) parseBlockMappingValue() eventKind {
	if p.s.checkToken(tValue) {
		p.s.getToken()
		if !p.s.checkToken(tKey, tValue, tBlockEnd) {
			p.states = append(p.states, p.parseBlockMappingKey)
			return p.parseBlockNodeOrIndentlessSequence()
		}
		p.state = p.parseBlockMappingKey
		return eScalar
	}
	p.state = p.parseBlockMappingKey
	p.s.peekToken()
	return eScalar
}

func (p *ysParser) parseFlowSequenceFirstEntry() eventKind {
	t := p.s.getToken()
	p.marks = append(p.marks, t.start)
	return p.parseFlowSequenceEntry(true)
}

func (p *ysParser) parseFlowSequenceEntryNext() eventKind { return p.parseFlowSequenceEntry(false) }

func (p *ysParser) parseFlowSequenceEntry(first bool) eventKind {
	if !p.s.checkToken(tFlowSequenceEnd) {
		if !first {
			if p.s.checkToken(tFlowEntry) {
				p.s.getToken()
			} else {
				t := p.s.peekToken()
				p.fail("while parsing a flow sequence", p.lastMark(), "expected ',' or ']', but got "+reprChar(tokenIDs[t.kind]), t.start)
			}
		}
		if p.s.checkToken(tKey) {
			p.s.peekToken()
			p.state = p.parseFlowSequenceEntryMappingKey
			return eMappingStart
		} else if !p.s.checkToken(tFlowSequenceEnd) {
			p.states = append(p.states, p.parseFlowSequenceEntryNext)
			return p.parseFlowNode()
		}
	}
	p.s.getToken()
	p.state = p.pop()
	p.popMark()
	return eSequenceEnd
}

func (p *ysParser) parseFlowSequenceEntryMappingKey() eventKind {
	p.s.getToken()
	if !p.s.checkToken(tValue, tFlowEntry, tFlowSequenceEnd) {
		p.states = append(p.states, p.parseFlowSequenceEntryMappingValue)
		return p.parseFlowNode()
	}
	p.state = p.parseFlowSequenceEntryMappingValue
	return eScalar
}

func (p *ysParser) parseFlowSequenceEntryMappingValue() eventKind {
	if p.s.checkToken(tValue) {
		p.s.getToken()
		if !p.s.checkToken(tFlowEntry, tFlowSequenceEnd) {
			p.states = append(p.states, p.parseFlowSequenceEntryMappingEnd)
			return p.parseFlowNode()
		}
		p.state = p.parseFlowSequenceEntryMappingEnd
		return eScalar
	}
	p.state = p.parseFlowSequenceEntryMappingEnd
	p.s.peekToken()
	return eScalar
}

func (p *ysParser) parseFlowSequenceEntryMappingEnd() eventKind {
	p.state = p.parseFlowSequenceEntryNext
	p.s.peekToken()
	return eMappingEnd
}

func (p *ysParser) parseFlowMappingFirstKey() eventKind {
	t := p.s.getToken()
	p.marks = append(p.marks, t.start)
	return p.parseFlowMappingKey(true)
}

func (p *ysParser) parseFlowMappingKeyNext() eventKind { return p.parseFlowMappingKey(false) }

func (p *ysParser) parseFlowMappingKey(first bool) eventKind {
	if !p.s.checkToken(tFlowMappingEnd) {
		if !first {
			if p.s.checkToken(tFlowEntry) {
				p.s.getToken()
			} else {
				t := p.s.peekToken()
				p.fail("while parsing a flow mapping", p.lastMark(), "expected ',' or '}', but got "+reprChar(tokenIDs[t.kind]), t.start)
			}
		}
		if p.s.checkToken(tKey) {
			p.s.getToken()
			if !p.s.checkToken(tValue, tFlowEntry, tFlowMappingEnd) {
				p.states = append(p.states, p.parseFlowMappingValue)
				return p.parseFlowNode()
			}
			p.state = p.parseFlowMappingValue
			return eScalar
		} else if !p.s.checkToken(tFlowMappingEnd) {
			p.states = append(p.states, p.parseFlowMappingEmptyValue)
			return p.parseFlowNode()
		}
	}
	p.s.getToken()
	p.state = p.pop()
	p.popMark()
	return eMappingEnd
}

func (p *ysParser) parseFlowMappingValue() eventKind {
	if p.s.checkToken(tValue) {
		p.s.getToken()
		if !p.s.checkToken(tFlowEntry, tFlowMappingEnd) {
			p.states = append(p.states, p.parseFlowMappingKeyNext)
			return p.parseFlowNode()
		}
		p.state = p.parseFlowMappingKeyNext
		return eScalar
	}
	p.state = p.parseFlowMappingKeyNext
	p.s.peekToken()
	return eScalar
}

func (p *ysParser) parseFlowMappingEmptyValue() eventKind {
	p.state = p.parseFlowMappingKeyNext
	p.s.peekToken()
	return eScalar
}
