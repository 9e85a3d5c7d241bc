"""Automatic mixed precision: ``autocast`` and torch's autocast state functions.

Inside ``autocast("cpu", dtype=pygrad.bfloat16)`` the lower-precision ops (matmul, mm, bmm, addmm, baddbmm,
addbmm, linear, the convolutions and transposed convolutions, prelu, scaled_dot_product_attention, and what is
built on them: einsum, tensordot, MultiheadAttention, the recurrent layers) cast their float32/float16/bfloat16
inputs to the autocast dtype and return it; the float32 ops (the losses, cdist, prod) cast theirs to float32;
every other op runs in its inputs' dtype, as in torch 2.13. The state is per thread and per device type; the
backward pass runs with autocast off, in the dtypes the forward saved.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar

from pygrad import _C
from pygrad._autocast import _cast

__all__ = [
    "autocast",
    "autocast_decrement_nesting",
    "autocast_increment_nesting",
    "clear_autocast_cache",
    "custom_bwd",
    "custom_fwd",
    "get_autocast_cpu_dtype",
    "get_autocast_dtype",
    "get_autocast_gpu_dtype",
    "is_autocast_available",
    "is_autocast_cache_enabled",
    "is_autocast_cpu_enabled",
    "is_autocast_enabled",
    "set_autocast_cache_enabled",
    "set_autocast_cpu_dtype",
    "set_autocast_cpu_enabled",
    "set_autocast_dtype",
    "set_autocast_enabled",
    "set_autocast_gpu_dtype",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_DEVICE_TYPES = ("cpu", "cuda")
_nesting = [0]
_cache_enabled = [True]


def _dtypes() -> tuple[Any, Any, Any]:
    return _C.bfloat16, _C.float16, _C.float32


def _check_device(device_type: Any, op: str) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(
            f"[{op}] unsupported autocast device_type '{device_type}' (pygrad has 'cpu' and 'cuda')"
        )
    return device_type


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can run on this device type: 'cpu' always, 'cuda' when a GPU is usable."""
    if device_type == "cpu":
        return True
    if device_type == "cuda":
        from pygrad import cuda

        return cuda.is_available()
    return False


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on in this thread for ``device_type`` (no argument: 'cuda', as torch)."""
    return bool(_C._autocast_state(_check_device(device_type or "cuda", "is_autocast_enabled"))[0])


def get_autocast_dtype(device_type: str) -> Any:
    """The dtype the lower-precision ops cast to under autocast on ``device_type``."""
    return _C._autocast_state(_check_device(device_type, "get_autocast_dtype"))[1]


def set_autocast_enabled(*args: Any) -> None:
    """``set_autocast_enabled(device_type, enabled)``, or the legacy ``set_autocast_enabled(enabled)`` (cuda)."""
    if len(args) == 1:
        device_type, enabled = "cuda", args[0]
    elif len(args) == 2:
        device_type, enabled = args
    else:
        raise TypeError("set_autocast_enabled() takes (device_type, enabled) or (enabled)")
    _check_device(device_type, "set_autocast_enabled")
    _C._set_autocast_state(device_type, bool(enabled), _C._autocast_state(device_type)[1])


def set_autocast_dtype(device_type: str, dtype: Any) -> None:
    """Sets the dtype autocast casts to on ``device_type`` (it stays on or off as it was)."""
    _check_device(device_type, "set_autocast_dtype")
    _C._set_autocast_state(device_type, _C._autocast_state(device_type)[0], dtype)


def is_autocast_cpu_enabled() -> bool:
    """Legacy form of ``is_autocast_enabled("cpu")``."""
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    """Legacy form of ``set_autocast_enabled("cpu", enabled)``."""
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype() -> Any:
    """Legacy form of ``get_autocast_dtype("cpu")``."""
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype: Any) -> None:
    """Legacy form of ``set_autocast_dtype("cpu", dtype)``."""
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype() -> Any:
    """Legacy form of ``get_autocast_dtype("cuda")``."""
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype: Any) -> None:
    """Legacy form of ``set_autocast_dtype("cuda", dtype)``."""
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled() -> bool:
    """Whether autocast regions may cache casts of leaf weights (pygrad casts on every use: accepted, unused)."""
    return _cache_enabled[0]


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Sets the cache flag that ``is_autocast_cache_enabled`` reports."""
    _cache_enabled[0] = bool(enabled)


