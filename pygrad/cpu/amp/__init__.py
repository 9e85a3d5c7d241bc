"""``pygrad.cpu.amp``: torch.cpu.amp's deprecated spellings of ``pygrad.amp.autocast("cpu", ...)`` and
``pygrad.amp.GradScaler("cpu", ...)``."""

from __future__ import annotations

import warnings
from typing import Any

from pygrad import _C
from pygrad.amp.autocast_mode import autocast as _autocast

__all__ = ["GradScaler", "autocast"]


class autocast(_autocast):
    """Deprecated: ``pygrad.amp.autocast("cpu", ...)`` with torch.cpu.amp.autocast's defaults (bfloat16)."""

    def __init__(self, enabled: bool = True, dtype: Any = None, cache_enabled: bool = True) -> None:
        warnings.warn(
            "`pygrad.cpu.amp.autocast(args...)` is deprecated. "
            "Please use `pygrad.amp.autocast('cpu', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(
            "cpu",
            dtype=_C.bfloat16 if dtype is None else dtype,
            enabled=enabled,
            cache_enabled=cache_enabled,
        )


def GradScaler(*args: Any, **kwargs: Any) -> Any:
    """Deprecated: ``pygrad.amp.GradScaler("cpu", ...)``."""
    warnings.warn(
        "`pygrad.cpu.amp.GradScaler(args...)` is deprecated. "
        "Please use `pygrad.amp.GradScaler('cpu', args...)` instead.",
        FutureWarning,
        stacklevel=2,
    )
    from pygrad.amp.grad_scaler import GradScaler as _GradScaler

    return _GradScaler("cpu", *args, **kwargs)
