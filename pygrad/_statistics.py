"""Statistics of samples with torch's signatures, composed from differentiable core ops: quantile, nanquantile
(sort, gather, lerp: gradients reach the selected elements and q), cov, corrcoef, the distances cdist, pdist
and the trapezoid rule (trapezoid, cumulative_trapezoid); and histogram (numpy counts, no gradient, as torch).
"""

from __future__ import annotations

import collections
import math
import warnings
from typing import Any

import numpy as np

from pygrad import _C, _factories
from pygrad._autocast import autocast_float32
from pygrad._C import Tensor

_FLOATS = (_C.float32, _C.float64)

_histogram_result = collections.namedtuple("histogram", ["hist", "bin_edges"])  # type: ignore[name-match]
_histogram_result.__module__ = "pygrad.return_types"


def _wrap(dim: int, ndim: int, op: str) -> int:
    from pygrad._shape import _wrap as wrap

    return wrap(dim, ndim, op)


def _const(array: Any, like: Tensor) -> Tensor:
    return _C.from_numpy(np.array(array, order="C")).to(like.device)


# ---- quantiles

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(
    input: Tensor,
    q: float | Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The q-th quantiles of input along dim (of all elements when None); a 1-D q adds a leading dim.
    Between two order statistics: 'linear' interpolates, 'lower' / 'higher' / 'nearest' pick one, 'midpoint'
    averages. A NaN in a slice makes its quantiles NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile")


def nanquantile(
    input: Tensor,
    q: float | Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """quantile ignoring NaN (NaN only where a slice is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile")


def _quantile(
    input: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str, op: str
) -> Tensor:
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    if not isinstance(q, Tensor) and not 0 <= q <= 1:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if isinstance(q, Tensor) and q.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
    if input.dtype not in _FLOATS:
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if not isinstance(q, Tensor):
        q = _factories.full([], float(q), dtype=input.dtype)
    elif q.dtype != input.dtype:
        raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
    elif not bool(((q >= 0) & (q <= 1)).all()):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")

    if dim is None:
        x = input.reshape(-1)
        out_shape = [1] * input.ndim if keepdim else []
    else:
        d = _wrap(dim, input.ndim, op)
        x = input.movedim(d, -1) if input.ndim else input.reshape(1)
        out_shape = list(input.shape)
        if input.ndim and keepdim:
            out_shape[d] = 1
        elif input.ndim:
            del out_shape[d]
    if q.ndim:
        out_shape.insert(0, int(q.shape[0]))

    # NaN sorts last; the values are a gather, so they carry gradients
    sorted_ = x.sort(-1, stable=True).values
    n = int(sorted_.shape[-1])
    qv = q.reshape(-1)  # (Q,)
    nan = sorted_.isnan()
    if (
        op == "nanquantile"
    ):  # ranks among the non-NaN values; a slice of NaN only takes rank 0 (NaN)
        ranks = qv * ((~nan).sum(-1, keepdim=True) - 1)  # (..., Q)
        ranks = _C.where(ranks < 0, _factories.zeros([], dtype=ranks.dtype), ranks)
    else:  # a slice with a NaN takes the last rank, which holds a NaN
        last = _factories.full([], float(n - 1), dtype=input.dtype)
        ranks = _C.where(nan.any(-1, keepdim=True), last, qv * (n - 1))
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()  # half to even, as torch
    below = ranks.to(_C.int64)
    values = sorted_.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        above = sorted_.gather(-1, ranks.ceil().to(_C.int64))
        weight = (
            _factories.full([], 0.5, dtype=input.dtype)
            if interpolation == "midpoint"
            else ranks - below.to(input.dtype)
        )
        values = _C.lerp(values, above, weight)
    return values.movedim(-1, 0).reshape(out_shape)


# ---- histogram


def _linspace(start: float, end: float, steps: int, dtype: Any) -> Any:
    """torch's linspace formula in dtype (from both ends towards the middle), so edges match torch's."""
    lo, hi = dtype.type(start), dtype.type(end)
    if steps == 1:
        return np.array([lo], dtype=dtype)
    step = (hi - lo) / dtype.type(steps - 1)
    i = np.arange(steps)
    from_start = lo + step * i.astype(dtype)
    from_end = hi - step * (steps - 1 - i).astype(dtype)
    return np.where(i < steps // 2, from_start, from_end).astype(dtype)


def histogram(
    input: Tensor,
    bins: int | Tensor,
    *,
    range: tuple[float, float] | None = None,
    weight: Tensor | None = None,
    density: bool = False,
) -> Any:
    """(hist, bin_edges) of input's values: bins equal-width bins over range (the data's min and max by
    default, widened by 0.5 each way when equal) or the given 1-D increasing edges. Each bin holds
    [left, right), the last also its right edge; values outside are ignored. weight sums weights instead of
    counting; density divides by the total and the bin widths. Not differentiable, as torch."""
    if input.dtype not in _FLOATS:
        raise NotImplementedError(f'"histogram" not implemented for {input.dtype}')
    a = input.detach().numpy().reshape(-1)
    dt = a.dtype
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): range can only be given with an int bins")
        if bins.ndim != 1:
            raise RuntimeError(
                f"histogram: bins tensor should have one dimension, but got {bins.ndim} dimensions"
            )
        if bins.numel() == 0:
            raise RuntimeError("histogram: bins tensor should have at least 1 element, but got 0")
        if bins.dtype != input.dtype:
            raise RuntimeError(
                f"histogram: input tensor and bins tensors should have the same dtype, but got input "
                f"with dtype {input.dtype} and bins with dtype {bins.dtype}"
            )
        edges = bins.detach().numpy().reshape(-1)
        if edges.size < 2:
            raise RuntimeError(f"histogram(): bins must be > 0, but got {edges.size - 1}")
    else:
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
            raise TypeError(
                f"histogram(): bins must be an int or a Tensor, got {type(bins).__name__}"
            )
        bins = int(bins)
        if bins <= 0:
            raise RuntimeError(f"histogram(): bins must be > 0, but got {bins}")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif a.size:
            lo, hi = float(a.min()), float(a.max())
        else:
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"histogram: range [{lo:g}, {hi:g}] is not finite")
        if lo > hi:
            raise RuntimeError(
                f"histogram: min should not exceed max, but got min {lo:g} max {hi:g}"
            )
        if lo == hi:  # numpy's widening: no zero-width bins
            lo, hi = lo - 0.5, hi + 0.5
        edges = _linspace(lo, hi, bins + 1, dt)
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise RuntimeError(
                f"histogram: weight tensor should have the same shape as the input tensor, but got "
                f"input with shape {list(input.shape)} and weight with shape {list(weight.shape)}"
            )
        if weight.dtype != input.dtype:
            raise RuntimeError(
                f"histogram: input tensor and weight tensor should have the same dtype, but got "
                f"input({input.dtype}) and weight({weight.dtype})"
            )
        w = weight.detach().numpy().reshape(-1)
    inside = (a >= edges[0]) & (a <= edges[-1])  # NaN is never inside
    pos = np.minimum(np.searchsorted(edges, a[inside], side="right") - 1, edges.size - 2)
    hist = np.bincount(pos, weights=None if w is None else w[inside], minlength=edges.size - 1)
    hist = hist.astype(dt)
    if density:
        with np.errstate(divide="ignore", invalid="ignore"):
            hist = hist / hist.sum() / np.diff(edges)
    return _histogram_result(_const(hist.astype(dt), input), _const(edges.astype(dt), input))


# ---- covariance and correlation


def cov(
    input: Tensor,
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """Covariance matrix of the variables in input's rows (a 1-D input is one variable), observations in
    columns: weighted by fweights (integer counts) and aweights (importance), normalised by
    sum(w) - correction (torch's formula with aweights). A single variable gives a 0-d tensor."""
    if input.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} "
            "dimensions"
        )
    if input.dtype == _C.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n_obs = int(x.shape[1])
    w: Tensor | None = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights.ndim > 1:
            raise RuntimeError(
                f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                f"{weights.ndim} dimensions"
            )
        integral = not weights.is_floating_point() and weights.dtype != _C.bool
        if name == "fweights" and not integral:
            raise RuntimeError(
                f"cov(): expected fweights to have integral dtype but got fweights with {weights.dtype} dtype"
            )
        if name == "aweights" and not weights.is_floating_point():
            raise RuntimeError(
                f"cov(): expected aweights to have floating point dtype but got aweights with "
                f"{weights.dtype} dtype"
            )
        if weights.numel() != n_obs:
            raise RuntimeError(
                f"cov(): expected {name} to have the same numel as there are observations in the input "
                f"but got {weights.numel()} != {n_obs}"
            )
        if n_obs and bool((weights < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = weights if w is None else w * weights
    if w is None:
        w_sum: Any = n_obs
        avg = x.sum(1) / n_obs
        norm: Any = n_obs - correction
    else:
        w_sum = w.sum()
        if not bool(w_sum != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
    if float(norm) <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
            "observations.",
            UserWarning,
            stacklevel=3,
        )
        norm = 0
    xm = x - avg.unsqueeze(1)
    c = _C.matmul(xm, (xm if w is None else xm * w).mT)
    return (c / norm).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in input's rows (cov normalised by the standard
    deviations, clipped to [-1, 1]); a single variable gives 1 (NaN when its variance is 0 or NaN)."""
    if input.ndim > 2:
        raise RuntimeError(
            f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clamp(-1, 1)


# ---- distances


def _safe_pow(x: Tensor, exponent: float) -> Tensor:
    """x ** exponent (x >= 0) with 0, and a zero gradient, where x == 0: torch's convention at a zero
    distance, where the plain power's derivative would be inf or NaN."""
    zero = x == 0
    safe = _C.where(zero, _factories.ones([], dtype=x.dtype), x)
    powered = safe.sqrt() if exponent == 0.5 else safe**exponent
    return _C.where(zero, _factories.zeros([], dtype=x.dtype), powered)


def _pnorm_last(d: Tensor, p: float) -> Tensor:
    """The p-norm of d over its last dim, with torch's cdist / pdist gradients (zero at zero distance)."""
    a = d.abs()
    if p == 0:  # a count of the non-zeros, kept in the graph with a zero gradient, as torch's
        count = (a != 0).to(d.dtype).sum(-1)
        return _C.where(_factories.ones([], dtype=_C.bool), count, a.sum(-1))
    if p == 1 or d.shape[-1] == 0:
        return a.sum(-1)
    if math.isinf(p):
        return a.amax(-1)
    if p == 2:
        return _safe_pow((d * d).sum(-1), 0.5)
    return _safe_pow(_safe_pow(a, p).sum(-1), 1.0 / p)


_COMPUTE_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def _check_distance_input(t: Tensor, op: str, name: str, p: float) -> None:
    if not t.is_floating_point():
        got = f", {name} got: {t.dtype}" if name else ""
        raise RuntimeError(f"{op} only supports floating-point dtypes{got}")
    if p < 0:
        raise RuntimeError(f"{op} only supports non-negative p values")


@autocast_float32
def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """p-norm distances between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R), batch
    dims broadcast. Computed directly for every compute_mode (no matrix-product shortcut, so no cancellation);
    the gradient at a zero distance is zero, as torch's."""
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    for name, t in (("X1", x1), ("X2", x2)):
        _check_distance_input(t, "cdist", name, p)
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if x1.dtype != x2.dtype:
        raise RuntimeError(
            f"cdist: X1 and X2 must have the same dtype, got {x1.dtype} and {x2.dtype}"
        )
    from pygrad._solvers import _batch

    _batch(x1.shape[:-2], x2.shape[:-2])
    return _pnorm_last(x1.unsqueeze(-2) - x2.unsqueeze(-3), float(p))


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """p-norm distances between the rows of a 2-D (N, M) input, for each pair i < j in row-major order:
    N * (N - 1) / 2 of them. Gradient zero at a zero distance, as torch's."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    _check_distance_input(input, "pdist", "", p)
    i, j = np.triu_indices(int(input.shape[0]), 1)
    left = input.index_select(0, _const(i.astype(np.int64), input))
    right = input.index_select(0, _const(j.astype(np.int64), input))
    return _pnorm_last(left - right, float(p))


# ---- the trapezoid rule


def _pair(t: Tensor, d: int, combine: Any) -> Tensor:
    """combine(t[..., :-1, ...], t[..., 1:, ...]) along d (empty when t has fewer than two entries there)."""
    k = max(int(t.shape[d]) - 1, 0)
    return combine(t.narrow(d, 0, k), t.narrow(d, min(1, int(t.shape[d])), k))


def _trapezoid_args(y: Tensor, x: Any, dx: Any, dim: int, op: str) -> tuple[int, Tensor | None]:
    if x is not None and dx is not None:
        raise TypeError(f"{op}() takes either x or dx, not both")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{op}() x must be a Tensor, got {type(x).__name__}")
    d = _wrap(dim, y.ndim, op)
    if y.dtype == _C.bool or (x is not None and x.dtype == _C.bool):
        raise RuntimeError(f"{op}: received a bool input for `y`, but bool is not supported")
    if dx is not None and (isinstance(dx, (bool, complex)) or not isinstance(dx, (int, float))):
        raise RuntimeError(f"{op}: Currently, we only support dx as a real number.")
    if x is None:
        return d, None
    n = int(y.shape[d])
    if x.ndim == 1:  # one x per sample, along dim
        if x.shape[0] != n:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = n
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape([1] * (y.ndim - x.ndim) + list(x.shape))
    return d, _pair(x, d, lambda a, b: b - a)


def trapezoid(
    y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1
) -> Tensor:
    """The trapezoid rule along dim: the integral of y sampled at x (1-D along dim, or broadcasting with y)
    or at spacing dx (default 1). Zero samples integrate to 0."""
    return _trapezoid(y, x, dx, dim, "trapezoid")


def _trapezoid(y: Tensor, x: Any, dx: Any, dim: int, op: str) -> Tensor:
    if y.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    d = _wrap(dim, y.ndim, op)
    if y.shape[d] == 0:  # numpy's answer for no samples
        return _factories.zeros([s for i, s in enumerate(y.shape) if i != d], dtype=y.dtype)
    d, spacing = _trapezoid_args(y, x, dx, dim, op)
    if spacing is None:
        step = 1 if dx is None else dx
        return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * step
    return (spacing * _pair(y, d, lambda a, b: a + b)).sum(d) / 2.0


def cumulative_trapezoid(
    y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1
) -> Tensor:
    """The running trapezoid rule along dim: one fewer element than y along dim (x and dx as trapezoid)."""
    if y.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    d, spacing = _trapezoid_args(y, x, dx, dim, "cumulative_trapezoid")
    pairs = _pair(y, d, lambda a, b: a + b)
    if spacing is None:
        step = 1 if dx is None else dx
        return (pairs * (step / 2.0)).cumsum(d)
    return (spacing * pairs).cumsum(d) / 2.0
