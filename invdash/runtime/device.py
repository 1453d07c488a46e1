"""The one place that picks the torch device and precision.

CUDA when ``torch.cuda.is_available()``, else CPU. On CUDA, bf16 autocast; on CPU, float32.
Nothing else in invdash calls ``.cuda()`` or reads CUDA availability.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

__all__ = ["torch_device", "device_name", "autocast"]


def torch_device() -> Any:
    """The torch device to use: ``cuda`` when available, else ``cpu``."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_name() -> str:
    """Human-readable device, e.g. ``cpu`` or ``cuda (NVIDIA H200)``."""
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu"


def autocast() -> AbstractContextManager[Any]:
    """bf16 autocast on CUDA; a no-op on CPU (float32 keeps CPU runs deterministic)."""
    import torch

    if torch.cuda.is_available():
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return nullcontext()
