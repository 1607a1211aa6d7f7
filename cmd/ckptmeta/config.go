package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ckptmeta/ckptmeta/config"
	"github.com/ckptmeta/ckptmeta/validate"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The root's persistent flags that choose the configuration file.
const (
	configFlag   = "config"
	noConfigFlag = "no-config"
)

// configJSONVersion versions `ckptmeta config -o json`: {"format_version", "tool", "kind",
// "config_file", "settings": [{"key", "value", "source": {"kind", "file", "line", "column",
// "flag", "preset"}}]}.
const configJSONVersion = 1

// loadConfigFile reads the configuration the root's flags choose: --config FILE, none with
// --no-config, else the .ckptmeta.yaml config.Find finds from the working directory. A broken
// file is an error (exit 2) naming file:line:col.
func loadConfigFile(cmd *cobra.Command) (*config.File, error) {
	// Both the settings and the schema registry need the file: find and parse it once.
	if l, ok := loadedConfigs[cmd]; ok {
		return l.file, l.err
	}
	f, err := findAndLoadConfig(cmd)
	loadedConfigs[cmd] = loadedConfig{f, err}
	return f, err
}

// loadedConfigs remembers each command's configuration file (cobra runs one command at a
// time; tests run Main many times, each with new commands).
var loadedConfigs = map[*cobra.Command]loadedConfig{}

type loadedConfig struct {
	file *config.File
	err  error
}

func findAndLoadConfig(cmd *cobra.Command) (*config.File, error) {
	fl := cmd.Flags()
	path, _ := fl.GetString(configFlag)
	noConfig, _ := fl.GetBool(noConfigFlag)
	if noConfig && fl.Changed(configFlag) {
		return nil, usagef("--config and --no-config cannot be combined")
	}
	if noConfig {
		return nil, nil
	}
	if path == "" {
		found, err := config.Find(".")
		if err != nil {
			return nil, configError(err)
		}
		if found == "" {
			return nil, nil
		}
		path = found
	}
	f, err := config.Load(path)
	if err != nil {
		return nil, configError(err)
	}
	return f, nil
}

// configError is a configuration file's problem: one line naming file:line:col, exit 2.
func configError(err error) error { return err }

// ruleSwitches collects --disable, --enable and --severity in command-line order (one list
// for the three flags, so a later switch for a rule wins whichever flag it is).
type ruleSwitches struct{ list []config.RuleSetting }

// ruleSwitchFlag is one of the three flags; a bad rule id is a usage error when flags are parsed.
type ruleSwitchFlag struct {
	flag string
	to   *ruleSwitches
	vals []string
}

func (f *ruleSwitchFlag) String() string { return strings.Join(f.vals, ",") }
func (f *ruleSwitchFlag) Type() string {
	if f.flag == "--severity" {
		return "RULE=LEVEL"
	}
	return "RULE"
}
func (f *ruleSwitchFlag) Set(s string) error {
	rs, err := config.ParseSwitch(f.flag, s)
	if err != nil {
		var fe *config.FlagError
		if errors.As(err, &fe) {
			return errors.New(fe.Msg) // pflag names the flag itself
		}
		return err
	}
	f.vals = append(f.vals, s)
	f.to.list = append(f.to.list, rs...)
	return nil
}

// ruleFlagsHelp is what the rule switches say in --help.
const ruleFlagsHelp = `Rule switches (also in .ckptmeta.yaml's rules and preset): --disable RULE drops a rule's
findings, --enable RULE gives it back its own severity, --severity RULE=LEVEL sets off,
warning or error; each is repeatable and takes comma lists, and a later one wins. --preset
no-checkpoints is for repositories that commit sidecars but not checkpoints (sidecar/orphan,
sidecar/stale and checkpoint/unreadable off). ` + "`ckptmeta config --rules`" + ` lists the rule ids.`

// ruleHelp is the paragraph of a command's help about the rule switches: what they decide
// for that command.
func ruleHelp(what string) string {
	return "Rule switches: --disable RULE, --enable RULE, --severity RULE=LEVEL and --preset (as in\n" +
		".ckptmeta.yaml's rules and preset; `ckptmeta config --help` tells how they combine) " + what
}

