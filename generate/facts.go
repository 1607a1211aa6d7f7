package generate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
)

// Source says where a fact came from.
type Source string

// Sources in priority order: a fact from an earlier one is never replaced by a later one,
// except that carried values (written by a person in an older sidecar) win over guesses.
const (
	SourceCheckpoint      Source = "checkpoint"       // a top-level key or callback state of the checkpoint
	SourceHyperParameters Source = "hyper_parameters" // the checkpoint's saved hyper_parameters
	SourceHydra           Source = "hydra"            // the run's .hydra/config.yaml
	SourceFilename        Source = "filename"         // the checkpoint's file name or directory
	SourceDefault         Source = "default"          // the 1.0 model's default or the "unknown" placeholder
	SourceCarried         Source = "carried"          // Options.Carry (an older sidecar)
)

// Facts is everything known about one checkpoint, before it is laid out as a sidecar of some
// schema version. Nil pointers and empty strings mean "unknown". Sources maps each known fact,
// by its 1.x name ("training.epoch", "model.decoder", "checkpointing.monitor"), to its Source.
type Facts struct {
	Checkpoint string // the checkpoint as given
	Root       string // the outputs root (absolute)
	Path       string // the checkpoint relative to Root, slash-separated
	HydraPath  string // the Hydra config relative to Root, slash-separated; "" when none was found

	ExpName    string
	WandbRunID string

	Epoch         *int64
	GlobalStep    *int64
	TrainingPhase string // "" = unknown
	MaxEpochs     *int64

	LightningVersion string
	Model            Model
	Metrics          Metrics
	Checkpointing    Checkpointing
	Fingerprint      *ckpt.Fingerprint

	Sources  map[string]Source
	Warnings []string
}

// Model is the network's description. A nil part is unknown.
type Model struct {
	Architecture string
	Encoder      *Encoder
	Decoder      *Decoder
	Head         *Head
	Loss         *Loss
}

// Encoder is model.encoder.
type Encoder struct {
	ModelName          string
	Pretrained, Frozen *bool
}

// Decoder is model.decoder. Params hold scalars only (string, bool, int64, float64).
type Decoder struct {
	Name                          string
	InChannels                    []int64
	InnerChannels, OutputChannels *int64
	Params                        map[string]any
}

// Head is model.head. Params hold scalars only.
type Head struct {
	Name       string
	InChannels *int64
	Params     map[string]any
}

// Loss is model.loss. Params hold numbers only (int64, float64).
type Loss struct {
	Name   string
	Params map[string]any
}

// Metrics are the checkpoint's evaluation results. Additional maps logged metric names
// (e.g. "val/hmean") to values; Best is ModelCheckpoint's best_model_score.
type Metrics struct {
	Precision, Recall, Hmean, ValidationLoss *float64
	Additional                               map[string]float64
	Best                                     *float64
}

// Checkpointing is the ModelCheckpoint configuration.
type Checkpointing struct {
	Monitor  string
	Mode     string // "min" | "max" | ""
	SaveTopK *int64
	SaveLast *bool
}

// facts under construction: set* keep the first value (sources are visited in priority order).
type extraction struct {
	f *Facts

	archPreset, archGuess *archCandidate // see settleArchitecture
}

func (x *extraction) warn(format string, args ...any) {
	x.f.Warnings = append(x.f.Warnings, fmt.Sprintf(format, args...))
}

func (x *extraction) has(name string) bool { _, ok := x.f.Sources[name]; return ok }

func (x *extraction) mark(name string, s Source) { x.f.Sources[name] = s }

func (x *extraction) setString(name string, dst *string, v string, s Source) {
	if v == "" || x.has(name) {
		return
	}
	*dst = v
	x.mark(name, s)
}

// setPtr records a fact unless a stronger source already set it.
func setPtr[T any](x *extraction, name string, dst **T, v T, s Source) {
	if x.has(name) {
		return
	}
	*dst = &v
	x.mark(name, s)
}

