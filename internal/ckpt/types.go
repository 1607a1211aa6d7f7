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

// canonicalModule maps historical and aliased module names onto one spelling.
func canonicalModule(mod string) string {
	switch {
	case mod == "__builtin__":
		return "builtins"
	case mod == "copy_reg":
		return "copyreg"
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

func canonical(g Global) Global { return Global{Module: canonicalModule(g.Module), Name: g.Name} }

// deniedModules are modules whose every member is dangerous to call
// (after picklescan's and fickling's lists): process, file, network, code
// loading and nested-unpickling entry points.
var deniedModules = set(
	"os", "posix", "nt", "subprocess", "_posixsubprocess", "_winapi", "msvcrt", "winreg", "sys", "socket",
	"shutil", "runpy", "pickle", "pdb", "bdb", "pty", "pip", "webbrowser", "ctypes", "asyncio", "urllib",
	"timeit", "venv", "pydoc", "importlib", "zipimport", "imp", "code", "codeop", "commands",
	"multiprocessing", "requests", "http", "httplib", "ftplib", "telnetlib", "smtplib", "signal", "marshal",
	"cloudpickle", "dill", "joblib", "platform", "trace", "profile", "cProfile",
	"torch.hub", "torch.jit", "torch._dynamo", "torch._inductor", "numpy.f2py", "numpy.distutils",
)

// deniedNames are single dangerous members of otherwise harmless modules.
var deniedNames = map[string]bool{
	"builtins.eval": true, "builtins.exec": true, "builtins.execfile": true, "builtins.compile": true,
	"builtins.getattr": true, "builtins.setattr": true, "builtins.delattr": true, "builtins.apply": true,
	"builtins.open": true, "builtins.breakpoint": true, "builtins.__import__": true, "builtins.input": true,
	"builtins.globals": true, "builtins.locals": true, "builtins.vars": true, "builtins.exit": true,
	"builtins.quit": true, "builtins.help": true, "builtins.reload": true, "builtins.file": true,
	"functools.partial": true, "functools.reduce": true,
	"operator.attrgetter": true, "operator.itemgetter": true, "operator.methodcaller": true,
	"types.CodeType": true, "types.FunctionType": true, "types.MethodType": true, "types.LambdaType": true,
	"torch.load": true, "torch.serialization.load": true, "torch.storage._load_from_bytes": true,
	"torch.compile": true, "torch.utils._config_module.ConfigModule": true,
	"numpy.testing._private.utils.runstring": true, "numpy.load": true,
	"io.FileIO": true, "io.open": true, "io.open_code": true, "logging.FileHandler": true,
	"pkgutil.resolve_name": true, "pkgutil.get_data": true,
}

// isDangerous reports whether calling g could run code or touch the system.
func isDangerous(g Global) bool {
	if deniedNames[g.String()] {
		return true
	}
	if g.Module == "uuid" && strings.HasPrefix(g.Name, "_") { // uuid._get_command_stdout runs commands; uuid.UUID is data
		return true
	}
	// The module or any parent package: "urllib.request" is denied by "urllib".
	for m := g.Module; ; {
		if deniedModules[m] {
			return true
		}
		i := strings.LastIndexByte(m, '.')
		if i < 0 {
			return false
		}
		m = m[:i]
	}
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
