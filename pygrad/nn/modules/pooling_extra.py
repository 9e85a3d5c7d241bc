"""Pooling modules beyond pooling.py / pooling3d.py: ``MaxUnpool3d``, ``FractionalMaxPool2d/3d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.pooling import _MaxUnpool

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d", "MaxUnpool3d"]

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


class _FractionalMaxPool(Module):
    _n: int

    def __init__(
        self,
        kernel_size: _Size3,
        output_size: _Size3 | None = None,
        output_ratio: float | Sequence[float] | None = None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ) -> None:
        super().__init__()
        n, name = self._n, type(self).__name__
        self.kernel_size = kernel_size if not isinstance(kernel_size, int) else (kernel_size,) * n
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = output_size if not isinstance(output_size, int) else (output_size,) * n
        ratio: Any = output_ratio
        self.output_ratio = ratio if not isinstance(ratio, (int, float)) else (ratio,) * n
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{name} requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Any:
        fn = F.fractional_max_pool2d if self._n == 2 else F.fractional_max_pool3d
        return fn(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool2d(_FractionalMaxPool):
    """2-d fractional max pooling: windows of kernel_size at pseudo-random, increasing positions
    giving output_size (or input size * output_ratio) outputs."""

    _n = 2


class FractionalMaxPool3d(_FractionalMaxPool):
    """3-d fractional max pooling (see FractionalMaxPool2d)."""

    _n = 3
