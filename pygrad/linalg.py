"""pygrad.linalg: torch.linalg's norms, products and factorisations, composed from differentiable core ops.

vector_norm, matrix_norm, norm, vecdot, matmul, cross, diagonal, multi_dot, matrix_power, matrix_exp, vander;
solve, inv, det, slogdet, cholesky, qr (differentiable eliminations), solve_triangular, cholesky_ex, inv_ex;
eigh, eigvalsh, svd, svdvals (numpy.linalg values, torch's gradients); pinv, matrix_rank, lstsq;
lu_factor, lu_factor_ex, lu, lu_solve (an unrolled, differentiable elimination with partial pivoting, LAPACK's
1-based int32 pivots), solve_ex, tensorinv, tensorsolve, cond, householder_product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from pygrad import _C, _factories
from pygrad._C import Tensor
from pygrad._decompositions import (
    LinAlgError,
    _from_numpy,
    _pivot,
    _square,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from pygrad._linalg_ops import _cross
from pygrad._matrix_functions import linalg_vander, matrix_exp, matrix_power
from pygrad._norms import matrix_norm, vector_norm
from pygrad._solvers import (
    _batch,
    _first_failure,
    _lu_info,
    cholesky_ex,
    inv_ex,
    lstsq,
    matrix_rank,
    pinv,
    solve_triangular,
)

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "householder_product",
    "inv",
    "inv_ex",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]


def norm(
    A: Tensor,
    ord: float | str | None = None,
    dim: int | Sequence[int] | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """A vector or matrix norm, as torch.linalg.norm: a matrix norm when ord is a string or dim has two
    entries (or, with ord given and dim None, when A is 2-D); the 2-norm of A flattened when both are None."""
    if isinstance(dim, int):
        dim = [dim]
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."
            )
        dim = list(range(A.ndim))
    if isinstance(ord, str) or len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot products of x and y along dim, broadcasting the other dims."""
    if x.shape[dim] != y.shape[dim]:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same size along dim {dim}, "
            f"got {x.shape[dim]} and {y.shape[dim]}"
        )
    return (x * y).sum(dim=dim)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Alias of pygrad.matmul."""
    return _C.matmul(input, other)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along dim (default the last), broadcasting the other dims."""
    return _cross(input, other, dim, "linalg.cross")


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices over dims (dim1, dim2)."""
    return A.diagonal(offset, dim1, dim2)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """Product of a chain of matrices (the first and last may be 1-D), multiplied left to right."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2D"
                + (" or 1D" if i in (0, len(tensors) - 1) else "")
                + f" but got {t.ndim}D"
            )
    out = tensors[0]
    for t in tensors[1:]:
        out = _C.matmul(out, t)
    return out


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """(..., n) -> (..., n, N): the powers x^0, ..., x^(N-1) of each entry (N defaults to n and must be > 1)."""
    return linalg_vander(x, N=N)


# ---- LU: the factorisation, its solves, and what builds on it


class _LUFactorResult(NamedTuple):
    LU: Tensor
    pivots: Tensor


class _LUFactorExResult(NamedTuple):
    LU: Tensor
    pivots: Tensor
    info: Tensor


class _LUResult(NamedTuple):
    P: Tensor
    L: Tensor
    U: Tensor


class _SolveExResult(NamedTuple):
    result: Tensor
    info: Tensor


def _mask(keep: Any, like: Tensor) -> Tensor:
    """keep (a 2-D bool array) as 0/1 in like's dtype."""
    return _from_numpy(np.asarray(keep, dtype=np.float64), like)


def _lu_compact(A: Tensor, op: str) -> tuple[Tensor, Any, Any]:
    """(LU, pivots, info) of Gaussian elimination with partial pivoting (getrf): L's multipliers below the
    diagonal of LU, U on and above it; pivots[j] the 1-based row swapped with row j at step j; info the 1-based
    step of the first exactly zero pivot (elimination goes on past it, as LAPACK's). Written with differentiable
    ops (row swaps by gather), so gradients of any order follow the composition."""
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if not A.is_floating_point():
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype}"
        )
    m, n = int(A.shape[-2]), int(A.shape[-1])
    k = min(m, n)
    batch = tuple(A.shape[:-2])
    pivots = np.zeros((*batch, k), dtype=np.int32)
    info = np.zeros(batch, dtype=np.int32)
    M = A
    for j in range(k):
        M, p = _pivot(M, j)
        pivots[..., j] = p + 1
        pivot = M[..., j, j]
        zero = pivot.detach().numpy() == 0
        info = np.where((info == 0) & zero, j + 1, info).astype(np.int32)
        if j + 1 == m:
            break
        # a zero pivot has zeros under it (it is the largest): dividing by 1 there keeps them zero
        safe = pivot + _from_numpy(np.asarray(zero, dtype=np.float64), M) if zero.any() else pivot
        below = _mask((np.arange(m) > j)[:, None], M)
        col = M[..., :, j : j + 1] / safe.unsqueeze(-1).unsqueeze(-1) * below  # the multipliers
        right = _mask((np.arange(n) > j)[None, :], M)
        ej = _mask((np.arange(n) == j)[None, :], M)
        M = M - col * (M[..., j : j + 1, :] * right)  # the trailing block's update
        M = M * (1 - below * ej) + col * ej  # the multipliers stored under the pivot
    return M, pivots, info


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> _LUFactorExResult:
    """(LU, pivots, info) as torch.linalg.lu_factor_ex: the compact LU factorisation with partial pivoting of
    each (m, n) matrix, pivots (int32, 1-based, min(m, n) per matrix) and info (int32: 0, or the 1-based index
    of the first zero on U's diagonal). Differentiable (where U's diagonal has no zero)."""
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, pivots, info = _lu_compact(A, "linalg.lu_factor_ex")
    failure = _first_failure(info)
    if failure is not None and check_errors:
        raise LinAlgError(
            f"torch.linalg.lu_factor_ex: U[{failure[1]},{failure[1]}] is zero and using it on lu_solve would "
            "result in a division by zero. If you still want to perform the factorization, consider calling "
            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )
    return _LUFactorExResult(
        LU, _C.from_numpy(np.ascontiguousarray(pivots)), _C.from_numpy(np.array(info))
    )


