"""Tensor factories with PyTorch's signatures: tensor, zeros, ones, full, arange, rand, ... and *_like."""

import builtins

from pygrad import _C
from pygrad._device import check_device

_DEFAULT_FLOAT = _C.float32


def _size(size, op):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, builtins.bool) or not hasattr(s, "__index__"):
            raise TypeError(f"[{op}] sizes must be integers, got {type(s).__name__}")
    return [s.__index__() for s in size]


def _numpy_dtype_to_pygrad(np_dtype, from_python_data):
    import numpy as np

    kind = np_dtype.kind
    if kind == "b":
        return _C.bool
    if kind in "iu":
        return _C.int64
    if kind == "f":
        if from_python_data or np_dtype.itemsize < 4:
            return _DEFAULT_FLOAT
        return _C.float64 if np_dtype == np.float64 else _C.float32
    raise TypeError(
        f"[tensor] can't convert data of numpy dtype {np_dtype} (kind {kind!r}); "
        "supported are bool, integers and floats"
    )


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Creates a tensor that owns a copy of ``data`` (a list, a number, a numpy array or a Tensor).

    Args:
        data: nested lists / numbers, a numpy array, or a Tensor.
        dtype: the element type; inferred like PyTorch when None (floats -> float32, ints -> int64).
        requires_grad: whether the new leaf records operations for autograd.
    Returns:
        A new contiguous Tensor.
    """
    import numpy as np

    check_device(device, "tensor")
    if isinstance(data, _C.Tensor):
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
        np_target = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}[
            str(_C.Tensor.dtype.__get__(_C._full([], 0, target, False))).split(".")[1]
        ]
        array = np.array(array, dtype=np_target, order="C", copy=True)
        out = _C.from_numpy(array)
    if requires_grad:
        out.requires_grad_(True)
    return out


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a numpy array or Tensor when the dtype already matches."""
    import numpy as np

    check_device(device, "as_tensor")
    if isinstance(data, _C.Tensor):
        return data if dtype is None else data._to_dtype(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtype == data.dtype):
        try:
            return _C.from_numpy(data)
        except (TypeError, ValueError):
            pass
    return tensor(data, dtype=dtype)


def _factory(op, size, dtype, device, requires_grad, fill):
    check_device(device, op)
    dtype = _DEFAULT_FLOAT if dtype is None else dtype
    return _C._full(_size(size, op), fill, dtype, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _factory("zeros", size, dtype, device, requires_grad, 0)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of the given size."""
    return _factory("ones", size, dtype, device, requires_grad, 1)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of the given size."""
    check_device(device, "empty")
    return _C._empty(_size(size, "empty"), _DEFAULT_FLOAT if dtype is None else dtype, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor filled with fill_value; the dtype follows the value (bool, int64 or float32) when None."""
    check_device(device, "full")
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _C.bool
        elif isinstance(fill_value, int):
            dtype = _C.int64
        else:
            dtype = _DEFAULT_FLOAT
    size = _size(size if isinstance(size, (tuple, list)) else (size,), "full")
    return _C._full(size, fill_value, dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from start (inclusive) to end (exclusive) by step; int64 when all arguments are ints."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int) and not isinstance(v, builtins.bool) for v in (start, end, step))
        dtype = _C.int64 if integral else _DEFAULT_FLOAT
    return _C._arange(float(start), float(end), float(step), dtype, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end, both included."""
    check_device(device, "linspace")
    return _C._linspace(float(start), float(end), steps, _DEFAULT_FLOAT if dtype is None else dtype, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """An n x m identity matrix (m defaults to n)."""
    check_device(device, "eye")
    return _C._eye(n, n if m is None else m, _DEFAULT_FLOAT if dtype is None else dtype, requires_grad)


def _random(fn, op, size, dtype, device, requires_grad):
    check_device(device, op)
    out = fn(_size(size, op), _DEFAULT_FLOAT if dtype is None else dtype, requires_grad)
    if requires_grad:
        out.requires_grad_(True)
    return out


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform random numbers in [0, 1), reproducible under manual_seed at any thread count."""
    return _random(_C._rand, "rand", size, dtype, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal random numbers, reproducible under manual_seed."""
    return _random(_C._randn, "randn", size, dtype, device, requires_grad)


def randint(low=0, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    """Random integers in [low, high): ``randint(10, (3,))`` or ``randint(2, 10, (3,))``."""
    check_device(device, "randint")
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("[randint] missing the size argument, e.g. randint(10, (3, 4))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return _C._randint(int(low), int(high), _size(tuple(size), "randint"), _C.int64 if dtype is None else dtype)


def randperm(n, dtype=None, device=None):
    """A random permutation of 0..n-1 (from the seeded generator)."""
    check_device(device, "randperm")
    if n < 0:
        raise ValueError(f"[randperm] n must be non-negative, got {n}")
    import numpy as np

    keys = _C._rand([n], _C.float64, False).numpy()
    order = np.argsort(keys, kind="stable").astype(np.int64)
    out = _C.from_numpy(order)
    return out if dtype is None else out._to_dtype(dtype)


def manual_seed(seed):
    """Seeds the generator: every random op afterwards gives the same numbers, bit for bit."""
    _C.manual_seed(int(seed))


def _like(fn, input, dtype, requires_grad, *args):
    dtype = input.dtype if dtype is None else dtype
    return fn(*args, input.shape, dtype=dtype, requires_grad=requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    """Zeros with the shape (and by default the dtype) of input."""
    return zeros(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    """Ones with the shape (and by default the dtype) of input."""
    return ones(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor with the shape of input."""
    return empty(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    """fill_value with the shape (and by default the dtype) of input."""
    return full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers with the shape of input."""
    return rand(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    """Normal random numbers with the shape of input."""
    return randn(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, dtype=None, device=None):
    """Random integers with the shape of input."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=input.dtype if dtype is None else dtype)
