package validate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"

	"github.com/ckptmeta/ckptmeta/internal/ordered"
	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Options configure a Validator.
type Options struct {
	// Strict turns unknown keys into errors (they are warnings otherwise) and makes any
	// finding fail the run ([Result.Failed]).
	Strict bool
	// Jobs bounds how many files are checked at once; 0 means GOMAXPROCS. (One name for
	// this option in every package and flag: generate.RunOptions.Jobs, migrate.Options.Jobs,
	// catalog's Jobs, --jobs/-j.)
	Jobs int
	// Exclude holds glob patterns of paths to skip during discovery (see sidecar.Walk).
	Exclude []string
	// NoStale skips the checkpoint fingerprint comparison (it stats the checkpoint and, when
	// size or mtime changed, hashes its pickle).
	NoStale bool
	// Cache, when not nil, keeps verdicts on files' content between runs of Run (and of
	// catalog's and migrate's runs given it), so unchanged files are not read again; the
	// results are exactly those of an uncached run (see [Cache]).
	Cache *Cache
	// Rules sets the level of findings by rule id (DESIGN.md's rule table): RuleOff drops
	// them, RuleWarning and RuleError set their severity. It applies to every finding after
	// the check produced it and before the file's Status is decided, so Status, Failed and
	// Strict follow it; an unknown-key finding made an error by Strict is still turned back
	// by "schema/unknown-key": warning (and then fails only because Strict fails on any
	// finding). Rules not named keep their own severity. [CheckRules] says what it may hold;
	// [Preset] returns named sets of levels. Plain data: callers may fingerprint Options.
	Rules map[string]RuleLevel
}

// Validator checks sidecars against the schema of their schema_version. It is safe for
// concurrent use; each schema is compiled once, on first use.
type Validator struct {
	reg  *schemas.Registry
	opts Options
}

// New returns a Validator over reg (schemas.Default() when nil).
func New(reg *schemas.Registry, opts Options) *Validator {
	if reg == nil {
		reg = schemas.Default()
	}
	return &Validator{reg: reg, opts: opts}
}

// ValidateBytes checks one in-memory sidecar: YAML, version, schema and the checks that need
// no file system (paths that escape the outputs root). It never touches the file system.
func (v *Validator) ValidateBytes(name string, src []byte) *Result {
	res, _ := v.Check(name, src)
	return res
}

// Check is ValidateBytes that also returns the parsed document (nil when the YAML could not
// be parsed), for callers that read the values after validating them.
func (v *Validator) Check(name string, src []byte) (*Result, *Document) {
	res, doc, sup := v.content(name, src, nil)
	if sup != nil {
		res.Findings = append(res.Findings, sup.report()...)
		v.finish(res)
	}
	return res, doc
}

// content is the verdict on a file's content alone, before the neighbour checks: the
// findings its suppression comments leave, finished. The suppressions come back with what
// they have suppressed so far, so the neighbour checks' findings go through them too and
// an unused suppression is reported once every finding is in ([suppressions.report]).
// The document's tree is carved from arena when it is not nil: the caller must keep neither
// the document nor any node of it once it parses into arena again.
func (v *Validator) content(name string, src []byte, arena *pyyaml.Arena) (*Result, *Document, *suppressions) {
	res := &Result{Path: name}
	doc, findings := parseIn(name, src, arena)
	if doc != nil && !IsCheckpointMetadata(doc) {
		res.Status = StatusSkipped
		v.finish(res)
		return res, doc, nil
	}
	res.Findings = findings
	var sup *suppressions
	if doc != nil {
		res.Version = doc.Version
		res.Findings = append(res.Findings, v.checkDocument(doc)...)
		// Only a file that parsed is checked in full; a suppression in a file that did not
		// would be reported unused for no fault of its own.
		sup = readSuppressions(name, src)
		res.Findings = sup.filter(res.Findings)
	}
	v.finish(res)
	return res, doc, sup
}

// finish completes a result once every finding is in (suppressed ones already dropped):
// the findings are bounded, placed and sorted, and the status follows.
func (v *Validator) finish(res *Result) {
	res.Findings = v.applyRules(res.Findings)
	res.Findings = v.applyRules(truncateFindings(res.Findings)) // the level of file/too-many-findings
	placeFindings(res.Findings)
	sortFindings(res.Findings)
	if res.Status == StatusError || res.Status == StatusSkipped {
		return
	}
	res.Status = StatusValid
	for _, f := range res.Findings {
		if f.Severity == SeverityError {
			res.Status = StatusInvalid
			break
		}
	}
}

