package validate

import (
	"fmt"
	"sort"
)

// Severity of a finding.
type Severity int

const (
	_ Severity = iota
	// SeverityError fails the run.
	SeverityError
	// SeverityWarning fails the run only under Options.Strict.
	SeverityWarning
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Finding is one problem in one file, at a position when one is known.
type Finding struct {
	Path     string   // the file, as given or discovered (slash-separated)
	Line     int      // 1-based; file-level findings are at 1:1 unless a key causes them
	Column   int      // 1-based, in Unicode code points
	Pointer  string   // RFC 6901 JSON pointer into the document ("" = whole document)
	Rule     string   // stable id, e.g. "schema/type" (see DESIGN.md)
	Severity Severity // error or warning
	Message  string   // lowercase, no trailing period, no schema URLs
	Hint     string   // optional advice ("run `ckptmeta fix X`"); "" when none
}

// Status is the outcome for one file, kubeconform style.
type Status int

const (
	_ Status = iota
	// StatusValid: parsed and valid; warnings may be present.
	StatusValid
	// StatusInvalid: at least one error finding.
	StatusInvalid
	// StatusError: the file could not be checked (unreadable, a symlink loop); Err says why.
	StatusError
	// StatusSkipped: the file has a sidecar's name but is not checkpoint metadata (it has
	// none of the keys any schema version defines, see [IsCheckpointMetadata]): it is not
	// checked, carries no findings and never fails a run.
	StatusSkipped
)

func (s Status) String() string {
	switch s {
	case StatusValid:
		return "valid"
	case StatusInvalid:
		return "invalid"
	case StatusError:
		return "unreadable" // the word every format uses: text summary, json status and summary key
	case StatusSkipped:
		return "skipped"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome of validating one file.
type Result struct {
	Path     string    // slash-separated, as discovered
	Version  string    // schema_version as detected ("0" = legacy); "" when not parsed
	Status   Status    //
	Findings []Finding // sorted by line, column, pointer, rule
	Err      error     // set only when Status == StatusError; also present as a file/unreadable finding
	// NotFollowed marks a path that is not a file: a symbolic link back to one of its own
	// ancestors, which the walk did not follow. Status is StatusValid and its one finding is
	// the walk/symlink-loop warning; Summary counts it apart from the files.
	NotFollowed bool
}

// Failed reports whether the result fails a run: an error finding, or any finding when strict.
func (r *Result) Failed(strict bool) bool {
	if r.Status == StatusSkipped {
		return false
	}
	if r.Status != StatusValid {
		return true
	}
	if strict {
		return len(r.Findings) > 0
	}
	return false
}

// Count returns the number of error and warning findings.
func (r *Result) Count() (errors, warnings int) {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			errors++
		} else {
			warnings++
		}
	}
	return
}

// placeFindings gives every finding a position: one that has none (a file-level finding
// nobody placed, an unreadable file) is put at 1:1, and a known line without a column at
// its first column, so editors' problem matchers and the documented path:line:col: format
// always hold.
func placeFindings(fs []Finding) {
	for i := range fs {
		if fs[i].Line <= 0 {
			fs[i].Line, fs[i].Column = 1, 1
		}
		if fs[i].Column <= 0 {
			fs[i].Column = 1
		}
	}
}

// sortFindings puts findings in their stable order.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// Summary counts a run's results.
type Summary struct {
	Files    int // files looked at: Valid + Invalid + Errored + Skipped
	Valid    int // StatusValid
	Invalid  int // StatusInvalid
	Errored  int // StatusError
	Skipped  int // StatusSkipped: not checkpoint metadata
	Errors   int // error findings
	Warnings int // warning findings (walk/symlink-loop ones included)
	// NotFollowed counts links back to their own ancestor (Result.NotFollowed): not files.
	NotFollowed int
}

// Add counts one result.
func (s *Summary) Add(r *Result) {
	e, w := r.Count()
	s.Errors += e
	s.Warnings += w
	if r.NotFollowed {
		s.NotFollowed++
		return
	}
	s.Files++
	switch r.Status {
	case StatusValid:
		s.Valid++
	case StatusInvalid:
		s.Invalid++
	case StatusError:
		s.Errored++
	case StatusSkipped:
		s.Skipped++
	}
}

// MaxFindings bounds the findings kept for one file: a hostile file can hold a hundred
// thousand duplicate or unknown keys, and each finding costs memory in every report.
// What is cut is summed up in one last finding, `file/too-many-findings`.
const MaxFindings = 1000

// truncateFindings keeps the first MaxFindings of fs (sorted) and replaces the rest with
// one finding that counts them, as severe as the worst of them.
func truncateFindings(fs []Finding) []Finding {
	if len(fs) <= MaxFindings {
		return fs
	}
	sortFindings(fs)
	var more moreFindings
	for _, f := range fs[MaxFindings:] {
		if f.Rule == ruleTooMany {
			more.addCount(f)
			continue
		}
		more.add(f.Severity)
	}
	kept := append(fs[:MaxFindings:MaxFindings], more.finding(fs[0].Path))
	return kept
}

const ruleTooMany = "file/too-many-findings"

// moreFindings counts findings that were not kept.
type moreFindings struct {
	errors, warnings int
}

func (m *moreFindings) add(s Severity) {
	if s == SeverityError {
		m.errors++
	} else {
		m.warnings++
	}
}

// addCount folds in an earlier summary.
func (m *moreFindings) addCount(f Finding) {
	var e, w int
	if _, err := fmt.Sscanf(f.Message, "%d more findings not shown (%d errors, %d warnings)", new(int), &e, &w); err == nil {
		m.errors += e
		m.warnings += w
	}
}

func (m *moreFindings) finding(path string) Finding {
	sev := SeverityWarning
	if m.errors > 0 {
		sev = SeverityError
	}
	return Finding{Path: path, Rule: ruleTooMany, Severity: sev,
		Message: fmt.Sprintf("%d more findings not shown (%d errors, %d warnings)", m.errors+m.warnings, m.errors, m.warnings),
		Hint:    fmt.Sprintf("only the first %d findings of a file are reported", MaxFindings)}
}
