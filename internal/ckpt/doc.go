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
//   - A bounded pre-scan checks every opcode before the decoder sees it: every
//     declared length must fit in the bytes that remain, and opcode count,
//     MARK depth and memo size are capped. Extension codes, INST/OBJ, text
//     persistent ids and out-of-band buffers are rejected.
//   - Every global the pickle names is resolved to an inert stand-in that only
//     records its arguments. Nothing is ever imported, called or executed.
//     Globals on a deny list (os.system, builtins.eval, subprocess.*, …) are
//     reported in [Reader.Dangerous]; deciding what to do is the caller's job.
//   - Decoding runs under recover, conversion to Go values has a depth limit,
//     a node budget and cycle detection. Bad input yields a [*FormatError],
//     [*UnsupportedError] or an I/O error naming the file, never a panic.
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
