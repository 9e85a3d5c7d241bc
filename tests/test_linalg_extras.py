"""torch 2.13's further linear algebra and statistics against torch: mm, chain_matmul, matrix_power, matrix_exp,
logdet, pinverse / linalg.pinv, linalg.matrix_rank, linalg.lstsq, linalg.solve_triangular, cholesky_solve,
cholesky_inverse, linalg.cholesky_ex, linalg.inv_ex, cdist, pdist, dist, block_diag, vander / linalg.vander,
cov, corrcoef, trapezoid / trapz / cumulative_trapezoid, quantile, nanquantile, histogram.
Values and dtypes in float32 and float64, batched and size-0 shapes, gradients for a random upstream gradient
(and a second order where torch has one), pygrad.autograd.gradcheck in float64, and torch's errors.
"""

import math
import warnings

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad
from pygrad import linalg
from pygrad.autograd import gradcheck

torch = import_torch()

DTYPES = [np.float32, np.float64]


def rng_for(*keys):
    return make_rng("linalg_extras", *keys)


def tol(dtype, scale=1.0):
    t = 1e-9 if dtype == np.float64 else 2e-4
    return {"rtol": t * scale, "atol": t * scale}


def to_np(t):
    return t.detach().numpy()


def check(fp, ft, arrays, *, grad=True, scale=1.0, grad_of=None, seed=0):
    """fp(*pygrad inputs) matches ft(*torch inputs) in shape, dtype and value; with a random upstream gradient,
    the inputs' gradients match too (grad_of: the indices of the inputs that get one)."""
    arrays = [np.array(a) for a in arrays]
    which = range(len(arrays)) if grad_of is None else grad_of
    floating = [a.dtype.kind == "f" for a in arrays]
    ps = [pygrad.from_numpy(a.copy()) for a in arrays]
    ts = [torch.from_numpy(a.copy()) for a in arrays]
    if grad:
        for i in which:
            if floating[i]:
                ps[i].requires_grad_(True)
                ts[i].requires_grad_(True)
    out_p, out_t = fp(*ps), ft(*ts)
    dtype = out_t.detach().numpy().dtype
    assert tuple(out_p.shape) == tuple(out_t.shape)
    assert str(out_p.dtype).split(".")[-1] == str(out_t.dtype).split(".")[-1]
    t = tol(dtype if dtype.kind == "f" else np.float64, scale)
    np.testing.assert_allclose(to_np(out_p), to_np(out_t), equal_nan=True, **t)
    if not grad:
        return out_p, out_t
    g = rng_for("upstream", seed, str(out_t.shape)).standard_normal(tuple(out_t.shape))
    g = g.astype(dtype)
    out_p.backward(pygrad.from_numpy(g.copy()))
    out_t.backward(torch.from_numpy(g.copy()))
    for i in which:
        if not floating[i]:
            continue
        if ts[i].grad is None:
            assert ps[i].grad is None or not np.any(ps[i].grad.numpy()), i
        else:
            assert ps[i].grad is not None, i
            np.testing.assert_allclose(ps[i].grad.numpy(), ts[i].grad.numpy(), **t)
    return out_p, out_t


def second_order(fp, ft, arrays, scale=1.0):
    """The gradient of sum(grad ** 2) (create_graph=True) matches torch's."""
    ps = [pygrad.from_numpy(np.array(a)).requires_grad_(True) for a in arrays]
    ts = [torch.from_numpy(np.array(a)).requires_grad_(True) for a in arrays]
    op, ot = fp(*ps), ft(*ts)
    g = rng_for("second", str(ot.shape)).standard_normal(tuple(ot.shape))
    gp = pygrad.autograd.grad(op, ps, pygrad.from_numpy(g.copy()), create_graph=True)
    gt = torch.autograd.grad(ot, ts, torch.from_numpy(g.copy()), create_graph=True)
    hp = pygrad.autograd.grad(sum((x * x).sum() for x in gp), ps)
    ht = torch.autograd.grad(sum((x * x).sum() for x in gt), ts)
    for a, b in zip(hp, ht):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol(np.float64, scale))


def raises_like(fp, ft, match=None):
    """pygrad raises the exception class torch raises (or, for torch's private LinAlgError, pygrad's)."""
    with pytest.raises(Exception) as expected:
        ft()
    kind = type(expected.value)
    if kind.__name__ == "_LinAlgError":
        kind = linalg.LinAlgError
    with pytest.raises(kind, match=match):
        fp()


def P(a, grad=False):
    t = pygrad.from_numpy(np.array(a))
    return t.requires_grad_(True) if grad else t


def T(a, grad=False):
    return torch.from_numpy(np.array(a)).requires_grad_(grad)


def randn(shape, dtype=np.float64, seed=0):
    return rng_for("randn", seed, str(shape)).standard_normal(shape).astype(dtype)


def spd(n, batch=(), dtype=np.float64, seed=0):
    m = randn((*batch, n, n), np.float64, seed)
    return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)).astype(dtype)


# ---- products


@pytest.mark.parametrize("dtype", DTYPES)
def test_mm(dtype):
    check(pygrad.mm, torch.mm, [randn((3, 4), dtype), randn((4, 5), dtype, 1)])
    check(lambda a, b: a.mm(b), lambda a, b: a.mm(b), [randn((2, 3), dtype), randn((3, 1), dtype)])
    check(pygrad.mm, torch.mm, [randn((2, 0), dtype), randn((0, 3), dtype)])
    check(pygrad.mm, torch.mm, [randn((0, 3), dtype), randn((3, 2), dtype)])
    a = pygrad.from_numpy(np.arange(6, dtype=np.int64).reshape(2, 3))
    assert pygrad.mm(a, a.mT).tolist() == [[5, 14], [14, 50]]


def test_mm_errors():
    a, b = randn((2, 3)), randn((3, 4))
    raises_like(
        lambda: pygrad.mm(P(a[0]), P(b)), lambda: torch.mm(T(a[0]), T(b)), "self must be a matrix"
    )
    raises_like(
        lambda: pygrad.mm(P(a), P(b[0])), lambda: torch.mm(T(a), T(b[0])), "mat2 must be a matrix"
    )
    raises_like(lambda: pygrad.mm(P(a), P(a)), lambda: torch.mm(T(a), T(a)), "cannot be multiplied")
    raises_like(
        lambda: pygrad.mm(P(a), P(b).float()), lambda: torch.mm(T(a), T(b).float()), "same dtype"
    )
    raises_like(
        lambda: pygrad.mm(P(randn((2, 2, 2))), P(b)), lambda: torch.mm(T(randn((2, 2, 2))), T(b))
    )


def test_chain_matmul():
    mats = [randn((2, 3)), randn((3, 4), seed=1), randn((4, 2), seed=2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.warns(UserWarning, match="deprecated"):
            check(pygrad.chain_matmul, torch.chain_matmul, mats)
        with pytest.warns(UserWarning):
            check(pygrad.chain_matmul, torch.chain_matmul, mats[:1], scale=1)
        a = pygrad.ones(2, 2)
        with pytest.warns(UserWarning):
            assert pygrad.chain_matmul(a) is not a
        for args in ([], [mats[0][0], mats[1]], [mats[0], mats[0]]):
            raises_like(
                lambda args=args: pygrad.chain_matmul(*map(P, args)),
                lambda args=args: torch.chain_matmul(*map(T, args)),
            )


def test_matrix_power():
    a = randn((2, 3, 3)) / 2
    for n in (-2, -1, 0, 1, 2, 5):
        check(
            lambda x, n=n: pygrad.matrix_power(x, n), lambda x, n=n: torch.matrix_power(x, n), [a]
        )
    check(lambda x: x.matrix_power(3), lambda x: x.matrix_power(3), [randn((4, 4), np.float32)])
    check(lambda x: pygrad.matrix_power(x, 2), lambda x: torch.matrix_power(x, 2), [randn((0, 0))])
    raises_like(
        lambda: pygrad.matrix_power(P(randn((2, 3))), 2),
        lambda: torch.matrix_power(T(randn((2, 3))), 2),
    )


# ---- matrix_exp


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", [1e-3, 0.5, 3.0, 12.0, 60.0])
def test_matrix_exp_values_and_gradients(dtype, norm):
    a = randn((2, 4, 4), seed=int(norm * 10))
    a = (a / np.abs(a).sum(-2).max() * norm).astype(dtype)
    scale = max(
        1.0, float(np.abs(torch.matrix_exp(T(a)).numpy()).max())
    )  # relative to the largest entry
    check(pygrad.matrix_exp, torch.matrix_exp, [a], scale=scale)
    check(linalg.matrix_exp, torch.linalg.matrix_exp, [a[0]], scale=scale)


def test_matrix_exp_shapes_and_methods():
    # matrices of very different norms in one batch are squared a different number of times
    a = np.stack([randn((3, 3)) * 0.01, randn((3, 3), seed=1) * 5, np.zeros((3, 3))])
    check(lambda x: x.matrix_exp(), lambda x: x.matrix_exp(), [a])
    check(pygrad.matrix_exp, torch.matrix_exp, [randn((1, 1))])
    check(pygrad.matrix_exp, torch.matrix_exp, [randn((2, 0, 0))])
    check(pygrad.matrix_exp, torch.matrix_exp, [randn((0, 3, 3))])
    t = 0.7
    rot = pygrad.matrix_exp(pygrad.tensor([[0.0, t], [-t, 0.0]], dtype=pygrad.float64))
    expected = [[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]]
    np.testing.assert_allclose(rot.numpy(), expected, rtol=1e-14, atol=1e-15)
    nan = pygrad.matrix_exp(pygrad.tensor([[float("nan"), 0.0], [0.0, 1.0]]))
    assert np.isnan(nan.numpy()).any()


def test_matrix_exp_gradcheck_and_second_order():
    a = P(randn((2, 3, 3)) * 2, grad=True)
    assert gradcheck(pygrad.matrix_exp, (a,))
    second_order(pygrad.matrix_exp, torch.matrix_exp, [randn((3, 3), seed=3)], scale=100)


def test_matrix_exp_errors():
    for a in (randn((2, 3)), randn((3,)), np.ones((2, 2), dtype=np.int64), np.float64(1.0)):
        raises_like(lambda a=a: pygrad.matrix_exp(P(a)), lambda a=a: torch.matrix_exp(T(a)))


# ---- logdet


@pytest.mark.parametrize("dtype", DTYPES)
def test_logdet(dtype):
    check(pygrad.logdet, torch.logdet, [spd(4, (2,), dtype)])
    check(lambda x: x.logdet(), lambda x: x.logdet(), [spd(3, (), dtype)])
    # a negative determinant gives NaN and a zero gradient, as torch
    neg = np.array([[[-1.0, 0.5], [0.2, 1.0]], [[2.0, 0.1], [0.3, 1.0]]], dtype=dtype)
    check(pygrad.logdet, torch.logdet, [neg])
    check(pygrad.logdet, torch.logdet, [np.zeros((0, 0), dtype)])
    singular = np.array([[0.0, 0.0], [0.0, 1.0]], dtype)
    check(pygrad.logdet, torch.logdet, [singular], grad=False)
    assert pygrad.logdet(P(singular)).item() == -math.inf


def test_logdet_gradcheck_and_errors():
    assert gradcheck(pygrad.logdet, (P(spd(3, (2,)), grad=True),))
    raises_like(lambda: pygrad.logdet(P(randn((2, 3)))), lambda: torch.logdet(T(randn((2, 3)))))
    raises_like(
        lambda: pygrad.logdet(P(np.eye(2, dtype=np.int64))),
        lambda: torch.logdet(T(np.eye(2, dtype=np.int64))),
    )


# ---- pinv, matrix_rank, lstsq


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (2, 3, 4), (2, 1, 4, 2)])
def test_pinv(dtype, shape):
    a = randn(shape, dtype, seed=len(shape))
    check(linalg.pinv, torch.linalg.pinv, [a], scale=10)
    check(pygrad.pinverse, torch.pinverse, [a], scale=10)
    check(lambda x: x.pinverse(), lambda x: x.pinverse(), [a], scale=10)


def test_pinv_rank_deficient_and_repeated_singular_values():
    # torch's gradient is finite where a composition through svd divides by a zero gap
    low_rank = randn((4, 2)) @ randn((2, 5), seed=1)
    check(linalg.pinv, torch.linalg.pinv, [low_rank], scale=100)
    check(linalg.pinv, torch.linalg.pinv, [np.eye(3)])
    check(linalg.pinv, torch.linalg.pinv, [np.zeros((2, 3))])
    check(
        lambda x: linalg.pinv(x, hermitian=True),
        lambda x: torch.linalg.pinv(x, hermitian=True),
        [spd(4) - 6 * np.eye(4)],
    )
    check(
        lambda x: linalg.pinv(x, hermitian=True),
        lambda x: torch.linalg.pinv(x, hermitian=True),
        [np.diag([3.0, -2.0, 0.0])],
    )


def test_pinv_tolerances():
    a = np.diag([4.0, 1.0, 0.01]) @ np.linalg.qr(randn((3, 3)))[0]
    for kw in (
        {"rtol": 0.1},
        {"atol": 0.5},
        {"atol": 0.5, "rtol": 0.5},
        {"atol": 0.0},
        {"rtol": 0.0},
    ):
        check(
            lambda x, kw=kw: linalg.pinv(x, **kw),
            lambda x, kw=kw: torch.linalg.pinv(x, **kw),
            [a],
            scale=100,
        )
    check(lambda x: linalg.pinv(x, 0.1), lambda x: torch.linalg.pinv(x, 0.1), [a], scale=100)
    check(
        lambda x: pygrad.pinverse(x, rcond=0.3),
        lambda x: torch.pinverse(x, rcond=0.3),
        [a],
        scale=100,
    )
    batch = np.stack([a, 2 * a])
    rtol = np.array([0.2, 0.001])
    check(
        lambda x: linalg.pinv(x, rtol=P(rtol)),
        lambda x: torch.linalg.pinv(x, rtol=T(rtol)),
        [batch],
        scale=100,
    )
    check(
        lambda x: linalg.pinv(x, atol=P(rtol * 10), hermitian=False),
        lambda x: torch.linalg.pinv(x, atol=T(rtol * 10)),
        [batch],
        scale=100,
    )


