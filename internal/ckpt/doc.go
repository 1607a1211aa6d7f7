// Package ckpt reads the metadata of PyTorch (Lightning) checkpoints without
// running any of the code a checkpoint may name and without reading tensor data.
//
// A checkpoint written by torch.save is a pickle plus raw tensor storages,
// either in a zip archive (torch ≥ 1.6, [FormatZip]) or as a stream of pickles
// followed by the storages ([FormatLegacy]). [NewReader] and [Open] read the
// zip central directory (or the legacy pickle headers) and the object pickle,
// decode it with a restricted unpickler into plain Go values, and return a
// [Reader]. Nothing else of the file is read, except at most 16 bytes per
// scalar tensor outside the bulk state (see [Tensor.Value]), so the cost of
// opening a multi-gigabyte checkpoint scales with its pickle, not its size.
//
// # Safety
//
// The pickle is treated as hostile input:
//
//   - data.pkl is at most 16 MiB (a 20,000-tensor checkpoint's is 2 MB) and
//     is read into one buffer of its declared size.
//   - A bounded pre-scan checks every opcode before the decoder sees it: every
//     declared length must fit in the bytes that remain (before anything is
//     allocated), integers are at most 1024 bytes (LONG1/LONG4), and opcode
//     count, MARK depth and stack depth are capped. Values, containers and
//     memo entries have budgets proportional to the pickle's size (one per 4,
//     8 and 4 bytes, plus a little slack; real pickles spend about 5, 12 and
//     more) and absolute caps (512 Ki, 256 Ki, 256 Ki), so no single input
//     decodes into more than about 64 MB (TestHostileMemory measures each
//     class of hostile input in its own process). Extension codes, INST/OBJ,
//     text persistent ids and out-of-band buffers are rejected.
//   - Integers beyond 64 bits are kept as decimal strings; a field that needs
//     an int64 (epoch, global_step) is then simply not an integer.
//   - Every global the pickle names is resolved to an inert stand-in that only
//     records its arguments. Nothing is ever imported, called or executed.
//     Each global gets a [Verdict] (see "Pickle policy"); dangerous ones are
//     in [Reader.Dangerous], unknown ones in [Reader.Unknown]; deciding what
//     to do is the caller's job.
//   - Decoding runs under recover, conversion to Go values has a depth limit,
//     a node budget and cycle detection. Bad input yields a [*FormatError],
//     [*UnsupportedError] or an I/O error naming the file, never a panic.
//
// # Pickle policy
//
// [Classify] sorts every global a pickle references into three kinds. The
// question it answers is "what would happen under torch.load", because that is
// how people read the verdict; this package itself runs nothing either way.
//
//	| verdict   | what                                                          | examples |
//	|-----------|---------------------------------------------------------------|----------|
//	| allowed   | torch's default weights_only allow-list (torch 2.4–2.6)       | collections.OrderedDict/Counter, torch.Size/Tensor/device, dtypes, layouts, memory formats, torch.*Storage and *Tensor classes, torch._utils._rebuild_*, torch._tensor._rebuild_from_type_v2, torch.nn.parameter.Parameter, torch.serialization._get_layout, builtins.set/frozenset/bytearray/complex, _codecs.encode |
//	| allowed   | classes a Lightning checkpoint holds as data; torch.load needs torch.serialization.add_safe_globals for them | builtins.object/list/dict/tuple/str/int/float/bool/bytes/slice/range; copyreg._reconstructor/__newobj__/__newobj_ex__; collections.defaultdict/deque; argparse.Namespace; types.SimpleNamespace; pathlib.*Path; datetime.datetime/date/time/timedelta/timezone; decimal.Decimal; fractions.Fraction; uuid.UUID; functools.partial; operator.getitem (typing generics); numpy.ndarray, numpy.dtype, numpy.core.multiarray._reconstruct/scalar, numpy.core.numeric._frombuffer, numpy scalar types, numpy.dtypes.*, numpy.random._pickle ctors; omegaconf DictConfig/ListConfig, omegaconf.base.Metadata/ContainerMetadata/Container/Node, omegaconf.nodes.*; typing.* classes; lightning AttributeDict, lightning.pytorch.callbacks.* and trainer.states.* classes; torch.optim.* classes (Hydra `_partial_: true` optimizers and schedulers) |
//	| dangerous | importing or calling it under torch.load starts a process, touches files or the network, evaluates or compiles code, loads another pickle, or walks attributes to reach such things | os/posix/nt, subprocess, sys, pty, signal, multiprocessing, ctypes, platform, _osx_support; shutil, tempfile, fileinput, linecache, shelve, dbm, sqlite3, zipfile, tarfile, logging.config, logging.handlers, io.open/FileIO/open_code, codecs.open, gzip/bz2/lzma open, logging.FileHandler/basicConfig; socket, ssl, asyncio, urllib, http, ftplib, smtplib, poplib, imaplib (IMAP4_stream runs a command), nntplib, telnetlib, xmlrpc, requests, webbrowser, antigravity; builtins eval/exec/compile/getattr/setattr/delattr/open/__import__/breakpoint/input/globals/locals/vars; runpy, importlib, pkgutil, site, code, codeop, pdb, timeit, trace, profile, pydoc, venv, pip, setuptools, distutils (spawn); pickle, marshal, dill, cloudpickle, joblib, torch.load, torch.serialization.load, torch.storage._load_from_bytes, numpy.load, pandas.read_pickle, yaml.load/unsafe_load/full_load and their Loaders; types.CodeType/FunctionType/MethodType; functools.reduce, operator.attrgetter/itemgetter/methodcaller/call; typing.get_type_hints/ForwardRef; torch.hub, torch.jit, torch.compile, torch._dynamo, torch._inductor, torch.fx (source compilation), torch.package, torch.utils.collect_env (run), torch.utils.cpp_extension, torch.utils.benchmark, torch.utils.data.datapipes.utils.decoder, torch.utils._config_module.ConfigModule, torch.multiprocessing, torch.distributed.rpc; numpy.f2py, numpy.distutils, numpy.testing, numpy.ctypeslib; uuid._* helpers; any name walking __globals__, __builtins__, __subclasses__, __dict__, __class__, … |
//	| unknown   | everything else: user classes, enums, dataclasses, torch.nn modules | src.models.SimpleDenseNet, torch.nn.modules.linear.Linear, my_project.Mode |
//
// Rules that apply before the table:
//
//   - A module denies its submodules (urllib denies urllib.request) and its
//     private twin (_socket is socket); Python 2 names are mapped as
//     Python's fix_imports maps them (__builtin__.reduce is functools.reduce,
//     urllib2 is urllib.request).
//   - Qualified names are resolved first. Protocol 4 looks dotted names up by
//     walking attributes, so module posixpath with name os.system is
//     os.system. A dotted name is dangerous if any reading of it is
//     (posixpath + os.system, tempfile + _os.system, torch + os.system,
//     torch + hub.load), and never allowed.
//   - functools.partial, REDUCE and NEWOBJ are judged by what they wrap: every
//     callable in a pickle is itself a global the pickle names, so
//     partial(os.system, …) is dangerous through os.system, while
//     partial(torch.optim.Adam, lr=…) and partial of an unknown class are
//     data. Dataclasses and enums are unknown, not dangerous.
//   - builtins.getattr is dangerous, except when every use of it is
//     getattr(<global>, "<identifier>"), the way Python ≥ 3.11 pickles an enum
//     member (getattr(Mode, "MAX")): then the read is judged as the dotted
//     global Mode.MAX (getattr(torch.os, "system") is torch.os.system, which
//     is dangerous) and getattr itself is unknown. Stored, used as a key,
//     wrapped in partial or called any other way, getattr is dangerous.
//   - A name that is one of the modules every module imports (os, sys,
//     subprocess, builtins, …, underscores ignored) is that module:
//     torch + os and tempfile + _os are dangerous.
//
// The summary's weights_only verdict follows: "loads" when every global is
// on torch's default list, "needs_safe_globals" when all are allowed but some
// are Lightning data classes (listed, for add_safe_globals), "refused" when any
// is unknown or dangerous. TestTorchWeightsOnlyAgrees checks with the real
// torch.load that every fixture judged refused is refused.
//
// Compared with torch's weights_only unpickler (torch/_weights_only_unpickler.py,
// an allow-list: anything off the list, user additions aside, is refused),
// "allowed" is torch's list plus the Lightning data classes, which torch
// accepts only after add_safe_globals; "unknown" and "dangerous" are both
// refused by torch. Compared with picklescan (a deny-list over every global,
// with a few safe globals, and "suspicious" for anything unlisted), the
// dangerous set contains picklescan's _unsafe_globals (builtins
// eval/exec/compile/getattr/apply/open/breakpoint; os, posix, nt, subprocess,
// sys, socket, shutil, runpy, pickle, pdb, pty, pip, webbrowser, ctypes,
// asyncio, urllib.request, timeit, venv, pydoc; operator getters;
// torch.serialization.load; torch._inductor; types.CodeType;
// logging.FileHandler; io.FileIO; pkgutil.resolve_name) except
// functools.partial, which picklescan denies outright and this policy judges
// by its target (Hydra writes partial(optimizer class) into every
// lightning-hydra-template checkpoint). It adds the gadget families
// picklescan's list missed (imaplib, _osx_support, logging.config,
// distutils.spawn, codecs.open, torch.utils.collect_env, torch.fx,
// torch.hub, yaml.unsafe_load, …) and resolves qualified names, which a
// module-only deny-list lets through. A deny-list is never complete: that is
// why anything not known to be data is reported as unknown rather than safe.
//
// # Values
//
// [Reader.Root] holds plain values: map[string]any for dicts and dict-like
// objects (OrderedDict, defaultdict, AttributeDict, argparse.Namespace,
// OmegaConf DictConfig), []any for list/tuple/set/ListConfig, string, int64
// (big integers as decimal strings), float64, bool, nil, []byte, *[Tensor],
// [Global] for a bare class reference and *[Object] for any other instance.
// Non-string dict keys are stringified ("module.Name" for classes, decimal
// for integers). A container the pickle references more than once (memo)
// may be shared within Root, so treat Root as read-only. Global names are canonicalised: pytorch_lightning.* is
// reported as lightning.pytorch.*, __builtin__ as builtins, copy_reg as
// copyreg, numpy._core as numpy.core, pathlib._local as pathlib.
//
// # Errors
//
// Every error names the file. Content problems are a [*FormatError]
// (errors.Is [ErrFormat]; also [ErrTruncated] for an empty or cut-off file,
// a zip without its end record or a legacy stream shorter than its
// storages, and [ErrLimit] when a safety limit was hit). Recognised but
// unsupported kinds (TorchScript, tar-era, sharded directories) are an
// [*UnsupportedError] (errors.Is [ErrUnsupported]). I/O errors are wrapped
// unchanged, so errors.Is(err, fs.ErrNotExist) works.
//
// The package never prints and never writes files.
package ckpt
