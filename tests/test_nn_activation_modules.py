"""The activation modules against torch.nn: forward and gradients (PReLU's weight too) in float32 and
float64, repr/extra_repr, state_dict keys, train and eval mode, in place; the errors torch raises."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad
from test_nn_activations import DTYPES, SHAPE, TOL, dtype_name, grad_tolerance, kinked

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional


# (id, build(nn) -> module, input shape): forward, gradients (also of PReLU's weight, copied from a
# torch module whose weight was randomised first), repr (so extra_repr), state_dict keys.
MODULES = [
    ("ReLU6", lambda m: m.ReLU6(), SHAPE),
    ("ReLU6-inplace", lambda m: m.ReLU6(True), SHAPE),
    ("Hardtanh", lambda m: m.Hardtanh(), SHAPE),
    ("Hardtanh-range", lambda m: m.Hardtanh(-2, 2.5, True), SHAPE),
    ("ELU", lambda m: m.ELU(), SHAPE),
    ("ELU-alpha", lambda m: m.ELU(0.5, inplace=True), SHAPE),
    ("SELU", lambda m: m.SELU(), SHAPE),
    ("SELU-inplace", lambda m: m.SELU(True), SHAPE),
    ("CELU", lambda m: m.CELU(), SHAPE),
    ("CELU-alpha", lambda m: m.CELU(2.0, True), SHAPE),
    ("SiLU", lambda m: m.SiLU(), SHAPE),
    ("SiLU-inplace", lambda m: m.SiLU(inplace=True), SHAPE),
    ("Mish", lambda m: m.Mish(), SHAPE),
    ("Mish-inplace", lambda m: m.Mish(True), SHAPE),
    ("Hardswish", lambda m: m.Hardswish(), SHAPE),
    ("Hardswish-inplace", lambda m: m.Hardswish(True), SHAPE),
    ("Hardsigmoid", lambda m: m.Hardsigmoid(), SHAPE),
    ("Hardsigmoid-inplace", lambda m: m.Hardsigmoid(True), SHAPE),
    ("Softplus", lambda m: m.Softplus(), SHAPE),
    ("Softplus-beta", lambda m: m.Softplus(2, 1.5), SHAPE),
    ("Softsign", lambda m: m.Softsign(), SHAPE),
    ("Softshrink", lambda m: m.Softshrink(), SHAPE),
    ("Softshrink-lambd", lambda m: m.Softshrink(1.0), SHAPE),
    ("Hardshrink", lambda m: m.Hardshrink(0.3), SHAPE),
    ("Tanhshrink", lambda m: m.Tanhshrink(), SHAPE),
    ("Threshold", lambda m: m.Threshold(0.1, 20), SHAPE),
    ("Threshold-inplace", lambda m: m.Threshold(-0.5, -3.0, True), SHAPE),
    ("LogSigmoid", lambda m: m.LogSigmoid(), SHAPE),
    ("Softmin", lambda m: m.Softmin(1), SHAPE),
    ("Softmin-last", lambda m: m.Softmin(dim=-1), SHAPE),
    ("GLU", lambda m: m.GLU(), SHAPE),
    ("GLU-dim", lambda m: m.GLU(1), SHAPE),
    ("PReLU", lambda m: m.PReLU(), SHAPE),
    ("PReLU-channels", lambda m: m.PReLU(4, 0.1), SHAPE),
    ("PReLU-image", lambda m: m.PReLU(4), (2, 4, 3, 3)),
    ("Softmax2d", lambda m: m.Softmax2d(), (2, 4, 3, 3)),
    ("Softmax2d-unbatched", lambda m: m.Softmax2d(), (4, 3, 3)),
]


def copy_parameters(tm, pm):
    """Randomises torch module tm's parameters, then loads them into pygrad module pm."""
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(-0.5, 1.5)
    pm.load_state_dict(
        OrderedDict((k, pygrad.from_numpy(v.numpy().copy())) for k, v in tm.state_dict().items())
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,build,shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, build, shape, dtype):
    pm, tm = build(nn), build(torch.nn)
    assert repr(pm) == repr(tm)
    assert pm.extra_repr() == tm.extra_repr()
    assert list(pm.state_dict()) == list(tm.state_dict())
    if dtype == np.float64:
        pm.double()
        tm.double()
    copy_parameters(tm, pm)
    rng = make_rng("module", name)
    x = kinked(rng, shape, [0, 0.5, -0.5, 3, -3], dtype)
    xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    # An in-place module can't overwrite a leaf: run it on a copy, as one would in a model.
    out_p, out_t = pm(xp * 1.0), tm(xt * 1.0)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_p * to_pygrad(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(
        to_numpy(xp.grad), xt.grad.numpy(), **(grad_tolerance(name, dtype) or TOL[dtype])
    )
    for (pname, pp), (tname, tp) in zip(pm.named_parameters(), tm.named_parameters()):
        assert pname == tname and pp.dtype == getattr(pygrad, dtype_name(tp.dtype))
        np.testing.assert_allclose(to_numpy(pp.grad), tp.grad.numpy(), **TOL[dtype])
    # Nothing here is random: train and eval mode give the same output.
    pm.eval()
    np.testing.assert_allclose(to_numpy(pm(xp * 1.0)), to_numpy(out_p), rtol=0, atol=0)


def test_prelu_parameter_as_torch():
    pm, tm = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert pm.num_parameters == 3 and pm.init == 0.1
    assert isinstance(pm.weight, nn.Parameter) and pm.weight.shape == (3,)
    np.testing.assert_array_equal(to_numpy(pm.weight), tm.weight.detach().numpy())
    assert [n for n, _ in pm.named_parameters()] == ["weight"]
    assert nn.PReLU(dtype=pygrad.float64).weight.dtype == pygrad.float64
    with pygrad.no_grad():
        pm.weight.fill_(3.0)
    pm.reset_parameters()
    np.testing.assert_array_equal(to_numpy(pm.weight), np.full(3, 0.1, np.float32))
    # Learnable: one SGD step moves the weight of the negative inputs' channel only.
    opt = pygrad.optim.SGD(pm.parameters(), lr=1.0)
    x = pygrad.tensor([[1.0, -2.0, 3.0]])
    pm(x).sum().backward()
    opt.step()
    np.testing.assert_allclose(to_numpy(pm.weight), [0.1, 2.1, 0.1], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[prelu\] mismatch of parameter numbers"):
        pm(pygrad.ones(2, 4))


def test_hardtanh_module_checks_its_range_and_takes_the_deprecated_names():
    with pytest.raises(AssertionError):
        torch.nn.Hardtanh(1.0, 1.0)
    with pytest.raises(ValueError, match=r"\[Hardtanh\] max_val \(1.0\) must be greater"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.warns(UserWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-3.0)
    with pytest.warns(UserWarning, match="max_value"):
        m2 = nn.Hardtanh(max_value=4.0)
    assert (m.min_val, m.max_val, m2.min_val, m2.max_val) == (-3.0, 1.0, -1.0, 4.0)
    assert isinstance(nn.ReLU6(), nn.Hardtanh) and nn.ReLU6().max_val == 6.0


def test_inplace_module_returns_its_input():
    x = pygrad.tensor([-1.0, 0.5, 7.0])
    for m in (
        nn.ReLU6(True),
        nn.ELU(inplace=True),
        nn.Threshold(0.0, 9.0, True),
        nn.RReLU(inplace=True),
    ):
        assert m(x) is x


def test_modules_live_where_torch_has_them():
    from pygrad.nn.modules import activation, flatten, padding, pixelshuffle

    for name in ("ELU", "PReLU", "Hardtanh", "ReLU6", "RReLU", "Softmin", "Softmax2d", "GLU"):
        assert getattr(activation, name) is getattr(nn, name)
    assert padding.ZeroPad2d is nn.ZeroPad2d and pixelshuffle.PixelShuffle is nn.PixelShuffle
    assert flatten.Unflatten is nn.Unflatten
    for name in nn.modules.__all__:
        assert hasattr(torch.nn, name), name


# --------------------------------------------------------------------------- errors
def _t(*shape, dtype=torch.float32):
    return torch.ones(*shape, dtype=dtype)


def _p(*shape, dtype=pygrad.float32):
    return pygrad.ones(*shape, dtype=dtype)


# (id, call(f, make) with f a functional module and make(*shape) a tensor factory,
#  pygrad's exception, a regex its message must match). torch must raise on the same call.
ERRORS = [
    (
        "celu-alpha-0",
        lambda f, t: f.celu(t(2), alpha=0.0),
        ValueError,
        r"\[celu\] alpha cannot be 0",
    ),
    ("softshrink-negative", lambda f, t: f.softshrink(t(2), -1.0), ValueError, r"\[softshrink\]"),
    (
        "hardtanh-range",
        lambda f, t: f.hardtanh(t(2), 2.0, 1.0),
        ValueError,
        r"\[hardtanh\] min_val",
    ),
    ("rrelu-bounds", lambda f, t: f.rrelu(t(2), 0.5, 0.2), ValueError, r"\[rrelu\] lower bound"),
    ("rrelu-bounds-train", lambda f, t: f.rrelu(t(2), 0.5, 0.2, True), ValueError, r"\[rrelu\]"),
    (
        "glu-odd",
        lambda f, t: f.glu(t(2, 3), 1),
        ValueError,
        r"\[glu\] halving dimension must be even",
    ),
    ("glu-scalar", lambda f, t: f.glu(t()), ValueError, r"\[glu\] glu does not support scalars"),
    ("glu-dim", lambda f, t: f.glu(t(2, 4), 2), IndexError, r"\[glu\] dimension out of range"),
    ("prelu-count", lambda f, t: f.prelu(t(2, 3), t(2)), ValueError, r"\[prelu\] mismatch"),
    ("prelu-1d-input", lambda f, t: f.prelu(t(3), t(3)), ValueError, r"channel size = 1"),
    (
        "prelu-2d-weight",
        lambda f, t: f.prelu(t(2, 3), t(1, 3)),
        ValueError,
        r"\[prelu\] expected weight",
    ),
    (
        "softmin-dim",
        lambda f, t: f.softmin(t(2, 3), 2),
        IndexError,
        r"\[softmin\] dimension out of range",
    ),
    ("normalize-dim", lambda f, t: f.normalize(t(3), dim=1), IndexError, r"\[normalize\]"),
    (
        "pixel_shuffle-rank",
        lambda f, t: f.pixel_shuffle(t(4, 4), 2),
        ValueError,
        r"at least 3 dimensions",
    ),
    (
        "pixel_shuffle-channels",
        lambda f, t: f.pixel_shuffle(t(1, 5, 2, 2), 2),
        ValueError,
        r"input.size\(-3\)=5 is not divisible by 4",
    ),
    (
        "pixel_shuffle-factor",
        lambda f, t: f.pixel_shuffle(t(1, 4, 2, 2), 0),
        ValueError,
        r"\[pixel_shuffle\] expects a positive upscale_factor",
    ),
    (
        "pixel_shuffle-float",
        lambda f, t: f.pixel_shuffle(t(1, 4, 2, 2), 2.0),
        TypeError,
        r"\[pixel_shuffle\] upscale_factor must be an int",
    ),
    (
        "pixel_unshuffle-rank",
        lambda f, t: f.pixel_unshuffle(t(4, 4), 2),
        ValueError,
        r"\[pixel_unshuffle\]",
    ),
    (
        "pixel_unshuffle-height",
        lambda f, t: f.pixel_unshuffle(t(1, 1, 3, 4), 2),
        ValueError,
        r"height to be divisible",
    ),
    (
        "pixel_unshuffle-width",
        lambda f, t: f.pixel_unshuffle(t(1, 1, 4, 3), 2),
        ValueError,
        r"input.size\(-1\)=3",
    ),
    (
        "pixel_unshuffle-factor",
        lambda f, t: f.pixel_unshuffle(t(1, 1, 4, 4), -1),
        ValueError,
        r"positive downscale_factor",
    ),
    (
        "channel_shuffle-rank",
        lambda f, t: f.channel_shuffle(t(2, 4), 2),
        ValueError,
        r"\[channel_shuffle\] expects input with > 2 dims",
    ),
    (
        "channel_shuffle-groups",
        lambda f, t: f.channel_shuffle(t(2, 3, 4), 2),
        ValueError,
        r"divisible by groups",
    ),
    (
        "channel_shuffle-zero",
        lambda f, t: f.channel_shuffle(t(2, 4, 4), 0),
        ValueError,
        r"positive groups",
    ),
]


@pytest.mark.parametrize("name,call,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_where_torch_raises(name, call, exc, match):
    with pytest.raises(Exception):  # noqa: B017  (torch's type varies: RuntimeError, ValueError, ...)
        call(TF, _t)
    with pytest.raises(exc, match=match):
        call(F, _p)


def test_softmax2d_wants_3d_or_4d_input():
    with pytest.raises(ValueError):
        torch.nn.Softmax2d()(_t(2, 3))
    with pytest.raises(ValueError, match=r"\[Softmax2d\] expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(_p(2, 3))
