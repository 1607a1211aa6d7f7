// Package migrate moves checkpoint-metadata sidecars along the schema_version chain
// (0 → 1.0 → 1.1 → 2.0, and back where the older version can hold the data).
//
// What it promises:
//   - Steps are small, pure edits of the YAML node tree ([Step], [Doc]): comments, key
//     order, flow style and quoting of untouched parts survive. The planner ([Chain.Plan])
//     is a pure function of two versions.
//   - The input is validated against its own version's schema (an invalid one is not
//     migrated), and the result against the target's once, after the last step: the steps
//     in between are proven, by tests that validate every step's output
//     (Options.ValidateEachStep), to keep valid documents valid. A result that fails is
//     migrated again step by step to name the step: a failure is a *[StepError] naming the
//     steps already applied, and nothing is written (there is no half-migrated "dirty" file).
//   - A file is written once, atomically (temp file beside it + rename, permissions kept),
//     and only when its bytes change; a second run changes nothing. A document whose
//     schema_version is newer than this tool knows is never touched.
//   - Refusals are typed and name the fields: *[LossError] (a downgrade would drop facts;
//     Options.AllowLossy lifts it), *[RequiredError], *[CollisionError].
//   - A sidecar that cannot be parsed or migrated (broken YAML, unknown shape, invalid in
//     its own version) is rebuilt from its checkpoint by the generate package, unless
//     Options.NoRegenerate; refusals are never "fixed" by regeneration.
//   - A file is never changed for a finding validate would not report (Options.Rules turns
//     its rule off, or the file's comments suppress it): no certain fix of it is made, and
//     a file whose reasons to be regenerated are all such findings is migrated as validate
//     accepts it, judged after the steps the same way, or fails with *[AcceptedError];
//     it is never rebuilt from its checkpoint (accept.go).
//
// Files and names (decisions the issues left open):
//   - A legacy X.metadata.json becomes X.ckpt.metadata.yaml beside it, with the JSON's
//     permissions; the JSON stays unless Options.PruneLegacy. When the checkpoint already
//     has any YAML sidecar the JSON is not converted (FileResult.Cause is ErrSuperseded):
//     the YAML file is the one that is migrated, and PruneLegacy removes the JSON.
//   - Writes go through fsutil.WriteFile: a temp file in the target's directory, named
//     "." + file name + decimal digits, fsynced, renamed over the target, and the
//     directory fsynced (one directory fsync shared by the writes in flight there), so a
//     crash leaves each file old or new. A run that may write first removes such temp files
//     (for sidecar and .bak names only) in the directories it visits, so a run killed
//     mid-write leaves nothing behind after the next one.
//   - Options.Backup keeps the replaced bytes as <file>.bak, or the first free of
//     <file>.bak.1, <file>.bak.2, …: created atomically, never overwritten, never skipped.
//     A regenerated file is always backed up that way: its old bytes are not migrated,
//     they are replaced.
//   - Writes stay under the paths given to [Run] (internal/fsutil's Roots): a symlinked
//     sidecar whose target is inside them is written through (the link stays, its target
//     is replaced, the backup goes beside the target); one whose target is outside is a
//     per-file failure (fsutil.ErrOutsideRoots). A file is replaced only while it still
//     holds what was read (fsutil.ErrChanged: "changed during run", the edit is kept),
//     keeps its mode and, as root, its owner; one with other hard links is reported
//     (fsutil.ErrHardLinked), since replacing it would split the links.
//   - provenance: 1.0 -> 1.1 and later hops record tool "ckptmeta", the tool version,
//     action "migrated" and migrated_from = the version the file had before the first
//     migration (kept when already set, as Lightning keeps its legacy version).
//   - A sidecar whose recorded checkpoint path (checkpoint_path, 2.0 checkpoint.path) does
//     not name the existing checkpoint it sits beside (validate's sidecar/misplaced: copied
//     from another run) is re-pointed at it, with the path generate would write; that is
//     the only field touched, and FileResult.Fixes says so. A file named like a sidecar that
//     is not checkpoint metadata (validate.IsCheckpointMetadata) is skipped.
//   - schema_version is always written quoted, in the registry's spelling, and unquoted
//     timestamps are quoted (PyYAML would read both as non-strings). These fixes count
//     as changes even for a file already at the target version.
//   - Options.FixOnly (`ckptmeta fix`) applies only [FixBytes]'s certain fixes, as minimal
//     text edits (the misread scalars quoted at their line:col, a misplaced checkpoint path
//     re-pointed; every other byte kept), checked by validating the result, through the same
//     walker, worker pool and writer; it changes no version and regenerates nothing.
//   - 0 -> 1.0 picks precision, recall, hmean (or f1) and validation_loss (val + loss)
//     from flat logged metrics by the legacy writers' rule: the first key in document
//     order whose lower-cased name matches and whose value is a number within the
//     field's bounds; every numeric metric is also kept in additional_metrics.
//
// The package never prints and never exits; [Run] reports through a callback.
package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/validate"
)

