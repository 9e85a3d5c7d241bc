"""Products (bmm, addmm, dot, kron, tensordot, cross, ...), einsum and pygrad.linalg's norms against torch
2.13: values, gradients for a random upstream gradient, broadcasting, size-0 and size-1 dims, transposed
inputs, and torch's error types.
"""

import math

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad
from pygrad import linalg
from pygrad.autograd import gradcheck

torch = import_torch()


def arrays(shapes, dtype=np.float64, seed=0, transpose=()):
    """Random non-zero arrays; the indices in transpose are made as the transpose of a contiguous array."""
    rng = make_rng("linalg", seed, str(shapes))
    out = []
    for i, shape in enumerate(shapes):
        a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        out.append((np.asarray(a, dtype=dtype), i in transpose))
    return out


def pair(arr, transpose):
    if transpose and arr.ndim >= 2:
        base = np.ascontiguousarray(np.swapaxes(arr, -1, -2))
        p = pygrad.from_numpy(base.copy()).transpose(-1, -2)
        t = torch.from_numpy(base.copy()).transpose(-1, -2)
    else:
        p, t = pygrad.from_numpy(arr.copy()), torch.from_numpy(arr.copy())
    return p.detach().requires_grad_(True), t.detach().requires_grad_(True)


def check(fp, ft, shapes, dtype=np.float64, transpose=(), grad=True, seed=0):
    """fp(*pygrad inputs) matches ft(*torch inputs) in value and, with a random upstream gradient, in grads."""
    pairs = [pair(a, tr) for a, tr in arrays(shapes, dtype, seed, transpose)]
    ps, ts = [p for p, _ in pairs], [t for _, t in pairs]
    out_p, out_t = fp(*ps), ft(*ts)
    tol = {"rtol": 1e-10, "atol": 1e-10} if dtype == np.float64 else {"rtol": 2e-5, "atol": 2e-5}
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(out_p.detach().numpy(), out_t.detach().numpy(), **tol)
    if not grad:
        return
    g = make_rng("upstream", seed, str(shapes)).standard_normal(tuple(out_t.shape)).astype(dtype)
    out_p.backward(pygrad.from_numpy(g.copy()))
    out_t.backward(torch.from_numpy(g.copy()))
    for p, t in zip(ps, ts):
        if t.grad is None:
            assert p.grad is None or not np.any(p.grad.numpy())
        else:
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), **tol)


def raises_like(fp, ft):
    with pytest.raises(Exception) as expected:
        ft()
    with pytest.raises(type(expected.value)):
        fp()


def test_bmm_baddbmm_addmm_addmv_mv():
    check(pygrad.bmm, torch.bmm, [(3, 2, 4), (3, 4, 5)], transpose=(0, 1))
    check(lambda a, b: a.bmm(b), lambda a, b: a.bmm(b), [(2, 1, 3), (2, 3, 2)], np.float32)
    check(pygrad.bmm, torch.bmm, [(2, 0, 3), (2, 3, 4)])
    check(pygrad.bmm, torch.bmm, [(2, 3, 0), (2, 0, 4)])
    check(
        lambda c, a, b: pygrad.baddbmm(c, a, b, beta=0.5, alpha=2.0),
        lambda c, a, b: torch.baddbmm(c, a, b, beta=0.5, alpha=2.0),
        [(1, 2, 5), (3, 2, 4), (3, 4, 5)],
    )
    check(
        lambda c, a, b: c.baddbmm(a, b),
        lambda c, a, b: c.baddbmm(a, b),
        [(3, 2, 5), (3, 2, 4), (3, 4, 5)],
        transpose=(2,),
    )
    check(
        lambda c, a, b: pygrad.addmm(c, a, b, beta=2, alpha=-1),
        lambda c, a, b: torch.addmm(c, a, b, beta=2, alpha=-1),
        [(5,), (3, 4), (4, 5)],
        transpose=(1, 2),
    )
    check(lambda c, a, b: c.addmm(a, b), lambda c, a, b: c.addmm(a, b), [(3, 5), (3, 4), (4, 5)])
    check(
        lambda c, a, b: pygrad.addmm(c, a, b, beta=0),
        lambda c, a, b: torch.addmm(c, a, b, beta=0),
        [(3, 5), (3, 4), (4, 5)],
        grad=False,
    )
    check(pygrad.mv, torch.mv, [(3, 4), (4,)], transpose=(0,))
    check(lambda a, v: a.mv(v), lambda a, v: a.mv(v), [(0, 4), (4,)])
    check(
        lambda c, a, v: pygrad.addmv(c, a, v, beta=0.5, alpha=3),
        lambda c, a, v: torch.addmv(c, a, v, beta=0.5, alpha=3),
        [(1,), (3, 4), (4,)],
    )
    check(lambda c, a, v: c.addmv(a, v), lambda c, a, v: c.addmv(a, v), [(3,), (3, 4), (4,)])


