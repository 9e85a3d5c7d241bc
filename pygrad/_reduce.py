"""Reductions, scans and ordering with torch's signatures, composed from differentiable core ops: cumsum,
cumprod, prod, sort, topk, median, cummax, norm, ... Scans run as log-step (Hillis-Steele) passes of
narrow / cat and a binary op, so autograd differentiates them (prod's gradient is right with zeros);
orderings compute the permutation on a detached numpy copy and read the values with gather.
"""

from __future__ import annotations

import collections

from pygrad import _C

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
    "argsort",
    "bincount",
    "bucketize",
    "count_nonzero",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "diff",
    "histc",
    "kthvalue",
    "logcumsumexp",
    "median",
    "mode",
    "msort",
    "nanmean",
    "nanmedian",
    "nansum",
    "norm",
    "prod",
    "searchsorted",
    "sort",
    "std_mean",
    "topk",
    "unique",
    "unique_consecutive",
    "var_mean",
]


def _values_indices(name: str) -> Any:
    cls = collections.namedtuple(name, ["values", "indices"])  # type: ignore[misc]
    cls.__module__ = "pygrad.return_types"
    return cls


_sort_result = _values_indices("sort")
_topk_result = _values_indices("topk")
_kthvalue_result = _values_indices("kthvalue")
_median_result = _values_indices("median")
_nanmedian_result = _values_indices("nanmedian")
_mode_result = _values_indices("mode")
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
    return _scan(x, _pick_dim(dim, axis, "cumsum", True), "cumsum", lambda a, b: a + b)


def cumprod(
    input: Tensor, dim: int | None = None, *, dtype: Any = None, axis: int | None = None
) -> Tensor:
    """Cumulative product along dim (bool/integers accumulate in int64); gradient exact with zeros."""
    x = _accumulating(input, dtype)
    return _scan(x, _pick_dim(dim, axis, "cumprod", True), "cumprod", lambda a, b: a * b)


def logcumsumexp(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """log(cumsum(exp(x))) along dim, computed stably."""
    d = _pick_dim(dim, axis, "logcumsumexp", True)
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
    """torch.norm: the vector p-norm over dim (all elements by default); p in numbers, inf, -inf, 'fro'."""
    d = _dims_arg(dim, axis, "norm")
    x = input.to(dtype) if dtype is not None and input.dtype != dtype else input
    if _is_integral(x):
        raise RuntimeError("[norm] expected a floating point input")
    dims = list(range(x.ndim)) if d is None else d
    if isinstance(dims, list) and not dims and x.ndim == 0:
        dims = None
    if p == "fro" or p is None:
        p = 2
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
    if dim is None:
        if keepdim and input.ndim:
            dims = list(range(input.ndim))
            return _aminmax_result(input.amin(dims, True), input.amax(dims, True))
        return _aminmax_result(input.amin(), input.amax())
    return _aminmax_result(input.amin(dim, keepdim), input.amax(dim, keepdim))


# ---- ordering


def _order(a: Any, axis: int, descending: bool) -> Any:
    """Stable argsort along axis; NaN sorts as the largest value (torch's order)."""
    import numpy as np

    if descending:
        n = a.shape[axis]
        idx = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
        return n - 1 - np.flip(idx, axis)
    return np.argsort(a, axis=axis, kind="stable")


def _sorted(input: Tensor, dim: int, descending: bool, op: str) -> tuple[Tensor, Tensor, int]:
    """(values, indices, dim) of input sorted along dim (0-d as 1-d)."""
    x = input.reshape([1]) if input.ndim == 0 else input
    d = _wrap(dim, input.ndim, op)
    indices = _on(_index(_order(_np(x), d, descending)), x)
    return x.gather(d, indices), indices, d


def sort(
    input: Tensor,
    dim: int = -1,
    descending: bool = False,
    *,
    stable: bool = False,
    axis: int | None = None,
) -> Any:
    """(values, indices) sorted along dim (always stable; NaN sorts as the largest)."""
    return _sort(input, dim, descending, axis, "sort")


def _sort(input: Tensor, dim: int, descending: bool, axis: Any, op: str) -> Any:
    d = _pick_dim(None, axis, op)
    values, indices, _ = _sorted(input, dim if d is None else d, descending, op)
    if input.ndim == 0:
        return _sort_result(values.reshape([]), indices.reshape([]))
    return _sort_result(values, indices)


def argsort(
    input: Tensor,
    dim: int = -1,
    descending: bool = False,
    *,
    stable: bool = False,
    axis: int | None = None,
) -> Tensor:
    """The indices that sort input along dim (always stable)."""
    return _sort(input, dim, descending, axis, "argsort").indices


def msort(input: Tensor) -> Tensor:
    """input sorted along dim 0."""
    return _sort(input, 0, False, None, "msort").values


def topk(
    input: Tensor,
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,
    *,
    axis: int | None = None,
) -> Any:
    """(values, indices) of the k largest (largest=False: smallest) along dim, in sorted order."""
    d = _pick_dim(None, axis, "topk")
    dim = dim if d is None else d
    n = input.shape[_wrap(dim, input.ndim, "topk")] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"[topk] k ({k}) out of range for a dimension of size {n}")
    values, indices, d = _sorted(input, dim, largest, "topk")
    values, indices = values.narrow(d, 0, k), indices.narrow(d, 0, k)
    if input.ndim == 0:
        return _topk_result(values.reshape([]), indices.reshape([]))
    return _topk_result(values, indices)


