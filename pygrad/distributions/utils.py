"""Helpers the distributions share (torch.distributions.utils): broadcast_all, clamp_probs,
probs_to_logits / logits_to_probs and lazy_property, plus the private samplers on pygrad's global RNG
(pygrad.manual_seed makes every draw reproducible) and the implicit gradient of gamma draws."""

from __future__ import annotations

import math
from typing import Any

import pygrad
from pygrad import _random
from pygrad._C import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]

Shape = tuple[int, ...]


class lazy_property:
    """A property computed on first access and then cached on the instance (probs from logits, ...)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with pygrad.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _dtype_of(values: tuple[Any, ...]) -> Any:
    for v in values:
        if isinstance(v, Tensor) and v.is_floating_point():
            return v.dtype
    return pygrad.float32


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Tensors and numbers broadcast to one shape; numbers take the first floating tensor's dtype."""
    for v in values:
        if not isinstance(v, (Tensor, int, float)):
            raise ValueError("Input arguments must all be instances of numbers.Number or Tensor.")
    dtype = _dtype_of(values)
    tensors = [v if isinstance(v, Tensor) else pygrad.tensor(float(v), dtype=dtype) for v in values]
    shape = pygrad.broadcast_shapes(*[tuple(t.shape) for t in tensors])
    return tuple(t if tuple(t.shape) == shape else t.expand(*shape) for t in tensors)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] of their dtype."""
    eps = pygrad.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-odds (binary) or log-probabilities (categorical) of clamped probabilities."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid (binary) or softmax over the last dim (categorical)."""
    return logits.sigmoid() if is_binary else pygrad.softmax(logits, -1)


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its dim rightmost dims."""
    if dim == 0:
        return value
    return value.reshape((*tuple(value.shape[: value.dim() - dim]), -1)).sum(-1)


def _standard_normal(shape: Shape, dtype: Any) -> Tensor:
    """N(0, 1) samples from pygrad's global RNG (pygrad.manual_seed makes them reproducible)."""
    return _random.standard_normal(list(shape), dtype, None, "distributions")


def _uniform(shape: Shape, dtype: Any, low: float = 0.0, high: float = 1.0) -> Tensor:
    """Uniform [low, high) samples from pygrad's global RNG."""
    u = _random.uniform(list(shape), dtype, None, "distributions")
    return u if (low, high) == (0.0, 1.0) else u * (high - low) + low


def _numpy_rng() -> Any:
    """A numpy stream seeded from pygrad's global RNG, for gamma, binomial and Poisson draws."""
    return _random.numpy_rng(None, "distributions")


def _from_numpy(values: Any, dtype: Any) -> Tensor:
    import numpy as np

    return pygrad.from_numpy(np.ascontiguousarray(values, dtype=np.float64)).to(dtype)


def _standard_gamma_grad(alpha: Any, x: Any) -> Any:
    """d x / d alpha for x ~ Gamma(alpha, 1) with its CDF held fixed (implicit reparameterisation):
    -(d P(alpha, x) / d alpha) / pdf(x). The alpha-derivative of log P (or log Q) is a central difference
    in alpha, accurate to ~1e-9 relative; numpy float64 arrays in and out."""
    import numpy as np

    from pygrad.special import _lgamma_np, _log_lower_gamma, _log_upper_gamma

    alpha, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    alpha, x = alpha.ravel(), x.ravel()
    out = np.empty_like(x)
    log_pdf = (alpha - 1) * np.log(x) - x - _lgamma_np(alpha)
    lower = x < alpha + 1
    for mask, fn, sign in ((lower, _log_lower_gamma, -1.0), (~lower, _log_upper_gamma, 1.0)):
        if not mask.any():
            continue
        a, xs = alpha[mask], x[mask]
        h = 1e-5 * a
        slope = (fn(a + h, xs) - fn(a - h, xs)) / (2 * h)
        out[mask] = sign * np.exp(fn(a, xs) - log_pdf[mask]) * slope
    return out


def _standard_gamma(concentration: Tensor, shape: Shape) -> Tensor:
    """Gamma(concentration, 1) samples of the given shape, clamped above 0 as torch's are; differentiable
    in concentration by implicit reparameterisation (_standard_gamma_grad)."""
    alpha = concentration.detach().expand(*shape).to(pygrad.float64).numpy()
    draws = _numpy_rng().standard_gamma(alpha)
    out = _from_numpy(draws, concentration.dtype)
    out = out.clamp(min=pygrad.finfo(concentration.dtype).tiny)
    if not (concentration.requires_grad and pygrad.is_grad_enabled()):
        return out
    slope = _from_numpy(
        _standard_gamma_grad(alpha, out.to(pygrad.float64).numpy()).reshape(alpha.shape),
        concentration.dtype,
    )
    return out + (concentration - concentration.detach()) * slope


_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
