package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"

	"github.com/ckptmeta/ckptmeta/internal/ordered"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/validate"
)

// RunOptions control a generation run over many checkpoints.
type RunOptions struct {
	Options
	// Force rebuilds sidecars that exist (the new file replaces the preferred existing name).
	Force bool
	// Stale rebuilds only existing sidecars whose checkpoint fingerprint no longer matches.
	Stale bool
	// DryRun builds everything and writes nothing; Result.Data holds what would be written.
	DryRun bool
	// Jobs bounds how many checkpoints are read at once; 0 means GOMAXPROCS.
	Jobs int
	// Exclude holds glob patterns of paths to skip (see sidecar.Walk).
	Exclude []string
	// Roots are the trees writes must stay inside (see internal/fsutil.Roots); nil means the
	// paths given to Run. `ckptmeta watch` hands Run the few checkpoints that changed and
	// keeps the trees it watches here, so a sidecar linked elsewhere in them is written
	// through as `ckptmeta generate` over the whole tree would.
	Roots []string

	roots *fsutil.Roots // set by Run: writes stay under the paths given
}

// Status is the outcome for one checkpoint.
type Status int

const (
	_           Status = iota
	Written            // the sidecar was written
	WouldWrite         // DryRun: the sidecar would be written
	Skipped            // a sidecar exists (and is not stale); nothing to do
	Failed             // the checkpoint could not be turned into a sidecar, or the path could not be read; Err says why
	NotFollowed        // a symbolic link back to its own ancestor (sidecar.LoopError); not a checkpoint; a warning
)

