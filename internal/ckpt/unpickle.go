package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"path"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// storageRef is what a persistent id decodes to: a storage descriptor.
// Nothing of the storage is read when it is created.
type storageRef struct {
	DType      string
	ElemSize   int
	Key        string
	Location   string
	Numel      int64 // elements (bytes for UntypedStorage)
	ViewOffset int64 // legacy storage views: element offset into the root storage
}

func (s *storageRef) GoString() string { return "ckpt.storage(" + s.Key + ")" }

var storageDTypes = map[string]struct {
	dtype string
	size  int
}{
	"FloatStorage": {"float32", 4}, "DoubleStorage": {"float64", 8}, "HalfStorage": {"float16", 2},
	"BFloat16Storage": {"bfloat16", 2}, "LongStorage": {"int64", 8}, "IntStorage": {"int32", 4},
	"ShortStorage": {"int16", 2}, "CharStorage": {"int8", 1}, "ByteStorage": {"uint8", 1},
	"BoolStorage": {"bool", 1}, "ComplexFloatStorage": {"complex64", 8},
	"ComplexDoubleStorage": {"complex128", 16}, "QUInt8Storage": {"quint8", 1},
	"QInt8Storage": {"qint8", 1}, "QInt32Storage": {"qint32", 4}, "QUInt4x2Storage": {"quint4x2", 1},
	"QUInt2x4Storage": {"quint2x4", 1}, "UntypedStorage": {"uint8", 1}, "_UntypedStorage": {"uint8", 1},
}

// decoder carries the state of one unpickling: the globals it resolved and
// the storages the persistent ids described.
type decoder struct {
	globals  map[Global]bool
	storages map[string]*storageRef
	order    []string // storage keys in order of first reference
	// getattrBad is set when builtins.getattr is called other than as
	// getattr(<global>, "<identifier>"), the shape Python ≥ 3.11 gives every
	// pickled enum member (see [memberAccess]).
	getattrBad bool
}

func newDecoder() *decoder {
	return &decoder{globals: map[Global]bool{}, storages: map[string]*storageRef{}}
}

// pyClass is the inert stand-in for every global. Calling it never runs the
// named code: a few well-known constructors are interpreted (tensor rebuild,
// paths, numpy scalars, …) and everything else becomes a *pyObject.
type pyClass struct {
	g Global
	d *decoder
}

// pyObject is an instance of a pyClass; it records what the pickle does to it.
type pyObject struct {
	g     Global
	args  []any
	state any
	keys  []any
	vals  []any
	list  []any
}

func (c *pyClass) GoString() string  { return "ckpt.class(" + c.g.String() + ")" }
func (o *pyObject) GoString() string { return "ckpt.object(" + o.g.String() + ")" }
func (c *pyClass) String() string    { return c.GoString() }
func (o *pyObject) String() string   { return o.GoString() }

var (
	_ types.Callable        = (*pyClass)(nil)
	_ types.PyNewable       = (*pyClass)(nil)
	_ types.Callable        = (*pyObject)(nil)
	_ types.PyNewable       = (*pyObject)(nil)
	_ types.PyStateSettable = (*pyObject)(nil)
	_ types.PyDictSettable  = (*pyObject)(nil)
	_ types.PyAttrSettable  = (*pyObject)(nil)
	_ types.DictSetter      = (*pyObject)(nil)
	_ types.ListAppender    = (*pyObject)(nil)
	_ types.SetAdder        = (*pyObject)(nil)
)

func (c *pyClass) PyNew(args ...any) (any, error) { return &pyObject{g: c.g, args: args}, nil }

