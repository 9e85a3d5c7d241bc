"""F.interpolate, the deprecated upsample forms and the Upsample modules against torch: values and
gradients in float32 and float64 for every mode, odd sizes, up and down scaling, size or scale_factor,
align_corners, recompute_scale_factor, non-contiguous input; module reprs and the errors torch raises."""

import warnings

import numpy as np
import pytest
from conftest import import_torch, make_rng, non_contiguous, to_numpy, to_pygrad

import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}
DTYPES = [np.float32, np.float64]

# (mode, spatial input shape): each mode at the ranks torch accepts.
MODE_SHAPES = [
    ("nearest", (7,)),
    ("nearest", (5, 3)),
    ("nearest", (3, 4, 5)),
    ("nearest-exact", (7,)),
    ("nearest-exact", (5, 3)),
    ("nearest-exact", (3, 4, 5)),
    ("area", (7,)),
    ("area", (5, 9)),
    ("area", (3, 4, 5)),
    ("linear", (7,)),
    ("bilinear", (5, 3)),
    ("bicubic", (5, 3)),
    ("trilinear", (3, 4, 5)),
]
SIZES = [
    {"size": 1},
    {"size": 2},
    {"size": 11},
    {"scale_factor": 0.5},
    {"scale_factor": 1.7},
    {"scale_factor": 2.0},
    {"scale_factor": 3.0},
    {"scale_factor": 1.0},
    {"scale_factor": 2.5, "recompute_scale_factor": True},
    {"scale_factor": 0.6, "recompute_scale_factor": True},
]
INTERP = {"linear", "bilinear", "bicubic", "trilinear"}


def check(mode, shape, kwargs, dtype, align_corners=None, layout="contiguous", batch=(2, 3)):
    rng = make_rng("interpolate", mode, shape, str(kwargs), align_corners)
    a = rng.standard_normal((*batch, *shape))
    tx = torch.tensor(a.astype(dtype), requires_grad=True)
    ty = TF.interpolate(tx, mode=mode, align_corners=align_corners, **kwargs)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    ty.backward(torch.from_numpy(g))
    if layout == "contiguous":
        x = to_pygrad(a, requires_grad=True, dtype=dtype)
    else:
        x = non_contiguous(a.astype(dtype), layout, requires_grad=True)
    y = F.interpolate(x, mode=mode, align_corners=align_corners, **kwargs)
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(to_numpy(y), ty.detach().numpy(), **TOL[dtype])
    y.backward(to_pygrad(g))
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", SIZES, ids=str)
@pytest.mark.parametrize(("mode", "shape"), MODE_SHAPES, ids=str)
def test_interpolate_matches_torch(mode, shape, kwargs, dtype):
    for ac in [False, True] if mode in INTERP else [None]:
        check(mode, shape, kwargs, dtype, align_corners=ac)


@pytest.mark.parametrize("n_in", [1, 2, 3, 5, 13])
@pytest.mark.parametrize("n_out", [1, 2, 4, 6, 9, 26])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "area"])
def test_interpolate_size_sweep(mode, n_in, n_out):
    check(mode, (n_in,), {"size": n_out}, np.float32)
    if mode == "linear":
        check(mode, (n_in,), {"size": n_out}, np.float64, align_corners=True)


@pytest.mark.parametrize("scale", [0.3, 1 / 3, 0.75, 1.25, 1.5, 2.2, 4.0])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
def test_interpolate_scale_sweep(mode, scale):
    """A scale factor reaches the kernel as 1/scale: not the same indices as in/out of the size."""
    check(mode, (7, 11), {"scale_factor": scale}, np.float32)
    check(mode, (7, 11), {"scale_factor": (scale, 1.3)}, np.float64)


