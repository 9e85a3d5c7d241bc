"""F.embedding options (max_norm, norm_type, scale_grad_by_freq, padding_idx), F.embedding_bag and
F.bilinear, and the modules Embedding, EmbeddingBag and Bilinear, against torch: values, gradients of
inputs and parameters (parameters copied through load_state_dict), the in-place renormalisation of weight,
extra_repr, and the errors torch raises."""

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional
TOL = {"rtol": 1e-9, "atol": 1e-11}


def _weights(shape, seed):
    w = make_rng("emb", seed).standard_normal(shape)
    return to_pygrad(w, requires_grad=True), torch.tensor(w, requires_grad=True)


def _idx(array):
    a = np.asarray(array, dtype=np.int64)
    return to_pygrad(a), torch.tensor(a)


def _check(ours, theirs, what):
    np.testing.assert_allclose(to_numpy(ours), theirs.detach().numpy(), **TOL, err_msg=what)


def _backward_both(out, tout, seed):
    g = make_rng("grad", seed).standard_normal(tuple(tout.shape))
    out.backward(to_pygrad(g))
    tout.backward(torch.tensor(g))


IDX = [[1, 3, 3, 0], [4, 3, 1, 1]]
EMBEDDING_CASES = [
    ("plain", {}),
    ("padding", {"padding_idx": 3}),
    ("padding-negative", {"padding_idx": -2}),
    ("max_norm", {"max_norm": 1.0}),
    ("max_norm-p1", {"max_norm": 1.5, "norm_type": 1.0}),
    ("max_norm-inf", {"max_norm": 0.7, "norm_type": float("inf")}),
    ("scale_grad", {"scale_grad_by_freq": True}),
    ("all", {"padding_idx": 1, "max_norm": 1.2, "scale_grad_by_freq": True}),
]


@pytest.mark.parametrize(("name", "kwargs"), EMBEDDING_CASES, ids=[c[0] for c in EMBEDDING_CASES])
def test_embedding_functional(name, kwargs):
    w, tw = _weights((6, 4), name)
    i, ti = _idx(IDX)
    out, tout = F.embedding(i, w, **kwargs), TF.embedding(ti, tw, **kwargs)
    _check(out, tout, "value")
    _check(w, tw, "weight after renorm")
    _backward_both(out, tout, name)
    _check(w.grad, tw.grad, "weight grad")


@pytest.mark.parametrize(("name", "kwargs"), EMBEDDING_CASES, ids=[c[0] for c in EMBEDDING_CASES])
def test_embedding_module(name, kwargs):
    m = nn.Embedding(6, 4, **kwargs, dtype=pygrad.float64)
    tm = torch.nn.Embedding(6, 4, **kwargs, dtype=torch.float64)
    m.load_state_dict({k: to_pygrad(v.numpy()) for k, v in tm.state_dict().items()})
    assert repr(m) == repr(tm)
    i, ti = _idx(IDX)
    out, tout = m(i), tm(ti)
    _check(out, tout, "value")
    _check(m.weight, tm.weight, "weight")
    _backward_both(out, tout, name)
    _check(m.weight.grad, tm.weight.grad, "weight grad")


def test_embedding_scale_grad_values():
    w, _ = _weights((5, 2), "freq")
    i, _ = _idx([0, 0, 0, 2])
    F.embedding(i, w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(to_numpy(w.grad)[[0, 2, 1]], [[1, 1], [1, 1], [0, 0]])


def test_embedding_errors():
    w, _ = _weights((4, 2), "err")
    i, _ = _idx([0])
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(i, w, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)
    with pytest.raises((ValueError, AssertionError)):
        torch.nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)


