package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ckptmeta/ckptmeta/validate"
)

// sarifSchemaPath finds the official SARIF 2.1.0 schema: $SARIF_SCHEMA, else
// where testdata/install-sarif-schema.sh puts it.
func sarifSchemaPath() string {
	if p := os.Getenv("SARIF_SCHEMA"); p != "" {
		return p
	}
	return filepath.Join("testdata", "node_modules", "@microsoft", "sarif-multitool-linux", "sarif-2.1.0.json")
}

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	p := sarifSchemaPath()
	f, err := os.Open(p)
	if err != nil {
		// On a developer's machine the schema is optional (the README's `go test ./...` must
		// pass on a fresh clone); under CI (.ci/run installs it) its absence is a failure.
		if os.Getenv("CI") == "" {
			t.Skipf("SARIF 2.1.0 schema not installed (%v); install it with: bash validate/report/testdata/install-sarif-schema.sh", err)
		}
		t.Fatalf("SARIF 2.1.0 schema not found: %v\n"+
			"install it with: bash validate/report/testdata/install-sarif-schema.sh, or point SARIF_SCHEMA at sarif-2.1.0.json", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parsing %s: %v", p, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // uri-reference: artifact URIs must really be URIs
	const url = "file:///sarif-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compiling %s: %v", p, err)
	}
	return sch
}

func TestSARIFSchema(t *testing.T) {
	sch := compileSARIFSchema(t)
	for _, c := range goldenCases(SARIF) {
		t.Run(c.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(readGolden(t, c.name+".sarif")))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s.sarif does not conform to SARIF 2.1.0:\n%v", c.name, err)
			}
		})
	}
	// The check can fail: logs broken in ways our writer must never produce.
	broken := []struct{ name, old, new string }{
		{name: "bad level", old: `"level": "error"`, new: `"level": "fatal"`},
		{name: "raw percent in uri", old: `"uri": "runs/exp1/last.ckpt.metadata.yaml"`, new: `"uri": "runs/exp1/100%.yaml"`},
		{name: "line zero", old: `"startLine": 4`, new: `"startLine": 0`},
	}
	for _, tt := range broken {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			src := readGolden(t, "schema-errors.sarif")
			b := bytes.Replace(src, []byte(tt.old), []byte(tt.new), 1)
			if bytes.Equal(b, src) {
				t.Fatalf("golden has no %s", tt.old)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if sch.Validate(inst) == nil {
				t.Errorf("schema accepted %s", tt.new)
			}
		})
	}
}

// sarifDoc is the part of a SARIF log the content checks read.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID               string `json:"id"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		ColumnKind string `json:"columnKind"`
		Results    []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

