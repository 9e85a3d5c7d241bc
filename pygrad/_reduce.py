"""Reductions and scans with torch's signatures, composed from differentiable core ops: cumsum, cumprod,
logcumsumexp, cummax, prod, nansum, norm, diff, ... Scans run as log-step (Hillis-Steele) passes of narrow /
cat and a binary op, so autograd differentiates them (prod is a tree of products: its gradient is right with
zeros). The orderings (sort, topk, median, unique, ...) live in pygrad/_ordering.py.
"""

from __future__ import annotations

import collections

from pygrad import _C
from pygrad._autocast import autocast_float32

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any, Callable

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = [
    "all",
    "aminmax",
    "any",
    "count_nonzero",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "diff",
    "logcumsumexp",
    "nanmean",
    "nansum",
    "norm",
    "prod",
    "std_mean",
    "var_mean",
]


def _values_indices(name: str) -> Any:
    cls = collections.namedtuple(name, ["values", "indices"])  # type: ignore[misc]
    cls.__module__ = "pygrad.return_types"
    return cls


_cummax_result = _values_indices("cummax")
_cummin_result = _values_indices("cummin")
_aminmax_result = collections.namedtuple("aminmax", ["min", "max"])  # type: ignore[name-match]
_aminmax_result.__module__ = "pygrad.return_types"

_INTEGRAL = ("bool", "uint8", "int8", "int16", "int32", "int64")


def _is_integral(t: Tensor) -> bool:
    return str(t.dtype).rsplit(".", 1)[-1] in _INTEGRAL


def _pick_dim(dim: Any, axis: Any, op: str, required: bool = False) -> Any:
    if axis is not None:
        if dim is not None:
            raise TypeError(f"[{op}] got both dim and its alias axis")
        return axis
    if dim is None and required:
        raise TypeError(f"[{op}] missing required argument 'dim'")
    return dim


def _wrap(dim: int, ndim: int, op: str) -> int:
    from pygrad._shape import _wrap as wrap

    return wrap(dim, ndim, op)


def _np(t: Tensor) -> Any:
    """A detached numpy copy (bfloat16 widened to float32)."""
    t = t.detach()
    if t.is_cuda:
        t = t.cpu()
    if str(t.dtype).endswith("bfloat16"):
        t = t.to(_C.float32)
    return t.numpy()


def _from_np(values: Any) -> Tensor:
    import numpy as np

    return _C.from_numpy(np.array(values, order="C"))


def _index(values: Any) -> Tensor:
    import numpy as np

    return _C.from_numpy(np.array(values, dtype=np.int64, order="C"))


def _on(result: Tensor, like: Tensor) -> Tensor:
    """result (built on the CPU from numpy) moved to like's device."""
    return result.to(like.device) if like.is_cuda else result


def _accumulating(input: Tensor, dtype: Any) -> Tensor:
    """input cast as sum/prod/cumsum do: to dtype when given, integers and bool to int64."""
    if dtype is not None:
        return input.to(dtype) if input.dtype != dtype else input
    return input.to(_C.int64) if _is_integral(input) else input


# ---- scans


def _scan(
    x: Tensor, dim: int | None, op: str, combine: Callable[[Tensor, Tensor], Tensor]
) -> Tensor:
    """Inclusive scan of x along dim with an associative combine(later, earlier), log2(n) passes."""
    if dim is None:
        raise TypeError(f"[{op}] missing required argument 'dim'")
    if x.ndim == 0:
        _wrap(dim, 0, op)
        return _scan(x.reshape([1]), 0, op, combine).reshape([])
    d = _wrap(dim, x.ndim, op)
    n = x.shape[d]
    step = 1
    while step < n:
        head = x.narrow(d, 0, step)
        x = _C.cat([head, combine(x.narrow(d, step, n - step), x.narrow(d, 0, n - step))], d)
        step *= 2
    return x if n > 1 else x + 0 if x.requires_grad else x.clone()


def cumsum(
    input: Tensor, dim: int | None = None, *, dtype: Any = None, axis: int | None = None
) -> Tensor:
    """Cumulative sum along dim (bool/integers accumulate in int64)."""
    x = _accumulating(input, dtype)
    return _C._cumsum(x, _pick_dim(dim, axis, "cumsum", True))


def cumprod(
    input: Tensor, dim: int | None = None, *, dtype: Any = None, axis: int | None = None
) -> Tensor:
    """Cumulative product along dim (bool/integers accumulate in int64); gradient exact with zeros."""
    x = _accumulating(input, dtype)
    return _scan(x, _pick_dim(dim, axis, "cumprod", True), "cumprod", lambda a, b: a * b)


