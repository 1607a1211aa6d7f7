// Package config reads ckptmeta's configuration file, .ckptmeta.yaml, and merges it with the
// command line into the effective settings, remembering where each value came from.
//
// What it promises:
//   - [Find] looks for [FileName] in a directory and its ancestors, nearest first, and stops
//     at the repository root (the first directory holding .git, a directory or a worktree's
//     file): a configuration outside the repository would apply locally but not in CI, which
//     checks out the repository alone. It stops at the filesystem root otherwise.
//   - [Load] reads one file and checks every key and value. Anything it does not know, or of
//     the wrong type, is a [*FileError] naming file:line:col; nothing is ignored. The
//     published JSON Schema ([Schema]) describes the same keys (a test keeps them equal).
//   - [Merge] layers defaults < file < command line ([Flags]) and records an [Origin] for every
//     value, for `ckptmeta config`. Rule levels layer preset < rules < --preset < switches;
//     a preset given on the command line replaces the file's.
//   - Rule ids are checked against the one rule table (validate.KnownRule); a mistyped id
//     is an error that names the close ones.
//
// The package reads files and never prints; cmd/ckptmeta maps its values to each command's
// options.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// FileName is the configuration file [Find] looks for.
const FileName = ".ckptmeta.yaml"

// MaxFileSize bounds a configuration file (a real one is a few hundred bytes).
const MaxFileSize = 1 << 20

// OriginKind says which layer a value came from.
type OriginKind int

const (
	// FromDefault: nobody set it.
	FromDefault OriginKind = iota
	// FromFile: the configuration file, at File:Line:Column.
	FromFile
	// FromFlag: the command line (Flag names the flag, or "PATH" for arguments).
	FromFlag
)

func (k OriginKind) String() string {
	switch k {
	case FromFile:
		return "file"
	case FromFlag:
		return "flag"
	}
	return "default"
}

// Origin is where a value came from. A rule level that a preset set also names the preset.
type Origin struct {
	Kind   OriginKind
	File   string // FromFile: the file as found or given
	Line   int    // FromFile: 1-based
	Column int    // FromFile: 1-based
	Flag   string // FromFlag: "--strict", "--disable", …, or "PATH" for the arguments
	Preset string // a rule level set by this preset (the preset's own origin is the rest)
}

func (o Origin) String() string {
	var s string
	switch o.Kind {
	case FromFile:
		s = fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Column)
	case FromFlag:
		s = "flag " + o.Flag
		if o.Flag == "PATH" {
			s = "arguments"
		}
	default:
		s = "default"
	}
	if o.Preset != "" {
		s = "preset " + o.Preset + " (" + s + ")"
	}
	return s
}

// Value is one setting and where it came from.
type Value[T any] struct {
	Value  T
	Origin Origin
}

// File is one configuration file as read. Absent keys are nil (or empty).
type File struct {
	Path string // as found or given (the name errors and origins use)
	Dir  string // absolute directory of the file: relative paths in it are relative to this

	Preset   *Value[string]
	Rules    []RuleSetting // in file order
	Exclude  []Value[string]
	Paths    *Value[[]string] // absolute
	Strict   *Value[bool]
	Jobs     *Value[int]
	Generate struct {
		SchemaVersion *Value[string] // as the registry spells it, or "latest"
		Naming        *Value[string] // "ckpt" or "stem"
	}
	// Extensions are the JSON Schema files of `extensions:`, absolute, in file order; they
	// exist and are regular files. What they do belongs to schema extensions.
	Extensions *Value[[]string]
}

// RuleSetting is one rule's level as the file or a switch sets it. Level "" (from --enable
// only) means the rule's own severity: whatever turned it off or changed it is undone.
type RuleSetting struct {
	Rule   string
	Level  validate.RuleLevel
	Origin Origin
}

// FileError is a problem in a configuration file, at a position: exit 2 for the CLI.
type FileError struct {
	File         string
	Line, Column int
	Msg          string
	Err          error // the underlying error, if any
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config: %s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("config: %s: %s", e.File, e.Msg)
}

func (e *FileError) Unwrap() error { return e.Err }

// Find returns the configuration file that applies in dir: dir/.ckptmeta.yaml, else the
// nearest ancestor's, stopping after the first directory that holds .git (the repository
// root) or at the filesystem root. It returns "" when there is none. The path returned is
// relative to dir when the file is in dir or above it (".ckptmeta.yaml",
// "../../.ckptmeta.yaml"), so messages stay short and do not depend on where the
// repository is checked out.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	for d := abs; ; {
		p := filepath.Join(d, FileName)
		if info, err := os.Stat(p); err == nil {
			if info.IsDir() {
				return "", &FileError{File: p, Msg: "is a directory"}
			}
			if rel, err := filepath.Rel(abs, p); err == nil {
				return rel, nil
			}
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", &FileError{File: p, Msg: err.Error(), Err: err}
		}
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return "", nil // the repository root: a file above it is not this repository's
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", nil
		}
		d = parent
	}
}

// Known presets and levels, for messages.
func presetList() string { return strings.Join(validate.PresetNames(), ", ") }

// checkRule reports what is wrong with a rule id a user typed ("" when nothing is).
func checkRule(id string) string {
	if validate.KnownRule(id) {
		if slices.Contains(validate.FixedRules, id) {
			return fmt.Sprintf("the level of %s cannot be changed: its findings mean the file was not checked", id)
		}
		return ""
	}
	msg := fmt.Sprintf("unknown rule %q", id)
	if close := validate.CloseRules(id); len(close) > 0 {
		msg += " (did you mean " + strings.Join(close, ", ") + "?)"
	} else {
		msg += " (`ckptmeta config --rules` lists them)"
	}
	return msg
}

// checkVersion returns the version as the registry spells it, or "latest".
func checkVersion(v string) (string, error) {
	if v == "latest" {
		return v, nil
	}
	s, err := schemas.Default().Lookup(v)
	if err != nil || s.Version == schemas.Legacy {
		return "", fmt.Errorf("%q is not a version ckptmeta writes (%s, latest)", v, strings.Join(schemas.Default().Versions()[1:], ", "))
	}
	return s.Version, nil
}

func checkNaming(n string) error {
	if n == "" {
		return fmt.Errorf("want ckpt or stem, got %q", n)
	}
	_, err := sidecar.ParseNaming(n)
	return err
}
