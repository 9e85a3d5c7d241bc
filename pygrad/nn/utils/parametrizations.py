"""torch.nn.utils.parametrizations: weight_norm, spectral_norm and orthogonal as parametrizations.

Each registers a parametrization (see ``pygrad.nn.utils.parametrize``), so the state_dict keys are
torch's: ``parametrizations.weight.original0`` / ``original1`` (g and v) for weight_norm,
``parametrizations.weight.original`` plus the ``parametrizations.weight.0._u`` / ``_v`` buffers for
spectral_norm, ``parametrizations.weight.original`` (and ``...0.base``) for orthogonal.
"""

from __future__ import annotations

from enum import Enum, auto

from pygrad import _C
from pygrad._C import Tensor
from pygrad._dtype_info import finfo
from pygrad._factories import eye, randn, zeros_like
from pygrad._grad_mode import no_grad
from pygrad._linalg_ops import matrix_exp, mv, vdot
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module
from pygrad.nn.utils import parametrize
from pygrad.nn.utils._householder import geqrf, householder_product
from pygrad.nn.utils._spectral_norm import default_dim, power_iteration, reshape_to_matrix
from pygrad.nn.utils._weight_norm import norm_except_dim, weight_norm_fn

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_fn(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalisation as a parametrization: ``module.<name>`` = g * v / ||v||, the norm taken
    over every dimension but dim (over all of them when dim is None).

    Args:
        module: the module holding the parameter.
        name: the parameter's name.
        dim: the dimension kept by the norm.
    Returns:
        module, with g as ``parametrizations.<name>.original0`` and v as ``original1``.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    _u: Tensor
    _v: Tensor

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = reshape_to_matrix(weight.detach(), self.dim)
            h, w = weight_mat.shape
            u = randn(h, dtype=weight.dtype)
            v = randn(w, dtype=weight.dtype)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=eps))
            # Start from a good estimate of the top singular pair.
            power_iteration(weight_mat, self._u, self._v, 15, eps, v_first=False)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = reshape_to_matrix(weight, self.dim)
        if self.training:
            power_iteration(
                weight_mat, self._u, self._v, self.n_power_iterations, self.eps, v_first=False
            )
        # Clones: a later forward's in-place update must not change what this one's backward reads.
        u, v = self._u.clone(), self._v.clone()
        sigma = vdot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Spectral normalisation as a parametrization: ``module.<name>`` = W / sigma(W), sigma the largest
    singular value estimated by power iteration (updated in training mode only).

    Args:
        module: the module holding the parameter.
        name: the parameter's name.
        n_power_iterations: power iterations per training-mode access.
        eps: added to norms so that normalising never divides by zero.
        dim: the output-channel dimension (1 for transposed convolutions, else 0, by default).
    Returns:
        module, with the ``parametrizations.<name>.0._u`` and ``_v`` buffers.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    identity = eye(k, dtype=q.dtype)
    eps = 10.0 * n * finfo(q.dtype).eps
    return bool(((q.mT @ q) - identity).abs().max().item() <= eps)


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of A's QR decomposition with R's diagonal made positive (unique for full rank)."""
    from pygrad import linalg

    q, r = linalg.qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    base: Tensor

    def __init__(
        self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                pad = X.new_zeros(n, n - k).expand(*X.shape[:-2], n, n - k)
                X = _C.cat([X, pad], -1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                from pygrad import linalg

                identity = eye(n, dtype=A.dtype)
                Q = linalg.solve(identity - A * 0.5, identity + A * 0.5)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = householder_product(A, tau)
            # X's diagonal holds +-1 (cast to int as torch does): not differentiated, not updated.
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().trunc().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            if tuple(Q.shape) != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. "
                    f"Got a tensor of shape {tuple(Q.shape)}."
                )
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map != _OrthMaps.householder:
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential "
                        "or the Cayley parametrizations when use_trivialization=False."
                    )
                # Reflectors of Q's QR, diagonal set to sign(R_ii) (flipped where LAPACK skipped one).
                A, _ = geqrf(Q)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
                Q = _make_orthogonal(_C.cat([Q, N], -1))
            self.base = Q
            # -Id: householder(zeros) is then the identity, and base alone gives the value.
            neg_id = zeros_like(Q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Constrains ``module.<name>`` (a matrix or batch of matrices) to be orthogonal: Q^T Q = I
    (or Q Q^T = I for wide matrices).

    Args:
        module: the module holding the parameter.
        name: the parameter's name.
        orthogonal_map: "matrix_exp", "cayley" or "householder" (default: matrix_exp for square
            matrices, householder otherwise).
        use_trivialization: keep a ``base`` buffer so that the map starts from the current value.
    Returns:
        module.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
