package generate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/schemas"
)

var (
	// ErrNoEpoch: neither the checkpoint, its hyper_parameters nor its file name gives the epoch.
	ErrNoEpoch = errors.New("generate: no epoch in the checkpoint, its hyper_parameters or its file name")
	// ErrNoGlobalStep: the same for the global step.
	ErrNoGlobalStep = errors.New("generate: no global_step in the checkpoint, its hyper_parameters or its file name")
	// ErrUnsafe: the checkpoint's pickle names globals that could run code if it were loaded
	// with torch.load. Nothing is ever executed here; generation refuses unless allowed.
	ErrUnsafe = errors.New("generate: checkpoint pickle references dangerous globals")
	// ErrOutsideRoot: the checkpoint is not inside the outputs root.
	ErrOutsideRoot = errors.New("generate: checkpoint is outside the outputs root")
	// ErrNotUTF8: the checkpoint's path (relative to the root) is not valid UTF-8, which no
	// YAML document can hold as a string, so no sidecar can record it.
	ErrNotUTF8 = errors.New("generate: checkpoint path is not valid UTF-8, which a YAML sidecar cannot record")
	// ErrChanged: the checkpoint's size or mtime changed while it was being read.
	ErrChanged = errors.New("generate: checkpoint changed while it was read")
	// ErrInvalid: the rendered sidecar does not validate against its own schema (a bug), or
	// against the schema extensions of Options.Registry (a field the team requires).
	ErrInvalid = errors.New("generate: rendered sidecar is invalid")
)

// MissingFactError reports a required fact no source knows; it matches ErrNoEpoch or
// ErrNoGlobalStep.
type MissingFactError struct {
	Checkpoint string
	Fact       string // "epoch" or "global_step"
	err        error
}

func (e *MissingFactError) Error() string {
	return fmt.Sprintf("generate: %s: no %s in the checkpoint, its hyper_parameters or its file name", e.Checkpoint, e.Fact)
}

// Unwrap returns ErrNoEpoch or ErrNoGlobalStep.
func (e *MissingFactError) Unwrap() error { return e.err }

// UnsafeError lists the dangerous globals of a checkpoint; it matches ErrUnsafe.
type UnsafeError struct {
	Checkpoint string
	Globals    []ckpt.Global
}

func (e *UnsafeError) Error() string {
	names := make([]string, len(e.Globals))
	for i, g := range e.Globals {
		names[i] = g.Display()
	}
	return fmt.Sprintf("generate: %s: pickle references dangerous globals (%s); nothing was executed", e.Checkpoint, strings.Join(names, ", "))
}

// Is makes errors.Is(err, ErrUnsafe) true.
func (e *UnsafeError) Is(target error) bool { return target == ErrUnsafe }

// Naming chooses a new sidecar's file name (see internal/sidecar).
type Naming = sidecar.Naming

const (
	NamingCkpt = sidecar.NamingCkpt // X.ckpt.metadata.yaml (default)
	NamingStem = sidecar.NamingStem // X.metadata.yaml
)

// Action is provenance.action.
const (
	ActionGenerated   = "generated"
	ActionRegenerated = "regenerated"
)

// Options control extraction and rendering.
type Options struct {
	// Root is the outputs root that checkpoint_path and hydra_config_path are relative to.
	// "" means the nearest ancestor directory named "outputs", else the parent of the
	// checkpoint's run directory (the directory above its "checkpoints" directory).
	Root string
	// Version is the schema_version to write; "" means the latest.
	Version string
	// Naming of the sidecar file.
	Naming Naming
	// Now is the clock for created_at; nil means time.Now.
	Now func() time.Time
	// ToolVersion is written to provenance.tool_version (1.1 and later); "" leaves it out.
	ToolVersion string
	// Action is provenance.action: ActionGenerated (default) or ActionRegenerated.
	Action string
	// Carry holds values a person wrote in an older sidecar; they win over every guess.
	Carry *Carry
	// AllowUnsafe lets a checkpoint with dangerous pickle globals through (with a warning).
	// Nothing is executed either way; the checkpoint is just not trusted by default.
	AllowUnsafe bool
	// Registry is what a rendered sidecar is checked against before it is written (and
	// where its version is looked up): the one validate uses, schema extensions included, so
	// nothing is written that validate would then refuse. nil means schemas.Default().
	Registry *schemas.Registry

	configs *configCache // set by Run: checkpoints of one run share their Hydra config
}

