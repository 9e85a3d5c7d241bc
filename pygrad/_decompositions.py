"""Factorisations for pygrad.linalg. solve, inv, det, slogdet, cholesky and qr are unrolled eliminations written
with differentiable core ops (gradients of any order come from the composition; pivots are chosen on the values,
which is piecewise constant). eigh, eigvalsh, svd and svdvals take their values from numpy.linalg and are
autograd.Functions with torch's first-order gradients (their backward is once differentiable).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np

from pygrad import _C, _factories
from pygrad._C import Tensor


class LinAlgError(RuntimeError):
    """A singular or non positive-definite input (torch.linalg.LinAlgError)."""


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


def _square(A: Tensor, op: str) -> int:
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} matrices"
        )
    if not A.is_floating_point():
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype}"
        )
    return int(A.shape[-1])


def _no_grad_support(A: Tensor, op: str) -> None:
    if A.requires_grad and _C.is_grad_enabled():
        raise RuntimeError(
            f"{op}: backward is not supported yet; detach the input or run under pygrad.no_grad()"
        )


def _from_numpy(a: Any, like: Tensor) -> Tensor:
    return _C.from_numpy(np.array(a, order="C")).to(like.dtype)


def _unit(n: int, j: int, like: Tensor) -> Tensor:
    """A (n, 1) column with 1 at row j, in like's dtype."""
    e = np.zeros((n, 1))
    e[j, 0] = 1.0
    return _from_numpy(e, like)


def _pivot(M: Tensor, j: int) -> tuple[Tensor, np.ndarray]:
    """M with, in each matrix, the row of largest |M[i, j]| (i >= j) swapped into row j; the swaps made."""
    values = np.abs(M.detach().numpy()[..., j:, j])
    p = values.argmax(axis=-1) + j
    n = M.shape[-2]
    if not np.any(p != j):
        return M, p
    rows = np.broadcast_to(np.arange(n), (*p.shape, n)).copy()
    rows[..., j] = p
    np.put_along_axis(rows, p[..., None], j, axis=-1)
    index = np.broadcast_to(rows[..., None], tuple(M.shape))
    return M.gather(-2, _C.from_numpy(np.ascontiguousarray(index, dtype=np.int64))), p


def _product(factors: list[Tensor]) -> Tensor:
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out


def _eliminate(M: Tensor, n: int, jordan: bool) -> tuple[Tensor, list[Tensor], np.ndarray]:
    """Gaussian (jordan=False: to upper triangular) or Gauss-Jordan (to the identity in the first n columns)
    elimination with partial pivoting on the rows of M (..., n, m); returns M, the pivots and the row swaps' parity."""
    pivots: list[Tensor] = []
    parity = np.zeros(tuple(M.shape[:-2]), dtype=bool)
    for j in range(n):
        M, p = _pivot(M, j)
        parity ^= p != j
        pivot = M[..., j, j]
        pivots.append(pivot)
        if np.any(pivot.detach().numpy() == 0):
            raise LinAlgError(
                f"linalg: The diagonal element {j + 1} is zero, the inversion could not be completed "
                "because the input matrix is singular."
            )
        row = M[..., j : j + 1, :] / pivot.unsqueeze(-1).unsqueeze(-1)  # (..., 1, m)
        col = M[..., :, j : j + 1]  # (..., n, 1)
        e = _unit(n, j, M)
        if jordan:
            M = (M - col * row) * (1 - e) + e * row
        else:
            below = _from_numpy((np.arange(n) > j).astype(np.float64).reshape(n, 1), M)
            M = M - (col * below) * row
    return M, pivots, parity


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A @ X = B (left=False: X @ A = B); B is a batch of vectors when it is 1-D or A's shape minus
    the last dim. Batch dims broadcast. Raises LinAlgError when A is singular."""
    n = _square(A, "linalg.solve")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and list(B.shape) == list(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {Bm.shape[-2]}x{Bm.shape[-1]})"
        )
    from pygrad._shape import broadcast_shapes

    batch = list(broadcast_shapes(A.shape[:-2], Bm.shape[:-2]))
    A = A.broadcast_to([*batch, n, n])
    Bm = Bm.broadcast_to([*batch, n, Bm.shape[-1]])
    if A.dtype != Bm.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type {A.dtype} "
            f"and B of type {Bm.dtype} instead"
        )
    M, _, _ = _eliminate(_C.cat([A, Bm], -1), n, jordan=True)
    X = M[..., :, n:]
    return X.squeeze(-1) if vector else X


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix of A; raises LinAlgError when one is singular."""
    n = _square(A, "linalg.inv")
    from pygrad._factories import eye

    return solve(A, eye(n, dtype=A.dtype).broadcast_to(list(A.shape)))


