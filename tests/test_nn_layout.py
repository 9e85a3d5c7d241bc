"""The layout layers against torch.nn: the padding modules (zero, constant, reflection, replication,
circular; 1d, 2d, 3d), PixelShuffle, PixelUnshuffle, ChannelShuffle and Unflatten: forward, gradient,
repr (so extra_repr), batched and unbatched input, float32 and float64, and the errors torch raises."""

import numpy as np
import pytest
from conftest import import_torch, make_rng, non_contiguous, to_numpy, to_pygrad

import pygrad
from pygrad import nn

torch = import_torch()

# float32: a padded gradient sums several upstream values, in another order than torch.
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-14}}
DTYPES = [np.float32, np.float64]


def compare(pm, tm, shape, dtype, seed, strided=False):
    """Same repr; pm(x) and tm(x) and the gradients of a random upstream gradient agree."""
    assert repr(pm) == repr(tm)
    assert pm.extra_repr() == tm.extra_repr()
    rng = make_rng("layout", seed)
    x = rng.standard_normal(shape).astype(dtype)
    xp = non_contiguous(x, "step", True) if strided else to_pygrad(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_p, out_t = pm(xp), tm(xt)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_p * to_pygrad(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), **TOL[dtype])


# --------------------------------------------------------------------------- padding
# (class name, constructor arguments, input shapes: batched and unbatched)
PADS = [
    ("ZeroPad1d", (2,), [(2, 3, 5), (3, 5)]),
    ("ZeroPad1d", ((1, 3),), [(2, 3, 5)]),
    ("ZeroPad2d", (1,), [(2, 3, 4, 5), (3, 4, 5)]),
    ("ZeroPad2d", ((1, 0, 2, 3),), [(2, 3, 4, 5)]),
    ("ZeroPad2d", ([1, 2],), [(2, 3, 4, 5)]),  # two sizes: the last dim only, as torch
    ("ZeroPad3d", (1,), [(1, 2, 3, 4, 5), (2, 3, 4, 5)]),
    ("ZeroPad3d", ((0, 1, 2, 0, 1, 1),), [(1, 2, 3, 4, 5)]),
    ("ConstantPad1d", (2, 3.5), [(2, 3, 5), (3, 5)]),
    ("ConstantPad1d", ((-1, 2), -1), [(2, 3, 5)]),  # a negative size crops
    ("ConstantPad2d", ((1, 2, 0, 1), 1), [(2, 3, 4, 5), (3, 4, 5)]),
    ("ConstantPad3d", (1, -0.5), [(1, 2, 3, 4, 5), (2, 3, 4, 5)]),
    ("ReflectionPad1d", (2,), [(2, 3, 5), (3, 5)]),
    ("ReflectionPad1d", ((0, 4),), [(2, 3, 5)]),
    ("ReflectionPad2d", (2,), [(2, 3, 4, 5), (3, 4, 5)]),
    ("ReflectionPad2d", ((1, 0, 3, 2),), [(2, 3, 4, 5)]),
    ("ReflectionPad3d", (1,), [(1, 2, 3, 4, 5), (2, 3, 4, 5)]),
    ("ReflectionPad3d", ((1, 2, 0, 1, 2, 0),), [(1, 2, 3, 4, 5)]),
    ("ReplicationPad1d", (3,), [(2, 3, 5), (3, 5)]),
    ("ReplicationPad2d", ((1, 6, 0, 2),), [(2, 3, 4, 5), (3, 4, 5)]),
    ("ReplicationPad3d", (2,), [(1, 2, 3, 4, 5), (2, 3, 4, 5)]),
    ("CircularPad1d", (2,), [(2, 3, 5), (3, 5)]),
    ("CircularPad2d", ((1, 0, 2, 3),), [(2, 3, 4, 5), (3, 4, 5)]),
    ("CircularPad3d", (1,), [(1, 2, 3, 4, 5), (2, 3, 4, 5)]),
]
PAD_CASES = [(name, args, shape) for name, args, shapes in PADS for shape in shapes]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "name,args,shape", PAD_CASES, ids=[f"{c[0]}-{c[1]}-{len(c[2])}d" for c in PAD_CASES]
)
def test_padding_module_matches_torch(name, args, shape, dtype):
    compare(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), shape, dtype, (name, args))


@pytest.mark.parametrize("name", ["ReflectionPad2d", "ZeroPad2d", "CircularPad2d"])
def test_padding_module_on_strided_input_and_empty_batch(name):
    compare(getattr(nn, name)(1), getattr(torch.nn, name)(1), (2, 3, 4, 5), np.float64, name, True)
    compare(getattr(nn, name)(1), getattr(torch.nn, name)(1), (0, 3, 4, 5), np.float64, name)


def test_padding_attributes_as_torch():
    for name, args, _ in PADS:
        pm, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert pm.padding == tm.padding and isinstance(pm.padding, tuple)
        assert getattr(pm, "value", None) == getattr(tm, "value", None)
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d)


@pytest.mark.parametrize(
    "name,shape",
    [("CircularPad1d", (1, 1, 2, 2)), ("CircularPad2d", (4, 4)), ("CircularPad3d", (2, 2, 2))],
)
def test_circular_padding_checks_the_rank(name, shape):
    with pytest.raises(ValueError, match="expected"):
        getattr(torch.nn, name)(1)(torch.ones(*shape))
    with pytest.raises(
        ValueError, match=rf"\[{name}\] expected .*D input \(got {len(shape)}D input\)"
    ):
        getattr(nn, name)(1)(pygrad.ones(*shape))


def test_padding_errors_where_torch_raises():
    for name, shape in [("ReflectionPad1d", (1, 2)), ("ReflectionPad2d", (1, 2, 2, 2))]:
        with pytest.raises(RuntimeError):
            getattr(torch.nn, name)(2)(torch.ones(*shape))
        with pytest.raises(ValueError, match=r"\[pad\] padding size should be less"):
            getattr(nn, name)(2)(pygrad.ones(*shape))
    with pytest.raises(NotImplementedError):
        torch.nn.ReplicationPad1d(1)(torch.ones(1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match=r"\[pad\]"):
        nn.ReplicationPad1d(1)(pygrad.ones(1, 1, 1, 1, 1))


# --------------------------------------------------------------------------- shuffles
SHUFFLES = [
    ("PixelShuffle", 2, (2, 8, 3, 4)),
    ("PixelShuffle", 3, (9, 2, 2)),
    ("PixelShuffle", 2, (2, 1, 4, 2, 3)),
    ("PixelShuffle", 1, (2, 3, 2, 2)),
    ("PixelUnshuffle", 2, (2, 2, 4, 6)),
    ("PixelUnshuffle", 3, (1, 6, 9)),
    ("PixelUnshuffle", 2, (3, 2, 1, 2, 4)),
    ("ChannelShuffle", 2, (2, 6, 3, 4)),
    ("ChannelShuffle", 3, (2, 6, 5)),
    ("ChannelShuffle", 4, (1, 8, 2, 2, 2)),
    ("ChannelShuffle", 1, (2, 3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "name,factor,shape", SHUFFLES, ids=[f"{s[0]}-{s[1]}-{s[2]}" for s in SHUFFLES]
)
def test_shuffle_module_matches_torch(name, factor, shape, dtype):
    pm, tm = getattr(nn, name)(factor), getattr(torch.nn, name)(factor)
    compare(pm, tm, shape, dtype, (name, factor, shape))
    compare(pm, tm, shape, dtype, (name, factor, shape), strided=True)


def test_pixel_unshuffle_undoes_pixel_shuffle():
    x = pygrad.randn(2, 12, 3, 5)
    y = nn.PixelShuffle(2)(x)
    assert y.shape == (2, 3, 6, 10)
    np.testing.assert_array_equal(to_numpy(nn.PixelUnshuffle(2)(y)), to_numpy(x))


def test_channel_shuffle_interleaves_the_groups():
    x = pygrad.arange(6, dtype=pygrad.float32).reshape(1, 6, 1)
    out = nn.ChannelShuffle(2)(x)
    np.testing.assert_array_equal(to_numpy(out).reshape(-1), [0, 3, 1, 4, 2, 5])


# --------------------------------------------------------------------------- Unflatten
UNFLATTEN = [
    (1, (2, 3), (4, 6)),
    (1, [3, -1], (4, 6, 2)),
    (-1, (2, 2, 1), (3, 4)),
    (0, (2, 2), (4, 3)),
    (1, (5, 1), (0, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("dim,size,shape", UNFLATTEN, ids=[str(u) for u in UNFLATTEN])
def test_unflatten_matches_torch(dim, size, shape, dtype):
    pm, tm = nn.Unflatten(dim, size), torch.nn.Unflatten(dim, size)
    assert pm.dim == tm.dim and pm.unflattened_size == tm.unflattened_size
    compare(pm, tm, shape, dtype, ("unflatten", dim, size))


def test_unflatten_errors_where_torch_raises():
    for bad, match in [((2.0, 2), "element of type float at pos 0"), (4, "found type int")]:
        with pytest.raises(TypeError):
            torch.nn.Unflatten(1, bad)
        with pytest.raises(TypeError, match=rf"\[Unflatten\] .*{match}"):
            nn.Unflatten(1, bad)
    with pytest.raises(RuntimeError):
        torch.nn.Unflatten(1, (3, 2))(torch.ones(3, 4))
    with pytest.raises((ValueError, RuntimeError)):
        nn.Unflatten(1, (3, 2))(pygrad.ones(3, 4))


def test_flatten_then_unflatten_is_the_identity_in_a_model():
    m = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 4, 5)))
    x = pygrad.randn(2, 3, 4, 5)
    np.testing.assert_array_equal(to_numpy(m(x)), to_numpy(x))
    assert "Unflatten(dim=1, unflattened_size=(3, 4, 5))" in repr(m)