// Migrated is the outcome of migrating one in-memory document.
type Migrated struct {
	From, To string   // registry spellings; From is "0" for legacy shapes
	Steps    []string // applied steps, "1.0->1.1"
	Changed  bool     // Data differs from the input
	Data     []byte   // the migrated document (the input itself when unchanged)
	JSON     bool     // the input was JSON; Data is YAML
	Fixes    []string // certain corrections besides the steps ("checkpoint_path: a -> b")

	recPtr, rec string // validate.RecordedCheckpoint of the input: what an unchanged verdict rests on
}

// MigrateBytes migrates one document on the default chain; see [Chain.MigrateBytes].
func MigrateBytes(name string, src []byte, o Options) (*Migrated, error) {
	return Default().MigrateBytes(name, src, o)
}

// MigrateBytes migrates one document held in memory to o.To. name is the document's
// path: it picks JSON handling (".json", or a nameless input starting with "{") and, for
// legacy documents, the experiment name (the directory above "checkpoints"). It reads no
// file and does not regenerate; only o.To, o.AllowLossy, o.Root, o.ToolVersion,
// o.ValidateEachStep and o.Rules are used. Errors are *ParseError, *InvalidError (not valid in its own
// version), *NewerVersionError, a wrapped *schemas.UnknownVersionError, *StepError
// (wrapping *LossError, *RequiredError, *CollisionError or *InvalidError), or a target
// error.
func (c *Chain) MigrateBytes(name string, src []byte, o Options) (*Migrated, error) {
	m, err := c.migrate(name, src, o)
	var again *checkAgain
	if !errors.As(err, &again) {
		return m, err
	}
	// The steps ran unchecked and something failed: do it again validating every step, so
	// the error is exactly the one that names the cause.
	o.ValidateEachStep = true
	m, err = c.migrate(name, src, o)
	if err == nil && again.final != nil {
		// Every step passed, yet the result read back does not (a bug): never write it.
		return nil, &StepError{From: again.last.From, To: again.last.To, Applied: again.applied, Err: again.final}
	}
	return m, err
}

// checkAgain is what a run that validates the result once returns when anything failed
// after the steps began: MigrateBytes then validates step by step. final is the result's
// schema failure, if that was it.
type checkAgain struct {
	final   error
	last    Step
	applied []string
}

func (e *checkAgain) Error() string { return "migrate: check again step by step" }

