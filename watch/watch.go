// Package watch keeps sidecars current while training runs: one full scan of the tree (what
// `ckptmeta status` sees), then file-system events. A checkpoint that is complete (closed
// after writing or renamed into place, its zip central directory readable) gets its sidecar
// generated, or regenerated when the sidecar is stale; an edited sidecar is re-validated
// and, with Options.Migrate, brought to the latest version. What it does is reported to an
// [Observer] (metrics, the live page) and to a structured logger; the package never prints.
//
// Promises: a checkpoint still being written is never read half-way; memory and the event
// queue stay bounded whatever the event rate; when the context is done the file in hand is
// finished and Run returns; a crash or restart loses nothing, because the start-up scan
// catches up with whatever changed while nothing was watching.
package watch

import (
	"log/slog"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// Options configure Run and Once. The zero value watches with the defaults below.
type Options struct {
	// Generate holds what `ckptmeta generate` takes: the outputs root, the schema version
	// and naming of new sidecars, the tool version for provenance, unsafe pickles.
	Generate generate.Options
	// Migrate also brings outdated, legacy and broken sidecars to the latest version, with
	// the rules of `ckptmeta migrate` (a broken one is regenerated and its old bytes kept).
	Migrate bool
	// Exclude holds glob patterns of paths to leave alone (see sidecar.Walk).
	Exclude []string
	// Jobs bounds how many files are read at once; 0 means GOMAXPROCS.
	Jobs int
	// Registry is the schema registry every check of the watcher uses: the start-up scan
	// and the verdicts after each action (catalog.Status), re-validating edited sidecars,
	// the check generate makes of what it renders, and migrate's chain. `ckptmeta watch`
	// gives it the one validate uses, schema extensions included. nil means
	// schemas.Default(); it also replaces Generate.Registry.
	Registry *schemas.Registry
	// Rules are the rule levels of `ckptmeta validate` (validate.Options.Rules), applied to
	// every verdict of the watcher as validate applies them: the scans and refreshes
	// (catalog.Status: states, coverage, what is fixed), the findings logged for an edited
	// sidecar, and migrate's decisions (migrate.Options.Rules: no fix or regeneration for a
	// rule that is off). With sidecar/stale off a changed checkpoint's sidecar is not
	// regenerated (generate runs without Stale: missing sidecars only). nil changes no level.
	Rules map[string]validate.RuleLevel
	// Logger receives what the watcher does, one record per action or finding; nil logs nothing.
	Logger *slog.Logger
	// Observer receives coverage and actions; nil is none.
	Observer Observer

	// Quiet is how long a checkpoint must go without events before it is read (debounce);
	// 0 means DefaultQuiet.
	Quiet time.Duration
	// Settle is how long a checkpoint that is still incomplete (no zip end record yet) may
	// stay unchanged before it is reported as failed rather than retried; 0 means DefaultSettle.
	Settle time.Duration
	// MaxPending caps the set of changed paths waiting to be handled; beyond it the watcher
	// rescans the tree instead of remembering more. 0 means DefaultMaxPending.
	MaxPending int

	now       func() time.Time       // the clock; nil means time.Now (tests replace it)
	failWatch func(dir string) error // tests: an error here stands for Add's (the kernel's limits)
}

// The defaults of Options.
const (
	DefaultQuiet      = 100 * time.Millisecond
	DefaultSettle     = 10 * time.Second
	DefaultMaxPending = 100_000
	// coverageEvery throttles Observer.Coverage and the coverage log line.
	coverageEvery = 250 * time.Millisecond
	// maxRetryDelay caps the back-off between two reads of an incomplete checkpoint.
	maxRetryDelay = 2 * time.Second
)

// Summary counts what Once did.
type Summary struct {
	Generated, Regenerated, Migrated, Validated, Failed int
	// Coverage is the tree after the fixes.
	Coverage *catalog.Coverage
}

// Complete reports whether the tree is as Once leaves a healthy one: no file failed, no path
// was unreadable, and every checkpoint has a valid sidecar whose facts hold (current, or
// outdated when migrate was not asked for).
func (s *Summary) Complete(migrated bool) bool {
	if s.Failed > 0 || s.Coverage == nil || len(s.Coverage.Problems) > 0 {
		return false
	}
	t := s.Coverage.Total
	if migrated {
		return t.Current == t.Checkpoints
	}
	return t.Covered() == t.Checkpoints
}

// Action is what the watcher did about one file.
type Action string

// The actions, in the order outputs list them.
const (
	ActionGenerated   Action = "generated"   // a checkpoint without a sidecar got one
	ActionRegenerated Action = "regenerated" // a stale (or unmigratable) sidecar was rebuilt from its checkpoint
	ActionMigrated    Action = "migrated"    // an outdated sidecar was brought to the latest version (Options.Migrate)
	ActionValidated   Action = "validated"   // an edited sidecar was checked; Event.Findings counts what it has
	ActionFailed      Action = "failed"      // the file could not be handled; Event.Err says why
)

// Actions lists every action in output order.
func Actions() []Action {
	return []Action{ActionGenerated, ActionRegenerated, ActionMigrated, ActionValidated, ActionFailed}
}

// Event is one file the watcher acted on.
type Event struct {
	Time     time.Time     // when the action finished
	Path     string        // the checkpoint (or, for ActionValidated, the sidecar), slash-separated
	Action   Action        //
	Lag      time.Duration // from the file being complete (last write, close or rename seen) to the action finished
	Findings int           // findings in the resulting sidecar (errors and warnings)
	Err      error         // set only for ActionFailed
}

// Observer receives what the watcher does. Calls come from one goroutine, in order, and
// must return quickly (they are on the watcher's path); the values passed are not modified
// afterwards and may be kept.
type Observer interface {
	// Coverage is called after the start-up scan and whenever coverage changed since the
	// last call (at most a few times a second).
	Coverage(c *catalog.Coverage)
	// Handled is called once per file acted on.
	Handled(e Event)
}