def test_dot_vdot_outer_ger_inner_kron():
    check(pygrad.dot, torch.dot, [(5,), (5,)])
    check(lambda a, b: a.dot(b), lambda a, b: a.dot(b), [(0,), (0,)])
    check(pygrad.vdot, torch.vdot, [(4,), (4,)], np.float32)
    check(lambda a, b: a.vdot(b), lambda a, b: a.vdot(b), [(4,), (4,)])
    check(pygrad.outer, torch.outer, [(3,), (4,)])
    check(lambda a, b: a.ger(b), lambda a, b: a.ger(b), [(3,), (1,)])
    check(pygrad.ger, torch.ger, [(0,), (2,)])
    check(pygrad.inner, torch.inner, [(2, 3), (4, 3)])
    check(lambda a, b: a.inner(b), lambda a, b: a.inner(b), [(3,), (2, 5, 3)])
    # torch's kron views a transposed input (a torch bug), so its reference gets a contiguous copy
    check(pygrad.kron, lambda a, b: torch.kron(a.contiguous(), b), [(2, 3), (4, 2)], transpose=(0,))
    check(pygrad.kron, torch.kron, [(2,), (3, 2)])
    check(lambda a, b: a.kron(b), lambda a, b: a.kron(b), [(2, 1, 3), (0, 2)])
    check(pygrad.kron, torch.kron, [(), (2, 2)])


def test_tensordot():
    check(pygrad.tensordot, torch.tensordot, [(2, 3, 4), (3, 4, 5)], transpose=(0,))
    check(
        lambda a, b: pygrad.tensordot(a, b, 1),
        lambda a, b: torch.tensordot(a, b, 1),
        [(2, 3), (3, 4)],
    )
    check(
        lambda a, b: pygrad.tensordot(a, b, 0),
        lambda a, b: torch.tensordot(a, b, 0),
        [(2, 3), (4,)],
    )
    check(
        lambda a, b: pygrad.tensordot(a, b, ([1, 0], [0, 2])),
        lambda a, b: torch.tensordot(a, b, ([1, 0], [0, 2])),
        [(3, 4, 5), (4, 2, 3)],
        np.float32,
    )
    check(
        lambda a, b: pygrad.tensordot(a, b, dims=([-1], [0])),
        lambda a, b: torch.tensordot(a, b, dims=([-1], [0])),
        [(2, 0), (0, 3)],
    )


def test_cross():
    check(
        lambda a, b: pygrad.cross(a, b, dim=1),
        lambda a, b: torch.cross(a, b, dim=1),
        [(2, 3), (2, 3)],
    )
    check(
        lambda a, b: a.cross(b, dim=0),
        lambda a, b: a.cross(b, dim=0),
        [(3, 4), (3, 4)],
        transpose=(0,),
    )
    check(linalg.cross, torch.linalg.cross, [(4, 3), (1, 3)])
    check(
        lambda a, b: linalg.cross(a, b, dim=0),
        lambda a, b: torch.linalg.cross(a, b, dim=0),
        [(3, 2), (3, 1)],
        np.float32,
    )
    check(linalg.cross, torch.linalg.cross, [(0, 3), (0, 3)])