def clear_autocast_cache() -> None:
    """Nothing to clear: pygrad keeps no cast cache."""


def autocast_increment_nesting() -> int:
    """Counts autocast regions entered (torch's bookkeeping for its cast cache); returns the new depth."""
    _nesting[0] += 1
    return _nesting[0]


def autocast_decrement_nesting() -> int:
    """Counts autocast regions left; returns the new depth."""
    _nesting[0] = max(0, _nesting[0] - 1)
    return _nesting[0]


class autocast:
    """Context manager and decorator for mixed precision, as ``torch.autocast``.

    Args:
        device_type: 'cpu' or 'cuda' ('cuda' without a usable GPU warns and disables itself, as torch).
        dtype: the lower precision; default bfloat16 on 'cpu', float16 on 'cuda'. On 'cpu' only bfloat16 and
            float16 are supported: another dtype warns and disables autocast, as torch does.
        enabled: False makes the region a no-op (it still restores the state on exit).
        cache_enabled: accepted for torch scripts (pygrad casts weights on every use).

    Example::

        with pygrad.autocast("cpu", dtype=pygrad.bfloat16):
            loss = loss_fn(model(x), y)   # the model's linears and convs run in bfloat16, the loss in float32
        loss.backward()
    """

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        self.device = _check_device(device_type, "autocast")
        bfloat16, float16, _ = _dtypes()
        self.fast_dtype = get_autocast_dtype(self.device) if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = (
            is_autocast_cache_enabled() if cache_enabled is None else bool(cache_enabled)
        )
        if self.device == "cuda" and self._enabled and not is_autocast_available("cuda"):
            warnings.warn(
                "User provided device_type of 'cuda', but CUDA is not available. Disabling",
                stacklevel=2,
            )
            self._enabled = False
        if self.device == "cpu" and self._enabled and self.fast_dtype not in (bfloat16, float16):
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtype of pygrad.bfloat16, pygrad.float16 currently.",
                stacklevel=2,
            )
            self._enabled = False
        self._saved: list[tuple[bool, Any, bool]] = []

    def __enter__(self) -> autocast:
        enabled, dtype = _C._autocast_state(self.device)
        self._saved.append((enabled, dtype, is_autocast_cache_enabled()))
        _C._set_autocast_state(self.device, self._enabled, self.fast_dtype)
        set_autocast_cache_enabled(self._cache_enabled)
        autocast_increment_nesting()
        return self

    def __exit__(self, *exc: object) -> None:
        enabled, dtype, cache = self._saved.pop()
        _C._set_autocast_state(self.device, enabled, dtype)
        set_autocast_cache_enabled(cache)
        autocast_decrement_nesting()

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return decorated  # type: ignore[return-value]


def custom_fwd(
    fwd: Callable[..., Any] | None = None,
    *,
    device_type: str = "cpu",
    cast_inputs: Any = None,
) -> Any:
    """Decorator for a custom autograd Function's ``forward`` (torch.amp.custom_fwd): with ``cast_inputs``, inside
    an autocast region the floating inputs are cast to it and forward runs with autocast off."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    _check_device(device_type, "custom_fwd")

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0] if args else None
        enabled = is_autocast_enabled(device_type)
        if ctx is not None:
            ctx._fwd_used_autocast = enabled
            ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None or not enabled:
            return fwd(*args, **kwargs)
        cast_args = tuple(_cast(a, cast_inputs) for a in args)
        cast_kwargs = {k: _cast(v, cast_inputs) for k, v in kwargs.items()}
        with autocast(device_type, enabled=False):
            return fwd(*cast_args, **cast_kwargs)

    return decorate_fwd


def custom_bwd(bwd: Callable[..., Any] | None = None, *, device_type: str = "cpu") -> Any:
    """Decorator for a custom autograd Function's ``backward`` (torch.amp.custom_bwd): backward runs with the
    autocast state its forward saw."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    _check_device(device_type, "custom_bwd")

    @functools.wraps(bwd)
    def decorate_bwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0] if args else None
        enabled = bool(getattr(ctx, "_fwd_used_autocast", False))
        dtype = getattr(ctx, "_dtype", None) or get_autocast_dtype(device_type)
        with autocast(device_type, dtype=dtype, enabled=enabled):
            return bwd(*args, **kwargs)

    return decorate_bwd
