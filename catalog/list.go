package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/resultcache"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// Entry sources.
const (
	SourceSidecar    = "sidecar"    // read from the sidecar
	SourceCheckpoint = "checkpoint" // built from the checkpoint by generate.Build (ListOptions.Fallback)
	SourceNone       = "none"       // no usable sidecar and no fallback (or the fallback failed); Problem says why
)

// Entry is one row of the catalog: one sidecar, or one checkpoint without any. Its JSON form is
// part of the list JSON contract (see the package documentation); pointer fields are null when
// unknown, and also when the sidecar has an error at that value (an hmean of 87.4 is not a metric).
type Entry struct {
	Experiment        string   `json:"experiment"`         // experiment.name (2.0), exp_name (1.x), else the directory layout; the layout's when the sidecar is misplaced
	Checkpoint        string   `json:"checkpoint"`         // the checkpoint the sidecar sits beside (slash-separated)
	CheckpointPresent bool     `json:"checkpoint_present"` // that checkpoint exists
	Sidecar           string   `json:"sidecar"`            // the sidecar read; "" when none
	SchemaVersion     string   `json:"schema_version"`     // of the sidecar read ("0" = legacy); "" when none
	Architecture      string   `json:"architecture"`
	Encoder           string   `json:"encoder"`
	Epoch             *int64   `json:"epoch"`
	Step              *int64   `json:"step"`
	Precision         *float64 `json:"precision"`
	Recall            *float64 `json:"recall"`
	Hmean             *float64 `json:"hmean"`
	Created           string   `json:"created"`       // created_at as written
	RecordedPath      string   `json:"recorded_path"` // checkpoint_path / checkpoint.path as written in the sidecar
	Source            string   `json:"source"`        // SourceSidecar, SourceCheckpoint or SourceNone
	Problem           string   `json:"problem"`       // the rule ids of the sidecar's errors, or why there is no sidecar; "" when none
}

// ListOptions configures List.
type ListOptions struct {
	Exclude  []string          // glob patterns handed to sidecar.Walk
	Fallback bool              // build entries for checkpoints without a sidecar (never writes)
	Generate generate.Options  // options for the fallback
	Filters  []string          // filter expressions, ANDed (see ParseFilter)
	Sort     string            // sort keys (see ParseSort); "" = experiment, checkpoint
	Jobs     int               // files read at once; 0 = GOMAXPROCS
	Registry *schemas.Registry // nil = schemas.Default()
	// ValidOnly keeps only rows whose checkpoint is present and whose sidecar has no error
	// (legacy documents, which list has always read, count as valid), plus the rows of
	// present checkpoints without a sidecar: the catalog as it was before it was built from
	// sidecars alone.
	ValidOnly bool
	// OnProblem, when set, receives each path the walk could not read (in path order) and
	// each path that does not exist; List has no other place to put them.
	OnProblem func(Problem)
	// Cache, when not nil, keeps each sidecar's verdict and catalog fields between runs, so
	// unchanged sidecars are not read again; the catalog is the same (see validate.Cache).
	Cache *validate.Cache
	// Rules are the rule levels of the validator (validate.Options.Rules): a row's problem
	// and --valid-only follow them as validate's verdicts do.
	Rules map[string]validate.RuleLevel
}

// List builds the catalog from the sidecars under paths: one entry per sidecar, whether or not
// its checkpoint is present (CheckpointPresent says), and one per present checkpoint without a
// sidecar. Every sidecar is checked by the validator `ckptmeta validate` uses (without opening
// any checkpoint: no fingerprint comparison); an entry whose sidecar has errors names their rule
// ids in Problem and reads every other field tolerantly. A legacy JSON beside its YAML successor
// is not an entry (the YAML is), nor is a file that only shares the naming. A checkpoint is
// opened only with Fallback, and only when it has no sidecar.
//
// Bad filters or sort keys fail before anything is read (*FilterError, *SortError). Otherwise
// List fails only when ctx is done. List holds every entry; [ListTo] writes a catalog of any
// size in flat memory.
func List(ctx context.Context, paths []string, o ListOptions) ([]Entry, error) {
	filters, keys, err := parseListOptions(o)
	if err != nil {
		return nil, err
	}
	var out []Entry
	if err := listRows(ctx, paths, o, filters, func(e *Entry) { out = append(out, *e) }); err != nil {
		return nil, err
	}
	SortEntries(out, keys)
	return out, nil
}

