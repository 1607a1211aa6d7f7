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
