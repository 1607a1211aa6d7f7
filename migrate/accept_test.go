package migrate

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// seedWith is the valid 1.0 seed sidecar with hmean replaced by line.
func seedWith(t *testing.T, line string) []byte {
	t.Helper()
	src := string(readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml"))
	out := strings.Replace(src, "  hmean: 0.9524925344688172\n", line+"\n", 1)
	if out == src {
		t.Fatal("the seed fixture has no hmean line")
	}
	return []byte(out)
}

// errorsOf is what validate reports as errors for src under rules (suppressions included).
func errorsOf(name string, src []byte, rules map[string]validate.RuleLevel) []string {
	res, _ := validate.New(schemas.Default(), validate.Options{Rules: rules, NoStale: true}).Check(name, src)
	var out []string
	for _, f := range res.Findings {
		if f.Severity == validate.SeverityError {
			out = append(out, f.Rule)
		}
	}
	return out
}

// TestMigrateAgreesWithValidateOnHiddenFindings: a document whose only schema error validate
// does not report (suppressed in the file, or its rule off) is valid for migrate too: left as
// it is at its version, and migrated to a later one (judged once, at the end, as validate will
// read it), in both validation modes. The same document with the error reported is invalid.
func TestMigrateAgreesWithValidateOnHiddenFindings(t *testing.T) {
	const name = "x.ckpt.metadata.yaml"
	suppressed := seedWith(t, "  hmean: 1.5  # ckptmeta: disable=schema/maximum")
	plain := seedWith(t, "  hmean: 1.5")
	off := map[string]validate.RuleLevel{"schema/maximum": validate.RuleOff}
	cases := []struct {
		name  string
		src   []byte
		rules map[string]validate.RuleLevel
		valid bool
	}{
		{"suppressed", suppressed, nil, true},
		{"rule off", plain, off, true},
		{"rule a warning", plain, map[string]validate.RuleLevel{"schema/maximum": validate.RuleWarning}, true},
		{"reported", plain, nil, false},
		{"another rule off", plain, map[string]validate.RuleLevel{"schema/minimum": validate.RuleOff}, false},
	}
	for _, c := range cases {
		for _, each := range []bool{false, true} {
			t.Run(c.name, func(t *testing.T) {
				if got := len(errorsOf(name, c.src, c.rules)) == 0; got != c.valid {
					t.Fatalf("validate says valid = %v, want %v", got, c.valid)
				}
				o := Options{To: "1.0", Rules: c.rules, ValidateEachStep: each}
				m, err := MigrateBytes(name, c.src, o)
				if !c.valid {
					var ie *InvalidError
					if !errors.As(err, &ie) {
						t.Fatalf("at 1.0: err = %v, want *InvalidError (regenerate)", err)
					}
					return
				}
				if err != nil || m.Changed {
					t.Fatalf("at 1.0: err = %v, changed = %v; want it left as it is", err, m != nil && m.Changed)
				}
				o.To = "latest"
				m, err = MigrateBytes(name, c.src, o)
				if err != nil || !m.Changed || m.To != "2.0" {
					t.Fatalf("to 2.0: err = %v, want migrated", err)
				}
				if errs := errorsOf(name, m.Data, c.rules); len(errs) != 0 {
					t.Fatalf("validate reports %v on the migrated file:\n%s", errs, m.Data)
				}
				if !strings.Contains(string(m.Data), "hmean: 1.5") {
					t.Fatalf("the accepted value was not carried:\n%s", m.Data)
				}
			})
		}
	}
}

// TestRunDoesNotRegenerateAcceptedFiles: with its checkpoint beside it, a file whose reasons
// to be regenerated validate does not report is not regenerated (AcceptedError, nothing
// written) when migrate cannot read it, and the same file with the reason reported is.
func TestRunDoesNotRegenerateAcceptedFiles(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "outputs", "exp", "checkpoints")
	seed := string(readFixture(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml"))
	dup := strings.Replace(seed, "\ncreated_at: ", "\nexp_name: renamed  # ckptmeta: disable=yaml/duplicate-key\ncreated_at: ", 1)
	if dup == seed || len(errorsOf("acc.ckpt.metadata.yaml", []byte(dup), nil)) != 0 {
		t.Fatalf("setup: want a duplicate key validate accepts:\n%s", dup)
	}
	put(t, filepath.Join(ck, "acc.ckpt"), readFixture(t, "../testdata/ckpt/best.ckpt"), 0o644)
	put(t, filepath.Join(ck, "acc.ckpt.metadata.yaml"), []byte(dup), 0o644)
	put(t, filepath.Join(ck, "plain.ckpt"), readFixture(t, "../testdata/ckpt/best.ckpt"), 0o644)
	put(t, filepath.Join(ck, "plain.ckpt.metadata.yaml"), []byte(strings.Replace(dup, "  # ckptmeta: disable=yaml/duplicate-key", "", 1)), 0o644)
	for _, check := range []bool{true, false} {
		_, rs := runAll(t, []string{filepath.Join(dir, "outputs")}, Options{Check: check})
		acc, plain := byPath(rs)["acc.ckpt.metadata.yaml"], byPath(rs)["plain.ckpt.metadata.yaml"]
		var ae *AcceptedError
		if !errors.As(acc.Err, &ae) || acc.Regenerated || acc.Written || acc.Changed {
			t.Errorf("check=%v: suppressed duplicate key: err %v, regenerated %v, written %v; want *AcceptedError and nothing done", check, acc.Err, acc.Regenerated, acc.Written)
		}
		if plain.Err != nil || !plain.Regenerated {
			t.Errorf("check=%v: reported duplicate key: err %v, regenerated %v; want regenerated", check, plain.Err, plain.Regenerated)
		}
	}
	if got := string(readFixture(t, filepath.Join(ck, "acc.ckpt.metadata.yaml"))); got != dup {
		t.Errorf("the accepted file changed:\n%s", got)
	}
}

// TestRuleOffIsNotFixed: a certain fix of a rule that is off is made neither by migrate nor
// by fix, and the same file without the switch gets it.
func TestRuleOffIsNotFixed(t *testing.T) {
	src := readFixture(t, "../testdata/sidecars/invalid/unquoted-version-and-timestamp.metadata.yaml")
	off := map[string]validate.RuleLevel{"yaml/unquoted-version": validate.RuleOff, "yaml/unquoted-timestamp": validate.RuleOff}
	m, err := MigrateBytes("x.metadata.yaml", src, Options{To: "1.0", Rules: off})
	if err != nil || m.Changed {
		t.Fatalf("migrate with the rules off: err %v, changed %v; want unchanged", err, m != nil && m.Changed)
	}
	if m, err := MigrateBytes("x.metadata.yaml", src, Options{To: "1.0"}); err != nil || !m.Changed {
		t.Fatalf("migrate: err %v; want the quoting fixes", err)
	}
	fx, err := fixBytes(nil, off, "x.metadata.yaml", src, "", "")
	if err != nil || fx.Changed || len(fx.Fixes)+len(fx.Unfixed) != 0 {
		t.Fatalf("fix with the rules off: err %v, %+v; want nothing fixed or reported", err, fx)
	}
	fx, err = fixBytes(nil, map[string]validate.RuleLevel{"yaml/unquoted-timestamp": validate.RuleOff, "yaml/unquoted-version": validate.RuleWarning}, "x.metadata.yaml", src, "", "")
	if err != nil || !fx.Changed || len(fx.Fixes) != 1 || !strings.Contains(fx.Fixes[0], "schema_version") {
		t.Fatalf("fix with one rule off, one a warning: err %v, %+v; want only schema_version quoted", err, fx)
	}
}
