"""The activations of nn.functional and their modules against torch: values and every gradient in float32
and float64, on inputs with values at and beside each kink, non-contiguous inputs and size-0 batches;
in-place forms, double backward, rrelu's random slopes, integer inputs. The modules and the errors are in
test_nn_activation_modules.py, the layout layers (padding, shuffles, Unflatten) in test_nn_layout.py."""

import warnings

import numpy as np
import pytest
from conftest import import_torch, make_rng, non_contiguous, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional

TOL = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}
DTYPES = [np.float32, np.float64]
LAYOUTS = ["contiguous", "step", "transpose", "empty"]
SHAPE = (3, 4, 6)  # dim 1 is prelu's channel dim; glu halves an even dim

# (id, f(functional, x) for f = pygrad's F or torch's F, kinks: where the function bends).
# Inputs get values exactly at each kink and 1e-3 either side, so the gradient torch's kernel
# defines at a kink (e.g. 0 for hardtanh at its ends, alpha for elu at 0) is compared too.
UNARY = [
    ("relu6", lambda f, x: f.relu6(x), [0, 6]),
    ("hardtanh", lambda f, x: f.hardtanh(x), [-1, 1]),
    ("hardtanh-range", lambda f, x: f.hardtanh(x, -2.0, 0.5), [-2, 0.5]),
    ("elu", lambda f, x: f.elu(x), [0]),
    ("elu-alpha", lambda f, x: f.elu(x, alpha=0.7), [0]),
    ("selu", lambda f, x: f.selu(x), [0]),
    ("celu", lambda f, x: f.celu(x), [0]),
    ("celu-alpha", lambda f, x: f.celu(x, alpha=1.5), [0]),
    ("silu", lambda f, x: f.silu(x), [0, -30, 30]),
    ("mish", lambda f, x: f.mish(x), [0, -30, 30]),
    ("hardswish", lambda f, x: f.hardswish(x), [-3, 3]),
    ("hardsigmoid", lambda f, x: f.hardsigmoid(x), [-3, 3]),
    ("softplus", lambda f, x: f.softplus(x), [0, 20, -40]),
    ("softplus-beta", lambda f, x: f.softplus(x, beta=2.0, threshold=5.0), [0, 2.5]),
    ("softplus-beta-small", lambda f, x: f.softplus(x, 0.5, 3.0), [0, 6]),
    ("softsign", lambda f, x: f.softsign(x), [0]),
    ("softshrink", lambda f, x: f.softshrink(x), [-0.5, 0.5]),
    ("softshrink-0", lambda f, x: f.softshrink(x, 0.0), [0]),
    ("softshrink-wide", lambda f, x: f.softshrink(x, 1.25), [-1.25, 1.25]),
    ("hardshrink", lambda f, x: f.hardshrink(x), [-0.5, 0.5]),
    ("hardshrink-narrow", lambda f, x: f.hardshrink(x, 0.25), [-0.25, 0.25]),
    ("tanhshrink", lambda f, x: f.tanhshrink(x), [0]),
    ("threshold", lambda f, x: f.threshold(x, 0.5, -2.0), [0.5]),
    ("threshold-above", lambda f, x: f.threshold(x, -1.0, 3.0), [-1]),
    ("logsigmoid", lambda f, x: f.logsigmoid(x), [0, -50, 50]),
    ("rrelu-eval", lambda f, x: f.rrelu(x), [0]),
    ("rrelu-eval-bounds", lambda f, x: f.rrelu(x, 0.1, 0.5, False), [0]),
    ("glu", lambda f, x: f.glu(x), [0]),
    ("glu-dim1", lambda f, x: f.glu(x, 1), [0]),
    ("softmin", lambda f, x: f.softmin(x, 1), []),
    ("softmin-last", lambda f, x: f.softmin(x, dim=-1), []),
    ("normalize", lambda f, x: f.normalize(x), []),
    ("normalize-p1", lambda f, x: f.normalize(x, p=1.0, dim=-1), [0]),
    ("normalize-p3", lambda f, x: f.normalize(x, 3.0, 0), []),
    ("normalize-inf", lambda f, x: f.normalize(x, float("inf"), 2), []),
    ("normalize-eps", lambda f, x: f.normalize(x, 2.0, 1, 4.0), []),
    ("pixel_shuffle", lambda f, x: f.pixel_shuffle(x.reshape(x.shape[0], 4, 2, 3), 2), []),
    ("pixel_unshuffle", lambda f, x: f.pixel_unshuffle(x.reshape(x.shape[0], 1, 4, 6), 2), []),
    ("channel_shuffle", lambda f, x: f.channel_shuffle(x, 2), []),
]