def test_product_errors():
    cases = [
        ("bmm", [(2, 3), (2, 3, 4)]),
        ("bmm", [(2, 3, 4), (3, 4, 5)]),
        ("bmm", [(2, 3, 4), (2, 5, 5)]),
        ("mv", [(3, 4), (5,)]),
        ("mv", [(3,), (3,)]),
        ("dot", [(3,), (4,)]),
        ("dot", [(3, 1), (3,)]),
        ("outer", [(3, 1), (3,)]),
        ("addmm", [(3, 3), (3, 4), (5, 3)]),
        ("kron", [(2,), (2,)]),
    ]
    for name, shapes in cases:
        args = [pair(a, False) for a, _ in arrays(shapes)]
        if name == "addmm":
            raises_like(
                lambda args=args: pygrad.addmm(*[p for p, _ in args]),
                lambda args=args: torch.addmm(*[t for _, t in args]),
            )
        elif name != "kron":
            raises_like(
                lambda args=args, name=name: getattr(pygrad, name)(*[p for p, _ in args]),
                lambda args=args, name=name: getattr(torch, name)(*[t for _, t in args]),
            )
    a32, a64 = pygrad.ones(3), pygrad.ones(3, dtype=pygrad.float64)
    raises_like(
        lambda: pygrad.dot(a32, a64), lambda: torch.dot(torch.ones(3), torch.ones(3).double())
    )
    x, y = pygrad.ones(2, 3), pygrad.ones(4, 3)
    tx, ty = torch.ones(2, 3), torch.ones(4, 3)
    raises_like(lambda: pygrad.tensordot(x, y, 1), lambda: torch.tensordot(tx, ty, 1))
    raises_like(
        lambda: linalg.cross(x[:, :2], x[:, :2]), lambda: torch.linalg.cross(tx[:, :2], tx[:, :2])
    )
    raises_like(
        lambda: pygrad.baddbmm(pygrad.ones(4, 2, 2), pygrad.ones(3, 2, 2), pygrad.ones(3, 2, 2)),
        lambda: torch.baddbmm(torch.ones(4, 2, 2), torch.ones(3, 2, 2), torch.ones(3, 2, 2)),
    )


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ii", [(4, 4)]),
    ("ii->i", [(4, 4)]),
    ("iij->j", [(3, 3, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]),
    ("ij->ji", [(3, 4)]),
    ("ij", [(3, 4)]),
    ("ba", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij,...jk", [(2, 3, 4), (4, 2)]),
    ("i...->...", [(3, 2, 4)]),
    ("...,...->...", [(2, 1), (3,)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,ij->ij", [(1, 4), (3, 4)]),
    ("ij,jk->ik", [(3, 1), (4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("a,b,c->abc", [(2,), (3,), (4,)]),
    ("abc,cd,ea->bde", [(2, 3, 4), (4, 5), (6, 2)]),
    ("ij,jk->ik", [(0, 4), (4, 5)]),
    ("ij,jk->ik", [(3, 0), (0, 5)]),
    ("i,i", [(0,), (0,)]),
    ("bii->bi", [(2, 3, 3)]),
    ("ijk,ikj->i", [(2, 3, 4), (2, 4, 3)]),
    ("", [()]),
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("AbB,bc->Ac", [(2, 3, 4), (3, 5)]),
    (" ij , jk -> ki ", [(3, 4), (4, 5)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(equation, shapes):
    check(
        lambda *xs: pygrad.einsum(equation, *xs),
        lambda *xs: torch.einsum(equation, *xs),
        shapes,
    )


def test_einsum_float32_transposed_and_list_operands():
    check(
        lambda a, b: pygrad.einsum("bij,bjk->bik", [a, b]),
        lambda a, b: torch.einsum("bij,bjk->bik", [a, b]),
        [(2, 3, 4), (2, 4, 5)],
        np.float32,
        transpose=(0, 1),
    )
    check(
        lambda a: pygrad.einsum("ij->i", a),
        lambda a: torch.einsum("ij->i", a),
        [(3, 4)],
        transpose=(0,),
    )


def test_einsum_gradcheck():
    a, b, c = (
        pygrad.from_numpy(x).requires_grad_(True) for x, _ in arrays([(2, 3), (4, 3, 2), (2, 2)])
    )
    assert gradcheck(lambda x, y, z: pygrad.einsum("bn,anm,bm->ba", x, y, z), (a, b, c))
    d = pygrad.from_numpy(arrays([(3, 3, 2)])[0][0]).requires_grad_(True)
    assert gradcheck(lambda x: pygrad.einsum("iij->ji", x), (d,))


@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("ij,jk", [(2, 3), (2, 3)]),
        ("ii", [(2, 3)]),
        ("ij->ii", [(2, 3)]),
        ("ij->k", [(2, 3)]),
        ("ij,jk", [(2, 3)]),
        ("ij", [(2, 3), (3, 4)]),
        ("ijk", [(2, 3)]),
        ("i.j", [(2, 3)]),
        ("i1", [(2, 3)]),
        ("...i,...i", [(2, 3), (4, 3)]),
    ],
)
def test_einsum_errors(equation, shapes):
    args = [pair(a, False) for a, _ in arrays(shapes)]
    raises_like(
        lambda: pygrad.einsum(equation, *[p for p, _ in args]),
        lambda: torch.einsum(equation, *[t for _, t in args]),
    )


ORDS = [2, 1, 3, 0.5, -1, -2.5, 0, math.inf, -math.inf]


@pytest.mark.parametrize("ord", ORDS)
def test_vector_norm(ord):
    for dim, keepdim, shape in [
        (None, False, (3, 4)),
        (1, True, (3, 4)),
        ((0, 2), False, (2, 3, 4)),
        (-1, False, (2, 1)),
        (None, False, ()),
    ]:
        check(
            lambda x, dim=dim, keepdim=keepdim: linalg.vector_norm(x, ord, dim, keepdim),
            lambda x, dim=dim, keepdim=keepdim: torch.linalg.vector_norm(x, ord, dim, keepdim),
            [shape],
            grad=ord != 0,
        )
    check(
        lambda x: linalg.vector_norm(x, ord, 0),
        lambda x: torch.linalg.vector_norm(x, ord, 0),
        [(4, 3)],
        np.float32,
        transpose=(0,),
        grad=ord != 0,
    )
    if ord >= 0 and not math.isinf(ord):
        check(
            lambda x: linalg.vector_norm(x, ord, 1),
            lambda x: torch.linalg.vector_norm(x, ord, 1),
            [(3, 0)],
            grad=ord != 0,
        )


def test_vector_norm_zero_vector_gradient_dtype_and_errors():
    x = pygrad.zeros(3, requires_grad=True)
    linalg.vector_norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))
    y = pygrad.ones(2, 3)
    assert linalg.vector_norm(y, dtype=pygrad.float64).dtype == pygrad.float64
    raises_like(
        lambda: linalg.vector_norm(pygrad.arange(3)),
        lambda: torch.linalg.vector_norm(torch.arange(3)),
    )
    raises_like(
        lambda: linalg.vector_norm(pygrad.zeros(0), math.inf),
        lambda: torch.linalg.vector_norm(torch.zeros(0), math.inf),
    )
    raises_like(
        lambda: linalg.vector_norm(y, 2, 2),
        lambda: torch.linalg.vector_norm(torch.ones(2, 3), 2, 2),
    )
    a = pygrad.from_numpy(arrays([(2, 3)])[0][0]).requires_grad_(True)
    assert gradcheck(lambda t: linalg.vector_norm(t, 3, 1), (a,))
    assert gradcheck(lambda t: linalg.vector_norm(t), (a,))


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf])
def test_matrix_norm_and_norm(ord):
    check(
        lambda x: linalg.matrix_norm(x, ord),
        lambda x: torch.linalg.matrix_norm(x, ord),
        [(2, 3, 4)],
        transpose=(0,),
    )
    check(
        lambda x: linalg.matrix_norm(x, ord, dim=(2, 0), keepdim=True),
        lambda x: torch.linalg.matrix_norm(x, ord, dim=(2, 0), keepdim=True),
        [(3, 2, 4)],
        np.float32,
    )
    check(lambda x: linalg.norm(x, ord), lambda x: torch.linalg.norm(x, ord), [(3, 4)])
    check(
        lambda x: linalg.norm(x, ord, dim=(0, 1)),
        lambda x: torch.linalg.norm(x, ord, dim=(0, 1)),
        [(3, 4, 2)],
    )


def test_norm_dispatch_and_matrix_errors():
    check(linalg.norm, torch.linalg.norm, [(2, 3, 4)])
    check(lambda x: linalg.norm(x, dim=1), lambda x: torch.linalg.norm(x, dim=1), [(2, 3, 4)])
    check(lambda x: linalg.norm(x, 3), lambda x: torch.linalg.norm(x, 3), [(5,)])
    check(
        lambda x: linalg.norm(x, dim=(0, 2)),
        lambda x: torch.linalg.norm(x, dim=(0, 2)),
        [(2, 3, 4)],
    )
    for fp, ft in [
        (
            lambda: linalg.matrix_norm(pygrad.ones(3)),
            lambda: torch.linalg.matrix_norm(torch.ones(3)),
        ),
        (
            lambda: linalg.matrix_norm(pygrad.ones(2, 2), 3),
            lambda: torch.linalg.matrix_norm(torch.ones(2, 2), 3),
        ),
        (
            lambda: linalg.norm(pygrad.ones(2, 2, 2), 2),
            lambda: torch.linalg.norm(torch.ones(2, 2, 2), 2),
        ),
        (
            lambda: linalg.matrix_norm(pygrad.ones(2, 2), "abc"),
            lambda: torch.linalg.matrix_norm(torch.ones(2, 2), "abc"),
        ),
    ]:
        raises_like(fp, ft)
    a = pygrad.from_numpy(arrays([(3, 4)])[0][0]).requires_grad_(True)
    assert gradcheck(lambda t: linalg.matrix_norm(t, 1), (a,))


def test_linalg_aliases():
    check(linalg.matmul, torch.linalg.matmul, [(2, 3, 4), (4, 2)])
    check(linalg.vecdot, torch.linalg.vecdot, [(2, 3), (1, 3)])
    check(
        lambda x, y: linalg.vecdot(x, y, dim=0),
        lambda x, y: torch.linalg.vecdot(x, y, dim=0),
        [(3, 2), (3, 2)],
    )
    check(linalg.diagonal, torch.linalg.diagonal, [(2, 3, 4)])
    check(
        lambda a, b, c: linalg.multi_dot([a, b, c]),
        lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
        [(3,), (3, 4), (4,)],
    )
    for n in (0, 1, 2, 5):
        check(
            lambda a, n=n: linalg.matrix_power(a, n),
            lambda a, n=n: torch.linalg.matrix_power(a, n),
            [(2, 3, 3)],
            grad=n > 0,
        )
    assert pygrad.linalg is linalg


def well_conditioned(shape, seed=0, spd=False):
    """Random square matrices a distance from singular (diagonally boosted), or symmetric positive-definite."""
    rng = make_rng("square", seed, str(shape))
    a = rng.standard_normal(shape)
    n = shape[-1]
    if spd:
        s = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
        return (s + np.swapaxes(s, -1, -2)) / 2  # exactly symmetric
    return a + n * np.eye(n) * np.sign(rng.standard_normal((*shape[:-2], 1, 1)))


def check_square(fp, ft, arrs, grad=True, transpose=()):
    """check() on given arrays (square inputs need their own generator)."""
    pairs = [pair(a, i in transpose) for i, a in enumerate(arrs)]
    ps, ts = [p for p, _ in pairs], [t for _, t in pairs]
    out_p, out_t = fp(*ps), ft(*ts)
    np.testing.assert_allclose(out_p.detach().numpy(), out_t.detach().numpy(), rtol=1e-9, atol=1e-9)
    if grad:
        g = make_rng("up", str(arrs[0].shape)).standard_normal(tuple(out_t.shape))
        out_p.backward(pygrad.from_numpy(g.copy()))
        out_t.backward(torch.from_numpy(g.copy()))
        for p, t in zip(ps, ts):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-8)


def test_solve_inv_det_slogdet():
    a = well_conditioned((2, 4, 4))
    b = make_rng("rhs").standard_normal((2, 4, 3))
    check_square(linalg.solve, torch.linalg.solve, [a, b], transpose=(0,))
    check_square(linalg.solve, torch.linalg.solve, [a, b[:, :, 0].copy()])  # batched vectors
    check_square(linalg.solve, torch.linalg.solve, [a[0].copy(), b[:1]])  # broadcast batch
    check_square(
        lambda x, y: linalg.solve(x, y, left=False),
        lambda x, y: torch.linalg.solve(x, y, left=False),
        [a, np.swapaxes(b, -1, -2).copy()],
    )
    check_square(linalg.inv, torch.linalg.inv, [a])
    check_square(lambda x: x.inverse(), lambda x: x.inverse(), [a[1].copy()], transpose=(0,))
    check_square(linalg.det, torch.linalg.det, [a])
    check_square(pygrad.det, torch.det, [make_rng("det").standard_normal((3, 3))])
    check_square(lambda x: x.det(), lambda x: x.det(), [np.zeros((2, 0, 0))], grad=False)
    for i in range(2):
        check_square(
            lambda x, i=i: linalg.slogdet(x)[i],
            lambda x, i=i: torch.linalg.slogdet(x)[i],
            [make_rng("slog").standard_normal((3, 5, 5))],
            grad=i == 1,
        )
    check_square(lambda x: x.slogdet().logabsdet, lambda x: x.slogdet().logabsdet, [a])
    check_square(
        lambda x: linalg.matrix_power(x, -3),
        lambda x: torch.linalg.matrix_power(x, -3),
        [a],
    )
    x = pygrad.from_numpy(well_conditioned((3, 3), 1)).requires_grad_(True)
    assert gradcheck(linalg.inv, (x,))
    assert gradcheck(linalg.det, (x,))
    singular = np.ones((3, 3))
    # torch raises torch.linalg.LinAlgError, pygrad its own; both are RuntimeErrors
    with pytest.raises(linalg.LinAlgError):
        linalg.inv(pygrad.from_numpy(singular))
    with pytest.raises(RuntimeError):
        torch.linalg.inv(torch.from_numpy(singular))
    assert float(linalg.det(pygrad.from_numpy(singular))) == 0.0
    raises_like(lambda: linalg.det(pygrad.ones(2, 3)), lambda: torch.linalg.det(torch.ones(2, 3)))
    raises_like(
        lambda: linalg.solve(pygrad.ones(3, 3), pygrad.ones(4, 2)),
        lambda: torch.linalg.solve(torch.ones(3, 3), torch.ones(4, 2)),
    )


def test_cholesky_and_qr():
    spd = well_conditioned((2, 4, 4), spd=True)
    check_square(linalg.cholesky, torch.linalg.cholesky, [spd])
    check_square(
        lambda x: linalg.cholesky(x, upper=True),
        lambda x: torch.linalg.cholesky(x, upper=True),
        [spd[0].copy()],
    )
    x = pygrad.from_numpy(spd[0].copy()).requires_grad_(True)
    assert gradcheck(lambda t: linalg.cholesky(t.tril() + t.tril(-1).mT), (x,))
    with pytest.raises(linalg.LinAlgError):
        linalg.cholesky(pygrad.from_numpy(-np.eye(3)))
    with pytest.raises(RuntimeError):
        torch.linalg.cholesky(torch.from_numpy(-np.eye(3)))
    for shape in [(2, 5, 3), (3, 3), (3, 5)]:
        a = make_rng("qr", str(shape)).standard_normal(shape)
        for i in range(2):
            check_square(lambda x, i=i: linalg.qr(x)[i], lambda x, i=i: torch.linalg.qr(x)[i], [a])
    a = make_rng("qr").standard_normal((4, 3))
    check_square(
        lambda x: linalg.qr(x, "r").R, lambda x: torch.linalg.qr(x, "r").R, [a], grad=False
    )
    check_square(
        lambda x: linalg.qr(x.detach(), "complete").Q,
        lambda x: torch.linalg.qr(x, "complete").Q,
        [a],
        grad=False,
    )


def test_eigh_svd_values():
    sym = well_conditioned((2, 4, 4), spd=True)
    w, v = linalg.eigh(pygrad.from_numpy(sym))
    tw, tv = torch.linalg.eigh(torch.from_numpy(sym))
    np.testing.assert_allclose(w.numpy(), tw.numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(tv.numpy()), atol=1e-8)
    np.testing.assert_allclose(
        linalg.eigvalsh(pygrad.from_numpy(sym)).numpy(), tw.numpy(), rtol=1e-10
    )
    a = make_rng("svd").standard_normal((2, 3, 5))
    u, s, vh = linalg.svd(pygrad.from_numpy(a), full_matrices=False)
    np.testing.assert_allclose(
        s.numpy(), torch.linalg.svdvals(torch.from_numpy(a)).numpy(), rtol=1e-10
    )
    np.testing.assert_allclose((u.numpy() * s.numpy()[:, None, :]) @ vh.numpy(), a, atol=1e-10)
    np.testing.assert_allclose(linalg.svdvals(pygrad.from_numpy(a)).numpy(), s.numpy())


def _sign_free(*tensors):
    """A loss that does not depend on the arbitrary signs of singular vectors or eigenvectors."""
    return sum((t**4).sum() for t in tensors)


def test_eigh_gradients_match_torch():
    rng = make_rng("eigh-grad")
    a = rng.standard_normal((2, 4, 4))
    sym = a + np.swapaxes(a, -1, -2)
    check_square(
        lambda x: linalg.eigh(x).eigenvalues, lambda x: torch.linalg.eigh(x).eigenvalues, [sym]
    )
    check_square(linalg.eigvalsh, torch.linalg.eigvalsh, [sym[0].copy()])
    check_square(
        lambda x: linalg.eigh(x, UPLO="U").eigenvalues,
        lambda x: torch.linalg.eigh(x, UPLO="U").eigenvalues,
        [sym],
    )
    grads = []
    for lib, la in ((torch, torch.linalg), (pygrad, linalg)):
        x = lib.tensor(sym, requires_grad=True)
        L, V = la.eigh(x)
        (_sign_free(V) + (L**3).sum()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 5, 3), (4, 4), (1, 6, 2)])