def _select(input: Tensor, dim: int, keepdim: bool, pos: Any, op: str, result: Any) -> Any:
    """(values, indices) at sorted position pos (an int or an array over the other dims) along dim."""
    import numpy as np

    x = input.reshape([1]) if input.ndim == 0 else input
    d = _wrap(dim, input.ndim, op)
    a = _np(x)
    order = _order(a, d, False)
    shape = (*order.shape[:d], 1, *order.shape[d + 1 :])
    pos = np.asarray(pos, dtype=np.int64)
    pos_arr = np.broadcast_to(pos if pos.ndim == 0 else np.expand_dims(pos, d), shape)
    idx = np.take_along_axis(order, pos_arr, d)
    indices = _on(_index(idx), x)
    values = x.gather(d, indices)
    if input.ndim == 0:
        return result(values.reshape([]), indices.reshape([]))
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return result(values, indices)


def kthvalue(
    input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, axis: int | None = None
) -> Any:
    """(values, indices) of the k-th smallest element along dim (k counts from 1)."""
    d = _pick_dim(None, axis, "kthvalue")
    dim = dim if d is None else d
    n = input.shape[_wrap(dim, input.ndim, "kthvalue")] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"[kthvalue] k ({k}) out of range for a dimension of size {n}")
    return _select(input, dim, keepdim, k - 1, "kthvalue", _kthvalue_result)


