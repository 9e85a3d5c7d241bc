"""pygrad.func against torch.func (torch 2.13): grad/grad_and_value (argnums, pytrees, has_aux, nesting),
vjp, jvp, jacrev/jacfwd, hessian, vmap (in_dims/out_dims pytrees, None, nesting, composed with grad, randomness),
functional_call and stack_module_state for a vmapped ensemble.
"""

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad
from pygrad import func

torch = import_torch()
tf = torch.func

# torch.func's forward-mode AD (jvp, jacfwd, hessian) touches torch.jit.script, deprecated in torch 2.13
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)

TOL = 1e-10


def rng_for(*keys):
    return make_rng("func", *keys)


def P(a):
    return pygrad.from_numpy(np.array(a, dtype=np.float64))


def T(a):
    return torch.tensor(np.array(a, dtype=np.float64))


def close(p, t, tol=TOL):
    """Same pytree structure (tuples, lists, dicts) and leaves within tol."""
    if isinstance(t, (tuple, list)):
        assert isinstance(p, type(t)) and len(p) == len(t), (type(p), type(t))
        for a, b in zip(p, t):
            close(a, b, tol)
        return
    if isinstance(t, dict):
        assert isinstance(p, dict) and set(p) == set(t)
        for k in t:
            close(p[k], t[k], tol)
        return
    a, b = p.detach().numpy(), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def f2(x, y):
    # the same code runs on pygrad and torch tensors
    return (x.sin() * y).sum() * x.exp().sum()


def f_vec(x, y):
    return (x.sin() * y, x.exp() * y.sum())


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1,), -1])
def test_grad_argnums(argnums):
    rng = rng_for("grad", str(argnums))
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    g = func.grad(f2, argnums)(P(x), P(y))
    close(g, tf.grad(f2, argnums)(T(x), T(y)))
    leaves = g if isinstance(g, tuple) else (g,)
    assert not any(t.requires_grad for t in leaves)  # top level: no graph kept, as torch.func


def test_grad_and_value_and_aux():
    rng = rng_for("gv")
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    close(func.grad_and_value(f2)(P(x), P(y)), tf.grad_and_value(f2)(T(x), T(y)))

    def with_aux(x):
        return (x**3).sum(), {"double": x * 2}

    g, aux = func.grad(with_aux, has_aux=True)(P(x))
    tg, taux = tf.grad(with_aux, has_aux=True)(T(x))
    close(g, tg)
    close(aux, taux)
    (g, (v, aux)) = func.grad_and_value(with_aux, has_aux=True)(P(x))
    (tg, (tv, taux)) = tf.grad_and_value(with_aux, has_aux=True)(T(x))
    close((g, v, aux), (tg, tv, taux))


def test_grad_pytree_inputs():
    rng = rng_for("tree")
    w, b, x = rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal(4)

    def loss(params, x):
        return ((params["w"] @ x).tanh() * params["b"][0]).sum() + params["b"][1].sum()

    g = func.grad(loss)({"w": P(w), "b": [P(b), P(b)]}, P(x))
    close(g, tf.grad(loss)({"w": T(w), "b": [T(b), T(b)]}, T(x)))


def test_nested_grad():
    rng = rng_for("nested")
    x = rng.standard_normal(5)

    def inner(z):
        return (z.sin() ** 3).sum()

    outer = func.grad(lambda v: func.grad(inner)(v).sum())(P(x))
    close(outer, tf.grad(lambda v: tf.grad(inner)(v).sum())(T(x)))
    s = 0.3 + rng.random()
    third = func.grad(func.grad(func.grad(lambda t: t.sin() * t)))(P(s))
    close(third, tf.grad(tf.grad(tf.grad(lambda t: t.sin() * t)))(T(s)))


def test_grad_keeps_graph_for_inputs_that_require_grad():
    rng = rng_for("outer graph")
    x = rng.standard_normal(4)
    px, tx = P(x).requires_grad_(True), T(x).requires_grad_(True)
    g = func.grad(lambda z: (z**3).sum())(px)
    tg = tf.grad(lambda z: (z**3).sum())(tx)
    assert g.requires_grad
    close(pygrad.autograd.grad(g.sum(), [px])[0], torch.autograd.grad(tg.sum(), [tx])[0])


