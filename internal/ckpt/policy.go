package ckpt

import "strings"

// Verdict is the policy's judgement of one global a pickle references. The
// package doc has the policy as a table.
type Verdict int

const (
	// Unknown: neither allowed nor known to be dangerous. Reading it is inert
	// (this package never imports or calls anything), but torch.load would
	// import its module and may call it, so a person should look first.
	Unknown Verdict = iota
	// Allowed: plain data that torch.load(weights_only=True) accepts, or a
	// class a Lightning checkpoint legitimately holds (see [Global.WeightsOnly]).
	Allowed
	// Dangerous: importing or calling it under torch.load would start a
	// process, touch files or the network, evaluate code, load another pickle
	// or walk attributes (getattr-style) to reach such a thing.
	Dangerous
)

func (v Verdict) String() string {
	switch v {
	case Allowed:
		return "allowed"
	case Dangerous:
		return "dangerous"
	}
	return "unknown"
}

// Classify judges g (canonical, as [Reader.Globals] holds them). A dotted
// name (protocol 4 resolves "os.system" in module "posixpath" by walking
// attributes) is judged by everything it may resolve to: dangerous if any
// reading of it is, allowed only if its plain reading is, unknown otherwise.
func Classify(g Global) Verdict {
	if dangerousName(g.Name) {
		return Dangerous
	}
	for _, c := range resolutions(g) {
		if isDangerous(c) {
			return Dangerous
		}
	}
	if !strings.Contains(g.Name, ".") && allowed(g) {
		return Allowed
	}
	return Unknown
}

// WeightsOnly reports whether torch.load(weights_only=True) accepts g with
// its default allow-list (torch ≥ 2.4; nothing added with
// torch.serialization.add_safe_globals).
func (g Global) WeightsOnly() bool { return torchAllowed(g) }

// resolutions lists the globals a possibly dotted name may resolve to. For
// module m and name "a.b.c" these are m.a.b.c itself, the submodule readings
// (m.a.b).c and (m.a).b.c, and the readings that take an attribute as an
// imported module, with its underscores stripped (tempfile imports os as
// _os): a.b.c, b.c, ….
func resolutions(g Global) []Global {
	out := []Global{g}
	if !strings.Contains(g.Name, ".") {
		return out
	}
	parts := strings.Split(g.Name, ".")
	if len(parts) > 16 {
		parts = parts[len(parts)-16:]
	}
	for split := 1; split < len(parts); split++ {
		name := strings.Join(parts[split:], ".")
		out = append(out, Global{Module: g.Module + "." + strings.Join(parts[:split], "."), Name: name})
		for from := 0; from < split; from++ {
			mod := make([]string, 0, split-from)
			for _, p := range parts[from:split] {
				mod = append(mod, strings.Trim(p, "_"))
			}
			out = append(out, Global{Module: canonicalModule(strings.Join(mod, ".")), Name: name})
		}
	}
	return out
}

// dangerousName catches introspection walks in any module: a name (or any
// attribute in a dotted name) that reaches builtins, globals, code objects
// or the import machinery, or that is one of the modules every other module
// imports (torch.os, tempfile._os are the os module itself).
func dangerousName(name string) bool {
	for _, p := range strings.Split(name, ".") {
		if dunderWalks[p] || importedModules[strings.Trim(p, "_")] {
			return true
		}
	}
	return false
}

// importedModules are dangerous modules that other modules commonly hold as
// attributes, so that module + "os" is the os module.
var importedModules = set("os", "posix", "nt", "sys", "subprocess", "builtins", "importlib", "shutil", "socket",
	"pickle", "ctypes", "runpy", "pty")

var dunderWalks = set(
	"__import__", "__builtins__", "__builtin__", "__loader__", "__spec__", "__build_class__", "__subclasses__",
	"__globals__", "__code__", "__getattribute__", "__getattr__", "__reduce__", "__reduce_ex__",
	"__class__", "__base__", "__bases__", "__mro__", "__dict__", "__self__", "__func__", "__closure__",
	"__setattr__", "__delattr__", "__setstate__", "__call__",
)

// deniedModules are modules whose every member is dangerous to import or
// call: processes, files, network, code loading and evaluation, nested
// unpickling, and the torch/numpy entry points that compile or run code.
// A module denies its submodules ("urllib" covers "urllib.request").
var deniedModules = set(
	// processes and the OS
	"os", "posix", "nt", "subprocess", "_posixsubprocess", "_winapi", "msvcrt", "winreg", "sys", "pty",
	"signal", "multiprocessing", "concurrent.futures.process", "ctypes", "cffi", "platform", "_osx_support",
	"_aix_support", "resource",
	// files
	"shutil", "tempfile", "fileinput", "linecache", "shelve", "dbm", "sqlite3", "zipfile", "tarfile",
	"mailbox", "logging.config", "logging.handlers",
	// network
	"socket", "socketserver", "ssl", "asyncio", "urllib", "urllib3", "http", "httplib",
	"ftplib", "telnetlib", "smtplib", "smtpd", "poplib", "imaplib", "nntplib", "xmlrpc", "requests", "httpx",
	"aiohttp", "webbrowser", "antigravity",
	// code loading and evaluation
	"runpy", "importlib", "zipimport", "imp", "pkgutil", "site", "code", "codeop", "pdb", "bdb", "trace",
	"profile", "cProfile", "timeit", "pydoc", "venv", "ensurepip", "pip", "setuptools", "distutils",
	"commands",
	// nested unpickling
	"pickle", "cPickle", "marshal", "dill", "cloudpickle", "joblib", "pandas.io.pickle",
	// torch and numpy entry points that load pickles, compile or run code
	"torch.hub", "torch.jit", "torch._dynamo", "torch._inductor", "torch.fx", "torch.package",
	"torch.utils.collect_env", "torch.utils.cpp_extension", "torch.utils.benchmark", "torch.utils.bottleneck",
	"torch.utils.data.datapipes.utils.decoder", "torch.testing._internal", "torch.distributed.rpc",
	"torch.multiprocessing", "torch._export", "torch.export", "torch.onnx",
	"numpy.f2py", "numpy.distutils", "numpy.testing", "numpy.ctypeslib", "numpy.lib.npyio",
)

// deniedNames are single dangerous members of otherwise harmless modules.
var deniedNames = set(
	"builtins.eval", "builtins.exec", "builtins.execfile", "builtins.compile", "builtins.getattr",
	"builtins.setattr", "builtins.delattr", "builtins.apply", "builtins.open", "builtins.breakpoint",
	"builtins.input", "builtins.globals", "builtins.locals", "builtins.vars", "builtins.exit",
	"builtins.quit", "builtins.help", "builtins.reload", "builtins.file",
	"functools.reduce", "operator.attrgetter", "operator.itemgetter", "operator.methodcaller", "operator.call",
	"types.CodeType", "types.FunctionType", "types.MethodType", "types.LambdaType",
	"torch.load", "torch.serialization.load", "torch.storage._load_from_bytes", "torch.compile",
	"torch.utils._config_module.ConfigModule", "torch.ops.load_library", "torch._ops.load_library",
	"numpy.load", "numpy.fromfile", "numpy.memmap", "numpy.loadtxt", "numpy.genfromtxt", "numpy.save",
	"pandas.read_pickle",
	"io.FileIO", "io.open", "io.open_code", "codecs.open", "codecs.EncodedFile", "logging.FileHandler",
	"logging.basicConfig", "gzip.open", "gzip.GzipFile", "bz2.open", "bz2.BZ2File", "lzma.open", "lzma.LZMAFile",
	"yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load",
	"yaml.full_load_all", "yaml.Loader", "yaml.UnsafeLoader", "yaml.FullLoader",
	"typing.get_type_hints", "typing._eval_type", "typing.ForwardRef",
)

// isDangerous reports whether importing or calling g could run code or touch
// the system. g is one reading of a name; see [Classify].
func isDangerous(g Global) bool {
	if deniedNames[g.String()] {
		return true
	}
	if g.Module == "uuid" && strings.HasPrefix(g.Name, "_") { // uuid._get_command_stdout runs commands; uuid.UUID is data
		return true
	}
	// The module or any parent package: "urllib.request" is denied by
	// "urllib". Private twins (_socket, _ssl, _ctypes, …) count as the module.
	for m := g.Module; ; {
		if deniedModules[m] || deniedModules[strings.TrimPrefix(m, "_")] {
			return true
		}
		i := strings.LastIndexByte(m, '.')
		if i < 0 {
			return false
		}
		m = m[:i]
	}
}

