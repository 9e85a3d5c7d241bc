"""The dropout variants: F.dropout1d/2d/3d, F.alpha_dropout, F.feature_alpha_dropout and the modules Dropout1d/2d/3d,
AlphaDropout, FeatureAlphaDropout. Masks come from pygrad's generator and can't equal torch's, so these
check structure (whole channels dropped, the two values alpha dropout gives), statistics against torch's
over many draws, gradients against the mask, seeding, eval and p=0/p=1 against torch, and the errors and
warnings torch gives."""

import math
import warnings

import numpy as np
import pytest
from conftest import import_torch, make_rng, non_contiguous, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional

ALPHA = 1.7580993408473766

# (name, input shape, channel mask shape: the dims one random draw spans).
CHANNEL = [
    ("dropout1d", (40, 50, 3), (40, 50, 1)),
    ("dropout1d", (500, 4), (500, 1)),
    ("dropout2d", (20, 50, 2, 3), (20, 50, 1, 1)),
    ("dropout3d", (10, 50, 2, 2, 2), (10, 50, 1, 1, 1)),
    ("dropout3d", (300, 2, 3, 2), (300, 1, 1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("p", [0.2, 0.6])
@pytest.mark.parametrize(
    "name,shape,mask_shape", CHANNEL, ids=[f"{c[0]}-{len(c[1])}d" for c in CHANNEL]
)
def test_channel_dropout_drops_whole_channels(name, shape, mask_shape, p, dtype):
    rng = make_rng(name, shape, p)
    x = rng.uniform(0.5, 2.0, size=shape).astype(dtype)
    xp = non_contiguous(x, "step", requires_grad=True)
    out = getattr(F, name)(xp, p)
    assert out.dtype == xp.dtype and tuple(out.shape) == shape
    ratio = to_numpy(out) / x
    # Each channel is all dropped (0) or all kept (scaled by 1/(1-p)).
    kept = ratio.reshape(*mask_shape[: mask_shape.index(1)], -1)
    assert np.all(np.isclose(kept, 0) | np.isclose(kept, 1 / (1 - p), rtol=1e-6))
    np.testing.assert_allclose(kept.min(-1), kept.max(-1), rtol=1e-6)
    dropped = np.mean(kept[..., 0] == 0)
    n = kept[..., 0].size
    assert abs(dropped - p) < 4 * math.sqrt(p * (1 - p) / n)
    # torch drops the same share of channels on the same shapes.
    t_kept = (TF.__dict__[name](torch.tensor(x), p) == 0).numpy().reshape(kept.shape)[..., 0]
    assert abs(dropped - t_kept.mean()) < 6 * math.sqrt(p * (1 - p) / n)
    # The gradient is the mask scaled by 1/(1-p), as the output's ratio to the input.
    g = rng.standard_normal(shape).astype(dtype)
    (out * to_pygrad(g)).sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), g * ratio, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_mean_and_variance_as_torch(name, p):
    rng = make_rng(name, p)
    x = rng.standard_normal((200, 100, 8))
    xp = to_pygrad(x, requires_grad=True)
    out = getattr(F, name)(xp, p, True)
    a = 1 / math.sqrt((ALPHA**2 * p + 1) * (1 - p))
    y = to_numpy(out)
    dropped_value = a * (ALPHA * p - ALPHA)
    is_dropped = np.isclose(y, dropped_value, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y[~is_dropped], (x * a + ALPHA * a * p)[~is_dropped], rtol=1e-12)
    if name == "feature_alpha_dropout":  # whole channels
        per_channel = is_dropped.reshape(200, 100, -1)
        assert np.all(per_channel.all(-1) | ~per_channel.any(-1))
    assert abs(is_dropped.mean() - p) < 0.02
    yt = TF.__dict__[name](torch.tensor(x), p, True).numpy()
    # Both keep zero mean and unit variance of standard normal input.
    for v in (y, yt):
        assert abs(v.mean()) < 0.03 and abs(v.var() - 1) < 0.05
    assert abs(y.mean() - yt.mean()) < 0.05 and abs(y.var() - yt.var()) < 0.08
    out.sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), np.where(is_dropped, 0.0, a), rtol=1e-12)


ALL = ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]
SHAPES = {"dropout1d": (2, 3, 4), "dropout2d": (2, 3, 2, 2), "dropout3d": (2, 3, 2, 2, 2)}


@pytest.mark.parametrize("name", ALL)
def test_eval_p0_and_p1_as_torch(name):
    x = make_rng("edge", name).standard_normal(SHAPES.get(name, (2, 3, 4))).astype(np.float32)
    xp = to_pygrad(x)
    assert getattr(F, name)(xp, 0.5, False) is xp
    assert getattr(F, name)(xp, 0.0, True) is xp
    out = getattr(F, name)(xp, 1.0, True)
    np.testing.assert_array_equal(
        to_numpy(out), TF.__dict__[name](torch.tensor(x), 1.0, True).numpy()
    )
    np.testing.assert_array_equal(to_numpy(out), np.zeros_like(x))
    if name.startswith("dropout"):  # training defaults to True
        assert not np.array_equal(to_numpy(getattr(F, name)(xp)), x)
    else:  # training defaults to False, as torch
        assert getattr(F, name)(xp) is xp


@pytest.mark.parametrize("name", ALL)
def test_masks_follow_the_seed(name):
    x = pygrad.ones(*SHAPES.get(name, (4, 6, 5)))
    pygrad.manual_seed(7)
    a = to_numpy(getattr(F, name)(x, 0.5, True))
    pygrad.manual_seed(7)
    b = to_numpy(getattr(F, name)(x, 0.5, True))
    c = to_numpy(getattr(F, name)(x, 0.5, True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d"])
def test_inplace_writes_into_the_input(name):
    x = pygrad.ones(*SHAPES[name]) * 2.0
    out = getattr(F, name)(x, 0.5, True, True)
    assert out is x
    values = np.unique(to_numpy(x))
    assert set(values.tolist()) <= {0.0, 4.0}
    leaf = pygrad.ones(*SHAPES[name], requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"\[{name}\].*leaf"):
        getattr(F, name)(leaf, 0.5, True, True)


MODULES = [
    ("Dropout1d", lambda m: m.Dropout1d(), (3, 5, 4)),
    ("Dropout2d", lambda m: m.Dropout2d(0.3), (2, 5, 3, 3)),
    ("Dropout3d", lambda m: m.Dropout3d(p=0.25, inplace=True), (2, 4, 2, 2, 2)),
    ("AlphaDropout", lambda m: m.AlphaDropout(0.2), (4, 6)),
    ("FeatureAlphaDropout", lambda m: m.FeatureAlphaDropout(0.4), (3, 4, 5)),
]


@pytest.mark.parametrize("name,build,shape", MODULES, ids=[m[0] for m in MODULES])
def test_modules_as_torch(name, build, shape):
    pm, tm = build(nn), build(torch.nn)
    assert repr(pm) == repr(tm) and pm.extra_repr() == tm.extra_repr()
    assert list(pm.state_dict()) == list(tm.state_dict()) == []
    x = pygrad.ones(*shape) * 3.0
    out = pm(x * 1.0)
    assert tuple(out.shape) == shape and not np.allclose(to_numpy(out), 3.0)
    pm.eval()
    np.testing.assert_array_equal(to_numpy(pm(x)), to_numpy(x))
    assert isinstance(pm, nn.Module) and getattr(nn, name) is type(pm)


ERRORS = [
    ("dropout1d", lambda f: f.dropout1d(_ones(f, 2, 3, 4, 5)), RuntimeError, "2D or 3D"),
    ("dropout1d", lambda f: f.dropout1d(_ones(f, 2, 3), 1.5), ValueError, "between 0 and 1"),
    ("dropout2d", lambda f: f.dropout2d(_ones(f, 2, 3, 2, 2), -0.1), ValueError, "between 0 and 1"),
    ("dropout3d", lambda f: f.dropout3d(_ones(f, 2, 3, 2, 2), 2.0), ValueError, "between 0 and 1"),
    ("alpha_dropout", lambda f: f.alpha_dropout(_ones(f, 3), 1.1), ValueError, "between 0 and 1"),
    (
        "feature_alpha_dropout",
        lambda f: f.feature_alpha_dropout(_ones(f, 3), 0.5, True),
        RuntimeError,
        "at least 2 dimensions",
    ),
    ("Dropout2d", lambda f: _mod(f).Dropout2d(1.5), ValueError, "between 0 and 1"),
    ("AlphaDropout", lambda f: _mod(f).AlphaDropout(-1), ValueError, "between 0 and 1"),
]


def _ones(f, *shape):
    return torch.ones(*shape) if f is TF else pygrad.ones(*shape)


def _mod(f):
    return torch.nn if f is TF else nn


@pytest.mark.parametrize(
    "op,call,exc,match", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)]
)
def test_errors_where_torch_raises(op, call, exc, match):
    with pytest.raises(exc, match=match):
        call(TF)
    with pytest.raises(exc, match=match) as info:
        call(F)
    assert f"[{op}]" in str(info.value)


def test_warnings_as_torch():
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        F.dropout2d(pygrad.ones(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        F.dropout2d(pygrad.ones(2, 3), 0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        F.dropout3d(pygrad.ones(2, 3, 4), 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(pygrad.ones(2, 3, 4, 4), 0.5)
        F.dropout3d(pygrad.ones(3, 4, 4, 2), 0.5)
