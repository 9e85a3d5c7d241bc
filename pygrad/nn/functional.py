"""Functional forms of layers, activations and losses, with PyTorch's signatures (``pygrad.nn.functional as F``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Union, overload

from pygrad import _C
from pygrad._autocast import autocast_float32
from pygrad._C import Tensor
from pygrad._linalg_ops import pdist
from pygrad.nn import (
    _activations,
    _attention,
    _conv_extra,
    _dropout,
    _embedding,
    _fractional,
    _grid,
    _gumbel,
    _interpolate,
    _losses,
    _normalization,
    _pooling,
    _pooling3d,
    _pooling_extra,
    grad,
)
from pygrad.nn._activations import *  # noqa: F403  (elu, silu, softplus, ...: _activations.__all__)
from pygrad.nn._attention import multi_head_attention_forward  # noqa: F401  (sdpa: wrapped below)
from pygrad.nn._conv_extra import *  # noqa: F403  (conv_tbc, native_channel_shuffle)
from pygrad.nn._dropout import *  # noqa: F403  (dropout1d, alpha_dropout, ...: _dropout.__all__)
from pygrad.nn._embedding import *  # noqa: F403  (embedding, embedding_bag, bilinear)
from pygrad.nn._fractional import *  # noqa: F403  (fractional_max_pool2d, ...)
from pygrad.nn._grid import *  # noqa: F403  (affine_grid, grid_sample: _grid.__all__)
from pygrad.nn._gumbel import *  # noqa: F403  (gumbel_softmax)
from pygrad.nn._interpolate import *  # noqa: F403  (interpolate, upsample, ...: _interpolate.__all__)
from pygrad.nn._layout import fold, pad, unfold
from pygrad.nn._linear_ce import linear_cross_entropy
from pygrad.nn._losses import *  # noqa: F403  (l1_loss, kl_div, huber_loss, ...: _losses.__all__)
from pygrad.nn._normalization import *  # noqa: F403  (group_norm, instance_norm, rms_norm, ...)
from pygrad.nn._pooling import *  # noqa: F403  (max_pool1d, lp_pool2d, ...: _pooling.__all__)
from pygrad.nn._pooling3d import *  # noqa: F403  (max_pool3d, avg_pool3d, ...: _pooling3d.__all__)
from pygrad.nn._pooling_extra import *  # noqa: F403  (max_pool2d_with_indices, max_unpool3d, ...)
from pygrad.nn.attention import _check_backend
from pygrad.nn.attention.bias import CausalBias

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cross_entropy",
    "dropout",
    "fold",
    "gelu",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "pdist",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "unfold",
]
__all__ += _activations.__all__
__all__ += _dropout.__all__
__all__ += _losses.__all__
__all__ += _interpolate.__all__
__all__ += _pooling.__all__
__all__ += _grid.__all__
__all__ += _pooling3d.__all__
__all__ += _normalization.__all__
__all__ += _embedding.__all__
__all__ += _attention.__all__
__all__ += _gumbel.__all__
__all__ += _fractional.__all__
__all__ += ["linear_cross_entropy"]
__all__ += _pooling_extra.__all__
__all__ += _conv_extra.__all__
__all__ += ["grad"]

_IntOrPair = Union[int, Sequence[int]]

sigmoid = _C.sigmoid
tanh = _C.tanh
gelu = _C.gelu
one_hot = _C.one_hot
mse_loss = autocast_float32(_C.mse_loss)
binary_cross_entropy_with_logits = autocast_float32(_C.binary_cross_entropy_with_logits)
# input @ weight.T + bias: one fused op and one graph node for 2-d input and weight, matmul and add otherwise.
linear = _C.linear


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | CausalBias | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as torch's (see nn._attention for the arguments);
    attn_mask may also be an ``nn.attention.bias`` CausalBias, and the backends chosen with
    ``nn.attention.sdpa_kernel`` must include MATH, FLASH_ATTENTION or EFFICIENT_ATTENTION."""
    _check_backend()
    if isinstance(attn_mask, CausalBias):
        return attn_mask._dispatch(
            query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa
        )
    return _attention.scaled_dot_product_attention(
        query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa
    )


# --------------------------------------------------------------------------- in place
def _check_inplace(input: Tensor, op: str) -> None:
    """PyTorch's rule: a leaf that requires grad can't be modified in place while grad is recorded."""
    if input.requires_grad and input.is_leaf and _C.is_grad_enabled():
        raise RuntimeError(
            f"[{op}] a leaf tensor that requires grad is being used in an in-place operation; "
            "pass inplace=False, or wrap the call in pygrad.no_grad()"
        )


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise.

    Args:
        input: a tensor.
        inplace: write the result into input and return input (as PyTorch; not allowed on a leaf
            that requires grad while grad is recorded). Gradients flow as for the out-of-place op.
    Returns:
        A new tensor, or input itself with inplace=True.
    """
    if not inplace:
        return _C.relu(input)
    _check_inplace(input, "relu")
    return input.copy_(_C.relu(input))  # relu's backward uses its result, not the overwritten input


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x.

    Args:
        input: a floating-point tensor.
        negative_slope: the slope for negative x.
        inplace: write the result into input and return input (as PyTorch; not allowed on a leaf
            that requires grad while grad is recorded).
    Returns:
        A new tensor, or input itself with inplace=True.
    """
    if not inplace:
        return _C.leaky_relu(input, negative_slope)
    _check_inplace(input, "leaky_relu")
    if not input.dtype.is_floating_point:
        raise TypeError(f"[leaky_relu] expected a floating-point tensor, got {input.dtype}")
    # One multiplication by 1 or the slope: its backward needs only the factor, not the input.
    one = _C._full([], 1, input.dtype, False)
    slope = _C._full([], negative_slope, input.dtype, False)
    return input.mul_(_C.where(input > 0, one, slope))