// addRuleFlags gives a command whose result the validator's findings decide the rule
// switches and --preset.
func addRuleFlags(fl *pflag.FlagSet) {
	to := &ruleSwitches{}
	fl.Var(&ruleSwitchFlag{flag: "--disable", to: to}, "disable", "turn a rule off (repeatable, comma lists)")
	fl.Var(&ruleSwitchFlag{flag: "--enable", to: to}, "enable", "give a rule back its own severity (repeatable, comma lists)")
	fl.Var(&ruleSwitchFlag{flag: "--severity", to: to}, "severity", "set a rule's level: off, warning or error (repeatable, comma lists)")
	fl.String("preset", "", "a named set of rule levels: "+strings.Join(validate.PresetNames(), ", "))
}

// commandSettings merges the configuration file with the flags cmd has that a file may set
// too, and the PATH arguments: what the command runs with.
func commandSettings(cmd *cobra.Command, args []string) (*config.Effective, error) {
	file, err := loadConfigFile(cmd)
	if err != nil {
		return nil, err
	}
	fs := cmd.Flags()
	changed := func(name string) bool { return fs.Lookup(name) != nil && fs.Changed(name) }
	var in config.Flags
	if len(args) > 0 {
		in.Paths = args
	}
	if changed("strict") {
		v, _ := fs.GetBool("strict")
		in.Strict = &v
	}
	if changed("jobs") {
		v, _ := fs.GetInt("jobs")
		in.Jobs = &v
	}
	if fs.Lookup("exclude") != nil {
		in.Exclude, _ = fs.GetStringArray("exclude")
	}
	if changed("preset") {
		v, _ := fs.GetString("preset")
		in.Preset = &v
	}
	if f := fs.Lookup("disable"); f != nil {
		in.Rules = f.Value.(*ruleSwitchFlag).to.list
	}
	if changed("schema-version") {
		v, _ := fs.GetString("schema-version")
		in.SchemaVersion = &v
	}
	if changed("naming") {
		v, _ := fs.GetString("naming")
		in.Naming = &v
	}
	eff, err := config.Merge(file, in)
	if err != nil {
		var fe *config.FlagError
		if errors.As(err, &fe) {
			return nil, &usageError{err}
		}
		return nil, err
	}
	return eff, nil
}

// workDir is the working directory, or "" when it cannot be had (paths then stay absolute).
func workDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return wd
}

// showConfigPath renders a path of the configuration for output: relative to the working
// directory when it can be.
func showConfigPath(p string) string {
	if wd := workDir(); wd != "" && filepath.IsAbs(p) {
		if rel, err := filepath.Rel(wd, p); err == nil {
			p = rel
		}
	}
	return filepath.ToSlash(p)
}

// configRow is one line of `ckptmeta config`.
type configRow struct {
	key    string
	value  any // string, bool, int or nil
	origin config.Origin
}

func configRows(e *config.Effective) []configRow {
	rows := []configRow{}
	add := func(key string, value any, o config.Origin) { rows = append(rows, configRow{key, value, o}) }
	if e.Preset.Value == "" {
		add("preset", nil, e.Preset.Origin)
	} else {
		add("preset", e.Preset.Value, e.Preset.Origin)
	}
	for _, r := range e.Rules {
		level := any(string(r.Level))
		if r.Level == "" {
			level = "on"
		}
		add("rules."+r.Rule, level, r.Origin)
	}
	add("strict", e.Strict.Value, e.Strict.Origin)
	add("jobs", e.Jobs.Value, e.Jobs.Origin)
	if len(e.Exclude) == 0 {
		add("exclude", nil, config.Origin{})
	}
	for _, x := range e.Exclude {
		add("exclude", x.Value, x.Origin)
	}
	if e.Paths.Value == nil {
		add("paths", "outputs", e.Paths.Origin)
	}
	for _, p := range e.Paths.Value {
		add("paths", showConfigPath(p), e.Paths.Origin)
	}
	add("generate.schema_version", e.SchemaVersion.Value, e.SchemaVersion.Origin)
	add("generate.naming", e.Naming.Value, e.Naming.Origin)
	if len(e.Extensions.Value) == 0 {
		add("extensions", nil, e.Extensions.Origin)
	}
	for _, p := range e.Extensions.Value {
		add("extensions", showConfigPath(p), e.Extensions.Origin)
	}
	return rows
}

func originJSON(o config.Origin) map[string]any {
	m := map[string]any{"kind": o.Kind.String()}
	switch o.Kind {
	case config.FromFile:
		m["file"], m["line"], m["column"] = filepath.ToSlash(o.File), o.Line, o.Column
	case config.FromFlag:
		m["flag"] = o.Flag
	}
	if o.Preset != "" {
		m["preset"] = o.Preset
	}
	return m
}

