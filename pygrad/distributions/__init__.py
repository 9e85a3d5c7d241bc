"""pygrad.distributions: torch.distributions on pygrad's differentiable ops and RNG (pygrad.manual_seed
makes samples reproducible).

Families: Normal, Uniform, Exponential, Laplace, Gamma, Beta, Dirichlet, LogNormal, MultivariateNormal,
Bernoulli, Categorical, OneHotCategorical, Poisson, Binomial, Geometric; wrappers Independent,
TransformedDistribution and MixtureSameFamily; constraints, transforms, kl_divergence / register_kl.
"""

from __future__ import annotations

from pygrad.distributions import constraints, transforms
from pygrad.distributions.continuous import (
    Beta,
    Dirichlet,
    Exponential,
    Gamma,
    Laplace,
    Normal,
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
    Independent,
    LogNormal,
    MixtureSameFamily,
    TransformedDistribution,
)
from pygrad.distributions.transforms import (
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    SigmoidTransform,
    Transform,
)

__all__ = [
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "ComposeTransform",
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "Gamma",
    "Geometric",
    "Independent",
    "Laplace",
    "LogNormal",
    "MixtureSameFamily",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Poisson",
    "SigmoidTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transforms",
]
