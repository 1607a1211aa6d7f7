package migrate

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ErrShape means a document is not a sidecar at all (not a mapping, or a step met a value
// of the wrong kind); Run regenerates such files from their checkpoint.
var ErrShape = errors.New("migrate: not a sidecar document")

// ErrTargetLegacy is returned when "0" is asked for as a target: it is not a version
// anything can be migrated to.
var ErrTargetLegacy = errors.New("migrate: the legacy pseudo-version 0 is not a target")

// ErrNoCheckpoint means a sidecar needed regeneration but its checkpoint does not exist.
var ErrNoCheckpoint = errors.New("migrate: no checkpoint to regenerate from")

// ParseError means the file is not a YAML (or JSON) document migrate can edit: a syntax
// error, a duplicate key, more than one document, or a top level that is not a mapping.
type ParseError struct {
	Path string
	Line int    // 1-based; 0 when unknown
	Rule string // validate rule id, e.g. "yaml/duplicate-key"; "" when unknown
	Msg  string
}

func (e *ParseError) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	return fmt.Sprintf("migrate: %s: cannot parse: %s", loc, e.Msg)
}

// OutputError reports a migration whose result validate would refuse (too large, or not
// YAML that safe_load reads): nothing is written, and the file is not regenerated either
// (its content migrated fine; a rebuild from the checkpoint would only lose it).
type OutputError struct {
	Path string
	Msg  string
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("migrate: %s: not written: %s", e.Path, e.Msg)
}

// NewerVersionError reports a document whose schema_version is later than any this
// tool knows. Such files are never touched.
type NewerVersionError struct {
	Version, Latest string
}

func (e *NewerVersionError) Error() string {
	return fmt.Sprintf("migrate: schema_version %q is newer than this tool knows (latest %s); left untouched", e.Version, e.Latest)
}

// InvalidError means a document does not validate against the schema of Version: either
// the input in its own version, or the output of a step (then inside a *StepError).
type InvalidError struct {
	Version string
	Err     error // usually *jsonschema.ValidationError
}

func (e *InvalidError) Error() string {
	var ve *jsonschema.ValidationError
	if errors.As(e.Err, &ve) {
		return fmt.Sprintf("migrate: not valid %s: %s", e.Version, strings.Join(leafMessages(ve), "; "))
	}
	return fmt.Sprintf("migrate: not valid %s: %v", e.Version, e.Err)
}

var english = message.NewPrinter(language.English)

// leafMessages lists what a user fixes, "/pointer: message", sorted; of the branches of
// an anyOf or oneOf only the one with the fewest problems counts.
func leafMessages(e *jsonschema.ValidationError) []string {
	var walk func(e *jsonschema.ValidationError) []string
	walk = func(e *jsonschema.ValidationError) []string {
		if len(e.Causes) == 0 {
			ptr := ""
			for _, k := range e.InstanceLocation {
				ptr += Pointer(k)
			}
			if ptr == "" {
				ptr = "/"
			}
			return []string{ptr + ": " + e.ErrorKind.LocalizedString(english)}
		}
		var out []string
		switch e.ErrorKind.(type) {
		case *kind.AnyOf, *kind.OneOf:
			for _, c := range e.Causes {
				if l := walk(c); out == nil || len(l) < len(out) {
					out = l
				}
			}
		default:
			for _, c := range e.Causes {
				out = append(out, walk(c)...)
			}
		}
		return out
	}
	out := walk(e)
	sort.Strings(out)
	return out
}

func (e *InvalidError) Unwrap() error { return e.Err }

// LossError is a refusal: the step would drop facts the target version cannot hold.
// Fields are JSON pointers into the input, sorted. AllowLossy drops them instead.
type LossError struct {
	From, To string
	Fields   []string
}

func (e *LossError) Error() string {
	return fmt.Sprintf("migrate: %s -> %s would lose %s (use --allow-lossy to drop them)", e.From, e.To, strings.Join(e.Fields, ", "))
}

// RequiredError is a refusal that AllowLossy cannot lift: the target version requires
// facts the document does not have. Fields are JSON pointers in the target's terms.
type RequiredError struct {
	From, To string
	Fields   []string
}

func (e *RequiredError) Error() string {
	return fmt.Sprintf("migrate: %s -> %s needs %s, which the document does not have", e.From, e.To, strings.Join(e.Fields, ", "))
}

// CollisionError is the 1.1 → 2.0 refusal: an additional_metrics key equals one of the
// fixed metric names but its value differs from (or is missing in) the fixed field.
type CollisionError struct {
	Keys []string // the colliding metric names, sorted
}

func (e *CollisionError) Error() string {
	return fmt.Sprintf("migrate: metrics.additional_metrics %s collide with the fixed metric of the same name and differ; fix one of them", strings.Join(e.Keys, ", "))
}

// StepError says which step failed and which had run before it (nothing was written).
// It has the shape of goose's PartialError.
type StepError struct {
	From, To string
	Applied  []string // steps completed before this one, "0->1.0" style
	Err      error
}

func (e *StepError) Error() string {
	if len(e.Applied) == 0 {
		return fmt.Sprintf("migrate: step %s -> %s: %v", e.From, e.To, trimPrefix(e.Err))
	}
	return fmt.Sprintf("migrate: step %s -> %s (after %s): %v", e.From, e.To, strings.Join(e.Applied, ", "), trimPrefix(e.Err))
}

func (e *StepError) Unwrap() error { return e.Err }

// NoPathError means the chain has no steps from From to To (a downgrade below 1.0).
type NoPathError struct{ From, To string }

func (e *NoPathError) Error() string {
	return fmt.Sprintf("migrate: no migration from %s to %s", e.From, e.To)
}

func trimPrefix(err error) string { return strings.TrimPrefix(err.Error(), "migrate: ") }

// refusal reports whether err is a deliberate refusal (the user must decide) rather than
// a document that cannot be read or migrated, which Run may regenerate.
func refusal(err error) bool {
	var (
		le *LossError
		re *RequiredError
		ce *CollisionError
		ne *NewerVersionError
		np *NoPathError
		oe *OutputError
		ae *AcceptedError
	)
	return errors.As(err, &le) || errors.As(err, &re) || errors.As(err, &ce) ||
		errors.As(err, &ne) || errors.As(err, &np) || errors.As(err, &oe) || errors.As(err, &ae) || errors.Is(err, ErrTargetLegacy)
}
