"""copy.copy, copy.deepcopy and pickle of tensors, Parameters and modules, against torch: values, dtype,
strides, requires_grad, .grad (deep-copied for a Tensor, left behind by a Parameter), independence of
the copies, sharing kept through the memo (tied weights), the non-leaf error, attributes of Parameters,
parametrized modules (deepcopy works, pickling refused) and a tensor through a process pool."""

import concurrent.futures
import copy
import multiprocessing
import operator
import pickle
import warnings

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad
from pygrad import nn
from pygrad.nn.utils import parametrizations

torch = import_torch()

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8"]
DTYPES += ["bool"]


def _pair(dtype, shape=(3, 4), seed="copy"):
    """The same values as a pygrad and a torch tensor of dtype (never all zeros)."""
    values = make_rng(seed, dtype, shape).standard_normal(shape) * 5
    t = torch.tensor(values).to(getattr(torch, dtype))
    p = to_pygrad(t.double().numpy()).to(getattr(pygrad, dtype))
    return p, t


def _values(t):
    """float64 numpy values of a pygrad or torch tensor (bfloat16 and bool included)."""
    if isinstance(t, torch.Tensor):
        return t.detach().double().numpy()
    return to_numpy(t.detach().double())


def _copy_each(f, p, t):
    out_p, out_t = f(p), f(t)
    assert out_p is not p and out_t is not t
    assert out_p.dtype == getattr(pygrad, dtype_name(out_t))
    np.testing.assert_array_equal(_values(out_p), _values(out_t))
    np.testing.assert_array_equal(_values(out_p), _values(p))
    return out_p, out_t


def dtype_name(t):
    return str(t.dtype).removeprefix("torch.")


def _roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


COPIES = {"deepcopy": copy.deepcopy, "pickle": _roundtrip}


