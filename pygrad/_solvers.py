"""Solving and inverting for pygrad.linalg and torch's top-level aliases: solve_triangular (substitution),
cholesky_solve, cholesky_inverse, pinv, matrix_rank, lstsq, and cholesky_ex / inv_ex (which report failure in
an info tensor instead of raising).

solve_triangular differentiates through its composition of core ops. pinv and cholesky_solve (hence
cholesky_inverse and lstsq) are autograd.Functions with torch's gradient formulas, written with ops that
record when backward runs with create_graph, so they differentiate again. Ranks, error codes and tolerance
decisions come from numpy on detached values, as they are piecewise constant.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from pygrad import _C, _factories
from pygrad._C import Tensor
from pygrad._decompositions import (
    LinAlgError,
    _from_numpy,
    _function_base,
    _square,
    cholesky,
    inv,
)


class LstsqResult(NamedTuple):
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


class CholeskyExResult(NamedTuple):
    L: Tensor
    info: Tensor


class InvExResult(NamedTuple):
    inverse: Tensor
    info: Tensor


_FLOATS = (_C.float32, _C.float64)


def _eps(dtype: Any) -> float:
    return float(np.finfo(np.float64 if dtype == _C.float64 else np.float32).eps)


def _batch(*shapes: Any) -> list[int]:
    from pygrad._shape import broadcast_shapes

    try:
        return list(broadcast_shapes(*shapes))
    except ValueError as err:  # torch reports a batch mismatch as a RuntimeError
        raise RuntimeError(str(err)) from None


# ---- triangular and Cholesky solves


def _no_kernel(t: Tensor, kernel: str) -> None:
    """torch has no integer (or half) kernel for the triangular solves: NotImplementedError, as torch."""
    if t.dtype not in _FLOATS:
        raise NotImplementedError(f'"{kernel}" not implemented for {t.dtype}')


def _check_float(t: Tensor, op: str) -> None:
    if t.dtype not in _FLOATS:
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {t.dtype}"
        )


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """X with A @ X = B (left=False: X @ A = B) for triangular A (upper or lower; only that triangle is read,
    and only its strict part when unitriangular). Batch dims broadcast; a zero on the diagonal gives inf/nan,
    as torch (no error). The gradient of A lies in the triangle read, as torch's."""
    op = "linalg.solve_triangular"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    _no_kernel(A, "triangular_solve_cpu")
    _no_kernel(B, "triangular_solve_cpu")
    n = _square(A, op)
    B = B if B.dtype == A.dtype else B.to(A.dtype)  # torch computes in A's dtype
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {eq} "
            f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    if not left:  # X A = B  <=>  A^T X^T = B^T, and A^T is triangular the other way
        return _substitute(A.mT, B.mT, not upper, unitriangular).mT
    return _substitute(A, B, upper, unitriangular)


def _substitute(A: Tensor, B: Tensor, upper: bool, unit: bool) -> Tensor:
    n = int(A.shape[-1])
    batch = _batch(A.shape[:-2], B.shape[:-2])
    A = A.broadcast_to([*batch, n, n])
    B = B.broadcast_to([*batch, n, B.shape[-1]])
    if n == 0:
        # nothing to solve; adding the (zero) sum of A's empty matrices keeps A in the graph, as torch's
        return B + A.sum([-2, -1]).unsqueeze(-1).unsqueeze(-1)
    solved: dict[int, Tensor] = {}  # row i of X, (..., k)
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        r = B[..., i, :]
        known = sorted(solved)  # the rows already solved: after i when upper, before i when lower
        if known:
            lo, hi = (i + 1, n) if upper else (0, i)
            Xk = _C.stack([solved[j] for j in known], -2)  # (..., hi - lo, k)
            r = r - _C.matmul(A[..., i : i + 1, lo:hi], Xk).squeeze(-2)
        if not unit:
            r = r / A[..., i, i].unsqueeze(-1)
        solved[i] = r
    return _C.stack([solved[i] for i in range(n)], -2)


def _cholesky_solve_values(B: Tensor, L: Tensor, upper: bool) -> Tensor:
    if upper:  # A = U^T U
        return _substitute(L, _substitute(L.mT, B, False, False), True, False)
    return _substitute(L.mT, _substitute(L, B, False, False), True, False)  # A = L L^T


