#!/usr/bin/python3
"""Writes generate/testdata/ckpt/: checkpoints the Run tests need beyond the sample tree and
the reader's fixtures (testdata/ckpt/).

  weights.ckpt  a bare state_dict exported from a model: no epoch, no global step, and a file
                name that carries neither, so generation must fail clearly.
"""

import os
from collections import OrderedDict

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ckpt")
os.makedirs(HERE, exist_ok=True)
g = torch.Generator().manual_seed(0)
torch.save({"state_dict": OrderedDict([("encoder.weight", torch.randn(2, 2, generator=g))])},
           os.path.join(HERE, "weights.ckpt"))

# hydra/outputs/: one run per Hydra layout the original project wrote (reference §7; the shapes
# follow the runs committed in that project: multirun/2025-09-26 and the decoder benchmark). The
# configs are hand-written in testdata/hydra; only the checkpoints come from here. They are
# Lightning-shaped (epoch, global_step, version, ModelCheckpoint state, cleval_metrics) and carry
# no hyper_parameters, so every model fact must come from the Hydra files.
HYDRA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hydra", "outputs")


def lightning_checkpoint(rel, epoch, step, hmean):
    path = os.path.join(HYDRA, rel)
    key = ("ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, "
           "'every_n_epochs': 1, 'train_time_interval': None}")
    ckpt = {
        "epoch": epoch,
        "global_step": step,
        "pytorch-lightning_version": "2.1.3",
        "state_dict": OrderedDict([("model.head.weight", torch.randn(2, 2, generator=g))]),
        "callbacks": {key: {"monitor": "val/hmean", "best_model_score": torch.tensor(hmean),
                            "best_model_path": "/home/vscode/workspace/outputs/" + rel, "current_score": torch.tensor(hmean)}},
        "cleval_metrics": {"precision": 0.91, "recall": 0.89, "hmean": 0.8999},
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(ckpt, path)


for rel, epoch, step in [
    ("ocr_training_gpu/checkpoints/epoch=0-step=100.ckpt", 0, 100),                     # Sept 2025
    ("decoder_benchmark/checkpoints/epoch-02_step-000300.ckpt", 2, 300),               # Oct 2025
    ("det_resnet50_v1/20260120_101500_42/checkpoints/epoch-03_step-000400.ckpt", 3, 400),  # v5, 2026
]:
    lightning_checkpoint(rel, epoch, step, 0.8999)
