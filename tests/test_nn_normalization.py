"""The normalisations beyond batch_norm/layer_norm against torch: F.group_norm, F.instance_norm, F.rms_norm,
F.local_response_norm and the modules GroupNorm, InstanceNorm1d/2d/3d, RMSNorm, LocalResponseNorm and
BatchNorm3d. Values and every gradient (input, weight, bias) in float32 and float64 on contiguous and
non-contiguous input; modules loaded from torch modules with randomised parameters and buffers, in train
mode (running statistics after a step) and eval mode; the errors torch raises."""

import warnings
from collections import OrderedDict

import numpy as np
import pytest
from conftest import import_torch, make_rng, non_contiguous, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional

DTYPES = [np.float32, np.float64]
TOL = {np.float32: {"rtol": 1e-4, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}
LAYOUTS = ["contiguous", "step", "transpose"]


def _leaf(array, layout):
    if layout == "contiguous":
        return to_pygrad(array, requires_grad=True)
    return non_contiguous(array, layout, requires_grad=True)


# (id, input shape, parameter shapes (None: not passed), f(F, x, *params)).
FUNCTIONAL = [
    ("group_norm", (2, 6, 5), [(6,), (6,)], lambda f, x, w, b: f.group_norm(x, 3, w, b)),
    (
        "group_norm-4d",
        (3, 4, 3, 2),
        [(4,), (4,)],
        lambda f, x, w, b: f.group_norm(x, 2, w, b, 1e-3),
    ),
    ("group_norm-1group", (2, 4, 3), [], lambda f, x: f.group_norm(x, 1)),
    ("group_norm-per-channel", (2, 4, 3), [(4,)], lambda f, x, w: f.group_norm(x, 4, w)),
    ("group_norm-2d", (5, 6), [(6,), (6,)], lambda f, x, w, b: f.group_norm(x, 2, w, b)),
    ("instance_norm", (2, 3, 5), [], lambda f, x: f.instance_norm(x)),
    (
        "instance_norm-affine",
        (2, 3, 4, 3),
        [(3,), (3,)],
        lambda f, x, w, b: f.instance_norm(x, weight=w, bias=b, eps=1e-3),
    ),
    (
        "instance_norm-5d",
        (2, 2, 3, 2, 2),
        [(2,), (2,)],
        lambda f, x, w, b: f.instance_norm(x, None, None, w, b),
    ),
    ("rms_norm", (3, 4, 5), [(5,)], lambda f, x, w: f.rms_norm(x, [5], w)),
    ("rms_norm-tuple-shape", (3, 5), [], lambda f, x: f.rms_norm(x, (5,))),
    ("rms_norm-2dims", (2, 4, 5), [(4, 5)], lambda f, x, w: f.rms_norm(x, (4, 5), w, 1e-3)),
    ("local_response_norm", (2, 5, 4), [], lambda f, x: f.local_response_norm(x, 3)),
    (
        "local_response_norm-4d",
        (2, 6, 3, 2),
        [],
        lambda f, x: f.local_response_norm(x, 4, alpha=0.1, beta=0.6, k=2.0),
    ),
    ("local_response_norm-5d", (1, 4, 2, 2, 3), [], lambda f, x: f.local_response_norm(x, 2, 0.5)),
    ("local_response_norm-wide", (2, 3, 4), [], lambda f, x: f.local_response_norm(x, 7, 1.0)),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,shape,pshapes,fn", FUNCTIONAL, ids=[c[0] for c in FUNCTIONAL])
def test_functional_matches_torch(name, shape, pshapes, fn, dtype, layout):
    rng = make_rng("functional", name, layout)
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    params = [rng.uniform(-1.0, 2.0, size=s).astype(dtype) for s in pshapes]
    xp = _leaf(x, layout)
    pp = [to_pygrad(p, requires_grad=True) for p in params]
    xt = torch.tensor(x, requires_grad=True)
    pt = [torch.tensor(p, requires_grad=True) for p in params]
    out_p, out_t = fn(F, xp, *pp), fn(TF, xt, *pt)
    assert out_p.dtype == getattr(pygrad, np.dtype(dtype).name)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_p * to_pygrad(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    for a, b in zip([xp, *pp], [xt, *pt]):
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_running_stats(dtype, use_input_stats):
    rng = make_rng("instance_norm-running", use_input_stats)
    x = rng.standard_normal((3, 4, 6)).astype(dtype)
    rm, rv = rng.standard_normal(4).astype(dtype), rng.uniform(0.5, 2.0, 4).astype(dtype)
    rm_p, rv_p = to_pygrad(rm), to_pygrad(rv)
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
    xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_p = F.instance_norm(xp, rm_p, rv_p, None, None, use_input_stats, 0.3)
    out_t = TF.instance_norm(xt, rm_t, rv_t, None, None, use_input_stats, 0.3)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(to_numpy(rm_p), rm_t.numpy(), **TOL[dtype])
    np.testing.assert_allclose(to_numpy(rv_p), rv_t.numpy(), **TOL[dtype])
    if use_input_stats:  # the update really happened
        assert not np.allclose(to_numpy(rm_p), rm)
    out_p.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), **TOL[dtype])


def test_rms_norm_default_eps_is_the_dtype_epsilon():
    # A tiny input shows eps: torch uses finfo(float32).eps for float32 and finfo(float64).eps for float64.
    for dtype in (np.float32, np.float64):
        x = np.full((2, 3), 1e-4, dtype=dtype)
        np.testing.assert_allclose(
            to_numpy(F.rms_norm(to_pygrad(x), [3])),
            TF.rms_norm(torch.tensor(x), [3]).numpy(),
            **TOL[dtype],
        )


# (id, build(nn or torch.nn), input shape).
MODULES = [
    ("GroupNorm", lambda m: m.GroupNorm(2, 6), (3, 6, 4)),
    ("GroupNorm-noaffine", lambda m: m.GroupNorm(3, 6, eps=1e-3, affine=False), (2, 6, 2, 3)),
    ("GroupNorm-nobias", lambda m: m.GroupNorm(1, 4, bias=False), (2, 4, 5)),
    ("InstanceNorm1d", lambda m: m.InstanceNorm1d(3), (2, 3, 5)),
    ("InstanceNorm1d-unbatched", lambda m: m.InstanceNorm1d(3, affine=True), (3, 5)),
    (
        "InstanceNorm1d-track",
        lambda m: m.InstanceNorm1d(3, momentum=0.2, affine=True, track_running_stats=True),
        (4, 3, 5),
    ),
    (
        "InstanceNorm2d-track",
        lambda m: m.InstanceNorm2d(4, track_running_stats=True),
        (2, 4, 3, 3),
    ),
    ("InstanceNorm2d-affine", lambda m: m.InstanceNorm2d(2, affine=True, bias=False), (2, 2, 3, 2)),
    (
        "InstanceNorm3d-track",
        lambda m: m.InstanceNorm3d(2, affine=True, track_running_stats=True),
        (2, 2, 2, 3, 2),
    ),
    ("InstanceNorm3d-unbatched", lambda m: m.InstanceNorm3d(2), (2, 2, 3, 2)),
    (
        "InstanceNorm1d-momentum-none",
        lambda m: m.InstanceNorm1d(3, momentum=None, track_running_stats=True),
        (2, 3, 4),
    ),
    ("RMSNorm", lambda m: m.RMSNorm(5), (3, 4, 5)),
    ("RMSNorm-shape", lambda m: m.RMSNorm([4, 5], eps=1e-4), (2, 4, 5)),
    ("RMSNorm-noaffine", lambda m: m.RMSNorm(5, elementwise_affine=False), (3, 5)),
    ("LocalResponseNorm", lambda m: m.LocalResponseNorm(3), (2, 5, 4)),
    ("LocalResponseNorm-args", lambda m: m.LocalResponseNorm(2, 0.01, 0.5, 2.0), (2, 4, 3, 3)),
    ("BatchNorm3d", lambda m: m.BatchNorm3d(3), (2, 3, 2, 3, 2)),
    ("BatchNorm3d-momentum-none", lambda m: m.BatchNorm3d(2, momentum=None), (3, 2, 2, 2, 2)),
    ("BatchNorm3d-noaffine", lambda m: m.BatchNorm3d(2, affine=False, eps=1e-3), (2, 2, 2, 2, 3)),
    (
        "BatchNorm3d-untracked",
        lambda m: m.BatchNorm3d(2, track_running_stats=False),
        (2, 2, 2, 2, 3),
    ),
]


def load_randomised(tm, pm, rng):
    """Randomises torch module tm's parameters and floating buffers, then loads its state into pm."""
    with torch.no_grad():
        for name, t in tm.state_dict().items():
            if name.endswith("running_var"):
                t.copy_(torch.tensor(rng.uniform(0.5, 2.0, tuple(t.shape))))
            elif name.endswith("num_batches_tracked"):
                t.fill_(3)
            else:
                t.copy_(torch.tensor(rng.uniform(-1.0, 1.5, tuple(t.shape))))
    pm.load_state_dict(
        OrderedDict((k, pygrad.from_numpy(v.numpy().copy())) for k, v in tm.state_dict().items())
    )


def compare_state(pm, tm, dtype):
    ps, ts = pm.state_dict(), tm.state_dict()
    assert list(ps) == list(ts)
    for k in ts:
        np.testing.assert_allclose(to_numpy(ps[k]), ts[k].numpy(), **TOL[dtype], err_msg=k)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,build,shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, build, shape, dtype):
    pm, tm = build(nn), build(torch.nn)
    assert repr(pm) == repr(tm)
    assert pm.extra_repr() == tm.extra_repr()
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in pm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    if dtype == np.float64:
        pm.double()
        tm.double()
    rng = make_rng("module", name)
    load_randomised(tm, pm, rng)
    for step in range(2):  # two training steps: running statistics accumulate as torch's
        x = (rng.standard_normal(shape) * 1.5 + 0.3).astype(dtype)
        xp = non_contiguous(x, "step", requires_grad=True) if step else to_pygrad(x, True)
        xt = torch.tensor(x, requires_grad=True)
        out_p, out_t = pm(xp), tm(xt)
        np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
        g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
        (out_p * to_pygrad(g)).sum().backward()
        (out_t * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), **TOL[dtype])
        for (pname, pp), (tname, tp) in zip(pm.named_parameters(), tm.named_parameters()):
            assert pname == tname
            np.testing.assert_allclose(to_numpy(pp.grad), tp.grad.numpy(), **TOL[dtype])
        compare_state(pm, tm, dtype)
    pm.eval()
    tm.eval()
    x = rng.standard_normal(shape).astype(dtype)
    xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_p, out_t = pm(xp), tm(xt)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    out_p.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), **TOL[dtype])
    compare_state(pm, tm, dtype)


