package ckpt

import (
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/nlpodyssey/gopickle/types"
)

const (
	maxDepth = 256     // nesting of converted values
	maxNodes = 1 << 21 // converted values in total; defeats DUP/GET expansion

	// minCached is the smallest converted container kept for reuse. Smaller
	// ones are converted again when referenced again (still counted against
	// maxNodes), so a pickle of a million tiny containers does not also
	// cost a million cache entries.
	minCached = 16
)

// bulkKeys are top-level keys that may hold thousands of tensors; scalar
// tensors under them are never resolved.
var bulkKeys = map[string]bool{"state_dict": true, "optimizer_states": true, "lr_schedulers": true}

// converter turns decoded gopickle values into the plain values documented
// in the package comment. It never formats raw values with %v: they may be
// cyclic.
type converter struct {
	// getattrAsData is set when builtins.getattr itself is kept as a value
	// (stored, a dict key, partial's target) rather than only called.
	getattrAsData bool
	nodes         int
	done          map[convKey]convDone // converted containers, so memo sharing costs O(unique)
	onPath        map[any]bool
	scalars       []*Tensor // numel-1 tensors outside bulk keys, in tree order
	seenT         map[*Tensor]bool
	tensors       map[*Tensor]bool
}

func newConverter() *converter {
	return &converter{onPath: map[any]bool{}, seenT: map[*Tensor]bool{}, tensors: map[*Tensor]bool{}, done: map[convKey]convDone{}}
}

// convKey identifies a container converted in a given context; convDone is
// its result and its expanded size, which still counts against maxNodes
// every time the container is referenced.
type convKey struct {
	p     any
	bulk  bool
	depth int
}

type convDone struct {
	v    any
	size int
}

func (c *converter) root(v any) (any, error) {
	if d, ok := v.(*types.Dict); ok {
		c.enter(d)
		defer delete(c.onPath, d)
		return c.dict(dictEntries(d), 0, false, true)
	}
	if d, ok := v.(*types.OrderedDict); ok {
		c.enter(d)
		defer delete(c.onPath, d)
		return c.dict(orderedEntries(d), 0, false, true)
	}
	return c.conv(v, 0, false)
}

type entry struct{ k, v any }

func dictEntries(d *types.Dict) []entry {
	out := make([]entry, 0, len(*d))
	for _, e := range *d {
		out = append(out, entry{e.Key, e.Value})
	}
	return out
}

func orderedEntries(d *types.OrderedDict) []entry {
	out := make([]entry, 0, d.Len())
	for el := d.List.Front(); el != nil; el = el.Next() {
		e := el.Value.(*types.OrderedDictEntry)
		out = append(out, entry{e.Key, e.Value})
	}
	return out
}

func (c *converter) dict(es []entry, depth int, bulk, top bool) (any, error) {
	m := make(map[string]any, len(es))
	for _, e := range es {
		c.noteKey(e.k)
		k := keyString(e.k, 0)
		v, err := c.conv(e.v, depth+1, bulk || top && bulkKeys[k])
		if err != nil {
			return nil, err
		}
		m[k] = v // last wins, as in Python
	}
	return m, nil
}

// enter guards a container against cycles; leave must follow.
func (c *converter) enter(p any) bool {
	if c.onPath[p] {
		return false
	}
	c.onPath[p] = true
	return true
}

