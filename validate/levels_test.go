package validate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// count returns how many findings of rule fs holds, and the severity of the last one.
func count(fs []Finding, rule string) (n int, sev Severity) {
	for _, f := range fs {
		if f.Rule == rule {
			n++
			sev = f.Severity
		}
	}
	return n, sev
}

// Options.Rules acts on the findings a check produced, before the status is decided: off
// drops them, warning and error set their severity, and Status and Failed follow.
func TestRuleLevels(t *testing.T) {
	file := filepath.Join("..", "testdata", "sidecars", "invalid", "bounds-and-types.metadata.yaml")
	plain := New(nil, Options{}).ValidateFile(file)
	if n, sev := count(plain.Findings, "schema/minimum"); n != 2 || sev != E {
		t.Fatalf("the fixture changed: %d schema/minimum, %v\n%s", n, sev, dump(plain.Findings))
	}
	if n, sev := count(plain.Findings, "yaml/truthy"); n != 1 || sev != W {
		t.Fatalf("the fixture changed: %d yaml/truthy, %v", n, sev)
	}

	// Off drops every finding of the rule and nothing else.
	r := New(nil, Options{Rules: map[string]RuleLevel{"schema/minimum": RuleOff}}).ValidateFile(file)
	if n, _ := count(r.Findings, "schema/minimum"); n != 0 || len(r.Findings) != len(plain.Findings)-2 {
		t.Errorf("off: %d findings left of %d\n%s", len(r.Findings), len(plain.Findings), dump(r.Findings))
	}

	// Every error rule of the file made a warning: the file is valid, and fails only when strict.
	soft := map[string]RuleLevel{}
	for _, f := range plain.Findings {
		if f.Severity == E {
			soft[f.Rule] = RuleWarning
		}
	}
	r = New(nil, Options{Rules: soft}).ValidateFile(file)
	if r.Status != StatusValid || r.Failed(false) || !r.Failed(true) || len(r.Findings) != len(plain.Findings) {
		t.Errorf("all warnings: status %v failed %v/%v\n%s", r.Status, r.Failed(false), r.Failed(true), dump(r.Findings))
	}
	if e, _ := r.Count(); e != 0 {
		t.Errorf("all warnings: %d errors left", e)
	}

	// A warning rule made an error makes the file invalid.
	hard := map[string]RuleLevel{"yaml/truthy": RuleError}
	for rule := range soft {
		hard[rule] = RuleOff
	}
	r = New(nil, Options{Rules: hard}).ValidateFile(file)
	if n, sev := count(r.Findings, "yaml/truthy"); n != 1 || sev != E || r.Status != StatusInvalid {
		t.Errorf("truthy as error: status %v\n%s", r.Status, dump(r.Findings))
	}

	// Strict makes unknown keys errors; the rule's own level still wins.
	r = New(nil, Options{Strict: true, Rules: map[string]RuleLevel{"schema/unknown-key": RuleWarning}}).ValidateFile(file)
	if n, sev := count(r.Findings, "schema/unknown-key"); n != 1 || sev != W {
		t.Errorf("strict, unknown-key warning: %d, %v", n, sev)
	}
}