def kinked(rng, shape, kinks, dtype):
    """Random values in a range around the kinks; the first elements are each kink and kink +- 1e-3."""
    scale = max([abs(k) for k in kinks] + [1.0]) + 3.0
    a = rng.uniform(-scale, scale, size=shape)
    special = [v for k in kinks for v in (k, k - 1e-3, k + 1e-3)]
    flat = a.reshape(-1)
    n = min(len(special), flat.size)
    flat[:n] = special[:n]
    return a.astype(dtype)


def pygrad_leaf(a, layout):
    """A pygrad leaf that requires grad with a's values, laid out as asked."""
    if layout in ("step", "transpose"):
        t = non_contiguous(a, layout, requires_grad=True)
        assert not t.is_contiguous()
        return t
    return to_pygrad(a, requires_grad=True)


def dtype_name(dtype):
    """float32 for np.float32, torch.float32 and pygrad.float32 alike."""
    return np.dtype(dtype).name if isinstance(dtype, type) else str(dtype).rsplit(".", 1)[-1]


def check_against_torch(
    fn, arrays, dtype, layout="contiguous", seed=0, grad_tol=None, torch_backward=True
):
    """fn(F, *pygrad leaves) vs fn(torch's F, *torch leaves): dtype, shape, values, every gradient."""
    ps = [pygrad_leaf(a, layout if i == 0 else "contiguous") for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_p, out_t = fn(F, *ps), fn(TF, *ts)
    assert dtype_name(out_p.dtype) == dtype_name(out_t.dtype)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    g = make_rng("upstream", seed).standard_normal(tuple(out_t.shape)).astype(dtype)
    out_p.backward(to_pygrad(g))
    if (
        not torch_backward
    ):  # only ours: the gradient of a size-0 output is an empty input-shaped one
        assert all(p.grad is not None and p.grad.shape == p.shape for p in ps)
        return
    out_t.backward(torch.tensor(g))
    for p, t in zip(ps, ts):
        assert p.grad is not None, "no gradient reached an input"
        np.testing.assert_allclose(to_numpy(p.grad), t.grad.numpy(), **(grad_tol or TOL[dtype]))


def grad_tolerance(name, dtype):
    # torch's float64 hardsigmoid backward multiplies by 1/6 rounded to float32 (0.16666667163...);
    # ours uses the float64 1/6, so the gradients agree to float32 precision only.
    if name.lower().startswith("hardsigmoid") and dtype == np.float64:
        return {"rtol": 1e-7, "atol": 0}
    return None


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,fn,kinks", UNARY, ids=[u[0] for u in UNARY])
def test_functional_matches_torch(name, fn, kinks, dtype, layout):
    rng = make_rng("activation", name, layout)
    shape = (0, *SHAPE[1:]) if layout == "empty" else SHAPE
    if name == "normalize-p1":
        kinks = [0, 0, 0, 0]  # whole zero rows along the normalised dim: the eps branch
    x = kinked(rng, shape, kinks, dtype)
    if layout == "empty" and name == "pixel_unshuffle":
        # torch 2.13 returns a size-0 input unchanged ([0, 1, 4, 6] here): ours has the right shape.
        xp = to_pygrad(x, requires_grad=True)
        out = F.pixel_unshuffle(xp.reshape(0, 1, 4, 6), 2)
        assert out.shape == (0, 4, 2, 3)
        out.backward(pygrad.zeros(0, 4, 2, 3, dtype=out.dtype))
        assert xp.grad is not None and xp.grad.shape == x.shape
        return
    # torch 2.13's PixelShuffleBackward0 fails on size-0 input (its pixel_unshuffle, above, returns
    # the wrong shape), so there only the forward is compared.
    torch_backward = not (layout == "empty" and name.startswith("pixel"))
    check_against_torch(
        fn, [x], dtype, layout, grad_tol=grad_tolerance(name, dtype), torch_backward=torch_backward
    )


PRELU_CASES = [(SHAPE, 1), (SHAPE, 4), ((5, 4), 4), ((5, 4), 1), ((0, 4, 2), 4), ((4,), 1), ((), 1)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape,channels", PRELU_CASES, ids=[str(c) for c in PRELU_CASES])
def test_prelu_matches_torch_with_weight_gradients(shape, channels, dtype):
    rng = make_rng("prelu", shape, channels)
    x = kinked(rng, shape, [0, 0, 0], dtype)
    w = rng.uniform(-0.5, 1.5, size=channels).astype(dtype)
    check_against_torch(lambda f, a, b: f.prelu(a, b), [x, w], dtype)
    # A 0-d weight, as torch accepts.
    check_against_torch(lambda f, a, b: f.prelu(a, b), [x, w[:1].reshape(())], dtype)


def test_nan_and_infinities_go_through_as_in_torch():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
    for name, fn, _ in UNARY:
        if name.startswith(("glu", "softmin", "normalize", "pixel", "channel")):
            continue
        out_p, out_t = fn(F, to_pygrad(x)), fn(TF, torch.tensor(x))
        np.testing.assert_array_equal(to_numpy(out_p), out_t.numpy(), err_msg=name)


# --------------------------------------------------------------------------- second derivatives
SMOOTH = ["elu", "selu", "celu-alpha", "silu", "mish", "softplus", "softplus-beta", "softsign"]
SMOOTH += ["tanhshrink", "logsigmoid", "hardswish", "glu", "softmin", "normalize", "normalize-p3"]


@pytest.mark.parametrize("name", SMOOTH)
def test_double_backward_matches_torch(name):
    fn = {u[0]: u[1] for u in UNARY}[name]
    x = make_rng("double", name).uniform(-4, 4, size=SHAPE)
    g = make_rng("double-g", name).standard_normal(tuple(fn(TF, torch.tensor(x)).shape))
    xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (gp,) = pygrad.autograd.grad([(fn(F, xp) * to_pygrad(g)).sum()], [xp], create_graph=True)
    (gt,) = torch.autograd.grad((fn(TF, xt) * torch.tensor(g)).sum(), [xt], create_graph=True)
    np.testing.assert_allclose(to_numpy(gp), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    (gp * gp).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), rtol=1e-9, atol=1e-11)


# --------------------------------------------------------------------------- in place
# (id, f(functional, x, inplace)); rrelu only in eval mode here (its training draws are random).
INPLACE = [
    ("relu6", lambda f, x, i: f.relu6(x, inplace=i)),
    ("hardtanh", lambda f, x, i: f.hardtanh(x, -0.5, 2.0, i)),
    ("elu", lambda f, x, i: f.elu(x, 0.7, i)),
    ("selu", lambda f, x, i: f.selu(x, i)),
    ("celu", lambda f, x, i: f.celu(x, 1.5, inplace=i)),
    ("silu", lambda f, x, i: f.silu(x, inplace=i)),
    ("mish", lambda f, x, i: f.mish(x, inplace=i)),
    ("hardswish", lambda f, x, i: f.hardswish(x, i)),
    ("hardsigmoid", lambda f, x, i: f.hardsigmoid(x, i)),
    ("threshold", lambda f, x, i: f.threshold(x, 0.1, 20.0, i)),
    ("rrelu", lambda f, x, i: f.rrelu(x, 0.2, 0.4, False, i)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_forms_match_torch(name, fn):
    rng = make_rng("inplace", name)
    x = kinked(rng, (5, 7), [0, 0.1, -3, 3, 6], np.float64)
    # The input itself comes back, overwritten with the result.
    xp, xt = to_pygrad(x), torch.tensor(x)
    assert fn(F, xp, True) is xp and fn(TF, xt, True) is xt
    np.testing.assert_allclose(to_numpy(xp), xt.numpy(), **TOL[np.float64])
    assert xp._version == 1
    # Through an in-place op on a non-leaf (also a strided view), gradients as torch's.
    g = rng.standard_normal((5, 7))
    for view in (False, True):
        xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        hp, ht = xp * 3.0, xt * 3.0
        if view:
            hp, ht = hp[:, ::2], ht[:, ::2]
        assert fn(F, hp, True) is hp
        fn(TF, ht, True)
        gv = g[:, ::2] if view else g
        (hp * to_pygrad(gv)).sum().backward()
        (ht * torch.tensor(gv)).sum().backward()
        tol = grad_tolerance(name, np.float64) or TOL[np.float64]
        np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), **tol)
    # A leaf that requires grad can't be overwritten while grad is recorded, as in torch ...
    leaf_p, leaf_t = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        fn(TF, leaf_t, True)
    with pytest.raises(RuntimeError, match=r"\[\w+\] a leaf tensor that requires grad"):
        fn(F, leaf_p, True)
    np.testing.assert_array_equal(to_numpy(leaf_p), x)
    # ... but it can under no_grad.
    with pygrad.no_grad(), torch.no_grad():
        assert fn(F, leaf_p, True) is leaf_p and fn(TF, leaf_t, True) is leaf_t
    np.testing.assert_allclose(to_numpy(leaf_p), leaf_t.detach().numpy(), **TOL[np.float64])


UNDERSCORE = [
    ("elu_", lambda f, x: f.elu_(x, 0.5)),
    ("selu_", lambda f, x: f.selu_(x)),
    ("celu_", lambda f, x: f.celu_(x, 2.0)),
    ("hardtanh_", lambda f, x: f.hardtanh_(x, -0.3, 0.3)),
    ("threshold_", lambda f, x: f.threshold_(x, 0.2, -1.0)),
    ("rrelu_", lambda f, x: f.rrelu_(x, 0.1, 0.2)),
    ("relu_", lambda f, x: f.relu_(x)),
    ("leaky_relu_", lambda f, x: f.leaky_relu_(x, 0.3)),
]


@pytest.mark.parametrize("name,fn", UNDERSCORE, ids=[c[0] for c in UNDERSCORE])
def test_underscore_forms_write_into_the_input(name, fn):
    x = make_rng("underscore", name).standard_normal((4, 5))
    xp, xt = to_pygrad(x), torch.tensor(x)
    assert fn(F, xp) is xp
    fn(TF, xt)
    np.testing.assert_allclose(to_numpy(xp), xt.numpy(), **TOL[np.float64])


# --------------------------------------------------------------------------- rrelu while training
def test_rrelu_training_draws_slopes_from_the_seeded_generator():
    lower, upper = 0.1, 0.3
    x = make_rng("rrelu-train").standard_normal((200, 50))
    x[0, :5] = 0.0
    pygrad.manual_seed(7)
    xp = to_pygrad(x, requires_grad=True)
    y = F.rrelu(xp, lower, upper, training=True)
    y.backward(pygrad.ones_like(y))
    out, grad = to_numpy(y), to_numpy(xp.grad)
    positive, negative = x > 0, x < 0
    np.testing.assert_array_equal(out[positive], x[positive])
    np.testing.assert_array_equal(grad[positive], 1.0)
    slopes = out[negative] / x[negative]
    assert slopes.min() >= lower and slopes.max() < upper
    assert slopes.min() < lower + 0.01 and slopes.max() > upper - 0.01  # the whole range is drawn
    assert abs(slopes.mean() - (lower + upper) / 2) < 0.005
    # The gradient is the slope that was drawn (as torch's noise), also at x == 0 (x <= 0 is negative).
    np.testing.assert_allclose(grad[negative], slopes, rtol=1e-12)
    assert np.all((grad[0, :5] >= lower) & (grad[0, :5] < upper)) and np.all(out[0, :5] == 0)
    # The same seed draws the same slopes; the next call draws new ones.
    pygrad.manual_seed(7)
    again = to_numpy(F.rrelu(to_pygrad(x), lower, upper, training=True))
    np.testing.assert_array_equal(again, out)
    assert not np.array_equal(to_numpy(F.rrelu(to_pygrad(x), lower, upper, True)), out)
    # In place, while training.
    pygrad.manual_seed(7)
    xp = to_pygrad(x)
    assert F.rrelu(xp, lower, upper, True, inplace=True) is xp
    np.testing.assert_array_equal(to_numpy(xp), out)


def test_rrelu_module_is_random_in_training_and_the_mean_slope_in_eval():
    x = make_rng("RReLU").standard_normal((30, 40))
    pm, tm = nn.RReLU(0.2, 0.6), torch.nn.RReLU(0.2, 0.6)
    assert pm.training
    a, b = to_numpy(pm(to_pygrad(x))), to_numpy(pm(to_pygrad(x)))
    assert not np.array_equal(a, b)
    pm.eval()
    tm.eval()
    np.testing.assert_array_equal(to_numpy(pm(to_pygrad(x))), to_numpy(pm(to_pygrad(x))))
    np.testing.assert_allclose(to_numpy(pm(to_pygrad(x))), tm(torch.tensor(x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(pm(to_pygrad(x))), np.where(x > 0, x, 0.4 * x), rtol=1e-12)


# --------------------------------------------------------------------------- softmin and friends
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 2)])
def test_softmin_without_dim_takes_torch_legacy_dim_with_a_warning(shape):
    x = make_rng("softmin", shape).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out_p = F.softmin(to_pygrad(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out_t = TF.softmin(torch.tensor(x))
        out_m = nn.Softmin()(to_pygrad(x))
    np.testing.assert_allclose(to_numpy(out_p), out_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(out_m), out_t.numpy(), rtol=1e-12)


def test_softmin_dtype_casts_first():
    x = make_rng("softmin-dtype").standard_normal((3, 5)).astype(np.float32)
    out_p = F.softmin(to_pygrad(x), 1, dtype=pygrad.float64)
    out_t = TF.softmin(torch.tensor(x), 1, dtype=torch.float64)
    assert out_p.dtype == pygrad.float64
    np.testing.assert_allclose(to_numpy(out_p), out_t.numpy(), rtol=1e-12)


def test_normalize_writes_into_out():
    x = make_rng("normalize-out").standard_normal((4, 3))
    out = pygrad.zeros(4, 3, dtype=pygrad.float64)
    assert F.normalize(to_pygrad(x), out=out) is out
    np.testing.assert_allclose(to_numpy(out), TF.normalize(torch.tensor(x)).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"\[normalize\] out has shape"):
        F.normalize(to_pygrad(x), out=pygrad.zeros(3, 4, dtype=pygrad.float64))


def test_top_level_names_are_the_functional_ones():
    x = make_rng("top-level").standard_normal((2, 4, 2, 2))
    xp, xt = to_pygrad(x), torch.tensor(x)
    for name, args in [("selu", ()), ("celu", ()), ("hardshrink", ()), ("threshold", (0.1, 2.0))]:
        out = getattr(pygrad, name)(xp, *args)
        np.testing.assert_allclose(to_numpy(out), getattr(torch, name)(xt, *args).numpy(), 1e-12)
    for name, args in [
        ("pixel_shuffle", (2,)),
        ("pixel_unshuffle", (2,)),
        ("channel_shuffle", (2,)),
    ]:
        out = getattr(pygrad, name)(xp, *args)
        np.testing.assert_array_equal(to_numpy(out), getattr(torch, name)(xt, *args).numpy())
    w = np.array([0.3, -0.2, 0.5, 1.5])
    np.testing.assert_allclose(
        to_numpy(pygrad.prelu(xp, to_pygrad(w))), torch.prelu(xt, torch.tensor(w)).numpy(), 1e-12
    )
    np.testing.assert_allclose(to_numpy(pygrad.rrelu(xp)), torch.rrelu(xt).numpy(), 1e-12)


# --------------------------------------------------------------------------- integer inputs
INT_OK = [
    ("relu6", lambda f, x: f.relu6(x)),
    ("hardtanh", lambda f, x: f.hardtanh(x, -2.0, 3.0)),
    ("threshold", lambda f, x: f.threshold(x, 1, 7)),
    ("softsign", lambda f, x: f.softsign(x)),
    ("tanhshrink", lambda f, x: f.tanhshrink(x)),
    ("pixel_shuffle", lambda f, x: f.pixel_shuffle(x.reshape(1, 4, 2, 3), 2)),
    ("channel_shuffle", lambda f, x: f.channel_shuffle(x.reshape(2, 4, 3), 2)),
]
INT_REJECTED = "elu selu celu silu mish hardswish hardsigmoid softplus logsigmoid softshrink "
INT_REJECTED += "hardshrink glu rrelu normalize"


@pytest.mark.parametrize("name,fn", INT_OK, ids=[c[0] for c in INT_OK])
def test_integer_input_as_torch(name, fn):
    x = np.arange(-12, 12, dtype=np.int64)
    out_p, out_t = fn(F, pygrad.from_numpy(x.copy())), fn(TF, torch.tensor(x))
    assert dtype_name(out_p.dtype) == dtype_name(out_t.dtype)
    np.testing.assert_allclose(to_numpy(out_p), out_t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", INT_REJECTED.split())
def test_integer_input_rejected_where_torch_rejects_it(name):
    x = np.arange(-4, 4, dtype=np.int64)
    with pytest.raises((RuntimeError, NotImplementedError)):
        getattr(TF, name)(torch.tensor(x))
    with pytest.raises(TypeError, match=rf"\[{name}\] expected a floating-point tensor"):
        getattr(F, name)(pygrad.from_numpy(x.copy()))


def test_prelu_and_softmin_reject_integer_input():
    x = pygrad.tensor([1, -2, 3])
    with pytest.raises(TypeError, match=r"\[prelu\]"):
        F.prelu(x, pygrad.tensor([1]))
    with pytest.raises(TypeError, match=r"\[softmin\]"):
        F.softmin(x, 0)
