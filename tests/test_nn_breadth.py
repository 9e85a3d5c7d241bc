"""The nn breadth additions against torch 2.13: Fold/Unfold, the lazy modules (shape inference,
class swap, state_dict, optimizer before the first forward), gumbel_softmax, the *_with_indices
aliases, the nn.utils additions (clip/fuse/skip_init/functional_call), MaxUnpool3d, SyncBatchNorm."""

import warnings

import numpy as np
import pytest
from conftest import import_torch, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=rtol, atol=atol)


def copy_state(src, dst):
    """torch module -> pygrad module, every parameter and buffer by name."""
    dst.load_state_dict({k: to_pygrad(v.detach().numpy()) for k, v in src.state_dict().items()})


def check_pair(tm, pm, shape, seed=0):
    """Same input through a torch and a pygrad module: output and input/parameter gradients."""
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    tx = torch.tensor(a, requires_grad=True)
    x = to_pygrad(a, requires_grad=True)
    tout, out = tm(tx), pm(x)
    close(out, tout, 1e-4, 1e-5)
    g = np.random.default_rng(seed + 1).standard_normal(tuple(tout.shape)).astype(np.float32)
    tout.backward(torch.from_numpy(g))
    out.backward(to_pygrad(g))
    close(x.grad, tx.grad, 1e-4, 1e-5)
    for (n, p), (tn, tp) in zip(pm.named_parameters(), tm.named_parameters()):
        assert n == tn
        close(p.grad, tp.grad, 1e-4, 1e-4)


# --------------------------------------------------------------------------- Fold / Unfold
@pytest.mark.parametrize(
    "kw",
    [{"kernel_size": 2}, {"kernel_size": (2, 3), "dilation": 2, "padding": 1, "stride": (1, 2)}],
)
def test_unfold_fold_modules(kw):
    tu, pu = torch.nn.Unfold(**kw), nn.Unfold(**kw)
    assert repr(pu) == repr(tu)
    check_pair(tu, pu, (2, 3, 7, 8))
    cols = tu(torch.zeros(2, 3, 7, 8))
    tf, pf = torch.nn.Fold((7, 8), **kw), nn.Fold((7, 8), **kw)
    assert repr(pf) == repr(tf)
    check_pair(tf, pf, tuple(cols.shape))
    assert pf.state_dict() == {} and pu.state_dict() == {}


def test_fold_errors():
    with pytest.raises(ValueError):
        nn.Fold((4, 4), 2)(pygrad.zeros(1, 5, 9))  # 5 not divisible by 4
    with pytest.raises(ValueError):
        nn.Unfold(2)(pygrad.zeros(5))


# --------------------------------------------------------------------------- lazy modules
LAZY = [
    ("LazyLinear", (4,), {}, (3, 5)),
    ("LazyLinear", (4,), {"bias": False}, (2, 3, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (4, 3), {"groups": 2, "stride": 2}, (2, 6, 7, 7)),
    ("LazyConv2d", (4, 3), {"bias": False}, (3, 7, 7)),  # unbatched
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "output_padding": 1, "stride": 2}, (2, 4, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (4, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"bias": False}, (2, 3, 3, 3, 3)),
]


@pytest.mark.parametrize(("name", "args", "kw", "shape"), LAZY)
def test_lazy_module_against_torch(name, args, kw, shape):
    tm, pm = getattr(torch.nn, name)(*args, **kw), getattr(nn, name)(*args, **kw)
    assert repr(pm) == repr(tm)
    assert pm.has_uninitialized_params()
    tsd, psd = tm.state_dict(), pm.state_dict()
    assert list(psd) == list(tsd)
    for k, v in tsd.items():  # the placeholders themselves, as torch
        assert type(psd[k]).__name__ == type(v).__name__
    zeros = torch.zeros(shape)
    tm(zeros)
    pm(pygrad.zeros(*shape))
    assert type(pm).__name__ == type(tm).__name__ and type(pm) is getattr(nn, type(tm).__name__)
    assert repr(pm) == repr(tm)
    assert not hasattr(pm, "has_uninitialized_params") or not pm.has_uninitialized_params()
    assert list(pm.state_dict()) == list(tm.state_dict())
    for (n, p), (_, tp) in zip(pm.named_parameters(), tm.named_parameters()):
        assert type(p) is nn.Parameter and tuple(p.shape) == tuple(tp.shape), n
    if name.startswith(("LazyLinear", "LazyConv")):
        # Initialised as the ordinary layer: kaiming_uniform(a=sqrt(5)) bound 1/sqrt(fan_in).
        fan_in = np.prod(pm.weight.shape[1:]) if "Transpose" not in name else None
        if fan_in:
            assert np.abs(to_numpy(pm.weight)).max() <= 1 / np.sqrt(fan_in) + 1e-6
    # The same math as torch with copied state, train then eval.
    tm.train()
    pm.train()
    copy_state(tm, pm)
    check_pair(tm, pm, shape, seed=3)
    for k, v in tm.state_dict().items():  # running statistics updated alike
        close(pm.state_dict()[k], v, 1e-4, 1e-5)
    tm.eval()
    pm.eval()
    with torch.no_grad():
        a = np.random.default_rng(9).standard_normal(shape).astype(np.float32)
        close(pm(to_pygrad(a)), tm(torch.from_numpy(a)), 1e-4, 1e-5)


def test_lazy_optimizer_before_first_forward():
    m = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
    opt = pygrad.optim.SGD(m.parameters(), lr=0.1)
    params = list(m.parameters())
    x = pygrad.randn(5, 3)
    m(x).pow(2).mean().backward()
    before = [to_numpy(p).copy() for p in params]
    opt.step()
    # The optimizer's references are the materialised parameters themselves: SGD moved them.
    assert [id(p) for p in params] == [id(p) for p in m.parameters()]
    assert [tuple(p.shape) for p in params] == [(8, 3), (8,), (2, 8), (2,)]
    assert all(type(p) is nn.Parameter for p in params)
    for p, old in zip(params, before):
        np.testing.assert_allclose(to_numpy(p), old - 0.1 * to_numpy(p.grad), rtol=1e-6, atol=1e-7)


def test_lazy_load_state_dict_materialises():
    src = nn.Linear(6, 3)
    lazy = nn.LazyLinear(3)
    lazy.load_state_dict(src.state_dict())
    assert tuple(lazy.weight.shape) == (3, 6) and not lazy.has_uninitialized_params()
    np.testing.assert_array_equal(to_numpy(lazy.weight), to_numpy(src.weight))
    x = pygrad.randn(2, 6)
    np.testing.assert_allclose(to_numpy(lazy(x)), to_numpy(src(x)), rtol=1e-6)
    assert type(lazy) is nn.Linear and lazy.in_features == 6
    bn = nn.LazyBatchNorm2d()
    bn.load_state_dict(nn.BatchNorm2d(5).state_dict())
    assert tuple(bn.running_mean.shape) == (5,)


def test_lazy_errors_and_params():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(pygrad.zeros(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match="Expected 3D"):
        nn.LazyConv2d(4, 3)(pygrad.zeros(5, 5))
    p = nn.UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3)
    assert nn.parameter.is_lazy(nn.UninitializedBuffer())
    # Unbatched lazy instance norm takes its channels from dim 0.
    m = nn.LazyInstanceNorm1d()
    m(pygrad.randn(4, 7))
    assert m.num_features == 4


def test_lazy_conv_and_norm_load_state_dict_sizes():
    conv = nn.LazyConvTranspose2d(4, 3, groups=2)
    conv.load_state_dict(nn.ConvTranspose2d(6, 4, 3, groups=2).state_dict())
    conv(pygrad.zeros(1, 6, 3, 3))
    assert type(conv) is nn.ConvTranspose2d and conv.in_channels == 6
    bn = nn.LazyBatchNorm1d()
    bn.load_state_dict(nn.BatchNorm1d(5).state_dict())
    bn(pygrad.zeros(2, 5))
    assert type(bn) is nn.BatchNorm1d and bn.num_features == 5


# --------------------------------------------------------------------------- gumbel_softmax
def test_gumbel_softmax_statistics_and_straight_through():
    pygrad.manual_seed(0)
    logits = to_pygrad(np.array([[1.0, 0.0, -1.0, 2.0]], dtype=np.float32))
    big = logits.expand(20000, 4).contiguous()
    soft = F.gumbel_softmax(big, tau=0.5)
    np.testing.assert_allclose(to_numpy(soft.sum(-1)), 1.0, rtol=1e-5)
    # The argmax of logits + Gumbel noise is a sample of softmax(logits) (the Gumbel-max trick).
    hard = F.gumbel_softmax(big, hard=True)
    freq = to_numpy(hard).mean(0)
    np.testing.assert_allclose(
        freq, torch.softmax(torch.tensor([1.0, 0.0, -1.0, 2.0]), 0), atol=0.015
    )
    assert set(np.unique(to_numpy(hard))) == {0.0, 1.0} and (to_numpy(hard).sum(-1) == 1).all()
    # Straight-through: the gradient is the soft sample's softmax Jacobian (rows sum to zero).
    x = to_pygrad(np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32), True)
    pygrad.manual_seed(1)
    y = F.gumbel_softmax(x, tau=2.0, hard=True, dim=1)
    w = np.random.default_rng(1).standard_normal((6, 5)).astype(np.float32)
    (y * to_pygrad(w)).sum().backward()
    pygrad.manual_seed(1)
    xs = to_pygrad(to_numpy(x), True)
    ys = F.gumbel_softmax(xs, tau=2.0, dim=1)
    (ys * to_pygrad(w)).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), to_numpy(xs.grad), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_numpy(x.grad).sum(1), 0, atol=1e-5)
    assert (to_numpy(y).argmax(1) == to_numpy(ys).argmax(1)).all()
    # Low temperature: soft samples approach one-hot.
    cold = to_numpy(F.gumbel_softmax(big[:100], tau=0.01))
    assert (cold.max(-1) > 0.99).mean() > 0.95


# --------------------------------------------------------------------------- pooling aliases
@pytest.mark.parametrize(
    ("name", "args", "shape"),
    [
        ("max_pool1d_with_indices", (3, 2, 1), (2, 3, 11)),
        ("max_pool2d_with_indices", (3, 2, 1), (2, 3, 9, 8)),
        ("max_pool3d_with_indices", (2,), (1, 2, 5, 6, 4)),
        ("adaptive_max_pool1d_with_indices", (4,), (2, 3, 11)),
        ("adaptive_max_pool2d_with_indices", ((3, 2),), (2, 3, 9, 8)),
        ("adaptive_max_pool3d_with_indices", (2,), (1, 2, 5, 6, 4)),
    ],
)
def test_with_indices_aliases(name, args, shape):
    a = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape).astype(np.float32)
    tx = torch.tensor(a, requires_grad=True)
    x = to_pygrad(a, requires_grad=True)
    tv, ti = getattr(TF, name)(tx, *args)
    v, i = getattr(F, name)(x, *args)
    close(v, tv)
    np.testing.assert_array_equal(to_numpy(i), ti.numpy())
    tv.sum().backward()
    v.sum().backward()
    close(x.grad, tx.grad)


def test_max_unpool3d_against_torch():
    a = np.random.default_rng(2).permutation(2 * 3 * 6 * 5 * 4).reshape(2, 3, 6, 5, 4) / 10.0
    a = a.astype(np.float32)
    tv, ti = TF.max_pool3d(torch.from_numpy(a), 2, 2, return_indices=True)
    pv, pi = F.max_pool3d(to_pygrad(a), 2, 2, return_indices=True)
    close(pv, tv)
    np.testing.assert_array_equal(to_numpy(pi), ti.numpy())
    tm, pm = torch.nn.MaxUnpool3d(2), nn.MaxUnpool3d(2)
    assert repr(pm) == repr(tm)
    tv = tv.detach().requires_grad_(True)
    x = to_pygrad(tv.detach().numpy(), True)
    tout, out = tm(tv, ti, (6, 5, 4)), pm(x, pi, (6, 5, 4))
    close(out, tout)
    g = np.random.default_rng(3).standard_normal(tuple(tout.shape)).astype(np.float32)
    tout.backward(torch.from_numpy(g))
    out.backward(to_pygrad(g))
    close(x.grad, tv.grad)
    close(
        F.max_unpool3d(x, pi, 2, output_size=[2, 3, 6, 5, 4]),
        TF.max_unpool3d(tv, ti, 2, output_size=[2, 3, 6, 5, 4]),
    )