def test_grad_errors():
    with pytest.raises(RuntimeError, match="scalar"):
        func.grad(lambda x: x * 2)(P(np.ones(3)))
    with pytest.raises(RuntimeError, match="argnums"):
        func.grad(f2, 2)(P(np.ones(3)), P(np.ones(3)))
    with pytest.raises(RuntimeError, match="tuple"):
        func.grad(lambda x: x.sum(), has_aux=True)(P(np.ones(3)))


def test_vjp():
    rng = rng_for("vjp")
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    out, fn = func.vjp(f_vec, P(x), P(y))
    tout, tfn = tf.vjp(f_vec, T(x), T(y))
    close(out, tout)
    for _ in range(2):  # vjp_fn can be called again
        c = (rng.standard_normal(4), rng.standard_normal(4))
        close(fn((P(c[0]), P(c[1]))), tfn((T(c[0]), T(c[1]))))
    out, fn, aux = func.vjp(lambda a: (a.exp(), a * 3), P(x), has_aux=True)
    tout, tfn, taux = tf.vjp(lambda a: (a.exp(), a * 3), T(x), has_aux=True)
    c = rng.standard_normal(4)
    close((out, fn(P(c)), aux), (tout, tfn(T(c)), taux))
    with pytest.raises(RuntimeError, match="shape"):
        fn(P(np.ones(3)))


def test_jvp():
    rng = rng_for("jvp")
    x, y, tx, ty = (rng.standard_normal(4) for _ in range(4))
    close(
        func.jvp(f_vec, (P(x), P(y)), (P(tx), P(ty))),
        tf.jvp(f_vec, (T(x), T(y)), (T(tx), T(ty))),
    )
    close(func.jvp(f2, (P(x), P(y)), (P(tx), P(ty))), tf.jvp(f2, (T(x), T(y)), (T(tx), T(ty))))
    with pytest.raises(RuntimeError, match="tuple"):
        func.jvp(f2, P(x), P(tx))


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacobians(jac, argnums):
    rng = rng_for(jac, str(argnums))
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    close(
        getattr(func, jac)(f_vec, argnums)(P(x), P(y)),
        getattr(tf, jac)(f_vec, argnums)(T(x), T(y)),
    )
    m = rng.standard_normal((2, 3))
    close(
        getattr(func, jac)(lambda a: a.tanh() @ a.mT)(P(m)),
        getattr(tf, jac)(lambda a: a.tanh() @ a.mT)(T(m)),
    )


def test_jacrev_has_aux_and_dict_input():
    rng = rng_for("jac aux")
    w, b = rng.standard_normal((2, 3)), rng.standard_normal(2)

    def fn(p):
        out = (p["w"].sin().sum(-1) * p["b"]).exp()
        return out, out.sum()

    j, aux = func.jacrev(fn, has_aux=True)({"w": P(w), "b": P(b)})
    tj, taux = tf.jacrev(fn, has_aux=True)({"w": T(w), "b": T(b)})
    close((j, aux), (tj, taux))


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_hessian(argnums):
    rng = rng_for("hessian", str(argnums))
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    close(func.hessian(f2, argnums)(P(x), P(y)), tf.hessian(f2, argnums)(T(x), T(y)))


# ---- vmap


def test_vmap_in_dims():
    rng = rng_for("vmap")
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 5))

    def dot(u, v):
        return (u * v).sum()

    close(func.vmap(dot, (0, 1))(P(a), P(b)), tf.vmap(dot, (0, 1))(T(a), T(b)))
    close(func.vmap(dot, (0, None))(P(a), P(b[:, 0])), tf.vmap(dot, (0, None))(T(a), T(b[:, 0])))
    close(func.vmap(lambda u: u @ u, in_dims=-1)(P(b)), tf.vmap(lambda u: u @ u, in_dims=-1)(T(b)))


def test_vmap_pytrees_and_out_dims():
    rng = rng_for("vmap tree")
    a, c = rng.standard_normal((4, 2, 3)), rng.standard_normal(3)

    def fn(d, scale):
        return d["x"].sum(0) * d["y"], [d["x"] * scale, scale]

    in_dims = ({"x": 0, "y": None}, None)
    ref = tf.vmap(fn, in_dims, out_dims=(1, [0, None]))({"x": T(a), "y": T(c)}, 2.0)
    out = func.vmap(fn, in_dims, out_dims=(1, [0, None]))({"x": P(a), "y": P(c)}, 2.0)
    close(out[0], ref[0])
    close(out[1][0], ref[1][0])
    assert out[1][1] == ref[1][1] == 2.0


