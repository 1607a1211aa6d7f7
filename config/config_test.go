package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
	"go.yaml.in/yaml/v3"
)

func write(t *testing.T, p, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("c.yaml", t.TempDir(), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

func levels(e *Effective) map[string]string {
	m := map[string]string{}
	for _, r := range e.Rules {
		m[r.Rule] = string(r.Level) + " @ " + r.Origin.String()
	}
	return m
}

// Defaults < file < flags, value by value, each with its origin.
func TestMergePrecedence(t *testing.T) {
	f := mustParse(t, "strict: true\njobs: 2\nexclude: [a]\npaths: [out]\ngenerate: {schema_version: 1.1, naming: stem}\n")
	e, err := Merge(nil, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Strict.Value || e.Jobs.Value != 0 || e.Paths.Value != nil || e.SchemaVersion.Value != "latest" || e.Naming.Value != "ckpt" ||
		e.Strict.Origin.Kind != FromDefault || len(e.Rules) != 0 || e.RuleLevels() != nil {
		t.Errorf("defaults: %+v", e)
	}

	e, err = Merge(f, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Strict.Value || e.Strict.Origin.String() != "c.yaml:1:9" || e.Jobs.Value != 2 || e.Jobs.Origin.Line != 2 {
		t.Errorf("file: strict %+v jobs %+v", e.Strict, e.Jobs)
	}
	if got := e.Paths.Value; len(got) != 1 || !filepath.IsAbs(got[0]) || filepath.Base(got[0]) != "out" {
		t.Errorf("file paths: %v", got)
	}
	if e.SchemaVersion.Value != "1.1" || e.Naming.Value != "stem" {
		t.Errorf("file generate: %v %v", e.SchemaVersion, e.Naming)
	}

	e, err = Merge(f, Flags{Strict: ptr(false), Jobs: ptr(8), Exclude: []string{"b"}, Paths: []string{"x", "y"},
		SchemaVersion: ptr("2.0"), Naming: ptr("ckpt")})
	if err != nil {
		t.Fatal(err)
	}
	if e.Strict.Value || e.Strict.Origin.String() != "flag --strict" || e.Jobs.Value != 8 {
		t.Errorf("flags: strict %+v jobs %+v", e.Strict, e.Jobs)
	}
	if got := e.ExcludePatterns(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("exclude adds up: %v", got)
	}
	if got := e.PathsFrom("/anywhere"); !reflect.DeepEqual(got, []string{"x", "y"}) || e.Paths.Origin.String() != "arguments" {
		t.Errorf("arguments replace the file's paths: %v (%v)", got, e.Paths.Origin)
	}
	if e.SchemaVersion.Value != "2.0" || e.Naming.Value != "ckpt" || e.Naming.Origin.Flag != "--naming" {
		t.Errorf("flag generate: %v %v", e.SchemaVersion, e.Naming)
	}
}

// The file's paths are relative to its directory, and shown relative to the working one.
func TestPathsRelativeToTheFile(t *testing.T) {
	root := t.TempDir()
	p := write(t, filepath.Join(root, "repo", FileName), "paths: [outputs, ../shared]\nextensions: [team.schema.json]\n")
	write(t, filepath.Join(root, "repo", "team.schema.json"), "{}")
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := Merge(f, Flags{})
	got := e.PathsFrom(filepath.Join(root, "repo", "sub"))
	want := []string{filepath.Join("..", "outputs"), filepath.Join("..", "..", "shared")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PathsFrom: %v, want %v", got, want)
	}
	if ext := e.Extensions.Value; len(ext) != 1 || ext[0] != filepath.Join(root, "repo", "team.schema.json") {
		t.Errorf("extensions are absolute: %v", ext)
	}
}

// Rule levels layer preset < file rules < --preset < switches, a later one winning per rule.
func TestMergeRuleLayers(t *testing.T) {
	f := mustParse(t, "preset: no-checkpoints\nrules:\n  sidecar/orphan: error\n  yaml/truthy: off\n")
	e, err := Merge(f, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"checkpoint/unreadable": "off @ preset no-checkpoints (c.yaml:1:9)",
		"sidecar/stale":         "off @ preset no-checkpoints (c.yaml:1:9)",
		"sidecar/orphan":        "error @ c.yaml:3:19", // the file's own rule beats its preset
		"yaml/truthy":           "off @ c.yaml:4:16",
	}
	if got := levels(e); !reflect.DeepEqual(got, want) {
		t.Errorf("file:\n got %v\nwant %v", got, want)
	}

	// A preset on the command line goes above the file's rules.
	e, err = Merge(f, Flags{Preset: ptr(validate.PresetNoCheckpoints)})
	if err != nil {
		t.Fatal(err)
	}
	if got := levels(e)["sidecar/orphan"]; got != "off @ preset no-checkpoints (flag --preset)" {
		t.Errorf("--preset over the file's rule: %s", got)
	}

	// Switches come last, in order; --enable gives the rule back its own severity.
	var sw []RuleSetting
	for _, s := range [][2]string{{"--disable", "yaml/unquoted-version,sidecar/orphan"}, {"--enable", "sidecar/orphan"},
		{"--severity", "yaml/truthy=warning"}, {"--severity", "yaml/truthy=error"}} {
		rs, err := ParseSwitch(s[0], s[1])
		if err != nil {
			t.Fatal(err)
		}
		sw = append(sw, rs...)
	}
	e, err = Merge(f, Flags{Rules: sw})
	if err != nil {
		t.Fatal(err)
	}
	got := e.RuleLevels()
	wantLevels := map[string]validate.RuleLevel{"checkpoint/unreadable": "off", "sidecar/stale": "off",
		"yaml/unquoted-version": "off", "yaml/truthy": "error"}
	if !reflect.DeepEqual(got, wantLevels) {
		t.Errorf("RuleLevels: %v, want %v", got, wantLevels)
	}
	if l := levels(e)["sidecar/orphan"]; l != " @ flag --enable" {
		t.Errorf("enabled rule: %q", l)
	}
	if !slices.IsSortedFunc(e.Rules, func(a, b RuleSetting) int { return strings.Compare(a.Rule, b.Rule) }) {
		t.Error("Rules are not sorted")
	}
}

func TestParseSwitchErrors(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--disable", "orphn", `unknown rule "orphn" (did you mean sidecar/orphan?)`},
		{"--disable", "sidecar/orphan,", `empty rule id`},
		{"--severity", "sidecar/orphan", `want RULE=LEVEL`},
		{"--severity", "sidecar/orphan=loud", `want off, warning or error, got "loud"`},
		{"--enable", "internal/error", `cannot be changed`},
	} {
		_, err := ParseSwitch(c.flag, c.value)
		var fe *FlagError
		if !errors.As(err, &fe) || fe.Flag != c.flag || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.flag, c.value, err, c.want)
		}
	}
	if _, err := Merge(nil, Flags{Preset: ptr("none")}); err == nil || !strings.Contains(err.Error(), `--preset: unknown preset "none"`) {
		t.Errorf("unknown preset: %v", err)
	}
	if _, err := Merge(nil, Flags{SchemaVersion: ptr("0")}); err == nil {
		t.Error("--schema-version 0 accepted")
	}
	if _, err := Merge(nil, Flags{Jobs: ptr(-1)}); err == nil {
		t.Error("--jobs -1 accepted")
	}
}

// Every mistake is a FileError at the line and column of the key or value at fault.
func TestParseErrorsArePlaced(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		want      string
	}{
		{"strict: true\nstrct: true\n", 2, 1, `unknown key "strct"`},
		{"generate:\n  naming: long\n", 2, 11, `naming: want ckpt or stem`},
		{"rules:\n  yaml/truthy: [off]\n", 2, 16, `got a list, want a string`},
		{"rules:\n  - yaml/truthy\n", 2, 3, `rules: got a list, want a mapping`},
		{"jobs: 2.5\n", 1, 7, `got a number, want a whole number`},
		{"paths: []\n", 1, 8, `paths: empty list`},
		{"exclude: [a, 3]\n", 1, 14, `exclude: got an integer, want a string`},
		{"rules: &x {}\nexclude: *x\n", 2, 10, `aliases are not supported`},
		{"strict: true\n---\nstrict: false\n", 2, 1, `more than one YAML document`},
		{"{strict: true\n", 1, 1, `YAML: did not find expected ',' or '}'`},
		{"1: true\n", 1, 1, `a key must be a string`},
	} {
		_, err := Parse("c.yaml", "/", []byte(c.src))
		var fe *FileError
		if !errors.As(err, &fe) || fe.Line != c.line || fe.Column != c.col || !strings.Contains(fe.Msg, c.want) {
			t.Errorf("%q: %v (at %d:%d), want %d:%d %q", c.src, err, lineOf(fe), colOf(fe), c.line, c.col, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: the error is not one line: %q", c.src, err)
		}
	}
	for _, src := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		if f, err := Parse("c.yaml", "/", []byte(src)); err != nil || f.Strict != nil || len(f.Rules) != 0 {
			t.Errorf("%q: %v %+v", src, err, f)
		}
	}
}