func (v *Validator) checkDocument(doc *Document) []Finding {
	if _, ok := doc.Value.(map[string]any); !ok {
		line, col := doc.Position("", false)
		return []Finding{{Path: doc.Path, Line: line, Column: col, Rule: "schema/type", Severity: SeverityError,
			Message: "a sidecar must be a mapping of keys to values"}}
	}
	if doc.Version == schemas.Legacy {
		return []Finding{v.legacy(doc)}
	}
	s, err := v.reg.Lookup(doc.Version)
	if err != nil || s.Version == schemas.Legacy {
		line, col := doc.Position("/schema_version", false)
		msg := fmt.Sprintf("unknown schema_version %q (known: %s)", doc.Version, strings.Join(v.reg.Versions()[1:], ", "))
		hint := ""
		if v.reg.Newer(doc.Version) {
			msg = fmt.Sprintf("schema_version %q is newer than this ckptmeta knows (latest %s)", doc.Version, v.reg.Latest().Version)
			hint = "upgrade ckptmeta"
		}
		return []Finding{{Path: doc.Path, Line: line, Column: col, Pointer: "/schema_version", Rule: "sidecar/unknown-version", Severity: SeverityError, Message: msg, Hint: hint}}
	}
	var out []Finding
	if err := s.Validate(doc.Value); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return []Finding{{Path: doc.Path, Rule: "schema/internal", Severity: SeverityError, Message: err.Error()}}
		}
		out = v.schemaFindings(doc, ve)
	}
	return append(out, pathFindings(doc)...)
}

// metadataKeys are the top-level keys that make a document checkpoint metadata: every
// top-level property some schema version defines, except the generic words (model,
// metrics, config, created_at) that any other *.metadata.json may use as well.
// TestMetadataKeysCoverSchemas keeps this list in step with the schemas.
var metadataKeys = map[string]bool{
	"schema_version": true, "checkpoint_path": true, "checkpoint": true, "checkpoint_fingerprint": true,
	"checkpointing": true, "exp_name": true, "experiment": true, "hydra_config_path": true,
	"lightning_version": true, "provenance": true, "sources": true, "training": true, "wandb_run_id": true,
}

// genericKeys are schema properties too common elsewhere to claim a file as a sidecar.
var genericKeys = map[string]bool{"model": true, "metrics": true, "config": true, "created_at": true}

// IsCheckpointMetadata reports whether a parsed document is checkpoint metadata at all. A
// mapping with none of the checkpoint-metadata keys (an image-preprocessing
// "*.metadata.json" in docs/, say) merely shares the sidecar naming: it is not a sidecar,
// and validate, migrate, status and list leave it alone. Anything else (a non-mapping, an
// empty mapping) is treated as a sidecar, so a broken one is still reported.
func IsCheckpointMetadata(doc *Document) bool {
	m, ok := doc.Value.(map[string]any)
	if !ok || len(m) == 0 {
		return true
	}
	for k := range m {
		if metadataKeys[k] {
			return true
		}
	}
	return false
}

// isJSONName reports whether a sidecar is named as JSON (the legacy writer's format).
func isJSONName(name string) bool { return strings.EqualFold(filepath.Ext(name), ".json") }

func (v *Validator) legacy(doc *Document) Finding {
	m := doc.Value.(map[string]any)
	shape := "unversioned YAML sidecar"
	if _, ok := m["config"]; ok {
		shape = "legacy V0 sidecar"
	}
	if isJSONName(doc.Path) {
		shape = "unversioned JSON sidecar"
		if _, ok := m["config"]; ok {
			shape = "legacy V0 JSON sidecar"
		}
	}
	line, col := doc.Position("", false)
	return Finding{Path: doc.Path, Line: line, Column: col, Rule: "sidecar/legacy", Severity: SeverityError,
		Message: shape + " without schema_version", Hint: runOn("ckptmeta migrate", doc.Path)}
}

var english = message.NewPrinter(language.English)

// schemaFindings turns the leaves of a validation error tree into findings. Combinator
// nodes (anyOf, oneOf, allOf, $ref) only group causes; their leaves are what a user fixes.
func (v *Validator) schemaFindings(doc *Document, root *jsonschema.ValidationError) []Finding {
	var out []Finding
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			causes := e.Causes
			if _, ok := e.ErrorKind.(*kind.AnyOf); ok {
				causes = []*jsonschema.ValidationError{bestCause(causes)}
			}
			if _, ok := e.ErrorKind.(*kind.OneOf); ok {
				causes = []*jsonschema.ValidationError{bestCause(causes)}
			}
			for _, c := range causes {
				walk(c)
			}
			return
		}
		out = append(out, v.leaf(doc, e)...)
	}
	walk(root)
	return out
}