def softmax(input: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, computed stably."""
    return _C.softmax(input, dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """x - logsumexp(x) along dim, computed stably."""
    return _C.log_softmax(input, dim)


# --------------------------------------------------------------------------- losses
@autocast_float32
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy from logits: class-index targets (int64) or class probabilities (float).

    Args:
        input: logits of shape [N, C] (or [C], or [N, C, d1, ...]).
        target: int64 class indices of shape [N] (or probabilities shaped like input).
        weight: optional per-class weights of shape [C]; with class-index targets the mean divides by
            the summed weights of the counted targets, as in PyTorch.
        ignore_index: targets equal to it contribute nothing.
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: mixes the target with the uniform distribution by this amount.
    Returns:
        The loss, reduced as asked.
    """
    return _C.cross_entropy(input, target, reduction, ignore_index, label_smoothing, weight)


@autocast_float32
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] (optionally class-weighted), reduced as asked.

    Args:
        input: log-probabilities of shape [N, C] (or [C], or [N, C, d1, ...]).
        target: int64 class indices of shape [N].
        weight: optional per-class weights of shape [C].
        ignore_index: targets equal to it contribute nothing.
        reduction: 'mean' (divided by the summed weights of counted targets), 'sum' or 'none'.
    Returns:
        The loss.
    """
    return _C.nll_loss(input, target, reduction, ignore_index, weight)


# --------------------------------------------------------------------------- dropout
def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    mode: str = "inverted",
) -> Tensor:
    """Zeroes each element with probability p (a fresh mask from the seeded generator on each call).

    Args:
        input: a floating-point tensor.
        p: the probability of dropping an element, in [0, 1].
        training: drop only when True.
        inplace: write the result into input and return input (as PyTorch; not allowed on a leaf
            that requires grad while grad is recorded). When nothing changes (eval mode of the
            inverted form, or p=0) input is returned as it is, in place or not.
        mode: "inverted" (PyTorch's: kept elements scaled by 1/(1-p) while training, identity
            otherwise) or "classic" (kept elements unscaled while training, every output
            multiplied by q = 1-p otherwise), so the expected value matches in both phases.
    Returns:
        A tensor shaped like input; gradients flow only through kept elements.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[dropout] dropout probability has to be between 0 and 1, but got {p}")
    if mode not in ("inverted", "classic"):
        raise ValueError(f"[dropout] mode must be 'inverted' or 'classic', got {mode!r}")
    q = 1.0 - p
    if p == 0.0 or (not training and mode == "inverted"):
        return input
    factor: Tensor | float
    if not training:
        factor = q
    else:
        # A bool keep-mask from the seeded core generator, each element kept with probability q.
        mask = _C._bernoulli_mask(list(input.shape), q, input.dtype)
        factor = mask if mode == "classic" or p == 1.0 else mask._to_dtype(input.dtype) * (1.0 / q)
    if inplace:
        _check_inplace(input, "dropout")
        return input.mul_(factor)
    return input * factor


# --------------------------------------------------------------------------- ops in the C++ core
# The convolutions are the C++ ops themselves (signatures and docs in _C.pyi): one engine, im2col + GEMM.
conv1d = _C.conv1d
conv2d = _C.conv2d
conv3d = _C.conv3d
conv_transpose1d = _C.conv_transpose1d
conv_transpose2d = _C.conv_transpose2d
conv_transpose3d = _C.conv_transpose3d


@overload
def max_pool2d(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    dilation: _IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: Literal[False] = False,
) -> Tensor: ...


@overload
def max_pool2d(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    dilation: _IntOrPair = 1,
    ceil_mode: bool = False,
    *,
    return_indices: Literal[True],
) -> tuple[Tensor, Tensor]: ...


@overload
def max_pool2d(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    dilation: _IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]: ...


def max_pool2d(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    dilation: _IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """2-D max pooling over NCHW (or CHW) input; with return_indices also the flat argmax positions.

    Returns:
        The pooled tensor, or (values, indices) with return_indices=True.
    """
    out: Tensor | tuple[Tensor, Tensor] = _C.max_pool2d(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )
    return out


def avg_pool2d(
    input: Tensor,
    kernel_size: _IntOrPair,
    stride: _IntOrPair | None = None,
    padding: _IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling over NCHW (or CHW) input (divisor_override replaces the window size)."""
    return _C.avg_pool2d(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None] | None) -> Tensor:
    """Average pooling to a fixed output size (an int or (H, W)) over NCHW (or CHW) input."""
    return _C.adaptive_avg_pool2d(input, output_size)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over dim 1 of [N, C, ...] input; in training, updates running stats in place."""
    return _C.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalizes over the trailing dims given by normalized_shape, then scales by weight and adds bias."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _C.layer_norm(input, list(normalized_shape), weight, bias, eps)
