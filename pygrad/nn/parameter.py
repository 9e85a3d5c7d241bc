"""``Parameter``: a Tensor that a Module registers as one of its learnable weights; and the lazy
modules' placeholders ``UninitializedParameter`` / ``UninitializedBuffer`` (shape unknown until the
first forward)."""

from __future__ import annotations

from typing import Any, cast

from pygrad import _C
from pygrad._C import Tensor
from pygrad._config import default_float
from pygrad._tensor import _dense_copy
from pygrad._tensor import _repr as _tensor_repr

__all__ = ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter", "is_lazy"]


class Parameter(Tensor):
    """A leaf tensor that ``Module.__setattr__`` registers as a parameter (requires_grad by default).

    ``Parameter(data)`` is a new leaf sharing ``data``'s memory, like ``torch.nn.Parameter``.
    ``copy.copy``, ``copy.deepcopy`` and pickling (for multiprocessing) work as for a Tensor and keep the
    class; checkpoints go through ``pygrad.save`` of a state_dict, which never pickles.

    Args:
        data: the initial values (a Tensor); an empty float32 tensor when None.
        requires_grad: whether the parameter records operations for autograd (default True).
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = _C._empty([0], _C.float32, False)
        elif not isinstance(data, Tensor):
            raise TypeError(f"[Parameter] data must be a Tensor, got {type(data).__name__}")
        super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + _tensor_repr(self)

    __str__ = __repr__

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        """copy.deepcopy: ``type(self)(copied data, requires_grad)``; as torch, .grad and attributes
        set on the parameter are not copied (a plain Tensor's deepcopy copies both)."""
        if id(self) in memo:
            return cast(Parameter, memo[id(self)])
        out = type(self)(_dense_copy(self), self.requires_grad)
        memo[id(self)] = out
        return out


class Buffer(Tensor):
    """A Tensor that ``Module.__setattr__`` registers as a buffer, like ``torch.nn.Buffer``:
    ``self.running = nn.Buffer(t)`` is ``self.register_buffer("running", t)``.

    ``Buffer(data)`` shares ``data``'s memory and keeps its ``requires_grad``; ``persistent=False`` keeps it
    out of ``state_dict``, as ``register_buffer(..., persistent=False)``.
    """

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        if data is None:
            data = _C._empty([0], _C.float32, False)
        elif not isinstance(data, Tensor):
            raise TypeError(f"[Buffer] data must be a Tensor, got {type(data).__name__}")
        requires_grad = data.requires_grad
        super().__init__(data.detach())
        self.requires_grad_(requires_grad)
        self.persistent = persistent


def _materialized(shape: Any, dtype: _C.dtype | None, device: Any, what: str) -> Tensor:
    from pygrad._device import check_device

    check_device(device, what)
    dims = [int(shape)] if isinstance(shape, int) else [int(d) for d in shape]
    return _C._empty(dims, default_float[0] if dtype is None else dtype, False)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (a lazy module's weight before its first forward).

    It holds an empty tensor until ``materialize(shape)``, which gives it uninitialised storage of
    that shape and turns it, in place, into a plain ``Parameter``, so optimizers built before the
    first forward keep a valid reference (as torch). Unlike torch, using it before then does not
    raise: it behaves as an empty tensor.
    """

    cls_to_become: type[Parameter] = Parameter

    def __init__(
        self, requires_grad: bool = True, device: object = None, dtype: _C.dtype | None = None
    ) -> None:
        super().__init__(None, requires_grad)
        object.__setattr__(self, "_lazy_dtype", dtype)

    def materialize(self, shape: Any, device: object = None, dtype: _C.dtype | None = None) -> None:
        """Gives the parameter ``shape`` (uninitialised values) and makes it a ``Parameter``."""
        dtype = dtype if dtype is not None else getattr(self, "_lazy_dtype", None)
        self.data = _materialized(shape, dtype, device, "UninitializedParameter.materialize")
        self.__class__ = self.cls_to_become  # type: ignore[assignment]  # in place: holders of this object see a Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return cast(Parameter, memo[id(self)])
        out = type(self)(self.requires_grad, None, getattr(self, "_lazy_dtype", None))
        memo[id(self)] = out
        return out


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (a lazy norm layer's running statistics).

    ``materialize(shape)`` returns a new plain Tensor of that shape; the lazy module puts it in
    place of this one (torch changes the object's class in place; a pygrad Tensor cannot, and
    nothing outside the module holds buffers, so the swap is invisible).
    """

    def __init__(
        self, requires_grad: bool = False, device: object = None, dtype: _C.dtype | None = None
    ) -> None:
        super().__init__(_C._empty([0], default_float[0] if dtype is None else dtype, False))
        object.__setattr__(self, "_lazy_dtype", dtype)

    def materialize(
        self, shape: Any, device: object = None, dtype: _C.dtype | None = None
    ) -> Tensor:
        """A new Tensor of ``shape`` (uninitialised values) to replace this buffer."""
        dtype = dtype if dtype is not None else getattr(self, "_lazy_dtype", None)
        return _materialized(shape, dtype, device, "UninitializedBuffer.materialize")

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"

    __str__ = __repr__


def is_lazy(param: object) -> bool:
    """Whether ``param`` is an uninitialised parameter or buffer (torch's ``nn.parameter.is_lazy``)."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