// TestSARIFContent checks what the schema cannot: results match the input
// findings one to one, rules are sorted and indexed right, fingerprints are
// sha256(path|pointer|rule) and unique.
func TestSARIFContent(t *testing.T) {
	for _, c := range goldenCases(SARIF) {
		t.Run(c.name, func(t *testing.T) {
			var doc sarifDoc
			if err := json.Unmarshal(readGolden(t, c.name+".sarif"), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
				t.Fatalf("version %q with %d runs, want 2.1.0 with 1 run", doc.Version, len(doc.Runs))
			}
			run := doc.Runs[0]
			if run.ColumnKind != "unicodeCodePoints" || run.Tool.Driver.Name != "ckptmeta" {
				t.Errorf("columnKind %q, driver %q", run.ColumnKind, run.Tool.Driver.Name)
			}
			var ids []string
			for _, r := range run.Tool.Driver.Rules {
				ids = append(ids, r.ID)
				if r.ShortDescription.Text == "" {
					t.Errorf("rule %s has no shortDescription", r.ID)
				}
			}
			if !sort.StringsAreSorted(ids) {
				t.Errorf("rules not sorted: %v", ids)
			}
			var want []validate.Finding
			wantRules := map[string]bool{}
			for _, r := range c.results {
				for _, f := range findings(r) {
					want = append(want, f)
					wantRules[f.Rule] = true
				}
			}
			if len(ids) != len(wantRules) {
				t.Errorf("rules %v, want one per rule id seen (%d)", ids, len(wantRules))
			}
			if len(run.Results) != len(want) {
				t.Fatalf("%d results, want %d", len(run.Results), len(want))
			}
			prints := map[string]bool{}
			for i, res := range run.Results {
				f := want[i]
				if res.RuleID != f.Rule || ids[res.RuleIndex] != f.Rule {
					t.Errorf("result %d: ruleId %q ruleIndex %d, want %q", i, res.RuleID, res.RuleIndex, f.Rule)
				}
				if res.Level != f.Severity.String() {
					t.Errorf("result %d: level %q, want %q", i, res.Level, f.Severity)
				}
				if !strings.HasPrefix(res.Message.Text, strings.ToValidUTF8(f.Message, "\uFFFD")) {
					t.Errorf("result %d: message %q does not start with %q", i, res.Message.Text, f.Message)
				}
				loc := res.Locations[0].PhysicalLocation
				if (loc.Region == nil) != (f.Line == 0) {
					t.Errorf("result %d: region %v for line %d", i, loc.Region, f.Line)
				}
				if loc.Region != nil && (loc.Region.StartLine != f.Line || loc.Region.StartColumn != f.Column) {
					t.Errorf("result %d: region %+v, want %d:%d", i, *loc.Region, f.Line, f.Column)
				}
				fp := res.PartialFingerprints["ckptmeta/v1"]
				if prints[fp] {
					t.Errorf("result %d: duplicate fingerprint %s", i, fp)
				}
				prints[fp] = true
				sum := sha256.Sum256([]byte(f.Path + "|" + f.Pointer + "|" + f.Rule))
				first := hex.EncodeToString(sum[:])
				// The first occurrence of a triple hashes exactly path|pointer|rule.
				if i == 0 || !sameTriple(want[i-1], f) {
					if fp != first {
						t.Errorf("result %d: fingerprint %s, want sha256(%q) = %s", i, fp, f.Path+"|"+f.Pointer+"|"+f.Rule, first)
					}
				}
			}
		})
	}
}

func sameTriple(a, b validate.Finding) bool {
	return a.Path == b.Path && a.Pointer == b.Pointer && a.Rule == b.Rule
}

