"""pad, unfold (im2col) and fold (col2im) of pygrad.nn.functional, with torch's signatures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad import _C
from pygrad._C import Tensor

__all__ = ["fold", "pad", "unfold"]

_IntOrPair = Union[int, Sequence[int]]


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pads input: `pad` lists (before, after) pairs from the last dim backwards, e.g. (left, right, top, bottom).

    Args:
        input: the tensor to pad.
        pad: an even number of sizes, at most two per dim; in constant mode negative sizes crop.
        mode: "constant" (fill with value, default 0), "reflect" (mirror without the edge), "replicate"
            (repeat the edge) or "circular" (wrap around); the last three pad the last 1, 2 or 3 dims of a
            (batched) tensor with one or two more dims.
        value: the fill of constant mode.

    Returns:
        The padded tensor (a new one); gradients flow back to input.
    """
    return _C._pad(input, list(pad), mode, value)


def _pair(value: _IntOrPair, name: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(v < minimum for v in pair):
        raise ValueError(
            f"[unfold] {name} must be an int or a pair of ints >= {minimum}, got {value}"
        )
    return pair[0], pair[1]


def _blocks(
    spatial: tuple[int, int],
    kernel_size: _IntOrPair,
    dilation: _IntOrPair,
    padding: _IntOrPair,
    stride: _IntOrPair,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    k, d = _pair(kernel_size, "kernel_size", 1), _pair(dilation, "dilation", 1)
    p, s = _pair(padding, "padding", 0), _pair(stride, "stride", 1)
    out = tuple((spatial[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    if out[0] <= 0 or out[1] <= 0:
        raise ValueError(
            f"[unfold] given input spatial size {spatial}, kernel_size {k}, dilation {d}, padding {p} and "
            f"stride {s}, the calculated shape of the array of sliding blocks is {out}, but its components "
            "must be at least one"
        )
    return k, d, p, s, (out[0], out[1])


def unfold(
    input: Tensor,
    kernel_size: _IntOrPair,
    dilation: _IntOrPair = 1,
    padding: _IntOrPair = 0,
    stride: _IntOrPair = 1,
) -> Tensor:
    """Extracts sliding blocks (im2col, the convolution engine's): [N, C, H, W] -> [N, C * kh * kw, L].

    Returns:
        Column l holds block l's values, channel-major then kernel row then column (torch's order).
    """
    if input.ndim not in (3, 4):
        raise ValueError(f"[unfold] expected a 3-d or 4-d input, got {input.ndim}-d")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    k, d, p, s, _ = _blocks(
        (x.shape[2], x.shape[3]), kernel_size, dilation, padding, stride
    )  # checks
    cols = _C._unfold(x, list(k), list(d), list(p), list(s))  # the convolution engine's im2col
    return cols[0] if input.ndim == 3 else cols


def fold(
    input: Tensor,
    output_size: _IntOrPair,
    kernel_size: _IntOrPair,
    dilation: _IntOrPair = 1,
    padding: _IntOrPair = 0,
    stride: _IntOrPair = 1,
) -> Tensor:
    """Sums sliding blocks back into an image (col2im, the adjoint of unfold): [N, C * kh * kw, L] ->
    [N, C, H, W], overlapping values added.
    """
    if input.ndim not in (2, 3):
        raise ValueError(f"[fold] expected a 2-d or 3-d input, got {input.ndim}-d")
    x = input.unsqueeze(0) if input.ndim == 2 else input
    size = _pair(output_size, "output_size", 1)
    k, d, p, s, out = _blocks(size, kernel_size, dilation, padding, stride)
    n, ckk, length = x.shape
    if ckk % (k[0] * k[1]):
        raise ValueError(
            f"[fold] expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={ckk} and kernel_size={k}"
        )
    if length != out[0] * out[1]:
        raise ValueError(
            f"[fold] expected size of input's dimension 2 to match the calculated number of sliding blocks "
            f"{out[0]} * {out[1]} = {out[0] * out[1]}, but got input.size(2)={length}"
        )
    c = ckk // (k[0] * k[1])
    image = _C._fold(x, [n, c, size[0], size[1]], list(k), list(d), list(p), list(s))  # col2im
    return image[0] if input.ndim == 2 else image