func (c *Chain) migrate(name string, src []byte, o Options) (m *Migrated, err error) {
	deferred := false // steps run unchecked: a failure is checked again step by step
	defer func() {
		// Untrusted input must not crash the caller.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("migrate: %s: internal error: %v", name, r)
			if deferred {
				err = &checkAgain{} // maybe the input was invalid: say so, as before
			}
		}
	}()
	target, err := c.Resolve(o.To)
	if err != nil {
		return nil, err
	}
	// The input's tree is edited and encoded, the output's only read: both are done with
	// when this returns (a Migrated holds bytes and strings, no node), so their memory is
	// kept for the next file.
	arenas := parseArenas.Get().(*[2]validate.Arena)
	defer parseArenas.Put(arenas)
	in, outArena := &arenas[0], &arenas[1]
	if freshParse {
		in, outArena = nil, nil
	}
	doc, findings := validate.ParseIn(name, src, in)
	if perr := broken(name, doc, findings); perr != nil {
		return nil, perr
	}
	from := doc.Version
	if c.reg.Newer(from) {
		return nil, &NewerVersionError{Version: from, Latest: c.reg.Latest().Version}
	}
	s, err := c.reg.Lookup(from)
	if err != nil {
		return nil, fmt.Errorf("migrate: %s: %w", name, err)
	}
	from = s.Version
	// A document invalid in its own version is not migrated (it is regenerated): steps
	// are proven to keep valid documents valid, not to reject invalid ones. Unless
	// validate does not report what makes it invalid (its rules are off in o.Rules, or
	// the file's comments suppress them): then validate accepts it, and so does migrate
	// (accept.go); its migrated result is judged the same way, once.
	j := &judgement{c: c, name: name, src: src, o: &o}
	var invalid error
	for _, f := range findings {
		if f.Severity == validate.SeverityError && f.Rule == "yaml/non-finite-number" {
			invalid = &InvalidError{Version: from, Err: fmt.Errorf("line %d: %s", f.Line, f.Message)}
			break
		}
	}
	if invalid == nil {
		invalid = validateValue(c, from, doc.Value)
	}
	accepted := false
	if invalid != nil {
		if !j.accepted() {
			return nil, invalid
		}
		accepted = true
	}
	plan, err := c.Plan(from, target)
	if err != nil {
		return nil, err
	}
	d, err := NewDoc(doc.File)
	if err != nil {
		return nil, &ParseError{Path: name, Msg: err.Error()}
	}
	d.Env = Env{Path: name, Root: o.Root, Origin: from, ToolVersion: o.ToolVersion, AllowLossy: o.AllowLossy}
	isJSON := strings.EqualFold(filepath.Ext(name), ".json") ||
		((name == "" || name == "-") && bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")))
	edited := isJSON
	if isJSON {
		plainStyle(d.file)
		d.indent, d.compact = 2, true
	}
	// PyYAML reads an unquoted timestamp as a datetime, which the Python model rejects,
	// and fails on a plain value it cannot construct (0b_, 2020-02-30); quoting either
	// keeps the text and makes the output valid for every reader. Anything else safe_load
	// cannot construct (a tagged value, a key) makes the file one to regenerate.
	for _, f := range findings {
		if f.Rule != "yaml/unquoted-timestamp" && f.Rule != "yaml/unloadable" {
			continue
		}
		if f.Rule == "yaml/unquoted-timestamp" && !j.reported(f) {
			continue // the rule is off or suppressed here: not a fix to make
		}
		n, ok := d.get(f.Pointer)
		if ok && n.Kind == yaml.ScalarNode && n.Style == 0 && n.Line == f.Line && n.Column == f.Column {
			n.Tag, n.Style = "!!str", yaml.SingleQuotedStyle
			edited = true
		} else if f.Rule == "yaml/unloadable" {
			return nil, &ParseError{Path: name, Line: f.Line, Rule: f.Rule, Msg: f.Message}
		}
	}
	if vn := mget(d.root, "schema_version"); vn != nil && (vn.ShortTag() != "!!str" && versionQuoting(j, findings, len(plan) > 0) || vn.ShortTag() == "!!str" && vn.Value != from) {
		d.setVersion(from) // quote it, in the registry's spelling
		edited = true
	}
	fixes := repoint(d, doc, o)
	edited = edited || len(fixes) > 0
	// Validating once, the steps run unchecked and the result is validated; a failure
	// from here on is checked again step by step (checkAgain), so the error is the one
	// validating each step gives (a step's refusal may come after another's invalid output).
	// An accepted invalid document is judged once, at the end, as validate will read it:
	// the steps in between cannot be valid on their own.
	eachStep := o.ValidateEachStep && !accepted
	deferred = len(plan) > 0 && !eachStep && !accepted
	fail := func(err error) (*Migrated, error) {
		if deferred {
			return nil, &checkAgain{}
		}
		return nil, err
	}
	applied, err := c.apply(d, plan, eachStep)
	if err != nil {
		return fail(err)
	}
	out := src
	if edited || len(plan) > 0 {
		if out, err = d.Bytes(); err != nil {
			return fail(err)
		}
	}
	to := from
	if len(plan) > 0 {
		to = target
	}
	if !bytes.Equal(out, src) {
		res, err := checkOutput(name, out, outArena)
		if err != nil {
			// Not checked again: what validate would refuse as YAML is refused whatever
			// the steps did, and a file at the node budget must not be migrated twice.
			return nil, err
		}
		if len(plan) > 0 && !eachStep {
			// The one schema check, of the result as validate will read it back.
			if err := validateValue(c, target, res.Value); err != nil {
				if accepted {
					if oj := (&judgement{c: c, name: name, src: out, o: &o}); !oj.accepted() {
						return nil, &AcceptedError{Path: name, To: target, Cause: err}
					}
				} else {
					return nil, &checkAgain{final: err, last: plan[len(plan)-1], applied: applied[:len(applied)-1]}
				}
			}
		}
	}
	recPtr, rec := validate.RecordedCheckpoint(doc)
	return &Migrated{From: from, To: to, Steps: applied, Changed: !bytes.Equal(out, src), Data: out, JSON: isJSON, Fixes: fixes,
		recPtr: recPtr, rec: rec}, nil
}

