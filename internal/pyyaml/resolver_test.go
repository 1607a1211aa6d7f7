package pyyaml

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/resolve.golden from Debian's PyYAML")

// plainScalars generates the comparison table: numbers in every YAML 1.1 spelling
// (signs, underscores, 0b/0o/0x, leading-zero octal, sexagesimal, .5, 1e3 without a dot,
// .inf/.nan), every casing of the bool and null words, timestamps valid and invalid with
// and without time, fraction and zone, the special = << ! & *, trailing newlines, and
// random words. Deterministic, so the golden table lines up.
func plainScalars() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	rng := rand.New(rand.NewSource(8))

	// Numbers: every sign with every body.
	bodies := []string{
		"0", "00", "07", "08", "09", "0_", "0__7", "017", "0o17", "0O17", "010", "0.", "0.0", "00.5",
		"1", "7", "10", "1_000", "1__0", "1_", "_1", "123456789", "9223372036854775807", "9223372036854775808",
		"18446744073709551616", "123456789012345678901234567890", "1e3", "1E3", "1e+3", "1.e3", "1.e+3", "1.0e3",
		"1.0e+3", "1.0E-3", "1.0e-03", "1.5e+999", "1.5e-999", "4.9e-324", "2.5e-324", "1.7976931348623157e+308",
		".5", "._5", "._", ".", "..5", "1.5", "1.5_", "1_0.5_0", "1.2.3", "3.14159", "6.02e+23", "1,000", "1 000",
		"0x", "0x_", "0x1F", "0x1f", "0X1F", "0x_1_f", "0xg", "0x1.8p1", "0b", "0b_", "0b101", "0b2", "0B101", "0b1_0",
		"1:30", "1:30:45", "1:60", "1:5", "1:05", "01:30", "0:30", "1:30.5", "1:30.", "190:20:30.15", "1:_", "1:3_0",
		"1_:30", "1:30:", ":30", "1::30", "1:30:45.5e+3", "12:34:56:12", "1:2:3:4:5",
		".inf", ".Inf", ".INF", ".iNf", "inf", ".nan", ".NaN", ".NAN", "nan", ".infinity",
	}
	for _, b := range bodies {
		for _, sign := range []string{"", "+", "-"} {
			add(sign + b)
		}
	}
	// Exact int sizes around Python's 4300-digit limit for decimal strings.
	for _, n := range []int{19, 20, 309, 4299, 4300, 4301} {
		add("1" + strings.Repeat("0", n-1))
		add("0" + strings.Repeat("7", n)) // octal has no limit
	}
	// Words: every casing of bools and nulls.
	for _, w := range []string{"yes", "no", "on", "off", "true", "false", "y", "n", "null", "none", "nil", "~"} {
		for mask := 0; mask < 1<<len(w); mask++ {
			b := []byte(w)
			for i := range b {
				if mask&(1<<i) != 0 {
					b[i] = byte(strings.ToUpper(string(b[i]))[0])
				}
			}
			add(string(b))
		}
	}
	for _, s := range []string{"", "~~", "=", "==", "<<", "<", "<<<", "!", "&", "*", "!!", "yess", "onn",
		"yes\n", "1\n", "=\n", "<<\n", "1.5\n", "null\n", "~\n", "2025-01-02\n", "0b_\n", "y\n"} {
		add(s)
	}
	// Timestamps.
	dates := []string{"2025-10-19", "2025-1-9", "2025-02-29", "2024-02-29", "2025-13-01", "2025-00-10",
		"2025-04-31", "0000-01-01", "0001-01-01", "9999-12-31", "2025-10-1", "25-10-19", "2025/10/19", "20251019"}
	times := []string{"", "T12:00:00", "t12:00:00", " 12:00:00", "\t12:00:00", "  1:02:03", "T24:00:00",
		"T23:60:00", "T23:59:60", "T23:59:59", "T9:05:07", "T12:00", "T12:00:00.", "T12:00:00.5",
		"T12:00:00.1234567", "T12:00:00,5"}
	zones := []string{"", "Z", " Z", "z", "+00:00", "-05:30", "+5", "-5", "+23:59", "+24", "-24:00", "+23:60",
		"+12:99", "\t+02", "+0530", "+05:3"}
	for _, d := range dates {
		for _, tm := range times {
			add(d + tm)
			if tm != "" {
				for _, z := range zones {
					if rng.Intn(3) == 0 || z == "" || z == "Z" {
						add(d + tm + z)
					}
				}
			}
		}
	}
	// Random strings over the alphabet numbers, dates and sexagesimals are made of.
	const numeric = "0123456789+-._:eExobX"
	for len(out) < 6000 {
		n := 1 + rng.Intn(7)
		b := make([]byte, n)
		for i := range b {
			b[i] = numeric[rng.Intn(len(numeric))]
		}
		add(string(b))
	}
	// Random words.
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-./~<=!&*: "
	for len(out) < 7000 {
		n := 1 + rng.Intn(8)
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.Intn(len(letters))]
		}
		add(string(b))
	}
	return out
}

