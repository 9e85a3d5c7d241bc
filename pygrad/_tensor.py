"""Tensor methods written in Python: repr, tolist, numpy protocol, backward, to/device, iteration, splits."""

# The methods are declared in _C.pyi (what type checkers see); here they are attached to the class.
# mypy: disable-error-code="method-assign,assignment"
from __future__ import annotations

import builtins
from copy import deepcopy

from pygrad import _C
from pygrad._device import check_device, device

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

Tensor = _C.Tensor


def _repr(self: Tensor) -> str:
    # loaded on the first print: `import pygrad` stays fast
    from pygrad._printing import tensor_repr

    return tensor_repr(self)


def _tolist(self: Tensor) -> Any:
    return (self.detach().float() if self.dtype == _C.bfloat16 else self.detach()).numpy().tolist()


def _array(self: Tensor, dtype: Any = None, copy: bool | None = None) -> Any:
    array = self.detach().numpy()
    if dtype is not None and array.dtype != dtype:
        return array.astype(dtype)
    if copy:
        return array.copy()
    return array


def _backward(
    self: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """Computes the gradient of this tensor with respect to the graph's leaves, accumulating into .grad.

    Args:
        gradient: d(something)/d(self); may be omitted when self has one element.
        retain_graph: keep the saved tensors so backward can run again (defaults to create_graph).
        create_graph: record the backward pass itself, for higher-order derivatives.
        inputs: accumulate only into these tensors' .grad.
    """
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("[backward] inputs= must not be empty")
    _C.run_backward(
        [self], [gradient], retain_graph, create_graph, [] if inputs is None else inputs, True, True
    )


def _device(self: Tensor) -> device:
    return device(self._device_type)


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Converts dtype and/or device: ``t.to(pygrad.float64)``, ``t.to("cpu")``, ``t.to(other)``."""
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    copy = kwargs.pop("copy", False)
    if kwargs:
        raise TypeError(f"[to] unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, device)):
            dev = arg
        else:
            dtype = arg
    check_device(dev, "to")
    out = self if dtype is None else self._to_dtype(dtype)
    if copy and out is self:
        out = self.clone()
    return out


def _cuda(self: Tensor, device: Any = None, non_blocking: bool = False) -> Tensor:
    check_device("cuda", "cuda")  # raises in a build without CUDA
    return _to(self, "cuda")


def _iter(self: Tensor) -> Iterator[Tensor]:
    if self.ndim == 0:
        raise TypeError("[iter] iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _split(
    self: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    size = self.shape[dim]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"[split] split_size must be positive, got {split_size_or_sections}")
        sizes = [
            min(split_size_or_sections, size - s) for s in range(0, size, split_size_or_sections)
        ] or [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != size:
            raise ValueError(
                f"[split] sections {sizes} don't add up to dimension {dim} of size {size}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(self.narrow(dim, start, s))
        start += s
    return tuple(out)


def _chunk(self: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    if chunks <= 0:
        raise ValueError(f"[chunk] chunks must be positive, got {chunks}")
    size = self.shape[dim]
    step = max(-(-size // chunks), 1)
    return _split(self, step, dim)


def _unbind(self: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    return tuple(self.select(dim, i) for i in range(self.shape[dim]))


def _all(self: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    mask = self if self.dtype == _C.bool else self != 0
    if dim is None:
        return _C._full([], True, _C.bool, False) if mask.numel() == 0 else mask.amin()
    return mask.amin(dim, keepdim)


def _any(self: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    mask = self if self.dtype == _C.bool else self != 0
    if dim is None:
        return _C._full([], False, _C.bool, False) if mask.numel() == 0 else mask.amax()
    return mask.amax(dim, keepdim)


def _new_zeros(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    from pygrad._factories import zeros

    return zeros(*size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


def _new_ones(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    from pygrad._factories import ones

    return ones(*size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


def _new_tensor(self: Tensor, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    from pygrad._factories import tensor

    return tensor(data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


# ---- copy, deepcopy and pickle (torch's protocol, without storages: see _dense_copy)
_NOT_A_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
    "the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "pygrad.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
)


def _dense_order(t: Tensor) -> list[int] | None:
    """The dims from outermost to innermost stride when t is dense under that order, else None."""
    strides = t.stride()
    order = sorted(range(t.ndim), key=lambda d: -strides[d])
    return order if t.permute(order).is_contiguous() else None


def _dense_copy(t: Tensor) -> Tensor:
    """A detached copy with its own memory and, when t is dense (transposed, permuted), t's strides.

    What torch's clone(memory_format=preserve_format) gives; torch's deepcopy copies the whole
    storage instead, which the Python layer can't reach (gapped views come out contiguous here).
    """
    src = t.detach()
    order = None if src.is_contiguous() else _dense_order(src)
    if order is None:
        return src.clone()
    inverse = sorted(range(src.ndim), key=order.__getitem__)
    return Tensor(src.permute(order).clone().permute(inverse))  # a fresh leaf, not a view


def _like(self: Tensor, data: Tensor) -> Tensor:
    """A new leaf of self's type (a Python subclass keeps its class) over data's memory."""
    if type(self) is Tensor:
        return Tensor(data)
    out = type(self).__new__(type(self))
    Tensor.__init__(out, data)  # skip the subclass's __init__, as pickle does
    return out


def _copy(self: Tensor) -> Tensor:
    """copy.copy: a new leaf sharing self's memory, with its requires_grad and (shallow) __dict__."""
    out = _like(self, self.detach())
    if self.requires_grad:
        out.requires_grad_(True)
    if hasattr(self, "__dict__"):
        out.__dict__.update(self.__dict__)
    return out


def _deepcopy(self: Tensor, memo: dict[int, Any]) -> Tensor:
    """copy.deepcopy: a new leaf with copied data, its requires_grad, a deep copy of .grad and of a
    subclass's __dict__; only graph leaves may be deep-copied (as torch)."""
    if not self.is_leaf:
        raise RuntimeError(_NOT_A_LEAF)
    if id(self) in memo:
        return memo[id(self)]
    out = _like(self, _dense_copy(self))
    if self.requires_grad:
        out.requires_grad_(True)
    grad = self.grad
    if grad is not None:  # through copy.deepcopy, which keeps the (per-access) wrapper alive
        out.grad = deepcopy(grad, memo)
    if hasattr(self, "__dict__"):
        out.__dict__ = deepcopy(self.__dict__, memo)
    memo[id(self)] = out
    return out


def _pickled_data(t: Tensor) -> tuple[Any, list[int] | None]:
    """(numpy array of t's values in its dense memory order, the permutation that restores t's strides)."""
    src = t.detach()
    order = None if src.is_contiguous() else _dense_order(src)
    if order is not None:
        src = src.permute(order)
    if src.dtype == _C.bfloat16:  # numpy has no bfloat16: its bits travel as int16
        src = src.contiguous().view(_C.int16)
    import numpy as np

    inverse = None if order is None else sorted(range(t.ndim), key=order.__getitem__)
    return np.asarray(src.numpy(), order="C"), inverse  # (ascontiguousarray makes 0-d 1-d)


def _rebuild_tensor(
    array: Any, dtype: _C.dtype, requires_grad: bool, inverse: list[int] | None = None
) -> Tensor:
    """Unpickles a Tensor (what Tensor.__reduce_ex__ names)."""
    t = _C.from_numpy(array)
    if dtype == _C.bfloat16:
        t = t.view(dtype)
    t = Tensor(t if inverse is None else t.permute(inverse))  # a fresh leaf, not a view
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_subclass(
    cls: type[Tensor], args: tuple[Any, ...], state: dict[str, Any] | None
) -> Tensor:
    """Unpickles a Tensor subclass (a Parameter, ...): the tensor, then its class and __dict__."""
    t = _rebuild_tensor(*args)
    out = cls.__new__(cls)
    Tensor.__init__(out, t)
    out.requires_grad_(t.requires_grad)
    if state:
        out.__dict__.update(state)
    return out


def _reduce_ex(self: Tensor, protocol: int) -> tuple[Any, ...]:
    """pickle: the values (as numpy), dtype and requires_grad; not .grad nor the graph, as torch.

    pygrad.save never pickles (checkpoints are safetensors); this serves multiprocessing and copies.
    """
    array, inverse = _pickled_data(self)
    args = (array, self.dtype, self.requires_grad, inverse)
    if type(self) is Tensor:
        return (_rebuild_tensor, args)
    return (_rebuild_subclass, (type(self), args, getattr(self, "__dict__", None) or None))


Tensor.__repr__ = _repr
Tensor.__str__ = _repr
Tensor.__array__ = _array
Tensor.__array_priority__ = 1000  # numpy defers `array + tensor` to Tensor.__radd__
Tensor.__iter__ = _iter
Tensor.tolist = _tolist
Tensor.backward = _backward
Tensor.device = property(_device)
Tensor.is_cuda = property(lambda self: False)
Tensor.to = _to
Tensor.cuda = _cuda
Tensor.split = _split
Tensor.chunk = _chunk
Tensor.unbind = _unbind
Tensor.all = _all
Tensor.any = _any
Tensor.new_zeros = _new_zeros
Tensor.new_ones = _new_ones
Tensor.new_tensor = _new_tensor
Tensor.is_floating_point = lambda self: self.dtype.is_floating_point
# not declared in _C.pyi: copy's protocol, looked up on the class, needs no stub
Tensor.__copy__ = _copy
Tensor.__deepcopy__ = _deepcopy
Tensor.__reduce_ex__ = _reduce_ex
Tensor.__module__ = "pygrad"
