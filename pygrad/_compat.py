"""torch's smaller Tensor attributes and functions that pygrad had no place for: size and type queries
(nelement, itemsize, is_signed, type, ...), the no-op complex helpers of real tensors (conj, real, mH, ...),
factories like self (new_full, new_empty, new_empty_strided), Python callables per element (apply_, map_),
and rsub / frexp / ldexp / isin. Views, index writes, the scatter ops and the *_copy forms are in _copies;
scalar_tensor, range, asarray and the window functions in _creation.
"""

from __future__ import annotations

import collections
import math

from pygrad import _C
from pygrad._device import check_device

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from pygrad._C import Tensor, dtype
    from pygrad._device import DeviceLike
else:
    Tensor = _C.Tensor

__all__ = [
    "adjoint",
    "conj",
    "frexp",
    "gradient",
    "is_complex",
    "is_conj",
    "is_neg",
    "is_nonzero",
    "is_same_size",
    "is_signed",
    "isin",
    "isreal",
    "ldexp",
    "real",
    "resolve_conj",
    "resolve_neg",
    "rsub",
]


def _host(input: Tensor) -> Any:
    """input's values as a numpy array (bfloat16, which numpy lacks, as its exact float32 values)."""
    t = input.detach()
    return (t.float() if t.dtype == _C.bfloat16 else t).numpy()


def _dtype_name(d: dtype) -> str:
    return str(d).split(".")[-1]


# ---- size and type queries

_TYPE_NAMES = {
    "bool": "BoolTensor",
    "uint8": "ByteTensor",
    "int8": "CharTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
}


def is_complex(input: Tensor) -> bool:
    """False: pygrad has no complex dtypes."""
    return False


def is_signed(input: Tensor) -> bool:
    """True unless the dtype is bool or uint8."""
    return input.dtype not in (_C.bool, _C.uint8)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def is_nonzero(input: Tensor) -> bool:
    """The truth of a one-element tensor (an error for any other number of elements)."""
    count = input.numel()
    if count != 1:
        amount = "no values" if count == 0 else "more than one value"
        raise RuntimeError(f"[is_nonzero] Boolean value of Tensor with {amount} is ambiguous")
    return bool(input.detach().reshape([]).item())


