"""F.interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area) and the deprecated
upsample forms, as composites of core ops with torch's signatures, output sizes and index arithmetic.

Every mode but area is separable: one axis at a time, each output position reads a few input positions
(1 for nearest, 2 for linear, 4 for cubic) with fixed weights. The positions and weights are computed
here with numpy in the input's precision, exactly as torch's CPU kernels compute them (source index
``scale * (i + 0.5) - 0.5`` clamped at 0, or ``scale * i`` with align_corners; the scale is
``1 / scale_factor`` when a scale factor reaches the kernel, else in/out), and applied with
``index_select`` and a multiply, so the gradient flows through the core autograd. Area is adaptive
average pooling. antialias (bilinear, bicubic on 4-d input) uses torch's separable _aa kernels: each
output reads the inputs within a support widened by the downscaling factor, weighted by the triangle
(or Keys cubic, a = -0.5) filter at the distance scaled back, and normalised to sum to one.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import tensor

__all__ = ["interpolate", "upsample", "upsample_bilinear", "upsample_nearest"]

_Size = Union[int, Sequence[int], None]
_Scale = Union[float, Sequence[float], None]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
# The modes that need a fixed input rank, and that rank.
_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_CUBIC_A = -0.75


def _np_dtype(x: Tensor) -> Any:
    return np.float64 if x.dtype == _C.float64 else np.float32


def _area_scale(n_in: int, n_out: int, align_corners: bool, scale: float | None, dt: Any) -> Any:
    """torch's area_pixel_compute_scale, in the kernel's precision."""
    if align_corners:
        return dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0)
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n_in) / dt(n_out)


def _source_index(scale: Any, n_out: int, align_corners: bool, cubic: bool, dt: Any) -> Any:
    """torch's area_pixel_compute_source_index for every output position."""
    i = np.arange(n_out, dtype=dt)
    if align_corners:
        return scale * i
    real = scale * (i + dt(0.5)) - dt(0.5)
    return real if cubic else np.maximum(real, dt(0))


def _taps(
    mode: str, n_in: int, n_out: int, align_corners: bool, scale: float | None, dt: Any
) -> tuple[Any, Any] | None:
    """(indices [n_out, k], weights [n_out, k] or None) along one axis; None when the axis is copied."""
    if mode in ("nearest", "nearest-exact"):
        s = _area_scale(n_in, n_out, False, scale, dt)
        i = np.arange(n_out, dtype=dt)
        real = s * i if mode == "nearest" else s * (i + dt(0.5))
        idx = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
        return idx[:, None], None
    s = _area_scale(n_in, n_out, align_corners, scale, dt)
    if mode == "bicubic":
        real = _source_index(s, n_out, align_corners, True, dt)
        i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
        t = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
        a = dt(_CUBIC_A)

        def conv1(x: Any) -> Any:
            return ((a + dt(2)) * x - (a + dt(3))) * x * x + dt(1)

        def conv2(x: Any) -> Any:
            return ((a * x - dt(5) * a) * x + dt(8) * a) * x - dt(4) * a

        w = np.stack([conv2(t + dt(1)), conv1(t), conv1(dt(1) - t), conv2(dt(2) - t)], axis=1)
        idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, n_in - 1)
        return idx, w.astype(dt)
    if n_in == n_out:  # torch's linear kernels copy an axis whose size is unchanged
        return None
    real = _source_index(s, n_out, align_corners, False, dt)
    i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    lam1 = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], axis=1), np.stack([dt(1) - lam1, lam1], axis=1)


def _aa_taps(
    mode: str, n_in: int, n_out: int, align_corners: bool, scale: float | None, dt: Any
) -> tuple[Any, Any]:
    """torch's _compute_index_ranges_weights with antialias: (indices, weights) [n_out, k]."""
    s = float(_area_scale(n_in, n_out, align_corners, scale, dt))
    interp = 2 if mode == "bilinear" else 4
    support = interp * 0.5 * s if s >= 1.0 else interp * 0.5
    k = math.ceil(support) * 2 + 1
    invscale = 1.0 / s if s >= 1.0 else 1.0
    # torch evaluates the centre in double then stores it in the kernel's precision
    center = (s * (np.arange(n_out, dtype=np.float64) + 0.5)).astype(dt).astype(np.float64)
    lo = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    size = np.clip(np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n_in) - lo, 0, k)
    j = np.arange(k)[None, :]
    x = np.abs((j + lo[:, None] - center[:, None] + 0.5) * invscale)
    if mode == "bilinear":
        w = np.where(x < 1.0, 1.0 - x, 0.0)
    else:
        a = -0.5  # Keys' / PIL's coefficient, not the -0.75 of the non-antialiased kernel
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        w = np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))
    w = np.where(j < size[:, None], w, 0.0)
    total = w.sum(1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1.0), w)
    idx = np.minimum(lo[:, None] + j, n_in - 1)  # unused taps (weight 0) read a valid row
    return idx, w.astype(dt)


