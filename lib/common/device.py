"""The torch device a stage runs on, and the seeds that make a run repeatable."""
from __future__ import annotations

import random

import torch

from lib.common.config import ParamError


def resolve_device(name: str) -> torch.device:
    """`auto`: CUDA when available, else CPU."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ParamError("params.yaml: train.device is cuda but no CUDA device is available (use auto or cpu)")
    return torch.device("cuda" if name in ("auto", "cuda") and torch.cuda.is_available() else "cpu")


def set_seed(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