def test_pinv_empty_gradcheck_second_order_and_errors():
    check(linalg.pinv, torch.linalg.pinv, [randn((2, 0, 3))])
    check(linalg.pinv, torch.linalg.pinv, [randn((3, 0))])
    assert gradcheck(linalg.pinv, (P(randn((3, 4)), grad=True),))
    # hermitian reads one triangle while the gradient is torch's dense one: check along symmetric directions
    assert gradcheck(lambda x: linalg.pinv(x + x.mT, hermitian=True), (P(spd(3), grad=True),))
    second_order(linalg.pinv, torch.linalg.pinv, [randn((3, 5))])
    for a in (randn((3,)), np.ones((3, 3), dtype=np.int64)):
        raises_like(lambda a=a: linalg.pinv(P(a)), lambda a=a: torch.linalg.pinv(T(a)))
    raises_like(
        lambda: linalg.pinv(P(randn((2, 3))), hermitian=True),
        lambda: torch.linalg.pinv(T(randn((2, 3))), hermitian=True),
    )


def test_matrix_rank():
    low = randn((2, 5, 2)) @ randn((2, 2, 4), seed=1)
    for a in (
        low,
        randn((3, 4)),
        np.ones((3, 3)),
        np.zeros((2, 2)),
        randn((2, 0, 3)),
        low.astype(np.float32),
    ):
        check(linalg.matrix_rank, torch.linalg.matrix_rank, [a], grad=False)
    a = np.diag([4.0, 1.0, 0.01])
    for kw in ({"atol": 0.5}, {"rtol": 0.1}, {"atol": 0.001, "rtol": 0.3}, {"hermitian": True}):
        check(
            lambda x, kw=kw: linalg.matrix_rank(x, **kw),
            lambda x, kw=kw: torch.linalg.matrix_rank(x, **kw),
            [a],
            grad=False,
        )
    check(
        lambda x: linalg.matrix_rank(x, 0.5),
        lambda x: torch.linalg.matrix_rank(x, 0.5),
        [a],
        grad=False,
    )
    check(
        lambda x: linalg.matrix_rank(x, 0.5, True),
        lambda x: torch.linalg.matrix_rank(x, 0.5, True),
        [-a],
        grad=False,
    )
    raises_like(
        lambda: linalg.matrix_rank(P(randn((3,)))), lambda: torch.linalg.matrix_rank(T(randn((3,))))
    )
    raises_like(
        lambda: linalg.matrix_rank(P(np.ones((2, 2), np.int64))),
        lambda: torch.linalg.matrix_rank(T(np.ones((2, 2), np.int64))),
    )


def _lstsq(lib, driver=None, field=0, rcond=None):
    mod = linalg if lib == "p" else torch.linalg
    return lambda a, b: mod.lstsq(a, b, rcond, driver=driver)[field]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_full_rank(dtype, driver):
    for shapes in (
        [(6, 3), (6, 2)],
        [(3, 3), (3, 1)],
        [(2, 5, 3), (2, 5, 4)],
        [(2, 1, 5, 3), (1, 3, 5, 2)],
        [(5, 3), (5,)],
    ):
        arrays = [randn(s, dtype, seed=i) for i, s in enumerate(shapes)]
        for field in range(4):
            check(
                _lstsq("p", driver, field),
                _lstsq("t", driver, field),
                arrays,
                grad=field == 0,
                scale=30,
            )
    wide = [randn((3, 5), dtype), randn((3, 2), dtype, 1)]
    if driver in (
        None,
        "gelsd",
        "gelss",
    ):  # LAPACK's gels and gelsy also give the minimum-norm solution here
        check(_lstsq("p", driver), _lstsq("t", driver), wide, scale=30)


def test_lstsq_rank_deficient_residuals_and_names():
    a = randn((6, 2)) @ randn((2, 3), seed=1)
    b = randn((6, 2), seed=2)
    for driver in ("gelsd", "gelss"):  # the minimum-norm solution, its rank and singular values
        for field in range(4):
            check(
                _lstsq("p", driver, field),
                _lstsq("t", driver, field),
                [a, b],
                grad=False,
                scale=1e3,
            )
    full = randn((6, 3), seed=3)
    for rcond, x in ((0.5, a), (0.5, full), (-1.0, full)):  # negative: LAPACK's machine precision
        for field in range(4):
            check(
                _lstsq("p", "gelsd", field, rcond),
                _lstsq("t", "gelsd", field, rcond),
                [x, b],
                grad=False,
                scale=1e3,
            )
    r = linalg.lstsq(P(randn((5, 3))), P(randn((5, 2), seed=1)), driver="gelsd")
    assert r._fields == ("solution", "residuals", "rank", "singular_values")
    assert r.rank.dtype == pygrad.int64 and r.rank.item() == 3
    # residuals are differentiable; torch's gradient for A agrees (for B torch's is half the true one)
    check(
        _lstsq("p", "gelsd", 1),
        _lstsq("t", "gelsd", 1),
        [randn((5, 3)), randn((5, 2), seed=1)],
        grad_of=[0],
    )
    A, B = P(randn((5, 3)), grad=True), P(randn((5, 2), seed=1), grad=True)
    assert gradcheck(lambda a, b: linalg.lstsq(a, b, driver="gels").residuals, (A, B))
    assert gradcheck(lambda a, b: linalg.lstsq(a, b).solution, (A, B))
    second_order(_lstsq("p"), _lstsq("t"), [randn((5, 3)), randn((5, 2), seed=1)])
    for driver in ("gelsy", "gelsd"):
        for field in range(4):
            check(
                _lstsq("p", driver, field),
                _lstsq("t", driver, field),
                [randn((0, 3)), randn((0, 2))],
                grad=False,
            )
            check(
                _lstsq("p", driver, field),
                _lstsq("t", driver, field),
                [randn((3, 0)), randn((3, 2))],
                grad=False,
            )


def test_lstsq_errors():
    a, b = randn((5, 3)), randn((5, 2))
    cases = [
        (a[0], b),
        (a, b[:3]),
        (a, b.astype(np.float32)),
        (np.broadcast_to(a, (2, 5, 3)), b),
        (a, np.broadcast_to(b, (2, 2, 5, 2))),
    ]
    for x, y in cases:
        raises_like(
            lambda x=x, y=y: linalg.lstsq(P(x), P(y)),
            lambda x=x, y=y: torch.linalg.lstsq(T(x), T(y)),
        )
    raises_like(
        lambda: linalg.lstsq(P(a), P(b), driver="foo"),
        lambda: torch.linalg.lstsq(T(a), T(b), driver="foo"),
    )


