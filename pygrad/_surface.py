"""The rest of the names a torch script meets at ``torch.`` and on ``Tensor``: Size, the default
dtype, layout/strided, the legacy typed constructors (FloatTensor, ...), compile (eager), constants,
unravel_index, frombuffer, renorm, typename and the Tensor attributes torch's CPU tensors answer
trivially (is_sparse, layout, retains_grad, new, resize_, ...)."""

# mypy: disable-error-code="method-assign,assignment"
from __future__ import annotations

import builtins
import math

from pygrad import _C, _factories
from pygrad._C import Tensor
from pygrad._config import default_float

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

__all__ = [
    "BFloat16Tensor",
    "BoolTensor",
    "ByteTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "Size",
    "compile",
    "e",
    "frombuffer",
    "get_device",
    "inf",
    "is_inference",
    "is_storage",
    "layout",
    "nan",
    "newaxis",
    "pi",
    "renorm",
    "set_default_dtype",
    "strided",
    "typename",
    "unravel_index",
]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None


class Size(tuple):
    """A tensor shape: a tuple of ints with ``numel()``, printed ``pygrad.Size([2, 3])``.

    ``Tensor.size()`` and ``.shape`` stay plain tuples (made in C++; wrapping them would slow every
    call), and compare equal to a Size of the same sizes.
    """

    __slots__ = ()

    def __new__(cls, sizes: Iterable[Any] = ()) -> Size:
        values = []
        for i, s in enumerate(sizes):
            if isinstance(s, builtins.bool) or not hasattr(s, "__index__"):
                raise TypeError(
                    f"pygrad.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')"
                )
            values.append(s.__index__())
        return super().__new__(cls, values)

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key: Any) -> Any:
        out = super().__getitem__(key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other: Any) -> Size:
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n: Any) -> Size:
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"pygrad.Size({list(self)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Size, (tuple(self),))


def _as_size(size: Any) -> list[int]:
    return list(Size(size))


# ---- default dtype


def set_default_dtype(d: _C.dtype) -> None:
    """Sets the dtype of tensors made from Python floats and of float factories without dtype=
    (tensor, zeros, ones, full, empty, rand, randn, arange, linspace, eye, normal, ...), and which
    float dtype repr leaves unnamed, and of the float results the core promotes integers to
    (``int_tensor * 0.5``, ``int_tensor / 2``, ``int_tensor.sqrt()``). Only floating dtypes are
    accepted, as torch.
    """
    if not isinstance(d, _C.dtype) or not d.is_floating_point:
        raise TypeError(
            "[set_default_dtype] only floating-point types are supported as the default type"
        )
    _C._set_default_float_dtype(d)
    default_float[0] = d
    _factories._DEFAULT_FLOAT = d


# ---- layout


class layout:
    """A tensor memory layout; pygrad has one, ``pygrad.strided`` (dense, with strides)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"pygrad.{self._name}"

    def __reduce__(self) -> str:
        return self._name  # pickles as the module attribute, so it unpickles to the same object


strided = layout("strided")


# ---- legacy typed constructors (torch.FloatTensor, ...)


class _LegacyTensorType(type):
    """isinstance(t, pygrad.FloatTensor) is True for float32 tensors, as torch's CPU type check."""

    dtype: _C.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        from pygrad._device import check_device

        check_device(device, cls.__name__)
        if not args:
            return _factories.empty(0, dtype=cls.dtype)
        if all(isinstance(a, builtins.int) and not isinstance(a, builtins.bool) for a in args) or (
            len(args) == 1 and isinstance(args[0], Size)
        ):
            # sizes: uninitialized memory, as torch
            return _factories.empty(*args, dtype=cls.dtype)
        if len(args) > 1:
            raise TypeError(f"[{cls.__name__}] expected sizes (ints) or one sequence of data")
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:
                raise TypeError(
                    f"[{cls.__name__}] expected a tensor of dtype {cls.dtype}, got {data.dtype}"
                )
            return Tensor(data)  # an alias of data's memory, as torch
        return _factories.tensor(data, dtype=cls.dtype)

    def __repr__(cls) -> str:
        return f"<class 'pygrad.{cls.__name__}'>"


def _legacy(name: str, dtype: _C.dtype) -> Any:
    doc = (
        f"Legacy constructor: ``{name}(2, 3)`` (uninitialized sizes) or ``{name}(data)``, "
        f"dtype {dtype}; ``isinstance(t, {name})`` tests t.dtype."
    )
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": doc, "__module__": "pygrad"})


FloatTensor = _legacy("FloatTensor", _C.float32)
DoubleTensor = _legacy("DoubleTensor", _C.float64)
HalfTensor = _legacy("HalfTensor", _C.float16)
BFloat16Tensor = _legacy("BFloat16Tensor", _C.bfloat16)
LongTensor = _legacy("LongTensor", _C.int64)
IntTensor = _legacy("IntTensor", _C.int32)
BoolTensor = _legacy("BoolTensor", _C.bool)
ByteTensor = _legacy("ByteTensor", _C.uint8)


