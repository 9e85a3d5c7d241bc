"""Index-driven reads and writes with torch's signatures, composed from differentiable core ops: take,
take_along_dim, masked_select, masked_scatter, index_fill, scatter and scatter_reduce (and their in-place
forms). Index bookkeeping runs in numpy; values flow through gather / index_select / where / scatter_add.
"""

from __future__ import annotations

from pygrad import _C

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = [
    "index_fill",
    "index_put",
    "masked_scatter",
    "masked_select",
    "scatter",
    "scatter_reduce",
    "take",
    "take_along_dim",
]


def _int_tensor(values: Any) -> Tensor:
    import numpy as np

    return _C.from_numpy(np.ascontiguousarray(values, dtype=np.int64))


def _check_index(index: Tensor, op: str) -> None:
    if not isinstance(index, Tensor) or index.dtype != _C.int64:
        raise TypeError(f"[{op}] expected an int64 index tensor")


def _check_mask(mask: Tensor, op: str) -> None:
    if not isinstance(mask, Tensor) or mask.dtype != _C.bool:
        raise TypeError(f"[{op}] expected a bool mask tensor")


def _scalar_like(value: Any, like: Tensor, op: str) -> Tensor:
    """A 0-d value in like's dtype: a Python number, or a 0-d tensor (kept differentiable)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(
                f"[{op}] only supports a 0-dimensional value tensor, got {value.ndim}-d"
            )
        return value if value.dtype == like.dtype else value.to(like.dtype)
    return _C._full([], value, like.dtype, False)


def take(input: Tensor, index: Tensor) -> Tensor:
    """input flattened, read at index (negative counts from the end); the result has index's shape."""
    _check_index(index, "take")
    flat = input.reshape(-1)
    n = flat.shape[0]
    values = index.numpy().reshape(-1)
    bad = (values < -n) | (values >= n)
    if bad.any():
        raise IndexError(
            f"[take] out of range: tried to access index {values[bad][0]} on a tensor of {n} elements"
        )
    return flat.index_select(0, _int_tensor(values % n if n else values)).reshape(list(index.shape))


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """gather along dim after broadcasting input and indices in the other dims; dim None: the flattened input."""
    _check_index(indices, "take_along_dim")
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise ValueError(
            "[take_along_dim] input and indices should have the same number of dimensions, "
            f"got {input.ndim} and {indices.ndim}"
        )
    from pygrad._shape import _wrap, broadcast_shapes

    d = _wrap(dim, input.ndim, "take_along_dim")
    in_shape, idx_shape = list(input.shape), list(indices.shape)
    in_shape[d] = idx_shape[d] = 1
    common = list(broadcast_shapes(in_shape, idx_shape))
    in_target, idx_target = list(common), list(common)
    in_target[d], idx_target[d] = input.shape[d], indices.shape[d]
    return input.expand(in_target).gather(d, indices.expand(idx_target))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input (broadcast with mask) where mask is True, as a 1-d tensor."""
    _check_mask(mask, "masked_select")
    from pygrad._shape import broadcast_tensors

    x, m = broadcast_tensors(input, mask)
    return x[m]


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """input (broadcast with mask) with the True positions filled, in row-major order, from source's elements."""
    import numpy as np

    _check_mask(mask, "masked_scatter")
    if source.dtype != input.dtype:
        raise TypeError(
            f"[masked_scatter] expected source of dtype {input.dtype}, got {source.dtype}"
        )
    from pygrad._shape import broadcast_tensors

    x, m = broadcast_tensors(input, mask)
    flags = m.numpy().reshape(-1)
    count = int(flags.sum())
    if count > source.numel():
        raise ValueError(
            f"[masked_scatter] number of elements of source ({source.numel()}) < number of ones in mask ({count})"
        )
    if count == 0:
        return x.clone()
    order = np.maximum(np.cumsum(flags) - 1, 0)
    picked = source.reshape(-1).index_select(0, _int_tensor(order)).reshape(list(x.shape))
    return _C.where(m, picked, x)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """input with the slices at index along dim set to value (a number or a 0-d tensor)."""
    import numpy as np

    _check_index(index, "index_fill")
    if index.ndim > 1:
        raise ValueError("[index_fill] index has to be a vector or a scalar")
    from pygrad._shape import _wrap

    d = _wrap(dim, input.ndim, "index_fill")
    size = input.shape[d] if input.ndim else 1
    values = index.numpy().reshape(-1)
    bad = (values < -size) | (values >= size)
    if bad.any():
        raise IndexError(
            f"[index_fill] index {values[bad][0]} is out of bounds for dimension {d} with size {size}"
        )
    flags = np.zeros(size, dtype=bool)
    flags[values] = True
    shape = [1] * input.ndim
    if input.ndim:
        shape[d] = size
    mask = _C.from_numpy(flags.reshape(shape))
    return _C.where(mask, _scalar_like(value, input, "index_fill"), input)


class _Plan:
    """Where each index element writes: flat target positions in the output, flat positions in src."""

    def __init__(
        self, input: Tensor, dim: int, index: Tensor, src_shape: list[int] | None, op: str
    ) -> None:
        import numpy as np

        from pygrad._shape import _wrap

        _check_index(index, op)
        n = input.ndim
        self.dim = _wrap(dim, n, op)
        if index.ndim != n and not (index.ndim <= 1 and n <= 1):
            raise ValueError(
                f"[{op}] index tensor must have the same number of dimensions as self tensor"
            )
        if (
            src_shape is not None
            and len(src_shape) != index.ndim
            and not (len(src_shape) <= 1 and index.ndim <= 1)
        ):
            raise ValueError(
                f"[{op}] index tensor must have the same number of dimensions as src tensor"
            )
        out_shape = list(input.shape) or [1]
        idx_shape = list(index.shape) or [1]
        src = (src_shape or [1]) if src_shape is not None else idx_shape
        for d in range(len(idx_shape)):
            if idx_shape[d] > src[d] or (d != self.dim and idx_shape[d] > out_shape[d]):
                raise ValueError(
                    f"[{op}] expected index {tuple(index.shape)} to be no larger than self "
                    f"{tuple(input.shape)} apart from dimension {self.dim} and no larger than src {tuple(src)}"
                )
        values = index.numpy().reshape(idx_shape)
        limit = out_shape[self.dim]
        bad = (values < 0) | (values >= limit)
        if bad.any():
            raise IndexError(
                f"[{op}] index {values[bad][0]} is out of bounds for dimension {self.dim} with size {limit}"
            )
        coords = list(np.indices(idx_shape).reshape(len(idx_shape), -1))
        self.src_flat = (
            np.ravel_multi_index(coords, src) if coords[0].size else np.zeros(0, np.int64)
        )
        coords[self.dim] = values.reshape(-1)
        self.target = (
            np.ravel_multi_index(coords, out_shape) if coords[0].size else np.zeros(0, np.int64)
        )
        self.numel = int(np.prod(out_shape))
        self.shape = list(input.shape)
        self.index_shape = list(index.shape)


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Tensor | float | None = None,
    value: float | None = None,
    *,
    reduce: str | None = None,
) -> Tensor:
    """input with src[i] (or value) written at input[..., index[i], ...] along dim; reduce='add' or 'multiply'
    combines with what is there instead. With repeated indices the last write wins (gradients: that write's src).
    """
    import numpy as np

    if src is None:
        if value is None:
            raise TypeError("[scatter] expected src or value")
        src = value
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ValueError(
                f"[scatter] reduce argument must be either add or multiply, got {reduce}"
            )
        if not isinstance(src, Tensor):
            src = _C._full(list(index.shape), src, input.dtype, False)
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    if isinstance(src, Tensor) and src.dtype != input.dtype:
        raise TypeError(
            f"[scatter] expected self.dtype to be equal to src.dtype, got {input.dtype} and {src.dtype}"
        )
    plan = _Plan(input, dim, index, list(src.shape) if isinstance(src, Tensor) else None, "scatter")
    writer = np.full(plan.numel, -1, dtype=np.int64)
    writer[plan.target] = plan.src_flat  # repeated targets: the last write wins
    written = _C.from_numpy((writer >= 0).reshape(plan.shape))
    if not isinstance(src, Tensor):
        return _C.where(written, _C._full([], src, input.dtype, False), input)
    if plan.target.size == 0:
        return input.clone()
    picked = src.reshape(-1).index_select(0, _int_tensor(np.maximum(writer, 0))).reshape(plan.shape)
    return _C.where(written, picked, input)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """input with each src[i] reduced ('sum', 'prod', 'mean', 'amax', 'amin') into input[..., index[i], ...]
    along dim; include_self=False leaves input's own values out of the positions that receive any src.
    Gradients: sum and mean exactly; prod and amax/amin as torch (evenly shared among ties), first order.
    """
    import numpy as np

    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch accepts these spellings too
    if reduce not in _REDUCTIONS:
        raise ValueError(
            f"[scatter_reduce] reduce argument must be one of {_REDUCTIONS}, got {reduce}"
        )
    if not isinstance(src, Tensor):
        raise TypeError("[scatter_reduce] src must be a tensor")
    if src.dtype != input.dtype:
        raise TypeError(
            f"[scatter_reduce] expected self.dtype to be equal to src.dtype, got {input.dtype} and {src.dtype}"
        )
    plan = _Plan(input, dim, index, list(src.shape), "scatter_reduce")
    counts = np.bincount(plan.target, minlength=plan.numel)
    touched_np = (counts > 0).reshape(plan.shape)
    touched = _C.from_numpy(touched_np)
    floating = input.dtype.is_floating_point
    # src restricted to index's shape, so src and index line up element for element.
    src_n = src[tuple(slice(0, s) for s in plan.index_shape)] if src.ndim else src
    zero = _C._full([], 0, input.dtype, False)
    if reduce in ("sum", "mean") and floating:
        base = input if include_self else _C.where(touched, zero, input)
        total = base.scatter_add(plan.dim, index, src_n)
        if reduce == "sum":
            return total
        n = counts.reshape(plan.shape) + (1 if include_self else 0)
        divisor = _C.from_numpy(np.maximum(n, 1).astype(np.float64)).to(input.dtype)
        return _C.where(_C.from_numpy(n > 0), total / divisor, input)
    # Exact values in numpy (integer dtypes; prod / amax / amin).
    x = input.detach().numpy().reshape(-1).copy()
    s = src_n.detach().numpy().reshape(-1)  # row-major over index: s[j] goes to plan.target[j]
    flat_touched = touched_np.reshape(-1)
    result = x.copy()
    ufunc = {
        "sum": np.add,
        "mean": np.add,
        "prod": np.multiply,
        "amax": np.maximum,
        "amin": np.minimum,
    }[reduce]
    if not include_self:
        if reduce in ("sum", "mean"):
            identity: Any = 0
        elif reduce == "prod":
            identity = 1
        elif x.dtype == np.bool_:
            identity = reduce == "amin"
        elif floating:
            identity = -np.inf if reduce == "amax" else np.inf
        else:
            info = np.iinfo(x.dtype)
            identity = info.min if reduce == "amax" else info.max
        result[flat_touched] = identity
    ufunc.at(result, plan.target, s)
    if reduce == "mean":  # integer mean: floor division, as torch
        n = counts + (1 if include_self else 0)
        result = np.where(n > 0, np.floor_divide(result, np.maximum(n, 1)), x)
    exact = _C.from_numpy(result.reshape(plan.shape).copy())
    if not floating or not (input.requires_grad or src.requires_grad) or not _C.is_grad_enabled():
        return exact
    # Gradient surrogate: value exactly `exact`, gradient sum_j w_j dx_j with w_j = d result / d contributor j.
    r_at = result[plan.target]
    if reduce == "prod":
        zeros_at = np.bincount(plan.target, weights=(s == 0), minlength=plan.numel)
        nonzero_prod = np.ones(plan.numel, dtype=x.dtype)
        np.multiply.at(nonzero_prod, plan.target, np.where(s == 0, 1, s))
        self_in = include_self & flat_touched
        if include_self:
            zeros_at = zeros_at + (self_in & (x == 0))
            nonzero_prod = np.where(self_in & (x != 0), nonzero_prod * x, nonzero_prod)

        def others(v: Any, at: Any) -> Any:
            z, p = zeros_at[at], nonzero_prod[at]
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(
                    v != 0, np.where(z == 0, p / np.where(v == 0, 1, v), 0), np.where(z == 1, p, 0)
                )

        w_src = others(s, plan.target)
        w_self = np.where(self_in, others(x, np.arange(plan.numel)), 0)
    else:
        tie_src = s == r_at
        tie_self = include_self & flat_touched & (x == result)
        ties = np.bincount(plan.target, weights=tie_src, minlength=plan.numel) + tie_self
        w_src = tie_src / np.maximum(ties[plan.target], 1)
        w_self = tie_self / np.maximum(ties, 1)

    def delta(t: Tensor, values: Any, weights: Any, shape: list[int]) -> Tensor:
        finite = _C.from_numpy(np.isfinite(values).reshape(shape))
        w = _C.from_numpy(np.ascontiguousarray(weights, dtype=x.dtype).reshape(shape))
        return _C.where(finite, t - t.detach(), zero) * w

    moved = zero.expand(plan.shape).contiguous()
    if src.requires_grad and plan.target.size:
        moved = moved.scatter_add(plan.dim, index, delta(src_n, s, w_src, plan.index_shape))
    surrogate = exact + moved
    if input.requires_grad:
        surrogate = surrogate + delta(input, x, w_self, plan.shape)
    return _C.where(touched, surrogate, input)


