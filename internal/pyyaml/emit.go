package pyyaml

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Emit appends to dst the bytes go.yaml.in/yaml/v3 writes for doc with an Encoder set up
// as SetIndent(indent) (and CompactSeqIndent() when compactSeq), after Encode(doc) and
// Close(): byte for byte the same, comments, quoting and indentation included. ok is
// false when the tree leaves what Emit reproduces (anchors, aliases, explicit tags, folded
// scalars, invalid UTF-8, a scalar yaml.v3 may resolve as a timestamp or merge key, a node
// of no kind); the caller then encodes with yaml.v3, which is always right. dst's bytes are
// kept either way; on !ok the returned slice is dst. It never panics.
//
// It is yaml.v3's emitter (emitterc.go, whose state machine it follows function for
// function, with yaml.v3's own names) driven directly by the node tree: no event queue, no
// copies of every string as []byte, one output slice. That makes it several times faster
// and, since the same decisions are taken in the same order, exactly equal. The parts of
// yaml.v3's emitter that cannot be reached from an Encoder (canonical output, a line
// width, other encodings, directives, several documents) are left out. Differential tests
// and a fuzz target compare it with yaml.v3 (emit_test.go).
func Emit(dst []byte, doc *yaml.Node, indent int, compactSeq bool) (out []byte, ok bool) {
	if indent == 0 {
		indent = 4 // yaml.v3's encoder default
	}
	e := emitter{out: dst, bestIndent: indent, compactSeq: compactSeq}
	defer func() {
		if recover() != nil { // a bug here must cost speed, never correctness
			out, ok = dst, false
		}
	}()
	e.streamStart()
	if doc.Kind == yaml.DocumentNode {
		e.node(doc, "")
	} else {
		// marshalDoc wraps any other node in an implicit document without comments.
		e.emit(&event{kind: evDocStart})
		e.node(doc, "")
		e.emit(&event{kind: evDocEnd})
	}
	if e.fail {
		return dst, false
	}
	return e.out, true
}

type evKind uint8

const (
	evDocStart evKind = iota
	evDocEnd
	evSeqStart
	evSeqEnd
	evMapStart
	evMapEnd
	evScalar
)

type scalarStyle uint8

const (
	plainStyle scalarStyle = iota
	singleQuotedStyle
	doubleQuotedStyle
	literalStyle
	foldedStyle
)

// event is what yaml.v3's encoder hands its emitter for one node, reduced to what an
// implicitly tagged, anchorless tree can carry. empty stands for yaml.v3's look-ahead
// at the next event (a collection that ends right after it starts).
type event struct {
	kind                   evKind
	flow                   bool // collection start: flow style
	empty                  bool // collection start: no content
	style                  scalarStyle
	value                  string
	head, line, foot, tail string
}

type emitState uint8

const (
	stFirstDocumentStart emitState = iota
	stDocumentStart
	stDocumentContent
	stDocumentEnd
	stFlowSequenceFirstItem
	stFlowSequenceTrailItem
	stFlowSequenceItem
	stFlowMappingFirstKey
	stFlowMappingTrailKey
	stFlowMappingKey
	stFlowMappingSimpleValue
	stFlowMappingValue
	stBlockSequenceFirstItem
	stBlockSequenceItem
	stBlockMappingFirstKey
	stBlockMappingKey
	stBlockMappingSimpleValue
	stBlockMappingValue
	stEnd
)

type emitter struct {
	out        []byte
	bestIndent int
	compactSeq bool
	fail       bool

	state     emitState
	states    []emitState
	indent    int
	indents   []int
	flowLevel int

	rootContext, sequenceContext, mappingContext, simpleKeyContext bool

	column                int
	whitespace, indention bool
	footIndent            int

	headComment, lineComment, footComment, tailComment, keyLineComment string

	// scalar_data of the scalar being emitted
	value                                                          string
	multiline, flowPlain, blockPlain, singleQuotedAllowed, blockOK bool
	style                                                          scalarStyle

	stack [16]emitState // backing for states and indents: no allocation for shallow trees
	ind   [16]int
}

// ---- the encoder: node tree to events (encode.go's node) ----

