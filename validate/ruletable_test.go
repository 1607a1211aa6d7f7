package validate

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every rule id in DESIGN.md's rule table has its own description (SARIF's shortDescription),
// and every description is for a rule the table lists: the two cannot drift apart.
func TestRuleTableMatchesDesign(t *testing.T) {
	b, err := os.ReadFile("../DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	table := string(b)
	start := strings.Index(table, "## Rule ids")
	if start < 0 {
		t.Fatal("DESIGN.md has no rule table")
	}
	table = table[start:]
	if end := strings.Index(table[2:], "\n## "); end >= 0 {
		table = table[:end+2]
	}
	row := regexp.MustCompile("(?m)^\\| `((?:yaml|schema|sidecar|file|internal|checkpoint|walk|suppression)/[a-z-]+)` \\|")
	inTable := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		inTable[m[1]] = true
		if _, ok := ruleDescriptions[m[1]]; !ok {
			t.Errorf("rule %s is in DESIGN.md but has no description in rules.go", m[1])
		}
	}
	if len(inTable) < 20 {
		t.Fatalf("found only %d rules in DESIGN.md's table", len(inTable))
	}
	for id := range ruleDescriptions {
		if !inTable[id] {
			t.Errorf("rule %s has a description but is not in DESIGN.md's rule table", id)
		}
	}
}

func TestKnownRuleAndSuggestion(t *testing.T) {
	for _, id := range append(Rules(), "schema/type", "schema/minimum", "schema/required") {
		if !KnownRule(id) {
			t.Errorf("KnownRule(%q) = false", id)
		}
	}
	for _, id := range []string{"", "yaml", "yaml/truty", "schema/", "schema/bogus", "all", "Yaml/truthy"} {
		if KnownRule(id) {
			t.Errorf("KnownRule(%q) = true", id)
		}
	}
	for id, want := range map[string]string{
		"yaml/truty":          "yaml/truthy",
		"yaml/thruthy":        "yaml/truthy",
		"schema/unknown-keys": "schema/unknown-key",
		"schema/minimun":      "schema/minimum",
		"sidecar/orphans":     "sidecar/orphan",
		"nothing/like/this":   "",
		"x":                   "",
	} {
		if got := SuggestRule(id); got != want {
			t.Errorf("SuggestRule(%q) = %q, want %q", id, got, want)
		}
	}
}