def lu_factor(A: Tensor, *, pivot: bool = True) -> _LUFactorResult:
    """(LU, pivots) as torch.linalg.lu_factor; raises LinAlgError when U has a zero on its diagonal."""
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    failure = _first_failure(info.numpy())
    if failure is not None:
        where = f"(Batch element {failure[0]}): " if A.ndim > 2 else ""
        raise LinAlgError(
            f"torch.linalg.lu_factor: {where}U[{failure[1]},{failure[1]}] is zero and using it on lu_solve "
            "would result in a division by zero. If you still want to perform the factorization, consider "
            "calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )
    return _LUFactorResult(LU, pivots)


def _permutation(pivots: Any, m: int) -> Any:
    """perm with A[perm] = L U, from LAPACK's pivots (..., k), 1-based row swaps applied in order."""
    batch = pivots.shape[:-1]
    perm = np.broadcast_to(np.arange(m), (*batch, m)).copy()
    for j in range(pivots.shape[-1]):
        p = pivots[..., j : j + 1].astype(np.int64) - 1
        pj = perm[..., j : j + 1].copy()
        perm[..., j : j + 1] = np.take_along_axis(perm, p, -1)
        np.put_along_axis(perm, p, pj, -1)
    return perm


def lu(A: Tensor, *, pivot: bool = True) -> _LUResult:
    """(P, L, U) with A = P @ L @ U, as torch.linalg.lu: P (m, m) a permutation, L (m, k) unit lower
    triangular, U (k, n) upper triangular, k = min(m, n). Differentiable through L and U."""
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    LU, pivots, _ = _lu_compact(A, "linalg.lu")
    m, n = int(A.shape[-2]), int(A.shape[-1])
    k = min(m, n)
    perm = _permutation(pivots, m)
    P = np.zeros((*perm.shape, m))
    np.put_along_axis(P, perm[..., :, None], 1.0, -1)  # P^T[i, perm[i]] = 1
    P = np.swapaxes(P, -1, -2)
    L = LU[..., :, :k] * _mask(np.greater.outer(np.arange(m), np.arange(k)), LU) + _mask(
        np.eye(m, k, dtype=bool), LU
    )
    U = LU[..., :k, :] * _mask(np.less_equal.outer(np.arange(k), np.arange(n)), LU)
    return _LUResult(_from_numpy(P, A), L, U)


def _permute_rows(B: Tensor, perm: Any) -> Tensor:
    """B[..., perm[i], :] for each row i (perm broadcast over B's batch)."""
    index = np.broadcast_to(perm[..., :, None], tuple(B.shape))
    return B.gather(-2, _C.from_numpy(np.ascontiguousarray(index, dtype=np.int64)))


def lu_solve(
    LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False
) -> Tensor:
    """X with A X = B (left=False: X A = B; adjoint: A^H in place of A), A given by lu_factor's (LU, pivots).
    Batch dims broadcast. Differentiable in LU and B."""
    op = "linalg.lu_solve"
    n = _square(LU, op)
    if B.ndim < 2:
        raise RuntimeError(
            f"{op}: Expected B to have at least 2 dimensions, but it has {B.ndim} dimensions instead"
        )
    if pivots.shape[-1] != n or list(pivots.shape[:-1]) != list(LU.shape[:-2]):
        raise RuntimeError(
            f"{op}: Expected pivots of shape {[*LU.shape[:-2], n]}, got {list(pivots.shape)}"
        )
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return lu_solve(LU, pivots, B.mT, left=True, adjoint=not adjoint).mT
    if B.shape[-2] != n:
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {'A^H' if adjoint else 'A'}X = B "
            f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    batch = _batch(LU.shape[:-2], B.shape[:-2])
    LU = LU.broadcast_to([*batch, n, n])
    B = B.broadcast_to([*batch, n, int(B.shape[-1])])
    perm = np.broadcast_to(_permutation(pivots.numpy(), n), (*batch, n))
    if not adjoint:  # P L U X = B: X = U^-1 L^-1 P^T B, (P^T B)[i] = B[perm[i]]
        Y = solve_triangular(LU, _permute_rows(B, perm), upper=False, unitriangular=True)
        return solve_triangular(LU, Y, upper=True)
    # U^T L^T P^T X = B: P^T X = V, so X[perm[i]] = V[i]
    W = solve_triangular(LU.mT, B, upper=False)
    V = solve_triangular(LU.mT, W, upper=True, unitriangular=True)
    return _permute_rows(V, np.argsort(perm, axis=-1))


def solve_ex(
    A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False
) -> _SolveExResult:
    """solve that reports failure instead of raising: (result, info), info (int32, one per matrix of A) being 0
    or the 1-based index of the first zero pivot of A's LU. Where info > 0 the result is NaN (torch leaves
    LAPACK's unspecified values); check_errors=True raises LinAlgError as solve does."""
    n = _square(A, "linalg.solve_ex")
    info = _lu_info(A.detach().numpy())
    failure = _first_failure(info)
    if failure is not None and check_errors:
        where = f"(Batch element {failure[0]}): " if A.ndim > 2 else ""
        raise LinAlgError(
            f"torch.linalg.solve_ex: {where}The solver failed because the input matrix is singular."
        )
    if failure is None:
        return _SolveExResult(solve(A, B, left=left), _C.from_numpy(np.array(info)))
    bad = np.array(info != 0)
    eye = _factories.eye(n, dtype=A.dtype)
    X = solve(
        _C.where(_C.from_numpy(np.array(bad[..., None, None], order="C")), eye, A), B, left=left
    )
    extra = X.ndim - bad.ndim
    bad_x = _C.from_numpy(np.array(bad.reshape(bad.shape + (1,) * extra), order="C"))
    nan = _factories.full([], math.nan, dtype=A.dtype)
    return _SolveExResult(_C.where(bad_x, nan, X), _C.from_numpy(np.array(info)))


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A for tensordot over its first ind dims: shaped A.shape[ind:] + A.shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape = [*A.shape[ind:], *A.shape[:ind]]
    rows = math.prod(A.shape[:ind])
    cols = math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but "
            f"got {cols} != {rows}"
        )
    return inv(A.reshape([rows, cols])).reshape(out_shape)


