"""``SyncBatchNorm``: batch normalization whose training statistics cover the whole global batch
(every rank of the pygrad.distributed process group), as torch's ``nn.SyncBatchNorm``.

Without a process group, or with a world of one, it is BatchNorm for any input of rank >= 2. With
several ranks, the per-channel sums are all-reduced in forward (mean, then the centred squares) and
the two gradient sums in backward, so each rank's input gradient is the one of the global batch.
Unlike torch, CPU tensors are supported (MPI collectives); ``process_group`` is accepted but the
default group (all ranks) is always used.
"""

from __future__ import annotations

from typing import Any, Callable

from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.autograd.function import Function
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.normalization import _BatchNorm
from pygrad.nn.modules.normalization_extra import _InstanceNorm

__all__ = ["SyncBatchNorm"]

_Reduce = Callable[[Tensor], None]  # an in-place sum over ranks


def _all_reduce_sum(t: Tensor) -> None:
    from pygrad import distributed as dist

    dist.all_reduce(t)


def _channel_sums(x: Tensor) -> Tensor:
    """Per-channel sums of [N, C, ...] input: [C]."""
    dims = [0, *range(2, x.ndim)]
    return x.sum(dim=dims)


def _shape(x: Tensor) -> list[int]:
    return [1, -1] + [1] * (x.ndim - 2)


class _SyncNormalize(Function):
    """x -> (x - global mean) / sqrt(global biased var + eps), the statistics all-reduced."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, eps: float, reduce: _Reduce, stats_out: list[Any]) -> Any:
        c = x.shape[1]
        stats = _channel_sums(x).reshape(-1)
        count = x.numel() // c
        packed = F.pad(stats, [0, 1], value=float(count))  # [sum_0 .. sum_C-1, count]
        reduce(packed)
        total = float(packed[c].item())
        mean = packed[:c] / total
        centred = x - mean.reshape(_shape(x))
        sq = _channel_sums(centred * centred)
        reduce(sq)
        var = sq / total
        invstd = (var + eps).rsqrt()
        xhat = centred * invstd.reshape(_shape(x))
        ctx.save_for_backward(xhat, invstd)
        ctx.total = total
        ctx.reduce = reduce
        stats_out[:] = [mean, sq, total]  # for the running statistics
        return xhat

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        xhat, invstd = ctx.saved_tensors
        assert xhat is not None and invstd is not None
        c = xhat.shape[1]
        sums = F.pad(_channel_sums(grad), [0, c]) + F.pad(_channel_sums(grad * xhat), [c, 0])
        ctx.reduce(sums)  # [sum g, sum g * xhat] over the global batch
        mean_g = (sums[:c] / ctx.total).reshape(_shape(xhat))
        mean_gx = (sums[c:] / ctx.total).reshape(_shape(xhat))
        dx = (grad - mean_g - xhat * mean_gx) * invstd.reshape(_shape(xhat))
        return dx, None, None, None


def _sync_batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    momentum: float,
    eps: float,
    reduce: _Reduce,
) -> Tensor:
    """Training-mode batch norm over the global batch (statistics summed by ``reduce``)."""
    stats: list[Any] = []
    out: Tensor = _SyncNormalize.apply(input, eps, reduce, stats)
    if running_mean is not None and running_var is not None:
        mean, sq, total = stats
        with no_grad():
            unbiased = sq / max(total - 1.0, 1.0)
            running_mean.mul_(1 - momentum).add_(mean * momentum)
            running_var.mul_(1 - momentum).add_(unbiased * momentum)
    if weight is not None:
        out = out * weight.reshape(_shape(input))
    if bias is not None:
        out = out + bias.reshape(_shape(input))
    return out


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over dim 1 of [N, C, ...] input with statistics over all ranks.

    Args:
        num_features: the number of channels C.
        eps, momentum, affine, track_running_stats, device, dtype, bias: as BatchNorm.
        process_group: accepted for torch scripts; the default group is always used.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = process_group

    def _world_size(self) -> int:
        from pygrad import distributed as dist

        return dist.get_world_size() if dist.is_initialized() else 1

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        if not use_batch_stats or self._world_size() == 1:
            return self._local_forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        track = self.training and self.track_running_stats
        return _sync_batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            factor,
            self.eps,
            _all_reduce_sum,
        )

    def _local_forward(self, input: Tensor) -> Tensor:
        # BatchNorm's forward for any rank >= 2 (its own rank check lists 2-5).
        saved = self._expected_dims
        object.__setattr__(self, "_expected_dims", (input.ndim,))
        try:
            return super().forward(input)
        finally:
            object.__setattr__(self, "_expected_dims", saved)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Replaces every BatchNorm*d in ``module`` (itself included) by a SyncBatchNorm sharing its
        parameters and buffers; returns the converted module (the same object unless it is a
        BatchNorm itself). InstanceNorm layers are left alone, as torch."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, (_InstanceNorm, cls)):
            out = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
