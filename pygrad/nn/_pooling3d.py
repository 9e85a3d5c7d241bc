"""3-d pooling in nn.functional: max, average, adaptive max and power-average (lp) pooling over
(N, C, D, H, W) or (C, D, H, W) input, as composites of the 2-d kernels with torch's signatures,
output sizes, indices and gradients.

Every 3-d window is the product of a depth window and a (height, width) window, and each option acts
on one axis at a time, so a 3-d pool is the 2-d kernel over (H, W) with the depth as channels,
followed by the 2-d kernel over a unit-height view of the depth axis. The max of the per-slice maxima
is the window's max; the argmax is the depth the second pass picked, combined with the (h, w) index the
first pass found in that slice (the first maximum in (d, h, w) order, as torch's). Average divisors
factor per axis (with or without the padding), and divisor_override divides the window sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad.nn._pooling import _adaptive_max, _check_rank, _lp_finish, _out_size, _tuple, _windows

__all__ = ["adaptive_max_pool3d", "avg_pool3d", "lp_pool3d", "max_pool3d"]

_Int = Union[int, Sequence[int]]
_Out = Union[int, None, Sequence[Union[int, None]]]


def _stride(stride: _Int | None, k: tuple[int, ...], op: str) -> tuple[int, ...]:
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        return k
    return _tuple(stride, 3, op, "stride")


def _depth_last(y: Tensor) -> Tensor:
    """(B, D, Ho, Wo) -> (B, Ho*Wo, 1, D): the depth as a unit-height width for the 2-d kernel."""
    b, d = y.shape[0], y.shape[1]
    return y.reshape(b, d, -1).transpose(1, 2).unsqueeze(-2)


def _depth_back(z: Tensor, lead: Sequence[int], ho: int, wo: int) -> Tensor:
    """(B, Ho*Wo, 1, Do) -> (*lead, Do, Ho, Wo)."""
    do = z.shape[-1]
    return z.squeeze(-2).transpose(1, 2).reshape(*lead, do, ho, wo)


def max_pool3d(
    input: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    dilation: _Int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) input; with return_indices also the flat
    (d * H + h) * W + w argmax positions."""
    op = "max_pool3d"
    _check_rank(input, 3, op)
    k = _tuple(kernel_size, 3, op, "kernel_size")
    s = _stride(stride, k, op)
    p = _tuple(padding, 3, op, "padding")
    dl = _tuple(dilation, 3, op, "dilation")
    lead = list(input.shape[:-3])
    d, h, w = input.shape[-3:]
    x = input.reshape(-1, d, h, w)
    y, hw = _C.max_pool2d(x, list(k[1:]), list(s[1:]), list(p[1:]), list(dl[1:]), ceil_mode, True)
    ho, wo = y.shape[-2:]
    z, dsel = _C.max_pool2d(
        _depth_last(y), [1, k[0]], [1, s[0]], [0, p[0]], [1, dl[0]], ceil_mode, True
    )
    out = _depth_back(z, lead, ho, wo)
    if not return_indices:
        return out
    # dsel: (B, Ho*Wo, 1, Do) depth positions; hw at those depths, from (B, Ho*Wo, D).
    hw_t = hw.reshape(hw.shape[0], d, -1).transpose(1, 2)
    picked = hw_t.gather(2, dsel.squeeze(-2))
    flat = dsel.squeeze(-2) * (h * w) + picked
    idx = flat.transpose(1, 2).reshape(*lead, z.shape[-1], ho, wo)
    return out, idx


def avg_pool3d(
    input: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) input."""
    op = "avg_pool3d"
    _check_rank(input, 3, op)
    k = _tuple(kernel_size, 3, op, "kernel_size")
    s = _stride(stride, k, op)
    p = _tuple(padding, 3, op, "padding")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"[{op}] divisor must be not zero")
    div = None if divisor_override is None else 1
    lead = list(input.shape[:-3])
    d, h, w = input.shape[-3:]
    x = input.reshape(-1, d, h, w)
    y = _C.avg_pool2d(x, list(k[1:]), list(s[1:]), list(p[1:]), ceil_mode, count_include_pad, div)
    ho, wo = y.shape[-2:]
    z = _C.avg_pool2d(
        _depth_last(y), [1, k[0]], [1, s[0]], [0, p[0]], ceil_mode, count_include_pad, div
    )
    out = _depth_back(z, lead, ho, wo)
    return out if divisor_override is None else out / divisor_override


def adaptive_max_pool3d(
    input: Tensor, output_size: _Out, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) input to output_size (an int or 3), and the flat
    argmax indices."""
    op = "adaptive_max_pool3d"
    _check_rank(input, 3, op)
    sizes = _out_size(input, output_size, 3, op)
    if sizes[0] <= 0 or input.shape[-3] <= 0:
        raise RuntimeError(f"[{op}] input and output_size must be non-empty, got {input.shape}")
    v2, i2 = _adaptive_max(input, sizes[1:], op)  # (..., D, Ho, Wo)
    h, w = input.shape[-2:]
    vals, idxs = [], []
    for d0, d1 in _windows(input.shape[-3], sizes[0]):
        v, dd = v2.narrow(-3, d0, d1 - d0).max(-3)
        hw = i2.narrow(-3, d0, d1 - d0).gather(-3, dd.unsqueeze(-3)).squeeze(-3)
        vals.append(v)
        idxs.append((dd + d0) * (h * w) + hw)
    out = _C.stack(vals, -3)
    return (out, _C.stack(idxs, -3)) if return_indices else out


def lp_pool3d(
    input: Tensor,
    norm_type: float,
    kernel_size: _Int,
    stride: _Int | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Power-average pooling (sum of x**p over each window)**(1/p) over (N, C, D, H, W) or
    (C, D, H, W) input."""
    kd, kh, kw = _tuple(kernel_size, 3, "lp_pool3d", "kernel_size")
    out = avg_pool3d(input.pow(norm_type), (kd, kh, kw), stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kd * kh * kw)