func (s Status) String() string {
	switch s {
	case Written:
		return "written"
	case WouldWrite:
		return "would-write"
	case Skipped:
		return "skipped"
	case Failed:
		return "failed"
	case NotFollowed:
		return "not-followed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is what happened to one checkpoint.
type Result struct {
	Checkpoint string   // as discovered
	Sidecar    string   // the sidecar written, that would be written, or that exists
	Status     Status   //
	Reason     string   // one line: why skipped or failed
	Err        error    // set when Failed
	Data       []byte   // the sidecar's bytes (Written and WouldWrite)
	Warnings   []string // from the build
	unreadable bool     // a Failed path that is not a checkpoint (counted in Summary.Unreadable)
}

// Summary counts a run. Found = Written + Skipped + Failed: every checkpoint the walk found,
// a dangling link named *.ckpt included (it fails).
type Summary struct {
	Found, Written, Skipped, Failed int
	Unreadable                      int // paths that are not checkpoints and could not be read: missing, an unreadable directory
	NotFollowed                     int // symbolic links back to their own ancestor (warnings)
}

// DefaultPath is searched when Run is given no paths.
const DefaultPath = "outputs"

// Run finds the checkpoints under paths (DefaultPath when empty), builds and writes their
// sidecars, and calls each once per path the walk reported, in lexical path order
// (sidecar.Walk's), from one goroutine. Per-checkpoint problems are Failed results and the run
// goes on; so are paths that do not exist and directories that cannot be read (Unreadable in
// the Summary, since they are not checkpoints). A symbolic link back to its own ancestor is a
// NotFollowed result carrying a warning.
//
// When ctx is cancelled, checkpoints already being built finish (a sidecar is written whole or
// not at all), no other is started or reported, and Run returns ctx's error.
func Run(ctx context.Context, paths []string, o RunOptions, each func(*Result)) (Summary, error) {
	var sum Summary
	if len(paths) == 0 {
		paths = []string{DefaultPath}
	}
	type item struct {
		path string
		kind sidecar.Kind
		err  error
	}
	var items []item
	if err := sidecar.Walk(ctx, paths, o.Exclude, func(p string, kind sidecar.Kind, err error) {
		if kind == sidecar.KindCheckpoint || err != nil {
			items = append(items, item{p, kind, err})
		}
	}); err != nil {
		return sum, err
	}
	o.configs = &configCache{}
	if !o.DryRun {
		rootPaths := paths
		if o.Roots != nil {
			rootPaths = o.Roots
		}
		roots, err := fsutil.OpenRoots(rootPaths)
		if err != nil {
			return sum, fmt.Errorf("generate: %w", err)
		}
		defer roots.Close()
		o.roots = roots
		var dirs []string
		for _, it := range items {
			if it.kind == sidecar.KindCheckpoint && it.err == nil {
				dirs = append(dirs, filepath.Dir(it.path))
			}
		}
		// What a killed run left: sidecars are written beside their checkpoints.
		roots.RemoveTemps(dirs, sidecar.IsTemp)
	}
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	// Output stays sorted whatever the scheduling; at most 4×jobs results wait. A
	// cancelled context makes one() return at once for the checkpoints not started.
	ordered.Map(len(items), jobs, 4*jobs, func(i int) *Result {
		it := items[i]
		var loop *sidecar.LoopError
		switch {
		case errors.As(it.err, &loop):
			return &Result{Checkpoint: it.path, Status: NotFollowed, Reason: loop.Error(), Warnings: []string{loop.Error()}}
		case it.err != nil:
			err := fmt.Errorf("generate: %w", it.err)
			return &Result{Checkpoint: it.path, Status: Failed, Err: err, Reason: err.Error(), unreadable: it.kind != sidecar.KindCheckpoint}
		}
		return one(ctx, it.path, o)
	}, func(_ int, r *Result) {
		if ctx.Err() != nil && errors.Is(r.Err, ctx.Err()) {
			return // never started: not a failure, not reported
		}
		switch {
		case r.Status == NotFollowed:
			sum.NotFollowed++
		case r.unreadable:
			sum.Unreadable++
		default:
			sum.Found++
			switch r.Status {
			case Written, WouldWrite:
				sum.Written++
			case Skipped:
				sum.Skipped++
			case Failed:
				sum.Failed++
			}
		}
		if each != nil {
			each(r)
		}
	})
	return sum, ctx.Err()
}

// one handles one checkpoint; it never panics outward.
func one(ctx context.Context, ckptPath string, o RunOptions) (res *Result) {
	res = &Result{Checkpoint: ckptPath}
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("generate: %s: internal error: %v", ckptPath, p)
			*res = Result{Checkpoint: ckptPath, Status: Failed, Err: err, Reason: err.Error()}
		}
	}()
	if err := ctx.Err(); err != nil {
		return fail(res, err)
	}
	target := sidecar.Path(ckptPath, o.Naming)
	have := sidecar.Existing(ckptPath)
	var yamls []string
	for _, p := range have {
		if k, _ := sidecar.Classify(p); k == sidecar.KindSidecar {
			yamls = append(yamls, p)
		}
	}
	var old *fsutil.Snapshot // the sidecar being replaced, as read
	if len(yamls) > 0 {
		target = yamls[0] // replace the file readers find first, never add a second one
		if o.Force || o.Stale {
			var err error
			if old, err = fsutil.ReadSnapshot(target, validate.MaxFileSize); err != nil {
				return fail(res, fmt.Errorf("generate: %w", err))
			}
		}
		switch {
		case o.Force:
		case o.Stale:
			stale, why, err := staleSidecar(yamls[0], old.Data, ckptPath)
			if err != nil {
				return fail(res, fmt.Errorf("generate: %s: %w", yamls[0], err))
			}
			if !stale {
				res.Sidecar, res.Status, res.Reason = yamls[0], Skipped, why
				return res
			}
			res.Reason = why
		default:
			res.Sidecar, res.Status, res.Reason = yamls[0], Skipped, "sidecar exists"
			return res
		}
	}
	bo := o.Options
	if len(yamls) > 0 {
		// Replacing a sidecar: keep what a person may have written in it, and say so.
		if bo.Carry == nil {
			bo.Carry = carryFrom(yamls[0], old.Data)
		}
		bo.Action = ActionRegenerated
	}
	sc, err := Build(ckptPath, bo)
	if err != nil {
		return fail(res, err)
	}
	res.Sidecar, res.Data, res.Warnings = target, sc.Data, sc.Warnings
	if o.DryRun {
		res.Status = WouldWrite
		return res
	}
	// A rebuilt sidecar keeps its permissions and owner, and is replaced only while it
	// still holds what was read; a new one only while there is none.
	if _, err := o.roots.WriteFile(target, sc.Data, fsutil.WriteOptions{Perm: 0o644, Old: old}); err != nil {
		return fail(res, fmt.Errorf("generate: %w", err))
	}
	res.Status = Written
	return res
}