// Extract gathers the facts about the checkpoint read by r (opened from ckptPath): from the
// checkpoint itself, its hyper_parameters, the run's Hydra config, and the file name, in
// that order of trust. o.Root and o.Carry are used; the rest of o is for rendering.
// A checkpoint whose epoch or global step no source knows is an error (ErrNoEpoch,
// ErrNoGlobalStep); everything else has a fallback.
func Extract(r *ckpt.Reader, ckptPath string, o Options) (*Facts, error) {
	loc, err := locate(ckptPath, o.Root)
	if err != nil {
		return nil, err
	}
	f := &Facts{Checkpoint: ckptPath, Root: loc.root, Path: loc.rel, Sources: map[string]Source{}}
	x := &extraction{f: f}

	if o.Carry != nil {
		x.setString("exp_name", &f.ExpName, o.Carry.ExpName, SourceCarried)
		x.setString("wandb_run_id", &f.WandbRunID, o.Carry.WandbRunID, SourceCarried)
	}
	if r != nil {
		x.fromCheckpoint(r, ckptPath)
	}
	if loc.hydra != "" {
		cfg, err := o.configs.load(loc.hydra)
		if err != nil {
			x.warn("hydra config %s not read: %v", loc.hydraRel, err)
		} else {
			f.HydraPath = loc.hydraRel
			x.mark("hydra_config_path", SourceHydra)
			x.fromConfig(cfg, [][]string{{"model"}})
			x.fromHydraRun(cfg)
		}
	}
	var carried *archCandidate
	if o.Carry != nil && o.Carry.Architecture != "" {
		carried = &archCandidate{name: o.Carry.Architecture, src: SourceCarried}
	}
	x.settleArchitecture(carried)
	x.fromCarry(o.Carry)
	x.fromFilename(ckptPath, loc.experiment)
	x.defaults()
	if f.Epoch == nil {
		return f, &MissingFactError{Checkpoint: ckptPath, Fact: "epoch", err: ErrNoEpoch}
	}
	if f.GlobalStep == nil {
		return f, &MissingFactError{Checkpoint: ckptPath, Fact: "global_step", err: ErrNoGlobalStep}
	}
	sort.Strings(f.Warnings)
	return f, nil
}

// fromCheckpoint reads the top-level keys Lightning writes (reference B4).
func (x *extraction) fromCheckpoint(r *ckpt.Reader, ckptPath string) {
	f := x.f
	if v, ok := r.Lookup("epoch"); ok {
		if n, ok := count(v); ok {
			setPtr(x, "training.epoch", &f.Epoch, n, SourceCheckpoint)
		} else {
			x.warn("checkpoint epoch %s is not a non-negative integer; ignored", describe(v))
		}
	}
	if v, ok := r.Lookup("global_step"); ok {
		if n, ok := count(v); ok {
			setPtr(x, "training.global_step", &f.GlobalStep, n, SourceCheckpoint)
		} else {
			x.warn("checkpoint global_step %s is not a non-negative integer; ignored", describe(v))
		}
	}
	if v, ok := r.Lookup("pytorch-lightning_version"); ok {
		if s, ok := v.(string); ok {
			x.setString("lightning_version", &f.LightningVersion, s, SourceCheckpoint)
		}
	}
	if v, ok := r.Lookup("wandb_run_id"); ok {
		if s, ok := v.(string); ok {
			x.setString("wandb_run_id", &f.WandbRunID, s, SourceCheckpoint)
		}
	}
	if m, ok := lookupMap(r, "cleval_metrics"); ok {
		x.cleval(m)
	}
	if m, ok := lookupMap(r, "callbacks"); ok {
		x.callbacks(m, ckptPath)
	}
	for _, key := range []string{"hyper_parameters", "hparams"} {
		if m, ok := lookupMap(r, key); ok {
			x.fromConfig(newConfig(SourceHyperParameters, m), [][]string{{}, {"model"}})
			x.fromRunKeys(newConfig(SourceHyperParameters, m))
			break
		}
	}
}

func lookupMap(r *ckpt.Reader, key string) (map[string]any, bool) {
	v, ok := r.Lookup(key)
	if !ok {
		return nil, false
	}
	m := asMap(v)
	return m, m != nil
}

// asMap reads a mapping: a plain one, or an object of a class the reader does not unwrap
// (a dict subclass keeps its items, a plain object its __dict__ state).
func asMap(v any) map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return t
	case *ckpt.Object:
		if t == nil {
			return nil
		}
		if len(t.Items) > 0 {
			return t.Items
		}
		if m, ok := t.State.(map[string]any); ok {
			return m
		}
	}
	return nil
}

// cleval reads the detection module's own metrics record: the reliable in-checkpoint source.
func (x *extraction) cleval(m map[string]any) {
	f := x.f
	for _, k := range []struct {
		keys []string
		name string
		dst  **float64
	}{
		{[]string{"precision"}, "metrics.precision", &f.Metrics.Precision},
		{[]string{"recall"}, "metrics.recall", &f.Metrics.Recall},
		{[]string{"hmean", "f1"}, "metrics.hmean", &f.Metrics.Hmean},
	} {
		for _, key := range k.keys {
			v, ok := m[key]
			if !ok {
				continue
			}
			if n, ok := x.unitMetric("cleval_metrics."+key, v); ok {
				setPtr(x, k.name, k.dst, n, SourceCheckpoint)
			}
			break
		}
	}
}

