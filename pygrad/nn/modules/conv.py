"""Conv2d."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._device import check_device
from pygrad.nn import functional as F
from pygrad.nn import init
from pygrad.nn.modules.linear import _empty
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = ["Conv2d"]

_Size2 = Union[int, Sequence[int]]


def _pair(x: _Size2) -> tuple[int, int]:
    if isinstance(x, Sequence):
        if len(x) != 2:
            raise ValueError(f"[Conv2d] expected an int or a pair, got {x}")
        return (int(x[0]), int(x[1]))
    n = operator.index(x)
    return (n, n)


class Conv2d(Module):
    """2-D convolution over NCHW input, with PyTorch's arguments and default initialisation.

    padding may be an int, a pair, "valid" (no padding) or "same" (stride 1; output size = input size).
    Only padding_mode="zeros" is supported.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _Size2,
        stride: _Size2 = 1,
        padding: str | _Size2 = 0,
        dilation: _Size2 = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: DeviceLike | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        check_device(device, "Conv2d")
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"[Conv2d] padding_mode {padding_mode!r} is not supported (only 'zeros')"
            )
        if (
            groups <= 0 or in_channels % groups != 0
        ):  # the weight shape below needs it; conv2d says why
            weight_channels = in_channels
        else:
            weight_channels = in_channels // groups
        kernel = _pair(kernel_size)
        # The one normalisation of conv2d's arguments (C++ ops layer), run now so bad ones raise here.
        self.stride, self._padding, self.dilation = _C._conv2d_params(
            in_channels, (out_channels, weight_channels, *kernel), stride, padding, dilation, groups
        )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel
        self.groups = groups
        self.padding_mode = padding_mode
        self.padding: str | tuple[int, int] = padding if isinstance(padding, str) else self._padding
        self.weight = Parameter(_empty((out_channels, weight_channels, *self.kernel_size), dtype))
        if bias:
            self.bias = Parameter(_empty((out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """kaiming_uniform_(a=sqrt(5)) on the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self._padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
