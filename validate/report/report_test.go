package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// -update rewrites testdata/golden from the current output:
//
//	go test ./validate/report -update
var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// reportCase is one result set rendered in every format it lists.
type reportCase struct {
	name    string
	results []*validate.Result
	opts    Options
	formats []Format // nil = all

	// JUnit counts the case must produce (checked by TestJUnitCounts).
	junitTests, junitFailures, junitErrors, junitSuites int
}

func finding(path string, line, col int, ptr, rule string, sev validate.Severity, msg, hint string) validate.Finding {
	return validate.Finding{Path: path, Line: line, Column: col, Pointer: ptr, Rule: rule, Severity: sev, Message: msg, Hint: hint}
}

const (
	sevE = validate.SeverityError
	sevW = validate.SeverityWarning
)

func schemaErrorResults() []*validate.Result {
	a := "runs/exp1/last.ckpt.metadata.yaml"
	b := "runs/exp1/epoch=3.ckpt.metadata.yaml"
	c := "runs/exp2/best.metadata.yaml"
	return []*validate.Result{
		{Path: b, Version: "1.1", Status: validate.StatusValid},
		{Path: a, Version: "1.0", Status: validate.StatusInvalid, Findings: []validate.Finding{
			finding(a, 1, 17, "/schema_version", "yaml/unquoted-version", sevW, "schema_version is the number 1.0, not a string", "run `ckptmeta fix "+a+"`"),
			finding(a, 4, 3, "/model", "schema/required", sevE, "missing property 'name'", ""),
			finding(a, 7, 10, "/training/epoch", "schema/type", sevE, "got string, want integer", ""),
			finding(a, 9, 3, "/training/colour", "schema/unknown-key", sevW, "unknown key 'colour'", "did you mean 'color'?"),
		}},
		{Path: c, Version: "0", Status: validate.StatusInvalid, Findings: []validate.Finding{
			finding(c, 0, 0, "", "sidecar/legacy", sevW, "legacy sidecar without schema_version", "run 'ckptmeta migrate' to upgrade it"),
			finding(c, 2, 12, "/metrics/val_loss", "schema/minimum", sevE, "must be >= 0 but found -0.5", ""),
		}},
	}
}

func warningResults() []*validate.Result {
	a := "ckpts/model.ckpt.metadata.yaml"
	b := "ckpts/old.ckpt.metadata.yaml"
	return []*validate.Result{
		{Path: a, Version: "1.1", Status: validate.StatusValid, Findings: []validate.Finding{
			finding(a, 0, 0, "/checkpoint_fingerprint", "sidecar/stale", sevW, "checkpoint changed since the sidecar was written (size 1024 != 2048)", "run 'ckptmeta generate --force ckpts/model.ckpt'"),
		}},
		{Path: b, Version: "1.0", Status: validate.StatusValid, Findings: []validate.Finding{
			finding(b, 0, 0, "", "sidecar/orphan", sevW, "no checkpoint ckpts/old.ckpt beside the sidecar", ""),
		}},
	}
}

func unreadableResults() []*validate.Result {
	a := "data/locked.ckpt.metadata.yaml"
	b := "data/loop/x.ckpt.metadata.yaml"
	c := "data/ok.ckpt.metadata.yaml"
	errA := &fs.PathError{Op: "open", Path: a, Err: fs.ErrPermission}
	errB := errors.New("too many levels of symbolic links")
	return []*validate.Result{
		{Path: a, Status: validate.StatusError, Err: errA, Findings: []validate.Finding{
			finding(a, 0, 0, "", "file/unreadable", sevE, errA.Error(), ""),
		}},
		// No finding: the reporter must make one from Err.
		{Path: b, Status: validate.StatusError, Err: errB},
		{Path: c, Version: "2.0", Status: validate.StatusValid},
	}
}