// unitMetric reads a metric that must lie in [0, 1]; NaN, infinities and out-of-range
// values are left out with a warning.
func (x *extraction) unitMetric(what string, v any) (float64, bool) {
	n, ok := number(v)
	if !ok {
		x.warn("%s %s is not a number; left out", what, describe(v))
		return 0, false
	}
	if math.IsNaN(n) || math.IsInf(n, 0) {
		x.warn("%s is %v; written as null", what, n)
		return 0, false
	}
	if n < 0 || n > 1 {
		x.warn("%s = %v is outside [0, 1]; left out", what, n)
		return 0, false
	}
	return n, true
}

// callbacks finds the ModelCheckpoint-like state: a key whose class ends in "ModelCheckpoint"
// (UniqueModelCheckpoint, lightning's own, the pre-1.5 class key), else a state carrying
// best_model_score and best_model_path. The first in key order wins.
func (x *extraction) callbacks(m map[string]any, ckptPath string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	chosen := ""
	for _, k := range keys {
		class, _ := splitStateKey(k)
		if strings.HasSuffix(class, "ModelCheckpoint") {
			chosen = k
			break
		}
	}
	if chosen == "" {
		for _, k := range keys {
			st := asMap(m[k])
			_, a := st["best_model_score"]
			_, b := st["best_model_path"]
			if a && b {
				chosen = k
				break
			}
		}
	}
	if chosen == "" {
		return
	}
	f := x.f
	_, kwargs := splitStateKey(chosen)
	state := asMap(m[chosen])
	monitor, _ := state["monitor"].(string)
	if monitor == "" {
		monitor, _ = kwargs["monitor"].(string)
	}
	x.setString("checkpointing.monitor", &f.Checkpointing.Monitor, monitor, SourceCheckpoint)
	if mode, _ := kwargs["mode"].(string); mode == "min" || mode == "max" {
		x.setString("checkpointing.mode", &f.Checkpointing.Mode, mode, SourceCheckpoint)
	}
	v, ok := state["best_model_score"]
	if !ok || v == nil {
		return
	}
	best, ok := number(v)
	switch {
	case !ok:
		return // a tensor whose value was not read
	case math.IsNaN(best) || math.IsInf(best, 0):
		x.warn("callback best_model_score is %v; written as null", best)
		return
	}
	setPtr(x, "metrics.best", &f.Metrics.Best, best, SourceCheckpoint)
	// The best score is this checkpoint's own score only when this file is the best one.
	bestPath, _ := state["best_model_path"].(string)
	if monitor == "" || bestPath == "" || baseName(bestPath) != baseName(ckptPath) {
		return
	}
	x.additional(monitor, best, SourceCheckpoint)
}

// additional records a logged metric, and fills the fixed field it names when still unknown.
func (x *extraction) additional(name string, v float64, s Source) {
	f := x.f
	switch name {
	case "precision", "recall", "hmean", "validation_loss":
		// A logged name equal to a fixed field is that field; 2.0 could not hold both.
	default:
		if f.Metrics.Additional == nil {
			f.Metrics.Additional = map[string]float64{}
		}
		if _, ok := f.Metrics.Additional[name]; !ok {
			f.Metrics.Additional[name] = v
			x.mark("metrics.additional_metrics."+name, s)
		}
	}
	lower := strings.ToLower(name)
	last := lower[strings.LastIndexAny(lower, "/.")+1:]
	inUnit := v >= 0 && v <= 1
	switch {
	case (last == "hmean" || last == "f1") && inUnit:
		setPtr(x, "metrics.hmean", &f.Metrics.Hmean, v, s)
	case last == "precision" && inUnit:
		setPtr(x, "metrics.precision", &f.Metrics.Precision, v, s)
	case last == "recall" && inUnit:
		setPtr(x, "metrics.recall", &f.Metrics.Recall, v, s)
	case strings.Contains(lower, "val") && strings.Contains(lower, "loss") && v >= 0:
		setPtr(x, "metrics.validation_loss", &f.Metrics.ValidationLoss, v, s)
	}
}

