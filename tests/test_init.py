"""pygrad.nn.init against torch.nn.init: gains, distributions (seeded, statistical), exact structure, errors."""

import math
import warnings

import numpy as np
import pytest
import torch

import pygrad
from pygrad.nn import init

NONLINEARITIES = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain_equals_torch(name):
    assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("param", [None, 0, 0.2, 3, -0.5])
def test_leaky_relu_gain_with_slope(param):
    assert init.calculate_gain("leaky_relu", param) == torch.nn.init.calculate_gain(
        "leaky_relu", param
    )


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="nonlinearity softplus"):
        init.calculate_gain("softplus")


def _moments(fn, shape, *args, seed=0, **kwargs):
    pygrad.manual_seed(seed)
    t = pygrad.empty(*shape, dtype=pygrad.float64)
    out = fn(t, *args, **kwargs)
    assert out is t
    v = t.numpy()
    return v, v.mean(), v.std()


def test_uniform_and_normal_moments_and_bounds():
    v, mean, std = _moments(init.uniform_, (200, 100), -1.0, 3.0)
    assert v.min() >= -1.0 and v.max() < 3.0
    assert abs(mean - 1.0) < 0.03 and abs(std - 4 / math.sqrt(12)) < 0.03
    v, mean, std = _moments(init.normal_, (200, 100), 2.0, 0.5)
    assert abs(mean - 2.0) < 0.02 and abs(std - 0.5) < 0.02


def _truncated_moments(mu, sigma, a, b):
    def pdf(x):
        return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)

    def cdf(x):
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    al, be = (a - mu) / sigma, (b - mu) / sigma
    z = cdf(be) - cdf(al)
    mean = mu + sigma * (pdf(al) - pdf(be)) / z
    var = sigma**2 * (1 + (al * pdf(al) - be * pdf(be)) / z - ((pdf(al) - pdf(be)) / z) ** 2)
    return mean, math.sqrt(var)


@pytest.mark.parametrize(
    "mean,std,a,b",
    [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 1.5), (0.0, 1.0, 1.0, 3.0), (1.0, 0.1, 0.9, 0.95)],
)
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    v, m, s = _moments(init.trunc_normal_, (20000,), mean, std, a, b)
    assert v.min() >= a and v.max() <= b
    want_mean, want_std = _truncated_moments(mean, std, a, b)
    assert abs(m - want_mean) < 0.03 * (b - a)
    assert abs(s - want_std) < 0.03 * (b - a)


def test_trunc_normal_far_window_warns_like_torch():
    t = pygrad.empty(100)
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(t, mean=5.0, std=1.0, a=-1.0, b=1.0)
    assert t.numpy().min() >= -1.0 and t.numpy().max() <= 1.0
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(t, a=1.0, b=1.0)


def test_constant_ones_zeros_keep_requires_grad():
    p = pygrad.nn.Parameter(pygrad.randn(3, 4))
    assert init.constant_(p, 0.25) is p
    np.testing.assert_array_equal(p.detach().numpy(), np.full((3, 4), 0.25, np.float32))
    init.ones_(p)
    assert (p.detach().numpy() == 1).all() and p.requires_grad and p.grad is None
    init.zeros_(p)
    assert (p.detach().numpy() == 0).all()


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 1)])
def test_eye_matches_torch(shape):
    t = pygrad.randn(*shape)
    assert init.eye_(t) is t
    np.testing.assert_array_equal(t.numpy(), torch.nn.init.eye_(torch.empty(*shape)).numpy())


@pytest.mark.parametrize(
    "shape,groups", [((4, 4, 3), 1), ((6, 4, 3), 2), ((3, 5, 3, 4), 1), ((4, 2, 3, 3, 2), 2)]
)
def test_dirac_matches_torch(shape, groups):
    t = pygrad.randn(*shape)
    assert init.dirac_(t, groups) is t
    expected = torch.nn.init.dirac_(torch.empty(*shape), groups).numpy()
    np.testing.assert_array_equal(t.numpy(), expected)


@pytest.mark.parametrize("shape,gain", [((5, 8), 1.0), ((8, 5), 2.0), ((4, 3, 2, 2), 0.5)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    pygrad.manual_seed(1)
    t = pygrad.empty(*shape, dtype=pygrad.float64)
    init.orthogonal_(t, gain)
    w = t.numpy().reshape(shape[0], -1)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(gram, gain**2 * np.eye(gram.shape[0]), atol=1e-12)


def test_orthogonal_is_sign_corrected_haar():
    # Without the sign correction Q's diagonal is biased (LAPACK's R has a fixed sign pattern).
    g = pygrad.Generator().manual_seed(3)
    diag = []
    for _ in range(300):
        t = pygrad.empty(3, 3, dtype=pygrad.float64)
        diag.append(np.diag(init.orthogonal_(t, generator=g).numpy()))
    assert abs(np.mean(diag)) < 0.06


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.99])
def test_sparse_zero_fraction_per_column(sparsity):
    pygrad.manual_seed(2)
    t = pygrad.empty(20, 30, dtype=pygrad.float64)
    init.sparse_(t, sparsity, std=0.5)
    v = t.numpy()
    zeros = (v == 0).sum(0)
    np.testing.assert_array_equal(zeros, np.full(30, math.ceil(sparsity * 20)))
    nonzero = v[v != 0]
    if nonzero.size > 100:
        assert abs(nonzero.std() - 0.5) < 0.05
    # Different columns get different zero positions.
    if 0 < sparsity < 0.9:
        assert len({tuple(np.flatnonzero(v[:, j] == 0)) for j in range(30)}) > 1


