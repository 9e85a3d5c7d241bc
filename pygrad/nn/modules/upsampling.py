"""Upsample, UpsamplingNearest2d and UpsamplingBilinear2d: F.interpolate as modules, with torch's repr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]

_Size = Union[int, Sequence[int], None]
_Scale = Union[float, Sequence[float], None]


class Upsample(Module):
    """Resizes [N, C, *spatial] input to ``size`` or by ``scale_factor`` (see F.interpolate)."""

    def __init__(
        self,
        size: _Size = None,
        scale_factor: _Scale = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor: float | tuple[float, ...] | None
        if isinstance(scale_factor, Sequence):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of NCHW input."""

    def __init__(self, size: _Size = None, scale_factor: _Scale = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of NCHW input with align_corners=True."""

    def __init__(self, size: _Size = None, scale_factor: _Scale = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