# --------------------------------------------------------------------------- nn.utils
def test_clip_grad_norm_alias_and_clip_grads_with_norm():
    rng = np.random.default_rng(4)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]
    tps = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    pps = [to_pygrad(np.zeros(g.shape, np.float32), True) for g in grads]
    for tp, pp, g in zip(tps, pps, grads):
        tp.grad, pp.grad = torch.from_numpy(g.copy()), to_pygrad(g.copy())
    with pytest.warns(FutureWarning):
        total = nn.utils.clip_grad_norm(pps, 1.5)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, 1.5)
    close(total, ttotal)
    for tp, pp in zip(tps, pps):
        close(pp.grad, tp.grad)
    # The two halves: get_total_norm then clip_grads_with_norm_, with a norm of any origin.
    norm = nn.utils.get_total_norm([p.grad for p in pps], 3.0)
    tnorm = torch.nn.utils.get_total_norm([p.grad for p in tps], 3.0)
    close(norm, tnorm)
    nn.utils.clip_grads_with_norm_(pps, 0.5, norm)
    torch.nn.utils.clip_grads_with_norm_(tps, 0.5, tnorm)
    for tp, pp in zip(tps, pps):
        close(pp.grad, tp.grad)


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 4, 3, bias=False)
    assert type(m) is nn.Linear and tuple(m.weight.shape) == (3, 4) and m.bias is None
    with pytest.raises(RuntimeError, match="device"):
        nn.utils.skip_init(nn.ReLU)


@pytest.mark.parametrize(
    ("conv", "transpose"),
    [("Conv2d", False), ("Conv1d", False), ("ConvTranspose2d", True), ("Conv3d", False)],
)
def test_fuse_conv_bn_eval(conv, transpose):
    n = int(conv[-2])
    tc = getattr(torch.nn, conv)(4, 6, 3, bias=conv != "Conv1d")
    tb = getattr(torch.nn, f"BatchNorm{n}d")(6)
    with torch.no_grad():
        tb.running_mean.uniform_(-1, 1)
        tb.running_var.uniform_(0.5, 2)
        tb.weight.uniform_(0.5, 2)
        tb.bias.uniform_(-1, 1)
    pc = getattr(nn, conv)(4, 6, 3, bias=conv != "Conv1d")
    pb = getattr(nn, f"BatchNorm{n}d")(6)
    copy_state(tc, pc)
    copy_state(tb, pb)
    for m in (tc, tb, pc, pb):
        m.eval()
    with pytest.raises(AssertionError, match="eval"):
        nn.utils.fuse_conv_bn_eval(pc.train(), pb, transpose)
    pc.eval()
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose)
    pf = nn.utils.fuse_conv_bn_eval(pc, pb, transpose)
    assert type(pf) is type(pc) and pf is not pc
    close(pf.weight, tf.weight, 1e-5, 1e-6)
    close(pf.bias, tf.bias, 1e-5, 1e-6)
    a = np.random.default_rng(5).standard_normal((2, 4) + (5,) * n).astype(np.float32)
    with torch.no_grad():
        close(pf(to_pygrad(a)), tb(tc(torch.from_numpy(a))), 1e-4, 1e-5)
    assert pf.weight.requires_grad and isinstance(pf.weight, nn.Parameter)


def test_fuse_linear_bn_eval():
    tl, tb = torch.nn.Linear(5, 3), torch.nn.BatchNorm1d(3)
    with torch.no_grad():
        tb.running_mean.uniform_(-1, 1)
        tb.running_var.uniform_(0.5, 2)
        tb.weight.uniform_(0.5, 2)
    pl, pb = nn.Linear(5, 3), nn.BatchNorm1d(3)
    copy_state(tl, pl)
    copy_state(tb, pb)
    for m in (tl, tb, pl, pb):
        m.eval()
    tf, pf = torch.nn.utils.fuse_linear_bn_eval(tl, tb), nn.utils.fuse_linear_bn_eval(pl, pb)
    close(pf.weight, tf.weight)
    close(pf.bias, tf.bias)
    with pytest.raises(AssertionError, match="out_features"):
        nn.utils.fuse_linear_bn_eval(pl, nn.BatchNorm1d(4).eval())
    w, b = nn.utils.fuse_linear_bn_weights(
        pl.weight, None, pb.running_mean, pb.running_var, 1e-3, pb.weight, pb.bias
    )
    tw, tbias = torch.nn.utils.fuse_linear_bn_weights(
        tl.weight, None, tb.running_mean, tb.running_var, 1e-3, tb.weight, tb.bias
    )
    close(w, tw)
    close(b, tbias)


