// Package sidecar knows which files are checkpoint-metadata sidecars, which checkpoint each one
// belongs to, and how to find them all under a set of paths.
//
// For checkpoint X.ckpt the sidecar names are, in order of preference, X.ckpt.metadata.yaml,
// X.metadata.yaml, X.ckpt.metadata.yml, X.metadata.yml, and the legacy X.metadata.json. Both
// namings were written by the original Python tools, and each of them ignored the other's files;
// this package treats them as one family so no caller repeats that bug.
//
// [Walk] promises one order for every caller: lexical by slash-separated path. It visits each
// directory once however many routes lead to it (overlapping arguments, a `latest -> run1` link),
// preferring a route without symbolic links; a file named twice is reported once. Only a link
// back to one of its own ancestors is a loop, reported as a [*LoopError] (a warning: nothing is
// lost by not following it). Unreadable paths are reported through the callback and the walk goes
// on; a cancelled context stops it.
package sidecar

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Kind says what a discovered path is.
type Kind int

const (
	// KindUnknown is used for errors about paths whose kind is not known (an unreadable directory).
	KindUnknown Kind = iota
	// KindCheckpoint is a *.ckpt file.
	KindCheckpoint
	// KindSidecar is a YAML sidecar (*.metadata.yaml or *.metadata.yml).
	KindSidecar
	// KindLegacyJSON is a *.metadata.json sidecar (the V0 writer's format, or V1 as JSON).
	KindLegacyJSON
)

func (k Kind) String() string {
	switch k {
	case KindCheckpoint:
		return "checkpoint"
	case KindSidecar:
		return "sidecar"
	case KindLegacyJSON:
		return "legacy-json"
	}
	return "unknown"
}

// Naming chooses the file name of a new sidecar.
type Naming int

const (
	// NamingCkpt names the sidecar of X.ckpt "X.ckpt.metadata.yaml" (the generator's and the consoles' name).
	NamingCkpt Naming = iota
	// NamingStem names it "X.metadata.yaml" (the training callback's and the V2 catalog's name).
	NamingStem
)

// ParseNaming reads "ckpt" or "stem".
func ParseNaming(s string) (Naming, error) {
	switch s {
	case "ckpt", "":
		return NamingCkpt, nil
	case "stem":
		return NamingStem, nil
	}
	return 0, fmt.Errorf("sidecar: unknown naming %q (want ckpt or stem)", s)
}

const ckptExt = ".ckpt"

var yamlSuffixes = []string{".metadata.yaml", ".metadata.yml"}

const jsonSuffix = ".metadata.json"

// Classify tells the kind of a file by its name alone.
func Classify(name string) (Kind, bool) {
	base := path.Base(filepath.ToSlash(name))
	for _, s := range yamlSuffixes {
		if strings.HasSuffix(base, s) && len(base) > len(s) {
			return KindSidecar, true
		}
	}
	if strings.HasSuffix(base, jsonSuffix) && len(base) > len(jsonSuffix) {
		return KindLegacyJSON, true
	}
	if strings.HasSuffix(base, ckptExt) && len(base) > len(ckptExt) {
		return KindCheckpoint, true
	}
	return KindUnknown, false
}

// CheckpointFor returns the checkpoint a sidecar describes: the name without
// ".metadata.(yaml|yml|json)", with ".ckpt" appended unless it already ends so.
// A name that is not a sidecar name is returned with ".ckpt" appended to its stem.
func CheckpointFor(sidecarPath string) string {
	p := sidecarPath
	for _, s := range append(yamlSuffixes, jsonSuffix) {
		if strings.HasSuffix(p, s) {
			p = strings.TrimSuffix(p, s)
			break
		}
	}
	if strings.HasSuffix(p, ckptExt) {
		return p
	}
	return p + ckptExt
}

// Path returns the name of a new sidecar for ckptPath.
func Path(ckptPath string, n Naming) string {
	if n == NamingStem {
		return strings.TrimSuffix(ckptPath, ckptExt) + ".metadata.yaml"
	}
	return ckptPath + ".metadata.yaml"
}

// Candidates lists every sidecar name ckptPath may have, in order of preference:
// the four YAML names, then the legacy JSON.
func Candidates(ckptPath string) []string {
	out := make([]string, NumCandidates)
	for i := range out {
		out[i] = string(AppendCandidate(nil, ckptPath, i))
	}
	return out
}

// NumCandidates is how many names Candidates gives.
const NumCandidates = 5

// candidateNames: the i-th candidate is the checkpoint path (or its stem, without .ckpt)
// followed by a suffix.
var candidateNames = [NumCandidates]struct {
	stem   bool
	suffix string
}{{false, ".metadata.yaml"}, {true, ".metadata.yaml"}, {false, ".metadata.yml"}, {true, ".metadata.yml"}, {true, jsonSuffix}}

// AppendCandidate appends Candidates(ckptPath)[i] to b, allocating nothing when b has room:
// for callers that look names up in a directory listing (most candidates do not exist) and
// build a string only for the ones that do. ckptPath may be a base name.
func AppendCandidate(b []byte, ckptPath string, i int) []byte {
	c := candidateNames[i]
	if c.stem {
		ckptPath = strings.TrimSuffix(ckptPath, ckptExt)
	}
	return append(append(b, ckptPath...), c.suffix...)
}

// ReadName is the name readers look for, for a sidecar named "X.metadata.yml" or
// "X.ckpt.metadata.yml": the same name ending in ".metadata.yaml" (same naming family, so
// the same readers; only .yaml is read by the original catalogs and consoles). ok is false
// for every other name.
func ReadName(sidecarPath string) (name string, ok bool) {
	if base := path.Base(filepath.ToSlash(sidecarPath)); len(base) <= len(".metadata.yml") || !strings.HasSuffix(base, ".metadata.yml") {
		return "", false
	}
	return strings.TrimSuffix(sidecarPath, ".yml") + ".yaml", true
}

// Existing returns the candidates of ckptPath that exist, in order of preference.
func Existing(ckptPath string) []string {
	var out []string
	for _, c := range Candidates(ckptPath) {
		if _, err := os.Lstat(c); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// runID matches the run directories Hydra layouts put under an experiment:
// 20260111_104512_42 (experiment.run_id), 20241019_0033_00, and Hydra's default 13-36-50.
var runID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{8}_\d{4,6}(_\d+)*|\d{2}-\d{2}-\d{2})$`) })

// Experiment names the experiment a checkpoint belongs to: the directory above its nearest
// ancestor named "checkpoints" (or the one above that, when it is a timestamped run
// directory), else the checkpoint's parent's parent.
func Experiment(ckptPath string) string {
	dir := filepath.Dir(filepath.Clean(ckptPath))
	for d := dir; ; {
		if filepath.Base(d) == "checkpoints" {
			run := filepath.Dir(d)
			if runID().MatchString(filepath.Base(run)) && filepath.Dir(run) != run {
				return filepath.Base(filepath.Dir(run))
			}
			return filepath.Base(run)
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return filepath.Base(filepath.Dir(dir))
}

// IsTemp recognises the temp file of a sidecar (or of its .bak backup) that an interrupted
// write left: "." + the name + decimal digits.
func IsTemp(name string) bool {
	if !strings.HasPrefix(name, ".") {
		return false
	}
	base := strings.TrimRight(name[1:], "0123456789")
	if len(base) == len(name)-1 || base == "" {
		return false
	}
	base = strings.TrimSuffix(base, ".bak")
	k, ok := Classify(base)
	return ok && k == KindSidecar
}
