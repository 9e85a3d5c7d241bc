"""Process-wide switches torch keeps in its global context: the default floating dtype, print
options, deterministic algorithms, float32 matmul precision, interop threads, flush-denormal and
warn-always. Only state and its getters/setters live here (no pygrad imports besides _C), so that
any module can read them without an import cycle; ``_surface.set_default_dtype`` also updates the
factories' default."""

from __future__ import annotations

import builtins

from pygrad import _C

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "are_deterministic_algorithms_enabled",
    "get_default_dtype",
    "get_float32_matmul_precision",
    "get_num_interop_threads",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_warn_always_enabled",
    "set_float32_matmul_precision",
    "set_flush_denormal",
    "set_num_interop_threads",
    "set_printoptions",
    "set_warn_always",
    "use_deterministic_algorithms",
]

# The dtype of tensors made from Python floats and of float factories called without dtype=
# (a one-element list: readers index it at call time, so a later set_default_dtype reaches them).
default_float = [_C.float32]


def get_default_dtype() -> _C.dtype:
    """The default floating dtype (float32 unless ``set_default_dtype`` changed it)."""
    return default_float[0]


class _PrintOptions:
    """torch's print options: Tensor repr reads them on every call."""

    precision = 4
    threshold: float = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, float("inf"), 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """How tensors print, as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point (default 4).
        threshold: element count above which a tensor prints summarized (default 1000).
        edgeitems: items kept at each end of a summarized dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: "default", "short" or "full"; the explicit arguments above override it.
        sci_mode: True/False forces/forbids scientific notation; None chooses per tensor.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"[set_printoptions] profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            )
        (
            PRINT_OPTS.precision,
            PRINT_OPTS.threshold,
            PRINT_OPTS.edgeitems,
            PRINT_OPTS.linewidth,
        ) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode  # as torch: omitting sci_mode restores automatic choice


# ---- switches pygrad records for scripts that set and read them (its CPU kernels are already
# deterministic, its matmuls always float32, and it runs no inter-op thread pool)
_state: dict[str, Any] = {
    "deterministic": False,
    "deterministic_warn_only": False,
    "matmul_precision": "highest",
    "interop_threads": None,
    "warn_always": False,
}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Records the switch. pygrad's CPU kernels give the same bits on every run (reductions use a
    fixed order at any thread count), so no op needs to raise or warn under it."""
    if not isinstance(mode, builtins.bool):
        raise TypeError(
            f"[use_deterministic_algorithms] mode must be a bool, got {type(mode).__name__}"
        )
    _state["deterministic"] = mode
    _state["deterministic_warn_only"] = builtins.bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in effect."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True, warn_only=True)`` is in effect."""
    return _state["deterministic_warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Records "highest", "high" or "medium" (others warn and change nothing, as torch); pygrad's
    float32 matmuls always compute in full float32 ("highest")."""
    if precision not in ("highest", "high", "medium"):
        import warnings

        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The value last given to ``set_float32_matmul_precision`` ("highest" by default)."""
    return _state["matmul_precision"]


def set_num_interop_threads(num: int) -> None:
    """Records the inter-op thread count (pygrad runs ops one after another; intra-op threads are
    ``set_num_threads``). As torch, it may be set once, to a positive count."""
    if isinstance(num, builtins.bool) or not isinstance(num, builtins.int) or num < 1:
        raise RuntimeError("[set_num_interop_threads] expected a positive number of threads")
    if _state["interop_threads"] is not None:
        raise RuntimeError(
            "[set_num_interop_threads] Error: cannot set number of interop threads after parallel "
            "work has started or set_num_interop_threads called"
        )
    _state["interop_threads"] = num


def get_num_interop_threads() -> int:
    """The inter-op thread count: the value set, else the intra-op thread count (torch's default
    is the core count too)."""
    value = _state["interop_threads"]
    return _C.get_num_threads() if value is None else value


def set_flush_denormal(mode: bool) -> bool:
    """Would flush denormal floats to zero; pygrad can't switch the CPU's FTZ/DAZ flags, so this
    returns False (torch's answer where flushing is unsupported) and changes nothing."""
    return False


def set_warn_always(b: bool) -> None:
    """Records torch's warn-always flag (pygrad's warnings follow Python's warnings filters)."""
    _state["warn_always"] = builtins.bool(b)


def is_warn_always_enabled() -> bool:
    """The flag last given to ``set_warn_always``."""
    return _state["warn_always"]
