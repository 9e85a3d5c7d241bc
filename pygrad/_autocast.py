"""The autocast op lists' entry wrappers: Python-level ops of torch's float32 list and lower-precision list cast
their inputs under CPU autocast (the C++ matmul, linear and convolutions do it themselves); ops built on matmul
that are on neither list run with autocast off. Kept free of typing imports: ``import pygrad`` loads it."""

from __future__ import annotations

import functools

from pygrad import _C

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    _F = TypeVar("_F", bound=Callable[..., Any])

_DEVICE_TYPES = ("cpu", "cuda")


class _autocast_off:
    """Autocast off on both device types for a scope (an op of the float32 list runs its body so)."""

    def __enter__(self) -> None:
        self._saved = [_C._autocast_state(d) for d in _DEVICE_TYPES]
        for d, (_, dtype) in zip(_DEVICE_TYPES, self._saved):
            _C._set_autocast_state(d, False, dtype)

    def __exit__(self, *exc: object) -> None:
        for d, (enabled, dtype) in zip(_DEVICE_TYPES, self._saved):
            _C._set_autocast_state(d, enabled, dtype)


def _cast(value: Any, dtype: Any) -> Any:
    """value in ``dtype`` when it is a floating tensor other than float64 (torch's eligibility rule)."""
    if isinstance(value, _C.Tensor) and value.is_floating_point() and value.dtype != _C.float64:
        return value.to(dtype)
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, dtype) for v in value)
    return value


def autocast_float32(func: _F) -> _F:
    """Marks an op of torch's float32 list: under CPU autocast its floating inputs become float32."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _C._autocast_cpu_enabled():
            return func(*args, **kwargs)
        float32 = _C.float32
        args = tuple(_cast(a, float32) for a in args)
        kwargs = {k: _cast(v, float32) for k, v in kwargs.items()}
        with _autocast_off():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def autocast_lower_precision(func: _F) -> _F:
    """Marks a Python-level op of torch's lower-precision list: under CPU autocast its floating inputs take the
    autocast dtype."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _C._autocast_cpu_enabled():
            return func(*args, **kwargs)
        dtype = _C._autocast_state("cpu")[1]
        args = tuple(_cast(a, dtype) for a in args)
        kwargs = {k: _cast(v, dtype) for k, v in kwargs.items()}
        with _autocast_off():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def autocast_disabled(func: _F) -> _F:
    """An op outside both lists that is built on matmul (mv, dot): it keeps its inputs' dtype under autocast."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _C._autocast_cpu_enabled():
            return func(*args, **kwargs)
        with _autocast_off():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