const longTagPrefix = "tag:yaml.org,2002:"

func shortTag(tag string) string {
	if strings.HasPrefix(tag, longTagPrefix) {
		return "!!" + tag[len(longTagPrefix):]
	}
	return tag
}

func (e *emitter) node(n *yaml.Node, tail string) {
	if e.fail {
		return
	}
	if n.Kind == 0 || n.Anchor != "" || n.Kind == yaml.AliasNode {
		e.fail = true // nil values, anchors and aliases: yaml.v3's
		return
	}
	tag := n.Tag
	stag := shortTag(tag)
	forceQuoting := false
	if tag != "" && n.Style&yaml.TaggedStyle == 0 {
		if n.Kind == yaml.ScalarNode {
			if stag == tagStr && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				tag = ""
			} else {
				rtag, ok := resolveForEmit(n.Value)
				if !ok {
					e.fail = true
					return
				}
				if rtag == stag {
					tag = ""
				} else if stag == tagStr {
					tag = ""
					forceQuoting = true
				}
			}
		} else {
			var rtag string
			switch n.Kind {
			case yaml.MappingNode:
				rtag = tagMap
			case yaml.SequenceNode:
				rtag = tagSeq
			}
			if rtag == stag {
				tag = ""
			}
		}
	}
	if tag != "" && n.Kind != yaml.DocumentNode {
		e.fail = true // an explicit tag would be written
		return
	}
	if !utf8.ValidString(n.HeadComment) || !utf8.ValidString(n.LineComment) || !utf8.ValidString(n.FootComment) {
		e.fail = true
		return
	}

	switch n.Kind {
	case yaml.DocumentNode:
		e.emit(&event{kind: evDocStart, head: n.HeadComment})
		for _, c := range n.Content {
			e.node(c, "")
		}
		e.emit(&event{kind: evDocEnd, foot: n.FootComment})

	case yaml.SequenceNode:
		e.emit(&event{kind: evSeqStart, flow: n.Style&yaml.FlowStyle != 0, empty: len(n.Content) == 0, head: n.HeadComment})
		for _, c := range n.Content {
			e.node(c, "")
		}
		e.emit(&event{kind: evSeqEnd, line: n.LineComment, foot: n.FootComment})

	case yaml.MappingNode:
		e.emit(&event{kind: evMapStart, flow: n.Style&yaml.FlowStyle != 0, empty: len(n.Content) < 2, head: n.HeadComment, tail: tail})
		// A key's foot comment moves to the next key (or the mapping's end) as its tail,
		// since the key's value must be written first.
		var next string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			foot := k.FootComment
			if foot != "" {
				kopy := *k
				kopy.FootComment = ""
				k = &kopy
			}
			e.node(k, next)
			next = foot
			e.node(n.Content[i+1], "")
		}
		e.emit(&event{kind: evMapEnd, tail: next, line: n.LineComment, foot: n.FootComment})

	case yaml.ScalarNode:
		value := n.Value
		if !utf8.ValidString(value) {
			e.fail = true // yaml.v3 writes it as !!binary
			return
		}
		style := plainStyle
		switch {
		case n.Style&yaml.DoubleQuotedStyle != 0:
			style = doubleQuotedStyle
		case n.Style&yaml.SingleQuotedStyle != 0:
			style = singleQuotedStyle
		case n.Style&yaml.LiteralStyle != 0:
			style = literalStyle
		case n.Style&yaml.FoldedStyle != 0:
			style = foldedStyle
		case strings.Contains(value, "\n"):
			style = literalStyle
		case forceQuoting:
			style = doubleQuotedStyle
		}
		e.emit(&event{kind: evScalar, style: style, value: value, head: n.HeadComment, line: n.LineComment, foot: n.FootComment, tail: tail})

	default:
		e.fail = true
	}
}

// ---- the emitter (emitterc.go) ----

func (e *emitter) streamStart() {
	if e.bestIndent < 2 || e.bestIndent > 9 {
		e.bestIndent = 2
	}
	e.states = e.stack[:0]
	e.indents = e.ind[:0]
	e.indent = -1
	e.column = 0
	e.whitespace = true
	e.indention = true
	e.footIndent = -1
	e.state = stFirstDocumentStart
}