// bestCause picks the branch a user most likely meant: the one that failed deepest in the
// document, then the one with the fewest problems.
func bestCause(cs []*jsonschema.ValidationError) *jsonschema.ValidationError {
	best, bestDepth, bestCount := cs[0], -1, 1<<30
	for _, c := range cs {
		d, n := depthAndCount(c)
		if d > bestDepth || (d == bestDepth && n < bestCount) {
			best, bestDepth, bestCount = c, d, n
		}
	}
	return best
}

func depthAndCount(e *jsonschema.ValidationError) (depth, count int) {
	if len(e.Causes) == 0 {
		return len(e.InstanceLocation), 1
	}
	for _, c := range e.Causes {
		d, n := depthAndCount(c)
		if d > depth {
			depth = d
		}
		count += n
	}
	return
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, t := range loc {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

func dotted(loc []string) string {
	if len(loc) == 0 {
		return "document"
	}
	return strings.Join(loc, ".")
}

func (v *Validator) leaf(doc *Document, e *jsonschema.ValidationError) []Finding {
	ptr := pointer(e.InstanceLocation)
	at := dotted(e.InstanceLocation)
	mk := func(p string, key bool, rule string, sev Severity, msg, hint string) Finding {
		line, col := doc.Position(p, key)
		return Finding{Path: doc.Path, Line: line, Column: col, Pointer: p, Rule: rule, Severity: sev, Message: msg, Hint: hint}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		sev := SeverityWarning
		if v.opts.Strict {
			sev = SeverityError
		}
		var out []Finding
		for i, p := range k.Properties {
			if i > MaxFindings {
				break // finish keeps MaxFindings in all; placing the rest would be wasted work
			}
			loc := append(append([]string(nil), e.InstanceLocation...), p)
			out = append(out, mk(pointer(loc), true, "schema/unknown-key", sev, fmt.Sprintf("%s: unknown key", dotted(loc)), ""))
		}
		return out
	case *kind.Required:
		var out []Finding
		for _, p := range k.Missing {
			loc := append(append([]string(nil), e.InstanceLocation...), p)
			out = append(out, mk(ptr, len(e.InstanceLocation) > 0, "schema/required", SeverityError, fmt.Sprintf("%s: required key is missing", dotted(loc)), "").withPointer(pointer(loc)))
		}
		return out
	case *kind.Type:
		return []Finding{mk(ptr, false, "schema/type", SeverityError, fmt.Sprintf("%s: got %s, want %s", at, k.Got, strings.Join(k.Want, " or ")), typeHint(k))}
	case *kind.Minimum:
		return []Finding{mk(ptr, false, "schema/minimum", SeverityError, fmt.Sprintf("%s: must be >= %s, got %s", at, rat(k.Want), rat(k.Got)), "")}
	case *kind.Maximum:
		return []Finding{mk(ptr, false, "schema/maximum", SeverityError, fmt.Sprintf("%s: must be <= %s, got %s", at, rat(k.Want), rat(k.Got)), "")}
	case *kind.Enum:
		want := make([]string, 0, len(k.Want))
		for _, w := range k.Want {
			if w == nil {
				want = append(want, "null")
			} else {
				want = append(want, fmt.Sprintf("%v", w))
			}
		}
		return []Finding{mk(ptr, false, "schema/enum", SeverityError, fmt.Sprintf("%s: %v is not one of %s", at, display(k.Got), strings.Join(want, ", ")), "")}
	case *kind.Pattern:
		if len(e.InstanceLocation) > 0 && (e.InstanceLocation[len(e.InstanceLocation)-1] == "created_at" || e.InstanceLocation[len(e.InstanceLocation)-1] == "mtime") {
			return []Finding{mk(ptr, false, "schema/pattern", SeverityError, fmt.Sprintf("%s: %q is not an ISO 8601 timestamp", at, k.Got), "write e.g. '2025-10-19T13:36:50.323967'")}
		}
		return []Finding{mk(ptr, false, "schema/pattern", SeverityError, fmt.Sprintf("%s: %q has the wrong form", at, k.Got), "")}
	}
	kw := "schema"
	if p := e.ErrorKind.KeywordPath(); len(p) > 0 {
		kw = p[0]
	}
	return []Finding{mk(ptr, false, "schema/"+kw, SeverityError, at+": "+e.ErrorKind.LocalizedString(english), "")}
}

func display(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

func (f Finding) withPointer(p string) Finding { f.Pointer = p; return f }

func typeHint(k *kind.Type) string {
	for _, w := range k.Want {
		if w == "string" && (k.Got == "number" || k.Got == "boolean") {
			return "quote the value"
		}
	}
	return ""
}

func rat(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprint(f)
}

// pathFindings flags checkpoint and config paths that are absolute or climb out of the outputs root.
func pathFindings(doc *Document) []Finding {
	m := doc.Value.(map[string]any)
	var out []Finding
	check := func(ptr string, val any) {
		s, ok := val.(string)
		if !ok || s == "" {
			return
		}
		slash := filepath.ToSlash(s)
		bad := ""
		switch {
		case path.IsAbs(slash) || filepath.IsAbs(s) || (len(s) > 1 && s[1] == ':'):
			bad = "is absolute"
		case path.Clean(slash) == ".." || strings.HasPrefix(path.Clean(slash), "../"):
			bad = "climbs out of the outputs root with .."
		}
		if bad != "" {
			line, col := doc.Position(ptr, false)
			out = append(out, Finding{Path: doc.Path, Line: line, Column: col, Pointer: ptr, Rule: "sidecar/path-escapes", Severity: SeverityError,
				Message: fmt.Sprintf("%s %q %s", strings.TrimPrefix(strings.ReplaceAll(ptr, "/", "."), "."), s, bad), Hint: "write it relative to the outputs root"})
		}
	}
	check("/checkpoint_path", m["checkpoint_path"])
	check("/hydra_config_path", m["hydra_config_path"])
	if c, ok := m["checkpoint"].(map[string]any); ok {
		check("/checkpoint/path", c["path"])
	}
	if c, ok := m["sources"].(map[string]any); ok {
		check("/sources/hydra_config", c["hydra_config"])
	}
	return out
}

// ValidateFile reads and checks one sidecar, with the checks that need its neighbours:
// a second YAML sidecar for the same checkpoint (conflict), a missing checkpoint (orphan),
// and a checkpoint that changed since the sidecar was made (stale).
func (v *Validator) ValidateFile(name string) *Result { return v.validateFile(name, nil) }

// CheckFile is ValidateFile that also returns the parsed document (nil when the file could
// not be read or parsed), for callers that read its values after validating it (the catalog).
func (v *Validator) CheckFile(name string) (*Result, *Document) {
	var doc *Document
	res := v.validateFileDoc(name, nil, &doc)
	return res, doc
}

func (v *Validator) validateFile(name string, dirs *dirNames) *Result {
	return v.validateFileDoc(name, dirs, nil)
}

// StdinName is the path of a sidecar read by [Validator.ValidateReader] without a name: the
// "-" the user typed for standard input.
const StdinName = "-"

// ValidateReader checks one sidecar whose bytes come from r (standard input: an editor's
// unsaved buffer, a script's pipe) as if they were the file name. name drives everything a
// path drives for ValidateFile: the result's path, JSON or YAML by extension, which
// checkpoint the sidecar belongs to, and the neighbour checks against the real files beside
// name (conflict, orphan, superseded, misplaced, stale), whether or not name itself exists;
// a file at name is never read. When name is "" the path is [StdinName] and only
// [Validator.ValidateBytes]'s checks run (the text is YAML, it sits beside nothing). At most
// MaxFileSize+1 bytes are read, so a larger input is yaml/too-large like a larger file; a
// read error is a file/unreadable result.
func (v *Validator) ValidateReader(name string, r io.Reader) (res *Result) {
	path := filepath.ToSlash(name)
	if name == "" {
		path = StdinName
	}
	defer recoverInternal(path, &res)
	src, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return errorResult(path, fmt.Errorf("read: %w", err))
	}
	if name == "" {
		return v.ValidateBytes(path, src)
	}
	return v.checkFile(path, src, nil, nil)
}

func (v *Validator) validateFileDoc(name string, dirs *dirNames, docOut **Document) *Result {
	src, err := readSidecar(name)
	if err != nil {
		return errorResult(name, err)
	}
	return v.checkFile(name, src, dirs, docOut)
}

// checkFile checks src as the content of the file name, with the checks of its neighbours.
func (v *Validator) checkFile(name string, src []byte, dirs *dirNames, docOut **Document) *Result {
	res, doc, sup := v.content(name, src, nil)
	if docOut != nil {
		*docOut = doc
	}
	f := factsOf(doc)
	f.sup = sup
	return v.withNeighbours(name, res, f, dirs)
}

// withNeighbours completes res, the verdict on a file's content alone ([Validator.Check]'s),
// with the checks of the files beside it, from f, what they read of the document. Cached
// and fresh verdicts both come through here: cross-file findings are never cached.
func (v *Validator) withNeighbours(name string, res *Result, f facts, dirs *dirNames) *Result {
	if res.Status == StatusSkipped {
		return res
	}
	if successor := v.successor(name, dirs); successor != "" {
		// The legacy JSON that migrate left beside the YAML it wrote: its content lives on in
		// the YAML, which is checked on its own; this file only wants deleting.
		line, col := 1, 1
		if f.parsed {
			line, col = f.line, f.col
		}
		res.Findings = []Finding{{Path: name, Line: line, Column: col, Rule: "sidecar/superseded", Severity: SeverityWarning,
			Message: "legacy JSON sidecar superseded by " + filepath.ToSlash(successor),
			Hint:    "run `ckptmeta migrate --prune-legacy " + name + "`"}}
		res.Findings = f.sup.filter(res.Findings) // its content is not checked: no unused report
		res.Status = StatusValid
		v.finish(res)
		return res
	}
	res.Findings = append(res.Findings, f.sup.filter(v.neighbours(name, f, dirs))...)
	res.Findings = append(res.Findings, f.sup.report()...)
	v.finish(res)
	return res
}

// successor returns the YAML sidecar that supersedes a legacy JSON sidecar ("" when name
// is not one, or has none): the first existing YAML candidate of the same checkpoint.
func (v *Validator) successor(name string, dirs *dirNames) string {
	if k, _ := sidecar.Classify(name); k != sidecar.KindLegacyJSON {
		return ""
	}
	ckptPath := sidecar.CheckpointFor(name)
	dir := filepath.Dir(ckptPath)
	for _, c := range sidecar.Candidates(ckptPath) {
		if k, _ := sidecar.Classify(c); k == sidecar.KindSidecar && dirs.has(dir, filepath.Base(c)) {
			return c
		}
	}
	return ""
}

func errorResult(name string, err error) *Result {
	fs := []Finding{{Path: name, Rule: "file/unreadable", Severity: SeverityError, Message: describeErr(err)}}
	placeFindings(fs)
	return &Result{Path: name, Status: StatusError, Err: err, Findings: fs}
}

// loopResult reports a link back to one of its own ancestors: a warning, since the walk is in
// that directory already and nothing is left unchecked.
func loopResult(name string, loop *sidecar.LoopError) *Result {
	fs := []Finding{{Path: name, Rule: "walk/symlink-loop", Severity: SeverityWarning,
		Message: fmt.Sprintf("symbolic link leads back to its ancestor %s; not followed", filepath.ToSlash(loop.Ancestor)),
		Hint:    "remove the link, or exclude it with --exclude"}}
	placeFindings(fs)
	return &Result{Path: name, Status: StatusValid, Findings: fs, NotFollowed: true}
}

func describeErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// ErrNotRegular is returned for a sidecar path that is not a regular file (a FIFO, a device):
// reading it could block forever.
var ErrNotRegular = fsutil.ErrNotRegular

// readSidecar reads one more byte than MaxFileSize, so Parse can tell the file is too large.
func readSidecar(name string) ([]byte, error) { return fsutil.ReadFile(name, MaxFileSize) }

// dirNames caches directory listings for one Run (the walk hands over its own: no directory
// is listed again) or one Session's CheckFile calls (listed on first need), so the neighbour
// checks of a file cost no system calls beyond those of its directory's single listing.
type dirNames struct {
	mu   sync.Mutex
	dirs map[string]map[string]fs.FileMode // name → its type bits (0: a regular file)
	// run: the listing decides orphans (Run's rule: a checkpoint name in the directory). A
	// session's lookups keep ValidateFile's rule (a checkpoint a stat finds) and only spare
	// the lstat of each candidate name and the stat of a checkpoint listed as a regular file.
	run bool
}

func newDirNames(run bool) *dirNames {
	return &dirNames{dirs: map[string]map[string]fs.FileMode{}, run: run}
}

// walked reports whether the listing decides orphans (a Run's dirNames).
func (d *dirNames) walked() bool { return d != nil && d.run }

// put keeps dir's listing, handed over by the walk (from its goroutine: the map is built
// there, not by the workers that read it).
func (d *dirNames) put(dir string, entries []fs.DirEntry) {
	names := make(map[string]fs.FileMode, len(entries))
	for _, e := range entries {
		names[e.Name()] = e.Type()
	}
	d.keep(dir, names)
}

func (d *dirNames) keep(dir string, names map[string]fs.FileMode) {
	d.mu.Lock()
	if len(d.dirs) > 256 { // bounded: a walk finishes a directory before the next
		d.dirs = map[string]map[string]fs.FileMode{}
	}
	d.dirs[dir] = names
	d.mu.Unlock()
}

// has reports whether dir holds name; nil receivers and unreadable directories fall back to lstat.
func (d *dirNames) has(dir, name string) bool { return d.list(dir).has(name) }

// list returns dir's listing, reading it on first use.
func (d *dirNames) list(dir string) listing {
	if d == nil {
		return listing{dir: dir}
	}
	d.mu.Lock()
	names, ok := d.dirs[dir]
	d.mu.Unlock()
	if !ok {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return listing{dir: dir}
		}
		names = make(map[string]fs.FileMode, len(entries))
		for _, e := range entries {
			names[e.Name()] = e.Type()
		}
		d.keep(dir, names)
	}
	return listing{dir: dir, names: names}
}

// listing is one directory's names as dirNames read them, taken once for the several
// look-ups of one file's checks.
type listing struct {
	dir   string
	names map[string]fs.FileMode // name → its type bits (0: a regular file); nil: not listed, lstat decides
}

func (l listing) has(name string) bool {
	if l.names == nil {
		_, err := os.Lstat(filepath.Join(l.dir, name))
		return err == nil
	}
	_, ok := l.names[name]
	return ok
}

// hasName is has for a name in bytes: with a listing, nothing is allocated.
func (l listing) hasName(name []byte) bool {
	if l.names == nil {
		return l.has(string(name))
	}
	_, ok := l.names[string(name)]
	return ok
}

// regular reports whether the listing shows name as a regular file (not a link): then it
// exists, and a stat that follows links is not needed to know so. False when not listed.
func (l listing) regular(name string) bool {
	typ, ok := l.names[name]
	return ok && typ == 0
}

func (v *Validator) neighbours(name string, f facts, dirs *dirNames) []Finding {
	var out []Finding
	kindOf, _ := sidecar.Classify(name)
	ckptPath := sidecar.CheckpointFor(name)
	dir := filepath.Dir(ckptPath)
	ls := dirs.list(dir)
	if kindOf == sidecar.KindSidecar {
		var others []string
		self := filepath.Clean(name)
		var buf [256]byte
		ckptBase, selfBase := filepath.Base(ckptPath), filepath.Base(name)
		for i := range sidecar.NumCandidates {
			if dirs != nil {
				// Most candidates do not exist, and a listing's lookup says so without building
				// the name as a string; the file's own name is itself, not another sidecar.
				b := sidecar.AppendCandidate(buf[:0], ckptBase, i)
				if string(b) == selfBase || !ls.hasName(b) {
					continue
				}
			}
			c := string(sidecar.AppendCandidate(nil, ckptPath, i))
			if k, _ := sidecar.Classify(c); k == sidecar.KindSidecar && filepath.Clean(c) != self && (dirs != nil || ls.has(filepath.Base(c))) {
				others = append(others, filepath.ToSlash(c))
			}
		}
		if len(others) > 0 {
			out = append(out, conflict(name, ckptPath, others))
		} else if to, ok := sidecar.ReadName(name); ok {
			out = append(out, ymlName(name, to))
		}
	}
	if dirs.walked() && !ls.has(filepath.Base(ckptPath)) {
		return append(out, orphan(name, f, ckptPath))
	}
	// With both fingerprint rules off, nothing the comparison could find would be reported:
	// skip it, as --no-stale does (it may hash a checkpoint's pickle).
	noStale := v.opts.NoStale || v.ruleOff("sidecar/stale", "checkpoint/unreadable")
	if !f.parsed || noStale {
		// A regular file in the listing exists: only a link (or no listing) needs the stat.
		if !dirs.walked() && !ls.regular(filepath.Base(ckptPath)) {
			if _, err := os.Stat(ckptPath); errors.Is(err, fs.ErrNotExist) {
				return append(out, orphan(name, f, ckptPath))
			}
		}
		return append(out, misplaced(name, f, ckptPath)...)
	}
	// A regular file in the listing exists; a link in it may dangle, which only a stat tells.
	if !ls.regular(filepath.Base(ckptPath)) {
		if _, err := os.Stat(ckptPath); errors.Is(err, fs.ErrNotExist) {
			return append(out, orphan(name, f, ckptPath))
		}
	}
	out = append(out, misplaced(name, f, ckptPath)...)
	if !f.hasFP {
		return out // 1.0 and legacy documents record no fingerprint: nothing to compare
	}
	ptr, line, col := f.fpPtr, f.fpLine, f.fpCol
	stale, reason, err := staleAgainst(f.fp, ckptPath)
	switch {
	case err != nil:
		// The sidecar vouches for a checkpoint that is not one (a device, a socket, a
		// directory, garbage) or cannot be read: that is a finding, never silence.
		out = append(out, Finding{Path: name, Line: line, Column: col, Pointer: ptr, Rule: "checkpoint/unreadable", Severity: SeverityError,
			Message: fmt.Sprintf("checkpoint %s cannot be fingerprinted: %s", filepath.Base(ckptPath), describeErr(err)),
			Hint:    "put the real checkpoint back, or delete this sidecar if the checkpoint is gone for good"})
	case stale:
		out = append(out, Finding{Path: name, Line: line, Column: col, Pointer: ptr, Rule: "sidecar/stale", Severity: SeverityWarning,
			Message: "checkpoint changed after this sidecar was made: " + reason, Hint: "run `ckptmeta generate --stale " + filepath.ToSlash(ckptPath) + "`"})
	}
	return out
}

// ymlName flags a sidecar named .metadata.yml: the original catalogs and consoles look for
// .metadata.yaml only, so no reader finds it. Renaming it within its naming family (the
// name `ckptmeta fix` gives it, when no other sidecar of the checkpoint exists) is certain.
func ymlName(name, to string) Finding {
	hint := runOn("ckptmeta fix", name) + " to rename it to " + filepath.Base(to)
	if info, err := os.Lstat(name); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		// fsutil.Roots.Rename renames regular files only: a link is the user's to move.
		hint = "rename it to " + filepath.Base(to) + " (a symbolic link: ckptmeta fix renames only regular files)"
	}
	return Finding{Path: name, Line: 1, Column: 1, Rule: "sidecar/yml-name", Severity: SeverityWarning,
		Message: "sidecar named .metadata.yml: the catalogs and consoles read only " + filepath.Base(to),
		Hint:    hint}
}

