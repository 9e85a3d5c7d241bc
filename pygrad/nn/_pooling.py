"""Pooling in nn.functional beyond the 2-d kernels: max/avg pooling in 1-d, adaptive average pooling
in 1-d and 3-d, adaptive max pooling in 1-d and 2-d, power-average (lp) pooling and max unpooling, as
composites of core ops with torch's signatures, output sizes and gradients.

1-d pooling is the 2-d kernel on input with a unit height, so its options (ceil_mode, dilation,
count_include_pad, return_indices) are the kernel's own. Adaptive max pooling takes the max over each
of torch's windows (start floor(i*in/out), end ceil((i+1)*in/out)); max unpooling scatters the values
into zeros at the flat indices max pooling returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import zeros
from pygrad.nn._interpolate import _adaptive_avg

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "lp_pool1d",
    "lp_pool2d",
    "max_pool1d",
    "max_unpool1d",
    "max_unpool2d",
]

_Int = Union[int, Sequence[int]]
_Out = Union[int, None, Sequence[Union[int, None]]]


def _tuple(v: _Int, n: int, op: str, name: str) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * n
    t = tuple(int(e) for e in v)
    if len(t) == 1:
        return t * n
    if len(t) != n:
        raise ValueError(f"[{op}] {name} must be an int or {n} ints, got {v}")
    return t


def _check_rank(x: Tensor, n: int, op: str) -> None:
    if x.dim() not in (n + 1, n + 2):
        raise ValueError(f"[{op}] expected {n + 1}D or {n + 2}D input, got {x.dim()}D")


def max_pool1d(
    input: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    dilation: _Int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """1-D max pooling over (N, C, L) or (C, L) input; with return_indices also the argmax positions."""
    _check_rank(input, 1, "max_pool1d")
    k = _tuple(kernel_size, 1, "max_pool1d", "kernel_size")[0]
    s = k if stride is None or stride == [] else _tuple(stride, 1, "max_pool1d", "stride")[0]
    p = _tuple(padding, 1, "max_pool1d", "padding")[0]
    d = _tuple(dilation, 1, "max_pool1d", "dilation")[0]
    out = _C.max_pool2d(
        input.unsqueeze(-2), [1, k], [1, s], [0, p], [1, d], ceil_mode, return_indices
    )
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(
    input: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L) input."""
    _check_rank(input, 1, "avg_pool1d")
    k = _tuple(kernel_size, 1, "avg_pool1d", "kernel_size")[0]
    s = k if stride is None or stride == [] else _tuple(stride, 1, "avg_pool1d", "stride")[0]
    p = _tuple(padding, 1, "avg_pool1d", "padding")[0]
    out = _C.avg_pool2d(
        input.unsqueeze(-2), [1, k], [1, s], [0, p], ceil_mode, count_include_pad, None
    )
    return out.squeeze(-2)


def _out_size(x: Tensor, output_size: _Out, n: int, op: str) -> list[int]:
    sizes = output_size if isinstance(output_size, (list, tuple)) else [output_size] * n
    if len(sizes) != n:
        raise ValueError(f"[{op}] output_size must be an int or {n} ints, got {output_size}")
    spatial = x.shape[-n:]
    return [spatial[i] if s is None else int(s) for i, s in enumerate(sizes)]


def adaptive_avg_pool1d(input: Tensor, output_size: _Out) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) input to output_size positions."""
    _check_rank(input, 1, "adaptive_avg_pool1d")
    return _adaptive_avg(input, _out_size(input, output_size, 1, "adaptive_avg_pool1d"))


def adaptive_avg_pool3d(input: Tensor, output_size: _Out) -> Tensor:
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) input to output_size (an int or 3)."""
    _check_rank(input, 3, "adaptive_avg_pool3d")
    return _adaptive_avg(input, _out_size(input, output_size, 3, "adaptive_avg_pool3d"))


def _windows(n_in: int, n_out: int) -> list[tuple[int, int]]:
    return [((i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)) for i in range(n_out)]


