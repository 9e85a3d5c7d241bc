"""torch's views, splitting and joining under their torch-level names (ravel, argwhere, split, chunk,
unbind, concatenate, ...), index writes (index_copy, put, put_, fill_diagonal_), the *_scatter ops (input with
one view's elements replaced) and the *_copy forms of views, with their Tensor methods. All are composites of
core ops, differentiable where torch's are.
"""

from __future__ import annotations

import builtins

from pygrad import _C
from pygrad._compat import _attach
from pygrad._shape import _int_tensor, _wrap

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from pygrad._C import Tensor, dtype
else:
    Tensor = _C.Tensor

__all__ = [
    "alias_copy",
    "argwhere",
    "as_strided_copy",
    "as_strided_scatter",
    "chunk",
    "concatenate",
    "detach_copy",
    "diagonal_copy",
    "diagonal_scatter",
    "expand_copy",
    "index_copy",
    "permute_copy",
    "put",
    "ravel",
    "select_copy",
    "select_scatter",
    "slice_copy",
    "slice_scatter",
    "split",
    "split_copy",
    "split_with_sizes",
    "split_with_sizes_copy",
    "squeeze_copy",
    "t_copy",
    "transpose_copy",
    "unbind",
    "unbind_copy",
    "unfold_copy",
    "unsafe_chunk",
    "unsafe_split",
    "unsqueeze_copy",
    "view_copy",
]


# ---- views, splitting and joining


def ravel(input: Tensor) -> Tensor:
    """input flattened to 1-d: a view when input is contiguous, else a contiguous copy."""
    return input.contiguous().view(-1)


def argwhere(input: Tensor) -> Tensor:
    """The (count, ndim) int64 indices of the non-zero elements (nonzero)."""
    return input.nonzero()


def _split_dim(input: Tensor, dim: int, op: str) -> int:
    if input.ndim == 0:
        raise ValueError(f"[{op}] expects at least a 1-dimensional tensor")
    return _wrap(dim, input.ndim, op)