# ---- triangular and Cholesky solves


def _triangular(n, batch=(), upper=True, dtype=np.float64, seed=0):
    a = randn((*batch, n, n), np.float64, seed) + 3 * np.eye(n)
    return (np.triu(a) if upper else np.tril(a)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular(dtype, upper, left, unit):
    # the full matrix is passed: only the triangle read gets a gradient, as torch's
    a = randn((2, 4, 4), dtype) + (3 * np.eye(4)).astype(dtype)
    b = randn((2, 4, 3) if left else (2, 3, 4), dtype, 1)

    def fp(x, y):
        return linalg.solve_triangular(x, y, upper=upper, left=left, unitriangular=unit)

    def ft(x, y):
        return torch.linalg.solve_triangular(x, y, upper=upper, left=left, unitriangular=unit)

    check(fp, ft, [a, b], scale=10)
    check(fp, ft, [a[0], b[:1]], scale=10)  # batch dims broadcast


def test_solve_triangular_shapes_and_errors():
    st, tst = linalg.solve_triangular, torch.linalg.solve_triangular
    a = _triangular(3, (2, 1))
    check(
        lambda x, y: st(x, y, upper=True), lambda x, y: tst(x, y, upper=True), [a, randn((4, 3, 2))]
    )
    check(
        lambda x, y: st(x, y, upper=True),
        lambda x, y: tst(x, y, upper=True),
        [np.zeros((0, 0)), randn((0, 2))],
    )
    check(
        lambda x, y: st(x, y, upper=False),
        lambda x, y: tst(x, y, upper=False),
        [a[0, 0].T.copy(), randn((3, 0))],
    )
    zero = np.zeros((3, 3))  # a zero diagonal gives inf / nan, no error, as torch
    check(
        lambda x, y: st(x, y, upper=True),
        lambda x, y: tst(x, y, upper=True),
        [zero, randn((3, 2))],
        grad=False,
    )
    assert gradcheck(
        lambda x, y: st(x, y, upper=False, left=False),
        (
            P(a.mT.copy() if hasattr(a, "mT") else np.swapaxes(a, -1, -2), grad=True),
            P(randn((2, 2, 3)), grad=True),
        ),
    )
    with pytest.raises(TypeError):
        st(P(a), P(randn((3, 2))))  # upper is required
    b = randn((3, 2))
    for x, y, kw in [
        (a[0, 0], b[0], {}),
        (a[0, 0], randn((4, 2)), {}),
        (a[0, 0], randn((2, 4)), {"left": False}),
        (a[0, 0][:2], b, {}),
        (np.ones((3, 3), np.int64), np.ones((3, 2), np.int64), {}),
    ]:
        raises_like(
            lambda x=x, y=y, kw=kw: st(P(x), P(y), upper=True, **kw),
            lambda x=x, y=y, kw=kw: tst(T(x), T(y), upper=True, **kw),
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(dtype, upper):
    factor = np.linalg.cholesky(spd(4, (2,)))
    factor = (np.swapaxes(factor, -1, -2) if upper else factor).astype(dtype)
    b = randn((2, 4, 3), dtype, 1)
    # torch's gradient of the factor is dense (both triangles), and so is pygrad's
    check(
        lambda x, f: pygrad.cholesky_solve(x, f, upper),
        lambda x, f: torch.cholesky_solve(x, f, upper),
        [b, factor],
        scale=10,
    )
    check(
        lambda x, f: x.cholesky_solve(f, upper=upper),
        lambda x, f: x.cholesky_solve(f, upper=upper),
        [b[:1], factor],
        scale=10,
    )
    check(
        lambda f: pygrad.cholesky_inverse(f, upper),
        lambda f: torch.cholesky_inverse(f, upper),
        [factor],
        scale=10,
    )
    check(
        lambda f: f.cholesky_inverse(upper),
        lambda f: f.cholesky_inverse(upper),
        [factor[0]],
        scale=10,
    )
    check(
        pygrad.cholesky_solve, torch.cholesky_solve, [randn((3, 1, 4, 2), dtype), factor], scale=10
    )


def test_cholesky_solve_gradcheck_second_order_and_errors():
    factor = np.linalg.cholesky(spd(3))
    b = randn((3, 2))
    # the forward reads one triangle while the gradient is torch's dense one: check along that triangle
    assert gradcheck(
        lambda x, f: pygrad.cholesky_solve(x, f.tril()), (P(b, grad=True), P(factor, grad=True))
    )
    assert gradcheck(
        lambda f: pygrad.cholesky_inverse(f.triu(), True), (P(factor.T.copy(), grad=True),)
    )
    second_order(pygrad.cholesky_solve, torch.cholesky_solve, [b, factor])
    second_order(pygrad.cholesky_inverse, torch.cholesky_inverse, [factor])
    check(pygrad.cholesky_inverse, torch.cholesky_inverse, [np.zeros((0, 0))])
    for x, f in [
        (b[0], factor),
        (randn((4, 2)), factor),
        (b.astype(np.float32), factor),
        (b, factor[:2]),
    ]:
        raises_like(
            lambda x=x, f=f: pygrad.cholesky_solve(P(x), P(f)),
            lambda x=x, f=f: torch.cholesky_solve(T(x), T(f)),
        )
    for f in (factor[0], factor[:2], np.zeros((2, 2))):
        raises_like(
            lambda f=f: pygrad.cholesky_inverse(P(f)), lambda f=f: torch.cholesky_inverse(T(f))
        )


# ---- factorisations reporting failure


def test_cholesky_ex():
    m = np.array([[[4.0, 2], [2, 3]], [[1.0, 2], [2, 1]], [[-1.0, 0], [0, 1]], [[2.0, 1], [1, 2]]])
    for upper in (False, True):
        rp = linalg.cholesky_ex(P(m), upper=upper)
        rt = torch.linalg.cholesky_ex(T(m), upper=upper)
        assert rp.info.dtype == pygrad.int32 and rp.info.tolist() == rt.info.tolist() == [
            0,
            2,
            1,
            0,
        ]
        np.testing.assert_allclose(
            rp.L.numpy(), rt.L.numpy(), rtol=1e-12
        )  # the partial factors too
    assert linalg.cholesky_ex(P(m))._fields == ("L", "info")
    a = spd(3, (2,), np.float32)
    for field in (0, 1):
        check(
            lambda x, f=field: linalg.cholesky_ex(x)[f],
            lambda x, f=field: torch.linalg.cholesky_ex(x)[f],
            [a],
            grad=field == 0,
            scale=10,
        )
    # the gradient reaches the positive-definite matrices of a batch with failures
    good = np.array([[[4.0, 2], [2, 3]], [[1.0, 2], [2, 1]], [[2.0, 1], [1, 2]]])
    p, t = P(good, grad=True), T(good, grad=True)
    (linalg.cholesky_ex(p).L[0::2] ** 2).sum().backward()
    (torch.linalg.cholesky_ex(t).L[0::2] ** 2).sum().backward()
    np.testing.assert_allclose(p.grad.numpy()[0::2], t.grad.numpy()[0::2], rtol=1e-12, atol=1e-14)
    assert not np.any(p.grad.numpy()[1])
    check(
        lambda x: linalg.cholesky_ex(x)[0],
        lambda x: torch.linalg.cholesky_ex(x)[0],
        [np.zeros((2, 0, 0))],
    )
    check(
        lambda x: linalg.cholesky_ex(x)[1],
        lambda x: torch.linalg.cholesky_ex(x)[1],
        [np.zeros((0, 0))],
        grad=False,
    )
    raises_like(
        lambda: linalg.cholesky_ex(P(m), check_errors=True),
        lambda: torch.linalg.cholesky_ex(T(m), check_errors=True),
        match=r"\(Batch element 1\).*leading minor of order 2",
    )
    raises_like(
        lambda: linalg.cholesky_ex(P(m[1]), check_errors=True),
        lambda: torch.linalg.cholesky_ex(T(m[1]), check_errors=True),
    )
    raises_like(
        lambda: linalg.cholesky_ex(P(np.eye(2, dtype=np.int64))),
        lambda: torch.linalg.cholesky_ex(T(np.eye(2, dtype=np.int64))),
    )


def test_inv_ex():
    s = np.array([[[4.0, 2], [2, 3]], [[1.0, 2], [2, 4]], [[0.0, 0], [0, 1]], [[1.0, 2], [3, 4]]])
    rp, rt = linalg.inv_ex(P(s)), torch.linalg.inv_ex(T(s))
    assert rp.info.dtype == pygrad.int32 and rp.info.tolist() == rt.info.tolist() == [0, 2, 1, 0]
    ok = [0, 3]
    np.testing.assert_allclose(rp.inverse.numpy()[ok], rt.inverse.numpy()[ok], rtol=1e-12)
    assert np.isnan(rp.inverse.numpy()[[1, 2]]).all()  # torch leaves LAPACK's unspecified values
    assert rp._fields == ("inverse", "info")
    for field in (0, 1):
        check(
            lambda x, f=field: linalg.inv_ex(x)[f],
            lambda x, f=field: torch.linalg.inv_ex(x)[f],
            [spd(3, (2,), np.float32)],
            grad=field == 0,
            scale=10,
        )
    p, t = P(s, grad=True), T(s, grad=True)
    (linalg.inv_ex(p).inverse[ok] ** 2).sum().backward()
    (torch.linalg.inv_ex(t).inverse[ok] ** 2).sum().backward()
    np.testing.assert_allclose(p.grad.numpy()[ok], t.grad.numpy()[ok], rtol=1e-12, atol=1e-14)
    check(lambda x: linalg.inv_ex(x)[0], lambda x: torch.linalg.inv_ex(x)[0], [np.zeros((0, 0))])
    for singular in (
        np.zeros((3, 3)),
        np.array([[1.0, 2, 3], [2, 4, 6], [0, 0, 1]]),
    ):  # the first zero pivot
        assert (
            linalg.inv_ex(P(singular)).info.item()
            == torch.linalg.inv_ex(T(singular)).info.item()
            > 0
        )
    raises_like(
        lambda: linalg.inv_ex(P(s), check_errors=True),
        lambda: torch.linalg.inv_ex(T(s), check_errors=True),
        match=r"\(Batch element 1\).*diagonal element 2 is zero",
    )
    raises_like(
        lambda: linalg.inv_ex(P(randn((2, 3)))), lambda: torch.linalg.inv_ex(T(randn((2, 3))))
    )


# ---- distances


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, math.inf])
def test_cdist_pdist_dist(dtype, p):
    x1, x2 = randn((2, 1, 5, 3), dtype), randn((3, 4, 3), dtype, 1)
    mode = "donot_use_mm_for_euclid_dist"
    check(lambda a, b: pygrad.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p, mode), [x1, x2])
    check(lambda a: pygrad.pdist(a, p), lambda a: torch.pdist(a, p), [randn((6, 3), dtype, 2)])
    # torch's dist backward fails for p = 0 (an undefined tensor); pygrad's gradient there is zero
    check(
        lambda a, b: pygrad.dist(a, b, p),
        lambda a, b: torch.dist(a, b, p),
        [x1, x2[0, :1]],
        grad=p != 0,
    )
    check(lambda a, b: a.dist(b, p=p), lambda a, b: a.dist(b, p=p), [x2, x2[:1] * 0.5], grad=p != 0)
    if p == 0:
        a = P(x1, grad=True)
        pygrad.dist(a, P(x2[0, :1]), 0).backward()
        assert a.grad is not None and not np.any(a.grad.numpy())
    # repeated rows: zero distances have a zero gradient, as torch's
    rep = np.concatenate([x2[0], x2[0, :2]]).astype(dtype)
    check(
        lambda a, b: pygrad.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p, mode), [rep, rep[:3]]
    )
    check(lambda a: pygrad.pdist(a, p), lambda a: torch.pdist(a, p), [rep])


