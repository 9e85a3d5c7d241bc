"""Advanced indexing (int64 / bool tensors, lists and arrays as indices), its assignment form, nonzero and
index_copy_, against PyTorch: values, result shapes, gradients, repeated indices, errors."""

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad

torch = import_torch()

X_SHAPE = (5, 6, 7)


def both(rng, shape=X_SHAPE, requires_grad=True):
    x = rng.standard_normal(shape)
    return (
        pygrad.tensor(x, dtype=pygrad.float64, requires_grad=requires_grad),
        torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad),
    )


def idx(values):
    """The same int64 index as a pygrad and a torch tensor."""
    a = np.asarray(values, dtype=np.int64)
    return pygrad.from_numpy(a.copy()), torch.from_numpy(a.copy())


def mask(rng, shape):
    m = rng.random(shape) < 0.5
    return pygrad.from_numpy(m.copy()), torch.from_numpy(m.copy())


# Each case builds (pygrad index, torch index) from an rng; a tuple means several items.
CASES = {
    "1d ints": lambda r: idx([4, 0, 2, 2, -1]),
    "2d ints": lambda r: idx([[1, 3], [0, -5]]),
    "empty ints": lambda r: idx(np.zeros(0, np.int64)),
    "0-d-like list": lambda r: ([3], [3]),
    "list": lambda r: ([0, 4, 1], [0, 4, 1]),
    "slice then ints": lambda r: (
        (slice(None), idx([5, 0, 3])[0]),
        (slice(None), idx([5, 0, 3])[1]),
    ),
    "ints then slice": lambda r: ((idx([1, 1])[0], slice(1, 5)), (idx([1, 1])[1], slice(1, 5))),
    "two adjacent": lambda r: (
        (idx([0, 4, 2])[0], idx([5, 0, 1])[0]),
        (idx([0, 4, 2])[1], idx([5, 0, 1])[1]),
    ),
    "two broadcast": lambda r: (
        (idx([[0], [3]])[0], idx([1, 2, 5])[0]),
        (idx([[0], [3]])[1], idx([1, 2, 5])[1]),
    ),
    "separated": lambda r: (
        (idx([0, 4])[0], slice(None), idx([6, 1])[0]),
        (idx([0, 4])[1], slice(None), idx([6, 1])[1]),
    ),
    "int and tensor": lambda r: ((2, idx([0, 5, 5])[0]), (2, idx([0, 5, 5])[1])),
    "ellipsis and tensor": lambda r: ((Ellipsis, idx([6, 0])[0]), (Ellipsis, idx([6, 0])[1])),
    "None and tensor": lambda r: ((None, idx([1, 2])[0]), (None, idx([1, 2])[1])),
    "mask 1d": lambda r: mask(r, (5,)),
    "mask 2d": lambda r: mask(r, (5, 6)),
    "mask full": lambda r: mask(r, X_SHAPE),
    "slice then mask": lambda r: (lambda m: ((slice(None), m[0]), (slice(None), m[1])))(
        mask(r, (6, 7))
    ),
    "step slice then ints": lambda r: (
        (slice(None, None, 2), idx([1, 0])[0]),
        (slice(None, None, 2), idx([1, 0])[1]),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_getitem_matches_torch_with_gradient(case):
    rng = make_rng("getitem", case)
    px, tx = both(rng)
    pi, ti = CASES[case](rng)
    out, ref = px[pi], tx[ti]
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    weights = rng.standard_normal(tuple(ref.shape))
    (out * pygrad.from_numpy(weights)).sum().backward()
    (ref * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(
        px.grad.numpy(), tx.grad.numpy(), rtol=0, atol=1e-12
    )  # repeats accumulate


def test_getitem_on_non_contiguous_and_dtypes():
    rng = make_rng("getitem_nc")
    base = rng.standard_normal((6, 8))
    for dtype, tdtype in (
        (pygrad.float32, torch.float32),
        (pygrad.int64, torch.int64),
        (pygrad.bool, torch.bool),
    ):
        values = (
            (base > 0)
            if dtype == pygrad.bool
            else (base * 10).astype(np.int64)
            if dtype == pygrad.int64
            else base
        )
        p = pygrad.tensor(values, dtype=dtype).mT
        t = torch.tensor(values, dtype=tdtype).mT
        pi, ti = idx([[7, 0], [3, 3]])
        np.testing.assert_array_equal(p[pi, 1:].numpy(), t[ti, 1:].numpy())
        pm, tm = mask(rng, (8, 6))
        np.testing.assert_array_equal(p[pm].numpy(), t[tm].numpy())


SET_CASES = [
    "1d ints",
    "2d ints",
    "list",
    "slice then ints",
    "two adjacent",
    "two broadcast",
    "separated",
    "int and tensor",
    "mask 1d",
    "mask 2d",
    "mask full",
    "slice then mask",
    "step slice then ints",
]


@pytest.mark.parametrize("case", SET_CASES)
@pytest.mark.parametrize("value_kind", ["scalar", "broadcast", "full"])
def test_setitem_matches_torch(case, value_kind):
    rng = make_rng("setitem", case, value_kind)
    px, tx = both(rng, requires_grad=False)
    pi, ti = CASES[case](rng)
    shape = tuple(tx[ti].shape)
    if value_kind == "scalar":
        pv = tv = 2.5
    else:
        v = rng.standard_normal(shape[-1:] if value_kind == "broadcast" else shape)
        pv, tv = pygrad.from_numpy(v), torch.from_numpy(v)
    px[pi] = pv
    tx[ti] = (
        tv  # PyTorch on the CPU also writes repeated indices in order, so the last write wins in both
    )
    np.testing.assert_array_equal(px.numpy(), tx.numpy())


def test_setitem_repeated_indices_last_write_wins_and_mask_fill():
    x = pygrad.zeros(4)
    x[[1, 1, 3]] = pygrad.tensor([5.0, 6.0, 7.0])
    np.testing.assert_array_equal(x.numpy(), [0, 6, 0, 7])
    rng = make_rng("maskfill")
    data = rng.standard_normal((3, 4)).astype(np.float32)
    x = pygrad.from_numpy(data.copy())
    x[x < 0] = 0
    np.testing.assert_array_equal(x.numpy(), np.maximum(data, 0))
    view = pygrad.from_numpy(data.copy())
    sub = view[1:]  # assignment through a view writes the base
    sub[np.array([True, False])] = -1.0
    assert (view.numpy()[1] == -1).all() and (view.numpy()[2] == data[2]).all()


def test_nonzero_and_index_copy_match_torch():
    rng = make_rng("nonzero")
    for shape in [(0,), (7,), (3, 4), (2, 3, 4)]:
        values = rng.integers(-1, 2, size=shape).astype(np.float32)
        values.flat[::5] = (
            np.nan if values.size else 0
        )  # NaN counts as non-zero, as in numpy and PyTorch
        np.testing.assert_array_equal(
            pygrad.nonzero(pygrad.from_numpy(values)).numpy(),
            torch.nonzero(torch.from_numpy(values)).numpy(),
        )
    base = rng.standard_normal((4, 5))
    p, t = pygrad.from_numpy(base.copy()), torch.from_numpy(base.copy())
    src = rng.standard_normal((4, 2))
    pi, ti = idx([4, 0])
    p.index_copy_(1, pi, pygrad.from_numpy(src))
    t.index_copy_(1, ti, torch.from_numpy(src))
    np.testing.assert_array_equal(p.numpy(), t.numpy())


@pytest.mark.parametrize(
    "index, error, message",
    [
        (
            lambda: pygrad.tensor([0.0, 1.0]),
            IndexError,
            r"\[index\] tensors used as indices must be int64, int32, uint8 or bool",
        ),
        (
            lambda: pygrad.tensor([0, 5]),
            IndexError,
            r"\[index\] index 5 is out of bounds for dimension 0 with size 5",
        ),
        (lambda: pygrad.tensor([-6]), IndexError, r"\[index\] index -6 is out of bounds"),
        (
            lambda: (pygrad.tensor([0]), pygrad.tensor([9])),
            IndexError,
            r"index 9 is out of bounds for dimension 1",
        ),
        (
            lambda: pygrad.ones(4, dtype=pygrad.bool),
            IndexError,
            r"the shape of the mask \[4\] at index 0 does not match",
        ),
        (lambda: (0, 0, 0, pygrad.tensor([0])), IndexError, r"too many indices"),
        (lambda: ["a"], IndexError, r"must hold integers or bools"),
        (
            lambda: (pygrad.tensor([0, 1]), pygrad.tensor([0, 1, 2])),
            ValueError,
            r"\[index\] shapes",
        ),
    ],
)
def test_bad_indices_raise_clear_errors(index, error, message):
    x = pygrad.zeros(5, 6, 7)
    with pytest.raises(error, match=message):
        x[index()]
    before = x.numpy().copy()
    with pytest.raises(error, match=message):
        x[index()] = 1.0
    np.testing.assert_array_equal(x.numpy(), before)  # nothing half-written


def test_assignment_through_tensor_indices_is_recorded_like_torch():
    """t[idx] = v and index_put_ on a graph: gradients flow to the overwritten tensor's source (zero
    where overwritten) and to v; a leaf that requires grad still refuses outside no_grad."""
    torch = import_torch()
    rng = make_rng("index_put")
    data, vdata = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    upstream = rng.standard_normal((4, 3))
    cases = [
        lambda lib, y, v: y.__setitem__(lib.tensor([0, 2]), v),
        lambda lib, y, v: y.__setitem__((slice(None), [2, 0, 2]), v[0, 0] * 3.0),
        lambda lib, y, v: y.__setitem__(y.detach() > 0, v[1, 1]),
        lambda lib, y, v: y.index_put_((lib.tensor([3, 0]),), v),
        lambda lib, y, v: y.index_put_(
            (lib.tensor([1, 1]), lib.tensor([0, 0])), v[0, :2], accumulate=True
        ),
    ]
    for assign in cases:
        grads = []
        for lib in (pygrad, torch):
            x, v = lib.tensor(data, requires_grad=True), lib.tensor(vdata, requires_grad=True)
            y = x * 2.0
            assign(lib, y, v)
            y.backward(lib.tensor(upstream))
            grads.append((y.detach().numpy(), x.grad.numpy(), v.grad.numpy()))
        for ours, theirs in zip(*grads):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    x = pygrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[[0]] = 1.0
    with pygrad.no_grad():
        x[[0]] = 1.0
    assert x.detach().numpy()[0] == 1.0


def test_index_put_out_of_place_and_errors():
    torch = import_torch()
    data = make_rng("index_put2").standard_normal((3, 4))
    idx = ([0, 2, 0], [1, 3, 1])
    for accumulate in (False, True):
        got = pygrad.index_put(
            pygrad.tensor(data),
            tuple(pygrad.tensor(i) for i in idx),
            pygrad.tensor([1.0, 2.0, 3.0]).double(),
            accumulate,
        )
        want = torch.index_put(
            torch.tensor(data),
            tuple(torch.tensor(i) for i in idx),
            torch.tensor([1.0, 2.0, 3.0]).double(),
            accumulate,
        )
        np.testing.assert_allclose(got.numpy(), want.numpy())
    with pytest.raises(RuntimeError, match=r"\[index_put\] shape mismatch"):
        pygrad.index_put(pygrad.zeros(3, 4), (pygrad.tensor([0, 1]),), pygrad.ones(3))
    with pytest.raises(TypeError, match="index_put"):
        pygrad.index_put(pygrad.zeros(3), pygrad.tensor([0]), pygrad.ones(1))


def test_nonzero_as_tuple_indexes_back_and_picks_per_row_entries():
    rng = make_rng("as_tuple")
    values = rng.standard_normal((4, 5))
    values[values < 0.3] = 0
    p, t = pygrad.from_numpy(values), torch.from_numpy(values)
    columns = p.nonzero(as_tuple=True)
    for mine, theirs in zip(columns, torch.nonzero(t, as_tuple=True)):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    np.testing.assert_array_equal(p[columns].numpy(), values[values != 0])
    # The pattern of a hand-written NLL: one entry per row, its gradient scattered back.
    logits, t_logits = both(rng, (6, 10))
    labels = rng.integers(0, 10, 6)
    rows = pygrad.arange(6)
    picked = logits[rows, pygrad.from_numpy(labels)]
    (-picked.mean()).backward()
    (-t_logits[torch.arange(6), torch.from_numpy(labels)].mean()).backward()
    np.testing.assert_allclose(logits.grad.numpy(), t_logits.grad.numpy(), rtol=0, atol=1e-15)


def test_numpy_integer_scalars_index_like_ints():
    x = pygrad.arange(10.0)
    assert (
        x[np.int64(3)].item() == 3.0
        and x[np.int32(-1)].item() == 9.0
        and x[np.uint8(1)].item() == 1.0
    )
    x[np.int64(4)] = 100.0
    assert x.numpy()[4] == 100.0
    assert tuple(pygrad.zeros(3, 4)[np.int64(1), 2:].shape) == (2,)
    with pytest.raises(IndexError, match=r"\[index\] only integers"):
        x[np.float64(1.0)]


@pytest.mark.parametrize(
    "index",
    [
        True,
        (True, 0),
        (Ellipsis, True),
        (0, True, slice(None)),
        ((0,),),
        ((0, 1), (1, 2)),
        ((1, 0), slice(None, 2)),
        (slice(None), (2, 0, 2)),
        False,
        (False, 1),
        (0, False, slice(None, 2)),
    ],
)
def test_bool_scalars_and_nested_tuples_index_like_torch(index):
    """True is a 0-d mask (a new dim of size 1); a tuple inside the index tuple is a tensor index."""
    torch = import_torch()
    data = make_rng(3).standard_normal((2, 3))
    x, tx = pygrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    got, want = x[index], tx[index]
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    upstream = make_rng(4).standard_normal(tuple(want.shape))
    got.backward(pygrad.tensor(upstream))
    want.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    y, ty = pygrad.tensor(data), torch.tensor(data)
    y[index] = 7.0
    ty[index] = 7.0
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_as_strided_views_and_gradients_match_torch():
    """Windows that overlap (gradients add up), a storage offset, a base that is itself offset, and
    the bounds check that keeps a view inside its storage."""
    torch = import_torch()
    data = make_rng(8).standard_normal(12)
    cases = [
        ((4, 3), (2, 1), None),
        ((3, 3), (3, 1), 2),
        ((2, 2, 2), (0, 4, 1), 1),
        ((0, 2), (1, 1), 0),
    ]
    for size, stride, offset in cases:
        x, tx = pygrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        got = (
            x.as_strided(size, stride, offset) if offset is not None else x.as_strided(size, stride)
        )
        want = (
            tx.as_strided(size, stride, offset)
            if offset is not None
            else tx.as_strided(size, stride)
        )
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        upstream = make_rng(9).standard_normal(size)
        got.backward(pygrad.tensor(upstream))
        want.backward(torch.tensor(upstream))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    base = pygrad.tensor(data)[2:]
    np.testing.assert_array_equal(
        pygrad.as_strided(base, (2, 2), (1, 1)).numpy(),
        torch.tensor(data)[2:].as_strided((2, 2), (1, 1)).numpy(),
    )
    with pytest.raises(RuntimeError, match=r"\[as_strided\].*storage"):
        pygrad.zeros(4).as_strided((3, 3), (2, 1))
    with pytest.raises(RuntimeError, match=r"\[as_strided\]"):
        pygrad.zeros(4).as_strided((2,), (1, 1))
