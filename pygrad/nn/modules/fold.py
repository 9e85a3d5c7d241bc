"""``Fold`` and ``Unfold``: the module forms of ``F.fold`` (col2im) and ``F.unfold`` (im2col), as torch's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module

__all__ = ["Fold", "Unfold"]

_IntOrPair = Union[int, Sequence[int]]


class Fold(Module):
    """Sums sliding blocks [N, C * prod(kernel_size), L] back into an image [N, C, *output_size].

    Args:
        output_size: the spatial shape of the output (an int or (H, W)).
        kernel_size, dilation, padding, stride: the blocks' geometry, as in ``F.fold``.
    """

    __constants__ = ("output_size", "kernel_size", "dilation", "padding", "stride")

    def __init__(
        self,
        output_size: _IntOrPair,
        kernel_size: _IntOrPair,
        dilation: _IntOrPair = 1,
        padding: _IntOrPair = 0,
        stride: _IntOrPair = 1,
    ) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )


class Unfold(Module):
    """Extracts sliding blocks: [N, C, H, W] -> [N, C * prod(kernel_size), L].

    Args:
        kernel_size, dilation, padding, stride: the blocks' geometry, as in ``F.unfold``.
    """

    __constants__ = ("kernel_size", "dilation", "padding", "stride")

    def __init__(
        self,
        kernel_size: _IntOrPair,
        dilation: _IntOrPair = 1,
        padding: _IntOrPair = 0,
        stride: _IntOrPair = 1,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )
