package pyyaml

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Tag is the tag PyYAML's SafeLoader resolves a plain scalar to (yaml/resolver.py,
// the YAML 1.1 implicit resolvers).
type Tag uint8

// The tags of PyYAML's implicit resolvers, plus Str for everything they leave alone.
const (
	Str       Tag = iota // tag:yaml.org,2002:str
	Null                 // ~, null, Null, NULL and the empty scalar
	Bool                 // yes/no/on/off/true/false in three casings
	Int                  // decimal, 0b, 0x, leading-0 octal, sexagesimal 1:30; underscores anywhere
	Float                // 1.5, .5, 1.0e+3 (an exponent needs a dot and a sign), 1:30.5, .inf, .nan
	Timestamp            // 2025-10-19, 2025-10-19 12:00:00.5 +02:00, ...
	Value                // "=": SafeLoader has no constructor for it
	Merge                // "<<": a merge key; as anything but a key SafeLoader cannot construct it
	Indicator            // "!", "&", "*": PyYAML's documentation-only tag:yaml.org,2002:yaml
)

var tagNames = [...]string{
	Str:       "tag:yaml.org,2002:str",
	Null:      "tag:yaml.org,2002:null",
	Bool:      "tag:yaml.org,2002:bool",
	Int:       "tag:yaml.org,2002:int",
	Float:     "tag:yaml.org,2002:float",
	Timestamp: "tag:yaml.org,2002:timestamp",
	Value:     "tag:yaml.org,2002:value",
	Merge:     "tag:yaml.org,2002:merge",
	Indicator: "tag:yaml.org,2002:yaml",
}

// String is the full tag, as PyYAML spells it.
func (t Tag) String() string {
	if int(t) < len(tagNames) {
		return tagNames[t]
	}
	return fmt.Sprintf("pyyaml.Tag(%d)", uint8(t))
}

// Short is the !! form of the tag ("!!int").
func (t Tag) Short() string { return "!!" + strings.TrimPrefix(t.String(), "tag:yaml.org,2002:") }

// PyYAML's implicit resolvers, in the order it tries them for each first character.
// Python's "$" also matches before one final newline; matchPy reproduces that.
// Each is compiled on first use, not at start-up (a one-file run pays only for the ones
// its scalars need).
var (
	reBool = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	})
	reFloat = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	})
	reInt = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	})
	reNull = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:~|null|Null|NULL|)$`) })
	reTime = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
	})
	// The constructor's own timestamp pattern (constructor.py), with the parts it reads.
	reTimeParts = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$`)
	})
)

func matchPy(lazy func() *regexp.Regexp, s string) bool {
	re := lazy()
	return re.MatchString(s) || strings.HasSuffix(s, "\n") && re.MatchString(s[:len(s)-1])
}

// Resolve returns the tag PyYAML's SafeLoader gives the plain (unquoted, untagged)
// scalar s: BaseResolver.resolve(ScalarNode, s, (True, False)). Like PyYAML it picks the
// resolvers by the first character and takes the first whose pattern matches.
func Resolve(s string) Tag {
	if s == "" {
		return Null
	}
	// Shortcuts for what sidecars are full of, exact by construction: a plain decimal
	// number, and words no resolver can match.
	switch c := s[0]; {
	case c >= '0' && c <= '9' || c == '-':
		if t, ok := PlainNumber(s); ok {
			return t
		}
		return resolveNumeric(s, c)
	case c == '+' || c == '.':
		return resolveNumeric(s, c)
	case strings.IndexByte("yYnNtTfFoO", c) >= 0:
		if len(s) > 6 { // longer than any bool or null, even with a trailing newline
			return Str
		}
		w := strings.TrimSuffix(s, "\n") // Python's "$" matches before one final newline
		if boolWords[w] {
			return Bool
		}
		if nullWords[w] {
			return Null
		}
	case c == '~':
		if s == "~" || s == "~\n" {
			return Null
		}
	case c == '<':
		if s == "<<" || s == "<<\n" {
			return Merge
		}
	case c == '=':
		if s == "=" || s == "=\n" {
			return Value
		}
	case c == '!' || c == '&' || c == '*':
		if len(s) == 1 || len(s) == 2 && s[1] == '\n' {
			return Indicator
		}
	}
	return Str
}

// boolWords and nullWords are the words reBool and reNull match (but the empty scalar, which
// is Null before any resolver runs): a map lookup costs a tenth of the patterns, and words
// are most of what a sidecar holds. TestWordTablesMatchPatterns keeps them in step.
var (
	boolWords = map[string]bool{
		"yes": true, "Yes": true, "YES": true, "no": true, "No": true, "NO": true,
		"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
		"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
	}
	nullWords = map[string]bool{"null": true, "Null": true, "NULL": true}
)

// numericResolvers are float, int and timestamp, in PyYAML's order, with the first
// characters each is registered for.
var numericResolvers = [...]struct {
	re    func() *regexp.Regexp
	tag   Tag
	first string
}{
	{reFloat, Float, "-+0123456789."},
	{reInt, Int, "-+0123456789"},
	{reTime, Timestamp, "0123456789"},
}

func resolveNumeric(s string, c byte) Tag {
	for _, r := range numericResolvers {
		if strings.IndexByte(r.first, c) >= 0 && matchPy(r.re, s) {
			return r.tag
		}
	}
	return Str
}

// PlainNumber decides -?(0|[1-9][0-9]*)(\.[0-9]+)? without a regexp: text that PyYAML
// reads as an Int or a Float, that safe_load constructs, and that is already a JSON number
// with that value. ok is false for every other text (which Resolve leaves to the patterns).
func PlainNumber(s string) (t Tag, ok bool) {
	if s == "" {
		return Str, false
	}
	i := 0
	if s[0] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || s[start] == '0' && i-start > 1 {
		return Str, false
	}
	tag := Int
	if i < len(s) && s[i] == '.' {
		i++
		frac := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == frac {
			return Str, false
		}
		tag = Float
	}
	if i != len(s) || tag == Int && i-start > MaxIntDigits {
		return Str, false
	}
	return tag, true
}

// NeedsQuotes reports whether PyYAML would read the plain scalar s as anything but the
// string s, so that a writer must quote it. (yaml.v3's encoder quotes what YAML 1.2
// would misread on its own.)
func NeedsQuotes(s string) bool { return Resolve(s) != Str }

// Scalar is what yaml.safe_load builds from a plain scalar.
type Scalar struct {
	Tag   Tag
	Bool  bool     // Bool
	Int   *big.Int // Int
	Float float64  // Float: may be ±Inf or NaN
	// Timestamp: the text was a valid date (and time); the value itself is not kept.
}

// ConstructError is the exception safe_load raises on a plain scalar it has resolved:
// a ConstructorError for a tag without constructor, a ValueError for an int or a date
// out of range (or over Python's 4300-digit limit for decimal integers).
type ConstructError struct {
	Tag    Tag
	Text   string
	Reason string
}

func (e *ConstructError) Error() string {
	return fmt.Sprintf("pyyaml: safe_load cannot construct %s %q: %s", e.Tag.Short(), e.Text, e.Reason)
}

// MaxIntDigits is Python's default limit on the digits of a decimal integer string
// (sys.int_info.default_max_str_digits); int() refuses longer ones with a ValueError.
const MaxIntDigits = 4300

// Construct resolves the plain scalar s and builds its value as yaml.safe_load does
// (SafeConstructor), or returns the *ConstructError safe_load raises.
func Construct(s string) (Scalar, error) {
	t := Resolve(s)
	sc := Scalar{Tag: t}
	fail := func(reason string) (Scalar, error) {
		return sc, &ConstructError{Tag: t, Text: s, Reason: reason}
	}
	switch t {
	case Bool:
		b, err := ConstructBool(s)
		if err != nil { // a trailing newline: bool_values[value.lower()] raises KeyError
			return fail("not a boolean word")
		}
		sc.Bool = b
	case Int:
		v, err := ConstructInt(s)
		if err != nil {
			return fail(err.Error())
		}
		sc.Int = v
	case Float:
		f, err := ConstructFloat(s)
		if err != nil { // the resolver's pattern only lets float() texts through
			return fail(err.Error())
		}
		sc.Float = f
	case Timestamp:
		if reason := checkTimestamp(s); reason != "" {
			return fail(reason)
		}
	case Value, Merge, Indicator:
		return fail("could not determine a constructor for the tag '" + t.String() + "'")
	}
	return sc, nil
}

// checkTimestamp is SafeConstructor.construct_yaml_timestamp's validation: the
// date and time must exist (datetime.date / datetime.datetime / datetime.timezone).
func checkTimestamp(s string) string {
	m := reTimeParts().FindStringSubmatch(strings.TrimSuffix(s, "\n"))
	if m == nil {
		return "does not match the timestamp pattern"
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	switch {
	case year < 1:
		return fmt.Sprintf("year %d is out of range", year)
	case month < 1 || month > 12:
		return "month must be in 1..12"
	case day < 1 || day > daysIn(year, month):
		return "day is out of range for month"
	}
	if m[4] == "" {
		return ""
	}
	switch {
	case atoi(m[4]) > 23:
		return "hour must be in 0..23"
	case atoi(m[5]) > 59:
		return "minute must be in 0..59"
	case atoi(m[6]) > 59:
		return "second must be in 0..59"
	}
	if m[9] != "" { // timezone(timedelta(hours=h, minutes=m)) needs |offset| < 24h
		if atoi(m[10])*60+atoi(m[11]) >= 24*60 {
			return "offset must be strictly between -timedelta(hours=24) and timedelta(hours=24)"
		}
	}
	return ""
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