class _CholeskySolve:
    """cholesky_solve as an autograd.Function with torch's gradient: gB = cholesky_solve(G, L) and
    gL = -(S L) (lower) or -(L S) (upper), S = gB X^T + X gB^T. torch's gradient of L is dense (not
    projected onto the triangle the forward reads), so a composition of triangular solves would differ."""

    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:

            class CholeskySolve(_function_base()):  # type: ignore[misc]
                @staticmethod
                def forward(ctx: Any, B: Tensor, L: Tensor, upper: bool) -> Tensor:
                    X = _cholesky_solve_values(B, L, upper)
                    ctx.save_for_backward(B, L, X)
                    ctx.upper = upper
                    return X

                @staticmethod
                def backward(ctx: Any, gX: Tensor) -> tuple[Tensor, Tensor, None]:
                    B, L, X = ctx.saved_tensors
                    upper = ctx.upper
                    if _C.is_grad_enabled():  # create_graph: X must be a function of B and L again
                        X = cholesky_solve(B, L, upper)
                    gB = cholesky_solve(gX, L, upper)
                    S = _C.matmul(gB, X.mT)
                    S = S + S.mT
                    gL = -_C.matmul(L, S) if upper else -_C.matmul(S, L)
                    return gB, gL, None

            cls.cls = CholeskySolve
        return cls.cls


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """X with A @ X = B, where A = L @ L^T (upper: A = U^T @ U) is given by its Cholesky factor; batch dims
    broadcast. Gradients as torch's."""
    if B.ndim < 2:
        raise RuntimeError(
            f"cholesky_solve: b should have at least 2 dimensions, but has {B.ndim} dimensions instead"
        )
    if L.ndim < 2:
        raise RuntimeError(
            f"cholesky_solve: u should have at least 2 dimensions, but has {L.ndim} dimensions instead"
        )
    _no_kernel(L, "cholesky_solve_cpu")
    n = _square(L, "cholesky_solve")
    if B.shape[-2] != n:
        raise RuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but each b "
            f"matrix is {B.shape[-2]} by {B.shape[-1]}"
        )
    if B.dtype != L.dtype:
        raise RuntimeError(
            f"cholesky_solve: Expected b and A to have the same dtype, but found b of type {B.dtype} "
            f"and A of type {L.dtype} instead."
        )
    _batch(B.shape[:-2], L.shape[:-2])
    return _CholeskySolve.get().apply(B, L, upper)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """The inverse of A = L @ L^T (upper: U^T @ U) from its Cholesky factor; gradients as torch's.
    Raises LinAlgError when a diagonal element of the factor is zero."""
    if L.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    _no_kernel(L, "cholesky_inverse_cpu")
    n = _square(L, "cholesky_inverse")
    diag = np.diagonal(L.detach().numpy(), axis1=-2, axis2=-1)
    zero = np.argwhere(diag == 0)
    if zero.size:
        raise LinAlgError(
            f"cholesky_inverse: The diagonal element {int(zero[0, -1]) + 1} is zero, the inversion could "
            "not be completed because the input matrix is singular."
        )
    eye = _factories.eye(n, dtype=L.dtype).broadcast_to(list(L.shape))
    return cholesky_solve(eye, L, upper)


# ---- pseudo-inverse, rank, least squares


def _check_pinv_input(A: Tensor, op: str) -> None:
    if A.ndim < 2 or A.dtype not in _FLOATS:
        raise RuntimeError(
            f"{op}: expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types, "
            f"got {A.ndim} dimensions of {A.dtype}"
        )


def _as_array(t: Any) -> Any:
    return t.detach().numpy().astype(np.float64) if isinstance(t, Tensor) else np.float64(t)


def _cutoff(A: Tensor, atol: Any, rtol: Any, smax: Any) -> Any:
    """torch's threshold max(atol, rtol * smax) (..., 1): rtol defaults to eps * max(m, n), or to 0 where
    atol > 0 when only atol is given."""
    default = _eps(A.dtype) * max(int(A.shape[-1]), int(A.shape[-2]))
    a = np.float64(0.0) if atol is None else _as_array(atol)
    if rtol is not None:
        r = _as_array(rtol)
    else:
        r = np.float64(default) if atol is None else np.where(a > 0, 0.0, default)
    return np.maximum(np.asarray(a)[..., None], np.asarray(r)[..., None] * smax)


