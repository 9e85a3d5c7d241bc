"""Products with torch's signatures and shape checks, composed from differentiable core ops (matmul,
mul, sum): mm, bmm, baddbmm, addmm, addmv, mv, dot, vdot, outer/ger, kron, tensordot, cross, inner, chain_matmul,
dist; and torch's top-level linear algebra and statistics, which load their modules on first use:
det, slogdet, logdet, inverse (pygrad/_decompositions.py); matrix_power, matrix_exp, vander, block_diag
(pygrad/_matrix_functions.py); pinverse, cholesky_solve, cholesky_inverse (pygrad/_solvers.py); cov, corrcoef, cdist, pdist, trapezoid/trapz,
cumulative_trapezoid (pygrad/_statistics.py).
Each checks shapes up front so that errors name the op and the shapes, as torch's do.
"""

from __future__ import annotations

from pygrad import _C
from pygrad._autocast import autocast_disabled, autocast_float32, autocast_lower_precision

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = [
    "addbmm",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "block_diag",
    "bmm",
    "cdist",
    "chain_matmul",
    "cholesky",
    "cholesky_inverse",
    "cholesky_solve",
    "corrcoef",
    "cov",
    "cross",
    "cumulative_trapezoid",
    "det",
    "dist",
    "dot",
    "ger",
    "inner",
    "inverse",
    "kron",
    "logdet",
    "matrix_exp",
    "matrix_power",
    "mm",
    "mv",
    "outer",
    "pdist",
    "pinverse",
    "qr",
    "slogdet",
    "svd",
    "tensordot",
    "trapezoid",
    "trapz",
    "triangular_solve",
    "vander",
    "vdot",
]


def _broadcast_shapes(*shapes: Any) -> list[int]:
    from pygrad._shape import broadcast_shapes

    return list(broadcast_shapes(*shapes))


def _need(t: Tensor, ndim: int, op: str, what: str) -> None:
    if t.ndim != ndim:
        raise RuntimeError(
            f"[{op}] {what} must be a {ndim}-D tensor, got {t.ndim}-D {list(t.shape)}"
        )


def _scale(t: Tensor, factor: Any) -> Tensor:
    return t if (not isinstance(factor, Tensor) and factor == 1) else t * factor


def _add_scaled(input: Tensor, product: Tensor, beta: Any, alpha: Any, op: str) -> Tensor:
    """beta * input + alpha * product, input broadcast to product's shape; beta == 0 ignores input."""
    shape = list(product.shape)
    try:
        expanded = input.broadcast_to(shape)
    except Exception:
        raise RuntimeError(
            f"[{op}] input of shape {list(input.shape)} cannot be broadcast to the result's shape {shape}"
        ) from None
    out = _scale(product, alpha)
    if not isinstance(beta, Tensor) and beta == 0:
        return out
    return _scale(expanded, beta) + out


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) tensors: (b, n, p). No broadcasting."""
    _need(input, 3, "bmm", "batch1")
    _need(mat2, 3, "bmm", "batch2")
    b, _, m = input.shape
    if mat2.shape[0] != b or mat2.shape[1] != m:
        raise RuntimeError(
            f"[bmm] expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] "
            f"but got: [{mat2.shape[0]}, {mat2.shape[1]}] (shapes {list(input.shape)} and {list(mat2.shape)})"
        )
    return _C.matmul(input, mat2)


@autocast_lower_precision
def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2); input broadcasts to (b, n, p)."""
    return _add_scaled(input, bmm(batch1, batch2), beta, alpha, "baddbmm")


@autocast_lower_precision
def addbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """beta * input + alpha * (the sum over the batch of bmm(batch1, batch2)); input broadcasts to (n, p)."""
    return _add_scaled(input, bmm(batch1, batch2).sum(dim=0), beta, alpha, "addbmm")


def _mm(mat1: Tensor, mat2: Tensor, op: str) -> Tensor:
    _need(mat1, 2, op, "mat1")
    _need(mat2, 2, op, "mat2")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"[{op}] mat1 and mat2 shapes cannot be multiplied "
            f"({mat1.shape[0]}x{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})"
        )
    return _C.matmul(mat1, mat2)


@autocast_lower_precision
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2) for 2-D mat1 and mat2; input broadcasts to (n, p)."""
    return _add_scaled(input, _mm(mat1, mat2, "addmm"), beta, alpha, "addmm")


@autocast_disabled
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product of a 2-D (n, m) and a 1-D (m) tensor: (n)."""
    _need(input, 2, "mv", "input")
    _need(vec, 1, "mv", "vec")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"[mv] size mismatch, got input ({input.shape[0]}x{input.shape[1]}), vec ({vec.shape[0]})"
        )
    return _C.matmul(input, vec)


