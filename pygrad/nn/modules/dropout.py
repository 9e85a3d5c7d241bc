"""Dropout (in PyTorch's inverted form or the classic form), Dropout1d/2d/3d, AlphaDropout and
FeatureAlphaDropout."""

from __future__ import annotations

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module

__all__ = [
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
]


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


class _DropoutNd(Module):
    """torch's _DropoutNd: p and inplace, checked, and its extra_repr."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"[{type(self).__name__}] dropout probability has to be between 0 and 1, but got {p}"
            )
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of [N, C, L] or [C, L] input with probability p while training (others
    scaled by 1/(1-p)); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of [N, C, H, W] input with probability p while training (3-d input is
    taken as [N, C, L], with torch's warning); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of [N, C, D, H, W] or [C, D, H, W] input with probability p while
    training; the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for SELU networks (keeps zero mean and unit variance) while training; the
    identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (dim 1) while training; the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