def _spectrum(a: Any, hermitian: bool) -> Any:
    """Singular values (|eigenvalues| when hermitian, from the lower triangle), descending, (..., k)."""
    if 0 in a.shape[-2:]:
        return np.zeros((*a.shape[:-2], 0), dtype=a.dtype)
    if hermitian:
        return np.sort(np.abs(np.linalg.eigvalsh(a)), axis=-1)[..., ::-1]
    return np.linalg.svd(a, compute_uv=False)


def _pinv_values(A: Tensor, atol: Any, rtol: Any, hermitian: bool) -> Tensor:
    a = A.detach().numpy()
    m, n = a.shape[-2:]
    if 0 in (m, n):
        return _factories.zeros([*A.shape[:-2], n, m], dtype=A.dtype)
    if hermitian:  # A = V diag(w) V^T: pinv = V diag(1 / w) V^T over the kept eigenvalues
        w, v = np.linalg.eigh(a)
        keep = np.abs(w) > _cutoff(A, atol, rtol, np.abs(w).max(-1, keepdims=True))
        winv = np.where(keep, 1.0 / np.where(keep, w, 1), 0)
        p = (v * winv[..., None, :]) @ np.swapaxes(v, -1, -2)
    else:  # A = U diag(s) Vh: pinv = Vh^T diag(1 / s) U^T over the kept singular values
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        keep = s > _cutoff(A, atol, rtol, s[..., :1])
        sinv = np.where(keep, 1.0 / np.where(keep, s, 1), 0)
        p = (np.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ np.swapaxes(u, -1, -2)
    return _from_numpy(p, A)


def _pinv_backward(grad: Tensor, P: Tensor, A: Tensor) -> Tensor:
    """torch's pinv_backward (FunctionsManual.cpp), products ordered to keep the smaller dimension."""
    mm = _C.matmul
    m, n = int(A.shape[-2]), int(A.shape[-1])
    Ph, gh = P.mT, grad.mT
    if m <= n:
        K = mm(gh, P)
        KPh = mm(K, Ph)
        return -mm(P, K).mT + KPh - mm(mm(A, P), KPh) + mm(mm(Ph, P), gh - mm(K, A))
    K = mm(P, gh)
    PhK = mm(Ph, K)
    return -mm(K, P).mT + mm(mm(gh - mm(A, K), P), Ph) + PhK - mm(mm(PhK, P), A)


class _Pinv:
    """pinv as an autograd.Function: values from numpy's SVD (eigh when hermitian), torch's gradient, which
    stays finite at repeated or discarded singular values (a composition through svd would divide by zero)."""

    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:

            class LinalgPinv(_function_base()):  # type: ignore[misc]
                @staticmethod
                def forward(ctx: Any, A: Tensor, atol: Any, rtol: Any, hermitian: bool) -> Tensor:
                    P = _pinv_values(A, atol, rtol, hermitian)
                    ctx.save_for_backward(A, P)
                    ctx.options = (atol, rtol, hermitian)
                    return P

                @staticmethod
                def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None, None]:
                    A, P = ctx.saved_tensors
                    if _C.is_grad_enabled():  # create_graph: P must be a function of A again
                        atol, rtol, hermitian = ctx.options
                        P = pinv(A, hermitian=hermitian, atol=atol, rtol=rtol)
                    return _pinv_backward(grad, P, A), None, None, None

            cls.cls = LinalgPinv
        return cls.cls


def pinv(
    A: Tensor,
    rcond: float | Tensor | None = None,
    hermitian: bool = False,
    *,
    atol: float | Tensor | None = None,
    rtol: float | Tensor | None = None,
) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix (..., m, n) -> (..., n, m): singular values (|eigenvalues|
    when hermitian, reading the lower triangle) at or below max(atol, rtol * the largest) count as zero. rtol
    defaults to eps * max(m, n) (0 when only atol > 0 is given); rcond is numpy's name for rtol (atol = 0)."""
    _check_pinv_input(A, "linalg.pinv")
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg.pinv: rcond cannot be combined with atol or rtol")
        atol, rtol = 0.0, rcond
    if hermitian:
        _square(A, "linalg.pinv")
    return _Pinv.get().apply(A, atol, rtol, hermitian)


