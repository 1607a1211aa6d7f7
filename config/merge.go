package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ckptmeta/ckptmeta/validate"
)

// Flags are the settings the command line gave. nil (or empty) means not given: the file's
// value, or the default, stands. cmd/ckptmeta fills it from the flags a command has.
type Flags struct {
	Paths   []string // PATH arguments: they replace the file's paths
	Strict  *bool    // --strict
	Jobs    *int     // --jobs
	Exclude []string // --exclude: added to the file's patterns
	Preset  *string  // --preset: replaces the file's preset
	// Rules are the rule switches (--disable, --enable, --severity) in command-line order,
	// as [ParseSwitch] reads them; a later one for the same rule wins.
	Rules         []RuleSetting
	SchemaVersion *string // generate --schema-version
	Naming        *string // generate --naming
}

// FlagError is a flag value [ParseSwitch] or [Merge] refuses: a usage error.
type FlagError struct {
	Flag string // "--disable", "--preset", …
	Msg  string
}

func (e *FlagError) Error() string { return e.Flag + ": " + e.Msg }

// Defaults of the settings the file and the flags may change.
const (
	DefaultSchemaVersion = "latest"
	DefaultNaming        = "ckpt"
)

// Effective is the configuration a command runs with, each value with its origin.
type Effective struct {
	File   string        // the configuration file read ("" when none)
	Preset Value[string] // "" when none
	// Rules holds every rule whose level is set, sorted by rule id, with the layer that set
	// it last. Level "" (after --enable) is the rule's own severity.
	Rules         []RuleSetting
	Strict        Value[bool]
	Jobs          Value[int] // 0: each command's default
	Exclude       []Value[string]
	Paths         Value[[]string] // absolute from the file, as given from the arguments; nil: the default (./outputs)
	SchemaVersion Value[string]   // generate's; "latest" or a version as the registry spells it
	Naming        Value[string]   // generate's: "ckpt" or "stem"
	Extensions    Value[[]string] // absolute JSON Schema files, in file order
}

var flagOrigin = func(flag string) Origin { return Origin{Kind: FromFlag, Flag: flag} }

// Merge layers the defaults, the file (nil: none) and the command line. Rule levels layer
// in this order, a later layer winning for the rules it names: the preset (the command
// line's when given, else the file's), the file's rules, then the switches; a preset given
// on the command line goes above the file's rules, since flags override the file.
func Merge(f *File, fl Flags) (*Effective, error) {
	e := &Effective{
		SchemaVersion: Value[string]{Value: DefaultSchemaVersion},
		Naming:        Value[string]{Value: DefaultNaming},
	}
	if f == nil {
		f = &File{}
	}
	e.File = f.Path
	if f.Strict != nil {
		e.Strict = *f.Strict
	}
	if fl.Strict != nil {
		e.Strict = Value[bool]{*fl.Strict, flagOrigin("--strict")}
	}
	if f.Jobs != nil {
		e.Jobs = *f.Jobs
	}
	if fl.Jobs != nil {
		if *fl.Jobs < 0 {
			return nil, &FlagError{"--jobs", fmt.Sprintf("want 0 or more, got %d", *fl.Jobs)}
		}
		e.Jobs = Value[int]{*fl.Jobs, flagOrigin("--jobs")}
	}
	e.Exclude = append(e.Exclude, f.Exclude...)
	for _, x := range fl.Exclude {
		e.Exclude = append(e.Exclude, Value[string]{x, flagOrigin("--exclude")})
	}
	if f.Paths != nil {
		e.Paths = *f.Paths
	}
	if len(fl.Paths) > 0 {
		e.Paths = Value[[]string]{slices.Clone(fl.Paths), flagOrigin("PATH")}
	}
	if f.Generate.SchemaVersion != nil {
		e.SchemaVersion = *f.Generate.SchemaVersion
	}
	if fl.SchemaVersion != nil {
		v, err := checkVersion(*fl.SchemaVersion)
		if err != nil {
			return nil, &FlagError{"--schema-version", err.Error()}
		}
		e.SchemaVersion = Value[string]{v, flagOrigin("--schema-version")}
	}
	if f.Generate.Naming != nil {
		e.Naming = *f.Generate.Naming
	}
	if fl.Naming != nil {
		if err := checkNaming(*fl.Naming); err != nil {
			return nil, &FlagError{"--naming", fmt.Sprintf("want ckpt or stem, got %q", *fl.Naming)}
		}
		e.Naming = Value[string]{*fl.Naming, flagOrigin("--naming")}
	}
	if f.Extensions != nil {
		e.Extensions = *f.Extensions
	}

	levels := map[string]RuleSetting{}
	layer := func(rs []RuleSetting) {
		for _, r := range rs {
			levels[r.Rule] = r
		}
	}
	presetRules := func(p Value[string]) ([]RuleSetting, error) {
		m, err := validate.Preset(p.Value)
		if err != nil {
			return nil, err
		}
		o := p.Origin
		o.Preset = p.Value
		var rs []RuleSetting
		for _, id := range slices.Sorted(maps.Keys(m)) {
			rs = append(rs, RuleSetting{Rule: id, Level: m[id], Origin: o})
		}
		return rs, nil
	}
	if fl.Preset != nil {
		p := Value[string]{*fl.Preset, flagOrigin("--preset")}
		rs, err := presetRules(p)
		if err != nil {
			return nil, &FlagError{"--preset", fmt.Sprintf("unknown preset %q (known: %s)", p.Value, presetList())}
		}
		e.Preset = p
		layer(f.Rules)
		layer(rs)
	} else {
		if f.Preset != nil {
			rs, err := presetRules(*f.Preset)
			if err != nil {
				return nil, err // Load checked it; a File built by hand may not be
			}
			e.Preset = *f.Preset
			layer(rs)
		}
		layer(f.Rules)
	}
	for _, r := range fl.Rules {
		if msg := checkRule(r.Rule); msg != "" {
			return nil, &FlagError{r.Origin.Flag, msg}
		}
	}
	layer(fl.Rules)
	for _, id := range slices.Sorted(maps.Keys(levels)) {
		e.Rules = append(e.Rules, levels[id])
	}
	return e, nil
}