def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, log|det|) of each square matrix of A; a singular matrix gives (0, -inf)."""
    n = _square(A, "linalg.slogdet")
    batch = list(A.shape[:-2])
    if n == 0:
        return SlogdetResult(
            _factories.ones(batch, dtype=A.dtype), _factories.zeros(batch, dtype=A.dtype)
        )
    try:
        _, pivots, parity = _eliminate(A, n, jordan=False)
    except LinAlgError:
        if A.requires_grad and _C.is_grad_enabled():
            raise RuntimeError(
                "linalg.slogdet: backward at a singular matrix is not supported yet"
            ) from None
        sign, logabs = np.linalg.slogdet(A.detach().numpy())
        return SlogdetResult(_from_numpy(sign, A), _from_numpy(logabs, A))
    P = _C.stack(pivots, -1)
    flip = _from_numpy(np.where(parity, -1.0, 1.0), A)
    return SlogdetResult(_product([p.sign() for p in pivots]) * flip, P.abs().log().sum(-1))


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix of A (the product of the LU pivots, signed by the row swaps)."""
    n = _square(A, "linalg.det")
    batch = list(A.shape[:-2])
    if n == 0:
        return _factories.ones(batch, dtype=A.dtype)
    try:
        _, pivots, parity = _eliminate(A, n, jordan=False)
    except LinAlgError:
        if A.requires_grad and _C.is_grad_enabled():
            raise RuntimeError(
                "linalg.det: backward at a singular matrix is not supported yet"
            ) from None
        return _from_numpy(np.linalg.det(A.detach().numpy()), A)
    flip = _from_numpy(np.where(parity, -1.0, 1.0), A)
    return _product(pivots) * flip


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L lower triangular with L @ L.mT = A for each symmetric positive-definite matrix of A (upper: L.mT).
    Only the lower triangle of A is read; at a symmetric A the gradient is symmetric, as torch's.
    Raises LinAlgError when A is not positive-definite."""
    n = _square(A, "linalg.cholesky")
    values = A.detach().numpy()
    lower = np.tril(values) + np.swapaxes(np.tril(values, -1), -1, -2)
    try:
        np.linalg.cholesky(lower)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            "linalg.cholesky: The factorization could not be completed because the input is not "
            "positive-definite."
        ) from None
    if np.array_equal(values, np.swapaxes(values, -1, -2)):
        S = (A + A.mT) * 0.5  # equal to A; its gradient is symmetric, as torch's
    else:
        S = A.tril() + A.tril(-1).mT  # symmetric from the lower triangle, as LAPACK reads it
    cols: list[Tensor] = []
    for j in range(n):
        v = S[..., :, j]
        if cols:
            L = _C.stack(cols, -1)  # (..., n, j)
            v = v - _C.matmul(L, L[..., j, :].unsqueeze(-1)).squeeze(-1)
        mask = _from_numpy((np.arange(n) >= j).astype(np.float64), A)
        d = v[..., j].sqrt().unsqueeze(-1)
        cols.append(v * mask / d)
    if not cols:
        return A.clone()
    L = _C.stack(cols, -1)
    return L.mT if upper else L


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """Q with orthonormal columns and R upper triangular with A = Q @ R (modified Gram-Schmidt), signs as LAPACK's.

    mode 'reduced' (Q is m x k, R is k x n, k = min(m, n)), 'complete' (Q is m x m), 'r' (Q empty)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    m, n = int(A.shape[-2]), int(A.shape[-1])
    k = min(m, n)
    if mode == "complete" and m > n:
        _no_grad_support(A, "linalg.qr (mode='complete' with more rows than columns)")
        q, r = np.linalg.qr(A.detach().numpy(), mode="complete")
        return QRResult(_from_numpy(q, A), _from_numpy(r, A))
    r_ref = np.linalg.qr(A.detach().numpy(), mode="r")
    signs = np.sign(np.diagonal(r_ref, axis1=-2, axis2=-1)[..., :k])
    signs[signs == 0] = 1
    qs: list[Tensor] = []
    for j in range(k):
        v = A[..., :, j]
        for u in qs:
            v = v - (u * v).sum(-1, keepdim=True) * u
        nrm = (v * v).sum(-1, keepdim=True).sqrt()
        qs.append(v / nrm)
    if qs:
        Q = _C.stack(qs, -1) * _from_numpy(signs[..., None, :], A)
    else:
        Q = _factories.zeros([*A.shape[:-2], m, 0], dtype=A.dtype)
    R = _C.matmul(Q.mT, A).triu()
    if mode == "r":
        return QRResult(_factories.zeros([0], dtype=A.dtype), R)
    return QRResult(Q, R)


