#!/usr/bin/python3
"""Checks generated 1.0 sidecars the way their Python consumers would, and against their
sources, independently of the Go code:

1. yaml.safe_load + the strict CheckpointMetadataV1 (strict_model.py);
2. every fact that has a source is compared with that source read by the real libraries:
   the checkpoint with Python's pickle module (a torch-free loader below: importing torch
   costs seconds), the Hydra config with OmegaConf (which does its own interpolation), the
   file name.

Usage: check_sidecars.py OUTPUTS_ROOT SIDECAR...
Prints one JSON line per sidecar ({"file", "errors"}) and exits 1 when any has errors.
"""

import io
import json
import math
import os
import pickle
import re
import struct
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import yaml  # noqa: E402
import strict_model  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402


# --- a torch-free checkpoint loader ----------------------------------------------------
# torch takes seconds to import on a busy machine, so checkpoints are read with the pickle
# module itself: tensors become scalars read from their storage (or None), classes that are
# not needed (Lightning's, numpy's dtype machinery) become plain stand-ins. This is a second,
# independent reader next to internal/ckpt, not a copy of it.

DTYPES = {"FloatStorage": ("<f", 4), "DoubleStorage": ("<d", 8), "HalfStorage": ("<e", 2),
          "LongStorage": ("<q", 8), "IntStorage": ("<i", 4), "BoolStorage": ("<?", 1)}


class Lazy:
    """A tensor: its storage key and dtype; the first element once storages are read."""

    def __init__(self, ref, offset):
        self.ref, self.offset, self.value = ref, offset, None

    def __float__(self):
        return float(self.value)


def stand_in(module, name):
    if name == "AttributeDict" or name == "OrderedDict":
        return dict
    return type(name, (), {"__module__": module, "__qualname__": name,
                           "__setstate__": lambda self, st: None})


class Unpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages  # key -> (fmt, size)

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda storage, offset, *rest: Lazy(storage, offset)
        if module == "torch" and name.endswith("Storage"):
            return DTYPES.get(name, ("<f", 4))
        if module == "collections" and name == "OrderedDict":
            return dict
        if module.startswith("numpy") or module.startswith("omegaconf") or module.startswith("typing"):
            return super().find_class(module, name)
        if module in ("builtins", "__builtin__", "copyreg", "copy_reg", "_codecs", "argparse", "pathlib", "collections"):
            return super().find_class(module, name)
        return stand_in(module, name)

    def persistent_load(self, pid):
        _, dtype, key, _, numel = pid[:5]
        self.storages[key] = dtype
        return key


def load_checkpoint(path):
    storages = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))
            obj = Unpickler(io.BytesIO(z.read(pkl)), storages).load()
            base = pkl[: -len("data.pkl")] + "data/"
            data = {k: z.read(base + k) for k in storages}
    else:
        with open(path, "rb") as f:
            for _ in range(3):  # magic, protocol, sys_info
                pickle.load(f)
            obj = Unpickler(f, storages).load()
            keys = pickle.load(f)
            data = {}
            for k in keys:
                (n,) = struct.unpack("<q", f.read(8))
                data[k] = f.read(n * storages[k][1])
    resolve(obj, storages, data, set())
    return obj


def resolve(v, storages, data, seen):
    if id(v) in seen:
        return
    seen.add(id(v))
    if isinstance(v, Lazy):
        fmt, size = storages[v.ref]
        raw = data[v.ref][v.offset * size:(v.offset + 1) * size]
        v.value = struct.unpack(fmt, raw)[0] if len(raw) == size else None
    elif isinstance(v, dict):
        for k, x in v.items():
            resolve(x, storages, data, seen)
    elif isinstance(v, (list, tuple)):
        for x in v:
            resolve(x, storages, data, seen)


def select(cfg, key):
    """A config value resolved by OmegaConf; None when missing or unresolvable."""
    if cfg is None:
        return None
    try:
        v = OmegaConf.select(cfg, key, throw_on_resolution_failure=False, throw_on_missing=False)
    except Exception:
        return None
    if OmegaConf.is_config(v):
        return OmegaConf.to_container(v, resolve=False)
    return v


def close(a, b):
    return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)