def test_svd_gradients_match_torch(shape):
    a = make_rng("svd-grad", str(shape)).standard_normal(shape)
    check(linalg.svdvals, torch.linalg.svdvals, [shape])
    grads = []
    for lib, la in ((torch, torch.linalg), (pygrad, linalg)):
        x = lib.tensor(a, requires_grad=True)
        U, S, Vh = la.svd(x, full_matrices=False)
        (_sign_free(U, Vh) + (S**3).sum()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-9)
    for o in ("nuc", 2, -2):
        check(
            lambda x, o=o: linalg.matrix_norm(x, o),
            lambda x, o=o: torch.linalg.matrix_norm(x, o),
            [shape],
        )


def test_svd_full_matrices_and_double_backward_limits():
    a = make_rng("svd-full").standard_normal((3, 5))
    x = pygrad.tensor(a, requires_grad=True)
    U, S, Vh = linalg.svd(x)  # full: Vh is 5x5
    S.sum().backward()  # the extra rows of Vh get no gradient: fine, as in torch
    np.testing.assert_allclose(
        x.grad.numpy(), U.detach().numpy() @ Vh.detach().numpy()[:3], atol=1e-10
    )
    x.grad = None
    with pytest.raises(RuntimeError, match="full_matrices"):
        linalg.svd(x).Vh.pow(4).sum().backward()
    # The backward is once differentiable: a second derivative refuses rather than coming out wrong.
    y = pygrad.tensor(a, requires_grad=True)
    (g,) = pygrad.autograd.grad(linalg.svdvals(y).sum(), [y], create_graph=True)
    assert not g.requires_grad
    with pygrad.no_grad():
        linalg.svdvals(y)


