"""torch's smaller Tensor attributes and functions that pygrad had no place for: size and type queries
(nelement, itemsize, is_signed, type, ...), the no-op complex helpers of real tensors (conj, real, mH, ...),
factories like self (new_full, ...), Python callables per element (apply_, map_), index writes (index_copy,
put, fill_diagonal_), the *_scatter ops and the *_copy forms of views, splitting and joining under their
torch-level names, rsub / frexp / ldexp / isin, and the factories scalar_tensor, range, asarray and the
window functions. All are composites of core ops, differentiable where torch's are.
"""

from __future__ import annotations

import builtins
import collections
import math

from pygrad import _C
from pygrad._device import check_device
from pygrad._shape import _wrap

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
    "alias_copy",
    "argwhere",
    "as_strided_copy",
    "as_strided_scatter",
    "asarray",
    "bartlett_window",
    "blackman_window",
    "chunk",
    "concatenate",
    "conj",
    "detach_copy",
    "diagonal_copy",
    "diagonal_scatter",
    "expand_copy",
    "frexp",
    "hamming_window",
    "hann_window",
    "index_copy",
    "is_complex",
    "is_conj",
    "is_neg",
    "is_nonzero",
    "is_same_size",
    "is_signed",
    "isin",
    "isreal",
    "kaiser_window",
    "ldexp",
    "permute_copy",
    "put",
    "range",
    "ravel",
    "real",
    "resolve_conj",
    "resolve_neg",
    "rsub",
    "scalar_tensor",
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


def _int_tensor(values: Any) -> Tensor:
    import numpy as np

    return _C.from_numpy(np.ascontiguousarray(values, dtype=np.int64))


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


# ---- factories