func (c *converter) conv(v any, depth int, bulk bool) (any, error) {
	c.nodes++
	if c.nodes > maxNodes {
		return nil, limitErr("more than %d values", maxNodes)
	}
	if depth > maxDepth {
		return nil, limitErr("values nested deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil, bool, string, float64, int64:
		return x, nil
	case int:
		return int64(x), nil
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), nil
		}
		return x.String(), nil
	case []byte:
		return x, nil
	case *types.ByteArray:
		return []byte(*x), nil
	case *Tensor:
		c.tensors[x] = true
		if !bulk && x.Numel == 1 && !c.seenT[x] {
			c.seenT[x] = true
			c.scalars = append(c.scalars, x)
		}
		return x, nil
	case *storageRef:
		return &Tensor{DType: x.DType, Shape: []int64{x.Numel}, Storage: x.Key, Offset: x.ViewOffset, Numel: x.Numel}, nil
	case *pyClass:
		if x.g.String() == getattrName {
			c.getattrAsData = true
		}
		return x.g, nil
	case *types.OrderedDictClass:
		return Global{"collections", "OrderedDict"}, nil
	case *types.ObjectClass:
		return Global{"builtins", "object"}, nil
	case *types.Reconstructor:
		return Global{"copyreg", "_reconstructor"}, nil
	case types.Array, *types.Array:
		return Global{"array", "_array_reconstructor"}, nil
	case *types.GenericClass:
		return Global{x.Module, x.Name}, nil
	}
	switch v.(type) {
	case *types.List, *types.Tuple, *types.Set, *types.FrozenSet, *types.Dict, *types.OrderedDict, *pyObject:
		key := convKey{v, bulk, depth}
		if d, ok := c.done[key]; ok {
			c.nodes += d.size - 1
			if c.nodes > maxNodes {
				return nil, limitErr("more than %d values", maxNodes)
			}
			return d.v, nil
		}
		if !c.enter(v) {
			return nil, nil // a reference cycle: cut it
		}
		defer delete(c.onPath, v)
		start := c.nodes
		out, err := c.container(v, depth, bulk)
		if size := c.nodes - start + 1; err == nil && size >= minCached {
			c.done[key] = convDone{v: out, size: size}
		}
		return out, err
	}
	return c.container(v, depth, bulk)
}

func (c *converter) container(v any, depth int, bulk bool) (any, error) {
	switch x := v.(type) {
	case *types.List:
		return c.list(*x, depth, bulk)
	case *types.Tuple:
		return c.list(*x, depth, bulk)
	case *types.Set:
		return c.set(reflect.ValueOf(*x).MapKeys(), depth, bulk)
	case *types.FrozenSet:
		return c.set(reflect.ValueOf(*x).MapKeys(), depth, bulk)
	case *types.Dict:
		return c.dict(dictEntries(x), depth, bulk, false)
	case *types.OrderedDict:
		return c.dict(orderedEntries(x), depth, bulk, false)
	case *pyObject:
		return c.object(x, depth, bulk)
	}
	// typed numeric slices from array._array_reconstructor
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		out := make([]any, 0, rv.Len())
		for i := 0; i < rv.Len(); i++ {
			e := rv.Index(i)
			switch e.Kind() {
			case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
				out = append(out, e.Int())
			case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				out = append(out, int64(e.Uint()))
			case reflect.Float32, reflect.Float64:
				out = append(out, e.Float())
			default:
				out = append(out, nil)
			}
		}
		return out, nil
	}
	return nil, nil
}

