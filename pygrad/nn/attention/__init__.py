"""``nn.attention``: the ``SDPBackend`` enum and the ``sdpa_kernel`` context manager that chooses which
backends ``F.scaled_dot_product_attention`` may use, as torch.nn.attention; ``bias`` holds the causal biases.

pygrad has one attention kernel, which computes torch's math backend's results; it runs when MATH,
FLASH_ATTENTION or EFFICIENT_ATTENTION is enabled. With only CUDNN_ATTENTION or OVERRIDEABLE (or nothing)
enabled, F.scaled_dot_product_attention raises torch's "No viable backend" error, as torch on a CPU does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from enum import IntEnum
from typing import Any

from pygrad.nn.attention import bias

__all__ = ["WARN_FOR_UNFUSED_KERNELS", "SDPBackend", "bias", "sdpa_kernel"]

# torch's switch for warnings about unfused kernels; pygrad's one kernel never warns.
WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(IntEnum):
    """The backends of scaled dot product attention, with torch's values."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


# Every backend starts enabled; the priority order is torch's default.
_enabled: dict[SDPBackend, bool] = {
    SDPBackend.CUDNN_ATTENTION: True,
    SDPBackend.FLASH_ATTENTION: True,
    SDPBackend.EFFICIENT_ATTENTION: True,
    SDPBackend.MATH: True,
    SDPBackend.OVERRIDEABLE: True,
}
_priority: list[int] = [1, 2, 0, 3, 4]
# The backends pygrad's kernel stands in for.
_RUNNABLE = (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION)


def _cur_sdpa_kernel_backends(with_priority: bool = False) -> list[SDPBackend]:
    """The enabled backends (in torch's listing order, or by priority)."""
    backends = [b for b, on in _enabled.items() if on]
    if with_priority:
        backends.sort(key=lambda b: _priority.index(int(b)))
    return backends


def _sdpa_kernel(backends: Iterable[Any], set_priority: bool = False) -> None:
    chosen = list(backends)
    for backend in _enabled:
        # Identity, not ==: plain ints enable nothing, as with torch's (non-int) enum.
        _enabled[backend] = any(b is backend for b in chosen)
    if set_priority:
        order = [int(b) for b in chosen]  # torch's: the given order first, then the rest
        order += [b for b in _priority if b not in order]
        _priority[:] = order


def _check_backend(op: str = "scaled_dot_product_attention") -> None:
    """Raises torch's error when no backend pygrad's kernel stands in for is enabled."""
    if not any(_enabled[b] for b in _RUNNABLE):
        raise RuntimeError(
            f"[{op}] No viable backend for scaled_dot_product_attention was found. This is likely "
            "due to turning off both the math kernel and the fused kernels."
        )


@contextlib.contextmanager
def sdpa_kernel(
    backends: list[SDPBackend] | SDPBackend, set_priority: bool = False
) -> Iterator[dict[str, Any]]:
    """Within the block, only ``backends`` (one or a list) are enabled for scaled_dot_product_attention;
    with ``set_priority`` their order is also the priority order. The previous state returns on exit.
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(
            "Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
            f"{type(backends).__name__}"
        )
    chosen = [backends] if isinstance(backends, SDPBackend) else list(dict.fromkeys(backends))
    previous = _cur_sdpa_kernel_backends(with_priority=set_priority)
    try:
        _sdpa_kernel(chosen, set_priority)
        yield {}
    finally:
        _sdpa_kernel(previous, set_priority)