def check(root, path):
    errors = []

    def expect(what, got, want):
        if isinstance(want, float) or isinstance(got, float):
            if not (got is None and want is None) and not close(got, want):
                errors.append(f"{what}: sidecar {got!r}, source {want!r}")
        elif got != want:
            errors.append(f"{what}: sidecar {got!r}, source {want!r}")

    try:
        strict_model.check(path)
    except Exception as e:
        errors.append("strict model: " + " ".join(str(e).split()))
    with open(path) as f:
        doc = yaml.safe_load(f)

    ckpt_path = os.path.join(root, doc["checkpoint_path"])
    ck = load_checkpoint(ckpt_path)
    cfg = None
    if doc.get("hydra_config_path"):
        cfg = OmegaConf.load(os.path.join(root, doc["hydra_config_path"]))
    hp = ck.get("hyper_parameters")
    if hp is not None and OmegaConf.is_config(hp):
        hp = OmegaConf.to_container(hp, resolve=False)
    name = os.path.basename(ckpt_path)

    # training
    tr = doc["training"]
    expect("training.epoch", tr["epoch"], ck.get("epoch", _from_name(r"epoch[=_-](\d+)", name)))
    expect("training.global_step", tr["global_step"], ck.get("global_step", _from_name(r"step[=_-](\d+)", name)))
    want_max = (hp or {}).get("max_epochs") or select(cfg, "trainer.max_epochs")
    expect("training.max_epochs", tr.get("max_epochs"), want_max if want_max and want_max > 0 else None)

    # metrics: cleval_metrics, else the file name
    m = doc["metrics"]
    cl = ck.get("cleval_metrics") or {}
    hmean = cl.get("hmean", cl.get("f1"))
    if hmean is None:
        found = re.search(r"hmean[=:_-](\d*\.\d+)", name)
        hmean = float(found.group(1)) if found else None
    expect("metrics.hmean", m.get("hmean"), None if hmean is None else float(hmean))
    expect("metrics.precision", m.get("precision"), None if cl.get("precision") is None else float(cl["precision"]))
    expect("metrics.recall", m.get("recall"), None if cl.get("recall") is None else float(cl["recall"]))

    # callback state: monitor from the state, mode from the state key; best score only for
    # the file that is the best one
    monitor, mode, own = None, None, {}
    for key, state in (ck.get("callbacks") or {}).items():
        kname = key if isinstance(key, str) else key.__qualname__  # pre-1.5: the class
        if not kname.split("{")[0].endswith("ModelCheckpoint"):
            continue
        monitor = state.get("monitor")
        found = re.search(r"'mode': '(min|max)'", kname)
        mode = found.group(1) if found else None
        score = float(state["best_model_score"])
        if os.path.basename(state.get("best_model_path", "")) == name and not math.isnan(score):
            own[monitor] = score
    expect("metrics.additional_metrics", m.get("additional_metrics"), own)
    cp = doc["checkpointing"]
    cb = select(cfg, "callbacks.model_checkpoint") or select(cfg, "training.callbacks.model_checkpoint") or {}
    expect("checkpointing.monitor", cp["monitor"], monitor or cb.get("monitor") or "unknown")
    monitored = (monitor or cb.get("monitor") or "").lower().replace(".", "/").split("/")[-1]
    guess = "min" if any(w in monitored for w in ("loss", "err", "cer", "wer")) else "max"
    expect("checkpointing.mode", cp["mode"], mode or cb.get("mode") or guess)
    # Unknown: the 1.0 model's defaults (the Jan-2026 model requires the keys).
    expect("checkpointing.save_top_k", cp["save_top_k"], cb.get("save_top_k", 1))
    expect("checkpointing.save_last", cp["save_last"], cb.get("save_last", True))

    # experiment
    exp = (hp or {}).get("exp_name") or select(cfg, "exp_name")
    if not exp:
        parts = os.path.normpath(ckpt_path).split(os.sep)
        i = len(parts) - 1 - parts[::-1].index("checkpoints") - 1
        exp = parts[i]
        if re.fullmatch(r"\d{8}_\d{4,6}(_\d+)*|\d{2}-\d{2}-\d{2}", exp):
            exp = parts[i - 1]  # a timestamped run directory: the experiment is above it
    expect("exp_name", doc["exp_name"], exp)
    expect("wandb_run_id", doc.get("wandb_run_id"), select(cfg, "logger.wandb.id"))

    # model: hyper_parameters first, then the Hydra overrides, then the presets
    model = doc["model"]
    hmodel = (hp or {}).get("model") if isinstance((hp or {}).get("model"), dict) else (hp or {})
    arch = (hmodel.get("architecture_name") or (hp or {}).get("architecture_name")
            or select(cfg, "model.architecture_name") or select(cfg, "model.architectures"))
    if not arch and doc.get("hydra_config_path"):
        arch = hydra_preset(os.path.dirname(os.path.join(root, doc["hydra_config_path"])))
    if not arch and select(cfg, "model._target_"):
        arch = select(cfg, "model._target_").rsplit(".", 1)[-1].lower()
    expect("model.architecture", model["architecture"], arch or "unknown")

    # A component_overrides entry is laid over the preset key by key (its params flattened);
    # the name comes from the strongest description that has a name or a _target_.
    def layers(p):
        if isinstance(hmodel.get(p), dict):
            return [hmodel[p]]
        paths = [f"model.component_overrides.{p}", f"model.{p}", f"model.architecture.{p}"]
        if p == "encoder":
            paths.append("model.architecture.backbone")
        return [v for v in (select(cfg, q) for q in paths) if isinstance(v, dict)]

    def part(p):
        merged, name = {}, None
        for layer in layers(p):
            flat = dict({k: v for k, v in layer.items() if k not in ("name", "_target_", "params")},
                        **(layer.get("params") or {}))
            for k, v in flat.items():
                merged.setdefault(k, v)
            own = flat.get("model_name") if p == "encoder" else None
            if name is None and (own or layer.get("name") or layer.get("_target_")):
                name = own or layer.get("name") or layer["_target_"].rsplit(".", 1)[-1].lower()
        if name is not None:
            merged["name"] = name
        return merged

    enc = part("encoder") or {}
    enc_name = enc.get("name") or "unknown"  # the strongest description that names it
    expect("model.encoder.model_name", model["encoder"]["model_name"], enc_name)
    eparams = dict(enc, **(enc.get("params") or {}))
    expect("model.encoder.pretrained", model["encoder"]["pretrained"], eparams.get("pretrained", True))
    expect("model.encoder.frozen", model["encoder"]["frozen"], eparams.get("frozen", False))
    for p in ("decoder", "head", "loss"):
        src = part(p) or {}
        expect(f"model.{p}.name", model[p]["name"], src.get("name") or "unknown")
    dec = part("decoder") or {}
    dparams = dec
    expect("model.decoder.inner_channels", model["decoder"].get("inner_channels"), dparams.get("inner_channels"))
    expect("model.decoder.output_channels", model["decoder"].get("output_channels"),
           dparams.get("output_channels", dparams.get("out_channels")))
    expect("model.decoder.in_channels", model["decoder"]["in_channels"], dparams.get("in_channels", []))
    loss = part("loss") or {}
    lparams = loss
    for k, v in model["loss"]["params"].items():
        expect(f"model.loss.params.{k}", v, lparams.get(k))
    head = part("head") or {}
    hparams_ = head
    for k, v in model["head"]["params"].items():
        expect(f"model.head.params.{k}", v, hparams_.get(k))
    if model["head"].get("in_channels") is not None or isinstance(head.get("in_channels"), int):
        expect("model.head.in_channels", model["head"].get("in_channels"), head.get("in_channels"))
    return errors


