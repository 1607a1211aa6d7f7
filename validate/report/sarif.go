package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ckptmeta/ckptmeta/validate"
)

const (
	sarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
	informationURI = "https://github.com/ckptmeta/ckptmeta"
	// fingerprintKey names our partialFingerprints entry; bump the suffix if the
	// hashed fields ever change, so code scanning treats them as new.
	fingerprintKey = "ckptmeta/v1"
)

// The SARIF subset we write. Field order here is output order.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
	// Properties is the run's property bag: {"skippedFiles": n} when files with sidecar
	// names were not checkpoint metadata and were skipped (omitted when none were).
	Properties map[string]int `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifReporter buffers results (the rule table precedes them in the log) and
// writes one indented SARIF 2.1.0 log at Close.
type sarifReporter struct {
	out     *output
	o       Options
	results []sarifResult
	ruleIdx map[string]int // provisional index: order first seen; remapped at Close
	rules   []string
}

func (s *sarifReporter) Report(r *validate.Result) error {
	if err := s.out.check(r); err != nil {
		return err
	}
	seen := map[string]int{} // (path|pointer|rule) → occurrences in this file
	for _, f := range findings(r) {
		p := findingPath(r, &f)
		idx, ok := s.ruleIdx[f.Rule]
		if !ok {
			idx = len(s.rules)
			s.ruleIdx[f.Rule] = idx
			s.rules = append(s.rules, f.Rule)
		}
		level := "warning"
		if f.Severity == validate.SeverityError {
			level = "error"
		}
		msg := f.Message
		if f.Hint != "" {
			msg += "\nhint: " + f.Hint
		}
		if msg == "" {
			msg = f.Rule // message.text must not be empty to be useful
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(p)}}}
		if f.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: max(f.Column, 0)}
		}
		key := p + "|" + f.Pointer + "|" + f.Rule
		n := seen[key]
		seen[key] = n + 1
		s.results = append(s.results, sarifResult{
			RuleID:              f.Rule,
			RuleIndex:           idx,
			Level:               level,
			Message:             sarifMessage{Text: msg},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{fingerprintKey: fingerprint(key, n)},
		})
	}
	return nil
}

// fingerprint is sha256(path|pointer|rule), stable across runs and line moves.
// The n-th repeat of the same triple in one file gets "|n" appended, so every
// finding keeps a distinct fingerprint (code scanning merges equal ones).
func fingerprint(key string, n int) string {
	if n > 0 {
		key += "|" + strconv.Itoa(n)
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// sarifURI turns a slash path into a relative (or absolute) URI reference:
// percent-encoded, with "./" before a first segment that contains ':' so it is
// not read as a scheme.
func sarifURI(p string) string {
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

func (s *sarifReporter) Close(sum validate.Summary) error {
	if s.out.closed {
		return ErrClosed
	}
	s.out.closed = true
	sorted := append([]string(nil), s.rules...)
	sort.Strings(sorted)
	final := make(map[string]int, len(sorted))
	rules := make([]sarifRule, len(sorted))
	for i, id := range sorted {
		final[id] = i
		rules[i] = sarifRule{ID: id, ShortDescription: sarifMessage{Text: RuleDescription(id)}}
	}
	for i := range s.results {
		s.results[i].RuleIndex = final[s.results[i].RuleID]
	}
	if s.results == nil {
		s.results = []sarifResult{}
	}
	log := sarifLog{
		Schema:  sarifSchemaURI,
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           s.o.tool(),
				Version:        s.o.Version,
				InformationURI: informationURI,
				Rules:          rules,
			}},
			ColumnKind: "unicodeCodePoints",
			Results:    s.results,
			Properties: skippedProperty(sum),
		}},
	}
	enc := json.NewEncoder(s.out.w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return &WriteError{Format: SARIF, Err: err}
	}
	return s.out.flush(SARIF)
}

func skippedProperty(sum validate.Summary) map[string]int {
	if sum.Skipped == 0 {
		return nil
	}
	return map[string]int{"skippedFiles": sum.Skipped}
}
