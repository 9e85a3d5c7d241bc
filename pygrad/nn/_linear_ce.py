"""``linear_cross_entropy``: cross entropy of a linear projection of the input (torch 2.13's
``F.linear_cross_entropy``), and ``LinearCrossEntropyOptions``, its chunking options.

pygrad always computes the reference form (``cross_entropy(linear(input, W, b), target)``):
the options are accepted and validated but no chunked path exists, so the logits are materialised.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from pygrad import _C
from pygrad._C import Tensor

__all__ = ["LinearCrossEntropyOptions", "linear_cross_entropy"]


@dataclasses.dataclass
class LinearCrossEntropyOptions:
    """torch's chunking options for ``linear_cross_entropy`` (accepted; pygrad does not chunk)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: Any = None


def linear_cross_entropy(
    input: Tensor,
    linear_weight: Tensor,
    target: Tensor,
    *,
    linear_bias: Tensor | None = None,
    weight: Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: LinearCrossEntropyOptions | None = None,
) -> Tensor:
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.

    Args:
        input: [N, in_features] or [in_features].
        linear_weight: [C, in_features], or [C, d1, ..., dK, in_features] for a K-dimensional loss
            (logits [N, C, d1, ..., dK]).
        target: class indices, or class probabilities shaped like the logits.
        linear_bias: [C] or [C, d1, ..., dK].
        weight, reduction, label_smoothing: as ``cross_entropy``.
        ignore_index: as ``cross_entropy`` (None means -100); not allowed with probabilities.
        options: accepted for torch scripts; pygrad has only the reference path.
    """
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(
            f"expected linear_weight with dimensionality at least 2, got {linear_weight.ndim}"
        )
    batch = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), "
            f"got {in_features} and {linear_weight.shape[-1]}, respectively"
        )
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(
            f"expected linear_bias shape {(num_classes, *out_features)}, got {tuple(linear_bias.shape)}"
        )
    if out_features and not batch:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
            f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}"
        )
    logits_shape = (*batch, num_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    rows = math.prod(out_features) * num_classes
    w = linear_weight.reshape(rows, in_features) if out_features else linear_weight
    b = linear_bias.reshape(rows) if linear_bias is not None and out_features else linear_bias
    logits = _C.linear(input, w, b).reshape(*logits_shape)
    index = -100 if ignore_index is None else ignore_index
    return _C.cross_entropy(logits, target, reduction, index, label_smoothing, weight)
