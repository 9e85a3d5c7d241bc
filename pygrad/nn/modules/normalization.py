"""BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm (and _BatchNorm, the base InstanceNorm shares)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from pygrad import _C
from pygrad._C import Tensor
from pygrad._config import default_float
from pygrad._device import check_device
from pygrad._grad_mode import no_grad
from pygrad.nn import functional as F
from pygrad.nn import init
from pygrad.nn.modules.linear import _empty
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm"]


class _BatchNorm(Module):
    """Batch normalization over dim 1 (the channels), with PyTorch's arguments.

    Args:
        num_features: the number of channels C.
        eps: added to the variance for stability.
        momentum: the running statistics' update factor (None: a cumulative average).
        affine: learnable per-channel weight (ones) and bias (zeros).
        track_running_stats: keep running mean and variance for eval mode.
        device: None or "cpu" (the only device of this build).
        dtype: the dtype of the parameters and running statistics (float32 by default).
        bias: with affine, whether to learn the bias too.
    """

    _expected_dims: ClassVar[tuple[int, ...]] = ()
    weight: Parameter | None
    bias: Parameter | None
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_empty((num_features,), dtype))
            if bias:
                self.bias = Parameter(_empty((num_features,), dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            fdtype = default_float[0] if dtype is None else dtype
            self.register_buffer("running_mean", _C._full([num_features], 0, fdtype, False))
            self.register_buffer("running_var", _C._full([num_features], 1, fdtype, False))
            self.register_buffer("num_batches_tracked", _C._full([], 0, _C.int64, False))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if not self.track_running_stats:
            return
        with no_grad():
            for stat, value in (
                (self.running_mean, 0),
                (self.running_var, 1),
                (self.num_batches_tracked, 0),
            ):
                if stat is not None:
                    stat.fill_(value)

    def reset_parameters(self) -> None:
        """Resets the running statistics, weight to ones and bias to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(
                f"[{type(self).__name__}] expected {dims} input (got {input.ndim}D input)"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization over [N, C] or [N, C, L] input (statistics per channel C)."""

    _expected_dims: ClassVar[tuple[int, ...]] = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over [N, C, H, W] input (statistics per channel C)."""

    _expected_dims: ClassVar[tuple[int, ...]] = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over [N, C, D, H, W] input (statistics per channel C)."""

    _expected_dims: ClassVar[tuple[int, ...]] = (5,)


class _AffineNorm(Module):
    """The optional learned scale (ones) and shift (zeros) of LayerNorm and GroupNorm, registered as torch's."""

    weight: Parameter | None
    bias: Parameter | None

    def _register_affine(
        self, shape: tuple[int, ...], affine: bool, bias: bool, dtype: _C.dtype | None
    ) -> None:
        self.register_parameter("weight", Parameter(_empty(shape, dtype)) if affine else None)
        self.register_parameter(
            "bias", Parameter(_empty(shape, dtype)) if affine and bias else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones and bias to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


class LayerNorm(_AffineNorm):
    """Normalizes over the trailing normalized_shape dims, with elementwise weight (ones) and bias (zeros).

    Args:
        normalized_shape: the trailing shape to normalize over (an int for the last dim).
        eps: added to the variance for stability.
        elementwise_affine: learnable weight and bias of that shape.
        bias: with elementwise_affine, whether to learn the bias too.
        device: None or "cpu" (the only device of this build).
        dtype: the parameters' dtype (float32 by default).
    """

    weight: Parameter | None
    bias: Parameter | None

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        check_device(device, "LayerNorm")
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._register_affine(self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )
