"""The activation functions of nn.functional beyond relu, leaky_relu, gelu, sigmoid, tanh and the softmaxes,
as composites of core ops with torch's signatures and gradients; also normalize, pixel_shuffle,
pixel_unshuffle and channel_shuffle.

Each piecewise function is written with ``where`` so that its gradient at a kink is the one torch's
kernel gives there (e.g. hardtanh's is 0 at min_val and max_val, elu's is alpha at 0), and NaN goes
through as it does in torch. A branch that ``where`` does not select gets a zero gradient, so a branch
that could overflow (exp of a large x) is evaluated on clamped input: 0 * inf would otherwise be NaN.
"""

from __future__ import annotations

import operator
import warnings
from typing import Callable

from pygrad import _C
from pygrad._autocast import autocast_lower_precision
from pygrad._C import Tensor

__all__ = [
    "celu",
    "celu_",
    "channel_shuffle",
    "elu",
    "elu_",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu_",
    "logsigmoid",
    "mish",
    "normalize",
    "pixel_shuffle",
    "pixel_unshuffle",
    "prelu",
    "relu6",
    "relu_",
    "rrelu",
    "rrelu_",
    "selu",
    "selu_",
    "silu",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
    "threshold_",
]

# SELU's constants (Klambauer et al. 2017), to the digits torch uses.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# --------------------------------------------------------------------------- helpers
def _check_float(input: Tensor, op: str) -> None:
    # torch has no integer kernel for these (it raises "not implemented for 'Long'").
    if not input.dtype.is_floating_point:
        raise TypeError(f"[{op}] expected a floating-point tensor, got {input.dtype}")


def _scalar(value: float, like: Tensor) -> Tensor:
    """A 0-d tensor of like's dtype: a where() branch that keeps an integer input integer."""
    return _C._full([], value, like.dtype, False)


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"[{op}] dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def _apply(input: Tensor, fn: Callable[[Tensor], Tensor], inplace: bool, op: str) -> Tensor:
    """fn(input), or with inplace=True the same values written into input, which is returned."""
    if not inplace:
        return fn(input)
    if input.requires_grad and _C.is_grad_enabled():
        if input.is_leaf:
            raise RuntimeError(
                f"[{op}] a leaf tensor that requires grad is being used in an in-place operation; "
                "pass inplace=False, or wrap the call in pygrad.no_grad()"
            )
        # The composite saves its input for backward; computing it on a copy keeps that saved
        # tensor intact when input is overwritten (the gradient still flows to input's history).
        return input.copy_(fn(input.clone()))
    return input.copy_(fn(input))


