package validate

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/internal/resultcache"
)

// Inline suppressions: a YAML comment
//
//	# ckptmeta: disable=RULE[,RULE…] [reason]
//
// suppresses those rules' findings on its own line when it follows content there, or on
// the next line holding YAML when it stands alone on its line (blank and comment lines in
// between are passed over); disable-file=RULE[,RULE…] anywhere suppresses them in the
// whole file. "all" names every rule that can be suppressed. Comments are found where
// PyYAML's scanner finds them, so a '#' in a quoted or block scalar is never one.
//
// A suppression that suppressed nothing is a suppression/unused warning at the comment's
// position, one per rule it names; a comment that cannot work as written (an unknown rule
// id, a rule that cannot be suppressed, a malformed `# ckptmeta:` comment) is a
// suppression/invalid warning at the rule's (or the comment's) position. A comment that
// also names suppression/unused is never reported unused; disable-file=suppression/unused
// turns the check off for the file.

const (
	ruleUnused        = "suppression/unused"
	ruleInvalid       = "suppression/invalid"
	suppressAll       = "all"
	directivePrefix   = "ckptmeta:"
	directiveLine     = "disable="
	directiveFile     = "disable-file="
	suppressionSyntax = "write `# ckptmeta: disable=RULE[,RULE]` (this line or the next) or `# ckptmeta: disable-file=RULE[,RULE]`"
)

// unsuppressible are the rules no comment can silence: what makes the file unreadable to
// the Python consumers (yaml.safe_load refuses it) or to ckptmeta (its limits), and what
// is not about the file's content. The suppression rules themselves are configured, not
// suppressed (suppression/unused aside, see above).
var unsuppressible = map[string]string{
	"yaml/empty":             "the file holds no YAML",
	"file/unreadable":        "the file cannot be read",
	"file/too-many-findings": "it counts findings that were not shown",
	"internal/error":         "it is a bug in ckptmeta",
	"schema/internal":        "it is a bug in ckptmeta",
	"walk/symlink-loop":      "it is not about a file's content",
	ruleInvalid:              "it reports a suppression comment that cannot work",
}

// suppressible reports whether a comment can suppress rule, and why not.
func suppressible(rule string) (bool, string) {
	if safeLoadRefusals[rule] {
		return false, "yaml.safe_load refuses the file, so the Python apps cannot read it"
	}
	if safeLoadLimits[rule] {
		return false, "it is a limit that keeps ckptmeta safe on hostile input"
	}
	if why, ok := unsuppressible[rule]; ok {
		return false, why
	}
	return true, ""
}

// suppressionEntry is one rule named by one suppression comment.
type suppressionEntry struct {
	rule      string
	line, col int  // the comment's position (1-based)
	target    int  // the line whose findings it suppresses; 0 for disable-file
	excused   bool // its comment names suppression/unused too
	used      bool
}

// suppressions are one file's suppression comments.
type suppressions struct {
	path    string
	entries []suppressionEntry
	invalid []Finding
	quiet   bool              // disable-file=suppression/unused: no unused reports in this file
	near    map[string]string // SuggestRule's answers while parsing
}

// readSuppressions finds the suppression comments of src; nil when there are none, which
// is decided without scanning for files that do not mention "ckptmeta:".
func readSuppressions(path string, src []byte) *suppressions {
	if !bytes.Contains(src, []byte(directivePrefix)) {
		return nil
	}
	s := &suppressions{path: path, near: map[string]string{}}
	for _, c := range pyyaml.Comments(src) {
		s.parse(c)
	}
	s.near = nil // needed while parsing only
	if len(s.entries) == 0 && len(s.invalid) == 0 {
		return nil
	}
	return s
}

// parse reads one comment; comments that are not `# ckptmeta:` ones are ignored.
func (s *suppressions) parse(c pyyaml.Comment) {
	line, col := c.Mark.Line+1, c.Mark.Column+1
	body := strings.TrimLeft(c.Text[1:], " \t") // after the '#'
	rest, ok := strings.CutPrefix(body, directivePrefix)
	if !ok {
		return
	}
	rest = strings.TrimLeft(rest, " \t")
	// colAt is the column of rest[i:], in code points.
	colAt := func(i int) int { return col + utf8.RuneCountInString(c.Text) - utf8.RuneCountInString(rest[i:]) }
	word, _, _ := strings.Cut(rest, " ") // what follows a blank is the reason, for people
	if i := strings.IndexFunc(word, unicode.IsSpace); i >= 0 {
		word = word[:i]
	}
	target := 0
	var list string
	switch {
	case strings.HasPrefix(word, directiveFile):
		list = word[len(directiveFile):]
	case strings.HasPrefix(word, directiveLine):
		list = word[len(directiveLine):]
		target = line
		if c.OwnLine {
			target = c.Next + 1 // the next line holding YAML
			if c.Next < 0 {
				target = -1 // nothing follows: it can suppress nothing
			}
		}
	default:
		s.invalid = append(s.invalid, s.finding(ruleInvalid, line, col,
			fmt.Sprintf("malformed suppression comment %q", strings.TrimSpace(c.Text)), suppressionSyntax))
		return
	}
	start := len(word) - len(list) // rest starts with word, which ends with list
	var entries []suppressionEntry
	excused := false
	off := 0
	for _, rule := range strings.Split(list, ",") {
		at := colAt(start + off)
		off += len(rule) + 1
		switch ok, why := suppressible(rule); {
		case rule == "":
			s.invalid = append(s.invalid, s.finding(ruleInvalid, line, at, "suppression names no rule", suppressionSyntax))
		case rule == suppressAll:
			entries = append(entries, suppressionEntry{rule: rule, line: line, col: col, target: target})
		case rule == ruleUnused:
			excused = true
			if target == 0 {
				s.quiet = true
			}
		case !KnownRule(rule):
			msg := fmt.Sprintf("suppression names unknown rule %q", rule)
			near, seen := s.near[rule]
			if !seen {
				near = SuggestRule(rule)
				s.near[rule] = near // a hostile file repeats one id thousands of times
			}
			if near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			s.invalid = append(s.invalid, s.finding(ruleInvalid, line, at, msg, "the rule ids are listed in DESIGN.md's rule table"))
		case !ok:
			s.invalid = append(s.invalid, s.finding(ruleInvalid, line, at,
				fmt.Sprintf("%s cannot be suppressed: %s", rule, why), "fix the file instead"))
		default:
			entries = append(entries, suppressionEntry{rule: rule, line: line, col: col, target: target})
		}
	}
	for i := range entries {
		entries[i].excused = excused
	}
	s.entries = append(s.entries, entries...)
}

