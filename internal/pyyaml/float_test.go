package pyyaml

import (
	"encoding/json"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// testFloats generates the floats whose spelling is easy to get wrong: powers of ten
// and their neighbours over the whole range (the 1e16 and 1e-4/1e-5 switches to the
// exponent form among them), subnormals, ±0, integers near 2^53, values with 17
// significant digits, the non-finite ones, and random bit patterns.
func testFloats() []float64 {
	var out []float64
	near := func(f float64) {
		out = append(out, f, math.Nextafter(f, math.Inf(1)), math.Nextafter(f, math.Inf(-1)))
	}
	for e := -325; e <= 309; e++ {
		f, _ := strconv.ParseFloat("1e"+strconv.Itoa(e), 64)
		near(f)
		near(-f)
		g, _ := strconv.ParseFloat("1.5e"+strconv.Itoa(e), 64)
		out = append(out, g)
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1234567.0, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 100, 1e15, 9999999999999998,
		1e16, 12345678901234567890, 0.0001, 0.00001, 0.000123, 0.0000999, 9.999999999999999e-05, 1 << 53, 1<<53 + 2,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308, 2.225073858507201e-308, 5e-324 * 3,
		math.Pi, math.E, 87.4, 0.8734, 1e22, 1e23, 5e-310, math.NaN(), math.Inf(1), math.Inf(-1)} {
		near(f)
	}
	rng := rand.New(rand.NewSource(10))
	for i := 0; i < 3000; i++ {
		out = append(out, math.Float64frombits(rng.Uint64()))
		out = append(out, math.Round(rng.Float64()*1e6)/math.Pow(10, float64(rng.Intn(12))))
	}
	return out
}

const pythonFloats = `
import json, struct, sys, yaml
rep = yaml.representer.SafeRepresenter()
out = []
for bits in json.load(sys.stdin):
    f = struct.unpack("<d", struct.pack("<Q", bits))[0]
    out.append([repr(f), rep.represent_float(f).value])
json.dump(out, sys.stdout)
`

// TestFloatMatchesPython compares FloatRepr with Python's repr(float) and FloatScalar
// with PyYAML's SafeRepresenter.represent_float, on every generated float.
func TestFloatMatchesPython(t *testing.T) {
	floats := testFloats()
	bits := make([]uint64, len(floats))
	for i, f := range floats {
		bits[i] = math.Float64bits(f)
	}
	in, _ := json.Marshal(bits)
	var want [][2]string
	if err := json.Unmarshal(runPython(t, pythonFloats, in), &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(floats) {
		t.Fatalf("python answered %d rows for %d floats", len(want), len(floats))
	}
	bad, exp := 0, 0
	for i, f := range floats {
		if strings.Contains(want[i][0], "e") {
			exp++
		}
		if got := FloatRepr(f); got != want[i][0] {
			if bad++; bad <= 20 {
				t.Errorf("FloatRepr(%b) = %s, repr %s", f, got, want[i][0])
			}
		}
		if got := FloatScalar(f); got != want[i][1] {
			if bad++; bad <= 20 {
				t.Errorf("FloatScalar(%b) = %s, PyYAML %s", f, got, want[i][1])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d differences over %d floats", bad, len(floats))
	}
	t.Logf("%d floats agree with Python (%d in exponent form)", len(floats), exp)
}

// TestFloatRepr pins the spellings the issue names, so they are checked without Python.
func TestFloatRepr(t *testing.T) {
	for _, tc := range []struct {
		f           float64
		repr, yamlv string
	}{
		{1234567.0, "1234567.0", "1234567.0"},
		{1e16, "1e+16", "1.0e+16"},
		{9999999999999998, "9999999999999998.0", "9999999999999998.0"},
		{1e-4, "0.0001", "0.0001"},
		{1e-5, "1e-05", "1.0e-05"},
		{1.5e-7, "1.5e-07", "1.5e-07"},
		{math.Copysign(0, -1), "-0.0", "-0.0"},
		{5e-324, "5e-324", "5.0e-324"},
		{math.Inf(-1), "-inf", "-.inf"},
		{math.NaN(), "nan", ".nan"},
	} {
		if got := FloatRepr(tc.f); got != tc.repr {
			t.Errorf("FloatRepr(%v) = %s, want %s", tc.f, got, tc.repr)
		}
		if got := FloatScalar(tc.f); got != tc.yamlv {
			t.Errorf("FloatScalar(%v) = %s, want %s", tc.f, got, tc.yamlv)
		}
	}
}