@autocast_disabled
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * mv(mat, vec); input broadcasts to (n)."""
    return _add_scaled(input, mv(mat, vec), beta, alpha, "addmv")


@autocast_disabled
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same length and dtype (0-d result)."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(
            f"[dot] 1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors"
        )
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(
            f"[dot] inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{tensor.shape[0]}] to have the same number of elements"
        )
    if input.dtype != tensor.dtype:
        raise RuntimeError(
            f"[dot] expected both vectors to have same dtype, but found {input.dtype} and {tensor.dtype}"
        )
    return _C.matmul(input, tensor)


@autocast_disabled
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """dot with the first argument conjugated (the same as dot for real tensors)."""
    return dot(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors: (n) x (m) -> (n, m)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"[outer] expected 1-D argument {name}, but got {t.ndim}-D")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def ger(input: Tensor, vec2: Tensor) -> Tensor:
    """Alias of outer."""
    return outer(input, vec2)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2); input broadcasts to (n, m)."""
    return _add_scaled(input, outer(vec1, vec2), beta, alpha, "addr")


@autocast_disabled
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dimension of both (a scalar operand multiplies)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"[inner] expected the last dimensions of both inputs to match, got "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([input.ndim - 1], [other.ndim - 1]))


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: block (i, j) of the result is input[i, j] * other (shapes padded with leading 1s)."""
    n = max(input.ndim, other.ndim)
    a_shape = [1] * (n - input.ndim) + list(input.shape)
    b_shape = [1] * (n - other.ndim) + list(other.shape)
    a = input.reshape([s for d in a_shape for s in (d, 1)])
    b = other.reshape([s for d in b_shape for s in (1, d)])
    return (a * b).reshape([x * y for x, y in zip(a_shape, b_shape)])


def _wrap(dim: int, ndim: int, op: str) -> int:
    if not -ndim <= dim < max(ndim, 1):
        raise IndexError(
            f"[{op}] dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})"
        )
    return dim % ndim if ndim else 0


def tensordot(
    a: Tensor, b: Tensor, dims: int | tuple[Sequence[int], Sequence[int]] | list[Any] = 2
) -> Tensor:
    """Contracts dims of a with dims of b: an int n takes a's last n and b's first n, a pair of lists pairs them.

    Runs as one matrix product after permuting and reshaping both operands.
    """
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"[tensordot] expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"[tensordot] expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        if len(dims) != 2:
            raise RuntimeError("[tensordot] expects dims to be an int or a pair of lists")
        da_in, db_in = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da_in) != len(db_in):
            raise RuntimeError("[tensordot] both dimension lists should have same length")
        da = [_wrap(d, a.ndim, "tensordot") for d in da_in]
        db = [_wrap(d, b.ndim, "tensordot") for d in db_in]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(
                f"[tensordot] contracted dimensions need to match, but first has size {a.shape[x]} "
                f"in dim {x} and second has size {b.shape[y]} in dim {y}"
            )
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = 1
    for d in da:
        k *= a.shape[d]
    sa = [a.shape[d] for d in free_a]
    sb = [b.shape[d] for d in free_b]
    m = 1
    for s in sa:
        m *= s
    n = 1
    for s in sb:
        n *= s
    am = a.permute(free_a + da).reshape(m, k)
    bm = b.permute(db + free_b).reshape(k, n)
    return _C.matmul(am, bm).reshape(sa + sb)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along dim (broadcasting the others); dim None: the first dim of size 3."""
    shape = _broadcast_shapes(input.shape, other.shape)
    if dim is None:
        sizes3 = [i for i, s in enumerate(shape) if s == 3]
        if not sizes3:
            raise RuntimeError(f"[cross] no dimension of size 3 in input of shape {list(shape)}")
        dim = sizes3[0]
    return _cross(input, other, dim, "cross")


def _cross(input: Tensor, other: Tensor, dim: int, op: str) -> Tensor:
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"[{op}] inputs must have the same number of dimensions, got {input.ndim} and {other.ndim}"
        )
    shape = _broadcast_shapes(input.shape, other.shape)
    d = _wrap(dim, len(shape), op)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"[{op}] inputs dimension {dim} must have length 3, got {input.shape[d]} and {other.shape[d]}"
        )
    a = [input.select(d, i).unsqueeze(d) for i in range(3)]
    b = [other.select(d, i).unsqueeze(d) for i in range(3)]
    parts = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    return _C.cat(parts, d)


def det(input: Tensor) -> Tensor:
    """Determinant of each square matrix (pygrad.linalg.det)."""
    from pygrad._decompositions import det as _det

    return _det(input)


def slogdet(input: Tensor) -> Any:
    """(sign, log|det|) of each square matrix (pygrad.linalg.slogdet)."""
    from pygrad._decompositions import slogdet as _slogdet

    return _slogdet(input)


