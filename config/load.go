package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ckptmeta/ckptmeta/validate"
	"go.yaml.in/yaml/v3"
)

// keys are the top-level keys of a configuration file, in the order they are documented.
var keys = []string{"preset", "rules", "exclude", "paths", "strict", "jobs", "generate", "extensions"}

// generateKeys are the keys under generate:.
var generateKeys = []string{"schema_version", "naming"}

// Load reads and checks the configuration file at path (as found by [Find] or given with
// --config; relative to the working directory). Every problem is a [*FileError] at the
// line and column of the key or value at fault; the first one found is returned.
func Load(path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: err.Error(), Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: describe(err), Err: err}
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && !info.Mode().IsRegular() {
		return nil, &FileError{File: path, Msg: "not a regular file"}
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &FileError{File: path, Msg: describe(err), Err: err}
	}
	if len(src) > MaxFileSize {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	return Parse(path, filepath.Dir(abs), src)
}

func describe(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Parse checks src as the configuration file name whose relative paths are relative to dir
// (absolute). Extension files are looked up on disk; nothing else is.
func Parse(name, dir string, src []byte) (*File, error) {
	p := &parser{file: &File{Path: name, Dir: dir}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return p.file, nil // empty, or comments only: every default stands
		}
		return nil, p.syntaxError(err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, p.errAt(&more, "more than one YAML document")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.syntaxError(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return p.file, nil
	}
	if err := p.top(root); err != nil {
		return nil, err
	}
	return p.file, nil
}

type parser struct{ file *File }

func (p *parser) errAt(n *yaml.Node, format string, a ...any) error {
	return &FileError{File: p.file.Path, Line: n.Line, Column: n.Column, Msg: strings.TrimPrefix(fmt.Sprintf(format, a...), ": ")}
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): `) })

// syntaxError places yaml.v3's message at the line it names (column 1: it gives none).
func (p *parser) syntaxError(err error) error {
	msg := err.Error()
	line := 1
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &FileError{File: p.file.Path, Line: line, Column: 1, Msg: "YAML: " + msg, Err: err}
}

func (p *parser) origin(n *yaml.Node) Origin {
	return Origin{Kind: FromFile, File: p.file.Path, Line: n.Line, Column: n.Column}
}

// kindName names a node's type for messages, in JSON Schema's words.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return "a " + n.ShortTag() + " value"
}

// mapping walks a mapping's keys in order, refusing a repeated key and a key that is not in
// known (nil: any string key).
func (p *parser) mapping(n *yaml.Node, where string, known []string, each func(key, val *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode && where == "" {
		return p.errAt(n, "the configuration must be a mapping of keys to values, got %s", kindName(n))
	}
	if n.Kind != yaml.MappingNode {
		return p.errAt(n, "%s: got %s, want a mapping", where, kindName(n))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return p.errAt(k, "%s: a key must be a string, got %s", where, kindName(k))
		}
		if line, dup := seen[k.Value]; dup {
			return p.errAt(k, "%s: key %q repeated (first at line %d)", where, k.Value, line)
		}
		seen[k.Value] = k.Line
		if known != nil && !slices.Contains(known, k.Value) {
			return p.errAt(k, "%s: unknown key %q (known: %s)", where, k.Value, strings.Join(known, ", "))
		}
		if v.Kind == yaml.AliasNode {
			return p.errAt(v, "%s: aliases are not supported in the configuration", k.Value)
		}
		if err := each(k, v); err != nil {
			return err
		}
	}
	return nil
}

// str reads a scalar as a string: quoted or plain, any tag but null and a collection.
func (p *parser) str(n *yaml.Node, where string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", p.errAt(n, "%s: got %s, want a string", where, kindName(n))
	}
	return n.Value, nil
}

// strictStr reads a scalar that must be a string (a number or boolean there is a mistake).
func (p *parser) strictStr(n *yaml.Node, where string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", p.errAt(n, "%s: got %s, want a string", where, kindName(n))
	}
	if n.Value == "" {
		return "", p.errAt(n, "%s: empty string", where)
	}
	return n.Value, nil
}

func (p *parser) strList(n *yaml.Node, where string) ([]Value[string], error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errAt(n, "%s: got %s, want a list of strings", where, kindName(n))
	}
	out := make([]Value[string], 0, len(n.Content))
	for _, item := range n.Content {
		s, err := p.strictStr(item, where)
		if err != nil {
			return nil, err
		}
		out = append(out, Value[string]{s, p.origin(item)})
	}
	return out, nil
}

func (p *parser) top(root *yaml.Node) error {
	f := p.file
	return p.mapping(root, "", keys, func(k, v *yaml.Node) error {
		switch k.Value {
		case "preset":
			s, err := p.strictStr(v, "preset")
			if err != nil {
				return err
			}
			if _, err := validate.Preset(s); err != nil {
				return p.errAt(v, "preset: unknown preset %q (known: %s)", s, presetList())
			}
			f.Preset = &Value[string]{s, p.origin(v)}
		case "rules":
			return p.mapping(v, "rules", nil, func(rk, rv *yaml.Node) error {
				if msg := checkRule(rk.Value); msg != "" {
					return p.errAt(rk, "rules: %s", msg)
				}
				s, err := p.str(rv, "rules: "+rk.Value)
				if err != nil {
					return err
				}
				level, err := validate.ParseRuleLevel(s)
				if err != nil {
					return p.errAt(rv, "rules: %s: got %q, want off, warning or error", rk.Value, s)
				}
				f.Rules = append(f.Rules, RuleSetting{Rule: rk.Value, Level: level, Origin: p.origin(rv)})
				return nil
			})
		case "exclude":
			list, err := p.strList(v, "exclude")
			if err != nil {
				return err
			}
			f.Exclude = list
		case "paths":
			list, err := p.strList(v, "paths")
			if err != nil {
				return err
			}
			if len(list) == 0 {
				return p.errAt(v, "paths: empty list (leave the key out for the default, ./outputs)")
			}
			paths := make([]string, len(list))
			for i, s := range list {
				paths[i] = p.resolve(s.Value)
			}
			f.Paths = &Value[[]string]{paths, p.origin(v)}
		case "strict":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
				return p.errAt(v, "strict: got %s, want true or false", kindName(v))
			}
			b, _ := strconv.ParseBool(v.Value) // yaml.v3 resolves only true/false spellings to !!bool
			f.Strict = &Value[bool]{b, p.origin(v)}
		case "jobs":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
				return p.errAt(v, "jobs: got %s, want a whole number", kindName(v))
			}
			var n int
			if err := v.Decode(&n); err != nil || n < 0 {
				return p.errAt(v, "jobs: want a whole number, 0 or more, got %s", v.Value)
			}
			f.Jobs = &Value[int]{n, p.origin(v)}
		case "generate":
			return p.mapping(v, "generate", generateKeys, func(gk, gv *yaml.Node) error {
				s, err := p.str(gv, "generate: "+gk.Value)
				if err != nil {
					return err
				}
				switch gk.Value {
				case "schema_version":
					ver, err := checkVersion(s) // an unquoted 1.1 is meant as the version "1.1"
					if err != nil {
						return p.errAt(gv, "generate: schema_version: %v", err)
					}
					f.Generate.SchemaVersion = &Value[string]{ver, p.origin(gv)}
				case "naming":
					if err := checkNaming(s); err != nil {
						return p.errAt(gv, "generate: naming: want ckpt or stem, got %q", s)
					}
					f.Generate.Naming = &Value[string]{s, p.origin(gv)}
				}
				return nil
			})
		case "extensions":
			list, err := p.strList(v, "extensions")
			if err != nil {
				return err
			}
			paths := make([]string, len(list))
			for i, s := range list {
				paths[i] = p.resolve(s.Value)
				info, err := os.Stat(paths[i])
				if err != nil {
					return p.errAtOrigin(s.Origin, "extensions: %s: %s", s.Value, describe(err))
				}
				if !info.Mode().IsRegular() {
					return p.errAtOrigin(s.Origin, "extensions: %s: not a regular file", s.Value)
				}
			}
			f.Extensions = &Value[[]string]{paths, p.origin(v)}
		}
		return nil
	})
}

func (p *parser) errAtOrigin(o Origin, format string, a ...any) error {
	return &FileError{File: p.file.Path, Line: o.Line, Column: o.Column, Msg: fmt.Sprintf(format, a...)}
}

// resolve makes a path of the file absolute, relative to the file's directory.
func (p *parser) resolve(s string) string {
	s = filepath.FromSlash(s)
	if filepath.IsAbs(s) {
		return filepath.Clean(s)
	}
	return filepath.Join(p.file.Dir, s)
}
