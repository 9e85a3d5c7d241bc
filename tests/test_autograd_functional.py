"""pygrad.autograd.functional against torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import pygrad
import pygrad.autograd.functional as F


def pair(shape, seed):
    data = np.random.default_rng(seed).standard_normal(shape)
    return pygrad.tensor(data), torch.tensor(data)


def close(a, b):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            close(x, y)
        return
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


FUNCTIONS = {
    "one to one": (lambda m, x: (x**2).sin() * x.sum(), [(3, 2)]),
    "two to one": (lambda m, x, y: (x * y.exp()).sum(0), [(2, 3), (2, 3)]),
    "broadcast": (lambda m, x, y: x.tanh() @ y, [(2, 3), (3,)]),
    "two outputs": (lambda m, x: (x.exp(), x.sum()), [(4,)]),
    "unused input": (lambda m, x, y: x * 3.0, [(2,), (5,)]),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_jacobian_vjp_jvp_vs_torch(name):
    fn, shapes = FUNCTIONS[name]
    pairs = [pair(s, i) for i, s in enumerate(shapes)]
    ours = tuple(p for p, _ in pairs)
    theirs = tuple(t for _, t in pairs)
    ours_in = ours if len(ours) > 1 else ours[0]
    theirs_in = theirs if len(theirs) > 1 else theirs[0]
    close(
        F.jacobian(lambda *a: fn(pygrad, *a), ours_in),
        TF.jacobian(lambda *a: fn(torch, *a), theirs_in),
    )
    out_t = fn(torch, *theirs)
    vs = tuple(
        pair(tuple(o.shape), 10 + i)
        for i, o in enumerate(out_t if isinstance(out_t, tuple) else (out_t,))
    )
    v_ours = tuple(p for p, _ in vs) if isinstance(out_t, tuple) else vs[0][0]
    v_theirs = tuple(t for _, t in vs) if isinstance(out_t, tuple) else vs[0][1]
    got = F.vjp(lambda *a: fn(pygrad, *a), ours_in, v_ours)
    want = TF.vjp(lambda *a: fn(torch, *a), theirs_in, v_theirs)
    close(got[0], want[0])
    close(got[1], want[1])
    tangents = [pair(s, 20 + i) for i, s in enumerate(shapes)]
    t_ours = tuple(p for p, _ in tangents) if len(shapes) > 1 else tangents[0][0]
    t_theirs = tuple(t for _, t in tangents) if len(shapes) > 1 else tangents[0][1]
    got = F.jvp(lambda *a: fn(pygrad, *a), ours_in, t_ours)
    want = TF.jvp(lambda *a: fn(torch, *a), theirs_in, t_theirs)
    close(got[1], want[1])


def scalar(m, x, y):
    return (x**3 * y.sin()).sum() + (x * x).sum() * y.sum()


def test_hessian_vhp_hvp_vs_torch():
    (x, tx), (y, ty) = pair((2, 2), 0), pair((2, 2), 1)
    close(
        F.hessian(lambda a, b: scalar(pygrad, a, b), (x, y)),
        TF.hessian(lambda a, b: scalar(torch, a, b), (tx, ty)),
    )
    close(F.hessian(lambda a: (a**4).sum(), x), TF.hessian(lambda a: (a**4).sum(), tx))
    (v, tv), (w, tw) = pair((2, 2), 2), pair((2, 2), 3)
    for ours, theirs in ((F.vhp, TF.vhp), (F.hvp, TF.hvp)):
        got = ours(lambda a, b: scalar(pygrad, a, b), (x, y), (v, w))
        want = theirs(lambda a, b: scalar(torch, a, b), (tx, ty), (tv, tw))
        close(got[0], want[0])
        close(got[1], want[1])


def test_create_graph_gives_differentiable_results():
    x, tx = pair((3,), 4)
    x.requires_grad_(True)
    tx.requires_grad_(True)
    jac = F.jacobian(lambda a: a.sin() * a, x, create_graph=True)
    tjac = TF.jacobian(lambda a: a.sin() * a, tx, create_graph=True)
    jac.sum().backward()
    tjac.sum().backward()
    close(x.grad, tx.grad)
    # Without create_graph the results are constants.
    assert not F.jacobian(lambda a: a.sin(), x).requires_grad


def test_errors_like_torch():
    x, tx = pair((3,), 5)
    for mod, t in ((F, x), (TF, tx)):
        with pytest.raises(RuntimeError):
            mod.vjp(lambda a: a * 2, t)  # v omitted for a non-scalar output
        with pytest.raises(RuntimeError):
            mod.hessian(lambda a: a * 2, t)  # not a scalar function
        with pytest.raises(RuntimeError):
            mod.jacobian(lambda a, b: a * 2, (t, t), strict=True)
    with pytest.raises(TypeError, match="inputs"):
        F.jacobian(lambda a: a, [1.0])


def test_jacobian_of_an_empty_tensor_is_empty():
    # torch 2.13 cannot stack zero rows here and raises; the shape out.shape + in.shape is still defined.
    x, _ = pair((0, 3), 6)
    assert tuple(F.jacobian(lambda a: a * 2.0, x).shape) == (0, 3, 0, 3)