@pytest.mark.parametrize("fn", ["xavier_uniform_", "xavier_normal_"])
def test_xavier_std(fn):
    shape = (64, 32, 3)
    v, mean, std = _moments(getattr(init, fn), shape, gain=1.5)
    fan_in, fan_out = 32 * 3, 64 * 3
    want = 1.5 * math.sqrt(2.0 / (fan_in + fan_out))
    assert abs(mean) < 0.05 * want and abs(std - want) < 0.05 * want
    if fn == "xavier_uniform_":
        assert np.abs(v).max() <= want * math.sqrt(3)


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize(
    "a,mode,nonlinearity",
    [
        (0, "fan_in", "leaky_relu"),
        (0.2, "fan_out", "leaky_relu"),
        (0, "fan_in", "relu"),
        (0, "fan_out", "tanh"),
    ],
)
def test_kaiming_std(fn, a, mode, nonlinearity):
    shape = (48, 24, 2, 2)
    v, mean, std = _moments(getattr(init, fn), shape, a=a, mode=mode, nonlinearity=nonlinearity)
    fan = 24 * 4 if mode == "fan_in" else 48 * 4
    want = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    assert abs(mean) < 0.05 * want and abs(std - want) < 0.05 * want
    if fn == "kaiming_uniform_":
        assert np.abs(v).max() <= want * math.sqrt(3) * (1 + 1e-12)


@pytest.mark.parametrize(
    "fn,args",
    [
        ("uniform_", ()),
        ("normal_", ()),
        ("trunc_normal_", ()),
        ("xavier_uniform_", ()),
        ("xavier_normal_", ()),
        ("kaiming_uniform_", ()),
        ("kaiming_normal_", ()),
        ("orthogonal_", ()),
        ("sparse_", (0.3,)),
    ],
)
def test_generator_gives_reproducible_draws_without_touching_global(fn, args):
    pygrad.manual_seed(5)
    reference = pygrad.rand(4).numpy()
    pygrad.manual_seed(5)
    g = pygrad.Generator().manual_seed(9)
    first = getattr(init, fn)(pygrad.empty(6, 5), *args, generator=g).numpy().copy()
    np.testing.assert_array_equal(pygrad.rand(4).numpy(), reference)
    g.manual_seed(9)
    again = getattr(init, fn)(pygrad.empty(6, 5), *args, generator=g).numpy()
    np.testing.assert_array_equal(again, first)


def test_init_runs_under_no_grad_on_parameters():
    p = pygrad.nn.Parameter(pygrad.randn(4, 4))
    for fn in (init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_, init.eye_):
        assert fn(p) is p
        assert p.requires_grad and p.is_leaf and p.grad_fn is None
    init.dirac_(pygrad.nn.Parameter(pygrad.randn(2, 2, 3)))
    init.sparse_(p, 0.5)
    assert p.is_leaf


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: init.xavier_uniform_(pygrad.empty(5)), ValueError, "fewer than 2 dimensions"),
        (lambda: init.xavier_normal_(pygrad.empty(5)), ValueError, "fewer than 2 dimensions"),
        (lambda: init.kaiming_uniform_(pygrad.empty(5)), ValueError, "fewer than 2 dimensions"),
        (lambda: init.kaiming_normal_(pygrad.empty(3, 3), mode="fan_avg"), ValueError, "mode"),
        (lambda: init.kaiming_normal_(pygrad.empty(3, 3), nonlinearity="gelu"), ValueError, "gelu"),
        (lambda: init.eye_(pygrad.empty(2, 2, 2)), ValueError, "2 dimensions"),
        (lambda: init.dirac_(pygrad.empty(2, 2)), ValueError, "3, 4, or 5 dimensions"),
        (lambda: init.dirac_(pygrad.empty(3, 2, 3), groups=2), ValueError, "divisible by groups"),
        (lambda: init.orthogonal_(pygrad.empty(4)), ValueError, "2 or more dimensions"),
        (lambda: init.sparse_(pygrad.empty(2, 2, 2), 0.1), ValueError, "2 dimensions"),
    ],
)
def test_errors_match_torch(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_zero_element_kaiming_warns_and_is_a_no_op():
    t = pygrad.empty(0, 3)
    for fn in (init.kaiming_uniform_, init.kaiming_normal_):
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            assert fn(t) is t
    assert init.orthogonal_(pygrad.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize(
    "old,args",
    [
        ("uniform", ()),
        ("normal", ()),
        ("constant", (0.5,)),
        ("eye", ()),
        ("xavier_uniform", ()),
        ("xavier_normal", ()),
        ("kaiming_uniform", ()),
        ("kaiming_normal", ()),
        ("orthogonal", ()),
        ("sparse", (0.5,)),
    ],
)
def test_deprecated_aliases_warn_and_work(old, args):
    assert hasattr(torch.nn.init, old)
    t = pygrad.empty(4, 4)
    with pytest.warns(FutureWarning, match=f"`nn.init.{old}` is now deprecated in favor of"):
        assert getattr(init, old)(t, *args) is t
    with pytest.warns(FutureWarning, match="nn.init.dirac"):
        init.dirac(pygrad.empty(2, 2, 3))


def test_every_torch_init_name_exists():
    assert sorted(torch.nn.init.__all__) == sorted(init.__all__)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.uniform_(pygrad.empty(2, 2))