# ---- compile


def compile(
    model: Callable[..., Any] | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: Any = "inductor",
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
) -> Any:
    """torch.compile's signature; pygrad has no graph compiler, so the module or function comes back
    unchanged and runs eagerly. Usable as ``@pygrad.compile``, ``@pygrad.compile(mode=...)`` and
    ``pygrad.compile(model)``."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("[compile] model must be a Module or a callable")
    return model


# ---- functions


def typename(obj: Any) -> str:
    """The type of obj as a string: 'pygrad.FloatTensor' for tensors, else 'module.QualName'."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        name = obj.__qualname__
    elif hasattr(obj, "__name__"):
        name = obj.__name__
    else:
        module = type(obj).__module__ or ""
        name = type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def is_storage(obj: Any) -> bool:
    """False: pygrad exposes no storage objects (tensors own their memory)."""
    return False


def get_device(input: Tensor) -> int:
    """The device index: -1 for a CPU tensor, as torch."""
    return input.get_device()


def is_inference(input: Tensor) -> bool:
    """False: pygrad has no inference tensors (inference_mode works as no_grad, so what it makes
    is an ordinary tensor)."""
    return False


def unravel_index(indices: Tensor | int, shape: int | Sequence[int]) -> tuple[Tensor, ...]:
    """The coordinates of flat indices in a tensor of the given shape, one int64 tensor per dim
    (indices out of range wrap around by floor division, as torch)."""
    import numpy as np

    if not isinstance(indices, Tensor):
        indices = _factories.tensor(indices)
    if indices.dtype.is_floating_point or indices.dtype == _C.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    dims = [shape] if isinstance(shape, builtins.int) else list(shape)
    if any(d < 0 for d in dims):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(dims)))
    rest = indices.numpy().astype(np.int64)
    coords = []
    for d in reversed(dims):
        coords.append(np.mod(rest, d) if d else np.zeros_like(rest))
        rest = np.floor_divide(rest, d) if d else rest
    return tuple(_C.from_numpy(np.array(c, dtype=np.int64)) for c in reversed(coords))