def inverse(input: Tensor) -> Tensor:
    """Inverse of each square matrix (pygrad.linalg.inv)."""
    from pygrad._decompositions import inv

    return inv(input)


def _result(name: str, fields: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    """torch.return_types' named tuple for a legacy linalg function."""
    import collections

    cls = _RESULT_TYPES.get(name)
    if cls is None:
        cls = _RESULT_TYPES[name] = collections.namedtuple(name, fields)
    return cls(*values)


_RESULT_TYPES: dict[str, Any] = {}


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:
    """(U, S, V) of each matrix, torch.svd's legacy form: V, not V^H (pygrad.linalg.svd gives Vh); some=False
    gives the full square U and V; compute_uv=False gives S with square U and V zero-filled, as torch."""
    from pygrad._decompositions import svd as linalg_svd
    from pygrad._decompositions import svdvals
    from pygrad._factories import zeros

    if not compute_uv:
        s = svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        batch = list(input.shape[:-2])
        u = zeros([*batch, m, m], dtype=input.dtype)
        v = zeros([*batch, n, n], dtype=input.dtype)
        return _result("svd", ("U", "S", "V"), (u, s, v))
    u, s, vh = linalg_svd(input, full_matrices=not some)
    return _result("svd", ("U", "S", "V"), (u, s, vh.mT))


def qr(input: Tensor, some: bool = True) -> Any:
    """(Q, R) of each matrix, torch.qr's legacy form: some=True is linalg.qr's 'reduced' mode, False 'complete'."""
    from pygrad._decompositions import qr as linalg_qr

    q, r = linalg_qr(input, mode="reduced" if some else "complete")
    return _result("qr", ("Q", "R"), (q, r))


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """Cholesky factor of each symmetric positive-definite matrix, torch.cholesky's legacy form: lower
    (L L^T = A), or upper (U^T U = A) with upper=True."""
    from pygrad._decompositions import cholesky as linalg_cholesky

    lower = linalg_cholesky(input)
    return lower.mT if upper else lower


def triangular_solve(
    input: Tensor,
    A: Tensor,
    upper: bool = True,
    transpose: bool = False,
    unitriangular: bool = False,
) -> Any:
    """(solution, cloned_coefficient) of A X = input for triangular A, torch.triangular_solve's legacy form
    (upper by default; transpose solves A^T X = input; unitriangular takes A's diagonal as ones)."""
    from pygrad._solvers import solve_triangular

    coefficient = A.mT if transpose else A
    x = solve_triangular(coefficient, input, upper=upper != transpose, unitriangular=unitriangular)
    return _result("triangular_solve", ("solution", "cloned_coefficient"), (x, A.clone()))


def logdet(input: Tensor) -> Tensor:
    """log(det) of each square matrix: NaN where the determinant is negative, -inf where it is zero."""
    from pygrad._decompositions import _square
    from pygrad._decompositions import slogdet as _slogdet

    if _square(input, "logdet") == 0:  # log det of an empty matrix: 0, connected to the input
        return input.sum([-2, -1])
    sign, logabs = _slogdet(input)
    from pygrad._factories import full

    return _C.where(sign < 0, full([], float("nan"), dtype=logabs.dtype), logabs)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors of the same dtype (no broadcasting: matmul does that)."""
    if input.ndim != 2:
        raise RuntimeError("[mm] self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("[mm] mat2 must be a matrix")
    if input.dtype != mat2.dtype:
        raise RuntimeError(
            f"[mm] expected m1 and m2 to have the same dtype, but got: {input.dtype} != {mat2.dtype}"
        )
    return _mm(input, mat2, "mm")


def chain_matmul(*matrices: Tensor) -> Tensor:
    """Product of 2-D matrices left to right (one matrix: a copy). Deprecated, as in torch: it warns, pointing
    to linalg.multi_dot."""
    import warnings

    warnings.warn(
        "chain_matmul is deprecated and will be removed in a future release; use linalg.multi_dot "
        "instead, which accepts a list of two or more tensors rather than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if not matrices:
        raise RuntimeError("[chain_matmul] Expected one or more matrices")
    for t in matrices:
        if t.ndim != 2:
            raise RuntimeError(f"[chain_matmul] Tensor dimension is {t.ndim}, expected 2 instead.")
    out = matrices[0].clone() if len(matrices) == 1 else matrices[0]
    for i, t in enumerate(matrices[1:]):
        if out.shape[1] != t.shape[0]:
            raise RuntimeError(
                f"[chain_matmul] tensors {i} and {i + 1} with shapes {list(matrices[i].shape)} and "
                f"{list(t.shape)} cannot be multiplied"
            )
        out = _C.matmul(out, t)
    return out


def matrix_power(input: Tensor, n: int) -> Tensor:
    """input multiplied by itself n times (pygrad.linalg.matrix_power)."""
    from pygrad._matrix_functions import matrix_power as _matrix_power

    return _matrix_power(input, n)


def matrix_exp(input: Tensor) -> Tensor:
    """exp of each square matrix (pygrad.linalg.matrix_exp), differentiable."""
    from pygrad._matrix_functions import matrix_exp as _matrix_exp

    return _matrix_exp(input)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse, singular values at or below rcond * the largest counted as zero (linalg.pinv)."""
    from pygrad._solvers import pinv

    return pinv(input, atol=0.0, rtol=rcond)


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """X with A @ X = input, A = input2 @ input2^T (upper: input2^T @ input2) given by its Cholesky factor."""
    from pygrad._solvers import cholesky_solve as _cholesky_solve

    return _cholesky_solve(input, input2, upper)


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """Inverse of A = input @ input^T (upper: input^T @ input) from its Cholesky factor."""
    from pygrad._solvers import cholesky_inverse as _cholesky_inverse

    return _cholesky_inverse(input, upper)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """Vandermonde matrix of a 1-D x: columns x^(N-1), ..., x^0 (increasing: the reverse)."""
    from pygrad._matrix_functions import vander as _vander

    return _vander(x, N, increasing)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-D, 1-D as a row, or 2-D) as blocks down the diagonal of a matrix of zeros."""
    from pygrad._matrix_functions import block_diag as _block_diag

    return _block_diag(*tensors)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast), over all elements."""
    from pygrad._factories import ones
    from pygrad._norms import vector_norm

    diff = input - other
    norm = vector_norm(diff, p)
    if p == 0 and diff.requires_grad:  # a count: kept in the graph with a zero gradient, as torch's
        return _C.where(ones([], dtype=_C.bool), norm, diff.abs().sum())
    return norm


