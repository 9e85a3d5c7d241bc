"""Functions of matrices and matrix builders for pygrad.linalg and torch's top-level aliases: matrix_power
(repeated squaring), matrix_exp (scaling and squaring of a degree-13 Pade approximant), block_diag, vander and linalg.vander. All are
compositions of differentiable core ops (matmul, solve, cat, cumprod), so they differentiate to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pygrad import _C, _factories
from pygrad._C import Tensor
from pygrad._decompositions import _from_numpy, _square, inv, solve

_FLOATS = (_C.float32, _C.float64)


# ---- powers and the exponential


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A multiplied by itself n times by repeated squaring (n == 0: the identity; n < 0: powers of inv(A))."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim >= 2 else A.ndim} by {A.shape[-1] if A.ndim else 0} matrices"
        )
    if n < 0:
        return matrix_power(inv(A), -n)
    if n == 0:
        # the identity, still connected to A (with a zero gradient), as torch's
        eye = _factories.eye(A.shape[-1], dtype=A.dtype)
        return _C.where(_factories.ones([], dtype=_C.bool), eye, A)
    result: Tensor | None = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else _C.matmul(result, base)
        n >>= 1
        if n:
            base = _C.matmul(base, base)
    assert result is not None
    return result


# Higham (2005), "The scaling and squaring method for the matrix exponential revisited": the coefficients
# of the [13/13] Pade approximant and the largest 1-norm for which it is accurate to double precision.
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) of each square matrix: A / 2^s (s chosen per matrix from its 1-norm) through the [13/13] Pade
    approximant, then squared s times. Made of matmul and solve, so it differentiates to any order."""
    n = _square(A, "linalg.matrix_exp")
    if A.numel() == 0:
        return A.clone()
    norms = np.abs(A.detach().numpy()).sum(-2).max(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(norms > _THETA13, np.ceil(np.log2(norms / _THETA13)), 0.0)
    s = np.where(np.isfinite(s), s, 0.0).astype(np.int64)  # NaN or inf input: NaN out, unscaled
    X = A * _from_numpy((2.0 ** -s.astype(np.float64))[..., None, None], A) if s.any() else A
    b = _PADE13
    eye = _factories.eye(n, dtype=A.dtype)
    X2 = _C.matmul(X, X)
    X4 = _C.matmul(X2, X2)
    X6 = _C.matmul(X4, X2)
    U = _C.matmul(
        X,
        _C.matmul(X6, X6 * b[13] + X4 * b[11] + X2 * b[9])
        + X6 * b[7]
        + X4 * b[5]
        + X2 * b[3]
        + eye * b[1],
    )
    V = (
        _C.matmul(X6, X6 * b[12] + X4 * b[10] + X2 * b[8])
        + X6 * b[6]
        + X4 * b[4]
        + X2 * b[2]
        + eye * b[0]
    )
    R = solve(V - U, V + U)
    for k in range(int(s.max())):
        squared = _C.matmul(R, R)
        if np.all(s > k):
            R = squared
        else:
            R = _C.where(_C.from_numpy(np.array((s > k)[..., None, None], order="C")), squared, R)
    return R


# ---- block diagonal and Vandermonde matrices


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-D, 1-D as a row, or 2-D) as blocks down the diagonal of a matrix of zeros, in their
    promoted dtype (torch's result_type: a 0-d tensor only raises the category)."""
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                f"[block_diag] Input tensors must have 2 or fewer dimensions. Input {i} has {t.ndim} dimensions"
            )
    dtype = _result_type(tensors)
    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    if not blocks:
        return _factories.zeros([1, 0], dtype=dtype)
    width = sum(int(b.shape[1]) for b in blocks)
    rows: list[Tensor] = []
    left = 0
    for b in blocks:
        r, c = int(b.shape[0]), int(b.shape[1])
        b = b if b.dtype == dtype else b.to(dtype)
        rows.append(
            _C.cat(
                [
                    _factories.zeros([r, left], dtype=dtype),
                    b,
                    _factories.zeros([r, width - left - c], dtype=dtype),
                ],
                1,
            )
        )
        left += c
    return _C.cat(rows, 0)


def _result_type(tensors: tuple[Tensor, ...]) -> Any:
    """torch's result_type of tensors: dimensioned ones promote; 0-d ones count only when of a higher category."""
    if not tensors:
        return _C.float32
    promote = _C.promote_types
    dim: Any = None
    zero: Any = None
    for t in tensors:
        if t.ndim:
            dim = t.dtype if dim is None else promote(dim, t.dtype)
        else:
            zero = t.dtype if zero is None else promote(zero, t.dtype)
    if dim is None:
        return zero
    if zero is None or _category(dim) >= _category(zero):
        return dim
    return promote(dim, zero)


def _category(dtype: Any) -> int:
    if dtype == _C.bool:
        return 0
    return 2 if dtype in (_C.float16, _C.bfloat16, _C.float32, _C.float64) else 1


def linalg_vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """(..., n) -> (..., n, N): the powers x^0, x^1, ..., x^(N-1) of each entry along the last dim (N defaults
    to n, must be > 1), as a cumulative product (integers in int64), as torch.linalg.vander."""
    if x.dtype not in _FLOATS and not _is_integer(x):
        raise RuntimeError(
            f"linalg.vander supports floating point, complex, and integer tensors, but got {x.dtype}"
        )
    x = x.unsqueeze(-1) if x.ndim == 0 else x
    n = int(x.shape[-1]) if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    shape = list(x.shape)
    powers = x.unsqueeze(-1).expand([*shape, n - 1]).cumprod(-1)
    ones = _factories.ones([*shape, 1], dtype=powers.dtype)
    return _C.cat([ones, powers], -1)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """(n) -> (n, N): columns x^(N-1), ..., x^1, x^0 (increasing: the reverse), N defaulting to n; bool and
    integers give int64, as torch.vander. Differentiable (through a cumulative product)."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = int(x.shape[0]) if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = x.dtype if x.is_floating_point() else _C.int64
    if n <= 1:
        return _factories.ones([x.shape[0], n], dtype=dtype)
    powers = x.to(dtype).unsqueeze(1).expand([x.shape[0], n - 1]).cumprod(1)
    out = _C.cat([_factories.ones([x.shape[0], 1], dtype=dtype), powers], 1)
    return out if increasing else out.flip([1])


def _is_integer(x: Tensor) -> bool:
    return x.dtype in (_C.uint8, _C.int8, _C.int16, _C.int32, _C.int64)