func baseName(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// fromConfig reads model facts from a config. sections are the places the model section may
// be: {"model"} for Hydra; the top level or "model" for hyper_parameters. An architecture
// named only by a class (_target_) is a guess, kept in x.archGuess until every source has had
// its chance to name it (see settleArchitecture).
func (x *extraction) fromConfig(c *config, sections [][]string) {
	f := x.f
	for _, base := range sections {
		for _, key := range []string{"architecture", "architecture_name", "architectures"} {
			if s, ok := x.configString(c, append(clone(base), key)); ok {
				x.setString("model.architecture", &f.Model.Architecture, s, c.src)
			}
		}
	}
	if c.preset != "" && x.archPreset == nil {
		x.archPreset = &archCandidate{name: c.preset, src: c.src} // the preset the run was composed with: no guess
	}
	for _, base := range sections {
		if len(base) == 0 || x.archGuess != nil {
			break // a bare _target_ at the top of hyper_parameters is not the model's
		}
		raw, ok := c.raw(append(clone(base), "_target_"))
		if !ok {
			continue
		}
		if name := strings.ToLower(targetName(c, raw)); name != "" {
			x.archGuess = &archCandidate{name: name, src: c.src, why: fmt.Sprintf("model.architecture %q comes from the class name in %s._target_: the config has no architecture key", name, dotted(c.src, base))}
		}
	}
	for _, part := range []string{"encoder", "decoder", "head", "loss"} {
		if x.has("model." + part) {
			continue
		}
		for _, base := range sections {
			if x.modelPart(c, base, part) {
				break
			}
		}
	}
}

// archCandidate is an architecture name that no source states outright.
type archCandidate struct {
	name string
	src  Source
	why  string // the warning that says where a guess came from; "" for no warning
}

// settleArchitecture runs after every config source: when none named the architecture, the
// preset the Hydra run was composed with is used, else the one the replaced sidecar said
// (carried), else the model class from _target_ (with a warning: "ocrmodel" is a class, not
// an architecture).
func (x *extraction) settleArchitecture(carried *archCandidate) {
	if x.has("model.architecture") {
		return
	}
	for _, c := range []*archCandidate{x.archPreset, carried, x.archGuess} {
		if c != nil {
			x.setString("model.architecture", &x.f.Model.Architecture, c.name, c.src)
			if c.why != "" {
				x.warn("%s", c.why)
			}
			return
		}
	}
}

// partLayer is one place a model part is described, with the dotted path warnings name.
type partLayer struct {
	where []string
	m     map[string]any
}

// partLayers are the descriptions of one part, strongest first:
// model.component_overrides.<part> (what the model is built from), model.<part> (the preset),
// and model.architecture.<part> of the Sept-2025 layout, where the encoder is the backbone.
func partLayers(c *config, base []string, part string) []partLayer {
	paths := [][]string{
		append(clone(base), "component_overrides", part),
		append(clone(base), part),
		append(clone(base), "architecture", part),
	}
	if part == "encoder" {
		paths = append(paths, append(clone(base), "architecture", "backbone"))
	}
	var layers []partLayer
	for i, where := range paths {
		if m := c.getMap(where...); m != nil {
			layers = append(layers, partLayer{where: where, m: m})
			continue
		}
		if i != 1 {
			continue
		}
		// The legacy shape names a part with a bare string (model.encoder: resnet18).
		v, _ := c.get(where...)
		if s, ok := v.(string); ok && s != "" {
			key := "name"
			if part == "encoder" {
				key = "model_name"
			}
			layers = append(layers, partLayer{where: where, m: map[string]any{key: s}})
		}
	}
	return layers
}

// partMeta are the keys of a part's description that are not the part's own settings.
func partMeta(k string) bool {
	switch k {
	case "name", "_target_", "params", "_partial_", "_recursive_", "_convert_":
		return true
	}
	return false
}

// modelPart reads one part, merging its descriptions (partLayers) as the model is built:
// a component_overrides entry is laid over the preset key by key, so `head: {k: 50}` keeps
// the preset's in_channels. The name comes from the strongest description that has one:
// its name (model_name for an encoder), else the class of its _target_.
func (x *extraction) modelPart(c *config, base []string, part string) bool {
	layers := partLayers(c, base, part)
	if len(layers) == 0 {
		return false
	}
	fields := map[string]any{}
	origin := map[string]string{} // key → where it was read, for warnings
	take := func(k string, v any, at string) {
		if _, ok := fields[k]; !ok {
			fields[k], origin[k] = v, at
		}
	}
	name := ""
	for _, l := range layers {
		at := dotted(c.src, l.where)
		for k, v := range l.m {
			if !partMeta(k) {
				take(k, v, at)
			}
		}
		if p, ok := l.m["params"].(map[string]any); ok {
			for k, v := range p {
				take(k, v, at+".params")
			}
		}
		if name != "" {
			continue
		}
		if s, ok := l.m["name"].(string); ok && s != "" {
			name = s
		} else if raw, ok := c.raw(append(clone(l.where), "_target_")); ok {
			name = strings.ToLower(targetName(c, raw))
		}
	}
	f := x.f
	switch part {
	case "encoder":
		e := &Encoder{}
		if s, ok := fields["model_name"].(string); ok && origin["model_name"] == x.strongestWith(c, layers, "model_name", "name") {
			e.ModelName = s
		} else {
			e.ModelName = name
		}
		if e.ModelName == "" {
			return false
		}
		if b, ok := fields["pretrained"].(bool); ok {
			e.Pretrained = &b
		}
		if b, ok := fields["frozen"].(bool); ok {
			e.Frozen = &b
		}
		f.Model.Encoder = e
	case "decoder":
		if name == "" {
			return false
		}
		d := &Decoder{Name: name, Params: map[string]any{}}
		if v, ok := fields["in_channels"]; ok {
			d.InChannels = x.channelList(origin["in_channels"]+".in_channels", v)
			delete(fields, "in_channels")
		}
		d.InnerChannels = x.channels(origin, fields, "inner_channels")
		d.OutputChannels = x.channels(origin, fields, "output_channels")
		if out := x.channels(origin, fields, "out_channels"); d.OutputChannels == nil {
			d.OutputChannels = out
		}
		x.scalarParams(origin, fields, d.Params)
		f.Model.Decoder = d
	case "head":
		if name == "" {
			return false
		}
		h := &Head{Name: name, Params: map[string]any{}}
		h.InChannels = x.channels(origin, fields, "in_channels")
		x.scalarParams(origin, fields, h.Params)
		f.Model.Head = h
	case "loss":
		if name == "" {
			return false
		}
		l := &Loss{Name: name, Params: map[string]any{}}
		x.numberParams(origin, fields, l.Params)
		f.Model.Loss = l
	}
	x.mark("model."+part, c.src)
	return true
}

// strongestWith is where the strongest layer that names the encoder (by any of keys, or by a
// _target_) says so: a preset's model_name must not beat an override that names a different
// encoder by name.
func (x *extraction) strongestWith(c *config, layers []partLayer, keys ...string) string {
	for _, l := range layers {
		at := dotted(c.src, l.where)
		for _, k := range keys {
			if _, ok := l.m[k]; ok {
				return at
			}
			if p, ok := l.m["params"].(map[string]any); ok {
				if _, ok := p[k]; ok {
					return at + ".params"
				}
			}
		}
		if _, ok := l.m["_target_"]; ok {
			return at
		}
	}
	return ""
}

// channels takes fields[key] as a channel count (an integer ≥ 1) and removes it; origin says
// where each field was read.
func (x *extraction) channels(origin map[string]string, fields map[string]any, key string) *int64 {
	v, ok := fields[key]
	if !ok {
		return nil
	}
	delete(fields, key)
	if n, ok := count(v); ok && n >= 1 {
		return &n
	}
	x.warn("%s.%s %s is not a positive integer; left out", origin[key], key, describe(v))
	return nil
}

func (x *extraction) channelList(at string, v any) []int64 {
	switch t := v.(type) {
	case []any:
		out := make([]int64, 0, len(t))
		for _, e := range t {
			n, ok := count(e)
			if !ok {
				x.warn("%s %s is not a list of integers; left out", at, describe(v))
				return nil
			}
			out = append(out, n)
		}
		return out
	default:
		if n, ok := count(v); ok {
			return []int64{n} // as the training callback did: one count becomes a list
		}
	}
	x.warn("%s %s is not a list of integers; left out", at, describe(v))
	return nil
}

// scalarParams copies the scalar fields: the 1.0 schema holds strings, booleans and numbers
// only, so nested values and unresolved interpolations are dropped with a warning naming
// where each was read.
func (x *extraction) scalarParams(origin map[string]string, fields map[string]any, dst map[string]any) {
	dropped := map[string][]string{}
	for k, v := range fields {
		if s, ok := scalar(v); ok {
			dst[k] = s
			continue
		}
		dropped[origin[k]] = append(dropped[origin[k]], k+" "+describe(v))
	}
	for _, at := range sortedKeysOf(dropped) {
		x.dropped(at, dropped[at], "not a scalar (schema 1.0 holds strings, booleans and numbers only)")
	}
}

func (x *extraction) numberParams(origin map[string]string, fields map[string]any, dst map[string]any) {
	dropped := map[string][]string{}
	for k, v := range fields {
		switch t := v.(type) {
		case int64:
			dst[k] = t
			continue
		case float64:
			if !math.IsNaN(t) && !math.IsInf(t, 0) {
				dst[k] = t
				continue
			}
		}
		dropped[origin[k]] = append(dropped[origin[k]], k+" "+describe(v))
	}
	for _, at := range sortedKeysOf(dropped) {
		x.dropped(at, dropped[at], "not a number (loss params are numbers only)")
	}
}

func sortedKeysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (x *extraction) dropped(at string, what []string, why string) {
	if len(what) == 0 {
		return
	}
	sort.Strings(what)
	x.warn("%s: left out %s: %s", at, strings.Join(what, ", "), why)
}

// configString reads a string fact, warning when it is an unresolvable interpolation.
func (x *extraction) configString(c *config, path []string) (string, bool) {
	v, ok := c.get(path...)
	if !ok {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, t != ""
	case *unresolved:
		x.warn("%s %q cannot be resolved (%s); left out", dotted(c.src, path), t.Raw, t.Why)
	case int64:
		return strconv.FormatInt(t, 10), true
	}
	return "", false
}

func (x *extraction) configInt(c *config, path []string) (int64, bool) {
	v, ok := c.get(path...)
	if !ok {
		return 0, false
	}
	switch t := v.(type) {
	case int64:
		return t, true
	case *unresolved:
		x.warn("%s %q cannot be resolved (%s); left out", dotted(c.src, path), t.Raw, t.Why)
	default:
		x.warn("%s %s is not an integer; left out", dotted(c.src, path), describe(v))
	}
	return 0, false
}

// fromRunKeys reads run-level keys that both Hydra configs and saved hyper_parameters carry.
func (x *extraction) fromRunKeys(c *config) {
	f := x.f
	if s, ok := x.configString(c, []string{"exp_name"}); ok {
		x.setString("exp_name", &f.ExpName, s, c.src)
	}
	for _, path := range [][]string{{"trainer", "max_epochs"}, {"max_epochs"}} {
		if _, ok := c.raw(path); !ok {
			continue
		}
		if n, ok := x.configInt(c, path); ok {
			if n >= 1 {
				setPtr(x, "training.max_epochs", &f.MaxEpochs, n, c.src)
			} else if !x.has("training.max_epochs") {
				x.mark("training.max_epochs", c.src) // -1: unlimited, which 1.0 cannot say; omitted
			}
		}
		break
	}
	if v, ok := c.get("logger", "wandb", "id"); ok {
		switch t := v.(type) {
		case string:
			x.setString("wandb_run_id", &f.WandbRunID, t, c.src)
		case int64:
			x.setString("wandb_run_id", &f.WandbRunID, strconv.FormatInt(t, 10), c.src)
		case *unresolved:
			x.warn("%s %q cannot be resolved (%s); left out", dotted(c.src, []string{"logger", "wandb", "id"}), t.Raw, t.Why)
		}
	}
}

// fromHydraRun reads the run facts of a Hydra config: exp_name, max_epochs, wandb id and the
// ModelCheckpoint settings (top-level callbacks until Dec 2025, training.callbacks after).
func (x *extraction) fromHydraRun(c *config) {
	x.fromRunKeys(c)
	f := x.f
	var cb []string
	for _, base := range [][]string{{"callbacks"}, {"training", "callbacks"}} {
		if c.getMap(append(clone(base), "model_checkpoint")...) != nil {
			cb = append(clone(base), "model_checkpoint")
			break
		}
	}
	if cb == nil { // another name, recognised by its class
		for _, base := range [][]string{{"callbacks"}, {"training", "callbacks"}} {
			m := c.getMap(base...)
			for _, k := range sortedKeys(m) {
				sub, _ := m[k].(map[string]any)
				if t, _ := sub["_target_"].(string); strings.HasSuffix(t, "ModelCheckpoint") {
					cb = append(clone(base), k)
					break
				}
			}
			if cb != nil {
				break
			}
		}
	}
	if cb != nil {
		if s, ok := x.configString(c, append(clone(cb), "monitor")); ok {
			x.setString("checkpointing.monitor", &f.Checkpointing.Monitor, s, c.src)
		}
		if s, ok := x.configString(c, append(clone(cb), "mode")); ok {
			if s == "min" || s == "max" {
				x.setString("checkpointing.mode", &f.Checkpointing.Mode, s, c.src)
			} else {
				x.warn("%s %q is not min or max; left out", dotted(c.src, append(clone(cb), "mode")), s)
			}
		}
		if _, ok := c.raw(append(clone(cb), "save_top_k")); ok {
			if n, ok := x.configInt(c, append(clone(cb), "save_top_k")); ok && n >= -1 {
				setPtr(x, "checkpointing.save_top_k", &f.Checkpointing.SaveTopK, n, c.src)
			}
		}
		if v, ok := c.get(append(clone(cb), "save_last")...); ok {
			if b, ok := v.(bool); ok {
				setPtr(x, "checkpointing.save_last", &f.Checkpointing.SaveLast, b, c.src)
			} else {
				x.warn("%s %s is not a boolean; left out", dotted(c.src, append(clone(cb), "save_last")), describe(v))
			}
		}
	}
	// The training phase is a MetadataCallback / UniqueModelCheckpoint argument.
	var phases [][]string
	if cb != nil {
		phases = append(phases, append(clone(cb), "training_phase"))
	}
	phases = append(phases, []string{"callbacks", "metadata", "training_phase"}, []string{"training", "callbacks", "metadata", "training_phase"})
	for _, p := range phases {
		if v, ok := c.get(p...); ok {
			if s, _ := v.(string); s == "training" || s == "validation" || s == "finetuning" {
				x.setString("training.training_phase", &f.TrainingPhase, s, c.src)
			}
		}
	}
}

// fromFilename is the last resort: epoch, step and a metric from the file name, and the
// experiment from the directory layout.
func (x *extraction) fromFilename(ckptPath, experiment string) {
	f := x.f
	n := parseName(baseName(ckptPath))
	if n.Epoch != nil {
		setPtr(x, "training.epoch", &f.Epoch, *n.Epoch, SourceFilename)
	}
	if n.Step != nil {
		setPtr(x, "training.global_step", &f.GlobalStep, *n.Step, SourceFilename)
	}
	if n.Metric != "" {
		switch n.Metric {
		case "hmean", "f1":
			setPtr(x, "metrics.hmean", &f.Metrics.Hmean, n.Value, SourceFilename)
		case "precision":
			setPtr(x, "metrics.precision", &f.Metrics.Precision, n.Value, SourceFilename)
		case "recall":
			setPtr(x, "metrics.recall", &f.Metrics.Recall, n.Value, SourceFilename)
		}
	}
	x.setString("exp_name", &f.ExpName, experiment, SourceFilename)
}

// fromCarry takes the values of the sidecar being replaced where the checkpoint, its
// hyper_parameters and the Hydra config said nothing: a person wrote them, and they beat
// the file name, guesses and defaults. A part the sources know keeps its sources' values
// and takes from the old file only what they leave unknown, when both name the same part.
func (x *extraction) fromCarry(c *Carry) {
	if c == nil {
		return
	}
	f := x.f
	x.setString("model.architecture", &f.Model.Architecture, c.Architecture, SourceCarried)
	x.setString("checkpointing.monitor", &f.Checkpointing.Monitor, c.Monitor, SourceCarried)
	x.setString("checkpointing.mode", &f.Checkpointing.Mode, c.Mode, SourceCarried)
	if c.SaveTopK != nil {
		setPtr(x, "checkpointing.save_top_k", &f.Checkpointing.SaveTopK, *c.SaveTopK, SourceCarried)
	}
	if c.SaveLast != nil {
		setPtr(x, "checkpointing.save_last", &f.Checkpointing.SaveLast, *c.SaveLast, SourceCarried)
	}
	x.setString("training.training_phase", &f.TrainingPhase, c.TrainingPhase, SourceCarried)
	if c.MaxEpochs != nil {
		setPtr(x, "training.max_epochs", &f.MaxEpochs, *c.MaxEpochs, SourceCarried)
	}
	for _, m := range []struct {
		name     string
		dst, old **float64
	}{{"metrics.precision", &f.Metrics.Precision, &c.Metrics.Precision}, {"metrics.recall", &f.Metrics.Recall, &c.Metrics.Recall},
		{"metrics.hmean", &f.Metrics.Hmean, &c.Metrics.Hmean}, {"metrics.validation_loss", &f.Metrics.ValidationLoss, &c.Metrics.ValidationLoss}} {
		if *m.old != nil {
			setPtr(x, m.name, m.dst, **m.old, SourceCarried)
		}
	}
	for k, v := range c.Metrics.Additional {
		if _, ok := f.Metrics.Additional[k]; !ok {
			if f.Metrics.Additional == nil {
				f.Metrics.Additional = map[string]float64{}
			}
			f.Metrics.Additional[k] = v
		}
	}
	switch {
	case c.Encoder == nil:
	case f.Model.Encoder == nil:
		f.Model.Encoder = c.Encoder
		x.mark("model.encoder", SourceCarried)
	case f.Model.Encoder.ModelName == c.Encoder.ModelName:
		fillPtr(&f.Model.Encoder.Pretrained, c.Encoder.Pretrained)
		fillPtr(&f.Model.Encoder.Frozen, c.Encoder.Frozen)
	}
	switch {
	case c.Decoder == nil:
	case f.Model.Decoder == nil:
		f.Model.Decoder = c.Decoder
		x.mark("model.decoder", SourceCarried)
	case f.Model.Decoder.Name == c.Decoder.Name:
		d := f.Model.Decoder
		if d.InChannels == nil {
			d.InChannels = c.Decoder.InChannels
		}
		fillPtr(&d.InnerChannels, c.Decoder.InnerChannels)
		fillPtr(&d.OutputChannels, c.Decoder.OutputChannels)
		d.Params = fillParams(d.Params, c.Decoder.Params)
	}
	switch {
	case c.Head == nil:
	case f.Model.Head == nil:
		f.Model.Head = c.Head
		x.mark("model.head", SourceCarried)
	case f.Model.Head.Name == c.Head.Name:
		fillPtr(&f.Model.Head.InChannels, c.Head.InChannels)
		f.Model.Head.Params = fillParams(f.Model.Head.Params, c.Head.Params)
	}
	switch {
	case c.Loss == nil:
	case f.Model.Loss == nil:
		f.Model.Loss = c.Loss
		x.mark("model.loss", SourceCarried)
	case f.Model.Loss.Name == c.Loss.Name:
		f.Model.Loss.Params = fillParams(f.Model.Loss.Params, c.Loss.Params)
	}
}

func fillPtr[T any](dst **T, v *T) {
	if *dst == nil && v != nil {
		*dst = v
	}
}

// fillParams adds the old params the sources do not set.
func fillParams(dst, old map[string]any) map[string]any {
	for k, v := range old {
		if _, ok := dst[k]; !ok {
			if dst == nil {
				dst = map[string]any{}
			}
			dst[k] = v
		}
	}
	return dst
}

// defaults fills what the 1.0 model defaults (training_phase) and nothing else: unknown
// facts stay unknown and the renderer decides how each version says so.
func (x *extraction) defaults() {
	f := x.f
	x.setString("training.training_phase", &f.TrainingPhase, "training", SourceDefault)
	// An unknown checkpointing.mode is reported by the renderer, which knows what the
	// version it writes says instead (a guess in 1.x, null in 2.0).
}

// targetName is the class name at the end of a _target_ ("ocr.models.architecture.OCRModel"
// → "OCRModel"). The end of "${decoder_path}.UNet" is known even though its module is not.
func targetName(c *config, raw any) string {
	s, ok := raw.(string)
	if !ok {
		return ""
	}
	if r, ok := (&resolver{c: c, budget: maxConfigNodes}).resolveString(s, map[string]bool{}, 0).(string); ok {
		s = r
	} else if i := strings.LastIndexByte(s, '}'); i >= 0 {
		s = s[i+1:]
	}
	name := s[strings.LastIndexByte(s, '.')+1:]
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return name
}

// number reads a Python number: int, float, a numpy scalar (decoded by the reader) or a
// resolved scalar tensor.
func number(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int64:
		return float64(t), true
	case *ckpt.Tensor:
		if t == nil {
			return 0, false
		}
		switch n := t.Value.(type) {
		case float64:
			return n, true
		case int64:
			return float64(n), true
		}
	}
	return 0, false
}

