package ckpt

import "strings"

// Format is the container format of a checkpoint.
type Format int

const (
	_            Format = iota
	FormatZip           // torch ≥ 1.6 zip archive: <root>/data.pkl + <root>/data/<key>
	FormatLegacy        // torch < 1.6 stream of pickles followed by raw storages
)

func (f Format) String() string {
	switch f {
	case FormatZip:
		return "zip"
	case FormatLegacy:
		return "legacy"
	}
	return "unknown"
}

// Global is a class or function named by the pickle, canonicalised (see the
// package documentation). It is only a name: nothing is ever imported.
type Global struct{ Module, Name string }

func (g Global) String() string {
	if g.Module == "" {
		return g.Name
	}
	return g.Module + "." + g.Name
}

// Display is String for terminals: the name comes from inside the pickle,
// so control characters are escaped (safetext.Line).
func (g Global) Display() string { return display(g.String()) }

// Tensor describes a tensor without its data. Storage is the storage key
// (the zip record data/<Storage>), Offset the element offset into that
// storage and Numel the number of elements of the tensor.
//
// Value is set only for resolved scalars (numel 1, storage ≤ 16 bytes,
// outside state_dict/optimizer_states/lr_schedulers): float64 for floating
// dtypes (NaN and ±Inf kept as such), int64 for integer dtypes, bool for
// bool. Otherwise it is nil.
type Tensor struct {
	DType   string
	Shape   []int64
	Storage string
	Offset  int64
	Numel   int64
	Value   any
}

// Object is an inert stand-in for an instance of a class this package does
// not interpret: the class name, the constructor arguments, the state given
// to __setstate__ (BUILD), and any dict items or list items set on it.
type Object struct {
	Class Global
	Args  []any
	State any
	Items map[string]any
	List  []any
}

// py2Modules and py2Names are Python's fix_imports tables
// (Lib/_compat_pickle.py IMPORT_MAPPING, NAME_MAPPING for __builtin__): a
// protocol 0–2 pickle naming __builtin__.long or urllib2 gets builtins.int or
// urllib.request under torch.load, so the policy must judge those.
var py2Modules = map[string]string{
	"__builtin__": "builtins", "copy_reg": "copyreg", "Queue": "queue", "SocketServer": "socketserver",
	"ConfigParser": "configparser", "repr": "reprlib", "Tkinter": "tkinter", "markupbase": "_markupbase",
	"_winreg": "winreg", "thread": "_thread", "dummy_thread": "_dummy_thread", "dbhash": "dbm.bsd",
	"dumbdbm": "dbm.dumb", "dbm": "dbm.ndbm", "gdbm": "dbm.gnu", "xmlrpclib": "xmlrpc.client",
	"SimpleXMLRPCServer": "xmlrpc.server", "httplib": "http.client", "htmlentitydefs": "html.entities",
	"HTMLParser": "html.parser", "Cookie": "http.cookies", "cookielib": "http.cookiejar",
	"BaseHTTPServer": "http.server", "test.test_support": "test.support", "commands": "subprocess",
	"urlparse": "urllib.parse", "robotparser": "urllib.robotparser", "urllib2": "urllib.request",
	"anydbm": "dbm", "_abcoll": "collections.abc", "cPickle": "pickle", "_elementtree": "xml.etree.ElementTree",
	"DocXMLRPCServer": "xmlrpc.server", "SimpleHTTPServer": "http.server", "CGIHTTPServer": "http.server",
	"UserDict": "collections", "UserList": "collections", "UserString": "collections", "whichdb": "dbm",
	"StringIO": "io", "cStringIO": "io",
}

var py2Names = map[string]Global{
	"xrange": {"builtins", "range"}, "reduce": {"functools", "reduce"}, "intern": {"sys", "intern"},
	"unichr": {"builtins", "chr"}, "unicode": {"builtins", "str"}, "long": {"builtins", "int"},
	"basestring": {"builtins", "str"},
}

// canonicalModule maps historical and aliased module names onto one spelling.
func canonicalModule(mod string) string {
	if m, ok := py2Modules[mod]; ok {
		return m
	}
	switch {
	case mod == "pytorch_lightning":
		return "lightning.pytorch"
	case strings.HasPrefix(mod, "pytorch_lightning."):
		return "lightning.pytorch." + mod[len("pytorch_lightning."):]
	case mod == "numpy._core" || strings.HasPrefix(mod, "numpy._core."):
		return "numpy.core" + mod[len("numpy._core"):]
	case mod == "lightning_fabric" || strings.HasPrefix(mod, "lightning_fabric."):
		return "lightning.fabric" + mod[len("lightning_fabric"):]
	case mod == "pathlib._local":
		return "pathlib"
	case mod == "_io":
		return "io"
	case mod == "_operator":
		return "operator"
	case mod == "_pickle":
		return "pickle"
	}
	return mod
}

func canonical(g Global) Global {
	if g.Module == "__builtin__" {
		if n, ok := py2Names[g.Name]; ok {
			return n
		}
	}
	return Global{Module: canonicalModule(g.Module), Name: g.Name}
}