func TestSARIFURI(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "runs/a.ckpt.metadata.yaml", want: "runs/a.ckpt.metadata.yaml"},
		{name: "space and unicode", in: "a b/模型.yaml", want: "a%20b/%E6%A8%A1%E5%9E%8B.yaml"},
		{name: "percent", in: "100%.yaml", want: "100%25.yaml"},
		{name: "colon in first segment", in: "c:d.yaml", want: "./c:d.yaml"},
		{name: "hash and query", in: "a#b?c.yaml", want: "a%23b%3Fc.yaml"},
		{name: "absolute", in: "/srv/runs/a.yaml", want: "file:///srv/runs/a.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sarifURI(tt.in); got != tt.want {
				t.Errorf("sarifURI(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// junitDoc mirrors the JUnit XML a CI server reads.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"error"`
			SystemOut *string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitCounts(t *testing.T) {
	for _, c := range goldenCases(JUnit) {
		t.Run(c.name, func(t *testing.T) {
			var doc junitDoc
			if err := xml.Unmarshal(readGolden(t, c.name+".junit"), &doc); err != nil {
				t.Fatalf("golden is not well-formed XML: %v", err)
			}
			if doc.Tests != c.junitTests || doc.Failures != c.junitFailures || doc.Errors != c.junitErrors || len(doc.Suites) != c.junitSuites {
				t.Errorf("tests=%d failures=%d errors=%d suites=%d, want %d %d %d %d",
					doc.Tests, doc.Failures, doc.Errors, len(doc.Suites),
					c.junitTests, c.junitFailures, c.junitErrors, c.junitSuites)
			}
			var names []string
			tests, failures, errs := 0, 0, 0
			for _, s := range doc.Suites {
				names = append(names, s.Name)
				sf, se := 0, 0
				for _, tc := range s.Cases {
					if tc.Time != "0" || !strings.HasPrefix(tc.Classname, "ckptmeta.") {
						t.Errorf("case %s: time %q classname %q", tc.Name, tc.Time, tc.Classname)
					}
					if filepath.ToSlash(filepath.Dir(tc.Name)) != s.Name {
						t.Errorf("case %s in suite %s", tc.Name, s.Name)
					}
					if tc.Failure != nil {
						sf++
						if !strings.Contains(tc.Failure.Body, "["+tc.Failure.Type+"]") {
							t.Errorf("case %s: failure body lacks its rule %s:\n%s", tc.Name, tc.Failure.Type, tc.Failure.Body)
						}
					}
					if tc.Error != nil {
						se++
					}
				}
				if s.Tests != len(s.Cases) || s.Failures != sf || s.Errors != se {
					t.Errorf("suite %s: attrs %d/%d/%d, counted %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), sf, se)
				}
				tests += s.Tests
				failures += sf
				errs += se
			}
			if !sort.StringsAreSorted(names) {
				t.Errorf("suites not sorted: %q", names)
			}
			if tests != doc.Tests || failures != doc.Failures || errs != doc.Errors {
				t.Errorf("testsuites totals %d/%d/%d, suites add up to %d/%d/%d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errs)
			}
		})
	}
}

// TestJUnitWarnings pins the strict rule: the same warnings pass without
// Strict (kept in system-out) and fail with it.
func TestJUnitWarnings(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run("strict="+strconv.FormatBool(strict), func(t *testing.T) {
			c := reportCase{results: warningResults(), opts: Options{Strict: strict}}
			out, _ := render(t, c, JUnit)
			var doc junitDoc
			if err := xml.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			for _, tc := range doc.Suites[0].Cases {
				failed := tc.Failure != nil
				if failed != strict {
					t.Errorf("case %s: failure=%v with strict=%v", tc.Name, failed, strict)
				}
				if !strict && (tc.SystemOut == nil || !strings.Contains(*tc.SystemOut, "warning:")) {
					t.Errorf("case %s: warnings not in system-out", tc.Name)
				}
			}
		})
	}
}

// jsonEnvelope is the documented json format (doc.go); decoding with
// DisallowUnknownFields proves the output has no undocumented field.
type jsonEnvelope struct {
	FormatVersion *int `json:"format_version"`
	Tool          *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"tool"`
	Summary *struct {
		Files    int `json:"files"`
		Valid    int `json:"valid"`
		Invalid  int `json:"invalid"`
		Errored  int `json:"unreadable"`
		Skipped  int `json:"skipped"`
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
	} `json:"summary"`
	Results []struct {
		Path          string  `json:"path"`
		SchemaVersion *string `json:"schema_version"`
		Status        string  `json:"status"`
		Error         string  `json:"error"`
		Findings      []struct {
			Line     int    `json:"line"`
			Column   int    `json:"column"`
			Pointer  string `json:"pointer"`
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Hint     string `json:"hint"`
		} `json:"findings"`
	} `json:"results"`
}

func TestJSONEnvelope(t *testing.T) {
	for _, c := range goldenCases(JSON) {
		t.Run(c.name, func(t *testing.T) {
			b := readGolden(t, c.name+".json")
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			var env jsonEnvelope
			if err := dec.Decode(&env); err != nil {
				t.Fatalf("not the documented envelope: %v", err)
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Errorf("trailing data after the document: %v", err)
			}
			if env.FormatVersion == nil || *env.FormatVersion != JSONFormatVersion || env.Tool == nil || env.Summary == nil || env.Results == nil {
				t.Fatalf("missing top-level field: %+v", env)
			}
			want := summarize(c.results)
			got := validate.Summary{Files: env.Summary.Files, Valid: env.Summary.Valid, Invalid: env.Summary.Invalid,
				Errored: env.Summary.Errored, Skipped: env.Summary.Skipped, Errors: env.Summary.Errors, Warnings: env.Summary.Warnings}
			if got != want {
				t.Errorf("summary %+v, want %+v", got, want)
			}
			if len(env.Results) != len(c.results) {
				t.Fatalf("%d results, want %d", len(env.Results), len(c.results))
			}
			for i, r := range env.Results {
				in := c.results[i]
				if r.Path != strings.ToValidUTF8(in.Path, "\uFFFD") || r.Status != in.Status.String() || r.SchemaVersion == nil || *r.SchemaVersion != in.Version {
					t.Errorf("result %d: %q %q, want %q %q %q", i, r.Path, r.Status, in.Path, in.Status, in.Version)
				}
				fs := findings(in)
				if len(r.Findings) != len(fs) {
					t.Fatalf("result %d: %d findings, want %d", i, len(r.Findings), len(fs))
				}
				for k, f := range r.Findings {
					w := fs[k]
					if f.Line != w.Line || f.Column != w.Column || f.Pointer != w.Pointer || f.Rule != w.Rule ||
						f.Severity != w.Severity.String() || f.Message != strings.ToValidUTF8(w.Message, "\uFFFD") || f.Hint != w.Hint {
						t.Errorf("result %d finding %d: %+v, want %+v", i, k, f, w)
					}
				}
			}
			// findings is always an array, never null.
			if bytes.Contains(b, []byte(`"findings": null`)) {
				t.Error(`"findings": null in output`)
			}
		})
	}
}

func TestGitHubEscape(t *testing.T) {
	tests := []struct {
		name, in, data, prop string
	}{
		{name: "plain", in: "runs/a.yaml", data: "runs/a.yaml", prop: "runs/a.yaml"},
		{name: "percent first", in: "100%0A", data: "100%250A", prop: "100%250A"},
		{name: "newlines", in: "a\r\nb\nc", data: "a%0D%0Ab%0Ac", prop: "a%0D%0Ab%0Ac"},
		{name: "delimiters", in: "a,b:c::d", data: "a,b:c::d", prop: "a%2Cb%3Ac%3A%3Ad"},
		{name: "unicode", in: "模型 ✓", data: "模型 ✓", prop: "模型 ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeData(tt.in); got != tt.data {
				t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
			}
			if got := escapeProperty(tt.in); got != tt.prop {
				t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.prop)
			}
		})
	}
}

// TestGitHubLimits checks the annotation budget on the "many" case: ten
// errors and ten warnings annotated, the rest as plain lines plus one notice,
// and every finding in the step summary.
func TestGitHubLimits(t *testing.T) {
	var c reportCase
	for _, rc := range reportCases {
		if rc.name == "many" {
			c = rc
		}
	}
	total := 0
	for _, r := range c.results {
		total += len(findings(r))
	}
	out, step := render(t, c, GitHub)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	counts := map[string]int{}
	plain := 0
	for _, l := range lines[:len(lines)-1] {
		switch {
		case strings.HasPrefix(l, "::error "):
			counts["error"]++
		case strings.HasPrefix(l, "::warning "):
			counts["warning"]++
		case strings.HasPrefix(l, "::notice::"):
			counts["notice"]++
		default:
			plain++
		}
	}
	if counts["error"] != 10 || counts["warning"] != 10 || counts["notice"] != 1 {
		t.Errorf("annotations %v, want 10 errors, 10 warnings, 1 notice", counts)
	}
	if want := total - 20; plain != want {
		t.Errorf("%d plain lines, want %d", plain, want)
	}
	notice := "::notice::" + strconv.Itoa(total-20) + " more findings not annotated; see the step summary"
	if !strings.Contains(string(out), notice+"\n") {
		t.Errorf("no %q line in\n%s", notice, out)
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "files checked") {
		t.Errorf("last line %q is not the summary", last)
	}
	rows := strings.Count(string(step), "\n| big/")
	if rows != total {
		t.Errorf("step summary has %d rows, want %d", rows, total)
	}
	// Without a step summary the notice points at the log instead.
	c.opts.StepSummary = nil
	var buf bytes.Buffer
	rep, _ := New(&buf, GitHub, c.opts)
	for _, r := range c.results {
		rep.Report(r)
	}
	rep.Close(summarize(c.results))
	if !strings.Contains(buf.String(), "not annotated; they are listed in the log above") {
		t.Errorf("notice without step summary:\n%s", buf.String())
	}
}

// TestStepSummaryCap: a huge run keeps the step summary under GitHub's 1 MiB.
func TestStepSummaryCap(t *testing.T) {
	rs := benchResults(60000) // 15,000 findings, about 2 MiB of table
	var out, step bytes.Buffer
	rep, _ := New(&out, GitHub, Options{StepSummary: &step})
	for _, r := range rs {
		if err := rep.Report(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := rep.Close(summarize(rs)); err != nil {
		t.Fatal(err)
	}
	if step.Len() >= 1<<20 {
		t.Errorf("step summary is %d bytes, over 1 MiB", step.Len())
	}
	if !strings.Contains(step.String(), "omitted to stay under the step summary size limit") {
		t.Error("no note about omitted rows")
	}
}

// TestNoWorkflowCommandInjection: the formats that end up in a GitHub log
// (text, github) never let a file name or message start a workflow command:
// "::cmd::" at the start of a line after white space, or the legacy "##[cmd]"
// anywhere in a line (actions/runner ActionCommand.TryParseV2 / TryParse).
func TestNoWorkflowCommandInjection(t *testing.T) {
	hostile := []struct{ name, path, msg string }{
		{name: "path is a command", path: "::add-mask::x.metadata.yaml", msg: "m"},
		{name: "path after white space", path: " \u00a0\u3000::set-output name=a::b.metadata.yaml", msg: "m"},
		{name: "legacy in path", path: "runs/##[add-mask]x.metadata.yaml", msg: "m"},
		{name: "legacy in message", path: "a.metadata.yaml", msg: "oops ##[set-output name=x;]pwned"},
		{name: "command after newline", path: "a.metadata.yaml", msg: "oops\n::stop-commands::tok"},
		{name: "command after CR", path: "a.metadata.yaml", msg: "oops\r::add-mask::x"},
		{name: "command after LS", path: "a.metadata.yaml", msg: "oops\u2028::add-mask::x"},
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			// Enough warnings to spill past the annotation budget into plain lines.
			r := &validate.Result{Path: h.path, Version: "1.0", Status: validate.StatusValid}
			for i := 0; i < githubAnnotationLimit+2; i++ {
				r.Findings = append(r.Findings, validate.Finding{Path: h.path, Line: i + 1, Column: 1, Rule: "sidecar/stale",
					Severity: validate.SeverityWarning, Message: h.msg, Hint: h.msg})
			}
			for _, f := range []Format{Text, GitHub} {
				out, _ := render(t, reportCase{results: []*validate.Result{r}}, f)
				for _, l := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' }) {
					lt := strings.TrimLeftFunc(l, unicode.IsSpace)
					ours := strings.HasPrefix(lt, "::warning file=") || strings.HasPrefix(lt, "::notice::")
					if strings.HasPrefix(lt, "::") && !ours {
						t.Errorf("%s: line starts a workflow command: %q", f, l)
					}
					// Our own annotation lines parse as "::" commands first, so the
					// runner never reads them as legacy commands (and file= must keep
					// the real path); every other line must not hold "##[".
					if !ours && strings.Contains(l, "##[") {
						t.Errorf("%s: line holds a legacy command: %q", f, l)
					}
				}
			}
		})
	}
}

// FuzzReporters feeds arbitrary paths and messages to every format: nothing
// panics, json and sarif stay valid JSON, junit stays well-formed XML, and the
// line formats keep one finding per line.
func FuzzReporters(f *testing.F) {
	for _, c := range reportCases {
		for _, r := range c.results {
			for _, fd := range findings(r) {
				f.Add(r.Path, fd.Message, fd.Hint, fd.Rule, fd.Line, fd.Column)
			}
		}
	}
	f.Fuzz(func(t *testing.T, p, msg, hint, rule string, line, col int) {
		r := &validate.Result{Path: p, Version: "1.0", Status: validate.StatusInvalid, Findings: []validate.Finding{
			{Path: p, Line: line, Column: col, Rule: rule, Severity: validate.SeverityError, Message: msg, Hint: hint},
		}}
		c := reportCase{results: []*validate.Result{r}, opts: Options{StepSummary: io.Discard}}
		for _, format := range Formats() {
			out, _ := render(t, c, format)
			switch format {
			case JSON, SARIF:
				if !json.Valid(out) {
					t.Errorf("%s output is not valid JSON:\n%s", format, out)
				}
			case JUnit:
				var doc junitDoc
				if err := xml.Unmarshal(out, &doc); err != nil || doc.Failures != 1 {
					t.Errorf("junit: %v (failures %d)\n%s", err, doc.Failures, out)
				}
			case Text:
				want := 2 // the finding and the summary
				if hint != "" {
					want++
				}
				if n := strings.Count(string(out), "\n"); n != want {
					t.Errorf("text: %d lines, want %d:\n%q", n, want, out)
				}
			case GitHub:
				if n := strings.Count(string(out), "\n"); n != 2 {
					t.Errorf("github: %d lines, want 2:\n%q", n, out)
				}
			}
		}
	})
}

func benchResults(n int) []*validate.Result {
	rs := make([]*validate.Result, n)
	for i := range rs {
		p := "runs/exp" + strconv.Itoa(i/100) + "/epoch=" + strconv.Itoa(i) + ".ckpt.metadata.yaml"
		r := &validate.Result{Path: p, Version: "1.1", Status: validate.StatusValid}
		if i%10 == 0 {
			r.Status = validate.StatusInvalid
			r.Findings = []validate.Finding{
				{Path: p, Line: 4, Column: 3, Pointer: "/model", Rule: "schema/required", Severity: validate.SeverityError, Message: "missing property 'name'"},
				{Path: p, Line: 7, Column: 10, Pointer: "/training/epoch", Rule: "schema/type", Severity: validate.SeverityError, Message: "got string, want integer"},
			}
		} else if i%10 == 1 {
			r.Findings = []validate.Finding{
				{Path: p, Line: 9, Column: 3, Pointer: "/training/colour", Rule: "schema/unknown-key", Severity: validate.SeverityWarning, Message: "unknown key 'colour'", Hint: "did you mean 'color'?"},
			}
		}
		rs[i] = r
	}
	return rs
}

func benchFormat(b *testing.B, f Format) {
	rs := benchResults(10000)
	s := summarize(rs)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := New(io.Discard, f, Options{Tool: "ckptmeta", Version: "0.1.0"})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			if err := rep.Report(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := rep.Close(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkText renders 10,000 results (10% invalid, 10% with a warning).
func BenchmarkText(b *testing.B) { benchFormat(b, Text) }

// BenchmarkJSON renders the same 10,000 results as the json envelope.
func BenchmarkJSON(b *testing.B) { benchFormat(b, JSON) }

// BenchmarkSARIF and BenchmarkJUnit cover the buffering formats.
func BenchmarkSARIF(b *testing.B) { benchFormat(b, SARIF) }
func BenchmarkJUnit(b *testing.B) { benchFormat(b, JUnit) }