@autocast_float32
def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """p-norm distances between the rows of x1 (..., P, M) and those of x2 (..., R, M): (..., P, R)."""
    from pygrad._statistics import cdist as _cdist

    return _cdist(x1, x2, p, compute_mode)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """p-norm distances between the rows of a 2-D input, pairs i < j in row-major order."""
    from pygrad._statistics import pdist as _pdist

    return _pdist(input, p)


def cov(
    input: Tensor,
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """Covariance matrix of the variables in input's rows, observations in its columns."""
    from pygrad._statistics import cov as _cov

    return _cov(input, correction=correction, fweights=fweights, aweights=aweights)


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in input's rows."""
    from pygrad._statistics import corrcoef as _corrcoef

    return _corrcoef(input)


def trapezoid(
    y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1
) -> Tensor:
    """Integral of y along dim by the trapezoid rule, sampled at x or at spacing dx (default 1)."""
    from pygrad._statistics import trapezoid as _trapezoid

    return _trapezoid(y, x, dx=dx, dim=dim)


def trapz(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """Alias of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(
    y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1
) -> Tensor:
    """Running integral of y along dim by the trapezoid rule (one fewer element along dim)."""
    from pygrad._statistics import cumulative_trapezoid as _cumulative_trapezoid

    return _cumulative_trapezoid(y, x, dx=dx, dim=dim)


_METHODS = {
    "addbmm": addbmm,
    "addmm": addmm,
    "addmv": addmv,
    "addr": addr,
    "baddbmm": baddbmm,
    "bmm": bmm,
    "cholesky": cholesky,
    "cholesky_inverse": cholesky_inverse,
    "cholesky_solve": cholesky_solve,
    "corrcoef": corrcoef,
    "cov": cov,
    "cross": cross,
    "det": det,
    "dist": dist,
    "dot": dot,
    "ger": ger,
    "inner": inner,
    "inverse": inverse,
    "kron": kron,
    "logdet": logdet,
    "matrix_exp": matrix_exp,
    "matrix_power": matrix_power,
    "mm": mm,
    "mv": mv,
    "outer": outer,
    "pinverse": pinverse,
    "qr": qr,
    "slogdet": slogdet,
    "svd": svd,
    "triangular_solve": triangular_solve,
    "vdot": vdot,
}


def _as_method(fn: Any) -> Any:
    """fn(input, ...) as a Tensor method (self, ...)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    def unary(self: Tensor) -> Any:
        return fn(self)

    def weighted(
        self: Tensor,
        *,
        correction: int = 1,
        fweights: Tensor | None = None,
        aweights: Tensor | None = None,
    ) -> Any:
        return fn(self, correction=correction, fweights=fweights, aweights=aweights)

    code = fn.__code__
    if fn is cov:  # keyword-only: its signature is spelled out, as a stub cannot match *args
        method = weighted
    elif code.co_argcount == 1 and not code.co_kwonlyargcount and not code.co_flags & 0x0C:
        method = unary  # input alone: no other parameter, *args or **kwargs
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _name, _fn in _METHODS.items():
    setattr(_C.Tensor, _name, _as_method(_fn))
