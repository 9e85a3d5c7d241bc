"""Tensor basics: dtypes, geometry, views sharing storage, in-place ops, factories, RNG, conversions, devices."""

import numpy as np
import pytest
from conftest import import_torch

import pygrad

RNG = np.random.default_rng(0)


def _rand_np(*shape, dtype=np.float32):
    # Random values bounded away from zero so a wrongly-zeroed result cannot pass.
    return (RNG.uniform(0.5, 2.0, size=shape) * RNG.choice([-1, 1], size=shape)).astype(dtype)


def _t(array):
    return pygrad.tensor(array)


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- dtypes and geometry


def test_default_dtype_is_float32():
    assert pygrad.zeros(2).dtype == pygrad.float32
    assert pygrad.randn(2).dtype == pygrad.float32
    assert pygrad.tensor([1.5, 2.5]).dtype == pygrad.float32
    assert pygrad.tensor(np.array([1.5], dtype=np.float64)).dtype == pygrad.float64


@pytest.mark.parametrize(
    "data, dtype, np_dtype",
    [
        ([1.5, -2.25], pygrad.float32, np.float32),
        ([1.5, -2.25], pygrad.float64, np.float64),
        ([3, -7], pygrad.int64, np.int64),
        ([True, False], pygrad.bool, np.bool_),
    ],
)
def test_dtypes_roundtrip(data, dtype, np_dtype):
    t = pygrad.tensor(data, dtype=dtype)
    assert t.dtype == dtype
    assert t.numpy().dtype == np_dtype
    np.testing.assert_array_equal(t.numpy(), np.array(data, dtype=np_dtype))
    assert t.element_size() == np.dtype(np_dtype).itemsize


def test_int_and_bool_inference():
    assert pygrad.tensor([1, 2]).dtype == pygrad.int64
    assert pygrad.tensor([True]).dtype == pygrad.bool
    assert pygrad.tensor(3).dtype == pygrad.int64


def test_dtype_objects_compare_with_numpy_and_strings():
    assert pygrad.float32 == np.float32
    assert pygrad.float32 == np.dtype("float32")
    assert pygrad.float64 == np.float64
    assert pygrad.int64 == np.int64
    assert pygrad.bool == np.bool_
    assert pygrad.float32 == "float32"
    assert pygrad.int64 == "int64"
    assert pygrad.float32 != pygrad.float64
    assert pygrad.float32 != np.float64
    assert pygrad.int64 != "float32"
    assert pygrad.float32 != "not_a_dtype"
    assert (
        pygrad.float == pygrad.float32
        and pygrad.double == pygrad.float64
        and pygrad.long == pygrad.int64
    )
    assert pygrad.float32.is_floating_point and not pygrad.int64.is_floating_point
    assert pygrad.float64.itemsize == 8
    assert repr(pygrad.float32) == "pygrad.float32"
    assert len({pygrad.float32, pygrad.float32, pygrad.int64}) == 2


def test_shape_strides_offset():
    t = pygrad.tensor(_rand_np(2, 3, 4))
    assert t.shape == (2, 3, 4)
    assert t.size() == (2, 3, 4)
    assert t.size(1) == 3 and t.size(-1) == 4
    assert t.stride() == (12, 4, 1)
    assert t.stride(0) == 12
    assert t._offset == 0
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24
    assert t.is_contiguous()
    s = t[1, 1:]
    assert s.shape == (2, 4)
    assert s.stride() == (4, 1)
    assert s._offset == 12 + 4


# ---------------------------------------------------------------- views share storage


def _base():
    return pygrad.tensor(_rand_np(3, 4, 5))


def _check_view_shares(base, view, view_ref, write_value=123.0):
    """view_ref: a function mapping a numpy copy of base to the numpy view matching `view`."""
    ref = _np(base).copy()
    np.testing.assert_array_equal(_np(view), view_ref(ref))
    # Writing through the view changes the base ...
    view.fill_(write_value)
    view_ref(ref)[...] = write_value
    np.testing.assert_array_equal(_np(base), ref)
    # ... and writing the base is visible in the view.
    base.mul_(2.0)
    ref *= 2
    np.testing.assert_array_equal(_np(view), view_ref(ref))