def test_distance_shapes_modes_and_errors():
    for shapes in ([(0, 3), (2, 3)], [(2, 0), (3, 0)], [(2, 2, 3), (1, 4, 3)]):
        check(pygrad.cdist, torch.cdist, [randn(s, seed=i) for i, s in enumerate(shapes)])
    for mode in (
        "use_mm_for_euclid_dist_if_necessary",
        "use_mm_for_euclid_dist",
        "donot_use_mm_for_euclid_dist",
    ):
        check(
            lambda a, b, m=mode: pygrad.cdist(a, b, compute_mode=m),
            lambda a, b, m=mode: torch.cdist(a, b, compute_mode=m),
            [randn((3, 2)), randn((4, 2), seed=1)],
        )
    for n in (0, 1, 2):  # torch's pdist backward crashes with fewer than two rows
        check(pygrad.pdist, torch.pdist, [randn((n, 3))], grad=n > 1)
    a = P(randn((1, 3)), grad=True)
    pygrad.pdist(a).sum().backward()
    assert a.grad.tolist() == [[0.0, 0.0, 0.0]]
    check(pygrad.dist, torch.dist, [np.ones(3), np.ones(3)])
    check(
        lambda a, b: pygrad.dist(a, b, -1.5),
        lambda a, b: torch.dist(a, b, -1.5),
        [randn((2, 3)), randn((3,), seed=1)],
    )
    assert gradcheck(
        lambda a, b: pygrad.cdist(a, b, 1.5),
        (P(randn((3, 2)), grad=True), P(randn((2, 2), seed=1), grad=True)),
    )
    assert gradcheck(pygrad.pdist, (P(randn((4, 3)), grad=True),))
    f1, i1 = randn((2, 3)), np.ones((2, 3), np.int64)
    cases = [
        (lambda m: m.cdist(f1[0], f1), torch.cdist),
        (lambda m: m.cdist(f1, randn((2, 4))), torch.cdist),
        (lambda m: m.cdist(f1, f1, p=-1), torch.cdist),
        (lambda m: m.cdist(i1, i1), torch.cdist),
        (lambda m: m.cdist(randn((2, 2, 3)), randn((3, 2, 3))), torch.cdist),
        (lambda m: m.pdist(randn((2, 2, 3))), torch.pdist),
        (lambda m: m.pdist(f1[0]), torch.pdist),
        (lambda m: m.pdist(f1, p=-1), torch.pdist),
        (lambda m: m.pdist(i1), torch.pdist),
        (lambda m: m.dist(i1, i1), torch.dist),
    ]
    for make, _ in cases:

        def lib(module):
            conv = P if module is pygrad else T

            class Wrapped:
                def __getattr__(self, name):
                    fn = getattr(module, name)
                    return lambda *a, **k: fn(*[conv(x) for x in a], **k)

            return Wrapped()

        raises_like(lambda make=make: make(lib(pygrad)), lambda make=make: make(lib(torch)))
    with pytest.raises(ValueError):
        pygrad.cdist(P(f1), P(f1), compute_mode="foo")