def hydra_preset(hydra_dir):
    """The model/architectures option the run was composed with: the task override in
    hydra.yaml, else its runtime choice, else overrides.yaml."""
    task, choices = None, {}
    try:
        with open(os.path.join(hydra_dir, "hydra.yaml")) as f:
            h = (yaml.safe_load(f) or {}).get("hydra") or {}
        task = (h.get("overrides") or {}).get("task") or []
        choices = (h.get("runtime") or {}).get("choices") or {}
    except FileNotFoundError:
        try:
            with open(os.path.join(hydra_dir, "overrides.yaml")) as f:
                task = yaml.safe_load(f) or []
        except FileNotFoundError:
            pass
    found = None
    for o in task or []:
        key, _, val = o.partition("=")
        if key.lstrip("+~").split("@")[0] in ("model/architectures", "model/architecture") and val:
            found = val.strip("'\"").rsplit("/", 1)[-1]
    if found:
        return found
    for g in ("model/architectures", "model/architecture"):
        if choices.get(g):
            return str(choices[g]).rsplit("/", 1)[-1]
    return None


def _from_name(pattern, name):
    found = re.search(pattern, name)
    return int(found.group(1)) if found else None


def main(argv):
    root, files = argv[0], argv[1:]
    failed = False
    for path in files:
        try:
            errors = check(root, path)
        except Exception as e:
            errors = [f"{type(e).__name__}: {e}"]
        failed = failed or bool(errors)
        print(json.dumps({"file": path, "errors": errors}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
