package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/ckptmeta/ckptmeta/validate"
)

// githubAnnotationLimit is how many annotations of one kind GitHub shows per
// step; later ones are dropped silently, so we stop there and say so.
const githubAnnotationLimit = 10

// stepSummaryLimit keeps the step summary under GitHub's 1 MiB cap per step,
// with room for the heading, totals and the "rows omitted" note.
const stepSummaryLimit = 1<<20 - 16<<10

// githubReporter writes workflow commands as results arrive: the first ten
// errors and ten warnings as annotations, later findings as plain log lines.
// At Close it writes the notice about what was not annotated, the step summary
// and the plain summary line.
type githubReporter struct {
	out              *output
	o                Options
	errors, warnings int // annotations emitted
	notAnnotated     int
	rows             bytes.Buffer // step summary table rows, capped
	rowsOmitted      int
}

func newGitHub(out *output, o Options) *githubReporter {
	return &githubReporter{out: out, o: o}
}

func (g *githubReporter) Report(r *validate.Result) error {
	if err := g.out.check(r); err != nil {
		return err
	}
	fs := findings(r)
	for i := range fs {
		f := &fs[i]
		p := findingPath(r, f)
		if g.o.StepSummary != nil {
			g.addRow(p, f)
		}
		cmd, n := "warning", &g.warnings
		if f.Severity == validate.SeverityError {
			cmd, n = "error", &g.errors
		}
		if *n >= githubAnnotationLimit {
			g.notAnnotated++
			g.out.str(plainLine(p, f) + "\n")
			continue
		}
		*n++
		g.out.str(githubCommand(cmd, p, f) + "\n")
	}
	if len(fs) > 0 {
		return g.out.flush(GitHub)
	}
	return nil
}

// githubCommand renders "::error file=P,line=L,col=C,title=RULE::MESSAGE".
// A hint becomes a second line of the annotation.
func githubCommand(cmd, p string, f *validate.Finding) string {
	var b strings.Builder
	// The path is escaped like every name (safetext.Line) before the property
	// encoding: a terminal or log viewer would act on a raw ESC or BEL in file=.
	b.WriteString("::" + cmd + " file=" + escapeProperty(oneLine(p)))
	if f.Line > 0 {
		b.WriteString(",line=" + strconv.Itoa(f.Line))
		if f.Column > 0 {
			b.WriteString(",col=" + strconv.Itoa(f.Column))
		}
	}
	b.WriteString(",title=" + escapeProperty(oneLine(f.Rule)) + "::")
	msg := f.Message
	if f.Hint != "" {
		msg += "\nhint: " + f.Hint
	}
	// Control characters other than line breaks are shown as escapes: the log
	// viewer would otherwise interpret ANSI sequences from a file's content.
	b.WriteString(escapeData(oneLineKeepBreaks(msg)))
	return b.String()
}

// escapeData escapes a workflow-command message: % CR LF.
func escapeData(s string) string {
	if !strings.ContainsAny(s, "%\r\n") {
		return s
	}
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	return r.Replace(s)
}

// escapeProperty escapes a workflow-command property value: the data escapes
// plus ':' and ',', which would otherwise end the value.
func escapeProperty(s string) string {
	if !strings.ContainsAny(s, "%\r\n:,") {
		return s
	}
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return r.Replace(s)
}

func (g *githubReporter) addRow(p string, f *validate.Finding) {
	if g.rows.Len() >= stepSummaryLimit {
		g.rowsOmitted++
		return
	}
	line := ""
	if f.Line > 0 {
		line = strconv.Itoa(f.Line)
		if f.Column > 0 {
			line += ":" + strconv.Itoa(f.Column)
		}
	}
	msg := f.Message
	if f.Hint != "" {
		msg += "\nhint: " + f.Hint
	}
	fmt.Fprintf(&g.rows, "| %s | %s | %s | %s | %s |\n",
		escapeMarkdown(p), line, f.Severity, escapeMarkdown(f.Rule), escapeMarkdown(msg))
}

// markdownEscaper keeps cell text literal in a GFM table: punctuation that
// would start markup (or end the cell) is backslash-escaped, HTML cannot open,
// and line breaks become <br> so a row stays one line.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `&lt;`, `>`, `&gt;`, `&`, `&amp;`, `|`, `\|`, `~`, `\~`, `#`, `\#`, `!`, `\!`, `$`, `\$`,
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
)

func escapeMarkdown(s string) string {
	return markdownEscaper.Replace(oneLineKeepBreaks(s))
}

// oneLineKeepBreaks is oneLine without escaping LF (the caller encodes it:
// <br> in Markdown, %0A in workflow commands).
func oneLineKeepBreaks(s string) string { return safetext.Lines(s) }

func (g *githubReporter) Close(s validate.Summary) error {
	if g.out.closed {
		return ErrClosed
	}
	g.out.closed = true
	if g.notAnnotated > 0 {
		where := "see the step summary"
		if g.o.StepSummary == nil {
			where = "they are listed in the log above"
		}
		g.out.str(fmt.Sprintf("::notice::%s not annotated; %s\n",
			escapeData(Count(g.notAnnotated, "more finding", "more findings")), where))
	}
	line := summaryLine(s, g.o.Strict)
	g.out.str(line + "\n")
	err := g.out.flush(GitHub)
	if g.o.StepSummary != nil {
		if serr := g.writeStepSummary(line, s); err == nil {
			err = serr
		}
	}
	return err
}

func (g *githubReporter) writeStepSummary(line string, s validate.Summary) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "### %s validate\n\n", escapeMarkdown(g.o.tool()))
	b.WriteString(escapeMarkdown(line) + "\n\n")
	if g.rows.Len() > 0 {
		b.WriteString("| File | Line | Severity | Rule | Message |\n| --- | --- | --- | --- | --- |\n")
		b.Write(g.rows.Bytes())
	}
	if g.rowsOmitted > 0 {
		fmt.Fprintf(&b, "\n%s omitted to stay under the step summary size limit.\n",
			Count(g.rowsOmitted, "more finding", "more findings"))
	}
	if _, err := g.o.StepSummary.Write(b.Bytes()); err != nil {
		return &WriteError{Format: GitHub, Err: fmt.Errorf("step summary: %w", err)}
	}
	return nil
}
