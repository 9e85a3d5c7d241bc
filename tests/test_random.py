"""Creation and random sampling against torch: logspace, tri indices, empty_strided, pygrad.Generator,
normal/bernoulli/multinomial/poisson, the in-place samplers, inference_mode."""

import math

import numpy as np
import pytest
import torch

import pygrad

TORCH_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
}


LOGSPACE_ARGS = [(0, 3, 4), (-2.5, 1.5, 7), (1, 1, 1), (0, 2, 0), (0, 3, 5, 2.0), (3, -1, 6, 0.5)]


@pytest.mark.parametrize(
    "args,dtype",
    [(a, d) for a in LOGSPACE_ARGS for d in ("float32", "float64")]
    + [((0, 3, 4), "int64"), ((0, 6, 4, 2), "int64")],
)
def test_logspace_vs_torch(args, dtype):
    got = pygrad.logspace(*args, dtype=getattr(pygrad, dtype))
    want = torch.logspace(*args, dtype=TORCH_DTYPES[dtype])
    assert got.dtype == getattr(pygrad, dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize(
    "row,col,offset",
    [(3, 4, 0), (4, 3, 1), (5, 5, -2), (1, 6, 3), (0, 3, 0), (3, 3, -9), (4, 2, 9)],
)
def test_triangle_indices_vs_torch(fn, row, col, offset):
    got = getattr(pygrad, fn)(row, col, offset)
    want = getattr(torch, fn)(row, col, offset)
    assert got.dtype == pygrad.int64
    assert got.tolist() == want.tolist()
    assert tuple(got.shape) == tuple(want.shape)


def test_triangle_indices_dtype_and_errors():
    assert pygrad.tril_indices(3, 3, dtype=pygrad.int32).dtype == pygrad.int32
    with pytest.raises(RuntimeError, match="tril_indices"):
        pygrad.tril_indices(-1, 3)


@pytest.mark.parametrize(
    "size,stride",
    [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((4,), (3,)), ((2, 0, 3), (1, 1, 1)), ((), ())],
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "float16", "bfloat16", "uint8"])
def test_empty_strided_vs_torch(size, stride, dtype):
    got = pygrad.empty_strided(size, stride, dtype=getattr(pygrad, dtype))
    want = torch.empty_strided(size, stride, dtype=getattr(torch, dtype))
    assert tuple(got.shape) == tuple(want.shape)
    assert got.stride() == want.stride()
    assert got.dtype == getattr(pygrad, dtype)
    got.fill_(3)
    assert (got.float().numpy() == 3).all()


def test_empty_strided_errors():
    with pytest.raises(RuntimeError, match="empty_strided"):
        pygrad.empty_strided((2, 3), (1,))
    with pytest.raises(RuntimeError, match="empty_strided"):
        pygrad.empty_strided((2, -3), (1, 1))


# ---- Generator


def test_generator_streams_are_reproducible_and_independent():
    g = pygrad.Generator().manual_seed(7)
    first = [
        pygrad.rand(5, generator=g),
        pygrad.randn(4, generator=g),
        pygrad.randint(0, 9, (6,), generator=g),
    ]
    pygrad.manual_seed(0)
    global_draw = pygrad.rand(3)
    g.manual_seed(7)
    pygrad.manual_seed(0)
    pygrad.rand(1, generator=pygrad.Generator())  # another stream: the global one is untouched
    again = [
        pygrad.rand(5, generator=g),
        pygrad.randn(4, generator=g),
        pygrad.randint(0, 9, (6,), generator=g),
    ]
    for a, b in zip(first, again):
        assert a.tolist() == b.tolist()
    assert pygrad.rand(3).tolist() == global_draw.tolist()
    assert g.initial_seed() == 7
    assert pygrad.Generator().initial_seed() == torch.Generator().initial_seed()


def test_generator_state_round_trip():
    g = pygrad.Generator().manual_seed(11)
    pygrad.rand(3, generator=g)
    state = g.get_state()
    assert state.dtype == pygrad.uint8
    a = pygrad.randn(6, generator=g)
    g.set_state(state)
    assert pygrad.randn(6, generator=g).tolist() == a.tolist()
    with pytest.raises(TypeError, match="set_state"):
        g.set_state(pygrad.zeros(3))
    with pytest.raises(RuntimeError, match="set_state"):
        g.set_state(pygrad.zeros(3, dtype=pygrad.uint8))
    seed = g.seed()
    assert g.initial_seed() == seed


def test_generator_argument_is_checked():
    with pytest.raises(TypeError, match="generator"):
        pygrad.rand(3, generator=torch.Generator())


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_rand_with_generator_stays_below_one(dtype):
    g = pygrad.Generator().manual_seed(1)
    x = pygrad.rand(20000, dtype=getattr(pygrad, dtype), generator=g).float()
    assert float(x.max()) < 1.0 and float(x.min()) >= 0.0
    assert abs(float(x.mean()) - 0.5) < 0.02


