package report

import (
	"encoding/xml"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ckptmeta/ckptmeta/validate"
)

// The JUnit XML we write: the common subset Jenkins, GitLab, Buildkite and
// GitHub test-report actions read. Times are always "0" (reports must be
// byte-stable, and per-file validation time is noise).
type junitTestsuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr,omitempty"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitOutput  `xml:"system-out,omitempty"`
}

type junitOutput struct {
	Body string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitProblem struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Body    string `xml:",cdata"`
}

// junitReporter buffers one compact case per file, grouped by directory, and
// writes the document at Close with suites sorted by directory name.
type junitReporter struct {
	out    *output
	o      Options
	suites map[string]*junitSuite
}

func (j *junitReporter) Report(r *validate.Result) error {
	if err := j.out.check(r); err != nil {
		return err
	}
	dir := path.Dir(r.Path)
	s := j.suites[dir]
	if s == nil {
		s = &junitSuite{Name: oneLine(dir), Time: "0"}
		j.suites[dir] = s
	}
	c := junitCase{Name: oneLine(r.Path), Classname: junitClassname(j.o.tool(), r.Version), Time: "0"}
	fs := findings(r)
	var body strings.Builder
	var first *validate.Finding // first finding that fails the case
	for i := range fs {
		f := &fs[i]
		body.WriteString(plainLine(findingPath(r, f), f) + "\n")
		if f.Hint != "" {
			body.WriteString("  hint: " + oneLine(f.Hint) + "\n")
		}
		if first == nil && (f.Severity == validate.SeverityError || j.o.Strict) {
			first = f
		}
	}
	switch {
	case r.Status == validate.StatusSkipped:
		c.Skipped = &junitSkipped{Message: "not a checkpoint-metadata sidecar"}
		s.Skipped++
	case r.Status == validate.StatusError:
		if first == nil {
			first = &fs[0]
		}
		c.Error = &junitProblem{Type: first.Rule, Message: oneLine(first.Message), Body: cdataSafe(body.String())}
		s.Errors++
	case r.Failed(j.o.Strict) && first != nil:
		c.Failure = &junitProblem{Type: first.Rule, Message: junitMessage(first, fs, j.o.Strict), Body: cdataSafe(body.String())}
		s.Failures++
	case r.Failed(j.o.Strict):
		// Invalid without an error finding: a producer bug, but still a failure.
		c.Failure = &junitProblem{Type: "invalid", Message: "file is invalid", Body: cdataSafe(body.String())}
		s.Failures++
	default:
		if body.Len() > 0 {
			c.SystemOut = &junitOutput{Body: cdataSafe(body.String())}
		}
	}
	s.Tests++
	s.Cases = append(s.Cases, c)
	return nil
}

// cdataSafe makes text fit a CDATA section: valid UTF-8 (control characters
// are already escaped by plainLine; encoding/xml splits any "]]>").
func cdataSafe(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

// junitMessage is the first failing finding, plus how many more fail the case.
func junitMessage(first *validate.Finding, fs []validate.Finding, strict bool) string {
	n := 0
	for i := range fs {
		if fs[i].Severity == validate.SeverityError || strict {
			n++
		}
	}
	msg := oneLine(first.Message)
	if n > 1 {
		msg += " (and " + strconv.Itoa(n-1) + " more)"
	}
	return msg
}

// junitClassname is "ckptmeta.<schema_version>", "ckptmeta.legacy" for version
// "0", and "ckptmeta.unknown" when the version was not detected.
func junitClassname(tool, v string) string {
	switch v {
	case "0":
		v = "legacy"
	case "":
		v = "unknown"
	}
	return tool + "." + v
}

func (j *junitReporter) Close(_ validate.Summary) error {
	if j.out.closed {
		return ErrClosed
	}
	j.out.closed = true
	doc := junitTestsuites{Name: j.o.tool(), Time: "0"}
	dirs := make([]string, 0, len(j.suites))
	for d := range j.suites {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		s := j.suites[d]
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, *s)
	}
	j.out.str(xml.Header)
	enc := xml.NewEncoder(j.out.w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return &WriteError{Format: JUnit, Err: err}
	}
	j.out.str("\n")
	return j.out.flush(JUnit)
}
