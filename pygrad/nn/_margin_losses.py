"""Margin and embedding losses of nn.functional (ranking, hinge, soft margin, multi-class and
multi-label margins, cosine embedding, triplet) and the distances they build on (cosine_similarity,
pairwise_distance), as composites of core ops with torch's signatures, checks and gradients.

Where torch's kernel counts a hinge term only when it is strictly positive, the composite is
where(z > 0, z, 0), whose gradient is 0 at z = 0 as torch's; torch's composite losses that call
clamp_min keep clamp_min, whose gradient passes at the boundary as theirs does.
"""

from __future__ import annotations

from typing import Callable

from pygrad import _C
from pygrad._autocast import autocast_float32
from pygrad._C import Tensor
from pygrad._factories import arange, zeros_like
from pygrad._grad_mode import no_grad
from pygrad._reduce import norm
from pygrad._shape import broadcast_shapes, broadcast_tensors
from pygrad.nn._reduction import apply_reduction, resolve_reduction

__all__ = [
    "cosine_embedding_loss",
    "cosine_similarity",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "pairwise_distance",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

# torch's guard in cosine_embedding_loss's squared magnitudes: 1e-12 as a C++ float, i.e. rounded
# to float32, which is what it adds even to float64 tensors.
_EPSILON = 9.999999960041972e-13


def _positive_part(z: Tensor) -> Tensor:
    """max(z, 0) with gradient 0 at z = 0, as torch's margin kernels (`if (z > 0)`)."""
    return _C.where(z > 0, z, 0.0)


# --------------------------------------------------------------------------- distances
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along dim (after broadcasting them together).

    As torch, each input is divided by its own norm clamped below at eps (the clamp does not stop
    the norm's gradient), so the result stays within [-1, 1] and does not overflow.

    Args:
        x1, x2: broadcastable tensors whose common dtype is floating point.
        dim: the dimension of the broadcast shape to reduce.
        eps: the smallest norm divided by.
    Returns:
        The similarity, with dim removed.
    """
    common = _C.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"[cosine_similarity] expected common dtype to be floating point, yet common dtype is {common}"
        )
    a, b = broadcast_tensors(x1.to(common), x2.to(common))
    n1 = norm(a, 2, dim, True).clone()
    n2 = norm(b, 2, dim, True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((a / n1) * (b / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The p-norm of x1 - x2 + eps over the last dim of the broadcast shape (torch's definition).

    Args:
        x1, x2: broadcastable tensors.
        p: the norm's order (any real number or inf).
        eps: added to the difference, which keeps the 2-norm's gradient finite at x1 == x2.
        keepdim: keep the reduced dim with size 1.
    Returns:
        The distances.
    """
    diff = x1 - x2 + eps
    dim = max(x1.ndim, x2.ndim) - 1
    out = norm(diff, p, dim, keepdim)
    if p == 0 and diff.requires_grad and not out.requires_grad:
        # The 0-"norm" counts nonzeros: torch still puts it in the graph, with a zero gradient. An
        # all-False where adds exact zeros (whatever diff holds) with a zero gradient to diff.
        out = out + _C.where(diff < diff, diff, 0.0).sum(dim, keepdim)
    return out


# --------------------------------------------------------------------------- pairs and hinges
@autocast_float32
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin): target 1 asks input1 to rank higher, -1 lower.

    Args:
        input1, input2, target: tensors with the same number of dims (broadcastable).
        margin: the required gap.
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "margin_ranking_loss")
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            "[margin_ranking_loss] All input tensors should have same dimension but got sizes: "
            f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: {tuple(target.shape)}"
        )
    loss = _C.clamp_min(-target * (input1 - input2) + margin, 0)
    return apply_reduction(loss, reduction)


@autocast_float32
def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1 (input: a distance).

    Args:
        input: distances (or any scores).
        target: 1 or -1, broadcastable with input.
        margin: the margin for dissimilar pairs.
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "hinge_embedding_loss")
    margin_clamp = _C.clamp_min(margin - input, 0)
    # Both terms count for a target that is neither 1 nor -1, as in torch.
    loss = _C.where(target != 1, margin_clamp, 0.0) + _C.where(target != -1, input, 0.0)
    return apply_reduction(loss, reduction)


