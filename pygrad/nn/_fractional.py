"""Fractional max pooling (Graham, 2014) with torch's pseudo-random window placement:
``fractional_max_pool2d/3d`` and their ``_with_indices`` forms. Given the same ``_random_samples``
as torch, the windows, values and indices are torch's (the interval arithmetic is done in the
input's dtype, as torch's kernel does); without them the samples come from pygrad's generator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from pygrad._C import Tensor
from pygrad._factories import rand, tensor

__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]

_Int = Union[int, Sequence[int]]
_Ratio = Union[float, Sequence[float], None]


def _tuple(v: Any, n: int) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _intervals(
    sample: np.ndarray, size_in: int, size_out: int, pool: int, dtype: type
) -> np.ndarray:
    """Window starts [..., size_out] for samples [...] (torch's generate_intervals, vectorised)."""
    u: Any = sample.astype(dtype)[..., None]
    starts = np.empty((*sample.shape, size_out), dtype=np.int64)
    if size_out > 1:
        alpha = dtype(size_in - pool) / dtype(size_out - 1)
        i: Any = np.arange(size_out - 1, dtype=dtype)
        # float -> int truncation of (i + u) * alpha and u * alpha, in the input's precision
        starts[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    starts[..., -1] = size_in - pool
    return starts


def _fractional(
    input: Tensor,
    n: int,
    kernel_size: _Int,
    output_size: _Int | None,
    output_ratio: _Ratio,
    samples: Tensor | None,
    op: str,
) -> tuple[Tensor, Tensor]:
    if input.ndim not in (n + 1, n + 2):
        raise ValueError(f"{op}(): expected {n + 1}D or {n + 2}D input, got {input.ndim}D")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    batched = input.ndim == n + 2
    x = input if batched else input.unsqueeze(0)
    spatial = list(x.shape[2:])
    k = [int(v) for v in _tuple(kernel_size, n)]
    if output_size is None:
        ratio = [float(r) for r in _tuple(output_ratio, n)]
        out = [int(s * r) for s, r in zip(spatial, ratio)]
    else:
        out = [int(v) for v in _tuple(output_size, n)]
    for d in range(n):
        if out[d] + k[d] - 1 > spatial[d]:
            raise RuntimeError(
                f"{op}(): pool size {k[d]} too large relative to input size {spatial[d]} "
                f"for output size {out[d]} (dim {d})"
            )
    b, c = x.shape[0], x.shape[1]
    if samples is None:
        samples = rand(b, c, n, dtype=x.dtype)
    s = samples.detach().numpy()
    if s.shape != (b, c, n):
        raise RuntimeError(f"{op}(): expected _random_samples of shape {(b, c, n)}, got {s.shape}")
    dtype = np.float64 if s.dtype == np.float64 else np.float32
    # torch reads the samples last dim first: W (and T, H for 3-d) from sample 0, 1, 2.
    order = list(range(n))[::-1] if n == 2 else list(range(n))
    starts = [_intervals(s[..., order[d]], spatial[d], out[d], k[d], dtype) for d in range(n)]
    # Flat input positions of every window element: [B, C, *out, prod(k)].
    strides = [int(np.prod(spatial[d + 1 :])) for d in range(n)]
    flat = np.zeros((b, c, *out, int(np.prod(k))), dtype=np.int64)
    offsets = np.stack(np.meshgrid(*[np.arange(kk) for kk in k], indexing="ij"), -1).reshape(-1, n)
    for d in range(n):
        shape = [b, c] + [1] * n + [1]
        shape[2 + d] = out[d]
        flat += (starts[d].reshape(shape) + offsets[:, d]) * strides[d]
    index = tensor(flat.reshape(b, c, -1))
    windows = x.reshape(b, c, -1).gather(2, index).reshape(b, c, *out, -1)
    values, arg = windows.max(dim=-1)
    indices = tensor(np.take_along_axis(flat, arg.numpy()[..., None], -1)[..., 0])
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size: _Int,
    output_size: _Int | None = None,
    output_ratio: _Ratio = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """2-d fractional max pooling of [N, C, H, W] (or [C, H, W]): (values, flat H*W indices)."""
    return _fractional(
        input, 2, kernel_size, output_size, output_ratio, _random_samples, "fractional_max_pool2d"
    )


def fractional_max_pool2d(
    input: Tensor,
    kernel_size: _Int,
    output_size: _Int | None = None,
    output_ratio: _Ratio = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Tensor | tuple[Tensor, Tensor]:
    """2-d fractional max pooling; (values, indices) with return_indices."""
    values, indices = fractional_max_pool2d_with_indices(
        input, kernel_size, output_size, output_ratio, True, _random_samples
    )
    return (values, indices) if return_indices else values


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size: _Int,
    output_size: _Int | None = None,
    output_ratio: _Ratio = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """3-d fractional max pooling of [N, C, T, H, W] (or [C, T, H, W]): (values, flat indices)."""
    return _fractional(
        input, 3, kernel_size, output_size, output_ratio, _random_samples, "fractional_max_pool3d"
    )


def fractional_max_pool3d(
    input: Tensor,
    kernel_size: _Int,
    output_size: _Int | None = None,
    output_ratio: _Ratio = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Tensor | tuple[Tensor, Tensor]:
    """3-d fractional max pooling; (values, indices) with return_indices."""
    values, indices = fractional_max_pool3d_with_indices(
        input, kernel_size, output_size, output_ratio, True, _random_samples
    )
    return (values, indices) if return_indices else values