func lineOf(e *FileError) int {
	if e == nil {
		return 0
	}
	return e.Line
}

func colOf(e *FileError) int {
	if e == nil {
		return 0
	}
	return e.Column
}

// Find walks up to the first .ckptmeta.yaml, stops at the repository root (a .git directory
// or file), and returns the path relative to where it started.
func TestFind(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, FileName), "strict: true\n")
	write(t, filepath.Join(root, "a", "b", "c", "keep"), "")
	for _, c := range []struct {
		setup func()
		from  string
		want  string
	}{
		{nil, root, FileName},
		{nil, filepath.Join(root, "a", "b", "c"), filepath.Join("..", "..", "..", FileName)},
		{func() { write(t, filepath.Join(root, "a", FileName), "") }, filepath.Join(root, "a", "b", "c"), filepath.Join("..", "..", FileName)},
		{func() { write(t, filepath.Join(root, "a", "b", ".git"), "gitdir: elsewhere\n") }, filepath.Join(root, "a", "b", "c"), ""},
		{func() { os.MkdirAll(filepath.Join(root, "a", "b", "c", ".git"), 0o755) }, filepath.Join(root, "a", "b", "c"), ""},
		{func() { write(t, filepath.Join(root, "a", "b", "c", FileName), "") }, filepath.Join(root, "a", "b", "c"), FileName},
	} {
		if c.setup != nil {
			c.setup()
		}
		got, err := Find(c.from)
		if err != nil || got != c.want {
			t.Errorf("Find(%s) = %q, %v; want %q", c.from, got, err, c.want)
		}
	}
}