// conflict names the other sidecars of the checkpoint; its hint keeps the preferred name
// (the first of sidecar.Candidates) and deletes the rest, which is one command to run.
func conflict(name, ckptPath string, others []string) Finding {
	all := append([]string{filepath.ToSlash(name)}, others...)
	keep := ""
	for _, c := range sidecar.Candidates(ckptPath) {
		for _, a := range all {
			if keep == "" && filepath.Clean(a) == filepath.Clean(c) {
				keep = a
			}
		}
	}
	var drop []string
	for _, a := range all {
		if a != keep {
			drop = append(drop, a)
		}
	}
	sort.Strings(drop)
	return Finding{Path: name, Line: 1, Column: 1, Rule: "sidecar/conflict", Severity: SeverityError,
		Message: fmt.Sprintf("checkpoint %s has another sidecar: %s", filepath.Base(ckptPath), strings.Join(others, ", ")),
		Hint:    fmt.Sprintf("keep one; to keep %s (the preferred name), run `rm %s`", keep, strings.Join(drop, " "))}
}

// NamesCheckpoint reports whether recorded, a checkpoint path as a sidecar records it
// (relative to some outputs root), names the checkpoint at ckptPath: it must be ckptPath's
// trailing path elements, compared as written and, failing that, after making ckptPath
// absolute and resolving its symbolic links (a run reached through outputs/latest).
// An empty, absolute or climbing recorded path is not judged here (true): it has its own
// finding.
func NamesCheckpoint(recorded, ckptPath string) bool {
	rec := path.Clean(filepath.ToSlash(recorded))
	if recorded == "" || path.IsAbs(rec) || filepath.IsAbs(recorded) || rec == ".." || strings.HasPrefix(rec, "../") {
		return true
	}
	ends := func(p string) bool {
		p = path.Clean(filepath.ToSlash(p))
		return p == rec || strings.HasSuffix(p, "/"+rec)
	}
	if ends(ckptPath) {
		return true
	}
	if abs, err := filepath.Abs(ckptPath); err == nil && ends(abs) {
		return true
	}
	real, err := filepath.EvalSymlinks(ckptPath)
	if err != nil {
		return false
	}
	if abs, err := filepath.Abs(real); err == nil && ends(abs) {
		return true
	}
	return false
}

