"""numpy / DLPack / torch interop: shared memory both ways, lifetime, conversions, non-contiguous arrays."""

import gc
import weakref

import numpy as np
import pytest
import torch

import pygrad

RNG = np.random.default_rng(1)


def _rand_np(*shape, dtype=np.float32):
    return (RNG.uniform(0.5, 2.0, size=shape) * RNG.choice([-1, 1], size=shape)).astype(dtype)


def _ptr(array):
    return array.__array_interface__["data"][0]


# ---------------------------------------------------------------- from_numpy / numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_from_numpy_shares_memory_both_ways(dtype):
    a = (_rand_np(3, 4) * 10).astype(dtype)
    t = pygrad.from_numpy(a)
    assert t.dtype == dtype
    assert t.shape == a.shape
    assert t.data_ptr() == _ptr(a)
    np.testing.assert_array_equal(t.numpy(), a)
    # numpy -> tensor
    a[1, 2] = 1
    assert t[1, 2].item() == 1
    # tensor -> numpy
    t[0, 0] = 0
    assert a[0, 0] == 0
    if dtype != np.bool_:
        t.add_(1)
        np.testing.assert_array_equal(t.numpy(), a)


def test_from_numpy_keeps_array_alive():
    a = _rand_np(1000)
    expected = a.copy()
    t = pygrad.from_numpy(a)
    ptr = _ptr(a)
    del a
    gc.collect()
    # allocate over whatever memory might have been freed
    junk = [np.ones(1000, np.float32) * 7 for _ in range(20)]
    assert t.data_ptr() == ptr
    np.testing.assert_array_equal(t.numpy(), expected)
    del junk


def test_from_numpy_releases_array_when_tensor_dies():
    class Holder(np.ndarray):
        pass

    base = _rand_np(16)
    a = base.view(Holder)
    ref = weakref.ref(a)
    t = pygrad.from_numpy(a)
    del a
    gc.collect()
    assert ref() is not None
    del t
    gc.collect()
    assert ref() is None


def test_numpy_shares_memory_and_is_writable():
    t = pygrad.tensor(_rand_np(2, 5))
    a = t.numpy()
    assert a.flags.writeable
    assert _ptr(a) == t.data_ptr()
    a[1, 3] = 42.0
    assert t[1, 3].item() == 42.0
    t.mul_(2.0)
    assert a[1, 3] == 84.0
    # the array keeps the tensor's memory alive
    del t
    gc.collect()
    junk = [np.zeros(10, np.float32) for _ in range(20)]
    assert a[1, 3] == 84.0
    del junk


def test_numpy_of_view_is_strided_view():
    base = pygrad.tensor(_rand_np(4, 6))
    v = base.T[1:, ::2]
    a = v.numpy()
    np.testing.assert_array_equal(a, base.numpy().T[1:, ::2])
    a[0, 0] = -5.0
    assert base[0, 1].item() == -5.0