def test_functional_call():
    from pygrad.nn.utils.stateless import functional_call

    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    pm = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    copy_state(tm, pm)
    rng = np.random.default_rng(6)
    new = {
        "0.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "2.bias": np.ones(2, np.float32),
    }
    tnew = {k: torch.tensor(v, requires_grad=True) for k, v in new.items()}
    pnew = {k: to_pygrad(v, True) for k, v in new.items()}
    a = rng.standard_normal((5, 3)).astype(np.float32)
    old = to_numpy(pm[0].weight).copy()
    tout = torch.func.functional_call(tm, tnew, (torch.from_numpy(a),))
    out = functional_call(pm, pnew, to_pygrad(a))
    close(out, tout, 1e-4, 1e-5)
    tout.sum().backward()
    out.sum().backward()
    for k in new:
        close(pnew[k].grad, tnew[k].grad, 1e-4, 1e-5)
    # The module's own parameters are back, untouched and without gradient.
    np.testing.assert_array_equal(to_numpy(pm[0].weight), old)
    assert pm[0].weight.grad is None and type(pm[0].weight) is nn.Parameter
    close(pm[1].running_mean, tm[1].running_mean)  # buffers updated in place as torch
    with pytest.raises(RuntimeError, match="Missing key"):
        functional_call(pm, pnew, (to_pygrad(a),), strict=True)
    # Tied weights follow the given one.
    tied = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    out = functional_call(tied, {"0.weight": pygrad.eye(2)}, (pygrad.ones(1, 2),))
    np.testing.assert_array_equal(to_numpy(out), [[1.0, 1.0]])


# --------------------------------------------------------------------------- SyncBatchNorm
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4), (2, 3, 2, 2, 2, 2)])
def test_sync_batchnorm_single_process_is_batchnorm(shape):
    tm, pm = torch.nn.SyncBatchNorm(3, momentum=0.3), nn.SyncBatchNorm(3, momentum=0.3)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    with torch.no_grad():
        tm.weight.uniform_(0.5, 2)
        tm.bias.uniform_(-1, 1)
    copy_state(tm, pm)
    check_pair(tm, pm, shape)
    for k, v in tm.state_dict().items():
        close(pm.state_dict()[k], v, 1e-5, 1e-6)
    tm.eval()
    pm.eval()
    a = np.random.default_rng(8).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        close(pm(to_pygrad(a)), tm(torch.from_numpy(a)), 1e-5, 1e-6)
    with pytest.raises(ValueError, match="at least 2D"):
        pm(pygrad.zeros(3))


def test_sync_batch_norm_math_against_batchnorm():
    """The all-reduce path (custom forward/backward) with a one-rank sum equals batch norm."""
    from pygrad.nn.modules.sync_batchnorm import _sync_batch_norm

    rng = np.random.default_rng(10)
    a = rng.standard_normal((4, 3, 5, 2)).astype(np.float32) * 3 + 1
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (a, w, b))
    x, pw, pb = (to_pygrad(v, True) for v in (a, w, b))
    trm, trv = torch.zeros(3), torch.ones(3)
    rm, rv = pygrad.zeros(3), pygrad.ones(3)
    tout = TF.batch_norm(tx, trm, trv, tw, tb, True, 0.2, 1e-4)
    out = _sync_batch_norm(x, rm, rv, pw, pb, 0.2, 1e-4, lambda t: None)
    close(out, tout, 1e-4, 1e-5)
    close(rm, trm)
    close(rv, trv)
    g = rng.standard_normal(a.shape).astype(np.float32)
    tout.backward(torch.from_numpy(g))
    out.backward(to_pygrad(g))
    for p, t in ((x, tx), (pw, tw), (pb, tb)):
        close(p.grad, t.grad, 1e-4, 1e-4)


def test_convert_sync_batchnorm():
    m = nn.Sequential(
        nn.Conv2d(2, 3, 1),
        nn.BatchNorm2d(3),
        nn.Sequential(nn.BatchNorm1d(4), nn.InstanceNorm1d(4)),
    )
    m.eval()
    weight, rm = m[1].weight, m[1].running_mean
    out = nn.SyncBatchNorm.convert_sync_batchnorm(m)
    assert out is m
    assert type(m[1]) is nn.SyncBatchNorm and type(m[2][0]) is nn.SyncBatchNorm
    assert type(m[2][1]) is nn.InstanceNorm1d and type(m[0]) is nn.Conv2d
    assert m[1].weight is weight and m[1].running_mean is rm and not m[1].training
    tm = torch.nn.SyncBatchNorm.convert_sync_batchnorm(
        torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3), torch.nn.Sequential(
            torch.nn.BatchNorm1d(4), torch.nn.InstanceNorm1d(4)))
    )  # fmt: skip
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(5, affine=False))
    assert type(single) is nn.SyncBatchNorm and single.weight is None