def _type(self: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    if dtype is None:
        return ("pygrad.cuda." if self.is_cuda else "pygrad.") + _TYPE_NAMES[
            _dtype_name(self.dtype)
        ]
    to_cuda = self.is_cuda
    if isinstance(dtype, str):
        # 'pygrad.DoubleTensor', 'torch.cuda.FloatTensor': torch's names, under either prefix.
        parts = dtype.split(".")
        by_name = {v: k for k, v in _TYPE_NAMES.items()}
        if (
            len(parts) not in (2, 3)
            or parts[0] not in ("pygrad", "torch")
            or (len(parts) == 3 and parts[1] != "cuda")
            or parts[-1] not in by_name
        ):
            raise ValueError(f"[type] invalid type: {dtype!r}")
        to_cuda = len(parts) == 3
        dtype = getattr(_C, by_name[parts[-1]])
    elif not isinstance(dtype, _C.dtype):
        raise TypeError(
            f"[type] dtype must be a type, str, or dtype object, got {type(dtype).__name__}"
        )
    if dtype == self.dtype and to_cuda == self.is_cuda:
        return self
    out = self.to(dtype)
    return out.cuda() if to_cuda else out.cpu()


# ---- the complex helpers, for real tensors


def conj(input: Tensor) -> Tensor:
    """input itself: the conjugate of a real tensor."""
    return input


def resolve_conj(input: Tensor) -> Tensor:
    """input itself: a real tensor has no conjugate bit to resolve."""
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """input itself: pygrad tensors have no negative bit to resolve."""
    return input


def is_conj(input: Tensor) -> bool:
    """False: pygrad tensors have no conjugate bit."""
    return False


def is_neg(input: Tensor) -> bool:
    """False: pygrad tensors have no negative bit."""
    return False


def real(input: Tensor) -> Tensor:
    """input itself: the real part of a real tensor."""
    return input


def isreal(input: Tensor) -> Tensor:
    """A bool tensor of input's shape, all True (every element of a real tensor is real)."""
    return _C._full(list(input.shape), True, _C.bool, False)


def _matrix_transpose(input: Tensor, op: str) -> Tensor:
    if input.ndim < 2:
        raise ValueError(
            f"[{op}] is only supported on matrices or batches of matrices, got a {input.ndim}-d tensor"
        )
    return input.transpose(-2, -1)


def adjoint(input: Tensor) -> Tensor:
    """A view with the last two dims swapped (the conjugate transpose of real matrices)."""
    return _matrix_transpose(input, "adjoint")


def _h(self: Tensor) -> Tensor:
    if self.ndim == 0:
        import warnings

        warnings.warn(
            "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
            UserWarning,
            stacklevel=2,
        )
        return self
    if self.ndim != 2:
        hint = "; for batches of matrices use mH" if self.ndim > 2 else ""
        raise ValueError(
            f"[H] is only supported on matrices (2-d tensors), got a {self.ndim}-d tensor{hint}"
        )
    return self.transpose(0, 1)


# ---- factories like self


def _new_full(
    self: Tensor,
    size: Sequence[int],
    fill_value: Any,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    from pygrad._factories import _size

    check_device(device, "new_full")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"[new_full] size must be a tuple of ints, got {type(size).__name__}")
    return _C._full(
        _size(tuple(size), "new_full"),
        fill_value,
        self.dtype if dtype is None else dtype,
        requires_grad,
    )


def _new_empty(
    self: Tensor,
    *size: Any,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    from pygrad._factories import empty

    return empty(
        *size,
        dtype=self.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def _new_empty_strided(
    self: Tensor,
    size: Sequence[int],
    stride: Sequence[int],
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    from pygrad._factories import empty_strided

    if not isinstance(size, (tuple, list)) or not isinstance(stride, (tuple, list)):
        raise TypeError("[new_empty_strided] size and stride must be tuples of ints")
    return empty_strided(
        size,
        stride,
        dtype=self.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


# ---- Python callables per element (apply_, map_)


def _from_python(value: Any, target: dtype, op: str) -> Any:
    """A callable's result stored as torch stores it: floats as float, integers truncated and range
    checked (uint8 wraps from -255, as torch's checked conversion allows), bools by truth."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
        raise TypeError(f"[{op}] must be real number, not {type(value).__name__}")
    if target == _C.bool:
        return bool(value)
    if target.is_floating_point:
        return float(value)
    number = value.__index__() if hasattr(value, "__index__") else float(value)
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ValueError(f"[{op}] value {number} cannot be converted to {target}")
        number = int(number)
    bits = target.itemsize * 8
    low, high = (
        (-(2**8) + 1, 2**8 - 1) if target == _C.uint8 else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    if not low <= number <= high:
        raise ValueError(f"[{op}] value {number} cannot be converted to {target} without overflow")
    return number % 256 if target == _C.uint8 else number


def _write_python(self: Tensor, results: list[Any], op: str) -> Tensor:
    import numpy as np

    name = "float32" if self.dtype == _C.bfloat16 else _dtype_name(self.dtype)
    values = [_from_python(r, self.dtype, op) for r in results]
    array = np.array(values, dtype=name).reshape(tuple(self.shape))
    return self.copy_(_C.from_numpy(array))


def _check_python_target(op: str, *tensors: Tensor) -> None:
    for t in tensors:
        if t.is_cuda:
            raise TypeError(f"[{op}] is only implemented on CPU tensors")
        if t.requires_grad:
            raise RuntimeError(
                f"[{op}] can't be called on a tensor that requires grad; use t.detach().{op}(...)"
            )


def _apply_(self: Tensor, callable: Callable[[Any], Any]) -> Tensor:
    _check_python_target("apply_", self)
    results = [callable(v) for v in _host(self).reshape(-1).tolist()]
    return _write_python(self, results, "apply_")


def _map_(self: Tensor, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"[map_] other must be a Tensor, got {type(tensor).__name__}")
    if tensor.dtype != self.dtype:
        raise TypeError(f"[map_] expected other of dtype {self.dtype}, got {tensor.dtype}")
    _check_python_target("map_", self, tensor)
    left = _host(self).reshape(-1).tolist()
    right = _host(_C.broadcast_to(tensor, list(self.shape))).reshape(-1).tolist()
    return _write_python(self, [callable(a, b) for a, b in zip(left, right)], "map_")


# ---- arithmetic: rsub, frexp, ldexp, isin

_frexp_result = collections.namedtuple("frexp", ["mantissa", "exponent"])  # type: ignore[name-match]
_frexp_result.__module__ = "pygrad.return_types"


def rsub(input: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    """other - alpha * input (the reversed sub), with sub's type promotion."""
    if (
        input.dtype == _C.bool
        or isinstance(other, bool)
        or getattr(other, "dtype", None) == _C.bool
    ):
        raise TypeError(
            "[rsub] subtraction with a bool tensor is not supported; use ~ or logical_xor"
        )
    result = _C.result_type(input, other)
    if isinstance(alpha, bool) and result != _C.bool:
        raise TypeError("[rsub] a bool alpha is only supported for bool results")
    if isinstance(alpha, float) and not result.is_floating_point:
        raise TypeError(
            "[rsub] for integral input tensors, alpha must not be a floating point number"
        )
    return _C.sub(other, input if alpha == 1 else input * alpha)


def frexp(input: Tensor) -> Any:
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1) (0, inf and NaN
    keep exponent 0); exponent is int32. The mantissa's gradient is torch's, grad / exponent.exp2() with
    exp2 in float32 (what torch's int32 exponent promotes to)."""
    import numpy as np

    if not input.dtype.is_floating_point:
        raise TypeError(f"[frexp] only supports floating-point dtypes, got {input.dtype}")
    exact, exponent = (np.asarray(a) for a in np.frexp(_host(input)))
    mantissa = _C.from_numpy(exact).to(input.dtype)  # exact: numpy's mantissa fits the dtype
    if input.requires_grad and _C.is_grad_enabled():
        with np.errstate(over="ignore", under="ignore"):
            scale = np.asarray(np.ldexp(np.float32(1.0), exponent))
        mantissa = _Frexp.get().apply(input, mantissa, _C.from_numpy(scale))
    return _frexp_result(mantissa, _C.from_numpy(exponent.astype(np.int32)))


class _Frexp:
    """The mantissa as an autograd.Function (its value from numpy, its gradient torch's formula), made on
    first use: pygrad.autograd is not loaded by `import pygrad`."""

    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:
            from pygrad.autograd.function import Function

            class Frexp(Function):
                @staticmethod
                def forward(ctx: Any, input: Tensor, mantissa: Tensor, scale: Tensor) -> Tensor:
                    ctx.save_for_backward(scale)
                    ctx.dtype = input.dtype
                    return mantissa

                @staticmethod
                def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
                    (scale,) = ctx.saved_tensors
                    return (grad / scale).to(ctx.dtype), None, None

            cls.cls = Frexp
        return cls.cls


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2 ** other (integers give float32). The gradient for input is 2 ** other also for negative
    integer exponents, where torch 2.13's is 0 (pytorch/pytorch#187460)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"[ldexp] other must be a Tensor, got {type(other).__name__}")
    target = _C.result_type(input, other)
    if not target.is_floating_point:
        target = _C.float32
    two = _C._full([], 2.0, target, False)
    return input.to(target) * _C.pow(two, other.to(target))


def isin(
    elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False
) -> Tensor:
    """A bool tensor of elements' shape: whether each element is in test_elements (compared in their
    promoted dtype; either may be a number). Not differentiable."""
    import numpy as np

    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("[isin] expected elements or test_elements to be a Tensor")
    both = (elements, test_elements)
    for v in both:
        if isinstance(v, bool) or (isinstance(v, Tensor) and v.dtype == _C.bool):
            raise TypeError("[isin] unsupported input type bool")
    common = _C.result_type(elements, test_elements)
    a, b = (
        _host(v.to(common) if isinstance(v, Tensor) else _C._full([], v, common, False))
        for v in both
    )
    found = np.isin(a, b, assume_unique=assume_unique, invert=invert)
    return _C.from_numpy(np.array(found, dtype=bool, order="C").reshape(a.shape))


# ---- Tensor methods and properties


def _attach(name: str, method: Any, doc: str | None) -> None:
    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    setattr(Tensor, name, method)


_attach("nelement", lambda self: self.numel(), "Alias of numel.")
_attach("ndimension", lambda self: self.ndim, "Alias of dim.")
_attach("get_device", lambda self: (self.device.index or 0) if self.is_cuda else -1,
        "The CUDA device index, -1 on the CPU.")  # fmt: skip
_attach(
    "storage_offset",
    lambda self: self._offset,
    "Offset of the first element in the storage, in elements.",
)
_attach("is_complex", lambda self: False, is_complex.__doc__)
_attach("is_signed", lambda self: is_signed(self), is_signed.__doc__)
_attach("is_same_size", lambda self, other: is_same_size(self, other), is_same_size.__doc__)
_attach("is_nonzero", lambda self: is_nonzero(self), is_nonzero.__doc__)
_attach("type", _type, "The type name ('pygrad.FloatTensor', ...) without dtype; else self converted to "
        "dtype (a dtype, or a name such as 'torch.DoubleTensor'), self itself when it already is.")  # fmt: skip
_attach("conj", lambda self: self, conj.__doc__)
_attach("resolve_conj", lambda self: self, resolve_conj.__doc__)
_attach("resolve_neg", lambda self: self, resolve_neg.__doc__)
_attach("is_conj", lambda self: False, is_conj.__doc__)
_attach("is_neg", lambda self: False, is_neg.__doc__)
_attach("isreal", lambda self: isreal(self), isreal.__doc__)
_attach("adjoint", lambda self: adjoint(self), adjoint.__doc__)
_attach(
    "new_full",
    _new_full,
    "A tensor of size filled with fill_value, with self's dtype unless dtype is given.",
)
_attach(
    "new_empty",
    _new_empty,
    "An uninitialised tensor of the given size, with self's dtype unless dtype is given.",
)
_attach("new_empty_strided", _new_empty_strided, "An uninitialised tensor with the given size and strides, "
        "with self's dtype unless dtype is given.")  # fmt: skip
_attach("apply_", _apply_, "Replaces each element by callable(element) (Python numbers; CPU only, not for "
        "tensors that require grad); returns self.")  # fmt: skip
_attach("map_", _map_, "Replaces each element by callable(element, the matching element of tensor broadcast "
        "to self's shape); returns self.")  # fmt: skip
_attach("frexp", lambda self: frexp(self), frexp.__doc__)
_attach("ldexp", lambda self, other: ldexp(self, other), ldexp.__doc__)
for _name, _getter, _doc in (
    ("is_cpu", lambda self: not self.is_cuda, "True unless the tensor is on a CUDA device."),
    ("nbytes", lambda self: self.numel() * self.element_size(), "numel() * itemsize: the bytes of its elements."),
    ("itemsize", lambda self: self.element_size(), "Size of one element in bytes."),
    ("real", lambda self: self, real.__doc__),
    ("mH", lambda self: _matrix_transpose(self, "mH"), "Last two dims swapped (the conjugate transpose of "
     "real matrices)."),
    ("H", _h, "The transpose of a 2-d tensor (the conjugate transpose of a real matrix)."),
):  # fmt: skip
    setattr(Tensor, _name, property(_getter, doc=_doc))


def _axis_slice(t: Tensor, dim: int, start: int, stop: int | None) -> Tensor:
    """t[..., start:stop, ...] along dim (a view)."""
    index = [slice(None)] * t.ndim
    index[dim] = slice(start, stop)
    return t[tuple(index)]


def _along(v: Tensor, dim: int, ndim: int) -> Tensor:
    """A 1-D tensor shaped to broadcast along dim of an ndim-d tensor."""
    shape = [1] * ndim
    shape[dim] = v.shape[0]
    return v.reshape(shape)


def _gradient_1d(f: Tensor, dim: int, h: Any, edge_order: int) -> Tensor:
    """numpy.gradient's second-order differences along one dim: h a number (uniform spacing) or the coordinates."""
    n = f.shape[dim]
    first, last = _axis_slice(f, dim, 0, 1), _axis_slice(f, dim, n - 1, n)
    s = lambda a, b: _axis_slice(f, dim, a, b)  # noqa: E731
    if not isinstance(h, Tensor):
        interior = (s(2, None) - s(0, n - 2)) / (2.0 * h)
        if edge_order == 1:
            lo = (s(1, 2) - first) / h
            hi = (last - s(n - 2, n - 1)) / h
        else:
            lo = (-1.5 * first + 2.0 * s(1, 2) - 0.5 * s(2, 3)) / h
            hi = (0.5 * s(n - 3, n - 2) - 2.0 * s(n - 2, n - 1) + 1.5 * last) / h
        return _C.cat([lo, interior, hi], dim)
    x = h.to(f.dtype) if f.is_floating_point() else h
    dx = x[1:] - x[:-1]
    hd, hs = _along(dx[:-1], dim, f.ndim), _along(dx[1:], dim, f.ndim)
    interior = (
        hd * hd * s(2, None) - hs * hs * s(0, n - 2) + (hs * hs - hd * hd) * s(1, n - 1)
    ) / (hs * hd * (hd + hs))
    if edge_order == 1:
        lo = (s(1, 2) - first) / dx[0]
        hi = (last - s(n - 2, n - 1)) / dx[-1]
    else:
        h1, h2 = dx[0], dx[1]
        lo = (
            -(2.0 * h1 + h2) / (h1 * (h1 + h2)) * first
            + (h1 + h2) / (h1 * h2) * s(1, 2)
            - h1 / (h2 * (h1 + h2)) * s(2, 3)
        )
        h1, h2 = dx[-2], dx[-1]
        hi = (
            h2 / (h1 * (h1 + h2)) * s(n - 3, n - 2)
            - (h2 + h1) / (h1 * h2) * s(n - 2, n - 1)
            + (2.0 * h2 + h1) / (h2 * (h1 + h2)) * last
        )
    return _C.cat([lo, interior, hi], dim)


def gradient(
    input: Tensor, *, spacing: Any = 1, dim: int | Sequence[int] | None = None, edge_order: int = 1
) -> tuple[Tensor, ...]:
    """Estimates the derivative of input along each dim (torch.gradient, numpy.gradient's differences):
    central differences inside, one-sided of order edge_order (1 or 2) at the ends. spacing: one number for
    every dim, one number per dim, or one 1-D coordinate tensor per dim. Returns one tensor per dim;
    differentiable."""
    if edge_order not in (1, 2):
        raise ValueError(
            f"[gradient] torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}"
        )
    dims = (
        list(range(input.ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    )
    dims = [d + input.ndim if d < 0 else d for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(
                f"[gradient] expected spacing to be unspecified, a scalar or a list of length {len(dims)} "
                f"(one per dim), but got a list of length {len(spacing)}"
            )
        steps = list(spacing)
    else:
        steps = [spacing] * len(dims)
    out = []
    for d, h in zip(dims, steps):
        n = input.shape[d]
        if n < edge_order + 1:
            raise RuntimeError(
                "[gradient] torch.gradient expected each dimension size to be at least edge_order+1 "
                f"(dim {d} of shape {list(input.shape)} has {n})"
            )
        if isinstance(h, Tensor) and (h.ndim != 1 or h.shape[0] != n):
            raise RuntimeError(
                f"[gradient] expected each coordinate tensor to be 1-D with {n} values along dim {d}, "
                f"got shape {list(h.shape)}"
            )
        f = input if input.is_floating_point() else input.to(_C.float32)
        out.append(_gradient_1d(f, d, h, edge_order))
    return tuple(out)