// The no-checkpoints preset: a valid sidecar without its checkpoint is clean even under
// Strict, and the same file with the preset's rules back on fails Strict on its orphan.
func TestPresetNoCheckpoints(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "best.ckpt.metadata.yaml")
	if err := os.WriteFile(p, []byte(seedNaming(t, "best.ckpt")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(nil, Options{Strict: true}).ValidateFile(p)
	if n, _ := count(r.Findings, "sidecar/orphan"); n != 1 || !r.Failed(true) {
		t.Fatalf("without the preset: %v", dump(r.Findings))
	}
	rules, err := Preset(PresetNoCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	v := New(nil, Options{Strict: true, Rules: rules})
	if r := v.ValidateFile(p); len(r.Findings) != 0 || r.Failed(true) || r.Status != StatusValid {
		t.Errorf("with the preset: %v %v", r.Status, dump(r.Findings))
	}
	var seen int
	if err := v.Run(context.Background(), []string{dir}, func(r *Result) {
		seen++
		if r.Failed(true) {
			t.Errorf("Run with the preset: %s %v", r.Path, dump(r.Findings))
		}
	}); err != nil || seen != 1 {
		t.Errorf("Run: %v, %d results", err, seen)
	}
	// A fresh copy each time: changing one never changes the preset.
	rules["sidecar/orphan"] = RuleError
	again, _ := Preset(PresetNoCheckpoints)
	if again["sidecar/orphan"] != RuleOff {
		t.Error("Preset returned its own map")
	}
	if _, err := Preset("no-such"); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("unknown preset: %v", err)
	}
}

// The walk's own warning takes its rule's level too.
func TestRuleLevelOfSymlinkLoop(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks (Unix)")
	}
	dir := t.TempDir()
	if err := os.Symlink(dir, filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		level    RuleLevel
		findings int
		failed   bool
	}{{"", 1, false}, {RuleOff, 0, false}, {RuleError, 1, true}} {
		var got []*Result
		v := New(nil, Options{Rules: map[string]RuleLevel{"walk/symlink-loop": c.level}})
		if err := v.Run(context.Background(), []string{dir}, func(r *Result) { got = append(got, r) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got[0].NotFollowed || len(got[0].Findings) != c.findings || got[0].Failed(false) != c.failed {
			t.Errorf("level %q: %+v", c.level, got)
		}
	}
}

func TestCheckRules(t *testing.T) {
	if err := CheckRules(map[string]RuleLevel{"sidecar/orphan": RuleOff, "yaml/truthy": RuleError}); err != nil {
		t.Error(err)
	}
	if err := CheckRules(map[string]RuleLevel{"sidecar/orphan": "loud"}); !errors.Is(err, ErrRuleLevel) {
		t.Errorf("bad level: %v", err)
	}
	var fixed *RuleFixedError
	if err := CheckRules(map[string]RuleLevel{"file/unreadable": RuleWarning}); !errors.As(err, &fixed) || fixed.Rule != "file/unreadable" {
		t.Errorf("fixed rule: %v", err)
	}
	for _, s := range []string{"off", "warning", "error"} {
		if l, err := ParseRuleLevel(s); err != nil || string(l) != s {
			t.Errorf("%s: %v %v", s, l, err)
		}
	}
}

// Every rule the validator reports on the repository's sample files may be switched, so a
// user can turn off whatever they see.
func TestSwitchableRulesCoverWhatTheValidatorReports(t *testing.T) {
	v := New(nil, Options{Strict: true})
	seen := map[string]bool{}
	for _, root := range []string{"../testdata/sidecars", "../testdata/outputs", "../testdata/yaml-safeload"} {
		if err := v.Run(context.Background(), []string{root}, func(r *Result) {
			for _, f := range r.Findings {
				seen[f.Rule] = true
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) < 15 {
		t.Fatalf("the samples gave only %d rules: %v", len(seen), seen)
	}
	ids := SwitchableRules()
	for id := range seen {
		if !slices.Contains(ids, id) && !slices.Contains(FixedRules, id) {
			t.Errorf("the validator reports %s, which SwitchableRules does not list", id)
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("SwitchableRules is not sorted and unique: %v", ids)
	}
	for _, id := range ids {
		if !KnownRule(id) || slices.Contains(FixedRules, id) {
			t.Errorf("SwitchableRules lists %s", id)
		}
	}
}

func TestCloseRules(t *testing.T) {
	for in, want := range map[string]string{
		"orphan":                 "sidecar/orphan",
		"sidecar/orphans":        "sidecar/orphan",
		"sidecar/orhpan":         "sidecar/orphan",
		"schema/unknown-keys":    "schema/unknown-key",
		"unknown-key":            "schema/unknown-key",
		"yaml/truthly":           "yaml/truthy",
		"minlength":              "schema/minLength",
		"yaml/unquoted-versions": "yaml/unquoted-version",
	} {
		got := CloseRules(in)
		if len(got) == 0 || got[0] != want || len(got) > 3 {
			t.Errorf("CloseRules(%q) = %v, want %s first", in, got, want)
		}
	}
	if got := CloseRules("completely-different"); len(got) != 0 {
		t.Errorf("CloseRules(completely-different) = %v", got)
	}
}
