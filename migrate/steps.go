package migrate

import (
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
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
