"""Vector and matrix norms for pygrad.linalg (and torch.norm), composed from differentiable core ops; the
singular-value norms take their values from svdvals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._decompositions import svdvals

__all__ = ["matrix_norm", "vector_norm"]

_FLOATS = ("float16", "bfloat16", "float32", "float64")


def _check_float(x: Tensor, op: str) -> None:
    if str(x.dtype).replace("pygrad.", "") not in _FLOATS:
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype}"
        )


def _dims(dim: int | Sequence[int] | None, ndim: int) -> list[int]:
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                f"{max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out} appears multiple times in the list of dims")
    return out


def _reduce(x: Tensor, how: str, dims: list[int], keepdim: bool) -> Tensor:
    """sum / amax / amin over dims; dims [] over a 0-d tensor is the tensor itself."""
    if x.ndim == 0:
        return x
    return getattr(x, how)(dim=dims, keepdim=keepdim)


def vector_norm(
    x: Tensor,
    ord: float = 2,
    dim: int | Sequence[int] | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The ord-norm of x's entries over dim (all dims when None), as torch.linalg.vector_norm.

    Args:
        x: a floating tensor.
        ord: any float; inf (largest |x|), -inf (smallest |x|), 0 (count of non-zeros).
        dim: the dims to reduce (all when None).
        keepdim: keep the reduced dims with size 1.
        dtype: cast x to this dtype first.

    Returns:
        The norms; the gradient at a zero vector is zero, as torch's.
    """
    if dtype is not None:
        x = x.to(dtype)
    _check_float(x, "linalg.vector_norm")
    if not isinstance(ord, (int, float)) or isinstance(ord, bool):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {type(ord).__name__}")
    dims = _dims(dim, x.ndim)
    if dim is not None and isinstance(dim, Sequence) and len(dim) == 0:
        dims = list(range(x.ndim))
    reduced = [x.shape[d] for d in dims] if x.ndim else [1]
    if (ord < 0 or math.isinf(ord)) and any(s == 0 for s in reduced):
        kind = "inf" if ord > 0 else "negative"
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {kind} norm on an empty tensor "
            "because the operation does not have an identity"
        )
    a = x.abs()
    if ord == math.inf:
        return _reduce(a, "amax", dims, keepdim)
    if ord == -math.inf:
        return _reduce(a, "amin", dims, keepdim)
    if ord == 0:
        return _reduce((x != 0).to(x.dtype), "sum", dims, keepdim)
    if ord == 1:
        return _reduce(a, "sum", dims, keepdim)
    if ord == 2:
        s = _reduce(x * x, "sum", dims, keepdim)
        zero = s == 0
        # sqrt's derivative is infinite at 0; torch's norm has gradient 0 there, so route zeros around it.
        return _C.where(zero, 1.0, s).sqrt() * (~zero).to(s.dtype)
    if ord > 0:
        return _reduce(a.pow(ord), "sum", dims, keepdim).pow(1.0 / ord)
    return _reduce(a.pow(ord), "sum", dims, keepdim).pow(1.0 / ord)


def _matrix_dims(A: Tensor, dim: Sequence[int], op: str) -> tuple[int, int]:
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if len(dim) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {list(dim)}")
    d0, d1 = _dims(list(dim), A.ndim)
    return d0, d1


def matrix_norm(
    A: Tensor,
    ord: float | str = "fro",
    dim: Sequence[int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The ord-norm of the matrices over dims dim of A, as torch.linalg.matrix_norm.

    Args:
        A: a floating tensor with at least 2 dims.
        ord: 'fro'; 1 / -1 (max / min column sum of |A|); inf / -inf (max / min row sum of |A|);
            'nuc', 2, -2 (from svdvals, differentiable).
        dim: the two matrix dims.
        keepdim: keep the reduced dims with size 1.
        dtype: cast A to this dtype first.

    Returns:
        The norms.
    """
    if dtype is not None:
        A = A.to(dtype)
    _check_float(A, "linalg.matrix_norm")
    d0, d1 = _matrix_dims(A, dim, "linalg.matrix_norm")
    if isinstance(ord, str):
        if ord == "fro":
            return vector_norm(A, 2, (d0, d1), keepdim)
        if ord == "nuc":
            return _singular(A, d0, d1, keepdim, "sum")
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in (2, -2):
        return _singular(A, d0, d1, keepdim, "amax" if ord == 2 else "amin")
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if any(A.shape[d] == 0 for d in (d0, d1)):
        raise IndexError(
            "linalg.matrix_norm: Expected a non-empty matrix when reducing with max or min"
        )
    sum_dim, max_dim = (d0, d1) if abs(ord) == 1 else (d1, d0)
    out = A.abs().sum(dim=sum_dim, keepdim=True)
    out = out.amax(dim=max_dim, keepdim=True) if ord > 0 else out.amin(dim=max_dim, keepdim=True)
    return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))


def _singular(A: Tensor, d0: int, d1: int, keepdim: bool, how: str) -> Tensor:
    """sum / amax / amin of the singular values of the matrices over dims (d0, d1)."""
    rest = [d for d in range(A.ndim) if d not in (d0, d1)]
    out = getattr(svdvals(A.permute([*rest, d0, d1])), how)(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out