func fail(res *Result, err error) *Result {
	res.Status, res.Err, res.Reason = Failed, err, err.Error()
	return res
}

// staleSidecar reports whether the sidecar's fingerprint no longer matches its checkpoint.
// A sidecar without a fingerprint (1.0) cannot be shown stale and is left alone.
func staleSidecar(path string, src []byte, ckptPath string) (bool, string, error) {
	doc, _ := validate.Parse(filepath.ToSlash(path), src)
	if doc == nil {
		return false, "", fmt.Errorf("not readable YAML")
	}
	if _, ok := validate.Recorded(doc); !ok {
		return false, "sidecar records no checkpoint fingerprint (1.0); force rebuilds it", nil
	}
	stale, why, err := validate.Stale(doc, ckptPath)
	if err == nil && !stale {
		why = "sidecar is up to date"
	}
	return stale, why, err
}

// carryFrom reads the hand-editable run identity from an existing sidecar's bytes (see
// [CarryOf]). A sidecar that does not parse carries nothing: the new one is built from the
// sources alone.
func carryFrom(path string, src []byte) *Carry {
	doc, _ := validate.Parse(filepath.ToSlash(path), src)
	if doc == nil {
		return nil
	}
	c := CarryOf(doc)
	if c.Empty() {
		return nil
	}
	return &c
}