def matrix_rank(
    A: Tensor,
    tol: float | Tensor | None = None,
    hermitian: bool = False,
    *,
    atol: float | Tensor | None = None,
    rtol: float | Tensor | None = None,
) -> Tensor:
    """The number of singular values (|eigenvalues| when hermitian) above max(atol, rtol * the largest), as
    int64; tolerances as pinv's, tol is numpy's name for atol (rtol = 0)."""
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_rank: The input tensor input must have at least 2 dimensions."
        )
    _check_float(A, "linalg.matrix_rank")
    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg.matrix_rank: tol cannot be combined with atol or rtol")
        atol, rtol = tol, 0.0
    if hermitian:
        _square(A, "linalg.matrix_rank")
    s = _spectrum(A.detach().numpy(), hermitian)
    smax = s[..., :1] if s.shape[-1] else np.zeros((*s.shape[:-1], 1))
    rank = (s > _cutoff(A, atol, rtol, smax)).sum(-1)
    return _C.from_numpy(np.array(rank, dtype=np.int64, order="C"))


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(
    A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
) -> LstsqResult:
    """The least-squares solution X of A @ X = B (the minimum-norm one when A is rank deficient; LAPACK's
    gelsy would give another there), as pinv(A) @ B, hence torch's gradient. B is (..., m, k), or a batch of
    vectors (..., m) when it has one dim fewer than A; batch dims broadcast.

    Returns (solution, residuals, rank, singular_values) as torch: residuals ||A X - B||^2 per column when
    m > n, driver is not gelsy and every matrix has full rank (else empty); rank unless driver is gels;
    singular_values for gelsd and gelss. rcond (default eps * max(m, n)) sets the rank cut-off."""
    op = "torch.linalg.lstsq"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError(f"{op}: other must have at least 1 dimension.")
    if B.ndim > A.ndim or A.ndim - B.ndim > 1:
        raise RuntimeError(
            f"{op}: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1"
        )
    _check_float(A, op)
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"{op}: Expected input and other to have the same dtype, but got input's dtype {A.dtype} "
            f"and other's dtype {B.dtype}"
        )
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    m, n = int(A.shape[-2]), int(A.shape[-1])
    if Bm.shape[-2] != m:
        raise RuntimeError(f"{op}: input.size(-2) should match other.size({-1 if vector else -2})")
    batch = _batch(A.shape[:-2], Bm.shape[:-2])
    s = _spectrum(A.detach().numpy(), False)  # rank and singular values keep A's own batch shape
    A = A.broadcast_to([*batch, m, n])
    Bm = Bm.broadcast_to([*batch, m, Bm.shape[-1]])
    # LAPACK takes a negative rcond as its machine precision (half numpy's eps: the unit roundoff)
    rtol = (
        _eps(A.dtype) * max(m, n) if rcond is None else rcond if rcond >= 0 else _eps(A.dtype) / 2
    )
    X = _C.matmul(pinv(A, atol=0.0, rtol=rtol), Bm)
    smax = s[..., :1] if s.shape[-1] else np.zeros((*s.shape[:-1], 1))
    rank = (s > np.float64(rtol) * smax).sum(-1)
    empty = _factories.zeros([0], dtype=A.dtype)
    residuals = empty
    if m > n and driver != "gelsy" and (driver == "gels" or np.all(rank == n)):
        R = _C.matmul(A, X) - Bm
        residuals = (R * R).sum(-2)
    return LstsqResult(
        X.squeeze(-1) if vector else X,
        residuals,
        _factories.zeros([0], dtype=_C.int64)
        if driver == "gels"
        else _C.from_numpy(np.array(rank, dtype=np.int64, order="C")),
        _from_numpy(s, A) if driver in ("gelsd", "gelss") else empty,
    )


# ---- factorisations that report failure


def _first_failure(info: Any) -> tuple[int, int] | None:
    """(flat batch index, code) of the first non-zero info, or None."""
    flat = np.ravel(info)
    bad = np.flatnonzero(flat)
    return (int(bad[0]), int(flat[bad[0]])) if bad.size else None