// emit is yaml_emitter_emit: analyze the event, then run the state machine on it.
func (e *emitter) emit(ev *event) {
	if e.fail {
		return
	}
	e.analyzeEvent(ev)
	e.stateMachine(ev)
}

func (e *emitter) put(b byte) {
	e.out = append(e.out, b)
	e.column++
}

func (e *emitter) putBreak() {
	e.out = append(e.out, '\n')
	e.column = 0
	e.indention = true
}

// write copies one character of s at *i.
func (e *emitter) write(s string, i *int) {
	w := width(s[*i])
	if w == 0 {
		panic("pyyaml: emit: not UTF-8") // yaml.v3 panics too; Emit recovers
	}
	e.out = append(e.out, s[*i:*i+w]...)
	e.column++
	*i += w
}

func (e *emitter) writeAll(s string) {
	for i := 0; i < len(s); {
		e.write(s, &i)
	}
}

func (e *emitter) writeBreak(s string, i *int) {
	if s[*i] == '\n' {
		e.putBreak()
		*i++
		return
	}
	e.write(s, i)
	e.column = 0
	e.indention = true
}

func (e *emitter) pushState(s emitState) { e.states = append(e.states, s) }

func (e *emitter) popState() {
	e.state = e.states[len(e.states)-1]
	e.states = e.states[:len(e.states)-1]
}

func (e *emitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *emitter) increaseIndentCompact(flow, indentless, compactSeq bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = e.bestIndent
		} else {
			e.indent = 0
		}
	} else if !indentless {
		if e.states[len(e.states)-1] == stBlockSequenceItem {
			e.indent += 2
		} else {
			e.indent = e.bestIndent * ((e.indent + e.bestIndent) / e.bestIndent)
			if compactSeq {
				e.indent -= 2
			}
		}
	}
}

func (e *emitter) increaseIndent(flow, indentless bool) {
	e.increaseIndentCompact(flow, indentless, false)
}

func (e *emitter) stateMachine(ev *event) {
	switch e.state {
	case stFirstDocumentStart:
		e.documentStart(ev, true)
	case stDocumentStart:
		e.documentStart(ev, false)
	case stDocumentContent:
		e.documentContent(ev)
	case stDocumentEnd:
		e.documentEnd(ev)
	case stFlowSequenceFirstItem:
		e.flowSequenceItem(ev, true, false)
	case stFlowSequenceTrailItem:
		e.flowSequenceItem(ev, false, true)
	case stFlowSequenceItem:
		e.flowSequenceItem(ev, false, false)
	case stFlowMappingFirstKey:
		e.flowMappingKey(ev, true, false)
	case stFlowMappingTrailKey:
		e.flowMappingKey(ev, false, true)
	case stFlowMappingKey:
		e.flowMappingKey(ev, false, false)
	case stFlowMappingSimpleValue:
		e.flowMappingValue(ev, true)
	case stFlowMappingValue:
		e.flowMappingValue(ev, false)
	case stBlockSequenceFirstItem:
		e.blockSequenceItem(ev, true)
	case stBlockSequenceItem:
		e.blockSequenceItem(ev, false)
	case stBlockMappingFirstKey:
		e.blockMappingKey(ev, true)
	case stBlockMappingKey:
		e.blockMappingKey(ev, false)
	case stBlockMappingSimpleValue:
		e.blockMappingValue(ev, true)
	case stBlockMappingValue:
		e.blockMappingValue(ev, false)
	default:
		e.fail = true
	}
}

// documentStart: an implicit first document, no directives (what Encoder.Encode starts).
func (e *emitter) documentStart(ev *event, first bool) {
	if ev.kind != evDocStart || !first {
		e.fail = true // a second document: not what one Encode writes
		return
	}
	if e.headComment != "" {
		e.processHeadComment()
		e.putBreak()
	}
	e.state = stDocumentContent
}

func (e *emitter) documentContent(ev *event) {
	e.pushState(stDocumentEnd)
	e.processHeadComment()
	e.emitNode(ev, true, false, false, false)
	e.processLineComment()
	e.processFootComment()
}

