"""pygrad.linalg: torch.linalg's norms, products and factorisations, composed from differentiable core ops.

vector_norm, matrix_norm, norm, vecdot, matmul, cross, diagonal, multi_dot, matrix_power, matrix_exp, vander;
solve, inv, det, slogdet, cholesky, qr (differentiable eliminations), solve_triangular, cholesky_ex, inv_ex;
eigh, eigvalsh, svd, svdvals (numpy.linalg values, torch's gradients); pinv, matrix_rank, lstsq.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._decompositions import (
    LinAlgError,
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
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "lstsq",
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
    "solve_triangular",
    "svd",
    "svdvals",
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
