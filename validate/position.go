package validate

import (
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// positionIndex makes Position linear: each mapping's keys are indexed once, on the
// first look-up that passes through it, instead of scanned on every look-up (100,000
// unknown keys took minutes to place before).
type positionIndex struct {
	mu    sync.Mutex
	scans int                           // look-ups answered by scanning, before the index
	keys  map[*yaml.Node]map[string]int // mapping node → key → index in Content of the last such key
}

// scansBeforeIndex look-ups of a document scan the mapping instead: most documents are
// asked for a position or two (the recorded checkpoint path of every file), and a scan of
// one mapping costs less than indexing it. Later look-ups build the index, so the whole
// stays linear.
const scansBeforeIndex = 4

func (x *positionIndex) lookup(m *yaml.Node, key string) (int, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.scans < scansBeforeIndex {
		x.scans++
		last, found := 0, false
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == key {
				last, found = j, true // the last duplicate wins, as in the value
			}
		}
		return last, found
	}
	idx, ok := x.keys[m]
	if !ok {
		if x.keys == nil {
			x.keys = map[*yaml.Node]map[string]int{}
		}
		idx = make(map[string]int, len(m.Content)/2)
		for j := 0; j+1 < len(m.Content); j += 2 {
			idx[m.Content[j].Value] = j // the last duplicate wins, as in the value
		}
		x.keys[m] = idx
	}
	j, ok := idx[key]
	return j, ok
}

// Position finds where the value at a JSON pointer starts. With key set it returns the
// position of the mapping key instead (for unknown keys). When the pointer leads nowhere it
// returns the position of the deepest node it reached. It is safe for concurrent use, and
// costs, over all calls on one Document, time linear in the document plus the pointers.
func (d *Document) Position(ptr string, key bool) (line, col int) {
	n := d.Root
	if n == nil {
		return 0, 0
	}
	line, col = n.Line, n.Column
	if ptr == "" {
		return
	}
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, raw := range toks {
		tok := unescape(raw)
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next, keyNode *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			if j, ok := d.index.lookup(n, tok); ok {
				keyNode, next = n.Content[j], n.Content[j+1]
			}
		case yaml.SequenceNode:
			if idx, err := strconv.Atoi(tok); err == nil && idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
			}
		}
		if next == nil {
			return
		}
		if i == len(toks)-1 && key && keyNode != nil {
			return keyNode.Line, keyNode.Column
		}
		n = next
		line, col = n.Line, n.Column
	}
	return
}
