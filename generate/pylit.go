package generate

import (
	"strconv"
	"strings"
)

// pyCall stands for a Python call expression in a literal, e.g. datetime.timedelta(seconds=3600):
// it is not a literal, so its text is kept and nothing more.
type pyCall struct{ Text string }

// splitStateKey splits a Lightning callback state key into the callback's class name and the
// keyword arguments of its repr: `ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max'}` gives
// "ModelCheckpoint" and {monitor: val/hmean, mode: max}. Before Lightning 1.5 the key was the class
// itself; the reader stringifies it to "module.Name", which has no braces and yields no kwargs.
func splitStateKey(key string) (class string, kwargs map[string]any) {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return strings.TrimSpace(key), nil
	}
	class = strings.TrimSpace(key[:i])
	p := &pyParser{s: key[i:]}
	v, ok := p.value(0)
	if m, isMap := v.(map[string]any); ok && isMap {
		kwargs = m
	}
	return class, kwargs
}

// pyParser reads the subset of Python literal syntax that repr() of callback kwargs produces:
// dicts, lists, tuples, strings, numbers, True/False/None. Anything else (a call such as
// datetime.timedelta(...), an enum repr) is skipped up to the next separator at its depth and
// kept as a pyCall, so one odd value never loses the others.
type pyParser struct {
	s   string
	pos int
}

const pyMaxDepth = 32

func (p *pyParser) ws() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *pyParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *pyParser) value(depth int) (any, bool) {
	if depth > pyMaxDepth {
		return nil, false
	}
	p.ws()
	switch c := p.peek(); {
	case c == '{':
		return p.dict(depth)
	case c == '[':
		return p.seq(depth, ']')
	case c == '(':
		return p.seq(depth, ')')
	case c == '\'' || c == '"':
		return p.str()
	}
	start := p.pos
	p.skipOther(depth)
	tok := strings.TrimSpace(p.s[start:p.pos])
	switch tok {
	case "None":
		return nil, true
	case "True":
		return true, true
	case "False":
		return false, true
	case "":
		return nil, false
	}
	if i, err := strconv.ParseInt(tok, 10, 64); err == nil {
		return i, true
	}
	if f, err := strconv.ParseFloat(tok, 64); err == nil {
		return f, true
	}
	return pyCall{Text: tok}, true
}

// skipOther advances over a non-literal value: up to a ',', ':' or closing bracket at this
// level, stepping over nested brackets and strings.
func (p *pyParser) skipOther(depth int) {
	level := 0
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; c {
		case '\'', '"':
			if _, ok := p.str(); !ok {
				return
			}
			continue
		case '(', '[', '{':
			level++
		case ')', ']', '}':
			if level == 0 {
				return
			}
			level--
		case ',', ':':
			if level == 0 {
				return
			}
		}
		p.pos++
	}
}

func (p *pyParser) dict(depth int) (any, bool) {
	p.pos++ // '{'
	out := map[string]any{}
	for {
		p.ws()
		if p.peek() == '}' {
			p.pos++
			return out, true
		}
		k, ok := p.value(depth + 1)
		if !ok {
			return out, false
		}
		p.ws()
		if p.peek() != ':' {
			return out, false
		}
		p.pos++
		v, ok := p.value(depth + 1)
		if !ok {
			return out, false
		}
		if ks, isStr := k.(string); isStr {
			out[ks] = v
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
		default:
			return out, false
		}
	}
}

func (p *pyParser) seq(depth int, end byte) (any, bool) {
	p.pos++
	var out []any
	for {
		p.ws()
		if p.peek() == end {
			p.pos++
			return out, true
		}
		v, ok := p.value(depth + 1)
		if !ok {
			return out, false
		}
		out = append(out, v)
		p.ws()
		switch p.peek() {
		case ',':
			p.pos++
		case end:
		default:
			return out, false
		}
	}
}

// str reads a quoted Python string with the escapes repr() writes.
func (p *pyParser) str() (any, bool) {
	q := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), true
		case c == '\\' && p.pos+1 < len(p.s):
			p.pos++
			switch e := p.s[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'x':
				if p.pos+2 < len(p.s) {
					if n, err := strconv.ParseUint(p.s[p.pos+1:p.pos+3], 16, 8); err == nil {
						b.WriteRune(rune(n))
						p.pos += 2
						break
					}
				}
				b.WriteString(`\x`)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			p.pos++
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return b.String(), false
}
