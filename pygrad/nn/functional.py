"""Functional forms of activations and losses, with PyTorch's signatures (``pygrad.nn.functional as F``)."""

from pygrad import _C

relu = _C.relu
sigmoid = _C.sigmoid
tanh = _C.tanh
leaky_relu = _C.leaky_relu
gelu = _C.gelu
one_hot = _C.one_hot
mse_loss = _C.mse_loss
nll_loss = _C.nll_loss
binary_cross_entropy_with_logits = _C.binary_cross_entropy_with_logits


def softmax(input, dim):
    """exp(x) / sum(exp(x)) along dim, computed stably."""
    return _C.softmax(input, dim)


def log_softmax(input, dim):
    """x - logsumexp(x) along dim, computed stably."""
    return _C.log_softmax(input, dim)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy from logits: class-index targets (int64) or class probabilities (float).

    Args:
        input: logits of shape [N, C] (or [C], or [N, C, d1, ...]).
        target: int64 class indices of shape [N] (or probabilities shaped like input).
        weight: per-class weights (not supported yet; must be None).
        ignore_index: targets equal to it contribute nothing.
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: mixes the target with the uniform distribution by this amount.
    Returns:
        The loss, reduced as asked.
    """
    if weight is not None:
        raise NotImplementedError("[cross_entropy] per-class weight is not supported yet")
    return _C.cross_entropy(input, target, reduction, ignore_index, label_smoothing)


def linear(input, weight, bias=None):
    """input @ weight.T + bias."""
    out = input.matmul(weight.mT if weight.ndim > 1 else weight)
    return out if bias is None else out + bias