// count reads a non-negative integer (Python int, integral float, integer scalar tensor).
func count(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, t >= 0
	case float64:
		if t >= 0 && t == math.Trunc(t) && t < 1<<53 {
			return int64(t), true
		}
	case *ckpt.Tensor:
		if t != nil {
			if n, ok := t.Value.(int64); ok {
				return n, n >= 0
			}
		}
	}
	return 0, false
}

// scalar reports whether v is a scalar the schema's params can hold.
func scalar(v any) (any, bool) {
	switch t := v.(type) {
	case string, bool, int64:
		return t, true
	case float64:
		return t, !math.IsNaN(t) && !math.IsInf(t, 0)
	}
	return nil, false
}

// describe renders a value for a warning without dumping large structures.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "(null)"
	case string:
		return strconv.Quote(t)
	case *unresolved:
		return strconv.Quote(t.Raw) + " (" + t.Why + ")"
	case map[string]any:
		return "(a mapping)"
	case []any:
		return "(a list)"
	case int64, float64, bool:
		return fmt.Sprint(t)
	case *ckpt.Tensor:
		return "(a tensor)"
	}
	return fmt.Sprintf("(%T)", v)
}

func dotted(s Source, path []string) string {
	p := strings.Join(path, ".")
	if s == SourceHyperParameters {
		if p == "" {
			return "hyper_parameters"
		}
		return "hyper_parameters." + p
	}
	return p
}

func clone(p []string) []string { return append([]string(nil), p...) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// timeRFC3339 formats a fingerprint mtime: RFC 3339, UTC, nanoseconds when present.
func timeRFC3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
