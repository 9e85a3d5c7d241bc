"""torch.nn's legacy modules: ``CrossMapLRN2d`` (Lua torch's cross-channel LRN, with torch's exact numbers)
and the deprecated ``Container``."""

from __future__ import annotations

import warnings
from typing import Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import ones
from pygrad.autograd.function import Function
from pygrad.nn.modules.module import Module

__all__ = ["Container", "CrossMapLRN2d"]


class Container(Module):
    """torch's deprecated Module whose keyword arguments become its submodules (subclass Module instead)."""

    def __init__(self, **kwargs: Any) -> None:
        warnings.warn(
            "`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
            "Subclass that instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


def _band(channels: int, below: int, above: int, dtype: _C.dtype) -> Tensor:
    """[C, C] with 1 where -below <= j - c <= above: row c sums channels c-below..c+above."""
    full = ones(channels, channels, dtype=dtype)
    return full.triu(-below) * full.tril(above)


class _CrossMapLRN2dFunction(Function):
    """torch's legacy autograd.Function, numbers included: its running window never drops channel 0
    from the sums of later channels, and its backward (not the exact derivative of the forward) sums
    the ratios over channels c - (size - (size-1)//2) .. c + (size-1)//2 - 1."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, size: int, alpha: float, beta: float, k: float) -> Tensor:
        channels = input.shape[1]
        pre_pad = int((size - 1) / 2 + 1)
        # Channel c sums the squares of channels max(1, c-pre_pad+1)..c+pre_pad-1, and always channel 0.
        window = _band(channels, pre_pad - 1, pre_pad - 1, input.dtype)
        window[:, 0] = 1.0
        square = input * input
        summed = _C.matmul(square.movedim(1, -1), window.transpose(0, 1)).movedim(-1, 1)
        scale = summed * (alpha / size) + k
        output = scale.pow(-beta) * input
        ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        ctx.save_for_backward(input, output, scale)
        return output

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor | None, None, None, None, None]:
        input, output, scale = ctx.saved_tensors
        size, alpha, beta = ctx.size, ctx.alpha, ctx.beta
        inverse_pre_pad = int(size - (size - 1) / 2)
        channels = input.shape[1]
        if inverse_pre_pad > size - 1:  # size 1: torch's padded buffer is one channel short
            raise RuntimeError(
                f"start ({inverse_pre_pad}) + length ({channels}) exceeds dimension size "
                f"({channels + size - 1})."
            )
        ratio = grad_output * output / scale
        window = _band(channels, inverse_pre_pad, size - 1 - inverse_pre_pad, input.dtype)
        accum = _C.matmul(ratio.movedim(1, -1), window.transpose(0, 1)).movedim(-1, 1)
        grad = scale.pow(-beta) * grad_output - (2.0 * alpha * beta / size) * input * accum
        return grad, None, None, None, None


class CrossMapLRN2d(Module):
    """Local response normalization across channels of [N, C, H, W] input, as torch's legacy module
    computes it (which differs from ``LocalResponseNorm``): x * (k + alpha/size * window sum of x^2)^-beta.

    Args:
        size: the number of channels in the window.
        alpha: the multiplicative factor.
        beta: the exponent.
        k: the additive factor.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        out: Tensor = _CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)
        return out

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
