"""Dropout, in PyTorch's inverted form or the classic form."""

from __future__ import annotations

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Randomly zeroes elements with probability p while training, with a mask from the seeded generator.

    mode="inverted" (default, PyTorch's): kept elements are scaled by 1/(1-p) while training and
    the layer is the identity in eval mode. mode="classic": elements are kept with probability
    q = 1-p and not scaled while training; in eval mode nothing is dropped and outputs are
    multiplied by q. Both keep the expected value of each output the same in both modes.

    Args:
        p: the probability of dropping an element, in [0, 1].
        inplace: write the result into the input and return it, as PyTorch (not allowed on a leaf
            that requires grad while grad is recorded).
        mode: "inverted" or "classic".
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, mode: str = "inverted") -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"[Dropout] dropout probability has to be between 0 and 1, but got {p}"
            )
        if mode not in ("inverted", "classic"):
            raise ValueError(f"[Dropout] mode must be 'inverted' or 'classic', got {mode!r}")
        self.p = p
        self.inplace = inplace
        self.mode = mode

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace, mode=self.mode)

    def extra_repr(self) -> str:
        s = f"p={self.p}, inplace={self.inplace}"
        return s + (", mode='classic'" if self.mode == "classic" else "")
