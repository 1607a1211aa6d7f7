package validate

import (
	"sort"
	"strings"
	"sync"
)

// ruleDescriptions are the stable rule ids of DESIGN.md's rule table with their one-line
// descriptions (SARIF shows them as each rule's shortDescription). It is the one list of
// rule ids: TestRuleTableMatchesDesign keeps it and DESIGN.md's table equal, and the
// suppression comments, the reports and the rule switches all read it.
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
	"sidecar/yml-name":        "The sidecar is named .metadata.yml, which no reader looks for",
	"checkpoint/unreadable":   "The checkpoint beside the sidecar cannot be fingerprinted",
	"schema/internal":         "The schema could not be applied (a bug in ckptmeta)",
	"internal/error":          "A bug in ckptmeta was caught while checking the file",
	"file/unreadable":         "The file could not be read or checked",
	"suppression/unused":      "A suppression comment that suppressed nothing",
	"suppression/invalid":     "A suppression comment that cannot work as written",
}

// schemaKeywords are the JSON Schema (draft 2020-12) keywords whose failures become
// "schema/<keyword>" findings; with the listed ids they make up the known rule ids.
var schemaKeywords = []string{
	"additionalItems", "const", "contains", "dependentRequired", "dependentSchemas", "enum",
	"exclusiveMaximum", "exclusiveMinimum", "false", "format", "items", "maxContains", "maxItems",
	"maxLength", "maxProperties", "maximum", "minContains", "minItems", "minLength",
	"minProperties", "minimum", "multipleOf", "not", "pattern", "prefixItems", "propertyNames",
	"required", "schema", "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems",
}

// RuleDescription returns a one-line description of a rule id. JSON Schema rules
// ("schema/<keyword>") are described by their keyword; unknown ids get a generic text, so
// a new rule never breaks a report.
func RuleDescription(id string) string {
	if d, ok := ruleDescriptions[id]; ok {
		return d
	}
	if kw, ok := strings.CutPrefix(id, "schema/"); ok && kw != "" {
		return "The document fails the schema's \"" + kw + "\" keyword"
	}
	return "Rule " + id
}

// Rules lists every stable rule id of DESIGN.md's rule table, sorted. The JSON Schema
// keyword rules ("schema/type", "schema/minimum", …) are not listed one by one; [KnownRule]
// accepts them.
func Rules() []string {
	out := make([]string, 0, len(ruleDescriptions))
	for id := range ruleDescriptions {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// KnownRule reports whether id is a rule ckptmeta can report: one of [Rules], or
// "schema/<keyword>" for a JSON Schema keyword.
func KnownRule(id string) bool {
	if _, ok := ruleDescriptions[id]; ok {
		return true
	}
	if kw, ok := strings.CutPrefix(id, "schema/"); ok {
		for _, k := range schemaKeywords {
			if k == kw {
				return true
			}
		}
	}
	return false
}

// SuggestRule returns the known rule id closest to an unknown one (for "did you mean"), or
// "" when none is close: the first of [CloseRules]' measure over every rule id, fixed ones
// included (a suppression naming a fixed rule is told it cannot be suppressed).
func SuggestRule(id string) string {
	if c := closestRules(id, ruleCandidates(), 1); len(c) > 0 {
		return c[0]
	}
	return ""
}

// ruleCandidates are the ids SuggestRule chooses from: the listed rules and the schema
// keyword rules, sorted.
var ruleCandidates = sync.OnceValue(func() []string {
	out := Rules()
	for _, k := range schemaKeywords {
		out = append(out, "schema/"+k)
	}
	sort.Strings(out)
	return out
})

// editDistance is the Levenshtein distance between a and b, in bytes (rule ids are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
