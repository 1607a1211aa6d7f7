#!/usr/bin/python3
"""Writes testdata/outputs/: a small, deterministic sample of a real training outputs tree.

Run from anywhere with Debian's python3 (torch, numpy, omegaconf, yaml); pytorch_lightning
is not needed: checkpoints are Lightning-shaped dicts, and the few classes whose names end
up in the pickle (pre-1.5 callback keys, AttributeDict) come from stand-in modules put in
sys.modules under their real names.

The tree covers the Hydra eras of the original project (reference §7) and its file names
(§4.3):

  ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/   Oct 2025: architectures +
      component_overrides + top-level callbacks.model_checkpoint + unresolved ${...};
      best.ckpt, best-v1.ckpt, last.ckpt; Lightning 2.1 UniqueModelCheckpoint keys.
    checkpoints/pan_resnet18_add_polygons_canonical/checkpoints/epoch-18_step-001957.ckpt
      a run nested in another run's checkpoints dir (as in the seed); it has no Hydra
      config of its own, and the outer run's config is not its config.
  experiments/train/ocr/parseq_baseline/20260111_104512_42/  Jan 2026: architecture_name +
      training.callbacks; recognition model; OmegaConf DictConfig hyper_parameters.
  det_resnet50_v1/                                           v5: only _target_ keys, no
      exp_name; epoch=10-step=1133.ckpt is weights-only (no callback state).
  transforms_test-dbnetpp-dbnetpp_decoder-resnet18/          Oct 2025 config;
      epoch-18_step-003895.ckpt, best-hmean-0.8920.ckpt (metric only in the name).
  pan_resnet18_no_polygons_canonical/                        no Hydra config; legacy
      (non-zip) torch format; Lightning 1.4 with class-object callback keys and
      AttributeDict hyper_parameters.
  canonical-fix2-dbnet-fpn_decoder-mobilenetv3_small_050/    no Hydra config, bare
      checkpoint (epoch, step, weights): every model fact unknown.

Tensors are tiny and seeded, so the whole tree stays well under 300 KB and rebuilding
it gives the same bytes. Rebuilding replaces only checkpoints and Hydra configs; sidecars
kept in the tree by other tests are left alone.
"""

import datetime
import os
import sys
import types
from collections import OrderedDict

import numpy as np
import torch
from omegaconf import OmegaConf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "outputs")


# --- stand-in Lightning modules (only their names reach the pickle) -------------------

def _module(name):
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, mod)
    return mod


for _name in ("pytorch_lightning", "pytorch_lightning.callbacks",
              "pytorch_lightning.callbacks.model_checkpoint",
              "pytorch_lightning.callbacks.early_stopping",
              "pytorch_lightning.utilities", "pytorch_lightning.utilities.parsing"):
    _module(_name)


class ModelCheckpoint:  # pre-1.5 callback state is keyed by the class object itself
    pass


ModelCheckpoint.__module__ = "pytorch_lightning.callbacks.model_checkpoint"
sys.modules[ModelCheckpoint.__module__].ModelCheckpoint = ModelCheckpoint


class EarlyStopping:
    pass


EarlyStopping.__module__ = "pytorch_lightning.callbacks.early_stopping"
sys.modules[EarlyStopping.__module__].EarlyStopping = EarlyStopping


class AttributeDict(dict):
    pass


AttributeDict.__module__ = "pytorch_lightning.utilities.parsing"
sys.modules[AttributeDict.__module__].AttributeDict = AttributeDict


# --- helpers ---------------------------------------------------------------------------

def weights(seed, keys):
    """A tiny state_dict: every tensor 2x2 (shape and values do not matter to ckptmeta)."""
    g = torch.Generator().manual_seed(seed)
    return OrderedDict((k, torch.randn(2, 2, generator=g)) for k in keys)


DBNET_KEYS = ["model.encoder.model.conv_stem.weight", "model.decoder.bottom_up.0.pointwise.weight",
              "model.head.binarize.0.weight"]
