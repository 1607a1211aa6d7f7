package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"

	"github.com/ckptmeta/ckptmeta/generate"
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

// Entry is one checkpoint in the catalog. Its JSON form is part of the list JSON contract
// (see the package documentation); pointer fields are null when unknown.
type Entry struct {
	Experiment    string   `json:"experiment"`     // experiment.name (2.0), exp_name (1.x), else the directory layout
	Checkpoint    string   `json:"checkpoint"`     // the checkpoint file as found (slash-separated)
	Sidecar       string   `json:"sidecar"`        // the sidecar read; "" when none
	SchemaVersion string   `json:"schema_version"` // of the sidecar read ("0" = legacy); "" when none
	Architecture  string   `json:"architecture"`
	Encoder       string   `json:"encoder"`
	Epoch         *int64   `json:"epoch"`
	Step          *int64   `json:"step"`
	Precision     *float64 `json:"precision"`
	Recall        *float64 `json:"recall"`
	Hmean         *float64 `json:"hmean"`
	Created       string   `json:"created"`       // created_at as written
	RecordedPath  string   `json:"recorded_path"` // checkpoint_path / checkpoint.path as written in the sidecar
	Source        string   `json:"source"`        // SourceSidecar, SourceCheckpoint or SourceNone
	Problem       string   `json:"problem"`       // why a better source was not used; "" when none
}

// ListOptions configures List.
type ListOptions struct {
	Exclude  []string          // glob patterns handed to sidecar.Walk
	Fallback bool              // build entries from checkpoints that lack a usable sidecar (never writes)
	Generate generate.Options  // options for the fallback
	Filters  []string          // filter expressions, ANDed (see ParseFilter)
	Sort     string            // sort keys (see ParseSort); "" = experiment, checkpoint
	Jobs     int               // files read at once; 0 = GOMAXPROCS
	Registry *schemas.Registry // nil = schemas.Default()
	// OnProblem, when set, receives each path the walk could not read (in path order) and
	// each path that does not exist; List has no other place to put them.
	OnProblem func(Problem)
}

// List builds the catalog of every checkpoint under paths from its sidecar. A sidecar is usable
// when it parses to a mapping of a known schema_version; List does not validate it against the
// schema (that is Status's job) and reads every field tolerantly. A checkpoint is opened only
// with Fallback, and only when it has no usable sidecar. Orphan sidecars are not listed.
//
// Bad filters or sort keys fail before anything is read (*FilterError, *SortError). Otherwise
// List fails only when ctx is done.
func List(ctx context.Context, paths []string, o ListOptions) ([]Entry, error) {
	filters, err := ParseFilters(o.Filters)
	if err != nil {
		return nil, err
	}
	keys, err := ParseSort(o.Sort)
	if err != nil {
		return nil, err
	}
	reg := o.Registry
	if reg == nil {
		reg = schemas.Default()
	}
	groups, problems, err := scan(ctx, paths, o.Exclude)
	if o.OnProblem != nil {
		for _, p := range problems {
			o.OnProblem(p)
		}
	}
	if err != nil {
		return nil, err
	}
	var live []*group
	for _, g := range groups {
		if g.exists {
			live = append(live, g)
		}
	}
	entries := make([]Entry, len(live))
	err = forEach(ctx, len(live), o.Jobs, func(i int) {
		entries[i] = entryFor(live[i], reg, o)
	}, func(i int, p any) {
		entries[i] = Entry{Checkpoint: live[i].ckpt, Experiment: sidecar.Experiment(live[i].ckpt),
			Source: SourceNone, Problem: fmt.Sprintf("internal error: %v", p)}
	})
	if err != nil {
		return nil, err
	}
	out := entries[:0]
	for _, e := range entries {
		if filters.Match(&e) {
			out = append(out, e)
		}
	}
	SortEntries(out, keys)
	return out, nil
}

func entryFor(g *group, reg *schemas.Registry, o ListOptions) Entry {
	var problems []string
	if len(g.yaml) > 1 {
		problems = append(problems, fmt.Sprintf("conflict: %d YAML sidecars", len(g.yaml)))
	}
	for _, s := range g.sidecars() {
		src, err := fsutil.ReadFile(s, validate.MaxFileSize)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", s, err))
			continue
		}
		e, why := fromSource(s, src, reg)
		if why != "" {
			problems = append(problems, fmt.Sprintf("%s: %s", s, why))
			continue
		}
		finish(&e, g.ckpt, s, SourceSidecar, problems)
		return e
	}
	if len(g.sidecars()) == 0 {
		problems = append(problems, "no sidecar")
	}
	if o.Fallback {
		sc, err := generate.Build(g.ckpt, o.Generate)
		if err == nil && sc != nil {
			e, why := fromSource(g.ckpt, sc.Data, reg)
			if why == "" {
				finish(&e, g.ckpt, "", SourceCheckpoint, problems)
				return e
			}
			err = fmt.Errorf("generated document: %s", why)
		}
		problems = append(problems, fmt.Sprintf("fallback: %v", err))
	}
	e := Entry{}
	finish(&e, g.ckpt, "", SourceNone, problems)
	return e
}

func finish(e *Entry, ckpt, sidecarPath, source string, problems []string) {
	e.Checkpoint, e.Sidecar, e.Source = ckpt, sidecarPath, source
	if e.Experiment == "" {
		e.Experiment = sidecar.Experiment(ckpt)
	}
	e.Problem = strings.Join(problems, "; ")
}

// fromSource reads the catalog fields of one document; why is "" when it is usable.
func fromSource(path string, src []byte, reg *schemas.Registry) (e Entry, why string) {
	doc, findings := validate.Parse(path, src)
	if doc == nil {
		for _, f := range findings {
			if f.Severity == validate.SeverityError {
				return e, f.Rule + ": " + f.Message
			}
		}
		return e, "not parsable"
	}
	m, ok := doc.Value.(map[string]any)
	if !ok {
		return e, "not a mapping"
	}
	version := doc.Version
	if _, err := reg.Lookup(version); err != nil {
		return e, fmt.Sprintf("unknown schema_version %q", version)
	}
	e.SchemaVersion = version
	e.Experiment = str(dig(m, "experiment", "name"))
	if e.Experiment == "" {
		e.Experiment = str(m["exp_name"])
	}
	e.RecordedPath = str(dig(m, "checkpoint", "path"))
	if e.RecordedPath == "" {
		e.RecordedPath = str(m["checkpoint_path"])
	}
	e.Created = str(m["created_at"])
	e.Architecture = str(dig(m, "model", "architecture"))
	switch enc := dig(m, "model", "encoder").(type) {
	case string: // V0 writes the encoder name as a plain string
		e.Encoder = enc
	case map[string]any:
		e.Encoder = str(enc["model_name"])
	}
	e.Epoch = integer(dig(m, "training", "epoch"))
	e.Step = integer(dig(m, "training", "global_step"))
	metrics, _ := m["metrics"].(map[string]any)
	if values, ok := metrics["values"].(map[string]any); ok { // 2.0
		metrics = values
	}
	legacy := version == schemas.Legacy
	e.Precision = metric(metrics, "precision", legacy)
	e.Recall = metric(metrics, "recall", legacy)
	e.Hmean = metric(metrics, "hmean", legacy)
	return e, ""
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
