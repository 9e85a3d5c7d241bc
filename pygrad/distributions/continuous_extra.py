"""More continuous families (torch.distributions): HalfCauchy, Weibull, Pareto and Kumaraswamy (pushed
through transforms as torch's are, so their rsample, cdf and icdf come from TransformedDistribution),
FisherSnedecor (a ratio of gammas), ContinuousBernoulli (rsampled through its inverse CDF) and VonMises
(Best and Fisher's rejection sampler on pygrad's RNG), LogisticNormal (a Normal stick-broken onto the
simplex)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import pygrad
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.distributions import constraints
from pygrad.distributions.continuous import Cauchy, Exponential, Gamma, Normal, Uniform
from pygrad.distributions.distribution import Distribution
from pygrad.distributions.transformed import TransformedDistribution
from pygrad.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ExpTransform,
    PowerTransform,
    StickBreakingTransform,
)
from pygrad.distributions.utils import (
    Shape,
    _uniform,
    broadcast_all,
    clamp_probs,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = [
    "ContinuousBernoulli",
    "FisherSnedecor",
    "HalfCauchy",
    "Kumaraswamy",
    "LogisticNormal",
    "Pareto",
    "VonMises",
    "Weibull",
]

_EULER_GAMMA = 0.57721566490153286061


def _shape(t: Tensor) -> Shape:
    return tuple(t.shape)


def _nan_where(mask: Tensor, value: Tensor) -> Tensor:
    return pygrad.where(mask, pygrad.full_like(value, math.nan), value)


class HalfCauchy(TransformedDistribution):
    """|X| for X ~ Cauchy(0, scale)."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> HalfCauchy:
        new = self._get_checked_instance(HalfCauchy, _instance)
        result = super().expand(batch_shape, _instance=new)
        assert isinstance(result, HalfCauchy)
        return result

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale  # type: ignore[attr-defined]

    @property
    def mean(self) -> Tensor:
        return pygrad.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def mode(self) -> Tensor:
        return pygrad.zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return pygrad.where(value >= 0, log_prob, pygrad.full_like(log_prob, -math.inf))

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Tensor) -> Tensor:
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class Weibull(TransformedDistribution):
    """scale * E ** (1 / concentration) for E ~ Exponential(1)."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "scale": constraints.positive,
        "concentration": constraints.positive,
    }
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(pygrad.ones_like(self.scale), validate_args=validate_args)
        transforms = [
            PowerTransform(exponent=self.concentration_reciprocal),
            AffineTransform(loc=0, scale=self.scale),
        ]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> Weibull:
        new = self._get_checked_instance(Weibull, _instance)
        batch_shape = tuple(batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        new.concentration = self.concentration.expand(*batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        transforms = [
            PowerTransform(exponent=new.concentration_reciprocal),
            AffineTransform(loc=0, scale=new.scale),
        ]
        TransformedDistribution.__init__(
            new,
            self.base_dist.expand(batch_shape),
            transforms,
            validate_args=False,
        )
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self) -> Tensor:
        c = self.concentration
        return self.scale * ((c - 1) / c) ** c.reciprocal()

    @property
    def variance(self) -> Tensor:
        r = self.concentration_reciprocal
        return self.scale.pow(2) * ((1 + 2 * r).lgamma().exp() - (2 * (1 + r).lgamma()).exp())

    def entropy(self) -> Tensor:
        r = self.concentration_reciprocal
        return _EULER_GAMMA * (1 - r) + (self.scale * r).log() + 1


class Pareto(TransformedDistribution):
    """scale * exp(E) for E ~ Exponential(alpha): support [scale, inf)."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "alpha": constraints.positive,
        "scale": constraints.positive,
    }
    has_rsample = True

    def __init__(self, scale: Any, alpha: Any, validate_args: bool | None = None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base_dist = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> Pareto:
        new = self._get_checked_instance(Pareto, _instance)
        batch_shape = tuple(batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        new.alpha = self.alpha.expand(*batch_shape)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=new.scale)]
        TransformedDistribution.__init__(
            new,
            self.base_dist.expand(batch_shape),
            transforms,
            validate_args=False,
        )
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        # inf for alpha <= 1; a safe alpha there keeps the unused branch's gradient finite
        inf = self.alpha <= 1
        a = pygrad.where(inf, pygrad.full_like(self.alpha, 2.0), self.alpha)
        mean = a * self.scale / (a - 1)
        return pygrad.where(inf, pygrad.full_like(mean, math.inf), mean)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        inf = self.alpha <= 2
        a = pygrad.where(inf, pygrad.full_like(self.alpha, 3.0), self.alpha)
        var = self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))
        return pygrad.where(inf, pygrad.full_like(var, math.inf), var)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.greater_than_eq(self.scale)

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    # E[X^n] = b B(1 + n / a, b)
    arg1 = 1 + n / a
    return b * (arg1.lgamma() + b.lgamma() - (arg1 + b).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    """(1 - U ** (1 / concentration0)) ** (1 / concentration1) for U ~ Uniform(0, 1)."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self, concentration1: Any, concentration0: Any, validate_args: bool | None = None
    ) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(
            pygrad.zeros_like(self.concentration0),
            pygrad.ones_like(self.concentration0),
            validate_args=validate_args,
        )
        super().__init__(base_dist, self._transforms(), validate_args=validate_args)

    def _transforms(self) -> Any:
        return [
            PowerTransform(exponent=self.concentration0.reciprocal()),
            AffineTransform(loc=1.0, scale=-1.0),
            PowerTransform(exponent=self.concentration1.reciprocal()),
        ]

    def expand(self, batch_shape: Shape, _instance: Any = None) -> Kumaraswamy:
        new = self._get_checked_instance(Kumaraswamy, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration1 = self.concentration1.expand(*batch_shape)
        new.concentration0 = self.concentration0.expand(*batch_shape)
        TransformedDistribution.__init__(
            new, self.base_dist.expand(batch_shape), new._transforms(), validate_args=False
        )
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        # ((a - 1) / (ab - 1)) ** (1 / a), nan where either concentration is below 1 as torch's; torch
        # 2.13's log-space form puts log1p(-b) for log(a - 1), which makes every mode nan
        log_mode = ((a - 1).log() - (a * b - 1).log()) / a
        return _nan_where((b < 1) | (a < 1), log_mode).exp()

    @property
    def variance(self) -> Tensor:
        second = _kumaraswamy_moment(self.concentration1, self.concentration0, 2)
        return second - self.mean.pow(2)

    def entropy(self) -> Tensor:
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        h0 = (self.concentration0 + 1).digamma() + _EULER_GAMMA
        return t0 + t1 * h0 - self.concentration1.log() - self.concentration0.log()


class FisherSnedecor(Distribution):
    """The F distribution with df1 and df2 degrees of freedom: a ratio of scaled chi-squares."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "df1": constraints.positive,
        "df2": constraints.positive,
    }
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Any, df2: Any, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        # unvalidated: a bad df is reported as df1 / df2 below, not as the gammas' parameters
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False)
        super().__init__(_shape(self.df1), validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> FisherSnedecor:
        new = self._get_checked_instance(FisherSnedecor, _instance)
        batch_shape = tuple(batch_shape)
        new.df1 = self.df1.expand(*batch_shape)
        new.df2 = self.df2.expand(*batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        df2 = _nan_where(self.df2 <= 2, self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return _nan_where(self.df1 <= 2, mode)

    @property
    def variance(self) -> Tensor:
        df1, df2 = self.df1, _nan_where(self.df2 <= 4, self.df2)
        return 2 * df2.pow(2) * (df1 + df2 - 2) / (df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape: Shape = ()) -> Tensor:
        # X1 ~ Gamma(df1 / 2, df1), X2 ~ Gamma(df2 / 2, df2): X1 / X2 ~ F(df1, df2)
        tiny = pygrad.finfo(self.df1.dtype).tiny
        x1 = self._gamma1.rsample(sample_shape)
        x2 = self._gamma2.rsample(sample_shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        ct1, ct2, ct3 = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3


class ContinuousBernoulli(Distribution):
    """The continuous Bernoulli on [0, 1] (Loaiza-Ganem and Cunningham), density proportional to
    probs^x (1 - probs)^(1 - x); Taylor expansions replace the closed forms for probs in lims."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self,
        probs: Any = None,
        logits: Any = None,
        lims: tuple[float, float] = (0.499, 0.501),
        validate_args: bool | None = None,
    ) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            validate = Distribution._validate_args if validate_args is None else validate_args
            # checked here: the clamp below would hide values outside [0, 1]
            if validate and not bool(constraints.unit_interval.check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
            self._param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        self._lims = lims
        super().__init__(_shape(self._param), validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> ContinuousBernoulli:
        new = self._expand_params(ContinuousBernoulli, batch_shape, _instance, ("probs", "logits"))
        new._lims = self._lims
        new._param = new.logits if "logits" in self.__dict__ else new.probs
        return new

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self) -> Shape:
        return _shape(self._param)

    def _outside_unstable_region(self) -> Tensor:
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return pygrad.where(
            self._outside_unstable_region(),
            self.probs,
            pygrad.full_like(self.probs, self._lims[0]),
        )

    def _cont_bern_log_norm(self) -> Tensor:
        cut = self._cut_probs()
        below = pygrad.where(cut <= 0.5, cut, pygrad.zeros_like(cut))
        above = pygrad.where(cut >= 0.5, cut, pygrad.ones_like(cut))
        log_norm = ((-cut).log1p() - cut.log()).abs().log() - pygrad.where(
            cut <= 0.5, (-2.0 * below).log1p(), (2.0 * above - 1.0).log()
        )
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return pygrad.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return pygrad.where(self._outside_unstable_region(), mus, taylor)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        var = cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2) + 1.0 / ((-cut).log1p() - cut.log()).pow(
            2
        )
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return pygrad.where(self._outside_unstable_region(), var, taylor)

    def sample(self, sample_shape: Shape = ()) -> Tensor:
        u = _uniform(self._extended_shape(sample_shape), self.probs.dtype)
        with no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape: Shape = ()) -> Tensor:
        u = _uniform(self._extended_shape(sample_shape), self.probs.dtype)
        return self.icdf(u)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits = self.logits
        bce = logits.clamp(min=0) - logits * value + (-logits.abs()).exp().log1p()
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = pygrad.where(self._outside_unstable_region(), cdfs, value)
        return pygrad.where(
            value <= 0.0,
            pygrad.zeros_like(unbounded),
            pygrad.where(value >= 1.0, pygrad.ones_like(unbounded), unbounded),
        )

    def icdf(self, value: Tensor) -> Tensor:
        cut = self._cut_probs()
        closed = ((-cut + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (
            cut.log() - (-cut).log1p()
        )
        return pygrad.where(self._outside_unstable_region(), closed, value * pygrad.ones_like(cut))

    def entropy(self) -> Tensor:
        log_probs0 = (-self.probs).log1p()
        log_probs1 = self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0


def _log_i0(x: Tensor) -> Tensor:
    # log I0(x) = log(i0e(x)) + x for x > 0 (exact, where torch uses a polynomial fit)
    from pygrad.special import i0e

    return i0e(x).log() + x


def _log_i1(x: Tensor) -> Tensor:
    from pygrad.special import i1e

    return i1e(x).log() + x


class VonMises(Distribution):
    """The circular von Mises distribution: loc and values are angles (any real, modulo 2 pi);
    samples lie in [-pi, pi)."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "concentration": constraints.positive,
    }
    support = constraints.real
    has_rsample = False

    def __init__(self, loc: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(_shape(self.loc), validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> VonMises:
        return self._expand_params(VonMises, batch_shape, _instance, ("loc", "concentration"))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        k = self.concentration
        return k * (value - self.loc).cos() - math.log(2 * math.pi) - _log_i0(k)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        k = self.concentration
        return 1 - (_log_i1(k) - _log_i0(k)).exp()

    def _proposal_r(self, kappa: Tensor) -> Tensor:
        tau = 1 + (1 + 4 * kappa**2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        r = (1 + rho**2) / (2 * rho)
        # second-order Taylor expansion around 0: the closed form cancels for tiny kappa
        return pygrad.where(kappa < 1e-5, 1 / kappa + kappa, r)

    def sample(self, sample_shape: Shape = ()) -> Tensor:
        """Best and Fisher (1979): wrapped-Cauchy proposals accepted by a squeeze test, then the
        log test; in float64 so small concentrations do not stall the loop."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            f64 = pygrad.float64
            loc = self.loc.detach().to(f64).expand(*shape)
            kappa = self.concentration.detach().to(f64).expand(*shape)
            r = self._proposal_r(kappa)
            x = pygrad.zeros(shape, dtype=f64)
            done = pygrad.zeros(shape, dtype=pygrad.bool)
            while not bool(done.all()):
                u1 = _uniform(shape, f64)
                u2 = _uniform(shape, f64)
                u3 = _uniform(shape, f64)
                z = (math.pi * u1).cos()
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
                accept = accept & ~done
                x = pygrad.where(accept, (u3 - 0.5).sign() * f.acos(), x)
                done = done | accept
            out = (x + math.pi + loc).remainder(2 * math.pi) - math.pi
            return out.to(self.loc.dtype)


class LogisticNormal(TransformedDistribution):
    """A Normal over R^(K-1) pushed onto the K-simplex by StickBreakingTransform."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand((1,))
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Shape, _instance: Any = None) -> LogisticNormal:
        new = self._get_checked_instance(LogisticNormal, _instance)
        result = super().expand(batch_shape, _instance=new)
        assert isinstance(result, LogisticNormal)
        return result

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc  # type: ignore[attr-defined]

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale  # type: ignore[attr-defined]