func escapeResults() []*validate.Result {
	// A file name that would be a workflow command at the start of a line.
	inj := "::warning::injected.metadata.yaml"
	// A file name that is not valid UTF-8.
	bad := "bad\xffname.metadata.yaml"
	// A path and messages that need escaping in every format: workflow-command
	// property delimiters (, :), percent, XML/HTML/Markdown specials, quotes,
	// a newline, a tab, an ESC (terminal injection) and non-ASCII text.
	p := `runs/ünï cödé/模型,v1:a%b&<x>|"q".ckpt.metadata.yaml`
	return []*validate.Result{
		{Path: inj, Version: "1.0", Status: validate.StatusValid, Findings: []validate.Finding{
			finding(inj, 1, 1, "", "sidecar/orphan", sevW, "no checkpoint ::warning::injected.ckpt beside the sidecar", ""),
		}},
		{Path: bad, Version: "1.0", Status: validate.StatusInvalid, Findings: []validate.Finding{
			finding(bad, 1, 1, "/epoch", "schema/type", sevE, "got string \"\xfe\", want integer", ""),
		}},
		{Path: p, Version: "1.0", Status: validate.StatusInvalid, Findings: []validate.Finding{
			finding(p, 2, 5, "/model/name", "schema/pattern", sevE, "\"日本語 ✓\" does not match '^[a-z_]+$' <b>&amp; 100%\nsecond line\twith tab \x1b[31mred", "use [a-z_] only, e.g. `my_model`; see *docs* | #1 ~x~ !"),
			finding(p, 3, 1, "/a~1b~0c", "yaml/duplicate-key", sevE, "key \"a/b~c\" appears twice; first at line 2, col 1", ""),
			finding(p, 3, 1, "/a~1b~0c", "yaml/duplicate-key", sevE, "key \"a/b~c\" appears twice; first at line 2, col 1", ""),
		}},
	}
}

func manyResults() []*validate.Result {
	a := "big/a.ckpt.metadata.yaml"
	b := "big/b.ckpt.metadata.yaml"
	ra := &validate.Result{Path: a, Version: "1.0", Status: validate.StatusInvalid}
	for i := 1; i <= 25; i++ {
		sev, rule, msg := sevE, "schema/type", fmt.Sprintf("got string, want integer (item %d)", i)
		if i%2 == 0 {
			sev, rule, msg = sevW, "schema/unknown-key", fmt.Sprintf("unknown key 'extra_%d'", i)
		}
		ra.Findings = append(ra.Findings, finding(a, i+1, 3, fmt.Sprintf("/items/%d", i), rule, sev, msg, ""))
	}
	rb := &validate.Result{Path: b, Version: "1.0", Status: validate.StatusInvalid, Findings: []validate.Finding{
		finding(b, 2, 1, "", "yaml/syntax", sevE, "mapping values are not allowed in this context", ""),
		finding(b, 0, 0, "", "sidecar/unknown-version", sevE, "unknown schema_version \"9.9\" (known: 1.0, 1.1, 2.0)", ""),
	}}
	return []*validate.Result{ra, rb}
}

var reportCases = []reportCase{
	{name: "empty", junitTests: 0, junitSuites: 0},
	{
		name: "valid",
		results: []*validate.Result{
			{Path: "a.ckpt.metadata.yaml", Version: "1.1", Status: validate.StatusValid},
			{Path: "sub/b.metadata.yaml", Version: "2.0", Status: validate.StatusValid},
			{Path: "sub/legacy.metadata.json", Version: "0", Status: validate.StatusValid},
		},
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0"},
		junitTests: 3, junitSuites: 2,
	},
	{
		name: "schema-errors", results: schemaErrorResults(),
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0"},
		junitTests: 3, junitFailures: 2, junitSuites: 2,
	},
	{
		name: "schema-errors-color", results: schemaErrorResults(), formats: []Format{Text},
		opts: Options{Tool: "ckptmeta", Version: "0.1.0", Color: true},
	},
	{
		name: "warnings-only", results: warningResults(),
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0"},
		junitTests: 2, junitSuites: 1,
	},
	{
		name: "warnings-strict", results: warningResults(), formats: []Format{Text, JUnit, GitHub},
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0", Strict: true},
		junitTests: 2, junitFailures: 2, junitSuites: 1,
	},
	{
		name: "unreadable", results: unreadableResults(),
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0"},
		junitTests: 3, junitErrors: 2, junitSuites: 2,
	},
	{
		name: "escapes", results: escapeResults(),
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0"},
		junitTests: 3, junitFailures: 2, junitSuites: 2,
	},
	{
		// A *.metadata.json that is not checkpoint metadata: counted in every summary,
		// a <skipped> case in JUnit, no finding anywhere.
		name: "skipped",
		results: []*validate.Result{
			{Path: "docs/preprocess.metadata.json", Status: validate.StatusSkipped},
			{Path: "runs/a.ckpt.metadata.yaml", Version: "2.0", Status: validate.StatusValid},
		},
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0"},
		junitTests: 2, junitSuites: 2,
	},
	{
		name: "many", results: manyResults(),
		opts:       Options{Tool: "ckptmeta", Version: "0.1.0"},
		junitTests: 2, junitFailures: 2, junitSuites: 1,
	},
}

