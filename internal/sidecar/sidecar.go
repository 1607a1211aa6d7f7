// Package sidecar knows which files are checkpoint-metadata sidecars, which checkpoint each one
// belongs to, and how to find them all under a set of paths.
//
// For checkpoint X.ckpt the sidecar names are, in order of preference, X.ckpt.metadata.yaml,
// X.metadata.yaml, X.ckpt.metadata.yml, X.metadata.yml, and the legacy X.metadata.json. Both
// namings were written by the original Python tools, and each of them ignored the other's files;
// this package treats them as one family so no caller repeats that bug.
//
// [Walk] promises a deterministic order (each directory's entries sorted by name, depth first),
// never follows a symbolic link into a directory it has already visited, and reports unreadable
// paths and symlink loops through its callback instead of stopping.
package sidecar

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
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
	stem := strings.TrimSuffix(ckptPath, ckptExt)
	return []string{
		ckptPath + ".metadata.yaml",
		stem + ".metadata.yaml",
		ckptPath + ".metadata.yml",
		stem + ".metadata.yml",
		stem + jsonSuffix,
	}
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
var runID = regexp.MustCompile(`^(\d{8}_\d{4,6}(_\d+)*|\d{2}-\d{2}-\d{2})$`)

// Experiment names the experiment a checkpoint belongs to: the directory above its nearest
// ancestor named "checkpoints" (or the one above that, when it is a timestamped run
// directory), else the checkpoint's parent's parent.
func Experiment(ckptPath string) string {
	dir := filepath.Dir(filepath.Clean(ckptPath))
	for d := dir; ; {
		if filepath.Base(d) == "checkpoints" {
			run := filepath.Dir(d)
			if runID.MatchString(filepath.Base(run)) && filepath.Dir(run) != run {
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

// ErrSymlinkLoop is reported for a directory reached again through a symbolic link.
var ErrSymlinkLoop = errors.New("sidecar: symlink loop")

// WalkFunc receives each discovered path. err is non-nil for a path that could not be read
// (an unreadable directory, a broken or looping link); the walk goes on after it.
type WalkFunc func(path string, kind Kind, err error)

// Walk visits every checkpoint and sidecar under roots. A root that is a file is reported
// whatever its name: a .ckpt as a checkpoint, a .json as legacy JSON, anything else as a
// sidecar (the caller asked for it). exclude holds glob patterns (path.Match syntax) matched
// against the slash-separated path, its base name, and each trailing run of its elements; a
// matching directory is not entered.
func Walk(roots []string, exclude []string, fn WalkFunc) {
	w := &walker{exclude: exclude, fn: fn, seen: map[fileID]bool{}}
	for _, root := range roots {
		w.root(root)
	}
}

type fileID struct{ dev, ino uint64 }

type walker struct {
	exclude []string
	fn      WalkFunc
	seen    map[fileID]bool
}

func (w *walker) excluded(p string) bool {
	if len(w.exclude) == 0 {
		return false
	}
	slash := filepath.ToSlash(p)
	parts := strings.Split(strings.TrimPrefix(slash, "./"), "/")
	for _, pat := range w.exclude {
		pat = filepath.ToSlash(pat)
		for i := range parts {
			if ok, _ := path.Match(pat, strings.Join(parts[i:], "/")); ok {
				return true
			}
		}
		if ok, _ := path.Match(pat, slash); ok {
			return true
		}
	}
	return false
}

func (w *walker) root(root string) {
	if w.excluded(root) {
		return
	}
	info, err := os.Stat(root)
	if err != nil {
		w.fn(root, rootKind(root), describe(err))
		return
	}
	if !info.IsDir() || rootKind(root) == KindCheckpoint && strings.HasSuffix(root, ckptExt) {
		w.fn(root, rootKind(root), nil)
		return
	}
	w.dir(root, info)
}

func rootKind(p string) Kind {
	if k, ok := Classify(p); ok {
		return k
	}
	switch strings.ToLower(filepath.Ext(p)) {
	case ".ckpt":
		return KindCheckpoint
	case ".json":
		return KindLegacyJSON
	}
	return KindSidecar
}

func (w *walker) dir(dir string, info fs.FileInfo) {
	if id, ok := identity(dir, info); ok {
		if w.seen[id] {
			w.fn(dir, KindUnknown, fmt.Errorf("%w: %s is already visited", ErrSymlinkLoop, dir))
			return
		}
		w.seen[id] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.fn(dir, KindUnknown, describe(err))
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(dir, name)
		if name == ".git" || w.excluded(p) {
			continue
		}
		kind, interesting := Classify(name)
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := os.Stat(p)
			if err != nil {
				if interesting {
					w.fn(p, kind, describe(err))
				}
				continue
			}
			if target.IsDir() && kind != KindCheckpoint {
				w.dir(p, target)
				continue
			}
			if target.IsDir() {
				w.fn(p, kind, nil)
				continue
			}
			mode = target.Mode().Type()
		}
		if mode.IsDir() && kind == KindCheckpoint {
			// A directory named X.ckpt is a sharded (FSDP, DeepSpeed) checkpoint: report it,
			// so callers can say it is unsupported instead of skipping it without a word.
			w.fn(p, kind, nil)
			continue
		}
		if mode.IsDir() {
			sub, err := e.Info()
			if err != nil {
				w.fn(p, KindUnknown, describe(err))
				continue
			}
			w.dir(p, sub)
			continue
		}
		if interesting {
			w.fn(p, kind, nil)
		}
	}
}

// describe turns ELOOP into ErrSymlinkLoop so callers can match it with errors.Is.
func describe(err error) error {
	if isLoop(err) {
		return fmt.Errorf("%w: %v", ErrSymlinkLoop, err)
	}
	return err
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
