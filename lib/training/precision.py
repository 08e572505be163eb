"""train.precision: the dtype the forward pass runs in under autocast, and the gradient scaling fp16 needs.

fp32 autocasts nothing and scales nothing (a disabled GradScaler passes the loss and the step through), so
it trains exactly as without this module. bf16 has fp32's range and needs no scaling (CPU or CUDA); fp16's
gradients underflow without torch.amp.GradScaler, which works on CUDA only. The weights stay fp32 whatever
the precision, so a checkpoint loads on any machine.
"""
from __future__ import annotations

import contextlib
import functools

import torch

from lib.common.config import ParamError

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse a precision the device cannot train in: fp16 on CPU, bf16 on a CPU whose kernels have no bf16 LSTM."""
    if precision == "fp16" and device.type != "cuda":
        raise ParamError(f"params.yaml: train.precision fp16 needs a CUDA device (gradient scaling), "
                         f"but training runs on {device.type}: use bf16 or fp32")
    if precision == "bf16" and device.type == "cpu" and not cpu_runs_bf16_lstm():
        raise ParamError("params.yaml: train.precision bf16: this CPU's oneDNN has no bf16 LSTM (it needs AVX-512 "
                         "or newer): use fp32")


@functools.cache
def cpu_runs_bf16_lstm() -> bool:
    """Whether an LSTM runs under bf16 autocast on this CPU (oneDNN builds no bf16 LSTM without AVX-512)."""
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            torch.nn.LSTM(2, 2, batch_first=True)(torch.zeros(1, 1, 2))
    except RuntimeError:
        return False
    return True


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The context the forward pass and the loss run in: nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=AUTOCAST_DTYPES[precision])


def gradient_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler:
    """Loss scaling for fp16; disabled (scale, unscale_, step and update pass through) otherwise."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
