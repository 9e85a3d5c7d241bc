"""``LinearCrossEntropyLoss``: a linear layer and cross entropy in one module (torch 2.13's), its
weight stored as a 2-d ``linear`` submodule so state_dicts match torch's."""

from __future__ import annotations

import math
from typing import Any

from pygrad._C import Tensor
from pygrad.nn import functional as F
from pygrad.nn._linear_ce import LinearCrossEntropyOptions
from pygrad.nn.modules.linear import Linear
from pygrad.nn.modules.loss import _WeightedLoss

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]


class LinearCrossEntropyLoss(_WeightedLoss):
    """``F.linear_cross_entropy(input, W, target)`` with W a learnable [num_classes * prod(out_features), in_features].

    Args:
        in_features: the input's last dimension.
        num_classes: the number of classes C.
        out_features: extra logit dims (d1, ..., dK) for a K-dimensional loss.
        bias: whether the projection has a bias.
        device, dtype: as ``Linear``.
        reduction, weight, ignore_index, label_smoothing: as ``CrossEntropyLoss`` (ignore_index None: -100).
        options: accepted for torch scripts (pygrad does not chunk).
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple[int, ...] = (),
        bias: bool = False,
        device: Any = None,
        dtype: Any = None,
        reduction: str = "mean",
        weight: Tensor | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: LinearCrossEntropyOptions | None = None,
    ) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(
                f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}"
            )
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(
                f"expected label_smoothing to be in range [0, 1], got {label_smoothing}"
            )
        super().__init__(weight=weight, reduction=reduction)
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        rows = math.prod(out_features) * num_classes
        self.linear = Linear(in_features, rows, bias=bias, device=device, dtype=dtype)
        self.options = options

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        shape = (self.num_classes, *self.out_features)
        w = self.linear.weight.reshape(*shape, self.linear.in_features)
        b = self.linear.bias.reshape(*shape) if self.linear.bias is not None else None
        return F.linear_cross_entropy(
            input,
            w,
            target,
            linear_bias=b,
            weight=self.weight,
            reduction=self.reduction,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            options=self.options,
        )

    def extra_repr(self) -> str:
        return (
            f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
            f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
            f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
            f"label_smoothing={self.label_smoothing}, options={self.options}"
        )
