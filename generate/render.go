package generate

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
	"go.yaml.in/yaml/v3"
)

// Tool is provenance.tool.
const Tool = "ckptmeta"

// Unknown is written for a required 1.x name no source knows (model.architecture, a model
// part's name, checkpointing.monitor), as the original tools did.
const Unknown = "unknown"

// Render lays the facts out as a sidecar of the given schema version ("" = latest) and checks
// the result against that version's schema before returning it: an invalid render is a bug,
// reported as ErrInvalid.
func Render(f *Facts, version string, o Options) ([]byte, error) {
	o.Version = version
	data, _, err := render(f, o)
	return data, err
}

func render(f *Facts, o Options) ([]byte, string, error) {
	reg := o.Registry
	if reg == nil {
		reg = schemas.Default()
	}
	want := o.Version
	if want == "" {
		want = "latest"
	}
	if f.Epoch == nil {
		return nil, "", &MissingFactError{Checkpoint: f.Checkpoint, Fact: "epoch", err: ErrNoEpoch}
	}
	if f.GlobalStep == nil {
		return nil, "", &MissingFactError{Checkpoint: f.Checkpoint, Fact: "global_step", err: ErrNoGlobalStep}
	}
	s, err := reg.Lookup(want)
	if err != nil {
		return nil, "", fmt.Errorf("generate: %w", err)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	r := &renderer{f: f, o: o, created: now()}
	var doc *yaml.Node
	switch s.Version {
	case "1.0", "1.1":
		doc = r.v1(s.Version)
	case "2.0":
		doc = r.v2()
	default:
		return nil, "", fmt.Errorf("generate: cannot write schema_version %q", s.Version)
	}
	extras := 0
	if o.Carry != nil && o.Carry.Old != nil {
		extras = keepOld(doc.Content[0], o.Carry.Old, s.Version == "2.0")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, "", fmt.Errorf("generate: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, "", fmt.Errorf("generate: %w", err)
	}
	data := buf.Bytes()
	f.Warnings = append(f.Warnings, r.warnings...)
	sort.Strings(f.Warnings)
	// Everything must validate strictly, except the extra keys a person added to the file
	// this one replaces: they are kept, and stay warnings as they were.
	res := validate.New(reg, validate.Options{Strict: extras == 0, NoStale: true}).ValidateBytes(f.Path+".metadata.yaml", data)
	var msgs []string
	for _, fd := range res.Findings {
		if extras > 0 && fd.Rule == "schema/unknown-key" && fd.Severity != validate.SeverityError {
			continue
		}
		msgs = append(msgs, fd.Pointer+": "+fd.Message)
	}
	if res.Status != validate.StatusValid || len(msgs) > 0 {
		schema := s.Version
		if reg != schemas.Default() {
			// Not a bug then, most likely: a team's extension asks for what no checkpoint holds.
			schema += " with the configured schema extensions"
		}
		return nil, "", fmt.Errorf("%w (schema %s): %s", ErrInvalid, schema, strings.Join(msgs, "; "))
	}
	return data, s.Version, nil
}

type renderer struct {
	f        *Facts
	o        Options
	created  time.Time
	warnings []string // about what this version writes in place of an unknown fact
}

// createdAt is what Python's datetime.fromisoformat reads back: microseconds and an offset.
func (r *renderer) createdAt() string { return r.created.Format("2006-01-02T15:04:05.000000-07:00") }

// v1 writes 1.0 and 1.1 in the key order of the original generator's sample.
//
// Every key of the 1.0 shape is written (the Jan-2026 model requires them all). Unknowns: a
// nullable field (X|None in the 1.0 model) is written as null, as the original generator
// did; a non-nullable field with a model default (training_phase, pretrained, frozen,
// in_channels, params, save_top_k, save_last, additional_metrics) gets that default; a
// required name nobody knows is "unknown" (the original tools' choice), and an unknown
// checkpointing.mode is guessed from the monitor's name (guessMode, with a warning).
func (r *renderer) v1(version string) *yaml.Node {
	f := r.f
	root := mapping()
	put(root, "schema_version", quoted(version))
	put(root, "checkpoint_path", str(f.Path))
	put(root, "exp_name", str(orUnknown(f.ExpName)))
	put(root, "created_at", quoted(r.createdAt()))
	put(root, "training", r.training())

	model := mapping()
	put(model, "architecture", str(orUnknown(f.Model.Architecture)))
	enc := f.Model.Encoder
	if enc == nil {
		enc = &Encoder{ModelName: Unknown}
	}
	put(model, "encoder", encoderNode(enc))
	dec := f.Model.Decoder
	if dec == nil {
		dec = &Decoder{Name: Unknown}
	}
	put(model, "decoder", decoderNode(dec))
	head := f.Model.Head
	if head == nil {
		head = &Head{Name: Unknown}
	}
	put(model, "head", headNode(head))
	loss := f.Model.Loss
	if loss == nil {
		loss = &Loss{Name: Unknown}
	}
	put(model, "loss", lossNode(loss))
	put(root, "model", model)

	metrics := mapping()
	put(metrics, "precision", optFloat(f.Metrics.Precision))
	put(metrics, "recall", optFloat(f.Metrics.Recall))
	put(metrics, "hmean", optFloat(f.Metrics.Hmean))
	put(metrics, "validation_loss", optFloat(f.Metrics.ValidationLoss))
	put(metrics, "additional_metrics", floatMap(f.Metrics.Additional))
	put(root, "metrics", metrics)

	cp := mapping()
	put(cp, "monitor", str(orUnknown(f.Checkpointing.Monitor)))
	mode := f.Checkpointing.Mode
	if mode == "" {
		mode = guessMode(f.Checkpointing.Monitor)
		if f.Checkpointing.Monitor != "" {
			r.warnings = append(r.warnings, fmt.Sprintf("checkpointing.mode of monitor %q is unknown; written as %s, guessed from its name", f.Checkpointing.Monitor, mode))
		}
	}
	put(cp, "mode", str(mode))
	put(cp, "save_top_k", intNode(orInt(f.Checkpointing.SaveTopK, DefaultSaveTopK)))
	put(cp, "save_last", boolNode(orBool(f.Checkpointing.SaveLast, DefaultSaveLast)))
	put(root, "checkpointing", cp)
	put(root, "hydra_config_path", optStr(f.HydraPath))
	put(root, "wandb_run_id", optStr(f.WandbRunID))
	if version != "1.0" {
		put(root, "lightning_version", optStr(f.LightningVersion))
		put(root, "checkpoint_fingerprint", r.fingerprint())
		put(root, "provenance", r.provenance())
	}
	return document(root)
}

// v2 writes 2.0: unknown model parts are left out and an unknown monitor or mode is null
// (the schema makes them optional) instead of being called "unknown". Every other key is
// written, with the 1.0 model's default where that model has one (pretrained, frozen,
// in_channels, params, save_top_k, save_last), so that a 2.0 file migrated down is a
// complete 1.x file.
func (r *renderer) v2() *yaml.Node {
	f := r.f
	root := mapping()
	put(root, "schema_version", quoted("2.0"))
	exp := mapping()
	put(exp, "name", str(orUnknown(f.ExpName)))
	put(exp, "wandb_run_id", optStr(f.WandbRunID))
	put(root, "experiment", exp)
	c := mapping()
	put(c, "path", str(f.Path))
	put(c, "lightning_version", optStr(f.LightningVersion))
	put(c, "fingerprint", r.fingerprint())
	put(root, "checkpoint", c)
	put(root, "created_at", quoted(r.createdAt()))
	put(root, "training", r.training())

	model := mapping()
	put(model, "architecture", str(orUnknown(f.Model.Architecture)))
	if f.Model.Encoder != nil {
		put(model, "encoder", encoderNode(f.Model.Encoder))
	}
	if f.Model.Decoder != nil {
		put(model, "decoder", decoderNode(f.Model.Decoder))
	}
	if f.Model.Head != nil {
		put(model, "head", headNode(f.Model.Head))
	}
	if f.Model.Loss != nil {
		put(model, "loss", lossNode(f.Model.Loss))
	}
	put(root, "model", model)

	metrics := mapping()
	put(metrics, "monitor", optStr(f.Checkpointing.Monitor))
	put(metrics, "mode", optStr(f.Checkpointing.Mode))
	if f.Checkpointing.Monitor != "" && f.Checkpointing.Mode == "" {
		r.warnings = append(r.warnings, fmt.Sprintf("metrics.mode of monitor %q is unknown; written as null", f.Checkpointing.Monitor))
	}
	put(metrics, "best", optFloat(f.Metrics.Best))
	values := mapping()
	put(values, "precision", optFloat(f.Metrics.Precision))
	put(values, "recall", optFloat(f.Metrics.Recall))
	put(values, "hmean", optFloat(f.Metrics.Hmean))
	put(values, "validation_loss", optFloat(f.Metrics.ValidationLoss))
	// logged names the values that 1.x writes in additional_metrics, so that this file
	// migrated down is the 1.x file generate would write.
	logged := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	fixed := map[string]*float64{"precision": f.Metrics.Precision, "recall": f.Metrics.Recall, "hmean": f.Metrics.Hmean, "validation_loss": f.Metrics.ValidationLoss}
	for _, k := range sortedFloatKeys(f.Metrics.Additional) {
		v := f.Metrics.Additional[k]
		if fv, isFixed := fixed[k]; isFixed {
			if fv != nil && *fv == v {
				logged.Content = append(logged.Content, str(k)) // the fixed field holds the value
			}
			continue
		}
		put(values, k, floatNode(v))
		logged.Content = append(logged.Content, str(k))
	}
	put(metrics, "values", values)
	put(metrics, "logged", logged)
	put(root, "metrics", metrics)

	cp := mapping()
	put(cp, "save_top_k", intNode(orInt(f.Checkpointing.SaveTopK, DefaultSaveTopK)))
	put(cp, "save_last", boolNode(orBool(f.Checkpointing.SaveLast, DefaultSaveLast)))
	put(root, "checkpointing", cp)
	src := mapping()
	put(src, "hydra_config", optStr(f.HydraPath))
	put(root, "sources", src)
	put(root, "provenance", r.provenance())
	return document(root)
}

// guessMode fills 1.x's required checkpointing.mode when no source knows it: "min" for a
// monitor that names a loss or an error rate, else "max" (the original tools' default).
func guessMode(monitor string) string {
	m := strings.ToLower(monitor)
	m = m[strings.LastIndexAny(m, "/.")+1:]
	for _, w := range []string{"loss", "err", "cer", "wer"} {
		if strings.Contains(m, w) {
			return "min"
		}
	}
	return "max"
}

func (r *renderer) training() *yaml.Node {
	f := r.f
	t := mapping()
	put(t, "epoch", intNode(*f.Epoch))
	put(t, "global_step", intNode(*f.GlobalStep))
	put(t, "training_phase", str(orDefault(f.TrainingPhase, "training")))
	if f.MaxEpochs != nil {
		put(t, "max_epochs", intNode(*f.MaxEpochs))
	} else {
		put(t, "max_epochs", null())
	}
	return t
}

func (r *renderer) fingerprint() *yaml.Node {
	fp := r.f.Fingerprint
	if fp == nil || fp.PickleSHA256 == "" {
		return null()
	}
	m := mapping()
	put(m, "size", intNode(fp.Size))
	put(m, "mtime", quoted(timeRFC3339(fp.ModTime)))
	put(m, "data_pkl_sha256", str(fp.PickleSHA256))
	return m
}

func (r *renderer) provenance() *yaml.Node {
	m := mapping()
	put(m, "tool", str(Tool))
	if r.o.ToolVersion != "" {
		put(m, "tool_version", str(r.o.ToolVersion))
	}
	action := r.o.Action
	if action == "" {
		action = ActionGenerated
	}
	put(m, "action", str(action))
	return m
}

func encoderNode(e *Encoder) *yaml.Node {
	m := mapping()
	put(m, "model_name", str(e.ModelName))
	put(m, "pretrained", boolNode(orBool(e.Pretrained, DefaultPretrained)))
	put(m, "frozen", boolNode(orBool(e.Frozen, DefaultFrozen)))
	return m
}

func decoderNode(d *Decoder) *yaml.Node {
	m := mapping()
	put(m, "name", str(d.Name))
	l := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle} // [] when unknown: the model's default
	for _, c := range d.InChannels {
		l.Content = append(l.Content, intNode(c))
	}
	put(m, "in_channels", l)
	put(m, "inner_channels", optInt(d.InnerChannels))
	put(m, "output_channels", optInt(d.OutputChannels))
	put(m, "params", anyMap(d.Params))
	return m
}

func headNode(h *Head) *yaml.Node {
	m := mapping()
	put(m, "name", str(h.Name))
	put(m, "in_channels", optInt(h.InChannels))
	put(m, "params", anyMap(h.Params))
	return m
}

func lossNode(l *Loss) *yaml.Node {
	m := mapping()
	put(m, "name", str(l.Name))
	put(m, "params", anyMap(l.Params))
	return m
}

// The 1.0 model's defaults of its non-nullable optional fields. They are written where no
// source knows the value, because the Jan-2026 model requires every key.
const (
	DefaultPretrained = true
	DefaultFrozen     = false
	DefaultSaveTopK   = 1
	DefaultSaveLast   = true
)

func orBool(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func orInt(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}

// --- yaml.Node construction ------------------------------------------------------------

func document(root *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

func null() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }

func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// floatNode writes a finite float as PyYAML's representer does (pyyaml.FloatScalar: Python's
// repr, with "1.0e-06" for "1e-06", which YAML 1.1 would read as a string).
// Non-finite values are null: YAML's .nan and .inf are not JSON numbers.
func floatNode(f float64) *yaml.Node {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return null()
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: pyyaml.FloatScalar(f)}
}

func optFloat(p *float64) *yaml.Node {
	if p == nil {
		return null()
	}
	return floatNode(*p)
}

func optInt(p *int64) *yaml.Node {
	if p == nil {
		return null()
	}
	return intNode(*p)
}

func optStr(s string) *yaml.Node {
	if s == "" {
		return null()
	}
	return str(s)
}

// str is a string scalar, single-quoted when a YAML 1.1 reader (PyYAML) would otherwise
// read it as something else; yaml.v3 adds quotes of its own for what YAML 1.2 would misread.
//
// A string that is not safe text (a checkpoint named with a line feed, ESC or a bidi control:
// safetext.Clean) is double-quoted, so the document holds it as escapes on one line: no
// block scalar can put a forged line into the file or into generate --dry-run's output.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case !safetext.Clean(s):
		n.Style = yaml.DoubleQuotedStyle
	case pyyaml.NeedsQuotes(s):
		n.Style = yaml.SingleQuotedStyle
	}
	return n
}

// quoted is a string scalar that is always quoted (schema_version, created_at).
func quoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.SingleQuotedStyle}
}

func floatMap(m map[string]float64) *yaml.Node {
	out := mapping()
	for _, k := range sortedFloatKeys(m) {
		put(out, k, floatNode(m[k]))
	}
	return out
}

func anyMap(m map[string]any) *yaml.Node {
	out := mapping()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch t := m[k].(type) {
		case string:
			put(out, k, str(t))
		case bool:
			put(out, k, boolNode(t))
		case int64:
			put(out, k, intNode(t))
		case float64:
			put(out, k, floatNode(t))
		}
	}
	return out
}

func sortedFloatKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
