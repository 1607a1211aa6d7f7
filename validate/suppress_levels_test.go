package validate

import "testing"

// Suppressions apply first, rule levels (Options.Rules) to what is left: a level never
// brings back a suppressed finding, and suppression/unused takes a level like any rule
// (a team can turn it off, or make it an error).
func TestSuppressionsBeforeRuleLevels(t *testing.T) {
	src := "schema_version: '1.0'\nteam: x # ckptmeta: disable=schema/unknown-key\nflag: yes # ckptmeta: disable=yaml/truthy,sidecar/stale\n" + okBody
	tests := []struct {
		name  string
		rules map[string]RuleLevel
		want  string
		valid bool
	}{
		{"no levels", nil, "3:1 schema/unknown-key warning\n3:11 suppression/unused warning\n", true},
		{"a suppressed rule made an error stays suppressed; unused off",
			map[string]RuleLevel{"schema/unknown-key": RuleError, "yaml/truthy": RuleError, "suppression/unused": RuleOff},
			"3:1 schema/unknown-key error\n", false},
		{"unused made an error", map[string]RuleLevel{"suppression/unused": RuleError},
			"3:1 schema/unknown-key warning\n3:11 suppression/unused error\n", false},
		{"the suppressed rule off: the suppression is still used",
			map[string]RuleLevel{"yaml/truthy": RuleOff, "schema/unknown-key": RuleOff},
			"3:11 suppression/unused warning\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(nil, Options{Rules: tt.rules}).ValidateBytes("x.metadata.yaml", []byte(src))
			got := ""
			for _, f := range r.Findings {
				got += short([]Finding{f})[:len(short([]Finding{f}))-1] + " " + f.Severity.String() + "\n"
			}
			if got != tt.want || (r.Status == StatusValid) != tt.valid {
				t.Errorf("findings (status %v):\n%s\nwant (valid=%v):\n%s", r.Status, got, tt.valid, tt.want)
			}
		})
	}
}