// torchAllowed mirrors torch's default weights_only allow-list
// (torch/_weights_only_unpickler.py _get_allowed_globals, torch 2.4–2.6).
func torchAllowed(g Global) bool {
	s := g.String()
	if torchAllowList[s] {
		return true
	}
	switch g.Module {
	case "torch", "torch.cuda":
		if _, ok := storageDTypes[g.Name]; ok {
			return true
		}
		if torchTensorClasses[g.Name] {
			return true
		}
		if g.Module == "torch" && (torchDTypes[g.Name] || torchLayouts[g.Name]) {
			return true
		}
	case "torch._utils":
		return strings.HasPrefix(g.Name, "_rebuild_") && g.Name != "_rebuild_device_tensor_from_numpy"
	}
	return false
}

var torchAllowList = set(
	"collections.OrderedDict", "collections.Counter", "torch.nn.parameter.Parameter", "torch.Tensor",
	"torch.Size", "torch.device", "torch.dtype", "torch.serialization._get_layout", "torch._tensor._rebuild_from_type_v2",
	"torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch.storage._TypedStorage",
	"builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.complex", "_codecs.encode",
)

var torchTensorClasses = set(
	"FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor",
	"CharTensor", "ByteTensor", "BoolTensor",
)

var torchDTypes = set(
	"float32", "float", "float64", "double", "float16", "half", "bfloat16", "complex32", "chalf", "complex64",
	"cfloat", "complex128", "cdouble", "int8", "int16", "short", "int32", "int", "int64", "long", "uint8",
	"uint16", "uint32", "uint64", "bool", "quint8", "qint8", "qint32", "quint4x2", "quint2x4",
	"float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
)

var torchLayouts = set(
	"strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn", "jagged",
	"contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
	"per_tensor_affine", "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
	"per_channel_affine_float_qparams",
)

// lightningData are the classes a Lightning checkpoint holds beyond torch's
// list: inert containers and values that this package decodes as data.
var lightningData = set(
	"builtins.object", "builtins.list", "builtins.dict", "builtins.tuple", "builtins.str", "builtins.int",
	"builtins.float", "builtins.bool", "builtins.bytes", "builtins.slice", "builtins.range",
	"copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__",
	"collections.defaultdict", "collections.deque", "argparse.Namespace", "types.SimpleNamespace",
	"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePath", "pathlib.PurePosixPath",
	"pathlib.PureWindowsPath", "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta",
	"datetime.timezone", "decimal.Decimal", "fractions.Fraction", "uuid.UUID",
	"functools.partial", "operator.getitem",
	"numpy.core.multiarray._reconstruct", "numpy.core.multiarray.scalar", "numpy.core.numeric._frombuffer",
	"numpy.ndarray", "numpy.dtype", "numpy.random._pickle.__randomstate_ctor",
	"numpy.random._pickle.__generator_ctor", "numpy.random._pickle.__bit_generator_ctor",
	"omegaconf.dictconfig.DictConfig", "omegaconf.listconfig.ListConfig", "omegaconf.base.Metadata",
	"omegaconf.base.ContainerMetadata", "omegaconf.base.Container", "omegaconf.base.Node",
	"lightning.pytorch.utilities.parsing.AttributeDict", "lightning.fabric.utilities.data.AttributeDict",
)

// lightningDataModules hold only data classes; their capitalised members
// (classes, by Python convention) are allowed.
var lightningDataModules = []string{
	"omegaconf.nodes", "typing", "numpy.dtypes", "lightning.pytorch.callbacks", "lightning.pytorch.trainer.states",
	"torch.optim",
}

// numpyScalarTypes are numpy's scalar classes (np.float64, …) as bare class
// references.
var numpyScalarTypes = set(
	"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8",
	"bool_", "complex64", "complex128", "str_", "bytes_", "longlong", "ulonglong", "intc", "uintc",
)

// allowed reports whether g is plain data: torch's weights_only list or one
// of the Lightning data classes above.
func allowed(g Global) bool {
	if torchAllowed(g) || lightningData[g.String()] {
		return true
	}
	if g.Module == "numpy" && numpyScalarTypes[g.Name] {
		return true
	}
	if g.Name == "" || g.Name[0] < 'A' || g.Name[0] > 'Z' {
		return false
	}
	for _, m := range lightningDataModules {
		if g.Module == m || strings.HasPrefix(g.Module, m+".") {
			return true
		}
	}
	return false
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
