package pyyaml

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// quoted scans a one-line quoted scalar whose opening quote q is at s[off]. It returns
// the value and the offset after the closing quote. Escapes are yaml.v3's; a scalar
// that goes on to the next line is refused.
func (p *parser) quoted(off, end int, q byte) (string, int, bool) {
	s := p.src
	var b []byte // nil until an escape forces a copy
	start := off + 1
	for i := start; i < end; {
		c := s[i]
		switch {
		case c == q && q == '\'' && i+1 < end && s[i+1] == '\'':
			b = append(append(b, s[start:i]...), '\'')
			i += 2
			start = i
		case c == q:
			if b == nil {
				return s[start:i], i + 1, true // no copy: a substring of the input
			}
			return string(append(b, s[start:i]...)), i + 1, true
		case c == '\\' && q == '"':
			if i+1 == end {
				return "", 0, false // an escaped line break
			}
			b = append(b, s[start:i]...)
			n := 0 // hex digits that follow
			switch e := s[i+1]; e {
			case '0':
				b = append(b, 0)
			case 'a':
				b = append(b, '\a')
			case 'b':
				b = append(b, '\b')
			case 't':
				b = append(b, '\t')
			case 'n':
				b = append(b, '\n')
			case 'v':
				b = append(b, '\v')
			case 'f':
				b = append(b, '\f')
			case 'r':
				b = append(b, '\r')
			case 'e':
				b = append(b, 0x1b)
			case ' ', '"', '\'', '\\':
				b = append(b, e)
			case 'N':
				b = utf8.AppendRune(b, 0x85)
			case '_':
				b = utf8.AppendRune(b, 0xa0)
			case 'L':
				b = utf8.AppendRune(b, 0x2028)
			case 'P':
				b = utf8.AppendRune(b, 0x2029)
			case 'x':
				n = 2
			case 'u':
				n = 4
			case 'U':
				n = 8
			default:
				return "", 0, false // yaml.v3 rejects other escapes, "\/" among them
			}
			i += 2
			if n > 0 {
				if i+n > end {
					return "", 0, false
				}
				v, err := strconv.ParseUint(s[i:i+n], 16, 32)
				if err != nil || v >= 0xd800 && v <= 0xdfff || v > 0x10ffff {
					return "", 0, false
				}
				b = utf8.AppendRune(b, rune(v))
				i += n
			}
			start = i
		default:
			i++
		}
	}
	return "", 0, false // closes on a later line, or never
}

// resolve returns the tag yaml.v3 gives a plain scalar, following its resolve
// function: a lookup table for the first character, a few literal words, then Go's
// strconv number syntax. ok is false for scalars it does not decide exactly here:
// merge keys and anything yaml.v3 would try as a timestamp.
func resolve(s string) (tag string, ok bool) {
	if s == "" {
		return tagNull, true
	}
	switch c := s[0]; {
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		if t, found := word(s); found {
			return t, true
		}
		return resolveNumber(s)
	case c == '.':
		if t, found := word(s); found {
			return t, true
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return tagFloat, true
		}
		return tagStr, true
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		if t, found := word(s); found {
			return t, true
		}
		return tagStr, true
	case c == '<':
		if s == "<<" {
			return "", false // "!!merge": not in the subset
		}
		return tagStr, true
	}
	return tagStr, true
}

// word looks s up among yaml.v3's fixed spellings (YAML 1.2 core: no yes/no/on/off).
func word(s string) (string, bool) {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return tagBool, true
	case "~", "null", "Null", "NULL":
		return tagNull, true
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return tagFloat, true
	}
	return "", false
}

// resolveNumber handles scalars starting with a sign or a digit.
func resolveNumber(s string) (string, bool) {
	if len(s) >= 5 && isDigits(s[:4]) && s[4] == '-' {
		return "", false // yaml.v3 tries these as timestamps
	}
	if t, found := fastNumber(s); found {
		return t, true
	}
	return slowNumber(s), true
}

// fastNumber decides the common shapes without strconv's error allocations: decimal
// integers that fit in an int64 and short decimal fractions without exponent.
func fastNumber(s string) (string, bool) {
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	d := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits := i - d
	if digits == 0 {
		return "", false
	}
	if i == len(s) {
		// A leading zero means octal to strconv; "09" is then a float. Leave it.
		if (digits == 1 || s[d] != '0') && digits <= 18 {
			return tagInt, true
		}
		return "", false
	}
	if s[i] != '.' || len(s) > 32 {
		return "", false
	}
	i++
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		return tagFloat, true // never an int to strconv, never out of float64's range
	}
	return "", false
}

// yamlStyleFloat is yaml.v3's own pattern for floats.
var yamlStyleFloat = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
})

// slowNumber asks the same strconv questions as yaml.v3's resolve, in the same order,
// and keeps only the tag of the first yes.
func slowNumber(s string) string {
	plain := strings.ReplaceAll(s, "_", "")
	if isInt(strconv.ParseInt(plain, 0, 64)) || isUint(strconv.ParseUint(plain, 0, 64)) {
		return tagInt
	}
	if yamlStyleFloat().MatchString(plain) {
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return tagFloat
		}
	}
	for _, base := range []struct {
		prefix string
		base   int
	}{{"0b", 2}, {"0o", 8}} {
		neg := "-" + base.prefix
		switch {
		case strings.HasPrefix(plain, base.prefix):
			rest := plain[len(base.prefix):]
			if isInt(strconv.ParseInt(rest, base.base, 64)) || isUint(strconv.ParseUint(rest, base.base, 64)) {
				return tagInt
			}
		case strings.HasPrefix(plain, neg):
			if isInt(strconv.ParseInt("-"+plain[len(neg):], base.base, 64)) {
				return tagInt
			}
		}
	}
	return tagStr
}

func isInt(_ int64, err error) bool   { return err == nil }
func isUint(_ uint64, err error) bool { return err == nil }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
