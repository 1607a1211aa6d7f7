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
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
)

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
