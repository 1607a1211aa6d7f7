package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// migrate never changes a file for a finding validate would not report: one whose rule is
// off (Options.Rules, the levels validate reports with) or that the file's own suppression
// comments suppress. So a file is not regenerated when every finding that would make it one
// to regenerate (see regenerates) is off or suppressed, and a certain fix (a quoted
// timestamp or schema_version, a re-pointed checkpoint path) of such a finding is not made.
// Nothing yaml.safe_load refuses can be suppressed; a level can turn anything off.

// AcceptedError reports a file that migrate would have regenerated (Cause), but whose
// reasons for it validate does not report here (their rules are off, or the file's comments
// suppress them): validate accepts the file as it is, so migrate does not replace it with
// what its checkpoint says, and cannot carry it either. Nothing is written; it is a
// failure for the user to settle (fix the value, or migrate the file by hand).
type AcceptedError struct {
	Path  string
	To    string // the version the file was migrated to and failed at; "" when it could not be migrated at all
	Cause error  // *ParseError, *InvalidError (of the input, or of the migrated result), ...
}

func (e *AcceptedError) Error() string {
	if e.To != "" {
		return fmt.Sprintf("%s; validate accepts the file as it is (the findings that would make migrate rebuild it are off or suppressed in it), so it is neither migrated to %s nor regenerated", e.Cause, e.To)
	}
	return fmt.Sprintf("%s; not regenerated: validate accepts the file as it is (the findings that would make migrate rebuild it are off or suppressed in it)", e.Cause)
}

func (e *AcceptedError) Unwrap() error { return e.Cause }

// regenerates reports whether an error finding of rule makes migrate regenerate a file: what
// makes it unreadable as a sidecar document (structural), a value JSON cannot hold, an
// unknown version, and a schema failure other than an unknown key (migrate carries those).
func regenerates(rule string) bool {
	if structural[rule] || rule == "yaml/non-finite-number" || rule == "sidecar/unknown-version" {
		return true
	}
	return strings.HasPrefix(rule, "schema/") && rule != "schema/unknown-key"
}

// judgement is validate's verdict on one document under Options.Rules and the document's own
// suppressions, worked out only when something depends on it.
type judgement struct {
	c    *Chain
	name string
	src  []byte
	o    *Options
	res  *validate.Result
}

// mayHide reports whether anything can keep validate from reporting a finding of src: a rule
// level, or a suppression comment. When not, every finding is reported and nothing is judged.
func (j *judgement) mayHide() bool {
	return len(j.o.Rules) > 0 || bytes.Contains(j.src, []byte("ckptmeta:"))
}

func (j *judgement) result() *validate.Result {
	if j.res == nil {
		j.res, _ = validate.New(j.c.reg, validate.Options{Rules: j.o.Rules, NoStale: true}).Check(j.name, j.src)
	}
	return j.res
}

// reported reports whether validate reports f (a finding of validate.Parse on src).
func (j *judgement) reported(f validate.Finding) bool {
	if !j.mayHide() {
		return true
	}
	if j.o.Rules[f.Rule] == validate.RuleOff {
		return false
	}
	for _, g := range j.result().Findings {
		if g.Rule == f.Rule && g.Line == f.Line && g.Column == f.Column {
			return true
		}
	}
	return false
}

// accepted reports whether validate reports none of the errors that make migrate regenerate
// a file, while the file has some (the caller knows it does).
func (j *judgement) accepted() bool {
	if !j.mayHide() {
		return false
	}
	for _, f := range j.result().Findings {
		if f.Severity == validate.SeverityError && regenerates(f.Rule) {
			return false
		}
	}
	return true
}

// regenerationAccepted is [Run]'s question before it regenerates a file that MigrateBytes
// could not read (err): a file that cannot be read as a sidecar, or has a version this tool
// does not know, for findings validate does not report here, is left alone (*AcceptedError).
// Other errors (a step's failure on a valid document) keep regenerating.
func (c *Chain) regenerationAccepted(name string, src []byte, o *Options, err error) error {
	var (
		pe *ParseError
		ue *schemas.UnknownVersionError
	)
	if !errors.As(err, &pe) && !errors.As(err, &ue) {
		return nil
	}
	j := &judgement{c: c, name: name, src: src, o: o}
	if !j.accepted() {
		return nil
	}
	return &AcceptedError{Path: name, Cause: err}
}
