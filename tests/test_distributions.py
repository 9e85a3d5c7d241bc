"""pygrad.distributions against torch.distributions 2.13: log_prob, cdf/icdf, entropy, mean, mode,
variance and KL divergences in float64 with identical parameters, their gradients for the parameters
(random upstream weights), sample/rsample shapes with sample_shape and broadcast batch shapes,
reparameterised gradients, sample statistics under pygrad.manual_seed, expand, and validation errors."""

import math

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad
import pygrad.distributions as D
from pygrad.distributions import constraints

torch = import_torch()
td = torch.distributions

BATCH = (3, 4)


def rng_for(*keys):
    return make_rng("distributions", *keys)


def positive(r, shape, low=0.3, high=3.0):
    return r.uniform(low, high, shape)


def simplex(r, shape):
    x = r.uniform(0.1, 1.0, shape)
    return x / x.sum(-1, keepdims=True)


def spd(r, batch, n):
    a = r.standard_normal((*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def tril(r, batch, n):
    m = np.tril(r.standard_normal((*batch, n, n)))
    idx = np.arange(n)
    m[..., idx, idx] = r.uniform(0.5, 2.0, (*batch, n))
    return m


# name -> (params(r), value(r, params), methods compared besides log_prob, wrt: params given gradients)
SPECS = {
    "Normal": (
        lambda r: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        lambda r, p: r.standard_normal(BATCH) * 2,
        ["cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev"],
    ),
    "Uniform": (
        lambda r: {"low": -positive(r, BATCH), "high": positive(r, BATCH)},
        lambda r, p: p["low"] + (p["high"] - p["low"]) * r.uniform(0.01, 0.99, BATCH),
        ["cdf", "icdf", "entropy", "mean", "variance", "stddev"],
    ),
    "Exponential": (
        lambda r: {"rate": positive(r, BATCH)},
        lambda r, p: positive(r, BATCH, 0.01, 4.0),
        ["cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev"],
    ),
    "Laplace": (
        lambda r: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        lambda r, p: r.standard_normal(BATCH) * 2,
        ["cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev"],
    ),
    "Cauchy": (
        lambda r: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        lambda r, p: r.standard_normal(BATCH) * 3,
        ["cdf", "icdf", "entropy", "mean", "mode", "variance"],
    ),
    "Gumbel": (
        lambda r: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        lambda r, p: p["loc"] + p["scale"] * r.uniform(-1.5, 3.0, BATCH),
        ["cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev"],
    ),
    "StudentT": (
        lambda r: {
            "df": positive(r, BATCH, 0.5, 6.0),
            "loc": r.standard_normal(BATCH),
            "scale": positive(r, BATCH),
        },
        lambda r, p: r.standard_normal(BATCH) * 2,
        ["entropy", "mean", "mode", "variance"],
    ),
    "Chi2": (
        lambda r: {"df": positive(r, BATCH, 0.5, 6.0)},
        lambda r, p: positive(r, BATCH, 0.01, 6.0),
        ["entropy", "mean", "mode", "variance"],
    ),
    "HalfNormal": (
        lambda r: {"scale": positive(r, BATCH)},
        lambda r, p: positive(r, BATCH, 0.0, 4.0),
        ["cdf", "icdf", "entropy", "mean", "mode", "variance"],
    ),
    "Gamma": (
        lambda r: {"concentration": positive(r, BATCH, 0.5, 4.0), "rate": positive(r, BATCH)},
        lambda r, p: positive(r, BATCH, 0.01, 4.0),
        ["entropy", "mean", "mode", "variance", "stddev"],
    ),
    "Beta": (
        lambda r: {
            "concentration1": positive(r, BATCH, 0.5, 4.0),
            "concentration0": positive(r, BATCH, 0.5, 4.0),
        },
        lambda r, p: r.uniform(0.01, 0.99, BATCH),
        ["entropy", "mean", "variance", "stddev"],
    ),
    "Dirichlet": (
        lambda r: {"concentration": positive(r, (*BATCH, 5), 0.5, 4.0)},
        lambda r, p: simplex(r, (*BATCH, 5)),
        ["entropy", "mean", "mode", "variance", "stddev"],
    ),
    "LogNormal": (
        lambda r: {"loc": r.standard_normal(BATCH) * 0.5, "scale": positive(r, BATCH, 0.2, 1.0)},
        lambda r, p: positive(r, BATCH, 0.05, 5.0),
        ["cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev"],
    ),
    "Bernoulli": (
        lambda r: {"probs": r.uniform(0.05, 0.95, BATCH)},
        lambda r, p: (r.random(BATCH) < 0.5).astype(np.float64),
        ["entropy", "mean", "variance", "stddev", "mode", "enumerate_support"],
    ),
    "Bernoulli(logits)": (
        lambda r: {"logits": r.standard_normal(BATCH) * 2},
        lambda r, p: (r.random(BATCH) < 0.5).astype(np.float64),
        ["entropy", "mean", "variance"],
    ),
    "Categorical": (
        lambda r: {"probs": r.uniform(0.1, 1.0, (*BATCH, 5))},
        lambda r, p: r.integers(0, 5, BATCH),
        ["entropy", "mode", "enumerate_support"],
    ),
    "Categorical(logits)": (
        lambda r: {"logits": r.standard_normal((*BATCH, 5))},
        lambda r, p: r.integers(0, 5, BATCH),
        ["entropy", "mode"],
    ),
    "OneHotCategorical": (
        lambda r: {"logits": r.standard_normal((*BATCH, 5))},
        lambda r, p: np.eye(5)[r.integers(0, 5, BATCH)],
        ["entropy", "mean", "mode", "variance", "enumerate_support"],
    ),
    "Poisson": (
        lambda r: {"rate": positive(r, BATCH, 0.5, 8.0)},
        lambda r, p: r.integers(0, 12, BATCH).astype(np.float64),
        ["mean", "mode", "variance", "stddev"],
    ),
    "Binomial": (
        lambda r: {"total_count": np.full(BATCH, 9.0), "probs": r.uniform(0.05, 0.95, BATCH)},
        lambda r, p: r.integers(0, 10, BATCH).astype(np.float64),
        ["entropy", "mean", "mode", "variance", "enumerate_support"],
    ),
    "Binomial(logits)": (
        lambda r: {
            "total_count": r.integers(3, 12, BATCH).astype(np.float64),
            "logits": r.standard_normal(BATCH),
        },
        lambda r, p: np.floor(p["total_count"] * r.random(BATCH)),
        ["mean", "variance"],
    ),
    "Geometric": (
        lambda r: {"probs": r.uniform(0.05, 0.95, BATCH)},
        lambda r, p: r.integers(0, 10, BATCH).astype(np.float64),
        ["entropy", "mean", "mode", "variance", "stddev"],
    ),
    "MultivariateNormal(cov)": (
        lambda r: {"loc": r.standard_normal((3, 4)), "covariance_matrix": spd(r, (3,), 4)},
        lambda r, p: r.standard_normal((2, 3, 4)),
        [
            "entropy",
            "mean",
            "mode",
            "variance",
            "stddev",
            "covariance_matrix",
            "precision_matrix",
            "scale_tril",
        ],
    ),
    "MultivariateNormal(tril)": (
        lambda r: {"loc": r.standard_normal((4,)), "scale_tril": tril(r, (3,), 4)},
        lambda r, p: r.standard_normal((3, 4)),
        ["entropy", "mean", "variance", "covariance_matrix"],
    ),
    "MultivariateNormal(prec)": (
        lambda r: {"loc": r.standard_normal((3, 4)), "precision_matrix": spd(r, (), 4)},
        lambda r, p: r.standard_normal((3, 4)),
        ["entropy", "variance", "covariance_matrix"],
    ),
}

NO_GRAD_PARAMS = {"total_count"}


def cls_name(name):
    return name.split("(")[0]


def make_pair(name, params):
    pp = {
        k: pygrad.tensor(v, dtype=pygrad.float64, requires_grad=k not in NO_GRAD_PARAMS)
        for k, v in params.items()
    }
    tp = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=k not in NO_GRAD_PARAMS)
        for k, v in params.items()
    }
    return getattr(D, cls_name(name))(**pp), getattr(td, cls_name(name))(**tp), pp, tp