func (e *emitter) documentEnd(ev *event) {
	if ev.kind != evDocEnd {
		e.fail = true
		return
	}
	e.footIndent = 0
	e.processFootComment()
	e.footIndent = -1
	e.writeIndent()
	e.state = stDocumentStart
}

func (e *emitter) flowSequenceItem(ev *event, first, trail bool) {
	if first {
		e.writeIndicator("[", true, true, false)
		e.increaseIndent(true, false)
		e.flowLevel++
	}
	if ev.kind == evSeqEnd {
		e.flowLevel--
		e.popIndent()
		if e.column == 0 {
			e.writeIndent()
		}
		e.writeIndicator("]", false, false, false)
		e.processLineComment()
		e.processFootComment()
		e.popState()
		return
	}
	if !first && !trail {
		e.writeIndicator(",", false, false, false)
	}
	e.processHeadComment()
	if e.column == 0 {
		e.writeIndent()
	}
	if len(e.lineComment)+len(e.footComment)+len(e.tailComment) > 0 {
		e.pushState(stFlowSequenceTrailItem)
	} else {
		e.pushState(stFlowSequenceItem)
	}
	e.emitNode(ev, false, true, false, false)
	if len(e.lineComment)+len(e.footComment)+len(e.tailComment) > 0 {
		e.writeIndicator(",", false, false, false)
	}
	e.processLineComment()
	e.processFootComment()
}

func (e *emitter) flowMappingKey(ev *event, first, trail bool) {
	if first {
		e.writeIndicator("{", true, true, false)
		e.increaseIndent(true, false)
		e.flowLevel++
	}
	if ev.kind == evMapEnd {
		if len(e.headComment)+len(e.footComment)+len(e.tailComment) > 0 && !first && !trail {
			e.writeIndicator(",", false, false, false)
		}
		e.processHeadComment()
		e.flowLevel--
		e.popIndent()
		e.writeIndicator("}", false, false, false)
		e.processLineComment()
		e.processFootComment()
		e.popState()
		return
	}
	if !first && !trail {
		e.writeIndicator(",", false, false, false)
	}
	e.processHeadComment()
	if e.column == 0 {
		e.writeIndent()
	}
	if e.checkSimpleKey(ev) {
		e.pushState(stFlowMappingSimpleValue)
		e.emitNode(ev, false, false, true, true)
		return
	}
	e.writeIndicator("?", true, false, false)
	e.pushState(stFlowMappingValue)
	e.emitNode(ev, false, false, true, false)
}

func (e *emitter) flowMappingValue(ev *event, simple bool) {
	if simple {
		e.writeIndicator(":", false, false, false)
	} else {
		e.writeIndicator(":", true, false, false)
	}
	if len(e.lineComment)+len(e.footComment)+len(e.tailComment) > 0 {
		e.pushState(stFlowMappingTrailKey)
	} else {
		e.pushState(stFlowMappingKey)
	}
	e.emitNode(ev, false, false, true, false)
	if len(e.lineComment)+len(e.footComment)+len(e.tailComment) > 0 {
		e.writeIndicator(",", false, false, false)
	}
	e.processLineComment()
	e.processFootComment()
}

func (e *emitter) blockSequenceItem(ev *event, first bool) {
	if first {
		seq := e.mappingContext && (e.column == 0 || !e.indention) && e.compactSeq
		e.increaseIndentCompact(false, false, seq)
	}
	if ev.kind == evSeqEnd {
		e.popIndent()
		e.popState()
		return
	}
	e.processHeadComment()
	e.writeIndent()
	e.writeIndicator("-", true, false, true)
	e.pushState(stBlockSequenceItem)
	e.emitNode(ev, false, true, false, false)
	e.processLineComment()
	e.processFootComment()
}

