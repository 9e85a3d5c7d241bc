"""The deprecated ``Variable`` wrapper, as torch.autograd.Variable: ``Variable(t, requires_grad=...)`` returns
a tensor (a new leaf sharing t's memory), and ``isinstance(x, Variable)`` holds for every tensor."""

from __future__ import annotations

import warnings
from typing import Any

from pygrad._C import Tensor

__all__ = ["Variable", "VariableMeta"]


class VariableMeta(type):
    """Makes ``isinstance(tensor, Variable)`` true, as torch's Variable/Tensor merge left it."""

    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=VariableMeta):
    """Deprecated: tensors carry autograd themselves. ``Variable(data, requires_grad=False)`` is
    ``data.detach().requires_grad_(requires_grad)``; ``volatile`` warns and does nothing, as in torch."""

    def __new__(  # type: ignore[misc]  # returns a Tensor, as torch's Variable does
        cls, data: Tensor, requires_grad: bool = False, volatile: bool = False
    ) -> Tensor:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with pygrad.no_grad():` instead.",
                stacklevel=2,
            )
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
