"""``gumbel_softmax``: samples from the Gumbel-softmax (concrete) distribution, optionally
discretised to one-hot with the straight-through gradient, as torch's ``F.gumbel_softmax``."""

from __future__ import annotations

import warnings

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import empty_like, zeros_like
from pygrad._grad_mode import no_grad

__all__ = ["gumbel_softmax"]


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """softmax((logits + g) / tau) along dim, g i.i.d. Gumbel(0, 1).

    Args:
        logits: unnormalised log-probabilities [..., num_features].
        tau: the temperature (> 0).
        hard: return one-hot samples (the argmax) whose gradient is the soft sample's
            (straight-through estimator).
        eps: unused; deprecated in torch too.
        dim: the dimension of the categories.
    Returns:
        A tensor of logits' shape: samples on the simplex, or one-hot with hard=True.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    with no_grad():
        # -log(E), E ~ Exponential(1), is Gumbel(0, 1) distributed.
        gumbels = -empty_like(logits).exponential_().log()
    y_soft = _C.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = zeros_like(y_soft).scatter(dim, index, 1.0)
    # Forward values of y_hard, gradient of y_soft.
    return y_hard - y_soft.detach() + y_soft
