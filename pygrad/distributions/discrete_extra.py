"""More discrete families (torch.distributions): NegativeBinomial (a gamma-Poisson mixture, drawn as one)
and Multinomial (counts of total_count categorical draws)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import pygrad
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.distributions import constraints
from pygrad.distributions.continuous import Gamma
from pygrad.distributions.discrete import Binomial, Categorical
from pygrad.distributions.distribution import Distribution
from pygrad.distributions.utils import (
    Shape,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Multinomial", "NegativeBinomial"]


def _log_sigmoid(x: Tensor) -> Tensor:
    # -softplus(-x), without overflow for either sign
    return x.clamp(max=0) - (-x.abs()).exp().log1p()


class NegativeBinomial(Distribution):
    """The number of successes (probability probs) before total_count failures; total_count may be
    any nonnegative real."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(
        self,
        total_count: Any,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.to(self.probs.dtype)
            self._param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.to(self.logits.dtype)
            self._param = self.logits
        super().__init__(tuple(self._param.shape), validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> NegativeBinomial:
        new = self._expand_params(
            NegativeBinomial, batch_shape, _instance, ("total_count", "probs", "logits")
        )
        new._param = new.logits if "logits" in self.__dict__ else new.probs
        return new

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Shape:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape: Shape = ()) -> Tensor:
        with no_grad():
            # total_count may be 0: a Gamma(0, .) draw is 0 here, as torch's
            gamma = Gamma(self.total_count, (-self.logits).exp(), validate_args=False)
            rate = gamma.sample(sample_shape)
            rate = pygrad.where(
                self.total_count.expand(*tuple(rate.shape)) > 0, rate, pygrad.zeros_like(rate)
            )
            return pygrad.poisson(rate)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_unnormalized = n * _log_sigmoid(-logits) + value * _log_sigmoid(logits)
        log_norm = -(n + value).lgamma() + (1.0 + value).lgamma() + n.lgamma()
        # n = 0 and value = 0 has probability 1, but lgamma(0) is infinite
        log_norm = pygrad.where(n + value == 0.0, pygrad.zeros_like(log_norm), log_norm)
        return log_unnormalized - log_norm


class Multinomial(Distribution):
    """Counts over the last dim of probs (or softmax(logits)) from total_count categorical draws."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.simplex,
        "logits": constraints.real_vector,
    }

    def __init__(
        self,
        total_count: int = 1,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> Multinomial:
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count
        categorical = self._categorical.expand(batch_shape)
        assert isinstance(categorical, Categorical)
        new._categorical = categorical
        new._binomial = Binomial(total_count=self.total_count, probs=new.probs)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def param_shape(self) -> Shape:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Shape = ()) -> Tensor:
        sample_shape = tuple(sample_shape)
        with no_grad():
            # (total_count, *sample_shape, *batch) category indices, counted per category
            draws = self._categorical.sample((self.total_count, *sample_shape))
            k = self._categorical._num_events
            one_hot = pygrad.nn.functional.one_hot(draws, k)
            return one_hot.sum(0).to(self.probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        # 0 * -inf is 0 here: a category of probability 0 drawn 0 times
        logits = pygrad.where(
            (value == 0) & (logits == -math.inf), pygrad.zeros_like(logits), logits
        )
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self) -> Tensor:
        n = float(self.total_count)
        term1 = n * self._categorical.entropy() - math.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = (support + 1).lgamma()
        term2 = (binomial_probs * weights).sum(0).sum(-1)
        return term1 + term2
