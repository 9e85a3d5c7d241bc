"""Weight initialisation with PyTorch's names and formulas; every function fills a tensor in place.

They draw from pygrad's seeded generator (``pygrad.manual_seed``) or a given pygrad.Generator,
and run under no_grad, so they work on parameters that require grad.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import rand, randn
from pygrad._grad_mode import no_grad
from pygrad._random import Generator

__all__ = [
    "calculate_gain",
    "constant",
    "constant_",
    "dirac",
    "dirac_",
    "eye",
    "eye_",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "normal",
    "normal_",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "sparse",
    "sparse_",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2),
    leaky_relu sqrt(2 / (1 + slope^2)) (slope param defaults to 0.01), selu 3/4."""
    linear_fns = [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    ]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"[calculate_gain] negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"[calculate_gain] unsupported nonlinearity {nonlinearity}")


def _fill(tensor: Tensor, values: Tensor) -> Tensor:
    with no_grad():
        tensor.copy_(values)
    return tensor


def _float_dtype(tensor: Tensor, op: str) -> _C.dtype:
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"[{op}] expected a floating-point tensor, got {tensor.dtype}")
    return tensor.dtype


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fills tensor with values drawn from U(a, b) (from ``generator`` when given)."""
    dtype = _float_dtype(tensor, "uniform_")
    return _fill(tensor, rand(tensor.shape, dtype=dtype, generator=generator) * (b - a) + a)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fills tensor with values drawn from N(mean, std^2) (from ``generator`` when given)."""
    dtype = _float_dtype(tensor, "normal_")
    return _fill(tensor, randn(tensor.shape, dtype=dtype, generator=generator) * std + mean)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fills tensor from N(mean, std^2) truncated to [a, b], by rejection as torch does.

    Args:
        tensor: the floating-point tensor to fill in place.
        mean, std: the mean and standard deviation of the normal distribution.
        a, b: the lower and upper bounds (values outside are redrawn).
        generator: a pygrad.Generator to draw from (the global one when None).
    Returns:
        tensor.
    """
    dtype = _float_dtype(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"[trunc_normal_] expected a < b, got a={a} b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    shape = tensor.shape
    # Bounds rounded to the tensor's dtype, so the rejection test agrees with the stored values.
    lo = _C._full([], a, dtype, False).item()
    hi = _C._full([], b, dtype, False).item()
    if _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std) > 0.3:
        # Most normal draws land inside: redraw the ones that don't.
        values = randn(shape, dtype=dtype, generator=generator) * std + mean
        while True:
            bad = (values < lo).logical_or(values > hi)
            if not bad.any().item():
                return _fill(tensor, values)
            fresh = randn(shape, dtype=dtype, generator=generator) * std + mean
            values = _C.where(bad, fresh, values)
    # A narrow or far window: uniform proposals on [a, b] accepted with the normal density's ratio.
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def propose() -> tuple[Tensor, Tensor]:
        x = rand(shape, dtype=dtype, generator=generator) * (b - a) + a
        log_ratio = ((x - mean) / std) ** 2 * -0.5 - log_peak
        accept = rand(shape, dtype=dtype, generator=generator).log() <= log_ratio
        return x, accept

    values, done = propose()
    while not done.all().item():
        x, accept = propose()
        take = done.logical_not().logical_and(accept)
        values = _C.where(take, x, values)
        done = done.logical_or(accept)
    return _fill(tensor, values)


def _normal_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fills tensor with val."""
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    """Fills tensor with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fills tensor with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fills a 2-D tensor with the identity matrix."""
    if tensor.ndim != 2:
        raise ValueError("[eye_] only tensors with 2 dimensions are supported")
    return _fill(tensor, _C._eye(tensor.shape[0], tensor.shape[1], tensor.dtype, False))


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            "[init] fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"[init] mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain(nonlinearity, a) * sqrt(3 / fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He normal: N(0, std^2) with std = gain(nonlinearity, a) / sqrt(fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fills a 3-, 4- or 5-D convolution weight with the Dirac delta: each of the first
    min(out_channels // groups, in_channels) channels of every group passes through unchanged.

    Args:
        tensor: the [out_channels, in_channels, *kernel] weight to fill in place.
        groups: the number of groups in the convolution (out_channels must divide by it).
    Returns:
        tensor.
    """
    import numpy as np

    if tensor.ndim not in (3, 4, 5):
        raise ValueError("[dirac_] Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("[dirac_] dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    values = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min(per_group, sizes[1])):
            values[(g * per_group + d, d) + centre] = 1.0  # noqa: RUF005  (py3.9 has no star in subscripts)
    return _fill(tensor, _C.from_numpy(values)._to_dtype(tensor.dtype))


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fills tensor with a (semi-)orthogonal matrix: the Q of the QR decomposition of a normal
    matrix, sign-corrected by diag(R) so that it is uniformly (Haar) distributed, times gain.
    Dimensions past the first are flattened; rows W W^T = gain^2 I when rows <= cols.

    Args:
        tensor: a tensor with at least 2 dimensions, filled in place.
        gain: the scale factor.
        generator: a pygrad.Generator to draw from (the global one when None).
    Returns:
        tensor.
    """
    if tensor.ndim < 2:
        raise ValueError("[orthogonal_] Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    dtype = _float_dtype(tensor, "orthogonal_")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = randn([rows, cols], dtype=dtype, generator=generator)
    if rows < cols:
        flat = flat.t()
    q, r = _qr(flat)
    q = q * r.diagonal().sign()
    if rows < cols:
        q = q.t()
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def _qr(x: Tensor) -> tuple[Tensor, Tensor]:
    from pygrad import linalg

    q, r = linalg.qr(x)
    return q, r


def sparse_(
    tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None
) -> Tensor:
    """Fills a 2-D tensor from N(0, std^2) and zeroes ceil(sparsity * rows) random entries of
    every column.

    Args:
        tensor: the 2-D tensor to fill in place.
        sparsity: the fraction of each column set to zero.
        std: the standard deviation of the non-zero values.
        generator: a pygrad.Generator to draw from, for the values and the zero positions (torch
            draws the positions from the global generator).
    Returns:
        tensor.
    """
    if tensor.ndim != 2:
        raise ValueError("[sparse_] Only tensors with 2 dimensions are supported")
    dtype = _float_dtype(tensor, "sparse_")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    values = randn([rows, cols], dtype=dtype, generator=generator) * std
    # Each column's rank of a random key: the num_zeros smallest are a uniform random subset.
    keys = rand([rows, cols], dtype=_C.float64, generator=generator)
    ranks = keys.argsort(dim=0).argsort(dim=0)
    return _fill(tensor, _C.where(ranks < num_zeros, values * 0.0, values))


def _make_deprecate(method: Callable[..., Tensor]) -> Callable[..., Tensor]:
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
            FutureWarning,
            stacklevel=2,
        )
        return method(*args, **kwargs)

    deprecated_init.__name__ = old_name
    deprecated_init.__qualname__ = old_name
    deprecated_init.__doc__ = f"Deprecated: use ``pygrad.nn.init.{new_name}``."
    return deprecated_init


# torch keeps these old names, with a FutureWarning.
uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