def logcumsumexp(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """log(cumsum(exp(x))) along dim, computed stably."""
    d = _pick_dim(dim, axis, "logcumsumexp", True)
    if _is_integral(input):
        raise RuntimeError("[logcumsumexp] expected a floating point input")
    return _scan(input, d, "logcumsumexp", lambda a, b: _C.logaddexp(a, b))


def _cum_extreme(input: Tensor, dim: Any, axis: Any, op: str, result: Any, larger: bool) -> Any:
    import numpy as np

    d0 = _pick_dim(dim, axis, op, True)
    x = input.reshape([1]) if input.ndim == 0 else input
    d = _wrap(d0, input.ndim, op)
    a = np.moveaxis(_np(x), d, -1)
    idx = np.zeros(a.shape, dtype=np.int64)
    if a.shape[-1]:
        best = a[..., 0].copy()
        at = np.zeros(a.shape[:-1], dtype=np.int64)
        floating = a.dtype.kind == "f"
        for i in range(a.shape[-1]):
            cur = a[..., i]
            better = cur >= best if larger else cur <= best
            if floating:
                better = np.isnan(cur) | (~np.isnan(best) & better)
            best = np.where(better, cur, best)
            at = np.where(better, i, at)
            idx[..., i] = at
    indices = _on(_index(np.moveaxis(idx, -1, d)), x)
    values = x.gather(d, indices)
    if input.ndim == 0:
        return result(values.reshape([]), indices.reshape([]))
    return result(values, indices)


def cummax(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> Any:
    """(values, indices) of the running maximum along dim (NaN propagates; ties: the latest index)."""
    return _cum_extreme(input, dim, axis, "cummax", _cummax_result, True)


def cummin(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> Any:
    """(values, indices) of the running minimum along dim (NaN propagates; ties: the latest index)."""
    return _cum_extreme(input, dim, axis, "cummin", _cummin_result, False)


# ---- reductions


def _prod_along(x: Tensor, d: int) -> Tensor:
    """Product along d, keeping d (size 1), as a tree of multiplications."""
    if x.shape[d] == 0:
        return x.sum(d, keepdim=True) * 0 + 1
    while x.shape[d] > 1:
        n = x.shape[d]
        h = n // 2
        p = x.narrow(d, 0, h) * x.narrow(d, h, h)
        x = _C.cat([p, x.narrow(d, 2 * h, 1)], d) if n % 2 else p
    return x


@autocast_float32
def prod(
    input: Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: int | None = None,
) -> Tensor:
    """Product of all elements, or along dim (bool/integers multiply in int64); gradient exact with zeros."""
    d = _pick_dim(dim, axis, "prod")
    x = _accumulating(input, dtype)
    if d is None:
        return _prod_along(x.reshape([-1]), 0).reshape([])
    if not isinstance(d, int):
        raise TypeError("[prod] dim must be an int")
    if x.ndim == 0:
        _wrap(d, 0, "prod")
        return x + 0 if x.requires_grad else x.clone()
    d = _wrap(d, x.ndim, "prod")
    out = _prod_along(x, d)
    return out if keepdim else out.squeeze(d)


def _dims_arg(dim: Any, axis: Any, op: str) -> Any:
    d = _pick_dim(dim, axis, op)
    return list(d) if isinstance(d, (tuple, list)) else d


def any(input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """True where some element (along dim) is nonzero."""
    return _count(input != 0, dim, keepdim, axis, "any") > 0


def all(input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """True where every element (along dim) is nonzero."""
    return _count(input == 0, dim, keepdim, axis, "all") == 0


def _count(mask: Tensor, dim: Any, keepdim: bool, axis: Any, op: str) -> Tensor:
    d = _dims_arg(dim, axis, op)
    n = mask.to(_C.int64)
    if d is None:
        return n.sum(list(range(n.ndim)), True) if keepdim and n.ndim else n.sum()
    return n.sum(d, keepdim)


def count_nonzero(input: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Number of nonzero elements (along dim), as int64."""
    d = _dims_arg(dim, axis, "count_nonzero")
    nz = (input != 0).to(_C.int64)
    return nz.sum() if d is None else nz.sum(d)


def _not_nan(input: Tensor) -> Tensor:
    return input if _is_integral(input) else _C.where(_C.isnan(input), 0.0, input)


def nansum(
    input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None
) -> Tensor:
    """Sum treating NaN as zero."""
    d = _dims_arg(dim, axis, "nansum")
    x = _not_nan(input)
    if d is None:
        return x.sum(dtype=dtype) if not keepdim else x.sum(list(range(x.ndim)), True, dtype=dtype)
    return x.sum(d, keepdim, dtype=dtype)


def nanmean(
    input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None
) -> Tensor:
    """Mean of the non-NaN elements."""
    d = _dims_arg(dim, axis, "nanmean")
    if _is_integral(input) and dtype is None:
        raise RuntimeError("[nanmean] expected a floating point input (or dtype=)")
    x = input.to(dtype) if dtype is not None and input.dtype != dtype else input
    dims = list(range(x.ndim)) if d is None else d
    count = (~_C.isnan(x)).to(x.dtype).sum(dims, keepdim)
    return nansum(x, dims, keepdim) / count


def var_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
) -> tuple[Tensor, Tensor]:
    """(var, mean) over dim, as var and mean."""
    d = _dims_arg(dim, axis, "var_mean")
    v = input.var(d, unbiased, keepdim, correction=correction)
    return v, (input.mean(d, keepdim) if d is not None else _full_mean(input, keepdim))


def std_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
) -> tuple[Tensor, Tensor]:
    """(std, mean) over dim, as std and mean."""
    d = _dims_arg(dim, axis, "std_mean")
    s = input.std(d, unbiased, keepdim, correction=correction)
    return s, (input.mean(d, keepdim) if d is not None else _full_mean(input, keepdim))


def _full_mean(input: Tensor, keepdim: bool) -> Tensor:
    return input.mean(list(range(input.ndim)), True) if keepdim and input.ndim else input.mean()


def norm(
    input: Tensor,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    dtype: Any = None,
    *,
    axis: Any = None,
) -> Tensor:
    """torch.norm: the vector p-norm over dim (all elements by default); p in numbers, inf, -inf, 'fro';
    'nuc' the nuclear norm of matrices (pygrad.linalg has the explicit forms)."""
    d = _dims_arg(dim, axis, "norm")
    x = input.to(dtype) if dtype is not None and input.dtype != dtype else input
    if _is_integral(x):
        raise RuntimeError("[norm] expected a floating point input")
    dims = list(range(x.ndim)) if d is None else d
    if isinstance(dims, list) and not dims and x.ndim == 0:
        dims = None
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":  # the nuclear norm of the matrices over dim (of a 2-d input when dim is None)
        from pygrad._norms import matrix_norm

        return matrix_norm(x, "nuc", list(range(x.ndim)) if d is None else d, keepdim)
    if isinstance(p, str):
        raise ValueError(f"[norm] unsupported p={p!r} (use pygrad.linalg for matrix norms)")
    a = x.abs()

    def over(t: Tensor, how: str) -> Tensor:
        if dims is None:
            return getattr(t, how)()
        return getattr(t, how)(dims, keepdim)

    if p == float("inf"):
        return over(a, "amax")
    if p == float("-inf"):
        return over(a, "amin")
    if p == 0:
        return over((a != 0).to(x.dtype), "sum")
    if p == 1:
        return over(a, "sum")
    if p != 2:  # |x|**p with a zero gradient at x == 0 (p < 1 would give inf * 0)
        at_zero = a == 0
        a = _C.where(at_zero, 0.0, _C.where(at_zero, 1.0, a) ** p)
    total = over(x * x if p == 2 else a, "sum")
    zero = total == 0  # a zero norm gets a zero gradient, as torch's
    root = _C.where(zero, 1.0, total)
    root = root.sqrt() if p == 2 else root ** (1.0 / p)
    return _C.where(zero, 0.0, root)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """(min, max) over all elements or along dim."""
    if input.numel() == 0 and (dim is None or input.shape[_wrap(dim, input.ndim, "aminmax")] == 0):
        raise RuntimeError("[aminmax] cannot compute aminmax over an empty dimension (no identity)")
    if dim is None:
        if keepdim and input.ndim:
            dims = list(range(input.ndim))
            return _aminmax_result(input.amin(dims, True), input.amax(dims, True))
        return _aminmax_result(input.amin(), input.amax())
    return _aminmax_result(input.amin(dim, keepdim), input.amax(dim, keepdim))


def diff(
    input: Tensor,
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """The n-th forward difference along dim, after concatenating prepend and append."""
    d0 = _pick_dim(None, axis, "diff")
    dim = dim if d0 is None else d0
    if input.ndim == 0:
        raise RuntimeError("[diff] expects input to be at least one-dimensional")
    d = _wrap(dim, input.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = _C.cat(parts, d) if len(parts) > 1 else input
    is_bool = x.dtype == _C.bool
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = (hi != lo) if is_bool else hi - lo
    return x


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """input summed down to size, which must be expandable to input's shape (torch's Tensor.sum_to_size)."""
    shape = list(size[0]) if len(size) == 1 and not isinstance(size[0], int) else list(size)
    have = list(input.shape)
    lead = len(have) - len(shape)
    if lead < 0 or [s for s, h in zip(shape, have[lead:]) if s not in (1, h)]:
        raise RuntimeError(f"[sum_to_size] size {shape} is not expandable to size {have}")
    dims = list(range(lead)) + [
        lead + i for i, s in enumerate(shape) if s == 1 and have[lead + i] != 1
    ]
    return (input.sum(dims, keepdim=True) if dims else input).reshape(shape)


_METHODS = {
    name: globals()[name]
    for name in (
        "aminmax",
        "count_nonzero",
        "cummax",
        "cummin",
        "cumprod",
        "cumsum",
        "diff",
        "logcumsumexp",
        "nanmean",
        "nansum",
        "norm",
        "prod",
        "sum_to_size",
    )
}
_METHODS["any"] = any
_METHODS["all"] = all


def _as_method(fn: Any) -> Any:
    """fn(input, ...) as a Tensor method (self, ...)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    def unary(self: Tensor) -> Any:
        return fn(self)

    def keywords(self: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
        return fn(self, dim=dim, keepdim=keepdim)

    if fn.__name__ == "msort":
        method = unary
    elif fn.__name__ == "aminmax":
        method = keywords
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _name, _fn in _METHODS.items():
    setattr(_C.Tensor, _name, _as_method(_fn))