def _function_base() -> Any:
    from pygrad.autograd.function import Function

    return Function


def _once(fn: Any) -> Any:
    from pygrad.autograd.function import once_differentiable

    return once_differentiable(fn)


def _diag(v: Tensor) -> Tensor:
    return v.diag_embed()


def _skew_over(X: Tensor, E: Tensor) -> Tensor:
    """(X - X^T) / E off the diagonal (E's diagonal is never read: the skew part is 0 there)."""
    return (X - X.mT) / E


def _gap_matrix(values: Tensor, square: bool) -> Tensor:
    """E[i, j] = v_j - v_i (of squares when square), with 1 on the diagonal so that dividing is safe."""
    v = values * values if square else values
    E = v.unsqueeze(-2) - v.unsqueeze(-1)
    n = int(values.shape[-1])
    eye = _factories.eye(n, dtype=values.dtype)
    return E + eye


class _Eigh:
    """eigh as an autograd.Function: values from numpy.linalg.eigh, gradient as torch defines it
    (the symmetric part of V (diag(gL) + (V^T gV) / E) V^T, E[i, j] = L_j - L_i; eigenvectors' signs are
    arbitrary, so only
    sign-invariant functions of them have a meaningful gradient)."""

    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:

            class LinalgEigh(_function_base()):  # type: ignore[misc]
                @staticmethod
                def forward(ctx: Any, A: Tensor, UPLO: Literal["L", "U"]) -> tuple[Tensor, Tensor]:
                    w, v = np.linalg.eigh(A.detach().numpy(), UPLO=UPLO)
                    L, V = _from_numpy(w, A), _from_numpy(v, A)
                    ctx.save_for_backward(L, V)
                    return L, V

                @staticmethod
                @_once
                def backward(ctx: Any, gL: Tensor, gV: Tensor) -> tuple[Tensor, None]:
                    L, V = ctx.saved_tensors
                    inner = _diag(gL) + _C.matmul(V.mT, gV) / _gap_matrix(L, False) * (
                        1 - _factories.eye(int(L.shape[-1]), dtype=L.dtype)
                    )
                    gA = _C.matmul(_C.matmul(V, inner), V.mT)
                    return (gA + gA.mT) * 0.5, None  # symmetric, as the input is taken to be

            cls.cls = LinalgEigh
        return cls.cls


