"""torch's functional pooling names beyond the kernels: the ``*_with_indices`` aliases (pooling that
always returns (values, indices)) and ``max_unpool3d``, over the existing pooling functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union, cast

from pygrad import _C
from pygrad._C import Tensor
from pygrad.nn import _pooling, _pooling3d

__all__ = [
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "max_unpool3d",
]

_Int = Union[int, Sequence[int]]
_Out = Union[int, None, Sequence[Union[int, None]]]
_Pair = tuple[Tensor, Tensor]


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    dilation: _Int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> _Pair:
    """``max_pool1d(..., return_indices=True)``: (values, indices) whatever return_indices says (as torch)."""
    out = _pooling.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)
    return cast(_Pair, out)


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    dilation: _Int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> _Pair:
    """``max_pool2d(..., return_indices=True)``: (values, indices) whatever return_indices says (as torch)."""
    out = _C.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)
    return cast(_Pair, out)


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    dilation: _Int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> _Pair:
    """``max_pool3d(..., return_indices=True)``: (values, indices) whatever return_indices says (as torch)."""
    out = _pooling3d.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)
    return cast(_Pair, out)


def adaptive_max_pool1d_with_indices(
    input: Tensor, output_size: _Out, return_indices: bool = False
) -> _Pair:
    """``adaptive_max_pool1d(..., return_indices=True)``."""
    return cast(_Pair, _pooling.adaptive_max_pool1d(input, output_size, True))


def adaptive_max_pool2d_with_indices(
    input: Tensor, output_size: _Out, return_indices: bool = False
) -> _Pair:
    """``adaptive_max_pool2d(..., return_indices=True)``."""
    return cast(_Pair, _pooling.adaptive_max_pool2d(input, output_size, True))


def adaptive_max_pool3d_with_indices(
    input: Tensor, output_size: _Out, return_indices: bool = False
) -> _Pair:
    """``adaptive_max_pool3d(..., return_indices=True)``."""
    return cast(_Pair, _pooling3d.adaptive_max_pool3d(input, output_size, True))


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Inverse of max_pool3d: input's values at the flat indices in zeros of the unpooled size."""
    return _pooling._max_unpool(
        input, indices, 3, kernel_size, stride, padding, output_size, "max_unpool3d"
    )