BAG_CASES = [
    ("2d-mean", [[1, 2, 4], [4, 3, 2]], None, {}),
    ("2d-sum", [[1, 2, 4], [4, 3, 2]], None, {"mode": "sum"}),
    ("2d-max", [[1, 2, 4], [4, 3, 2]], None, {"mode": "max"}),
    ("1d-mean", [1, 2, 4, 4, 3, 2, 0], [0, 2, 2, 5], {}),
    ("1d-sum", [1, 2, 4, 4, 3, 2, 0], [0, 2, 2, 5], {"mode": "sum"}),
    ("1d-max", [1, 2, 4, 4, 3, 2, 0], [0, 2, 2, 5], {"mode": "max"}),
    ("last-offset", [1, 2, 4, 4, 3, 2, 0], [0, 3, 3, 6], {"include_last_offset": True}),
    ("last-offset-max", [1, 2, 4, 4, 3], [0, 1, 5], {"mode": "max", "include_last_offset": True}),
    ("padding-mean", [[1, 3, 3], [3, 3, 3], [0, 2, 3]], None, {"padding_idx": 3}),
    ("padding-max", [1, 3, 3, 0, 2], [0, 3, 3], {"mode": "max", "padding_idx": 3}),
    ("padding-sum", [1, 3, 3, 0, 2], [0, 2], {"mode": "sum", "padding_idx": -3}),
    ("max_norm", [[1, 2, 4], [4, 3, 2]], None, {"max_norm": 1.0, "mode": "sum"}),
]


@pytest.mark.parametrize(
    ("name", "idx", "offsets", "kwargs"), BAG_CASES, ids=[c[0] for c in BAG_CASES]
)
def test_embedding_bag_functional(name, idx, offsets, kwargs):
    w, tw = _weights((6, 3), name)
    i, ti = _idx(idx)
    o, to = _idx(offsets) if offsets is not None else (None, None)
    out = F.embedding_bag(i, w, o, **kwargs)
    tout = TF.embedding_bag(ti, tw, to, **kwargs)
    _check(out, tout, "value")
    _check(w, tw, "weight after renorm")
    _backward_both(out, tout, name)
    _check(w.grad, tw.grad, "weight grad")


FREQ_CASES = [
    # torch's CPU divisor for the i-th distinct index is the count of sorted(input)[i]: [2, 1, 3, 1]
    # gives row 2 half its gradient and row 1 its own count's, which these cases pin down
    ("1d-sum-odd-counts", [2, 1, 3, 1], [0], {"mode": "sum"}),
    ("2d-mean", [[0, 3, 0, 2], [1, 1, 1, 4]], None, {}),
    ("2d-sum", [[1, 4, 3], [4, 0, 2], [4, 3, 2]], None, {"mode": "sum"}),
    ("1d-mean-empty-bag", [0, 2, 2, 0, 1, 1, 0], [0, 2, 2, 6], {}),
    ("padding-sum", [[1, 0, 0], [3, 0, 2], [4, 4, 1]], None, {"mode": "sum", "padding_idx": 3}),
    ("padding-mean", [1, 3, 3, 0, 2, 2, 5], [0, 3, 3], {"padding_idx": 0}),
    ("last-offset", [1, 2, 4, 4, 3, 2, 0], [0, 3, 3, 6], {"include_last_offset": True}),
    ("single", [[5]], None, {"mode": "sum"}),
    ("max_norm", [[1, 2, 4], [4, 3, 2]], None, {"max_norm": 1.0}),
]


@pytest.mark.parametrize(
    ("name", "idx", "offsets", "kwargs"), FREQ_CASES, ids=[c[0] for c in FREQ_CASES]
)
def test_embedding_bag_scale_grad_by_freq(name, idx, offsets, kwargs):
    w, tw = _weights((6, 3), name)
    i, ti = _idx(idx)
    o, to = _idx(offsets) if offsets is not None else (None, None)
    out = F.embedding_bag(i, w, o, scale_grad_by_freq=True, **kwargs)
    tout = TF.embedding_bag(ti, tw, to, scale_grad_by_freq=True, **kwargs)
    _check(out, tout, "value")
    _backward_both(out, tout, name)
    _check(w.grad, tw.grad, "weight grad")


