"""3-d pooling modules: MaxPool3d, AvgPool3d, AdaptiveMaxPool3d and LPPool3d over the functional forms
in pygrad.nn._pooling3d, with torch's constructor signatures, defaults and extra_repr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.pooling import _AvgPoolNd, _MaxPoolNd

__all__ = ["AdaptiveMaxPool3d", "AvgPool3d", "LPPool3d", "MaxPool3d"]

_Size = Union[int, Sequence[int]]


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) input."""

    _pool = staticmethod(F.max_pool3d)


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) input."""

    _pool = staticmethod(F.avg_pool3d)


class AdaptiveMaxPool3d(Module):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) input to output_size."""

    def __init__(
        self, output_size: int | Sequence[int | None] | None, return_indices: bool = False
    ) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class LPPool3d(Module):
    """Power-average pooling over (N, C, D, H, W) or (C, D, H, W) input."""

    def __init__(
        self,
        norm_type: float,
        kernel_size: _Size,
        stride: _Size | None = None,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool3d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )
