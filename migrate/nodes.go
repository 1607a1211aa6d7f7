package migrate

import (
	"iter"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// The steps edit mappings through these helpers, never through Content indexes: each keeps
// the key node (and so its comments and position) unless it says otherwise.

func mindex(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func mget(m *yaml.Node, key string) *yaml.Node {
	if i := mindex(m, key); i >= 0 {
		return m.Content[i+1]
	}
	return nil
}

// entry returns key's key and value nodes (nil, nil when absent).
func entry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if i := mindex(m, key); i >= 0 {
		return m.Content[i], m.Content[i+1]
	}
	return nil, nil
}

func mhas(m *yaml.Node, key string) bool { return mindex(m, key) >= 0 }

func mset(m *yaml.Node, key string, v *yaml.Node) {
	if i := mindex(m, key); i >= 0 {
		old := m.Content[i+1]
		if v.LineComment == "" && old.Kind == yaml.ScalarNode && v.Kind == yaml.ScalarNode {
			v.LineComment = old.LineComment
		}
		m.Content[i+1] = v
		return
	}
	m.Content = append(m.Content, str(key), v)
}

func minsert(m *yaml.Node, at int, k, v *yaml.Node) {
	m.Content = append(m.Content, nil, nil)
	copy(m.Content[at+2:], m.Content[at:])
	m.Content[at], m.Content[at+1] = k, v
}

func mdel(m *yaml.Node, key string) (k, v *yaml.Node) {
	i := mindex(m, key)
	if i < 0 {
		return nil, nil
	}
	k, v = m.Content[i], m.Content[i+1]
	m.Content = append(m.Content[:i], m.Content[i+2:]...)
	return k, v
}

// mappend appends an existing key node (keeping its comments) and value.
func mappend(m *yaml.Node, k, v *yaml.Node) { m.Content = append(m.Content, k, v) }

// pairs yields a mapping's key and value nodes in order (nothing for a non-mapping).
func pairs(m *yaml.Node) iter.Seq2[*yaml.Node, *yaml.Node] {
	return func(yield func(k, v *yaml.Node) bool) {
		if !isMap(m) {
			return
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if !yield(m.Content[i], m.Content[i+1]) {
				return
			}
		}
	}
}

// renameKey renames key from to to where it stands, comments kept; false when absent.
func renameKey(m *yaml.Node, from, to string) bool {
	i := mindex(m, from)
	if i < 0 {
		return false
	}
	m.Content[i].Value = to
	return true
}

// replace puts v as key's value where it stands (unlike mset, comments are v's own);
// false when key is absent.
func replace(m *yaml.Node, key string, v *yaml.Node) bool {
	i := mindex(m, key)
	if i < 0 {
		return false
	}
	m.Content[i+1] = v
	return true
}

// regroup turns "key: v" into "group: {inner: v}" where key stands, comments kept on the
// key; it returns the new group mapping, or nil when key is absent.
func regroup(m *yaml.Node, key, group, inner string) *yaml.Node {
	v := mget(m, key)
	if v == nil {
		return nil
	}
	g := mapping(str(inner), v)
	renameKey(m, key, group)
	replace(m, group, g)
	return g
}

// ungroup turns "group: {inner: v, ...}" into "key: v" where group stands, comments kept
// on the key; it returns the group mapping (holding the other keys), or nil when group is
// absent. A missing inner becomes null, for validation to name.
func ungroup(m *yaml.Node, group, key, inner string) *yaml.Node {
	g := mget(m, group)
	if g == nil {
		return nil
	}
	v := mget(g, inner)
	if v == nil {
		v = null()
	}
	renameKey(m, group, key)
	replace(m, key, v)
	return g
}

// move takes key (with its comments) out of src and appends it to dst, named as; false
// when src has no key.
func move(src, dst *yaml.Node, key, as string) bool {
	k, v := mdel(src, key)
	if k == nil {
		return false
	}
	k.Value = as
	mappend(dst, k, v)
	return true
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func isMap(n *yaml.Node) bool { return n != nil && n.Kind == yaml.MappingNode }

func isString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

func isNumber(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	t := n.ShortTag()
	return t == "!!int" || t == "!!float"
}

// number reads a YAML int or float scalar.
func number(n *yaml.Node) (float64, bool) {
	if !isNumber(n) {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		return 0, false
	}
	return f, true
}

// ---- node constructors ----

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func null() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }

func integer(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

// flowMap and flowSeq are empty collections, written {} and [] as PyYAML writes them.
func flowMap() *yaml.Node { n := mapping(); n.Style = yaml.FlowStyle; return n }
func flowSeq() *yaml.Node { n := sequence(); n.Style = yaml.FlowStyle; return n }

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}

func sequence(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// cloneScalar copies a scalar without its comments.
func cloneScalar(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	return &c
}