def split(
    tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """Views of split_size elements along dim (the last may be smaller), or of the given section sizes."""
    if not isinstance(split_size_or_sections, int):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    return tensor.split(split_size_or_sections, _split_dim(tensor, dim, "split"))


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Views of the given sizes along dim; the sizes must add up to input.shape[dim]."""
    if not isinstance(split_sizes, (tuple, list)):
        raise TypeError(
            f"[split_with_sizes] split_sizes must be a tuple of ints, got {type(split_sizes).__name__}"
        )
    d = _split_dim(input, dim, "split_with_sizes")
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise ValueError(f"[split_with_sizes] split_sizes must be non-negative, got {sizes}")
    if builtins.sum(sizes) != input.shape[d]:
        raise ValueError(
            f"[split_with_sizes] split_sizes must sum exactly to {input.shape[d]} (input's size at "
            f"dimension {d}), got {sizes}"
        )
    return input.split(sizes, d)


def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:
    """split with an int size (torch's unsafe form differs only in view tracking)."""
    if not isinstance(split_size, int):
        raise TypeError(
            f"[unsafe_split] split_size must be an int, got {type(split_size).__name__}"
        )
    return split(input, split_size, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most chunks views of equal size along dim (the last may be smaller)."""
    return input.chunk(chunks, _split_dim(input, dim, "chunk"))


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """chunk (torch's unsafe form differs only in view tracking)."""
    return chunk(input, chunks, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along dim, with that dim removed."""
    return input.unbind(_split_dim(input, dim, "unbind"))


def concatenate(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Alias of cat (numpy's axis= is accepted for dim)."""
    return _C.cat(tensors, dim if axis is None else axis)


# ---- index writes


def _copy_slices(target: Tensor, d: int, positions: Any, source: Tensor) -> Tensor:
    """target with its slices at positions along d replaced by source's slices, in order; where a position
    repeats, the last slice wins, as a sequential copy would leave it. Differentiable in both."""
    import numpy as np

    size = target.shape[d]
    owner = np.full(size, -1, dtype=np.int64)
    np.maximum.at(owner, positions, np.arange(len(positions), dtype=np.int64))
    written = owner >= 0
    if not written.any():
        return target.clone()
    shape = [1] * target.ndim
    shape[d] = size
    picked = source.index_select(d, _int_tensor(np.maximum(owner, 0)))
    return _C.where(_C.from_numpy(written.reshape(shape)), picked, target)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """input with the slices at index along dim replaced by source's slices (out-of-place index_copy_)."""
    d = _wrap(dim, input.ndim, "index_copy")
    if not isinstance(index, Tensor) or index.dtype != _C.int64:
        raise TypeError("[index_copy] expected an int64 index tensor")
    if index.ndim > 1:
        raise ValueError(f"[index_copy] index should have dimension 1 or 0, got {index.ndim}")
    count = index.numel()
    if source.ndim == 0 and count != 1:
        raise ValueError(f"[index_copy] a 0-d source needs exactly one index, got {count}")
    if source.ndim not in (0, input.ndim) and input.ndim != 0:
        raise ValueError(
            f"[index_copy] source and input must have the same number of dimensions, got "
            f"{source.ndim} and {input.ndim}"
        )
    if source.dtype != input.dtype:
        raise TypeError(
            f"[index_copy] input and source must have the same dtype, got {input.dtype} and {source.dtype}"
        )
    in_slice = [s for i, s in enumerate(input.shape) if i != d]
    src_slice = [s for i, s in enumerate(source.shape) if i != d]
    if in_slice != src_slice:
        raise ValueError(
            f"[index_copy] source slices must have input's slice shape {in_slice} at dimension {d}, "
            f"got {src_slice}"
        )
    if source.ndim and count != source.shape[d]:
        raise ValueError(
            f"[index_copy] number of indices ({count}) should be equal to source.size(dim) "
            f"({source.shape[d]})"
        )
    size = input.shape[d] if input.ndim else 1
    positions = index.numpy().reshape(-1)
    bad = (positions < 0) | (positions >= size)
    if bad.any():
        raise IndexError(
            f"[index_copy] index {positions[bad][0]} is out of bounds for dimension {d} with size {size}"
        )
    # 0-d input or source: work on one-element 1-d forms.
    target = input.reshape([1]) if input.ndim == 0 else input
    src = source.reshape([count]) if source.ndim == 0 or input.ndim == 0 else source
    return _copy_slices(target, d, positions, src).reshape(list(input.shape))


def _put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool, op: str) -> Tensor:
    if not isinstance(index, Tensor) or index.dtype != _C.int64:
        raise TypeError(f"[{op}] expected an int64 index tensor")
    if source.dtype != input.dtype:
        raise TypeError(
            f"[{op}] input and source must have the same dtype, got {input.dtype} and {source.dtype}"
        )
    if source.numel() != index.numel():
        raise ValueError(
            f"[{op}] source and index must have the same number of elements, got "
            f"{source.numel()} and {index.numel()}"
        )
    n = input.numel()
    positions = index.numpy().reshape(-1)
    if n == 0 and positions.size:
        raise IndexError(f"[{op}] tried to put elements into an empty tensor")
    bad = (positions < -n) | (positions >= n)
    if bad.any():
        raise IndexError(
            f"[{op}] out of range: tried to access index {positions[bad][0]} on a tensor of {n} elements"
        )
    if positions.size == 0:
        return input.clone()
    flat, values = input.reshape(-1), source.reshape(-1)
    positions = positions % n
    if accumulate:
        out = flat.index_add(0, _int_tensor(positions), values)
    else:
        out = _copy_slices(flat, 0, positions, values)
    return out.reshape(list(input.shape))


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """input (seen as 1-d) with source's elements written, or added with accumulate, at index."""
    return _put(input, index, source, accumulate, "put")


def _put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    from pygrad._inplace import _check_leaf, _recording

    _check_leaf(self, "put_")
    # Recorded: put reads a copy, so what its gradient saved is not the value overwritten below.
    read = self.clone() if _recording(self, (index, source), {}) else self
    return self.copy_(_put(read, index, source, accumulate, "put_"))


def _fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    from pygrad._inplace import _check_leaf

    _check_leaf(self, "fill_diagonal_")
    if self.ndim < 2:
        raise ValueError(f"[fill_diagonal_] expects at least 2 dimensions, got {self.ndim}")
    height, width = self.shape[0], self.shape[1]
    if self.ndim > 2 and any(s != height for s in self.shape):
        raise ValueError(
            f"[fill_diagonal_] all dimensions of input must be of equal length, got {list(self.shape)}"
        )
    # torch walks the memory with the summed stride, and, wrapping a tall matrix, restarts width + 1
    # rows further down: the same storage walk, as views of self.
    stride = builtins.sum(self.stride())
    size = builtins.min(height, width)
    self.as_strided([size], [stride], self._offset).fill_(fill_value)
    if wrap and self.ndim == 2 and height > width + 1:
        step = width + 1
        extra = (self.numel() + step - 1) // step - size
        start = self._offset + self.stride(0) * step
        self.as_strided([extra], [stride], start).fill_(fill_value)
    return self


# ---- the scatter ops: input with one view's elements replaced by src


def _scatter_into_view(
    input: Tensor, src: Tensor, view: Callable[[Tensor], Tensor], op: str
) -> Tensor:
    out = input.clone()
    target = view(out)
    if tuple(src.shape) != tuple(target.shape):
        raise ValueError(
            f"[{op}] expected src to have the size of the slice of input: src size "
            f"{list(src.shape)}, slice size {list(target.shape)}"
        )
    target.copy_(src)  # the write through the view is recorded on out: both inputs get gradients
    return out


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """input with input.select(dim, index) replaced by src (its shape exactly)."""
    return _scatter_into_view(input, src, lambda t: t.select(dim, index), "select_scatter")


def _slice(
    input: Tensor, dim: int, start: int | None, end: int | None, step: int, op: str
) -> Tensor:
    if step <= 0:
        raise ValueError(f"[{op}] slice step must be positive, got {step}")
    d = _wrap(dim, input.ndim, op)
    return input[(slice(None),) * d + (slice(start, end, step),)]


def slice_scatter(
    input: Tensor,
    src: Tensor,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """input with the slice start:end:step of dim replaced by src (its shape exactly)."""
    return _scatter_into_view(
        input, src, lambda t: _slice(t, dim, start, end, step, "slice_scatter"), "slice_scatter"
    )


def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """input with input.diagonal(offset, dim1, dim2) replaced by src (its shape exactly)."""
    return _scatter_into_view(
        input, src, lambda t: t.diagonal(offset, dim1, dim2), "diagonal_scatter"
    )


def as_strided_scatter(
    input: Tensor,
    src: Tensor,
    size: Sequence[int],
    stride: Sequence[int],
    storage_offset: int | None = None,
) -> Tensor:
    """input with the elements that input.as_strided(size, stride, storage_offset) reads replaced by src.

    As torch, the positions are in input's storage (storage_offset None: input's own offset), and storage
    positions that no element of input occupies are written nowhere.
    """
    import numpy as np

    # A detached view: torch's bounds check and the storage walk, without recording anything.
    view = input.detach().as_strided(list(size), list(stride), storage_offset)
    if tuple(src.shape) != tuple(view.shape):
        raise ValueError(
            f"[as_strided_scatter] expected src to have the size of the slice of input: src size "
            f"{list(src.shape)}, slice size {list(view.shape)}"
        )

    if any(n > 1 and s == 0 for n, s in zip(view.shape, view.stride())):
        raise RuntimeError(
            "[as_strided_scatter] more than one element of the written-to tensor refers to a single "
            "memory location; clone() the tensor first"
        )

    def storage_positions(t: Tensor) -> Any:
        grids = np.indices(tuple(t.shape), dtype=np.int64)
        return t._offset + np.tensordot(np.array(t.stride(), dtype=np.int64), grids, axes=1)

    written = storage_positions(view).reshape(-1)
    held = storage_positions(input)
    owner = np.full(builtins.max(int(written.max(initial=0)), int(held.max(initial=0))) + 1, -1)
    np.maximum.at(owner, written, np.arange(written.size, dtype=np.int64))
    source = owner[held]  # per element of input: the src element landing on it, or -1
    if src.numel() == 0 or input.numel() == 0:
        return input.clone()
    mask = _C.from_numpy(np.array(source >= 0, order="C").reshape(tuple(input.shape)))
    picked = src.reshape(-1).index_select(0, _int_tensor(np.maximum(source, 0).reshape(-1)))
    return _C.where(mask, picked.reshape(list(input.shape)), input)


# ---- the *_copy forms: the view op, then a copy of its own


def view_copy(input: Tensor, size: Sequence[int] | dtype) -> Tensor:
    """input.view(size) (or view(dtype)) as a new tensor; as torch's, a size also takes strides view()
    refuses (the values are copied anyway)."""
    if isinstance(size, _C.dtype):
        return input.view(size).clone()
    return input.reshape(list(size)).clone()


def permute_copy(input: Tensor, dims: Sequence[int]) -> Tensor:
    """input.permute(dims) as a new tensor."""
    return input.permute(list(dims)).clone()


def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """input.transpose(dim0, dim1) as a new tensor."""
    return input.transpose(dim0, dim1).clone()


def t_copy(input: Tensor) -> Tensor:
    """input.t() as a new tensor."""
    return input.t().clone()


def squeeze_copy(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """input.squeeze(dim) as a new tensor."""
    return (input.squeeze() if dim is None else input.squeeze(dim)).clone()


def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:
    """input.unsqueeze(dim) as a new tensor."""
    return input.unsqueeze(dim).clone()


def expand_copy(input: Tensor, size: Sequence[int], *, implicit: bool = False) -> Tensor:
    """input.expand(size) as a new tensor (implicit is accepted and ignored, as torch does)."""
    return input.expand(list(size)).clone()


def select_copy(input: Tensor, dim: int, index: int) -> Tensor:
    """input.select(dim, index) as a new tensor."""
    return input.select(dim, index).clone()


def slice_copy(
    input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1
) -> Tensor:
    """The slice start:end:step of dim as a new tensor."""
    return _slice(input, dim, start, end, step, "slice_copy").clone()


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """input.diagonal(offset, dim1, dim2) as a new tensor."""
    return input.diagonal(offset, dim1, dim2).clone()


def detach_copy(input: Tensor) -> Tensor:
    """input.detach() as a new tensor."""
    return input.detach().clone()


def alias_copy(input: Tensor) -> Tensor:
    """A new tensor with input's values (and its gradient path)."""
    return input.clone()


def unbind_copy(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """unbind(input, dim), each slice a new tensor."""
    return tuple(t.clone() for t in unbind(input, dim))


def split_copy(input: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:
    """unsafe_split(input, split_size, dim), each part a new tensor."""
    return tuple(t.clone() for t in unsafe_split(input, split_size, dim))


def split_with_sizes_copy(
    input: Tensor, split_sizes: Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """split_with_sizes(input, split_sizes, dim), each part a new tensor."""
    return tuple(t.clone() for t in split_with_sizes(input, split_sizes, dim))


def as_strided_copy(
    input: Tensor, size: Sequence[int], stride: Sequence[int], storage_offset: int | None = None
) -> Tensor:
    """input.as_strided(size, stride, storage_offset) as a new tensor."""
    return input.as_strided(list(size), list(stride), storage_offset).clone()


def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """input.unfold(dimension, size, step) as a new tensor."""
    return input.unfold(dimension, size, step).clone()


# ---- Tensor methods

_attach("ravel", lambda self: ravel(self), ravel.__doc__)
_attach("argwhere", lambda self: argwhere(self), argwhere.__doc__)
_attach("split_with_sizes", lambda self, split_sizes, dim=0: split_with_sizes(self, split_sizes, dim),
        split_with_sizes.__doc__)  # fmt: skip
_attach("unsafe_split", lambda self, split_size, dim=0: unsafe_split(self, split_size, dim),
        unsafe_split.__doc__)  # fmt: skip
_attach(
    "unsafe_chunk",
    lambda self, chunks, dim=0: unsafe_chunk(self, chunks, dim),
    unsafe_chunk.__doc__,
)
_attach("index_copy", lambda self, dim, index, source: index_copy(self, dim, index, source),
        index_copy.__doc__)  # fmt: skip
_attach("put", lambda self, index, source, accumulate=False: put(self, index, source, accumulate),
        put.__doc__)  # fmt: skip
_attach("put_", _put_, "put in place; returns self.")
_attach("fill_diagonal_", _fill_diagonal_, "Fills the main diagonal (all dims equal past 2-d) with "
        "fill_value in place; wrap: a tall matrix's diagonal restarts every width + 1 rows. Returns self.")  # fmt: skip
_attach("select_scatter", lambda self, src, dim, index: select_scatter(self, src, dim, index),
        select_scatter.__doc__)  # fmt: skip
_attach("slice_scatter",
        lambda self, src, dim=0, start=None, end=None, step=1: slice_scatter(self, src, dim, start, end, step),
        slice_scatter.__doc__)  # fmt: skip
_attach("diagonal_scatter",
        lambda self, src, offset=0, dim1=0, dim2=1: diagonal_scatter(self, src, offset, dim1, dim2),
        diagonal_scatter.__doc__)  # fmt: skip
_attach("as_strided_scatter",
        lambda self, src, size, stride, storage_offset=None: as_strided_scatter(self, src, size, stride, storage_offset),
        as_strided_scatter.__doc__)  # fmt: skip
