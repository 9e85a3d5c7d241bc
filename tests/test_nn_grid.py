"""F.affine_grid and F.grid_sample against torch: values and the gradients w.r.t. input, grid and theta
in float32 and float64 on odd sizes, 4-d and 5-d, every mode (bicubic: 4-d, as torch), padding mode
and align_corners; errors."""

import warnings

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad.nn.functional as F

torch = import_torch()
TF = torch.nn.functional

TOL = {np.float32: {"rtol": 1e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}
DTYPES = [np.float32, np.float64]
MODES = ["bilinear", "nearest"]
PADDING = ["zeros", "border", "reflection"]
SHAPES = {4: ((2, 3, 5, 7), (2, 4, 3, 2)), 5: ((2, 2, 3, 5, 4), (2, 3, 2, 3, 3))}


def _pair(a, dtype):
    return torch.tensor(a.astype(dtype), requires_grad=True), to_pygrad(
        a, requires_grad=True, dtype=dtype
    )


def _grad(t):
    return np.zeros(tuple(t.shape)) if t.grad is None else to_numpy(t.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDING)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rank", [4, 5])
def test_grid_sample(rank, mode, padding, align, dtype):
    shape, gshape = SHAPES[rank]
    rng = make_rng("grid_sample", rank, mode, padding, align)
    a = rng.standard_normal(shape)
    span = 3.2 if padding == "reflection" else 1.4  # several reflections; some points outside
    gr = rng.uniform(-span, span, gshape)
    tx, x = _pair(a, dtype)
    tg, g = _pair(gr, dtype)
    tout = TF.grid_sample(tx, tg, mode, padding, align)
    out = F.grid_sample(x, g, mode, padding, align)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(to_numpy(out), tout.detach().numpy(), **TOL[dtype])
    go = rng.standard_normal(tuple(tout.shape)).astype(dtype)
    tout.backward(torch.from_numpy(go))
    out.backward(to_pygrad(go))
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), **TOL[dtype])
    tgg = np.zeros(gshape) if tg.grad is None else tg.grad.numpy()
    np.testing.assert_allclose(_grad(g), tgg, **TOL[dtype])
    assert out.dtype == x.dtype


BICUBIC_SHAPES = [
    ((2, 3, 5, 7), (2, 4, 3, 2)),
    ((1, 1, 1, 1), (1, 2, 3, 2)),  # a single pixel: every tap but one is padding
    ((1, 2, 2, 3), (1, 1, 1, 2)),
    ((2, 1, 6, 1), (2, 5, 2, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDING)
@pytest.mark.parametrize("shapes", BICUBIC_SHAPES, ids=lambda s: "x".join(map(str, s[0])))
def test_grid_sample_bicubic(shapes, padding, align, dtype):
    shape, gshape = shapes
    rng = make_rng("grid_sample_bicubic", shape, padding, align)
    a = rng.standard_normal(shape)
    span = 3.2 if padding == "reflection" else 1.6  # several reflections; some taps outside
    gr = rng.uniform(-span, span, gshape)
    tx, x = _pair(a, dtype)
    tg, g = _pair(gr, dtype)
    tout = TF.grid_sample(tx, tg, "bicubic", padding, align)
    out = F.grid_sample(x, g, "bicubic", padding, align)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(to_numpy(out), tout.detach().numpy(), **TOL[dtype])
    go = rng.standard_normal(tuple(tout.shape)).astype(dtype)
    tout.backward(torch.from_numpy(go))
    out.backward(to_pygrad(go))
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(_grad(g), tg.grad.numpy(), **TOL[dtype])
    assert out.dtype == x.dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_grid_sample_identity_and_exact_positions(dtype):
    a = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) / 3.0
    theta = np.tile(np.array([[1.0, 0, 0], [0, 1, 0]]), (2, 1, 1))
    for align in (False, True):
        grid = F.affine_grid(to_pygrad(theta, dtype=dtype), (2, 3, 4, 5), align_corners=align)
        for mode in [*MODES, "bicubic"]:
            out = F.grid_sample(to_pygrad(a, dtype=dtype), grid, mode, "zeros", align)
            np.testing.assert_allclose(to_numpy(out), a, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 5, 7), (2, 1, 1, 4), (3, 2, 4, 3, 5), (1, 1, 1, 2, 1)])