def _assign(input: Tensor, index: Any, values: Any, accumulate: bool, op: str) -> Tensor:
    """input with input[index] = values (or += with accumulate), out of place and differentiable in both.

    pygrad's own indexing of a tensor of flat positions reads the index, so every index form works;
    repeated positions: the last write wins, or all of them add up with accumulate.
    """
    import numpy as np

    numel = input.numel()
    positions = _C._arange(0.0, float(numel), 1.0, _C.int64, False).reshape(list(input.shape))
    selected = positions[index]
    if not isinstance(values, Tensor):
        values = _C._full([], values, input.dtype, False)
    elif values.dtype != input.dtype:
        values = values._to_dtype(input.dtype)
    try:
        source = values.expand(list(selected.shape)).reshape(-1)
    except (RuntimeError, ValueError) as err:
        raise RuntimeError(
            f"[{op}] shape mismatch: value tensor of shape {tuple(values.shape)} cannot be broadcast "
            f"to indexing result of shape {tuple(selected.shape)}"
        ) from err
    flat_positions = selected.reshape(-1)
    flat = input.reshape(-1)
    if accumulate:
        out = flat.index_add(0, flat_positions, source)
    else:
        order = flat_positions.numpy()
        _, last_from_end = np.unique(order[::-1], return_index=True)
        kept = np.zeros(order.size, dtype=bool)
        kept[order.size - 1 - last_from_end] = True
        keep = _C.from_numpy(np.nonzero(kept)[0])
        out = scatter(flat, 0, flat_positions[keep], source[keep])
        if (
            not kept.all()
        ):  # overwritten writes add nothing but, as in torch, still get their gradient
            drop = _C.from_numpy(np.nonzero(~kept)[0])
            dropped = source[drop]
            zero = _C._full([], 0, dropped.dtype, False)
            out = out.index_add(
                0,
                flat_positions[drop],
                _C.where(dropped.isfinite(), dropped - dropped.detach(), zero),
            )
    return out.reshape(list(input.shape))


