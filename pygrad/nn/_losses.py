"""The loss functions of nn.functional beyond mse_loss, cross_entropy, nll_loss and
binary_cross_entropy_with_logits, as composites of core ops with torch's signatures, reductions and gradients.

This file holds the regression and likelihood losses; the margin and embedding losses with the
distances they use live in _margin_losses.py, ctc_loss in _ctc.py. All are listed in ``__all__`` here,
which nn.functional re-exports.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from pygrad import _C
from pygrad._autocast import autocast_float32
from pygrad._C import Tensor
from pygrad._factories import ones_like
from pygrad._grad_mode import no_grad
from pygrad._shape import broadcast_shapes
from pygrad.autograd.function import Function
from pygrad.nn._ctc import ctc_loss
from pygrad.nn._margin_losses import (
    cosine_embedding_loss,
    cosine_similarity,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    pairwise_distance,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from pygrad.nn._reduction import apply_reduction, check_reduction, resolve_reduction

__all__ = [
    "binary_cross_entropy",
    "cosine_embedding_loss",
    "cosine_similarity",
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "pairwise_distance",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _warn_size_mismatch(input: Tensor, target: Tensor) -> None:
    # torch warns (and then broadcasts) when a regression target is shaped differently from the input.
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _weighted(
    loss: Tensor, weight: Tensor, reduction: str, op: str, mean_by_weight: bool
) -> Tensor:
    """torch 2.13's optional per-element weight of l1_loss / huber_loss (shaped exactly like the input)."""
    weighted = loss * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        # l1_loss averages by the summed weights, huber_loss by the element count (as torch).
        return weighted.sum() / weight.sum() if mean_by_weight else weighted.mean()
    raise ValueError(
        f"[{op}] Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'."
    )


def _check_weight_shape(weight: Tensor, input: Tensor, op: str) -> None:
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"[{op}] Weights and input must have the same size.")