def test_numpy_requires_grad_raises():
    t = pygrad.tensor(_rand_np(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    np.testing.assert_array_equal(t.detach().numpy(), t.numpy(force=True))


def test_asarray_buffer_protocol():
    t = pygrad.tensor(_rand_np(3, 4))
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (3, 4)
    assert _ptr(a) == t.data_ptr()
    m = memoryview(t)
    assert m.shape == (3, 4) and m.format == "f"
    np.testing.assert_array_equal(np.asarray(m), a)
    tv = t.T
    b = np.asarray(tv)
    np.testing.assert_array_equal(b, a.T)
    assert _ptr(b) == t.data_ptr()
    c = np.array(pygrad.tensor([1, 2, 3]))
    assert c.dtype == np.int64 and c.tolist() == [1, 2, 3]
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64
    np.testing.assert_array_equal(d, a.astype(np.float64))


def test_numpy_ufunc_on_tensor_and_mixed_ops():
    a = _rand_np(4)
    t = pygrad.tensor(a)
    np.testing.assert_allclose(np.exp(t), np.exp(a), rtol=1e-6)
    r = a + t  # __array_priority__: numpy defers to the tensor
    assert isinstance(r, pygrad.Tensor)
    np.testing.assert_allclose(r.numpy(), 2 * a)


# ---------------------------------------------------------------- pygrad.tensor


def test_tensor_from_list_array_scalar():
    t = pygrad.tensor([[1.5, 2.0], [3.0, -4.0]])
    assert t.shape == (2, 2) and t.dtype == pygrad.float32
    assert t.tolist() == [[1.5, 2.0], [3.0, -4.0]]
    s = pygrad.tensor(3.25)
    assert s.shape == () and s.item() == 3.25
    i = pygrad.tensor(5)
    assert i.dtype == pygrad.int64 and i.shape == ()
    b = pygrad.tensor(True)
    assert b.dtype == pygrad.bool
    a = _rand_np(3, 2).astype(np.float64)
    ta = pygrad.tensor(a)
    assert ta.dtype == pygrad.float64
    assert ta.data_ptr() != _ptr(a)  # tensor() copies
    a[0, 0] = 99
    assert ta[0, 0].item() != 99
    n32 = pygrad.tensor(np.array([1, 2], dtype=np.int32))
    assert n32.dtype == pygrad.int32  # numpy's width is kept, as torch.tensor does
    ns = pygrad.tensor(np.float64(2.5))
    assert ns.dtype == pygrad.float64 and ns.item() == 2.5


@pytest.mark.parametrize("dtype", [pygrad.float32, pygrad.float64, pygrad.int64, pygrad.bool])
def test_tensor_dtype_argument(dtype):
    t = pygrad.tensor([0, 1, 2], dtype=dtype)
    assert t.dtype == dtype
    assert t.tolist() == np.array([0, 1, 2]).astype(np.dtype(str(dtype).split(".")[1])).tolist()


def test_tensor_requires_grad_argument():
    t = pygrad.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    t2 = pygrad.tensor(np.array([1.0]), dtype=pygrad.float64, requires_grad=True)
    assert t2.requires_grad and t2.dtype == pygrad.float64
    with pytest.raises(RuntimeError):
        pygrad.tensor([1, 2], requires_grad=True)


def test_tensor_from_tensor_copies():
    a = pygrad.tensor(_rand_np(3))
    b = pygrad.tensor(a)
    assert b.data_ptr() != a.data_ptr()
    np.testing.assert_array_equal(b.numpy(), a.numpy())


def test_object_arrays_raise_typeerror():
    with pytest.raises(TypeError, match=r"\[tensor\]"):
        pygrad.tensor(np.array([1, "a", None], dtype=object))
    with pytest.raises(TypeError, match=r"\[from_numpy\]"):
        pygrad.from_numpy(np.array([1.0, 2.0], dtype=object))
    with pytest.raises(TypeError):
        pygrad.from_numpy(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        pygrad.from_numpy([1.0, 2.0])


# ---------------------------------------------------------------- non-contiguous arrays


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a.T,
        lambda a: a[::2, 1::3],
        lambda a: a[:, 2],
        lambda a: np.broadcast_to(a[:1], a.shape),
        lambda a: np.asfortranarray(a),
    ],
    ids=["T", "strided", "column", "broadcast", "fortran"],
)
def test_from_numpy_non_contiguous(make):
    base = _rand_np(6, 9)
    a = make(base)
    t = pygrad.from_numpy(a)
    assert t.shape == a.shape
    assert t.data_ptr() == _ptr(a)
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_allclose((t * 2).numpy(), a * 2)
    np.testing.assert_allclose(t.sum().item(), a.sum(dtype=np.float64), rtol=1e-5)
    c = t.contiguous()
    assert c.is_contiguous()
    np.testing.assert_array_equal(c.numpy(), a)
    tt = pygrad.tensor(a)
    np.testing.assert_array_equal(tt.numpy(), a)


def test_from_numpy_negative_strides():
    a = _rand_np(5)[::-1]
    # either supported (with correct values) or a clear ValueError; never garbage
    try:
        t = pygrad.from_numpy(a)
    except ValueError as e:
        assert "[from_numpy]" in str(e)
    else:
        np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(pygrad.tensor(a).numpy(), a)


def test_from_numpy_non_native_dtypes_raise():
    with pytest.raises(TypeError):
        pygrad.from_numpy(np.zeros(3, dtype=np.uint16) + 1)
    with pytest.raises(TypeError):
        pygrad.from_numpy(np.ones(3, dtype=">f4"))


# ---------------------------------------------------------------- DLPack


def test_dlpack_to_numpy_zero_copy():
    t = pygrad.tensor(_rand_np(3, 4))
    a = np.from_dlpack(t)
    assert _ptr(a) == t.data_ptr()
    np.testing.assert_array_equal(a, t.numpy())
    t.mul_(3.0)
    np.testing.assert_array_equal(a, t.numpy())
    # the array keeps the memory alive after the tensor dies
    expected = a.copy()
    del t
    gc.collect()
    junk = [np.zeros(12, np.float32) for _ in range(20)]
    np.testing.assert_array_equal(a, expected)
    del junk


def test_dlpack_from_numpy_zero_copy():
    a = _rand_np(4, 5).astype(np.float64)
    t = pygrad.from_dlpack(a)
    assert t.dtype == pygrad.float64
    assert t.data_ptr() == _ptr(a)
    np.testing.assert_array_equal(t.numpy(), a)
    a[2, 2] = 11.0
    assert t[2, 2].item() == 11.0
    expected = a.copy()
    del a
    gc.collect()
    junk = [np.zeros(20) for _ in range(20)]
    np.testing.assert_array_equal(t.numpy(), expected)
    del junk


def test_dlpack_numpy_non_contiguous():
    a = _rand_np(6, 8)[1::2, ::3]
    t = pygrad.from_dlpack(a)
    assert t.data_ptr() == _ptr(a)
    np.testing.assert_array_equal(t.numpy(), a)
    tv = pygrad.tensor(_rand_np(5, 7)).T[::2]
    b = np.from_dlpack(tv)
    np.testing.assert_array_equal(b, tv.numpy())
    assert _ptr(b) == tv.data_ptr()


@pytest.mark.parametrize("dtype", [pygrad.float32, pygrad.float64, pygrad.int64, pygrad.bool])
def test_dlpack_to_torch_zero_copy(dtype):
    t = pygrad.tensor(_rand_np(3, 4) * 5, dtype=dtype)
    tt = torch.from_dlpack(t)
    assert tt.data_ptr() == t.data_ptr()
    assert tt.shape == (3, 4)
    np.testing.assert_array_equal(tt.numpy(), t.numpy())
    expected = t.numpy().copy()
    del t
    gc.collect()
    np.testing.assert_array_equal(tt.numpy(), expected)


def test_dlpack_torch_writes_visible():
    t = pygrad.tensor(_rand_np(4))
    tt = torch.from_dlpack(t)
    tt[1] = 17.0
    assert t[1].item() == 17.0
    t.fill_(-1.0)
    assert tt.tolist() == [-1.0] * 4


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool])
def test_dlpack_from_torch_zero_copy(dtype):
    src = torch.from_numpy(_rand_np(2, 6) * 5).to(dtype)
    t = pygrad.from_dlpack(src)
    assert t.data_ptr() == src.data_ptr()
    assert t.shape == (2, 6)
    np.testing.assert_array_equal(t.numpy(), src.numpy())
    expected = src.numpy().copy()
    del src
    gc.collect()
    junk = [torch.zeros(12) for _ in range(20)]
    np.testing.assert_array_equal(t.numpy(), expected)
    del junk


def test_dlpack_from_torch_non_contiguous_and_capsule():
    src = torch.from_numpy(_rand_np(5, 6)).t()[1:, ::2]
    t = pygrad.from_dlpack(src)
    assert t.data_ptr() == src.data_ptr()
    assert t.stride() == src.stride()
    np.testing.assert_array_equal(t.numpy(), src.numpy())
    src2 = torch.from_numpy(_rand_np(3))
    t2 = pygrad.from_dlpack(src2.__dlpack__())
    assert t2.data_ptr() == src2.data_ptr()
    np.testing.assert_array_equal(t2.numpy(), src2.numpy())


def test_dlpack_requires_grad_tensor_raises():
    t = pygrad.tensor(_rand_np(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        np.from_dlpack(t)
    a = np.from_dlpack(t.detach())
    assert _ptr(a) == t.data_ptr()


def test_dlpack_device():
    assert pygrad.zeros(2).__dlpack_device__() == (1, 0)


def test_dlpack_unused_capsule_does_not_leak_or_crash():
    t = pygrad.tensor(_rand_np(3))
    cap = t.__dlpack__()
    del cap
    gc.collect()
    assert t.sum().item() == pytest.approx(float(t.numpy().sum()))
