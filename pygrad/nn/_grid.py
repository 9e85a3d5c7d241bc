"""F.affine_grid and F.grid_sample (bilinear, nearest and bicubic, zeros/border/reflection padding, 4-d and 5-d
input) as composites of core ops with torch's signatures, coordinate arithmetic and gradients.

affine_grid multiplies torch's base grid (x, y[, z], 1 at linspace(-1, 1) positions, scaled by
(n - 1) / n without align_corners) by theta transposed. grid_sample unnormalizes each grid coordinate
to a source position (``(g + 1) / 2 * (n - 1)`` with align_corners, else ``((g + 1) * n - 1) / 2``),
applies the padding mode (a clamp for border, torch's reflect-then-clamp for reflection), and reads the
2**d corners around it with ``gather`` on the flattened input, weighted by the (differentiable) linear
weights and an in-bounds mask, so the gradients w.r.t. both the input and the grid flow through the
core autograd exactly as torch's kernel computes them (floor is constant, a clamp passes gradient
inside its closed range). Nearest reads the corner at the rounded (half to even) position; its grid
gradient is zero, as torch's. Bicubic (4-d only) reads the 4x4 taps around the unpadded source
position, applies the padding mode to each (integer) tap coordinate as torch's get_value_bounded, and
weights them with the cubic convolution coefficients (A = -0.75) of the fractional offsets.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import tensor

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _default_align(align_corners: bool | None, op: str) -> bool:
    if align_corners is None:
        warnings.warn(
            f"[{op}] the default align_corners=False is used; pass align_corners explicitly",
            UserWarning,
            stacklevel=3,
        )
        return False
    return bool(align_corners)


def _base(n: int, align_corners: bool, dt: Any) -> Any:
    """torch's linspace_from_neg_one: n positions in [-1, 1], scaled by (n - 1) / n unless aligned."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dt)
    r: Any = np.linspace(-1, 1, n).astype(dt)
    if not align_corners:
        r = r * dt(n - 1) / dt(n)
    return r.astype(dt)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps theta (N, 2, 3) or (N, 3, 4)."""
    align = _default_align(align_corners, "affine_grid")
    if not theta.is_floating_point():
        raise ValueError(
            f"[affine_grid] expected theta to have floating point type, got {theta.dtype}"
        )
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                f"[affine_grid] expected a batch of 2D affine matrices of shape Nx2x3 for size "
                f"{size}, got {tuple(theta.shape)}"
            )
        spatial = size[2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(
                f"[affine_grid] expected a batch of 3D affine matrices of shape Nx3x4 for size "
                f"{size}, got {tuple(theta.shape)}"
            )
        spatial = size[2:]
    else:
        raise NotImplementedError(
            f"[affine_grid] only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively, got size {size}"
        )
    if min(size) <= 0:
        raise ValueError(f"[affine_grid] expected non-zero, positive output size, got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"[affine_grid] theta batch {theta.shape[0]} does not match size batch {size[0]}"
        )
    if align and min(spatial) == 1:
        warnings.warn(
            "[affine_grid] unit-size grids with align_corners=True are not an intended use case",
            UserWarning,
            stacklevel=2,
        )
    dt = np.float64 if theta.dtype == _C.float64 else np.float32
    # Coordinates in x, y[, z] order: x runs along the last spatial dim.
    axes = [_base(n, align, dt) for n in spatial[::-1]]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # each of shape spatial, x first
    base = np.stack([*mesh, np.ones(spatial, dtype=dt)], -1).reshape(1, -1, len(spatial) + 1)
    base_t = tensor(base, dtype=theta.dtype)
    grid = base_t.matmul(theta.transpose(1, 2))
    return grid.reshape(size[0], *spatial, len(spatial))


def _reflect(x: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """torch's reflect_coordinates: reflects x into [twice_low / 2, twice_high / 2]."""
    if twice_low == twice_high:
        return x * 0
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    x = x - lo
    x = _C.where(x < 0, -x, x)
    extra = x.fmod(span)
    flips = (x.detach() / span).floor()
    even = flips.remainder(2) == 0
    return _C.where(even, extra + lo, (extra * -1) + (span + lo))


def _unnormalize(g: Tensor, n: int, align: bool) -> Tensor:
    """torch's grid_sampler_unnormalize: [-1, 1] to a source position over an axis of n."""
    return (g + 1) / 2 * (n - 1) if align else ((g + 1) * n - 1) / 2


def _pad(x: Tensor, n: int, padding_mode: str, align: bool) -> Tensor:
    """torch's compute_coordinates: the padding mode applied to a source position."""
    if padding_mode == "border":
        x = x.clamp(0, n - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (n - 1)) if align else _reflect(x, -1, 2 * n - 1)
        x = x.clamp(0, n - 1)
    return x


def _source(g: Tensor, n: int, padding_mode: str, align: bool) -> Tensor:
    """torch's grid_sampler_compute_source_index for one coordinate over an axis of n positions."""
    return _pad(_unnormalize(g, n, align), n, padding_mode, align)