func (e *emitter) blockMappingKey(ev *event, first bool) {
	if first {
		e.increaseIndent(false, false)
	}
	e.processHeadComment()
	if ev.kind == evMapEnd {
		e.popIndent()
		e.popState()
		return
	}
	e.writeIndent()
	if e.lineComment != "" {
		e.keyLineComment = e.lineComment
		e.lineComment = ""
	}
	if e.checkSimpleKey(ev) {
		e.pushState(stBlockMappingSimpleValue)
		e.emitNode(ev, false, false, true, true)
		return
	}
	e.writeIndicator("?", true, false, true)
	e.pushState(stBlockMappingValue)
	e.emitNode(ev, false, false, true, false)
}

func (e *emitter) blockMappingValue(ev *event, simple bool) {
	if simple {
		e.writeIndicator(":", false, false, false)
	} else {
		e.writeIndent()
		e.writeIndicator(":", true, false, true)
	}
	if e.keyLineComment != "" {
		if ev.kind == evScalar {
			if e.lineComment == "" {
				e.lineComment = e.keyLineComment
				e.keyLineComment = ""
			}
		} else if !ev.flow && (ev.kind == evMapStart || ev.kind == evSeqStart) {
			e.lineComment, e.keyLineComment = e.keyLineComment, e.lineComment
			e.processLineComment()
			e.lineComment, e.keyLineComment = e.keyLineComment, e.lineComment
		}
	}
	e.pushState(stBlockMappingKey)
	e.emitNode(ev, false, false, true, false)
	e.processLineComment()
	e.processFootComment()
}

func (e *emitter) emitNode(ev *event, root, sequence, mapping, simpleKey bool) {
	e.rootContext = root
	e.sequenceContext = sequence
	e.mappingContext = mapping
	e.simpleKeyContext = simpleKey
	switch ev.kind {
	case evScalar:
		e.emitScalar(ev)
	case evSeqStart:
		if e.flowLevel > 0 || ev.flow || ev.empty {
			e.state = stFlowSequenceFirstItem
		} else {
			e.state = stBlockSequenceFirstItem
		}
	case evMapStart:
		if e.flowLevel > 0 || ev.flow || ev.empty {
			e.state = stFlowMappingFirstKey
		} else {
			e.state = stBlockMappingFirstKey
		}
	default:
		e.fail = true // yaml.v3: "expected SCALAR, SEQUENCE-START, MAPPING-START, or ALIAS"
	}
}

func (e *emitter) emitScalar(ev *event) {
	e.selectScalarStyle(ev)
	e.increaseIndent(true, false)
	e.processScalar()
	e.popIndent()
	e.popState()
}

func (e *emitter) checkSimpleKey(ev *event) bool {
	length := 0
	switch ev.kind {
	case evScalar:
		if e.multiline {
			return false
		}
		length = len(e.value)
	case evSeqStart, evMapStart:
		if !ev.empty {
			return false
		}
	default:
		return false
	}
	return length <= 128
}

func (e *emitter) selectScalarStyle(ev *event) {
	style := ev.style
	if e.simpleKeyContext && e.multiline {
		style = doubleQuotedStyle
	}
	if style == plainStyle {
		if e.flowLevel > 0 && !e.flowPlain || e.flowLevel == 0 && !e.blockPlain {
			style = singleQuotedStyle
		}
		if len(e.value) == 0 && (e.flowLevel > 0 || e.simpleKeyContext) {
			style = singleQuotedStyle
		}
	}
	if style == singleQuotedStyle && !e.singleQuotedAllowed {
		style = doubleQuotedStyle
	}
	if style == literalStyle || style == foldedStyle {
		if !e.blockOK || e.flowLevel > 0 || e.simpleKeyContext {
			style = doubleQuotedStyle
		}
	}
	e.style = style
}

func (e *emitter) processScalar() {
	switch e.style {
	case plainStyle:
		e.writePlainScalar(e.value, !e.simpleKeyContext)
	case singleQuotedStyle:
		e.writeSingleQuotedScalar(e.value)
	case doubleQuotedStyle:
		e.writeDoubleQuotedScalar(e.value)
	case literalStyle:
		e.writeLiteralScalar(e.value)
	default:
		e.fail = true // folded: left to yaml.v3
	}
}