// ListTo is List written straight to w in format (see WriteList), for catalogs of any size:
// rows go to a scratch file in os.TempDir as they are read (removed before ListTo returns),
// a few thousand at a time stay in memory, and they are read back sorted (an external merge
// sort). It returns the number of rows written.
func ListTo(ctx context.Context, paths []string, o ListOptions, w io.Writer, format string) (int, error) {
	if err := checkListFormat(format); err != nil {
		return 0, err
	}
	filters, keys, err := parseListOptions(o)
	if err != nil {
		return 0, err
	}
	st, err := newSortedScratch("", "ckptmeta-list-*", entryOrder(keys), encodeEntry, decodeEntry)
	if err != nil {
		return 0, err
	}
	defer st.close()
	if err := listRows(ctx, paths, o, filters, st.add); err != nil {
		return 0, err
	}
	if err := st.sort(); err != nil {
		return 0, err
	}
	return st.len(), writeRows(w, st, format)
}

func parseListOptions(o ListOptions) (Filters, []SortKey, error) {
	filters, err := ParseFilters(o.Filters)
	if err != nil {
		return nil, nil, err
	}
	keys, err := ParseSort(o.Sort)
	if err != nil {
		return nil, nil, err
	}
	return filters, keys, nil
}

// listRows streams the catalog's entries, filtered, in scan order, to keep.
func listRows(ctx context.Context, paths []string, o ListOptions, filters Filters, keep func(*Entry)) error {
	reg := o.Registry
	if reg == nil {
		reg = schemas.Default()
	}
	// No fingerprints: list never opens a checkpoint (the fallback aside).
	v := validate.New(reg, validate.Options{NoStale: true, Cache: o.Cache, Rules: o.Rules})
	session := v.Session("list", paths)
	defer session.Close()
	onProblem := o.OnProblem
	if onProblem == nil {
		onProblem = func(Problem) {}
	}
	return streamGroups(ctx, paths, o.Exclude, o.Jobs, nil, onProblem,
		func(g *group) []Entry { return entriesFor(g, session, reg, o) },
		func(g *group, p any) []Entry {
			return []Entry{{Checkpoint: g.ckpt, CheckpointPresent: g.exists, Experiment: sidecar.Experiment(g.ckpt),
				Source: SourceNone, Problem: fmt.Sprintf("internal error: %v", p)}}
		},
		func(es []Entry) {
			for i := range es {
				if o.ValidOnly && !validRow(&es[i]) {
					continue
				}
				if filters.Match(&es[i]) {
					keep(&es[i])
				}
			}
		})
}

// validRow is the --valid-only rule: a present checkpoint, and a sidecar without errors (the
// legacy finding aside) or no sidecar at all.
func validRow(e *Entry) bool {
	if !e.CheckpointPresent {
		return false
	}
	return e.Source != SourceSidecar || e.Problem == "" || e.Problem == "sidecar/legacy"
}

// entriesFor lists one checkpoint's group: an entry per sidecar, or one for a present
// checkpoint that has none.
func entriesFor(g *group, v *validate.Session, reg *schemas.Registry, o ListOptions) []Entry {
	var out []Entry
	for _, s := range g.sidecars() {
		if len(g.yaml) > 0 && strings.HasSuffix(s, ".json") {
			continue // superseded by the YAML sidecar, which is listed
		}
		if e, ok := sidecarEntry(g, s, v, reg); ok {
			out = append(out, e)
		}
	}
	if len(out) > 0 || !g.exists {
		return out
	}
	e := Entry{Checkpoint: g.ckpt, CheckpointPresent: true, Source: SourceNone, Problem: "no sidecar"}
	if o.Fallback {
		sc, err := generate.Build(g.ckpt, o.Generate)
		if err == nil && sc != nil {
			doc, findings := validate.Parse(g.ckpt, sc.Data)
			if doc != nil {
				fe := readFields(doc, reg, errorsOf(findings))
				fe.Checkpoint, fe.CheckpointPresent, fe.Source, fe.Problem = g.ckpt, true, SourceCheckpoint, "no sidecar"
				e = fe
			} else {
				err = errors.New("generated document does not parse")
			}
		}
		if err != nil {
			e.Problem = fmt.Sprintf("no sidecar; fallback: %v", err)
		}
	}
	if e.Experiment == "" {
		e.Experiment = sidecar.Experiment(g.ckpt)
	}
	return []Entry{e}
}

