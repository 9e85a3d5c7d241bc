"""The normalisations of nn.functional beyond batch_norm and layer_norm: group_norm, instance_norm, rms_norm
and local_response_norm, as composites of core ops with torch's signatures, defaults and gradients.

group_norm normalises each group of channels with the fused layer_norm op on an [N, G, -1] view, so
it costs one graph node plus the affine step. instance_norm follows torch's own decomposition: the
input is seen as a batch of one with N*C channels and handed to batch_norm, with the running
statistics repeated per sample and averaged back afterwards, so the running update (mean of the
per-instance means, mean of the per-instance unbiased variances) is torch's to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pygrad import _C
from pygrad._C import Tensor
from pygrad._dtype_info import finfo
from pygrad._grad_mode import no_grad
from pygrad.nn._layout import pad

__all__ = ["group_norm", "instance_norm", "local_response_norm", "rms_norm"]


def _check_float(input: Tensor, op: str) -> None:
    if not input.dtype.is_floating_point:
        raise TypeError(f"[{op}] expected a floating-point tensor, got {input.dtype}")


def _channel_view(t: Tensor, ndim: int) -> Tensor:
    """A [C] tensor shaped [1, C, 1, ...] to broadcast over an ndim-d [N, C, ...] input."""
    return t.reshape([1, -1] + [1] * (ndim - 2))


def _check_channel_param(t: Tensor | None, name: str, channels: int, op: str) -> None:
    if t is not None and (t.ndim != 1 or t.shape[0] != channels):
        raise RuntimeError(
            f"[{op}] expected {name} to be a 1-d tensor of {channels} elements, but got shape {tuple(t.shape)}"
        )


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalises each of num_groups groups of channels of [N, C, *] input over the group's channels and
    the spatial dims (biased variance), then applies a per-channel weight and bias.

    Args:
        input: a floating-point tensor of at least 2 dims, C divisible by num_groups.
        num_groups: the number of groups the C channels are split into.
        weight: optional [C] scale.
        bias: optional [C] shift.
        eps: added to the variance for stability.
    Returns:
        A tensor shaped like input.
    """
    if input.ndim < 2:
        raise RuntimeError(
            f"[group_norm] expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    _check_float(input, "group_norm")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(
            f"[group_norm] expected number of channels in input to be divisible by num_groups, "
            f"but got input of shape {tuple(input.shape)} and num_groups={num_groups}"
        )
    spatial = math.prod(input.shape[2:])
    per_group = spatial * (c // num_groups)
    if n * c // num_groups * spatial == 1:  # torch's _verify_batch_size
        raise ValueError(
            f"[group_norm] expected more than 1 value per channel when training, got input size {list(input.shape)}"
        )
    _check_channel_param(weight, "weight", c, "group_norm")
    _check_channel_param(bias, "bias", c, "group_norm")
    if input.numel() == 0:
        out = input * 1.0
    else:
        grouped = input.reshape(n, num_groups, per_group)
        out = _C.layer_norm(grouped, [per_group], None, None, eps).reshape(list(input.shape))
    if weight is not None:
        out = out * _channel_view(weight, input.ndim)
    if bias is not None:
        out = out + _channel_view(bias, input.ndim)
    return out


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalises each channel of each sample of [N, C, *] input over its spatial dims (biased variance).

    Args:
        input: a floating-point tensor of at least 3 dims ([N, C, L], [N, C, H, W], ...).
        running_mean: optional [C] running mean; updated in place when use_input_stats is True.
        running_var: optional [C] running (unbiased) variance; updated in place likewise.
        weight: optional [C] scale.
        bias: optional [C] shift.
        use_input_stats: normalise with each instance's statistics (True) or with the running ones.
        momentum: the running statistics' update factor.
        eps: added to the variance for stability.
    Returns:
        A tensor shaped like input.
    """
    _check_float(input, "instance_norm")
    if input.ndim < 2:
        raise ValueError(f"[instance_norm] expected at least 2D input (got {input.ndim}D input)")
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(
            f"[instance_norm] expected more than 1 spatial element when training, got input size {list(input.shape)}"
        )
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError(
            "[instance_norm] expected running_mean and running_var to be defined when use_input_stats is false"
        )
    n, c = input.shape[0], input.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_channel_param(t, name, c, "instance_norm")
    # A batch of one with N*C channels: batch_norm's per-channel statistics are the per-instance ones.
    folded = input.reshape([1, n * c, *input.shape[2:]])
    mean_rep = running_mean.repeat(n) if running_mean is not None else None
    var_rep = running_var.repeat(n) if running_var is not None else None
    w_rep = weight.repeat(n) if weight is not None else None
    b_rep = bias.repeat(n) if bias is not None else None
    out = _C.batch_norm(folded, mean_rep, var_rep, w_rep, b_rep, use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            if running_mean is not None and mean_rep is not None:
                running_mean.copy_(mean_rep.reshape(n, c).mean(0))
            if running_var is not None and var_rep is not None:
                running_var.copy_(var_rep.reshape(n, c).mean(0))
    return out.reshape(list(input.shape))


def rms_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """x / sqrt(mean(x**2) + eps) over the trailing normalized_shape dims, times an elementwise weight.

    Args:
        input: a floating-point tensor whose trailing dims equal normalized_shape.
        normalized_shape: the trailing shape to normalise over (an int for the last dim).
        weight: optional scale of shape normalized_shape.
        eps: added to the mean square; None: the machine epsilon of input's dtype (float32's for
            float16 and bfloat16, as torch).
    Returns:
        A tensor shaped like input.
    """
    _check_float(input, "rms_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"[rms_norm] given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size {list(input.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            f"[rms_norm] expected weight of shape {list(shape)}, but got {list(weight.shape)}"
        )
    if eps is None:
        eps = finfo(_C.float64 if input.dtype == _C.float64 else _C.float32).eps
    dims = list(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divides each element by (k + alpha * mean of the squares of `size` neighbouring channels) ** beta.

    The window over dim 1 runs from c - size // 2 to c + (size - 1) // 2, zero-padded at the ends and
    always divided by size, as torch.

    Args:
        input: a floating-point tensor of at least 3 dims [N, C, *].
        size: the number of neighbouring channels in the window.
        alpha: the multiplicative factor.
        beta: the exponent.
        k: the additive factor.
    Returns:
        A tensor shaped like input.
    """
    _check_float(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(
            f"[local_response_norm] expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if size <= 0:
        raise ValueError(f"[local_response_norm] size must be positive, got {size}")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = (input * input).reshape(input.shape[0], c, -1)
    padded = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    total = padded.narrow(1, 0, c)
    for offset in range(1, size):
        total = total + padded.narrow(1, offset, c)
    div = (total.reshape(list(input.shape)) * (alpha / size) + k).pow(beta)
    return input / div