AA_SIZES = [
    {"size": (3, 2)},
    {"size": (1, 1)},
    {"size": (2, 7)},  # down one axis, up the other
    {"size": (9, 13)},  # up only: the borders still differ from the plain kernel
    {"size": (12, 11)},  # unchanged sizes
    {"scale_factor": 0.3},
    {"scale_factor": (0.45, 0.7)},
    {"scale_factor": 0.5, "recompute_scale_factor": True},
    {"scale_factor": 1.7},
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", AA_SIZES, ids=str)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias(mode, kwargs, dtype):
    for ac in (False, True):
        check(mode, (12, 11), {**kwargs, "antialias": True}, dtype, align_corners=ac)


@pytest.mark.parametrize("n_in", [1, 2, 5, 17])
@pytest.mark.parametrize("n_out", [1, 3, 4, 8])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_size_sweep(mode, n_in, n_out):
    check(mode, (n_in, 3), {"size": (n_out, 2), "antialias": True}, np.float64, batch=(1, 1))
    check(mode, (3, n_in), {"size": (1, n_out), "antialias": True}, np.float64, True, batch=(1, 2))


@pytest.mark.parametrize("layout", ["step", "transpose"])
@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_interpolate_non_contiguous(mode, layout):
    check(mode, (5, 6), {"size": (7, 4)}, np.float64, layout=layout)


def test_interpolate_size_tuple_and_area_empty():
    check("trilinear", (3, 4, 5), {"size": (2, 7, 5)}, np.float64, align_corners=True)
    # torch gives an empty output for area (and only area) when a size rounds to 0
    x = to_pygrad(np.ones((2, 3, 4, 5)))
    ref = TF.interpolate(torch.ones(2, 3, 4, 5), scale_factor=0.2, mode="area")
    assert (
        tuple(F.interpolate(x, scale_factor=0.2, mode="area").shape)
        == tuple(ref.shape)
        == (2, 3, 0, 1)
    )


def test_deprecated_forms_warn_and_match():
    a = make_rng("upsample").standard_normal((1, 2, 3, 4))
    x, tx = to_pygrad(a), torch.from_numpy(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [
            (F.upsample(x, scale_factor=2, mode="bilinear"), TF.upsample(tx, None, 2, "bilinear")),
            (F.upsample_nearest(x, size=(5, 7)), TF.upsample_nearest(tx, size=(5, 7))),
            (F.upsample_bilinear(x, scale_factor=1.5), TF.upsample_bilinear(tx, scale_factor=1.5)),
        ]
    for ours, ref in pairs:
        np.testing.assert_allclose(to_numpy(ours), ref.numpy(), rtol=1e-12, atol=1e-12)
    with pytest.warns(UserWarning, match="deprecated"):
        F.upsample(x, size=5)


@pytest.mark.parametrize(
    ("ours", "ref", "text"),
    [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2), "scale_factor=2.0"),
        (
            nn.Upsample(size=(3, 5), mode="bilinear"),
            torch.nn.Upsample(size=(3, 5), mode="bilinear"),
            "size",
        ),
        (
            nn.Upsample(scale_factor=(2, 1.5), mode="bicubic", align_corners=True),
            torch.nn.Upsample(scale_factor=(2, 1.5), mode="bicubic", align_corners=True),
            "(2.0, 1.5)",
        ),
        (
            nn.UpsamplingNearest2d(scale_factor=3),
            torch.nn.UpsamplingNearest2d(scale_factor=3),
            "nearest",
        ),
        (nn.UpsamplingBilinear2d(size=7), torch.nn.UpsamplingBilinear2d(size=7), "bilinear"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_upsample_modules(ours, ref, text):
    assert repr(ours) == repr(ref)
    assert text in repr(ours)
    a = make_rng("Upsample", repr(ours)).standard_normal((2, 3, 4, 5))
    x, tx = to_pygrad(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = ours(x), ref(tx)
    np.testing.assert_allclose(to_numpy(y), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_upsample_module_trilinear_and_recompute():
    m = nn.Upsample(scale_factor=1.7, mode="trilinear", recompute_scale_factor=True)
    tm = torch.nn.Upsample(scale_factor=1.7, mode="trilinear", recompute_scale_factor=True)
    a = make_rng("Upsample3d").standard_normal((1, 2, 3, 4, 5))
    np.testing.assert_allclose(
        to_numpy(m(to_pygrad(a))), tm(torch.from_numpy(a)).numpy(), rtol=1e-10
    )


ERRORS = [
    ({"size": 4, "mode": "nearest", "align_corners": True}, ValueError, 4),
    ({"size": 4, "mode": "area", "align_corners": False}, ValueError, 4),
    ({"size": 4, "scale_factor": 2.0}, ValueError, 4),
    ({}, ValueError, 4),
    ({"size": (4, 4, 4)}, ValueError, 4),
    ({"scale_factor": (2.0,)}, ValueError, 4),
    ({"size": 4, "recompute_scale_factor": True}, ValueError, 4),
    ({"size": 4, "mode": "bilinear"}, NotImplementedError, 3),
    ({"size": 4, "mode": "linear"}, NotImplementedError, 4),
    ({"size": 4, "mode": "trilinear"}, NotImplementedError, 4),
    ({"size": 4, "mode": "bicubic"}, NotImplementedError, 5),
    ({"size": 4, "mode": "cubic"}, NotImplementedError, 4),
    ({"size": 4}, NotImplementedError, 2),
    ({"size": 4}, NotImplementedError, 6),
    ({"size": 0}, RuntimeError, 4),
    ({"scale_factor": 0.1}, RuntimeError, 3),
    ({"size": 4, "mode": "bilinear", "antialias": True}, ValueError, 3),
    ({"size": 4, "mode": "bicubic", "antialias": True}, ValueError, 5),
    ({"size": 4, "mode": "nearest", "antialias": True}, ValueError, 4),
]


@pytest.mark.parametrize(("kwargs", "exc", "ndim"), ERRORS, ids=str)
def test_interpolate_errors(kwargs, exc, ndim):
    shape = (2, 3, 4, 5, 3, 2)[:ndim]
    with pytest.raises(exc):
        TF.interpolate(torch.zeros(shape), **kwargs)
    with pytest.raises(exc, match=r"\[interpolate\]"):
        F.interpolate(to_pygrad(np.zeros(shape)), **kwargs)