// parseArenas keep, per worker, the memory of the two trees a migration parses (the input
// and the output): most of a file's allocations otherwise.
var parseArenas = sync.Pool{New: func() any { return new([2]validate.Arena) }}

// freshParse makes migrate parse into fresh memory (tests compare both ways).
var freshParse = false

// repoint corrects a misplaced sidecar (validate's sidecar/misplaced): when the file sits
// beside a checkpoint (o.beside) that its recorded checkpoint path does not name, the path
// is set to the one generate would write for that checkpoint. That is a certain fix: the
// file's own name says which checkpoint it describes. Nothing else is touched.
func repoint(d *Doc, doc *validate.Document, o Options) []string {
	if o.beside == "" || o.Rules["sidecar/misplaced"] == validate.RuleOff {
		return nil
	}
	ptr, rec := validate.RecordedCheckpoint(doc)
	if ptr == "" || validate.NamesCheckpoint(rec, o.beside) {
		return nil
	}
	rel, err := generate.RecordedPath(o.beside, o.Root)
	if err != nil || !validate.NamesCheckpoint(rel, o.beside) {
		return nil
	}
	n, ok := d.get(ptr)
	if !ok || n.Kind != yaml.ScalarNode {
		return nil
	}
	n.Value, n.Tag, n.Style = rel, "!!str", 0
	if pyyaml.NeedsQuotes(rel) {
		n.Style = yaml.SingleQuotedStyle
	}
	return []string{fmt.Sprintf("%s: %s -> %s", strings.TrimPrefix(strings.ReplaceAll(ptr, "/", "."), "."), rec, rel)}
}

// versionQuoting reports whether a schema_version that is not a string is quoted while the
// file stays at its version: unless validate does not report it (yaml/unquoted-version off
// or suppressed). A step sets the version anyway.
func versionQuoting(j *judgement, findings []validate.Finding, steps bool) bool {
	if steps {
		return true
	}
	for _, f := range findings {
		if f.Rule == "yaml/unquoted-version" && !j.reported(f) {
			return false
		}
	}
	return true
}

// apply runs the plan on d, setting schema_version after each step and, with eachStep,
// validating each step's output.
func (c *Chain) apply(d *Doc, plan []Step, eachStep bool) ([]string, error) {
	applied := []string{}
	for _, st := range plan {
		fail := func(err error) error {
			return &StepError{From: st.From, To: st.To, Applied: append([]string(nil), applied...), Err: err}
		}
		if err := st.Apply(d); err != nil {
			return nil, fail(err)
		}
		d.setVersion(st.To)
		if !eachStep {
			applied = append(applied, st.Name())
			continue
		}
		v, err := validate.ToJSON(d.file)
		if err != nil {
			return nil, fail(&InvalidError{Version: st.To, Err: err})
		}
		if err := validateValue(c, st.To, v); err != nil {
			return nil, fail(err)
		}
		applied = append(applied, st.Name())
	}
	return applied, nil
}