func (c reportCase) hasFormat(f Format) bool {
	if c.formats == nil {
		return true
	}
	for _, g := range c.formats {
		if g == f {
			return true
		}
	}
	return false
}

func summarize(rs []*validate.Result) validate.Summary {
	var s validate.Summary
	for _, r := range rs {
		s.Add(r)
	}
	return s
}

// render runs a full Report/Close cycle and returns the output, plus the step
// summary for the github format.
func render(t testing.TB, c reportCase, f Format) (out, stepSummary []byte) {
	t.Helper()
	var buf, step bytes.Buffer
	o := c.opts
	if f == GitHub {
		o.StepSummary = &step
	}
	rep, err := New(&buf, f, o)
	if err != nil {
		t.Fatalf("New(%q): %v", f, err)
	}
	for _, r := range c.results {
		if err := rep.Report(r); err != nil {
			t.Fatalf("Report(%s): %v", r.Path, err)
		}
	}
	if err := rep.Close(summarize(c.results)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes(), step.Bytes()
}

func goldenPath(name string) string { return filepath.Join("testdata", "golden", name) }

// checkGolden compares got with testdata/golden/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := goldenPath(name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading golden (run go test ./validate/report -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", p, got, want)
	}
}

func TestGolden(t *testing.T) {
	for _, c := range reportCases {
		for _, f := range Formats() {
			if !c.hasFormat(f) {
				continue
			}
			t.Run(c.name+"/"+string(f), func(t *testing.T) {
				out, step := render(t, c, f)
				checkGolden(t, c.name+"."+string(f), out)
				if f == GitHub {
					checkGolden(t, c.name+".github-step-summary.md", step)
				}
				// Same input, same bytes.
				again, _ := render(t, c, f)
				if !bytes.Equal(out, again) {
					t.Errorf("output is not deterministic")
				}
			})
		}
	}
}

// goldenCases lists the cases that have a golden file for f.
func goldenCases(f Format) []reportCase {
	var cs []reportCase
	for _, c := range reportCases {
		if c.hasFormat(f) {
			cs = append(cs, c)
		}
	}
	return cs
}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(goldenPath(name))
	if err != nil {
		t.Fatalf("reading golden (run go test ./validate/report -update to create it): %v", err)
	}
	return b
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	tests := []struct {
		name, in string
	}{
		{name: "unknown", in: "xml"},
		{name: "empty", in: ""},
		{name: "wrong case", in: "JSON"},
		{name: "gitlab not yet", in: "gitlab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFormat(tt.in)
			var ufe *UnknownFormatError
			if !errors.As(err, &ufe) || !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("ParseFormat(%q) error = %v, want *UnknownFormatError", tt.in, err)
			}
			if ufe.Format != tt.in {
				t.Errorf("Format = %q, want %q", ufe.Format, tt.in)
			}
			_, err = New(&bytes.Buffer{}, Format(tt.in), Options{})
			if !errors.As(err, &ufe) {
				t.Fatalf("New(%q) error = %v, want *UnknownFormatError", tt.in, err)
			}
			// The message is what the CLI shows; it must name every valid format.
			want := fmt.Sprintf("report: unknown format %q (valid: text, json, github, sarif, junit)", tt.in)
			if err.Error() != want {
				t.Errorf("error text = %q, want %q", err, want)
			}
		})
	}
}

