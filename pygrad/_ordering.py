"""Ordering with torch's signatures: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, quantile,
nanquantile (in pygrad/_statistics.py, loaded on first use), and the non-differentiable set and bin ops (unique,
unique_consecutive, searchsorted, bucketize, histc, bincount, histogram). The
permutation is computed on a detached numpy copy (a stable argsort, NaN last as torch); values are read with
gather, so gradients flow to the selected elements.
"""

from __future__ import annotations

from pygrad import _C
from pygrad._reduce import (
    _as_method,
    _from_np,
    _index,
    _is_integral,
    _np,
    _on,
    _pick_dim,
    _values_indices,
    _wrap,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = [
    "argsort",
    "bincount",
    "bucketize",
    "histc",
    "histogram",
    "kthvalue",
    "median",
    "mode",
    "msort",
    "nanmedian",
    "nanquantile",
    "quantile",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]

_sort_result = _values_indices("sort")
_topk_result = _values_indices("topk")
_kthvalue_result = _values_indices("kthvalue")
_median_result = _values_indices("median")
_nanmedian_result = _values_indices("nanmedian")
_mode_result = _values_indices("mode")


# ---- ordering


def _order(a: Any, axis: int, descending: bool, stable: bool = True) -> Any:
    """Argsort along axis; NaN sorts as the largest value (torch's order). Unstable is numpy's SIMD
    introsort, several times faster than its stable merge sort on floats."""
    import numpy as np

    kind: Any = "stable" if stable else None  # None: numpy's default (SIMD introsort)
    if descending:
        n = a.shape[axis]
        idx = np.argsort(np.flip(a, axis), axis=axis, kind=kind)
        return n - 1 - np.flip(idx, axis)
    return np.argsort(a, axis=axis, kind=kind)


def _sorted(
    input: Tensor, dim: int, descending: bool, op: str, stable: bool = True
) -> tuple[Tensor, Tensor, int]:
    """(values, indices, dim) of input sorted along dim (0-d as 1-d)."""
    x = input.reshape([1]) if input.ndim == 0 else input
    d = _wrap(dim, input.ndim, op)
    indices = _on(_index(_order(_np(x), d, descending, stable)), x)
    return x.gather(d, indices), indices, d


def sort(
    input: Tensor,
    dim: int = -1,
    descending: bool = False,
    *,
    stable: bool = False,
    axis: int | None = None,
) -> Any:
    """(values, indices) sorted along dim (stable=True keeps the order of equal values; NaN sorts as
    the largest)."""
    return _sort(input, dim, descending, axis, "sort", stable)


def _sort(
    input: Tensor, dim: int, descending: bool, axis: Any, op: str, stable: bool = True
) -> Any:
    d = _pick_dim(None, axis, op)
    values, indices, _ = _sorted(input, dim if d is None else d, descending, op, stable)
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
    """The indices that sort input along dim (stable=True keeps the order of equal values)."""
    return _sort(input, dim, descending, axis, "argsort", stable).indices


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
    values, indices, d = _top(input, k, dim, largest)
    if input.ndim == 0:
        return _topk_result(values.reshape([]), indices.reshape([]))
    return _topk_result(values, indices)


def _top(input: Tensor, k: int, dim: int, largest: bool) -> tuple[Tensor, Tensor, int]:
    """The k largest (smallest) along dim in order (a C++ selection kernel), values gathered so they
    carry the gradient."""
    x = input.reshape([1]) if input.ndim == 0 else input
    d = _wrap(dim, input.ndim, "topk")
    indices = _C._topk_indices(x, k, d, largest)
    return x.gather(d, indices), indices, d


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
    if (
        weights.dtype == _C.float32
    ):  # as torch: float32 weights stay float32, the rest sum in float64
        return out.to(weights.dtype)
    return out


def quantile(
    input: Tensor,
    q: float | Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The q-th quantiles along dim (all elements when None), interpolating as asked; NaN propagates."""
    from pygrad._statistics import quantile as _quantile

    return _quantile(input, q, dim, keepdim, interpolation=interpolation)


def nanquantile(
    input: Tensor,
    q: float | Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """quantile ignoring NaN (NaN only where a slice is all NaN)."""
    from pygrad._statistics import nanquantile as _nanquantile

    return _nanquantile(input, q, dim, keepdim, interpolation=interpolation)


def histogram(
    input: Tensor,
    bins: int | Tensor,
    *,
    range: tuple[float, float] | None = None,
    weight: Tensor | None = None,
    density: bool = False,
) -> Any:
    """(hist, bin_edges): counts (or weight sums, or densities) of input's values in bins."""
    from pygrad._statistics import histogram as _histogram

    return _histogram(input, bins, range=range, weight=weight, density=density)


_METHODS = {
    name: globals()[name]
    for name in (
        "argsort",
        "bincount",
        "histc",
        "histogram",
        "kthvalue",
        "median",
        "mode",
        "msort",
        "nanmedian",
        "nanquantile",
        "quantile",
        "sort",
        "topk",
        "unique",
        "unique_consecutive",
    )
}

for _name, _fn in _METHODS.items():
    setattr(_C.Tensor, _name, _as_method(_fn))
