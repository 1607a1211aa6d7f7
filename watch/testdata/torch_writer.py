#!/usr/bin/python3
"""Writes Lightning-shaped checkpoints with torch.save while `ckptmeta watch` runs (watch's
torch-writer and kill -9 tests; the benchmarks use it too).

    torch_writer.py RUN_DIR MODE EPOCHS MB PAUSE MANIFEST

RUN_DIR/checkpoints/ is created by the writer (a new run appears while the watch runs). Each
epoch writes epoch=E-step=S.ckpt and overwrites last.ckpt, as ModelCheckpoint(save_last=True)
does; MODE says how:

  inplace  torch.save(ckpt, final_path): the file is written where readers see it, the zip's
           central directory last (what Lightning's default checkpoint IO does);
  rename   torch.save to a temporary name in the same directory, then os.replace into place.

MB is the size of the state_dict's tensor (so a save takes a while), PAUSE the seconds between
epochs. After each save completes, one line "PATH SHA256" goes to MANIFEST: the sha256 of the
file's data.pkl record, the fingerprint a sidecar records. A sidecar whose data_pkl_sha256 is
not in the manifest was made from a file that was not a complete checkpoint.
"""

import hashlib
import os
import sys
import time
import zipfile
from collections import OrderedDict

import torch

run_dir, mode, epochs, mb, pause, manifest = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
ckpt_dir = os.path.join(run_dir, "checkpoints")
os.makedirs(ckpt_dir, exist_ok=True)
g = torch.Generator().manual_seed(len(run_dir))
MC = ("ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, "
      "'every_n_epochs': 1, 'train_time_interval': None}")


def checkpoint(epoch, step, path):
    hmean = 0.5 + epoch / 100
    return {
        "epoch": epoch,
        "global_step": step,
        "pytorch-lightning_version": "2.1.3",
        "state_dict": OrderedDict([
            ("model.encoder.weight", torch.randn(int(mb * (1 << 20) / 4), generator=g)),
            ("model.head.weight", torch.randn(2, 2, generator=g)),
        ]),
        "loops": {"fit_loop": {"epoch_progress": {"current": {"completed": epoch}}}},
        "callbacks": {MC: {"monitor": "val/hmean", "best_model_score": torch.tensor(hmean),
                           "best_model_path": path, "current_score": torch.tensor(hmean),
                           "dirpath": ckpt_dir, "save_last": True}},
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.001, "params": [0, 1]}]}],
        "lr_schedulers": [],
        "hyper_parameters": {"lr": 0.001, "max_epochs": epochs, "architecture": "dbnet"},
        "cleval_metrics": {"precision": 0.9, "recall": 0.8, "hmean": hmean},
    }


def data_pkl_sha256(path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
        return hashlib.sha256(z.read(name)).hexdigest()


def save(obj, path):
    if mode == "rename":
        tmp = os.path.join(ckpt_dir, ".tmp-" + os.path.basename(path) + ".part")
        torch.save(obj, tmp)
        digest = data_pkl_sha256(tmp)
        os.replace(tmp, path)
    else:
        torch.save(obj, path)
        digest = data_pkl_sha256(path)
    with open(manifest, "a") as m:
        m.write(f"{path} {digest}\n")


for epoch in range(epochs):
    step = (epoch + 1) * 100
    path = os.path.join(ckpt_dir, f"epoch={epoch}-step={step}.ckpt")
    save(checkpoint(epoch, step, path), path)
    last = os.path.join(ckpt_dir, "last.ckpt")
    save(checkpoint(epoch, step, last), last)
    time.sleep(pause)
print("done", flush=True)
