package report

import "strings"

// ruleDescriptions are the one-line descriptions of the stable rule ids listed
// in DESIGN.md; SARIF shows them as each rule's shortDescription.
var ruleDescriptions = map[string]string{
	"yaml/syntax":             "The file is not well-formed YAML",
	"yaml/empty":              "The file holds no YAML document",
	"yaml/node-budget":        "The document has more YAML nodes than a sidecar can need",
	"yaml/unloadable":         "A value PyYAML's safe_load cannot construct",
	"yaml/unsafe-tag":         "A !!python tag: safe_load refuses it, unsafe_load would run code",
	"yaml/unknown-tag":        "A tag PyYAML's safe_load has no constructor for",
	"yaml/duplicate-anchor":   "A YAML anchor is defined twice",
	"yaml/int-too-large":      "An integer larger than any sidecar needs",
	"yaml/truthy":             "An unquoted yes/no/on/off is a boolean to PyYAML",
	"file/too-many-findings":  "More findings than are reported for one file",
	"walk/symlink-loop":       "A symbolic link to one of its own ancestor directories, not followed",
	"yaml/duplicate-key":      "A mapping has the same key twice",
	"yaml/multiple-documents": "The file holds more than one YAML document",
	"yaml/too-large":          "The file is larger than the size limit",
	"yaml/alias-budget":       "YAML aliases expand past the budget",
	"yaml/non-string-key":     "A mapping key is not a string",
	"yaml/unquoted-timestamp": "An unquoted value is read by YAML as a timestamp",
	"yaml/unquoted-version":   "schema_version is an unquoted number",
	"yaml/non-finite-number":  "A number is NaN or infinite",
	"schema/unknown-key":      "A key that the schema does not define",
	"sidecar/legacy":          "The sidecar uses a legacy (unversioned) shape",
	"sidecar/unknown-version": "schema_version names no known schema",
	"sidecar/conflict":        "Two YAML sidecars describe one checkpoint",
	"sidecar/orphan":          "The sidecar's checkpoint does not exist",
	"sidecar/path-escapes":    "A path in the sidecar escapes its directory",
	"sidecar/stale":           "The sidecar does not match its checkpoint",
	"sidecar/superseded":      "A legacy JSON sidecar beside the YAML sidecar that replaced it",
	"sidecar/misplaced":       "The sidecar's checkpoint path names another checkpoint than the one beside it",
	"checkpoint/unreadable":   "The checkpoint beside the sidecar cannot be fingerprinted",
	"schema/internal":         "The schema could not be applied (a bug in ckptmeta)",
	"internal/error":          "A bug in ckptmeta was caught while checking the file",
	"file/unreadable":         "The file could not be read or checked",
}

// RuleDescription returns a one-line description of a rule id. JSON Schema
// rules ("schema/<keyword>") are described by their keyword; unknown ids get a
// generic text, so a new rule never breaks a report.
func RuleDescription(id string) string {
	if d, ok := ruleDescriptions[id]; ok {
		return d
	}
	if kw, ok := strings.CutPrefix(id, "schema/"); ok && kw != "" {
		return "The document fails the schema's \"" + kw + "\" keyword"
	}
	return "Rule " + id
}
