package migrate

import (
	"math"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
)

// The 0 -> 1.0 step: legacy shapes (V0 JSON, flat unversioned YAML) to a complete 1.0
// document.

// Metric name matching of the legacy writers, first match in document order.
var fixedMetrics = []struct {
	name     string
	match    func(lower string) bool
	min, max float64
}{
	{"precision", func(s string) bool { return strings.Contains(s, "precision") }, 0, 1},
	{"recall", func(s string) bool { return strings.Contains(s, "recall") }, 0, 1},
	{"hmean", func(s string) bool { return strings.Contains(s, "hmean") || strings.Contains(s, "f1") }, 0, 1},
	{"validation_loss", func(s string) bool { return strings.Contains(s, "val") && strings.Contains(s, "loss") }, 0, math.Inf(1)},
}

func up0to10(d *Doc) error {
	root := d.root
	var loss lossTracker
	upTraining(root, &loss)
	model := mget(root, "model")
	if model == nil {
		model = mapping()
		mset(root, "model", model)
	}
	if !isMap(model) {
		return shapeErr("/model", "a mapping")
	}
	if err := upgradeModel(model, &loss); err != nil {
		return err
	}
	if mhas(root, "config") { // the JSON V0 shape; flat unversioned 1.0 YAML has no config
		if err := upLegacyMetrics(root, &loss); err != nil {
			return err
		}
		if err := upLegacyCheckpointing(root, &loss); err != nil {
			return err
		}
	}
	upExperimentName(d)
	if cp := mget(root, "checkpoint_path"); isString(cp) && d.Env.Root != "" && filepath.IsAbs(cp.Value) {
		if rel, err := filepath.Rel(d.Env.Root, cp.Value); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			cp.Value = filepath.ToSlash(rel)
		}
	}
	if err := loss.check(d, "0", "1.0"); err != nil {
		return err
	}
	complete(root, shape10)
	return nil
}

// upTraining renames the legacy readers' training.phase to training_phase (a phase that
// disagrees with training_phase is lost).
func upTraining(root *yaml.Node, loss *lossTracker) {
	t := mget(root, "training")
	p := mget(t, "phase")
	if p == nil {
		return
	}
	tp := mget(t, "training_phase")
	switch {
	case tp == nil:
		renameKey(t, "phase", "training_phase")
	case p.Value == tp.Value && p.ShortTag() == tp.ShortTag():
		mdel(t, "phase")
	default:
		loss.add("/training/phase")
		mdel(t, "phase")
	}
}

// upLegacyMetrics folds V0's flat logged metrics into 1.0 metrics where they stand.
func upLegacyMetrics(root *yaml.Node, loss *lossTracker) error {
	m := mget(root, "metrics")
	if m != nil && !isMap(m) && !isNull(m) {
		return shapeErr("/metrics", "a mapping")
	}
	metrics := foldLegacyMetrics(m, loss)
	if !replace(root, "metrics", metrics) {
		mset(root, "metrics", metrics)
	}
	return nil
}

// upLegacyCheckpointing turns V0's config into checkpointing, with the legacy writers'
// defaults for what it lacks (monitor "unknown", mode max, save_last true).
func upLegacyCheckpointing(root *yaml.Node, loss *lossTracker) error {
	if !mhas(root, "checkpointing") {
		renameKey(root, "config", "checkpointing")
	} else {
		loss.add("/config")
		mdel(root, "config")
	}
	ck := mget(root, "checkpointing")
	if isNull(ck) {
		ck = mapping()
		mset(root, "checkpointing", ck)
	}
	if !isMap(ck) {
		return shapeErr("/config", "a mapping")
	}
	if v := mget(ck, "monitor"); isNull(v) || (isString(v) && v.Value == "") {
		mset(ck, "monitor", str("unknown"))
	}
	if v := mget(ck, "mode"); isNull(v) {
		mset(ck, "mode", str("max"))
	}
	if !mhas(ck, "save_last") {
		mset(ck, "save_last", boolean(true))
	}
	return nil
}

// upExperimentName fills a missing or null exp_name from the directory layout (the
// directory above "checkpoints"), else "unknown", right after checkpoint_path.
func upExperimentName(d *Doc) {
	root := d.root
	if !isNull(mget(root, "exp_name")) {
		return
	}
	name := "unknown"
	if d.Env.Path != "" {
		if e := sidecar.Experiment(sidecar.CheckpointFor(d.Env.Path)); e != "" && e != "." && e != string(filepath.Separator) {
			name = e
		}
	}
	n := str(name)
	if pyyaml.NeedsQuotes(name) {
		n.Style = yaml.SingleQuotedStyle
	}
	if mhas(root, "exp_name") {
		mset(root, "exp_name", n)
		return
	}
	at := 0
	if i := mindex(root, "checkpoint_path"); i >= 0 {
		at = i + 2
	}
	minsert(root, at, str("exp_name"), n)
}