# ---- block_diag and vander


def test_block_diag():
    blocks = [np.float64(2.0), randn((2,)), randn((2, 3), seed=1), randn((1, 1), seed=2)]
    check(pygrad.block_diag, torch.block_diag, blocks)
    check(pygrad.block_diag, torch.block_diag, [np.zeros(0), np.zeros((2, 0)), np.zeros((0, 2))])
    check(pygrad.block_diag, torch.block_diag, [randn((2, 2), np.float32), randn((3,), np.float32)])
    for args in (
        [np.int64(2), np.ones(2, np.float32), np.ones((2, 1))],
        [np.float64(2.5), np.ones(2, np.float32)],
        [np.float32(2.5), np.ones(2, np.int64)],
        [np.ones(2, np.int64), np.array([True])],
        [np.array([True]), np.array([[False]])],
    ):
        check(pygrad.block_diag, torch.block_diag, args, grad=False)
    check(pygrad.block_diag, torch.block_diag, [], grad=False)
    raises_like(
        lambda: pygrad.block_diag(P(randn((1, 1, 1)))),
        lambda: torch.block_diag(T(randn((1, 1, 1)))),
    )


def test_vander():
    x = np.array([1.5, -2.0, 0.0, 3.0])
    for n in (None, 0, 1, 2, 5):
        for inc in (False, True):
            check(
                lambda a, n=n, inc=inc: pygrad.vander(a, n, inc),
                lambda a, n=n, inc=inc: torch.vander(a, n, inc),
                [x],
                grad=False,
            )
    for dtype in (np.int8, np.int32, np.int64, np.uint8, np.bool_, np.float32):
        check(pygrad.vander, torch.vander, [np.array([1, 2, 0]).astype(dtype)], grad=False)
    check(pygrad.vander, torch.vander, [np.zeros(0)], grad=False)
    # torch.vander's own backward fails (an in-place write it saved); its values are linalg.vander flipped
    check(lambda a: pygrad.vander(a, 4), lambda a: torch.linalg.vander(a, N=4).flip(-1), [x])
    assert gradcheck(lambda a: pygrad.vander(a, 4, True), (P(x, grad=True),))
    for x_bad, n in ((np.ones((2, 2)), None), (np.float64(1.0), None), (x, -1)):
        raises_like(
            lambda x_bad=x_bad, n=n: pygrad.vander(P(x_bad), n),
            lambda x_bad=x_bad, n=n: torch.vander(T(x_bad), n),
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_linalg_vander(dtype):
    check(linalg.vander, torch.linalg.vander, [randn((2, 3), dtype)])
    check(
        lambda a: linalg.vander(a, N=5), lambda a: torch.linalg.vander(a, N=5), [randn((4,), dtype)]
    )
    check(
        lambda a: linalg.vander(a, N=3),
        lambda a: torch.linalg.vander(a, N=3),
        [np.array(1.5, dtype)],
    )
    check(
        lambda a: linalg.vander(a, N=3),
        lambda a: torch.linalg.vander(a, N=3),
        [randn((0, 2), dtype)],
    )
    assert gradcheck(lambda a: linalg.vander(a, N=4), (P(np.array([0.0, 2.0, -1.5]), grad=True),))
    for a in (np.array([1, 2], np.int16), np.array([1, 2], np.uint8)):
        check(linalg.vander, torch.linalg.vander, [a], grad=False)
    for a, n in (
        (np.array([True, False]), None),
        (np.ones(1), None),
        (np.ones(3), 1),
        (np.float64(1.0), None),
        (np.ones((2, 0)), None),
    ):
        raises_like(
            lambda a=a, n=n: linalg.vander(P(a), N=n),
            lambda a=a, n=n: torch.linalg.vander(T(a), N=n),
        )


# ---- cov and corrcoef


def _cov(lib, **kw):
    mod = pygrad if lib == "p" else torch
    conv = P if lib == "p" else T
    kw = {k: conv(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    return lambda x: mod.cov(x, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cov_and_corrcoef(dtype):
    x = randn((3, 7), dtype)
    fw = rng_for("fw").integers(0, 4, 7)
    aw = rng_for("aw").uniform(0.1, 1, 7).astype(dtype)
    for kw in (
        {},
        {"correction": 0},
        {"correction": 3},
        {"fweights": fw},
        {"aweights": aw},
        {"fweights": fw, "aweights": aw},
        {"fweights": fw, "aweights": aw, "correction": 0},
        {"fweights": fw, "correction": 2},
    ):
        check(_cov("p", **kw), _cov("t", **kw), [x], scale=10)
    check(
        lambda a, w: pygrad.cov(a, aweights=w),
        lambda a, w: torch.cov(a, aweights=w),
        [x, aw],
        scale=10,
    )
    check(lambda a: a.cov(correction=0), lambda a: a.cov(correction=0), [x[0]], scale=10)
    check(lambda a: a.cov(), lambda a: a.cov(), [x[:1]], scale=10)
    check(pygrad.corrcoef, torch.corrcoef, [x], scale=10)
    check(lambda a: a.corrcoef(), lambda a: a.corrcoef(), [x[1]], scale=10)
    check(pygrad.corrcoef, torch.corrcoef, [np.array([[1.0, 2, 3], [1, 1, 1]], dtype)], grad=False)


def test_cov_dtypes_degenerate_inputs_and_errors():
    for a in (np.array([[0, 1, 2], [2, 1, 0]]), np.array([1, 2], np.int8)):
        check(pygrad.cov, torch.cov, [a], grad=False)
    check(pygrad.corrcoef, torch.corrcoef, [np.array([[0, 1, 2], [2, 1, 1]])], grad=False)
    check(
        _cov("p", aweights=np.ones(3)),
        _cov("t", aweights=np.ones(3)),
        [np.ones((2, 3), np.float32)],
        grad=False,
    )
    check(pygrad.cov, torch.cov, [np.zeros((0, 3))], grad=False)
    for a, kw in (
        (np.float64(3.0), {}),
        (np.ones((2, 1)), {}),
        (np.ones((2, 0)), {}),
        (np.ones((2, 3)), {"correction": 4}),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = torch.cov(T(a), **kw)
        with pytest.warns(UserWarning, match="degrees of freedom"):
            got = pygrad.cov(P(a), **kw)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), equal_nan=True)
        assert tuple(got.shape) == tuple(expected.shape)
    x = np.ones((2, 3))
    for kw in (
        {"fweights": np.array([1.0, 2, 3])},
        {"fweights": np.array([1, -2, 3])},
        {"fweights": np.array([1, 2])},
        {"fweights": np.array([[1, 2, 3]])},
        {"aweights": np.array([1, 2, 3])},
        {"aweights": np.array([1.0, -2, 3])},
        {"aweights": np.zeros(3)},
    ):
        raises_like(lambda kw=kw: _cov("p", **kw)(P(x)), lambda kw=kw: _cov("t", **kw)(T(x)))
    for f in ("cov", "corrcoef"):
        raises_like(
            lambda f=f: getattr(pygrad, f)(P(np.ones((2, 2, 2)))),
            lambda f=f: getattr(torch, f)(T(np.ones((2, 2, 2)))),
        )
    raises_like(
        lambda: pygrad.cov(P(np.array([True, False]))),
        lambda: torch.cov(T(np.array([True, False]))),
    )
    assert gradcheck(
        lambda a, w: pygrad.cov(a, aweights=w),
        (P(randn((2, 5)), grad=True), P(np.linspace(0.5, 1, 5), grad=True)),
    )
    assert gradcheck(pygrad.corrcoef, (P(randn((3, 5)), grad=True),))


# ---- the trapezoid rule


@pytest.mark.parametrize("dtype", DTYPES)
def test_trapezoid(dtype):
    y = randn((3, 5), dtype)
    xs = np.cumsum(rng_for("xs").uniform(0.1, 1, 5)).astype(dtype)
    for fp, ft in (
        (pygrad.trapezoid, torch.trapezoid),
        (pygrad.trapz, torch.trapz),
        (pygrad.cumulative_trapezoid, torch.cumulative_trapezoid),
    ):
        check(fp, ft, [y])
        check(lambda a, f=fp: f(a, dx=0.5), lambda a, f=ft: f(a, dx=0.5), [y])
        check(lambda a, f=fp: f(a, dx=2, dim=0), lambda a, f=ft: f(a, dx=2, dim=0), [y])
        check(fp, ft, [y, xs])
        check(lambda a, b, f=fp: f(a, b, dim=0), lambda a, b, f=ft: f(a, b, dim=0), [y, xs[:3]])
        check(fp, ft, [y, np.broadcast_to(xs, (3, 5)) * np.arange(1, 4)[:, None].astype(dtype)])
        check(fp, ft, [y, xs.reshape(1, 5)])
        check(
            lambda a, b, f=fp: f(a, b, dim=0),
            lambda a, b, f=ft: f(a, b, dim=0),
            [y, xs[:3].reshape(3, 1)],
        )
        check(fp, ft, [randn((2, 1), dtype)])
        # no samples: torch's trapezoid gives unconnected zeros, its cumulative form an empty cumsum
        connected = fp is pygrad.cumulative_trapezoid
        check(fp, ft, [randn((2, 0), dtype)], grad=connected)
        check(fp, ft, [randn((2, 0), dtype), np.zeros(0, dtype)], grad=connected)
        check(fp, ft, [np.array([[1, 2, 3], [4, 5, 7]])], grad=False)
        check(
            lambda a, f=fp: f(a, dx=2),
            lambda a, f=ft: f(a, dx=2),
            [np.array([1, 2], np.int8)],
            grad=False,
        )
        check(fp, ft, [np.array([1, 2], np.int8), np.array([1, 3])], grad=False)
        check(fp, ft, [np.array([1.0, 2], np.float32), np.array([1.0, 3])], grad=False)


def test_trapezoid_gradcheck_and_errors():
    y, x = P(randn((2, 4)), grad=True), P(np.array([0.0, 0.5, 1.5, 2.0]), grad=True)
    assert gradcheck(pygrad.trapezoid, (y, x))
    assert gradcheck(pygrad.cumulative_trapezoid, (y, x))
    y_np = randn((2, 3))
    for name in ("trapezoid", "cumulative_trapezoid"):
        fp, ft = getattr(pygrad, name), getattr(torch, name)
        raises_like(
            lambda fp=fp: fp(P(y_np), P(np.ones(2))), lambda ft=ft: ft(T(y_np), T(np.ones(2)))
        )
        raises_like(lambda fp=fp: fp(P(y_np), dim=2), lambda ft=ft: ft(T(y_np), dim=2))
        raises_like(
            lambda fp=fp: fp(P(np.array([True, False]))),
            lambda ft=ft: ft(T(np.array([True, False]))),
        )
        raises_like(
            lambda fp=fp: fp(P(y_np), P(np.ones(3)), dx=1),
            lambda ft=ft: ft(T(y_np), T(np.ones(3)), dx=1),
        )
        raises_like(lambda fp=fp: fp(P(y_np), 2.0), lambda ft=ft: ft(T(y_np), 2.0))
    raises_like(
        lambda: pygrad.trapezoid(P(np.float64(1.0))), lambda: torch.trapezoid(T(np.float64(1.0)))
    )


# ---- quantile and nanquantile

INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _q(lib, fn="quantile", *args, **kw):
    mod = pygrad if lib == "p" else torch
    return lambda x, *q: getattr(mod, fn)(x, *(q or args), **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_quantile(dtype, interpolation):
    x = randn((3, 8), dtype)
    q = np.array([0.0, 0.1, 0.375, 0.5, 0.93, 1.0], dtype)
    kw = {"interpolation": interpolation}
    for fn in ("quantile", "nanquantile"):
        for dim, keepdim in ((None, False), (None, True), (1, False), (0, True), (-1, True)):
            kw2 = dict(kw, dim=dim, keepdim=keepdim)
            check(_q("p", fn, **kw2), _q("t", fn, **kw2), [x, q])  # q's gradient too
            check(_q("p", fn, 0.3, **kw2), _q("t", fn, 0.3, **kw2), [x])
            check(_q("p", fn, **kw2), _q("t", fn, **kw2), [x, np.array(0.6, dtype)])
        check(
            lambda a, fn=fn: getattr(a, fn)(0.25, 1, interpolation=interpolation),
            lambda a, fn=fn: getattr(a, fn)(0.25, 1, interpolation=interpolation),
            [x],
        )
    check(
        _q("p", "quantile", 0.5, dim=0, **kw),
        _q("t", "quantile", 0.5, dim=0, **kw),
        [np.array(3.0, dtype)],
    )
    check(
        _q("p", "quantile", 0.5, dim=0, keepdim=True, **kw),
        _q("t", "quantile", 0.5, dim=0, keepdim=True, **kw),
        [np.array(3.0, dtype)],
    )
    check(
        _q("p", "quantile", 0.7, dim=1, **kw),
        _q("t", "quantile", 0.7, dim=1, **kw),
        [randn((2, 1, 4), dtype)],
    )


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_quantile_nan(interpolation):
    x = randn((4, 6))
    x[0, 2] = x[2, :] = x[3, 1:] = np.nan
    kw = {"interpolation": interpolation}
    q = np.array([0.2, 0.5, 1.0])
    for fn in ("quantile", "nanquantile"):
        for dim in (None, 0, 1):
            # values only: which NaN a NaN result reads follows each library's sort of NaNs
            check(_q("p", fn, dim=dim, **kw), _q("t", fn, dim=dim, **kw), [x, q], grad=False)
    x[2, 0] = x[3, 0] = 0.25  # no slice is all NaN: nanquantile's gradients reach numbers only
    for dim in (None, 0, 1):
        check(_q("p", "nanquantile", dim=dim, **kw), _q("t", "nanquantile", dim=dim, **kw), [x, q])


def test_quantile_gradcheck_and_errors():
    x = P(randn((3, 5)), grad=True)
    q = P(np.array([0.15, 0.6]), grad=True)
    assert gradcheck(lambda a, b: pygrad.quantile(a, b, dim=1), (x, q))
    assert gradcheck(lambda a: pygrad.nanquantile(a, 0.4, dim=0, interpolation="midpoint"), (x,))
    x_np = randn((2, 3))
    cases = [
        ((x_np, 1.5), {}),
        ((x_np, -0.1), {}),
        ((x_np, np.array([0.3, 1.5])), {}),
        ((x_np, np.array([[0.3]])), {}),
        ((x_np, np.array([0.3], np.float32)), {}),
        ((x_np.astype(np.int64), 0.5), {}),
        ((x_np.astype(np.float16), 0.5), {}),
        ((x_np, 0.5), {"interpolation": "foo"}),
        ((np.zeros(0), 0.5), {}),
        ((np.zeros((2, 0)), 0.5), {"dim": 0}),
        ((x_np, 0.5), {"dim": 2}),
    ]
    for fn in ("quantile", "nanquantile"):
        for (a, qq), kw in cases:
            conv_p = P(qq) if isinstance(qq, np.ndarray) else qq
            conv_t = T(qq) if isinstance(qq, np.ndarray) else qq
            raises_like(
                lambda a=a, qq=conv_p, kw=kw, fn=fn: getattr(pygrad, fn)(P(a), qq, **kw),
                lambda a=a, qq=conv_t, kw=kw, fn=fn: getattr(torch, fn)(T(a), qq, **kw),
            )


# ---- histogram


def _hist_check(args, kwargs=None, tensor_args=(0,), edge_tol=None):
    kwargs = kwargs or {}
    pa = [P(a) if i in tensor_args else a for i, a in enumerate(args)]
    ta = [T(a) if i in tensor_args else a for i, a in enumerate(args)]
    pk = {k: P(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tk = {k: T(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    hp, ht = pygrad.histogram(*pa, **pk), torch.histogram(*ta, **tk)
    assert type(hp).__name__ == "histogram" and hp._fields == ("hist", "bin_edges")
    for a, b in zip(hp, ht):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        assert tuple(a.shape) == tuple(b.shape)
    dtype = ht.hist.numpy().dtype
    np.testing.assert_allclose(hp.hist.numpy(), ht.hist.numpy(), **tol(dtype))
    t = tol(dtype) if edge_tol is None else {"rtol": edge_tol, "atol": edge_tol}
    np.testing.assert_allclose(hp.bin_edges.numpy(), ht.bin_edges.numpy(), **t)
    return hp


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogram(dtype):
    x = randn((4, 25), dtype)
    w = rng_for("w").uniform(0, 2, (4, 25)).astype(dtype)
    for bins in (1, 3, 10):
        _hist_check([x, bins])
        _hist_check([x, bins], {"density": True})
        _hist_check([x, bins], {"range": (-1.0, 0.5)})
        _hist_check([x, bins], {"range": (-1, 2), "weight": w, "density": True})
        _hist_check([x, bins], {"weight": w})
    edges = np.array([-3.0, -1.0, 0.0, 0.5, 3.0], dtype)
    _hist_check([x, edges], tensor_args=(0, 1))
    _hist_check([x, edges], {"weight": w, "density": True}, tensor_args=(0, 1))
    # values on the edges: each bin is [left, right) except the last, which keeps its right edge
    on_edges = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 4.0, -1.0, 5.0, np.nan], dtype)
    h = _hist_check([on_edges, 4], {"range": (0, 4)})
    assert h.hist.tolist() == [1, 1, 1, 3]
    _hist_check([on_edges[:6], np.array([0.0, 1.0, 4.0], dtype)], tensor_args=(0, 1))
    _hist_check([np.array([2.0, 2.0], dtype), 2])  # equal min and max widen by 0.5
    _hist_check([np.zeros(0, dtype), 3])
    _hist_check([np.array([2.0, np.inf], dtype), 2], {"range": (0, 3)})
    h = pygrad.histogram(P(x, grad=True), 3)
    assert not h.hist.requires_grad and not h.bin_edges.requires_grad
    hp, ht = P(x).histogram(5, density=True), T(x).histogram(5, density=True)
    np.testing.assert_allclose(hp.hist.numpy(), ht.hist.numpy(), **tol(dtype))


def test_histogram_errors():
    x = randn((7,), np.float32)
    cases = [
        ([x, 0], {}),
        ([x, -1], {}),
        ([x, 3], {"range": (4.0, 0.0)}),
        ([np.array([2.0, np.nan], np.float32), 2], {}),
        ([np.array([2.0, np.inf], np.float32), 2], {}),
        ([x, 3], {"range": (0.0, math.inf)}),
        ([x, 3], {"weight": np.ones(6, np.float32)}),
        ([x, 3], {"weight": np.ones(7, np.int64)}),
        ([x, 3], {"weight": np.ones(7)}),
        ([x.astype(np.int64), 3], {}),
        ([x.astype(np.float16), 3], {}),
    ]
    for args, kw in cases:
        pk = {k: P(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        tk = {k: T(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        raises_like(
            lambda a=args, k=pk: pygrad.histogram(P(a[0]), a[1], **k),
            lambda a=args, k=tk: torch.histogram(T(a[0]), a[1], **k),
        )
    for bins in (
        np.array([0, 1, 5]),
        np.array([0.0, 1, 5]),
        np.array([[0.0, 1, 5]], np.float32),
        np.zeros(0, np.float32),
        np.ones(1, np.float32),
    ):
        raises_like(
            lambda b=bins: pygrad.histogram(P(x), P(b)), lambda b=bins: torch.histogram(T(x), T(b))
        )
    raises_like(
        lambda: pygrad.histogram(P(x), P(np.array([0.0, 1.0], np.float32)), range=(0, 1)),
        lambda: torch.histogram(T(x), T(np.array([0.0, 1.0], np.float32)), range=(0, 1)),
    )
