package report

import (
	"github.com/ckptmeta/ckptmeta/validate"
)

// ANSI SGR sequences used by the text format when Options.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiGreen  = "\x1b[1;32m"
)

// textReporter writes one line per finding as results arrive, and the summary
// line at Close.
type textReporter struct {
	out *output
	o   Options
}

func (t *textReporter) paint(code, s string) string {
	if !t.o.Color {
		return s
	}
	return code + s + ansiReset
}

func (t *textReporter) Report(r *validate.Result) error {
	if err := t.out.check(r); err != nil {
		return err
	}
	fs := findings(r)
	for i := range fs {
		f := &fs[i]
		if t.o.Quiet && f.Severity != validate.SeverityError && !t.o.Strict {
			continue
		}
		sev := severity(f)
		if f.Severity == validate.SeverityError {
			sev = t.paint(ansiRed, sev)
		} else {
			sev = t.paint(ansiYellow, sev)
		}
		t.out.str(t.paint(ansiBold, oneLine(location(findingPath(r, f), f))))
		t.out.str(": " + sev + ": " + oneLine(f.Message) + " " + t.paint(ansiDim, "["+oneLine(f.Rule)+"]") + "\n")
		if f.Hint != "" {
			t.out.str("  " + t.paint(ansiDim, "hint:") + " " + oneLine(f.Hint) + "\n")
		}
	}
	if len(fs) > 0 {
		// Flush per file with findings, so a long run shows progress; clean files
		// print nothing and cost nothing.
		return t.out.flush(Text)
	}
	return nil
}

func (t *textReporter) Close(s validate.Summary) error {
	if t.out.closed {
		return ErrClosed
	}
	t.out.closed = true
	line := summaryLine(s, t.o.Strict)
	failed := s.Invalid > 0 || s.Errored > 0 || (t.o.Strict && s.Warnings > 0)
	if failed {
		line = t.paint(ansiRed, line)
	} else {
		line = t.paint(ansiGreen, line)
	}
	t.out.str(line + "\n")
	return t.out.flush(Text)
}
