package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// hostileShapes are the inputs that grew without bound before the node budget: each
// comes in a size just under the budget and one far over it (a 1 MiB file).
func hostileShapes(n int) map[string]string {
	// Sizes follow countNodes: a flow item or a "- x" costs 2, a "k: 1" line 3.
	var keys, nulls strings.Builder
	keys.WriteString("schema_version: '1.0'\n")
	for i := 0; i < n/3-3; i++ {
		fmt.Fprintf(&keys, "k%d: 1\n", i)
	}
	nulls.WriteString("x: {")
	for i := 0; i < n/2-3; i++ {
		fmt.Fprintf(&nulls, "k%d,", i)
	}
	nulls.WriteString("}\n")
	return map[string]string{
		"flow list":          "schema_version: '1.0'\nx: [" + strings.Repeat("0,", n/2-5) + "0]\n",
		"block list":         "schema_version: '1.0'\nx:\n" + strings.Repeat("- 0\n", n/2-5),
		"unknown keys":       keys.String(),
		"flow keys, no vals": nulls.String(),
		"duplicate keys":     "x: {" + strings.Repeat("a,", n/2-3) + "}\n",
		"nesting":            strings.Repeat("[", n/2-1) + strings.Repeat("]", n/2-1),
		"aliases":            "a: &a [" + strings.Repeat("0,", 100) + "0]\nb: [" + strings.Repeat("*a,", n/2-110) + "*a]\n",
	}
}

