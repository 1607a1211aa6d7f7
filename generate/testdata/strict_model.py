#!/usr/bin/python3
"""CheckpointMetadataV1, the original strict sidecar model (2025-10-18, reference §1.2),
rewritten for Pydantic 1.10 so that it rejects at least what the Pydantic v2 original did.

Pydantic 1 coerces where v2 does not (int -> str, 5.5 -> 5, None for a defaulted field is
already rejected), so: every str is StrictStr, integers go through a validator that refuses
non-integral floats, scalar params are unions of Strict* types, loss params are numbers
only, and created_at must parse with datetime.fromisoformat. Unknown keys are ignored, as
in the original (extra = ignore).

Usage: strict_model.py [--expect-invalid] FILE...
Loads each FILE with yaml.safe_load and validates it; prints one JSON line per file and
exits 1 when any file does not meet the expectation (valid, or with --expect-invalid,
invalid).
"""

import datetime
import json
import sys
from typing import Dict, List, Literal, Optional, Union

import yaml
from pydantic import BaseModel, Extra, Field, StrictBool, StrictFloat, StrictInt, StrictStr, validator


def v2_int(v):
    """Pydantic v2 lax int: ints (and bools), integral floats, numeric strings."""
    if isinstance(v, bool) or isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        if v.is_integer():
            return int(v)
        raise ValueError("input should be a valid integer, got a number with a fractional part")
    if isinstance(v, str):
        return int(v.strip())
    raise TypeError("input should be a valid integer")


class Strict(BaseModel):
    class Config:
        extra = Extra.ignore
        validate_assignment = True
        anystr_strip_whitespace = True


Scalar = Union[StrictBool, StrictInt, StrictFloat, StrictStr]
Number = Union[StrictInt, StrictFloat]


class TrainingInfo(Strict):
    epoch: int = Field(..., ge=0)
    global_step: int = Field(..., ge=0)
    training_phase: Literal["training", "validation", "finetuning"] = "training"
    max_epochs: Optional[int] = Field(None, ge=1)

    _ints = validator("epoch", "global_step", "max_epochs", pre=True, allow_reuse=True)(
        lambda v: None if v is None else v2_int(v))


class EncoderInfo(Strict):
    model_name: StrictStr
    pretrained: StrictBool = True
    frozen: StrictBool = False


class DecoderInfo(Strict):
    name: StrictStr
    in_channels: List[StrictInt] = []
    inner_channels: Optional[int] = Field(None, ge=1)
    output_channels: Optional[int] = Field(None, ge=1)
    params: Dict[StrictStr, Scalar] = {}

    _ints = validator("inner_channels", "output_channels", pre=True, allow_reuse=True)(
        lambda v: None if v is None else v2_int(v))


class HeadInfo(Strict):
    name: StrictStr
    in_channels: Optional[int] = Field(None, ge=1)
    params: Dict[StrictStr, Scalar] = {}

    _ints = validator("in_channels", pre=True, allow_reuse=True)(lambda v: None if v is None else v2_int(v))


class LossInfo(Strict):
    name: StrictStr
    params: Dict[StrictStr, Number] = {}


class MetricsInfo(Strict):
    precision: Optional[float] = Field(None, ge=0, le=1)
    recall: Optional[float] = Field(None, ge=0, le=1)
    hmean: Optional[float] = Field(None, ge=0, le=1)
    validation_loss: Optional[float] = Field(None, ge=0)
    additional_metrics: Dict[StrictStr, Number] = {}

    @validator("precision", "recall", "hmean", "validation_loss", pre=True)
    def _number(cls, v):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise TypeError("input should be a valid number")
        return v


class ModelInfo(Strict):
    architecture: StrictStr
    encoder: EncoderInfo
    decoder: DecoderInfo
    head: HeadInfo
    loss: LossInfo


class CheckpointingConfig(Strict):
    monitor: StrictStr
    mode: Literal["min", "max"]
    save_top_k: int = Field(1, ge=-1)
    save_last: StrictBool = True

    _ints = validator("save_top_k", pre=True, allow_reuse=True)(v2_int)


class CheckpointMetadataV1(Strict):
    schema_version: Literal["1.0"] = "1.0"
    checkpoint_path: StrictStr
    exp_name: StrictStr
    created_at: StrictStr
    training: TrainingInfo
    model: ModelInfo
    metrics: MetricsInfo
    checkpointing: CheckpointingConfig
    hydra_config_path: Optional[StrictStr] = None
    wandb_run_id: Optional[StrictStr] = None

    @validator("created_at")
    def _iso(cls, v):
        datetime.datetime.fromisoformat(v)
        return v


def check(path, model=None):
    with open(path) as f:
        data = yaml.safe_load(f)
    (model or CheckpointMetadataV1).parse_obj(data)


def main(argv, model=None):
    """Checks each file in argv against model (this strict one by default); prints a JSON
    line per file; exits 1 when a file's verdict differs from the expected one."""
    model = model or CheckpointMetadataV1
    expect_invalid = False
    if argv and argv[0] == "--expect-invalid":
        expect_invalid, argv = True, argv[1:]
    failed = False
    for path in argv:
        try:
            check(path, model)
            ok, err = True, ""
        except Exception as e:  # a validation error, or YAML that is not a mapping
            ok, err = False, " ".join(str(e).split())
        if ok == expect_invalid:
            failed = True
        print(json.dumps({"file": path, "valid": ok, "error": err}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