// misplaced flags a sidecar whose recorded checkpoint path names another checkpoint than
// the one it sits beside (a sidecar copied from another run). It is judged only when that
// checkpoint exists: without it the file sits beside nothing and is an orphan instead.
func misplaced(name string, f facts, ckptPath string) []Finding {
	if !f.parsed || f.recPtr == "" || NamesCheckpoint(f.rec, ckptPath) {
		return nil
	}
	ptr, rec := f.recPtr, f.rec
	return []Finding{{Path: name, Line: f.recLine, Column: f.recCol, Pointer: ptr, Rule: "sidecar/misplaced", Severity: SeverityError,
		Message: fmt.Sprintf("%s %q does not name %s, the checkpoint this sidecar sits beside (copied from another run?)",
			strings.TrimPrefix(strings.ReplaceAll(ptr, "/", "."), "."), rec, filepath.ToSlash(ckptPath)),
		Hint: "run `ckptmeta fix " + name + "` to point it at " + filepath.Base(ckptPath) +
			" (if the rest is another run's too, rebuild it instead: ckptmeta generate --force " + filepath.ToSlash(ckptPath) + ")"}}
}

// safeValidateFile turns a panic (a bug, never expected) into an error result for that one
// file, so the run goes on and the user sees which file triggered it.
func (v *Validator) safeValidateFile(s *Session, name string, dirs *dirNames) (r *Result) {
	defer recoverInternal(name, &r)
	r, _ = s.check(name, dirs, nil)
	return r
}