def to_np(t):
    return t.detach().numpy()


def assert_close(a, b, tol=1e-10, what=""):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


def check_grads(pv, tv, pp, tp, r, what):
    w = r.standard_normal(tuple(tv.shape))
    targets = [k for k in pp if pp[k].requires_grad]
    pg = pygrad.autograd.grad(
        (pv * pygrad.tensor(w)).sum(),
        [pp[k] for k in targets],
        allow_unused=True,
        retain_graph=True,
    )
    tg = torch.autograd.grad(
        (tv * torch.tensor(w)).sum(), [tp[k] for k in targets], allow_unused=True, retain_graph=True
    )
    for k, a, b in zip(targets, pg, tg):
        if b is None:
            assert a is None or not np.any(to_np(a)), f"{what}: grad of {k}"
            continue
        assert_close(to_np(a), b.numpy(), 1e-8, f"{what}: grad of {k}")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_against_torch(name):
    r = rng_for(name)
    params_fn, value_fn, methods = SPECS[name]
    params = params_fn(r)
    pd, tdist, pp, tp = make_pair(name, params)
    assert pd.batch_shape == tuple(tdist.batch_shape)
    assert pd.event_shape == tuple(tdist.event_shape)
    assert pd.has_rsample == tdist.has_rsample
    value = value_fn(r, params)
    pv = pd.log_prob(
        pygrad.tensor(value, dtype=pygrad.int64 if value.dtype.kind == "i" else pygrad.float64)
    )
    tv = tdist.log_prob(torch.tensor(value))
    assert_close(to_np(pv), to_np(tv), what=f"{name}.log_prob")
    check_grads(pv, tv, pp, tp, r, f"{name}.log_prob")
    for method in methods:
        if method in ("cdf", "icdf"):
            x = value if method == "cdf" else r.uniform(0.02, 0.98, BATCH)
            pv = getattr(pd, method)(pygrad.tensor(x, dtype=pygrad.float64))
            tv = getattr(tdist, method)(torch.tensor(x))
        elif method == "entropy":
            pv, tv = pd.entropy(), tdist.entropy()
        elif method == "enumerate_support":
            for expand in (True, False):
                a, b = pd.enumerate_support(expand), tdist.enumerate_support(expand)
                assert_close(to_np(a), b.numpy(), 0, f"{name}.enumerate_support({expand})")
            continue
        else:
            pv, tv = getattr(pd, method), getattr(tdist, method)
        assert_close(to_np(pv), to_np(tv), what=f"{name}.{method}")
        if tv.requires_grad and pv.is_floating_point():
            check_grads(pv, tv, pp, tp, r, f"{name}.{method}")


