package pyyaml

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// gen writes random documents that are mostly inside the subset, so that the
// differential check exercises acceptance, not just refusal. Its choices come from a
// byte stream, so the fuzzer can steer it too.
type gen struct {
	choices []byte
	b       strings.Builder
}

func (g *gen) pick(n int) int {
	if len(g.choices) == 0 {
		return 0
	}
	c := g.choices[0]
	g.choices = g.choices[1:]
	return int(c) % n
}

// Tokens in the subset, and tokens outside it or at its edge (picked one time in ten).
var (
	genKeys = []string{"a", "name", "in_channels", "val/hmean", "k-1", "x y", "'q'", `"d q"`, "1", "null", "true", "é", "ключ",
		"k:v", "a#b", "''", "'it''s'", `"a: b"`, "-k", ".5", "0x1F", "y", "on", "a ", "~", "1.5", `"\u00e9"`}
	oddKeys    = []string{"2025-01-01", "<<", "?x", "&a", "!t", "[a]", "{a: b}", "- a", "a #c", "a\tb", "---", ""}
	genScalars = []string{"x", "resnet50", "0", "-0", "+1", "18", "3895", "0.95", "1e3", "1E-3", ".5", "-.5", "1.", "0x1F", "0o17",
		"017", "09", "0b101", "-0b11", "1_000", "9223372036854775808", "18446744073709551616", "1e400", ".inf", "-.Inf", ".NaN",
		"null", "~", "Null", "true", "False", "yes", "on", "y", "12:30:00", "1.2.3", "2.2.0", "'2025-10-19'",
		"''", "'x #y'", "'it''s'", `""`, `"a: b"`, `"\x41\u00e9\\"`, `"\N\_\L\P\e\ "`, "a b  c", "a#b", "http://x/y",
		"-x", "[]", "{}", "[1, 2]", "[ a , 'b' ,\"c\" ]", "{a: 1, b: [x]}", "{a: {b: c}}", "[[1], {}]", "ü", "😀 x", "=", "x,y", "a[1]"}
	oddScalars = []string{"2025-10-19", "2025-10-19T13:36:50", `"\/"`, "a #b", "- x", "-", "[a, ]", "[a: b]", "{a}", "{a:1}",
		"@x", "*a", "&a x", "!!str 1", "|", ">", "x:", "a: b", "'unclosed", "<<", "%x", "`x`", ",x", "]", "}", "? x", ": x",
		"#c", "x\t", "...", "[a,\n b]", "'a\n b'", "x\r", "\ufeffx", "\x01", "\xff"}
)

func (g *gen) str(list []string) string { return list[g.pick(len(list))] }

func (g *gen) key() string {
	if g.pick(10) == 0 {
		return g.str(oddKeys)
	}
	return g.str(genKeys)
}

func (g *gen) scalar() string {
	if g.pick(10) == 0 {
		return g.str(oddScalars)
	}
	return g.str(genScalars)
}

// doc writes a document: a block mapping or sequence, sometimes with a top comment.
func (g *gen) doc() string {
	g.b.Reset()
	switch g.pick(8) {
	case 0:
		g.b.WriteString("# top\n")
	case 1:
		g.b.WriteString("# top  \n#\n\n")
	case 2:
		g.b.WriteString("\n")
	}
	if g.pick(5) == 0 {
		g.seq(0, g.pick(3), 0)
	} else {
		g.mapping(0, g.pick(4), 0, "")
	}
	if g.pick(6) == 0 {
		g.b.WriteString(g.str([]string{"\n", "   ", "# end\n", "---\nb: 1\n", "...\n", "  x\n"}))
	}
	return g.b.String()
}

func (g *gen) indent(n int) { g.b.WriteString(strings.Repeat(" ", n)) }

// mapping writes n+1 entries at indent; first, when set, replaces the first indentation
// (for "- key: v" items).
func (g *gen) mapping(ind, n, depth int, first string) {
	for i := 0; i <= n; i++ {
		if i == 0 && first != "" {
			g.b.WriteString(first)
		} else {
			g.indent(ind)
		}
		g.b.WriteString(g.key())
		g.b.WriteString(g.str([]string{":", ":", " :", ":  "}))
		g.value(ind, depth, true)
	}
}

func (g *gen) seq(ind, n, depth int) {
	for i := 0; i <= n; i++ {
		g.indent(ind)
		g.b.WriteString("-")
		if depth < 4 && g.pick(4) == 0 {
			g.mapping(ind+2, g.pick(3), depth+1, g.str([]string{" ", "   "}))
			continue
		}
		g.value(ind, depth, false)
	}
}

// value writes what follows a ':' or '-': a scalar on the line, or a block below.
func (g *gen) value(ind, depth int, inMap bool) {
	if depth < 4 && g.pick(3) == 0 {
		g.b.WriteString(g.str([]string{"\n", "  \n", "\n\n"}))
		step := 1 + g.pick(4)
		switch g.pick(4) {
		case 0:
			if inMap {
				g.seq(ind, g.pick(3), depth+1) // PyYAML's indentless sequence
				return
			}
			g.seq(ind+step, g.pick(3), depth+1)
		case 1:
			g.seq(ind+step, g.pick(3), depth+1)
		case 2:
			g.mapping(ind+step, g.pick(3), depth+1, "")
		default: // an empty value, null
		}
		return
	}
	g.b.WriteString(g.str([]string{" ", " ", "  "}))
	g.b.WriteString(g.scalar())
	if g.pick(10) == 0 {
		g.b.WriteString(g.str([]string{" # c\n", "\n  more\n", "\n\tx: 1\n", "\r\n"}))
	} else {
		g.b.WriteString(g.str([]string{"\n", "\n", "\n", "  \n"}))
	}
}

// TestGenerated runs the differential check on many generated documents and requires
// that a good share is accepted, so the check is not vacuous.
func TestGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	accepted, total := 0, 20000
	for range total {
		choices := make([]byte, 256)
		for i := range choices {
			choices[i] = byte(r.UintN(256))
		}
		g := &gen{choices: choices}
		if check(t, []byte(g.doc())) {
			accepted++
		}
	}
	t.Logf("accepted %d of %d generated documents", accepted, total)
	if accepted < total/4 {
		t.Fatalf("only %d of %d generated documents accepted; the generator no longer exercises the fast path", accepted, total)
	}
}

// FuzzGenerated lets the fuzzer steer the generator.
func FuzzGenerated(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte("\x03\x00\x02\x01\x00\x05\x07\x00\x00\x01\x03\x02\x00\x00\x09\x00"))
	f.Fuzz(func(t *testing.T, choices []byte) {
		g := &gen{choices: choices}
		check(t, []byte(g.doc()))
	})
}