def _cubic_weights(t: Tensor) -> list[Tensor]:
    """torch's get_cubic_upsample_coefficients (A = -0.75) of the taps at -1, 0, 1, 2 from offset t."""
    a = -0.75

    def near(x: Tensor) -> Tensor:  # cubic_convolution1, |x| <= 1
        return ((x * (a + 2) - (a + 3)) * x) * x + 1

    def far(x: Tensor) -> Tensor:  # cubic_convolution2, 1 < |x| < 2
        return ((x * a - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _check(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(
            f"[grid_sample] expected mode to be 'bilinear', 'nearest' or 'bicubic', got '{mode}'"
        )
    if padding_mode not in _PADDING:
        raise ValueError(
            f"[grid_sample] expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"got '{padding_mode}'"
        )
    if input.dim() not in (4, 5):
        raise RuntimeError(f"[grid_sample] expected 4D or 5D input, got {input.dim()}D")
    if grid.dim() != input.dim():
        raise RuntimeError(
            f"[grid_sample] expected grid to have the input's {input.dim()} dims, got {grid.dim()}"
        )
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(
            f"[grid_sample] expected grid to have size {input.dim() - 2} in last dimension, "
            f"got grid of shape {tuple(grid.shape)}"
        )
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(
            f"[grid_sample] expected grid and input to have same batch size, got input of shape "
            f"{tuple(input.shape)} and grid of shape {tuple(grid.shape)}"
        )
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"[grid_sample] expected input and grid to have the same dtype, got {input.dtype} "
            f"and {grid.dtype}"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"[grid_sample] expected a floating point input, got {input.dtype}")
    if any(s == 0 for s in input.shape[2:]):
        raise RuntimeError(
            f"[grid_sample] expected input to have non-empty spatial dimensions, got {tuple(input.shape)}"
        )
    if mode == "bicubic" and input.dim() != 4:
        raise RuntimeError("[grid_sample] bicubic interpolation only supports 4D input")


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Samples input (N, C, [D,] H, W) at the normalized positions of grid (N, [Do,] Ho, Wo, 2|3)."""
    _check(input, grid, mode, padding_mode)
    align = _default_align(align_corners, "grid_sample")
    nd = input.dim() - 2
    n, c = input.shape[0], input.shape[1]
    spatial = list(input.shape[2:])  # [D,] H, W
    sizes = spatial[::-1]  # W, H[, D]: the axis each grid coordinate runs along
    out_spatial = list(grid.shape[1:-1])
    flat_in = input.reshape(n, c, -1)
    g = grid.reshape(n, -1, nd)
    p = g.shape[1]
    if mode == "bicubic":
        # padding applies to each tap, not to the position (torch's get_value_bounded)
        pos = [_unnormalize(g.select(-1, k), sizes[k], align) for k in range(nd)]
    else:
        pos = [_source(g.select(-1, k), sizes[k], padding_mode, align) for k in range(nd)]

    def read(corner: list[Tensor]) -> tuple[Tensor, Tensor]:
        """Values (N, C, P) at integer corner coordinates (x first) and their in-bounds mask (N, P)."""
        inside = None
        flat = None
        for k in range(nd - 1, -1, -1):  # slowest axis (z or y) first
            ck = corner[k]
            ok = (ck >= 0).logical_and(ck < sizes[k])
            inside = ok if inside is None else inside.logical_and(ok)
            ck = ck.clamp(0, sizes[k] - 1)
            flat = ck if flat is None else flat * sizes[k] + ck
        assert flat is not None and inside is not None
        idx = flat.unsqueeze(1).expand(n, c, p)
        return flat_in.gather(2, idx), inside

    out: Tensor | None = None
    if mode == "bicubic":
        low = [q.detach().floor() for q in pos]
        weights = [_cubic_weights(pos[k] - low[k]) for k in range(nd)]
        taps = [
            [_pad(low[k] + (i - 1), sizes[k], padding_mode, align).long() for i in range(4)]
            for k in range(nd)
        ]
        for i, j in itertools.product(range(4), repeat=2):
            vals, inside = read([taps[0][i], taps[1][j]])
            w = weights[0][i] * weights[1][j] * inside.to(input.dtype)
            term = vals * w.unsqueeze(1)
            out = term if out is None else out + term
    elif mode == "nearest":
        corner = [q.detach().round().long() for q in pos]
        vals, inside = read(corner)
        w = inside.to(input.dtype)
        for q in pos:  # a zero term that gives the grid its (zero) gradient, as torch's
            w = w + (q - q.detach()) * 0
        out = vals * w.unsqueeze(1)
    else:
        low = [q.detach().floor() for q in pos]
        for bits in itertools.product((0, 1), repeat=nd):
            corner = [(low[k] + bits[k]).long() for k in range(nd)]
            w = None
            for k in range(nd):
                wk = pos[k] - low[k] if bits[k] else (low[k] + 1) - pos[k]
                w = wk if w is None else w * wk
            assert w is not None
            vals, inside = read(corner)
            term = vals * (w * inside.to(input.dtype)).unsqueeze(1)
            out = term if out is None else out + term
    assert out is not None
    return out.reshape(n, c, *out_spatial)
