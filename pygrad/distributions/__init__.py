"""pygrad.distributions: torch.distributions on pygrad's differentiable ops and RNG (pygrad.manual_seed
makes samples reproducible).

Families: Normal, Uniform, Exponential, Laplace, Cauchy, Gumbel, Gamma, Chi2, Beta, Dirichlet, StudentT,
LogNormal, HalfNormal, HalfCauchy, Weibull, Pareto, Kumaraswamy, FisherSnedecor, ContinuousBernoulli,
VonMises, LogisticNormal, MultivariateNormal, LowRankMultivariateNormal, Bernoulli, Categorical, OneHotCategorical, Poisson, Binomial,
Geometric, NegativeBinomial, Multinomial; the relaxations RelaxedBernoulli (LogitRelaxedBernoulli) and
RelaxedOneHotCategorical (ExpRelaxedCategorical); wrappers Independent,
TransformedDistribution and MixtureSameFamily; constraints, transforms, kl_divergence / register_kl.
"""

from __future__ import annotations

from pygrad.distributions import (
    constraints,
    kl_extra,  # noqa: F401  (registers the new families' KL pairs)
    transforms,
    utils,
)
from pygrad.distributions.continuous import (
    Beta,
    Cauchy,
    Chi2,
    Dirichlet,
    Exponential,
    Gamma,
    Gumbel,
    Laplace,
    Normal,
    StudentT,
    Uniform,
)
from pygrad.distributions.continuous_extra import (
    ContinuousBernoulli,
    FisherSnedecor,
    HalfCauchy,
    Kumaraswamy,
    LogisticNormal,
    Pareto,
    VonMises,
    Weibull,
)
from pygrad.distributions.discrete import (
    Bernoulli,
    Binomial,
    Categorical,
    Geometric,
    OneHotCategorical,
    Poisson,
)
from pygrad.distributions.discrete_extra import Multinomial, NegativeBinomial
from pygrad.distributions.distribution import Distribution
from pygrad.distributions.kl import kl_divergence, register_kl
from pygrad.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from pygrad.distributions.multivariate_normal import MultivariateNormal
from pygrad.distributions.relaxed import (
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from pygrad.distributions.transformed import (
    HalfNormal,
    Independent,
    LogNormal,
    MixtureSameFamily,
    TransformedDistribution,
)
from pygrad.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
)

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ComposeTransform",
    "ContinuousBernoulli",
    "Dirichlet",
    "Distribution",
    "ExpRelaxedCategorical",
    "ExpTransform",
    "Exponential",
    "FisherSnedecor",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "Kumaraswamy",
    "Laplace",
    "LogNormal",
    "LogisticNormal",
    "LogitRelaxedBernoulli",
    "LowRankMultivariateNormal",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "Pareto",
    "Poisson",
    "PowerTransform",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StickBreakingTransform",
    "StudentT",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "VonMises",
    "Weibull",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transforms",
    "utils",
]
