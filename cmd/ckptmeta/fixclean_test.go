package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// TestFixThenValidateIsClean is issue #11's "`ckptmeta fix` followed by `validate` is clean
// on every fixable finding in testdata": over a copy of testdata (fixableTree), every
// finding whose rule fix claims (validate.FixRules) and whose hint promises the fix
// (validate.Fixable) is gone after one `ckptmeta fix`, nothing appears that was not there
// before, and each finding of those rules fix does not promise is printed as not fixed.
func TestFixThenValidateIsClean(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; not in -short")
	}
	bin := realBinary(t)
	work := fixableTree(t)
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		out, err := cmd.Output()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
			t.Fatalf("ckptmeta %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	type finding struct {
		Line     int    `json:"line"`
		Pointer  string `json:"pointer"`
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Hint     string `json:"hint"`
	}
	lint := func() map[string][]finding {
		t.Helper()
		var env struct {
			Results []struct {
				Path     string    `json:"path"`
				Findings []finding `json:"findings"`
			} `json:"results"`
		}
		if out := run("validate", "-o", "json", "outputs", "sidecars"); json.Unmarshal(out, &env) != nil {
			t.Fatalf("validate -o json:\n%s", out)
		}
		byPath := map[string][]finding{}
		for _, r := range env.Results {
			byPath[r.Path] = append(byPath[r.Path], r.Findings...)
		}
		return byPath
	}
	fixable := func(f finding) bool {
		return validate.Fixable(validate.Finding{Rule: f.Rule, Hint: f.Hint})
	}

	before := lint()
	claimed := map[string]int{} // fixable findings per rule
	for _, fs := range before {
		for _, f := range fs {
			if fixable(f) {
				claimed[f.Rule]++
			}
		}
	}
	for _, rule := range validate.FixRules {
		if claimed[rule] == 0 {
			t.Errorf("the fixture tree has no fixable %s finding: the test would not show fix corrects it", rule)
		}
	}

	var fixed struct {
		Files []struct {
			Path      string   `json:"path"`
			RenamedTo string   `json:"renamed_to"`
			Unfixed   []string `json:"unfixed"`
			Error     string   `json:"error"`
		} `json:"files"`
	}
	if out := run("fix", "-o", "json", "outputs", "sidecars"); json.Unmarshal(out, &fixed) != nil {
		t.Fatalf("fix -o json:\n%s", out)
	}
	renamed := map[string]string{}
	unfixed := map[string][]string{}
	for _, f := range fixed.Files {
		if f.RenamedTo != "" {
			renamed[f.Path] = f.RenamedTo
		}
		unfixed[f.Path] = f.Unfixed
	}
	if len(renamed) == 0 {
		t.Error("fix renamed nothing")
	}

	after := lint()
	type key struct{ path, rule, pointer, severity string }
	left := map[key]int{} // before, less what fix promised, under the names fix gave
	for path, fs := range before {
		to := path
		if r, ok := renamed[path]; ok {
			to = r
		}
		for _, f := range fs {
			if fixable(f) {
				continue
			}
			left[key{to, f.Rule, f.Pointer, f.Severity}]++
			if slices.Contains(validate.FixRules, f.Rule) { // a finding fix covers but cannot fix: said so
				said := false
				for _, u := range unfixed[path] {
					said = said || strings.Contains(u, "["+f.Rule+"]") || strings.Contains(u, f.Rule+":")
				}
				if !said {
					t.Errorf("%s: %s [%s] is not fixable, but fix did not print it as not fixed (unfixed: %q)", path, f.Message, f.Rule, unfixed[path])
				}
			}
		}
	}
	for path, fs := range after {
		for _, f := range fs {
			if fixable(f) {
				t.Errorf("%s:%d: %s [%s]: still there after ckptmeta fix (hint %q)", path, f.Line, f.Message, f.Rule, f.Hint)
			}
			k := key{path, f.Rule, f.Pointer, f.Severity}
			if left[k] == 0 {
				t.Errorf("%s:%d: %s [%s]: new after ckptmeta fix", path, f.Line, f.Message, f.Rule)
				continue
			}
			left[k]--
		}
	}
	t.Logf("fixable findings fixed, by rule: %v; renamed: %v", claimed, renamed)
}