def test_embedding_bag_scale_grad_by_freq_random():
    rng = make_rng("bag-freq-random")
    for trial in range(40):
        nw = int(rng.integers(1, 7))
        mode = ("sum", "mean")[trial % 2]
        pad = None if trial % 3 else int(rng.integers(0, nw))
        if trial % 4 < 2:
            idx, offsets = (
                rng.integers(0, nw, (int(rng.integers(1, 4)), int(rng.integers(1, 6)))),
                None,
            )
        else:
            idx = rng.integers(0, nw, int(rng.integers(0, 9)))
            offsets = np.sort(rng.integers(0, idx.size + 1, int(rng.integers(1, 4))))
            offsets[0] = 0
        w, tw = _weights((nw, 2), f"bag-freq-{trial}")
        i, ti = _idx(idx)
        o, to = _idx(offsets) if offsets is not None else (None, None)
        kw = {"mode": mode, "padding_idx": pad, "scale_grad_by_freq": True}
        psw = tpsw = None
        if mode == "sum" and trial % 5 == 0:
            p = rng.standard_normal(idx.shape)
            psw, tpsw = to_pygrad(p, requires_grad=True), torch.tensor(p, requires_grad=True)
        out = F.embedding_bag(i, w, o, per_sample_weights=psw, **kw)
        tout = TF.embedding_bag(ti, tw, to, per_sample_weights=tpsw, **kw)
        _check(out, tout, f"value {trial}")
        _backward_both(out, tout, f"bag-freq-{trial}")
        _check(w.grad, tw.grad, f"weight grad {trial}")
        if psw is not None:
            _check(psw.grad, tpsw.grad, f"per_sample_weights grad {trial}")


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_module_scale_grad_by_freq(mode):
    tm = torch.nn.EmbeddingBag(5, 3, mode=mode, scale_grad_by_freq=True, dtype=torch.float64)
    m = nn.EmbeddingBag(5, 3, mode=mode, scale_grad_by_freq=True, dtype=pygrad.float64)
    m.load_state_dict({k: to_pygrad(v.numpy()) for k, v in tm.state_dict().items()})
    i, ti = _idx([3, 1, 3, 0, 3, 1, 4])
    o, to = _idx([0, 2, 5])
    out, tout = m(i, o), tm(ti, to)
    _check(out, tout, "value")
    _backward_both(out, tout, mode)
    _check(m.weight.grad, tm.weight.grad, "weight grad")


