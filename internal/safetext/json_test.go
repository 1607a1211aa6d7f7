package safetext

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestJSONWriter(t *testing.T) {
	names := []string{"evil\u202egnp\u2066", "nel\u0085 csi\u009b", "plain ünï 日本", "a\nb\x1b[2J", "ls\u2028", "log ##[error]x", "#", "##"}
	doc, err := json.Marshal(map[string]any{"names": names})
	if err != nil {
		t.Fatal(err)
	}
	// Every split point: a character cut in two must come out whole.
	for cut := 0; cut <= len(doc); cut++ {
		var out bytes.Buffer
		w := JSONWriter(&out)
		if _, err := w.Write(doc[:cut]); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(doc[cut:]); err != nil {
			t.Fatal(err)
		}
		var back struct{ Names []string }
		if err := json.Unmarshal(out.Bytes(), &back); err != nil {
			t.Fatalf("cut %d: %v\n%s", cut, err, out.Bytes())
		}
		if len(back.Names) != len(names) {
			t.Fatalf("cut %d: %q", cut, back.Names)
		}
		for i := range names {
			if back.Names[i] != names[i] {
				t.Errorf("cut %d: %q came back as %q", cut, names[i], back.Names[i])
			}
		}
		if bytes.Contains(out.Bytes(), []byte("##[")) {
			t.Fatalf("cut %d: raw ##[ in %s", cut, out.Bytes())
		}
		for _, r := range out.String() {
			if r == utf8.RuneError || unsafeRune(r) && r != '\n' {
				t.Fatalf("cut %d: raw %U in %s", cut, r, out.Bytes())
			}
		}
	}
}