SYNC_SCRIPT = r"""
import numpy as np, torch, pygrad
from pygrad import distributed as dist, nn
dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)
a = rng.standard_normal((2 * world, 3, 5)).astype(np.float32) * 2 + 1
g = rng.standard_normal(a.shape).astype(np.float32)
tm = torch.nn.BatchNorm1d(3, momentum=0.5)
tx = torch.tensor(a, requires_grad=True)
(tm(tx) * torch.from_numpy(g)).sum().backward()
pm = nn.SyncBatchNorm(3, momentum=0.5)
part = slice(2 * rank, 2 * rank + 2)
x = pygrad.tensor(a[part], requires_grad=True)
(pm(x) * pygrad.tensor(g[part])).sum().backward()
ok = np.allclose(x.grad.numpy(), tx.grad.numpy()[part], atol=1e-5)
ok &= np.allclose(pm.running_var.numpy(), tm.running_var.numpy(), atol=1e-5)
ok &= np.allclose(pm.running_mean.numpy(), tm.running_mean.numpy(), atol=1e-5)
# weight/bias gradients are per-rank (DDP sums them): their sum over ranks is torch's
wg = pm.weight.grad.detach().clone(); dist.all_reduce(wg)
ok &= np.allclose(wg.numpy(), tm.weight.grad.numpy(), atol=1e-4)
print("OK" if ok else "MISMATCH", rank)
"""


def test_sync_batchnorm_two_ranks():
    pytest.importorskip("mpi4py")
    import os
    import shutil
    import subprocess
    import sys

    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        mpiexec = shutil.which("mpiexec") or pytest.skip("no mpiexec")
    env = dict(
        os.environ,
        PYTHONPATH=os.path.dirname(os.path.dirname(pygrad.__file__)),
        OMP_NUM_THREADS="1",
    )
    proc = subprocess.run(
        [mpiexec, "-n", "2", sys.executable, "-c", SYNC_SCRIPT],
        cwd=os.path.dirname(os.path.abspath(__file__)),
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    # The two ranks' lines may interleave: count the verdicts.
    assert proc.stdout.count("OK") == 2 and "MISMATCH" not in proc.stdout, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- linear_cross_entropy
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"bias": True, "label_smoothing": 0.1, "reduction": "sum"},
        {"out_features": (3,), "bias": True, "reduction": "none"},
        {"ignore_index": 2, "reduction": "mean"},
        {"weight": "w"},
    ],
)
def test_linear_cross_entropy_loss(kw):
    rng = np.random.default_rng(11)
    kw = dict(kw)
    if kw.get("weight") == "w":
        w = rng.uniform(0.5, 2, 5).astype(np.float32)
        tkw, pkw = {**kw, "weight": torch.from_numpy(w)}, {**kw, "weight": to_pygrad(w)}
    else:
        tkw, pkw = kw, kw
    tm, pm = torch.nn.LinearCrossEntropyLoss(4, 5, **tkw), nn.LinearCrossEntropyLoss(4, 5, **pkw)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    copy_state(tm, pm)
    a = rng.standard_normal((6, 4)).astype(np.float32)
    tshape = (6, *kw.get("out_features", ()))
    t = rng.integers(0, 5, tshape)
    tx, x = torch.tensor(a, requires_grad=True), to_pygrad(a, True)
    tout = tm(tx, torch.from_numpy(t))
    out = pm(x, to_pygrad(t))
    close(out, tout, 1e-5, 1e-6)
    tout.sum().backward()
    out.sum().backward()
    close(x.grad, tx.grad, 1e-5, 1e-6)
    close(pm.linear.weight.grad, tm.linear.weight.grad, 1e-5, 1e-6)


def test_linear_cross_entropy_functional_and_errors():
    rng = np.random.default_rng(12)
    a, w = rng.standard_normal(4).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)
    probs = rng.dirichlet(np.ones(5)).astype(np.float32)
    t = TF.linear_cross_entropy(torch.from_numpy(a), torch.from_numpy(w), torch.from_numpy(probs))
    p = F.linear_cross_entropy(to_pygrad(a), to_pygrad(w), to_pygrad(probs))
    close(p, t)
    opts = nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    p = F.linear_cross_entropy(to_pygrad(a), to_pygrad(w), to_pygrad(probs), options=opts)
    close(p, t)
    with pytest.raises(RuntimeError, match="probabilities"):
        F.linear_cross_entropy(to_pygrad(a), to_pygrad(w), to_pygrad(probs), ignore_index=1)
    with pytest.raises(RuntimeError, match="in_features"):
        F.linear_cross_entropy(to_pygrad(a), to_pygrad(w[:, :3]), to_pygrad(probs))
    with pytest.raises(RuntimeError, match="weight shape"):
        nn.LinearCrossEntropyLoss(4, 5, weight=pygrad.ones(3))