# --------------------------------------------------------------------------- regression
@autocast_float32
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error |input - target| (broadcast, with a warning when shapes differ).

    Args:
        input: predictions.
        target: ground truth, broadcastable to input.
        size_average, reduce: deprecated; when either is given it overrides reduction (torch's rule).
        reduction: 'none', 'mean' or 'sum'.
        weight: optional per-element weights shaped like input; 'mean' then divides by their sum.
    Returns:
        The loss.
    """
    _warn_size_mismatch(input, target)
    if size_average is not None or reduce is not None:
        reduction = resolve_reduction(reduction, size_average, reduce, "l1_loss")
    loss = _C.abs(input - target)
    if weight is not None:
        _check_weight_shape(weight, input, "l1_loss")
        return _weighted(loss, weight, reduction, "l1_loss", mean_by_weight=True)
    check_reduction(reduction, "l1_loss")
    return apply_reduction(loss, reduction)


@autocast_float32
def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = input - target (beta=0: l1_loss).

    Args:
        input, target: broadcastable tensors (a warning when their shapes differ).
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'mean' or 'sum'.
        beta: the non-negative threshold between the squared and the linear part.
    Returns:
        The loss.
    """
    _warn_size_mismatch(input, target)
    reduction = resolve_reduction(reduction, size_average, reduce, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError(
            "[smooth_l1_loss] smooth_l1_loss does not support negative values for beta."
        )
    diff = _C.abs(input - target)
    if beta == 0.0:
        return apply_reduction(diff, reduction)
    loss = _C.where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta)
    return apply_reduction(loss, reduction)


@autocast_float32
def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target.

    Args:
        input, target: broadcastable tensors (a warning when their shapes differ).
        reduction: 'none', 'mean' or 'sum'.
        delta: the positive threshold; delta=1 equals smooth_l1_loss with beta=1.
        weight: optional per-element weights shaped like input ('mean' divides by the element count).
    Returns:
        The loss.
    """
    _warn_size_mismatch(input, target)
    if weight is None:
        check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError(
            "[huber_loss] huber_loss does not support non-positive values for delta."
        )
    diff = _C.abs(input - target)
    loss = _C.where(diff < delta, 0.5 * diff * diff, delta * (diff - 0.5 * delta))
    if weight is not None:
        _check_weight_shape(weight, input, "huber_loss")
        return _weighted(loss, weight, reduction, "huber_loss", mean_by_weight=False)
    return apply_reduction(loss, reduction)


# --------------------------------------------------------------------------- likelihoods
# torch's floor for x (1 - x) in that gradient: 1e-12 as a C++ float, i.e. rounded to float32.
_EPSILON = 9.999999960041972e-13


class _BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100, with torch's gradients:
    (x - t) / max(x (1 - x), 1e-12) for x and -logit(x) for t. A Function because the derivative of
    the clamped logs is 0 (or NaN) at x = 0 or 1, where torch's stays finite and nonzero (a saturated
    sigmoid still learns). Its backward is made of core ops, so it can be differentiated again."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, t: Tensor) -> Tensor:
        ctx.save_for_backward(x, t)
        log_x = _C.clamp_min(_C.log(x), -100.0)
        log_1mx = _C.clamp_min(_C.log(1.0 - x), -100.0)
        return (t - 1.0) * log_1mx - t * log_x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, t = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = grad * (x - t) / _C.clamp_min(x * (1.0 - x), _EPSILON)
        if ctx.needs_input_grad[1]:
            grad_t = -grad * _C.logit(x)
        return grad_x, grad_t


@autocast_float32
def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy between probabilities input and target, -w (t log x + (1 - t) log(1 - x)).

    Each log is clamped at -100, as torch, so a probability of exactly 0 or 1 gives a finite loss.
    Gradients are torch's (see _BinaryCrossEntropy); unlike torch, weight may require grad.

    Args:
        input: probabilities in [0, 1] (a floating-point tensor).
        target: same shape and dtype as input, values in [0, 1].
        weight: optional rescaling weight broadcastable to target's shape.
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "binary_cross_entropy")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"[binary_cross_entropy] Using a target size ({tuple(target.shape)}) that is different to "
            f"the input size ({tuple(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"[binary_cross_entropy] not implemented for {input.dtype} input")
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"[binary_cross_entropy] Found dtype {target.dtype} but expected {input.dtype}"
        )
    if weight is not None:
        try:
            shape: tuple[int, ...] | None = broadcast_shapes(target.shape, weight.shape)
        except ValueError:
            shape = None
        if shape != tuple(target.shape):
            # torch expands weight to the target's shape: a RuntimeError when it cannot.
            raise RuntimeError(
                f"[binary_cross_entropy] weight of shape {tuple(weight.shape)} does not broadcast "
                f"to the input's shape {tuple(input.shape)}"
            )
    # torch checks every element (a NaN fails too): log of a value outside [0, 1] is meaningless.
    if not bool(((input >= 0) & (input <= 1)).all()):
        raise RuntimeError("[binary_cross_entropy] all elements of input should be between 0 and 1")
    if not bool(((target >= 0) & (target <= 1)).all()):
        raise RuntimeError(
            "[binary_cross_entropy] all elements of target should be between 0 and 1"
        )
    loss: Tensor = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


def _check_not_integral(input: Tensor, target: Tensor, op: str) -> None:
    for t in (input, target):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"[{op}] {op}: Integral inputs not supported.")


@autocast_float32
def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence target * (log target - input), input being log-probabilities.

    Args:
        input: log-probabilities.
        target: probabilities (or log-probabilities with log_target=True), broadcastable with input.
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'batchmean' (the sum divided by input.size(0): the true KL divergence),
            'sum' or 'mean' (divided by the element count; warns, as torch, that it is not the KL value).
        log_target: whether target is given in log space.
    Returns:
        The divergence; 0 where target is 0 (non-log target).
    """
    if size_average is not None or reduce is not None:
        reduction = resolve_reduction(reduction, size_average, reduce, "kl_div")
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                UserWarning,
                stacklevel=2,
            )
        if reduction != "batchmean":
            check_reduction(reduction, "kl_div")
    _check_not_integral(input, target, "kl_div")
    if log_target:
        loss = _C.exp(target) * (target - input)
    else:
        # xlogy: 0 log 0 = 0, so zero-probability targets contribute nothing (torch's definition).
        loss = _C.xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim != 0 else total
    return apply_reduction(loss, reduction)


@autocast_float32
def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood: exp(input) - target * input (log_input), else
    input - target * log(input + eps); full adds Stirling's term for target > 1.

    Args:
        input: the expectation (its log with log_input=True).
        target: samples, broadcastable with input.
        log_input: whether input is the log of the expectation.
        full: add target log target - target + 0.5 log(2 pi target) where target > 1.
        size_average, reduce: deprecated overrides of reduction.
        eps: keeps log away from 0 when log_input=False.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "poisson_nll_loss")
    loss = _C.exp(input) - target * input if log_input else input - target * _C.log(input + eps)
    if full:
        stirling = target * _C.log(target) - target + 0.5 * _C.log(2 * math.pi * target)
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return apply_reduction(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi).

    Args:
        input: the expectations.
        target: samples, broadcastable with input.
        var: positive variances: shaped like input, like input without its last dim, or broadcastable
            to it with one dimension of size 1; or a float for all.
        full: add the constant 0.5 log(2 pi).
        eps: var is clamped below at eps (without stopping its gradient, as torch).
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("[gaussian_nll_loss] var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("[gaussian_nll_loss] var has negative entry/entries")
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        if in_shape[:-1] == var_shape:
            # One variance per row of the last dim (homoscedastic): broadcast it along that dim.
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1
        ):
            raise ValueError("[gaussian_nll_loss] var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"[gaussian_nll_loss] {reduction} is not valid")
    # torch clamps a copy in place without recording it: the value is clamped, the gradient is var's.
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (_C.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return apply_reduction(loss, reduction)