# --------------------------------------------------------------------------- piecewise-linear
def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """Clamps to [min_val, max_val]; the gradient is 1 strictly inside, 0 at and beyond the ends.

    Args:
        input: a tensor (integer tensors stay integer, as in torch).
        min_val: the lower end of the linear region.
        max_val: the upper end (not below min_val).
        inplace: write the result into input and return input (not allowed on a leaf that
            requires grad while grad is recorded).
    """
    if min_val > max_val:
        raise ValueError(
            f"[hardtanh] min_val cannot be greater than max_val, got {min_val} > {max_val}"
        )

    def fn(x: Tensor) -> Tensor:
        upper = _C.where(x >= max_val, _scalar(max_val, x), x)
        return _C.where(x <= min_val, _scalar(min_val, x), upper)

    return _apply(input, fn, inplace, "hardtanh")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6), so the gradient is 0 at 0 and at 6."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _threshold(input: Tensor, level: float, value: float, inplace: bool) -> Tensor:
    # Not inside threshold(): its argument named threshold (torch's name) hides the function there.
    return _apply(input, lambda x: _C.where(x <= level, _scalar(value, x), x), inplace, "threshold")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value (NaN stays NaN); gradient 1 where x > threshold."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold in place."""
    return _threshold(input, threshold, value, True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    _check_float(input, "hardshrink")
    inside = (input >= -lambd) & (input <= lambd)
    return _C.where(inside, _scalar(0, input), input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (gradient 0 at +-lambd)."""
    _check_float(input, "softshrink")
    if not lambd >= 0:
        raise ValueError(f"[softshrink] lambda must be at least 0, but found {lambd}")
    # clamp's gradient is 1 at its ends (as torch's), so 1 - that is 0 at +-lambd, as torch's softshrink.
    return input - input.clamp(-lambd, lambd)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6; gradient 1/6 strictly between -3 and 3, else 0."""
    _check_float(input, "hardsigmoid")

    def fn(x: Tensor) -> Tensor:
        upper = _C.where(x >= 3.0, _scalar(1, x), (x + 3.0) / 6.0)
        return _C.where(x <= -3.0, _scalar(0, x), upper)

    return _apply(input, fn, inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6; gradient 0 at -3 and 1 at 3, as torch's kernel."""
    _check_float(input, "hardswish")

    def fn(x: Tensor) -> Tensor:
        # x times the clamped factor, as torch computes it: -inf gives NaN (-inf * 0) like torch.
        factor = _C.where(x <= -3.0, _scalar(0, x), _C.where(x >= 3.0, _scalar(6, x), x + 3.0))
        return x * factor / 6.0

    return _apply(input, fn, inplace, "hardswish")


@autocast_lower_precision
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x, with one weight or one per channel (dim 1).

    Args:
        input: a floating-point tensor; its dim 1 is the channel dim (none below 2 dims).
        weight: a 0-d or 1-d tensor of 1 or C elements (C = input.shape[1]).
    """
    _check_float(input, "prelu")
    if weight.ndim > 1:
        raise ValueError(
            f"[prelu] expected weight to be a scalar or 1-d tensor, but got {weight.ndim}-d"
        )
    count = weight.numel()
    if count != 1:
        if input.ndim == 0:
            raise ValueError("[prelu] a 0-d input takes a weight of one element")
        channels = input.shape[1] if input.ndim > 1 else 1
        if channels != count:
            raise ValueError(
                f"[prelu] mismatch of parameter numbers and input channel size: found parameter "
                f"numbers = {count} and channel size = {channels}"
            )
    if input.ndim != weight.ndim:
        shape = [1] * input.ndim
        if input.ndim > 1:
            shape[1] = count
        weight = weight.reshape(shape)
    return _C.where(input > 0, input, weight * input)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: x for x > 0, else a * x.

    Args:
        input: a floating-point tensor.
        lower, upper: while training, each element's slope a is drawn uniformly from
            [lower, upper) (pygrad's seeded generator: pygrad.manual_seed); otherwise a is
            (lower + upper) / 2.
        training: draw random slopes (True) or use the mean slope.
        inplace: write the result into input and return input.
    """
    if lower > upper:
        raise ValueError(
            f"[rrelu] lower bound should be less than or equal to the upper bound, got {lower} > {upper}"
        )
    _check_float(input, "rrelu")
    if not training:
        return _apply(input, lambda x: _C.leaky_relu(x, (lower + upper) / 2), inplace, "rrelu")

    def fn(x: Tensor) -> Tensor:
        slopes = _C._rand(list(x.shape), x.dtype, False) * (upper - lower) + lower
        # A constant factor: the gradient is the slope drawn (1 where x > 0), as torch's noise.
        return x * _C.where(x <= 0, slopes, _scalar(1, x))

    return _apply(input, fn, inplace, "rrelu")


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """rrelu in place."""
    return rrelu(input, lower, upper, training, inplace=True)


def relu_(input: Tensor) -> Tensor:
    """relu in place."""
    return _apply(input, _C.relu, True, "relu")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu in place."""
    _check_float(input, "leaky_relu")
    return _apply(input, lambda x: _C.leaky_relu(x, negative_slope), True, "leaky_relu")


# --------------------------------------------------------------------------- exponential family
def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """scale * x for x > 0, else scale * alpha * (exp(input_scale * x) - 1): torch's elu kernel."""
    negative = _C.expm1(x.clamp(max=0.0) * input_scale) * (scale * alpha)
    return _C.where(x > 0, x * scale if scale != 1.0 else x, negative)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha * (exp(x) - 1); the gradient at 0 is alpha, as torch's."""
    _check_float(input, "elu")
    return _apply(input, lambda x: _elu(x, alpha, 1.0, 1.0), inplace, "elu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu in place."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's fixed alpha ~ 1.6733 and scale ~ 1.0507."""
    _check_float(input, "selu")
    return _apply(input, lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE, 1.0), inplace, "selu")


def selu_(input: Tensor) -> Tensor:
    """selu in place."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); alpha must not be 0."""
    _check_float(input, "celu")
    if alpha == 0:
        raise ValueError("[celu] alpha cannot be 0 for CELU")
    return _apply(input, lambda x: _elu(x, alpha, 1.0, 1.0 / alpha), inplace, "celu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu in place."""
    return celu(input, alpha, inplace=True)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as torch)."""
    _check_float(input, "softplus")
    scaled = input * beta if beta != 1.0 else input
    # logaddexp(z, 0) = log(1 + exp(z)) without overflow, with gradient sigmoid(z) everywhere.
    smooth = _C.logaddexp(scaled, 0.0)
    return _C.where(scaled > threshold, input, smooth / beta if beta != 1.0 else smooth)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -log(1 + exp(-x)), without overflow for either sign."""
    _check_float(input, "logsigmoid")
    return -_C.logaddexp(-input, 0.0)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _check_float(input, "silu")
    return _apply(input, lambda x: x * _C.sigmoid(x), inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    _check_float(input, "mish")
    return _apply(input, lambda x: x * _C.tanh(_C.logaddexp(x, 0.0)), inplace, "mish")


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) (integer input gives float, as torch)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


# --------------------------------------------------------------------------- along a dim
def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _C.dtype | None = None
) -> Tensor:
    """softmax(-x) along dim; dtype casts the input first. dim=None picks torch's legacy dim with a
    deprecation warning (0 for 0-, 1- and 3-d input, else 1)."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to include "
            "dim=X as an argument.",
            UserWarning,
            stacklevel=_stacklevel,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    x = input if dtype is None else input.to(dtype)
    _check_float(x, "softmin")
    return _C.softmax(-x, _wrap_dim(dim, x.ndim, "softmin"))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a * sigmoid(b), a and b the first and second halves of input along dim."""
    _check_float(input, "glu")
    if input.ndim == 0:
        raise ValueError("[glu] glu does not support scalars because halving size must be even")
    dim = _wrap_dim(dim, input.ndim, "glu")
    size = input.shape[dim]
    if size % 2:
        raise ValueError(
            f"[glu] halving dimension must be even, but dimension {dim} is size {size}"
        )
    half = size // 2
    return input.narrow(dim, 0, half) * _C.sigmoid(input.narrow(dim, half, half))


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """x / max(||x||_p, eps), the p-norm taken along dim.

    Args:
        input: a floating-point tensor.
        p: the norm's exponent (inf for the max-norm).
        dim: the dim reduced by the norm.
        eps: the smallest divisor, so a zero vector stays zero.
        out: if given, the result is copied into it (same shape) and it is returned.
    """
    _check_float(input, "normalize")
    dim = _wrap_dim(dim, input.ndim, "normalize")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise ValueError(
            f"[normalize] out has shape {list(out.shape)}, expected {list(result.shape)}"
        )
    return out.copy_(result)


# --------------------------------------------------------------------------- rearranging
def _positive_factor(value: int, name: str, op: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"[{op}] {name} must be an int, got {type(value).__name__}")
    value = operator.index(value)
    if value <= 0:
        raise ValueError(f"[{op}] expects a positive {name}, but got {value}")
    return value


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """[*, C * r^2, H, W] -> [*, C, H * r, W * r], r = upscale_factor (sub-pixel convolution)."""
    r = _positive_factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    if input.ndim < 3:
        raise ValueError(
            f"[pixel_shuffle] expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(
            f"[pixel_shuffle] expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """[*, C, H * r, W * r] -> [*, C * r^2, H, W], r = downscale_factor (pixel_shuffle's inverse)."""
    r = _positive_factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    if input.ndim < 3:
        raise ValueError(
            f"[pixel_unshuffle] expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *batch, c, h, w = input.shape
    for name, size, index in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise ValueError(
                f"[pixel_unshuffle] expects {name} to be divisible by downscale_factor, but "
                f"input.size({index})={size} is not divisible by {r}"
            )
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """[N, C, *] with C = g * k: channel i * k + j moves to j * g + i (ShuffleNet's interleave)."""
    g = _positive_factor(groups, "groups", "channel_shuffle")
    if input.ndim <= 2:
        raise ValueError(
            f"[channel_shuffle] expects input with > 2 dims, but got input with sizes {list(input.shape)}"
        )
    n, c, *rest = input.shape
    if c % g:
        raise ValueError(
            f"[channel_shuffle] number of channels must be divisible by groups, got {c} channels "
            f"and {g} groups"
        )
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)
