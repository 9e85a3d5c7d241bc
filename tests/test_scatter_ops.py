"""take, take_along_dim, masked_select, masked_scatter, index_fill, scatter and scatter_reduce (and in-place
forms) against torch 2.13: values for every dtype, gradients (unique indices, where torch's formula is the
true derivative), include_self, edge sizes, non-contiguous inputs and errors.
"""

import numpy as np
import pytest
from conftest import import_torch, make_rng
from test_shape_ops import DTYPES, as_pair, assert_same, compare, raises_like, sample

import pygrad
from pygrad.autograd import gradcheck

torch = import_torch()


def index_pair(values):
    a = np.asarray(values, dtype=np.int64)
    return pygrad.from_numpy(a.copy()), torch.from_numpy(a.copy())


def mask_pair(shape, seed=0):
    m = np.asarray(make_rng("mask", seed, str(shape)).random(shape) < 0.5)
    return pygrad.from_numpy(m.copy()), torch.from_numpy(m.copy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_and_take_along_dim(dtype):
    ip, it = index_pair([[0, 5], [-1, 3], [2, 2]])
    compare(lambda x: pygrad.take(x, ip), lambda x: torch.take(x, it), (2, 3), dtype)
    compare(lambda x: x.take(ip), lambda x: x.take(it), (2, 3), dtype, layout="transpose")
    ep, et = index_pair(np.zeros((0,), np.int64))
    compare(lambda x: x.take(ep), lambda x: x.take(et), (2, 3), dtype)
    jp, jt = index_pair([[0, 2, 1], [1, 1, 0]])
    compare(
        lambda x: pygrad.take_along_dim(x, jp, 1),
        lambda x: torch.take_along_dim(x, jt, 1),
        (2, 3),
        dtype,
    )
    kp, kt = index_pair([[0], [2]])
    compare(lambda x: x.take_along_dim(kp, -1), lambda x: x.take_along_dim(kt, -1), (2, 4), dtype)
    bp, bt = index_pair([[[1, 0]]])  # broadcast in the other dims
    compare(lambda x: x.take_along_dim(bp, 2), lambda x: x.take_along_dim(bt, 2), (3, 1, 4), dtype)
    compare(
        lambda x: pygrad.take_along_dim(x, jp), lambda x: torch.take_along_dim(x, jt), (2, 3), dtype
    )
    p, t = as_pair(sample((2, 3), dtype))
    bad_p, bad_t = index_pair([6])
    raises_like(lambda: pygrad.take(p, bad_p), lambda: torch.take(t, bad_t))
    raises_like(
        lambda: pygrad.take_along_dim(p, bad_p, 0), lambda: torch.take_along_dim(t, bad_t, 0)
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_select_and_scatter(dtype):
    mp, mt = mask_pair((3, 4))
    compare(
        lambda x: pygrad.masked_select(x, mp), lambda x: torch.masked_select(x, mt), (3, 4), dtype
    )
    rp, rt = mask_pair((1, 4), 1)  # mask broadcast to input
    compare(
        lambda x: x.masked_select(rp), lambda x: x.masked_select(rt), (3, 4), dtype, layout="step"
    )
    compare(
        lambda x: x.masked_select(mp), lambda x: x.masked_select(mt), (4,), dtype
    )  # input broadcast
    source = sample((20,), dtype, 7)
    sp, st = as_pair(source)
    compare(
        lambda x: pygrad.masked_scatter(x, mp, sp),
        lambda x: torch.masked_scatter(x, mt, st),
        (3, 4),
        dtype,
    )
    compare(lambda x: x.masked_scatter(rp, sp), lambda x: x.masked_scatter(rt, st), (3, 4), dtype)
    p, t = as_pair(sample((3, 4), dtype))
    assert p.masked_scatter_(mp, sp) is p
    t.masked_scatter_(mt, st)
    assert_same(p, t)
    small_p, small_t = as_pair(source[:2])
    raises_like(lambda: p.masked_scatter(mp, small_p), lambda: t.masked_scatter(mt, small_t))
    if dtype != "bool":
        raises_like(lambda: p.masked_select(p), lambda: t.masked_select(t))


def test_masked_scatter_gradients():
    mp, mt = mask_pair((3, 4))
    x, tx = as_pair(sample((3, 4), "float64"), requires_grad=True)
    s, ts = as_pair(sample((15,), "float64", 3), requires_grad=True)
    g = sample((3, 4), "float64", 4)
    (pygrad.masked_scatter(x, mp, s) * pygrad.from_numpy(g.copy())).sum().backward()
    (torch.masked_scatter(tx, mt, ts) * torch.from_numpy(g.copy())).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())
    assert gradcheck(
        lambda a, b: pygrad.masked_scatter(a, mp, b) ** 2, (x.detach().requires_grad_(True), s)
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_fill(dtype):
    ip, it = index_pair([0, 2, -1])
    value = {"bool": True, "int64": -4, "float32": 2.5, "float64": -1.25}[dtype]
    compare(
        lambda x: pygrad.index_fill(x, 1, ip, value),
        lambda x: torch.index_fill(x, 1, it, value),
        (2, 4),
        dtype,
    )
    compare(
        lambda x: x.index_fill(0, ip, value),
        lambda x: x.index_fill(0, it, value),
        (3, 2),
        dtype,
        layout="step",
    )
    p, t = as_pair(sample((3, 4), dtype))
    assert p.index_fill_(1, ip, value) is p
    t.index_fill_(1, it, value)
    assert_same(p, t)
    bad_p, bad_t = index_pair([4])
    raises_like(lambda: p.index_fill(1, bad_p, value), lambda: t.index_fill(1, bad_t, value))
    if dtype.startswith("float"):
        v = pygrad.tensor(0.5, dtype=getattr(pygrad, dtype), requires_grad=True)
        x = pygrad.from_numpy(sample((3, 4), "float64")).requires_grad_(True)
        assert gradcheck(
            lambda a, b: a.index_fill(1, ip, b.double()) ** 2,
            (x, v.double().detach().requires_grad_()),
        )


SCATTER_CASES = [
    ((3, 5), 0, [[0, 1, 2, 0, 1]], (2, 5)),
    ((3, 5), 1, [[4, 0], [1, 2], [3, 3]], (3, 3)),
    ((4, 3), -2, [[3, 2, 1], [0, 1, 2]], (2, 3)),
    ((2, 3, 4), 2, [[[0, 3], [1, 2], [3, 0]]], (1, 3, 2)),
    ((5,), 0, [4, 0, 2], (3,)),
    ((3, 5), 0, np.zeros((0, 5), np.int64), (0, 5)),
]


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dim", "index", "src_shape"), SCATTER_CASES)
def test_scatter(shape, dim, index, src_shape, dtype):
    ip, it = index_pair(index)
    sp, st = as_pair(sample(src_shape, dtype, 5))
    compare(
        lambda x: pygrad.scatter(x, dim, ip, sp),
        lambda x: torch.scatter(x, dim, it, st),
        shape,
        dtype,
    )
    value = {"bool": True, "int64": 7, "float32": 0.5, "float64": -3.0}[dtype]
    compare(
        lambda x: x.scatter(dim, ip, value),
        lambda x: x.scatter(dim, it, value),
        shape,
        dtype,
        grad=False,
    )
    compare(
        lambda x: x.scatter(dim, ip, value=value),
        lambda x: x.scatter(dim, it, value=value),
        shape,
        dtype,
    )
    if dtype != "bool":
        for reduce in ("add", "multiply"):
            compare(
                lambda x, r=reduce: x.scatter(dim, ip, sp, reduce=r),
                lambda x, r=reduce: x.scatter(dim, it, st, reduce=r),
                shape,
                dtype,
                grad=False,
            )
    p, t = as_pair(sample(shape, dtype))
    assert p.scatter_(dim, ip, sp) is p
    t.scatter_(dim, it, st)
    assert_same(p, t)


def test_scatter_src_gradient_and_errors():
    ip, it = index_pair(
        [[4, 0], [1, 2], [3, 3]]
    )  # row 2 repeats a target: torch gives both writes the grad
    x, tx = as_pair(sample((3, 5), "float64"), requires_grad=True)
    s, ts = as_pair(sample((3, 2), "float64", 2), requires_grad=True)
    uniq_p, uniq_t = index_pair([[4, 0], [1, 2], [3, 1]])
    g = sample((3, 5), "float64", 9)
    (pygrad.scatter(x, 1, uniq_p, s) * pygrad.from_numpy(g.copy())).sum().backward()
    (torch.scatter(tx, 1, uniq_t, ts) * torch.from_numpy(g.copy())).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())
    assert gradcheck(
        lambda a, b: pygrad.scatter(a, 1, ip, b) ** 2, (x.detach().requires_grad_(True), s)
    )
    p, t = as_pair(sample((3, 5), "float32"))
    for bad in ([[5, 0]], [[-1, 0]]):
        bp, bt = index_pair(bad)
        raises_like(lambda b=bp: p.scatter(1, b, 1.0), lambda b=bt: t.scatter(1, b, 1.0))
    raises_like(lambda: p.scatter(1, ip, p.double()), lambda: t.scatter(1, it, t.double()))
    raises_like(lambda: p.scatter(1, ip[0], 1.0), lambda: t.scatter(1, it[0], 1.0))
    big_p, big_t = index_pair(np.zeros((4, 1), np.int64))
    raises_like(lambda: p.scatter(1, big_p, 1.0), lambda: t.scatter(1, big_t, 1.0))
    raises_like(
        lambda: p.scatter(1, ip, p, reduce="max"), lambda: t.scatter(1, it, t, reduce="max")
    )


REDUCE_INDEX = [[0, 1, 0, 2], [2, 2, 0, 0], [1, 1, 1, 1]]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self, dtype):
    ip, it = index_pair(REDUCE_INDEX)
    src = sample((3, 5), dtype, 11)
    if dtype == "int64" and reduce == "prod":
        src = np.clip(src, -3, 3)
    sp, st = as_pair(src)
    for dim, shape in ((1, (3, 4)), (0, (4, 4))):
        compare(
            lambda x, d=dim: pygrad.scatter_reduce(x, d, ip, sp, reduce, include_self=include_self),
            lambda x, d=dim: torch.scatter_reduce(x, d, it, st, reduce, include_self=include_self),
            shape,
            dtype,
            grad=False,
        )
    p, t = as_pair(sample((3, 4), dtype))
    assert p.scatter_reduce_(1, ip, sp, reduce, include_self=include_self) is p
    t.scatter_reduce_(1, it, st, reduce, include_self=include_self)
    np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients(reduce, include_self):
    ip, it = index_pair(REDUCE_INDEX)
    x, tx = as_pair(sample((3, 4), "float64"), requires_grad=True)
    s, ts = as_pair(
        sample((3, 4), "float64", 2), requires_grad=True
    )  # torch's backward wants index's shape
    # ties for amax / amin: equal values in one target
    with pygrad.no_grad():
        s[0, 2] = s[0, 0]
    with torch.no_grad():
        ts[0, 2] = ts[0, 0]
    out = pygrad.scatter_reduce(x, 1, ip, s, reduce, include_self=include_self)
    tout = torch.scatter_reduce(tx, 1, it, ts, reduce, include_self=include_self)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-14)
    g = sample((3, 4), "float64", 3)
    (out * pygrad.from_numpy(g.copy())).sum().backward()
    (tout * torch.from_numpy(g.copy())).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy(), rtol=1e-12)
    if reduce in ("sum", "mean", "prod"):
        a = pygrad.from_numpy(sample((3, 4), "float64", 5)).requires_grad_(True)
        b = pygrad.from_numpy(sample((3, 5), "float64", 6)).requires_grad_(
            True
        )  # src larger than index
        assert gradcheck(
            lambda u, v: pygrad.scatter_reduce(u, 1, ip, v, reduce, include_self=include_self),
            (a, b),
        )


def test_scatter_reduce_errors():
    ip, it = index_pair(REDUCE_INDEX)
    p, t = as_pair(sample((3, 5), "float32"))
    raises_like(
        lambda: p.scatter_reduce(1, ip, p, "add"), lambda: t.scatter_reduce(1, it, t, "add")
    )
    assert_same(p.scatter_reduce(1, ip, p, "max"), t.scatter_reduce(1, it, t, "max"))
    raises_like(
        lambda: p.scatter_reduce(1, ip, p.double(), "sum"),
        lambda: t.scatter_reduce(1, it, t.double(), "sum"),
    )
    bp, bt = index_pair([[9]])
    raises_like(
        lambda: p.scatter_reduce(1, bp, p, "sum"), lambda: t.scatter_reduce(1, bt, t, "sum")
    )
