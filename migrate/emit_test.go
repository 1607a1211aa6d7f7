package migrate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// TestEmitSameAsYAMLv3: migrating with the fast emitter (pyyaml.Emit) gives byte for byte
// what migrating with yaml.v3's encoder gives, or the same error, on every fixture and on
// thousands of edited variants (comments above, beside and below entries at every
// indentation, blank lines, CRLF, quoted keys, unicode and long strings, flow values,
// 4-space indentation), up to the latest version and down to 1.0 and 1.1.
func TestEmitSameAsYAMLv3(t *testing.T) {
	inputs, names := sortedFixtures(t, true)
	type input struct {
		name string
		src  []byte
	}
	var cases []input
	for _, p := range names {
		cases = append(cases, input{p, inputs[p]})
	}
	n := 3000
	if testing.Short() {
		n = 800
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range n {
		p := names[r.IntN(len(names))]
		if strings.HasSuffix(p, ".json") {
			continue
		}
		cases = append(cases, input{fmt.Sprintf("%s~%d", p, i), editText(r, inputs[p])})
	}

	var emitted, fellBack int
	testHookEmit = func(ok bool) {
		if ok {
			emitted++
		} else {
			fellBack++
		}
	}
	defer func() { testHookEmit = nil; encodeWithYAMLv3 = false }()
	compared := 0
	for _, c := range cases {
		name := strings.SplitN(c.name, "~", 2)[0]
		for _, o := range []Options{
			{To: "latest", ToolVersion: "0.0.0-test", Root: "/data/outputs"},
			{To: "1.0", ToolVersion: "0.0.0-test", AllowLossy: true},
			{To: "1.1", ToolVersion: "0.0.0-test", AllowLossy: true},
		} {
			encodeWithYAMLv3 = false
			fast, fastErr := MigrateBytes(name, c.src, o)
			encodeWithYAMLv3 = true
			slow, slowErr := MigrateBytes(name, c.src, o)
			switch {
			case fastErr == nil && slowErr == nil:
				if !bytes.Equal(fast.Data, slow.Data) {
					t.Fatalf("%s to %s: outputs differ\nyaml.v3:\n%s\nEmit:\n%s\ninput:\n%s", c.name, o.To, slow.Data, fast.Data, c.src)
				}
				compared++
			case fastErr != nil && slowErr != nil:
				if words(fastErr.Error()) != words(slowErr.Error()) {
					t.Fatalf("%s to %s: errors differ\nyaml.v3: %v\nEmit:    %v", c.name, o.To, slowErr, fastErr)
				}
			default:
				t.Fatalf("%s to %s: with Emit %v, with yaml.v3 %v\ninput:\n%s", c.name, o.To, fastErr, slowErr, c.src)
			}
		}
	}
	t.Logf("%d inputs × 3 targets: %d outputs compared; Emit wrote %d trees, left %d to yaml.v3", len(cases), compared, emitted, fellBack)
	if compared < 1000 || emitted < 4*fellBack {
		t.Errorf("the comparison no longer exercises Emit: %d outputs compared, %d emitted, %d fell back", compared, emitted, fellBack)
	}
}

// editText changes a sidecar's text as people do, keeping it (mostly) a valid sidecar.
func editText(r *rand.Rand, src []byte) []byte {
	lines := strings.SplitAfter(string(src), "\n")
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	comments := []string{"# c", "#", "# note: keep # this", "# é 😀", "#x"}
	for range 1 + r.IntN(5) {
		i := r.IntN(len(lines))
		l := lines[i]
		indent := len(l) - len(strings.TrimLeft(l, " "))
		body := strings.TrimRight(l, "\n")
		switch r.IntN(9) {
		case 0:
			lines[i] = strings.Repeat(" ", indent) + pick(comments) + "\n" + l
		case 1:
			if body != "" && !strings.Contains(body, "#") {
				lines[i] = body + pick([]string{" # c", "  # why", " #x"}) + "\n"
			}
		case 2:
			lines[i] = "\n" + l
		case 3:
			for j := range lines {
				if strings.HasSuffix(lines[j], "\n") && !strings.HasSuffix(lines[j], "\r\n") {
					lines[j] = strings.TrimSuffix(lines[j], "\n") + "\r\n"
				}
			}
		case 4:
			if c := strings.Index(body, ":"); c > indent && !strings.ContainsAny(body[indent:c], `'"`) {
				q := pick([]string{"'", `"`})
				lines[i] = body[:indent] + q + body[indent:c] + q + body[c:] + "\n"
			}
		case 5:
			if c := strings.Index(body, ": "); c >= 0 {
				lines[i] = body[:c+2] + pick([]string{"'é ü'", "\"tab\\there\"", "'" + strings.Repeat("long ", 30) + "'", "[a, 'b c']",
					"{x: 1}", "'it''s'", "\"\\u00e9\"", "'  lead'", "'#x'", "'- x'"}) + "\n"
			}
		case 6:
			lines = append(lines, pick(comments)+"\n")
		case 7:
			for j := range lines {
				n := len(lines[j]) - len(strings.TrimLeft(lines[j], " "))
				lines[j] = strings.Repeat(" ", n) + lines[j]
			}
		case 8:
			lines = append([]string{pick(comments) + "\n"}, lines...)
		}
	}
	return []byte(strings.Join(lines, ""))
}

// TestArenaSameAsFresh: migrating with the parse arenas kept between files gives what
// parsing into fresh memory gives, file after file, on four goroutines sharing the pool:
// no migration keeps a node of a tree past its return, and no tree sees another's nodes.
func TestArenaSameAsFresh(t *testing.T) {
	inputs, names := sortedFixtures(t, false)
	type input struct {
		name string
		src  []byte
	}
	var cases []input
	for _, p := range names {
		cases = append(cases, input{p, inputs[p]})
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 600 {
		p := names[r.IntN(len(names))]
		if !strings.HasSuffix(p, ".json") {
			cases = append(cases, input{p, editText(r, inputs[p])})
		}
	}
	o := Options{To: "latest", ToolVersion: "0.0.0-test", Root: "/data/outputs"}
	result := func(c input) string {
		m, err := MigrateBytes(c.name, c.src, o)
		if err != nil {
			return "error: " + words(err.Error())
		}
		return fmt.Sprintf("%s %s %v %v\n%s", m.From, m.To, m.Steps, m.Fixes, m.Data)
	}
	freshParse = true
	want := make([]string, len(cases))
	for i, c := range cases {
		want[i] = result(c)
	}
	freshParse = false
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for w := range 4 {
		wg.Go(func() {
			order := rand.New(rand.NewPCG(uint64(w), 1)).Perm(len(cases))
			for _, i := range order {
				if got := result(cases[i]); got != want[i] {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s:\nfresh: %s\narena: %s", cases[i].name, want[i], got))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of %d migrations differ with arenas; first:\n%s", len(bad), 4*len(cases), bad[0])
	}
	t.Logf("%d inputs × 4 goroutines: the same with arenas as with fresh memory", len(cases))
}