def test_randperm_and_likes_take_a_generator():
    g = pygrad.Generator().manual_seed(5)
    p = pygrad.randperm(50, generator=g)
    assert sorted(p.tolist()) == list(range(50))
    x = pygrad.rand(3, 4)
    for fn in (pygrad.rand_like, pygrad.randn_like):
        g.manual_seed(2)
        a = fn(x, generator=g)
        g.manual_seed(2)
        assert fn(x, generator=g).tolist() == a.tolist()


# ---- distributions


def test_normal_forms_and_moments():
    pygrad.manual_seed(0)
    mean = pygrad.linspace(-3, 3, 7, dtype=pygrad.float64).reshape(7, 1)
    std = pygrad.full((1, 20000), 0.5, dtype=pygrad.float64)
    x = pygrad.normal(mean, std)
    assert tuple(x.shape) == (7, 20000) and x.dtype == pygrad.float64
    np.testing.assert_allclose(x.mean(1).numpy(), mean.reshape(-1).numpy(), atol=0.02)
    np.testing.assert_allclose(x.std(1).numpy(), 0.5, atol=0.02)
    y = pygrad.normal(2.0, 3.0, (40000,))
    assert y.dtype == pygrad.float32
    assert abs(float(y.mean()) - 2.0) < 0.1 and abs(float(y.std()) - 3.0) < 0.1
    assert tuple(pygrad.normal(pygrad.zeros(3, 2), 1.0).shape) == (3, 2)
    assert tuple(pygrad.normal(1.0, pygrad.ones(4)).shape) == (4,)
    with pytest.raises(RuntimeError, match="std >= 0"):
        pygrad.normal(pygrad.zeros(3), -1.0)
    with pytest.raises(TypeError, match="size"):
        pygrad.normal(0.0, 1.0)


def test_bernoulli_and_bernoulli_():
    pygrad.manual_seed(1)
    p = pygrad.tensor([0.0, 0.2, 0.5, 1.0], dtype=pygrad.float64).expand(20000, 4)
    x = pygrad.bernoulli(p)
    assert x.dtype == pygrad.float64 and set(np.unique(x.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(x.mean(0).numpy(), [0.0, 0.2, 0.5, 1.0], atol=0.02)
    y = pygrad.empty(30000).bernoulli_(0.3)
    assert abs(float(y.mean()) - 0.3) < 0.02
    z = pygrad.zeros(10000, dtype=pygrad.int64).bernoulli_(pygrad.full((10000,), 0.7))
    assert z.dtype == pygrad.int64 and abs(float(z.double().mean()) - 0.7) < 0.03
    with pytest.raises(RuntimeError, match="0 <= p <= 1"):
        pygrad.bernoulli(pygrad.tensor([1.5]))
    with pytest.raises(RuntimeError, match="0 <= p <= 1"):
        pygrad.empty(3).bernoulli_(-0.1)


def test_poisson_moments_and_errors():
    pygrad.manual_seed(2)
    rates = pygrad.tensor([0.0, 1.0, 4.5, 30.0]).expand(20000, 4)
    x = pygrad.poisson(rates)
    assert x.dtype == pygrad.float32
    assert (x.numpy() == np.round(x.numpy())).all()
    np.testing.assert_allclose(x.mean(0).numpy(), [0.0, 1.0, 4.5, 30.0], rtol=0.03, atol=0.02)
    with pytest.raises(RuntimeError, match="rate"):
        pygrad.poisson(pygrad.tensor([-1.0]))


def test_multinomial_frequencies_and_errors():
    pygrad.manual_seed(3)
    w = pygrad.tensor([1.0, 0.0, 3.0, 6.0])
    draws = pygrad.multinomial(w, 40000, replacement=True)
    assert draws.dtype == pygrad.int64 and tuple(draws.shape) == (40000,)
    counts = np.bincount(draws.numpy(), minlength=4) / 40000
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.3, 0.6], atol=0.01)
    rows = pygrad.multinomial(pygrad.rand(5, 6) + 0.1, 6)
    assert tuple(rows.shape) == (5, 6)
    for row in rows.tolist():
        assert sorted(row) == list(range(6))  # without replacement: a permutation
    assert (pygrad.multinomial(w, 3).numpy() != 1).all()  # a zero-weight category is never drawn
    for bad, match in [
        ((w, 5), "without replacement"),
        ((pygrad.tensor([1.0, -1.0]), 1), "element < 0"),
        ((pygrad.tensor([0.0, 0.0]), 1), "sum of probabilities"),
        ((pygrad.zeros(2, 2, 2) + 1, 1), "1 or 2 dim"),
        ((w, 4), "not enough"),
    ]:
        with pytest.raises(RuntimeError, match=match):
            pygrad.multinomial(*bad)
    for bad, exc in [
        ((torch.tensor([1.0, -1.0]), 1), RuntimeError),
        ((torch.tensor(w.tolist()), 5), RuntimeError),
    ]:
        with pytest.raises(exc):
            torch.multinomial(*bad)  # the same inputs torch refuses


def test_multinomial_with_generator_is_reproducible():
    g = pygrad.Generator().manual_seed(9)
    w = pygrad.rand(3, 8) + 0.01
    a = w.multinomial(4, generator=g)
    g.manual_seed(9)
    assert w.multinomial(4, generator=g).tolist() == a.tolist()


# ---- in-place samplers


def test_inplace_samplers_moments():
    pygrad.manual_seed(4)
    n = 40000
    u = pygrad.empty(n, dtype=pygrad.float64).uniform_(-2, 3)
    assert float(u.min()) >= -2 and float(u.max()) < 3 and abs(float(u.mean()) - 0.5) < 0.05
    z = pygrad.empty(n).normal_(1.0, 2.0)
    assert abs(float(z.mean()) - 1.0) < 0.05 and abs(float(z.std()) - 2.0) < 0.05
    e = pygrad.empty(n, dtype=pygrad.float64).exponential_(4.0)
    assert float(e.min()) >= 0 and abs(float(e.mean()) - 0.25) < 0.01
    ln = pygrad.empty(n, dtype=pygrad.float64).log_normal_(0.0, 0.5)
    assert abs(float(ln.log().mean())) < 0.02
    geo = pygrad.empty(n, dtype=pygrad.float64).geometric_(0.25)
    assert float(geo.min()) >= 1 and abs(float(geo.mean()) - 4.0) < 0.1
    c = pygrad.empty(n, dtype=pygrad.float64).cauchy_(2.0, 1.0)
    assert abs(float(np.median(c.numpy())) - 2.0) < 0.05


def test_random_integer_ranges():
    pygrad.manual_seed(5)
    x = pygrad.zeros(5000, dtype=pygrad.int64).random_(3, 7)
    assert set(x.tolist()) == {3, 4, 5, 6}
    y = pygrad.zeros(5000, dtype=pygrad.int32).random_(4)
    assert set(y.tolist()) == {0, 1, 2, 3}
    z = pygrad.zeros(5000, dtype=pygrad.uint8).random_()
    assert z.dtype == pygrad.uint8 and min(z.tolist()) >= 0 and max(z.tolist()) <= 255
    assert len(set(z.tolist())) > 200
    f = pygrad.zeros(1000).random_(0, 10)
    assert f.dtype == pygrad.float32 and set(f.tolist()) <= set(map(float, range(10)))
    with pytest.raises(RuntimeError, match="random_"):
        pygrad.zeros(3).random_(5, 2)


def test_inplace_samplers_respect_autograd_like_torch():
    for lib in (pygrad, torch):
        leaf = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf.uniform_()
        with lib.no_grad():
            leaf.normal_()
        assert leaf.requires_grad and float(leaf.detach().abs().sum()) > 0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda x: x.uniform_(3, 1), "from"),
        (lambda x: x.normal_(0, -1), "std"),
        (lambda x: x.exponential_(0), "lambda"),
        (lambda x: x.geometric_(1.5), "p"),
        (lambda x: x.log_normal_(0, 0), "std"),
    ],
)
def test_inplace_sampler_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call(pygrad.zeros(3))


def test_inplace_sampler_generator():
    g = pygrad.Generator().manual_seed(12)
    a = pygrad.empty(6).normal_(generator=g)
    b = pygrad.empty(6).exponential_(generator=g)
    g.manual_seed(12)
    assert pygrad.empty(6).normal_(generator=g).tolist() == a.tolist()
    assert pygrad.empty(6).exponential_(generator=g).tolist() == b.tolist()
    assert not math.isnan(float(a.sum()))


# ---- inference_mode


def test_inference_mode_forms():
    x = pygrad.ones(2, requires_grad=True)
    with pygrad.inference_mode():
        assert pygrad.is_inference_mode_enabled() and not pygrad.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert not pygrad.is_inference_mode_enabled() and pygrad.is_grad_enabled()
    with pygrad.inference_mode(False):
        assert (x * 2).requires_grad and not pygrad.is_inference_mode_enabled()

    @pygrad.inference_mode
    def bare(a):
        return a * 2

    @pygrad.inference_mode()
    def called(a):
        return a * 2

    assert not bare(x).requires_grad and not called(x).requires_grad
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled()