VIEW_CASES = {
    "reshape": (lambda t: t.reshape(12, 5), lambda a: a.reshape(12, 5)),
    "reshape_neg1": (lambda t: t.reshape(-1), lambda a: a.reshape(-1)),
    "view": (lambda t: t.view(3, 20), lambda a: a.reshape(3, 20)),
    "view_tuple": (lambda t: t.view((4, 15)), lambda a: a.reshape(4, 15)),
    "transpose": (lambda t: t.transpose(0, 2), lambda a: a.transpose(2, 1, 0)),
    "permute": (lambda t: t.permute(1, 2, 0), lambda a: a.transpose(1, 2, 0)),
    "T_2d": (lambda t: t[0].T, lambda a: a[0].T),
    "mT": (lambda t: t.mT, lambda a: np.swapaxes(a, -1, -2)),
    "int_index": (lambda t: t[1], lambda a: a[1]),
    "neg_index": (lambda t: t[-1, -2], lambda a: a[-1, -2]),
    "slice_step": (lambda t: t[:, 1::2, ::3], lambda a: a[:, 1::2, ::3]),
    "slice_neg_bounds": (lambda t: t[-2:, :-1], lambda a: a[-2:, :-1]),
    "none": (lambda t: t[:, None, 2], lambda a: a[:, None, 2]),
    "ellipsis": (lambda t: t[..., 3], lambda a: a[..., 3]),
    "ellipsis_mid": (lambda t: t[1, ..., 1:3], lambda a: a[1, ..., 1:3]),
    "squeeze": (lambda t: t[:, :1].squeeze(1), lambda a: a[:, :1].squeeze(1)),
    "squeeze_all": (lambda t: t[:1, :, :1].squeeze(), lambda a: a[:1, :, :1].squeeze()),
    "unsqueeze": (lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    "unsqueeze_neg": (lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    "flatten": (lambda t: t.flatten(1), lambda a: a.reshape(3, 20)),
    "flatten_all": (lambda t: t.flatten(), lambda a: a.reshape(-1)),
    "narrow": (lambda t: t.narrow(2, 1, 3), lambda a: a[:, :, 1:4]),
    "select": (lambda t: t.select(1, 2), lambda a: a[:, 2]),
    "select_neg": (lambda t: t.select(-1, -1), lambda a: a[..., -1]),
    "chain": (
        lambda t: t.transpose(0, 1)[1:, ::2].unsqueeze(0),
        lambda a: a.transpose(1, 0, 2)[1:, ::2][None],
    ),
}


@pytest.mark.parametrize("name", sorted(VIEW_CASES))
def test_views_share_storage(name):
    make, ref = VIEW_CASES[name]
    base = _base()
    view = make(base)
    assert view.shape == ref(_np(base)).shape
    _check_view_shares(base, view, ref)


def test_expand_is_a_view():
    base = pygrad.tensor(_rand_np(3, 1))
    e = base.expand(3, 4)
    assert e.shape == (3, 4)
    assert e.stride() == (1, 0)
    np.testing.assert_array_equal(_np(e), np.broadcast_to(_np(base), (3, 4)))
    base.add_(1.0)
    np.testing.assert_array_equal(_np(e), np.broadcast_to(_np(base), (3, 4)))
    e2 = base.expand(2, -1, 5)
    assert e2.shape == (2, 3, 5)


def test_transpose_strides():
    t = _base()
    assert t.transpose(0, 2).stride() == (1, 5, 20)
    assert not t.transpose(0, 2).is_contiguous()
    assert t.permute(2, 0, 1).shape == (5, 3, 4)


def test_contiguous_and_clone():
    base = _base()
    tr = base.transpose(0, 1)
    c = tr.contiguous()
    assert c.is_contiguous()
    np.testing.assert_array_equal(_np(c), _np(tr))
    c.fill_(7.0)
    assert not np.any(_np(base) == 7.0)
    # contiguous() of a contiguous tensor is the tensor itself (shares memory)
    same = base.contiguous()
    assert same.data_ptr() == base.data_ptr()
    cl = base.clone()
    assert cl.data_ptr() != base.data_ptr()
    np.testing.assert_array_equal(_np(cl), _np(base))
    cl.zero_()
    assert np.all(_np(base) != 0)


def test_view_on_nonviewable_raises_reshape_copies():
    base = _base()
    tr = base.transpose(0, 2)
    with pytest.raises(RuntimeError, match=r"\[view\]"):
        tr.view(-1)
    r = tr.reshape(-1)
    np.testing.assert_array_equal(_np(r), _np(base).transpose(2, 1, 0).reshape(-1))
    r.fill_(5.0)
    assert not np.any(_np(base) == 5.0)


def test_reshape_infers_and_keeps_data():
    a = _rand_np(4, 6)
    t = _t(a)
    np.testing.assert_array_equal(_np(t.reshape(3, -1)), a.reshape(3, -1))
    np.testing.assert_array_equal(_np(pygrad.reshape(t, (2, 12))), a.reshape(2, 12))


# ---------------------------------------------------------------- in-place ops


@pytest.mark.parametrize(
    "method, np_fn",
    [
        ("add_", np.add),
        ("sub_", np.subtract),
        ("mul_", np.multiply),
        ("div_", np.divide),
    ],
)
@pytest.mark.parametrize("other_kind", ["tensor", "scalar", "broadcast"])
def test_inplace_arith(method, np_fn, other_kind):
    a = _rand_np(3, 4)
    other = {"tensor": _rand_np(3, 4), "scalar": 1.75, "broadcast": _rand_np(4)}[other_kind]
    t = _t(a)
    ptr = t.data_ptr()
    version = t._version
    arg = other if other_kind == "scalar" else _t(other)
    out = getattr(t, method)(arg)
    assert out.data_ptr() == ptr
    assert t.data_ptr() == ptr
    assert t._version > version
    np.testing.assert_allclose(_np(t), np_fn(a, other).astype(np.float32), rtol=1e-6)


def test_add_sub_alpha():
    a, b = _rand_np(5), _rand_np(5)
    t = _t(a)
    t.add_(_t(b), alpha=2.5)
    np.testing.assert_allclose(_np(t), a + 2.5 * b, rtol=1e-6)
    t.sub_(_t(b), alpha=0.5)
    np.testing.assert_allclose(_np(t), a + 2.0 * b, rtol=1e-5)


@pytest.mark.parametrize(
    "op, np_fn",
    [
        ("+=", np.add),
        ("-=", np.subtract),
        ("*=", np.multiply),
        ("/=", np.divide),
    ],
)
def test_augmented_assignment_in_place(op, np_fn):
    a, b = _rand_np(2, 3), _rand_np(2, 3)
    t = _t(a)
    alias = t
    ptr = t.data_ptr()
    ns = {"t": t, "o": _t(b)}
    exec(f"t {op} o", ns)
    assert ns["t"] is alias
    assert ns["t"].data_ptr() == ptr
    np.testing.assert_allclose(_np(alias), np_fn(a, b), rtol=1e-6)
    exec(f"t {op} 2.0", ns)
    np.testing.assert_allclose(_np(alias), np_fn(np_fn(a, b), np.float32(2.0)), rtol=1e-6)


def test_zero_fill_copy():
    a = _rand_np(3, 3)
    t = _t(a)
    t.zero_()
    np.testing.assert_array_equal(_np(t), np.zeros((3, 3), np.float32))
    t.fill_(2.5)
    np.testing.assert_array_equal(_np(t), np.full((3, 3), 2.5, np.float32))
    src = _rand_np(3, 3)
    ptr = t.data_ptr()
    t.copy_(_t(src))
    assert t.data_ptr() == ptr
    np.testing.assert_array_equal(_np(t), src)
    # copy_ broadcasts and converts dtype
    t.copy_(pygrad.tensor([1, 2, 3]))
    np.testing.assert_array_equal(_np(t), np.tile(np.array([1, 2, 3], np.float32), (3, 1)))
    # copy_ from a non-contiguous source
    s2 = _rand_np(3, 3)
    t.copy_(_t(s2).T)
    np.testing.assert_array_equal(_np(t), s2.T)


def test_inplace_on_int_tensor():
    t = pygrad.tensor([1, 2, 3])
    t += 4
    t *= 2
    assert t.tolist() == [10, 12, 14]
    assert t.dtype == pygrad.int64


def test_sgd_update_under_no_grad_updates_leaf():
    w = pygrad.tensor(_rand_np(4, 3), requires_grad=True)
    x = pygrad.tensor(_rand_np(5, 4))
    loss = (x @ w).pow(2).sum()
    loss.backward()
    g = _np(w.grad).copy()
    before = _np(w).copy()
    ptr = w.data_ptr()
    alias = w
    lr = 0.01
    with pygrad.no_grad():
        w -= lr * w.grad
    assert w is alias
    assert w.data_ptr() == ptr
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(_np(w), before - lr * g, rtol=1e-5, atol=1e-6)
    w.grad = None
    assert w.grad is None


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = pygrad.tensor(_rand_np(3), requires_grad=True)
    with pytest.raises(RuntimeError):
        w.add_(1.0)


def test_setitem():
    a = _rand_np(4, 5)
    t = _t(a)
    t[0] = 1.0
    a[0] = 1.0
    t[1:3, ::2] = _t(np.full((2, 3), -3.0, np.float32))
    a[1:3, ::2] = -3.0
    t[-1, -1] = 9.5
    a[-1, -1] = 9.5
    t[..., 1] = _t(np.arange(4, dtype=np.float32))
    a[..., 1] = np.arange(4)
    t[2] = _t(np.arange(5, dtype=np.float32))  # broadcast row assignment
    a[2] = np.arange(5)
    np.testing.assert_array_equal(_np(t), a)
    v0 = t._version
    t[0, 0] = 0.25
    assert t._version > v0


def test_setitem_through_view_changes_base():
    base = _base()
    v = base.transpose(0, 1)
    v[0, 1] = 42.0
    assert _np(base)[1, 0].tolist() == [42.0] * 5


# ---------------------------------------------------------------- factories


def test_zeros_ones_full_empty():
    z = pygrad.zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == pygrad.float32
    np.testing.assert_array_equal(_np(z), np.zeros((2, 3)))
    o = pygrad.ones((3,), dtype=pygrad.float64)
    assert o.dtype == pygrad.float64
    np.testing.assert_array_equal(_np(o), np.ones(3))
    f = pygrad.full((2, 2), 3.5)
    np.testing.assert_array_equal(_np(f), np.full((2, 2), 3.5))
    assert pygrad.full((2,), 7).dtype == pygrad.int64
    assert pygrad.full((2,), True).dtype == pygrad.bool
    e = pygrad.empty(4, 5, dtype=pygrad.int64)
    assert e.shape == (4, 5) and e.dtype == pygrad.int64
    assert pygrad.zeros([]).shape == ()
    assert pygrad.zeros(0, 3).numel() == 0
    r = pygrad.zeros(3, requires_grad=True)
    assert r.requires_grad and r.is_leaf


def test_arange_linspace_eye():
    np.testing.assert_array_equal(_np(pygrad.arange(5)), np.arange(5))
    assert pygrad.arange(5).dtype == pygrad.int64
    np.testing.assert_array_equal(_np(pygrad.arange(2, 11, 3)), np.arange(2, 11, 3))
    np.testing.assert_allclose(_np(pygrad.arange(0.5, 2.0, 0.25)), np.arange(0.5, 2.0, 0.25))
    assert pygrad.arange(0.5, 2.0, 0.25).dtype == pygrad.float32
    np.testing.assert_array_equal(_np(pygrad.arange(5, 0, -2)), np.arange(5, 0, -2))
    np.testing.assert_allclose(_np(pygrad.linspace(-1, 3, 9)), np.linspace(-1, 3, 9), rtol=1e-6)
    assert pygrad.linspace(0, 1, 5, dtype=pygrad.float64).dtype == pygrad.float64
    np.testing.assert_array_equal(_np(pygrad.eye(3)), np.eye(3))
    np.testing.assert_array_equal(_np(pygrad.eye(2, 4)), np.eye(2, 4))
    assert pygrad.eye(3, dtype=pygrad.int64).dtype == pygrad.int64


def test_rand_randn_randint_randperm():
    pygrad.manual_seed(1)
    r = pygrad.rand(2000)
    a = _np(r)
    assert a.min() >= 0 and a.max() < 1
    assert abs(a.mean() - 0.5) < 0.05
    n = _np(pygrad.randn(4000, dtype=pygrad.float64))
    assert n.dtype == np.float64
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1
    i = pygrad.randint(3, 9, (1000,))
    assert i.dtype == pygrad.int64
    ia = _np(i)
    assert ia.min() >= 3 and ia.max() < 9 and len(set(ia.tolist())) == 6
    i2 = pygrad.randint(5, (2, 3))
    assert i2.shape == (2, 3) and _np(i2).max() < 5
    p = pygrad.randperm(50)
    assert p.dtype == pygrad.int64
    assert sorted(p.tolist()) == list(range(50))
    assert p.tolist() != list(range(50))
    g = pygrad.randn(3, 3, requires_grad=True)
    assert g.requires_grad and g.is_leaf


def test_like_factories():
    x = pygrad.tensor(_rand_np(2, 3), dtype=pygrad.float64)
    for fn in (
        pygrad.zeros_like,
        pygrad.ones_like,
        pygrad.empty_like,
        pygrad.rand_like,
        pygrad.randn_like,
    ):
        y = fn(x)
        assert y.shape == x.shape and y.dtype == pygrad.float64, fn.__name__
        assert not y.requires_grad
    assert pygrad.zeros_like(x, dtype=pygrad.float32).dtype == pygrad.float32
    assert pygrad.ones_like(x, requires_grad=True).requires_grad
    np.testing.assert_array_equal(_np(pygrad.ones_like(x)), np.ones((2, 3)))
    np.testing.assert_array_equal(_np(pygrad.full_like(x, 2.5)), np.full((2, 3), 2.5))
    ri = pygrad.randint_like(pygrad.zeros(10, dtype=pygrad.int64), 4)
    assert ri.dtype == pygrad.int64 and _np(ri).max() < 4


# ---------------------------------------------------------------- RNG reproducibility


@pytest.mark.parametrize("fn", [pygrad.rand, pygrad.randn])
def test_manual_seed_reproducible(fn):
    pygrad.manual_seed(1234)
    a = _np(fn(3, 7)).copy()
    b = _np(fn(3, 7)).copy()
    pygrad.manual_seed(1234)
    a2 = _np(fn(3, 7)).copy()
    b2 = _np(fn(3, 7)).copy()
    assert a.tobytes() == a2.tobytes()
    assert b.tobytes() == b2.tobytes()
    assert a.tobytes() != b.tobytes()
    pygrad.manual_seed(1235)
    assert _np(fn(3, 7)).tobytes() != a.tobytes()


def test_manual_seed_randint_randperm():
    pygrad.manual_seed(7)
    a, p = _np(pygrad.randint(0, 100, (50,))).copy(), _np(pygrad.randperm(30)).copy()
    pygrad.manual_seed(7)
    assert _np(pygrad.randint(0, 100, (50,))).tobytes() == a.tobytes()
    assert _np(pygrad.randperm(30)).tobytes() == p.tobytes()


@pytest.fixture
def restore_threads():
    n = pygrad.get_num_threads()
    yield
    pygrad.set_num_threads(n)


def test_set_get_num_threads(restore_threads):
    pygrad.set_num_threads(1)
    assert pygrad.get_num_threads() == 1
    pygrad.set_num_threads(2)
    assert pygrad.get_num_threads() == 2
    with pytest.raises(ValueError):
        pygrad.set_num_threads(0)


@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize("dtype", [pygrad.float32, pygrad.float64])
def test_rng_same_at_any_thread_count(restore_threads, name, dtype):
    fn = getattr(pygrad, name)
    results = []
    for threads in (1, 2):
        pygrad.set_num_threads(threads)
        pygrad.manual_seed(99)
        first = _np(fn(1_000_000, dtype=dtype)).tobytes()
        second = _np(fn(1000, dtype=dtype)).tobytes()  # the stream continues identically too
        results.append((first, second))
    assert results[0] == results[1]


def test_parallel_sum_same_at_any_thread_count(restore_threads):
    pygrad.manual_seed(3)
    x = pygrad.randn(1_000_003)
    out = []
    for threads in (1, 2):
        pygrad.set_num_threads(threads)
        out.append(x.sum().item())
    assert out[0] == out[1]


# ---------------------------------------------------------------- conversions and repr


def test_repr_readable():
    r = repr(pygrad.tensor([[1.5, -2.0], [0.25, 3.0]]))
    assert r.startswith("tensor(")
    assert "1.5" in r and "-2." in r and "0.25" in r
    assert "dtype" not in r
    r64 = repr(pygrad.tensor([1.0, 2.0], dtype=pygrad.float64))
    assert "dtype=pygrad.float64" in r64
    assert repr(pygrad.tensor([1, 2])) == "tensor([1, 2])"
    rg = repr(pygrad.tensor([1.0], requires_grad=True))
    assert "requires_grad=True" in rg
    x = pygrad.tensor([1.0, 2.0], requires_grad=True)
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert str(pygrad.tensor(2.5)).startswith("tensor(2.5")
    assert str(pygrad.tensor(2.5)) == repr(pygrad.tensor(2.5))


def test_item_tolist_len_iter_bool_float():
    a = _rand_np(3, 2)
    t = _t(a)
    assert len(t) == 3
    assert t.tolist() == a.tolist()
    rows = list(t)
    assert len(rows) == 3 and rows[1].shape == (2,)
    np.testing.assert_array_equal(_np(rows[2]), a[2])
    s = pygrad.tensor(2.5)
    assert s.item() == 2.5 and isinstance(s.item(), float)
    assert isinstance(pygrad.tensor(3).item(), int) and pygrad.tensor(3).item() == 3
    assert pygrad.tensor(True).item() is True
    assert float(pygrad.tensor([1.25])) == 1.25
    assert int(pygrad.tensor(7)) == 7
    assert bool(pygrad.tensor(0.5)) is True
    assert bool(pygrad.tensor(0.0)) is False
    assert s.tolist() == 2.5
    with pytest.raises(RuntimeError):
        bool(pygrad.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):
        pygrad.tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError):
        len(pygrad.tensor(1.0))
    with pytest.raises(TypeError):
        iter(pygrad.tensor(1.0))
    assert [1, 2, 3][pygrad.tensor(1)] == 2


def test_to_dtype_conversions():
    a = _rand_np(4) * 3
    t = _t(a)
    d = t.to(pygrad.float64)
    assert d.dtype == pygrad.float64
    np.testing.assert_array_equal(_np(d), a.astype(np.float64))
    assert t.long().tolist() == a.astype(np.int64).tolist()
    assert t.double().dtype == pygrad.float64
    assert t.to("cpu") is t or _np(t.to("cpu")).tobytes() == a.tobytes()
    assert t.to(dtype=pygrad.int64).dtype == pygrad.int64
    assert (t > 0).dtype == pygrad.bool
    assert t.float().dtype == pygrad.float32


# ---------------------------------------------------------------- devices and version


def test_device_cpu():
    d = pygrad.device("cpu")
    assert d.type == "cpu"
    assert str(d) == "cpu"
    assert d == "cpu"
    t = pygrad.zeros(2)
    assert t.device == pygrad.device("cpu")
    assert t.device.type == "cpu"
    assert not t.is_cuda
    assert pygrad.zeros(2, device="cpu").device == d
    assert pygrad.device("cuda:1").index == 1
    with pytest.raises(ValueError):
        pygrad.device("tpu")


def test_cuda_unavailable():
    assert pygrad.cuda.is_available() is False
    assert pygrad.cuda.device_count() == 0
    t = pygrad.randn(3)
    with pytest.raises(RuntimeError, match="CUDA"):
        t.to("cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        t.cuda()
    with pytest.raises(RuntimeError, match="CUDA"):
        pygrad.zeros(3, device="cuda")


def test_every_factory_checks_device_like_torch():
    x = pygrad.zeros(2, 3)
    factories = {
        "zeros": lambda **kw: pygrad.zeros(2, **kw),
        "ones": lambda **kw: pygrad.ones(2, **kw),
        "empty": lambda **kw: pygrad.empty(2, **kw),
        "full": lambda **kw: pygrad.full((2,), 1.0, **kw),
        "arange": lambda **kw: pygrad.arange(3, **kw),
        "linspace": lambda **kw: pygrad.linspace(0, 1, 3, **kw),
        "eye": lambda **kw: pygrad.eye(2, **kw),
        "tensor": lambda **kw: pygrad.tensor([1.0], **kw),
        "as_tensor": lambda **kw: pygrad.as_tensor([1.0], **kw),
        "rand": lambda **kw: pygrad.rand(2, **kw),
        "randn": lambda **kw: pygrad.randn(2, **kw),
        "randint": lambda **kw: pygrad.randint(0, 5, (2,), **kw),
        "randperm": lambda **kw: pygrad.randperm(4, **kw),
        "zeros_like": lambda **kw: pygrad.zeros_like(x, **kw),
        "ones_like": lambda **kw: pygrad.ones_like(x, **kw),
        "empty_like": lambda **kw: pygrad.empty_like(x, **kw),
        "full_like": lambda **kw: pygrad.full_like(x, 2.0, **kw),
        "rand_like": lambda **kw: pygrad.rand_like(x, **kw),
        "randn_like": lambda **kw: pygrad.randn_like(x, **kw),
        "randint_like": lambda **kw: pygrad.randint_like(x, 5, **kw),
    }
    for name, make in factories.items():
        assert make(device="cpu").device == pygrad.device("cpu"), name
        assert make(device=pygrad.device("cpu")).device == pygrad.device("cpu"), name
        with pytest.raises(RuntimeError, match=r"\[\w+\] cannot use device 'cuda'"):
            make(device="cuda")


def test_random_factories_take_a_generator():
    """Each random factory draws from a pygrad.Generator when given one (reproducibly), and refuses
    anything else (a torch.Generator) by name instead of silently ignoring it."""
    x = pygrad.zeros(2, 3)
    random = {
        "rand": lambda **kw: pygrad.rand(2, **kw),
        "randn": lambda **kw: pygrad.randn(2, **kw),
        "randint": lambda **kw: pygrad.randint(0, 5, (2,), **kw),
        "randperm": lambda **kw: pygrad.randperm(4, **kw),
        "rand_like": lambda **kw: pygrad.rand_like(x, **kw),
        "randn_like": lambda **kw: pygrad.randn_like(x, **kw),
        "randint_like": lambda **kw: pygrad.randint_like(x, 5, **kw),
    }
    torch = import_torch()
    for name, make in random.items():
        assert make(generator=None).shape in ((2,), (2, 3), (4,)), name
        g = pygrad.Generator().manual_seed(3)
        first = make(generator=g)
        g.manual_seed(3)
        assert make(generator=g).tolist() == first.tolist(), name
        with pytest.raises(TypeError, match=r"\[\w+\] generator must be a pygrad\.Generator"):
            make(generator=torch.Generator())


def test_randint_honours_requires_grad_like_torch():
    torch = import_torch()
    with pytest.raises(RuntimeError, match="floating point"):
        torch.randint(0, 5, (3,), requires_grad=True)
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        pygrad.randint(0, 5, (3,), requires_grad=True)
    t = pygrad.randint(0, 5, (3,), dtype=pygrad.float32, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.dtype == pygrad.float32
    assert torch.randint(0, 5, (3,), dtype=torch.float32, requires_grad=True).requires_grad
    r = pygrad.randint_like(pygrad.zeros(4), 3, 7, requires_grad=True)
    assert r.requires_grad and r.detach().numpy().min() >= 3 and r.detach().numpy().max() < 7


def test_version_string():
    v = pygrad.__version__
    assert isinstance(v, str)
    parts = v.split(".")
    assert len(parts) >= 2 and all(p.isdigit() for p in parts[:2])


def test_backend_reports_capability_and_a_measured_peak():
    import pygrad.backend as backend

    assert backend.cpu_capability() in ("portable", "avx2", "avx512")
    order = ["portable", "avx2", "avx512"]
    assert order.index(backend.cpu_capability()) <= order.index(backend.detected_cpu_capability())
    peak = backend.cpu_peak_gflops(1)
    assert 1.0 < peak < 10000.0  # a real measurement, in GFLOP/s


def test_large_inputs_through_bindings_that_release_the_gil():
    # Above the size where bindings release the GIL: every Python argument must be converted first.
    x = pygrad.randn(256, 512)
    np.testing.assert_allclose(x.sum(0).numpy(), x.numpy().sum(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        x.sum(dim=(0, 1), dtype=pygrad.float64).item(),
        x.numpy().astype(np.float64).sum(),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        x.mean(1, keepdim=True).numpy(), x.numpy().mean(1, keepdims=True), rtol=1e-4, atol=1e-6
    )
    _, indices = x.max(1)
    np.testing.assert_array_equal(indices.numpy(), x.numpy().argmax(1))
    assert pygrad.rand(300, 300, dtype=pygrad.float64).dtype == pygrad.float64