class _Svd:
    """svd as an autograd.Function: values from numpy.linalg.svd, torch's gradient
    U [(skew(U^T gU) / E) S + S (skew(V^T gV) / E) + diag(gS)] V^T plus the terms of the
    complements when A is not square (E[i, j] = S_j^2 - S_i^2)."""

    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:

            class LinalgSvd(_function_base()):  # type: ignore[misc]
                @staticmethod
                def forward(
                    ctx: Any, A: Tensor, full_matrices: bool
                ) -> tuple[Tensor, Tensor, Tensor]:
                    u, s, vh = np.linalg.svd(A.detach().numpy(), full_matrices=full_matrices)
                    U, S, Vh = _from_numpy(u, A), _from_numpy(s, A), _from_numpy(vh, A)
                    ctx.save_for_backward(U, S, Vh)
                    ctx.full_matrices = full_matrices
                    ctx.shape = tuple(A.shape[-2:])
                    return U, S, Vh

                @staticmethod
                @_once
                def backward(ctx: Any, gU: Tensor, gS: Tensor, gVh: Tensor) -> tuple[Tensor, None]:
                    U, S, Vh = ctx.saved_tensors
                    m, n = ctx.shape
                    k = int(S.shape[-1])
                    if ctx.full_matrices and m != n:
                        if bool((gU[..., k:] != 0).any()) or bool((gVh[..., k:, :] != 0).any()):
                            raise RuntimeError(
                                "linalg.svd: the derivative is not implemented for full_matrices=True "
                                "with the extra singular vectors used; use full_matrices=False"
                            )
                        U, gU = U[..., :k], gU[..., :k]
                        Vh, gVh = Vh[..., :k, :], gVh[..., :k, :]
                    V, gV = Vh.mT, gVh.mT
                    E = _gap_matrix(S, True)
                    inner = (
                        _skew_over(_C.matmul(U.mT, gU), E) * S.unsqueeze(-2)
                        + S.unsqueeze(-1) * _skew_over(_C.matmul(V.mT, gV), E)
                        + _diag(gS)
                    )
                    gA = _C.matmul(_C.matmul(U, inner), Vh)
                    if m > k:  # the part of gU outside U's columns
                        proj = gU - _C.matmul(U, _C.matmul(U.mT, gU))
                        gA = gA + _C.matmul(proj / S.unsqueeze(-2), Vh)
                    if n > k:  # the part of gV outside V's columns
                        proj = gV - _C.matmul(V, _C.matmul(V.mT, gV))
                        gA = gA + _C.matmul(U, (proj / S.unsqueeze(-2)).mT)
                    return gA, None

            cls.cls = LinalgSvd
        return cls.cls


def eigh(A: Tensor, UPLO: Literal["L", "U"] = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices, from numpy.linalg.eigh, with torch's
    gradient (well defined for distinct eigenvalues and sign-invariant uses of the eigenvectors)."""
    _square(A, "linalg.eigh")
    L, V = _Eigh.get().apply(A, UPLO)
    return EighResult(L, V)


def eigvalsh(A: Tensor, UPLO: Literal["L", "U"] = "L") -> Tensor:
    """Eigenvalues (ascending) of symmetric matrices, from numpy.linalg.eigh (gradient V diag(gL) V^T)."""
    _square(A, "linalg.eigvalsh")
    if not (A.requires_grad and _C.is_grad_enabled()):
        return _from_numpy(np.linalg.eigvalsh(A.detach().numpy(), UPLO=UPLO), A)
    return eigh(A, UPLO).eigenvalues


def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """U, S (descending), Vh with A = U @ diag(S) @ Vh, from numpy.linalg.svd, with torch's gradient (for
    distinct non-zero singular values and sign-invariant uses of U and Vh)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    U, S, Vh = _Svd.get().apply(A, full_matrices)
    return SVDResult(U, S, Vh)


def svdvals(A: Tensor) -> Tensor:
    """Singular values (descending), from numpy.linalg.svd (gradient U diag(gS) V^T)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    if not (A.requires_grad and _C.is_grad_enabled()):
        return _from_numpy(np.linalg.svd(A.detach().numpy(), compute_uv=False), A)
    return svd(A, full_matrices=False).S
