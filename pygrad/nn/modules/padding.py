"""Padding layers as modules: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad (1d, 2d,
3d), each over nn.functional.pad with torch's constructors and extra_repr strings.

An int padding is repeated for every side (2, 4 or 6 sizes); a sequence is kept as given (a tuple),
as torch does, so ZeroPad2d((1, 2)) pads only the last dim.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]

_Padding = Union[int, Sequence[int]]


def _sides(padding: _Padding, count: int) -> tuple[int, ...]:
    return tuple(padding) if isinstance(padding, Sequence) else (padding,) * count


class _PadNd(Module):
    """A pad of F.pad's mode over the last `_dims` dims; subclasses set _dims and _mode."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding: _Padding) -> None:
        super().__init__()
        self.padding = _sides(padding, 2 * self._dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: _Padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with value: padding is an int or (left, right)."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with value: padding is an int or (left, right, top, bottom)."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with value: an int or (left, right, top, bottom, front, back)."""

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros: padding is an int or (left, right)."""

    def __init__(self, padding: _Padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros: padding is an int or (left, right, top, bottom)."""

    def __init__(self, padding: _Padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros: an int or (left, right, top, bottom, front, back)."""

    def __init__(self, padding: _Padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirrors [N, C, W] or [C, W] input at its ends, the edge not repeated (each size < W)."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Mirrors [N, C, H, W] or [C, H, W] input at its edges, the edge not repeated."""

    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirrors [N, C, D, H, W] or [C, D, H, W] input at its faces, the face not repeated."""

    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeats the edge values of [N, C, W] or [C, W] input."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Repeats the edge values of [N, C, H, W] or [C, H, W] input."""

    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeats the face values of [N, C, D, H, W] or [C, D, H, W] input."""

    _dims, _mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        # torch checks the rank here, in the module, with its own message.
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(
                f"[{type(self).__name__}] expected {self._dims + 1}D or {self._dims + 2}D input "
                f"(got {input.ndim}D input)"
            )
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wraps [N, C, W] or [C, W] input around: the left pad copies the last values, and so on."""


class CircularPad2d(_CircularPadNd):
    """Wraps [N, C, H, W] or [C, H, W] input around in its last two dims."""

    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Wraps [N, C, D, H, W] or [C, D, H, W] input around in its last three dims."""

    _dims = 3
