"""MultivariateNormal (torch.distributions.MultivariateNormal): a mean vector with one of a covariance
matrix, a precision matrix or a lower Cholesky factor; log_prob, entropy and rsample go through the
Cholesky factor scale_tril (pygrad._linalg().cholesky and solve_triangular, both differentiable)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import pygrad
from pygrad._C import Tensor
from pygrad.distributions import constraints
from pygrad.distributions.distribution import Distribution
from pygrad.distributions.utils import Shape, _standard_normal, lazy_property


def _linalg() -> Any:
    """pygrad.linalg, imported on first use: it loads numpy, and importing pygrad.distributions stays
    fast."""
    import pygrad.linalg

    return pygrad.linalg


__all__ = ["MultivariateNormal"]


def _batch_mahalanobis(bL: Tensor, bx: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x for batched lower factors L and vectors x (broadcast together)."""
    n = bx.shape[-1]
    batch = pygrad.broadcast_shapes(tuple(bL.shape[:-2]), tuple(bx.shape[:-1]))
    L = bL.expand(*((*batch, n, n)))
    x = bx.expand(*((*batch, n))).unsqueeze(-1)
    solved = _linalg().solve_triangular(L, x, upper=False)
    return solved.pow(2).squeeze(-1).sum(-1)


def _half_log_det(L: Tensor) -> Tensor:
    return L.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class MultivariateNormal(Distribution):
    """The multivariate normal N(loc, covariance_matrix); give exactly one of covariance_matrix,
    precision_matrix and scale_tril."""

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc: Tensor,
        covariance_matrix: Tensor | None = None,
        precision_matrix: Tensor | None = None,
        scale_tril: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (
            precision_matrix is not None
        ) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
            )
        matrix: Tensor
        if scale_tril is not None:
            if scale_tril.dim() < 2:
                raise ValueError(
                    "scale_tril matrix must be at least two-dimensional, "
                    "with optional leading batch dimensions"
                )
            matrix = scale_tril
        elif covariance_matrix is not None:
            if covariance_matrix.dim() < 2:
                raise ValueError(
                    "covariance_matrix must be at least two-dimensional, "
                    "with optional leading batch dimensions"
                )
            matrix = covariance_matrix
        else:
            assert precision_matrix is not None
            if precision_matrix.dim() < 2:
                raise ValueError(
                    "precision_matrix must be at least two-dimensional, "
                    "with optional leading batch dimensions"
                )
            matrix = precision_matrix
        batch_shape = pygrad.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        n = loc.shape[-1]
        square = (*batch_shape, n, n)
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(*square)
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(*square)
        else:
            assert precision_matrix is not None
            self.precision_matrix = precision_matrix.expand(*square)
        self.loc = loc.expand(*((*batch_shape, n)))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = _linalg().cholesky(covariance_matrix)
        else:
            assert precision_matrix is not None
            # Symmetrised first, so the gradient for the precision is symmetric, as torch's is.
            sym = (precision_matrix + precision_matrix.mT) / 2
            self._unbroadcasted_scale_tril = _linalg().cholesky(_linalg().inv(sym))

    def expand(self, batch_shape: Shape, _instance: Any = None) -> MultivariateNormal:
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        loc_shape = batch_shape + self.event_shape
        cov_shape = loc_shape + self.event_shape
        new.loc = self.loc.expand(*loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(*cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self) -> Tensor:
        shape = self._batch_shape + self._event_shape + self._event_shape
        return self._unbroadcasted_scale_tril.expand(*shape)

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        shape = self._batch_shape + self._event_shape + self._event_shape
        return (L @ L.mT).expand(*shape)

    @lazy_property
    def precision_matrix(self) -> Tensor:
        shape = self._batch_shape + self._event_shape + self._event_shape
        return (
            _linalg()
            .inv(self._unbroadcasted_scale_tril @ self._unbroadcasted_scale_tril.mT)
            .expand(*shape)
        )

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (
            self._unbroadcasted_scale_tril.pow(2)
            .sum(-1)
            .expand(*(self._batch_shape + self._event_shape))
        )

    def rsample(self, sample_shape: Shape = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self) -> Tensor:
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if self._batch_shape == () else H.expand(*self._batch_shape)