PARSEQ_KEYS = ["model.encoder.patch_embed.proj.weight", "model.decoder.layers.0.self_attn.in_proj_weight",
               "model.head.weight"]


def cleval(p, r, h, key="hmean", numpy=True):
    conv = np.float64 if numpy else float
    return {"recall": conv(r), "precision": conv(p), key: conv(h)}


def ckpt_state(monitor, best, best_path, current, dirpath, last_path):
    """ModelCheckpoint.state_dict() of Lightning 1.x/2.x: no mode, save_top_k or save_last."""
    return {
        "monitor": monitor,
        "best_model_score": torch.tensor(best),
        "best_model_path": best_path,
        "current_score": torch.tensor(current),
        "dirpath": dirpath,
        "best_k_models": {best_path: torch.tensor(best)},
        "kth_best_model_path": best_path,
        "kth_value": torch.tensor(best),
        "last_model_path": last_path,
    }


def lightning2(epoch, step, version, state_dict, callbacks=None, extra=None, weights_only=False):
    d = OrderedDict()
    d["epoch"] = epoch
    d["global_step"] = step
    d["pytorch-lightning_version"] = version
    d["state_dict"] = state_dict
    d["loops"] = {"fit_loop": {"epoch_progress": {"current": {"completed": epoch}}}}
    if not weights_only:
        d["callbacks"] = callbacks or {}
        d["optimizer_states"] = [{"state": {}, "param_groups": [{"lr": 0.001, "params": [0, 1, 2]}]}]
        d["lr_schedulers"] = []
    d.update(extra or {})
    return d


def write_yaml(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text.lstrip("\n"))