# --------------------------------------------------------------------------- adaptive softmax
@pytest.mark.parametrize(("cutoffs", "div", "bias"), [([3, 6], 2.0, False), ([4], 4.0, True)])
def test_adaptive_log_softmax_against_torch(cutoffs, div, bias):
    tm = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs, div_value=div, head_bias=bias)
    pm = nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs, div_value=div, head_bias=bias)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    copy_state(tm, pm)
    rng = np.random.default_rng(13)
    a = rng.standard_normal((7, 8)).astype(np.float32)
    t = np.array([0, 9, 4, 3, 7, 1, 6])
    tx, x = torch.tensor(a, requires_grad=True), to_pygrad(a, True)
    tout = tm(tx, torch.from_numpy(t))
    out = pm(x, to_pygrad(t))
    close(out.output, tout.output, 1e-5, 1e-6)
    close(out.loss, tout.loss, 1e-5, 1e-6)
    (tout.output.sum() + tout.loss).backward()
    (out.output.sum() + out.loss).backward()
    close(x.grad, tx.grad, 1e-5, 1e-6)
    for p, tp in zip(pm.parameters(), tm.parameters()):
        close(p.grad, tp.grad, 1e-5, 1e-6)
    with torch.no_grad():
        close(pm.log_prob(to_pygrad(a)), tm.log_prob(torch.from_numpy(a)), 1e-5, 1e-6)
        full = to_numpy(pm.log_prob(to_pygrad(a)))  # torch's log_prob fails on 1-d input
        np.testing.assert_allclose(to_numpy(pm.log_prob(to_pygrad(a[0]))), full[0], rtol=1e-6)
        np.testing.assert_array_equal(
            to_numpy(pm.predict(to_pygrad(a))), tm.predict(torch.from_numpy(a)).numpy()
        )
        single = pm(to_pygrad(a[1]), to_pygrad(np.array(9)))
        close(single.output, tm(torch.from_numpy(a[1]), torch.tensor(9)).output, 1e-5, 1e-6)
    with pytest.raises(RuntimeError, match="Target values"):
        pm(to_pygrad(a), to_pygrad(np.array([0, 1, 2, 3, 4, 5, 10])))
    with pytest.raises(ValueError, match="cutoffs"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3])


def test_adaptive_log_softmax_reset_parameters():
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])
    with pygrad.no_grad():
        for p in m.parameters():
            p.fill_(0.0)
    m.reset_parameters()
    assert all(np.abs(to_numpy(p)).max() > 0 for p in m.parameters())


# --------------------------------------------------------------------------- fractional max pooling
@pytest.mark.parametrize(
    ("n", "shape", "kw"),
    [
        (2, (2, 3, 11, 9), {"kernel_size": (2, 3), "output_size": (5, 4)}),
        (2, (3, 10, 10), {"kernel_size": 3, "output_ratio": 0.5}),
        (3, (1, 2, 7, 8, 9), {"kernel_size": 2, "output_size": (4, 3, 5)}),
        (3, (2, 6, 7, 8), {"kernel_size": (1, 2, 3), "output_ratio": (0.5, 0.6, 0.7)}),
    ],
)
def test_fractional_max_pool_against_torch(n, shape, kw):
    rng = np.random.default_rng(14)
    a = (rng.permutation(int(np.prod(shape))).reshape(shape) / 9.0).astype(np.float32)
    lead = shape[:2] if len(shape) == n + 2 else (1, shape[0])
    samples = rng.random((*lead, n)).astype(np.float32)
    cls = f"FractionalMaxPool{n}d"
    tm = getattr(torch.nn, cls)(
        **kw, return_indices=True, _random_samples=torch.from_numpy(samples)
    )
    pm = getattr(nn, cls)(**kw, return_indices=True, _random_samples=to_pygrad(samples))
    assert list(pm.state_dict()) == list(tm.state_dict())
    tx, x = torch.tensor(a, requires_grad=True), to_pygrad(a, True)
    (tv, ti), (v, i) = tm(tx), pm(x)
    np.testing.assert_array_equal(to_numpy(v), tv.detach().numpy())
    np.testing.assert_array_equal(to_numpy(i), ti.numpy())
    g = rng.standard_normal(tuple(tv.shape)).astype(np.float32)
    tv.backward(torch.from_numpy(g))
    v.backward(to_pygrad(g))
    close(x.grad, tx.grad)
    # Functional forms and fresh random samples: the windows still tile the input as asked.
    fn = getattr(F, f"fractional_max_pool{n}d_with_indices")
    v2, i2 = fn(to_pygrad(a), **kw)
    assert tuple(v2.shape) == tuple(tv.shape)
    flat = a.reshape(*a.shape[: a.ndim - n], -1)
    got = np.take_along_axis(flat, to_numpy(i2).reshape(*flat.shape[:-1], -1), -1)
    np.testing.assert_array_equal(got.reshape(v2.shape), to_numpy(v2))


