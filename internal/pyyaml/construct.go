package pyyaml

// What yaml.safe_load does with an explicitly tagged node: SafeConstructor
// (yaml/constructor.py, PyYAML 6) on Python 3.11, where the text is anything the author
// wrote ("!!int abc", "!!int 0o17", "!!float infinity"), not only what a resolver
// matched (Construct, in resolver.go, handles plain scalars). Each function raises where
// PyYAML raises, so a file it refuses is refused here too.

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ErrIntTooLarge is returned by ConstructInt (and IntTooLarge says it of a plain scalar)
// for an integer written in base 2, 8, 16 or 60
// whose decimal form would have more than MaxIntDigits digits. PyYAML reads those; ckptmeta
// does not (no sidecar needs one, and converting them costs time quadratic in their length).
var ErrIntTooLarge = errors.New("integer too large")

// TagKind classifies an explicit tag (in yaml.v3's short form: "!!int", "!foo").
type TagKind int

const (
	TagUnknown TagKind = iota // no constructor: safe_load raises "could not determine a constructor"
	TagUnsafe                 // !!python/...: only yaml.unsafe_load constructs these (code execution)
	TagScalar                 // !!str !!null !!bool !!int !!float !!binary !!timestamp
	TagSeq                    // !!seq
	TagPairs                  // !!omap !!pairs: a sequence of one-entry mappings
	TagMap                    // !!map !!set
)

// ClassifyTag says what safe_load does with an explicit tag.
func ClassifyTag(tag string) TagKind {
	switch tag {
	case "!!str", "!!null", "!!bool", "!!int", "!!float", "!!binary", "!!timestamp":
		return TagScalar
	case "!!seq":
		return TagSeq
	case "!!omap", "!!pairs":
		return TagPairs
	case "!!map", "!!set":
		return TagMap
	}
	if strings.HasPrefix(tag, "!!python/") {
		return TagUnsafe
	}
	return TagUnknown
}

// CheckKind reports the ConstructorError safe_load raises when a known tag is put on a
// node of the wrong kind ("!!str [1]", "!!seq a", "!!omap {a: 1}"); nil when it fits.
func CheckKind(k TagKind, n *yaml.Node) error {
	kind := n.Kind
	if kind == yaml.AliasNode && n.Alias != nil {
		kind = n.Alias.Kind
	}
	want := map[TagKind]yaml.Kind{TagScalar: yaml.ScalarNode, TagSeq: yaml.SequenceNode, TagPairs: yaml.SequenceNode, TagMap: yaml.MappingNode}[k]
	if want == 0 || kind == want {
		if k == TagPairs {
			for _, item := range n.Content {
				if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
					return errors.New("expected a mapping of length 1")
				}
			}
		}
		return nil
	}
	names := map[yaml.Kind]string{yaml.ScalarNode: "a scalar", yaml.SequenceNode: "a sequence", yaml.MappingNode: "a mapping"}
	return fmt.Errorf("expected %s node, but found %s", names[want], strings.TrimPrefix(names[kind], "a "))
}

