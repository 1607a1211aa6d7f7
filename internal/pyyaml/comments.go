package pyyaml

// Comment is one YAML comment, found where PyYAML's scanner skips it: a '#' inside a
// quoted or block scalar, or not preceded by a blank, is not one.
type Comment struct {
	Mark    Mark   // where its '#' is (0-based line and column in code points)
	Text    string // from the '#' to the end of its line, without the line break
	OwnLine bool   // nothing but blanks before it on its line
	// Next is the 0-based line where the first token after the comment starts (for an
	// own-line comment: the line it stands above, past blank and comment lines), or -1
	// when no token follows it.
	Next int
}

// commentLog collects comments while the scanner runs.
type commentLog struct {
	list    []Comment
	pending int // list[pending:] wait for the line of the next token
}

func (l *commentLog) tokenAt(line int) {
	for ; l.pending < len(l.list); l.pending++ {
		l.list[l.pending].Next = line
	}
}

// skipComment skips a comment from its '#' to the end of the line (scan_to_next_token,
// and the ignored lines after a directive and a block scalar's header), recording it when
// the scanner collects comments.
func (s *scanner) skipComment() {
	start := s.mark()
	for !isIn(s.peek(0), zBreakOrEnd) {
		s.forward(1)
	}
	if s.comments == nil {
		return
	}
	own := true
	for i := start.Index - 1; i >= 0; i-- {
		ch := s.buf[i]
		if ch == ' ' || ch == '\t' || ch == 0xfeff {
			continue
		}
		own = isIn(ch, zBreak)
		break
	}
	s.comments.list = append(s.comments.list, Comment{Mark: start, Text: string(s.buf[start.Index:s.ptr]), OwnLine: own, Next: -1})
}

// Comments returns the comments of src in order, as PyYAML's scanner finds them in the
// whole stream (every document). Where the scanner raises an error it stops: the comments
// before the error are returned. UTF-16 input (a BOM) and input PyYAML's reader refuses
// have none.
func Comments(src []byte) (out []Comment) {
	if len(src) >= 2 && (src[0] == 0xff && src[1] == 0xfe || src[0] == 0xfe && src[1] == 0xff) {
		return nil
	}
	buf, err := decodeReader(src)
	if err != nil {
		return nil
	}
	s := newScanner(buf)
	s.comments = &commentLog{}
	defer func() {
		if recover() != nil { // a scanner error (or the nesting limit): keep what was found
			out = s.comments.list
		}
	}()
	for s.getToken().kind != tStreamEnd {
	}
	return s.comments.list
}
