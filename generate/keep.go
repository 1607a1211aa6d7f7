package generate

import (
	"encoding/json"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/schemas"
)

// keepOld copies into a rebuilt document (root, in the 2.0 layout when v2) what the sidecar
// it replaces (old) holds beyond the values Carry already brought in:
//   - the comments of every key both documents have (the key found under its name in the
//     rebuilt layout: exp_name ↔ experiment.name, checkpointing.mode ↔ metrics.mode, ...),
//     unless the rebuilt key has a comment of its own;
//   - keys no schema version defines (a person's notes), with their values and comments,
//     appended to the mapping they were in when the rebuilt document has it.
//
// It returns how many such extra keys it added.
func keepOld(root, old *yaml.Node, v2 bool) int {
	if root == nil || old == nil || old.Kind != yaml.MappingNode {
		return 0
	}
	oldV2 := mapKey(old, "experiment") != nil || mapKey(old, "checkpoint") != nil
	extras := 0
	var walk func(om *yaml.Node, path []string)
	walk = func(om *yaml.Node, path []string) {
		for i := 0; i+1 < len(om.Content); i += 2 {
			ok, ov := om.Content[i], om.Content[i+1]
			p := append(append([]string(nil), path...), ok.Value)
			np := translatePath(p, oldV2, v2)
			nk, nv := lookupPath(root, np)
			if nk != nil {
				copyComments(nk, nv, ok, ov)
				if ov.Kind == yaml.MappingNode && nv.Kind == yaml.MappingNode && !freeForm[ok.Value] {
					walk(ov, p)
				}
				continue
			}
			if knownKey(p) {
				continue // a key of some version the rebuilt document leaves out or has no place for
			}
			if _, parent := lookupPath(root, np[:len(np)-1]); parent != nil && parent.Kind == yaml.MappingNode && parent.Style&yaml.FlowStyle == 0 {
				parent.Content = append(parent.Content, ok, ov)
				extras++
			}
		}
	}
	walk(old, nil)
	return extras
}

// freeForm are mappings whose keys are data (names chosen by a run), not schema keys.
var freeForm = map[string]bool{
	"params": true, "additional_metrics": true, "values": true, "components": true,
	"fingerprint": true, "checkpoint_fingerprint": true, "provenance": true,
}

// layoutPairs are the keys that moved between 1.x and 2.0 (1.x path, 2.0 path).
var layoutPairs = [][2]string{
	{"exp_name", "experiment/name"},
	{"wandb_run_id", "experiment/wandb_run_id"},
	{"checkpoint_path", "checkpoint/path"},
	{"lightning_version", "checkpoint/lightning_version"},
	{"checkpoint_fingerprint", "checkpoint/fingerprint"},
	{"hydra_config_path", "sources/hydra_config"},
	{"checkpointing/monitor", "metrics/monitor"},
	{"checkpointing/mode", "metrics/mode"},
	{"metrics/precision", "metrics/values/precision"},
	{"metrics/recall", "metrics/values/recall"},
	{"metrics/hmean", "metrics/values/hmean"},
	{"metrics/validation_loss", "metrics/values/validation_loss"},
	{"metrics/additional_metrics", "metrics/logged"},
}

// translatePath names path (in the old layout) in the new one.
func translatePath(path []string, fromV2, toV2 bool) []string {
	if fromV2 == toV2 {
		return path
	}
	from, to := 0, 1
	if fromV2 {
		from, to = 1, 0
	}
	for _, pair := range layoutPairs {
		pre := strings.Split(pair[from], "/")
		if len(path) >= len(pre) && equalStrings(path[:len(pre)], pre) {
			return append(strings.Split(pair[to], "/"), path[len(pre):]...)
		}
	}
	return path
}

func equalStrings(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// lookupPath finds the key and value nodes at path under the mapping root (for an empty
// path: nil and root).
func lookupPath(root *yaml.Node, path []string) (k, v *yaml.Node) {
	v = root
	for _, p := range path {
		if v == nil || v.Kind != yaml.MappingNode {
			return nil, nil
		}
		k, v = mapKey(v, p), mapValue(v, p)
		if k == nil {
			return nil, nil
		}
	}
	return k, v
}

func mapKey(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// copyComments gives the rebuilt key nk (value nv) the comments of the old key ok (value
// ov) where it has none: head and foot comments on the key; a line comment where the
// YAML parser would put it (after a scalar or flow value, else on the key).
func copyComments(nk, nv, ok, ov *yaml.Node) {
	if nk.HeadComment == "" {
		nk.HeadComment = ok.HeadComment
	}
	if nk.FootComment == "" {
		nk.FootComment = ok.FootComment
	}
	line := ok.LineComment
	if ov.Kind == yaml.ScalarNode || ov.Style&yaml.FlowStyle != 0 {
		line = strings.TrimSpace(line + " " + ov.LineComment)
	}
	if line == "" || nk.LineComment != "" || nv.LineComment != "" {
		return
	}
	if nv.Kind == yaml.ScalarNode || nv.Style&yaml.FlowStyle != 0 {
		nv.LineComment = line
	} else {
		nk.LineComment = line
	}
}

// knownKey reports whether path names a property some embedded schema version defines
// (inside free-form mappings every key counts as known: it is data, not a note).
func knownKey(path []string) bool {
	for i, p := range path[:len(path)-1] {
		if freeForm[p] && i < len(path)-1 {
			return true
		}
	}
	for _, props := range schemaProperties() {
		if props.has(path) {
			return true
		}
	}
	return false
}

// propTree is the nesting of "properties" in a JSON Schema.
type propTree map[string]propTree

func (t propTree) has(path []string) bool {
	for _, p := range path {
		next, ok := t[p]
		if !ok {
			return false
		}
		t = next
	}
	return true
}

var schemaProperties = sync.OnceValue(func() []propTree {
	var out []propTree
	for _, s := range schemas.Default().All() {
		var v any
		if json.Unmarshal(s.Source(), &v) == nil {
			out = append(out, properties(v))
		}
	}
	return out
})

func properties(v any) propTree {
	t := propTree{}
	m, _ := v.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	for k, sub := range props {
		t[k] = properties(sub)
	}
	return t
}
