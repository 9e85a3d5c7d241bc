"""pygrad's C++ core: tensors, ops, autograd and CPU kernels.

Stubs for the pybind11 extension ``pygrad._C``. The blocks marked GENERATED come from the op registry
(csrc/core/op_list.def: elementwise ops, bound as functions and as Tensor methods) and ``_C.__all__``;
``python tests/test_surface.py`` rewrites them and the tests fail when they are stale. The rest mirrors
csrc/python/*.cpp and pygrad/_tensor.py (Tensor methods written in Python) and is checked by
``python -m mypy.stubtest pygrad._C`` in CI.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal, NamedTuple, NoReturn, overload

from numpy.typing import DTypeLike, NDArray
from typing_extensions import TypeAlias

from pygrad._device import device as _device
from pygrad._random import Generator as _Generator

if sys.version_info >= (3, 10):
    from types import EllipsisType as _EllipsisType
else:
    from builtins import ellipsis as _EllipsisType

# BEGIN GENERATED: all
__all__ = [
    "Tensor",
    "abs",
    "acos",
    "acosh",
    "add",
    "addcdiv",
    "addcmul",
    "allclose",
    "amax",
    "amin",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "as_strided",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bfloat16",
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "bool",
    "broadcast_to",
    "can_cast",
    "cat",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "clone",
    "concat",
    "copysign",
    "cos",
    "cosh",
    "detach",
    "diagonal",
    "digamma",
    "div",
    "divide",
    "dtype",
    "eq",
    "equal",
    "erf",
    "erfc",
    "erfinv",
    "exp",
    "exp2",
    "expm1",
    "fix",
    "flatten",
    "flip",
    "float16",
    "float32",
    "float64",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "frac",
    "from_dlpack",
    "from_numpy",
    "gather",
    "ge",
    "get_num_threads",
    "greater",
    "greater_equal",
    "gt",
    "hypot",
    "index_add",
    "index_select",
    "initial_seed",
    "int8",
    "int16",
    "int32",
    "int64",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "le",
    "lerp",
    "less",
    "less_equal",
    "lgamma",
    "log",
    "log1p",
    "log2",
    "log10",
    "log_softmax",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logit",
    "logsumexp",
    "lt",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "multiply",
    "nan_to_num",
    "narrow",
    "ne",
    "neg",
    "nonzero",
    "not_equal",
    "permute",
    "polygamma",
    "positive",
    "pow",
    "promote_types",
    "reciprocal",
    "relu",
    "remainder",
    "reshape",
    "result_type",
    "roll",
    "round",
    "rsqrt",
    "scatter_add",
    "select",
    "set_num_threads",
    "sgn",
    "sigmoid",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "softmax",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "sub",
    "subtract",
    "sum",
    "tan",
    "tanh",
    "transpose",
    "tril",
    "triu",
    "true_divide",
    "trunc",
    "uint8",
    "unsqueeze",
    "var",
    "where",
    "xlogy",
]
# END GENERATED

# The module attribute ``bool`` (a dtype) and the Tensor methods ``bool``/``float`` and property
# ``dtype`` shadow these names, so annotations use the aliases below.
_bool: TypeAlias = builtins.bool
_float: TypeAlias = builtins.float
_int: TypeAlias = builtins.int
_Number: TypeAlias = int | float | _bool
_TensorOrNumber: TypeAlias = Tensor | _Number
_Dims: TypeAlias = int | Sequence[int]
_IndexItem: TypeAlias = int | slice | _EllipsisType | Tensor | list[Any] | None
_Index: TypeAlias = _IndexItem | tuple[_IndexItem, ...]

class _UnusedError(Exception):
    """Placeholder exception registered so pygrad::Error has a Python type (errors surface as builtin exceptions)."""

# ---------------------------------------------------------------------------------------------------------------
# dtypes

class dtype:
    """An element type of a tensor: bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32 or float64
    (no public constructor)."""

    @property
    def is_floating_point(self) -> _bool:
        """True for float16, bfloat16, float32 and float64."""
    @property
    def is_signed(self) -> _bool:
        """True for the signed integer and floating dtypes."""
    @property
    def is_complex(self) -> _bool:
        """Always False: pygrad has no complex dtypes."""
    @property
    def itemsize(self) -> int:
        """Size of one element in bytes."""
    def __eq__(self, other: object) -> _bool:
        """Equal to another dtype, or to anything naming it (float, int, bool, 'float32', a numpy dtype)."""
    def __hash__(self) -> int:
        """Hash of the dtype."""
    def __repr__(self) -> str:
        """'pygrad.<name>', e.g. 'pygrad.float32'."""
    def __str__(self) -> str:
        """'pygrad.<name>', e.g. 'pygrad.float32'."""
    def __reduce__(self) -> tuple[Callable[[str], dtype], tuple[str]]:
        """Pickles as pygrad._dtype_from_name(name)."""

_dtype: TypeAlias = dtype

bool: dtype
uint8: dtype
int8: dtype
int16: dtype
int32: dtype
int64: dtype
float16: dtype
bfloat16: dtype
float32: dtype
float64: dtype

# ---------------------------------------------------------------------------------------------------------------
# autograd graph

class Node:
    """A node of the autograd graph (a tensor's grad_fn), e.g. <MulBackward object>."""

    def name(self) -> str:
        """The node's display name, e.g. 'MulBackward' or 'AccumulateGrad'."""
    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """(node, input_nr) pairs for the functions this node's inputs came from (None for untracked inputs)."""
    def register_hook(self, hook: Callable[..., Any], /) -> NoReturn:
        """Not supported: always raises RuntimeError (use Tensor.register_hook)."""
    def __eq__(self, other: object) -> _bool:
        """True when both handles refer to the same graph node."""
    def __hash__(self) -> int:
        """Hash of the underlying graph node."""
    def __repr__(self) -> str:
        """'<NameBackward object>'."""

class _max_result(NamedTuple):
    """(values, indices) returned by max(input, dim); the runtime namedtuple is called 'max'."""

    values: Tensor
    indices: Tensor

class _min_result(NamedTuple):
    """(values, indices) returned by min(input, dim); the runtime namedtuple is called 'min'."""

    values: Tensor
    indices: Tensor

# ---------------------------------------------------------------------------------------------------------------
# Tensor

class _sort_result(NamedTuple):
    """(values, indices) returned by sort; the runtime namedtuple is called 'sort'."""

    values: Tensor
    indices: Tensor

class _topk_result(NamedTuple):
    """(values, indices) returned by topk; the runtime namedtuple is called 'topk'."""

    values: Tensor
    indices: Tensor

class _kthvalue_result(NamedTuple):
    """(values, indices) returned by kthvalue; the runtime namedtuple is called 'kthvalue'."""

    values: Tensor
    indices: Tensor

class _median_result(NamedTuple):
    """(values, indices) returned by median; the runtime namedtuple is called 'median'."""

    values: Tensor
    indices: Tensor

class _nanmedian_result(NamedTuple):
    """(values, indices) returned by nanmedian; the runtime namedtuple is called 'nanmedian'."""

    values: Tensor
    indices: Tensor

class _mode_result(NamedTuple):
    """(values, indices) returned by mode; the runtime namedtuple is called 'mode'."""

    values: Tensor
    indices: Tensor

class _cummax_result(NamedTuple):
    """(values, indices) returned by cummax; the runtime namedtuple is called 'cummax'."""

    values: Tensor
    indices: Tensor

class _cummin_result(NamedTuple):
    """(values, indices) returned by cummin; the runtime namedtuple is called 'cummin'."""

    values: Tensor
    indices: Tensor

class _aminmax_result(NamedTuple):
    """(min, max) returned by aminmax; the runtime namedtuple is called 'aminmax'."""

    min: Tensor
    max: Tensor

class Tensor:
    """A strided n-dimensional array that records operations for autograd."""

    __array_priority__: ClassVar[_int]

    def __init__(self, data: Any) -> None:
        """A new leaf: a detached alias of data when it is a Tensor, else a copy like pygrad.tensor(data)."""

    # ---- properties
    @property
    def shape(self) -> tuple[_int, ...]:
        """The size of each dimension."""
    @property
    def dtype(self) -> _dtype:
        """The element type."""
    @property
    def device(self) -> _device:
        """The device the tensor lives on (always cpu in this build)."""
    @property
    def is_cuda(self) -> _bool:
        """True when the tensor is on a CUDA device (always False in this build)."""
    @property
    def _device_type(self) -> str:
        """The device's name, e.g. 'cpu'."""
    @property
    def ndim(self) -> _int:
        """Number of dimensions."""
    @property
    def is_leaf(self) -> _bool:
        """True for tensors not produced by a recorded operation (user-created or requires_grad=False)."""
    @property
    def _version(self) -> _int:
        """In-place modification counter, shared by views of one storage."""
    @property
    def _offset(self) -> _int:
        """Offset of the first element in the storage, in elements."""
    @property
    def requires_grad(self) -> _bool:
        """Whether operations on this tensor are recorded for autograd."""
    @requires_grad.setter
    def requires_grad(self, value: _bool) -> None: ...
    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward(), or None."""
    @grad.setter
    def grad(self, value: Tensor | None) -> None: ...
    @property
    def grad_fn(self) -> Node | None:
        """The autograd node that produced this tensor, or None for leaves."""
    @property
    def data(self) -> Tensor:
        """A detached view of the same storage; assigning rebinds this tensor to another's storage."""
    @data.setter
    def data(self, value: Tensor) -> None: ...
    @property
    def T(self) -> Tensor:
        """The tensor with all dimensions reversed."""
    @property
    def mT(self) -> Tensor:
        """The tensor with its last two dimensions swapped (batched matrix transpose)."""

    # ---- metadata
    def dim(self) -> _int:
        """Number of dimensions."""
    def numel(self) -> _int:
        """Total number of elements."""
    def element_size(self) -> _int:
        """Size of one element in bytes."""
    def is_contiguous(self) -> _bool:
        """True when the elements are laid out in row-major order without gaps."""
    def is_floating_point(self) -> _bool:
        """True when the dtype is a floating one (float16, bfloat16, float32, float64)."""
    def data_ptr(self) -> _int:
        """Address of the first element."""
    @overload
    def size(self, dim: None = None) -> tuple[_int, ...]:
        """The shape as a tuple, or the size of one dimension when dim is given."""
    @overload
    def size(self, dim: _int) -> _int:
        """The shape as a tuple, or the size of one dimension when dim is given."""
    @overload
    def stride(self, dim: None = None) -> tuple[_int, ...]:
        """The strides (in elements) as a tuple, or the stride of one dimension when dim is given."""
    @overload
    def stride(self, dim: _int) -> _int:
        """The strides (in elements) as a tuple, or the stride of one dimension when dim is given."""

    # ---- conversion
    def item(self) -> _Number:
        """The value of a one-element tensor as a Python number."""
    def tolist(self) -> Any:
        """The data as (nested) Python lists, or a number for a 0-d tensor."""
    def numpy(self, force: _bool = False) -> NDArray[Any]:
        """A numpy array sharing memory with the tensor (requires_grad tensors need force=True)."""
    def __array__(self, dtype: DTypeLike | None = None, copy: _bool | None = None) -> NDArray[Any]:
        """numpy array protocol: the detached data, cast to dtype or copied on request."""
    def __dlpack__(
        self,
        *,
        stream: Any | None = None,
        max_version: tuple[_int, _int] | None = None,
        dl_device: tuple[_int, _int] | None = None,
        copy: _bool | None = None,
    ) -> object:
        """Exports the tensor as a DLPack capsule (no copy; copy=True is not supported)."""
    def __dlpack_device__(self) -> tuple[_int, _int]:
        """The DLPack (device_type, device_id) pair: (1, 0) for cpu."""
    def __repr__(self) -> str:
        """PyTorch-style 'tensor([...], dtype=..., grad_fn=<...>)'."""
    def __str__(self) -> str:
        """PyTorch-style 'tensor([...], dtype=..., grad_fn=<...>)'."""
    def _to_dtype(self, dtype: _dtype, /) -> Tensor:
        """Casts to dtype (returns self when it already has it)."""
    @overload
    def to(self, dtype: _dtype, /, *, non_blocking: _bool = False, copy: _bool = False) -> Tensor:
        """Converts dtype and/or device: t.to(pygrad.float64), t.to('cpu'), t.to(other)."""
    @overload
    def to(
        self,
        device: _device | str | None = None,
        dtype: _dtype | None = None,
        *,
        non_blocking: _bool = False,
        copy: _bool = False,
    ) -> Tensor:
        """Converts dtype and/or device: t.to(pygrad.float64), t.to('cpu'), t.to(other)."""
    @overload
    def to(self, other: Tensor, /, *, non_blocking: _bool = False, copy: _bool = False) -> Tensor:
        """Converts dtype and/or device: t.to(pygrad.float64), t.to('cpu'), t.to(other)."""
    def cpu(self) -> Tensor:
        """The tensor on the cpu (self, since tensors are always on the cpu)."""
    def cuda(
        self, device: _device | str | _int | None = None, non_blocking: _bool = False
    ) -> Tensor:
        """Moves the tensor to a CUDA device (raises RuntimeError in this CPU-only build)."""
    def float(self) -> Tensor:
        """Casts to float32."""
    def double(self) -> Tensor:
        """Casts to float64."""
    def long(self) -> Tensor:
        """Casts to int64."""
    def int(self) -> Tensor:
        """Casts to int32."""
    def short(self) -> Tensor:
        """Casts to int16."""
    def char(self) -> Tensor:
        """Casts to int8."""
    def byte(self) -> Tensor:
        """Casts to uint8."""
    def half(self) -> Tensor:
        """Casts to float16."""
    def bfloat16(self) -> Tensor:
        """Casts to bfloat16."""
    def bool(self) -> Tensor:
        """Casts to bool."""
    def type_as(self, other: Tensor, /) -> Tensor:
        """Casts to other's dtype."""

    # ---- autograd
    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: _bool | None = None,
        create_graph: _bool = False,
        inputs: Tensor | Sequence[Tensor] | None = None,
    ) -> None:
        """Computes the gradient of this tensor w.r.t. the graph's leaves, accumulating into their .grad."""
    def detach(self) -> Tensor:
        """A view of the same data, cut from the autograd graph."""
    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        """Sets requires_grad in place and returns self."""
    def retain_grad(self) -> None:
        """Makes this non-leaf tensor keep its .grad after backward()."""
    def register_hook(self, hook: Callable[[Tensor], Tensor | None], /) -> None:
        """Registers hook(grad) to run when this tensor's gradient is computed; a returned Tensor replaces grad."""
    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None], /) -> None:
        """Registers hook(leaf) to run after backward has accumulated into this leaf's .grad."""

    # ---- copies and views
    def clone(self, *, memory_format: object | None = None) -> Tensor:
        """A copy with its own storage (differentiable); memory_format: contiguous_format or preserve_format."""
    def contiguous(self) -> Tensor:
        """self if contiguous, else a contiguous copy."""
    @overload
    def view(self, dtype: _dtype, /) -> Tensor:
        """A view with the given shape (sharing storage; -1 infers a size), or a cast when given a dtype."""
    @overload
    def view(self, shape: Sequence[_int], /) -> Tensor:
        """A view with the given shape (sharing storage; -1 infers a size), or a cast when given a dtype."""
    @overload
    def view(self, *shape: _int) -> Tensor:
        """A view with the given shape (sharing storage; -1 infers a size), or a cast when given a dtype."""
    def view_as(self, other: Tensor, /) -> Tensor:
        """A view with other's shape."""
    @overload
    def reshape(self, shape: Sequence[_int], /) -> Tensor:
        """The data with a new shape: a view when possible, else a copy (-1 infers a size)."""
    @overload
    def reshape(self, *shape: _int) -> Tensor:
        """The data with a new shape: a view when possible, else a copy (-1 infers a size)."""
    def reshape_as(self, other: Tensor, /) -> Tensor:
        """reshape to other's shape."""
    @overload
    def permute(self, dims: Sequence[_int], /) -> Tensor:
        """A view with the dimensions reordered."""
    @overload
    def permute(self, *dims: _int) -> Tensor:
        """A view with the dimensions reordered."""
    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        """A view with dimensions dim0 and dim1 swapped."""
    def t(self) -> Tensor:
        """Transpose of a tensor with at most 2 dimensions."""
    @overload
    def expand(self, sizes: Sequence[_int], /) -> Tensor:
        """A broadcast view with size-1 dimensions expanded to the given sizes (-1 keeps a size)."""
    @overload
    def expand(self, *sizes: _int) -> Tensor:
        """A broadcast view with size-1 dimensions expanded to the given sizes (-1 keeps a size)."""
    def expand_as(self, other: Tensor, /) -> Tensor:
        """expand to other's shape."""
    def squeeze(self, dim: _Dims | None = None) -> Tensor:
        """A view with size-1 dimensions removed (all of them, or only those in dim)."""
    def unsqueeze(self, dim: _int) -> Tensor:
        """A view with a size-1 dimension inserted at dim."""
    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        """Dimensions start_dim..end_dim merged into one."""
    def narrow(self, dim: _int, start: _int, length: _int) -> Tensor:
        """A view of length elements of dimension dim, starting at start."""
    def select(self, dim: _int, index: _int) -> Tensor:
        """A view of one index of dimension dim, with that dimension removed."""
    def split(
        self, split_size_or_sections: _int | Sequence[_int], dim: _int = 0
    ) -> tuple[Tensor, ...]:
        """Views of chunks of split_size elements (the last may be smaller), or of the given section sizes."""
    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """Splits into at most chunks equal views along dim (the last may be smaller)."""
    def unbind(self, dim: _int = 0) -> tuple[Tensor, ...]:
        """The slices along dim, with that dimension removed."""

    # ---- shape and layout (csrc/python/shape_bind.cpp; pygrad/_shape.py and pygrad/_scatter.py)
    @overload
    def flip(self, dims: Sequence[_int], /) -> Tensor:
        """A copy with the order of elements reversed along each of dims."""
    @overload
    def flip(self, *dims: _int) -> Tensor:
        """A copy with the order of elements reversed along each of dims."""
    def roll(self, shifts: _Dims, dims: _Dims | None = None) -> Tensor:
        """Elements shifted along dims (the flattened tensor when dims is None), wrapping around."""
    def fliplr(self) -> Tensor:
        """A copy with dim 1 reversed."""
    def flipud(self) -> Tensor:
        """A copy with dim 0 reversed."""
    def rot90(self, k: _int = 1, dims: Sequence[_int] = (0, 1)) -> Tensor:
        """Rotated by 90 degrees k times in the plane of dims."""
    def diagonal(self, offset: _int = 0, dim1: _int = 0, dim2: _int = 1) -> Tensor:
        """The diagonal of the (dim1, dim2) planes as a view, appended as the last dim."""
    def diag(self, diagonal: _int = 0) -> Tensor:
        """1-d: a matrix with self on the given diagonal; 2-d: a copy of that diagonal."""
    def diag_embed(self, offset: _int = 0, dim1: _int = -2, dim2: _int = -1) -> Tensor:
        """Batched diagonal matrices built from the last dim."""
    def diagflat(self, offset: _int = 0) -> Tensor:
        """A matrix with the flattened self on the given diagonal."""
    def trace(self) -> Tensor:
        """Sum of the main diagonal of a matrix."""
    def tril(self, diagonal: _int = 0) -> Tensor:
        """The lower triangle of the last two dims, the rest zero."""
    def triu(self, diagonal: _int = 0) -> Tensor:
        """The upper triangle of the last two dims, the rest zero."""
    def tril_(self, diagonal: _int = 0) -> Tensor:
        """tril in place; returns self."""
    def triu_(self, diagonal: _int = 0) -> Tensor:
        """triu in place; returns self."""
    def unfold(self, dimension: _int, size: _int, step: _int) -> Tensor:
        """A view of the windows of `size` elements every `step` along `dimension` (a new last dim)."""
    @overload
    def repeat(self, sizes: Sequence[_int], /) -> Tensor:
        """Tiled sizes[i] times along each dim (leading new dims when sizes is longer)."""
    @overload
    def repeat(self, *sizes: _int) -> Tensor:
        """Tiled sizes[i] times along each dim (leading new dims when sizes is longer)."""
    def tile(self, dims: Sequence[_int]) -> Tensor:
        """Tiled dims[i] times along each dim (dims padded with leading 1s)."""
    # In-place samplers (pygrad/_random.py); ``from`` is spelled ``from_`` or passed as ``**{"from": x}``.
    def uniform_(
        self,
        from_: _float = 0.0,
        to: _float = 1.0,
        *,
        generator: _Generator | None = None,
        **kw: Any,
    ) -> Tensor:
        """Fills with uniform samples in [from, to)."""
    def normal_(
        self, mean: _float = 0.0, std: _float = 1.0, *, generator: _Generator | None = None
    ) -> Tensor:
        """Fills with normal samples."""
    def log_normal_(
        self, mean: _float = 1.0, std: _float = 2.0, *, generator: _Generator | None = None
    ) -> Tensor:
        """Fills with samples whose log is normal(mean, std)."""
    def exponential_(self, lambd: _float = 1.0, *, generator: _Generator | None = None) -> Tensor:
        """Fills with exponential samples of rate lambd."""
    def geometric_(self, p: _float, *, generator: _Generator | None = None) -> Tensor:
        """Fills with the number of Bernoulli(p) trials to the first success."""
    def cauchy_(
        self, median: _float = 0.0, sigma: _float = 1.0, *, generator: _Generator | None = None
    ) -> Tensor:
        """Fills with Cauchy samples."""
    def random_(
        self,
        from_: _int = 0,
        to: _int | None = None,
        *,
        generator: _Generator | None = None,
        **kw: Any,
    ) -> Tensor:
        """Fills with integers in [from, to) (``random_(to)``: [0, to); no bounds: the dtype's range)."""
    def bernoulli_(
        self, p: Tensor | _float = 0.5, *, generator: _Generator | None = None
    ) -> Tensor:
        """Fills with 1 at probability p, else 0."""
    def bernoulli(self, p: _float | None = None, *, generator: _Generator | None = None) -> Tensor:
        """0/1 samples with probabilities self (or p)."""
    def multinomial(
        self, num_samples: _int, replacement: _bool = False, *, generator: _Generator | None = None
    ) -> Tensor:
        """Category indices drawn with probabilities proportional to self's rows."""
    def repeat_interleave(
        self,
        repeats: _int | Tensor | None = None,
        dim: _int | None = None,
        *,
        output_size: _int | None = None,
    ) -> Tensor:
        """Each element repeated along dim (the flattened tensor when dim is None)."""
    def unflatten(self, dim: _int, sizes: Sequence[_int]) -> Tensor:
        """dim split into sizes (one may be -1)."""
    def movedim(self, source: _Dims, destination: _Dims) -> Tensor:
        """A view with the dims at source moved to destination."""
    def moveaxis(self, source: _Dims, destination: _Dims) -> Tensor:
        """Alias of movedim."""
    def swapaxes(self, axis0: _int, axis1: _int) -> Tensor:
        """Alias of transpose."""
    def swapdims(self, dim0: _int, dim1: _int) -> Tensor:
        """Alias of transpose."""
    def broadcast_to(self, size: Sequence[_int]) -> Tensor:
        """A broadcast view with the given shape."""
    def tensor_split(
        self, indices_or_sections: _int | Sequence[_int] | Tensor, dim: _int = 0
    ) -> tuple[Tensor, ...]:
        """Views split into near-equal sections or at the given indices."""
    def hsplit(self, indices_or_sections: _int | Sequence[_int]) -> tuple[Tensor, ...]:
        """tensor_split along dim 1 (dim 0 when 1-d)."""
    def vsplit(self, indices_or_sections: _int | Sequence[_int]) -> tuple[Tensor, ...]:
        """tensor_split along dim 0."""
    def dsplit(self, indices_or_sections: _int | Sequence[_int]) -> tuple[Tensor, ...]:
        """tensor_split along dim 2."""
    def narrow_copy(self, dim: _int, start: _int, length: _int) -> Tensor:
        """narrow as a new tensor."""
    def take(self, index: Tensor) -> Tensor:
        """The flattened tensor read at index."""
    def take_along_dim(self, indices: Tensor, dim: _int | None = None) -> Tensor:
        """gather along dim after broadcasting the other dims."""
    def masked_select(self, mask: Tensor) -> Tensor:
        """The elements where mask is True, as a 1-d tensor."""
    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        """The positions where mask is True filled in order from source."""
    def masked_scatter_(self, *args: Any, **kwargs: Any) -> Tensor:
        """masked_scatter in place; returns self."""
    def index_fill(self, dim: _int, index: Tensor, value: _TensorOrNumber) -> Tensor:
        """The slices at index along dim set to value."""
    def index_fill_(self, *args: Any, **kwargs: Any) -> Tensor:
        """index_fill in place; returns self."""
    def index_put(self, *args: Any, **kwargs: Any) -> Tensor:
        """self with self[indices] = values (``accumulate=True``: +=)."""
    def index_put_(
        self, indices: Sequence[Tensor], values: Tensor, accumulate: _bool = False
    ) -> Tensor:
        """index_put in place, recorded for autograd; returns self."""
    def scatter(
        self,
        dim: _int,
        index: Tensor,
        src: Tensor | _float | None = None,
        value: _float | None = None,
        *,
        reduce: str | None = None,
    ) -> Tensor:
        """src (or value) written at index along dim; reduce='add' or 'multiply' combines instead."""
    def scatter_(self, *args: Any, **kwargs: Any) -> Tensor:
        """scatter in place; returns self."""
    def scatter_reduce(
        self, dim: _int, index: Tensor, src: Tensor, reduce: str, *, include_self: _bool = True
    ) -> Tensor:
        """src reduced (sum, prod, mean, amax, amin) into the positions at index along dim."""
    def scatter_reduce_(self, *args: Any, **kwargs: Any) -> Tensor:
        """scatter_reduce in place; returns self."""

    # ---- products (pygrad/_linalg_ops.py)
    def bmm(self, mat2: Tensor) -> Tensor:
        """Batched matrix product of (b, n, m) and (b, m, p) tensors."""
    def baddbmm(
        self,
        batch1: Tensor,
        batch2: Tensor,
        *,
        beta: _TensorOrNumber = 1,
        alpha: _TensorOrNumber = 1,
    ) -> Tensor:
        """beta * self + alpha * bmm(batch1, batch2)."""
    def addmm(
        self, mat1: Tensor, mat2: Tensor, *, beta: _TensorOrNumber = 1, alpha: _TensorOrNumber = 1
    ) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2) for 2-D mat1 and mat2."""
    def addmv(
        self, mat: Tensor, vec: Tensor, *, beta: _TensorOrNumber = 1, alpha: _TensorOrNumber = 1
    ) -> Tensor:
        """beta * self + alpha * mv(mat, vec)."""
    def mv(self, vec: Tensor) -> Tensor:
        """Matrix-vector product of a 2-D and a 1-D tensor."""
    def dot(self, tensor: Tensor) -> Tensor:
        """Inner product of two 1-D tensors of the same length and dtype."""
    def vdot(self, other: Tensor) -> Tensor:
        """dot with self conjugated (dot for real tensors)."""
    def outer(self, vec2: Tensor) -> Tensor:
        """Outer product of two 1-D tensors."""
    def ger(self, vec2: Tensor) -> Tensor:
        """Alias of outer."""
    def inner(self, other: Tensor) -> Tensor:
        """Sum of products over the last dimension of both."""
    def kron(self, other: Tensor) -> Tensor:
        """Kronecker product."""
    def cross(self, other: Tensor, dim: _int | None = None) -> Tensor:
        """Cross product of 3-vectors along dim (None: the first dim of size 3)."""
    def det(self) -> Tensor:
        """Determinant of each square matrix."""
    def slogdet(self) -> Any:
        """(sign, log|det|) of each square matrix."""
    def inverse(self) -> Tensor:
        """Inverse of each square matrix."""
    def svd(self, some: _bool = True, compute_uv: _bool = True) -> Any:
        """(U, S, V) of each matrix (torch.svd's legacy form: V, not V^H)."""
    def qr(self, some: _bool = True) -> Any:
        """(Q, R) of each matrix."""
    def cholesky(self, upper: _bool = False) -> Tensor:
        """Cholesky factor of each symmetric positive-definite matrix (lower unless upper=True)."""
    def triangular_solve(
        self, A: Tensor, upper: _bool = True, transpose: _bool = False, unitriangular: _bool = False
    ) -> Any:
        """(solution, cloned_coefficient) of A X = self for triangular A."""
    def addbmm(
        self,
        batch1: Tensor,
        batch2: Tensor,
        *,
        beta: _TensorOrNumber = 1,
        alpha: _TensorOrNumber = 1,
    ) -> Tensor:
        """beta * self + alpha * (the sum over the batch of bmm(batch1, batch2))."""
    def addr(
        self, vec1: Tensor, vec2: Tensor, *, beta: _TensorOrNumber = 1, alpha: _TensorOrNumber = 1
    ) -> Tensor:
        """beta * self + alpha * outer(vec1, vec2)."""

    # ---- in-place
    def zero_(self) -> Tensor:
        """Fills with zeros in place and returns self."""
    def fill_(self, value: _TensorOrNumber, /) -> Tensor:
        """Fills with a number (or one-element tensor) in place and returns self."""
    def copy_(self, src: Tensor, /) -> Tensor:
        """Copies src (broadcast and cast) into self in place and returns self."""
    def add_(self, other: _TensorOrNumber, *, alpha: _float = 1.0) -> Tensor:
        """self += alpha * other in place; returns self."""
    def sub_(self, other: _TensorOrNumber, *, alpha: _float = 1.0) -> Tensor:
        """self -= alpha * other in place; returns self."""
    def mul_(self, other: _TensorOrNumber, /) -> Tensor:
        """self *= other in place; returns self."""
    def div_(self, other: _TensorOrNumber, /) -> Tensor:
        """self /= other in place; returns self."""

    # ---- factories like self
    @overload
    def new_zeros(
        self, size: Sequence[_int], /, *, dtype: _dtype | None = None, requires_grad: _bool = False
    ) -> Tensor:
        """A tensor of zeros of the given size, with self's dtype unless dtype is given."""
    @overload
    def new_zeros(
        self, *size: _int, dtype: _dtype | None = None, requires_grad: _bool = False
    ) -> Tensor:
        """A tensor of zeros of the given size, with self's dtype unless dtype is given."""
    @overload
    def new_ones(
        self, size: Sequence[_int], /, *, dtype: _dtype | None = None, requires_grad: _bool = False
    ) -> Tensor:
        """A tensor of ones of the given size, with self's dtype unless dtype is given."""
    @overload
    def new_ones(
        self, *size: _int, dtype: _dtype | None = None, requires_grad: _bool = False
    ) -> Tensor:
        """A tensor of ones of the given size, with self's dtype unless dtype is given."""
    def new_tensor(
        self, data: Any, dtype: _dtype | None = None, requires_grad: _bool = False
    ) -> Tensor:
        """A new tensor copying data, with self's dtype unless dtype is given."""

    # ---- torch's remaining attributes (pygrad/_surface.py)
    @property
    def retains_grad(self) -> _bool:
        """True for a non-leaf tensor after retain_grad()."""
    @property
    def layout(self) -> Any:  # pygrad._surface.layout (pygrad.strided)
        """The memory layout: always pygrad.strided."""
    @property
    def output_nr(self) -> _int:
        """Which output of its grad_fn this tensor is (0: pygrad's nodes have one output)."""
    @property
    def name(self) -> None:
        """None, as torch's unnamed tensors."""
    @property
    def is_sparse(self) -> _bool:
        """False: pygrad tensors are dense."""
    @property
    def is_sparse_csr(self) -> _bool:
        """False: pygrad tensors are dense."""
    @property
    def is_quantized(self) -> _bool:
        """False: pygrad has no quantized tensors."""
    @property
    def is_meta(self) -> _bool:
        """False: pygrad has no meta device."""
    @property
    def is_mps(self) -> _bool:
        """False: pygrad has no MPS device."""
    @property
    def is_xpu(self) -> _bool:
        """False: pygrad has no XPU device."""
    @property
    def is_xla(self) -> _bool:
        """False: pygrad has no XLA device."""
    @property
    def is_ipu(self) -> _bool:
        """False: pygrad has no IPU device."""
    @property
    def is_mtia(self) -> _bool:
        """False: pygrad has no MTIA device."""
    @property
    def is_maia(self) -> _bool:
        """False: pygrad has no MAIA device."""
    @property
    def is_vulkan(self) -> _bool:
        """False: pygrad has no Vulkan device."""
    @property
    def is_nested(self) -> _bool:
        """False: pygrad has no nested tensors."""
    @property
    def is_mkldnn(self) -> _bool:
        """False: pygrad has no MKL-DNN layout."""
    @overload
    def new(self, *sizes: _int) -> Tensor:
        """Legacy: uninitialized sizes, or a copy of data, in self's dtype; () gives an empty tensor."""
    @overload
    def new(self, data: Any, /) -> Tensor:
        """Legacy: uninitialized sizes, or a copy of data, in self's dtype; () gives an empty tensor."""
    def is_inference(self) -> _bool:
        """False: pygrad has no inference tensors (inference_mode works as no_grad)."""
    def pin_memory(self, device: Any = None) -> Tensor:
        """A copy (RuntimeError without an accelerator, as torch's CPU-only build)."""
    def is_pinned(self, device: Any = None) -> _bool:
        """False: pygrad has no page-locked memory."""
    def share_memory_(self) -> Tensor:
        """Returns self (pygrad tensors cross processes by pickling, not shared memory)."""
    def is_shared(self) -> _bool:
        """False: pygrad tensors are not in shared memory."""
    def prelu(self, weight: Tensor) -> Tensor:
        """self where positive, else weight * self (weight: one value or one per channel)."""
    def hardshrink(self, lambd: _float = 0.5) -> Tensor:
        """self where |self| > lambd, else 0."""
    def i0(self) -> Tensor:
        """Modified Bessel function of the first kind, order 0 (pygrad.special.i0)."""
    def igamma(self, other: Tensor) -> Tensor:
        """Regularised lower incomplete gamma P(self, other) (pygrad.special.gammainc)."""
    def igammac(self, other: Tensor) -> Tensor:
        """Regularised upper incomplete gamma Q(self, other) (pygrad.special.gammaincc)."""
    def mvlgamma(self, p: _int) -> Tensor:
        """Multivariate log-gamma of dimension p (pygrad.special.multigammaln)."""
    def renorm(self, p: _float, dim: _int, maxnorm: _float) -> Tensor:
        """Slices along dim whose p-norm exceeds maxnorm scaled down to norm maxnorm."""
    def renorm_(self, p: _float, dim: _int, maxnorm: _float) -> Tensor:
        """In-place renorm; returns self."""
    @overload
    def resize_(self, size: Sequence[_int], /) -> Tensor:  # a pygrad.Size is a tuple
        """New sizes in place: a view for the same count, fresh memory (old values first) otherwise."""
    @overload
    def resize_(self, *size: _int) -> Tensor:
        """New sizes in place: a view for the same count, fresh memory (old values first) otherwise."""
    def resize_as_(self, the_template: Tensor) -> Tensor:
        """resize_ to the_template's shape."""

    # ---- Python protocols
    def __len__(self) -> _int:
        """Size of the first dimension (TypeError for 0-d tensors)."""
    def __iter__(self) -> Iterator[Tensor]:
        """Iterates over the first dimension (TypeError for 0-d tensors)."""
    def __bool__(self) -> _bool:
        """Truth value of a one-element tensor."""
    def __float__(self) -> _float:
        """Value of a one-element tensor as a float."""
    def __int__(self) -> _int:
        """Value of a one-element tensor as an int (truncated)."""
    def __index__(self) -> _int:
        """Value of a one-element int64 tensor, for use as an index."""
    def __hash__(self) -> _int:
        """Identity hash (tensors hash by object, like PyTorch)."""
    def __getitem__(self, index: _Index, /) -> Tensor:
        """Indexing as numpy and PyTorch: ints, slices, ..., None give a view; int64 or bool tensors (or lists and
        arrays) select elements into a copy, x[idx], x[mask], x[rows, cols], with gradients."""
    def __setitem__(self, index: _Index, value: _TensorOrNumber, /) -> None:
        """Assigns value (broadcast) to the indexed elements in place, x[mask] = 0 included; with repeated
        tensor indices the last write wins. Recorded for autograd (tensor indices as index_put_)."""

    # ---- operators
    def __neg__(self) -> Tensor:
        """-self elementwise."""
    def __abs__(self) -> Tensor:
        """abs(self) elementwise."""
    def __invert__(self) -> Tensor:
        """Bitwise not of an integer tensor, logical not of a bool tensor (bitwise_not)."""
    def __pos__(self) -> Tensor:
        """self (positive); not for bool tensors."""
    def __matmul__(self, other: Tensor, /) -> Tensor:
        """self @ other (matmul)."""
    def __rmatmul__(self, other: _TensorOrNumber, /) -> Tensor:
        """other @ self (matmul)."""
    def __add__(self, other: _TensorOrNumber, /) -> Tensor:
        """self + other with broadcasting and type promotion."""
    def __radd__(self, other: _TensorOrNumber, /) -> Tensor:
        """other + self with broadcasting and type promotion."""
    def __sub__(self, other: _TensorOrNumber, /) -> Tensor:
        """self - other with broadcasting and type promotion."""
    def __rsub__(self, other: _TensorOrNumber, /) -> Tensor:
        """other - self with broadcasting and type promotion."""
    def __mul__(self, other: _TensorOrNumber, /) -> Tensor:
        """self * other with broadcasting and type promotion."""
    def __rmul__(self, other: _TensorOrNumber, /) -> Tensor:
        """other * self with broadcasting and type promotion."""
    def __truediv__(self, other: _TensorOrNumber, /) -> Tensor:
        """self / other (true division, floating result)."""
    def __rtruediv__(self, other: _TensorOrNumber, /) -> Tensor:
        """other / self (true division, floating result)."""
    def __pow__(self, other: _TensorOrNumber, /) -> Tensor:
        """self ** other elementwise."""
    def __rpow__(self, other: _TensorOrNumber, /) -> Tensor:
        """other ** self elementwise."""
    def __eq__(self, other: _TensorOrNumber, /) -> Tensor:  # type: ignore[override]
        """self == other elementwise (bool tensor)."""
    def __ne__(self, other: _TensorOrNumber, /) -> Tensor:  # type: ignore[override]
        """self != other elementwise (bool tensor)."""
    def __lt__(self, other: _TensorOrNumber, /) -> Tensor:
        """self < other elementwise (bool tensor)."""
    def __le__(self, other: _TensorOrNumber, /) -> Tensor:
        """self <= other elementwise (bool tensor)."""
    def __gt__(self, other: _TensorOrNumber, /) -> Tensor:
        """self > other elementwise (bool tensor)."""
    def __ge__(self, other: _TensorOrNumber, /) -> Tensor:
        """self >= other elementwise (bool tensor)."""
    def __floordiv__(self, other: _TensorOrNumber, /) -> Tensor:
        """self // other elementwise (floor_divide)."""
    def __rfloordiv__(self, other: _TensorOrNumber, /) -> Tensor:
        """other // self elementwise (floor_divide)."""
    def __mod__(self, other: _TensorOrNumber, /) -> Tensor:
        """self % other elementwise (remainder)."""
    def __rmod__(self, other: _TensorOrNumber, /) -> Tensor:
        """other % self elementwise (remainder)."""
    def __and__(self, other: _TensorOrNumber, /) -> Tensor:
        """self & other elementwise (bitwise_and)."""
    def __rand__(self, other: _TensorOrNumber, /) -> Tensor:
        """other & self elementwise (bitwise_and)."""
    def __or__(self, other: _TensorOrNumber, /) -> Tensor:
        """self | other elementwise (bitwise_or)."""
    def __ror__(self, other: _TensorOrNumber, /) -> Tensor:
        """other | self elementwise (bitwise_or)."""
    def __xor__(self, other: _TensorOrNumber, /) -> Tensor:
        """self ^ other elementwise (bitwise_xor)."""
    def __rxor__(self, other: _TensorOrNumber, /) -> Tensor:
        """other ^ self elementwise (bitwise_xor)."""
    def __lshift__(self, other: _TensorOrNumber, /) -> Tensor:
        """self << other elementwise (bitwise_left_shift)."""
    def __rlshift__(self, other: _TensorOrNumber, /) -> Tensor:
        """other << self elementwise (bitwise_left_shift)."""
    def __rshift__(self, other: _TensorOrNumber, /) -> Tensor:
        """self >> other elementwise (bitwise_right_shift)."""
    def __rrshift__(self, other: _TensorOrNumber, /) -> Tensor:
        """other >> self elementwise (bitwise_right_shift)."""
    def __iadd__(self, other: _TensorOrNumber, /) -> Tensor:
        """self += other in place (same object)."""
    def __isub__(self, other: _TensorOrNumber, /) -> Tensor:
        """self -= other in place (same object)."""
    def __imul__(self, other: _TensorOrNumber, /) -> Tensor:
        """self *= other in place (same object)."""
    def __itruediv__(self, other: _TensorOrNumber, /) -> Tensor:
        """self /= other in place (same object)."""
    def __ifloordiv__(self, other: _TensorOrNumber, /) -> Tensor:
        """self //= other in place (same object)."""
    def __imod__(self, other: _TensorOrNumber, /) -> Tensor:
        """self %= other in place (same object)."""
    def __ipow__(self, other: _TensorOrNumber, /) -> Tensor:
        """self **= other in place (same object)."""
    def __iand__(self, other: _TensorOrNumber, /) -> Tensor:
        """self &= other in place (same object)."""
    def __ior__(self, other: _TensorOrNumber, /) -> Tensor:
        """self |= other in place (same object)."""
    def __ixor__(self, other: _TensorOrNumber, /) -> Tensor:
        """self ^= other in place (same object)."""
    def __ilshift__(self, other: _TensorOrNumber, /) -> Tensor:
        """self <<= other in place (same object)."""
    def __irshift__(self, other: _TensorOrNumber, /) -> Tensor:
        """self >>= other in place (same object)."""

    # ---- elementwise (op_list.def)

    # torch's smaller attributes (pygrad/_compat.py).
    @property
    def is_cpu(self) -> _bool:
        """True unless the tensor is on a CUDA device."""
    @property
    def nbytes(self) -> _int:
        """numel() * itemsize: the bytes of its elements."""
    @property
    def itemsize(self) -> _int:
        """Size of one element in bytes."""
    @property
    def real(self) -> Tensor:
        """self itself: the real part of a real tensor."""
    @property
    def mH(self) -> Tensor:
        """Last two dims swapped (the conjugate transpose of real matrices)."""
    @property
    def H(self) -> Tensor:
        """The transpose of a 2-d tensor (the conjugate transpose of a real matrix)."""
    def nelement(self) -> _int:
        """Alias of numel."""
    def ndimension(self) -> _int:
        """Alias of dim."""
    def get_device(self) -> _int:
        """The CUDA device index, -1 on the CPU."""
    def storage_offset(self) -> _int:
        """Offset of the first element in the storage, in elements."""
    def is_complex(self) -> _bool:
        """False: pygrad has no complex dtypes."""
    def is_signed(self) -> _bool:
        """True unless the dtype is bool or uint8."""
    def is_same_size(self, other: Tensor) -> _bool:
        """True when both tensors have the same shape."""
    def is_nonzero(self) -> _bool:
        """The truth of a one-element tensor (an error for any other number of elements)."""
    @overload
    def type(self, dtype: None = None, non_blocking: _bool = False) -> str:
        """The type name, e.g. 'pygrad.FloatTensor'."""
    @overload
    def type(self, dtype: _dtype | str, non_blocking: _bool = False) -> Tensor:
        """self converted to dtype (a dtype or a name such as 'torch.DoubleTensor'); self when it already is."""
    def conj(self) -> Tensor:
        """self itself: the conjugate of a real tensor."""
    def resolve_conj(self) -> Tensor:
        """self itself: a real tensor has no conjugate bit to resolve."""
    def resolve_neg(self) -> Tensor:
        """self itself: pygrad tensors have no negative bit to resolve."""
    def is_conj(self) -> _bool:
        """False: pygrad tensors have no conjugate bit."""
    def is_neg(self) -> _bool:
        """False: pygrad tensors have no negative bit."""
    def isreal(self) -> Tensor:
        """A bool tensor of self's shape, all True."""
    def adjoint(self) -> Tensor:
        """A view with the last two dims swapped (the conjugate transpose of real matrices)."""
    def new_full(
        self,
        size: Sequence[_int],
        fill_value: _TensorOrNumber,
        *,
        dtype: _dtype | None = None,
        device: _device | str | None = None,
        requires_grad: _bool = False,
    ) -> Tensor:
        """A tensor of size filled with fill_value, with self's dtype unless dtype is given."""
    @overload
    def new_empty(
        self,
        size: Sequence[_int],
        /,
        *,
        dtype: _dtype | None = None,
        device: _device | str | None = None,
        requires_grad: _bool = False,
    ) -> Tensor:
        """An uninitialised tensor of the given size, with self's dtype unless dtype is given."""
    @overload
    def new_empty(
        self,
        *size: _int,
        dtype: _dtype | None = None,
        device: _device | str | None = None,
        requires_grad: _bool = False,
    ) -> Tensor:
        """An uninitialised tensor of the given size, with self's dtype unless dtype is given."""
    def new_empty_strided(
        self,
        size: Sequence[_int],
        stride: Sequence[_int],
        *,
        dtype: _dtype | None = None,
        device: _device | str | None = None,
        requires_grad: _bool = False,
    ) -> Tensor:
        """An uninitialised tensor with the given size and strides, with self's dtype unless dtype is given."""
    def apply_(self, callable: Callable[[Any], Any]) -> Tensor:
        """Replaces each element by callable(element) (CPU only, not with requires_grad); returns self."""
    def map_(self, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:
        """Replaces each element by callable(element, tensor's element broadcast to self); returns self."""
    def ravel(self) -> Tensor:
        """Flattened to 1-d: a view when contiguous, else a contiguous copy."""
    def argwhere(self) -> Tensor:
        """The (count, ndim) int64 indices of the non-zero elements."""
    def split_with_sizes(self, split_sizes: Sequence[_int], dim: _int = 0) -> tuple[Tensor, ...]:
        """Views of the given sizes along dim (they must add up to its size)."""
    def unsafe_split(self, split_size: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """split with an int size."""
    def unsafe_chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """chunk."""
    def index_copy(self, dim: _int, index: Tensor, source: Tensor) -> Tensor:
        """A copy with the slices at index along dim replaced by source's slices."""
    def put(self, index: Tensor, source: Tensor, accumulate: _bool = False) -> Tensor:
        """A copy (seen as 1-d) with source written, or added with accumulate, at index."""
    def put_(self, index: Tensor, source: Tensor, accumulate: _bool = False) -> Tensor:
        """put in place; returns self."""
    def fill_diagonal_(self, fill_value: _TensorOrNumber, wrap: _bool = False) -> Tensor:
        """Fills the main diagonal with fill_value in place (wrap: restart every width + 1 rows)."""
    def select_scatter(self, src: Tensor, dim: _int, index: _int) -> Tensor:
        """A copy with select(dim, index) replaced by src."""
    def slice_scatter(
        self,
        src: Tensor,
        dim: _int = 0,
        start: _int | None = None,
        end: _int | None = None,
        step: _int = 1,
    ) -> Tensor:
        """A copy with the slice start:end:step of dim replaced by src."""
    def diagonal_scatter(
        self, src: Tensor, offset: _int = 0, dim1: _int = 0, dim2: _int = 1
    ) -> Tensor:
        """A copy with diagonal(offset, dim1, dim2) replaced by src."""
    def as_strided_scatter(
        self,
        src: Tensor,
        size: Sequence[_int],
        stride: Sequence[_int],
        storage_offset: _int | None = None,
    ) -> Tensor:
        """A copy with the elements as_strided(size, stride, storage_offset) reads replaced by src."""
    def frexp(self) -> tuple[Tensor, Tensor]:
        """The (mantissa, exponent) named tuple: self = mantissa * 2 ** exponent, exponent int32."""
    def ldexp(self, other: Tensor) -> Tensor:
        """self * 2 ** other."""
    def ldexp_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place ldexp; returns self."""

    def __copy__(self) -> Tensor: ...
    def __deepcopy__(self, memo: dict[builtins.int, Any]) -> Tensor: ...
    # In-place forms (pygrad/_inplace.py) and pointwise composites (pygrad/_pointwise.py).
    def abs_(self) -> Tensor:
        """In-place abs; returns self."""
    def absolute(self) -> Tensor:
        """Alias of abs."""
    def absolute_(self) -> Tensor:
        """In-place absolute; returns self."""
    def acos_(self) -> Tensor:
        """In-place acos; returns self."""
    def acosh_(self) -> Tensor:
        """In-place acosh; returns self."""
    def addbmm_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place addbmm; returns self."""
    def addcdiv_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place addcdiv; returns self."""
    def addcmul_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place addcmul; returns self."""
    def addmm_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place addmm; returns self."""
    def addmv_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place addmv; returns self."""
    def addr_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place addr; returns self."""
    def arccos_(self) -> Tensor:
        """In-place arccos; returns self."""
    def arccosh_(self) -> Tensor:
        """In-place arccosh; returns self."""
    def arcsin_(self) -> Tensor:
        """In-place arcsin; returns self."""
    def arcsinh_(self) -> Tensor:
        """In-place arcsinh; returns self."""
    def arctan2_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place arctan2; returns self."""
    def arctan_(self) -> Tensor:
        """In-place arctan; returns self."""
    def arctanh_(self) -> Tensor:
        """In-place arctanh; returns self."""
    def asin_(self) -> Tensor:
        """In-place asin; returns self."""
    def asinh_(self) -> Tensor:
        """In-place asinh; returns self."""
    def atan2_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place atan2; returns self."""
    def atan_(self) -> Tensor:
        """In-place atan; returns self."""
    def atanh_(self) -> Tensor:
        """In-place atanh; returns self."""
    def baddbmm_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place baddbmm; returns self."""
    def bitwise_not_(self) -> Tensor:
        """In-place bitwise_not; returns self."""
    def ceil_(self) -> Tensor:
        """In-place ceil; returns self."""
    def clamp_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place clamp; returns self."""
    def clamp_max_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place clamp_max; returns self."""
    def clamp_min_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place clamp_min; returns self."""
    def clip_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place clip; returns self."""
    def copysign_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place copysign; returns self."""
    def cos_(self) -> Tensor:
        """In-place cos; returns self."""
    def cosh_(self) -> Tensor:
        """In-place cosh; returns self."""
    def cumprod_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place cumprod; returns self."""
    def cumsum_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place cumsum; returns self."""
    def deg2rad(self) -> Tensor:
        """Degrees to radians (integers give float32)."""
    def deg2rad_(self) -> Tensor:
        """In-place deg2rad; returns self."""
    def _assume_geometry(self, view: Tensor) -> None:
        """internal: self takes view's shape, strides, offset and history (squeeze_, t_, ...)"""
    def detach_(self) -> Tensor:
        """Detaches self from the graph in place (no grad_fn, requires_grad False); returns self."""
    def digamma_(self) -> Tensor:
        """In-place digamma; returns self."""
    def divide_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place divide; returns self."""
    def eq_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place eq; returns self."""
    def erf_(self) -> Tensor:
        """In-place erf; returns self."""
    def erfc_(self) -> Tensor:
        """In-place erfc; returns self."""
    def erfinv_(self) -> Tensor:
        """In-place erfinv; returns self."""
    def exp2_(self) -> Tensor:
        """In-place exp2; returns self."""
    def exp_(self) -> Tensor:
        """In-place exp; returns self."""
    def expm1_(self) -> Tensor:
        """In-place expm1; returns self."""
    def fix_(self) -> Tensor:
        """In-place fix; returns self."""
    def float_power_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place float_power; returns self."""
    def floor_(self) -> Tensor:
        """In-place floor; returns self."""
    def frac_(self) -> Tensor:
        """In-place frac; returns self."""
    def gcd(self, other: Tensor) -> Tensor:
        """Greatest common divisor of integers."""
    def gcd_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place gcd; returns self."""
    def ge_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place ge; returns self."""
    def greater_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place greater; returns self."""
    def greater_equal_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place greater_equal; returns self."""
    def gt_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place gt; returns self."""
    def heaviside(self, values: Tensor) -> Tensor:
        """0 where self < 0, 1 where self > 0, values where self == 0."""
    def heaviside_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place heaviside; returns self."""
    def hypot_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place hypot; returns self."""
    def index_add_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place index_add; returns self."""
    def lcm(self, other: Tensor) -> Tensor:
        """Least common multiple of integers."""
    def lcm_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place lcm; returns self."""
    def le_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place le; returns self."""
    def lerp_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place lerp; returns self."""
    def less_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place less; returns self."""
    def less_equal_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place less_equal; returns self."""
    def lgamma_(self) -> Tensor:
        """In-place lgamma; returns self."""
    def log10_(self) -> Tensor:
        """In-place log10; returns self."""
    def log1p_(self) -> Tensor:
        """In-place log1p; returns self."""
    def log2_(self) -> Tensor:
        """In-place log2; returns self."""
    def log_(self) -> Tensor:
        """In-place log; returns self."""
    def logical_and_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place logical_and; returns self."""
    def logical_not_(self) -> Tensor:
        """In-place logical_not; returns self."""
    def logical_or_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place logical_or; returns self."""
    def logical_xor_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place logical_xor; returns self."""
    def logit_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place logit; returns self."""
    def lt_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place lt; returns self."""
    def masked_fill_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place masked_fill; returns self."""
    def multiply_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place multiply; returns self."""
    def nan_to_num_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place nan_to_num; returns self."""
    def ne_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place ne; returns self."""
    def neg_(self) -> Tensor:
        """In-place neg; returns self."""
    def negative(self) -> Tensor:
        """Alias of neg."""
    def negative_(self) -> Tensor:
        """In-place negative; returns self."""
    def nextafter(self, other: Tensor) -> Tensor:
        """The next representable float after self towards other."""
    def nextafter_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place nextafter; returns self."""
    def not_equal_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place not_equal; returns self."""
    def polygamma_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place polygamma; returns self."""
    def rad2deg(self) -> Tensor:
        """Radians to degrees (integers give float32)."""
    def rad2deg_(self) -> Tensor:
        """In-place rad2deg; returns self."""
    def reciprocal_(self) -> Tensor:
        """In-place reciprocal; returns self."""
    def relu_(self) -> Tensor:
        """In-place relu; returns self."""
    def round_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place round; returns self."""
    def rsqrt_(self) -> Tensor:
        """In-place rsqrt; returns self."""
    def scatter_add_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place scatter_add; returns self."""
    def sgn_(self) -> Tensor:
        """In-place sgn; returns self."""
    def sigmoid_(self) -> Tensor:
        """In-place sigmoid; returns self."""
    def sign_(self) -> Tensor:
        """In-place sign; returns self."""
    def sin_(self) -> Tensor:
        """In-place sin; returns self."""
    def sinc(self) -> Tensor:
        """sin(pi x) / (pi x), 1 at x == 0."""
    def sinc_(self) -> Tensor:
        """In-place sinc; returns self."""
    def sinh_(self) -> Tensor:
        """In-place sinh; returns self."""
    def sqrt_(self) -> Tensor:
        """In-place sqrt; returns self."""
    def square_(self) -> Tensor:
        """In-place square; returns self."""
    def squeeze_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place squeeze; returns self."""
    def subtract_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place subtract; returns self."""
    def swapaxes_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place swapaxes; returns self."""
    def swapdims_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place swapdims; returns self."""
    def t_(self) -> Tensor:
        """In-place t; returns self."""
    def tan_(self) -> Tensor:
        """In-place tan; returns self."""
    def tanh_(self) -> Tensor:
        """In-place tanh; returns self."""
    def transpose_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place transpose; returns self."""
    def true_divide_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place true_divide; returns self."""
    def trunc_(self) -> Tensor:
        """In-place trunc; returns self."""
    def unsqueeze_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place unsqueeze; returns self."""
    def xlogy_(self, *args: Any, **kwargs: Any) -> Tensor:
        """In-place xlogy; returns self."""
    # BEGIN GENERATED: tensor methods
    def neg(self) -> Tensor:
        """-input elementwise."""
    def abs(self) -> Tensor:
        """Absolute value elementwise."""
    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element."""
    def exp(self) -> Tensor:
        """e ** x elementwise."""
    def log(self) -> Tensor:
        """Natural logarithm elementwise."""
    def log1p(self) -> Tensor:
        """log(1 + x) elementwise, accurate for small x."""
    def sqrt(self) -> Tensor:
        """Square root elementwise."""
    def rsqrt(self) -> Tensor:
        """1 / sqrt(x) elementwise."""
    def sin(self) -> Tensor:
        """Sine elementwise."""
    def cos(self) -> Tensor:
        """Cosine elementwise."""
    def erf(self) -> Tensor:
        """Gauss error function elementwise."""
    def sigmoid(self) -> Tensor:
        """1 / (1 + exp(-x)) elementwise."""
    def tanh(self) -> Tensor:
        """Hyperbolic tangent elementwise."""
    def relu(self) -> Tensor:
        """max(x, 0) elementwise."""
    def floor(self) -> Tensor:
        """The largest integer not greater than each element."""
    def ceil(self) -> Tensor:
        """The smallest integer not less than each element."""
    def trunc(self) -> Tensor:
        """Each element rounded toward zero."""
    def frac(self) -> Tensor:
        """The fractional part of each element, x - trunc(x)."""
    def reciprocal(self) -> Tensor:
        """1 / x elementwise."""
    def tan(self) -> Tensor:
        """Tangent elementwise."""
    def asin(self) -> Tensor:
        """Arcsine elementwise."""
    def acos(self) -> Tensor:
        """Arccosine elementwise."""
    def atan(self) -> Tensor:
        """Arctangent elementwise."""
    def sinh(self) -> Tensor:
        """Hyperbolic sine elementwise."""
    def cosh(self) -> Tensor:
        """Hyperbolic cosine elementwise."""
    def asinh(self) -> Tensor:
        """Inverse hyperbolic sine elementwise."""
    def acosh(self) -> Tensor:
        """Inverse hyperbolic cosine elementwise."""
    def atanh(self) -> Tensor:
        """Inverse hyperbolic tangent elementwise."""
    def exp2(self) -> Tensor:
        """2 ** x elementwise."""
    def expm1(self) -> Tensor:
        """exp(x) - 1 elementwise, accurate for small x."""
    def log2(self) -> Tensor:
        """Base-2 logarithm elementwise."""
    def log10(self) -> Tensor:
        """Base-10 logarithm elementwise."""
    def erfc(self) -> Tensor:
        """Complementary error function 1 - erf(x) elementwise."""
    def erfinv(self) -> Tensor:
        """Inverse error function elementwise."""
    def lgamma(self) -> Tensor:
        """log|Gamma(x)| elementwise."""
    def digamma(self) -> Tensor:
        """The digamma function d/dx lgamma(x) elementwise."""
    def isnan(self) -> Tensor:
        """Whether each element is NaN (bool tensor)."""
    def isinf(self) -> Tensor:
        """Whether each element is +inf or -inf (bool tensor)."""
    def isfinite(self) -> Tensor:
        """Whether each element is finite (bool tensor)."""
    def isposinf(self) -> Tensor:
        """Whether each element is +inf (bool tensor)."""
    def isneginf(self) -> Tensor:
        """Whether each element is -inf (bool tensor)."""
    def signbit(self) -> Tensor:
        """Whether each element's sign bit is set, -0.0 included (bool tensor)."""
    def logical_not(self) -> Tensor:
        """Logical not of the truth values elementwise (bool tensor)."""
    def bitwise_not(self) -> Tensor:
        """Bitwise not of integers (logical not of bools) elementwise."""
    def add(self, other: _TensorOrNumber, /) -> Tensor:
        """input + other with broadcasting and type promotion."""
    def sub(self, other: _TensorOrNumber, /) -> Tensor:
        """input - other with broadcasting and type promotion."""
    def mul(self, other: _TensorOrNumber, /) -> Tensor:
        """input * other with broadcasting and type promotion."""
    def div(self, other: _TensorOrNumber, /) -> Tensor:
        """input / other (true division, floating result)."""
    def pow(self, other: _TensorOrNumber, /) -> Tensor:
        """input ** other elementwise."""
    def maximum(self, other: _TensorOrNumber, /) -> Tensor:
        """Elementwise maximum of input and other."""
    def minimum(self, other: _TensorOrNumber, /) -> Tensor:
        """Elementwise minimum of input and other."""
    def eq(self, other: _TensorOrNumber, /) -> Tensor:
        """input == other elementwise (bool tensor)."""
    def ne(self, other: _TensorOrNumber, /) -> Tensor:
        """input != other elementwise (bool tensor)."""
    def lt(self, other: _TensorOrNumber, /) -> Tensor:
        """input < other elementwise (bool tensor)."""
    def le(self, other: _TensorOrNumber, /) -> Tensor:
        """input <= other elementwise (bool tensor)."""
    def gt(self, other: _TensorOrNumber, /) -> Tensor:
        """input > other elementwise (bool tensor)."""
    def ge(self, other: _TensorOrNumber, /) -> Tensor:
        """input >= other elementwise (bool tensor)."""
    def logical_and(self, other: _TensorOrNumber, /) -> Tensor:
        """Logical and of the truth values elementwise (bool tensor)."""
    def logical_or(self, other: _TensorOrNumber, /) -> Tensor:
        """Logical or of the truth values elementwise (bool tensor)."""
    def logical_xor(self, other: _TensorOrNumber, /) -> Tensor:
        """Logical xor of the truth values elementwise (bool tensor)."""
    def floor_divide(self, other: _TensorOrNumber, /) -> Tensor:
        """floor(input / other), the // operator (integers stay integers)."""
    def remainder(self, other: _TensorOrNumber, /) -> Tensor:
        """input - floor(input / other) * other: the sign of the divisor, the % operator."""
    def fmod(self, other: _TensorOrNumber, /) -> Tensor:
        """C's fmod: the remainder of truncated division, the sign of the dividend."""
    def atan2(self, other: _TensorOrNumber, /) -> Tensor:
        """The angle of the point (other, input), in (-pi, pi]."""
    def hypot(self, other: _TensorOrNumber, /) -> Tensor:
        """sqrt(input ** 2 + other ** 2) elementwise, without overflow."""
    def copysign(self, other: _TensorOrNumber, /) -> Tensor:
        """|input| with the sign of other elementwise."""
    def logaddexp(self, other: _TensorOrNumber, /) -> Tensor:
        """log(exp(input) + exp(other)) elementwise, without overflow."""
    def logaddexp2(self, other: _TensorOrNumber, /) -> Tensor:
        """log2(2 ** input + 2 ** other) elementwise, without overflow."""
    def xlogy(self, other: _TensorOrNumber, /) -> Tensor:
        """input * log(other), 0 where input is 0 (unless other is NaN)."""
    def fmax(self, other: _TensorOrNumber, /) -> Tensor:
        """Elementwise maximum ignoring NaN (NaN only where both are NaN)."""
    def fmin(self, other: _TensorOrNumber, /) -> Tensor:
        """Elementwise minimum ignoring NaN (NaN only where both are NaN)."""
    def bitwise_and(self, other: _TensorOrNumber, /) -> Tensor:
        """Bitwise and of integers or bools, the & operator."""
    def bitwise_or(self, other: _TensorOrNumber, /) -> Tensor:
        """Bitwise or of integers or bools, the | operator."""
    def bitwise_xor(self, other: _TensorOrNumber, /) -> Tensor:
        """Bitwise xor of integers or bools, the ^ operator."""
    def bitwise_left_shift(self, other: _TensorOrNumber, /) -> Tensor:
        """input << other for integers."""
    def bitwise_right_shift(self, other: _TensorOrNumber, /) -> Tensor:
        """input >> other for integers (arithmetic shift)."""
    # END GENERATED
    def square(self) -> Tensor:
        """x * x elementwise."""
    def clamp(self, min: _float | None = None, max: _float | None = None) -> Tensor:
        """Each element limited to [min, max] (either bound may be None; a float bound makes integer input float32)."""
    def clip(self, min: _float | None = None, max: _float | None = None) -> Tensor:
        """Alias of clamp."""
    def where(self, condition: Tensor, other: _TensorOrNumber) -> Tensor:
        """Elements of self where condition is True, else of other."""
    def masked_fill(self, mask: Tensor, value: _TensorOrNumber) -> Tensor:
        """A copy with elements where mask is True replaced by value."""
    def round(self, *, decimals: _int = 0) -> Tensor:
        """Rounded half to even, to `decimals` decimal places."""
    def logit(self, eps: _float | None = None) -> Tensor:
        """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""
    def nan_to_num(
        self, nan: _float = 0.0, posinf: _float | None = None, neginf: _float | None = None
    ) -> Tensor:
        """NaN, +inf and -inf replaced (infinities by the dtype's extreme finite values by default)."""
    def polygamma(self, n: _int) -> Tensor:
        """The n-th derivative of the digamma function."""
    def divide(self, other: _TensorOrNumber, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; rounding_mode 'trunc' or 'floor' rounds the quotient (integers stay integers)."""
    def true_divide(self, other: _TensorOrNumber) -> Tensor:
        """self / other (true division, floating result)."""
    def multiply(self, other: _TensorOrNumber) -> Tensor:
        """Alias of mul."""
    def subtract(self, other: _TensorOrNumber, *, alpha: _TensorOrNumber | None = None) -> Tensor:
        """self - alpha * other."""
    def float_power(self, exponent: _TensorOrNumber) -> Tensor:
        """self ** exponent computed in float64."""
    def arctan2(self, other: _TensorOrNumber) -> Tensor:
        """Alias of atan2."""
    def lerp(self, end: Tensor, weight: _TensorOrNumber) -> Tensor:
        """self + weight * (end - self)."""
    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: _TensorOrNumber = 1) -> Tensor:
        """self + value * tensor1 * tensor2."""
    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: _TensorOrNumber = 1) -> Tensor:
        """self + value * tensor1 / tensor2."""
    def isclose(
        self, other: Tensor, rtol: _float = 1e-05, atol: _float = 1e-08, equal_nan: _bool = False
    ) -> Tensor:
        """|self - other| <= atol + rtol * |other| elementwise (bool tensor)."""
    def allclose(
        self, other: Tensor, rtol: _float = 1e-05, atol: _float = 1e-08, equal_nan: _bool = False
    ) -> _bool:
        """Whether isclose holds everywhere."""
    def equal(self, other: Tensor) -> _bool:
        """Whether both have the same shape and elements."""
    def clamp_min(self, min: _TensorOrNumber) -> Tensor:
        """clamp with only a lower bound."""
    def clamp_max(self, max: _TensorOrNumber) -> Tensor:
        """clamp with only an upper bound."""
    def greater(self, other: _TensorOrNumber) -> Tensor:
        """Alias of gt."""
    def greater_equal(self, other: _TensorOrNumber) -> Tensor:
        """Alias of ge."""
    def less(self, other: _TensorOrNumber) -> Tensor:
        """Alias of lt."""
    def less_equal(self, other: _TensorOrNumber) -> Tensor:
        """Alias of le."""
    def not_equal(self, other: _TensorOrNumber) -> Tensor:
        """Alias of ne."""
    def arcsin(self) -> Tensor:
        """Alias of asin."""
    def arccos(self) -> Tensor:
        """Alias of acos."""
    def arctan(self) -> Tensor:
        """Alias of atan."""
    def arcsinh(self) -> Tensor:
        """Alias of asinh."""
    def arccosh(self) -> Tensor:
        """Alias of acosh."""
    def arctanh(self) -> Tensor:
        """Alias of atanh."""
    def fix(self) -> Tensor:
        """Alias of trunc."""
    def sgn(self) -> Tensor:
        """Alias of sign."""
    def positive(self) -> Tensor:
        """Self, input itself (not for bool)."""
    def floor_divide_(self, other: _TensorOrNumber) -> Tensor:
        """floor_divide in place (same object)."""
    def remainder_(self, other: _TensorOrNumber) -> Tensor:
        """remainder in place (same object)."""
    def fmod_(self, other: _TensorOrNumber) -> Tensor:
        """fmod in place (same object)."""
    def bitwise_and_(self, other: _TensorOrNumber) -> Tensor:
        """bitwise_and in place (same object)."""
    def bitwise_or_(self, other: _TensorOrNumber) -> Tensor:
        """bitwise_or in place (same object)."""
    def bitwise_xor_(self, other: _TensorOrNumber) -> Tensor:
        """bitwise_xor in place (same object)."""
    def bitwise_left_shift_(self, other: _TensorOrNumber) -> Tensor:
        """bitwise_left_shift in place (same object)."""
    def bitwise_right_shift_(self, other: _TensorOrNumber) -> Tensor:
        """bitwise_right_shift in place (same object)."""
    def pow_(self, exponent: _TensorOrNumber) -> Tensor:
        """pow in place (same object)."""

    # ---- reductions
    def sum(
        self, dim: _Dims | None = None, keepdim: _bool = False, *, dtype: _dtype | None = None
    ) -> Tensor:
        """Sum over all elements or the given dimensions (bool/int64 sum to int64)."""
    def mean(self, dim: _Dims | None = None, keepdim: _bool = False) -> Tensor:
        """Mean over all elements or the given dimensions."""
    def amax(self, dim: _Dims | None = None, keepdim: _bool = False) -> Tensor:
        """Maximum over all elements or the given dimensions (gradient split evenly among ties)."""
    def amin(self, dim: _Dims | None = None, keepdim: _bool = False) -> Tensor:
        """Minimum over all elements or the given dimensions (gradient split evenly among ties)."""
    @overload
    def max(self, dim: None = None, keepdim: _bool = False) -> Tensor:
        """Maximum of all elements; (values, indices) along dim; or elementwise maximum with a tensor."""
    @overload
    def max(self, dim: _int, keepdim: _bool = False) -> _max_result:
        """Maximum of all elements; (values, indices) along dim; or elementwise maximum with a tensor."""
    @overload
    def max(self, dim: Tensor) -> Tensor:
        """Maximum of all elements; (values, indices) along dim; or elementwise maximum with a tensor."""
    @overload
    def min(self, dim: None = None, keepdim: _bool = False) -> Tensor:
        """Minimum of all elements; (values, indices) along dim; or elementwise minimum with a tensor."""
    @overload
    def min(self, dim: _int, keepdim: _bool = False) -> _min_result:
        """Minimum of all elements; (values, indices) along dim; or elementwise minimum with a tensor."""
    @overload
    def min(self, dim: Tensor) -> Tensor:
        """Minimum of all elements; (values, indices) along dim; or elementwise minimum with a tensor."""
    def argmax(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """Index of the maximum (of the flattened tensor when dim is None)."""
    def argmin(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """Index of the minimum (of the flattened tensor when dim is None)."""
    def all(
        self, dim: _Dims | None = None, keepdim: _bool = False, *, axis: _Dims | None = None
    ) -> Tensor:
        """True when every element (along dim) is nonzero."""
    def any(
        self, dim: _Dims | None = None, keepdim: _bool = False, *, axis: _Dims | None = None
    ) -> Tensor:
        """True when some element (along dim) is nonzero."""
    def var(
        self,
        dim: _Dims | None = None,
        unbiased: _bool | None = None,
        keepdim: _bool = False,
        *,
        correction: _float | None = None,
    ) -> Tensor:
        """Variance with Bessel's correction by default (correction=1)."""
    def std(
        self,
        dim: _Dims | None = None,
        unbiased: _bool | None = None,
        keepdim: _bool = False,
        *,
        correction: _float | None = None,
    ) -> Tensor:
        """Standard deviation with Bessel's correction by default (correction=1)."""
    def logsumexp(self, dim: _Dims, keepdim: _bool = False) -> Tensor:
        """log(sum(exp(x))) over dim, computed stably."""

    # ---- reductions, scans and ordering (pygrad/_reduce.py, pygrad/_ordering.py)
    def as_strided(
        self, size: Sequence[_int], stride: Sequence[_int], storage_offset: _int | None = None
    ) -> Tensor:
        """A view of the tensor's memory with the given sizes and strides (storage_offset: x's by default)."""
    # ---- linear algebra and statistics (pygrad/_linalg_ops.py, pygrad/_ordering.py)
    def mm(self, mat2: Tensor) -> Tensor:
        """Matrix product of two 2-D tensors of the same dtype."""
    def matrix_power(self, n: _int) -> Tensor:
        """self multiplied by itself n times (n < 0: powers of the inverse)."""
    def matrix_exp(self) -> Tensor:
        """exp of each square matrix (scaling and squaring of a Pade approximant)."""
    def logdet(self) -> Tensor:
        """log(det) of each square matrix (NaN for a negative determinant, -inf for zero)."""
    def pinverse(self, rcond: _float = 1e-15) -> Tensor:
        """Pseudo-inverse; singular values at or below rcond * the largest count as zero."""
    def cholesky_solve(self, input2: Tensor, upper: _bool = False) -> Tensor:
        """X with A @ X = self, A given by its Cholesky factor input2."""
    def cholesky_inverse(self, upper: _bool = False) -> Tensor:
        """Inverse of A from its Cholesky factor self."""
    def dist(self, other: Tensor, p: _float = 2) -> Tensor:
        """The p-norm of self - other over all elements."""
    def cov(
        self,
        *,
        correction: _int = 1,
        fweights: Tensor | None = None,
        aweights: Tensor | None = None,
    ) -> Tensor:
        """Covariance matrix of the variables in self's rows, observations in its columns."""
    def corrcoef(self) -> Tensor:
        """Pearson correlation coefficients of the variables in self's rows."""
    def quantile(
        self,
        q: _float | Tensor,
        dim: _int | None = None,
        keepdim: _bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        """The q-th quantiles along dim (all elements when None); NaN propagates."""
    def nanquantile(
        self,
        q: _float | Tensor,
        dim: _int | None = None,
        keepdim: _bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        """quantile ignoring NaN."""
    def histogram(
        self,
        bins: _int | Tensor,
        *,
        range: tuple[_float, _float] | None = None,
        weight: Tensor | None = None,
        density: _bool = False,
    ) -> Any:
        """(hist, bin_edges) of self's values in bins (not differentiable)."""
    # ---- reductions, scans and ordering, continued
    def sum_to_size(self, *args: Any, **kwargs: Any) -> Tensor:
        """self summed down to a size expandable to self's shape."""
    def cumsum(
        self, dim: _int | None = None, *, dtype: _dtype | None = None, axis: _int | None = None
    ) -> Tensor:
        """Cumulative sum along dim (bool/integers accumulate in int64)."""
    def cumprod(
        self, dim: _int | None = None, *, dtype: _dtype | None = None, axis: _int | None = None
    ) -> Tensor:
        """Cumulative product along dim (bool/integers accumulate in int64); gradient exact with zeros."""
    def logcumsumexp(self, dim: _int | None = None, *, axis: _int | None = None) -> Tensor:
        """log(cumsum(exp(x))) along dim, computed stably."""
    def cummax(self, dim: _int | None = None, *, axis: _int | None = None) -> _cummax_result:
        """(values, indices) of the running maximum along dim (NaN propagates; ties: the latest index)."""
    def cummin(self, dim: _int | None = None, *, axis: _int | None = None) -> _cummin_result:
        """(values, indices) of the running minimum along dim (NaN propagates; ties: the latest index)."""
    def prod(
        self,
        dim: _int | None = None,
        keepdim: _bool = False,
        *,
        dtype: _dtype | None = None,
        axis: _int | None = None,
    ) -> Tensor:
        """Product of all elements, or along dim (bool/integers multiply in int64); gradient exact with zeros."""
    def count_nonzero(self, dim: _Dims | None = None, *, axis: _Dims | None = None) -> Tensor:
        """Number of nonzero elements (along dim), as int64."""
    def nansum(
        self,
        dim: _Dims | None = None,
        keepdim: _bool = False,
        *,
        dtype: _dtype | None = None,
        axis: _Dims | None = None,
    ) -> Tensor:
        """Sum treating NaN as zero."""
    def nanmean(
        self,
        dim: _Dims | None = None,
        keepdim: _bool = False,
        *,
        dtype: _dtype | None = None,
        axis: _Dims | None = None,
    ) -> Tensor:
        """Mean of the non-NaN elements."""
    def norm(
        self,
        p: _float | str | None = "fro",
        dim: _Dims | None = None,
        keepdim: _bool = False,
        dtype: _dtype | None = None,
        *,
        axis: _Dims | None = None,
    ) -> Tensor:
        """torch.norm: the vector p-norm over dim (all elements by default; p a number, inf, -inf or 'fro'),
        or 'nuc': the nuclear norm of the matrices over dim."""
    def aminmax(self, *, dim: _int | None = None, keepdim: _bool = False) -> _aminmax_result:
        """(min, max) over all elements or along dim."""
    def sort(
        self,
        dim: _int = -1,
        descending: _bool = False,
        *,
        stable: _bool = False,
        axis: _int | None = None,
    ) -> _sort_result:
        """(values, indices) sorted along dim (always stable; NaN sorts as the largest)."""
    def argsort(
        self,
        dim: _int = -1,
        descending: _bool = False,
        *,
        stable: _bool = False,
        axis: _int | None = None,
    ) -> Tensor:
        """The indices that sort input along dim (always stable)."""
    def msort(self) -> Tensor:
        """input sorted along dim 0."""
    def topk(
        self,
        k: _int,
        dim: _int = -1,
        largest: _bool = True,
        sorted: _bool = True,
        *,
        axis: _int | None = None,
    ) -> _topk_result:
        """(values, indices) of the k largest (largest=False: smallest) along dim, in sorted order."""
    def kthvalue(
        self, k: _int, dim: _int = -1, keepdim: _bool = False, *, axis: _int | None = None
    ) -> _kthvalue_result:
        """(values, indices) of the k-th smallest element along dim (k counts from 1)."""
    @overload
    def median(self) -> Tensor:
        """The lower median of all elements, or (values, indices) along dim; NaN propagates."""
    @overload
    def median(
        self, dim: _int, keepdim: _bool = False, *, axis: _int | None = None
    ) -> _median_result:
        """The lower median of all elements, or (values, indices) along dim; NaN propagates."""
    @overload
    def nanmedian(self) -> Tensor:
        """median ignoring NaN (NaN only where every element is NaN)."""
    @overload
    def nanmedian(
        self, dim: _int, keepdim: _bool = False, *, axis: _int | None = None
    ) -> _nanmedian_result:
        """median ignoring NaN (NaN only where every element is NaN)."""
    def mode(
        self, dim: _int = -1, keepdim: _bool = False, *, axis: _int | None = None
    ) -> _mode_result:
        """(values, indices) of the most frequent value along dim (ties: the smallest value; its last index)."""
    def diff(
        self,
        n: _int = 1,
        dim: _int = -1,
        prepend: Tensor | None = None,
        append: Tensor | None = None,
        *,
        axis: _int | None = None,
    ) -> Tensor:
        """The n-th forward difference along dim, after concatenating prepend and append."""
    def unique(
        self,
        sorted: _bool = True,
        return_inverse: _bool = False,
        return_counts: _bool = False,
        dim: _int | None = None,
    ) -> Any:
        """The distinct values (sorted), with the inverse map and counts when asked; dim: distinct slices."""
    def unique_consecutive(
        self, return_inverse: _bool = False, return_counts: _bool = False, dim: _int | None = None
    ) -> Any:
        """The values with consecutive repeats collapsed, with the inverse map and counts when asked."""
    def histc(self, bins: _int = 100, min: _float = 0, max: _float = 0) -> Tensor:
        """Histogram of bins equal-width bins over [min, max] (the data's range when min == max)."""
    def bincount(self, weights: Tensor | None = None, minlength: _int = 0) -> Tensor:
        """Count of each non-negative integer in the 1-d input (summing weights when given)."""
    def softmax(self, dim: _int) -> Tensor:
        """exp(x) / sum(exp(x)) along dim."""
    def log_softmax(self, dim: _int) -> Tensor:
        """log(softmax(x)) along dim, computed stably."""

    # ---- linear algebra and indexing
    def matmul(self, other: Tensor, /) -> Tensor:
        """Matrix product with NumPy broadcasting rules (1-d, 2-d and batched)."""
    def gather(self, dim: _int, index: Tensor) -> Tensor:
        """Values along dim picked by the int64 index tensor: out[i][j] = self[index[i][j]][j] for dim=0."""
    def scatter_add(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with src added at the positions index names along dim (out-of-place)."""
    def index_select(self, dim: _int, index: Tensor) -> Tensor:
        """The entries of dimension dim listed in the 1-d int64 index tensor."""
    def index_add(self, dim: _int, index: Tensor, source: Tensor, *, alpha: _float = 1.0) -> Tensor:
        """A copy with the slices of source (times alpha) added at the indices of dim (out-of-place)."""
    def index_copy_(self, dim: _int, index: Tensor, source: Tensor) -> Tensor:
        """Writes the slices of source at the indices of dim, in place (not recorded for autograd)."""
    @overload
    def nonzero(self, *, as_tuple: Literal[True]) -> tuple[Tensor, ...]:
        """The [count, ndim] int64 positions of the non-zero elements, row-major; as_tuple: one tensor per dim."""
    @overload
    def nonzero(self, *, as_tuple: Literal[False] = False) -> Tensor: ...

# ---------------------------------------------------------------------------------------------------------------
# elementwise functions (op_list.def)

# BEGIN GENERATED: functions
def neg(input: Tensor, /) -> Tensor:
    """-input elementwise."""

def abs(input: Tensor, /) -> Tensor:
    """Absolute value elementwise."""

def sign(input: Tensor, /) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""

def exp(input: Tensor, /) -> Tensor:
    """e ** x elementwise."""

def log(input: Tensor, /) -> Tensor:
    """Natural logarithm elementwise."""

def log1p(input: Tensor, /) -> Tensor:
    """log(1 + x) elementwise, accurate for small x."""

def sqrt(input: Tensor, /) -> Tensor:
    """Square root elementwise."""

def rsqrt(input: Tensor, /) -> Tensor:
    """1 / sqrt(x) elementwise."""

def sin(input: Tensor, /) -> Tensor:
    """Sine elementwise."""

def cos(input: Tensor, /) -> Tensor:
    """Cosine elementwise."""

def erf(input: Tensor, /) -> Tensor:
    """Gauss error function elementwise."""

def sigmoid(input: Tensor, /) -> Tensor:
    """1 / (1 + exp(-x)) elementwise."""

def tanh(input: Tensor, /) -> Tensor:
    """Hyperbolic tangent elementwise."""

def relu(input: Tensor, /) -> Tensor:
    """max(x, 0) elementwise."""

def floor(input: Tensor, /) -> Tensor:
    """The largest integer not greater than each element."""

def ceil(input: Tensor, /) -> Tensor:
    """The smallest integer not less than each element."""

def trunc(input: Tensor, /) -> Tensor:
    """Each element rounded toward zero."""

def frac(input: Tensor, /) -> Tensor:
    """The fractional part of each element, x - trunc(x)."""

def reciprocal(input: Tensor, /) -> Tensor:
    """1 / x elementwise."""

def tan(input: Tensor, /) -> Tensor:
    """Tangent elementwise."""

def asin(input: Tensor, /) -> Tensor:
    """Arcsine elementwise."""

def acos(input: Tensor, /) -> Tensor:
    """Arccosine elementwise."""

def atan(input: Tensor, /) -> Tensor:
    """Arctangent elementwise."""

def sinh(input: Tensor, /) -> Tensor:
    """Hyperbolic sine elementwise."""

def cosh(input: Tensor, /) -> Tensor:
    """Hyperbolic cosine elementwise."""

def asinh(input: Tensor, /) -> Tensor:
    """Inverse hyperbolic sine elementwise."""

def acosh(input: Tensor, /) -> Tensor:
    """Inverse hyperbolic cosine elementwise."""

def atanh(input: Tensor, /) -> Tensor:
    """Inverse hyperbolic tangent elementwise."""

def exp2(input: Tensor, /) -> Tensor:
    """2 ** x elementwise."""

def expm1(input: Tensor, /) -> Tensor:
    """exp(x) - 1 elementwise, accurate for small x."""

def log2(input: Tensor, /) -> Tensor:
    """Base-2 logarithm elementwise."""

def log10(input: Tensor, /) -> Tensor:
    """Base-10 logarithm elementwise."""

def erfc(input: Tensor, /) -> Tensor:
    """Complementary error function 1 - erf(x) elementwise."""

def erfinv(input: Tensor, /) -> Tensor:
    """Inverse error function elementwise."""

def lgamma(input: Tensor, /) -> Tensor:
    """log|Gamma(x)| elementwise."""

def digamma(input: Tensor, /) -> Tensor:
    """The digamma function d/dx lgamma(x) elementwise."""

def isnan(input: Tensor, /) -> Tensor:
    """Whether each element is NaN (bool tensor)."""

def isinf(input: Tensor, /) -> Tensor:
    """Whether each element is +inf or -inf (bool tensor)."""

def isfinite(input: Tensor, /) -> Tensor:
    """Whether each element is finite (bool tensor)."""

def isposinf(input: Tensor, /) -> Tensor:
    """Whether each element is +inf (bool tensor)."""

def isneginf(input: Tensor, /) -> Tensor:
    """Whether each element is -inf (bool tensor)."""

def signbit(input: Tensor, /) -> Tensor:
    """Whether each element's sign bit is set, -0.0 included (bool tensor)."""

def logical_not(input: Tensor, /) -> Tensor:
    """Logical not of the truth values elementwise (bool tensor)."""

def bitwise_not(input: Tensor, /) -> Tensor:
    """Bitwise not of integers (logical not of bools) elementwise."""

def add(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input + other with broadcasting and type promotion."""

def sub(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input - other with broadcasting and type promotion."""

def mul(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input * other with broadcasting and type promotion."""

def div(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input / other (true division, floating result)."""

def pow(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input ** other elementwise."""

def maximum(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Elementwise maximum of input and other."""

def minimum(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Elementwise minimum of input and other."""

def eq(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input == other elementwise (bool tensor)."""

def ne(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input != other elementwise (bool tensor)."""

def lt(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input < other elementwise (bool tensor)."""

def le(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input <= other elementwise (bool tensor)."""

def gt(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input > other elementwise (bool tensor)."""

def ge(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input >= other elementwise (bool tensor)."""

def logical_and(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Logical and of the truth values elementwise (bool tensor)."""

def logical_or(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Logical or of the truth values elementwise (bool tensor)."""

def logical_xor(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Logical xor of the truth values elementwise (bool tensor)."""

def floor_divide(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """floor(input / other), the // operator (integers stay integers)."""

def remainder(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input - floor(input / other) * other: the sign of the divisor, the % operator."""

def fmod(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """C's fmod: the remainder of truncated division, the sign of the dividend."""

def atan2(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """The angle of the point (other, input), in (-pi, pi]."""

def hypot(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """sqrt(input ** 2 + other ** 2) elementwise, without overflow."""

def copysign(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """|input| with the sign of other elementwise."""

def logaddexp(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """log(exp(input) + exp(other)) elementwise, without overflow."""

def logaddexp2(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """log2(2 ** input + 2 ** other) elementwise, without overflow."""

def xlogy(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input * log(other), 0 where input is 0 (unless other is NaN)."""

def fmax(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Elementwise maximum ignoring NaN (NaN only where both are NaN)."""

def fmin(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Elementwise minimum ignoring NaN (NaN only where both are NaN)."""

def bitwise_and(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Bitwise and of integers or bools, the & operator."""

def bitwise_or(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Bitwise or of integers or bools, the | operator."""

def bitwise_xor(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """Bitwise xor of integers or bools, the ^ operator."""

def bitwise_left_shift(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input << other for integers."""

def bitwise_right_shift(input: _TensorOrNumber, other: _TensorOrNumber, /) -> Tensor:
    """input >> other for integers (arithmetic shift)."""

# END GENERATED

def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x >= 0, negative_slope * x otherwise."""

def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit; approximate='tanh' uses the tanh approximation."""

def clamp(input: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Each element limited to [min, max] (either bound may be None; a float bound makes integer input float32)."""

def clip(input: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Alias of clamp."""

def square(input: Tensor, /) -> Tensor:
    """x * x elementwise."""

@overload
def where(condition: Tensor, input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Elements of input where condition is True, else of other (broadcast together)."""

@overload
def where(condition: Tensor) -> tuple[Tensor, ...]:
    """nonzero(condition, as_tuple=True): one 1-d index tensor per dim."""

def masked_fill(input: Tensor, mask: Tensor, value: _TensorOrNumber) -> Tensor:
    """A copy of input with elements where mask is True replaced by value."""

def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Rounded half to even, to `decimals` decimal places."""

def logit(input: Tensor, eps: _float | None = None) -> Tensor:
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""

def nan_to_num(
    input: Tensor, nan: _float = 0.0, posinf: _float | None = None, neginf: _float | None = None
) -> Tensor:
    """NaN, +inf and -inf replaced (infinities by the dtype's extreme finite values by default)."""

def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of the digamma function."""

def divide(
    input: _TensorOrNumber, other: _TensorOrNumber, *, rounding_mode: str | None = None
) -> Tensor:
    """input / other; rounding_mode 'trunc' or 'floor' rounds the quotient (integers stay integers)."""

def true_divide(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """input / other (true division, floating result)."""

def multiply(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Alias of mul."""

def subtract(
    input: _TensorOrNumber, other: _TensorOrNumber, *, alpha: _TensorOrNumber | None = None
) -> Tensor:
    """input - alpha * other."""

def float_power(input: _TensorOrNumber, exponent: _TensorOrNumber) -> Tensor:
    """input ** exponent computed in float64."""

def arctan2(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Alias of atan2."""

def lerp(input: Tensor, end: Tensor, weight: _TensorOrNumber) -> Tensor:
    """input + weight * (end - input)."""

def addcmul(
    input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: _TensorOrNumber = 1
) -> Tensor:
    """input + value * tensor1 * tensor2."""

def addcdiv(
    input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: _TensorOrNumber = 1
) -> Tensor:
    """input + value * tensor1 / tensor2."""

def isclose(
    input: Tensor,
    other: Tensor,
    rtol: _float = 1e-05,
    atol: _float = 1e-08,
    equal_nan: _bool = False,
) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise (bool tensor)."""

def allclose(
    input: Tensor,
    other: Tensor,
    rtol: _float = 1e-05,
    atol: _float = 1e-08,
    equal_nan: _bool = False,
) -> _bool:
    """Whether isclose holds everywhere."""

def equal(input: Tensor, other: Tensor) -> _bool:
    """Whether both have the same shape and elements."""

def clamp_min(input: Tensor, min: _TensorOrNumber) -> Tensor:
    """clamp with only a lower bound."""

def clamp_max(input: Tensor, max: _TensorOrNumber) -> Tensor:
    """clamp with only an upper bound."""

def greater(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Alias of gt."""

def greater_equal(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Alias of ge."""

def less(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Alias of lt."""

def less_equal(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Alias of le."""

def not_equal(input: _TensorOrNumber, other: _TensorOrNumber) -> Tensor:
    """Alias of ne."""

def arcsin(input: Tensor) -> Tensor:
    """Alias of asin."""

def arccos(input: Tensor) -> Tensor:
    """Alias of acos."""

def arctan(input: Tensor) -> Tensor:
    """Alias of atan."""

def arcsinh(input: Tensor) -> Tensor:
    """Alias of asinh."""

def arccosh(input: Tensor) -> Tensor:
    """Alias of acosh."""

def arctanh(input: Tensor) -> Tensor:
    """Alias of atanh."""

def fix(input: Tensor) -> Tensor:
    """Alias of trunc."""

def sgn(input: Tensor) -> Tensor:
    """Alias of sign."""

def positive(input: Tensor) -> Tensor:
    """The input itself (not for bool tensors)."""

def result_type(tensor1: _TensorOrNumber, tensor2: _TensorOrNumber, /) -> dtype:
    """The dtype an arithmetic op on the two operands would produce (PyTorch promotion rules)."""

def promote_types(type1: dtype, type2: dtype, /) -> dtype:
    """The smallest dtype both dtypes convert to without losing kind (PyTorch's promotion table)."""

def can_cast(from_: dtype, to: dtype, /) -> _bool:
    """True when PyTorch's casting rules allow an in-place op to write a from_ result into a to tensor."""

# ---------------------------------------------------------------------------------------------------------------
# reductions

def sum(
    input: Tensor, dim: _Dims | None = None, keepdim: _bool = False, *, dtype: dtype | None = None
) -> Tensor:
    """Sum over all elements or the given dimensions (bool/int64 sum to int64)."""

def mean(input: Tensor, dim: _Dims | None = None, keepdim: _bool = False) -> Tensor:
    """Mean over all elements or the given dimensions."""

def amax(input: Tensor, dim: _Dims | None = None, keepdim: _bool = False) -> Tensor:
    """Maximum over all elements or the given dimensions."""

def amin(input: Tensor, dim: _Dims | None = None, keepdim: _bool = False) -> Tensor:
    """Minimum over all elements or the given dimensions."""

@overload
def max(input: Tensor, dim: None = None, keepdim: _bool = False) -> Tensor:
    """Maximum of all elements; (values, indices) along dim; or elementwise maximum with a tensor."""

@overload
def max(input: Tensor, dim: int, keepdim: _bool = False) -> _max_result:
    """Maximum of all elements; (values, indices) along dim; or elementwise maximum with a tensor."""

@overload
def max(input: Tensor, dim: Tensor) -> Tensor:
    """Maximum of all elements; (values, indices) along dim; or elementwise maximum with a tensor."""

@overload
def min(input: Tensor, dim: None = None, keepdim: _bool = False) -> Tensor:
    """Minimum of all elements; (values, indices) along dim; or elementwise minimum with a tensor."""

@overload
def min(input: Tensor, dim: int, keepdim: _bool = False) -> _min_result:
    """Minimum of all elements; (values, indices) along dim; or elementwise minimum with a tensor."""

@overload
def min(input: Tensor, dim: Tensor) -> Tensor:
    """Minimum of all elements; (values, indices) along dim; or elementwise minimum with a tensor."""

def argmax(input: Tensor, dim: int | None = None, keepdim: _bool = False) -> Tensor:
    """Index of the maximum (of the flattened tensor when dim is None)."""

def argmin(input: Tensor, dim: int | None = None, keepdim: _bool = False) -> Tensor:
    """Index of the minimum (of the flattened tensor when dim is None)."""

def var(
    input: Tensor,
    dim: _Dims | None = None,
    unbiased: _bool | None = None,
    keepdim: _bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Variance with Bessel's correction by default (correction=1)."""

def std(
    input: Tensor,
    dim: _Dims | None = None,
    unbiased: _bool | None = None,
    keepdim: _bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Standard deviation with Bessel's correction by default (correction=1)."""

def logsumexp(input: Tensor, dim: _Dims, keepdim: _bool = False) -> Tensor:
    """log(sum(exp(x))) over dim, computed stably."""

def softmax(input: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)) along dim."""

def log_softmax(input: Tensor, dim: int) -> Tensor:
    """log(softmax(x)) along dim, computed stably."""

# ---------------------------------------------------------------------------------------------------------------
# linear algebra, joining, shape and indexing

def matmul(input: Tensor, other: Tensor, /) -> Tensor:
    """Matrix product with NumPy broadcasting rules (1-d, 2-d and batched)."""

def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenates tensors along an existing dimension."""

def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Alias of cat."""

def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Joins same-shaped tensors along a new dimension."""

def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Values along dim picked by the int64 index tensor: out[i][j] = input[index[i][j]][j] for dim=0."""

def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with src added at the positions index names along dim."""

def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of dimension dim listed in the 1-d int64 index tensor."""

def index_add(
    input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: float = 1.0
) -> Tensor:
    """A copy of input with the slices of source (times alpha) added at the indices of dim."""

@overload
def nonzero(input: Tensor, *, as_tuple: Literal[True]) -> tuple[Tensor, ...]:
    """The [count, ndim] int64 positions of input's non-zero elements, row-major (NaN counts as non-zero);
    as_tuple: one 1-d tensor of indices per dim."""

@overload
def nonzero(input: Tensor, *, as_tuple: Literal[False] = False) -> Tensor: ...
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding of class indices (num_classes=-1 infers max + 1)."""

def reshape(input: Tensor, shape: Sequence[int], /) -> Tensor:
    """The data with a new shape: a view when possible, else a copy (-1 infers a size)."""

def permute(input: Tensor, dims: Sequence[int], /) -> Tensor:
    """A view with the dimensions reordered."""

def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dimensions dim0 and dim1 swapped."""

def squeeze(input: Tensor, dim: _Dims | None = None) -> Tensor:
    """A view with size-1 dimensions removed (all of them, or only those in dim)."""

def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A view with a size-1 dimension inserted at dim."""

def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions start_dim..end_dim merged into one."""

def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of length elements of dimension dim, starting at start."""

def select(input: Tensor, dim: int, index: int) -> Tensor:
    """A view of one index of dimension dim, with that dimension removed."""

def clone(input: Tensor, *, memory_format: object | None = None) -> Tensor:
    """A copy with its own storage (differentiable); memory_format: contiguous_format or preserve_format."""

def detach(input: Tensor, /) -> Tensor:
    """A view of the same data, cut from the autograd graph."""

def broadcast_to(input: Tensor, shape: Sequence[int], /) -> Tensor:
    """A broadcast view of input with the given shape."""

# ---------------------------------------------------------------------------------------------------------------
# shape and layout (csrc/python/shape_bind.cpp)

def flip(input: Tensor, dims: _Dims) -> Tensor:
    """A copy with the order of elements reversed along each of dims."""

def roll(input: Tensor, shifts: _Dims, dims: _Dims | None = None) -> Tensor:
    """Elements shifted along dims (the flattened tensor when dims is None), wrapping around."""

def _pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor: ...
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes as a view, appended as the last dim."""

def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (diagonal > 0 keeps more), the rest zero."""

def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (diagonal < 0 keeps more), the rest zero."""

# ---------------------------------------------------------------------------------------------------------------
# losses

def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error; reduction is 'mean', 'sum' or 'none'."""

def cross_entropy(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Cross entropy of logits against int64 class indices (log_softmax + nll_loss)."""

def nll_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    ignore_index: int = -100,
    weight: Tensor | None = None,
) -> Tensor:
    """Negative log likelihood of log-probabilities against int64 class indices, optionally class-weighted."""

def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross entropy of sigmoid(input) against target, computed stably from logits."""

# ---------------------------------------------------------------------------------------------------------------
# interop

def from_numpy(ndarray: NDArray[Any], /) -> Tensor:
    """A tensor sharing memory with a numpy array (any pygrad dtype numpy has: not bfloat16)."""

def from_dlpack(ext_tensor: Any, /) -> Tensor:
    """A tensor sharing memory with a cpu DLPack capsule or an object with __dlpack__."""

# ---------------------------------------------------------------------------------------------------------------
# grad mode, threads, random seed, backends

def is_grad_enabled() -> _bool:
    """True when operations are recorded for autograd on this thread."""

def set_grad_enabled(mode: _bool, /) -> None:
    """Turns recording for autograd on or off on this thread."""

def _set_default_float_dtype(dtype: dtype, /) -> None:
    """Sets the float dtype the core promotes integers and Python floats to (pygrad.set_default_dtype)."""

def _autocast_cpu_enabled() -> _bool:
    """Whether CPU autocast is on in this thread."""

def _autocast_state(device: str, /) -> tuple[_bool, dtype]:
    """This thread's autocast (enabled, dtype) for the device type 'cpu' or 'cuda'."""

def _set_autocast_state(device: str, enabled: _bool, dtype: dtype, /) -> None:
    """Sets this thread's autocast state for the device type 'cpu' or 'cuda'."""

def set_num_threads(num: int, /) -> None:
    """Sets the number of threads used by CPU kernels (at least 1)."""

def get_num_threads() -> int:
    """Number of threads used by CPU kernels."""

def _allocator_stats() -> dict[str, int]:
    """The CPU buffer cache: cached_bytes, cached_blocks, limit_bytes, hits, misses."""

def _empty_cache() -> None:
    """Returns every cached CPU buffer to the system."""

def manual_seed(seed: int, /) -> None:
    """Seeds the random generator (the value is taken modulo 2**64)."""

def initial_seed() -> int:
    """The seed the random generator was last seeded with."""

def cuda_is_built() -> _bool:
    """True when this build has the CUDA backend (nvcc was found when it was compiled)."""

def cuda_runtime_version() -> int:
    """CUDART_VERSION of the CUDA runtime the backend was compiled against; 0 without CUDA."""

def cuda_is_available() -> _bool:
    """True when a CUDA device can be used by this build."""

def cuda_device_count() -> int:
    """Number of usable CUDA devices."""

def cuda_unavailable_reason() -> str:
    """Why CUDA can't be used, for error messages."""

def _gemm_blocksizes(f64: _bool = False) -> dict[str, int]:
    """The GEMM register tile and cache blocks (mr, nr, mc, kc, nc) at the active ISA level."""

def _gemm_bf16_path() -> str:
    """How bfloat16 matmuls run: 'amx', 'avx512_bf16' or 'float32' (widened to the float32 GEMM)."""

def _set_gemm_bf16_path(name: str, /) -> None:
    """Lowers the bfloat16 GEMM path ('amx', 'avx512_bf16', 'float32'); ValueError when the CPU lacks it."""

def _cpu_bf16_features() -> dict[str, _bool]:
    """Whether the CPU has AVX512_BF16 and usable AMX-BF16 tiles."""

def cpu_cache_sizes() -> dict[str, int | str]:
    """Data cache sizes in bytes (l1d, l2, l3; 0 where unknown) and the source that answered ('cpuid', 'sysfs')."""

def cpu_capability() -> str:
    """The CPU kernel set in use: 'portable', 'avx2' or 'avx512'."""

def detected_cpu_capability() -> str:
    """The best CPU kernel set this machine supports: 'portable', 'avx2' or 'avx512'."""

def set_cpu_capability(capability: str, /) -> None:
    """Selects the CPU kernel set ('portable', 'avx2' or 'avx512'; at most the detected one)."""

# ---------------------------------------------------------------------------------------------------------------
# private helpers used by pygrad/*.py

def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor | None],
    retain_graph: _bool,
    create_graph: _bool,
    inputs: Sequence[Tensor],
    allow_unused: _bool,
    accumulate_inputs: _bool,
    /,
) -> list[Tensor | None]:
    """Runs backward from outputs; returns the gradients of inputs (empty inputs: accumulate into leaves' .grad;
    accumulate_inputs: into the inputs' .grad, running their hooks)."""

def _empty(size: Sequence[int], dtype: dtype, requires_grad: _bool, /) -> Tensor:
    """Uninitialised tensor of the given size (backs pygrad.empty)."""

def _full(
    size: Sequence[int], fill_value: _Number, dtype: dtype, requires_grad: _bool, /
) -> Tensor:
    """Tensor filled with fill_value (backs pygrad.full/zeros/ones)."""

def as_strided(
    input: Tensor, size: Sequence[int], stride: Sequence[int], storage_offset: int | None = None
) -> Tensor:
    """A view of input's memory with the given sizes and strides (storage_offset: input's by default)."""

def _record_function(
    name: str,
    inputs: Sequence[Tensor | None],
    output: Tensor,
    backward: Callable[[Tensor | None], Any],
) -> None:
    """internal (autograd.Function): records output's history as a node with one edge per input."""

def _topk_indices(input: Tensor, k: int, dim: int, largest: _bool) -> Tensor:
    """int64 positions along dim of the k largest (smallest) in ranking order; backs pygrad.topk."""

def _cumsum(input: Tensor, dim: int, reverse: _bool = False) -> Tensor:
    """Running sums along dim in x's dtype (reverse: from the last element); backs pygrad.cumsum."""

def _arange(start: float, end: float, step: float, dtype: dtype, requires_grad: _bool, /) -> Tensor:
    """Values in [start, end) by step (backs pygrad.arange)."""

def _linspace(
    start: float, end: float, steps: int, dtype: dtype, requires_grad: _bool, /
) -> Tensor:
    """steps evenly spaced values from start to end inclusive (backs pygrad.linspace)."""

def _eye(n: int, m: int, dtype: dtype, requires_grad: _bool, /) -> Tensor:
    """n x m identity matrix (backs pygrad.eye)."""

def _rand(size: Sequence[int], dtype: dtype, requires_grad: _bool, /) -> Tensor:
    """Uniform [0, 1) random tensor (backs pygrad.rand; requires_grad is ignored, the caller sets it)."""

def _randn(size: Sequence[int], dtype: dtype, requires_grad: _bool, /) -> Tensor:
    """Standard normal random tensor (backs pygrad.randn; requires_grad is ignored, the caller sets it)."""

def _randint(low: int, high: int, size: Sequence[int], dtype: dtype, /) -> Tensor:
    """Random integers in [low, high) (backs pygrad.randint)."""

def _bernoulli_mask(shape: Sequence[int], keep_probability: float, dtype: dtype) -> Tensor:
    """Bool keep-mask from the seeded generator: True with probability keep_probability (dropout's mask)."""

_IntOrPair: TypeAlias = int | Sequence[int]

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input [N, in] @ weight [out, in].T + bias [out] as one op (other shapes: matmul and add)."""

def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrPair = 1,
    padding: _IntOrPair | str = 0,
    dilation: _IntOrPair = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation) of [N, C, *S] (or [C, *S]) input with [O, C/groups, *K] weight."""

def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrPair = 1,
    padding: _IntOrPair = 0,
    output_padding: _IntOrPair = 0,
    groups: int = 1,
    dilation: _IntOrPair = 1,
) -> Tensor:
    """1-D transposed convolution of [N, C_in, *S] input with [C_in, C_out/groups, *K] weight."""

def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrPair = 1,
    padding: _IntOrPair | str = 0,
    dilation: _IntOrPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) of [N, C, *S] (or [C, *S]) input with [O, C/groups, *K] weight."""

def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrPair = 1,
    padding: _IntOrPair = 0,
    output_padding: _IntOrPair = 0,
    groups: int = 1,
    dilation: _IntOrPair = 1,
) -> Tensor:
    """2-D transposed convolution of [N, C_in, *S] input with [C_in, C_out/groups, *K] weight."""

def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrPair = 1,
    padding: _IntOrPair | str = 0,
    dilation: _IntOrPair = 1,
    groups: int = 1,
) -> Tensor:
    """3-D convolution (cross-correlation) of [N, C, *S] (or [C, *S]) input with [O, C/groups, *K] weight."""

def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrPair = 1,
    padding: _IntOrPair = 0,
    output_padding: _IntOrPair = 0,
    groups: int = 1,
    dilation: _IntOrPair = 1,
) -> Tensor:
    """3-D transposed convolution of [N, C_in, *S] input with [C_in, C_out/groups, *K] weight."""

def _unfold(
    input: Tensor, kernel_size: _Dims, dilation: _Dims, padding: _Dims, stride: _Dims
) -> Tensor:
    """im2col on the convolution engine: [N, C, H, W] -> [N, C * kh * kw, L] (F.unfold)."""

def _fold(
    input: Tensor,
    image_shape: Sequence[int],
    kernel_size: _Dims,
    dilation: _Dims,
    padding: _Dims,
    stride: _Dims,
) -> Tensor:
    """col2im on the convolution engine: [N, C * kh * kw, L] -> [N, C, H, W], overlaps summed (F.fold)."""

def _conv_params(
    spatial: int,
    in_channels: int,
    weight_shape: Sequence[int],
    stride: _Dims,
    padding: str | _Dims,
    dilation: _Dims,
    groups: int,
    op: str,
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The convolutions' argument normalisation (as the op runs it): (stride, padding, dilation); raises for bad ones."""

def max_pool2d(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    dilation: _IntOrPair = 1,
    ceil_mode: _bool = False,
    return_indices: _bool = False,
) -> Any:
    """2-D max pooling; with return_indices a (values, flat indices) tuple."""

def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    dilation: _IntOrPair = 1,
    ceil_mode: _bool = False,
) -> tuple[Tensor, Tensor]:
    """2-D max pooling returning (values, flat indices within each plane)."""

def avg_pool2d(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    ceil_mode: _bool = False,
    count_include_pad: _bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling."""

def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None] | None) -> Tensor:
    """Average pooling to a fixed output size (None keeps that input dimension)."""

def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: _bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over [N, C, *]; in training, updates the running statistics in place."""

def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation over the trailing normalized_shape dimensions."""

def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of weight at the int64 indices of input; padding_idx's row gets no gradient."""

def _flash_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None,
    scale: float,
    is_causal: builtins.bool,
    dropout_p: float = 0.0,
) -> Tensor:
    """softmax(q k^T scale + mask) v, tiled (no [L, S] matrix); equal leading dims; float mask (added);
    dropout_p drops weights with a mask drawn tile by tile (and again in backward)."""

def _lstm_cell(x_gates: Tensor, h_gates: Tensor, c: Tensor) -> Tensor:
    """One LSTM step's gate math, fused: [2, B, H] = (o tanh(c'), c' = f c + i g) from [B, 4H] gate projections."""

def _lstm_layer(x_gates: Tensor, w_hh: Tensor, hc0: Tensor, reverse: builtins.bool) -> Tensor:
    """A whole LSTM layer direction as one op: [2, T, B, H] (every h, every c) from [T, B, 4H] input gates."""

def _gru_layer(x_gates: Tensor, w: Tensor, h0: Tensor, reverse: builtins.bool) -> Tensor:
    """A whole GRU layer direction as one op: [T, B, H] from [T, B, 3H] input gates, W_hh (b_hh as a last column)."""

def _gru_cell(gi: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    """One GRU step's gate math, fused: (1 - z) n + z h from [B, 3H] input and hidden projections."""

def cpu_peak_gflops(threads: int) -> float:
    """Measured float32 FMA peak of this machine in GFLOP/s on `threads` threads."""

def _optimizer_step(
    name: str,
    params: Sequence[Tensor],
    grads: Sequence[Tensor],
    steps: Sequence[int],
    hyper: Mapping[str, _float | _bool | Sequence[_float]],
    tensors: Mapping[str, Sequence[Tensor]] = ...,
    scalars: Mapping[str, Sequence[_float]] = ...,
) -> dict[str, list[_float]]:
    """One fused in-place update of a parameter group by the optimizer `name` (pygrad.optim calls it once per
    group): its hyper-parameters and state slots by name; returns the scalar state slots, updated."""

def _optimizer_fields(name: str) -> tuple[list[str], list[str]]:
    """The hyper-parameter names and the state slot names the optimizer `name` reads."""

def _optimizer_names() -> list[str]:
    """The names of the fused optimizer updates."""
