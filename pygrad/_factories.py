"""Tensor factories with PyTorch's signatures: tensor, zeros, ones, full, arange, rand, ... and *_like."""

from __future__ import annotations

import builtins

from pygrad import _C
from pygrad import _random as _random_mod
from pygrad._C import Tensor, dtype
from pygrad._device import check_device
from pygrad._random import Generator

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TypeAlias, Union

    import numpy as np  # imported where used: `import pygrad` does not load numpy

    from pygrad._device import DeviceLike

    # A size: ``zeros(2, 3)`` or ``zeros((2, 3))``.
    _Size: TypeAlias = Union[int, Sequence[int]]
    _Number: TypeAlias = Union[int, float, bool]

__all__ = [
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "empty_strided",
    "eye",
    "full",
    "full_like",
    "linspace",
    "logspace",
    "manual_seed",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "tril_indices",
    "triu_indices",
    "zeros",
    "zeros_like",
]

_DEFAULT_FLOAT = _C.float32


def _size(size: Sequence[Any], op: str) -> list[int]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, builtins.bool) or not hasattr(s, "__index__"):
            raise TypeError(f"[{op}] sizes must be integers, got {type(s).__name__}")
    return [s.__index__() for s in size]


def _numpy_dtype_to_pygrad(np_dtype: np.dtype[Any], from_python_data: bool) -> dtype:

    kind = np_dtype.kind
    if kind == "b":
        return _C.bool
    if kind == "u" and np_dtype.itemsize == 1:
        return _C.uint8
    if kind in "iu":
        # numpy's int8..int64 keep their width (uint16/32/64, which pygrad lacks, widen to int64).
        sizes = {1: _C.int8, 2: _C.int16, 4: _C.int32}
        return _C.int64 if kind == "u" else sizes.get(np_dtype.itemsize, _C.int64)
    if kind == "f":
        if from_python_data:
            return _DEFAULT_FLOAT
        return {2: _C.float16, 4: _C.float32}.get(np_dtype.itemsize, _C.float64)
    raise TypeError(
        f"[tensor] can't convert data of numpy dtype {np_dtype} (kind {kind!r}); "
        "supported are bool, integers and floats"
    )