// slot is one key of the 1.0 shape: what a document that lacks it gets, and whether a null
// there is replaced too.
type slot struct {
	key string
	// fill makes the value of a missing key: the 1.0 model's default, or null for a
	// nullable field. nil: a required key with no default (validation names it) or a
	// section (completed through sub when present).
	fill    func() *yaml.Node
	notNull bool // the 1.0 model rejects None here, so a null becomes fill()
	sub     []slot
}

func nullable(key string) slot           { return slot{key: key, fill: null} }
func required(key string) slot           { return slot{key: key} }
func section(key string, s ...slot) slot { return slot{key: key, sub: s} }
func defaulted(key string, fill func() *yaml.Node) slot {
	return slot{key: key, fill: fill, notNull: true}
}

// shape10 is the 1.0 document in the seed sample's key order (reference §1.7 A), with the
// 1.0 model's defaults. The Jan-2026 model requires every one of these keys.
var shape10 = []slot{
	required("schema_version"), required("checkpoint_path"), required("exp_name"), required("created_at"),
	section("training", required("epoch"), required("global_step"),
		defaulted("training_phase", func() *yaml.Node { return str("training") }), nullable("max_epochs")),
	section("model", required("architecture"),
		section("encoder", required("model_name"),
			defaulted("pretrained", func() *yaml.Node { return boolean(true) }),
			defaulted("frozen", func() *yaml.Node { return boolean(false) })),
		section("decoder", required("name"), defaulted("in_channels", flowSeq),
			nullable("inner_channels"), nullable("output_channels"), defaulted("params", flowMap)),
		section("head", required("name"), nullable("in_channels"), defaulted("params", flowMap)),
		section("loss", required("name"), defaulted("params", flowMap))),
	section("metrics", nullable("precision"), nullable("recall"), nullable("hmean"), nullable("validation_loss"),
		defaulted("additional_metrics", flowMap)),
	section("checkpointing", required("monitor"), required("mode"),
		defaulted("save_top_k", func() *yaml.Node { return integer(1) }),
		defaulted("save_last", func() *yaml.Node { return boolean(true) })),
	nullable("hydra_config_path"), nullable("wandb_run_id"),
}

// complete gives mapping m every key of shape that it lacks, each after the shape's
// previous key present (so keys land in the seed sample's order around what is there),
// and replaces nulls the 1.0 model rejects with its default. Only the 0 -> 1.0 step
// completes: the other steps keep absent keys absent, so round trips are exact.
func complete(m *yaml.Node, shape []slot) {
	at := 0 // where the next missing key goes: after the previous shape key present
	for _, s := range shape {
		i := mindex(m, s.key)
		switch {
		case i >= 0:
			v := mget(m, s.key)
			if s.notNull && isNull(v) {
				n := s.fill()
				n.LineComment = v.LineComment
				replace(m, s.key, n)
			}
			if s.sub != nil && isMap(v) {
				complete(v, s.sub)
			}
			at = i + 2
		case s.fill != nil:
			minsert(m, at, str(s.key), s.fill())
			at += 2
		}
	}
}

// upgradeModel turns a legacy model (string encoder, components) into the 1.0 parts,
// filling what is missing with the legacy writers' defaults.
func upgradeModel(model *yaml.Node, loss *lossTracker) error {
	if a := mget(model, "architecture"); isNull(a) {
		mset(model, "architecture", str("unknown"))
	}
	var comps *yaml.Node
	if _, v := mdel(model, "components"); v != nil && !isNull(v) {
		if !isMap(v) {
			return shapeErr("/model/components", "a mapping")
		}
		comps = v
	}
	enc := mget(model, "encoder")
	if isNull(enc) {
		if c := mget(comps, "encoder"); c != nil {
			enc = componentName(c, "model_name")
		}
	}
	switch {
	case isNull(enc):
		mset(model, "encoder", encoderNode(str("unknown")))
	case enc.Kind == yaml.ScalarNode:
		mset(model, "encoder", encoderNode(enc))
	}
	if comps != nil {
		mdel(comps, "encoder")
	}
	for _, role := range []string{"decoder", "head", "loss"} {
		if v := mget(model, role); !isNull(v) {
			if v.Kind == yaml.ScalarNode {
				mset(model, role, mapping(str("name"), v))
			}
			continue
		}
		part, err := legacyPart(role, mget(comps, role), loss)
		if err != nil {
			return err
		}
		mset(model, role, part)
		mdel(comps, role)
	}
	if comps != nil {
		for k := range pairs(comps) {
			loss.add(Pointer("model", "components", k.Value))
		}
	}
	return nil
}

func encoderNode(name *yaml.Node) *yaml.Node {
	n := *name
	n.Tag, n.Kind = "!!str", yaml.ScalarNode
	return mapping(str("model_name"), &n, str("pretrained"), boolean(true), str("frozen"), boolean(false))
}

// componentName reads a component override's name: a string, or a mapping's name key.
func componentName(c *yaml.Node, alt string) *yaml.Node {
	switch {
	case isString(c):
		return c
	case isMap(c):
		for _, k := range []string{"name", alt} {
			if v := mget(c, k); isString(v) {
				return v
			}
		}
	}
	return nil
}