def test_modules_default_arguments_as_torch():
    for cls, args in [
        ("GroupNorm", (2, 4)),
        ("InstanceNorm1d", (3,)),
        ("InstanceNorm2d", (3,)),
        ("InstanceNorm3d", (3,)),
        ("RMSNorm", (4,)),
        ("LocalResponseNorm", (2,)),
        ("BatchNorm3d", (3,)),
    ]:
        pm, tm = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
        assert repr(pm) == repr(tm)
        for k, v in tm.state_dict().items():
            np.testing.assert_array_equal(to_numpy(pm.state_dict()[k]), v.numpy())


def test_instance_norm_warns_on_channel_mismatch_without_affine():
    m = nn.InstanceNorm1d(5)
    with pytest.warns(UserWarning, match="does not match num_features"):
        m(pygrad.ones(2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm1d(3)(pygrad.ones(2, 3, 4))


def _t(*shape):
    return torch.ones(*shape)


def _p(*shape):
    return pygrad.ones(*shape)


ERRORS = [
    ("group_norm-1d", lambda f, m, t: f.group_norm(t(4), 2), RuntimeError, "at least 2 dim"),
    (
        "group_norm-divisible",
        lambda f, m, t: f.group_norm(t(2, 5, 3), 2),
        RuntimeError,
        "divisible",
    ),
    ("group_norm-one-value", lambda f, m, t: f.group_norm(t(1, 2), 2), ValueError, "more than 1"),
    ("group_norm-int", lambda f, m, t: f.group_norm(t(2, 4).long(), 2), RuntimeError, ""),
    ("GroupNorm-divisible", lambda f, m, t: m.GroupNorm(3, 4), ValueError, "divisible"),
    ("instance_norm-spatial", lambda f, m, t: f.instance_norm(t(2, 3, 1)), ValueError, "spatial"),
    ("InstanceNorm1d-dims", lambda f, m, t: m.InstanceNorm1d(3)(t(2, 3, 4, 5)), ValueError, "3D"),
    ("InstanceNorm2d-dims", lambda f, m, t: m.InstanceNorm2d(3)(t(3, 4)), ValueError, "4D"),
    ("InstanceNorm3d-dims", lambda f, m, t: m.InstanceNorm3d(3)(t(3, 4, 5)), ValueError, "5D"),
    (
        "InstanceNorm-affine-mismatch",
        lambda f, m, t: m.InstanceNorm1d(4, affine=True)(t(2, 3, 5)),
        ValueError,
        "num_features",
    ),
    ("rms_norm-shape", lambda f, m, t: f.rms_norm(t(3, 4), [3]), RuntimeError, "normalized_shape"),
    (
        "rms_norm-weight",
        lambda f, m, t: f.rms_norm(t(3, 4), [4], t(3)),
        RuntimeError,
        "",
    ),
    (
        "local_response_norm-2d",
        lambda f, m, t: f.local_response_norm(t(3, 4), 2),
        ValueError,
        "3D or higher",
    ),
    ("BatchNorm3d-dims", lambda f, m, t: m.BatchNorm3d(3)(t(2, 3, 4, 5)), ValueError, "5D"),
]


@pytest.mark.parametrize("name,call,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_where_torch_raises(name, call, exc, match):
    with pytest.raises(exc, match=match or None):
        call(TF, torch.nn, _t)
    op = name.split("-")[0]
    # An integer input is a TypeError here (as pygrad's other float-only composites), RuntimeError in torch.
    with pytest.raises(TypeError if name.endswith("-int") else exc) as info:
        call(F, nn, _p)
    assert f"[{op}]" in str(info.value) or op == "InstanceNorm", str(info.value)
    assert match.lower() in str(info.value).lower()


def test_modules_live_where_torch_has_them():
    for name in ("GroupNorm", "InstanceNorm1d", "RMSNorm", "LocalResponseNorm", "BatchNorm3d"):
        assert getattr(nn, name) is getattr(pygrad.nn.modules, name)
        assert name in pygrad.nn.modules.__all__
    for name in ("group_norm", "instance_norm", "rms_norm", "local_response_norm"):
        assert name in F.__all__
