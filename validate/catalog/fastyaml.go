package catalog

import (
	"encoding/json"
	"strings"
)

// fastParse reads the block-style YAML that PyYAML's dump and safe_dump write (and most hand
// edits keep): nested mappings, sequences of scalars, plain, single- and double-quoted
// scalars. It returns the same JSON value validate.Parse would, or ok=false for anything
// outside that subset or anything validate.Parse would report (duplicate keys, unquoted
// timestamps or versions, aliases, tags, flow collections with content, truthy words, odd
// numbers), and the caller then uses validate.Parse. It exists for speed alone: yaml.v3
// builds a node tree with positions, which costs ten times more than this on a 10,000-file
// tree, and TestFastParseAgrees plus FuzzFastParse hold it to validate.Parse's results.
func fastParse(src []byte) (map[string]any, bool) {
	if len(src) == 0 || len(src) > 1<<16 {
		return nil, false
	}
	// Printable ASCII and line feeds only: YAML refuses control characters, and anything
	// else (tabs, CR, Unicode) is rare enough to leave to validate.Parse.
	for _, c := range src {
		if (c < 0x20 && c != '\n') || c >= 0x7f {
			return nil, false
		}
	}
	s := string(src)
	p := fastParser{lines: make([]fastLine, 0, strings.Count(s, "\n")+1)}
	for len(s) > 0 {
		raw := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			raw, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		indent := 0
		for indent < len(raw) && raw[indent] == ' ' {
			indent++
		}
		content := raw[indent:]
		if content == "" || content[0] == '#' {
			continue
		}
		if strings.HasPrefix(raw, "---") || strings.HasPrefix(raw, "...") || strings.HasPrefix(raw, "%") {
			return nil, false
		}
		end := len(content)
		for end > 0 && content[end-1] == ' ' {
			end--
		}
		p.lines = append(p.lines, fastLine{indent: indent, text: content[:end]})
	}
	if len(p.lines) == 0 || p.lines[0].indent != 0 {
		return nil, false
	}
	m, ok := p.mapping(0, true)
	if !ok || p.i != len(p.lines) {
		return nil, false
	}
	return m, true
}

type fastLine struct {
	indent int
	text   string
}

type fastParser struct {
	lines []fastLine
	i     int
}

// The scalar classes, hand-written: regexps cost more than all the rest of fastParse.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// fastKey: [A-Za-z_][A-Za-z0-9_./=-]*
func fastKey(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isAlpha(c) || isDigit(c) || strings.IndexByte("_./=-", c) >= 0) {
			return false
		}
	}
	return true
}

// fastSpecial: the words PyYAML reads as booleans or null.
func fastSpecial(s string) bool {
	switch s {
	case "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE":
		return true
	}
	return false
}

// digits returns how many leading ASCII digits s has.
func digits(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// unsigned reads 0|[1-9][0-9]* at the start of s and returns its length (0 = none).
func unsigned(s string) int {
	n := digits(s)
	if n > 1 && s[0] == '0' {
		return 0
	}
	return n
}

// fastInt: -?(0|[1-9][0-9]*)
func fastInt(s string) bool {
	s = strings.TrimPrefix(s, "-")
	n := unsigned(s)
	return n > 0 && n == len(s)
}

// fastFloat: -?(0|[1-9][0-9]*)\.[0-9]+([eE][-+][0-9]+)?  (PyYAML needs the dot and the sign)
func fastFloat(s string) bool {
	s = strings.TrimPrefix(s, "-")
	n := unsigned(s)
	if n == 0 || n >= len(s) || s[n] != '.' {
		return false
	}
	s = s[n+1:]
	n = digits(s)
	if n == 0 {
		return false
	}
	s = s[n:]
	if s == "" {
		return true
	}
	if len(s) < 3 || (s[0] != 'e' && s[0] != 'E') || (s[1] != '+' && s[1] != '-') {
		return false
	}
	return digits(s[2:]) == len(s)-2
}

// fastDotted: [0-9]+(\.[0-9]+){2,} — 2.1.2 is a version string, not a number.
func fastDotted(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || digits(p) != len(p) {
			return false
		}
	}
	return true
}

