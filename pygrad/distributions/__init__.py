"""pygrad.distributions: torch.distributions on pygrad's differentiable ops and RNG (pygrad.manual_seed
makes samples reproducible).

Families: Normal, Uniform, Exponential, Laplace, Cauchy, Gumbel, Gamma, Chi2, Beta, Dirichlet, StudentT,
LogNormal, HalfNormal, MultivariateNormal, Bernoulli, Categorical, OneHotCategorical, Poisson, Binomial,
Geometric; wrappers Independent,
TransformedDistribution and MixtureSameFamily; constraints, transforms, kl_divergence / register_kl.
"""

from __future__ import annotations

from pygrad.distributions import constraints, transforms, utils
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
from pygrad.distributions.discrete import (
    Bernoulli,
    Binomial,
    Categorical,
    Geometric,
    OneHotCategorical,
    Poisson,
)
from pygrad.distributions.distribution import Distribution
from pygrad.distributions.kl import kl_divergence, register_kl
from pygrad.distributions.multivariate_normal import MultivariateNormal
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
    SigmoidTransform,
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
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfNormal",
    "Independent",
    "Laplace",
    "LogNormal",
    "MixtureSameFamily",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Poisson",
    "SigmoidTransform",
    "StudentT",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transforms",
    "utils",
]
