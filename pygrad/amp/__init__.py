"""``pygrad.amp``: automatic mixed precision with torch.amp's names.

- ``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: mixed precision for a region
  (also ``pygrad.autocast``); on the CPU, bfloat16 matmuls and convolutions use the CPU's bfloat16 instructions
  (AMX tiles or AVX512_BF16) where it has them.
- ``GradScaler``: loss scaling for float16 training, skipping steps whose gradients overflow.
- ``custom_fwd`` / ``custom_bwd``: autocast-aware decorators for custom autograd Functions.
"""

from typing import Any

from pygrad.amp.autocast_mode import (
    autocast,
    custom_bwd,
    custom_fwd,
    get_autocast_dtype,
    is_autocast_available,
)

__all__ = [
    "GradScaler",
    "autocast",
    "custom_bwd",
    "custom_fwd",
    "get_autocast_dtype",
    "is_autocast_available",
]


def __getattr__(name: str) -> Any:
    if name == "GradScaler":  # loaded on first use
        from pygrad.amp.grad_scaler import GradScaler

        return GradScaler
    raise AttributeError(f"module 'pygrad.amp' has no attribute {name!r}")