def _median(
    input: Tensor, dim: Any, keepdim: bool, axis: Any, op: str, result: Any, skip_nan: bool
) -> Any:
    import numpy as np

    d = _pick_dim(dim, axis, op)
    if d is None:
        if input.numel() == 0:
            return _C._full([], float("nan"), input.dtype, False)
        return _median(input.reshape([-1]), 0, False, None, op, result, skip_nan).values
    x = input.reshape([1]) if input.ndim == 0 else input
    dd = _wrap(d, input.ndim, op)
    if x.shape[dd] == 0:
        raise IndexError(f"[{op}] cannot compute the median of an empty dimension")
    a = _np(x)
    n = a.shape[dd]
    if a.dtype.kind == "f":
        m = (~np.isnan(a)).sum(axis=dd)
        pos = np.maximum((m - 1) // 2, 0) if skip_nan else np.where(m < n, m, (n - 1) // 2)
    else:
        pos = (n - 1) // 2
    out = _select(input, d, keepdim, pos, op, result)
    return out


def median(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
) -> Any:
    """The lower median of all elements, or (values, indices) along dim; NaN propagates."""
    return _median(input, dim, keepdim, axis, "median", _median_result, False)


def nanmedian(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
) -> Any:
    """median ignoring NaN (NaN only where every element is NaN)."""
    return _median(input, dim, keepdim, axis, "nanmedian", _nanmedian_result, True)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *, axis: int | None = None) -> Any:
    """(values, indices) of the most frequent value along dim (ties: the smallest value; its last index)."""
    import numpy as np

    d0 = _pick_dim(None, axis, "mode")
    dim = dim if d0 is None else d0
    x = input.reshape([1]) if input.ndim == 0 else input
    d = _wrap(dim, input.ndim, "mode")
    a = np.moveaxis(_np(x), d, -1)
    rows = a.reshape(-1, a.shape[-1])
    idx = np.zeros(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        if row.size == 0:
            continue
        vals, counts = np.unique(row, return_counts=True)
        best = vals[np.argmax(counts)]  # the first maximal count: the smallest value
        same = np.nonzero(
            (row == best) | (np.isnan(row) & np.isnan(best))
            if row.dtype.kind == "f"
            else row == best
        )[0]
        idx[r] = same[-1]
    indices = _on(_index(np.expand_dims(idx.reshape(a.shape[:-1]), d)), x)
    values = x.gather(d, indices)
    if input.ndim == 0:
        return _mode_result(values.reshape([]), indices.reshape([]))
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return _mode_result(values, indices)


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


# ---- sets and bins (not differentiable)


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct values (sorted), with the inverse map and counts when asked; dim: distinct slices."""
    import numpy as np

    a = _np(input)
    if dim is None:
        vals, inv, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        d = _wrap(dim, input.ndim, "unique")
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    out = _on(_from_np(vals.astype(a.dtype, copy=False)), input)
    if out.dtype != input.dtype:
        out = out.to(input.dtype)
    if not (return_inverse or return_counts):
        return out
    res: list[Tensor] = [out]
    if return_inverse:
        res.append(_on(_index(inv), input))
    if return_counts:
        res.append(_on(_index(counts), input))
    return tuple(res)


def unique_consecutive(
    input: Tensor,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The values with consecutive repeats collapsed, with the inverse map and counts when asked."""
    import numpy as np

    a = _np(input)
    if dim is None:
        flat = a.reshape(-1)
        change = flat[1:] != flat[:-1]
        keep_shape = a.shape
        d = 0
    else:
        d = _wrap(dim, input.ndim, "unique_consecutive")
        flat = np.moveaxis(a, d, 0)
        rows = flat.reshape(flat.shape[0], -1)
        change = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[0] else np.zeros(0, bool)
        keep_shape = (a.shape[d],)
    starts = np.concatenate([[True], change]) if flat.shape[0] else np.zeros(0, bool)
    first = np.nonzero(starts)[0]
    vals = flat[first]
    if dim is not None:
        vals = np.moveaxis(vals, 0, d)
    out = _on(_from_np(vals), input)
    if out.dtype != input.dtype:
        out = out.to(input.dtype)
    if not (return_inverse or return_counts):
        return out
    res: list[Tensor] = [out]
    if return_inverse:
        res.append(_on(_index((np.cumsum(starts) - 1).reshape(keep_shape)), input))
    if return_counts:
        res.append(_on(_index(np.diff(np.append(first, flat.shape[0]))), input))
    return tuple(res)


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Indices where input's values would be inserted into sorted_sequence's last dim to keep it sorted."""
    import numpy as np

    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"[searchsorted] side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("[searchsorted] side='left' contradicts right=True")
        right = side == "right"
    how: Any = "right" if right else "left"
    seq = _np(sorted_sequence)
    if sorter is not None:
        seq = np.take_along_axis(seq, _np(sorter), -1)
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else _np(input)
    if seq.ndim <= 1:
        out = np.searchsorted(seq.reshape(-1), vals, side=how)
    else:
        if scalar or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "[searchsorted] boundaries and input must match in all but the last dimension"
            )
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(s2, v2)]).reshape(
            vals.shape
        )
    res = _on(_index(out), sorted_sequence)
    return res.to(_C.int32) if out_int32 else res


def bucketize(
    input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each value among the 1-d boundaries (right=True: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries.ndim != 1:
        raise RuntimeError("[bucketize] boundaries must be 1-dimensional")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Histogram of bins equal-width bins over [min, max] (the data's range when min == max)."""
    import numpy as np

    if _is_integral(input):
        raise RuntimeError("[histc] expected a floating point input")
    if bins <= 0:
        raise RuntimeError("[histc] bins must be > 0")
    a = _np(input).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("[histc] max must be larger than min")
    a = a[(a >= lo) & (a <= hi)]
    pos = ((a - lo) * bins / (hi - lo)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    counts = np.bincount(pos, minlength=bins).astype(_np(input).dtype)
    out = _on(_from_np(counts), input)
    return out if out.dtype == input.dtype else out.to(input.dtype)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Count of each non-negative integer in the 1-d input (summing weights when given)."""
    import numpy as np

    if input.ndim != 1 or not _is_integral(input) or input.dtype == _C.bool:
        raise RuntimeError("[bincount] only supports 1-d non-negative integral inputs")
    a = _np(input).astype(np.int64)
    if a.size and a.min() < 0:
        raise RuntimeError("[bincount] input must be non-negative")
    if minlength < 0:
        raise RuntimeError("[bincount] minlength should be >= 0")
    if weights is None:
        return _on(_index(np.bincount(a, minlength=minlength)), input)
    w = _np(weights)
    if weights.shape != input.shape:
        raise RuntimeError("[bincount] input and weights should have the same length")
    out = _on(_from_np(np.bincount(a, weights=w.astype(np.float64), minlength=minlength)), input)
    if weights.dtype in (_C.float32, _C.float16) or str(weights.dtype).endswith("bfloat16"):
        return out.to(weights.dtype)
    return out


_METHODS = {
    name: globals()[name]
    for name in (
        "aminmax",
        "argsort",
        "bincount",
        "count_nonzero",
        "cummax",
        "cummin",
        "cumprod",
        "cumsum",
        "diff",
        "histc",
        "kthvalue",
        "logcumsumexp",
        "median",
        "mode",
        "msort",
        "nanmean",
        "nanmedian",
        "nansum",
        "norm",
        "prod",
        "sort",
        "topk",
        "unique",
        "unique_consecutive",
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

    if fn is msort:
        method = unary
    elif fn is aminmax:
        method = keywords
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _name, _fn in _METHODS.items():
    setattr(_C.Tensor, _name, _as_method(_fn))
