package migrate

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
)

// Tool is the name ckptmeta writes to provenance.tool.
const Tool = "ckptmeta"

// steps is the real chain; schemas/CHANGELOG.md describes each hop.
func steps() []Step {
	return []Step{
		{From: "0", To: "1.0", Summary: "legacy shapes to 1.0: config -> checkpointing, encoder/components -> model parts, flat metrics -> fixed fields + additional_metrics, exp_name from the directory", Apply: up0to10},
		{From: "1.0", To: "1.1", Summary: "add provenance (migrated, migrated_from)", Apply: up10to11},
		{From: "1.1", To: "2.0", Summary: "group experiment/checkpoint/sources, fold metrics into metrics.values with monitor and mode", Apply: up11to20},
		{From: "1.1", To: "1.0", Summary: "drop provenance; refuse lightning_version and checkpoint_fingerprint unless lossy", Apply: down11to10},
		{From: "2.0", To: "1.1", Summary: "ungroup; refuse metrics.best and model.components unless lossy, and missing monitor, mode or model parts always", Apply: down20to11},
	}
}

// lossTracker collects the fields a step would drop.
type lossTracker struct{ fields []string }

func (l *lossTracker) add(ptr string) { l.fields = append(l.fields, ptr) }

// check returns a *LossError unless nothing is lost or the document allows it.
func (l *lossTracker) check(d *Doc, from, to string) error {
	if len(l.fields) == 0 || d.Env.AllowLossy {
		return nil
	}
	sort.Strings(l.fields)
	return &LossError{From: from, To: to, Fields: l.fields}
}

func shapeErr(ptr, want string) error {
	return fmt.Errorf("%w: %s is not %s", ErrShape, ptr, want)
}

// ---- 0 -> 1.0 ----

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
	legacy := mhas(root, "config") // the JSON V0 shape; flat unversioned 1.0 YAML has no config

	if t := mget(root, "training"); isMap(t) {
		if i := mindex(t, "phase"); i >= 0 {
			if !mhas(t, "training_phase") {
				t.Content[i].Value = "training_phase"
			} else if p, tp := t.Content[i+1], mget(t, "training_phase"); p.Value == tp.Value && p.ShortTag() == tp.ShortTag() {
				mdel(t, "phase")
			} else {
				loss.add("/training/phase")
				mdel(t, "phase")
			}
		}
	}

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

	if legacy {
		if m := mget(root, "metrics"); m != nil && !isMap(m) && !isNull(m) {
			return shapeErr("/metrics", "a mapping")
		}
		mi := mindex(root, "metrics")
		metrics := foldLegacyMetrics(mget(root, "metrics"), &loss)
		if mi >= 0 {
			root.Content[mi+1] = metrics
		} else {
			mset(root, "metrics", metrics)
		}
		if !mhas(root, "checkpointing") {
			i := mindex(root, "config")
			root.Content[i].Value = "checkpointing"
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
	}

	if !mhas(root, "exp_name") || isNull(mget(root, "exp_name")) {
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
		} else {
			at := 0
			if i := mindex(root, "checkpoint_path"); i >= 0 {
				at = i + 2
			}
			minsert(root, at, str("exp_name"), n)
		}
	}

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
			v := m.Content[i+1]
			if s.notNull && isNull(v) {
				n := s.fill()
				n.LineComment = v.LineComment
				m.Content[i+1] = n
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
		for i := 0; i+1 < len(comps.Content); i += 2 {
			loss.add(Pointer("model", "components", comps.Content[i].Value))
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
		for i := 0; i+1 < len(c.Content); i += 2 {
			k, v := c.Content[i].Value, c.Content[i+1]
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
				for j := 0; j+1 < len(v.Content); j += 2 {
					pk, pv := v.Content[j].Value, v.Content[j+1]
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
		part.Content = append(part.Content, str("in_channels"), in,
			str("inner_channels"), orNull(chans["inner_channels"]),
			str("output_channels"), orNull(out))
	case "head":
		part.Content = append(part.Content, str("in_channels"), orNull(chans["in_channels"]))
	}
	part.Content = append(part.Content, str("params"), params)
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
		for i := 0; i+1 < len(v.Content); i += 2 {
			flattenParam(dst, key+"."+v.Content[i].Value, v.Content[i+1], numbersOnly, base, loss)
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
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i].Value, m.Content[i+1]
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
			out.Content = append(out.Content, str(f.name), cloneScalar(e.v))
			taken[f.name] = true
			break
		}
	}
	add := mapping()
	for _, e := range flat {
		if mhas(add, e.name) {
			continue // a flattened name equal to a flat one: the first wins, as in Python dicts
		}
		add.Content = append(add.Content, str(e.name), e.v)
	}
	out.Content = append(out.Content, str("additional_metrics"), add)
	return out
}

