"""The loss functions of nn.functional beyond mse_loss, cross_entropy, nll_loss and
binary_cross_entropy_with_logits, as composites of core ops with torch's signatures, reductions and gradients."""

from __future__ import annotations

__all__: list[str] = []