func newConfigCmd() *cobra.Command {
	var (
		format    string
		listRules bool
	)
	cmd := &cobra.Command{
		Use:   "config [PATH...]",
		Short: "Print the effective configuration and where each value came from",
		Long: `Config prints the settings a command would run with here, and where each came from: the
default, the configuration file (path:line:col), or a flag. Give it the flags (and PATHs)
you would give the command to see how they combine.

The configuration file is .ckptmeta.yaml, found by walking up from the working directory
to the repository root (the first directory holding .git), or --config FILE; --no-config
ignores it. Flags override it and it overrides the defaults. Its keys:

  preset: no-checkpoints        # rule levels for repositories without checkpoints
  rules: {RULE: off|warning|error, ...}
  exclude: [GLOB, ...]          # added to --exclude
  paths: [PATH, ...]            # used when no PATH is given, relative to the file
  strict: true|false
  jobs: N                       # files at once (--jobs); 0: each command's default
  generate: {schema_version: VERSION, naming: ckpt|stem}
  extensions: [FILE, ...]       # JSON Schema files (applied by schema extensions)

Unknown keys and values of the wrong type are errors naming file:line:col (exit 2).
` + "`ckptmeta schema show config`" + ` prints the file's JSON Schema for editors. --rules lists
the rule ids and what each one checks.

` + ruleFlagsHelp + `

` + exitHelp("", "a configuration file that cannot be read or has an error"),
		Example: `  ckptmeta config
  ckptmeta config -o json
  ckptmeta config --preset no-checkpoints --severity yaml/truthy=error
  ckptmeta config --rules`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("-o/--format must be text or json, not %q", format)
			}
			out := cmd.OutOrStdout()
			if listRules {
				return printRules(cmd, format)
			}
			eff, err := commandSettings(cmd, args)
			if err != nil {
				return err
			}
			rows := configRows(eff)
			if format == "json" {
				settings := make([]map[string]any, len(rows))
				for i, r := range rows {
					settings[i] = map[string]any{"key": r.key, "value": r.value, "source": originJSON(r.origin)}
				}
				var file any
				if eff.File != "" {
					file = filepath.ToSlash(eff.File)
				}
				return writeJSONDoc(out, configJSONVersion, map[string]any{"kind": "ckptmeta/config", "config_file": file, "settings": settings})
			}
			file := "none"
			if eff.File != "" {
				file = showPath(filepath.ToSlash(eff.File))
			} else if nc, _ := cmd.Flags().GetBool(noConfigFlag); nc {
				file = "none (--no-config)"
			}
			fmt.Fprintf(out, "configuration file: %s\n", file)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SETTING\tVALUE\tFROM")
			for _, r := range rows {
				v := "-"
				switch x := r.value.(type) {
				case string:
					v = x
				case bool:
					v = strconv.FormatBool(x)
				case int:
					v = strconv.Itoa(x)
					if x == 0 {
						v = "0 (each command's default)"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", oneLine(r.key), oneLine(v), oneLine(r.origin.String()))
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "o", "text", "output format: text or json")
	fl.BoolVar(&listRules, "rules", false, "list the rule ids and what each checks")
	fl.Bool("strict", false, "as validate --strict")
	fl.IntP("jobs", "j", 0, "as the commands' --jobs")
	fl.StringArray("exclude", nil, "as the commands' --exclude (repeatable)")
	fl.String("schema-version", "", "as generate --schema-version")
	fl.String("naming", "", "as generate --naming")
	addRuleFlags(fl)
	return cmd
}

// printRules lists every rule id a switch or the file may name, with its description.
func printRules(cmd *cobra.Command, format string) error {
	out := cmd.OutOrStdout()
	ids := validate.SwitchableRules()
	if format == "json" {
		rules := make([]map[string]string, len(ids))
		for i, id := range ids {
			rules[i] = map[string]string{"rule": id, "description": validate.RuleDescription(id)}
		}
		return writeJSONDoc(out, configJSONVersion, map[string]any{"kind": "ckptmeta/rules", "rules": rules})
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tWHAT")
	for _, id := range ids {
		fmt.Fprintf(tw, "%s\t%s\n", id, validate.RuleDescription(id))
	}
	return tw.Flush()
}