// CarryOf is the one reading of what a person may have written into a sidecar that is
// about to be rebuilt, in either layout (1.x, or 2.0's experiment/metrics grouping):
//   - the run identity: exp_name and wandb_run_id (1.x), else experiment.name and
//     experiment.wandb_run_id (2.0);
//   - model.architecture and the model parts, checkpointing.monitor and mode (2.0:
//     metrics.monitor and mode), checkpointing.save_top_k and save_last;
//   - the document itself (Carry.Old), for its comments and extra keys.
//
// A value is carried only when it is valid in every version ckptmeta writes: names are
// non-empty strings other than the "unknown" placeholder, mode is min or max, save_top_k
// an integer >= -1, params hold scalars (loss params numbers). A nil doc carries nothing.
func CarryOf(doc *validate.Document) Carry {
	var c Carry
	if doc == nil {
		return c
	}
	if doc.Root != nil && doc.Root.Kind == yaml.MappingNode {
		c.Old = doc.Root
	}
	m, _ := doc.Value.(map[string]any)
	c.ExpName, _ = m["exp_name"].(string)
	c.WandbRunID, _ = m["wandb_run_id"].(string)
	if e, ok := m["experiment"].(map[string]any); ok {
		if c.ExpName == "" {
			c.ExpName, _ = e["name"].(string)
		}
		if c.WandbRunID == "" {
			c.WandbRunID, _ = e["wandb_run_id"].(string)
		}
	}
	model, _ := m["model"].(map[string]any)
	c.Architecture = carriedName(model["architecture"])
	if e, ok := model["encoder"].(map[string]any); ok {
		if name := carriedName(e["model_name"]); name != "" {
			c.Encoder = &Encoder{ModelName: name, Pretrained: carriedBool(e["pretrained"]), Frozen: carriedBool(e["frozen"])}
		}
	}
	if d, ok := model["decoder"].(map[string]any); ok {
		if name := carriedName(d["name"]); name != "" {
			c.Decoder = &Decoder{Name: name, InnerChannels: carriedInt(d["inner_channels"], 1), OutputChannels: carriedInt(d["output_channels"], 1), Params: carriedParams(d["params"], false)}
			if l, ok := d["in_channels"].([]any); ok {
				in := []int64{}
				for _, v := range l {
					n := carriedInt(v, 1)
					if n == nil {
						in = nil
						break
					}
					in = append(in, *n)
				}
				c.Decoder.InChannels = in
			}
		}
	}
	if h, ok := model["head"].(map[string]any); ok {
		if name := carriedName(h["name"]); name != "" {
			c.Head = &Head{Name: name, InChannels: carriedInt(h["in_channels"], 1), Params: carriedParams(h["params"], false)}
		}
	}
	if l, ok := model["loss"].(map[string]any); ok {
		if name := carriedName(l["name"]); name != "" {
			c.Loss = &Loss{Name: name, Params: carriedParams(l["params"], true)}
		}
	}
	ck, _ := m["checkpointing"].(map[string]any)
	monitorIn := ck
	if mt, ok := m["metrics"].(map[string]any); ok && m["experiment"] != nil {
		monitorIn = mt // 2.0 keeps monitor and mode with the metrics
	}
	c.Monitor = carriedName(monitorIn["monitor"])
	if mode, _ := monitorIn["mode"].(string); mode == "min" || mode == "max" {
		c.Mode = mode
	}
	c.SaveTopK = carriedInt(ck["save_top_k"], -1)
	c.SaveLast = carriedBool(ck["save_last"])
	if tr, ok := m["training"].(map[string]any); ok {
		switch p, _ := tr["training_phase"].(string); p {
		case "training", "validation", "finetuning":
			c.TrainingPhase = p
		}
		c.MaxEpochs = carriedInt(tr["max_epochs"], 1)
	}
	if mt, ok := m["metrics"].(map[string]any); ok {
		values := mt // 1.x: the fixed fields, and additional_metrics
		if v, ok := mt["values"].(map[string]any); ok && m["experiment"] != nil {
			values = v // 2.0: every value, the fixed ones under their names
		}
		c.Metrics.Precision = carriedFloat(values["precision"], 0, 1)
		c.Metrics.Recall = carriedFloat(values["recall"], 0, 1)
		c.Metrics.Hmean = carriedFloat(values["hmean"], 0, 1)
		c.Metrics.ValidationLoss = carriedFloat(values["validation_loss"], 0, math.MaxFloat64)
		add, _ := mt["additional_metrics"].(map[string]any)
		if m["experiment"] != nil {
			add = values
		}
		for k, v := range add {
			if m["experiment"] != nil && (k == "precision" || k == "recall" || k == "hmean" || k == "validation_loss") {
				continue
			}
			if f := carriedFloat(v, -math.MaxFloat64, math.MaxFloat64); f != nil {
				if c.Metrics.Additional == nil {
					c.Metrics.Additional = map[string]float64{}
				}
				c.Metrics.Additional[k] = *f
			}
		}
	}
	return c
}

// carriedFloat reads a finite number within [lo, hi].
func carriedFloat(v any, lo, hi float64) *float64 {
	n, ok := v.(json.Number)
	if !ok {
		return nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return nil
	}
	return &f
}

func carriedName(v any) string {
	s, _ := v.(string)
	if s == Unknown {
		return ""
	}
	return s
}

func carriedBool(v any) *bool {
	if b, ok := v.(bool); ok {
		return &b
	}
	return nil
}

// carriedInt reads an integer no smaller than min.
func carriedInt(v any, min int64) *int64 {
	n, ok := v.(json.Number)
	if !ok {
		return nil
	}
	i, err := n.Int64()
	if err != nil || i < min {
		return nil
	}
	return &i
}

// carriedParams reads scalar params (numbers only for a loss); nil when there are none.
func carriedParams(v any, numbersOnly bool) map[string]any {
	m, _ := v.(map[string]any)
	var out map[string]any
	for k, x := range m {
		var val any
		switch t := x.(type) {
		case json.Number:
			if i, err := t.Int64(); err == nil {
				val = i
			} else if f, err := t.Float64(); err == nil {
				val = f
			}
		case string:
			if !numbersOnly {
				val = t
			}
		case bool:
			if !numbersOnly {
				val = t
			}
		}
		if val == nil {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = val
	}
	return out
}
