package report

import "github.com/ckptmeta/ckptmeta/validate"

// RuleDescription returns a one-line description of a rule id (SARIF's shortDescription):
// [validate.RuleDescription], the one rule table.
func RuleDescription(id string) string { return validate.RuleDescription(id) }