// RuleLevels returns the levels for validate.Options.Rules: nil when no rule is changed.
// A rule put back to its own severity (--enable) is left out.
func (e *Effective) RuleLevels() map[string]validate.RuleLevel {
	var m map[string]validate.RuleLevel
	for _, r := range e.Rules {
		if r.Level == "" {
			continue
		}
		if m == nil {
			m = map[string]validate.RuleLevel{}
		}
		m[r.Rule] = r.Level
	}
	return m
}

// ExcludePatterns returns the exclude globs, the file's first.
func (e *Effective) ExcludePatterns() []string {
	var out []string
	for _, x := range e.Exclude {
		out = append(out, x.Value)
	}
	return out
}

// PathsFrom returns the paths to look at when no PATH is given, relative to wd when they
// can be (reports then name files as a user in wd would), or nil for the default.
func (e *Effective) PathsFrom(wd string) []string {
	if e.Paths.Value == nil {
		return nil
	}
	out := make([]string, len(e.Paths.Value))
	for i, p := range e.Paths.Value {
		out[i] = p
		if e.Paths.Origin.Kind != FromFile || wd == "" {
			continue
		}
		if rel, err := filepath.Rel(wd, p); err == nil {
			out[i] = rel
		}
	}
	return out
}

// ParseSwitch reads one value of a rule switch: flag is "--disable" (RULE[,RULE…] off),
// "--enable" (RULE[,RULE…] back to its own severity) or "--severity"
// (RULE=LEVEL[,RULE=LEVEL…]). Rule ids are checked against the rule table; a mistyped one
// is a [*FlagError] naming the close ones.
func ParseSwitch(flag, value string) ([]RuleSetting, error) {
	var out []RuleSetting
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, &FlagError{flag, fmt.Sprintf("empty rule id in %q", value)}
		}
		r := RuleSetting{Rule: item, Origin: flagOrigin(flag)}
		switch flag {
		case "--disable":
			r.Level = validate.RuleOff
		case "--enable":
			r.Level = ""
		case "--severity":
			rule, level, ok := strings.Cut(item, "=")
			if !ok {
				return nil, &FlagError{flag, fmt.Sprintf("want RULE=LEVEL (off, warning or error), got %q", item)}
			}
			l, err := validate.ParseRuleLevel(level)
			if err != nil {
				return nil, &FlagError{flag, fmt.Sprintf("%s: want off, warning or error, got %q", rule, level)}
			}
			r.Rule, r.Level = rule, l
		default:
			return nil, &FlagError{flag, "not a rule switch"}
		}
		if msg := checkRule(r.Rule); msg != "" {
			return nil, &FlagError{flag, msg}
		}
		out = append(out, r)
	}
	return out, nil
}