// allocated returns the bytes f allocates, with the collector off: an upper bound of the
// heap f adds at its peak.
func allocated(f func()) uint64 {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestHostileYAMLMemory: no single input costs the validator more than 64 MB, whatever
// its shape; over the node budget, the file is refused before any tree is built.
func TestHostileYAMLMemory(t *testing.T) {
	const limit = 64 << 20
	v := New(nil, Options{})
	for _, size := range []struct {
		name  string
		nodes int
	}{{"under budget", MaxNodes - 10}, {"over budget", 1 << 20}} {
		for name, src := range hostileShapes(size.nodes) {
			if len(src) > MaxFileSize {
				src = src[:MaxFileSize]
			}
			var res *Result
			got := allocated(func() { res = v.ValidateBytes("h.yaml", []byte(src)) })
			t.Logf("%s, %s: %d bytes in, %.1f MB allocated, %d findings", size.name, name, len(src), float64(got)/(1<<20), len(res.Findings))
			if got > limit {
				t.Errorf("%s, %s: %d bytes allocated, over %d", size.name, name, got, limit)
			}
			if len(res.Findings) > MaxFindings+1 {
				t.Errorf("%s, %s: %d findings kept", size.name, name, len(res.Findings))
			}
			budget := false
			for _, f := range res.Findings {
				budget = budget || f.Rule == "yaml/node-budget"
			}
			if want := size.nodes > MaxNodes; budget != want {
				t.Errorf("%s, %s: yaml/node-budget reported %v, want %v: %v", size.name, name, budget, want, res.Findings)
			}
		}
	}
}

func TestNodeBudgetCountsWords(t *testing.T) {
	for _, c := range []struct {
		src   string
		count int
	}{
		{"", 0},
		{"a: 1\n", 3}, // the key pays for the empty value it may imply
		{"a: [1, 2, {b: c}]\n", 11},
		{"- x\n- 'a, b'\n", 6}, // quoted text counts per word: an over-estimate, never under
		{"a: b # c d\n", 6},    // so do comments
		{"k: a,'\nj: [0,0,0]\n", 13},
	} {
		if got, _ := countNodes([]byte(c.src), 1<<30); got != c.count {
			t.Errorf("countNodes(%q) = %d, want %d", c.src, got, c.count)
		}
	}
	if n, line := countNodes([]byte("a: 1\nb: [1,2,3]\n"), 4); n != 5 || line != 2 {
		t.Errorf("stops at %d, line %d; want 5, line 2", n, line)
	}
}

// TestNodeCountBound: Parse skips countNodes for files of at most MaxNodes/2 bytes because
// countNodes never counts more than two per byte; this holds on every string of up to six
// bytes over the characters it distinguishes, on the densest text (": " repeated, flow
// commas), and a file over the budget is still refused.
func TestNodeCountBound(t *testing.T) {
	const alphabet = "a: ,[{}]\n\t#'"
	var walk func(s string)
	walk = func(s string) {
		if n, _ := countNodes([]byte(s), 1<<30); n > 2*len(s) {
			t.Fatalf("countNodes(%q) = %d, more than two per byte", s, n)
		}
		if len(s) < 6 {
			for i := 0; i < len(alphabet); i++ {
				walk(s + alphabet[i:i+1])
			}
		}
	}
	walk("")
	for _, s := range []string{strings.Repeat(":", MaxNodes), strings.Repeat("a: ", MaxNodes/3), strings.Repeat(",", MaxNodes), strings.Repeat("a:\n", MaxNodes/3)} {
		n, _ := countNodes([]byte(s), 1<<30)
		if n > 2*len(s) {
			t.Errorf("countNodes(%.20q...) = %d for %d bytes", s, n, len(s))
		}
		if n > MaxNodes && !mayExceedNodes(len(s), MaxNodes) {
			t.Errorf("%d bytes holding %d nodes would skip the count", len(s), n)
		}
	}
	if _, fs := Parse("x.yaml", []byte(strings.Repeat("[a,b,c,d]\n", MaxNodes/4))); !hasRule(fs, "yaml/node-budget") {
		t.Errorf("a flow list of %d nodes is not refused", MaxNodes+MaxNodes/4)
	}
}

func hasRule(fs []Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// TestPositionsAreLinear: placing N unknown keys costs time linear in N (they were
// looked up by scanning the mapping once per key: 100,000 keys took minutes).
func TestPositionsAreLinear(t *testing.T) {
	doc := func(n int) []byte {
		var b strings.Builder
		b.WriteString("schema_version: '1.0'\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "k%d: 1\n", i)
		}
		return []byte(b.String())
	}
	keys := MaxNodes/3 - 2
	d, _ := Parse("p.yaml", doc(keys))
	if d == nil {
		t.Fatal("no document")
	}
	start := time.Now()
	for pass := 0; pass < 3; pass++ { // 25,000 look-ups in all
		for i := 0; i < keys; i++ {
			if line, _ := d.Position(fmt.Sprintf("/k%d", i), true); line != i+2 {
				t.Fatalf("/k%d at line %d, want %d", i, line, i+2)
			}
		}
	}
	// Linear: 25,000 look-ups over 8,000 keys take milliseconds (the quadratic scan took 21 s
	// for 25,000 look-ups over 25,000 keys, so ~7 s over 8,000 by estimate, and 6.5
	// minutes for 100,000 unknown keys through Check).
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("%d look-ups took %v", 3*keys, el)
	}
}

// TestEmptyScalarsDoNotPanic: the inputs that panicked the validator (an empty plain
// scalar reached s[0]); ValidateBytes does not recover, so a panic fails the test.
func TestEmptyScalarsDoNotPanic(t *testing.T) {
	v := New(nil, Options{})
	for _, src := range emptyScalarInputs {
		r := v.ValidateBytes("e.yaml", []byte(src))
		for _, f := range r.Findings {
			if f.Rule == "internal/error" {
				t.Errorf("%q: %v", src, f)
			}
		}
	}
}

var emptyScalarInputs = []string{"0:\n", "a: !!int\n", "---\n---\n", "a:\n", "schema_version: '1.0'\nb:\n", "- \n", "? \n"}

// TestFuzzCorpusHoldsEmptyScalars: the fuzzer's corpus keeps the inputs that found the panic.
func TestFuzzCorpusHoldsEmptyScalars(t *testing.T) {
	for i, src := range emptyScalarInputs[:3] {
		b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParse", fmt.Sprintf("empty-tag-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", src); string(b) != want {
			t.Errorf("corpus file %d = %q, want %q", i, b, want)
		}
	}
}