def frombuffer(
    buffer: Any,
    *,
    dtype: _C.dtype,
    count: int = -1,
    offset: int = 0,
    requires_grad: bool = False,
) -> Tensor:
    """A 1-d tensor over an object with the buffer protocol (bytearray, memoryview, array.array),
    sharing its memory. A read-only buffer (bytes) is copied, with torch's warning."""
    import numpy as np

    view = memoryview(buffer)
    item = dtype.itemsize
    length = view.nbytes
    if length <= 0:
        raise ValueError("both buffer length (0) and count (-1) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1"
        )
    if count < 0:
        if (length - offset) % item:
            raise ValueError(
                f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                f"multiple of element size ({item})"
            )
        count = (length - offset) // item
    elif offset + count * item > length:
        raise ValueError(
            f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) must "
            f"not be greater than actual buffer length ({length} bytes)"
        )
    name = str(dtype).removeprefix("pygrad.")
    np_dtype = np.int16 if name == "bfloat16" else np.dtype(name)  # bfloat16 bits travel as int16
    array = np.frombuffer(view, dtype=np_dtype, count=count, offset=offset)
    if not array.flags.writeable:
        import warnings

        warnings.warn(
            "The given buffer is not writable; pygrad copies it (writing to a tensor over it would "
            "change an immutable object).",
            UserWarning,
            stacklevel=2,
        )
        array = array.copy()
    out = _C.from_numpy(array)
    if name == "bfloat16":
        out = out.view(dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along dim whose p-norm exceeds maxnorm scaled down to norm maxnorm (the others
    unchanged), differentiable as torch."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"[renorm] expected a floating point tensor, got {input.dtype}")
    if p <= 0:
        raise RuntimeError(f"[renorm] non-positive norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"[renorm] expected maxnorm to be >= 0 but got {maxnorm}")
    ndim = input.ndim
    if ndim <= 1:
        raise RuntimeError(f"[renorm] input needs at least 2 dimensions, got {ndim} dimensions")
    d = dim % ndim
    others = [i for i in range(ndim) if i != d]
    norm = input.norm(p, others, True)
    factor = _C.where(norm > maxnorm, maxnorm / (norm + 1e-7), _factories.ones_like(norm))
    return input * factor


# ---- Tensor attributes

_retained: dict[int, Any] = {}  # id -> weakref of the non-leaf tensors retain_grad was called on
_c_retain_grad = Tensor.retain_grad


def _retain_grad(self: Tensor) -> None:
    import weakref

    if not self.is_leaf and id(self) in _retained and _retained[id(self)]() is self:
        return  # the hook is installed: a second call changes nothing, as torch
    _c_retain_grad(self)
    if not self.is_leaf:
        key = id(self)
        _retained[key] = weakref.ref(self, lambda _ref: _retained.pop(key, None))


def _retains_grad(self: Tensor) -> bool:
    ref = _retained.get(id(self))
    return ref is not None and ref() is self and not self.is_leaf


def _new(self: Tensor, *args: Any) -> Tensor:
    """Legacy ``t.new(2, 3)`` (uninitialized sizes), ``t.new(data)`` or ``t.new()``, in t's dtype."""
    if not args:
        return _factories.empty(0, dtype=self.dtype)
    if all(isinstance(a, builtins.int) and not isinstance(a, builtins.bool) for a in args) or (
        len(args) == 1 and isinstance(args[0], Size)
    ):
        return _factories.empty(*args, dtype=self.dtype)
    if len(args) > 1:
        raise TypeError("[new] expected sizes (ints) or one sequence of data")
    if isinstance(args[0], Tensor):
        return Tensor(args[0])
    return _factories.tensor(args[0], dtype=self.dtype)


def _pin_memory(self: Tensor, device: Any = None) -> Tensor:
    if not _C.cuda_is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self.clone()  # pygrad has no page-locked host memory: an ordinary copy


def _prelu(self: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x (weight: one value, or one per channel, dim 1)."""
    if weight.numel() != 1:
        channels = self.shape[1] if self.ndim >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(
                f"[prelu] mismatch of parameter numbers and input channel size: found "
                f"{weight.numel()} weights and {channels} channels"
            )
        if self.ndim >= 2:
            weight = weight.reshape([channels] + [1] * (self.ndim - 2))
    return _C.where(self > 0, self, weight * self)


def _hardshrink(self: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return _C.where((self > lambd) | (self < -lambd), self, _factories.zeros_like(self))


def _renorm(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    return renorm(self, p, dim, maxnorm)


def _renorm_(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    recorded = _C.is_grad_enabled() and self.requires_grad
    return self.copy_(renorm(self.clone() if recorded else self, p, dim, maxnorm))


def _resize_(self: Tensor, *sizes: Any) -> Tensor:
    """Same element count (contiguous): a new shape in place. Another count: fresh memory holding
    the old values first (as torch's, the grown part uninitialized: zeros here). Refused on tensors
    that require grad (as torch) and on views when the count changes (pygrad can't grow memory that
    other tensors share)."""
    shape = _as_size(
        sizes[0] if len(sizes) == 1 and not isinstance(sizes[0], builtins.int) else sizes
    )
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    n = math.prod(shape)
    if n == self.numel():
        if not self.is_contiguous():
            raise RuntimeError("[resize_] pygrad resizes only contiguous tensors in place")
        self.data = self.detach().view(shape)
        return self
    if not self.is_contiguous() or self._offset != 0:
        raise RuntimeError("[resize_] pygrad can't change the element count of a view")
    flat = self.detach().reshape(-1)
    fresh = _factories.zeros(n, dtype=self.dtype)
    keep = min(n, flat.numel())
    if keep:
        fresh[:keep] = flat[:keep]
    self.data = fresh.view(shape)
    return self


def _resize_as_(self: Tensor, the_template: Tensor) -> Tensor:
    return _resize_(self, tuple(the_template.shape))


def _false(self: Tensor) -> bool:
    return False


for _name in (
    "is_sparse",
    "is_sparse_csr",
    "is_quantized",
    "is_meta",
    "is_mps",
    "is_xpu",
    "is_xla",
    "is_ipu",
    "is_mtia",
    "is_maia",
    "is_vulkan",
    "is_nested",
    "is_mkldnn",
):
    setattr(Tensor, _name, property(_false))
Tensor.layout = property(lambda self: strided)
Tensor.retain_grad = _retain_grad
Tensor.retains_grad = property(_retains_grad)
Tensor.output_nr = property(lambda self: 0)
Tensor.name = property(lambda self: None)
Tensor.new = _new
Tensor.is_inference = _false
Tensor.pin_memory = _pin_memory
Tensor.is_pinned = lambda self, device=None: False
Tensor.share_memory_ = lambda self: self
Tensor.is_shared = _false
Tensor.prelu = _prelu
Tensor.hardshrink = _hardshrink


# torch's older names for pygrad.special's functions, as Tensor methods. pygrad.special loads on first use, as
# pygrad's other lazy submodules do (it imports the package).
def _special() -> Any:
    import importlib

    return importlib.import_module("pygrad.special")


def _i0(self: Tensor) -> Tensor:
    return _special().i0(self)


def _igamma(self: Tensor, other: Tensor) -> Tensor:
    return _special().gammainc(self, other)


def _igammac(self: Tensor, other: Tensor) -> Tensor:
    return _special().gammaincc(self, other)


def _mvlgamma(self: Tensor, p: int) -> Tensor:
    return _special().multigammaln(self, p)


Tensor.i0 = _i0
Tensor.igamma = _igamma
Tensor.igammac = _igammac
Tensor.mvlgamma = _mvlgamma
Tensor.renorm = _renorm
Tensor.renorm_ = _renorm_
Tensor.resize_ = _resize_
Tensor.resize_as_ = _resize_as_