def kl_params(r):
    return {
        "Normal": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        "Uniform": lambda: {
            "low": -positive(r, BATCH, 1.0, 2.0),
            "high": positive(r, BATCH, 1.0, 2.0),
        },
        "Exponential": lambda: {"rate": positive(r, BATCH)},
        "Laplace": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        "Gamma": lambda: {"concentration": positive(r, BATCH), "rate": positive(r, BATCH)},
        "Beta": lambda: {
            "concentration1": positive(r, BATCH),
            "concentration0": positive(r, BATCH),
        },
        "Dirichlet": lambda: {"concentration": positive(r, (*BATCH, 5))},
        "Bernoulli": lambda: {"probs": r.uniform(0.05, 0.95, BATCH)},
        "Categorical": lambda: {"logits": r.standard_normal((*BATCH, 5))},
        "OneHotCategorical": lambda: {"probs": r.uniform(0.1, 1, (*BATCH, 5))},
        "Poisson": lambda: {"rate": positive(r, BATCH)},
        "Geometric": lambda: {"probs": r.uniform(0.05, 0.95, BATCH)},
        "Binomial": lambda: {
            "total_count": np.full(BATCH, 7.0),
            "probs": r.uniform(0.05, 0.95, BATCH),
        },
        "LogNormal": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        "MultivariateNormal": lambda: {
            "loc": r.standard_normal((3, 4)),
            "scale_tril": tril(r, (3,), 4),
        },
        "Cauchy": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        "Gumbel": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        "HalfNormal": lambda: {"scale": positive(r, BATCH)},
        "Chi2": lambda: {"df": positive(r, BATCH)},
    }


@pytest.mark.parametrize("name", sorted(kl_params(np.random.default_rng(0))))
def test_kl_against_torch(name):
    r = rng_for("kl", name)
    fn = kl_params(r)[name]
    p, tp_, pp, tpp = make_pair(name, fn())
    q, tq, qp, tqp = make_pair(name, fn())
    pv, tv = D.kl_divergence(p, q), td.kl_divergence(tp_, tq)
    assert_close(to_np(pv), to_np(tv), what=f"KL({name})")
    check_grads(
        pv,
        tv,
        {**pp, **{"q_" + k: v for k, v in qp.items()}},
        {**tpp, **{"q_" + k: v for k, v in tqp.items()}},
        r,
        f"KL({name})",
    )


def test_gamma_cdf_against_torch():
    r = rng_for("gamma-cdf")
    c, rate, v = positive(r, BATCH, 0.3, 6.0), positive(r, BATCH), positive(r, BATCH, 0.01, 5.0)
    pd = D.Gamma(pygrad.tensor(c), pygrad.tensor(rate, requires_grad=True))
    tdist = td.Gamma(torch.tensor(c), torch.tensor(rate, requires_grad=True))
    pv, tv = pygrad.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    a, b = pd.cdf(pv), tdist.cdf(tv)
    assert_close(to_np(a), b.detach().numpy(), 1e-9)
    check_grads(
        a, b, {"value": pv, "rate": pd.rate}, {"value": tv, "rate": tdist.rate}, r, "Gamma.cdf"
    )