// recoverInternal, deferred, replaces *r with an internal/error result for name when the
// function panicked.
func recoverInternal(name string, r **Result) {
	if p := recover(); p != nil {
		*r = errorResult(name, fmt.Errorf("%w: %v", ErrInternal, p))
		(*r).Findings[0].Rule = "internal/error"
		(*r).Findings[0].Hint = "this is a bug in ckptmeta; please report it with the file"
	}
}

// ErrInternal marks a bug caught at run time.
var ErrInternal = errors.New("validate: internal error")

// orphan is placed at the recorded checkpoint path when the document has one: that value
// is what names the missing file.
func orphan(name string, fa facts, ckptPath string) Finding {
	f := Finding{Path: name, Line: 1, Column: 1, Rule: "sidecar/orphan", Severity: SeverityWarning,
		Message: fmt.Sprintf("checkpoint %s does not exist", filepath.Base(ckptPath))}
	if fa.parsed && fa.recPtr != "" {
		f.Pointer = fa.recPtr
		f.Line, f.Column = fa.recLine, fa.recCol
	}
	return f
}

// RecordedCheckpoint returns where a document records its checkpoint's path (2.0:
// /checkpoint/path; 1.x and legacy: /checkpoint_path) and the path as written; ptr is ""
// when the document records none as a string.
func RecordedCheckpoint(doc *Document) (ptr, value string) {
	m, _ := doc.Value.(map[string]any)
	if c, ok := m["checkpoint"].(map[string]any); ok {
		if s, ok := c["path"].(string); ok {
			return "/checkpoint/path", s
		}
	}
	if s, ok := m["checkpoint_path"].(string); ok {
		return "/checkpoint_path", s
	}
	return "", ""
}