// Carry is what a rebuilt sidecar keeps from the file it replaces (read by [CarryOf]).
// ExpName and WandbRunID win over every source (a person names the run); the other
// values lose to the checkpoint, its hyper_parameters and the Hydra config, and win over
// the file name, guesses and defaults. Old is the old document: comments on the keys the
// new one also has, and keys no schema version defines (a person's notes), are kept.
type Carry struct {
	ExpName    string
	WandbRunID string

	Architecture  string
	Encoder       *Encoder
	Decoder       *Decoder
	Head          *Head
	Loss          *Loss
	Monitor       string
	Mode          string // "min" or "max"
	SaveTopK      *int64
	SaveLast      *bool
	TrainingPhase string
	MaxEpochs     *int64
	Metrics       Metrics // Best is not carried: it belongs to the checkpoint's callback state

	Old *yaml.Node // the old document's top-level mapping; nil when it did not parse
}

// Empty reports whether c carries nothing.
func (c *Carry) Empty() bool {
	if c == nil {
		return true
	}
	m := c.Metrics
	return c.ExpName == "" && c.WandbRunID == "" && c.Architecture == "" && c.Encoder == nil && c.Decoder == nil &&
		c.Head == nil && c.Loss == nil && c.Monitor == "" && c.Mode == "" && c.SaveTopK == nil && c.SaveLast == nil &&
		c.TrainingPhase == "" && c.MaxEpochs == nil && m.Precision == nil && m.Recall == nil && m.Hmean == nil &&
		m.ValidationLoss == nil && len(m.Additional) == 0 && c.Old == nil
}

// Sidecar is a built, validated sidecar not yet written.
type Sidecar struct {
	Checkpoint string   // the checkpoint as given
	Path       string   // where the sidecar would be written
	Version    string   // its schema_version
	Data       []byte   // the YAML
	Facts      *Facts   // what it was made from
	Warnings   []string // what was left out or guessed, sorted
}

// Build reads one checkpoint and renders its sidecar. It never writes anything.
func Build(ckptPath string, o Options) (sc *Sidecar, err error) {
	defer func() {
		// Build is where untrusted bytes and configs come in: nothing may panic past it.
		if p := recover(); p != nil {
			sc, err = nil, fmt.Errorf("generate: %s: internal error: %v", ckptPath, p)
		}
	}()
	before, err := os.Stat(ckptPath)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	// ckpt.Open says what a directory is (a sharded checkpoint, or just a directory).
	r, err := ckpt.Open(ckptPath)
	if err != nil {
		return nil, wrapPath(ckptPath, err)
	}
	if len(r.Dangerous) > 0 && !o.AllowUnsafe {
		return nil, &UnsafeError{Checkpoint: ckptPath, Globals: r.Dangerous}
	}
	f, err := Extract(r, ckptPath, o)
	if err != nil {
		return nil, wrapPath(ckptPath, err)
	}
	if !utf8.ValidString(f.Path) || !utf8.ValidString(f.HydraPath) {
		return nil, fmt.Errorf("%w: %s", ErrNotUTF8, ckptPath)
	}
	if len(r.Dangerous) > 0 {
		f.Warnings = append(f.Warnings, (&UnsafeError{Checkpoint: ckptPath, Globals: r.Dangerous}).Error()+" (allowed)")
		sort.Strings(f.Warnings)
	}
	// The fingerprint reuses the hash the reader already took; the checkpoint must not have
	// changed while it was read, or size and hash would describe different files.
	after, err := os.Stat(ckptPath)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return nil, fmt.Errorf("%w: %s; try again", ErrChanged, ckptPath)
	}
	f.Fingerprint = &ckpt.Fingerprint{Size: after.Size(), ModTime: after.ModTime(), PickleSHA256: r.PickleSHA256}
	data, version, err := render(f, o)
	if err != nil {
		return nil, wrapPath(ckptPath, err)
	}
	return &Sidecar{
		Checkpoint: ckptPath,
		Path:       sidecar.Path(ckptPath, o.Naming),
		Version:    version,
		Data:       data,
		Facts:      f,
		Warnings:   f.Warnings,
	}, nil
}