// sidecarEntry is the entry of one sidecar; ok is false for a file that is not checkpoint
// metadata.
//
// The fields come from the document and the errors found in it. They are read when the file is
// checked (and kept with its verdict in the results cache) twice over when the content has
// errors: with those errors, and with none. The neighbour checks add errors no field reads
// (sidecar/conflict is at the document, sidecar/misplaced at the recorded path, which
// RecordedPath keeps as written; list compares no fingerprint), or, for a superseded legacy
// JSON, replace them all with a warning: so the fields of the final verdict are the first
// reading when it has errors and the second when it has none.
func sidecarEntry(g *group, path string, v *validate.Session, reg *schemas.Registry) (Entry, bool) {
	res, fields := v.CheckFile(path, func(doc *validate.Document, content *validate.Result) []byte {
		if doc == nil {
			return nil
		}
		var out []byte
		errs := errorsOf(content.Findings)
		out = appendFields(out, readFields(doc, reg, errs))
		if len(errs) > 0 {
			out = appendFields(out, readFields(doc, reg, nil))
		}
		return out
	})
	if res.Status == validate.StatusSkipped {
		return Entry{}, false
	}
	var errs []validate.Finding
	misplaced := false
	for _, f := range res.Findings {
		if f.Severity == validate.SeverityError {
			errs = append(errs, f)
			misplaced = misplaced || f.Rule == "sidecar/misplaced"
		}
	}
	e := pickFields(fields, len(errs) > 0)
	e.Checkpoint, e.CheckpointPresent, e.Sidecar, e.Source = g.ckpt, g.exists, path, SourceSidecar
	if e.SchemaVersion == "" {
		e.SchemaVersion = res.Version
	}
	if e.Experiment == "" || misplaced {
		// A sidecar copied from another run names that run's experiment; it is listed under
		// the experiment it sits in.
		e.Experiment = sidecar.Experiment(g.ckpt)
	}
	e.Problem = problem(errs)
	return e, true
}

// appendFields encodes what readFields reads, for the results cache.
func appendFields(b []byte, e Entry) []byte {
	var enc resultcache.Encoder
	encodeFields(&enc, &e)
	return append(b, enc.Bytes()...)
}

// encodeFields writes the fields readFields reads; decodeFields reads them back.
func encodeFields(enc *resultcache.Encoder, e *Entry) {
	for _, s := range []string{e.SchemaVersion, e.Experiment, e.RecordedPath, e.Created, e.Architecture, e.Encoder} {
		enc.String(s)
	}
	for _, n := range []*int64{e.Epoch, e.Step} {
		enc.Bool(n != nil)
		if n != nil {
			enc.Int(*n)
		}
	}
	for _, f := range []*float64{e.Precision, e.Recall, e.Hmean} {
		enc.Bool(f != nil)
		if f != nil {
			enc.Uint(math.Float64bits(*f))
		}
	}
}

// encodeEntry writes every field of e, exactly (a name that is not valid UTF-8 stays as it
// is), for ListTo's scratch file; decodeEntry reads it back.
func encodeEntry(enc *resultcache.Encoder, e *Entry) {
	encodeFields(enc, e)
	for _, s := range []string{e.Checkpoint, e.Sidecar, e.Source, e.Problem} {
		enc.String(s)
	}
	enc.Bool(e.CheckpointPresent)
}

func decodeEntry(d *resultcache.Decoder) Entry {
	e := decodeFields(d)
	for _, s := range []*string{&e.Checkpoint, &e.Sidecar, &e.Source, &e.Problem} {
		*s = d.String()
	}
	e.CheckpointPresent = d.Bool()
	return e
}

// pickFields decodes the fields appendFields wrote: the first reading when withErrors,
// else the second when there is one (see sidecarEntry). Nothing (no document) is no field.
func pickFields(b []byte, withErrors bool) Entry {
	d := resultcache.NewDecoder(b)
	e := decodeFields(d)
	if !withErrors && len(b) > 0 && !d.Done() {
		e = decodeFields(d)
	}
	return e
}

func decodeFields(d *resultcache.Decoder) (e Entry) {
	for _, s := range []*string{&e.SchemaVersion, &e.Experiment, &e.RecordedPath, &e.Created, &e.Architecture, &e.Encoder} {
		*s = d.String()
	}
	for _, n := range []**int64{&e.Epoch, &e.Step} {
		if d.Bool() {
			v := d.Int()
			*n = &v
		}
	}
	for _, f := range []**float64{&e.Precision, &e.Recall, &e.Hmean} {
		if d.Bool() {
			v := math.Float64frombits(d.Uint())
			*f = &v
		}
	}
	return e
}