// The published JSON Schema and the loader agree: the example is valid for both, every
// top-level and generate key the loader knows is in the schema (and no other), and files the
// loader refuses for their shape are refused by the schema too.
func TestSchemaAgreesWithLoader(t *testing.T) {
	sch, err := schemas.Compile(SchemaID, Schema())
	if err != nil {
		t.Fatal(err)
	}
	asJSON := func(src string) any {
		var v any
		if err := yaml.Unmarshal([]byte(src), &v); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	example, err := os.ReadFile(filepath.Join("testdata", "example.ckptmeta.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("example", "/", example); err != nil {
		t.Errorf("the loader refuses the example: %v", err)
	}
	if err := sch.Validate(asJSON(string(example))); err != nil {
		t.Errorf("the schema refuses the example: %v", err)
	}
	for _, src := range []string{
		"strct: true\n", "strict: yes\n", "jobs: -1\n", "jobs: '2'\n", "rules: {sidecar/orphans: off}\n",
		"rules: {sidecar/orphan: loud}\n", "rules: {file/unreadable: off}\n", "preset: none\n", "paths: []\n",
		"exclude: scratch\n", "generate: {schema_version: '0'}\n", "generate: {naming: long}\n", "generate: {x: 1}\n",
		"- a\n",
	} {
		if _, err := Parse("c.yaml", "/", []byte(src)); err == nil {
			t.Errorf("%q: the loader accepts it", src)
		}
		if err := sch.Validate(asJSON(src)); err == nil {
			t.Errorf("%q: the schema accepts it", src)
		}
	}
	var doc struct {
		Properties map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	var top, gen []string
	for k := range doc.Properties {
		top = append(top, k)
	}
	for k := range doc.Properties["generate"].Properties {
		gen = append(gen, k)
	}
	slices.Sort(top)
	slices.Sort(gen)
	if want := slices.Sorted(slices.Values(keys)); !reflect.DeepEqual(top, want) {
		t.Errorf("schema keys %v, loader keys %v", top, want)
	}
	if want := slices.Sorted(slices.Values(generateKeys)); !reflect.DeepEqual(gen, want) {
		t.Errorf("schema generate keys %v, loader %v", gen, want)
	}
}