def tensorsolve(A: Tensor, B: Tensor, dims: Sequence[int] | None = None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B, X shaped A.shape[B.ndim:] (dims: A's dims to move to the end first)."""
    if dims is not None:
        count = len(dims)
        A = A.movedim(list(dims), list(range(A.ndim - count, A.ndim)))
    out_shape = [int(s) for s in A.shape[B.ndim :]]
    rows = B.numel()
    cols = math.prod(out_shape)
    if rows != cols or math.prod(A.shape) != rows * cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
            f"but got {cols} != {rows}"
        )
    return solve(A.reshape([rows, cols]), B.reshape([rows])).reshape(out_shape)


def cond(A: Tensor, p: float | str | None = None) -> Tensor:
    """The condition number of each matrix in the p-norm, as torch.linalg.cond: None/2/-2 from the singular
    values (any shape); 'fro', 'nuc', inf, -inf, 1, -1 as norm(A) * norm(inv(A)) for square matrices (inf where
    A is singular)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor A must have at least 2 dimensions.")
    if p is None or (not isinstance(p, str) and p in (2, -2)):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return small / big if p == -2 else big / small
    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    elif p not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _square(A, "linalg.cond")
    info = _lu_info(A.detach().numpy())
    bad = np.array(info != 0)
    eye = _factories.eye(int(A.shape[-1]), dtype=A.dtype)
    safe = (
        _C.where(_C.from_numpy(np.array(bad[..., None, None], order="C")), eye, A)
        if bad.any()
        else A
    )
    out = matrix_norm(A, p) * matrix_norm(inv(safe), p)
    if bad.any():
        out = _C.where(_C.from_numpy(bad), _factories.full([], math.inf, dtype=A.dtype), out)
    return out


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = (0, ..., 1, A[i+1:, i]) (the
    form geqrf leaves), as torch.linalg.householder_product; differentiable in A and tau."""
    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    m, n = int(A.shape[-2]), int(A.shape[-1])
    k = int(tau.shape[-1])
    if m < n:
        raise RuntimeError(
            f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if n < k:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1 or list(tau.shape[:-1]) != list(A.shape[:-2]):
        raise RuntimeError(
            f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2]"
        )
    Q = _mask(np.eye(m, n, dtype=bool), A).broadcast_to(list(A.shape))
    for i in range(k - 1, -1, -1):  # Q = H_1 (H_2 (... (H_k I[:, :n])))
        v = A[..., :, i : i + 1] * _mask((np.arange(m) > i)[:, None], A) + _mask(
            (np.arange(m) == i)[:, None], A
        )
        t = tau[..., i].unsqueeze(-1).unsqueeze(-1)
        Q = Q - t * v * _C.matmul(v.mT, Q)
    return Q