// validateValue checks v against version's schema. Unknown keys alone do not fail it:
// like the validator, migrate treats them as warnings and carries them along.
func validateValue(c *Chain, version string, v any) error {
	s, err := c.reg.Lookup(version)
	if err != nil {
		return err
	}
	err = s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) && onlyUnknownKeys(ve) {
		return nil
	}
	return &InvalidError{Version: s.Version, Err: err}
}

// onlyUnknownKeys reports whether a validation error consists only of additional
// properties (in at least one branch of each anyOf/oneOf).
func onlyUnknownKeys(e *jsonschema.ValidationError) bool {
	if len(e.Causes) == 0 {
		_, ok := e.ErrorKind.(*kind.AdditionalProperties)
		return ok
	}
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		for _, c := range e.Causes {
			if onlyUnknownKeys(c) {
				return true
			}
		}
		return false
	}
	for _, c := range e.Causes {
		if !onlyUnknownKeys(c) {
			return false
		}
	}
	return true
}

// structural are the parse findings that make a file unreadable as a sidecar document.
// They include everything yaml.safe_load refuses (tags it has no constructor for,
// values it cannot construct, duplicate anchors, tabs as separators): such a file is
// regenerated or reported, never migrated, so migrate never writes those nodes back.
var structural = map[string]bool{
	"yaml/syntax": true, "yaml/duplicate-key": true, "yaml/multiple-documents": true,
	"yaml/too-large": true, "yaml/alias-budget": true, "yaml/non-string-key": true, "yaml/empty": true,
	"yaml/node-budget": true, "yaml/unsafe-tag": true, "yaml/unknown-tag": true, "yaml/unloadable": true,
	"yaml/duplicate-anchor": true, "yaml/int-too-large": true,
}

func broken(name string, doc *validate.Document, findings []validate.Finding) error {
	for _, f := range findings {
		if f.Severity == validate.SeverityError && structural[f.Rule] && f.Rule != "yaml/unloadable" { // see MigrateBytes
			return &ParseError{Path: name, Line: f.Line, Rule: f.Rule, Msg: f.Message}
		}
	}
	if doc == nil {
		return &ParseError{Path: name, Msg: "not a YAML document"}
	}
	if _, ok := doc.Value.(map[string]any); !ok || doc.Root == nil || doc.Root.Kind != yaml.MappingNode {
		return &ParseError{Path: name, Rule: "schema/type", Msg: "a sidecar must be a mapping of keys to values"}
	}
	return nil
}

// checkOutput refuses what migrate would write and validate would then refuse as YAML: a
// file over validate.MaxFileSize (a migration adds provenance and quoting, so a file just
// under the limit can cross it), or anything PyYAML or a ckptmeta limit would refuse.
// It returns the document as validate reads it, for the schema check of the result.
func checkOutput(name string, out []byte, arena *validate.Arena) (*validate.Document, error) {
	if len(out) > validate.MaxFileSize {
		return nil, &OutputError{Path: name, Msg: fmt.Sprintf("the migrated file would be %d bytes, over the %d bytes validate reads", len(out), validate.MaxFileSize)}
	}
	doc, findings := validate.ParseIn(name, out, arena)
	for _, f := range findings {
		if f.Severity == validate.SeverityError && structural[f.Rule] {
			return nil, &OutputError{Path: name, Msg: fmt.Sprintf("the migrated file would not pass validate: line %d: %s [%s]", f.Line, f.Message, f.Rule)}
		}
	}
	if doc == nil {
		return nil, &OutputError{Path: name, Msg: "the migrated file would not pass validate: not a YAML document"}
	}
	return doc, nil
}
