package validate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// RuleLevel is what [Options.Rules] makes of one rule's findings: drop them, or give them
// a severity other than the one the check chose.
type RuleLevel string

const (
	// RuleOff drops the rule's findings: they are not reported and do not count.
	RuleOff RuleLevel = "off"
	// RuleWarning reports the rule's findings as warnings (they fail only under Strict).
	RuleWarning RuleLevel = "warning"
	// RuleError reports the rule's findings as errors (the file is invalid).
	RuleError RuleLevel = "error"
)

// RuleLevels lists the levels in the order help texts name them.
var RuleLevels = []RuleLevel{RuleOff, RuleWarning, RuleError}

// ErrRuleLevel is returned by [ParseRuleLevel] for a word that is not a level.
var ErrRuleLevel = errors.New("validate: unknown rule level")

// ParseRuleLevel reads off, warning or error.
func ParseRuleLevel(s string) (RuleLevel, error) {
	for _, l := range RuleLevels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w %q (want off, warning or error)", ErrRuleLevel, s)
}

// FixedRules are the rules whose level cannot be changed: their findings mean the file was
// not checked at all (it could not be read, or checking it hit a bug), so dropping or
// softening them would let a file pass that nobody looked at.
var FixedRules = []string{"file/unreadable", "internal/error"}

// RuleFixedError is returned by [CheckRules] for a level given to one of [FixedRules].
type RuleFixedError struct{ Rule string }

func (e *RuleFixedError) Error() string {
	return fmt.Sprintf("validate: the level of %s cannot be changed: its findings mean the file was not checked", e.Rule)
}

// CheckRules reports the first entry of rules (in sorted order) that [Options.Rules] cannot
// hold: a level that is not off, warning or error, or a rule of [FixedRules]. Whether an id
// names a rule at all is the rule table's question (validate/report.IsRule).
func CheckRules(rules map[string]RuleLevel) error {
	for _, id := range slices.Sorted(maps.Keys(rules)) {
		if _, err := ParseRuleLevel(string(rules[id])); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if slices.Contains(FixedRules, id) {
			return &RuleFixedError{Rule: id}
		}
	}
	return nil
}

// applyRules drops the findings whose rule is off and gives the others the level
// Options.Rules sets for their rule. It runs on every finding a check produced, before the
// file's Status is decided, so Status, Failed and Strict all see the levels the user chose.
func (v *Validator) applyRules(fs []Finding) []Finding {
	if len(v.opts.Rules) == 0 {
		return fs
	}
	kept := fs[:0]
	for _, f := range fs {
		switch v.opts.Rules[f.Rule] {
		case RuleOff:
			continue
		case RuleWarning:
			f.Severity = SeverityWarning
		case RuleError:
			f.Severity = SeverityError
		}
		kept = append(kept, f)
	}
	return kept
}

// ruleOff reports whether Options.Rules turns every one of ids off, so the check that
// produces only those findings can be skipped.
func (v *Validator) ruleOff(ids ...string) bool {
	for _, id := range ids {
		if v.opts.Rules[id] != RuleOff {
			return false
		}
	}
	return true
}

// PresetNoCheckpoints is the preset for a repository that commits sidecars but not the
// checkpoints they describe (the usual case: checkpoints live on a training machine or in
// object storage). Every check that needs the checkpoint beside the sidecar is off: the
// missing checkpoint (sidecar/orphan), and the fingerprint comparison, which can only judge a
// checkpoint someone happens to have locally (sidecar/stale, checkpoint/unreadable).
// sidecar/misplaced stays on: it fires only when a checkpoint is present and the sidecar
// names another one, which is wrong in any repository.
const PresetNoCheckpoints = "no-checkpoints"

var presets = map[string]map[string]RuleLevel{
	PresetNoCheckpoints: {
		"sidecar/orphan":        RuleOff,
		"sidecar/stale":         RuleOff,
		"checkpoint/unreadable": RuleOff,
	},
}

// PresetNames lists the presets [Preset] knows, sorted.
func PresetNames() []string { return slices.Sorted(maps.Keys(presets)) }

// ErrUnknownPreset is returned by [Preset] for a name it does not know.
var ErrUnknownPreset = errors.New("validate: unknown preset")

// Preset returns a fresh copy of the rule levels of a named preset, for Options.Rules (the
// caller's own levels go on top of it).
func Preset(name string) (map[string]RuleLevel, error) {
	p, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownPreset, name, strings.Join(PresetNames(), ", "))
	}
	return maps.Clone(p), nil
}

// SwitchableRules lists, sorted, every rule id whose level a user may set: [Rules] and
// "schema/<keyword>" for each JSON Schema keyword the validator can report, without
// [FixedRules]. It is the list the configuration file's JSON Schema offers editors.
func SwitchableRules() []string {
	var ids []string
	for _, id := range Rules() {
		if !slices.Contains(FixedRules, id) {
			ids = append(ids, id)
		}
	}
	for _, kw := range schemaKeywords {
		ids = append(ids, "schema/"+kw)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// CloseRules returns the rule ids a mistyped id most likely meant, best first, at most three:
// ids whose name after the "/" is the name given (`orphan` → sidecar/orphan, case aside), then
// those within an edit distance of a third of its length, whole or by name. It chooses from
// [SwitchableRules]; [SuggestRule] uses the same measure over every rule.
func CloseRules(id string) []string { return closestRules(id, SwitchableRules(), 3) }

// closestRules is the one "did you mean" measure: the at most n candidates nearest to id.
func closestRules(id string, candidates []string, n int) []string {
	type scored struct {
		id   string
		dist int
	}
	out := []string{}
	if len(id) > 64 { // no rule id is that long; spare the quadratic distance
		return out
	}
	name := id
	if _, after, ok := strings.Cut(id, "/"); ok {
		name = after
	}
	lower, lowerName := strings.ToLower(id), strings.ToLower(name)
	var found []scored
	for _, r := range candidates {
		lr := strings.ToLower(r)
		_, rname, _ := strings.Cut(lr, "/")
		// The whole id, or its name alone against each rule's name (`orphn` → sidecar/orphan).
		d := min(editDistance(lower, lr), editDistance(lowerName, rname))
		if d <= max(1, len(name)/3) {
			found = append(found, scored{r, d})
		}
	}
	slices.SortStableFunc(found, func(a, b scored) int { return a.dist - b.dist })
	for _, f := range found[:min(n, len(found))] {
		out = append(out, f.id)
	}
	return out
}