// fastPlain: a plain string PyYAML reads as a string: [A-Za-z_/][A-Za-z0-9_./=+-]* and further
// words of [A-Za-z0-9_./=+()-] after single spaces.
func fastPlain(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '_' || s[0] == '/') {
		return false
	}
	first := true
	for _, w := range strings.Split(s, " ") {
		if w == "" {
			return false
		}
		for i := 0; i < len(w); i++ {
			c := w[i]
			if isAlpha(c) || isDigit(c) || strings.IndexByte("_./=+-", c) >= 0 || (!first && (c == '(' || c == ')')) {
				continue
			}
			return false
		}
		first = false
	}
	return true
}

func (p *fastParser) mapping(indent int, root bool) (map[string]any, bool) {
	out := map[string]any{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent || strings.HasPrefix(l.text, "- ") || l.text == "-" {
			return nil, false
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, false
		}
		if _, dup := out[key]; dup {
			return nil, false
		}
		p.i++
		if rest == "" {
			v, ok := p.block(indent)
			if !ok {
				return nil, false
			}
			out[key] = v
			continue
		}
		if root && key == "schema_version" && rest[0] != '\'' && rest[0] != '"' {
			return nil, false // a plain version is a number for PyYAML: let validate.Parse say so
		}
		v, ok := scalar(rest)
		if !ok {
			return nil, false
		}
		out[key] = v
	}
	return out, true
}

// block reads what follows "key:" with nothing after it: a deeper mapping, a sequence (PyYAML
// writes those at the key's own indent), or nothing at all (null).
func (p *fastParser) block(indent int) (any, bool) {
	if p.i >= len(p.lines) {
		return nil, true
	}
	l := p.lines[p.i]
	isItem := strings.HasPrefix(l.text, "- ") || l.text == "-"
	switch {
	case isItem && l.indent >= indent:
		return p.sequence(l.indent)
	case l.indent > indent:
		return p.mapping(l.indent, false)
	}
	return nil, true
}

func (p *fastParser) sequence(indent int) ([]any, bool) {
	out := []any{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent != indent || !strings.HasPrefix(l.text, "- ") {
			if l.indent > indent || l.text == "-" {
				return nil, false
			}
			break
		}
		item := strings.TrimLeft(l.text[2:], " ")
		if _, _, isMap := splitKey(item); isMap || item == "" {
			return nil, false
		}
		v, ok := scalar(item)
		if !ok {
			return nil, false
		}
		out = append(out, v)
		p.i++
	}
	return out, true
}

// splitKey splits "key: rest" or "key:"; the key must be a plain or single-quoted string that
// PyYAML reads as a string.
func splitKey(text string) (key, rest string, ok bool) {
	if strings.HasPrefix(text, "'") {
		end := strings.Index(text[1:], "'")
		if end < 0 {
			return "", "", false
		}
		key = text[1 : end+1]
		text = text[end+2:]
		if strings.Contains(key, "'") || !strings.HasPrefix(text, ":") {
			return "", "", false
		}
		rest = text[1:]
	} else {
		i := strings.IndexByte(text, ':')
		if i <= 0 {
			return "", "", false
		}
		key, rest = text[:i], text[i+1:]
		if !fastKey(key) || fastSpecial(key) {
			return "", "", false
		}
	}
	if rest != "" && rest[0] != ' ' {
		return "", "", false
	}
	return key, strings.TrimLeft(rest, " "), true
}

func scalar(s string) (any, bool) {
	switch s[0] {
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return nil, false
		}
		body := s[1 : len(s)-1]
		if strings.Contains(strings.ReplaceAll(body, "''", ""), "'") {
			return nil, false
		}
		return strings.ReplaceAll(body, "''", "'"), true
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' {
			return nil, false
		}
		body := s[1 : len(s)-1]
		if strings.ContainsAny(body, `"\`) {
			return nil, false
		}
		return body, true
	case '{':
		if s == "{}" {
			return map[string]any{}, true
		}
		return nil, false
	case '[':
		if s == "[]" {
			return []any{}, true
		}
		return nil, false
	}
	switch {
	case s == "null" || s == "~":
		return nil, true
	case s == "true":
		return true, true
	case s == "false":
		return false, true
	case fastInt(s):
		if s == "-0" {
			return nil, false
		}
		return json.Number(s), true
	case fastFloat(s):
		return json.Number(s), true
	case fastDotted(s):
		return s, true
	case fastPlain(s) && !fastSpecial(s):
		return s, true
	}
	return nil, false
}