func cloneScalar(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	return &c
}

// ---- 1.0 -> 1.1 and provenance ----

func up10to11(d *Doc) error {
	stamp(d)
	return nil
}

// stamp records that ckptmeta migrated the document. migrated_from keeps the first
// origin, as Lightning's legacy version field does.
func stamp(d *Doc) {
	p := mget(d.root, "provenance")
	if !isMap(p) {
		p = mapping()
		mset(d.root, "provenance", p)
	}
	mset(p, "tool", str(Tool))
	if d.Env.ToolVersion != "" {
		v := str(d.Env.ToolVersion)
		if pyyaml.NeedsQuotes(d.Env.ToolVersion) {
			v.Style = yaml.SingleQuotedStyle
		}
		mset(p, "tool_version", v)
	}
	mset(p, "action", str("migrated"))
	if from := mget(p, "migrated_from"); isNull(from) && d.Env.Origin != "" {
		mset(p, "migrated_from", versionNode(d.Env.Origin))
	}
}

// ---- 1.1 -> 1.0 ----

func down11to10(d *Doc) error {
	var loss lossTracker
	for _, k := range []string{"lightning_version", "checkpoint_fingerprint"} {
		if v := mget(d.root, k); !isNull(v) {
			loss.add(Pointer(k))
		}
	}
	if err := loss.check(d, "1.1", "1.0"); err != nil {
		return err
	}
	for _, k := range []string{"lightning_version", "checkpoint_fingerprint", "provenance"} {
		mdel(d.root, k)
	}
	return nil
}

// ---- 1.1 -> 2.0 ----

var fixedNames = []string{"precision", "recall", "hmean", "validation_loss"}