// pythonResolve asks PyYAML, for each scalar, the tag SafeLoader resolves and what
// safe_load's constructor makes of it: ok and a canonical value (ints in hex, so Python's
// own 4300-digit limit cannot bite on the way out; floats by repr).
const pythonResolve = `
import json, sys, yaml
loader = yaml.SafeLoader("")
out = []
for s in json.load(sys.stdin):
    tag = loader.resolve(yaml.ScalarNode, s, (True, False))
    try:
        v = loader.construct_object(yaml.ScalarNode(tag, s), deep=True)
        ok = True
    except Exception:
        v, ok = None, False
    if not ok:
        val = ""
    elif isinstance(v, bool):
        val = str(v)
    elif isinstance(v, int):
        val = format(v, "x")
    elif isinstance(v, float):
        val = repr(v)
    elif v is None:
        val = "None"
    else:
        val = ""
    out.append([tag, ok, val])
json.dump(out, sys.stdout)
`

type resolved struct {
	Tag   string
	OK    bool
	Value string
}

func goResolve(s string) resolved {
	sc, err := Construct(s)
	r := resolved{Tag: sc.Tag.String(), OK: err == nil}
	if err != nil {
		return r
	}
	switch sc.Tag {
	case Bool:
		r.Value = map[bool]string{true: "True", false: "False"}[sc.Bool]
	case Int:
		r.Value = sc.Int.Text(16)
	case Float:
		r.Value = FloatRepr(sc.Float)
	case Null:
		r.Value = "None"
	}
	return r
}

const goldenResolve = "testdata/resolve.golden"