CROSS_KL = [
    ("Bernoulli", "Poisson"),
    ("Exponential", "Gamma"),
    ("Exponential", "Gumbel"),
    ("Exponential", "Normal"),
    ("Gamma", "Exponential"),
    ("Gamma", "Gumbel"),
    ("Gamma", "Normal"),
    ("Gumbel", "Normal"),
    ("Laplace", "Normal"),
    ("Normal", "Gumbel"),
    ("Normal", "Laplace"),
    ("Uniform", "Beta"),
    ("Uniform", "Exponential"),
    ("Uniform", "Gamma"),
    ("Uniform", "Gumbel"),
    ("Uniform", "Normal"),
    ("Normal", "Exponential"),
    ("Laplace", "Uniform"),
    ("Gumbel", "Gamma"),
    ("Exponential", "Beta"),
    ("Gamma", "Uniform"),
    ("Poisson", "Binomial"),
    ("Chi2", "Exponential"),
]


@pytest.mark.parametrize(("p_name", "q_name"), CROSS_KL)
def test_cross_family_kl_against_torch(p_name, q_name):
    r = rng_for("cross-kl", p_name, q_name)
    fns = kl_params(r)
    p_params = fns[p_name]()
    if (
        p_name == "Uniform"
    ):  # inside (0, 1) for Beta's support, and some draws straddling 0 elsewhere
        low = r.uniform(0.05, 0.4, BATCH) if q_name == "Beta" else r.uniform(-0.2, 0.8, BATCH)
        p_params = {"low": low, "high": low + r.uniform(0.1, 0.5, BATCH)}
    p, tp_, pp, tpp = make_pair(p_name, p_params)
    q, tq, qp, tqp = make_pair(q_name, fns[q_name]())
    pv, tv = D.kl_divergence(p, q), td.kl_divergence(tp_, tq)
    assert_close(to_np(pv), to_np(tv), what=f"KL({p_name} || {q_name})")
    if np.isfinite(to_np(tv)).all():
        check_grads(
            pv,
            tv,
            {**pp, **{"q_" + k: v for k, v in qp.items()}},
            {**tpp, **{"q_" + k: v for k, v in tqp.items()}},
            r,
            f"KL({p_name} || {q_name})",
        )


def test_kl_uniform_outside_support_and_independent():
    p = D.Uniform(
        pygrad.tensor([0.0, 0.0], dtype=pygrad.float64),
        pygrad.tensor([1.0, 3.0], dtype=pygrad.float64),
    )
    q = D.Uniform(
        pygrad.tensor([-1.0, 0.5], dtype=pygrad.float64),
        pygrad.tensor([2.0, 4.0], dtype=pygrad.float64),
    )
    tp_ = td.Uniform(torch.tensor([0.0, 0.0]).double(), torch.tensor([1.0, 3.0]).double())
    tq = td.Uniform(torch.tensor([-1.0, 0.5]).double(), torch.tensor([2.0, 4.0]).double())
    assert_close(to_np(D.kl_divergence(p, q)), td.kl_divergence(tp_, tq).numpy())
    assert math.isinf(float(D.kl_divergence(p, q)[1]))
    r = rng_for("kl-independent")
    a, b = r.standard_normal((2, 3)), positive(r, (2, 3))
    c, d = r.standard_normal((2, 3)), positive(r, (2, 3))
    pi = D.Independent(D.Normal(pygrad.tensor(a), pygrad.tensor(b)), 1)
    qi = D.Independent(D.Normal(pygrad.tensor(c), pygrad.tensor(d)), 1)
    ti = td.kl_divergence(
        td.Independent(td.Normal(torch.tensor(a), torch.tensor(b)), 1),
        td.Independent(td.Normal(torch.tensor(c), torch.tensor(d)), 1),
    )
    assert_close(to_np(D.kl_divergence(pi, qi)), ti.numpy())
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Cauchy(0.0, 1.0))


def test_register_kl_picks_the_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return pygrad.tensor(42.0)

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 2.0))) == 42.0
    assert float(D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(0.0, 1.0))) == 0.0
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


RSAMPLE = {
    "Normal": {"loc": (2, 1), "scale": (3,)},
    "Cauchy": {"loc": (2, 1), "scale": (3,)},
    "Gumbel": {"loc": (2, 1), "scale": (3,)},
    "HalfNormal": {"scale": (2, 3)},
    "Uniform": {"low": (2, 1), "high": (3,)},
    "Exponential": {"rate": (2, 3)},
    "Laplace": {"loc": (2, 1), "scale": (3,)},
    "LogNormal": {"loc": (3,), "scale": (2, 1)},
}


