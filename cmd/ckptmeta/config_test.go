package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/config"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// `ckptmeta schema show config` prints a schema that compiles with the sidecar schemas'
// compiler and accepts the repository's example configuration, which the README shows as it
// is; it refuses the example with an unknown key.
func TestSchemaShowConfigValidatesTheExample(t *testing.T) {
	var out, errw bytes.Buffer
	if code := run([]string{"schema", "show", "config"}, &out, &errw); code != 0 {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	sch, err := schemas.Compile(config.SchemaID, out.Bytes())
	if err != nil {
		t.Fatalf("the printed schema does not compile: %v", err)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "config", "testdata", "example.ckptmeta.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	instance := func(src []byte) any {
		var v any
		if err := yaml.Unmarshal(src, &v); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		var j any
		if err := json.Unmarshal(b, &j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	if err := sch.Validate(instance(example)); err != nil {
		t.Errorf("the printed schema refuses the example: %v", err)
	}
	if err := sch.Validate(instance(append(bytes.Clone(example), "colour: always\n"...))); err == nil {
		t.Error("the printed schema accepts an unknown key")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, example) {
		t.Error("README.md does not show config/testdata/example.ckptmeta.yaml as it is")
	}
	// And the example is what ckptmeta itself reads without complaint.
	dir := t.TempDir()
	p := filepath.Join(dir, config.FileName)
	if err := os.WriteFile(p, example, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errw.Reset()
	if code := run([]string{"config", "--config", p}, &out, &errw); code != 0 || !strings.Contains(out.String(), "preset                       no-checkpoints") {
		t.Errorf("config --config example: exit %d\n%s%s", code, out.String(), errw.String())
	}
}

// Each command's help names, in its exit codes, only flags the command has (issue 11 §7: no
// command lists the situations of another's flags), and every flag letter means the same
// long flag in every command that has it (deprecated, hidden shorthands aside: README,
// Conventions).
func TestHelpExitCodesAndLettersAreEachCommandsOwn(t *testing.T) {
	root := newRoot(new(bytes.Buffer), new(bytes.Buffer))
	flagRef := regexp.MustCompile(`--[a-z][a-z-]+`)
	letters := map[string]string{} // shorthand → long name, first seen
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		help := c.Long
		if i := strings.Index(help, "Exit codes:"); i >= 0 && c != root {
			for _, ref := range flagRef.FindAllString(help[i:], -1) {
				if c.Flags().Lookup(ref[2:]) == nil && c.InheritedFlags().Lookup(ref[2:]) == nil {
					t.Errorf("%s --help: its exit codes name %s, which it does not have", c.CommandPath(), ref)
				}
			}
		}
		check := func(f *pflag.Flag) {
			if f.Shorthand == "" || f.ShorthandDeprecated != "" {
				return
			}
			if prev, ok := letters[f.Shorthand]; ok && prev != f.Name {
				t.Errorf("-%s means --%s in %s but --%s elsewhere", f.Shorthand, f.Name, c.CommandPath(), prev)
			}
			letters[f.Shorthand] = f.Name
		}
		c.LocalFlags().VisitAll(check)
		c.InheritedFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	visit(root)
	if letters["o"] != "format" || letters["j"] != "jobs" || letters["q"] != "quiet" || letters["v"] != "version" {
		t.Errorf("flag letters: %v", letters)
	}
}

// TestRuleSwitchesAreOnEveryCommandFindingsDecide: the four rule switches are on exactly the
// commands whose result the validator's findings decide, each from addRuleFlags (the one
// mapping to validate.Options.Rules), and each command's help says what they do there.
func TestRuleSwitchesAreOnEveryCommandFindingsDecide(t *testing.T) {
	root := newRoot(new(bytes.Buffer), new(bytes.Buffer))
	want := map[string]bool{"validate": true, "status": true, "list": true, "migrate": true, "fix": true, "config": true}
	for _, c := range root.Commands() {
		for _, name := range []string{"disable", "enable", "severity", "preset"} {
			f := c.Flags().Lookup(name)
			if (f != nil) != want[c.Name()] {
				t.Errorf("%s has --%s: %v, want %v", c.Name(), name, f != nil, want[c.Name()])
			}
		}
		if want[c.Name()] && c.Name() != "config" && !strings.Contains(c.Long, "Rule switches: --disable RULE") {
			t.Errorf("%s --help does not say what the rule switches do for it", c.Name())
		}
	}
}