def save(path, obj, legacy=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    if legacy:
        stable_legacy_keys(path)


def stable_legacy_keys(path):
    """The legacy format names storages by memory address (str(_cdata)) and writes them
    in sorted-address order, so two runs differ. Rename the keys to their rank of first
    use ("0000000000", ...) and rewrite the storages in that order. Keys are BINUNICODE
    strings (4-byte length prefix, no offsets elsewhere), so a rename is a local edit."""
    import io
    import pickle
    import struct

    with open(path, "rb") as f:
        data = f.read()

    class Unpickler(pickle.Unpickler):
        seen = []

        def find_class(self, module, name):
            if module.startswith("torch"):
                return lambda *args: None  # tensors are not needed here
            return super().find_class(module, name)

        def persistent_load(self, pid):
            if pid[0] == "storage" and pid[2] not in self.seen:
                self.seen.append(pid[2])

    buf = io.BytesIO(data)
    u = Unpickler(buf)
    for _ in range(4):  # magic, protocol, sys_info, the object
        u.load()
    head_end = buf.tell()
    keys = u.load()
    body = buf.tell()
    # Storages follow in sorted(keys) order: an 8-byte element count, then the bytes.
    blobs = {}
    for key in keys:
        (n,) = struct.unpack("<q", data[body:body + 8])
        size = n * 4  # every tensor here is float32
        blobs[key] = data[body:body + 8 + size]
        body += 8 + size
    assert body == len(data), (body, len(data))
    rename = {k: str(i).zfill(10) for i, k in enumerate(u.seen)}

    def binunicode(text):
        return b"X" + struct.pack("<I", len(text)) + text.encode()

    head = data[:head_end]
    for old, new in rename.items():
        assert head.count(binunicode(old)) == 1, old
        head = head.replace(binunicode(old), binunicode(new))
    order = sorted(rename, key=rename.get)
    tail = pickle.dumps([rename[k] for k in order], protocol=2)
    with open(path, "wb") as f:
        f.write(head + tail + b"".join(blobs[k] for k in order))
    torch.load(path)  # still a valid checkpoint


UNIQUE_KEY = ("UniqueModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, "
              "'every_n_epochs': 1, 'train_time_interval': None}")
EARLY_KEY = "EarlyStopping{'monitor': 'val/loss', 'mode': 'min'}"


def early_state(best):
    return {"wait_count": 2, "stopped_epoch": 0, "best_score": torch.tensor(best), "patience": 5}


# --- experiments -----------------------------------------------------------------------

OCT_CONFIG = """
seed: 42
exp_name: {exp_name}
max_epochs: 25
encoder_path: ocr.models.encoder
decoder_path: ocr.models.decoder
head_path: ocr.models.head
loss_path: ocr.models.loss
model:
  _target_: ocr.models.architecture.OCRModel
  architectures: {arch}
  component_overrides:
    encoder:
      model_name: {encoder}
      select_features:
      - 1
      - 2
      - 3
      - 4
      pretrained: true
    decoder:
      name: {decoder}
      params:
        inner_channels: 96
        output_channels: 128
    head:
      name: db_head
      params:
        k: 50
        postprocess:
          thresh: 0.2
          box_thresh: 0.3
          max_candidates: 300
          use_polygon: true
    loss:
      name: db_loss
      params:
        negative_ratio: 3.0
        prob_map_loss_weight: 5.0
        thresh_map_loss_weight: 10.0
        binary_map_loss_weight: 1.0
  encoder:
    _target_: ${{encoder_path}}.TimmBackbone
    model_name: resnet18
    select_features:
    - 1
    - 2
    - 3
    - 4
    pretrained: true
  decoder:
    _target_: ${{decoder_path}}.UNet
    in_channels:
    - 64
    - 128
    - 256
    - 512
    inner_channels: 256
    output_channels: 256
  head:
    _target_: ${{head_path}}.DBHead
    in_channels: 256
    upscale: 4
    k: 50
  loss:
    _target_: ${{loss_path}}.DBLoss
    negative_ratio: 3.0
    eps: 1.0e-06
  optimizer:
    _target_: torch.optim.Adam
    lr: 0.001
    weight_decay: 0.0001
paths:
  output_dir: ${{hydra:runtime.output_dir}}
  checkpoint_dir: ${{paths.output_dir}}/checkpoints
trainer:
  max_epochs: ${{max_epochs}}
  precision: 32-true
  accelerator: gpu
  devices: 1
callbacks:
  model_checkpoint:
    _target_: ocr.lightning_modules.callbacks.unique_checkpoint.UniqueModelCheckpoint
    dirpath: ${{paths.checkpoint_dir}}
    experiment_tag: ${{oc.env:EXPERIMENT_TAG,${{exp_name}}}}
    training_phase: training
    filename: best
    monitor: val/hmean
    mode: max
    save_top_k: {top_k}
    save_last: true
    auto_insert_metric_name: true
    every_n_epochs: 1
  metadata:
    _target_: ocr.lightning_modules.callbacks.MetadataCallback
    exp_name: ${{exp_name}}
    outputs_dir: ${{paths.output_dir}}
    training_phase: training
logger:
  wandb:
    enabled: true
    project_name: receipt-text-recognition-ocr-project
{wandb_id}metrics:
  eval:
    _target_: ocr.metrics.cleval_metric.CLEvalMetric
"""


def exp_oct():
    run = os.path.join(OUT, "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33")
    write_yaml(os.path.join(run, ".hydra", "config.yaml"), OCT_CONFIG.format(
        exp_name="ocr_training-dbnet-pan_decoder-mobilenetv3_small_050", arch="dbnet",
        encoder="mobilenetv3_small_050", decoder="pan_decoder", top_k=3, wandb_id="    id: tit2247i\n"))
    ck = "/workspace/outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints"
    sd = DBNET_KEYS
    save(os.path.join(run, "checkpoints", "best.ckpt"), lightning2(
        18, 3895, "2.1.3", weights(1, sd),
        callbacks={UNIQUE_KEY: ckpt_state("val/hmean", 0.9525, ck + "/best.ckpt", 0.9525, ck, ck + "/last.ckpt"),
                   EARLY_KEY: early_state(0.4375)},
        extra={"cleval_metrics": cleval(0.9508013093641193, 0.954919726043792, 0.9524925344688172)}))
    save(os.path.join(run, "checkpoints", "best-v1.ckpt"), lightning2(
        14, 3075, "2.1.3", weights(2, sd),
        callbacks={UNIQUE_KEY: ckpt_state("val/hmean", 0.9375, ck + "/best-v1.ckpt", 0.9375, ck, ck + "/last.ckpt"),
                   EARLY_KEY: early_state(0.5)},
        extra={"cleval_metrics": cleval(0.9401, 0.9362, 0.938146)}))
    save(os.path.join(run, "checkpoints", "last.ckpt"), lightning2(
        24, 5175, "2.1.3", weights(3, sd),
        callbacks={UNIQUE_KEY: ckpt_state("val/hmean", 0.9525, ck + "/best.ckpt", 0.9453125, ck, ck + "/last.ckpt"),
                   EARLY_KEY: early_state(0.4375)},
        extra={"cleval_metrics": cleval(0.9466, 0.9441, 0.945348)}))

    # A run nested inside the outer run's checkpoints dir, without its own .hydra.
    nested = os.path.join(run, "checkpoints", "pan_resnet18_add_polygons_canonical", "checkpoints")
    key = ("ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, "
           "'every_n_epochs': 1, 'train_time_interval': datetime.timedelta(seconds=3600)}")
    save(os.path.join(nested, "epoch-18_step-001957.ckpt"), lightning2(
        18, 1957, "2.0.9", weights(4, sd),
        callbacks={key: ckpt_state("val/hmean", 0.890625, "/tmp/x/epoch-18_step-001957.ckpt", 0.890625,
                                   "/tmp/x", "")},
        extra={"cleval_metrics": cleval(0.8874, 0.8938, 0.8906, key="f1", numpy=False)}))


JAN_CONFIG = """
seed: 42
exp_name: parseq_baseline
model:
  name: parseq
  architecture_name: parseq
  architectures: parseq
  component_overrides:
    encoder:
      name: vit
      params:
        model_name: vit_small_patch16_224
        pretrained: true
        frozen: false
    decoder:
      name: parseq_decoder
      params:
        embed_dim: 384
        num_heads: 12
        depth: 1
        dropout: 0.1
    head:
      name: parseq_head
      params:
        in_channels: 384
        charset_size: 96
        max_label_length: 25
    loss:
      name: cross_entropy
      params:
        label_smoothing: 0.1
        ignore_index: 0
        reduction: mean
  _target_: ocr.models.architecture.OCRModel
paths:
  experiments_root: outputs/experiments
  output_dir: ${hydra:runtime.output_dir}
  checkpoint_dir: ${paths.output_dir}/checkpoints
experiment:
  kind: train
  task: ocr
  name: ${exp_name}
  run_id: ${now:%Y%m%d_%H%M%S}_${seed}
trainer:
  max_epochs: 2
  precision: bf16-mixed
training:
  callbacks:
    model_checkpoint:
      _target_: ocr.lightning_modules.callbacks.unique_checkpoint.UniqueModelCheckpoint
      dirpath: ${paths.checkpoint_dir}
      filename: epoch-{epoch:02d}_step-{step:06d}
      monitor: val/cer
      mode: min
      save_top_k: 1
      save_last: false
    early_stopping:
      monitor: val/cer
      mode: min
      patience: 3
    metadata:
      _target_: ocr.lightning_modules.callbacks.MetadataCallback
      exp_name: ${exp_name}
      outputs_dir: ${paths.output_dir}
      training_phase: finetuning
callbacks:
  wandb_image_logging:
    _target_: ocr.lightning_modules.callbacks.WandbImageLogging
logger:
  wandb:
    enabled: true
    project_name: receipt-text-recognition-ocr-project
"""


def exp_jan():
    run = os.path.join(OUT, "experiments", "train", "ocr", "parseq_baseline", "20260111_104512_42")
    write_yaml(os.path.join(run, ".hydra", "config.yaml"), JAN_CONFIG)
    key = ("UniqueModelCheckpoint{'monitor': 'val/cer', 'mode': 'min', 'every_n_train_steps': 0, "
           "'every_n_epochs': 1, 'train_time_interval': None}")
    path = os.path.join(run, "checkpoints", "epoch-01_step-000412.ckpt")
    ck = "/workspace/outputs/experiments/train/ocr/parseq_baseline/20260111_104512_42/checkpoints"
    hp = OmegaConf.create({"exp_name": "parseq_baseline", "model": {"architecture_name": "parseq"},
                           "optimizer": {"lr": 0.0007}})
    save(path, lightning2(
        1, 412, "2.1.3", weights(5, PARSEQ_KEYS),
        callbacks={key: ckpt_state("val/cer", 0.09375, ck + "/epoch-01_step-000412.ckpt", 0.09375, ck, "")},
        extra={"hparams_name": "cfg", "hyper_parameters": hp}))


V5_CONFIG = """
global:
  seed: 42
  paths:
    output_dir: /workspaces/project-artifacts/ocr-external-storage/outputs
    checkpoints: ${global.paths.output_dir}/checkpoints
model:
  _target_: ocr.core.models.architecture.OCRModel
  encoder:
    _target_: ocr.core.models.encoder.TimmBackbone
    model_name: resnet50
    pretrained: true
    output_indices:
    - 1
    - 2
    - 3
    - 4
  decoder:
    _target_: ocr.core.models.decoder.FPNDecoder
    in_channels:
    - 256
    - 512
    - 1024
    - 2048
    inner_channels: 256
    out_channels: 256
  head:
    _target_: ocr.core.models.head.DBHead
    in_channels: 256
    upscale: 4
    binarization_threshold: 0.3
    expand_ratio: 1.5
  loss:
    _target_: ocr.core.models.loss.DBLoss
    alpha: 1.0
    beta: 10.0
    ohem_ratio: 3.0
    reduction: mean
trainer:
  max_epochs: 100
  precision: 16-mixed
  enable_checkpointing: false
callbacks:
  model_checkpoint:
    _target_: ocr.core.lightning.callbacks.unique_checkpoint.UniqueModelCheckpoint
    dirpath: ${global.paths.checkpoint_dir}
    monitor: val/hmean
    mode: max
    save_top_k: 1
    save_last: true
  metadata:
    _target_: ocr.core.lightning.callbacks.MetadataCallback
    exp_name: ${exp_name}
    outputs_dir: ${paths.output_dir}
    training_phase: training
"""


def exp_v5():
    run = os.path.join(OUT, "det_resnet50_v1")
    write_yaml(os.path.join(run, ".hydra", "config.yaml"), V5_CONFIG)
    save(os.path.join(run, "checkpoints", "epoch=10-step=1133.ckpt"), lightning2(
        10, 1133, "2.2.0", weights(6, DBNET_KEYS), weights_only=True,
        extra={"cleval_metrics": cleval(0.9012, 0.8706, 0.885635)}))
    key = ("ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, "
           "'every_n_epochs': 1, 'train_time_interval': None}")
    ck = "/workspaces/project-artifacts/ocr-external-storage/outputs/det_resnet50_v1/checkpoints"
    save(os.path.join(run, "checkpoints", "last.ckpt"), lightning2(
        12, 1339, "2.2.0", weights(7, DBNET_KEYS),
        callbacks={key: ckpt_state("val/hmean", float("nan"), ck + "/epoch=10-step=1133.ckpt", float("nan"),
                                   ck, ck + "/last.ckpt")},
        extra={"cleval_metrics": cleval(0.8993, 0.8702, 0.884511)}))


def exp_transforms():
    run = os.path.join(OUT, "transforms_test-dbnetpp-dbnetpp_decoder-resnet18")
    write_yaml(os.path.join(run, ".hydra", "config.yaml"), OCT_CONFIG.format(
        exp_name="transforms_test-dbnetpp-dbnetpp_decoder-resnet18", arch="dbnetpp", encoder="resnet18",
        decoder="dbnetpp_decoder", top_k=1, wandb_id=""))
    ck = "/workspace/outputs/transforms_test-dbnetpp-dbnetpp_decoder-resnet18/checkpoints"
    save(os.path.join(run, "checkpoints", "epoch-18_step-003895.ckpt"), lightning2(
        18, 3895, "2.1.0", weights(8, DBNET_KEYS),
        callbacks={UNIQUE_KEY: ckpt_state("val/hmean", 0.892, ck + "/best-hmean-0.8920.ckpt", 0.8876953125,
                                          ck, ck + "/last.ckpt")},
        extra={"cleval_metrics": cleval(0.8951, 0.8805, 0.887739)}))
    save(os.path.join(run, "checkpoints", "best-hmean-0.8920.ckpt"), lightning2(
        16, 3541, "2.1.0", weights(9, DBNET_KEYS), weights_only=True))


def exp_legacy():
    run = os.path.join(OUT, "pan_resnet18_no_polygons_canonical")
    hp = AttributeDict(
        architecture_name="dbnet",
        encoder={"model_name": "resnet18", "pretrained": True, "frozen": False},
        decoder={"name": "pan_decoder", "in_channels": [64, 128, 256, 512], "inner_channels": 128,
                 "output_channels": 128, "params": {"num_fuse_layers": 4, "smooth": True}},
        head={"name": "db_head", "in_channels": 128, "params": {"k": 50, "thresh": 0.2}},
        loss={"name": "db_loss", "params": {"negative_ratio": 3.0, "eps": 1e-06}},
        max_epochs=20,
    )
    ck = "/home/user/ocr/outputs/pan_resnet18_no_polygons_canonical/checkpoints"
    d = OrderedDict()
    d["epoch"] = 10
    d["global_step"] = 1133
    d["pytorch-lightning_version"] = "1.4.9"
    d["state_dict"] = weights(10, DBNET_KEYS)
    d["callbacks"] = {
        ModelCheckpoint: ckpt_state("val/hmean", 0.8125, ck + "/epoch-10_step-001133.ckpt", 0.8125, ck, ""),
        EarlyStopping: early_state(0.625),
    }
    d["optimizer_states"] = [{"state": {}, "param_groups": [{"lr": 0.001, "params": [0, 1, 2]}]}]
    d["lr_schedulers"] = []
    d["hparams_name"] = "kwargs"
    d["hyper_parameters"] = hp
    d["cleval_metrics"] = {"precision": np.float64(0.8295), "recall": np.float64(0.7962),
                           "hmean": np.float64(0.8125)}
    save(os.path.join(run, "checkpoints", "epoch-10_step-001133.ckpt"), d, legacy=True)


def exp_bare():
    run = os.path.join(OUT, "canonical-fix2-dbnet-fpn_decoder-mobilenetv3_small_050")
    d = OrderedDict([("epoch", 7), ("global_step", 1640), ("pytorch-lightning_version", "2.1.3"),
                     ("state_dict", weights(11, DBNET_KEYS))])
    save(os.path.join(run, "checkpoints", "last.ckpt"), d)


def main():
    # Remove only what this script writes (checkpoints and Hydra configs): the sidecars that
    # other tests keep in this tree are not ours to delete.
    for d, _, fs in os.walk(OUT):
        for f in fs:
            if f.endswith(".ckpt") or (f == "config.yaml" and os.path.basename(d) == ".hydra"):
                os.remove(os.path.join(d, f))
    torch.manual_seed(0)
    exp_oct()
    exp_jan()
    exp_v5()
    exp_transforms()
    exp_legacy()
    exp_bare()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs
                if ".metadata." not in f)
    assert total < 300_000, total
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