// wrapPath makes err name the checkpoint once, with this package's prefix.
func wrapPath(ckptPath string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, ckptPath) {
		if strings.HasPrefix(msg, "generate: ") {
			return err
		}
		return fmt.Errorf("generate: %w", err)
	}
	return fmt.Errorf("generate: %s: %w", ckptPath, err)
}

// location is where a checkpoint sits: its outputs root, its path below it, its experiment
// name by directory layout, and its Hydra config if one was found.
type location struct {
	root, rel, experiment string
	hydra, hydraRel       string
}

// maxHydraLevels bounds the upward search: the checkpoint's directory and three above, as
// the original resolver looked at parent.parent and parent.parent.parent.
const maxHydraLevels = 4

// RecordedPath is the checkpoint path a sidecar of ckptPath records (checkpoint_path, 2.0
// checkpoint.path), as Build writes it: slash-separated and relative to root ("" = the
// default of Options.Root). migrate uses it to re-point a misplaced sidecar.
func RecordedPath(ckptPath, root string) (string, error) {
	loc, err := locate(ckptPath, root)
	if err != nil {
		return "", err
	}
	return loc.rel, nil
}

func locate(ckptPath string, root string) (location, error) {
	var loc location
	abs, err := filepath.Abs(ckptPath)
	if err != nil {
		return loc, fmt.Errorf("generate: %w", err)
	}
	dir := filepath.Dir(abs)
	// The run directory is the one above the nearest "checkpoints" ancestor.
	runDir := ""
	for d := dir; ; d = filepath.Dir(d) {
		if filepath.Base(d) == "checkpoints" {
			runDir = filepath.Dir(d)
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	switch {
	case root != "":
		if loc.root, err = filepath.Abs(root); err != nil {
			return loc, fmt.Errorf("generate: %w", err)
		}
	default:
		for d := dir; ; d = filepath.Dir(d) {
			if filepath.Base(d) == "outputs" {
				loc.root = d
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
		if loc.root == "" {
			if runDir != "" {
				loc.root = filepath.Dir(runDir)
			} else {
				loc.root = filepath.Dir(dir)
			}
		}
	}
	rel, err := filepath.Rel(loc.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return loc, fmt.Errorf("%w: %s is not under %s", ErrOutsideRoot, ckptPath, loc.root)
	}
	loc.rel = filepath.ToSlash(rel)
	loc.experiment = sidecar.Experiment(abs)

	// Nearest .hydra/config.yaml upward, never above the run directory (a run nested in
	// another run's checkpoints dir must not take the outer run's config) nor the root.
	for d, level := dir, 0; level < maxHydraLevels; d, level = filepath.Dir(d), level+1 {
		cand := filepath.Join(d, ".hydra", "config.yaml")
		if st, err := os.Stat(cand); err == nil && st.Mode().IsRegular() {
			loc.hydra = cand
			if r, err := filepath.Rel(loc.root, cand); err == nil {
				loc.hydraRel = filepath.ToSlash(r)
			}
			break
		}
		if d == runDir || d == loc.root || filepath.Dir(d) == d {
			break
		}
	}
	return loc, nil
}
