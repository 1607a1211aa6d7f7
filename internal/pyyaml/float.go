package pyyaml

import (
	"math"
	"strconv"
	"strings"
)

// FloatRepr is Python's repr(float) (also str(float)): the shortest digits that read
// back as f, written with a decimal point ("1234567.0", "0.0001", "-0.0") while the
// decimal exponent lies in [-4, 16), in exponent form otherwise ("1e-05", "1e+16",
// "1.5e+300"); "nan", "inf", "-inf".
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	// Go's shortest digits are the same as Python's (both the shortest string that
	// rounds to f, the nearest one on ties), and its 'e' spelling matches repr's:
	// at least two exponent digits, no ".0" before the "e".
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if decpt := exp + 1; decpt <= -4 || decpt > 16 { // CPython's format_float_short, mode 'r'
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// FloatScalar is how PyYAML's representer writes a float (SafeRepresenter.represent_float):
// ".nan", ".inf", "-.inf", otherwise repr in lower case with ".0" put before a bare
// exponent ("1.0e-05"), because YAML 1.1's float pattern needs the dot.
func FloatScalar(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := FloatRepr(f)
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}