def test_nested_vmap_and_vmap_of_grad():
    rng = rng_for("vmap nest")
    y = rng.standard_normal((2, 5, 3))

    def fn(a):
        return a.sum(), {"k": a * 2}

    close(
        func.vmap(func.vmap(fn), in_dims=1, out_dims=(1, 0))(P(y)),
        tf.vmap(tf.vmap(fn), in_dims=1, out_dims=(1, 0))(T(y)),
    )

    def loss(v):
        return (v.sin() ** 2).sum()

    close(func.vmap(func.grad(loss))(P(y[0])), tf.vmap(tf.grad(loss))(T(y[0])))
    close(func.vmap(func.jacrev(loss))(P(y[0])), tf.vmap(tf.jacrev(loss))(T(y[0])))


def test_vmap_errors():
    with pytest.raises(ValueError, match="same size"):
        func.vmap(lambda u, v: u + v)(P(np.ones((2, 3))), P(np.ones((3, 3))))
    with pytest.raises(ValueError, match="in_dims"):
        func.vmap(lambda u, v: u + v, in_dims=(0,))(P(np.ones(2)), P(np.ones(2)))
    with pytest.raises(ValueError):
        func.vmap(lambda u: u, in_dims=None)(P(np.ones(2)))
    with pytest.raises(ValueError, match="dimensionality"):
        func.vmap(lambda u: u, in_dims=2)(P(np.ones((2, 2))))
    with pytest.raises(RuntimeError, match="randomness"):
        func.vmap(lambda u: u, randomness="sometimes")


def test_vmap_randomness():
    x = P(np.zeros((4, 3)))
    pygrad.manual_seed(0)
    same = func.vmap(lambda u: u + pygrad.randn(3), randomness="same")(x).numpy()
    assert np.allclose(same, same[0]) and not np.allclose(same[0], 0)
    different = func.vmap(lambda u: u + pygrad.randn(3), randomness="different")(x).numpy()
    assert not np.allclose(different, different[0])


# ---- modules


def test_functional_call_grad_matches_backward():
    rng = rng_for("functional_call")
    pygrad.manual_seed(1)
    model = pygrad.nn.Linear(3, 2).double()
    x = P(rng.standard_normal((5, 3)))
    params = {k: v.detach() for k, v in model.named_parameters()}
    g = func.grad(lambda p: func.functional_call(model, p, (x,)).pow(2).sum())(params)
    model(x).pow(2).sum().backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(g[name].numpy(), p.grad.numpy(), rtol=1e-12, atol=1e-12)
    w = P(rng.standard_normal((2, 3)))
    out = func.functional_call(model, ({"weight": w}, {"bias": params["bias"]}), x)
    np.testing.assert_allclose(
        out.detach().numpy(), x.numpy() @ w.numpy().T + params["bias"].numpy(), atol=1e-12
    )


def test_stack_module_state_ensemble():
    rng = rng_for("ensemble")
    pygrad.manual_seed(2)
    models = [pygrad.nn.Linear(3, 2).double() for _ in range(4)]
    params, buffers = func.stack_module_state(models)
    assert {k: tuple(v.shape) for k, v in params.items()} == {"weight": (4, 2, 3), "bias": (4, 2)}
    assert all(v.requires_grad and v.is_leaf for v in params.values()) and buffers == {}
    x = P(rng.standard_normal((5, 3)))

    def call(p, b, x):
        return func.functional_call(models[0], (p, b), (x,))

    out = func.vmap(call, in_dims=(0, 0, None))(params, buffers, x)
    expected = np.stack([m(x).detach().numpy() for m in models])
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    # gradients reach the stacked leaves, one slice per model
    out.pow(2).sum().backward()
    for i, m in enumerate(models):
        m.zero_grad()
        m(x).pow(2).sum().backward()
        np.testing.assert_allclose(
            params["weight"].grad.numpy()[i], m.weight.grad.numpy(), atol=1e-12
        )
    with pytest.raises(RuntimeError):
        func.stack_module_state([])
