"""GroupNorm, InstanceNorm1d/2d/3d, RMSNorm and LocalResponseNorm: modules over the functional forms of
pygrad/nn/_normalization.py, with torch's constructor arguments, parameter and buffer names (so
state_dict keys match) and extra_repr."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from pygrad import _C
from pygrad._C import Tensor
from pygrad._device import check_device
from pygrad.nn import functional as F
from pygrad.nn import init
from pygrad.nn.modules.linear import _empty
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.normalization import _AffineNorm, _BatchNorm
from pygrad.nn.parameter import Parameter

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = [
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LocalResponseNorm",
    "RMSNorm",
]


class GroupNorm(_AffineNorm):
    """Group normalization: the C channels split into num_groups groups, each normalised per sample.

    Args:
        num_groups: the number of groups; must divide num_channels.
        num_channels: the number of channels C.
        eps: added to the variance for stability.
        affine: learnable per-channel weight (ones) and bias (zeros).
        device: None or "cpu" (the only device of this build).
        dtype: the parameters' dtype (float32 by default).
        bias: with affine, whether to learn the bias too.
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        check_device(device, "GroupNorm")
        if num_groups <= 0 or num_channels % num_groups != 0:
            raise ValueError(
                f"[GroupNorm] num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self._register_affine((num_channels,), affine, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_BatchNorm):
    """Instance normalization over dim 1: each channel of each sample normalised over its spatial dims.

    The parameters and buffers are _BatchNorm's (weight, bias, running_mean, running_var,
    num_batches_tracked), so state_dicts match torch's; unlike BatchNorm, affine and
    track_running_stats default to False, num_batches_tracked is never advanced and input without
    the batch dim is accepted.

    Args:
        num_features: the number of channels C.
        eps: added to the variance for stability.
        momentum: the running statistics' update factor (None acts as 0, as torch).
        affine: learnable per-channel weight (ones) and bias (zeros).
        track_running_stats: keep running mean and variance and use them in eval mode.
        device: None or "cpu" (the only device of this build).
        dtype: the dtype of the parameters and running statistics (float32 by default).
        bias: with affine, whether to learn the bias too.
    """

    _no_batch_dim: ClassVar[int] = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features,
            eps,
            momentum,
            affine,
            track_running_stats,
            device,
            dtype,
            bias=bias,
        )

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        expected = (self._no_batch_dim, self._no_batch_dim + 1)
        if input.ndim not in expected:
            raise ValueError(
                f"[{name}] expected {expected[0]}D or {expected[1]}D input (got {input.ndim}D input)"
            )
        feature_dim = input.ndim - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"[{name}] expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"[{name}] input's size at dim={feature_dim} does not match num_features. "
                "You can silence this warning by not passing in num_features, "
                "which is not used because affine=False",
                stacklevel=2,
            )
        unbatched = input.ndim == self._no_batch_dim
        out = F.instance_norm(
            input.unsqueeze(0) if unbatched else input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over [N, C, L] or unbatched [C, L] input."""

    _no_batch_dim: ClassVar[int] = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over [N, C, H, W] or unbatched [C, H, W] input."""

    _no_batch_dim: ClassVar[int] = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over [N, C, D, H, W] or unbatched [C, D, H, W] input."""

    _no_batch_dim: ClassVar[int] = 4


class RMSNorm(Module):
    """Root-mean-square normalization over the trailing normalized_shape dims, with an elementwise weight.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dim).
        eps: added to the mean square; None: the machine epsilon of the input's dtype.
        elementwise_affine: learnable weight (ones) of shape normalized_shape.
        device: None or "cpu" (the only device of this build).
        dtype: the weight's dtype (float32 by default).
    """

    weight: Parameter | None

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        check_device(device, "RMSNorm")
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_empty(self.normalized_shape, dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Local response normalization across neighbouring channels (AlexNet's).

    Args:
        size: the number of neighbouring channels in the window.
        alpha: the multiplicative factor.
        beta: the exponent.
        k: the additive factor.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
