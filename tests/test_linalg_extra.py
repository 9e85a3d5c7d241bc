"""pygrad.linalg's LU family (lu_factor, lu_factor_ex, lu, lu_solve), solve_ex, tensorinv, tensorsolve, cond and
householder_product against torch 2.13: float64 values within 1e-10, pivots (int32, 1-based) equal, gradients
for a random upstream gradient, and the singular cases (info, errors, inf condition numbers).
"""

import math

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad
from pygrad import linalg

torch = import_torch()

TOL = 1e-10


def rng_for(*keys):
    return make_rng("linalg_extra", *keys)


def both(a, requires_grad=False):
    p = pygrad.from_numpy(np.array(a, dtype=np.float64))
    t = torch.tensor(np.array(a, dtype=np.float64))
    if requires_grad:
        p.requires_grad_(True)
        t.requires_grad_(True)
    return p, t


def close(p, t, tol=TOL):
    a = p.detach().numpy()
    b = t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def check_grads(fp, ft, arrays, seed, tol=1e-9):
    """Values and the gradients of sum(out * w) for random w, fp on pygrad inputs against ft on torch's."""
    rng = rng_for("grad", seed)
    ps, ts = zip(*(both(a, True) for a in arrays))
    outp, outt = fp(*ps), ft(*ts)
    outp = outp if isinstance(outp, tuple) else (outp,)
    outt = outt if isinstance(outt, tuple) else (outt,)
    lp, lt = 0, 0
    for o, r in zip(outp, outt):
        close(o, r)
        w = rng.standard_normal(tuple(r.shape))
        lp = lp + (o * pygrad.from_numpy(w)).sum()
        lt = lt + (r * torch.tensor(w)).sum()
    gp = pygrad.autograd.grad(lp, list(ps))
    gt = torch.autograd.grad(lt, list(ts))
    for a, b in zip(gp, gt):
        close(a, b, tol)


SHAPES = [(4, 4), (2, 3, 5, 5), (5, 3), (3, 5), (2, 4, 3), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_lu_factor_ex_and_lu_match_torch(shape):
    a = rng_for("lu", shape).standard_normal(shape)
    p, t = both(a)
    LU, piv, info = linalg.lu_factor_ex(p)
    tLU, tpiv, tinfo = torch.linalg.lu_factor_ex(t)
    close(LU, tLU)
    assert piv.dtype == pygrad.int32
    np.testing.assert_array_equal(piv.numpy(), tpiv.numpy())
    np.testing.assert_array_equal(info.numpy(), tinfo.numpy())
    P, L, U = linalg.lu(p)
    tP, tL, tU = torch.linalg.lu(t)
    close(P, tP)
    close(L, tL)
    close(U, tU)
    # and A = P L U
    np.testing.assert_allclose((P @ L @ U).numpy(), a, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (5, 3), (3, 5)])
def test_lu_gradients_match_torch(shape):
    a = rng_for("lu grad", shape).standard_normal(shape)
    check_grads(lambda x: tuple(linalg.lu(x))[1:], lambda x: tuple(torch.linalg.lu(x))[1:], [a], 1)
    if shape[-1] == shape[-2]:
        check_grads(
            lambda x: linalg.lu_factor(x).LU, lambda x: torch.linalg.lu_factor(x).LU, [a], 2
        )


def test_singular_lu():
    a = rng_for("singular").standard_normal((3, 3, 3))
    a[1] = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]
    p, t = both(a)
    LU, piv, info = linalg.lu_factor_ex(p)
    tLU, tpiv, tinfo = torch.linalg.lu_factor_ex(t)
    np.testing.assert_array_equal(piv.numpy(), tpiv.numpy())
    np.testing.assert_array_equal(info.numpy(), tinfo.numpy())
    assert info.numpy().tolist() == [0, 3, 0]
    close(LU, tLU)
    with pytest.raises(linalg.LinAlgError, match=r"Batch element 1\): U\[3,3\] is zero"):
        linalg.lu_factor(p)
    with pytest.raises(linalg.LinAlgError):
        linalg.lu_factor_ex(p, check_errors=True)
    with pytest.raises(RuntimeError, match="without pivoting"):
        linalg.lu_factor(p, pivot=False)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_matches_torch(left, adjoint):
    rng = rng_for("lu_solve", left, adjoint)
    a = rng.standard_normal((2, 4, 4))
    b = rng.standard_normal((2, 4, 3) if left else (2, 3, 4))
    pivots = linalg.lu_factor(pygrad.from_numpy(a)).pivots
    tpiv = torch.linalg.lu_factor(torch.tensor(a)).pivots
    lu = torch.linalg.lu_factor(torch.tensor(a)).LU.numpy()
    check_grads(
        lambda f, x: linalg.lu_solve(f, pivots, x, left=left, adjoint=adjoint),
        lambda f, x: torch.linalg.lu_solve(f, tpiv, x, left=left, adjoint=adjoint),
        [lu, b],
        3,
    )