func (c *converter) list(items []any, depth int, bulk bool) (any, error) {
	out := make([]any, 0, len(items))
	for _, it := range items {
		v, err := c.conv(it, depth+1, bulk)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *converter) set(keys []reflect.Value, depth int, bulk bool) (any, error) {
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		v, err := c.conv(k.Interface(), depth+1, bulk)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	// Go map order is random; sets have no order, so pick a stable one.
	sort.SliceStable(out, func(i, j int) bool { return sortKey(out[i], 0) < sortKey(out[j], 0) })
	return out, nil
}

// stateEntries returns BUILD state as dict entries (the __dict__ part of a
// (dict, slots) tuple too).
func stateEntries(state any) ([]entry, bool) {
	if t, ok := state.(*types.Tuple); ok && len(*t) == 2 {
		state = (*t)[0]
	}
	switch s := state.(type) {
	case *types.Dict:
		return dictEntries(s), true
	case *types.OrderedDict:
		return orderedEntries(s), true
	}
	return nil, false
}

func stateGet(state any, key string) (any, bool) {
	es, ok := stateEntries(state)
	if !ok {
		return nil, false
	}
	var v any
	found := false
	for _, e := range es {
		if k, ok := e.k.(string); ok && k == key {
			v, found = e.v, true
		}
	}
	return v, found
}

var dictLike = map[string]bool{
	"collections.defaultdict": true, "collections.Counter": true,
	"lightning.pytorch.utilities.parsing.AttributeDict": true,
	"lightning.fabric.utilities.data.AttributeDict":     true,
	"lightning_fabric.utilities.data.AttributeDict":     true,
}

// noteKey flags builtins.getattr used as a dict key (keys are stringified,
// not converted).
func (c *converter) noteKey(k any) {
	if p, ok := k.(*pyClass); ok && p.g.String() == getattrName {
		c.getattrAsData = true
	}
}

func (c *converter) object(o *pyObject, depth int, bulk bool) (any, error) {
	name := o.g.String()
	if o.g.String() == getattrName || strings.HasPrefix(o.g.Name, "getattr()") && o.g.Module == "builtins" {
		c.getattrAsData = true // an instance of getattr (NEWOBJ) or a call of one
	}
	switch {
	case dictLike[name]:
		es := make([]entry, len(o.keys))
		for i := range o.keys {
			es[i] = entry{o.keys[i], o.vals[i]}
		}
		return c.dict(es, depth, bulk, false)
	case name == "argparse.Namespace":
		es, _ := stateEntries(o.state)
		for i := range o.keys {
			es = append(es, entry{o.keys[i], o.vals[i]})
		}
		return c.dict(es, depth, bulk, false)
	case name == "omegaconf.dictconfig.DictConfig" || name == "omegaconf.listconfig.ListConfig":
		content, _ := stateGet(o.state, "_content")
		switch x := content.(type) {
		case *types.Dict:
			return c.dict(dictEntries(x), depth, bulk, false)
		case *types.OrderedDict:
			return c.dict(orderedEntries(x), depth, bulk, false)
		}
		return c.conv(content, depth+1, bulk) // list, None, "???" or "${…}"
	case strings.HasPrefix(name, "omegaconf.nodes."):
		val, _ := stateGet(o.state, "_val")
		return c.conv(val, depth+1, bulk)
	}
	obj := &Object{Class: o.g}
	var err error
	if len(o.args) > 0 {
		a, err := c.list(o.args, depth, bulk)
		if err != nil {
			return nil, err
		}
		obj.Args = a.([]any)
	}
	if o.state != nil {
		if obj.State, err = c.conv(o.state, depth+1, bulk); err != nil {
			return nil, err
		}
	}
	if len(o.keys) > 0 {
		obj.Items = make(map[string]any, len(o.keys))
		for i := range o.keys {
			c.noteKey(o.keys[i])
			v, err := c.conv(o.vals[i], depth+1, bulk)
			if err != nil {
				return nil, err
			}
			obj.Items[keyString(o.keys[i], 0)] = v
		}
	}
	if len(o.list) > 0 {
		l, err := c.list(o.list, depth, bulk)
		if err != nil {
			return nil, err
		}
		obj.List = l.([]any)
	}
	return obj, nil
}

// keyString stringifies a raw dict key: classes as "module.Name", integers in
// decimal, tuples Python-style. depth bounds recursion through tuples.
func keyString(k any, depth int) string {
	switch x := k.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case *big.Int:
		return x.String()
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case float64:
		return pyyaml.FloatRepr(x) // str(float) is repr(float)
	case *pyClass:
		return x.g.String()
	case *pyObject:
		return "<" + x.g.String() + " object>"
	case *types.Tuple:
		if depth > 8 {
			return "(…)"
		}
		parts := make([]string, len(*x))
		for i, e := range *x {
			if s, ok := e.(string); ok {
				parts[i] = strconv.Quote(s)
			} else {
				parts[i] = keyString(e, depth+1)
			}
		}
		if len(parts) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case []byte:
		return string(x)
	}
	return fmt.Sprintf("<%T>", k)
}

// sortKey orders converted (acyclic, bounded) values of a set.
func sortKey(v any, depth int) string {
	switch x := v.(type) {
	case nil:
		return "0"
	case bool:
		return "1" + strconv.FormatBool(x)
	case int64:
		return "2" + fmt.Sprintf("%+020d", x)
	case float64:
		return "3" + strconv.FormatFloat(x, 'e', -1, 64)
	case string:
		return "4" + x
	case []byte:
		return "5" + string(x)
	case []any:
		if depth > 8 {
			return "6"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = sortKey(e, depth+1)
		}
		return "6" + strings.Join(parts, "\x00")
	case Global:
		return "7" + x.String()
	case *Object:
		return "8" + x.Class.String()
	case *Tensor:
		return "9" + x.Storage
	}
	return "~"
}
