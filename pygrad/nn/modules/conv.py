"""Convolution modules: Conv1d/2d/3d and ConvTranspose1d/2d/3d over one base, with torch's arguments,
padding modes, parameter shapes, initialisation and repr. The math is one C++ engine (im2col + GEMM)."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Union

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

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_SizeN = Union[int, Sequence[int]]
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(x: _SizeN, n: int, name: str, what: str) -> tuple[int, ...]:
    if isinstance(x, Sequence) and not isinstance(x, str):
        if len(x) != n:
            raise ValueError(f"[{name}] {what} must be an int or {n} ints, got {x}")
        return tuple(operator.index(v) for v in x)
    value = operator.index(x)
    return (value,) * n


class _ConvNd(Module):
    """The shared construction of the convolution modules (torch's _ConvNd)."""

    _spatial: ClassVar[int]
    _transposed: ClassVar[bool] = False
    _conv: ClassVar[Callable[..., Tensor]]
    __constants__ = ("stride", "padding", "dilation", "groups", "padding_mode", "output_padding")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _SizeN,
        stride: _SizeN,
        padding: str | _SizeN,
        dilation: _SizeN,
        output_padding: _SizeN,
        groups: int,
        bias: bool,
        padding_mode: str,
        device: DeviceLike | None,
        dtype: Any,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        n = self._spatial
        if not isinstance(groups, int) or isinstance(groups, bool) or groups <= 0:
            raise ValueError(f"[{name}] groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(
                f"[{name}] in_channels ({in_channels}) must be divisible by groups ({groups})"
            )
        if out_channels % groups != 0:
            raise ValueError(
                f"[{name}] out_channels ({out_channels}) must be divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"[{name}] padding_mode must be one of {list(_PADDING_MODES)}, got {padding_mode!r}"
            )
        if self._transposed and padding_mode != "zeros":
            raise ValueError(
                f'[{name}] only "zeros" padding mode is supported, got {padding_mode!r}'
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n, name, "kernel_size")
        self.output_padding = _ntuple(output_padding, n, name, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        if self._transposed:
            if isinstance(padding, str):
                raise ValueError(f"[{name}] padding must be an int or {n} ints, got {padding!r}")
            weight_shape = (in_channels, out_channels // groups, *self.kernel_size)
            conv_in = out_channels  # the convolution it transposes reads out_channels
        else:
            weight_shape = (out_channels, in_channels // groups, *self.kernel_size)
            conv_in = in_channels
        # The op's own normalisation, run now so bad arguments raise at construction.
        stride_t, pad_t, dilation_t = _C._conv_params(
            n, conv_in, weight_shape, stride, padding, dilation, groups, f"{name}"
        )
        self.stride, self.dilation = stride_t, dilation_t
        self.padding: str | tuple[int, ...] = padding if isinstance(padding, str) else pad_t
        # F.pad's list for the non-zero padding modes: last dim first, the odd 'same' remainder after.
        pads: list[int] = []
        for k, d, p in zip(reversed(self.kernel_size), reversed(dilation_t), reversed(pad_t)):
            total = d * (k - 1) if padding == "same" else 2 * p
            pads += [total // 2, total - total // 2]
        self._reversed_padding_repeated_twice = pads
        self.weight = Parameter(_empty(weight_shape, dtype))
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

    def extra_repr(self) -> str:
        n = self._spatial
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """Conv1d/2d/3d: the forward, with padding_mode reflect/replicate/circular through F.pad as torch does."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _SizeN,
        stride: _SizeN = 1,
        padding: str | _SizeN = 0,
        dilation: _SizeN = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: DeviceLike | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
            padding_mode, device, dtype,
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        conv = type(self)._conv
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_Conv):
    """1-D convolution over [N, C, L] (or [C, L]) input; weight [out, in/groups, k].

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, dilation: an int or one int per spatial dim.
        padding: an int, one int per dim, "valid" or "same" (stride 1; an even kernel pads the far side more).
        groups: blocked connections; in and out channels must divide by it.
        bias: learn an additive bias.
        padding_mode: "zeros", "reflect", "replicate" or "circular".
    """

    _spatial = 1
    _conv = staticmethod(_C.conv1d)


class Conv2d(_Conv):
    """2-D convolution over [N, C, H, W] (or [C, H, W]) input; weight [out, in/groups, kh, kw].

    Arguments as Conv1d, with pairs for the windows.
    """

    _spatial = 2
    _conv = staticmethod(_C.conv2d)


class Conv3d(_Conv):
    """3-D convolution over [N, C, D, H, W] (or [C, D, H, W]) input; weight [out, in/groups, kd, kh, kw].

    Arguments as Conv1d, with triples for the windows.
    """

    _spatial = 3
    _conv = staticmethod(_C.conv3d)


class _ConvTranspose(_ConvNd):
    """ConvTranspose1d/2d/3d: the adjoint of the convolution with the same arguments (weight [in, out/groups, *k])."""

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _SizeN,
        stride: _SizeN = 1,
        padding: _SizeN = 0,
        output_padding: _SizeN = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: _SizeN = 1,
        padding_mode: str = "zeros",
        device: DeviceLike | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
            bias, padding_mode, device, dtype,
        )  # fmt: skip

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None) -> tuple[int, ...]:
        """The output_padding that makes the output `output_size` (torch's rule), or the module's own."""
        if output_size is None:
            return self.output_padding
        n = self._spatial
        sizes = [int(v) for v in output_size]
        batched = input.dim() == n + 2
        non_spatial = 2 if batched else 1
        if len(sizes) == n + non_spatial:
            sizes = sizes[non_spatial:]
        if len(sizes) != n:
            raise ValueError(
                f"[{type(self).__name__}] output_size must have {n} or {n + non_spatial} elements "
                f"(got {len(output_size)})"
            )
        assert not isinstance(self.padding, str)
        result = []
        for i in range(n):
            dim = input.shape[input.dim() - n + i]
            smallest = (
                (dim - 1) * self.stride[i]
                - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1)
                + 1
            )
            largest = smallest + self.stride[i] - 1
            if not smallest <= sizes[i] <= largest:
                raise ValueError(
                    f"[{type(self).__name__}] requested an output size of {sizes}, but valid sizes "
                    f"range from {smallest} to {largest} (for an input of {list(input.shape[2:])})"
                )
            result.append(sizes[i] - smallest)
        return tuple(result)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return type(self)._conv(
            input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
            self.dilation,
        )  # fmt: skip


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution ("deconvolution") over [N, C, L] input; weight [in, out/groups, k].

    Output length (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1;
    forward(input, output_size=None) picks output_padding from a requested size.
    """

    _spatial = 1
    _conv = staticmethod(_C.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution over [N, C, H, W] input; weight [in, out/groups, kh, kw]."""

    _spatial = 2
    _conv = staticmethod(_C.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution over [N, C, D, H, W] input; weight [in, out/groups, kd, kh, kw]."""

    _spatial = 3
    _conv = staticmethod(_C.conv_transpose3d)
