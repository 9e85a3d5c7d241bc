"""Shape and layout ops built from the core ones (views, flip, cat, gather, index_select, where, ...), with
torch's signatures: rotations and diagonals, repeats, dim moves, grids, broadcasting helpers.

Stacking and splitting live in pygrad/_stacking.py; the scatter family and masked/index writes in
pygrad/_scatter.py.
"""

from __future__ import annotations

import builtins
import itertools

from pygrad import _C

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_shapes",
    "broadcast_tensors",
    "cartesian_prod",
    "channels_last",
    "combinations",
    "contiguous_format",
    "diag",
    "diag_embed",
    "diagflat",
    "fliplr",
    "flipud",
    "memory_format",
    "meshgrid",
    "moveaxis",
    "movedim",
    "preserve_format",
    "repeat_interleave",
    "rot90",
    "swapaxes",
    "swapdims",
    "t",
    "tile",
    "trace",
    "unflatten",
]


class memory_format:
    """A memory layout for clone(memory_format=...): pygrad.contiguous_format or pygrad.preserve_format."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"pygrad.{self._name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")  # named so code can pass it; clone rejects it


def _int_tensor(values: Any) -> Tensor:
    import numpy as np

    return _C.from_numpy(np.ascontiguousarray(values, dtype=np.int64))


def _wrap(dim: int, ndim: int, op: str) -> int:
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"[{op}] dimension {dim} out of range for a {ndim}-d tensor "
            f"(expected in [{-n}, {n - 1}])"
        )
    return dim % n


def _dims(value: int | Sequence[int]) -> list[int]:
    return [value] if isinstance(value, int) else list(value)


# ---- rotations, diagonals


def fliplr(input: Tensor) -> Tensor:
    """A copy with the columns (dim 1) in reverse order; input must be at least 2-d."""
    if input.ndim < 2:
        raise ValueError(f"[fliplr] input must be >= 2-d, got {input.ndim}-d")
    return _C.flip(input, [1])


def flipud(input: Tensor) -> Tensor:
    """A copy with the rows (dim 0) in reverse order; input must be at least 1-d."""
    if input.ndim < 1:
        raise ValueError("[flipud] input must be >= 1-d")
    return _C.flip(input, [0])


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotates by 90 degrees k times in the plane of dims, from the first dim towards the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise ValueError(f"[rot90] expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise ValueError(f"[rot90] expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap(dims[0], input.ndim, "rot90"), _wrap(dims[1], input.ndim, "rot90")
    if d0 == d1:
        raise ValueError(f"[rot90] expected rotation dims to be different, but got {d0} and {d1}")
    k %= 4
    if k == 1:
        return _C.flip(input, [d1]).transpose(d0, d1)
    if k == 2:
        return _C.flip(input, [d0, d1])
    if k == 3:
        return _C.flip(input, [d0]).transpose(d0, d1)
    return input.clone()


def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """A view with the dims at source moved to destination; the other dims keep their order."""
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise ValueError(
            f"[movedim] source ({len(src)} dims) and destination ({len(dst)} dims) differ in length"
        )
    n = input.ndim
    src = [_wrap(d, n, "movedim") for d in src]
    dst = [_wrap(d, n, "movedim") for d in dst]
    if len(set(src)) != len(src):
        raise ValueError(f"[movedim] repeated dim in source {src}")
    if len(set(dst)) != len(dst):
        raise ValueError(f"[movedim] repeated dim in destination {dst}")
    if n == 0:
        return input
    order = [-1] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    order = [o if o >= 0 else next(rest) for o in order]
    return input.permute(order)


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """input.transpose(axis0, axis1) (numpy's name)."""
    return input.transpose(axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """input.transpose(dim0, dim1)."""
    return input.transpose(dim0, dim1)


def t(input: Tensor) -> Tensor:
    """Transposes a 2-d tensor; 0-d and 1-d tensors come back as they are."""
    return input.t()


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """A view with dim split into sizes (one of them may be -1)."""
    sizes = list(sizes)
    if not sizes:
        raise ValueError("[unflatten] sizes must be non-empty")
    d = _wrap(dim, input.ndim, "unflatten")
    size = input.shape[d] if input.ndim else 1
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (sizes.count(-1) == 0 and known != size) or (
        sizes.count(-1) == 1 and (known == 0 or size % known)
    ):
        raise ValueError(
            f"[unflatten] provided sizes {sizes} don't multiply up to the size of dim {dim} ({size})"
        )
    shape = list(input.shape)
    return input.reshape(shape[:d] + sizes + shape[d + 1 :])


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Batched diagonal matrices: input's last dim on the offset diagonal of the (dim1, dim2) planes."""
    n_out = input.ndim + 1
    d1, d2 = _wrap(dim1, n_out, "diag_embed"), _wrap(dim2, n_out, "diag_embed")
    if d1 == d2:
        raise ValueError(f"[diag_embed] diagonal dimensions cannot be identical {dim1}, {dim2}")
    if input.ndim == 0:
        input = input.reshape(1)
    length = input.shape[-1]
    n = length + abs(offset)
    # Row r of the result holds input[r] (offset >= 0) or input[r - |offset|] (offset < 0) at column r + offset.
    rows = _C._pad(input, [0, offset] if offset >= 0 else [-offset, 0])
    r = _C._arange(0, n, 1, _C.int64, False)
    mask = (r.reshape(1, n) - r.reshape(n, 1)) == offset
    out = _C.where(mask, rows.unsqueeze(-1), _C._full([], 0, input.dtype, False))
    return movedim(out, [-2, -1], [d1, d2])


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d input: a square matrix with input on the given diagonal; 2-d input: a copy of that diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return _C.diagonal(input, diagonal).clone()
    raise ValueError(f"[diag] supports 1-d or 2-d tensors, got {input.ndim}-d")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the flattened input on the given diagonal."""
    return diag_embed(input.reshape(-1), offset)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise ValueError(f"[trace] expected a matrix, but got a tensor with dim {input.ndim}")
    if input.dtype == _C.bool:
        raise TypeError("[trace] not implemented for bool")
    return _C.diagonal(input).sum()


# ---- repeats


def _repeat(self: Tensor, *sizes: Any) -> Tensor:
    reps = list(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else list(sizes)
    if len(reps) < self.ndim:
        raise ValueError(
            "[repeat] number of dimensions of repeat dims can not be smaller than number of "
            "dimensions of tensor"
        )
    if any(r < 0 for r in reps):
        raise ValueError(f"[repeat] repeats must be non-negative, got {reps}")
    shape = [1] * (len(reps) - self.ndim) + list(self.shape)
    inter, target = [], []
    for r, s in zip(reps, shape):
        inter += [1, s]
        target += [r, s]
    out = self.reshape(inter).expand(target)
    return out.reshape([r * s for r, s in zip(reps, shape)])


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """input repeated dims[i] times along each dim (dims shorter than input.ndim is padded with 1s)."""
    dims = list(dims)
    if len(dims) < input.ndim:
        dims = [1] * (input.ndim - len(dims)) + dims
    return _repeat(input, dims)


def repeat_interleave(
    input: Tensor,
    repeats: int | Tensor | None = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    """Each element repeated `repeats` times (an int, or a tensor of one count per element) along dim
    (the flattened input when dim is None). repeat_interleave(counts) gives arange(len(counts)) repeated.
    """
    import numpy as np

    if repeats is None:  # the one-argument form: input holds the counts
        counts = input.numpy().astype(np.int64).reshape(-1)
        if input.ndim > 1 or (counts < 0).any():
            raise ValueError(
                "[repeat_interleave] repeats must be a 1-d tensor of non-negative ints"
            )
        return _int_tensor(np.repeat(np.arange(counts.size), counts))
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = _wrap(dim, input.ndim, "repeat_interleave")
    if input.ndim == 0:
        input = input.reshape(1)
    size = input.shape[d]
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise ValueError("[repeat_interleave] repeats must be 0-d or 1-d")
        if repeats.dtype != _C.int64:
            raise TypeError(f"[repeat_interleave] repeats must be int64, got {repeats.dtype}")
        counts = repeats.numpy().reshape(-1)
        if counts.size == 1:
            counts = np.full(size, counts[0])
        if counts.size != size:
            raise ValueError(
                f"[repeat_interleave] repeats must have the same size as input along dim, "
                f"got {counts.size} and {size}"
            )
    else:
        counts = np.full(size, repeats, dtype=np.int64)
    if (counts < 0).any():
        raise ValueError("[repeat_interleave] repeats can not be negative")
    index = np.repeat(np.arange(size), counts)
    if output_size is not None and output_size != index.size:
        raise ValueError(
            f"[repeat_interleave] output_size {output_size} does not match the {index.size} repeats"
        )
    return input.index_select(d, _int_tensor(index))


# ---- grids and combinations


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids (views) from 0-d or 1-d tensors; indexing='xy' swaps the first two dims."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(
            f'[meshgrid] indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for x in tensors:
        if x.ndim > 1:
            raise ValueError(f"[meshgrid] expected 0-d or 1-d tensors, got shape {tuple(x.shape)}")
    flat = [x.reshape(-1) for x in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = [x.shape[0] for x in flat]
    grids = []
    for i, x in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(x.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows [N, len(tensors)]."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _C.stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of a 1-d tensor's elements as rows (itertools' order)."""
    if input.ndim != 1:
        raise ValueError(f"[combinations] expect a 1-d vector, but got shape {tuple(input.shape)}")
    if r < 0:
        raise ValueError(f"[combinations] r must be non-negative, got {r}")
    if r == 0:
        return input.narrow(0, 0, 0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = list(pick(range(input.shape[0]), r)) or [[0] * r][:0]
    columns = _int_tensor(index).reshape(-1, r).t()
    return _C.stack([input.index_select(0, columns[i]) for i in range(r)], 1)


# ---- broadcasting


def broadcast_shapes(*shapes: int | Sequence[int]) -> tuple[int, ...]:
    """The shape all the given shapes broadcast to (ValueError when they don't)."""
    result: list[int] = []
    for shape in shapes:
        s = [shape] if isinstance(shape, int) else list(shape)
        if len(s) > len(result):
            result = [1] * (len(s) - len(result)) + result
        for i in range(1, len(s) + 1):
            a, b = result[-i], s[-i]
            if b < 0:
                raise ValueError(f"[broadcast_shapes] negative size {b} in {tuple(s)}")
            if a != b and a != 1 and b != 1:
                raise ValueError(
                    f"[broadcast_shapes] shape {tuple(s)} does not broadcast with {tuple(result)}"
                )
            result[-i] = b if a == 1 else a
    return tuple(result)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded (views) to their common broadcast shape."""
    shape = broadcast_shapes(*(tuple(x.shape) for x in tensors))
    return tuple(x.expand(shape) for x in tensors)


def _atleast(tensors: tuple[Any, ...], shape_of: Any) -> Tensor | tuple[Tensor, ...]:
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(x.reshape(shape_of(x)) for x in tensors[0])
    out = tuple(x.reshape(shape_of(x)) for x in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors: Any) -> Any:
    """Each input viewed with at least 1 dim (one tensor in, one out; several in, a tuple)."""
    return _atleast(tensors, lambda x: list(x.shape) if x.ndim >= 1 else [1])


def atleast_2d(*tensors: Any) -> Any:
    """Each input viewed with at least 2 dims: [] -> [1, 1], [n] -> [1, n]."""
    return _atleast(
        tensors, lambda x: list(x.shape) if x.ndim >= 2 else [1] * (2 - x.ndim) + list(x.shape)
    )


def atleast_3d(*tensors: Any) -> Any:
    """Each input viewed with at least 3 dims: [] -> [1, 1, 1], [n] -> [1, n, 1], [m, n] -> [m, n, 1]."""

    def shape_of(x: Tensor) -> list[int]:
        s = list(x.shape)
        return [[1, 1, 1], [1, *s, 1], [*s, 1]][x.ndim] if x.ndim < 3 else s

    return _atleast(tensors, shape_of)


def _broadcast_to(self: Tensor, size: Sequence[int]) -> Tensor:
    return _C.broadcast_to(self, size)


_METHODS = {
    "fliplr": fliplr,
    "flipud": flipud,
    "rot90": rot90,
    "movedim": movedim,
    "moveaxis": moveaxis,
    "swapaxes": swapaxes,
    "swapdims": swapdims,
    "unflatten": unflatten,
    "diag": diag,
    "diag_embed": diag_embed,
    "diagflat": diagflat,
    "trace": trace,
    "repeat": _repeat,
    "tile": tile,
    "repeat_interleave": repeat_interleave,
    "broadcast_to": _broadcast_to,
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