// TestResolveMatchesPyYAML compares Resolve and Construct with Debian's PyYAML on the
// generated table, live. Under CI (.ci/run) a missing PyYAML fails.
func TestResolveMatchesPyYAML(t *testing.T) {
	scalars := plainScalars()
	in, _ := json.Marshal(scalars)
	var rows [][3]any
	if err := json.Unmarshal(runPython(t, pythonResolve, in), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(scalars) {
		t.Fatalf("python answered %d rows for %d scalars", len(rows), len(scalars))
	}
	want := make([]resolved, len(rows))
	for i, r := range rows {
		want[i] = resolved{Tag: r[0].(string), OK: r[1].(bool), Value: r[2].(string)}
	}
	tags := map[string]int{}
	bad := 0
	for i, s := range scalars {
		tags[want[i].Tag]++
		if !want[i].OK {
			tags["construct error"]++
		}
		if got := goResolve(s); got != want[i] {
			if bad++; bad <= 30 {
				t.Errorf("%q: got %+v, PyYAML %+v", s, got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d scalars differ from PyYAML", bad, len(scalars))
	}
	t.Logf("%d scalars agree with PyYAML: %v", len(scalars), tags)
	for _, tag := range []Tag{Str, Null, Bool, Int, Float, Timestamp, Value, Merge, Indicator} {
		if tags[tag.String()] == 0 {
			t.Errorf("the table has no scalar PyYAML resolves to %s", tag)
		}
	}
	if tags["construct error"] < 10 {
		t.Errorf("the table has only %d scalars safe_load cannot construct", tags["construct error"])
	}
	if *update {
		writeGolden(t, scalars, want)
	}
}

// TestResolveGolden runs the same comparison against the table PyYAML answered when it
// was last updated (go test -update with python3-yaml installed), so it runs without Python.
func TestResolveGolden(t *testing.T) {
	f, err := os.Open(goldenResolve)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row []any // [scalar, "!!tag", ok, value]
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil || len(row) != 4 {
			t.Fatalf("%s line %d: %v (%d fields)", goldenResolve, n+1, err, len(row))
		}
		s := row[0].(string)
		want := resolved{Tag: "tag:yaml.org,2002:" + strings.TrimPrefix(row[1].(string), "!!"), OK: row[2].(bool), Value: row[3].(string)}
		if got := goResolve(s); got != want {
			t.Errorf("%q: got %+v, golden %+v", s, got, want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < len(plainScalars()) {
		t.Fatalf("%s has %d rows, the generator makes %d: run go test -update", goldenResolve, n, len(plainScalars()))
	}
}

func writeGolden(t *testing.T, scalars []string, want []resolved) {
	var b bytes.Buffer
	for i, s := range scalars {
		line, _ := json.Marshal([]any{s, "!!" + strings.TrimPrefix(want[i].Tag, "tag:yaml.org,2002:"), want[i].OK, want[i].Value})
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(goldenResolve), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenResolve, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNeedsQuotes pins the cases the three old copies disagreed on.
func TestNeedsQuotes(t *testing.T) {
	for s, want := range map[string]bool{
		"=": true, "<<": true, "yes": true, "Off": true, "y": false, "1:30": true, "1e3": false, "1.0e+3": true,
		"0o17": false, "0x1F": true, "2025-10-19": true, "2025-10-19 12:00:00": true, "null": true, "": true,
		"resnet50": false, "0.1.0": false, "1.10": true, "~": true, "True": true, "tRUE": false,
	} {
		if got := NeedsQuotes(s); got != want {
			t.Errorf("NeedsQuotes(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestConstructErrors(t *testing.T) {
	for _, s := range []string{"=", "<<", "0b_", "0x_", "2025-02-30", "2025-10-19 24:00:00", "2025-10-19T12:00:00+24", "1" + strings.Repeat("0", MaxIntDigits)} {
		if _, err := Construct(s); err == nil {
			t.Errorf("Construct(%q) succeeded; safe_load raises", s)
		} else if !strings.HasPrefix(err.Error(), "pyyaml: ") {
			t.Errorf("Construct(%q): %v lacks the package prefix", s, err)
		}
	}
	sc, err := Construct("1:30.5")
	if err != nil || sc.Float != 90.5 {
		t.Errorf("Construct(1:30.5) = %v, %v; want 90.5", sc.Float, err)
	}
	if sc, _ := Construct("-.inf"); !math.IsInf(sc.Float, -1) {
		t.Errorf("Construct(-.inf) = %v", sc.Float)
	}
}

// TestPlainNumberAgreesWithPatterns: the shortcut accepts only text that PyYAML's own
// patterns resolve to the same tag, checked on every string of up to six characters over
// the alphabet numbers are made of (and on the cases below).
func TestPlainNumberAgreesWithPatterns(t *testing.T) {
	accept := []string{"0", "-0", "7", "18", "3895", "-1", "0.5", "0.9508013093641193", "-12.25", "10.0"}
	reject := []string{"", "-", "01", "00", "1.", ".5", "1e3", "1.5e3", "+1", "1_000", "0x1F", "1:30", "2025-10-19", "1.2.3", "- 1", "٣",
		"1" + strings.Repeat("0", MaxIntDigits)}
	for _, s := range accept {
		if _, ok := PlainNumber(s); !ok {
			t.Errorf("PlainNumber(%q) refused; want it accepted", s)
		}
	}
	for _, s := range reject {
		if tag, ok := PlainNumber(s); ok {
			t.Errorf("PlainNumber(%q) = %s; want it left to the patterns", s, tag)
		}
	}
	const alphabet = "0159-.e_:"
	accepted := 0
	var walk func(s string)
	walk = func(s string) {
		if s != "" {
			if tag, ok := PlainNumber(s); ok {
				accepted++
				if want := resolveNumeric(s, s[0]); tag != want {
					t.Errorf("PlainNumber(%q) = %s, the patterns say %s", s, tag, want)
				}
			}
		}
		if len(s) < 6 {
			for i := 0; i < len(alphabet); i++ {
				walk(s + alphabet[i:i+1])
			}
		}
	}
	walk("")
	if accepted < 1000 {
		t.Fatalf("PlainNumber accepted only %d strings", accepted)
	}
}

// TestWordTablesMatchPatterns: Resolve decides bools and nulls by table; PyYAML decides them
// by reBool and reNull (through matchPy, which lets "$" match before a final newline). Both
// must agree on every string of up to four characters over the letters those words are
// made of (and a newline, a space, a tilde), and on each word in every casing and with each
// one character changed.
func TestWordTablesMatchPatterns(t *testing.T) {
	byPatterns := func(s string) (Tag, bool) {
		switch c := s[0]; {
		case strings.IndexByte("yYnNtTfFoO", c) >= 0:
			if matchPy(reBool, s) {
				return Bool, true
			}
			if (c == 'n' || c == 'N') && matchPy(reNull, s) {
				return Null, true
			}
			return Str, true
		case c == '~':
			if matchPy(reNull, s) {
				return Null, true
			}
			return Str, true
		}
		return Str, false // not a word these patterns decide
	}
	check := func(s string) bool {
		want, ok := byPatterns(s)
		if !ok {
			return false
		}
		if got := Resolve(s); got != want {
			t.Errorf("Resolve(%q) = %s, the patterns say %s", s, got, want)
		}
		return true
	}
	const alphabet = "yYeEsSnNoOtTrRuUfFaAlL~\n x"
	checked := 0
	var walk func(s string)
	walk = func(s string) {
		if s != "" && check(s) {
			checked++
		}
		if len(s) < 4 {
			for i := 0; i < len(alphabet); i++ {
				walk(s + alphabet[i:i+1])
			}
		}
	}
	walk("")
	for w := range boolWords {
		for _, s := range []string{w, strings.ToLower(w), strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:], w + "\n", w + "\n\n", w + " ", "x" + w} {
			check(s)
		}
		for i := range len(w) {
			for j := range len(alphabet) {
				check(w[:i] + alphabet[j:j+1] + w[i+1:])
			}
		}
	}
	for _, s := range []string{"null", "Null", "NULL", "nULL", "nul", "nulls", "null\n", "null\n\n", "~", "~\n", "~~", "~\n\n", "Yes\n", "off\n"} {
		check(s)
	}
	if checked < 50000 {
		t.Fatalf("checked only %d strings", checked)
	}
}