@pytest.mark.parametrize("name", sorted(RSAMPLE))
def test_rsample_shapes_and_reparameterised_gradients(name):
    r = rng_for("rsample", name)
    params = {
        k: (positive(r, s, 1.5, 2.5) if k == "high" else positive(r, s))
        for k, s in RSAMPLE[name].items()
    }
    if name == "Uniform":
        params["low"] = -params["low"]
    pd, tdist, pp, tp = make_pair(name, params)
    assert pd.batch_shape == tuple(tdist.batch_shape) == (2, 3)
    assert pd.has_rsample
    assert tuple(pd.sample().shape) == (2, 3)
    assert tuple(pd.sample((5,)).shape) == (5, 2, 3)
    pygrad.manual_seed(7)
    x = pd.rsample((4, 5))
    assert tuple(x.shape) == (4, 5, 2, 3) and x.requires_grad
    assert not pd.sample((2,)).requires_grad
    pygrad.manual_seed(7)
    assert np.array_equal(to_np(pd.rsample((4, 5))), to_np(x))  # the seed reproduces the draws
    # The same noise through torch's formula (loc + scale * noise or its inverse CDF) gives the same
    # values and gradients: recover the noise from pygrad's sample with the parameters held fixed.
    u = to_np(pd.cdf(x.detach()))
    tx = tdist.icdf(torch.tensor(u))
    assert_close(to_np(x), tx.detach().numpy(), 1e-8, f"{name}.rsample")
    loss_p, loss_t = (x * x).sum(), (tx * tx).sum()
    gp = pygrad.autograd.grad(loss_p, list(pp.values()))
    gt = torch.autograd.grad(loss_t, list(tp.values()))
    for k, a, b in zip(pp, gp, gt):
        assert_close(to_np(a), b.numpy(), 1e-6, f"{name}.rsample grad of {k}")


@pytest.mark.parametrize("alpha", [0.05, 0.7, 3.0, 40.0, 2000.0])
def test_standard_gamma_grad_keeps_the_cdf_fixed(alpha):
    # Implicit reparameterisation: moving alpha and x together along dx/dalpha leaves P(alpha, x) fixed
    # (P from torch.special.gammainc, computed independently).
    from pygrad.distributions.utils import _standard_gamma_grad as standard_gamma_grad

    r = rng_for("gamma-grad", alpha)
    x = np.maximum(r.gamma(alpha, size=500), 1e-300)
    g = standard_gamma_grad(np.full(x.size, alpha), x)
    d = 1e-5 * alpha
    a_plus = torch.full((x.size,), alpha + d, dtype=torch.float64)
    a_minus = torch.full((x.size,), alpha - d, dtype=torch.float64)
    moved = torch.special.gammainc(a_plus, torch.tensor(x + d * g)) - torch.special.gammainc(
        a_minus, torch.tensor(x - d * g)
    )
    log_pdf = (alpha - 1) * np.log(x) - x - math.lgamma(alpha)
    np.testing.assert_allclose(moved.numpy() / (2 * d * np.exp(log_pdf)), 0, atol=1e-6)
    # torch's own approximation agrees to its accuracy (~1e-3 relative for small alpha)
    t = torch._standard_gamma_grad(
        torch.full((x.size,), alpha, dtype=torch.float64), torch.tensor(x)
    )
    np.testing.assert_allclose(g, t.numpy(), rtol=2e-3)


def test_gamma_rsample_gradients_match_torch_formula():
    r = rng_for("gamma-rsample")
    c, rate = positive(r, (3,), 0.3, 5.0), positive(r, (3,))
    pd, _, pp, _ = make_pair("Gamma", {"concentration": c, "rate": rate})
    x = pd.rsample((400,))
    assert tuple(x.shape) == (400, 3) and x.requires_grad
    w = r.uniform(0.5, 1.5, (400, 3))
    gc, gr = pygrad.autograd.grad((x * pygrad.tensor(w)).sum(), [pp["concentration"], pp["rate"]])
    xs = to_np(x)
    tc = torch._standard_gamma_grad(
        torch.tensor(np.broadcast_to(c, xs.shape).copy()), torch.tensor(xs * rate)
    )
    assert_close(to_np(gc), (w * tc.numpy() / rate).sum(0), 2e-3)
    assert_close(to_np(gr), (w * -xs / rate).sum(0), 1e-10)


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet"])
def test_implicit_rsample_gradient_of_the_mean_is_unbiased(name):
    # d/dparams of the sample mean approaches d/dparams of the exact mean.
    params = {
        "Gamma": {"concentration": [0.4, 3.0], "rate": [2.0, 0.5]},
        "Beta": {"concentration1": [0.6, 3.0], "concentration0": [2.0, 1.5]},
        "Dirichlet": {"concentration": [[0.5, 2.0, 3.0]]},
    }[name]
    pd, tdist, pp, tp = make_pair(name, {k: np.asarray(v) for k, v in params.items()})
    pygrad.manual_seed(11)
    x = pd.rsample((20000,))
    w = np.linspace(0.5, 1.5, int(np.prod(x.shape[1:]))).reshape(x.shape[1:])
    gp = pygrad.autograd.grad((x.mean(0) * pygrad.tensor(w)).sum(), list(pp.values()))
    gt = torch.autograd.grad((tdist.mean * torch.tensor(w)).sum(), list(tp.values()))
    for a, b in zip(gp, gt):
        np.testing.assert_allclose(to_np(a), b.numpy(), rtol=0.03, atol=0.005)


