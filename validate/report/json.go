package report

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/ckptmeta/ckptmeta/validate"
)

// JSONFormatVersion is the "format_version" of the json envelope. It changes
// only when a field is removed, renamed or changes meaning; new optional fields
// do not bump it.
//
// 2: a file that could not be checked is status "unreadable" (was "error") and the
// summary counts it as "unreadable" (was "errored"), the word the text summary uses.
const JSONFormatVersion = 2

// The json envelope; see the package doc for the contract.
type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonResult struct {
	Path          string        `json:"path"`
	SchemaVersion string        `json:"schema_version"`
	Status        string        `json:"status"`
	Error         string        `json:"error,omitempty"`
	Findings      []jsonFinding `json:"findings"`
}

type jsonFinding struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Pointer  string `json:"pointer"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
}

type jsonSummary struct {
	Files    int `json:"files"`
	Valid    int `json:"valid"`
	Invalid  int `json:"invalid"`
	Errored  int `json:"unreadable"`
	Skipped  int `json:"skipped"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// NotFollowed: symbolic links back to their own ancestor (walk/symlink-loop); not in files.
	NotFollowed int `json:"not_followed,omitempty"`
}

// jsonReporter streams the envelope: the head before the first result, one
// array element per Report, the summary at Close. Memory stays flat however
// many results there are.
type jsonReporter struct {
	out     *output
	o       Options
	started bool
	n       int
	buf     bytes.Buffer  // one result, reused
	enc     *json.Encoder // writes into buf
}

func (j *jsonReporter) start() {
	if j.started {
		return
	}
	j.started = true
	tool, _ := marshal(jsonTool{Name: j.o.tool(), Version: j.o.Version})
	j.out.str("{\n  \"format_version\": ")
	j.out.str(strconv.Itoa(JSONFormatVersion))
	j.out.str(",\n  \"tool\": ")
	j.out.w.Write(tool)
	j.out.str(",\n  \"results\": [")
}

func (j *jsonReporter) Report(r *validate.Result) error {
	if err := j.out.check(r); err != nil {
		return err
	}
	j.start()
	fs := findings(r)
	jr := jsonResult{
		Path:          r.Path,
		SchemaVersion: r.Version,
		Status:        r.Status.String(),
		Findings:      make([]jsonFinding, len(fs)),
	}
	if r.Status == validate.StatusError && r.Err != nil {
		jr.Error = r.Err.Error()
	}
	for i, f := range fs {
		jr.Findings[i] = jsonFinding{
			Line: f.Line, Column: f.Column, Pointer: f.Pointer, Rule: f.Rule,
			Severity: severity(&f), Message: f.Message, Hint: f.Hint,
		}
	}
	if j.enc == nil {
		j.enc = json.NewEncoder(&j.buf)
		j.enc.SetEscapeHTML(false)
		j.enc.SetIndent("    ", "  ")
	}
	j.buf.Reset()
	if err := j.enc.Encode(jr); err != nil {
		return &WriteError{Format: JSON, Err: err}
	}
	if j.n > 0 {
		j.out.str(",")
	}
	j.n++
	j.out.str("\n    ")
	j.out.w.Write(bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")))
	if j.out.w.Buffered() > 16<<10 {
		return j.out.flush(JSON)
	}
	return nil
}

func (j *jsonReporter) Close(s validate.Summary) error {
	if j.out.closed {
		return ErrClosed
	}
	j.out.closed = true
	j.start()
	if j.n > 0 {
		j.out.str("\n  ")
	}
	sum, _ := marshal(jsonSummary{
		Files: s.Files, Valid: s.Valid, Invalid: s.Invalid, Errored: s.Errored, Skipped: s.Skipped,
		Errors: s.Errors, Warnings: s.Warnings, NotFollowed: s.NotFollowed,
	})
	j.out.str("],\n  \"summary\": ")
	j.out.w.Write(sum)
	j.out.str("\n}\n")
	return j.out.flush(JSON)
}

// marshal indents v for the envelope's second level, without HTML escaping
// (the output is not HTML, and "<" reads better than "\u003c").
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