func (e *emitter) processHeadComment() {
	if e.tailComment != "" {
		e.writeIndent()
		e.writeComment(e.tailComment)
		e.tailComment = ""
		e.footIndent = max(e.indent, 0)
	}
	if e.headComment == "" {
		return
	}
	e.writeIndent()
	e.writeComment(e.headComment)
	e.headComment = ""
}

func (e *emitter) processLineComment() { e.processLineCommentLinebreak(false) }

func (e *emitter) processLineCommentLinebreak(linebreak bool) {
	if e.lineComment == "" {
		if linebreak {
			e.putBreak()
		}
		return
	}
	if !e.whitespace {
		e.put(' ')
	}
	e.writeComment(e.lineComment)
	e.lineComment = ""
}

func (e *emitter) processFootComment() {
	if e.footComment == "" {
		return
	}
	e.writeIndent()
	e.writeComment(e.footComment)
	e.footComment = ""
	e.footIndent = max(e.indent, 0)
}

// analyzeEvent is yaml_emitter_analyze_event: comments are taken over when present, and
// a scalar is analyzed.
func (e *emitter) analyzeEvent(ev *event) {
	e.value = ""
	if ev.head != "" {
		e.headComment = ev.head
	}
	if ev.line != "" {
		e.lineComment = ev.line
	}
	if ev.foot != "" {
		e.footComment = ev.foot
	}
	if ev.tail != "" {
		e.tailComment = ev.tail
	}
	if ev.kind == evScalar {
		e.analyzeScalar(ev.value)
	}
}

func (e *emitter) analyzeScalar(value string) {
	if simplePlain(value) {
		// What the loop below finds for such a value, without the loop.
		e.value = value
		e.multiline = false
		e.flowPlain, e.blockPlain, e.singleQuotedAllowed, e.blockOK = true, true, true, true
		return
	}
	var (
		blockIndicators, flowIndicators, lineBreaks, specialCharacters, tabCharacters    bool
		leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
		precededByWhitespace, followedByWhitespace, previousSpace, previousBreak         bool
	)
	e.value = value
	if len(value) == 0 {
		e.multiline = false
		e.flowPlain = false
		e.blockPlain = true
		e.singleQuotedAllowed = true
		e.blockOK = false
		return
	}
	if strings.HasPrefix(value, "---") || strings.HasPrefix(value, "...") {
		blockIndicators = true
		flowIndicators = true
	}
	precededByWhitespace = true
	for i, w := 0, 0; i < len(value); i += w {
		w = width(value[i])
		if w == 0 {
			panic("pyyaml: emit: not UTF-8")
		}
		followedByWhitespace = i+w >= len(value) || isBlank(value, i+w)
		if i == 0 {
			switch value[i] {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowIndicators = true
				blockIndicators = true
			case '?', ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					flowIndicators = true
					blockIndicators = true
				}
			}
		} else {
			switch value[i] {
			case ',', '?', '[', ']', '{', '}':
				flowIndicators = true
			case ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					flowIndicators = true
					blockIndicators = true
				}
			}
		}
		if value[i] == '\t' {
			tabCharacters = true
		} else if !isPrintable(value, i) {
			specialCharacters = true // the encoder is set to unicode: only unprintables count
		}
		if value[i] == ' ' {
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(value) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace = true
			previousBreak = false
		} else if isBreak(value, i) {
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(value) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace = false
			previousBreak = true
		} else {
			previousSpace = false
			previousBreak = false
		}
		precededByWhitespace = isBlankz(value, i)
	}
	e.multiline = lineBreaks
	e.flowPlain = true
	e.blockPlain = true
	e.singleQuotedAllowed = true
	e.blockOK = true
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		e.flowPlain = false
		e.blockPlain = false
	}
	if trailingSpace {
		e.blockOK = false
	}
	if breakSpace {
		e.flowPlain = false
		e.blockPlain = false
		e.singleQuotedAllowed = false
	}
	if spaceBreak || tabCharacters || specialCharacters {
		e.flowPlain = false
		e.blockPlain = false
		e.singleQuotedAllowed = false
	}
	if spaceBreak || specialCharacters {
		e.blockOK = false
	}
	if lineBreaks {
		e.flowPlain = false
		e.blockPlain = false
	}
	if flowIndicators {
		e.flowPlain = false
	}
	if blockIndicators {
		e.blockPlain = false
	}
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	if e.footIndent == indent {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
	e.footIndent = -1
}