def test_mvn_rsample_gradient_matches_torch_with_the_same_noise():
    r = rng_for("mvn-rsample")
    loc, L = r.standard_normal((3, 4)), tril(r, (), 4)
    pd, _tdist, pp, tp = make_pair("MultivariateNormal", {"loc": loc, "scale_tril": L})
    pygrad.manual_seed(3)
    x = pd.rsample((6,))
    assert tuple(x.shape) == (6, 3, 4)
    eps = np.linalg.solve(L, (to_np(x) - loc)[..., None])[..., 0]
    tx = tp["loc"] + (tp["scale_tril"] @ torch.tensor(eps)[..., None])[..., 0]
    assert_close(to_np(x), tx.detach().numpy(), 1e-9)
    gp = pygrad.autograd.grad(x.pow(3).sum(), [pp["loc"], pp["scale_tril"]])
    gt = torch.autograd.grad(tx.pow(3).sum(), [tp["loc"], tp["scale_tril"]])
    for a, b in zip(gp, gt):
        assert_close(to_np(a), b.numpy(), 1e-8)


STATS = {
    "Normal": ({"loc": [0.5, -1.0], "scale": [2.0, 0.5]}, None),
    "Uniform": ({"low": [0.0, -2.0], "high": [1.0, 3.0]}, None),
    "Exponential": ({"rate": [0.5, 3.0]}, None),
    "Laplace": ({"loc": [1.0, -1.0], "scale": [0.5, 2.0]}, None),
    "Gumbel": ({"loc": [1.0, -1.0], "scale": [0.5, 2.0]}, None),
    "HalfNormal": ({"scale": [0.5, 2.0]}, None),
    "Chi2": ({"df": [0.7, 5.0]}, None),
    "StudentT": ({"df": [6.0, 9.0], "loc": [1.0, -1.0], "scale": [0.5, 2.0]}, None),
    "Gamma": ({"concentration": [0.5, 4.0], "rate": [1.0, 2.0]}, None),
    "Beta": ({"concentration1": [0.5, 3.0], "concentration0": [2.0, 1.5]}, None),
    "Dirichlet": ({"concentration": [[0.5, 2.0, 3.0]]}, None),
    "LogNormal": ({"loc": [0.0, 0.3], "scale": [0.25, 0.5]}, None),
    "Bernoulli": ({"probs": [0.2, 0.7]}, None),
    "Categorical": ({"probs": [[0.2, 0.3, 0.5]]}, "categorical"),
    "OneHotCategorical": ({"probs": [[0.2, 0.3, 0.5]]}, None),
    "Poisson": ({"rate": [0.5, 6.0]}, None),
    "Binomial": ({"total_count": [5.0, 20.0], "probs": [0.3, 0.8]}, None),
    "Geometric": ({"probs": [0.3, 0.8]}, None),
    "MultivariateNormal": (
        {"loc": [1.0, -1.0], "covariance_matrix": [[2.0, 0.5], [0.5, 1.0]]},
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(STATS))
def test_sample_statistics(name):
    params, kind = STATS[name]
    pd, tdist, _, _ = make_pair(
        name, {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    )
    pygrad.manual_seed(1234)
    n = 20000
    s = to_np(pd.sample((n,)))
    assert s.shape == (n, *pd.batch_shape, *pd.event_shape)
    pygrad.manual_seed(1234)
    assert np.array_equal(to_np(pd.sample((n,))), s)
    assert bool(pd.support.check(pygrad.tensor(s)).all())
    if kind == "categorical":  # frequencies against the probabilities
        freq = np.bincount(s.ravel(), minlength=3) / n
        np.testing.assert_allclose(freq, params["probs"][0], atol=5 * math.sqrt(0.25 / n))
        return
    mean, var = to_np(tdist.mean), to_np(tdist.variance)
    if name == "MultivariateNormal":
        np.testing.assert_allclose(np.cov(s.T), params["covariance_matrix"], atol=0.08)
    # 5 standard errors of the mean; the sample variance within 10% (fourth moments are moderate here).
    np.testing.assert_allclose(s.mean(0), mean, atol=float(5 * np.sqrt(var / n).max()))
    np.testing.assert_allclose(s.var(0), var, rtol=0.1)


def test_shapes_broadcasting_and_expand():
    loc = pygrad.zeros(4, 1, dtype=pygrad.float64)
    scale = pygrad.ones(3, dtype=pygrad.float64)
    d = D.Normal(loc, scale)
    assert d.batch_shape == (4, 3) and d.event_shape == ()
    assert tuple(d.sample((2, 5)).shape) == (2, 5, 4, 3)
    assert tuple(d.log_prob(pygrad.zeros(7, 1, 1, dtype=pygrad.float64)).shape) == (7, 4, 3)
    e = d.expand((2, 4, 3))
    assert e.batch_shape == (2, 4, 3) and tuple(e.sample().shape) == (2, 4, 3)
    assert tuple(D.Normal(0.0, 1.0).sample((3,)).shape) == (3,)
    c = D.Categorical(logits=pygrad.zeros(2, 3, 5))
    assert c.batch_shape == (2, 3) and tuple(c.sample((4,)).shape) == (4, 2, 3)
    assert c.expand((6, 2, 3)).batch_shape == (6, 2, 3)
    m = D.MultivariateNormal(pygrad.zeros(5, 1, 3), scale_tril=pygrad.eye(3))
    assert m.batch_shape == (5, 1) and m.event_shape == (3,)
    assert tuple(m.rsample((2,)).shape) == (2, 5, 1, 3)
    assert m.expand((5, 4)).batch_shape == (5, 4)
    ind = D.Independent(D.Normal(pygrad.zeros(2, 3), pygrad.ones(2, 3)), 1)
    assert ind.batch_shape == (2,) and ind.event_shape == (3,)
    assert tuple(ind.log_prob(pygrad.zeros(2, 3)).shape) == (2,)
    assert D.Dirichlet(pygrad.ones(2, 4)).expand((5, 2)).batch_shape == (5, 2)
    oh = D.OneHotCategorical(probs=pygrad.ones(2, 4) / 4)
    assert tuple(oh.sample((3,)).shape) == (3, 2, 4)
    ln = D.LogNormal(pygrad.zeros(2), pygrad.ones(2)).expand((3, 2))
    assert isinstance(ln, D.LogNormal) and tuple(ln.sample().shape) == (3, 2)


def test_mixture_same_family_against_torch():
    r = rng_for("mixture")
    logits, loc, scale = r.standard_normal((3, 4)), r.standard_normal((3, 4)), positive(r, (3, 4))
    pm = D.MixtureSameFamily(
        D.Categorical(logits=pygrad.tensor(logits)),
        D.Normal(pygrad.tensor(loc), pygrad.tensor(scale)),
    )
    tm = td.MixtureSameFamily(
        td.Categorical(logits=torch.tensor(logits)),
        td.Normal(torch.tensor(loc), torch.tensor(scale)),
    )
    x = r.standard_normal((5, 3))
    assert_close(to_np(pm.log_prob(pygrad.tensor(x))), tm.log_prob(torch.tensor(x)).numpy())
    assert_close(to_np(pm.cdf(pygrad.tensor(x))), tm.cdf(torch.tensor(x)).numpy())
    assert_close(to_np(pm.mean), tm.mean.numpy())
    assert_close(to_np(pm.variance), tm.variance.numpy())
    assert tuple(pm.sample((6,)).shape) == (6, 3)


def test_transformed_distribution_against_torch():
    r = rng_for("transformed")
    loc, scale = r.standard_normal(4), positive(r, 4)
    a, b = r.standard_normal(4), positive(r, 4)
    pt = D.TransformedDistribution(
        D.Normal(pygrad.tensor(loc), pygrad.tensor(scale)),
        [D.AffineTransform(pygrad.tensor(a), pygrad.tensor(b)), D.SigmoidTransform()],
    )
    tt = td.TransformedDistribution(
        td.Normal(torch.tensor(loc), torch.tensor(scale)),
        [td.AffineTransform(torch.tensor(a), torch.tensor(b)), td.SigmoidTransform()],
    )
    y = r.uniform(0.05, 0.95, 4)
    assert_close(to_np(pt.log_prob(pygrad.tensor(y))), tt.log_prob(torch.tensor(y)).numpy())
    assert_close(to_np(pt.cdf(pygrad.tensor(y))), tt.cdf(torch.tensor(y)).numpy())
    assert pt.has_rsample and tuple(pt.rsample((3,)).shape) == (3, 4)


def test_constraints_check():
    x = pygrad.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])
    cases = {
        constraints.real: torch.distributions.constraints.real,
        constraints.positive: torch.distributions.constraints.positive,
        constraints.nonnegative: torch.distributions.constraints.nonnegative,
        constraints.unit_interval: torch.distributions.constraints.unit_interval,
        constraints.boolean: torch.distributions.constraints.boolean,
        constraints.nonnegative_integer: torch.distributions.constraints.nonnegative_integer,
        constraints.integer_interval(0, 1): torch.distributions.constraints.integer_interval(0, 1),
        constraints.greater_than(0.2): torch.distributions.constraints.greater_than(0.2),
        constraints.interval(-1, 0.5): torch.distributions.constraints.interval(-1, 0.5),
        constraints.half_open_interval(-1, 0.5): torch.distributions.constraints.half_open_interval(
            -1, 0.5
        ),
    }
    for ours, theirs in cases.items():
        assert np.array_equal(
            to_np(ours.check(x)), theirs.check(torch.tensor(x.numpy())).numpy()
        ), ours
    s = np.array([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])
    assert to_np(constraints.simplex.check(pygrad.tensor(s))).tolist() == [True, False, False]
    assert constraints.is_dependent(D.Uniform(0.0, 1.0).arg_constraints["low"]) is False
    assert constraints.is_dependent(constraints.dependent)
    m = np.array([[[2.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, -1.0]], [[1.0, 1.0], [0.0, 1.0]]])
    assert to_np(constraints.lower_cholesky.check(pygrad.tensor(m))).tolist() == [
        True,
        False,
        False,
    ]
    p = np.array([[[2.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])
    assert to_np(constraints.positive_definite.check(pygrad.tensor(p))).tolist() == [True, False]


def test_validate_args_errors():
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(pygrad.tensor([0.0]), pygrad.tensor([-1.0]))
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Bernoulli(probs=pygrad.tensor([1.5]))
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Categorical(probs=pygrad.tensor([0.5, -0.5, 1.0]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Bernoulli()
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical(probs=pygrad.ones(2), logits=pygrad.ones(2))
    with pytest.raises(ValueError, match="Expected parameter low"):
        D.Uniform(2.0, 1.0)
    with pytest.raises(ValueError, match="Exactly one of"):
        D.MultivariateNormal(pygrad.zeros(2))
    with pytest.raises(ValueError, match="Expected parameter covariance_matrix"):
        D.MultivariateNormal(pygrad.zeros(2), covariance_matrix=-pygrad.eye(2))
    with pytest.raises(ValueError, match="within the support"):
        D.Exponential(1.0).log_prob(pygrad.tensor(-1.0))
    with pytest.raises(ValueError, match="within the support"):
        D.Poisson(2.0).log_prob(pygrad.tensor(1.5))
    with pytest.raises(ValueError, match="broadcastable"):
        D.Normal(pygrad.zeros(3), pygrad.ones(3)).log_prob(pygrad.zeros(2))
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    # validate_args=False skips both checks; the default can be switched off and back.
    assert math.isnan(float(D.Normal(0.0, -1.0, validate_args=False).scale.log()))
    assert float(D.Exponential(1.0, validate_args=False).log_prob(pygrad.tensor(-1.0))) == 1.0
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


def test_positive_definite_checks_every_matrix_of_a_batch():
    m = np.array([[[1.0, 2.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[2.0, 0.5], [0.5, 1.0]]])
    # torch 2.13 returns only the symmetry check when any matrix is not symmetric, so it calls the
    # symmetric indefinite middle one positive definite; pygrad checks each matrix.
    assert to_np(constraints.positive_definite.check(pygrad.tensor(m))).tolist() == [
        False,
        False,
        True,
    ]
    assert to_np(constraints.positive_definite.check(pygrad.tensor(m[1:]))).tolist() == (
        torch.distributions.constraints.positive_definite.check(torch.tensor(m[1:])).tolist()
    )


def test_a_subclass_without_constraints_warns_as_torch():
    class Bare(D.Distribution):
        pass

    with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
        Bare(validate_args=True)
    bare = Bare(validate_args=False)
    bare._validate_args = True
    with pytest.warns(UserWarning, match="does not define `support`"):
        bare._validate_sample(pygrad.zeros(()))