def index_put(
    input: Tensor, indices: Sequence[Tensor], values: Tensor, accumulate: bool = False
) -> Tensor:
    """input with input[indices] = values (``accumulate=True``: +=, repeated indices adding up)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"[index_put] indices must be a tuple of tensors, got {type(indices).__name__}"
        )
    return _assign(input, tuple(indices), values, accumulate, "index_put")


def _index_put_(
    self: Tensor, indices: Sequence[Tensor], values: Tensor, accumulate: bool = False
) -> Tensor:
    self.copy_(index_put(self, indices, values, accumulate))
    return self


def _has_tensor_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (Tensor, list, tuple)) or type(i).__name__ == "ndarray" for i in items)


_setitem = _C.Tensor.__setitem__


def _setitem_recorded(self: Tensor, index: Any, value: Any) -> None:
    """t[idx] = v: with tensor indices on a graph, recorded for autograd as torch's index_put_."""
    if (
        _C.is_grad_enabled()
        and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
        and _has_tensor_index(index)
    ):
        self.copy_(_assign(self, index, value, False, "index_put_"))
    else:
        _setitem(self, index, value)


def _inplace(fn: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        self.copy_(fn(self, *args, **kwargs))
        return self

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place {fn.__name__}: the result written into self."
    return method


_METHODS = {
    "take": take,
    "take_along_dim": take_along_dim,
    "masked_select": masked_select,
    "masked_scatter": masked_scatter,
    "masked_scatter_": _inplace(masked_scatter),
    "index_fill": index_fill,
    "index_fill_": _inplace(index_fill),
    "scatter": scatter,
    "scatter_": _inplace(scatter),
    "scatter_reduce": scatter_reduce,
    "scatter_reduce_": _inplace(scatter_reduce),
    "index_put": index_put,
    "index_put_": _index_put_,
}


def _as_method(fn: Any) -> Any:
    """fn(input, ...) as a Tensor method (self, ...)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    def unary(self: Tensor) -> Any:
        return fn(self)

    if fn.__code__.co_argcount == 1 and not fn.__code__.co_flags & 0x0C:  # no *args / **kwargs
        method = unary
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _name, _fn in _METHODS.items():
    setattr(_C.Tensor, _name, _as_method(_fn))
setattr(_C.Tensor, "__setitem__", _setitem_recorded)  # noqa: B010  (mypy: no method assignment)