def test_affine_grid(size, align, dtype):
    rng = make_rng("affine_grid", size, align)
    th = rng.standard_normal((size[0], len(size) - 2, len(size) - 1))
    tt, t = _pair(th, dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tout = TF.affine_grid(tt, size, align_corners=align)
        n_torch = len(caught)
        out = F.affine_grid(t, size, align_corners=align)
    assert len(caught) == 2 * n_torch  # the unit-size warning where torch gives it
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(to_numpy(out), tout.detach().numpy(), **TOL[dtype])
    go = rng.standard_normal(tuple(tout.shape)).astype(dtype)
    tout.backward(torch.from_numpy(go))
    out.backward(to_pygrad(go))
    np.testing.assert_allclose(to_numpy(t.grad), tt.grad.numpy(), **TOL[dtype])


def test_affine_grid_then_grid_sample_gradient_to_theta():
    rng = make_rng("affine+sample")
    a = rng.standard_normal((2, 3, 6, 5))
    th = np.tile(np.array([[0.9, 0.2, 0.1], [-0.3, 1.1, -0.05]]), (2, 1, 1))
    tx, x = _pair(a, np.float64)
    tt, t = _pair(th, np.float64)
    tout = TF.grid_sample(tx, TF.affine_grid(tt, (2, 3, 4, 7), False), align_corners=False)
    out = F.grid_sample(x, F.affine_grid(t, (2, 3, 4, 7), False), align_corners=False)
    tout.sum().backward()
    out.sum().backward()
    np.testing.assert_allclose(to_numpy(t.grad), tt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_default_align_corners_warns():
    x = to_pygrad(np.ones((1, 1, 2, 2)))
    g = to_pygrad(np.zeros((1, 1, 1, 2)))
    with pytest.warns(UserWarning):
        F.grid_sample(x, g)
    with pytest.warns(UserWarning):
        F.affine_grid(to_pygrad(np.zeros((1, 2, 3))), (1, 1, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, g, align_corners=False)


def _both_raise(call, exc):
    """call(F, to) raises exc with torch's functions and tensors and with pygrad's."""
    with pytest.raises(exc):
        call(TF, torch.tensor)
    with pytest.raises(exc):
        call(F, to_pygrad)


@pytest.mark.parametrize(
    ("call", "exc"),
    [
        (
            lambda f, t: f.grid_sample(
                t(np.ones((1, 1, 2, 2))), t(np.zeros((1, 1, 1, 2))), "cubic", align_corners=False
            ),
            ValueError,
        ),
        (
            lambda f, t: f.grid_sample(
                t(np.ones((1, 1, 2, 2))),
                t(np.zeros((1, 1, 1, 2))),
                padding_mode="wrap",
                align_corners=False,
            ),
            ValueError,
        ),
        (
            lambda f, t: f.grid_sample(
                t(np.ones((1, 1, 2, 2))), t(np.zeros((1, 1, 1, 3))), align_corners=False
            ),
            RuntimeError,
        ),
        (
            lambda f, t: f.grid_sample(
                t(np.ones((1, 1, 2, 2))), t(np.zeros((2, 1, 1, 2))), align_corners=False
            ),
            RuntimeError,
        ),
        (
            lambda f, t: f.grid_sample(
                t(np.ones((1, 1, 2, 2))), t(np.zeros((1, 1, 1, 1, 3))), align_corners=False
            ),
            RuntimeError,
        ),
        (
            lambda f, t: f.grid_sample(
                t(np.ones((1, 2, 2))), t(np.zeros((1, 1, 2))), align_corners=False
            ),
            RuntimeError,
        ),
        (
            lambda f, t: f.grid_sample(
                t(np.ones((1, 1, 2, 2, 2))),
                t(np.zeros((1, 1, 1, 1, 3))),
                "bicubic",
                align_corners=False,
            ),
            RuntimeError,
        ),
        (lambda f, t: f.affine_grid(t(np.zeros((1, 2, 3))), (1, 1, 2, 2, 2), False), ValueError),
        (lambda f, t: f.affine_grid(t(np.zeros((1, 3, 4))), (1, 1, 2, 2), False), ValueError),
        (lambda f, t: f.affine_grid(t(np.zeros((1, 2, 3))), (1, 1, 2), False), NotImplementedError),
        (lambda f, t: f.affine_grid(t(np.zeros((1, 2, 3))), (1, 1, 0, 2), False), ValueError),
    ],
)
def test_errors(call, exc):
    _both_raise(call, exc)


def test_dtype_mismatch_raises():
    x = to_pygrad(np.ones((1, 1, 2, 2)), dtype=np.float32)
    g = to_pygrad(np.zeros((1, 1, 1, 2)), dtype=np.float64)
    with pytest.raises(RuntimeError, match=r"\[grid_sample\]"):
        F.grid_sample(x, g, align_corners=False)
