"""The pooling functions beyond the 2-d kernels and their modules against torch: values, indices and
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


CASES_1D = [
    ("max", lambda f, x: f.max_pool1d(x, 3)),
    ("max-stride-pad", lambda f, x: f.max_pool1d(x, 4, 2, 2)),
    ("max-dil-ceil", lambda f, x: f.max_pool1d(x, 3, 2, 1, dilation=2, ceil_mode=True)),
    ("max-idx", lambda f, x: f.max_pool1d(x, (3,), (2,), 1, return_indices=True)),
    ("avg", lambda f, x: f.avg_pool1d(x, 3)),
    ("avg-pad-ceil", lambda f, x: f.avg_pool1d(x, 4, 3, 2, ceil_mode=True)),
    ("avg-exclude", lambda f, x: f.avg_pool1d(x, 3, 2, 1, count_include_pad=False)),
    ("aavg", lambda f, x: f.adaptive_avg_pool1d(x, 4)),
    ("aavg-up", lambda f, x: f.adaptive_avg_pool1d(x, 13)),
    ("amax", lambda f, x: f.adaptive_max_pool1d(x, 3)),
    ("amax-idx", lambda f, x: f.adaptive_max_pool1d(x, 4, return_indices=True)),
    ("lp2", lambda f, x: f.lp_pool1d(x, 2, 3)),
    ("lp3-stride-ceil", lambda f, x: f.lp_pool1d(x, 3.0, 2, 3, ceil_mode=True)),
]
CASES_2D = [
    ("amax", lambda f, x: f.adaptive_max_pool2d(x, (3, 2))),
    ("amax-none", lambda f, x: f.adaptive_max_pool2d(x, (None, 4), return_indices=True)),
    ("amax-int", lambda f, x: f.adaptive_max_pool2d(x, 5, return_indices=True)),
    ("lp2", lambda f, x: f.lp_pool2d(x, 2, 3)),
    ("lp-rect", lambda f, x: f.lp_pool2d(x, 1.5, (2, 3), (1, 2), ceil_mode=True)),
    ("max2d-dil-ceil", lambda f, x: f.max_pool2d(x, 3, 2, 1, 2, True, return_indices=True)),
    ("avg2d-options", lambda f, x: f.avg_pool2d(x, 3, 2, 1, True, False)),
    ("avg2d-divisor", lambda f, x: f.avg_pool2d(x, 2, 1, 0, False, True, divisor_override=3)),
]
CASES_3D = [
    ("aavg3", lambda f, x: f.adaptive_avg_pool3d(x, (2, 3, 4))),
    ("aavg3-none", lambda f, x: f.adaptive_avg_pool3d(x, (None, 1, 2))),
    ("aavg3-int", lambda f, x: f.adaptive_avg_pool3d(x, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize(("name", "call"), CASES_1D, ids=[c[0] for c in CASES_1D])
def test_pool1d(name, call, batched, dtype):
    shape = (2, 3, 11) if batched else (3, 11)
    run(name, call, shape, dtype, positive=name.startswith("lp"))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize(("name", "call"), CASES_2D, ids=[c[0] for c in CASES_2D])
def test_pool2d(name, call, batched, dtype):
    shape = (2, 3, 7, 9) if batched else (3, 7, 9)
    run(name, call, shape, dtype, positive=name.startswith("lp"))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize(("name", "call"), CASES_3D, ids=[c[0] for c in CASES_3D])
def test_pool3d(name, call, batched, dtype):
    run(name, call, (2, 3, 5, 4, 7) if batched else (3, 5, 4, 7), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize(
    ("pool", "output_size"),
    [((2,), None), ((3, 2, 1), (12,)), ((3, 2, 1), (2, 3, 12)), ((3, 2), (12,))],
)
def test_max_unpool1d(pool, output_size, dtype):
    def call(f, x):
        v, i = f.max_pool1d(x, *pool, return_indices=True)  # (3, 2, 1) gives repeated indices
        return f.max_unpool1d(v * 2, i, *pool, output_size=output_size)

    run("unpool1d", call, (2, 3, 12), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize(
    ("shape", "output_size"), [((8, 8), None), ((8, 9), (8, 9)), ((7, 9), (2, 3, 7, 9))]
)
def test_max_unpool2d(shape, output_size, dtype):
    def call(f, x):
        v, i = f.max_pool2d(x, 2, return_indices=True)
        return f.max_unpool2d(v, i, 2, output_size=output_size)

    run("unpool2d", call, (2, 3, *shape), dtype)
    run("unpool2d-unbatched", call, (3, *shape), dtype)


MODULES = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, (2, 3, 11)),
    ("MaxPool1d", (2,), {}, (3, 9)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 11)),
    ("AvgPool1d", (4,), {"ceil_mode": True}, (3, 11)),
    ("AdaptiveAvgPool1d", (5,), {}, (2, 3, 11)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 3, 5, 4, 7)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 11)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (3, 7, 9)),
    ("LPPool1d", (2, 3), {"stride": 2}, (2, 3, 11)),
    ("LPPool2d", (1.5, (2, 3)), {"ceil_mode": True}, (2, 3, 7, 9)),
]


@pytest.mark.parametrize(("cls", "args", "kwargs", "shape"), MODULES, ids=lambda v: str(v))
def test_modules(cls, args, kwargs, shape):
    ours, ref = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(ours) == repr(ref)
    run(
        cls,
        lambda f, x: ref(x) if f is TF else ours(x),
        shape,
        np.float64,
        positive=cls.startswith("LP"),
    )


def test_index_modules():
    for cls, shape in [("MaxPool1d", (2, 3, 10)), ("AdaptiveMaxPool1d", (2, 3, 10))]:
        arg = 2 if cls == "MaxPool1d" else 5
        ours, ref = (
            getattr(nn, cls)(arg, return_indices=True),
            getattr(torch.nn, cls)(arg, return_indices=True),
        )
        run(cls, lambda f, x, o=ours, r=ref: r(x) if f is TF else o(x), shape, np.float32)
    for n, shape in [(1, (2, 3, 10)), (2, (2, 3, 6, 8))]:
        pool, unpool = (
            getattr(nn, f"MaxPool{n}d")(2, return_indices=True),
            getattr(nn, f"MaxUnpool{n}d")(2),
        )
        tpool, tunpool = (
            getattr(torch.nn, f"MaxPool{n}d")(2, return_indices=True),
            getattr(torch.nn, f"MaxUnpool{n}d")(2),
        )
        assert repr(unpool) == repr(tunpool)
        run(
            f"unpool{n}",
            lambda f, x, p=pool, u=unpool, tp=tpool, tu=tunpool: (
                tu(*tp(x)) if f is TF else u(*p(x))
            ),
            shape,
            np.float64,
        )


ERRORS = [
    (lambda f, x: f.max_pool1d(x.reshape(24), 2), "max_pool1d"),
    (lambda f, x: f.avg_pool1d(x.reshape(1, 1, 2, 12), 2), "avg_pool1d"),
    (lambda f, x: f.adaptive_avg_pool3d(x, 2), "adaptive_avg_pool3d"),
    (lambda f, x: f.adaptive_max_pool2d(x.reshape(24), 2), "adaptive_max_pool2d"),
    (lambda f, x: f.max_unpool1d(x, x.long(), 2, output_size=(40,)), "max_unpool1d"),
]


@pytest.mark.parametrize(("call", "op"), ERRORS, ids=[e[1] for e in ERRORS])
def test_errors(call, op):
    a = np.zeros((2, 3, 4))
    with pytest.raises((RuntimeError, ValueError)):
        call(TF, torch.from_numpy(a))
    with pytest.raises((RuntimeError, ValueError), match=rf"\[{op}\]"):
        call(F, to_pygrad(a))