// legacyPart builds decoder/head/loss from a V0 component override (a name, or
// {name, params}); missing facts become "unknown", [], null and {}.
func legacyPart(role string, c *yaml.Node, loss *lossTracker) (*yaml.Node, error) {
	base := Pointer("model", "components", role)
	name := componentName(c, "")
	if name == nil {
		name = str("unknown")
	}
	part := mapping(str("name"), name)
	params := mapping()
	var chans = map[string]*yaml.Node{}
	if isMap(c) {
		for kn, v := range pairs(c) {
			k := kn.Value
			switch k {
			case "name":
			case "params":
				if isNull(v) {
					continue
				}
				if !isMap(v) {
					loss.add(base + "/params")
					continue
				}
				for pkn, pv := range pairs(v) {
					pk := pkn.Value
					if hoistable(role, pk, pv) {
						chans[pk] = pv
						continue
					}
					flattenParam(params, pk, pv, role == "loss", base+"/params", loss)
				}
			default:
				if hoistable(role, k, v) {
					chans[k] = v
					continue
				}
				loss.add(Pointer("model", "components", role, k))
			}
		}
	} else if c != nil && !isString(c) && !isNull(c) {
		loss.add(base)
	}
	switch role {
	case "decoder":
		in := sequence()
		if v := chans["in_channels"]; v != nil {
			if v.Kind == yaml.SequenceNode {
				in = v
			} else {
				in = sequence(v)
			}
		}
		out := chans["output_channels"]
		if out == nil {
			out = chans["out_channels"]
		}
		mappend(part, str("in_channels"), in)
		mappend(part, str("inner_channels"), orNull(chans["inner_channels"]))
		mappend(part, str("output_channels"), orNull(out))
	case "head":
		mappend(part, str("in_channels"), orNull(chans["in_channels"]))
	}
	mappend(part, str("params"), params)
	return part, nil
}

func orNull(n *yaml.Node) *yaml.Node {
	if n == nil {
		return null()
	}
	return n
}

// hoistable reports whether a component key is one of the 1.0 channel fields and its
// value has the type 1.0 wants.
func hoistable(role, k string, v *yaml.Node) bool {
	isInt := v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int"
	switch role {
	case "decoder":
		switch k {
		case "in_channels":
			if isInt {
				return true
			}
			if v.Kind != yaml.SequenceNode {
				return false
			}
			for _, it := range v.Content {
				if it.Kind != yaml.ScalarNode || it.ShortTag() != "!!int" {
					return false
				}
			}
			return true
		case "inner_channels", "output_channels", "out_channels":
			return isInt
		}
	case "head":
		return k == "in_channels" && isInt
	}
	return false
}

// flattenParam puts a component parameter into 1.0 params: scalars as they are (loss:
// numbers only), nested mappings flattened to "a.b" keys, anything else recorded as lost.
func flattenParam(dst *yaml.Node, key string, v *yaml.Node, numbersOnly bool, base string, loss *lossTracker) {
	ptr := base + Pointer(key)
	switch {
	case isMap(v):
		for k, x := range pairs(v) {
			flattenParam(dst, key+"."+k.Value, x, numbersOnly, base, loss)
		}
	case v.Kind == yaml.ScalarNode && !isNull(v) && (!numbersOnly || isNumber(v)):
		if !mhas(dst, key) {
			mset(dst, key, v)
		} else {
			loss.add(ptr)
		}
	default:
		loss.add(ptr)
	}
}

// foldLegacyMetrics turns a flat logged-metrics map into 1.0 metrics: the first numeric
// match (in document order, within bounds) fills each fixed field, and every numeric
// metric is kept in additional_metrics. Nested maps are flattened to "a/b" names, as the
// legacy readers did; nulls carry nothing and are dropped; other values are lost.
func foldLegacyMetrics(m *yaml.Node, loss *lossTracker) *yaml.Node {
	type kv struct {
		name string
		v    *yaml.Node
	}
	var flat []kv
	var walk func(prefix string, ptr []string, m *yaml.Node)
	walk = func(prefix string, ptr []string, m *yaml.Node) {
		for kn, v := range pairs(m) {
			k := kn.Value
			p := append(append([]string(nil), ptr...), k)
			switch {
			case isMap(v):
				walk(prefix+k+"/", p, v)
			case isNumber(v):
				flat = append(flat, kv{prefix + k, v})
			case isNull(v):
			default:
				loss.add(Pointer(p...))
			}
		}
	}
	if isMap(m) {
		walk("", []string{"metrics"}, m)
	}
	out := mapping()
	taken := map[string]bool{}
	for _, f := range fixedMetrics {
		for _, e := range flat {
			x, ok := number(e.v)
			if !ok || !f.match(strings.ToLower(e.name)) || x < f.min || x > f.max {
				continue
			}
			mappend(out, str(f.name), cloneScalar(e.v))
			taken[f.name] = true
			break
		}
	}
	add := mapping()
	for _, e := range flat {
		if mhas(add, e.name) {
			continue // a flattened name equal to a flat one: the first wins, as in Python dicts
		}
		mappend(add, str(e.name), e.v)
	}
	mappend(out, str("additional_metrics"), add)
	return out
}
