package migrate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"go.yaml.in/yaml/v3"
)

// Env is what a step may know beyond the document itself. Steps are pure: everything that
// depends on the file system, the clock or the build reaches them through here.
type Env struct {
	// Path is the sidecar's path as discovered ("" for an anonymous document). The 0 → 1.0
	// step derives exp_name from it (the directory above "checkpoints"); nothing reads it.
	Path string
	// Root is the outputs root. The 0 → 1.0 step makes an absolute checkpoint_path under
	// Root relative to it; "" leaves checkpoint_path as written.
	Root string
	// Origin is the schema_version the document had before this run; it becomes
	// provenance.migrated_from unless the document already names an origin.
	Origin string
	// ToolVersion is written to provenance.tool_version when not empty.
	ToolVersion string
	// AllowLossy lets a step drop facts the target version cannot hold instead of
	// refusing with *LossError.
	AllowLossy bool
}

// Doc is one sidecar document as a YAML node tree. Edits keep comments, key order, flow
// style and quoting of everything they do not touch; the encoder re-indents with the
// indentation detected in the source. Blank lines are not kept (go-yaml cannot).
type Doc struct {
	Env Env

	file    *yaml.Node // the DocumentNode
	root    *yaml.Node // its top-level mapping
	indent  int        // detected mapping indentation (2 when unknown)
	compact bool       // block sequences written at their key's column ("- " counts as indent)
}

// NewDoc wraps a parsed YAML document (a DocumentNode whose content is a mapping, or the
// mapping itself). The tree is edited in place.
func NewDoc(n *yaml.Node) (*Doc, error) {
	if n == nil {
		return nil, fmt.Errorf("%w: empty document", ErrShape)
	}
	file := n
	if n.Kind != yaml.DocumentNode {
		file = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}
	}
	if len(file.Content) != 1 || file.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: the document is not a mapping", ErrShape)
	}
	d := &Doc{file: file, root: file.Content[0]}
	d.indent, d.compact = detectIndent(d.root)
	return d, nil
}

// ParseDoc parses one YAML document into a Doc. It does not check for duplicate keys or
// other YAML lints; Run and MigrateBytes parse through validate.Parse, which does.
func ParseDoc(src []byte) (*Doc, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return NewDoc(&n)
}

// Root returns the top-level mapping node.
func (d *Doc) Root() *yaml.Node { return d.root }

// Bytes encodes the document with the detected indentation: the bytes yaml.v3's Encoder
// writes (SetIndent(d.indent), CompactSeqIndent when d.compact). pyyaml.Emit writes them
// for every tree a migration produces from a sidecar without anchors, aliases or explicit
// tags, several times faster; the rest goes to yaml.v3 itself.
func (d *Doc) Bytes() ([]byte, error) {
	if !encodeWithYAMLv3 {
		scratch := emitBuffers.Get().(*[]byte)
		out, ok := pyyaml.Emit((*scratch)[:0], d.file, d.indent, d.compact)
		if testHookEmit != nil {
			testHookEmit(ok)
		}
		if ok {
			data := bytes.Clone(out)
			if cap(out) <= 64<<10 { // a hostile file's buffer is not kept
				*scratch = out
			}
			emitBuffers.Put(scratch)
			return data, nil
		}
		emitBuffers.Put(scratch)
	}
	buf := encodeBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 { // a hostile file's buffer is not kept
			encodeBuffers.Put(buf)
		}
	}()
	enc := yaml.NewEncoder(buf)
	enc.SetIndent(d.indent)
	if d.compact {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(d.file); err != nil {
		return nil, fmt.Errorf("migrate: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("migrate: encode: %w", err)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// encodeWithYAMLv3 makes Bytes skip pyyaml.Emit, and testHookEmit learns whether Emit
// took a tree: tests compare both ways and count.
var (
	encodeWithYAMLv3 = false
	testHookEmit     func(ok bool)
)

// encodeBuffers and emitBuffers keep output buffers between files: a sidecar is encoded
// into one grown already, then copied out once at its exact size.
var (
	encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	emitBuffers   = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
)

// detectIndent finds the indentation of the first nested block mapping and whether block
// sequences under a key start at the key's column (PyYAML's style).
func detectIndent(root *yaml.Node) (indent int, compact bool) {
	indent, seqSeen := 0, false
	var walk func(m *yaml.Node)
	walk = func(m *yaml.Node) {
		if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 {
			return
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 {
				continue
			}
			switch v.Kind {
			case yaml.MappingNode:
				if indent == 0 && v.Content[0].Column > k.Column {
					indent = v.Content[0].Column - k.Column
				}
				walk(v)
			case yaml.SequenceNode:
				if !seqSeen && v.Content[0].Line > k.Line {
					seqSeen = true
					compact = v.Content[0].Column-k.Column <= 2
				}
			}
			if indent != 0 && seqSeen {
				return
			}
		}
	}
	walk(root)
	if indent < 2 || indent > 9 {
		indent = 2
	}
	if !seqSeen {
		// PyYAML, which wrote most sidecars, puts "- " at the key's column.
		compact = indent == 2
	}
	return indent, compact
}

// ---- JSON pointers (RFC 6901) over mappings ----

func splitPointer(ptr string) ([]string, error) {
	if ptr == "" {
		return nil, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("migrate: bad JSON pointer %q", ptr)
	}
	parts := strings.Split(ptr[1:], "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// Pointer builds an RFC 6901 pointer from keys, escaping "~" and "/".
func Pointer(keys ...string) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// get returns the node at ptr ("" is the root mapping).
func (d *Doc) get(ptr string) (*yaml.Node, bool) {
	parts, err := splitPointer(ptr)
	if err != nil {
		return nil, false
	}
	n := d.root
	for _, p := range parts {
		switch n.Kind {
		case yaml.MappingNode:
			n = mget(n, p)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, false
			}
			n = n.Content[i]
		default:
			return nil, false
		}
		if n == nil {
			return nil, false
		}
	}
	return n, true
}

// versionNode is a schema_version value: always a quoted string.
func versionNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.SingleQuotedStyle}
}

// setVersion writes schema_version first in the document, quoted, keeping the key's
// comments and the quote style the source used when it was quoted.
func (d *Doc) setVersion(v string) {
	n := versionNode(v)
	if i := mindex(d.root, "schema_version"); i >= 0 {
		old := d.root.Content[i+1]
		if old.Kind == yaml.ScalarNode && old.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			n.Style = old.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
		}
		n.LineComment = old.LineComment
		n.HeadComment, n.FootComment = old.HeadComment, old.FootComment
		d.root.Content[i+1] = n
		return
	}
	k := str("schema_version")
	// The document's head comment belongs above the first key; keep it there.
	if len(d.root.Content) > 0 && d.root.Content[0].HeadComment != "" {
		k.HeadComment, d.root.Content[0].HeadComment = d.root.Content[0].HeadComment, ""
	}
	minsert(d.root, 0, k, n)
}

// plainStyle drops flow and quoting styles from a tree parsed from JSON, quoting only the
// strings a YAML 1.1 reader would take for something else.
func plainStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && pyyaml.NeedsQuotes(n.Value) {
		n.Style = yaml.SingleQuotedStyle
	}
	for _, c := range n.Content {
		plainStyle(c)
	}
}