// Run discovers sidecars under roots and validates each one, calling fn once per file in
// lexical path order (sidecar.Walk's), from a single goroutine. A path that does not exist
// or cannot be read is a StatusError result; a symbolic link back to its own ancestor is a
// walk/symlink-loop warning. Files are checked in small batches by a bounded pool of workers;
// at most a few batches per worker wait in memory at any time, so memory stays flat however
// many files there are. When ctx is cancelled, Run
// starts no more files, reports none of those in flight, and returns ctx's error.
func (v *Validator) Run(ctx context.Context, roots []string, fn func(*Result)) error {
	workers := v.opts.Jobs
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Batches amortise the channel hand-offs; small ones keep both cores busy on small trees.
	const batchSize = 16
	type entry struct {
		path string
		err  error
	}
	dirs := newDirNames(true)
	session := v.Session("validate", roots)
	defer session.Close()
	produce := func(emit func([]entry)) {
		var pending []entry
		// The walk hands over each directory's listing before its files: the neighbour checks
		// read it instead of listing the directory again.
		_ = sidecar.WalkListing(ctx, roots, v.opts.Exclude, func(p string, k sidecar.Kind, err error) { // a cancelled walk is ctx.Err(), returned below
			if k == sidecar.KindCheckpoint && err == nil {
				return
			}
			pending = append(pending, entry{path: filepath.ToSlash(p), err: err})
			if len(pending) == batchSize {
				emit(pending)
				pending = nil
			}
		}, nil, dirs.put)
		if len(pending) > 0 && ctx.Err() == nil {
			emit(pending)
		}
	}
	work := func(batch []entry) []*Result {
		rs := make([]*Result, len(batch))
		for i, e := range batch {
			var loop *sidecar.LoopError
			switch {
			case errors.As(e.err, &loop):
				rs[i] = loopResult(e.path, loop)
				v.finish(rs[i]) // its warning takes the level Options.Rules gives walk/symlink-loop
			case e.err != nil:
				rs[i] = errorResult(e.path, e.err)
			default:
				rs[i] = v.safeValidateFile(session, e.path, dirs)
			}
		}
		return rs
	}
	ordered.Stream(workers, 4*workers, produce, work, func(rs []*Result) {
		if ctx.Err() != nil {
			return // cancelled: what was still in flight is not reported
		}
		for _, r := range rs {
			fn(r)
		}
	})
	return ctx.Err()
}
