"""3-d pooling (max, avg, adaptive max, lp) and its modules against torch: values, indices and input
gradients in float32 and float64 on odd sizes, batched and unbatched, every option; reprs and errors."""

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional

TOL = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}
DTYPES = [np.float32, np.float64]


def run(name, call, shape, dtype, positive=False):
    """call(F, x) with pygrad's F and torch's; compares outputs (and indices) and the input gradient."""
    rng = make_rng(name, shape)
    a = rng.permutation(np.prod(shape)).reshape(shape) / 7.0 - (0 if positive else 3.0)  # no ties
    a = a + (0.5 if positive else 0.0)
    tx = torch.tensor(a.astype(dtype), requires_grad=True)
    x = to_pygrad(a, requires_grad=True, dtype=dtype)
    tout, out = call(TF, tx), call(F, x)
    if isinstance(tout, tuple):
        np.testing.assert_array_equal(to_numpy(out[1]), tout[1].numpy())
        tout, out = tout[0], out[0]
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(to_numpy(out), tout.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(tuple(tout.shape)).astype(dtype)
    tout.backward(torch.from_numpy(g))
    out.backward(to_pygrad(g))
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), **TOL[dtype])


CASES = [
    ("max", lambda f, x: f.max_pool3d(x, 2)),
    ("max-rect", lambda f, x: f.max_pool3d(x, (3, 2, 3), (2, 1, 2))),
    ("max-pad", lambda f, x: f.max_pool3d(x, 3, 2, 1)),
    ("max-pad-rect", lambda f, x: f.max_pool3d(x, (2, 3, 3), 1, (1, 0, 1))),
    ("max-dil", lambda f, x: f.max_pool3d(x, 2, 1, 0, dilation=(2, 1, 2))),
    ("max-ceil", lambda f, x: f.max_pool3d(x, 2, 2, ceil_mode=True)),
    ("max-all-idx", lambda f, x: f.max_pool3d(x, 3, 2, 1, 2, True, return_indices=True)),
    ("max-idx", lambda f, x: f.max_pool3d(x, (2, 3, 2), (1, 2, 1), return_indices=True)),
    ("avg", lambda f, x: f.avg_pool3d(x, 2)),
    ("avg-rect", lambda f, x: f.avg_pool3d(x, (3, 2, 3), (2, 1, 2))),
    ("avg-pad", lambda f, x: f.avg_pool3d(x, 3, 2, 1)),
    ("avg-pad-exclude", lambda f, x: f.avg_pool3d(x, 3, 2, 1, count_include_pad=False)),
    ("avg-ceil", lambda f, x: f.avg_pool3d(x, 2, 2, 1, ceil_mode=True)),
    ("avg-ceil-exclude", lambda f, x: f.avg_pool3d(x, 3, 2, 1, True, False)),
    ("avg-divisor", lambda f, x: f.avg_pool3d(x, 2, 1, divisor_override=3)),
    ("avg-divisor-pad", lambda f, x: f.avg_pool3d(x, 3, 2, 1, True, False, 5)),
    ("amax", lambda f, x: f.adaptive_max_pool3d(x, 2)),
    ("amax-rect", lambda f, x: f.adaptive_max_pool3d(x, (3, 2, 4), return_indices=True)),
    ("amax-none", lambda f, x: f.adaptive_max_pool3d(x, (None, 3, None), return_indices=True)),
    ("amax-up", lambda f, x: f.adaptive_max_pool3d(x, (6, 7, 8), return_indices=True)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 5, 6, 7), (3, 7, 5, 6)])
@pytest.mark.parametrize(("name", "call"), CASES, ids=[c[0] for c in CASES])
def test_pool3d(name, call, shape, dtype):
    run(name, call, shape, dtype)


LP = [
    ("lp2", lambda f, x: f.lp_pool3d(x, 2, 2)),
    ("lp3-stride-ceil", lambda f, x: f.lp_pool3d(x, 3.0, (2, 3, 2), (1, 2, 2), ceil_mode=True)),
    ("lp1.5", lambda f, x: f.lp_pool3d(x, 1.5, 3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "call"), LP, ids=[c[0] for c in LP])
def test_lp_pool3d(name, call, dtype):
    run(name, call, (2, 2, 5, 6, 7), dtype, positive=True)


MODULES = [
    (lambda m: m.MaxPool3d(3, 2, 1, return_indices=True, ceil_mode=True), True),
    (lambda m: m.MaxPool3d((2, 3, 2), dilation=(1, 2, 1)), False),
    (lambda m: m.AvgPool3d(3, 2, 1, count_include_pad=False), False),
    (lambda m: m.AvgPool3d(2, divisor_override=7), False),
    (lambda m: m.AdaptiveMaxPool3d((2, None, 3), return_indices=True), True),
    (lambda m: m.LPPool3d(2, 2, 1), False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("make", "indices"), MODULES)
def test_modules(make, indices, dtype):
    pm, tm = make(nn), make(torch.nn)
    assert repr(pm) == repr(tm)
    run(repr(pm), lambda f, x: (pm if f is F else tm)(x), (2, 2, 5, 6, 7), dtype, positive=True)


def _both_raise(call, exc):
    with pytest.raises(exc):
        call(TF, torch.tensor(np.ones((1, 1, 4, 4, 4))))
    with pytest.raises(exc):
        call(F, to_pygrad(np.ones((1, 1, 4, 4, 4))))


@pytest.mark.parametrize(
    ("call", "exc"),
    [
        (lambda f, x: f.max_pool3d(x, 2, 1, 2), (RuntimeError, ValueError)),
        (lambda f, x: f.avg_pool3d(x, 2, 1, 2), (RuntimeError, ValueError)),
        (lambda f, x: f.max_pool3d(x.reshape(4, 4, 4), 5), (RuntimeError, ValueError)),
        (lambda f, x: f.avg_pool3d(x, 2, divisor_override=0), RuntimeError),
        (lambda f, x: f.max_pool3d(x.reshape(1, 4, 4, 4, 1, 1), 2), (RuntimeError, ValueError)),
    ],
)
def test_errors(call, exc):
    _both_raise(call, exc)