@autocast_float32
def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """log(1 + exp(-target * input)): a two-class logistic loss for targets 1 / -1.

    Unlike torch, a target that requires grad gets its gradient (torch refuses one).

    Args:
        input: scores.
        target: 1 or -1, broadcastable to input's shape (torch writes into input's shape).
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "soft_margin_loss")
    shape = broadcast_shapes(tuple(input.shape), tuple(target.shape))
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(
            f"[soft_margin_loss] output with shape {list(input.shape)} doesn't match the broadcast "
            f"shape {list(shape)}"
        )
    # log(1 + exp(.)) literally, as torch: identical values, overflow included.
    loss = _C.log(1.0 + _C.exp(-input * target))
    return apply_reduction(loss, reduction)


def _log_sigmoid(x: Tensor) -> Tensor:
    # min(x, 0) - log1p(exp(-|x|)): stable at both ends; its gradient is 1 - sigmoid(x) everywhere.
    return _C.minimum(x, zeros_like(x)) - _C.log1p(_C.exp(-_C.abs(x)))


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss -(t log sigmoid(x) + (1 - t) log sigmoid(-x)), averaged over classes.

    Args:
        input: scores of shape (..., C); the last dim holds the classes.
        target: 0 / 1 labels broadcastable with input.
        weight: optional per-class weights broadcastable with input.
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none' (one value per sample), 'mean' or 'sum'.
    Returns:
        The loss.
    """
    if size_average is not None or reduce is not None:
        reduction = resolve_reduction(
            reduction, size_average, reduce, "multilabel_soft_margin_loss"
        )
    if input.ndim == 0:
        raise IndexError(
            "[multilabel_soft_margin_loss] Dimension specified as -1 but tensor has no dimensions"
        )
    loss = -(target * _log_sigmoid(input) + (1 - target) * _log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"[multilabel_soft_margin_loss] {reduction} is not valid")
    return apply_reduction(loss, reduction)