def test_lu_solve_broadcasts_b():
    rng = rng_for("lu_solve bcast")
    a = rng.standard_normal((4, 4))
    b = rng.standard_normal((3, 4, 2))
    LU, piv = linalg.lu_factor(pygrad.from_numpy(a))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    close(
        linalg.lu_solve(LU, piv, pygrad.from_numpy(b)),
        torch.linalg.lu_solve(tLU, tpiv, torch.tensor(b)),
    )


def test_solve_ex():
    rng = rng_for("solve_ex")
    a = rng.standard_normal((2, 4, 4))
    b = rng.standard_normal((2, 4, 3))
    check_grads(
        lambda x, y: linalg.solve_ex(x, y).result,
        lambda x, y: torch.linalg.solve_ex(x, y).result,
        [a, b],
        4,
    )
    v = rng.standard_normal((2, 4))
    close(
        linalg.solve_ex(pygrad.from_numpy(a), pygrad.from_numpy(v)).result,
        torch.linalg.solve_ex(torch.tensor(a), torch.tensor(v)).result,
    )
    a[0, 1] = a[0, 0] * 2  # singular
    res, info = linalg.solve_ex(pygrad.from_numpy(a), pygrad.from_numpy(b))
    tres, tinfo = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b))
    assert info.numpy()[0] > 0 and info.numpy()[1] == 0
    assert (info.numpy() > 0).tolist() == (tinfo.numpy() > 0).tolist()
    assert np.isnan(res.numpy()[0]).all()
    close(res[1], tres[1])
    with pytest.raises(linalg.LinAlgError):
        linalg.solve_ex(pygrad.from_numpy(a), pygrad.from_numpy(b), check_errors=True)


def test_tensorinv_and_tensorsolve():
    rng = rng_for("tensor")
    a = rng.standard_normal((6, 2, 3))
    check_grads(
        lambda x: linalg.tensorinv(x, 1), lambda x: torch.linalg.tensorinv(x, 1), [a], 5, 1e-8
    )
    a4 = rng.standard_normal((2, 3, 6))
    check_grads(
        lambda x: linalg.tensorinv(x, 2), lambda x: torch.linalg.tensorinv(x, 2), [a4], 6, 1e-8
    )
    b = rng.standard_normal((6,))
    check_grads(linalg.tensorsolve, torch.linalg.tensorsolve, [a, b], 7, 1e-8)
    b2 = rng.standard_normal((2, 3))
    check_grads(
        lambda x, y: linalg.tensorsolve(x, y, dims=(0,)),
        lambda x, y: torch.linalg.tensorsolve(x, y, dims=(0,)),
        [a, b2],
        8,
        1e-8,
    )
    with pytest.raises(RuntimeError, match="strictly positive"):
        linalg.tensorinv(pygrad.from_numpy(a), 0)
    with pytest.raises(RuntimeError):
        linalg.tensorinv(pygrad.from_numpy(rng.standard_normal((2, 3))), 1)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", math.inf, -math.inf, 1, -1])
def test_cond(p):
    rng = rng_for("cond", str(p))
    a = rng.standard_normal((2, 4, 4))
    pa, ta = both(a)
    np.testing.assert_allclose(
        linalg.cond(pa, p).numpy(), torch.linalg.cond(ta, p).numpy(), rtol=TOL
    )
    # torch's own cond backward fails for these orders (inv_ex modified in place), so its formula stands in
    check_grads(
        lambda x: linalg.cond(x, p),
        lambda x: (
            torch.linalg.cond(x, p)
            if p in (None, 2, -2)
            else torch.linalg.matrix_norm(x, p) * torch.linalg.matrix_norm(torch.linalg.inv(x), p)
        ),
        [a],
        9,
        1e-8,
    )
    if p in (None, 2, -2):  # rectangular through the singular values
        r = rng.standard_normal((3, 5))
        close(linalg.cond(pygrad.from_numpy(r), p), torch.linalg.cond(torch.tensor(r), p))
    else:  # singular: inf
        a[1, 2] = 0.0  # a zero row: exactly singular whatever the rounding
        out = linalg.cond(pygrad.from_numpy(a), p).numpy()
        ref = torch.linalg.cond(torch.tensor(a), p).numpy()
        assert np.isinf(out[1]) and np.isinf(ref[1])
        np.testing.assert_allclose(out[0], ref[0], rtol=TOL)


def test_cond_rejects_bad_order():
    with pytest.raises(RuntimeError, match="invalid norm type"):
        linalg.cond(pygrad.randn(3, 3), 3)


@pytest.mark.parametrize("shape,k", [((5, 3), 2), ((2, 4, 4), 4), ((4, 3), 3)])
def test_householder_product(shape, k):
    rng = rng_for("householder", shape)
    a = rng.standard_normal(shape)
    tau = rng.standard_normal((*shape[:-2], k))
    check_grads(linalg.householder_product, torch.linalg.householder_product, [a, tau], 10)


def test_householder_product_from_geqrf_is_q():
    a = rng_for("geqrf").standard_normal((5, 3))
    qr, tau = torch.geqrf(torch.tensor(a))
    q = linalg.householder_product(pygrad.from_numpy(qr.numpy()), pygrad.from_numpy(tau.numpy()))
    close(q, torch.linalg.qr(torch.tensor(a)).Q)