@pytest.mark.parametrize("two_d", [False, True])
def test_embedding_bag_per_sample_weights(two_d):
    w, tw = _weights((6, 3), "psw")
    idx = [[1, 2, 4], [4, 4, 0]] if two_d else [1, 2, 4, 4, 4, 0]
    i, ti = _idx(idx)
    o, to = (None, None) if two_d else _idx([0, 1, 4])
    p = make_rng("psw", two_d).standard_normal(np.shape(idx))
    ps, tps = to_pygrad(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    out = F.embedding_bag(i, w, o, mode="sum", per_sample_weights=ps, padding_idx=0)
    tout = TF.embedding_bag(ti, tw, to, mode="sum", per_sample_weights=tps, padding_idx=0)
    _check(out, tout, "value")
    _backward_both(out, tout, "psw")
    _check(w.grad, tw.grad, "weight grad")
    _check(ps.grad, tps.grad, "per_sample_weights grad")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_module(mode):
    m = nn.EmbeddingBag(7, 3, mode=mode, padding_idx=2, max_norm=2.0, dtype=pygrad.float64)
    tm = torch.nn.EmbeddingBag(7, 3, mode=mode, padding_idx=2, max_norm=2.0, dtype=torch.float64)
    m.load_state_dict({k: to_pygrad(v.numpy()) for k, v in tm.state_dict().items()})
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
    i, ti = _idx([0, 2, 5, 6, 2, 1, 1])
    o, to = _idx([0, 3, 3])
    out, tout = m(i, o), tm(ti, to)
    _check(out, tout, "value")
    _check(m.weight, tm.weight, "weight")
    _backward_both(out, tout, mode)
    _check(m.weight.grad, tm.weight.grad, "weight grad")
    bag = nn.EmbeddingBag.from_pretrained(to_pygrad(np.eye(3)), mode="sum")
    assert not bag.weight.requires_grad
    np.testing.assert_allclose(to_numpy(bag(_idx([[0, 1]])[0])), [[1, 1, 0]])


def test_embedding_bag_errors():
    w, tw = _weights((5, 2), "bagerr")
    i1, ti1 = _idx([0, 1, 2])
    i2, ti2 = _idx([[0, 1]])
    i3, ti3 = _idx([[[0]]])
    o, to = _idx([0, 1])
    for f, wt, a1, a2, a3, off in ((F, w, i1, i2, i3, o), (TF, tw, ti1, ti2, ti3, to)):
        with pytest.raises(ValueError, match="offsets has to be None"):
            f.embedding_bag(a2, wt, off)
        with pytest.raises(ValueError, match="offsets has to be a 1D Tensor"):
            f.embedding_bag(a1, wt)
        with pytest.raises(ValueError, match="1D or 2D"):
            f.embedding_bag(a3, wt)
        with pytest.raises(ValueError, match="mode has to be one of"):
            f.embedding_bag(a2, wt, mode="min")
        with pytest.raises(ValueError, match="max mode does not support"):
            f.embedding_bag(a2, wt, mode="max", scale_grad_by_freq=True)
        with pytest.raises(NotImplementedError, match="per_sample_weights"):
            f.embedding_bag(a2, wt, per_sample_weights=wt[:1, :2] * 0 + 1)
        with pytest.raises(ValueError, match="same shape"):
            f.embedding_bag(a2, wt, mode="sum", per_sample_weights=wt[0, :1])
    with pytest.raises(RuntimeError, match="offsets\\[0\\]"):
        F.embedding_bag(i1, w, _idx([1, 2])[0])
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.EmbeddingBag(5, 2, sparse=True)


BILINEAR_SHAPES = [((4, 3), (4, 5)), ((2, 3, 3), (2, 3, 5)), ((3,), (5,))]


@pytest.mark.parametrize("shapes", BILINEAR_SHAPES, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(shapes, bias):
    rng = make_rng("bilinear", str(shapes), bias)
    a1, a2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    x1, x2 = to_pygrad(a1, requires_grad=True), to_pygrad(a2, requires_grad=True)
    t1, t2 = torch.tensor(a1, requires_grad=True), torch.tensor(a2, requires_grad=True)
    m = nn.Bilinear(3, 5, 2, bias=bias, dtype=pygrad.float64)
    tm = torch.nn.Bilinear(3, 5, 2, bias=bias, dtype=torch.float64)
    m.load_state_dict({k: to_pygrad(v.numpy()) for k, v in tm.state_dict().items()})
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    out, tout = m(x1, x2), tm(t1, t2)
    _check(out, tout, "value")
    _check(F.bilinear(x1, x2, m.weight, m.bias), TF.bilinear(t1, t2, tm.weight, tm.bias), "F")
    _backward_both(out, tout, str(shapes))
    _check(x1.grad, t1.grad, "input1 grad")
    _check(x2.grad, t2.grad, "input2 grad")
    _check(m.weight.grad, tm.weight.grad, "weight grad")
    if bias:
        _check(m.bias.grad, tm.bias.grad, "bias grad")


def test_bilinear_init_and_errors():
    m = nn.Bilinear(16, 3, 4)
    bound = 1 / 4
    assert tuple(m.weight.shape) == (4, 16, 3) and tuple(m.bias.shape) == (4,)
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    assert float(m.weight.abs().max()) > bound / 2
    w = pygrad.zeros(2, 3, 5)
    tw = torch.zeros(2, 3, 5)
    for f, a, b, wt in (
        (F, pygrad.zeros(4, 3), pygrad.zeros(3, 5), w),
        (TF, torch.zeros(4, 3), torch.zeros(3, 5), tw),
    ):
        with pytest.raises(RuntimeError):
            f.bilinear(a, b, wt)
    with pytest.raises(RuntimeError):
        F.bilinear(pygrad.zeros(4, 4), pygrad.zeros(4, 5), w)
    with pytest.raises(RuntimeError):
        TF.bilinear(torch.zeros(4, 4), torch.zeros(4, 5), tw)
