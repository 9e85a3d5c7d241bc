"""torch's smaller factories: scalar_tensor, range (deprecated, end inclusive), asarray (sharing memory
where it can) and the window functions (hann, hamming, blackman, bartlett, kaiser) for spectral analysis.
"""

from __future__ import annotations

import math

from pygrad import _C
from pygrad._compat import _dtype_name
from pygrad._config import default_float
from pygrad._device import check_device

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from pygrad._C import Tensor, dtype
    from pygrad._device import DeviceLike
else:
    Tensor = _C.Tensor

__all__ = [
    "asarray",
    "bartlett_window",
    "blackman_window",
    "hamming_window",
    "hann_window",
    "kaiser_window",
    "range",
    "scalar_tensor",
]


def scalar_tensor(
    s: Any,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A 0-d tensor holding the number s (the default dtype unless dtype is given)."""
    check_device(device, "scalar_tensor")
    if isinstance(s, Tensor) or not hasattr(s, "__float__"):
        raise TypeError(f"[scalar_tensor] s must be a number, got {type(s).__name__}")
    return _C._full([], s, default_float[0] if dtype is None else dtype, requires_grad)


def range(
    start: float,
    end: float,
    step: float = 1,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Deprecated (warns, as torch): values from start to end inclusive by step, float32 unless dtype is
    given; use arange, which excludes end.

    Args:
        start, end: the first value and the inclusive bound (cast to int64 first for an integer dtype).
        step: the gap between values, non-zero, with the sign of end - start.
    Returns:
        A 1-d tensor of floor((end - start) / step) + 1 values, start + i * step.
    """
    import warnings

    import numpy as np

    warnings.warn(
        "pygrad.range is deprecated and will be removed in a future release because its behavior is "
        "inconsistent with Python's range builtin. Instead, use pygrad.arange, which produces values "
        "in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    check_device(device, "range")
    target = default_float[0] if dtype is None else dtype
    integral = not _C._full([], 0, target, False).dtype.is_floating_point
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError(f"[range] unsupported range: {start} -> {end}")
    # torch accumulates an integer range in int64 (the bounds truncated first), a float one in double.
    a, b, h = (int(start), int(end), int(step)) if integral else (start, end, step)
    if h == 0:
        raise ValueError("[range] step must be nonzero")
    if (h > 0 and b < a) or (h < 0 and b > a):
        raise ValueError("[range] upper bound and lower bound inconsistent with step sign")
    count = int((b - a) // h + 1 if integral else (b - a) / h + 1)
    values: Any = np.arange(count, dtype=np.int64 if integral else np.float64)
    values = values * h + a
    out = _C.from_numpy(np.ascontiguousarray(values)).to(target)
    return out.requires_grad_(True) if requires_grad else out


def asarray(
    obj: Any,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    copy: bool | None = None,
    requires_grad: bool | None = None,
) -> Tensor:
    """obj as a tensor, sharing memory with it where possible.

    Args:
        obj: a Tensor, a numpy array or scalar, an object with the buffer protocol (bytes read as elements
            of dtype, float32 by default), a number, or a (nested) sequence of numbers.
        dtype: the element type; None keeps obj's (or infers it, as tensor() does).
        copy: None shares memory when possible; True always copies; False shares or raises ValueError.
        requires_grad: None keeps a tensor obj's (False otherwise); True keeps obj's autograd history
            when it has one; False gives a detached alias.
    Returns:
        A Tensor.
    """
    import numpy as np

    check_device(device, "asarray")
    out: Tensor | None = None
    if isinstance(obj, Tensor):
        out = obj
        if requires_grad is False and out.requires_grad:
            out = out.detach()
        if dtype is not None and out.dtype != dtype:
            if copy is False:
                raise ValueError(f"[asarray] can't alias a tensor of {out.dtype} as {dtype}")
            out = out.to(dtype)
        elif copy:
            out = out.clone()
    elif isinstance(obj, np.generic):
        out = _to_tensor(obj, dtype, copy)
    else:
        if not isinstance(obj, np.ndarray) and not isinstance(obj, (list, tuple)):
            try:
                # The buffer protocol: the bytes as elements of dtype, sharing memory.
                memoryview(obj)
            except TypeError:
                pass
            else:
                name = _dtype_name(_C.float32 if dtype is None else dtype)
                if name == "bfloat16":
                    raise TypeError("[asarray] a buffer can't be read as bfloat16")
                raw = np.frombuffer(obj, dtype=np.uint8)
                size = np.dtype(name).itemsize
                if raw.size % size:
                    raise ValueError(
                        f"[asarray] buffer length ({raw.size} bytes) must be a multiple of element "
                        f"size ({size})"
                    )
                obj = raw.view(name)
                dtype = None
        if isinstance(obj, np.ndarray):
            wanted = None if dtype is None else _dtype_name(dtype)
            shareable = wanted is None or (wanted != "bfloat16" and np.dtype(wanted) == obj.dtype)
            if shareable and copy is not True:
                try:
                    out = _C.from_numpy(obj)
                except (TypeError, ValueError):
                    out = None  # a numpy dtype pygrad lacks: copied below, as tensor() converts it
            if out is None:
                if copy is False:
                    raise ValueError(
                        f"[asarray] can't alias a numpy array of {obj.dtype} as {dtype}"
                    )
                out = _to_tensor(obj, dtype, True)
        else:
            if copy is False:
                raise ValueError("[asarray] can't alias an arbitrary sequence into a tensor")
            out = _to_tensor(obj, dtype, True)
    if requires_grad and not out.requires_grad:
        out = (out.detach() if out is obj else out).requires_grad_(True)
    return out


def _to_tensor(obj: Any, dtype: dtype | None, copy: bool | None) -> Tensor:
    from pygrad._factories import tensor

    if copy is False:
        raise ValueError(f"[asarray] can't alias a {type(obj).__name__} into a tensor")
    return tensor(obj, dtype=dtype)


def _window(
    op: str,
    window_length: int,
    periodic: bool,
    dtype: dtype | None,
    device: DeviceLike | None,
    requires_grad: bool,
    body: Callable[[int, dtype], Tensor],
) -> Tensor:
    """torch's window frame: checks, the 0 and 1 lengths, the periodic form as the symmetric window one
    longer with its last value dropped; body(n, dtype) computes the symmetric window of n >= 2 values."""
    check_device(device, op)
    if isinstance(window_length, bool) or not isinstance(window_length, int):
        raise TypeError(f"[{op}] window_length must be an int, got {type(window_length).__name__}")
    if window_length < 0:
        raise ValueError(f"[{op}] requires a non-negative window_length, got {window_length}")
    target = default_float[0] if dtype is None else dtype
    if not _C._full([], 0, target, False).dtype.is_floating_point:
        raise TypeError(f"[{op}] expects a floating point dtype, got {target}")
    if window_length <= 1:
        out = _C._full([window_length], 1, target, False)
    else:
        n = window_length + 1 if periodic else window_length
        out = body(n, target)
        out = out[: n - 1].clone() if periodic else out
    return out.requires_grad_(True) if requires_grad else out


def _positions(n: int, dtype: dtype, scale: float) -> Tensor:
    return _C._arange(0.0, float(n), 1.0, dtype, False) * scale


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """alpha - beta * cos(2 pi k / (N - 1)); periodic (the default, for spectral analysis) uses N + 1."""
    return _window(
        "hamming_window", window_length, periodic, dtype, device, requires_grad,
        lambda n, d: _positions(n, d, 2 * math.pi / (n - 1)).cos() * -beta + alpha,
    )  # fmt: skip


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """0.5 - 0.5 cos(2 pi k / (N - 1)), i.e. sin^2(pi k / (N - 1)); periodic uses N + 1."""
    return hamming_window(
        window_length, periodic, 0.5, 0.5, dtype=dtype, device=device, requires_grad=requires_grad
    )


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1)); periodic uses N + 1."""

    def body(n: int, d: _C.dtype) -> Tensor:
        w = _positions(n, d, math.pi / (n - 1))
        return (w * 4).cos() * 0.08 - (w * 2).cos() * 0.5 + 0.42

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, body)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """The triangle 1 - |2k / (N - 1) - 1|; periodic uses N + 1."""

    def body(n: int, d: _C.dtype) -> Tensor:
        w = _positions(n, d, 2.0 / (n - 1))
        half = ((n - 1) >> 1) + 1
        return _C.cat([w[:half], -w[half:] + 2], 0)

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, body)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta) with a = (N - 1) / 2 (I0: the modified Bessel function
    of order 0, numpy's, in double); periodic uses N + 1."""

    def body(n: int, d: _C.dtype) -> Tensor:
        import numpy as np

        a = (n - 1) / 2.0
        ratio = (np.arange(n, dtype=np.float64) - a) / a
        values = np.i0(beta * np.sqrt(np.maximum(1.0 - ratio * ratio, 0.0))) / np.i0(beta)
        return _C.from_numpy(values).to(d)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, body)