def _apply_axis(x: Tensor, dim: int, idx: Any, w: Any) -> Tensor:
    """Sum over taps j of x.index_select(dim, idx[:, j]) * w[:, j] (broadcast along dim)."""
    shape = [1] * x.dim()
    shape[dim] = idx.shape[0]
    out: Tensor | None = None
    for j in range(idx.shape[1]):
        g = x.index_select(dim, tensor(np.ascontiguousarray(idx[:, j])))
        if w is not None:
            g = g * tensor(np.ascontiguousarray(w[:, j]), dtype=x.dtype).reshape(shape)
        out = g if out is None else out + g
    assert out is not None
    return out


def _adaptive_avg(x: Tensor, output_size: Sequence[int]) -> Tensor:
    """Adaptive average pooling over the last len(output_size) (1 to 3) dims via the 2-d kernel."""
    k = len(output_size)
    lead = x.shape[:-k]
    if 0 in output_size:  # torch allows an empty output here
        return x.flatten(-k).narrow(-1, 0, 0).reshape(*lead, *output_size)
    if k == 1:
        return _C.adaptive_avg_pool2d(x.unsqueeze(-2), [1, output_size[0]]).squeeze(-2)
    if k == 2:
        return _C.adaptive_avg_pool2d(x, list(output_size))
    d, h, w = x.shape[-3:]
    y = _C.adaptive_avg_pool2d(x.reshape(-1, d, h, w), [output_size[1], output_size[2]])
    oh, ow = output_size[1], output_size[2]
    y = _C.adaptive_avg_pool2d(y.reshape(-1, 1, d, oh * ow), [output_size[0], oh * ow])
    return y.reshape(*lead, output_size[0], oh, ow)


def interpolate(
    input: Tensor,
    size: _Size = None,
    scale_factor: _Scale = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resizes [N, C, *spatial] input (1 to 3 spatial dims) to ``size`` or by ``scale_factor``.

    mode is one of nearest, nearest-exact, linear (3-d input), bilinear and bicubic (4-d), trilinear
    (5-d), area. align_corners (interpolating modes only) maps the corner pixels' centres onto each
    other. With recompute_scale_factor the scale used is in/out of the computed size; otherwise a
    given scale_factor is the one the index arithmetic uses. antialias (bilinear and bicubic on 4-d
    input) low-pass filters while downsampling, as torch's _upsample_*2d_aa kernels.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "[interpolate] align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    scales: list[float | None]
    if size is not None and scale_factor is not None:
        raise ValueError("[interpolate] only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "[interpolate] Input and output must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {spatial} and output size of {size}"
                )
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim  # type: ignore[arg-type]
        scales = [None] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "[interpolate] Input and scale_factor must have the same number of spatial "
                    f"dimensions, but got input with spatial dimensions of {spatial} and scale_factor "
                    f"of shape {scale_factor}"
                )
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim  # type: ignore[arg-type]
        output_size = [math.floor(float(n) * s) for n, s in zip(spatial, scales)]  # type: ignore[operator]
    else:
        raise ValueError("[interpolate] either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(
            "[interpolate] recompute_scale_factor is not meaningful with an explicit size."
        )
    if mode == "area" or recompute_scale_factor:
        scales = [None] * dim
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError(
            "[interpolate] Anti-alias option is restricted to bilinear and bicubic modes and "
            "requires a 4-D tensor as input"
        )
    if mode not in _MODES or not 3 <= input.dim() <= 5:
        raise NotImplementedError(
            "[interpolate] Input Error: Only 3D, 4D and 5D input Tensors supported "
            f"(got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | trilinear "
            f"| area | nearest-exact (got {mode})"
        )
    if mode in _RANK and input.dim() != _RANK[mode]:
        raise NotImplementedError(
            f"[interpolate] Got {input.dim()}D input, but {mode} mode needs {_RANK[mode]}D input"
        )
    if mode == "area" and min(spatial) > 0 and min(output_size) >= 0:
        return _adaptive_avg(input, output_size)
    if any(n <= 0 for n in spatial) or any(n <= 0 for n in output_size):
        raise RuntimeError(
            "[interpolate] Input and output sizes should be greater than 0, but got input "
            f"{tuple(spatial)} and output {tuple(output_size)}"
        )
    dt = _np_dtype(input)
    out = input
    for d in range(dim):
        if antialias:
            taps: tuple[Any, Any] | None = _aa_taps(
                mode, spatial[d], output_size[d], bool(align_corners), scales[d], dt
            )
        else:
            taps = _taps(mode, spatial[d], output_size[d], bool(align_corners), scales[d], dt)
        if taps is not None:
            out = _apply_axis(out, d + 2, taps[0], taps[1])
    if out is input:
        out = input.clone()
    return out


def upsample(
    input: Tensor,
    size: _Size = None,
    scale_factor: _Scale = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of interpolate (warns, as torch does)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: _Size = None, scale_factor: _Scale = None) -> Tensor:
    """Deprecated: interpolate with mode='nearest' (warns, as torch does)."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: _Size = None, scale_factor: _Scale = None) -> Tensor:
    """Deprecated: interpolate with mode='bilinear', align_corners=True (warns, as torch does)."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
