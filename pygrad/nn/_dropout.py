"""The dropout variants of nn.functional beyond dropout: dropout1d/2d/3d (whole channels), alpha_dropout and
feature_alpha_dropout, with torch's signatures, defaults, checks and warnings.

They follow torch's kernel (ATen's _dropout_impl): a keep-mask drawn with probability 1-p from pygrad's
seeded generator, shaped like the input or, for the feature forms, [N, C, 1, ...] so that a whole channel
is kept or dropped; kept values are scaled by 1/(1-p), or for the alpha forms the output is
input * mask * a + (mask - 1) * alpha' * a + alpha' * a * p with alpha' = SELU's scale * alpha and
a = 1 / sqrt((alpha'^2 p + 1)(1 - p)), which keeps zero mean and unit variance. p=1 gives zeros, p=0,
eval mode and empty input give the input itself. The masks can't equal torch's (different generators).
"""

from __future__ import annotations

import math
import warnings

from pygrad import _C
from pygrad._C import Tensor
from pygrad.nn._activations import _apply

__all__ = [
    "alpha_dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]

# SELU's scale * alpha: the value a dropped unit takes (as -alpha') in alpha dropout.
_ALPHA = 1.7580993408473766


def _check_p(p: float, op: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[{op}] dropout probability has to be between 0 and 1, but got {p}")


def _noise_dropout(
    input: Tensor, p: float, training: bool, inplace: bool, kept_dims: int, alpha: bool, op: str
) -> Tensor:
    """torch's _dropout_impl: plain or alpha dropout, elementwise (kept_dims=0) or per channel: the
    mask spans the first kept_dims dims ([N, C] batched, [C] unbatched) and broadcasts over the rest."""
    if p == 0.0 or not training or input.numel() == 0:
        return input
    if kept_dims and input.ndim < 2:
        raise RuntimeError(f"[{op}] feature dropout requires at least 2 dimensions in the input")
    if p == 1.0:
        return _apply(input, lambda x: x * _C._full([], 0, x.dtype, False), inplace, op)
    shape = list(input.shape)
    if kept_dims:
        shape = shape[:kept_dims] + [1] * (input.ndim - kept_dims)
    mask = _C._bernoulli_mask(shape, 1.0 - p, input.dtype)._to_dtype(input.dtype)
    if not alpha:
        noise = mask * (1.0 / (1.0 - p))
        return _apply(input, lambda x: x * noise, inplace, op)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1.0) * (1.0 - p))
    b = (mask - 1.0) * (_ALPHA * a) + _ALPHA * a * p
    scale = mask * a
    return _apply(input, lambda x: x * scale + b, inplace, op)


def _check_float(input: Tensor, op: str) -> None:
    if not input.dtype.is_floating_point:
        raise TypeError(f"[{op}] expected a floating-point tensor, got {input.dtype}")


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zeroes whole channels of [N, C, L] or unbatched [C, L] input with probability p, scaling the rest
    by 1/(1-p).

    Args:
        input: a floating-point tensor of 2 or 3 dims.
        p: the probability of dropping a channel, in [0, 1].
        training: drop only when True.
        inplace: write the result into input and return input (not allowed on a leaf that requires
            grad while grad is recorded).
    Returns:
        A tensor shaped like input.
    """
    _check_p(p, "dropout1d")
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"[dropout1d] expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    _check_float(input, "dropout1d")
    return _noise_dropout(input, p, training, inplace, input.ndim - 1, False, "dropout1d")


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zeroes whole channels of [N, C, H, W] input with probability p, scaling the rest by 1/(1-p).

    As torch, 3-d input is taken as [N, C, L] (channel-wise 1-d dropout) with a warning, and input of
    other ranks is accepted with a deprecation warning (channels are dim 1).

    Args:
        input: a floating-point tensor of at least 2 dims (3 or 4 without a warning).
        p: the probability of dropping a channel, in [0, 1].
        training: drop only when True.
        inplace: write the result into input and return input.
    Returns:
        A tensor shaped like input.
    """
    _check_p(p, "dropout2d")
    if input.ndim not in (3, 4):
        warnings.warn(
            f"[dropout2d] received a {input.ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this warning, "
            "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout "
            "on inputs with 2 spatial dimensions, a channel dimension, and an optional batch "
            "dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "[dropout2d] received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
            "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
            "dim. This behavior will change in a future release to interpret the input as one "
            "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
            "dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    _check_float(input, "dropout2d")
    return _noise_dropout(input, p, training, inplace, 2, False, "dropout2d")


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zeroes whole channels of [N, C, D, H, W] or unbatched [C, D, H, W] input with probability p,
    scaling the rest by 1/(1-p); other ranks are accepted with torch's deprecation warning (and taken
    as unbatched unless 5-d).

    Args:
        input: a floating-point tensor.
        p: the probability of dropping a channel, in [0, 1].
        training: drop only when True.
        inplace: write the result into input and return input.
    Returns:
        A tensor shaped like input.
    """
    _check_p(p, "dropout3d")
    if input.ndim not in (4, 5):
        warnings.warn(
            f"[dropout3d] received a {input.ndim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this warning, "
            "please use dropout instead. Note that dropout3d exists to provide channel-wise dropout "
            "on inputs with 3 spatial dimensions, a channel dimension, and an optional batch "
            "dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    _check_float(input, "dropout3d")
    return _noise_dropout(
        input, p, training, inplace, 2 if input.ndim == 5 else 1, False, "dropout3d"
    )


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout (for SELU networks): dropped elements are set to SELU's negative saturation value
    and the result is shifted and scaled to keep zero mean and unit variance. Note training defaults
    to False, as torch.

    Args:
        input: a floating-point tensor.
        p: the probability of dropping an element, in [0, 1].
        training: drop only when True.
        inplace: write the result into input and return input.
    Returns:
        A tensor shaped like input.
    """
    _check_p(p, "alpha_dropout")
    _check_float(input, "alpha_dropout")
    return _noise_dropout(input, p, training, inplace, 0, True, "alpha_dropout")


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout of whole channels (dim 1) of input of at least 2 dims; training defaults to False.

    Args:
        input: a floating-point tensor [N, C, *].
        p: the probability of dropping a channel, in [0, 1].
        training: drop only when True.
        inplace: write the result into input and return input.
    Returns:
        A tensor shaped like input.
    """
    _check_p(p, "feature_alpha_dropout")
    _check_float(input, "feature_alpha_dropout")
    return _noise_dropout(input, p, training, inplace, 2, True, "feature_alpha_dropout")
