"""The Distribution base class (torch.distributions.Distribution) and the helpers the families share:
broadcast_all, probs/logits conversions, lazy_property and the samplers on pygrad's global RNG."""

from __future__ import annotations

import math
from typing import Any

import pygrad
from pygrad import _random
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.distributions import constraints

__all__ = ["Distribution"]

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


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its dim rightmost dims."""
    if dim == 0:
        return value
    return value.reshape((*tuple(value.shape[: value.dim() - dim]), -1)).sum(-1)


def standard_normal(shape: Shape, dtype: Any) -> Tensor:
    """N(0, 1) samples from pygrad's global RNG (pygrad.manual_seed makes them reproducible)."""
    return _random.standard_normal(list(shape), dtype, None, "distributions")


def uniform(shape: Shape, dtype: Any, low: float = 0.0, high: float = 1.0) -> Tensor:
    """Uniform [low, high) samples from pygrad's global RNG."""
    u = _random.uniform(list(shape), dtype, None, "distributions")
    return u if (low, high) == (0.0, 1.0) else u * (high - low) + low


def numpy_rng() -> Any:
    """A numpy stream seeded from pygrad's global RNG, for gamma, binomial and Poisson draws."""
    return _random.numpy_rng(None, "distributions")


def from_numpy(values: Any, dtype: Any) -> Tensor:
    import numpy as np

    return pygrad.from_numpy(np.ascontiguousarray(values, dtype=np.float64)).to(dtype)


def standard_gamma_grad(alpha: Any, x: Any) -> Any:
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


def standard_gamma(concentration: Tensor, shape: Shape) -> Tensor:
    """Gamma(concentration, 1) samples of the given shape, clamped above 0 as torch's are; differentiable
    in concentration by implicit reparameterisation (standard_gamma_grad)."""
    alpha = concentration.detach().expand(*shape).to(pygrad.float64).numpy()
    draws = numpy_rng().standard_gamma(alpha)
    out = from_numpy(draws, concentration.dtype)
    out = out.clamp(min=pygrad.finfo(concentration.dtype).tiny)
    if not (concentration.requires_grad and pygrad.is_grad_enabled()):
        return out
    slope = from_numpy(
        standard_gamma_grad(alpha, out.to(pygrad.float64).numpy()).reshape(alpha.shape),
        concentration.dtype,
    )
    return out + (concentration - concentration.detach()) * slope


class Distribution:
    """The base of every distribution: batch_shape / event_shape, sample / rsample, log_prob and the
    argument and sample validation torch does (on by default; ``set_default_validate_args``)."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turns validation on or off for distributions made afterwards without validate_args=."""
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def __init__(
        self,
        batch_shape: Shape = (),
        event_shape: Shape = (),
        validate_args: bool | None = None,
    ) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                import warnings

                arg_constraints = {}
                warnings.warn(
                    f"{self.__class__} does not define `arg_constraints`. Please set "
                    "`arg_constraints = {}` or initialize the distribution with "
                    "`validate_args=False` to turn off validation.",
                    stacklevel=2,
                )
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(
                    getattr(type(self), param, None), lazy_property
                ):
                    continue  # a parameter derived lazily from the one given
                value = getattr(self, param)
                if not bool(constraint.check(value).all()):
                    raise ValueError(
                        f"Expected parameter {param} "
                        f"({type(value).__name__} of shape {tuple(value.shape)}) "
                        f"of distribution {self!r} "
                        f"to satisfy the constraint {constraint!r}, "
                        f"but found invalid values:\n{value}"
                    )

    def expand(self, batch_shape: Shape, _instance: Any = None) -> Distribution:
        """A view of this distribution with a broadcast batch_shape (parameters expanded, not copied)."""
        raise NotImplementedError

    @property
    def batch_shape(self) -> Shape:
        return self._batch_shape

    @property
    def event_shape(self) -> Shape:
        return self._event_shape

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        raise NotImplementedError

    @property
    def support(self) -> Any:
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape: Shape = ()) -> Tensor:
        """Draws sample_shape samples (no gradient)."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Shape = ()) -> Tensor:
        """Draws reparameterised samples: differentiable in the parameters."""
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    def _extended_shape(self, sample_shape: Shape = ()) -> Shape:
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def _validate_sample(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        start = len(shape) - len(self._event_shape)
        if shape[start:] != self._event_shape:
            raise ValueError(
                f"The right-most size of value must match event_shape: {shape} vs {self._event_shape}."
            )
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: {shape} vs {expected}."
                )
        try:
            support = self.support
        except NotImplementedError:
            import warnings

            warnings.warn(
                f"{self.__class__} does not define `support` to enable sample validation. Please "
                "initialize the distribution with `validate_args=False` to turn off validation.",
                stacklevel=2,
            )
            return
        if not bool(support.check(value).all()):
            raise ValueError(
                "Expected value argument "
                f"({type(value).__name__} of shape {shape}) "
                f"to be within the support ({support!r}) "
                f"of the distribution {self!r}, "
                f"but found invalid values:\n{value}"
            )

    def _get_checked_instance(self, cls: Any, _instance: Any = None) -> Any:
        own: Any = type(self)
        if _instance is None and own.__init__ is not cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method."
            )
        return self.__new__(type(self)) if _instance is None else _instance

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(
            f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else tuple(self.__dict__[p].shape)}"
            for p in names
        )
        return self.__class__.__name__ + "(" + args + ")"


LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
