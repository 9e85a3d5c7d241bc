"""torch's two remaining functional ops on sequences and channels: ``conv_tbc`` (a 1-D convolution over
time-major [T, B, C] input) and ``native_channel_shuffle`` (channel_shuffle's kernel-level name)."""

from __future__ import annotations

from pygrad import _C
from pygrad._C import Tensor
from pygrad.nn._activations import channel_shuffle

__all__ = ["conv_tbc", "native_channel_shuffle"]


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-D convolution of [time, batch, in_channels] input with a [kernel_width, in_channels,
    out_channels] weight, plus ``bias`` [out_channels]; ``pad`` zero steps on each side of time
    (a negative pad crops), giving [time + 2*pad - kernel_width + 1, batch, out_channels].
    """
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError(
            "Weight tensor must have 3 dims: kernel_width, in_channels, out_channels."
        )
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    time, batch, out_channels = input.shape[0], input.shape[1], weight.shape[2]
    steps = time + 2 * pad - weight.shape[0] + 1
    if steps < 0:
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {steps}: [{steps}, {batch}, {out_channels}]"
        )
    x = input.permute(1, 2, 0)  # [B, C_in, T], conv1d's layout
    if pad < 0:  # torch crops the sequence for a negative pad
        x = x[:, :, -pad : time + pad]
        pad = 0
    out = _C.conv1d(x, weight.permute(2, 1, 0), bias, 1, pad)
    return out.permute(2, 0, 1)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """channel_shuffle under torch's kernel-level name: [N, C, *] with C = g * k, channel i * k + j moves
    to j * g + i."""
    return channel_shuffle(input, groups)