func (e *emitter) writeIndicator(indicator string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.writeAll(indicator)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

func (e *emitter) writePlainScalar(value string, allowBreaks bool) {
	_ = allowBreaks // breaks at a line width only: an Encoder has none
	if len(value) > 0 && !e.whitespace {
		e.put(' ')
	}
	if !hasBreak(value) {
		// The loop below copies such a value character by character.
		e.out = append(e.out, value...)
		e.column += utf8.RuneCountInString(value)
		if len(value) > 0 {
			e.whitespace = false
		}
		e.indention = false
		return
	}
	breaks := false
	for i := 0; i < len(value); {
		if value[i] == ' ' {
			e.write(value, &i)
		} else if isBreak(value, i) {
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			e.writeBreak(value, &i)
			breaks = true
		} else {
			if breaks {
				e.writeIndent()
			}
			e.write(value, &i)
			e.indention = false
			breaks = false
		}
	}
	if len(value) > 0 {
		e.whitespace = false
	}
	e.indention = false
}

func (e *emitter) writeSingleQuotedScalar(value string) {
	e.writeIndicator("'", true, false, false)
	if !hasBreak(value) {
		// The loop below copies such a value character by character, doubling quotes.
		for i := 0; i < len(value); i++ {
			if value[i] == '\'' {
				e.out = append(e.out, '\'')
				e.column++
			}
			e.out = append(e.out, value[i])
		}
		e.column += utf8.RuneCountInString(value)
		e.writeIndicator("'", false, false, false)
		e.whitespace = false
		e.indention = false
		return
	}
	breaks := false
	for i := 0; i < len(value); {
		if value[i] == ' ' {
			e.write(value, &i)
		} else if isBreak(value, i) {
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			e.writeBreak(value, &i)
			breaks = true
		} else {
			if breaks {
				e.writeIndent()
			}
			if value[i] == '\'' {
				e.put('\'')
			}
			e.write(value, &i)
			e.indention = false
			breaks = false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeDoubleQuotedScalar(value string) {
	e.writeIndicator(`"`, true, false, false)
	for i := 0; i < len(value); {
		if !isPrintable(value, i) || isBOM(value) || isBreak(value, i) || value[i] == '"' || value[i] == '\\' {
			v, w := utf8.DecodeRuneInString(value[i:])
			i += w
			e.put('\\')
			switch v {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0A:
				e.put('n')
			case 0x0b:
				e.put('v')
			case 0x0c:
				e.put('f')
			case 0x0d:
				e.put('r')
			case 0x1b:
				e.put('e')
			case 0x22:
				e.put('"')
			case 0x5c:
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xA0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				if v <= 0xFF {
					e.put('x')
					w = 2
				} else if v <= 0xFFFF {
					e.put('u')
					w = 4
				} else {
					e.put('U')
					w = 8
				}
				for k := (w - 1) * 4; k >= 0; k -= 4 {
					digit := byte((v >> uint(k)) & 0x0F)
					if digit < 10 {
						e.put(digit + '0')
					} else {
						e.put(digit + 'A' - 10)
					}
				}
			}
		} else {
			e.write(value, &i)
		}
	}
	e.writeIndicator(`"`, false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeBlockScalarHints(value string) {
	if value[0] == ' ' || isBreak(value, 0) {
		e.writeIndicator(string(rune('0'+e.bestIndent)), false, false, false)
	}
	var chomp string
	i := len(value) - 1
	for value[i]&0xC0 == 0x80 {
		i--
	}
	if !isBreak(value, i) {
		chomp = "-"
	} else if i == 0 {
		chomp = "+"
	} else {
		i--
		for value[i]&0xC0 == 0x80 {
			i--
		}
		if isBreak(value, i) {
			chomp = "+"
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
}

func (e *emitter) writeLiteralScalar(value string) {
	e.writeIndicator("|", true, false, false)
	e.writeBlockScalarHints(value)
	e.processLineCommentLinebreak(true)
	e.whitespace = true
	breaks := true
	for i := 0; i < len(value); {
		if isBreak(value, i) {
			e.writeBreak(value, &i)
			breaks = true
		} else {
			if breaks {
				e.writeIndent()
			}
			e.write(value, &i)
			e.indention = false
			breaks = false
		}
	}
}

func (e *emitter) writeComment(comment string) {
	breaks := false
	pound := false
	for i := 0; i < len(comment); {
		if isBreak(comment, i) {
			e.writeBreak(comment, &i)
			breaks = true
			pound = false
		} else {
			if breaks {
				e.writeIndent()
			}
			if !pound {
				if comment[i] != '#' {
					e.put('#')
					e.put(' ')
				}
				pound = true
			}
			e.write(comment, &i)
			e.indention = false
			breaks = false
		}
	}
	if !breaks {
		e.putBreak()
	}
	e.whitespace = true
}

// ---- shortcuts: the same answers as the general code, for the common values ----

// resolveForEmit is resolve, deciding without strconv the plain strings that start like a
// number but hold a character no number, word or timestamp yaml.v3 knows can hold
// ("2.1.3" aside, versions and hashes such as "0.0.0-test" and "3f0a…g").
func resolveForEmit(s string) (string, bool) {
	if s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '+' || s[0] == '-') &&
		!(len(s) >= 5 && isDigits(s[:4]) && s[4] == '-') {
		if _, found := word(s); !found && strings.IndexFunc(s, notInNumber) >= 0 {
			return tagStr, true
		}
	}
	return resolve(s)
}

// notInNumber reports a character outside everything strconv.ParseInt (base 0),
// ParseUint and yaml.v3's float pattern accept: digits, hex digits, base prefixes, signs,
// underscores and the decimal point.
func notInNumber(r rune) bool {
	switch {
	case r >= '0' && r <= '9', r >= 'a' && r <= 'f', r >= 'A' && r <= 'F':
		return false
	}
	return !strings.ContainsRune("xXoO_+-.", r)
}

// simplePlain reports a value of letters, digits and "_./-" that starts with a letter, a
// digit or '_' or '/': no indicator, space, break, tab or unprintable character, so the
// analysis allows every style and finds no line break.
func simplePlain(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; c == '-' || c == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-') {
			return false
		}
	}
	return true
}

// hasBreak reports a line break of any kind yaml.v3 knows (CR, LF, NEL, LS, PS).
func hasBreak(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0xC2 || c == 0xE2 {
			if isBreak(s, i) {
				return true
			}
		}
	}
	return false
}

// ---- character classes (yamlprivateh.go), on valid UTF-8 ----

func width(b byte) int {
	switch {
	case b&0x80 == 0x00:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 0
}

// at is s[i], or 0 past the end (yaml.v3 reads its buffers' zero padding there).
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isPrintable(s string, i int) bool {
	b := s[i]
	return b == 0x0A ||
		(b >= 0x20 && b <= 0x7E) ||
		(b == 0xC2 && at(s, i+1) >= 0xA0) ||
		(b > 0xC2 && b < 0xED) ||
		(b == 0xED && at(s, i+1) < 0xA0) ||
		b == 0xEE ||
		(b == 0xEF &&
			!(at(s, i+1) == 0xBB && at(s, i+2) == 0xBF) &&
			!(at(s, i+1) == 0xBF && (at(s, i+2) == 0xBE || at(s, i+2) == 0xBF)))
}

// isBOM is yaml.v3's is_bom, which looks at the start of the value whatever the position.
func isBOM(s string) bool { return strings.HasPrefix(s, "\xEF\xBB\xBF") }

func isBreak(s string, i int) bool {
	b := s[i]
	return b == '\r' || b == '\n' ||
		b == 0xC2 && at(s, i+1) == 0x85 ||
		b == 0xE2 && at(s, i+1) == 0x80 && (at(s, i+2) == 0xA8 || at(s, i+2) == 0xA9)
}

func isBlank(s string, i int) bool { return s[i] == ' ' || s[i] == '\t' }

func isBlankz(s string, i int) bool { return isBlank(s, i) || isBreak(s, i) || s[i] == 0 }