// Call interprets the handful of callables a checkpoint legitimately uses.
func (c *pyClass) Call(args ...any) (any, error) {
	switch c.g.String() {
	case getattrName:
		// Python ≥ 3.11 pickles an enum member as getattr(Mode, "MAX"). The
		// result stands for the dotted global Mode.MAX, which the policy
		// judges like any qualified name (getattr(torch.os, "system") is
		// os.system); anything else makes getattr dangerous.
		if g, ok := memberAccess(args); ok && c.d != nil {
			c.d.globals[g] = true
			return &pyClass{g: g, d: c.d}, nil
		}
		if c.d != nil {
			c.d.getattrBad = true
		}
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
		return rebuildTensor(args)
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(args) > 0 {
			if t, ok := args[0].(*Tensor); ok {
				return t, nil
			}
		}
	case "torch._tensor._rebuild_from_type_v2":
		// (func, new_type, args, state): apply func to args. func is one of
		// our stand-ins, so this is as inert as any other call.
		if len(args) >= 3 {
			if f, ok := args[0].(*pyClass); ok {
				if t, ok := args[2].(*types.Tuple); ok {
					return f.Call(*t...)
				}
			}
		}
	case "copyreg._reconstructor":
		if len(args) >= 1 {
			if k, ok := args[0].(*pyClass); ok {
				return k.PyNew()
			}
		}
	case "_codecs.encode":
		if len(args) >= 1 {
			if s, ok := args[0].(string); ok {
				enc := ""
				if len(args) >= 2 {
					enc, _ = args[1].(string)
				}
				return encodeString(s, enc)
			}
		}
	case "builtins.set", "builtins.frozenset":
		if len(args) == 0 {
			return types.NewList(), nil
		}
		if items, ok := iterItems(args[0]); ok {
			return types.NewListFromSlice(items), nil
		}
	case "builtins.bytearray", "builtins.bytes":
		if len(args) == 0 {
			return []byte{}, nil
		}
		switch a := args[0].(type) {
		case []byte:
			return a, nil
		case string:
			enc := ""
			if len(args) >= 2 {
				enc, _ = args[1].(string)
			}
			return encodeString(a, enc)
		}
	case "pathlib.PosixPath", "pathlib.PurePosixPath", "pathlib.Path", "pathlib.PurePath",
		"pathlib.WindowsPath", "pathlib.PureWindowsPath":
		parts := make([]string, 0, len(args))
		for _, a := range args {
			s, ok := a.(string)
			if !ok {
				return &pyObject{g: c.g, args: args}, nil
			}
			parts = append(parts, s)
		}
		if strings.Contains(c.g.Name, "Windows") {
			return strings.Join(parts, `\`), nil
		}
		return path.Join(parts...), nil
	case "torch.device":
		if len(args) >= 1 {
			if s, ok := args[0].(string); ok {
				if len(args) >= 2 {
					if i, ok := args[1].(int); ok {
						return fmt.Sprintf("%s:%d", s, i), nil
					}
				}
				return s, nil
			}
		}
	case "torch.Size":
		if len(args) == 1 {
			if t, ok := args[0].(*types.Tuple); ok {
				return t, nil
			}
		}
	case "numpy.core.multiarray.scalar":
		if len(args) == 2 {
			if v, ok := numpyScalar(args[0], args[1]); ok {
				return v, nil
			}
		}
	}
	return &pyObject{g: c.g, args: args}, nil
}

func (o *pyObject) Call(args ...any) (any, error) {
	return &pyObject{g: Global{Module: o.g.Module, Name: o.g.Name + "()"}, args: args}, nil
}
func (o *pyObject) PyNew(args ...any) (any, error) { return o.Call(args...) }
func (o *pyObject) PySetState(state any) error     { o.state = state; return nil }
func (o *pyObject) PyDictSet(k, v any) error       { o.Set(k, v); return nil }
func (o *pyObject) PySetAttr(k string, v any) error {
	o.Set(k, v)
	return nil
}
func (o *pyObject) Set(k, v any) { o.keys = append(o.keys, k); o.vals = append(o.vals, v) }
func (o *pyObject) Append(v any) { o.list = append(o.list, v) }
func (o *pyObject) Add(v any)    { o.list = append(o.list, v) }

func iterItems(v any) ([]any, bool) {
	switch a := v.(type) {
	case *types.List:
		return *a, true
	case *types.Tuple:
		return *a, true
	}
	return nil, false
}

// encodeString mirrors _codecs.encode as protocol-2 pickles use it for bytes:
// latin-1 maps each code point < 256 to one byte.
func encodeString(s, enc string) (any, error) {
	switch strings.ToLower(strings.ReplaceAll(enc, "-", "")) {
	case "latin1", "iso88591", "l1":
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 255 {
				return nil, errors.New("latin-1 string out of range")
			}
			b = append(b, byte(r))
		}
		return b, nil
	}
	return []byte(s), nil
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case *big.Int:
		if n.IsInt64() {
			return n.Int64(), true
		}
	case bool:
		if n {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// rebuildTensor interprets torch._utils._rebuild_tensor_v2(storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
func rebuildTensor(args []any) (any, error) {
	if len(args) < 3 {
		return nil, errors.New("tensor rebuild: too few arguments")
	}
	st, ok := args[0].(*storageRef)
	if !ok {
		return nil, errors.New("tensor rebuild: first argument is not a storage")
	}
	off, ok := toInt64(args[1])
	if !ok || off < 0 {
		return nil, errors.New("tensor rebuild: bad storage offset")
	}
	size, ok := args[2].(*types.Tuple)
	if !ok {
		return nil, errors.New("tensor rebuild: size is not a tuple")
	}
	if len(*size) > 64 {
		return nil, limitErr("tensor with %d dimensions", len(*size))
	}
	t := &Tensor{DType: st.DType, Storage: st.Key, Offset: off + st.ViewOffset, Numel: 1, Shape: make([]int64, 0, len(*size))}
	for _, d := range *size {
		n, ok := toInt64(d)
		if !ok || n < 0 {
			return nil, errors.New("tensor rebuild: bad dimension")
		}
		t.Shape = append(t.Shape, n)
		if n != 0 && t.Numel > math.MaxInt64/n {
			return nil, errors.New("tensor rebuild: element count overflows")
		}
		t.Numel *= n
	}
	return t, nil
}

// persistentLoad turns ('storage', cls, key, location, numel[, view]) into a
// *storageRef without touching the storage bytes.
func (d *decoder) persistentLoad(pid any) (any, error) {
	t, ok := pid.(*types.Tuple)
	if !ok || len(*t) == 0 {
		return nil, errors.New("persistent id is not a tuple")
	}
	kind, _ := (*t)[0].(string)
	switch kind {
	case "module":
		return &pyObject{g: Global{Module: "torch", Name: "<module>"}}, nil
	case "storage":
	default:
		return nil, fmt.Errorf("unknown persistent id kind %q", kind)
	}
	if len(*t) < 5 {
		return nil, errors.New("storage persistent id too short")
	}
	cls, ok := (*t)[1].(*pyClass)
	if !ok {
		return nil, errors.New("storage persistent id without a storage class")
	}
	dt, ok := storageDTypes[cls.g.Name]
	if !ok || !(cls.g.Module == "torch" || cls.g.Module == "torch.cuda" || cls.g.Module == "torch.storage") {
		return nil, fmt.Errorf("unknown storage class %q", cls.g.String())
	}
	key, ok := (*t)[2].(string)
	if !ok || key == "" || len(key) > 64 {
		return nil, errors.New("bad storage key")
	}
	loc, _ := (*t)[3].(string)
	numel, ok := toInt64((*t)[4])
	if !ok || numel < 0 {
		return nil, errors.New("bad storage size")
	}
	ref, seen := d.storages[key]
	if !seen {
		ref = &storageRef{DType: dt.dtype, ElemSize: dt.size, Key: key, Location: loc, Numel: numel}
		d.storages[key] = ref
		d.order = append(d.order, key)
	}
	if len(*t) >= 6 && (*t)[5] != nil {
		// legacy view: (view_key, offset, view_size) into the root storage
		v, ok := (*t)[5].(*types.Tuple)
		if !ok || len(*v) < 3 {
			return nil, errors.New("bad storage view metadata")
		}
		off, ok := toInt64((*v)[1])
		if !ok || off < 0 {
			return nil, errors.New("bad storage view offset")
		}
		view := *ref
		view.DType, view.ElemSize = dt.dtype, dt.size
		view.ViewOffset = off
		return &view, nil
	}
	return ref, nil
}

const getattrName = "builtins.getattr"

// memberAccess recognises getattr(<global>, "<identifier>") and returns the
// dotted global it reads.
func memberAccess(args []any) (Global, bool) {
	if len(args) != 2 {
		return Global{}, false
	}
	cls, ok := args[0].(*pyClass)
	attr, isStr := args[1].(string)
	if !ok || !isStr || !isIdentifier(attr) {
		return Global{}, false
	}
	return Global{Module: cls.g.Module, Name: cls.g.Name + "." + attr}, true
}

func isIdentifier(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (d *decoder) findClass(module, name string) (any, error) {
	g := canonical(Global{Module: module, Name: name})
	d.globals[g] = true
	return &pyClass{g: g, d: d}, nil
}

// decodePickle runs gopickle over a pre-scanned pickle. Panics inside the
// decoder (gopickle has a few on malformed input) become errors.
func (d *decoder) decodePickle(pkl []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v = nil
			switch x := r.(type) {
			case error:
				err = fmt.Errorf("pickle decoder failed: %s", clip(x.Error()))
			case string:
				err = fmt.Errorf("pickle decoder failed: %s", clip(x))
			default:
				err = fmt.Errorf("pickle decoder failed (%T)", r)
			}
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(pkl))
	u.FindClass = d.findClass
	u.PersistentLoad = d.persistentLoad
	v, err = u.Load()
	if err != nil {
		return nil, fmt.Errorf("pickle: %s", clip(err.Error()))
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// numpyScalar decodes numpy.core.multiarray.scalar(dtype, raw bytes).
func numpyScalar(dtype, raw any) (any, bool) {
	dt, ok := dtype.(*pyObject)
	if !ok || dt.g.String() != "numpy.dtype" || len(dt.args) == 0 {
		return nil, false
	}
	code, _ := dt.args[0].(string)
	var b []byte
	switch r := raw.(type) {
	case []byte:
		b = r
	case string: // protocol 0/1 may carry bytes as a latin-1 str
		x, err := encodeString(r, "latin1")
		if err != nil {
			return nil, false
		}
		b = x.([]byte)
	default:
		return nil, false
	}
	var order binary.ByteOrder = binary.LittleEndian
	if st, ok := dt.state.(*types.Tuple); ok && len(*st) > 1 {
		if s, _ := (*st)[1].(string); s == ">" {
			order = binary.BigEndian
		}
	}
	return decodeScalar(numpyDType(code), b, order)
}

var numpyDTypes = map[string]string{
	"f8": "float64", "f4": "float32", "f2": "float16", "i8": "int64", "i4": "int32", "i2": "int16",
	"i1": "int8", "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64", "b1": "bool",
}

func numpyDType(code string) string { return numpyDTypes[code] }

// scalarSizes is the element size of every dtype decodeScalar handles.
var scalarSizes = map[string]int{"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4,
	"int16": 2, "int8": 1, "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "bool": 1}

// decodeScalar decodes one element of dtype from b.
func decodeScalar(dtype string, b []byte, order binary.ByteOrder) (any, bool) {
	need := scalarSizes[dtype]
	if need == 0 || len(b) != need {
		return nil, false
	}
	switch dtype {
	case "float64":
		return math.Float64frombits(order.Uint64(b)), true
	case "float32":
		return float64(math.Float32frombits(order.Uint32(b))), true
	case "float16":
		return halfToFloat(order.Uint16(b)), true
	case "bfloat16":
		return float64(math.Float32frombits(uint32(order.Uint16(b)) << 16)), true
	case "int64":
		return int64(order.Uint64(b)), true
	case "int32":
		return int64(int32(order.Uint32(b))), true
	case "int16":
		return int64(int16(order.Uint16(b))), true
	case "int8":
		return int64(int8(b[0])), true
	case "uint8":
		return int64(b[0]), true
	case "uint16":
		return int64(order.Uint16(b)), true
	case "uint32":
		return int64(order.Uint32(b)), true
	case "uint64":
		u := order.Uint64(b)
		if u > math.MaxInt64 {
			return nil, false
		}
		return int64(u), true
	case "bool":
		return b[0] != 0, true
	}
	return nil, false
}

func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * frac / 1024 * math.Pow(2, -14)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * (1 + frac/1024) * math.Pow(2, float64(exp-15))
}