@pytest.mark.parametrize("how", list(COPIES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_copy_has_own_memory(dtype, how):
    p, t = _pair(dtype)
    cp, ct = _copy_each(COPIES[how], p, t)
    assert not cp.requires_grad and not ct.requires_grad and cp.is_leaf
    before = _values(p)
    with pygrad.no_grad():
        cp.fill_(1)
    np.testing.assert_array_equal(_values(p), before)  # the original is untouched


@pytest.mark.parametrize("how", list(COPIES))
@pytest.mark.parametrize(
    "view", ["transpose", "permute", "slice-step", "expand", "0-d", "empty", "length-1"]
)
def test_tensor_copy_layout_matches_torch(view, how):
    p, t = _pair("float64", (2, 3, 4), seed=view)
    make = {
        "transpose": lambda x: x.transpose(0, 2),
        "permute": lambda x: x.permute(1, 2, 0),
        "slice-step": lambda x: x[:, ::2],  # gaps: torch keeps them, pygrad makes it contiguous
        "expand": lambda x: x[:, :1].expand(2, 5, 4),
        "0-d": lambda x: x[1, 2, 3],
        "empty": lambda x: x[:, :0],
        "length-1": lambda x: x[:1, 1:2],
    }[view]
    cp, ct = _copy_each(COPIES[how], make(p), make(t))
    assert tuple(cp.shape) == tuple(ct.shape)
    if view in ("transpose", "permute", "0-d"):
        assert cp.stride() == ct.stride()
    else:  # torch copies the storage with the strides; here the copy is compact (same values)
        assert cp.is_contiguous()


@pytest.mark.parametrize("how", list(COPIES))
def test_requires_grad_and_grad(how):
    rng = make_rng("grad")
    x = rng.standard_normal((2, 3))
    p, t = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (p * p).sum().backward()
    (t * t).sum().backward()
    cp, ct = _copy_each(COPIES[how], p, t)
    assert cp.requires_grad and ct.requires_grad and cp.is_leaf and ct.is_leaf
    if ct.grad is None:  # pickle leaves the gradient behind
        assert cp.grad is None
    else:  # deepcopy copies it, into new memory
        assert cp.grad is not p.grad
        np.testing.assert_array_equal(to_numpy(cp.grad), ct.grad.numpy())
        with pygrad.no_grad():
            cp.grad.fill_(0.0)
        with torch.no_grad():
            ct.grad.fill_(0.0)
        np.testing.assert_array_equal(to_numpy(p.grad), 2 * x)
    (cp * 3.0).sum().backward()  # the copy is a usable leaf
    (ct * 3.0).sum().backward()
    np.testing.assert_array_equal(to_numpy(cp.grad), ct.grad.numpy())


def test_deepcopy_memo_keeps_sharing():
    rng = make_rng("memo")
    p = to_pygrad(rng.standard_normal(3), requires_grad=True)
    p.grad = to_pygrad(rng.standard_normal(3))
    out = copy.deepcopy({"a": p, "b": p, "g": p.grad, "nested": [p]})
    assert out["a"] is out["b"] is out["nested"][0] and out["a"] is not p
    # Each .grad access is a new Python wrapper, so unlike torch the grad is copied apart from "g"
    # (the C++ binding would have to return one PyObject per tensor): values only.
    np.testing.assert_array_equal(to_numpy(out["g"]), to_numpy(out["a"].grad))
    np.testing.assert_array_equal(to_numpy(out["a"].grad), to_numpy(p.grad))
    many = copy.deepcopy([to_pygrad(rng.standard_normal(2), requires_grad=True) for _ in range(50)])
    for i, t in enumerate(many):  # transient grad wrappers never alias in the memo
        t.grad = pygrad.full((2,), float(i), dtype=pygrad.float64)
    for i, t in enumerate(copy.deepcopy(many)):
        assert np.all(to_numpy(t.grad) == i)


def test_deepcopy_of_a_non_leaf_raises_as_torch():
    p, t = to_pygrad(np.ones(2), requires_grad=True), torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as ours:
        copy.deepcopy(p * 2)
    with pytest.raises(RuntimeError) as theirs:
        copy.deepcopy(t * 2)
    assert str(ours.value) == str(theirs.value).replace("torch.", "pygrad.")
    cp, ct = copy.deepcopy(p.detach() * 2), copy.deepcopy(t.detach() * 2)  # no graph: a leaf
    np.testing.assert_array_equal(to_numpy(cp), ct.numpy())
    # pickle and copy.copy take a non-leaf's values, as torch, giving a leaf that requires grad
    for f in (_roundtrip, copy.copy):
        cp, ct = f(p * 2), f(t * 2)
        assert cp.is_leaf and cp.requires_grad and ct.is_leaf and ct.requires_grad
        np.testing.assert_array_equal(to_numpy(cp), ct.detach().numpy())


def test_copy_copy_shares_memory_as_torch():
    p, t = _pair("float64")
    p.requires_grad_(True)
    t.requires_grad_(True)
    (p * 2).sum().backward()
    (t * 2).sum().backward()
    cp, ct = _copy_each(copy.copy, p, t)
    assert cp.requires_grad and ct.requires_grad and cp.grad is None and ct.grad is None
    with pygrad.no_grad():
        cp.fill_(7.0)
    with torch.no_grad():
        ct.fill_(7.0)
    np.testing.assert_array_equal(to_numpy(p), t.detach().numpy())  # both originals changed
    assert np.all(to_numpy(p) == 7.0)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_parameter_copies_as_torch(requires_grad):
    rng = make_rng("param", requires_grad)
    x = rng.standard_normal((2, 3))
    p = nn.Parameter(to_pygrad(x), requires_grad=requires_grad)
    t = torch.nn.Parameter(torch.tensor(x), requires_grad=requires_grad)
    if requires_grad:
        (p * p).sum().backward()
        (t * t).sum().backward()
    p.note = t.note = [1]
    for how, f in (("deepcopy", copy.deepcopy), ("pickle", _roundtrip), ("copy", copy.copy)):
        cp, ct = _copy_each(f, p, t)
        assert type(cp) is nn.Parameter and type(ct) is torch.nn.Parameter, how
        assert cp.requires_grad == ct.requires_grad == requires_grad, how
        assert cp.grad is None and ct.grad is None, how  # deepcopy too leaves .grad behind
        assert hasattr(cp, "note") == hasattr(ct, "note"), how  # deepcopy drops attributes
        if how == "copy":
            assert cp.note is p.note and cp.data_ptr() == p.data_ptr()
        else:
            assert cp.data_ptr() != p.data_ptr()
    assert repr(copy.deepcopy(p)).startswith("Parameter containing:\n")


def _linear_pair(seed):
    rng = make_rng("module", seed)
    tm = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        for v in tm.parameters():
            v.copy_(torch.tensor(rng.standard_normal(tuple(v.shape))))
    pm = nn.Linear(3, 2, dtype=pygrad.float64)
    pm.load_state_dict({k: to_pygrad(v.numpy()) for k, v in tm.state_dict().items()})
    return pm, tm, rng.standard_normal((4, 3))


@pytest.mark.parametrize("how", list(COPIES))
def test_module_copy_is_independent_and_trains_the_same(how):
    pm, tm, x = _linear_pair(how)
    pm(to_pygrad(x)).sum().backward()
    tm(torch.tensor(x)).sum().backward()
    pm.eval()
    tm.eval()
    cp, ct = COPIES[how](pm), COPIES[how](tm)
    assert type(cp) is nn.Linear and not cp.training and not ct.training
    assert list(cp.state_dict()) == list(ct.state_dict())
    for (n, a), (_, b), (_, orig) in zip(
        cp.named_parameters(), ct.named_parameters(), pm.named_parameters()
    ):
        assert type(a) is nn.Parameter and a is not orig and a.requires_grad, n
        assert a.grad is None and b.grad is None, n
        np.testing.assert_array_equal(to_numpy(a), b.detach().numpy(), err_msg=n)
    xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g = make_rng("module-g", how).standard_normal((4, 2))
    (cp(xp) * to_pygrad(g)).sum().backward()
    (ct(xt) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(cp.weight.grad), ct.weight.grad.numpy(), rtol=1e-12)
    with pygrad.no_grad():
        cp.weight.fill_(0.0)
    assert np.all(to_numpy(pm.weight) == tm.weight.detach().numpy())  # the original is untouched


@pytest.mark.parametrize("how", list(COPIES))
def test_tied_weights_and_buffers(how):
    def build(m):
        a, b = m.Linear(2, 2), m.Linear(2, 2)
        b.weight = a.weight
        return m.Sequential(a, b, a, m.BatchNorm1d(2))

    pm, tm = build(nn), build(torch.nn)
    cp, ct = COPIES[how](pm), COPIES[how](tm)
    for c in (cp, ct):
        assert c[0] is c[2] and c[0].weight is c[1].weight and c[0].bias is not c[1].bias
    assert len(list(cp.parameters())) == len(list(ct.parameters()))
    assert cp[0].weight is not pm[0].weight
    bn_p, bn_t = cp[3], ct[3]
    assert bn_p.running_mean is not pm[3].running_mean
    assert type(bn_p.running_mean) is pygrad.Tensor and not bn_p.running_mean.requires_grad
    assert (
        bn_p.num_batches_tracked.dtype
        == pygrad.int64
        == getattr(pygrad, dtype_name(bn_t.num_batches_tracked))
    )
    assert list(cp.state_dict()) == list(ct.state_dict())


def test_parametrized_module_deepcopies_but_does_not_pickle_as_torch():
    pm, tm, x = _linear_pair("parametrized")
    pm = parametrizations.weight_norm(pm)
    tm = torch.nn.utils.parametrizations.weight_norm(tm)
    cp, ct = copy.deepcopy(pm), copy.deepcopy(tm)
    assert type(cp).__name__ == type(ct).__name__ == "ParametrizedLinear"
    po, to = pm.parametrizations.weight.original0, tm.parametrizations.weight.original0
    assert cp.parametrizations.weight.original0 is not po
    assert ct.parametrizations.weight.original0 is not to
    np.testing.assert_allclose(to_numpy(cp.weight), ct.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        to_numpy(cp(to_pygrad(x))), ct(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )
    with pygrad.no_grad():
        cp.parametrizations.weight.original0.mul_(2.0)  # the magnitude g
    np.testing.assert_allclose(to_numpy(pm.weight), tm.weight.detach().numpy(), rtol=1e-12)
    assert not np.allclose(to_numpy(cp.weight), to_numpy(pm.weight))
    for m in (pm, tm):
        with pytest.raises(RuntimeError, match="only supported through state_dict"):
            pickle.dumps(m)


def test_old_weight_norm_module_refuses_deepcopy_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # both deprecate this API
        pm = nn.utils.weight_norm(nn.Linear(2, 3))
        tm = torch.nn.utils.weight_norm(torch.nn.Linear(2, 3))
    for m in (pm, tm):
        with pytest.raises(RuntimeError, match="graph leaves"):
            copy.deepcopy(m)


def test_tensor_through_a_process_pool():
    p, _ = _pair("float32", (2, 3), seed="pool")
    bf = p.to(pygrad.bfloat16)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        doubled = pool.submit(operator.mul, p, 2.0).result()
        bf_doubled = pool.submit(operator.mul, bf, 2.0).result()
    np.testing.assert_array_equal(to_numpy(doubled), 2 * to_numpy(p))
    assert bf_doubled.dtype == pygrad.bfloat16
    np.testing.assert_array_equal(_values(bf_doubled), 2 * _values(bf))


@pytest.mark.parametrize("how", list(COPIES))
@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN", "LSTMCell"])
def test_recurrent_module_copy_uses_its_own_weights(name, how):
    pygrad.manual_seed(0)
    cell = name.endswith("Cell")
    m = getattr(nn, name)(3, 4) if cell else getattr(nn, name)(3, 4, 2, bidirectional=True)
    x = pygrad.randn(2, 3) if cell else pygrad.randn(5, 2, 3)
    before = to_numpy(m(x)[0])
    c = COPIES[how](m)
    np.testing.assert_array_equal(to_numpy(c(x)[0]), before)
    with pygrad.no_grad():
        for p in c.parameters():
            p.fill_(0.1)
    assert not np.allclose(to_numpy(c(x)[0]), before)
    np.testing.assert_array_equal(to_numpy(m(x)[0]), before)  # the original's weights are its own