// pyStrip and pyDigits model what Python's int() and float() do to their argument first:
// surrounding white space goes, Unicode decimal digits become ASCII ones.
func pyStrip(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

func pyDigits(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.Is(unicode.Nd, r) && (r < '0' || r > '9') {
			r = '0' + digitValue(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// digitValue is the value of a Unicode decimal digit: Nd digits come in runs of ten.
func digitValue(r rune) rune {
	for d := rune(0); d < 10; d++ {
		if !unicode.Is(unicode.Nd, r-d-1) {
			return d
		}
	}
	return 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// pyInt is Python's int(s, base) for bases 2, 8, 10, 16: sign, the base's own prefix
// (0b, 0o, 0x), surrounding white space and Unicode digits allowed. It returns the
// value's magnitude digits in base and whether it is negative.
func pyInt(s string, base int) (neg bool, digits string, err error) {
	t := pyDigits(pyStrip(s))
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if len(t) > 1 && t[0] == '0' {
		p := strings.ToLower(t[:2])
		if (base == 2 && p == "0b") || (base == 8 && p == "0o") || (base == 16 && p == "0x") {
			t = t[2:]
		}
	}
	if t == "" {
		return false, "", fmt.Errorf("invalid literal for int() with base %d: %s", base, pyRepr(s))
	}
	for _, c := range strings.ToLower(t) {
		v := 99
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'a' && c <= 'z':
			v = int(c-'a') + 10
		}
		if v >= base {
			return false, "", fmt.Errorf("invalid literal for int() with base %d: %s", base, pyRepr(s))
		}
	}
	if base == 10 && len(t) > MaxIntDigits {
		return false, "", fmt.Errorf("exceeds the limit (%d digits) for integer string conversion: value has %d digits", MaxIntDigits, len(t))
	}
	return neg, t, nil
}

// pyRepr quotes s the way Python's repr does for plain text.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, `\`, `\\`) + "'"
}

// decimalDigits is how many decimal digits n digits in base make at most.
func decimalDigits(n, base int) int {
	return int(float64(n)*math.Log10(float64(base))) + 1
}

// ConstructInt is construct_yaml_int: s is the scalar's text (a !!int tag, or a plain
// scalar resolved as int). It returns the value, or the error PyYAML raises, or
// ErrIntTooLarge.
func ConstructInt(s string) (*big.Int, error) {
	value := strings.ReplaceAll(s, "_", "")
	if value == "" {
		return nil, errors.New("string index out of range")
	}
	neg := value[0] == '-'
	if value[0] == '+' || value[0] == '-' {
		value = value[1:]
	}
	base, body := 10, value
	switch {
	case value == "0":
		return new(big.Int), nil
	case strings.HasPrefix(value, "0b"):
		base, body = 2, value[2:]
	case strings.HasPrefix(value, "0x"):
		base, body = 16, value[2:]
	case value == "":
		return nil, errors.New("string index out of range")
	case value[0] == '0':
		base = 8
	case strings.Contains(value, ":"):
		return sexagesimalInt(neg, value)
	}
	n, digits, err := pyInt(body, base)
	if err != nil {
		return nil, err
	}
	if base != 10 && decimalDigits(len(digits), base) > MaxIntDigits {
		return nil, ErrIntTooLarge
	}
	v, ok := new(big.Int).SetString(digits, base)
	if !ok {
		return nil, fmt.Errorf("invalid literal for int() with base %d: %s", base, pyRepr(body))
	}
	if n != neg {
		v.Neg(v)
	}
	return v, nil
}

// sexagesimalInt is the 1:30 branch: every part goes through int(), the last is the units.
func sexagesimalInt(neg bool, value string) (*big.Int, error) {
	parts := strings.Split(value, ":")
	if decimalDigits(len(parts), 60) > MaxIntDigits {
		return nil, ErrIntTooLarge
	}
	total := new(big.Int)
	sixty := big.NewInt(60)
	for _, part := range parts {
		n, digits, err := pyInt(part, 10)
		if err != nil {
			return nil, err
		}
		d, _ := new(big.Int).SetString(digits, 10)
		if n {
			d.Neg(d)
		}
		total.Mul(total, sixty).Add(total, d)
	}
	if total.BitLen() > MaxIntDigits*10/3 {
		return nil, ErrIntTooLarge
	}
	if neg {
		total.Neg(total)
	}
	return total, nil
}

// pyFloatSyntax is what Python's float() accepts once stripped, lowered and with ASCII
// digits (underscores are gone already: PyYAML removes them all).
var pyFloatSyntax = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity|nan)$`)
})

// ConstructFloat is construct_yaml_float: s is the scalar's text. It returns the value
// (maybe ±Inf or NaN, as PyYAML's is) or the error PyYAML raises.
func ConstructFloat(s string) (float64, error) {
	value := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	if value == "" {
		return 0, errors.New("string index out of range")
	}
	sign := 1.0
	if value[0] == '-' {
		sign = -1
	}
	if value[0] == '+' || value[0] == '-' {
		value = value[1:]
	}
	switch {
	case value == ".inf":
		return sign * math.Inf(1), nil
	case value == ".nan":
		return math.NaN(), nil
	case strings.Contains(value, ":"):
		// float() every part first (the first bad one raises), then sum from the least
		// significant part up, as PyYAML does: the order changes the rounding.
		parts := strings.Split(value, ":")
		digits := make([]float64, len(parts))
		for i, part := range parts {
			f, err := pyFloat(part)
			if err != nil {
				return 0, err
			}
			digits[i] = f
		}
		total, base := 0.0, 1.0
		for i := len(digits) - 1; i >= 0; i-- {
			total += digits[i] * base
			base *= 60
		}
		return sign * total, nil
	}
	f, err := pyFloat(value)
	return sign * f, err
}

// pyFloat is Python's float(str).
func pyFloat(s string) (float64, error) {
	t := strings.ToLower(pyDigits(pyStrip(s)))
	if !pyFloatSyntax().MatchString(t) {
		return 0, fmt.Errorf("could not convert string to float: %s", pyRepr(s))
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("could not convert string to float: %s", pyRepr(s))
	}
	return f, nil // out of range: ±Inf or 0, as in Python
}

// ConstructBool is construct_yaml_bool: a dictionary look-up of the lowered text.
func ConstructBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "true", "on":
		return true, nil
	case "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("KeyError %s", pyRepr(strings.ToLower(s)))
}

// CheckTimestamp is construct_yaml_timestamp on any text: it must match PyYAML's
// pattern and name a real date and time (datetime raises otherwise).
func CheckTimestamp(s string) error {
	if reason := checkTimestamp(s); reason != "" {
		return errors.New(reason)
	}
	return nil
}

// IntTooLarge reports whether the plain scalar s, which PyYAML resolves as an int, is
// written in base 2, 8, 16 or 60 and is too large for ckptmeta (ErrIntTooLarge). It
// looks at the text only, so the quadratic conversion never starts.
func IntTooLarge(s string) bool {
	v := strings.TrimLeft(strings.ReplaceAll(s, "_", ""), "+-")
	switch {
	case strings.HasPrefix(v, "0b"):
		return decimalDigits(len(v)-2, 2) > MaxIntDigits
	case strings.HasPrefix(v, "0x"):
		return decimalDigits(len(v)-2, 16) > MaxIntDigits
	case strings.Contains(v, ":"):
		return decimalDigits(strings.Count(v, ":")+1, 60) > MaxIntDigits
	case len(v) > 1 && v[0] == '0':
		return decimalDigits(len(v)-1, 8) > MaxIntDigits
	}
	return false
}

// CheckBinary is construct_yaml_binary without the result: ASCII text that
// binascii.a2b_base64 (non-strict) decodes.
func CheckBinary(s string) error {
	if !isASCII(s) {
		return errors.New("failed to convert base64 data into ascii")
	}
	quad, pads, data := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			if quad >= 2 { // CPython counts pads only here (quad_pos >= 2 && quad_pos + ++pads >= 4)
				pads++
				if quad+pads >= 4 {
					return nil
				}
			}
			continue
		}
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			continue
		}
		pads = 0
		data++
		quad = (quad + 1) % 4
	}
	switch quad {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("failed to decode base64 data: Invalid base64-encoded string: number of data characters (%d) cannot be 1 more than a multiple of 4", data)
	}
	return errors.New("failed to decode base64 data: Incorrect padding")
}