def test_addr_addbmm_and_torch_norm():
    check(
        lambda c, a, b: pygrad.addr(c, a, b, beta=0.5, alpha=2),
        lambda c, a, b: torch.addr(c, a, b, beta=0.5, alpha=2),
        [(1, 4), (3,), (4,)],
    )
    check(lambda c, a, b: c.addr(a, b), lambda c, a, b: c.addr(a, b), [(3, 4), (3,), (4,)])
    check(
        lambda c, a, b: pygrad.addbmm(c, a, b, alpha=-1),
        lambda c, a, b: torch.addbmm(c, a, b, alpha=-1),
        [(2, 5), (3, 2, 4), (3, 4, 5)],
        transpose=(1,),
    )
    check(
        lambda c, a, b: c.addbmm(a, b), lambda c, a, b: c.addbmm(a, b), [(5,), (3, 2, 4), (3, 4, 5)]
    )
    check(pygrad.norm, torch.norm, [(2, 3, 4)])
    check(lambda x: x.norm(), lambda x: x.norm(), [(3, 4)], transpose=(0,))
    check(lambda x: x.norm(1, 0), lambda x: x.norm(1, 0), [(3, 4)])
    check(lambda x: x.norm(3, (0, 2), True), lambda x: x.norm(3, (0, 2), True), [(2, 3, 4)])
    check(lambda x: pygrad.norm(x, "fro", 1), lambda x: torch.norm(x, "fro", 1), [(2, 3)])
    check(
        lambda x: pygrad.norm(x.detach(), "nuc"),
        lambda x: torch.norm(x, "nuc"),
        [(3, 4)],
        grad=False,
    )
    check(
        lambda x: pygrad.norm(x.detach(), "nuc", (0, 2)),
        lambda x: torch.norm(x, "nuc", (0, 2)),
        [(2, 3, 4)],
        grad=False,
    )
    raises_like(
        lambda: pygrad.norm(pygrad.ones(2, 3, 4), "nuc"),
        lambda: torch.norm(torch.ones(2, 3, 4), "nuc"),
    )
