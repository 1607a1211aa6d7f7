package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	want := map[string]bool{"validate": true, "status": true, "list": true, "migrate": true, "fix": true, "watch": true, "config": true}
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

// TestRootForOneCommandBehavesAlike: a run whose first argument names a command builds only
// that command (newRootFor); its help, usage errors and output must be those of the whole
// tree, and the table of subcommands must be the tree.
func TestRootForOneCommandBehavesAlike(t *testing.T) {
	full := newRoot(new(bytes.Buffer), new(bytes.Buffer))
	var names []string
	for _, c := range full.Commands() {
		names = append(names, c.Name())
	}
	var listed []string
	for _, c := range subcommands {
		if got := c.build().Name(); got != c.name {
			t.Errorf("subcommands lists %q, but its function builds %q", c.name, got)
		}
		listed = append(listed, c.name)
	}
	slices.Sort(listed)
	if !slices.Equal(names, listed) {
		t.Fatalf("the tree's commands %v, the subcommands table %v", names, listed)
	}
	execute := func(root *cobra.Command, stdout, stderr *bytes.Buffer, args []string) string {
		root.SetArgs(args)
		err := root.Execute()
		return fmt.Sprintf("stdout:\n%s\nstderr:\n%s\nerr: %v", stdout, stderr, err)
	}
	runs := [][]string{{"schema", "list"}, {"schema", "show", "--help"}, {"schema", "nope"}, {"version"}, {"version", "extra"}, {"config", "--no-config"}}
	for _, name := range names {
		runs = append(runs, []string{name, "--help"}, []string{name, "--no-such-flag"}, []string{name, "-h", "--quiet"})
	}
	for _, args := range runs {
		var o1, e1, o2, e2 bytes.Buffer
		want := execute(newRoot(&o1, &e1), &o1, &e1, args)
		one := newRootFor(&o2, &e2, args)
		if n := len(one.Commands()); n != 1 {
			t.Errorf("%q: the root has %d commands, want only %s", args, n, args[0])
		}
		if got := execute(one, &o2, &e2, args); got != want {
			t.Errorf("ckptmeta %s with one command built:\n%s\nwith the whole tree:\n%s", strings.Join(args, " "), got, want)
		}
	}
	for _, args := range [][]string{nil, {"--help"}, {"help", "validate"}, {"valdate"}, {"--no-config", "validate"}, {"__complete", "va"}} {
		if got := len(newRootFor(new(bytes.Buffer), new(bytes.Buffer), args).Commands()); got != len(names) {
			t.Errorf("%q: the root has %d commands, want the whole tree (%d)", args, got, len(names))
		}
	}
}