def tensor(
    data: Any,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Creates a tensor that owns a copy of ``data`` (a list, a number, a numpy array or a Tensor).

    Args:
        data: nested lists / numbers, a numpy array, or a Tensor.
        dtype: the element type; inferred like PyTorch when None (floats -> float32, ints -> int64).
        device: None or "cpu" (the only device of this build).
        requires_grad: whether the new leaf records operations for autograd.
    Returns:
        A new contiguous Tensor.
    """
    import numpy as np

    check_device(device, "tensor")
    if isinstance(data, Tensor):
        out = data.detach().clone()
        if dtype is not None:
            out = out._to_dtype(dtype)
    else:
        from_python = not isinstance(data, (np.ndarray, np.generic))
        try:
            array = np.asarray(data)
        except (ValueError, TypeError) as error:
            raise ValueError(f"[tensor] could not convert data to a tensor: {error}") from None
        if array.dtype == object:
            raise TypeError(
                f"[tensor] can't convert data of type {type(data).__name__} containing non-numbers "
                "(numpy dtype object) to a tensor"
            )
        target = dtype if dtype is not None else _numpy_dtype_to_pygrad(array.dtype, from_python)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"[tensor] can't convert numpy dtype {array.dtype} to a tensor")
        # The core spells the dtype (a dtype, a Python or numpy type, a name) as one of its own.
        canonical = _C._full([], 0, target, False).dtype
        name = str(canonical).split(".")[1]
        # numpy has no bfloat16: go through float32 and round in the core.
        np_target = np.dtype("float32" if name == "bfloat16" else name)
        array = np.array(array, dtype=np_target, order="C", copy=True)
        out = _C.from_numpy(array)
        if name == "bfloat16":
            out = out._to_dtype(canonical)
    if requires_grad:
        out.requires_grad_(True)
    return out


def as_tensor(data: Any, dtype: dtype | None = None, device: DeviceLike | None = None) -> Tensor:
    """Like tensor(), but shares memory with a numpy array or Tensor when the dtype already matches."""
    import numpy as np

    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data._to_dtype(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtype == data.dtype):
        try:
            return _C.from_numpy(data)
        except (TypeError, ValueError):
            pass
    return tensor(data, dtype=dtype)


def _factory(
    op: str,
    size: Sequence[Any],
    dtype: dtype | None,
    device: DeviceLike | None,
    requires_grad: bool,
    fill: _Number,
) -> Tensor:
    check_device(device, op)
    return _C._full(
        _size(size, op), fill, _DEFAULT_FLOAT if dtype is None else dtype, requires_grad
    )


def zeros(
    *size: _Size,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of zeros of the given size (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _factory("zeros", size, dtype, device, requires_grad, 0)


def ones(
    *size: _Size,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ones of the given size."""
    return _factory("ones", size, dtype, device, requires_grad, 1)


def empty(
    *size: _Size,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor of the given size."""
    check_device(device, "empty")
    return _C._empty(
        _size(size, "empty"), _DEFAULT_FLOAT if dtype is None else dtype, requires_grad
    )


def full(
    size: _Size,
    fill_value: _Number,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor filled with fill_value; the dtype follows the value (bool, int64 or float32) when None."""
    check_device(device, "full")
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _C.bool
        elif isinstance(fill_value, int):
            dtype = _C.int64
        else:
            dtype = _DEFAULT_FLOAT
    sizes = _size(size if isinstance(size, (tuple, list)) else (size,), "full")
    return _C._full(sizes, fill_value, dtype, requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step; int64 when all arguments are ints."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(
            isinstance(v, int) and not isinstance(v, builtins.bool) for v in (start, end, step)
        )
        dtype = _C.int64 if integral else _DEFAULT_FLOAT
    return _C._arange(float(start), float(end), float(step), dtype, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included."""
    check_device(device, "linspace")
    return _C._linspace(
        float(start), float(end), steps, _DEFAULT_FLOAT if dtype is None else dtype, requires_grad
    )


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values from base**start to base**end, evenly spaced in the exponent."""
    check_device(device, "logspace")
    target = _DEFAULT_FLOAT if dtype is None else dtype
    exponents = _C._linspace(float(start), float(end), steps, _C.float64, False)
    out = (_C._full([], float(base), _C.float64, False) ** exponents)._to_dtype(target)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _triangle_indices(
    op: str, row: int, col: int, offset: int, dtype: dtype | None, device: DeviceLike | None
) -> Tensor:
    import numpy as np

    check_device(device, op)
    if row < 0 or col < 0:
        raise RuntimeError(f"[{op}] row and col must be non-negative, got row={row}, col={col}")
    ones = np.ones((row, col), dtype=bool)
    mask = np.tril(ones, offset) if op == "tril_indices" else np.triu(ones, offset)
    out = _C.from_numpy(np.stack(np.nonzero(mask)).astype(np.int64).reshape(2, -1))
    return out if dtype is None or dtype == _C.int64 else out._to_dtype(dtype)


def tril_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
) -> Tensor:
    """The (2, N) row/column indices of the lower triangle of a row x col matrix, row by row."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
) -> Tensor:
    """The (2, N) row/column indices of the upper triangle of a row x col matrix, row by row."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device)


def empty_strided(
    size: Sequence[int],
    stride: Sequence[int],
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor with the given strides (in elements) over storage of its own."""

    check_device(device, "empty_strided")
    sizes, strides = _size(tuple(size), "empty_strided"), _size(tuple(stride), "empty_strided")
    if len(sizes) != len(strides):
        raise RuntimeError(
            f"[empty_strided] mismatch in length of strides and shape: {len(sizes)} sizes, "
            f"{len(strides)} strides"
        )
    if any(s < 0 for s in sizes) or any(s < 0 for s in strides):
        raise RuntimeError(f"[empty_strided] negative size or stride: {sizes}, {strides}")
    target = _DEFAULT_FLOAT if dtype is None else dtype
    extent = 0 if 0 in sizes else 1 + sum((n - 1) * st for n, st in zip(sizes, strides))
    out = _C._empty([extent], target, False).as_strided(list(sizes), list(strides), 0)
    if requires_grad:
        out.requires_grad_(True)
    return out


def eye(
    n: int,
    m: int | None = None,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """An n x m identity matrix (m defaults to n)."""
    check_device(device, "eye")
    return _C._eye(
        n, n if m is None else m, _DEFAULT_FLOAT if dtype is None else dtype, requires_grad
    )


def _random(
    sample: Callable[[list[int], dtype, Generator | None, str], Tensor],
    op: str,
    size: Sequence[Any],
    dtype: dtype | None,
    device: DeviceLike | None,
    requires_grad: bool,
    generator: Generator | None,
) -> Tensor:
    check_device(device, op)
    out = sample(_size(size, op), _DEFAULT_FLOAT if dtype is None else dtype, generator, op)
    if requires_grad:
        out.requires_grad_(True)
    return out


def rand(
    *size: _Size,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Uniform random numbers in [0, 1), reproducible under manual_seed at any thread count.

    ``generator``: a pygrad.Generator to draw from instead of the global one.
    """
    return _random(_random_mod.uniform, "rand", size, dtype, device, requires_grad, generator)


def randn(
    *size: _Size,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Standard normal random numbers, reproducible under manual_seed."""
    return _random(
        _random_mod.standard_normal, "randn", size, dtype, device, requires_grad, generator
    )


def randint(
    low: int = 0,
    high: int | Sequence[int] | None = None,
    size: Sequence[int] | None = None,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Random integers in [low, high): ``randint(10, (3,))`` or ``randint(2, 10, (3,))``.

    The result is int64 unless dtype says otherwise; only a floating dtype can require grad.
    """
    check_device(device, "randint")
    lo: Any  # ints, or anything int() takes (numpy integers)
    hi: Any
    shape: Sequence[int]
    if size is None:  # randint(high, size)
        if not isinstance(high, (tuple, list)):
            raise TypeError("[randint] missing the size argument, e.g. randint(10, (3, 4))")
        lo, hi, shape = 0, low, high
    elif high is None:  # randint(high, size=...)
        lo, hi, shape = 0, low, size
    else:
        lo, hi, shape = low, high, size
    out = _random_mod.integers(
        int(lo),
        int(hi),
        _size(tuple(shape), "randint"),
        _C.int64 if dtype is None else dtype,
        generator,
        "randint",
    )
    if requires_grad:
        out.requires_grad_(True)
    return out


def randperm(
    n: int,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """A random permutation of 0..n-1 (from generator, or the global seeded one)."""
    check_device(device, "randperm")
    if n < 0:
        raise ValueError(f"[randperm] n must be non-negative, got {n}")
    import numpy as np

    keys = _random_mod.uniform([n], _C.float64, generator, "randperm").numpy()
    order = np.argsort(keys, kind="stable").astype(np.int64)
    out = _C.from_numpy(order)
    if dtype is not None:
        out = out._to_dtype(dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def manual_seed(seed: int) -> None:
    """Seeds the generator: every random op afterwards gives the same numbers, bit for bit."""
    _C.manual_seed(int(seed))


def zeros_like(
    input: Tensor,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Zeros with the shape (and by default the dtype) of input."""
    return zeros(
        input.shape,
        dtype=input.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def ones_like(
    input: Tensor,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Ones with the shape (and by default the dtype) of input."""
    return ones(
        input.shape,
        dtype=input.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def empty_like(
    input: Tensor,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor with the shape of input."""
    return empty(
        input.shape,
        dtype=input.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def full_like(
    input: Tensor,
    fill_value: _Number,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """fill_value with the shape (and by default the dtype) of input."""
    return full(
        input.shape,
        fill_value,
        dtype=input.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def rand_like(
    input: Tensor,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Uniform random numbers with the shape of input."""
    return rand(
        input.shape,
        dtype=input.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
        generator=generator,
    )


def randn_like(
    input: Tensor,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Normal random numbers with the shape of input."""
    return randn(
        input.shape,
        dtype=input.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
        generator=generator,
    )


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Random integers in [low, high) with the shape of input (``randint_like(x, 10)``)."""
    if high is None:
        low, high = 0, low
    return randint(
        low,
        high,
        input.shape,
        dtype=input.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
        generator=generator,
    )