def scalar_tensor(
    s: Any,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A 0-d tensor holding the number s (float32 unless dtype is given)."""
    check_device(device, "scalar_tensor")
    if isinstance(s, Tensor) or not hasattr(s, "__float__"):
        raise TypeError(f"[scalar_tensor] s must be a number, got {type(s).__name__}")
    return _C._full([], s, _C.float32 if dtype is None else dtype, requires_grad)


def range(
    start: float,
    end: float,
    step: float = 1,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Deprecated (warns, as torch): values from start to end inclusive by step, float32 unless dtype is
    given; use arange, which excludes end.

    Args:
        start, end: the first value and the inclusive bound (cast to int64 first for an integer dtype).
        step: the gap between values, non-zero, with the sign of end - start.
    Returns:
        A 1-d tensor of floor((end - start) / step) + 1 values, start + i * step.
    """
    import warnings

    import numpy as np

    warnings.warn(
        "pygrad.range is deprecated and will be removed in a future release because its behavior is "
        "inconsistent with Python's range builtin. Instead, use pygrad.arange, which produces values "
        "in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    check_device(device, "range")
    target = _C.float32 if dtype is None else dtype
    integral = not _C._full([], 0, target, False).dtype.is_floating_point
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError(f"[range] unsupported range: {start} -> {end}")
    # torch accumulates an integer range in int64 (the bounds truncated first), a float one in double.
    a, b, h = (int(start), int(end), int(step)) if integral else (start, end, step)
    if h == 0:
        raise ValueError("[range] step must be nonzero")
    if (h > 0 and b < a) or (h < 0 and b > a):
        raise ValueError("[range] upper bound and lower bound inconsistent with step sign")
    count = int((b - a) // h + 1 if integral else (b - a) / h + 1)
    values: Any = np.arange(count, dtype=np.int64 if integral else np.float64)
    values = values * h + a
    out = _C.from_numpy(np.ascontiguousarray(values)).to(target)
    return out.requires_grad_(True) if requires_grad else out


def asarray(
    obj: Any,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    copy: bool | None = None,
    requires_grad: bool | None = None,
) -> Tensor:
    """obj as a tensor, sharing memory with it where possible.

    Args:
        obj: a Tensor, a numpy array or scalar, an object with the buffer protocol (bytes read as elements
            of dtype, float32 by default), a number, or a (nested) sequence of numbers.
        dtype: the element type; None keeps obj's (or infers it, as tensor() does).
        copy: None shares memory when possible; True always copies; False shares or raises ValueError.
        requires_grad: None keeps a tensor obj's (False otherwise); True keeps obj's autograd history
            when it has one; False gives a detached alias.
    Returns:
        A Tensor.
    """
    import numpy as np

    check_device(device, "asarray")
    out: Tensor | None = None
    if isinstance(obj, Tensor):
        out = obj
        if requires_grad is False and out.requires_grad:
            out = out.detach()
        if dtype is not None and out.dtype != dtype:
            if copy is False:
                raise ValueError(f"[asarray] can't alias a tensor of {out.dtype} as {dtype}")
            out = out.to(dtype)
        elif copy:
            out = out.clone()
    elif isinstance(obj, np.generic):
        out = _to_tensor(obj, dtype, copy)
    else:
        if not isinstance(obj, np.ndarray) and not isinstance(obj, (list, tuple)):
            try:
                # The buffer protocol: the bytes as elements of dtype, sharing memory.
                memoryview(obj)
            except TypeError:
                pass
            else:
                name = _dtype_name(_C.float32 if dtype is None else dtype)
                if name == "bfloat16":
                    raise TypeError("[asarray] a buffer can't be read as bfloat16")
                raw = np.frombuffer(obj, dtype=np.uint8)
                size = np.dtype(name).itemsize
                if raw.size % size:
                    raise ValueError(
                        f"[asarray] buffer length ({raw.size} bytes) must be a multiple of element "
                        f"size ({size})"
                    )
                obj = raw.view(name)
                dtype = None
        if isinstance(obj, np.ndarray):
            wanted = None if dtype is None else _dtype_name(dtype)
            shareable = wanted is None or (wanted != "bfloat16" and np.dtype(wanted) == obj.dtype)
            if shareable and copy is not True:
                try:
                    out = _C.from_numpy(obj)
                except (TypeError, ValueError):
                    out = None  # a numpy dtype pygrad lacks: copied below, as tensor() converts it
            if out is None:
                if copy is False:
                    raise ValueError(
                        f"[asarray] can't alias a numpy array of {obj.dtype} as {dtype}"
                    )
                out = _to_tensor(obj, dtype, True)
        else:
            if copy is False:
                raise ValueError("[asarray] can't alias an arbitrary sequence into a tensor")
            out = _to_tensor(obj, dtype, True)
    if requires_grad and not out.requires_grad:
        out = (out.detach() if out is obj else out).requires_grad_(True)
    return out


def _to_tensor(obj: Any, dtype: dtype | None, copy: bool | None) -> Tensor:
    from pygrad._factories import tensor

    if copy is False:
        raise ValueError(f"[asarray] can't alias a {type(obj).__name__} into a tensor")
    return tensor(obj, dtype=dtype)


def _window(
    op: str,
    window_length: int,
    periodic: bool,
    dtype: dtype | None,
    device: DeviceLike | None,
    requires_grad: bool,
    body: Callable[[int, dtype], Tensor],
) -> Tensor:
    """torch's window frame: checks, the 0 and 1 lengths, the periodic form as the symmetric window one
    longer with its last value dropped; body(n, dtype) computes the symmetric window of n >= 2 values."""
    check_device(device, op)
    if isinstance(window_length, bool) or not isinstance(window_length, int):
        raise TypeError(f"[{op}] window_length must be an int, got {type(window_length).__name__}")
    if window_length < 0:
        raise ValueError(f"[{op}] requires a non-negative window_length, got {window_length}")
    target = _C.float32 if dtype is None else dtype
    if not _C._full([], 0, target, False).dtype.is_floating_point:
        raise TypeError(f"[{op}] expects a floating point dtype, got {target}")
    if window_length <= 1:
        out = _C._full([window_length], 1, target, False)
    else:
        n = window_length + 1 if periodic else window_length
        out = body(n, target)
        out = out[: n - 1].clone() if periodic else out
    return out.requires_grad_(True) if requires_grad else out


def _positions(n: int, dtype: dtype, scale: float) -> Tensor:
    return _C._arange(0.0, float(n), 1.0, dtype, False) * scale


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """alpha - beta * cos(2 pi k / (N - 1)); periodic (the default, for spectral analysis) uses N + 1."""
    return _window(
        "hamming_window", window_length, periodic, dtype, device, requires_grad,
        lambda n, d: _positions(n, d, 2 * math.pi / (n - 1)).cos() * -beta + alpha,
    )  # fmt: skip


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """0.5 - 0.5 cos(2 pi k / (N - 1)), i.e. sin^2(pi k / (N - 1)); periodic uses N + 1."""
    return hamming_window(
        window_length, periodic, 0.5, 0.5, dtype=dtype, device=device, requires_grad=requires_grad
    )


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1)); periodic uses N + 1."""

    def body(n: int, d: _C.dtype) -> Tensor:
        w = _positions(n, d, math.pi / (n - 1))
        return (w * 4).cos() * 0.08 - (w * 2).cos() * 0.5 + 0.42

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, body)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """The triangle 1 - |2k / (N - 1) - 1|; periodic uses N + 1."""

    def body(n: int, d: _C.dtype) -> Tensor:
        w = _positions(n, d, 2.0 / (n - 1))
        half = ((n - 1) >> 1) + 1
        return _C.cat([w[:half], -w[half:] + 2], 0)

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, body)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta) with a = (N - 1) / 2 (I0: the modified Bessel function
    of order 0, numpy's, in double); periodic uses N + 1."""

    def body(n: int, d: _C.dtype) -> Tensor:
        import numpy as np

        a = (n - 1) / 2.0
        ratio = (np.arange(n, dtype=np.float64) - a) / a
        values = np.i0(beta * np.sqrt(np.maximum(1.0 - ratio * ratio, 0.0))) / np.i0(beta)
        return _C.from_numpy(values).to(d)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, body)


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
