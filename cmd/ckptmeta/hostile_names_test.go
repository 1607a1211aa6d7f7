package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileNames are file and directory names that try to forge output (issue 14 §3): a fake
// finding line, terminal escapes (title, clear screen), GitHub workflow commands, bidi
// reordering, invalid UTF-8, tabs and CR, and spreadsheet formulas.
var hostileNames = []string{
	"a\nFORGED.ckpt.metadata.yaml:1:1: error: injected [x]\nb",
	"t\x1b]0;pwned\a\x1b[2Jx",
	"::error file=x::forged",
	"log ##[error]forged",
	"evil\u202egnp\u2066",
	"bad\xffname\xc2\x85nel",
	"tab\tname\rcr",
	`=HYPERLINK("evil.example","x")`,
	"@SUM(1+1)",
	"+cmd",
	"-2+3",
	"<script>alert(1)<\\script>",
}

var hostileDirs = []string{
	"=cmd|' -C calc'!A0\x1b[31m",
	"exp\nFORGED.ckpt.metadata.yaml:2:2: error: injected [y]",
}

// hostileTree makes outputs/<hostile dir>/checkpoints/<hostile name>.ckpt from a real
// checkpoint written by torch.save, a garbage checkpoint and an invalid orphan sidecar, both
// with hostile names. It returns the outputs dir and every checkpoint it made.
func hostileTree(t *testing.T) (string, []string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("these names (newline, ESC, quotes, <, >, |) are not valid on Windows")
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "generate", "testdata", "hydra", "outputs", "decoder_benchmark", "checkpoints", "epoch-02_step-000300.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "outputs")
	var ckpts []string
	for i, dir := range hostileDirs {
		cdir := filepath.Join(out, dir, "checkpoints")
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			t.Fatal(err)
		}
		for j, name := range hostileNames {
			if (i+j)%2 == 1 {
				continue // each name once, spread over both directories
			}
			p := filepath.Join(cdir, name+".ckpt")
			if err := os.WriteFile(p, src, 0o644); err != nil {
				t.Fatal(err)
			}
			ckpts = append(ckpts, p)
		}
	}
	garbage := filepath.Join(out, hostileDirs[0], "checkpoints", "g\x1b[2J\nFORGED.ckpt:1:1: error: injected [z]\n.ckpt")
	if err := os.WriteFile(garbage, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	ckpts = append(ckpts, garbage)
	orphan := filepath.Join(out, hostileDirs[1], "checkpoints", "o\x1b]0;x\a\nFORGED:1:1: error: injected [o]\n.ckpt.metadata.yaml")
	if err := os.WriteFile(orphan, []byte("schema_version: '1.0'\nexp_name: [1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, ckpts
}

// unsafeText finds what text output must never hold: invalid UTF-8, control characters other
// than line feed, Unicode line separators and bidi controls, the runner's "##[" command, and
// a line that starts with a forged finding or a workflow command.
func unsafeText(s string, github bool) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == '\u2028', r == '\u2029',
			r == '\u061c', r == '\u200e', r == '\u200f', r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return "raw " + strings.TrimPrefix(jsonQuote(string(r)), "\"")
		}
	}
	if strings.Contains(s, "##[") {
		return `raw "##["`
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "FORGED") || strings.HasPrefix(strings.TrimSpace(line), "FORGED") {
			return "a forged line: " + line
		}
		if l := strings.TrimLeft(line, " \t"); strings.HasPrefix(l, "::") &&
			!(github && (strings.HasPrefix(l, "::error file=") || strings.HasPrefix(l, "::warning file=") || strings.HasPrefix(l, "::notice::"))) {
			return "a workflow command: " + line
		}
	}
	return ""
}

func jsonQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// ckptRun runs the command line in-process and returns its exit code and outputs.
func ckptRun(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHostileNames(t *testing.T) {
	out, ckpts := hostileTree(t)
	missing := filepath.Join(out, "gone\x1b[2J\nFORGED.metadata.yaml:1:1: error: injected [m]")

	type step struct {
		args   []string
		format string // how stdout must parse: text, github, json, junit, csv, prometheus, html, yaml
		codes  []int  // acceptable exit codes
	}
	steps := []step{
		{[]string{"generate", "--dry-run", out}, "yaml", []int{1}},
		{[]string{"generate", out}, "text", []int{1}},
		{[]string{"generate", "--dry-run", "--force", out}, "yaml", []int{1}},
		{[]string{"validate", missing}, "text", []int{1}},
	}
	for _, f := range []string{"text", "json", "github", "sarif", "junit"} {
		steps = append(steps, step{[]string{"validate", "-o", f, out}, f, []int{1}})
	}
	steps = append(steps,
		step{[]string{"migrate", "--to", "1.0", "--dry-run", "--diff", out}, "text", []int{0, 1}},
		step{[]string{"migrate", "--to", "1.0", "--dry-run", "-o", "json", out}, "json", []int{0, 1}},
		step{append([]string{"inspect"}, ckpts...), "text", []int{1}},
		step{append([]string{"inspect", "-o", "json"}, ckpts...), "json", []int{1}},
		step{[]string{"status", "-v", out}, "text", []int{0, 1}},
		step{[]string{"status", "-o", "json", out}, "json", []int{0, 1}},
		step{[]string{"status", "-o", "prometheus", out}, "prometheus", []int{0, 1}},
		step{[]string{"status", "-o", "html", out}, "html", []int{0, 1}},
		step{[]string{"list", "--fallback", out}, "text", []int{0, 1}},
		step{[]string{"list", "-o", "json", out}, "json", []int{0, 1}},
		step{[]string{"list", "-o", "csv", "--fallback", out}, "csv", []int{0, 1}},
		step{[]string{"schema", "list"}, "text", []int{0}},
		step{[]string{"status", "-o", "nope\x1b[2J\nFORGED:1:1: error: injected", out}, "text", []int{2}},
	)
	// The machine formats carry the exact names (JSON can hold any valid UTF-8 string).
	t.Run("list -o json names exactly", func(t *testing.T) {
		_, stdout, _ := ckptRun("list", "-o", "json", "--fallback", out)
		var doc struct {
			Entries []struct{ Checkpoint, Experiment string }
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, e := range doc.Entries {
			got[e.Checkpoint] = true
			got[e.Experiment] = true
		}
		for _, c := range ckpts {
			if utf8.ValidString(c) && !got[c] {
				t.Errorf("%q is not in the catalog exactly", c)
			}
		}
		for _, d := range hostileDirs {
			if !got[d] {
				t.Errorf("experiment %q is not in the catalog exactly", d)
			}
		}
	})
	t.Run("a path that is not UTF-8 is refused by name", func(t *testing.T) {
		_, _, stderr := ckptRun("generate", "--dry-run", out)
		if !strings.Contains(stderr, `bad\xffname\x85nel.ckpt: generate: checkpoint path is not valid UTF-8`) {
			t.Errorf("stderr:\n%s", stderr)
		}
	})
	for _, s := range steps {
		name := strings.Join(s.args[:min(3, len(s.args))], " ")
		t.Run(jsonQuote(name), func(t *testing.T) {
			code, stdout, stderr := ckptRun(s.args...)
			ok := false
			for _, c := range s.codes {
				ok = ok || c == code
			}
			if !ok {
				t.Errorf("exit %d, want one of %v\nstderr:\n%s", code, s.codes, stderr)
			}
			if why := unsafeText(stderr, false); why != "" {
				t.Errorf("stderr: %s\n%s", why, stderr)
			}
			if why := unsafeText(stdout, s.format == "github"); why != "" {
				t.Errorf("stdout: %s\n%s", why, stdout)
			}
			checkFormat(t, s.format, stdout)
		})
	}
}

var promLine = regexp.MustCompile(`^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? [0-9.e+-]+$`)

// checkFormat asserts that out still parses as its format, record by record.
func checkFormat(t *testing.T, format, out string) {
	t.Helper()
	switch format {
	case "json", "sarif":
		dec := json.NewDecoder(strings.NewReader(out))
		n := 0
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			n++
		}
		if n == 0 {
			t.Errorf("no JSON document")
		}
	case "junit":
		if err := xml.Unmarshal([]byte(out), new(struct{})); err != nil {
			t.Errorf("not XML: %v\n%s", err, out)
		}
	case "csv":
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("not CSV: %v", err)
		}
		if lines := strings.Count(out, "\n"); lines != len(recs) {
			t.Errorf("%d lines for %d records: a record spans lines", lines, len(recs))
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !regexp.MustCompile(`^-?[0-9.]+$`).MatchString(cell) {
					t.Errorf("cell %q starts a formula", cell)
				}
			}
		}
	case "prometheus":
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if !strings.HasPrefix(line, "#") && !promLine.MatchString(line) {
				t.Errorf("not an exposition line: %q", line)
			}
		}
	case "html":
		if strings.Contains(out, "<script>alert") {
			t.Errorf("raw <script> in the page")
		}
	case "yaml":
		// The dry-run documents: each "# would write" header is one line, and the documents
		// must be what would be written (checked by the test that writes them).
		if !strings.Contains(out, "# would write ") {
			t.Errorf("no document printed:\n%s", out)
		}
	}
}
