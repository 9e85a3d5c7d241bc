"""Pooling modules beyond pooling.py / pooling3d.py: ``MaxUnpool3d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.pooling import _MaxUnpool

__all__ = ["MaxUnpool3d"]

_Size3 = Union[int, Sequence[int]]


class MaxUnpool3d(_MaxUnpool):
    """Inverse of MaxPool3d given its indices: the values at their positions, zeros elsewhere."""

    def __init__(
        self, kernel_size: _Size3, stride: _Size3 | None = None, padding: _Size3 = 0
    ) -> None:
        super().__init__(3, kernel_size, stride, padding)

    def forward(
        self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None
    ) -> Tensor:
        return F.max_unpool3d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )
