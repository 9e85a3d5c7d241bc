"""Shape and layout ops against torch 2.13: flip/roll/pad (the index-map primitives), rotations, diagonals,
triangles, repeats, dim moves, windows; forward values for every dtype, gradients (vs torch and gradcheck in
float64), size-0/size-1 dims, negative dims, non-contiguous inputs, and torch's error cases.
"""

import numpy as np
import pytest
from conftest import import_torch, make_rng, non_contiguous

import pygrad
import pygrad.nn.functional as F
from pygrad.autograd import gradcheck

torch = import_torch()
TF = torch.nn.functional

DTYPES = ["float32", "float64", "int64", "bool"]


def sample(shape, dtype, seed=0):
    rng = make_rng("shape_ops", seed, str(shape), dtype)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype == "int64":
        return rng.integers(-9, 10, size=shape).astype(np.int64)
    return rng.standard_normal(shape).astype(dtype)


def as_pair(array, requires_grad=False, layout=None):
    """The same values as a pygrad tensor (optionally non-contiguous) and a torch tensor."""
    if layout is None:
        p = pygrad.from_numpy(np.array(array, copy=True))
        if requires_grad:
            p.requires_grad_(True)
    else:
        p = non_contiguous(array, layout, requires_grad=requires_grad)
    t = torch.from_numpy(np.array(array, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return p, t


def values(x):
    if isinstance(x, (tuple, list)):
        return [values(v) for v in x]
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x.detach().numpy())


def assert_same(p, t):
    """pygrad result == torch result: shape, dtype name and values (exactly)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(p, (tuple, list)) and len(p) == len(t)
        for a, b in zip(p, t):
            assert_same(a, b)
        return
    assert tuple(p.shape) == tuple(t.shape), (tuple(p.shape), tuple(t.shape))
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (p.dtype, t.dtype)
    np.testing.assert_array_equal(values(p), values(t))


def compare(pg_fn, torch_fn, shape, dtype="float64", grad=True, layout=None, seed=0):
    """Forward (and, for floats, backward with a random upstream gradient) of pg_fn vs torch_fn."""
    a = sample(shape, dtype, seed)
    floating = dtype.startswith("float")
    p, t = as_pair(a, requires_grad=grad and floating, layout=layout)
    pr, tr = pg_fn(p), torch_fn(t)
    assert_same(pr, tr)
    if grad and floating:
        outs_p = pr if isinstance(pr, (tuple, list)) else [pr]
        outs_t = tr if isinstance(tr, (tuple, list)) else [tr]
        total_p, total_t = 0, 0
        for i, (op, ot) in enumerate(zip(outs_p, outs_t)):
            g = sample(tuple(ot.shape), dtype, seed + 100 + i)
            total_p = total_p + (op * pygrad.from_numpy(g.copy())).sum()
            total_t = total_t + (ot * torch.from_numpy(g.copy())).sum()
        total_p.backward()
        total_t.backward()
        tol = 1e-12 if dtype == "float64" else 1e-6  # gradients summed in another order
        np.testing.assert_allclose(values(p.grad), values(t.grad), rtol=tol, atol=tol)


def check_grad(fn, shape, seed=0):
    x = pygrad.from_numpy(sample(shape, "float64", seed)).requires_grad_(True)
    assert gradcheck(fn, (x,))


def raises_like(pg_call, torch_call, kinds=(ValueError, RuntimeError, IndexError, TypeError)):
    with pytest.raises(Exception):  # noqa: B017  (torch's own type varies: RuntimeError, IndexError, ...)
        torch_call()
    with pytest.raises(kinds):
        pg_call()


# ---------------------------------------------------------------- flip, roll


FLIP_CASES = [((3, 4), [0]), ((3, 4), [1]), ((3, 4), [-1, 0]), ((2, 3, 4), [1]), ((2, 3, 4), [0, 2]),
              ((2, 1, 5), [1, 2]), ((0, 3), [0, 1]), ((), []), ((5,), [0]), ((4, 3, 2, 5), [1, 3]),
              ((3, 4), [])]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dims"), FLIP_CASES)
def test_flip(shape, dims, dtype):
    compare(lambda x: pygrad.flip(x, dims), lambda x: torch.flip(x, dims), shape, dtype)
    if dims:
        compare(lambda x: x.flip(*dims), lambda x: x.flip(*dims), shape, dtype, grad=False)
        compare(lambda x: x.flip(dims), lambda x: x.flip(dims), shape, dtype, grad=False)


@pytest.mark.parametrize("layout", ["step", "transpose"])
def test_flip_roll_pad_non_contiguous(layout):
    compare(
        lambda x: pygrad.flip(x, [0, 2]), lambda x: torch.flip(x, [0, 2]), (3, 4, 5), layout=layout
    )
    compare(lambda x: pygrad.roll(x, (2, -1), (1, 2)), lambda x: torch.roll(x, (2, -1), (1, 2)), (3, 4, 5),
            layout=layout)  # fmt: skip
    for mode in ("constant", "reflect", "replicate", "circular"):
        compare(lambda x, m=mode: F.pad(x, (1, 2, 2, 1), m), lambda x, m=mode: TF.pad(x, (1, 2, 2, 1), m),
                (3, 4, 5), layout=layout)  # fmt: skip


ROLL_CASES = [((5,), 2, None), ((3, 4), 1, None), ((3, 4), -7, None), ((3, 4), 1, 0), ((3, 4), (1, 2), (0, 1)),
              ((3, 4), (1, 2), (1, 1)), ((2, 3, 4), 5, -1), ((0, 3), 1, 0), ((3, 0), 2, 1), ((), 3, None),
              ((2, 3, 4), (1, -1), (0, 2)), ((1, 4), 3, 0)]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "shifts", "dims"), ROLL_CASES)
def test_roll(shape, shifts, dims, dtype):
    compare(
        lambda x: pygrad.roll(x, shifts, dims), lambda x: torch.roll(x, shifts, dims), shape, dtype
    )
    compare(
        lambda x: x.roll(shifts, dims), lambda x: x.roll(shifts, dims), shape, dtype, grad=False
    )


def test_flip_roll_errors():
    x, t = as_pair(sample((2, 3), "float32"))
    raises_like(lambda: pygrad.flip(x, [0, 0]), lambda: torch.flip(t, [0, 0]))
    raises_like(lambda: pygrad.flip(x, [2]), lambda: torch.flip(t, [2]))
    raises_like(lambda: pygrad.roll(x, (1, 2), 0), lambda: torch.roll(t, (1, 2), 0))
    raises_like(lambda: pygrad.roll(x, 1, 2), lambda: torch.roll(t, 1, 2))
    raises_like(lambda: pygrad.roll(x, (), ()), lambda: torch.roll(t, (), ()))
    s, ts = as_pair(np.float32(1.0))
    raises_like(lambda: pygrad.roll(s, 1, 0), lambda: torch.roll(ts, 1, 0))


def test_flip_roll_gradcheck():
    check_grad(lambda x: pygrad.flip(x, [0, 2]) * pygrad.flip(x, [1]), (2, 3, 4))
    check_grad(lambda x: pygrad.roll(x, (1, -2), (0, 2)) * x, (2, 3, 4))
    check_grad(lambda x: pygrad.roll(x, 4) ** 2, (2, 3))


# ---------------------------------------------------------------- pad

PAD_CASES = [
    ((2, 3, 5), (1, 2), "constant"),
    ((2, 3, 5), (1, 2, 0, 3), "constant"),
    ((2, 3, 5), (1, 2, 0, 3, 2, 1), "constant"),
    ((2, 3, 5), (-1, 2, 1, -2), "constant"),
    ((2, 3, 5), (-5, 0), "constant"),
    ((4,), (2, 3), "constant"),
    ((0, 3), (1, 1, 1, 1), "constant"),
    ((2, 3, 5), (), "constant"),
    ((2, 5), (2, 3), "reflect"),
    ((2, 3, 5), (4, 1), "reflect"),
    ((2, 3, 5), (-1, 2), "reflect"),
    ((2, 3, 4, 5), (1, 3, 2, 1), "reflect"),
    ((3, 4, 5), (1, 3, 2, 1), "reflect"),
    ((2, 2, 3, 4, 5), (1, 3, 2, 1, 2, 2), "reflect"),
    ((2, 3, 5), (4, 7), "replicate"),
    ((2, 3, 4, 5), (1, 3, 2, 1), "replicate"),
    ((2, 3, 4, 5), (1, 3, 2, 1, 1, 0), "replicate"),
    ((2, 3, 5), (-2, 3), "replicate"),
    ((2, 3, 5), (5, 5), "circular"),
    ((2, 3, 5), (2, -1), "circular"),
    ((2, 3, 5), (-2, 3), "circular"),
    ((2, 3, 4, 5), (1, 3, 2, 1), "circular"),
    ((1, 2, 3, 4, 5), (1, 3, 2, 1, 2, 2), "circular"),
    ((0, 3, 5), (1, 2), "replicate"),
    ((2, 1, 1), (0, 0), "reflect"),
]


@pytest.mark.parametrize(("shape", "pad", "mode"), PAD_CASES)
def test_pad(shape, pad, mode):
    compare(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode), shape)
    compare(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode), shape, "float32")


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_pad_dtypes_and_value(dtype):
    value = {"int64": 7, "bool": True, "float32": -2.5}[dtype]
    compare(lambda x: F.pad(x, (1, 2, 3, 0), value=value), lambda x: TF.pad(x, (1, 2, 3, 0), value=value),
            (2, 3, 4), dtype)  # fmt: skip
    for mode in ("reflect", "circular", "replicate"):
        if dtype == "bool" and mode != "circular":
            x, t = as_pair(sample((2, 3, 4), dtype))
            raises_like(
                lambda m=mode, x=x: F.pad(x, (2, 1), m), lambda m=mode, t=t: TF.pad(t, (2, 1), m)
            )
            continue
        compare(
            lambda x, m=mode: F.pad(x, (2, 1), m),
            lambda x, m=mode: TF.pad(x, (2, 1), m),
            (2, 3, 4),
            dtype,
        )


def test_pad_gradcheck_and_double_backward():
    for mode in ("constant", "reflect", "replicate", "circular"):
        check_grad(lambda x: F.pad(x, (2, 1, 1, 2), mode) ** 2, (2, 3, 4))  # noqa: B023
    x = pygrad.from_numpy(sample((2, 3, 4), "float64")).requires_grad_(True)
    (g,) = pygrad.autograd.grad(F.pad(x, (2, 2), "reflect").pow(2).sum(), x, create_graph=True)
    g.sum().backward()
    t = torch.from_numpy(sample((2, 3, 4), "float64")).requires_grad_(True)
    (tg,) = torch.autograd.grad(TF.pad(t, (2, 2), "reflect").pow(2).sum(), t, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(values(g), values(tg))
    np.testing.assert_allclose(values(x.grad), values(t.grad))


PAD_ERRORS = [
    ((2, 3), (1,), "constant", None),
    ((2, 3), (1, 1, 1, 1, 1, 1), "constant", None),
    ((2, 3), (-2, -2), "constant", None),
    ((1, 2, 3), (3, 1), "reflect", None),
    ((1, 2, 3), (4, 1), "circular", None),
    ((3,), (1, 1), "reflect", None),
    ((2, 3, 4, 5, 6), (1, 1), "replicate", None),
    ((1, 2, 3), (1, 1), "reflect", 1.0),
    ((1, 2, 3), (1, 1), "wrap", None),
    ((1, 0, 3), (1, 1), "reflect", None),
    ((1, 2, 4), (-3, -1), "replicate", None),
]


@pytest.mark.parametrize(("shape", "pad", "mode", "value"), PAD_ERRORS)
def test_pad_errors(shape, pad, mode, value):
    x, t = as_pair(sample(shape, "float32"))
    raises_like(lambda: F.pad(x, pad, mode, value), lambda: TF.pad(t, pad, mode, value))


# ---------------------------------------------------------------- rotations, moves


@pytest.mark.parametrize("dtype", DTYPES)
def test_fliplr_flipud_rot90(dtype):
    compare(pygrad.fliplr, torch.fliplr, (3, 4, 2), dtype)
    compare(pygrad.flipud, torch.flipud, (3, 4), dtype)
    compare(lambda x: x.fliplr(), lambda x: x.fliplr(), (3, 4), dtype)
    for k in (-3, -1, 0, 1, 2, 3, 6):
        for dims in ((0, 1), (1, 0), (2, 0), (-1, 1)):
            compare(
                lambda x, k=k, d=dims: pygrad.rot90(x, k, d),
                lambda x, k=k, d=dims: torch.rot90(x, k, d),
                (2, 3, 4),
                dtype,
            )
    compare(lambda x: x.rot90(), lambda x: x.rot90(), (2, 3), dtype)


def test_rotation_errors():
    x, t = as_pair(sample((3,), "float32"))
    raises_like(lambda: pygrad.fliplr(x), lambda: torch.fliplr(t))
    raises_like(lambda: pygrad.rot90(x), lambda: torch.rot90(t))
    y, u = as_pair(sample((2, 3), "float32"))
    raises_like(lambda: pygrad.rot90(y, 1, (0, 0)), lambda: torch.rot90(u, 1, (0, 0)))
    raises_like(lambda: pygrad.rot90(y, 1, (0,)), lambda: torch.rot90(u, 1, (0,)))
    s, ts = as_pair(np.float32(1))
    raises_like(lambda: pygrad.flipud(s), lambda: torch.flipud(ts))


@pytest.mark.parametrize(
    ("source", "destination"),
    [(0, -1), (-1, 0), ((0, 1), (2, 0)), ((0, 2), (0, 2)), ((), ()), ([1], [1])],
)
def test_movedim(source, destination):
    compare(lambda x: pygrad.movedim(x, source, destination), lambda x: torch.movedim(x, source, destination),
            (2, 3, 4))  # fmt: skip
    compare(
        lambda x: x.moveaxis(source, destination),
        lambda x: x.moveaxis(source, destination),
        (2, 3, 4),
    )


def test_swap_t_unflatten_and_errors():
    compare(lambda x: pygrad.swapaxes(x, 0, -1), lambda x: torch.swapaxes(x, 0, -1), (2, 3, 4))
    compare(lambda x: x.swapdims(1, 2), lambda x: x.swapdims(1, 2), (2, 3, 4))
    compare(pygrad.t, torch.t, (2, 3))
    compare(pygrad.t, torch.t, (3,))
    compare(
        lambda x: pygrad.unflatten(x, 1, (2, -1)), lambda x: torch.unflatten(x, 1, (2, -1)), (2, 6)
    )
    compare(lambda x: x.unflatten(-1, (3, 1, 2)), lambda x: x.unflatten(-1, (3, 1, 2)), (2, 6))
    compare(lambda x: x.unflatten(0, (0, 5)), lambda x: x.unflatten(0, (0, 5)), (0, 2))
    x, t = as_pair(sample((2, 3, 4), "float32"))
    raises_like(lambda: pygrad.movedim(x, (0, 1), (1, 1)), lambda: torch.movedim(t, (0, 1), (1, 1)))
    raises_like(lambda: pygrad.movedim(x, (0, 1), (2,)), lambda: torch.movedim(t, (0, 1), (2,)))
    raises_like(lambda: pygrad.movedim(x, 3, 0), lambda: torch.movedim(t, 3, 0))
    raises_like(lambda: pygrad.unflatten(x, 2, (3, -1)), lambda: torch.unflatten(t, 2, (3, -1)))
    raises_like(lambda: pygrad.unflatten(x, 2, ()), lambda: torch.unflatten(t, 2, ()))
    raises_like(lambda: pygrad.t(x), lambda: torch.t(t))


# ---------------------------------------------------------------- diagonals and triangles


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset", [0, 1, -2, 5, -7])
def test_diagonal_family(offset, dtype):
    compare(
        lambda x: pygrad.diagonal(x, offset), lambda x: torch.diagonal(x, offset), (4, 5), dtype
    )
    compare(
        lambda x: x.diagonal(offset, -1, 0), lambda x: x.diagonal(offset, -1, 0), (4, 3, 5), dtype
    )
    compare(lambda x: pygrad.diag(x, offset), lambda x: torch.diag(x, offset), (4, 5), dtype)
    compare(lambda x: pygrad.diag(x, offset), lambda x: torch.diag(x, offset), (4,), dtype)
    compare(lambda x: x.diag_embed(offset), lambda x: x.diag_embed(offset), (2, 3), dtype)
    compare(lambda x: pygrad.diag_embed(x, offset, 0, 2), lambda x: torch.diag_embed(x, offset, 0, 2), (2, 3),
            dtype)  # fmt: skip
    compare(lambda x: pygrad.diag_embed(x, offset, 2, 0), lambda x: torch.diag_embed(x, offset, 2, 0), (2, 3),
            dtype)  # fmt: skip
    compare(
        lambda x: pygrad.diagflat(x, offset), lambda x: torch.diagflat(x, offset), (2, 2), dtype
    )
    compare(lambda x: pygrad.tril(x, offset), lambda x: torch.tril(x, offset), (2, 4, 5), dtype)
    compare(lambda x: x.triu(offset), lambda x: x.triu(offset), (5, 3), dtype)


def test_diagonal_is_a_view_and_non_contiguous():
    x = pygrad.zeros(3, 3)
    x.diagonal().fill_(1.0)
    np.testing.assert_array_equal(values(x), np.eye(3, dtype=np.float32))
    compare(lambda x: x.diagonal(1), lambda x: x.diagonal(1), (4, 5), layout="transpose")
    compare(
        lambda x: x.diagonal(-1, 1, 2), lambda x: x.diagonal(-1, 1, 2), (2, 4, 5), layout="step"
    )
    compare(lambda x: x.tril(), lambda x: x.tril(), (4, 5), layout="transpose")
    compare(lambda x: x.diagonal(), lambda x: x.diagonal(), (0, 3))


def test_trace_and_triangle_inplace():
    compare(pygrad.trace, torch.trace, (3, 4))
    compare(lambda x: x.trace(), lambda x: x.trace(), (4, 2), "int64")
    compare(pygrad.trace, torch.trace, (0, 2))
    a = sample((3, 4), "float64")
    p, t = as_pair(a)
    assert p.tril_(1) is p
    t.tril_(1)
    np.testing.assert_array_equal(values(p), values(t))
    p, t = as_pair(a)
    p.triu_(-1)
    t.triu_(-1)
    np.testing.assert_array_equal(values(p), values(t))
    w = pygrad.from_numpy(a.copy()).requires_grad_(True)
    y = w * 2
    y.triu_()
    y.sum().backward()
    np.testing.assert_array_equal(values(w.grad), np.triu(np.full((3, 4), 2.0)))


def test_diagonal_gradcheck():
    check_grad(lambda x: pygrad.diagonal(x, 1, 0, 2) ** 2, (3, 2, 4))
    check_grad(lambda x: pygrad.diag_embed(x, -1) * 3, (2, 3))
    check_grad(lambda x: pygrad.tril(x, -1) * x, (3, 4))
    check_grad(lambda x: pygrad.trace(x * x), (3, 3))


def test_diagonal_errors():
    x, t = as_pair(sample((2, 3), "float32"))
    raises_like(lambda: pygrad.diagonal(x, 0, 1, 1), lambda: torch.diagonal(t, 0, 1, 1))
    raises_like(lambda: pygrad.diagonal(x, 0, 0, 2), lambda: torch.diagonal(t, 0, 0, 2))
    v, tv = as_pair(sample((3,), "float32"))
    raises_like(lambda: pygrad.tril(v), lambda: torch.tril(tv))
    raises_like(lambda: pygrad.trace(v), lambda: torch.trace(tv))
    c, tc = as_pair(sample((2, 2, 2), "float32"))
    raises_like(lambda: pygrad.diag(c), lambda: torch.diag(tc))
    raises_like(lambda: pygrad.diag_embed(v, 0, 0, 0), lambda: torch.diag_embed(tv, 0, 0, 0))


# ---------------------------------------------------------------- windows


@pytest.mark.parametrize(("shape", "dim", "size", "step"), [((7,), 0, 3, 2), ((3, 8), 1, 4, 1), ((3, 8), -2, 2, 1),
                         ((2, 5, 3), 1, 5, 3), ((2, 5), 1, 0, 2), ((), 0, 1, 1), ((4, 6), 1, 2, 5)])  # fmt: skip
def test_tensor_unfold(shape, dim, size, step):
    for dtype in DTYPES:
        compare(
            lambda x: x.unfold(dim, size, step), lambda x: x.unfold(dim, size, step), shape, dtype
        )
    compare(
        lambda x: x.unfold(dim, size, step),
        lambda x: x.unfold(dim, size, step),
        shape,
        layout="step",
    )
    if size:
        check_grad(lambda x: x.unfold(dim, size, step) ** 2, shape)


def test_tensor_unfold_is_a_view_and_errors():
    x = pygrad.arange(6.0)
    w = x.unfold(0, 2, 2)
    w[1, 0] = 9.0
    assert x[2].item() == 9.0
    p, t = as_pair(sample((3, 4), "float32"))
    raises_like(lambda: p.unfold(1, 5, 1), lambda: t.unfold(1, 5, 1))
    raises_like(lambda: p.unfold(1, 2, 0), lambda: t.unfold(1, 2, 0))
    raises_like(lambda: p.unfold(2, 2, 1), lambda: t.unfold(2, 2, 1))


UNFOLD_CASES = [
    ((2, 3, 5, 6), {"kernel_size": 2}),
    ((2, 3, 5, 6), {"kernel_size": (2, 3), "stride": (2, 1), "padding": 1}),
    ((1, 2, 7, 6), {"kernel_size": 3, "dilation": (2, 1), "padding": (1, 2), "stride": 2}),
    ((3, 4, 4), {"kernel_size": (1, 4)}),
]


@pytest.mark.parametrize(("shape", "kwargs"), UNFOLD_CASES)
def test_functional_unfold_fold(shape, kwargs):
    compare(lambda x: F.unfold(x, **kwargs), lambda x: TF.unfold(x, **kwargs), shape)
    out_size = shape[-2:]
    cols = TF.unfold(torch.zeros(shape), **kwargs).shape
    compare(
        lambda x: F.fold(x, out_size, **kwargs),
        lambda x: TF.fold(x, out_size, **kwargs),
        tuple(cols),
    )
    check_grad(lambda x: F.unfold(x, **kwargs) ** 2, shape)
    check_grad(lambda x: F.fold(x, out_size, **kwargs) ** 2, tuple(cols))


def test_functional_unfold_fold_errors():
    x, t = as_pair(sample((1, 2, 3, 3), "float32"))
    raises_like(lambda: F.unfold(x, 4), lambda: TF.unfold(t, 4))
    raises_like(lambda: F.unfold(x[0, 0], 2), lambda: TF.unfold(t[0, 0], 2))
    c, tc = as_pair(sample((1, 8, 4), "float32"))
    raises_like(lambda: F.fold(c, (3, 3), 3), lambda: TF.fold(tc, (3, 3), 3))
    raises_like(lambda: F.fold(c, (4, 4), 3), lambda: TF.fold(tc, (4, 4), 3))
