package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/ckptmeta/ckptmeta/validate"
)

// Format names an output format. Its values are the spellings the CLI accepts.
type Format string

// The output formats, in the order [Formats] lists them.
const (
	Text   Format = "text"   // gcc-style lines for people and editors
	JSON   Format = "json"   // the versioned envelope documented in the package doc
	GitHub Format = "github" // GitHub Actions workflow commands (annotations)
	SARIF  Format = "sarif"  // SARIF 2.1.0 for code-scanning upload
	JUnit  Format = "junit"  // JUnit XML for test-report viewers
)

// Formats returns every format, in a stable order (text first, the default).
func Formats() []Format {
	return []Format{Text, JSON, GitHub, SARIF, JUnit}
}

// ErrUnknownFormat is matched (errors.Is) by every [*UnknownFormatError].
var ErrUnknownFormat = errors.New("report: unknown format")

// UnknownFormatError is returned by [New] and [ParseFormat] for a format name
// that is not one of [Formats].
type UnknownFormatError struct {
	Format string   // what was asked for
	Valid  []Format // what would have been accepted
}

func (e *UnknownFormatError) Error() string {
	names := make([]string, len(e.Valid))
	for i, f := range e.Valid {
		names[i] = string(f)
	}
	return fmt.Sprintf("report: unknown format %q (valid: %s)", e.Format, strings.Join(names, ", "))
}

// Is makes errors.Is(err, ErrUnknownFormat) true.
func (e *UnknownFormatError) Is(target error) bool { return target == ErrUnknownFormat }

// ParseFormat returns the Format spelled s (exactly; formats are lowercase).
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", &UnknownFormatError{Format: s, Valid: Formats()}
}

// Options configure a [Reporter]. The zero value is usable.
type Options struct {
	Tool    string // tool name shown in SARIF, JSON and JUnit ("ckptmeta" when empty)
	Version string // tool version shown in SARIF and JSON

	// Strict makes warnings fail, as validate.Result.Failed(true) does. It changes
	// the text/github summary wording and turns JUnit warnings into failures.
	Strict bool

	// Color enables ANSI colour in the text format. The caller decides (--color, a terminal,
	// NO_COLOR empty or unset, TERM not dumb); the package never inspects the environment.
	Color bool

	// Quiet, for the text format only: print the findings that fail the run (errors,
	// and warnings under Strict) and the summary; other warnings and their hints are left out.
	Quiet bool

	// StepSummary, for the github format only: when non-nil, a Markdown table of
	// every finding is written here at Close (point it at $GITHUB_STEP_SUMMARY).
	StepSummary io.Writer
}

func (o Options) tool() string {
	if o.Tool == "" {
		return "ckptmeta"
	}
	return o.Tool
}

// Reporter renders validation results in one format.
//
// Report is called from one goroutine, once per result, in input (sorted) order;
// Close is called once, after the last Report, with the run's totals. Streaming
// formats (text, github, json) write as results arrive; document formats (sarif,
// junit) buffer and write everything at Close. A write error is returned by the
// call that hit it and by every later call; nothing is retried.
type Reporter interface {
	Report(r *validate.Result) error
	Close(s validate.Summary) error
}

// New returns a Reporter writing format f to w. An unknown f returns an
// *UnknownFormatError that names the valid formats. New writes nothing.
func New(w io.Writer, f Format, o Options) (Reporter, error) {
	if f == JSON || f == SARIF {
		// Exact strings in JSON's own escapes, and no raw C1 or bidi control for a terminal.
		w = safetext.JSONWriter(w)
	}
	out := &output{w: bufio.NewWriterSize(w, 32<<10)}
	switch f {
	case Text:
		return &textReporter{out: out, o: o}, nil
	case JSON:
		return &jsonReporter{out: out, o: o}, nil
	case GitHub:
		return newGitHub(out, o), nil
	case SARIF:
		return &sarifReporter{out: out, o: o, ruleIdx: map[string]int{}}, nil
	case JUnit:
		return &junitReporter{out: out, o: o, suites: map[string]*junitSuite{}}, nil
	}
	return nil, &UnknownFormatError{Format: string(f), Valid: Formats()}
}

// WriteError wraps the error of the underlying io.Writer.
type WriteError struct {
	Format Format
	Err    error
}

