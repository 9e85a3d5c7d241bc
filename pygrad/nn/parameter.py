"""``Parameter``: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any, cast

from pygrad import _C
from pygrad._C import Tensor
from pygrad._tensor import _dense_copy
from pygrad._tensor import _repr as _tensor_repr

__all__ = ["Parameter"]


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