def _cholesky_info(a: Any) -> tuple[Any, Any]:
    """LAPACK's dpotf2 on the lower triangle of each matrix: the order of the first leading minor that is not
    positive-definite (0 if none), and the factor as it stands when it stops (torch's L where info > 0)."""
    n = a.shape[-1]
    L = np.tril(a).astype(np.float64)
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for j in range(n):
        active = info == 0
        ajj = L[..., j, j] - np.einsum("...k,...k->...", L[..., j, :j], L[..., j, :j])
        failed = active & ~(ajj > 0)
        info = np.where(failed, j + 1, info)
        ok = active & (ajj > 0)
        d = np.sqrt(np.where(ok, ajj, 1.0))
        L[..., j, j] = np.where(ok, d, np.where(failed, ajj, L[..., j, j]))
        below = L[..., j + 1 :, j] - np.einsum(
            "...ik,...k->...i", L[..., j + 1 :, :j], L[..., j, :j]
        )
        L[..., j + 1 :, j] = np.where(ok[..., None], below / d[..., None], L[..., j + 1 :, j])
    return info, L.astype(a.dtype)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """cholesky that reports failure instead of raising: (L, info), info (int32, one per matrix) being 0 or the
    order of the first leading minor that is not positive-definite. Where info > 0, L is the partial factor
    LAPACK leaves (no gradient flows there). check_errors=True raises LinAlgError as cholesky does."""
    _square(A, "linalg.cholesky")
    a = A.detach().numpy()
    info, partial = _cholesky_info(a)
    failure = _first_failure(info)
    if failure is not None and check_errors:
        where = f"(Batch element {failure[0]}): " if A.ndim > 2 else ""
        raise LinAlgError(
            f"linalg.cholesky_ex: {where}The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {failure[1]} is not positive-definite)."
        )
    if failure is None:
        return CholeskyExResult(cholesky(A, upper=upper), _C.from_numpy(info))
    bad = _C.from_numpy(np.array((info != 0)[..., None, None], order="C"))
    eye = _factories.eye(int(A.shape[-1]), dtype=A.dtype)
    L = _C.where(bad, _from_numpy(partial, A), cholesky(_C.where(bad, eye, A)))
    return CholeskyExResult(L.mT if upper else L, _C.from_numpy(info))


def _lu_info(a: Any) -> Any:
    """LAPACK getrf's info for each matrix: the 1-based index of the first exactly zero pivot of LU with
    partial pivoting (elimination carries on past it, as LAPACK's does), 0 if none."""
    U = a.astype(np.float64).copy()
    n = a.shape[-1]
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for j in range(n):
        p = np.abs(U[..., j:, j]).argmax(-1) + j
        rows = np.take_along_axis(U, p[..., None, None], -2)[..., 0, :].copy()
        np.put_along_axis(U, p[..., None, None], U[..., j : j + 1, :], -2)
        U[..., j, :] = rows
        pivot = U[..., j, j]
        zero = pivot == 0
        info = np.where((info == 0) & zero, j + 1, info)
        factor = U[..., j + 1 :, j] / np.where(zero, 1.0, pivot)[..., None]
        factor = np.where(zero[..., None], 0.0, factor)
        U[..., j + 1 :, :] -= factor[..., None] * U[..., j : j + 1, :]
    return info


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """inv that reports failure instead of raising: (inverse, info), info (int32, one per matrix) being 0 or
    the index of the first zero pivot of the LU factorisation. Where info > 0 the inverse is NaN (torch leaves
    LAPACK's unspecified inf/nan there); check_errors=True raises LinAlgError as inv does."""
    n = _square(A, "linalg.inv")
    info = _lu_info(A.detach().numpy())
    failure = _first_failure(info)
    if failure is not None and check_errors:
        where = f"(Batch element {failure[0]}): " if A.ndim > 2 else ""
        raise LinAlgError(
            f"linalg.inv_ex: {where}The diagonal element {failure[1]} is zero, the inversion could not be "
            "completed because the input matrix is singular."
        )
    if failure is None:
        return InvExResult(inv(A), _C.from_numpy(info))
    bad = _C.from_numpy(np.array((info != 0)[..., None, None], order="C"))
    eye = _factories.eye(n, dtype=A.dtype)
    nan = _factories.full([], math.nan, dtype=A.dtype)
    return InvExResult(_C.where(bad, nan, inv(_C.where(bad, eye, A))), _C.from_numpy(info))