def test_fractional_max_pool_errors():
    with pytest.raises(ValueError, match="either"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one"):
        nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(RuntimeError, match="too large"):
        F.fractional_max_pool2d(pygrad.zeros(1, 1, 4, 4), 3, output_size=3)
    assert repr(nn.FractionalMaxPool2d(2, output_size=3)) == "FractionalMaxPool2d()"


# ------------------------------------------------------------------ nn.Buffer
def test_buffer_assignment_registers_like_torch():
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(3, 2)
                self.running = lib.nn.Buffer(lib.ones(2))
                self.scratch = lib.nn.Buffer(lib.zeros(3), persistent=False)

        return Net()

    pm, tm = build(pygrad), build(torch)
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in pm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert isinstance(pm.running, pygrad.Tensor) and not pm.running.requires_grad
    pm.load_state_dict({**pm.state_dict(), "running": pygrad.full((2,), 5.0)})
    np.testing.assert_array_equal(pm.running.numpy(), [5.0, 5.0])
    pm.running = pygrad.full((2,), 7.0)  # plain tensors replace a registered buffer, as torch
    assert "running" in dict(pm.named_buffers())
    np.testing.assert_array_equal(pm.state_dict()["running"].numpy(), [7.0, 7.0])
    pm.lin = pygrad.nn.Buffer(pygrad.ones(1))  # a Buffer replaces a child module of that name
    assert "lin" not in dict(pm.named_modules()) and "lin" in pm.state_dict()
    data = pygrad.arange(3.0)
    b = pygrad.nn.Buffer(data)
    b.add_(1.0)
    np.testing.assert_array_equal(
        data.numpy(), [1.0, 2.0, 3.0]
    )  # shares memory, as Parameter(data)
    with pytest.raises(TypeError, match="Buffer"):
        pygrad.nn.Buffer([1.0, 2.0])


# ------------------------------------------------------------------ DataParallel and NLLLoss2d
def test_data_parallel_wraps_like_torch_on_the_cpu():
    tm = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh()))
    pm = nn.DataParallel(nn.Sequential(nn.Linear(4, 3), nn.Tanh()))
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    pm.load_state_dict({k: to_pygrad(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    px, tx = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pm(px).sum().backward()
    tm(tx).sum().backward()
    np.testing.assert_allclose(to_numpy(px.grad), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        to_numpy(pm.module[0].weight.grad), tm.module[0].weight.grad.numpy(), rtol=1e-5, atol=1e-6
    )
    assert pygrad.nn.parallel.DataParallel is nn.DataParallel
    with pytest.raises(TypeError, match="DataParallel"):
        nn.DataParallel(lambda x: x)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"reduction": "sum"}, {"size_average": False}, {"reduce": False}, {"ignore_index": 1}],
)
def test_nll_loss_2d_is_torch_deprecated_nll_loss(kwargs):
    rng = np.random.default_rng(4)
    logp = np.log(rng.dirichlet(np.ones(3), size=(2, 4, 5)).transpose(0, 3, 1, 2))
    target = rng.integers(0, 3, (2, 4, 5))
    with warnings.catch_warnings(record=True) as seen:  # legacy flags add torch's UserWarning too
        warnings.simplefilter("always")
        pl = nn.NLLLoss2d(**kwargs)
        tl = torch.nn.NLLLoss2d(**kwargs)
    kinds = [(w.category, "NLLLoss2d" in str(w.message)) for w in seen]
    assert kinds.count((FutureWarning, True)) == 2
    assert repr(pl) == repr(tl)
    np.testing.assert_allclose(
        to_numpy(pl(to_pygrad(logp), to_pygrad(target))),
        tl(torch.tensor(logp), torch.tensor(target)).numpy(),
        rtol=1e-12,
    )