func (s *suppressions) finding(rule string, line, col int, msg, hint string) Finding {
	return Finding{Path: s.path, Line: line, Column: col, Rule: rule, Severity: SeverityWarning, Message: msg, Hint: hint}
}

// filter drops the findings the comments suppress, marking the suppressions used.
func (s *suppressions) filter(fs []Finding) []Finding {
	if s == nil {
		return fs
	}
	kept := fs[:0]
	for _, f := range fs {
		suppressed := false
		// A mapping or sequence as a key is yaml/non-string-key too, but safe_load refuses it.
		complexKey := f.Rule == "yaml/non-string-key" && f.Message == msgComplexKey
		if ok, _ := suppressible(f.Rule); ok && f.Rule != ruleUnused && !complexKey {
			for i := range s.entries {
				e := &s.entries[i]
				if (e.rule == f.Rule || e.rule == suppressAll) && (e.target == 0 || e.target == f.Line) {
					e.used, suppressed = true, true
				}
			}
		}
		if !suppressed {
			kept = append(kept, f)
		}
	}
	return kept
}

// report returns the suppression findings, once every finding of the file went through
// filter: one per rule of a comment that suppressed nothing, and the invalid comments.
func (s *suppressions) report() []Finding {
	if s == nil {
		return nil
	}
	var out []Finding
	for _, e := range s.entries {
		if e.used || e.excused || s.quiet {
			continue
		}
		msg := fmt.Sprintf("suppression of %s for line %d suppressed nothing", e.rule, e.target)
		switch {
		case e.target == 0:
			msg = fmt.Sprintf("file-wide suppression of %s suppressed nothing", e.rule)
		case e.target < 0:
			msg = fmt.Sprintf("suppression of %s suppressed nothing: no YAML follows it", e.rule)
		}
		out = append(out, s.finding(ruleUnused, e.line, e.col, msg, "remove it, or the rule from it"))
	}
	return append(out, s.invalid...)
}

// encode writes the suppressions, with what they have suppressed so far, for the results
// cache: a cached verdict on the content carries them to the neighbour checks.
func (s *suppressions) encode(e *resultcache.Encoder) {
	if s == nil {
		e.Bool(false)
		return
	}
	e.Bool(true)
	e.Bool(s.quiet)
	e.Uint(uint64(len(s.entries)))
	for _, x := range s.entries {
		e.String(x.rule)
		e.Int(int64(x.line))
		e.Int(int64(x.col))
		e.Int(int64(x.target))
		e.Bool(x.excused)
		e.Bool(x.used)
	}
	e.Uint(uint64(len(s.invalid)))
	for _, f := range s.invalid {
		e.Int(int64(f.Line))
		e.Int(int64(f.Column))
		e.String(f.Message)
		e.String(f.Hint)
	}
}

// decodeSuppressions reads what encode wrote, for the file path (nil: there were none, or
// the payload is damaged, which the caller's Decoder then says).
func decodeSuppressions(d *resultcache.Decoder, path string) *suppressions {
	if !d.Bool() {
		return nil
	}
	s := &suppressions{path: path, quiet: d.Bool()}
	n := d.Uint()
	if n > 1<<20 || !d.OK() {
		return nil
	}
	for i := uint64(0); i < n && d.OK(); i++ {
		x := suppressionEntry{rule: d.String(), line: int(d.Int()), col: int(d.Int()), target: int(d.Int())}
		x.excused, x.used = d.Bool(), d.Bool()
		s.entries = append(s.entries, x)
	}
	n = d.Uint()
	if n > 1<<20 || !d.OK() {
		return nil
	}
	for i := uint64(0); i < n && d.OK(); i++ {
		line, col := int(d.Int()), int(d.Int())
		msg, hint := d.String(), d.String()
		s.invalid = append(s.invalid, s.finding(ruleInvalid, line, col, msg, hint))
	}
	return s
}
