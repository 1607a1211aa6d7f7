#!/usr/bin/python3
"""CheckpointMetadataV1 as the original project declares it since 2026-01-15 (the "V1-lax"
model, reference §1.3), rewritten for Pydantic 1.10 the way strict_model.py is.

The lax model dropped every constraint (no bounds, no Literal, no ISO check) but made almost
every key required: a nullable key (X|None) must still be present, and pretrained, frozen,
in_channels, params, training_phase, save_top_k, save_last and additional_metrics have no
default any more. Pydantic 1 treats `Optional[X]` without a default as optional, so
required-nullable keys are declared `Optional[X] = ...` here. Types use the Strict* forms
(Pydantic 1 would coerce 1 -> "1"; v2 does not), integers accept what v2's lax int accepts.
Unknown keys are ignored, as in the original.

Usage: lax_model.py [--expect-invalid] FILE...
Same output and exit status as strict_model.py.
"""

import os
import sys
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Extra, StrictBool, StrictStr, validator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from strict_model import Number, v2_int  # noqa: E402
from strict_model import main as strict_main  # noqa: E402


class Lax(BaseModel):
    class Config:
        extra = Extra.ignore


def _int_or_none(v):
    return None if v is None else v2_int(v)


class TrainingInfo(Lax):
    epoch: int
    global_step: int
    training_phase: StrictStr
    max_epochs: Optional[int] = None

    _ints = validator("epoch", "global_step", "max_epochs", pre=True, allow_reuse=True)(_int_or_none)


class EncoderInfo(Lax):
    model_name: StrictStr
    pretrained: StrictBool
    frozen: StrictBool


class DecoderInfo(Lax):
    name: StrictStr
    in_channels: List[int]
    inner_channels: Optional[int] = ...
    output_channels: Optional[int] = ...
    params: Dict[StrictStr, Any]

    _ints = validator("inner_channels", "output_channels", pre=True, allow_reuse=True)(_int_or_none)
    _list = validator("in_channels", pre=True, allow_reuse=True)(
        lambda v: [v2_int(x) for x in v] if isinstance(v, list) else v)


class HeadInfo(Lax):
    name: StrictStr
    in_channels: Optional[Any] = ...
    params: Dict[StrictStr, Any]


class LossInfo(Lax):
    name: StrictStr
    params: Dict[StrictStr, Any]


class MetricsInfo(Lax):
    precision: Optional[float] = ...
    recall: Optional[float] = ...
    hmean: Optional[float] = ...
    validation_loss: Optional[float] = ...
    additional_metrics: Dict[StrictStr, Number]

    @validator("precision", "recall", "hmean", "validation_loss", pre=True)
    def _number(cls, v):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise TypeError("input should be a valid number")
        return v


class ModelInfo(Lax):
    architecture: StrictStr
    encoder: EncoderInfo
    decoder: DecoderInfo
    head: HeadInfo
    loss: LossInfo


class CheckpointingConfig(Lax):
    monitor: StrictStr
    mode: StrictStr
    save_top_k: int
    save_last: StrictBool

    _ints = validator("save_top_k", pre=True, allow_reuse=True)(v2_int)


class CheckpointMetadataV1(Lax):
    schema_version: StrictStr = "1.0"
    checkpoint_path: StrictStr
    exp_name: StrictStr
    created_at: StrictStr
    training: TrainingInfo
    model: ModelInfo
    metrics: MetricsInfo
    checkpointing: CheckpointingConfig
    hydra_config_path: Optional[StrictStr] = ...
    wandb_run_id: Optional[StrictStr] = ...


if __name__ == "__main__":
    sys.exit(strict_main(sys.argv[1:], CheckpointMetadataV1))