func (e *WriteError) Error() string { return fmt.Sprintf("report: writing %s: %v", e.Format, e.Err) }
func (e *WriteError) Unwrap() error { return e.Err }

// output is a buffered writer with a sticky error, so renderers can write
// freely and check once.
type output struct {
	w      *bufio.Writer
	closed bool
}

func (o *output) str(s string) { o.w.WriteString(s) }

// flush pushes buffered bytes to the underlying writer and reports the first
// write error seen (bufio.Writer keeps it).
func (o *output) flush(f Format) error {
	if err := o.w.Flush(); err != nil {
		return &WriteError{Format: f, Err: err}
	}
	return nil
}

// ErrClosed is returned by Report or Close after Close.
var ErrClosed = errors.New("report: reporter already closed")

// findings returns r's findings, with a file/unreadable finding made from r.Err
// when a StatusError result carries none, so no format can drop an unreadable file.
func findings(r *validate.Result) []validate.Finding {
	if r.Status == validate.StatusError && len(r.Findings) == 0 {
		msg := "file could not be checked"
		if r.Err != nil {
			msg = r.Err.Error()
		}
		return []validate.Finding{{Path: r.Path, Line: 1, Column: 1, Rule: "file/unreadable", Severity: validate.SeverityError, Message: msg}}
	}
	return r.Findings
}

// severity names a finding's severity as every format spells it. Anything
// that is not an error counts as a warning, as validate.Result.Count does.
func severity(f *validate.Finding) string {
	if f.Severity == validate.SeverityError {
		return "error"
	}
	return "warning"
}

// ErrNilResult is returned by Report for a nil result.
var ErrNilResult = errors.New("report: nil result")

// check is the common guard at the top of every Report.
func (o *output) check(r *validate.Result) error {
	if o.closed {
		return ErrClosed
	}
	if r == nil {
		return ErrNilResult
	}
	return nil
}

// findingPath is the path a finding is reported at: its own, else the result's.
func findingPath(r *validate.Result, f *validate.Finding) string {
	if f.Path != "" {
		return f.Path
	}
	return r.Path
}

// location renders "path:line:col", "path:line" or "path" as positions allow.
func location(p string, f *validate.Finding) string {
	p = lineSafePath(p)
	switch {
	case f.Line <= 0:
		return p
	case f.Column <= 0:
		return fmt.Sprintf("%s:%d", p, f.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p, f.Line, f.Column)
}

// lineSafePath renders a path that starts a line: escaped, and never read as a
// GitHub workflow command (see safetext.Path).
func lineSafePath(p string) string { return safetext.Path(p) }

// plainLine is the uncoloured gcc-style line shared by text, github and junit:
// "path:line:col: error: message [rule]". Control characters are made visible
// so a hostile file name or message cannot add lines or drive the terminal.
func plainLine(p string, f *validate.Finding) string {
	return oneLine(location(p, f)) + ": " + severity(f) + ": " + oneLine(f.Message) + " [" + oneLine(f.Rule) + "]"
}

// oneLine renders names, messages and rule ids for a line of output: control
// characters escaped, "##[" defused (safetext.Line, the one rendering every
// command uses).
func oneLine(s string) string { return safetext.Line(s) }

// summaryLine is "12 files checked: 10 valid, 2 invalid, 0 unreadable; 3 errors, 1 warning",
// with ", 1 not a sidecar (skipped)" after the unreadable count when files were skipped and
// "; 1 symlink loop not followed" after the findings when the walk met one.
func summaryLine(s validate.Summary, strict bool) string {
	skipped := ""
	if s.Skipped > 0 {
		skipped = fmt.Sprintf(", %d not %s (skipped)", s.Skipped, map[bool]string{true: "a sidecar", false: "sidecars"}[s.Skipped == 1])
	}
	line := fmt.Sprintf("%s checked: %d valid, %d invalid, %d unreadable%s; %s, %s",
		Count(s.Files, "file", "files"), s.Valid, s.Invalid, s.Errored, skipped,
		Count(s.Errors, "error", "errors"), Count(s.Warnings, "warning", "warnings"))
	if s.NotFollowed > 0 {
		line += "; " + Count(s.NotFollowed, "symlink loop", "symlink loops") + " not followed"
	}
	if strict && s.Warnings > 0 {
		line += " (strict: warnings fail)"
	}
	return line
}

// Count says n things in English: "1 file", "2 files". The commands' summaries use it too.
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
