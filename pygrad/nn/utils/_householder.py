"""Householder reflectors for the orthogonal parametrization: torch.geqrf (LAPACK's compact QR, no
gradient) and a differentiable torch.linalg.householder_product, written with core ops."""

from __future__ import annotations

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import arange, eye

__all__ = ["geqrf", "householder_product"]


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = A[..., i] below the
    diagonal and 1 on it ([..., n, k] A, [..., k] tau); differentiable in A and tau."""
    n, k = A.shape[-2], A.shape[-1]
    rows = arange(n)
    Q = eye(n, dtype=A.dtype).expand(*A.shape[:-2], n, n)
    for i in range(tau.shape[-1]):
        below = (rows > i)._to_dtype(A.dtype)
        on = (rows == i)._to_dtype(A.dtype)
        v = (A[..., :, i] * below + on).unsqueeze(-1)  # [..., n, 1]
        # Q H_i = Q - tau_i (Q v) v^T
        Q = Q - (Q @ v) @ v.mT * tau[..., i, None, None]
    return Q[..., :k]


def geqrf(A: Tensor) -> tuple[Tensor, Tensor]:
    """LAPACK's geqrf for a real [..., n, k] matrix (n >= k): R on and above the diagonal, the
    reflectors below it, and their scales tau; then, as torch's orthogonal right_inverse wants, the
    diagonal replaced by sign(R_ii), negated where tau is 0 (no reflection was needed)."""
    import numpy as np

    a = A.detach().numpy().astype(np.float64, copy=True)
    batch = a.reshape(-1, *a.shape[-2:])
    taus = np.zeros((batch.shape[0], a.shape[-1]))
    for m, tau in zip(batch, taus):
        n, k = m.shape
        for i in range(min(n, k)):
            alpha, x = m[i, i], m[i + 1 :, i]
            xnorm = np.linalg.norm(x)
            if xnorm == 0.0:
                tau[i] = 0.0
                continue
            beta = -np.copysign(np.hypot(alpha, xnorm), alpha)
            tau[i] = (beta - alpha) / beta
            v = x / (alpha - beta)
            m[i + 1 :, i] = v
            m[i, i] = beta
            w = np.concatenate([[1.0], v])
            trailing = m[i:, i + 1 :]
            trailing -= tau[i] * np.outer(w, w @ trailing)
        diag = np.sign(np.diagonal(m)).copy()
        diag[tau[: len(diag)] == 0.0] *= -1
        np.fill_diagonal(m, diag)
    out = _C.from_numpy(batch.reshape(a.shape))._to_dtype(A.dtype)
    return out, _C.from_numpy(taus.reshape(*a.shape[:-2], -1))._to_dtype(A.dtype)