func up11to20(d *Doc) error {
	root := d.root
	metrics := mget(root, "metrics")
	if !isMap(metrics) {
		return shapeErr("/metrics", "a mapping")
	}
	add := mget(metrics, "additional_metrics")
	if add != nil && !isNull(add) && !isMap(add) {
		return shapeErr("/metrics/additional_metrics", "a mapping")
	}
	// Refuse first: nothing is folded silently.
	var collide []string
	if isMap(add) {
		for _, name := range fixedNames {
			a := mget(add, name)
			if a == nil {
				continue
			}
			x, okx := number(a)
			y, oky := number(mget(metrics, name))
			if !okx || !oky || x != y {
				collide = append(collide, name)
			}
		}
	}
	if len(collide) > 0 {
		sort.Strings(collide)
		return &CollisionError{Keys: collide}
	}

	// experiment
	if i := mindex(root, "exp_name"); i >= 0 {
		exp := mapping(str("name"), root.Content[i+1])
		if k, v := mdel(root, "wandb_run_id"); k != nil {
			mappend(exp, k, v)
		}
		i = mindex(root, "exp_name")
		root.Content[i].Value, root.Content[i+1] = "experiment", exp
	}
	// checkpoint
	if i := mindex(root, "checkpoint_path"); i >= 0 {
		ck := mapping(str("path"), root.Content[i+1])
		if k, v := mdel(root, "lightning_version"); k != nil {
			mappend(ck, k, v)
		}
		if k, v := mdel(root, "checkpoint_fingerprint"); k != nil {
			k.Value = "fingerprint"
			mappend(ck, k, v)
		}
		i = mindex(root, "checkpoint_path")
		root.Content[i].Value, root.Content[i+1] = "checkpoint", ck
	}
	// sources
	if i := mindex(root, "hydra_config_path"); i >= 0 {
		root.Content[i].Value = "sources"
		root.Content[i+1] = mapping(str("hydra_config"), root.Content[i+1])
	}
	// metrics
	nm := mapping()
	nm.Style = metrics.Style
	if ck := mget(root, "checkpointing"); isMap(ck) {
		for _, k := range []string{"monitor", "mode"} {
			if kk, v := mdel(ck, k); kk != nil {
				mappend(nm, kk, v)
			}
		}
		if len(ck.Content) == 0 {
			mdel(root, "checkpointing")
		}
	}
	values := mapping()
	values.Style = metrics.Style
	for _, name := range fixedNames {
		if k, v := mdel(metrics, name); k != nil {
			mappend(values, k, v)
		}
	}
	// logged records which names were additional_metrics (absent, null or a list, as
	// additional_metrics was absent, null or a mapping), so that 2.0 -> 1.1 restores it
	// exactly, entries that repeat a fixed field included. It takes additional_metrics's
	// comments.
	var loggedK, logged *yaml.Node
	if ak, a := mdel(metrics, "additional_metrics"); ak != nil {
		loggedK, logged = ak, null()
		loggedK.Value = "logged"
		if isMap(a) {
			logged = flowSeq()
			for i := 0; i+1 < len(a.Content); i += 2 {
				logged.Content = append(logged.Content, str(a.Content[i].Value))
				if j := mindex(values, a.Content[i].Value); j >= 0 {
					// Equal to the fixed field (checked above); logged says it was both. Its
					// comments join the fixed field's.
					joinComments(values.Content[j], values.Content[j+1], a.Content[i], a.Content[i+1])
					continue
				}
				mappend(values, a.Content[i], a.Content[i+1])
			}
		}
		// A line comment goes after the flow list (yaml.v3 misplaces one on the key of a
		// flow value): from the key of a block additional_metrics or from a flow one.
		logged.LineComment = a.LineComment + loggedK.LineComment
		a.LineComment, loggedK.LineComment = "", ""
	}
	// Keys 1.1 does not define stay where they are so validation names them.
	nm.Content = append(nm.Content, metrics.Content...)
	if len(values.Content) > 0 {
		nm.Content = append(nm.Content, str("values"), values)
	}
	if loggedK != nil {
		nm.Content = append(nm.Content, loggedK, logged)
	}
	nm.HeadComment, nm.LineComment, nm.FootComment = metrics.HeadComment, metrics.LineComment, metrics.FootComment
	mset(root, "metrics", nm)
	stamp(d)
	return nil
}

// ---- 2.0 -> 1.1 ----

// joinComments adds the comments of the pair (k2, v2) to those of (k, v).
func joinComments(k, v, k2, v2 *yaml.Node) {
	join := func(a, b string) string {
		if a == "" || b == "" {
			return a + b
		}
		return a + "\n" + b
	}
	k.HeadComment = join(k.HeadComment, k2.HeadComment)
	k.FootComment = join(k.FootComment, k2.FootComment)
	if v.Kind == yaml.ScalarNode {
		v.LineComment = join(v.LineComment, strings.TrimSpace(k2.LineComment+" "+v2.LineComment))
	} else {
		k.LineComment = join(k.LineComment, k2.LineComment)
	}
}

