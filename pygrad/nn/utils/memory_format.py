"""``nn.utils.memory_format``: torch's convert_conv2d/3d_weight_memory_format.

pygrad stores every tensor in the contiguous (row-major) layout: channels_last is a name it accepts, not a
layout it keeps. These functions give the conv weights fresh contiguous storage (``weight.data``, the
Parameter itself kept), so their values, and every result, are torch's; the rank checks are torch's.
"""

from __future__ import annotations

from typing import TypeVar

from pygrad._grad_mode import no_grad
from pygrad._shape import channels_last
from pygrad._shape import memory_format as _MemoryFormat
from pygrad.nn.modules.conv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d
from pygrad.nn.modules.module import Module

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]

_M = TypeVar("_M", bound=Module)


def _convert(module: Module, kinds: tuple[type, ...], memory_format: object) -> None:
    if not isinstance(memory_format, _MemoryFormat):
        raise TypeError(
            "clone(): argument 'memory_format' must be pygrad.memory_format, not "
            f"{type(memory_format).__name__}"
        )
    if isinstance(module, kinds):
        weight = module.weight
        if memory_format is channels_last and weight.ndim != 4:
            raise RuntimeError("required rank 4 tensor to use channels_last format")
        with no_grad():
            weight.data = weight.detach().clone()
    for child in module.children():
        _convert(child, kinds, memory_format)


def convert_conv2d_weight_memory_format(module: _M, memory_format: _MemoryFormat) -> _M:
    """Gives the weight of every Conv2d / ConvTranspose2d in ``module`` (itself included) the layout
    ``memory_format`` (in pygrad, a contiguous copy of the same values); returns ``module``."""
    _convert(module, (Conv2d, ConvTranspose2d), memory_format)
    return module


def convert_conv3d_weight_memory_format(module: _M, memory_format: _MemoryFormat) -> _M:
    """Gives the weight of every Conv3d / ConvTranspose3d in ``module`` (itself included) the layout
    ``memory_format`` (in pygrad, a contiguous copy of the same values); returns ``module``."""
    _convert(module, (Conv3d, ConvTranspose3d), memory_format)
    return module
