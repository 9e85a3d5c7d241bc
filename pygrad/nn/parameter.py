"""``Parameter``: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from typing import NoReturn

from pygrad import _C
from pygrad._C import Tensor
from pygrad._tensor import _repr as _tensor_repr

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that ``Module.__setattr__`` registers as a parameter (requires_grad by default).

    ``Parameter(data)`` is a new leaf sharing ``data``'s memory, like ``torch.nn.Parameter``.

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

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("[Parameter] pickling is not supported; use pygrad.save with a state_dict")