func isFixed(name string) bool { return contains(fixedNames, name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// keyOr renames key k (keeping its comments) or makes a new key node.
func keyOr(k *yaml.Node, name string) *yaml.Node {
	if k == nil {
		return str(name)
	}
	k.Value = name
	return k
}

func lineComment(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.LineComment
}

func down20to11(d *Doc) error {
	root := d.root
	var loss lossTracker
	var missing []string
	metrics := mget(root, "metrics")
	if !isMap(metrics) {
		return shapeErr("/metrics", "a mapping")
	}
	for _, k := range []string{"monitor", "mode"} {
		if isNull(mget(metrics, k)) {
			missing = append(missing, Pointer("metrics", k))
		}
	}
	model := mget(root, "model")
	if !isMap(model) {
		return shapeErr("/model", "a mapping")
	}
	for _, k := range []string{"encoder", "decoder", "head", "loss"} {
		if isNull(mget(model, k)) {
			missing = append(missing, Pointer("model", k))
		}
	}
	if len(missing) > 0 {
		return &RequiredError{From: "2.0", To: "1.1", Fields: missing}
	}
	if !isNull(mget(metrics, "best")) {
		loss.add("/metrics/best")
	}
	if c := mget(model, "components"); isMap(c) && len(c.Content) > 0 {
		for i := 0; i+1 < len(c.Content); i += 2 {
			loss.add(Pointer("model", "components", c.Content[i].Value))
		}
	}
	values := mget(metrics, "values")
	logged := map[string]bool{}
	if l := mget(metrics, "logged"); l != nil && l.Kind == yaml.SequenceNode {
		for _, n := range l.Content {
			if !mhas(values, n.Value) {
				return shapeErr(Pointer("metrics", "logged"), "a list of names in metrics.values (it names "+n.Value+")")
			}
			logged[n.Value] = true
		}
	}
	if isMap(values) {
		for i := 0; i+1 < len(values.Content); i += 2 {
			k, v := values.Content[i].Value, values.Content[i+1]
			// 1.x additional_metrics holds numbers only; a null (unknown, like best: null)
			// has nothing to lose and is left out.
			if !isFixed(k) && !isNull(v) && !isNumber(v) {
				loss.add(Pointer("metrics", "values", k))
			}
		}
	}
	// Keys 1.1 has no place for.
	for _, sec := range []struct {
		key   string
		known []string
	}{{"experiment", []string{"name", "wandb_run_id"}}, {"checkpoint", []string{"path", "lightning_version", "fingerprint"}}, {"sources", []string{"hydra_config"}}} {
		if m := mget(root, sec.key); isMap(m) {
			for i := 0; i+1 < len(m.Content); i += 2 {
				if k := m.Content[i].Value; !contains(sec.known, k) {
					loss.add(Pointer(sec.key, k))
				}
			}
		}
	}
	if err := loss.check(d, "2.0", "1.1"); err != nil {
		return err
	}
	mdel(model, "components")

	var tail []*yaml.Node // keys 1.x keeps at the end: hydra_config_path, wandb_run_id, lightning_version, checkpoint_fingerprint
	if i := mindex(root, "experiment"); i >= 0 {
		exp := root.Content[i+1]
		if !isMap(exp) {
			return shapeErr("/experiment", "a mapping")
		}
		name := mget(exp, "name")
		if name == nil {
			name = null() // validation names it
		}
		root.Content[i].Value, root.Content[i+1] = "exp_name", name
		if k, v := mdel(exp, "wandb_run_id"); k != nil {
			tail = append(tail, k, v)
		}
	}
	var ckTail []*yaml.Node
	if i := mindex(root, "checkpoint"); i >= 0 {
		ck := root.Content[i+1]
		if !isMap(ck) {
			return shapeErr("/checkpoint", "a mapping")
		}
		path := mget(ck, "path")
		if path == nil {
			path = null()
		}
		root.Content[i].Value, root.Content[i+1] = "checkpoint_path", path
		if k, v := mdel(ck, "lightning_version"); k != nil {
			ckTail = append(ckTail, k, v)
		}
		if k, v := mdel(ck, "fingerprint"); k != nil {
			k.Value = "checkpoint_fingerprint"
			ckTail = append(ckTail, k, v)
		}
	}
	if i := mindex(root, "sources"); i >= 0 {
		src := root.Content[i+1]
		if isMap(src) && mhas(src, "hydra_config") {
			root.Content[i].Value, root.Content[i+1] = "hydra_config_path", mget(src, "hydra_config")
			k, v := mdel(root, "hydra_config_path")
			tail = append([]*yaml.Node{k, v}, tail...)
		} else {
			mdel(root, "sources")
		}
	}

	// metrics -> fixed fields + additional_metrics; monitor/mode -> checkpointing
	nm := mapping()
	nm.Style = metrics.Style
	nm.HeadComment, nm.LineComment, nm.FootComment = metrics.HeadComment, metrics.LineComment, metrics.FootComment
	monK, monV := mdel(metrics, "monitor")
	modeK, modeV := mdel(metrics, "mode")
	mdel(metrics, "best")
	_, values = mdel(metrics, "values")
	loggedK, loggedV := mdel(metrics, "logged")
	// additional_metrics: the logged names in their order (a fixed name among them is a
	// copy of the fixed field), then any other non-fixed value; absent or null as logged
	// was, when there is nothing else to hold.
	add := flowMap()
	if isMap(values) {
		add.Style = values.Style
		if loggedV != nil && loggedV.Kind == yaml.SequenceNode {
			for _, n := range loggedV.Content {
				i := mindex(values, n.Value)
				if isNull(values.Content[i+1]) {
					continue // unknown: 1.x additional_metrics holds numbers only
				}
				if isFixed(n.Value) {
					mappend(add, str(n.Value), cloneScalar(values.Content[i+1]))
					continue
				}
				mappend(add, values.Content[i], values.Content[i+1])
			}
		}
		for _, name := range fixedNames {
			if k, v := mdel(values, name); k != nil {
				mappend(nm, k, v)
			}
		}
		for i := 0; i+1 < len(values.Content); i += 2 {
			if k := values.Content[i].Value; !logged[k] && !isNull(values.Content[i+1]) {
				mappend(add, values.Content[i], values.Content[i+1])
			}
		}
	}
	nm.Content = append(nm.Content, metrics.Content...) // anything unknown stays for validation to name
	switch {
	case len(add.Content) > 0 || (loggedV != nil && loggedV.Kind == yaml.SequenceNode):
		if len(add.Content) == 0 {
			add.Style = yaml.FlowStyle
		}
		loggedK = keyOr(loggedK, "additional_metrics")
		if add.Style&yaml.FlowStyle != 0 {
			add.LineComment = lineComment(loggedV)
		} else {
			loggedK.LineComment = lineComment(loggedV) // where the parser puts it for a block mapping
		}
		nm.Content = append(nm.Content, loggedK, add)
	case loggedV != nil: // logged: null
		nm.Content = append(nm.Content, keyOr(loggedK, "additional_metrics"), loggedV)
	}
	mset(root, "metrics", nm)

	ck := mget(root, "checkpointing")
	if !isMap(ck) {
		ck = mapping()
		if i := mindex(root, "checkpointing"); i >= 0 {
			root.Content[i+1] = ck
		} else {
			minsert(root, mindex(root, "metrics")+2, str("checkpointing"), ck)
		}
	}
	minsert(ck, 0, monK, monV)
	minsert(ck, 2, modeK, modeV)

	// 1.x order: ... checkpointing, hydra_config_path, wandb_run_id, lightning_version,
	// checkpoint_fingerprint, provenance.
	tail = append(tail, ckTail...)
	if pk, pv := mdel(root, "provenance"); pk != nil {
		tail = append(tail, pk, pv)
	}
	root.Content = append(root.Content, tail...)
	stamp(d)
	return nil
}