// problem names the rules of a sidecar's errors, sorted ("schema/maximum, yaml/unquoted-version"),
// with the message for a file that could not be read or checked at all.
func problem(errs []validate.Finding) string {
	seen := map[string]bool{}
	var out []string
	for _, f := range errs {
		p := f.Rule
		if f.Rule == "file/unreadable" || f.Rule == "internal/error" {
			p += ": " + f.Message
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// readFields reads the catalog fields of a document of a known version (nothing for an unknown
// one). A field is left unknown when one of errs sits at its value or inside it.
func readFields(doc *validate.Document, reg *schemas.Registry, errs []validate.Finding) (e Entry) {
	m, ok := doc.Value.(map[string]any)
	if !ok {
		return e
	}
	version := doc.Version
	if _, err := reg.Lookup(version); err != nil {
		return e
	}
	bad := func(ptr string) bool {
		for _, f := range errs {
			if f.Pointer != "" && (f.Pointer == ptr || strings.HasPrefix(ptr, f.Pointer+"/") || strings.HasPrefix(f.Pointer, ptr+"/")) {
				return true
			}
		}
		return false
	}
	get := func(ptrs ...string) (any, string) {
		for _, p := range ptrs {
			if v := dig(m, strings.Split(p[1:], "/")...); v != nil {
				return v, p
			}
		}
		return nil, ""
	}
	good := func(ptrs ...string) any {
		v, p := get(ptrs...)
		if v == nil || bad(p) {
			return nil
		}
		return v
	}
	e.SchemaVersion = version
	e.Experiment = str(good("/experiment/name", "/exp_name"))
	v, _ := get("/checkpoint/path", "/checkpoint_path")
	e.RecordedPath = str(v) // as written, even when it is what is wrong
	e.Created = str(good("/created_at"))
	e.Architecture = str(good("/model/architecture"))
	switch enc := good("/model/encoder").(type) {
	case string: // V0 writes the encoder name as a plain string
		e.Encoder = enc
	case map[string]any:
		e.Encoder = str(good("/model/encoder/model_name"))
	}
	e.Epoch = integer(good("/training/epoch"))
	e.Step = integer(good("/training/global_step"))
	metrics, _ := m["metrics"].(map[string]any)
	prefix := "/metrics/"
	if values, ok := metrics["values"].(map[string]any); ok { // 2.0
		metrics, prefix = values, "/metrics/values/"
	}
	legacy := version == schemas.Legacy
	metricAt := func(name string) *float64 {
		if !legacy && bad(prefix+name) {
			return nil
		}
		return metric(metrics, name, legacy)
	}
	e.Precision = metricAt("precision")
	e.Recall = metricAt("recall")
	e.Hmean = metricAt("hmean")
	return e
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func integer(v any) *int64 {
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return &i
		}
	}
	f, ok := validate.Number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return nil
	}
	i := int64(f)
	return &i
}

func number(v any) *float64 {
	f, ok := validate.Number(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// metric finds a metric by name. Versioned documents have it under its plain name (1.x metrics,
// 2.0 metrics.values) and nowhere else counts: additional_metrics may hold a differently
// computed value. Legacy V0 documents hold whatever Lightning logged, so they are searched:
// the plain name, the names the V0 writer logged (val/hmean, cleval/hmean, ...), then any
// "<prefix>/<name>" in a stable order, nested maps flattened as the legacy reader did.
func metric(m map[string]any, name string, legacy bool) *float64 {
	if m == nil {
		return nil
	}
	if !legacy {
		return number(m[name])
	}
	for _, k := range []string{name, "val/" + name, "cleval/" + name, "val_" + name, "test/" + name} {
		if v := number(m[k]); v != nil {
			return v
		}
	}
	flat := map[string]any{}
	flatten("", m, flat)
	keys := make([]string, 0, len(flat))
	for k := range flat {
		if strings.HasSuffix(k, "/"+name) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := number(flat[k]); v != nil {
			return v
		}
	}
	return nil
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "/" + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
}

// Exists only so the experiment of a checkpoint outside any layout reads well in outputs.
func displayExperiment(name string) string {
	if name == "" || name == "." || name == string(filepath.Separator) {
		return "(none)"
	}
	return name
}

func errorsOf(fs []validate.Finding) []validate.Finding {
	var out []validate.Finding
	for _, f := range fs {
		if f.Severity == validate.SeverityError {
			out = append(out, f)
		}
	}
	return out
}