func TestSummaryLine(t *testing.T) {
	tests := []struct {
		name   string
		s      validate.Summary
		strict bool
		want   string
	}{
		{name: "plural", s: validate.Summary{Files: 12, Valid: 10, Invalid: 2, Errors: 3, Warnings: 1},
			want: "12 files checked: 10 valid, 2 invalid, 0 unreadable; 3 errors, 1 warning"},
		{name: "singular", s: validate.Summary{Files: 1, Invalid: 1, Errors: 1, Warnings: 2},
			want: "1 file checked: 0 valid, 1 invalid, 0 unreadable; 1 error, 2 warnings"},
		{name: "none", s: validate.Summary{},
			want: "0 files checked: 0 valid, 0 invalid, 0 unreadable; 0 errors, 0 warnings"},
		{name: "strict with warnings", s: validate.Summary{Files: 2, Valid: 2, Warnings: 1}, strict: true,
			want: "2 files checked: 2 valid, 0 invalid, 0 unreadable; 0 errors, 1 warning (strict: warnings fail)"},
		{name: "strict without warnings", s: validate.Summary{Files: 2, Valid: 1, Errored: 1, Errors: 1}, strict: true,
			want: "2 files checked: 1 valid, 0 invalid, 1 unreadable; 1 error, 0 warnings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summaryLine(tt.s, tt.strict); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// failWriter fails every write with errDisk.
type failWriter struct{}

var errDisk = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDisk }

func TestWriteErrors(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			c := reportCases[2] // schema-errors
			rep, err := New(failWriter{}, f, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			var errs []error
			for _, r := range c.results {
				errs = append(errs, rep.Report(r))
			}
			errs = append(errs, rep.Close(summarize(c.results)))
			err = errors.Join(errs...)
			var we *WriteError
			if !errors.As(err, &we) || !errors.Is(err, errDisk) {
				t.Fatalf("errors = %v, want a *WriteError wrapping errDisk", err)
			}
			if we.Format != f {
				t.Errorf("WriteError.Format = %q, want %q", we.Format, f)
			}
		})
	}
	t.Run("step summary", func(t *testing.T) {
		var out bytes.Buffer
		rep, _ := New(&out, GitHub, Options{StepSummary: failWriter{}})
		c := reportCases[2]
		for _, r := range c.results {
			if err := rep.Report(r); err != nil {
				t.Fatal(err)
			}
		}
		err := rep.Close(summarize(c.results))
		if !errors.Is(err, errDisk) {
			t.Fatalf("Close = %v, want errDisk", err)
		}
		if !strings.Contains(out.String(), "files checked") {
			t.Errorf("main output lost when the step summary failed:\n%s", out.String())
		}
	})
}

func TestClosed(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			rep, _ := New(&bytes.Buffer{}, f, Options{})
			if err := rep.Close(validate.Summary{}); err != nil {
				t.Fatal(err)
			}
			r := &validate.Result{Path: "x.metadata.yaml", Status: validate.StatusValid}
			if err := rep.Report(r); !errors.Is(err, ErrClosed) {
				t.Errorf("Report after Close = %v, want ErrClosed", err)
			}
			if err := rep.Close(validate.Summary{}); !errors.Is(err, ErrClosed) {
				t.Errorf("second Close = %v, want ErrClosed", err)
			}
		})
	}
}

func TestRuleDescription(t *testing.T) {
	tests := []struct{ name, id, want string }{
		{name: "listed", id: "yaml/duplicate-key", want: "A mapping has the same key twice"},
		{name: "schema keyword", id: "schema/maxLength", want: `The document fails the schema's "maxLength" keyword`},
		{name: "unknown", id: "future/thing", want: "Rule future/thing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RuleDescription(tt.id); got != tt.want {
				t.Errorf("RuleDescription(%q) = %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}

func TestNilResultAndZeroSeverity(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			rep, _ := New(&buf, f, Options{})
			if err := rep.Report(nil); !errors.Is(err, ErrNilResult) {
				t.Errorf("Report(nil) = %v, want ErrNilResult", err)
			}
			// A zero Severity is a producer bug; it is shown as a warning, the
			// way validate.Result.Count counts it, never as "Severity(0)".
			r := &validate.Result{Path: "x.metadata.yaml", Version: "1.0", Status: validate.StatusValid, Findings: []validate.Finding{
				{Path: "x.metadata.yaml", Line: 1, Column: 1, Rule: "sidecar/stale", Message: "m"},
			}}
			if err := rep.Report(r); err != nil {
				t.Fatal(err)
			}
			if err := rep.Close(summarize([]*validate.Result{r})); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "Severity(") {
				t.Errorf("zero severity leaked:\n%s", buf.String())
			}
			if !strings.Contains(buf.String(), "warning") {
				t.Errorf("zero severity not shown as warning:\n%s", buf.String())
			}
		})
	}
}
