"""The composite shape ops against torch 2.13: repeats, grids and combinations, broadcasting helpers,
stacking and splitting, where's forms, clone's memory_format, and the index-driven reads and writes (take,
masked_*, index_fill, scatter, scatter_reduce): values for every dtype, gradients, edge sizes, errors.
"""

import numpy as np
import pytest
from conftest import import_torch
from test_shape_ops import DTYPES, as_pair, assert_same, check_grad, compare, raises_like, sample

import pygrad
from pygrad.autograd import gradcheck

torch = import_torch()


def pair_list(shapes, dtype="float64", seed=0):
    arrays = [sample(s, dtype, seed + i) for i, s in enumerate(shapes)]
    return [as_pair(a)[0] for a in arrays], [as_pair(a)[1] for a in arrays]


# ---------------------------------------------------------------- repeats


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_and_tile(dtype):
    for shape, reps in [
        ((2, 3), (2, 1)),
        ((2, 3), (1, 2, 3)),
        ((3,), (0,)),
        ((), (2, 3)),
        ((0, 2), (3, 1)),
    ]:
        compare(lambda x, r=reps: x.repeat(*r), lambda x, r=reps: x.repeat(*r), shape, dtype)
        compare(
            lambda x, r=reps: x.repeat(r), lambda x, r=reps: x.repeat(r), shape, dtype, grad=False
        )
    for shape, reps in [((2, 3), (2,)), ((2, 3), ()), ((2, 3), (2, 1, 2)), ((3,), (2, 2))]:
        compare(
            lambda x, r=reps: pygrad.tile(x, r), lambda x, r=reps: torch.tile(x, r), shape, dtype
        )
        compare(lambda x, r=reps: x.tile(r), lambda x, r=reps: x.tile(r), shape, dtype, grad=False)
    compare(lambda x: x.repeat(2, 2), lambda x: x.repeat(2, 2), (3, 4), dtype, layout="transpose")
    p, t = as_pair(sample((2, 3), dtype))
    raises_like(lambda: p.repeat(2), lambda: t.repeat(2))
    raises_like(lambda: p.repeat(-1, 2), lambda: t.repeat(-1, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_interleave(dtype):
    cases = [
        ((2, 3), 2, None),
        ((2, 3), 3, 1),
        ((2, 3), 0, 0),
        ((2, 3), [1, 0, 2], -1),
        ((2, 3), [2], 0),
        ((), 3, None),
        ((4,), [1, 2, 0, 3], 0),
    ]
    for shape, reps, dim in cases:
        rp = pygrad.tensor(reps) if isinstance(reps, list) else reps
        rt = torch.tensor(reps) if isinstance(reps, list) else reps
        compare(
            lambda x, r=rp, d=dim: pygrad.repeat_interleave(x, r, d),
            lambda x, r=rt, d=dim: torch.repeat_interleave(x, r, d),
            shape,
            dtype,
        )
        compare(
            lambda x, r=rp, d=dim: x.repeat_interleave(r, d),
            lambda x, r=rt, d=dim: x.repeat_interleave(r, d),
            shape,
            dtype,
            grad=False,
        )
    counts = [2, 0, 1]
    assert_same(
        pygrad.repeat_interleave(pygrad.tensor(counts)),
        torch.repeat_interleave(torch.tensor(counts)),
    )
    p, t = as_pair(sample((2, 3), dtype))
    raises_like(lambda: pygrad.repeat_interleave(p, -1), lambda: torch.repeat_interleave(t, -1))
    raises_like(
        lambda: pygrad.repeat_interleave(p, pygrad.tensor([1, -1]), 0),
        lambda: torch.repeat_interleave(t, torch.tensor([1, -1]), 0),
    )
    raises_like(
        lambda: pygrad.repeat_interleave(p, pygrad.tensor([1, 2]), 1),
        lambda: torch.repeat_interleave(t, torch.tensor([1, 2]), 1),
    )


def test_repeat_gradcheck():
    check_grad(lambda x: x.repeat(2, 1, 3) ** 2, (2, 3))
    check_grad(lambda x: pygrad.repeat_interleave(x, pygrad.tensor([2, 0, 1]), 1) ** 2, (2, 3))
    check_grad(lambda x: pygrad.tile(x, (2,)) * x.sum(), (2, 3))


# ---------------------------------------------------------------- grids, combinations, broadcasting


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    for shapes in [[(3,), (4,)], [(2,), (), (3,)], [(3,)], [(0,), (2,)], [(2,), (3,), (4,)]]:
        ps, ts = pair_list(shapes)
        assert_same(pygrad.meshgrid(*ps, indexing=indexing), torch.meshgrid(*ts, indexing=indexing))
        assert_same(pygrad.meshgrid(ps, indexing=indexing), torch.meshgrid(ts, indexing=indexing))
    ps, ts = pair_list([(2, 2), (3,)])
    raises_like(
        lambda: pygrad.meshgrid(*ps, indexing="ij"), lambda: torch.meshgrid(*ts, indexing="ij")
    )
    raises_like(
        lambda: pygrad.meshgrid(ps[1], ps[1], indexing="ji"),
        lambda: torch.meshgrid(ts[1], ts[1], indexing="ji"),
    )
    x = pygrad.from_numpy(sample((3,), "float64")).requires_grad_(True)
    y = pygrad.from_numpy(sample((2,), "float64")).requires_grad_(True)
    assert gradcheck(lambda a, b: [g * g for g in pygrad.meshgrid(a, b, indexing=indexing)], (x, y))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cartesian_prod_and_combinations(dtype):
    for shapes in [[(3,), (2,)], [(2,), (2,), (3,)], [(4,)], [(2,), (0,)]]:
        ps, ts = pair_list(shapes, dtype)
        assert_same(pygrad.cartesian_prod(*ps), torch.cartesian_prod(*ts))
    for n, r, rep in [
        (4, 2, False),
        (4, 3, True),
        (5, 0, False),
        (1, 2, False),
        (2, 3, True),
        (3, 1, False),
    ]:
        compare(
            lambda x, r=r, rep=rep: pygrad.combinations(x, r, rep),
            lambda x, r=r, rep=rep: torch.combinations(x, r, rep),
            (n,),
            dtype,
            grad=r > 0,  # torch's r=0 result is not connected to the graph
        )
    p, t = as_pair(sample((2, 2), dtype))
    raises_like(lambda: pygrad.combinations(p), lambda: torch.combinations(t))


def test_broadcast_helpers():
    for shapes in [[(2, 1), (3,)], [(1,), (4, 1, 2), (3, 1)], [(0, 1), (3,)], [()], [(5,)]]:
        assert pygrad.broadcast_shapes(*shapes) == tuple(torch.broadcast_shapes(*shapes))
        ps, ts = pair_list(shapes)
        assert_same(pygrad.broadcast_tensors(*ps), torch.broadcast_tensors(*ts))
    assert pygrad.broadcast_shapes(2, (3, 1)) == tuple(torch.broadcast_shapes(2, (3, 1)))
    assert pygrad.broadcast_shapes() == ()
    raises_like(
        lambda: pygrad.broadcast_shapes((2,), (3,)), lambda: torch.broadcast_shapes((2,), (3,))
    )
    ps, ts = pair_list([(2,), (3,)])
    raises_like(lambda: pygrad.broadcast_tensors(*ps), lambda: torch.broadcast_tensors(*ts))
    compare(lambda x: x.broadcast_to((3, 2, 4)), lambda x: x.broadcast_to((3, 2, 4)), (2, 1))
    compare(
        lambda x: x.expand_as(pygrad.zeros(3, 2, 4)),
        lambda x: x.expand_as(torch.zeros(3, 2, 4)),
        (2, 4),
    )
    x = pygrad.from_numpy(sample((2, 1), "float64")).requires_grad_(True)
    assert gradcheck(lambda a: pygrad.broadcast_tensors(a, pygrad.zeros(3, 1, 4))[0] ** 2, (x,))


@pytest.mark.parametrize("fn", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast(fn):
    for shape in [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 4)]:
        compare(getattr(pygrad, fn), getattr(torch, fn), shape)
    ps, ts = pair_list([(), (3,), (2, 3)])
    assert_same(getattr(pygrad, fn)(*ps), getattr(torch, fn)(*ts))
    assert_same(getattr(pygrad, fn)(ps), getattr(torch, fn)(ts))


# ---------------------------------------------------------------- stacking and splitting

STACK_CASES = [[(3,), (2,)], [(2, 3), (2, 1)], [(), ()], [(2, 3, 4), (2, 1, 4)], [(2,), (2, 3)]]


@pytest.mark.parametrize("fn", ["hstack", "vstack", "row_stack", "dstack", "column_stack"])
@pytest.mark.parametrize("shapes", STACK_CASES)
def test_stacking(fn, shapes):
    ps, ts = pair_list(shapes)
    try:
        expected = getattr(torch, fn)(ts)
    except RuntimeError:
        with pytest.raises((ValueError, RuntimeError)):
            getattr(pygrad, fn)(ps)
        return
    assert_same(getattr(pygrad, fn)(ps), expected)
    leaves = [p.detach().requires_grad_(True) for p in ps]
    assert gradcheck(lambda *xs: getattr(pygrad, fn)(list(xs)) ** 2, tuple(leaves))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_split(dtype):
    cases = [
        ((7,), 3, 0),
        ((7,), 7, 0),
        ((2,), 4, 0),
        ((3, 8), [1, 5], 1),
        ((3, 8), [1, 10, 2], 1),
        ((3, 8), [-2], -1),
        ((3, 8), [], 0),
        ((0, 4), 2, 0),
        ((5,), (2, 2), 0),
    ]
    for shape, spec, dim in cases:
        compare(
            lambda x, s=spec, d=dim: pygrad.tensor_split(x, s, d),
            lambda x, s=spec, d=dim: torch.tensor_split(x, s, d),
            shape,
            dtype,
        )
    compare(
        lambda x: x.tensor_split(pygrad.tensor([1, 3]), 1),
        lambda x: x.tensor_split(torch.tensor([1, 3]), 1),
        (2, 5),
        dtype,
    )
    compare(
        lambda x: x.tensor_split(pygrad.tensor(2)),
        lambda x: x.tensor_split(torch.tensor(2)),
        (5,),
        dtype,
    )
    p, t = as_pair(sample((4,), dtype))
    raises_like(lambda: pygrad.tensor_split(p, 0), lambda: torch.tensor_split(t, 0))
    s, ts = as_pair(sample((), dtype))
    raises_like(lambda: pygrad.tensor_split(s, 2), lambda: torch.tensor_split(ts, 2))


def test_hsplit_vsplit_dsplit_narrow_copy():
    for fn, shape, spec in [
        ("hsplit", (6,), 3),
        ("hsplit", (2, 6), [1, 4]),
        ("vsplit", (4, 3), 2),
        ("vsplit", (4, 3), [3]),
        ("dsplit", (2, 3, 4), 2),
        ("dsplit", (2, 3, 4), [1]),
    ]:
        compare(
            lambda x, f=fn, s=spec: getattr(pygrad, f)(x, s),
            lambda x, f=fn, s=spec: getattr(torch, f)(x, s),
            shape,
        )
        compare(
            lambda x, f=fn, s=spec: getattr(x, f)(s),
            lambda x, f=fn, s=spec: getattr(x, f)(s),
            shape,
        )
    p, t = as_pair(sample((5,), "float32"))
    raises_like(lambda: pygrad.hsplit(p, 2), lambda: torch.hsplit(t, 2))
    raises_like(lambda: pygrad.vsplit(p, 5), lambda: torch.vsplit(t, 5))
    raises_like(lambda: pygrad.dsplit(p, 5), lambda: torch.dsplit(t, 5))
    compare(
        lambda x: pygrad.narrow_copy(x, 1, 1, 2), lambda x: torch.narrow_copy(x, 1, 1, 2), (3, 4)
    )
    compare(lambda x: x.narrow_copy(-1, 0, 0), lambda x: x.narrow_copy(-1, 0, 0), (3, 4))
    x = pygrad.zeros(3, 4)
    y = x.narrow_copy(0, 0, 2)
    y.fill_(1.0)
    assert x.sum().item() == 0.0


# ---------------------------------------------------------------- where, clone


def test_where_forms():
    for shape in [(3, 4), (5,), (), (0, 2)]:
        c = sample(shape, "bool")
        assert_same(
            pygrad.where(pygrad.from_numpy(c.copy())), torch.where(torch.from_numpy(c.copy()))
        )
    c = sample((3, 4), "bool")
    pc, tc = pygrad.from_numpy(c.copy()), torch.from_numpy(c.copy())
    for a, b in [(1.0, 0.0), (1, 0), (True, False), (2, 0.5)]:
        assert_same(pygrad.where(pc, a, b), torch.where(tc, a, b))
    for dtype in DTYPES:
        compare(lambda x: pygrad.where(pc, x, 2), lambda x: torch.where(tc, x, 2), (3, 4), dtype)
        compare(
            lambda x: pygrad.where(pc, 0.5, x), lambda x: torch.where(tc, 0.5, x), (1, 4), dtype
        )


def test_clone_memory_format():
    p, t = as_pair(sample((3, 4), "float64"), layout="transpose")
    for name in ("contiguous_format", "preserve_format"):
        out = pygrad.clone(p, memory_format=getattr(pygrad, name))
        np.testing.assert_array_equal(
            out.numpy(), t.clone(memory_format=getattr(torch, name)).numpy()
        )
        assert p.clone(memory_format=getattr(pygrad, name)).is_contiguous()
    assert repr(pygrad.preserve_format) == "pygrad.preserve_format"
    with pytest.raises(ValueError):
        p.clone(memory_format=pygrad.channels_last)
    x = pygrad.from_numpy(sample((2, 3), "float64")).requires_grad_(True)
    assert gradcheck(lambda a: a.clone(memory_format=pygrad.contiguous_format) ** 2, (x,))