def _margin_input_check(input: Tensor, op: str) -> tuple[int, int]:
    """torch's shape rule for the multi-class margin losses: (C) or (N, C), C > 0; returns (N, C)."""
    ndim = input.ndim
    if not ((input.numel() > 0 and ndim <= 2) or (ndim == 2 and input.shape[1] > 0)):
        raise RuntimeError(
            f"[{op}] Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    nframe = 1 if ndim <= 1 else input.shape[0]
    dim = 1 if ndim == 0 else input.shape[ndim - 1]
    return nframe, dim


def _check_long(target: Tensor, op: str) -> None:
    if target.dtype != _C.int64:
        raise RuntimeError(f"[{op}] expected scalar type Long but found {target.dtype}")


@autocast_float32
def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: sum over i != y of max(0, margin - x[y] + x[i])^p * weight[y], divided by C.

    Unlike torch, a weight that requires grad gets its gradient (torch refuses one).

    Args:
        input: scores of shape (N, C) or (C,).
        target: int64 class indices of shape (N,) (or () / (1,) for a single sample).
        p: 1 or 2.
        margin: the required gap between the target's score and the others.
        weight: optional per-class weights of shape (C,).
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none' (one value per sample), 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("[multi_margin_loss] only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("[multi_margin_loss] weight must be one-dimensional")
    nframe, dim = _margin_input_check(input, "multi_margin_loss")
    if target.ndim > 1 or target.numel() != nframe:
        raise RuntimeError(
            "[multi_margin_loss] target tensor should be 1-D with size equal to the number of input "
            f"samples (batch size). Expected target size [{nframe}], but got {list(target.shape)}. "
            f"Input has shape {list(input.shape)}."
        )
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(
            f"[multi_margin_loss] inconsistent weight size, expected {dim} but got {list(weight.shape)}"
        )
    _check_long(target, "multi_margin_loss")
    t = target.reshape(nframe)
    if nframe and not bool(((t >= 0) & (t < dim)).all()):
        raise RuntimeError("[multi_margin_loss] target out of range")
    x = input.reshape(nframe, dim)
    x_target = x.gather(1, t.unsqueeze(1))
    h = _positive_part(margin - x_target + x)
    if p == 2:
        h = h * h
    # The target's own class is no margin violation: mask it out of the sum (and of the gradient).
    others = arange(dim).unsqueeze(0) != t.unsqueeze(1)
    h = _C.where(others, h, 0.0)
    if weight is not None:
        h = h * weight.index_select(0, t).unsqueeze(1)
    loss = h.sum(1) / dim
    if target.ndim == 0:
        loss = loss.reshape(())
    return apply_reduction(loss, reduction)


@autocast_float32
def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge: for each target class j and non-target class i, max(0, 1 - (x[j] - x[i])),
    summed and divided by C. A row of target lists class indices and ends at the first -1.

    Args:
        input: scores of shape (N, C) or (C,).
        target: int64 of input's shape: each row's target classes, then -1 (or the row's end).
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none' (one value per sample), 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "multilabel_margin_loss")
    nframe, dim = _margin_input_check(input, "multilabel_margin_loss")
    if input.ndim <= 1:
        ok = target.ndim <= 1 and target.numel() == dim
    else:
        ok = target.ndim == 2 and tuple(target.shape) == (nframe, dim)
    if not ok:
        raise RuntimeError(
            f"[multilabel_margin_loss] inconsistent target size: {list(target.shape)} for input of "
            f"size: {list(input.shape)}"
        )
    _check_long(target, "multilabel_margin_loss")
    t = target.reshape(nframe, dim)
    if t.numel() and not bool(((t >= -1) & (t < dim)).all()):
        raise RuntimeError("[multilabel_margin_loss] argument #2 'target' is out of range")
    # Entries count up to the first -1 of their row: a running product of "not -1" marks them.
    listed = (t != -1).to(_C.int64).cumprod(1) != 0  # (N, C): entry j of the row is a target
    safe = _C.where(listed, t, 0)
    is_target = ((safe.unsqueeze(2) == arange(dim)) & listed.unsqueeze(2)).any(1)  # (N, C) classes
    x = input.reshape(nframe, dim)
    x_target = x.gather(1, safe)  # (N, C): the score of listed entry j
    z = 1.0 - x_target.unsqueeze(2) + x.unsqueeze(1)  # (N, j, i)
    counted = listed.unsqueeze(2) & (~is_target).unsqueeze(1)
    loss = _C.where(counted, _positive_part(z), 0.0).sum((1, 2)) / dim
    if input.ndim <= 1:
        loss = loss.reshape(())
    return apply_reduction(loss, reduction)


@autocast_float32
def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1.

    Args:
        input1, input2: (N, D) with a (N,) target, or (D,) with a 0-d target.
        target: 1 or -1.
        margin: between -1 and 1; 0 to 0.5 is suggested.
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "cosine_embedding_loss")
    targ_dim = target.ndim
    if targ_dim not in (0, 1):
        raise RuntimeError(
            "[cosine_embedding_loss] 0D or 1D target tensor expected, multi-target not supported"
        )
    want = 2 if targ_dim == 1 else 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(
            f"[cosine_embedding_loss] {targ_dim}D target tensor expects {want}D input tensors, but "
            f"found inputs with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + _EPSILON
    mag_square2 = (input2 * input2).sum(targ_dim) + _EPSILON
    cos = prod_sum / _C.sqrt(mag_square1 * mag_square2)
    pos = 1 - cos
    neg = _C.clamp_min(cos - margin, 0)
    loss = _C.where(target == 1, pos, 0.0) + _C.where(target == -1, neg, 0.0)
    return apply_reduction(loss, reduction)


# --------------------------------------------------------------------------- triplets
def _check_triplet(anchor: Tensor, positive: Tensor, negative: Tensor, op: str) -> None:
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p == n):
        raise RuntimeError(
            f"[{op}] The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs"
        )


@autocast_float32
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-norm distance.

    Args:
        anchor, positive, negative: (N, D) or (D,) tensors with the same number of dims.
        margin: a positive margin.
        p: the norm's order.
        eps: pairwise_distance's eps.
        swap: use min(d(a, n), d(p, n)) as the negative distance (Balntas et al.'s distance swap).
        size_average, reduce: deprecated overrides of reduction.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    reduction = resolve_reduction(reduction, size_average, reduce, "triplet_margin_loss")
    if margin <= 0:
        raise ValueError(f"[triplet_margin_loss] margin must be greater than 0, got {margin}")
    _check_triplet(anchor, positive, negative, "triplet_margin_loss")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _C.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    loss = _C.clamp_min(margin + dist_pos - dist_neg, 0)
    return apply_reduction(loss, reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """triplet_margin_loss with any distance: max(0, margin + d(a, p) - d(a, n)).

    Args:
        anchor, positive, negative: tensors with the same number of dims.
        distance_function: a callable (x1, x2) -> non-negative distances; pairwise_distance when None.
        margin: a positive margin.
        swap: use min(d(a, n), d(p, n)) as the negative distance.
        reduction: 'none', 'mean' or 'sum'.
    Returns:
        The loss.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"[triplet_margin_with_distance_loss] {reduction} is not a valid value for reduction"
        )
    if margin <= 0:
        raise ValueError(
            f"[triplet_margin_with_distance_loss] margin must be greater than 0, got {margin}"
        )
    _check_triplet(anchor, positive, negative, "triplet_margin_with_distance_loss")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = _C.minimum(dist_neg, distance(positive, negative))
    loss = _C.clamp_min(margin + dist_pos - dist_neg, 0)
    return apply_reduction(loss, reduction)