def _adaptive_max(x: Tensor, sizes: list[int], op: str) -> tuple[Tensor, Tensor]:
    """Max and flat argmax over the last len(sizes) (1 or 2) dims, per torch's adaptive windows."""
    if any(n <= 0 for n in x.shape[-len(sizes) :]) or any(s <= 0 for s in sizes):
        raise RuntimeError(
            f"[{op}] input and output_size must be non-empty, got {x.shape}, {sizes}"
        )
    width = x.shape[-1]
    rows = _windows(x.shape[-2], sizes[0]) if len(sizes) == 2 else [(0, 1)]
    vals, idxs = [], []
    for h0, h1 in rows:
        band = x.narrow(-2, h0, h1 - h0) if len(sizes) == 2 else x.unsqueeze(-2)
        for w0, w1 in _windows(width, sizes[-1]):
            win = band.narrow(-1, w0, w1 - w0)
            v, i = win.flatten(-2).max(-1)
            vals.append(v)
            idxs.append((i // (w1 - w0) + h0) * width + i % (w1 - w0) + w0)
    shape = (*x.shape[: -len(sizes)], *sizes)
    return _C.stack(vals, -1).reshape(shape), _C.stack(idxs, -1).reshape(shape)


def adaptive_max_pool1d(
    input: Tensor, output_size: _Out, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, L) or (C, L) input to output_size positions (and the argmax indices)."""
    _check_rank(input, 1, "adaptive_max_pool1d")
    out = _adaptive_max(
        input, _out_size(input, output_size, 1, "adaptive_max_pool1d"), "adaptive_max_pool1d"
    )
    return out if return_indices else out[0]


def adaptive_max_pool2d(
    input: Tensor, output_size: _Out, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, H, W) or (C, H, W) input to output_size (and the flat argmax indices)."""
    _check_rank(input, 2, "adaptive_max_pool2d")
    out = _adaptive_max(
        input, _out_size(input, output_size, 2, "adaptive_max_pool2d"), "adaptive_max_pool2d"
    )
    return out if return_indices else out[0]


def _lp_finish(out: Tensor, norm_type: float, count: int) -> Tensor:
    return (out.sign() * _C.relu(out.abs())).mul(count).pow(1.0 / norm_type)


def lp_pool1d(
    input: Tensor,
    norm_type: float,
    kernel_size: int,
    stride: _Int | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Power-average pooling (sum of x**p over each window)**(1/p) over (N, C, L) or (C, L) input."""
    k = _tuple(kernel_size, 1, "lp_pool1d", "kernel_size")[0]
    out = avg_pool1d(input.pow(norm_type), k, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, k)


def lp_pool2d(
    input: Tensor,
    norm_type: float,
    kernel_size: _Int,
    stride: _Int | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Power-average pooling (sum of x**p over each window)**(1/p) over (N, C, H, W) or (C, H, W) input."""
    kh, kw = _tuple(kernel_size, 2, "lp_pool2d", "kernel_size")
    out = _C.avg_pool2d(input.pow(norm_type), [kh, kw], stride, 0, ceil_mode, True, None)
    return _lp_finish(out, norm_type, kh * kw)


def _max_unpool(
    x: Tensor,
    indices: Tensor,
    n: int,
    kernel_size: _Int,
    stride: _Int | None,
    padding: _Int,
    output_size: Sequence[int] | None,
    op: str,
) -> Tensor:
    _check_rank(x, n, op)
    k = _tuple(kernel_size, n, op, "kernel_size")
    s = k if stride is None else _tuple(stride, n, op, "stride")
    p = _tuple(padding, n, op, "padding")
    spatial = x.shape[-n:]
    default = [(spatial[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(n)]
    if output_size is None:
        size = default
    else:
        size = [int(v) for v in output_size][-n:]
        if len(size) != n:
            raise ValueError(
                f"[{op}] output_size should have {n} or {n + 2} elements, got {output_size}"
            )
        for i in range(n):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < size[i] < hi:
                raise ValueError(
                    f"[{op}] invalid output_size {output_size} (dim {i} must be between {lo} and {hi})"
                )
    if tuple(indices.shape) != tuple(x.shape):
        raise ValueError(f"[{op}] indices {indices.shape} must have the shape of input {x.shape}")
    lead = x.shape[:-n]
    total = 1
    for v in size:
        total *= v
    flat = x.flatten(-n) if n > 1 else x
    idx = indices.flatten(-n) if n > 1 else indices
    base = zeros(*lead, total, dtype=x.dtype)
    out = base.scatter(-1, idx, flat.detach())
    if flat.requires_grad:
        # torch's gradient is a gather: every input at a repeated index gets that position's gradient.
        # scatter_add has that gradient; subtracting its detached value leaves scatter's forward values.
        out = out + (base.scatter_add(-1, idx, flat) - base.scatter_add(-1, idx, flat.detach()))
    return out.reshape(*lead, *size)


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Inverse of max_pool1d: input's values at indices in zeros of the unpooled length."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size, "max_unpool1d")


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: _Int,
    stride: _Int | None = None,
    padding: _Int = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Inverse of max_pool2d: input's values at the flat indices in zeros of the unpooled size."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size, "max_unpool2d")
