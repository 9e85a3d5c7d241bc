"""pygrad.distributions' second batch of families against torch.distributions 2.13: HalfCauchy, Weibull,
Pareto, Kumaraswamy, FisherSnedecor, ContinuousBernoulli, VonMises, LogisticNormal, NegativeBinomial,
Multinomial, RelaxedBernoulli and RelaxedOneHotCategorical (log_prob, cdf/icdf, entropy, mean, mode,
variance and their parameter gradients in float64), the new transforms, the KL pairs torch registers
for them, sample shapes and statistics under pygrad.manual_seed, reparameterised gradients and
validation errors."""

import math

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad
import pygrad.distributions as D

torch = import_torch()
td = torch.distributions

BATCH = (3, 4)
NO_GRAD_PARAMS = {"total_count"}


def rng_for(*keys):
    return make_rng("distributions_extra", *keys)


def positive(r, shape, low=0.3, high=3.0):
    return r.uniform(low, high, shape)


def simplex(r, shape):
    x = r.uniform(0.1, 1.0, shape)
    return x / x.sum(-1, keepdims=True)


def to_np(t):
    return t.detach().numpy()


def assert_close(a, b, tol=1e-10, what=""):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


def make_pair(name, params):
    def conv(k, v, lib, dtype):
        if not isinstance(v, np.ndarray):
            return v  # Multinomial's int total_count
        return lib.tensor(v, dtype=dtype, requires_grad=k not in NO_GRAD_PARAMS)

    pp = {k: conv(k, v, pygrad, pygrad.float64) for k, v in params.items()}
    tp = {k: conv(k, v, torch, torch.float64) for k, v in params.items()}
    cls = name.split("(")[0]
    pd, tdist = getattr(D, cls)(**pp), getattr(td, cls)(**tp)
    grads = [k for k, v in pp.items() if isinstance(v, pygrad.Tensor) and v.requires_grad]
    return pd, tdist, {k: pp[k] for k in grads}, {k: tp[k] for k in grads}


def check_grads(pv, tv, pp, tp, r, what, tol=1e-8):
    w = r.standard_normal(tuple(tv.shape))
    targets = list(pp)
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
        assert_close(to_np(a), b.numpy(), tol, f"{what}: grad of {k}")


MOMENTS = ["entropy", "mean", "mode", "variance"]

# name -> (params(r), value(r, params), methods compared besides log_prob, tolerance)
SPECS = {
    "HalfCauchy": (
        lambda r: {"scale": positive(r, BATCH)},
        lambda r, p: positive(r, BATCH, 0.01, 5.0),
        ["cdf", "icdf", "entropy", "mode"],
        1e-10,
    ),
    "Weibull": (
        lambda r: {"scale": positive(r, BATCH), "concentration": positive(r, BATCH, 0.5, 3.0)},
        lambda r, p: positive(r, BATCH, 0.05, 4.0),
        ["cdf", "icdf", *MOMENTS],
        1e-10,
    ),
    "Pareto": (
        # alpha > 2: finite mean and variance (their infinite branches: test_pareto_infinite_moments)
        lambda r: {"scale": positive(r, BATCH), "alpha": positive(r, BATCH, 2.2, 5.0)},
        lambda r, p: p["scale"] * positive(r, BATCH, 1.0, 3.0),
        ["cdf", "icdf", *MOMENTS],
        1e-10,
    ),
    "Kumaraswamy": (
        lambda r: {
            "concentration1": positive(r, BATCH, 0.5, 3.0),
            "concentration0": positive(r, BATCH, 0.5, 3.0),
        },
        lambda r, p: r.uniform(0.02, 0.98, BATCH),
        ["cdf", "icdf", "entropy", "mean", "variance"],  # mode: see test_kumaraswamy_mode
        1e-10,
    ),
    "FisherSnedecor": (
        lambda r: {"df1": positive(r, BATCH, 1.0, 8.0), "df2": positive(r, BATCH, 1.0, 9.0)},
        lambda r, p: positive(r, BATCH, 0.05, 4.0),
        ["mean", "mode", "variance"],
        1e-10,
    ),
    "ContinuousBernoulli": (
        # probs near 1/2 exercise the Taylor branch
        lambda r: {
            "probs": np.concatenate(
                [r.uniform(0.05, 0.95, (2, 4)), r.uniform(0.4995, 0.5005, (1, 4))]
            )
        },
        lambda r, p: r.uniform(0.01, 0.99, BATCH),
        ["cdf", "icdf", "entropy", "mean", "variance", "stddev"],
        1e-9,
    ),
    "ContinuousBernoulli(logits)": (
        lambda r: {"logits": r.standard_normal(BATCH) * 2},
        lambda r, p: r.uniform(0.01, 0.99, BATCH),
        ["cdf", "entropy", "mean", "variance"],
        1e-9,
    ),
    # torch evaluates log I0 by a polynomial fit good to ~1e-7; pygrad's is exact
    "VonMises": (
        lambda r: {"loc": r.standard_normal(BATCH), "concentration": positive(r, BATCH, 0.2, 10.0)},
        lambda r, p: r.uniform(-math.pi, math.pi, BATCH),
        ["mean", "mode", "variance"],
        1e-6,
    ),
    "LogisticNormal": (
        lambda r: {"loc": r.standard_normal((3, 4)), "scale": positive(r, (3, 4))},
        lambda r, p: simplex(r, (2, 3, 5)),
        [],
        1e-10,
    ),
    "NegativeBinomial": (
        lambda r: {
            "total_count": positive(r, BATCH, 0.5, 6.0),
            "probs": r.uniform(0.05, 0.9, BATCH),
        },
        lambda r, p: r.integers(0, 12, BATCH).astype(np.float64),
        ["mean", "mode", "variance"],
        1e-10,
    ),
    "NegativeBinomial(logits)": (
        lambda r: {"total_count": np.full(BATCH, 3.0), "logits": r.standard_normal(BATCH)},
        lambda r, p: r.integers(0, 12, BATCH).astype(np.float64),
        ["mean", "variance"],
        1e-10,
    ),
    # torch's entropy takes lgamma(total_count + 1) in float32
    "Multinomial": (
        lambda r: {"total_count": 6, "probs": simplex(r, (3, 5))},
        lambda r, p: r.multinomial(6, [0.2] * 5, (2, 3)).astype(np.float64),
        ["mean", "variance", "entropy"],
        1e-6,
    ),
    "Multinomial(logits)": (
        lambda r: {"total_count": 4, "logits": r.standard_normal((2, 3))},
        lambda r, p: r.multinomial(4, [0.3, 0.3, 0.4], (2,)).astype(np.float64),
        ["mean", "variance"],
        1e-10,
    ),
    "RelaxedBernoulli": (
        lambda r: {"temperature": positive(r, (), 0.3, 2.0), "probs": r.uniform(0.05, 0.95, BATCH)},
        lambda r, p: r.uniform(0.02, 0.98, BATCH),
        [],
        1e-10,
    ),
    "RelaxedOneHotCategorical": (
        lambda r: {"temperature": positive(r, (), 0.3, 2.0), "logits": r.standard_normal((3, 5))},
        lambda r, p: simplex(r, (3, 5)),
        [],
        1e-10,
    ),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_against_torch(name):
    r = rng_for(name)
    params_fn, value_fn, methods, tol = SPECS[name]
    params = params_fn(r)
    pd, tdist, pp, tp = make_pair(name, params)
    assert pd.batch_shape == tuple(tdist.batch_shape)
    assert pd.event_shape == tuple(tdist.event_shape)
    assert pd.has_rsample == tdist.has_rsample
    value = value_fn(r, params)
    pv = pd.log_prob(pygrad.tensor(value, dtype=pygrad.float64))
    tv = tdist.log_prob(torch.tensor(value))
    assert_close(to_np(pv), to_np(tv), tol, f"{name}.log_prob")
    check_grads(pv, tv, pp, tp, r, f"{name}.log_prob", max(tol, 1e-8))
    for method in methods:
        if method in ("cdf", "icdf"):
            x = value if method == "cdf" else r.uniform(0.02, 0.98, BATCH)
            pv = getattr(pd, method)(pygrad.tensor(x, dtype=pygrad.float64))
            tv = getattr(tdist, method)(torch.tensor(x))
        elif method == "entropy":
            pv, tv = pd.entropy(), tdist.entropy()
        else:
            pv, tv = getattr(pd, method), getattr(tdist, method)
        assert_close(to_np(pv), to_np(tv), tol, f"{name}.{method}")
        if tv.requires_grad and pv.is_floating_point():
            check_grads(pv, tv, pp, tp, r, f"{name}.{method}", max(tol, 1e-8))


def test_pareto_infinite_moments():
    alpha = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    pd = D.Pareto(pygrad.ones(5, dtype=pygrad.float64), pygrad.tensor(alpha, requires_grad=True))
    tdist = td.Pareto(torch.ones(5, dtype=torch.float64), torch.tensor(alpha))
    assert_close(to_np(pd.mean), tdist.mean.numpy(), what="Pareto.mean")
    assert_close(to_np(pd.variance), tdist.variance.numpy(), what="Pareto.variance")
    (g,) = pygrad.autograd.grad(pd.mean.sum(), [pd.alpha])
    assert np.isfinite(to_np(g)).all() and (to_np(g)[:2] == 0).all()  # constant inf: no gradient


def test_kumaraswamy_mode_is_the_density_peak():
    # torch 2.13's mode is nan everywhere (log1p(-b) where log(a - 1) belongs); pygrad's is the argmax
    a = pygrad.tensor([2.0, 3.5, 1.5, 0.5], dtype=pygrad.float64)
    b = pygrad.tensor([3.0, 1.5, 5.0, 2.0], dtype=pygrad.float64)
    mode = to_np(D.Kumaraswamy(a, b).mode)
    an, bn = to_np(a)[:3], to_np(b)[:3]
    expected = ((an - 1) / (an * bn - 1)) ** (1 / an)
    np.testing.assert_allclose(mode[:3], expected, rtol=1e-12)
    assert math.isnan(mode[3])  # a < 1: no interior mode
    grid = np.linspace(1e-4, 1 - 1e-4, 20001)
    for i in range(3):
        d = D.Kumaraswamy(float(an[i]), float(bn[i]))
        lp = to_np(d.log_prob(pygrad.tensor(grid, dtype=pygrad.float64)))
        assert abs(grid[lp.argmax()] - mode[i]) < 1e-4


TRANSFORMS = {
    "PowerTransform": (lambda r: {"exponent": positive(r, (3, 4), 0.3, 2.5)}, "positive"),
    "TanhTransform": (lambda r: {}, "real"),
    "SoftplusTransform": (lambda r: {}, "real"),
    "StickBreakingTransform": (lambda r: {}, "real"),
    "SoftmaxTransform": (lambda r: {}, "real"),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_against_torch(name):
    r = rng_for("transform", name)
    params_fn, domain = TRANSFORMS[name]
    params = params_fn(r)
    x = positive(r, (3, 4)) if domain == "positive" else r.standard_normal((3, 4)) * 2
    px = pygrad.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    pt = getattr(D, name)(**{k: pygrad.tensor(v) for k, v in params.items()})
    tt = getattr(td.transforms, name)(**{k: torch.tensor(v) for k, v in params.items()})
    assert pt.bijective == tt.bijective
    assert pt.domain.event_dim == tt.domain.event_dim
    assert pt.codomain.event_dim == tt.codomain.event_dim
    py, ty = pt(px), tt(tx)
    assert_close(to_np(py), to_np(ty), 1e-12, f"{name} forward")
    assert pt.forward_shape((3, 4)) == tuple(tt.forward_shape(torch.Size((3, 4))))
    assert pt.inverse_shape(tuple(py.shape)) == tuple(tt.inverse_shape(ty.shape))
    assert_close(to_np(pt.inv(py)), to_np(tt.inv(ty)), 1e-9, f"{name} inverse")
    if name != "SoftmaxTransform":  # the one transform here without a Jacobian
        assert_close(to_np(pt.inv(py)), x, 1e-8, f"{name} round trip")
        pl = pt.log_abs_det_jacobian(px, py)
        tl = tt.log_abs_det_jacobian(tx, ty)
        assert_close(to_np(pl), to_np(tl), 1e-10, f"{name} log|det J|")
        check_grads(pl, tl, {"x": px}, {"x": tx}, r, f"{name} log|det J|")


def test_tanh_transformed_normal_matches_torch():
    r = rng_for("tanh-normal")
    loc, scale = r.standard_normal(4), positive(r, 4)
    y = r.uniform(-0.95, 0.95, (2, 4))
    pd = D.TransformedDistribution(
        D.Normal(pygrad.tensor(loc), pygrad.tensor(scale)),
        [D.TanhTransform(), D.AffineTransform(0.5, 2.0)],
    )
    tdist = td.TransformedDistribution(
        td.Normal(torch.tensor(loc), torch.tensor(scale)),
        [td.TanhTransform(), td.AffineTransform(0.5, 2.0)],
    )
    v = 0.5 + 2.0 * y
    assert_close(
        to_np(pd.log_prob(pygrad.tensor(v))), tdist.log_prob(torch.tensor(v)).numpy(), 1e-10
    )


def kl_params(r):
    return {
        "ContinuousBernoulli": lambda: {"probs": r.uniform(0.05, 0.95, BATCH)},
        "Pareto": lambda: {"scale": positive(r, BATCH), "alpha": positive(r, BATCH, 2.5, 5.0)},
        "Beta": lambda: {
            "concentration1": positive(r, BATCH),
            "concentration0": positive(r, BATCH),
        },
        "Uniform": lambda: {
            "low": r.uniform(-0.5, 0.5, BATCH),
            "high": r.uniform(0.6, 6.0, BATCH),
        },
        "Exponential": lambda: {"rate": positive(r, BATCH)},
        "Gamma": lambda: {"concentration": positive(r, BATCH), "rate": positive(r, BATCH)},
        "Normal": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        "Gumbel": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
        "Laplace": lambda: {"loc": r.standard_normal(BATCH), "scale": positive(r, BATCH)},
    }


KL_PAIRS = [
    ("ContinuousBernoulli", "ContinuousBernoulli"),
    ("Pareto", "Pareto"),
    ("Beta", "ContinuousBernoulli"),
    ("Uniform", "ContinuousBernoulli"),
    ("ContinuousBernoulli", "Exponential"),
    ("ContinuousBernoulli", "Normal"),
    ("ContinuousBernoulli", "Uniform"),
    ("Pareto", "Exponential"),
    ("Pareto", "Gamma"),
    ("Pareto", "Normal"),
    ("Uniform", "Pareto"),
    ("Beta", "Pareto"),
    ("ContinuousBernoulli", "Pareto"),
    ("Exponential", "ContinuousBernoulli"),
    ("Exponential", "Pareto"),
    ("Gamma", "ContinuousBernoulli"),
    ("Gamma", "Pareto"),
    ("Gumbel", "ContinuousBernoulli"),
    ("Laplace", "Pareto"),
    ("Normal", "ContinuousBernoulli"),
    ("Pareto", "Beta"),
    ("Pareto", "ContinuousBernoulli"),
    ("Pareto", "Uniform"),
    ("Beta", "Exponential"),
    ("Beta", "Gamma"),
    ("Beta", "Normal"),
    ("Beta", "Uniform"),
]


@pytest.mark.parametrize(("p_name", "q_name"), KL_PAIRS)
def test_kl_against_torch(p_name, q_name):
    r = rng_for("kl", p_name, q_name)
    fns = kl_params(r)
    p, tp_, pp, tpp = make_pair(p_name, fns[p_name]())
    q, tq, qp, tqp = make_pair(q_name, fns[q_name]())
    pv, tv = D.kl_divergence(p, q), td.kl_divergence(tp_, tq)
    tvn = to_np(tv)
    assert_close(to_np(pv), tvn, 1e-9, f"KL({p_name} || {q_name})")
    if np.isfinite(tvn).all():
        check_grads(
            pv,
            tv,
            {**pp, **{"q_" + k: v for k, v in qp.items()}},
            {**tpp, **{"q_" + k: v for k, v in tqp.items()}},
            r,
            f"KL({p_name} || {q_name})",
        )
    else:
        assert (tvn == np.inf).any()  # an infinite pair really is infinite somewhere


def test_kl_outside_support_is_infinite():
    p = D.Pareto(pygrad.tensor([1.0, 3.0]), pygrad.tensor([3.0, 3.0]))
    q = D.Pareto(pygrad.tensor([2.0, 2.0]), pygrad.tensor([3.0, 3.0]))
    kl = to_np(D.kl_divergence(p, q))
    assert kl[0] == math.inf and np.isfinite(kl[1])
    u = D.Uniform(pygrad.tensor([0.1, -0.1]), pygrad.tensor([0.9, 0.9]))
    cb = D.ContinuousBernoulli(pygrad.tensor([0.3, 0.3]))
    kl = to_np(D.kl_divergence(u, cb))
    assert np.isfinite(kl[0]) and kl[1] == math.inf


# name -> params with broadcasting shapes (batch (2, 3)); continuous families with rsample
RSAMPLE = {
    "HalfCauchy": {"scale": (2, 3)},
    "Weibull": {"scale": (2, 1), "concentration": (3,)},
    "Pareto": {"scale": (3,), "alpha": (2, 1)},
    "Kumaraswamy": {"concentration1": (2, 1), "concentration0": (3,)},
    "ContinuousBernoulli": {"probs": (2, 3)},
}


@pytest.mark.parametrize("name", sorted(RSAMPLE))
def test_rsample_shapes_and_reparameterised_gradients(name):
    r = rng_for("rsample", name)
    params = {
        k: (r.uniform(0.1, 0.9, s) if name == "ContinuousBernoulli" else positive(r, s, 0.6, 2.5))
        for k, s in RSAMPLE[name].items()
    }
    pd, tdist, pp, tp = make_pair(name, params)
    assert pd.batch_shape == tuple(tdist.batch_shape) == (2, 3)
    assert pd.has_rsample
    assert tuple(pd.sample().shape) == (2, 3)
    assert tuple(pd.sample((5,)).shape) == (5, 2, 3)
    assert not pd.sample((2,)).requires_grad
    pygrad.manual_seed(7)
    x = pd.rsample((4, 5))
    assert tuple(x.shape) == (4, 5, 2, 3) and x.requires_grad
    pygrad.manual_seed(7)
    assert np.array_equal(to_np(pd.rsample((4, 5))), to_np(x))  # the seed reproduces the draws
    # The same noise through torch's inverse CDF gives the same values and gradients.
    u = to_np(pd.cdf(x.detach()))
    tx = tdist.icdf(torch.tensor(u))
    assert_close(to_np(x), tx.detach().numpy(), 1e-7, f"{name}.rsample")
    gp = pygrad.autograd.grad((x * x).sum(), list(pp.values()))
    gt = torch.autograd.grad((tx * tx).sum(), list(tp.values()))
    for k, a, b in zip(pp, gp, gt):
        assert_close(to_np(a), b.numpy(), 1e-5, f"{name}.rsample grad of {k}")


def test_fisher_snedecor_rsample_gradient_of_the_mean_is_unbiased():
    # implicit (gamma) reparameterisation: the mean of d x / d df over draws is d E[x] / d df, and
    # E[x] = df2 / (df2 - 2) does not depend on df1
    pygrad.manual_seed(0)
    df1 = pygrad.tensor(4.0, dtype=pygrad.float64, requires_grad=True)
    df2 = pygrad.tensor(10.0, dtype=pygrad.float64, requires_grad=True)
    x = D.FisherSnedecor(df1, df2).rsample((20000,))
    g1, g2 = pygrad.autograd.grad(x.mean(), [df1, df2])
    assert abs(float(g1)) < 0.005
    assert abs(float(g2) + 2 / 64) < 0.004


def test_relaxed_and_logistic_normal_rsample_gradients():
    # each rsample is a differentiable function of the parameters given its noise: check the
    # gradient of a sum against a central difference at the same seed
    r = rng_for("relaxed-grad")
    cases = {
        "RelaxedBernoulli": lambda t: D.RelaxedBernoulli(
            pygrad.tensor(0.7, dtype=pygrad.float64), logits=t
        ),
        "RelaxedOneHotCategorical": lambda t: D.RelaxedOneHotCategorical(
            pygrad.tensor(0.7, dtype=pygrad.float64), logits=t
        ),
        "LogisticNormal": lambda t: D.LogisticNormal(t, pygrad.ones(3, dtype=pygrad.float64)),
    }
    w = r.standard_normal((4, 3))
    for name, make in cases.items():
        theta = r.standard_normal(3)
        t = pygrad.tensor(theta, requires_grad=True)
        pygrad.manual_seed(3)
        x = make(t).rsample((4,))
        wx = pygrad.tensor(w if tuple(x.shape) == (4, 3) else np.pad(w, ((0, 0), (0, 1))))
        (g,) = pygrad.autograd.grad((x * wx).sum(), [t])
        numeric = np.zeros(3)
        for i in range(3):
            vals = []
            for h in (1e-6, -1e-6):
                tt = theta.copy()
                tt[i] += h
                pygrad.manual_seed(3)
                vals.append(float((make(pygrad.tensor(tt)).rsample((4,)) * wx).sum()))
            numeric[i] = (vals[0] - vals[1]) / 2e-6
        np.testing.assert_allclose(to_np(g), numeric, rtol=1e-4, atol=1e-6, err_msg=name)


# name -> (params, statistics compared: mean/variance of draws against torch's)
STATS = {
    "HalfCauchy": {"scale": [0.5, 2.0]},
    "Weibull": {"scale": [1.0, 2.0], "concentration": [0.8, 3.0]},
    "Pareto": {"scale": [1.0, 0.5], "alpha": [5.0, 6.0]},
    "Kumaraswamy": {"concentration1": [0.7, 3.0], "concentration0": [2.0, 0.9]},
    "FisherSnedecor": {"df1": [3.0, 10.0], "df2": [12.0, 15.0]},
    "ContinuousBernoulli": {"probs": [0.2, 0.4996]},
    "VonMises": {"loc": [0.5, -3.0], "concentration": [0.3, 6.0]},
    "NegativeBinomial": {"total_count": [0.0, 3.5], "probs": [0.4, 0.6]},
    "Multinomial": {"total_count": 7, "probs": [[0.2, 0.5, 0.3]]},
}


@pytest.mark.parametrize("name", sorted(STATS))
def test_sample_statistics(name):
    params = {k: (v if isinstance(v, int) else np.asarray(v)) for k, v in STATS[name].items()}
    pd, tdist, _, _ = make_pair(name, params)
    pygrad.manual_seed(1234)
    n = 20000
    s = to_np(pd.sample((n,)))
    assert s.shape == (n, *pd.batch_shape, *pd.event_shape)
    pygrad.manual_seed(1234)
    assert np.array_equal(to_np(pd.sample((n,))), s)
    assert bool(pd.support.check(pygrad.tensor(s)).all())
    if name == "HalfCauchy":  # no moments: the median is the scale
        np.testing.assert_allclose(np.median(s, 0), params["scale"], rtol=0.05)
        return
    if name == "VonMises":  # circular moments: E[cos(x - loc)] = I1/I0, samples in [-pi, pi)
        assert s.min() >= -math.pi and s.max() < math.pi
        c = np.cos(s - params["loc"]).mean(0)
        np.testing.assert_allclose(c, 1 - to_np(tdist.variance), atol=0.02)
        return
    mean, var = to_np(tdist.mean), to_np(tdist.variance)
    np.testing.assert_allclose(s.mean(0), mean, atol=float(5 * np.sqrt(var / n).max()) + 1e-12)
    np.testing.assert_allclose(s.var(0), var, rtol=0.1, atol=1e-12)


def test_logistic_normal_and_relaxed_samples():
    pygrad.manual_seed(5)
    ln = D.LogisticNormal(pygrad.zeros(2, 3), pygrad.ones(2, 3))
    assert ln.batch_shape == (2,) and ln.event_shape == (4,)
    s = ln.sample((6,))
    assert tuple(s.shape) == (6, 2, 4)
    np.testing.assert_allclose(to_np(s).sum(-1), 1.0, rtol=1e-5)
    assert ln.expand((5, 2)).batch_shape == (5, 2)
    assert tuple(ln.expand((5, 2)).sample().shape) == (5, 2, 4)
    scalar = D.LogisticNormal(0.0, 1.0)  # a scalar base becomes a 1-vector, as torch's
    assert scalar.event_shape == (2,)
    rb = D.RelaxedBernoulli(pygrad.tensor(0.5), probs=pygrad.full((3,), 0.3))
    x = to_np(rb.sample((2000,)))
    assert ((x > 0) & (x < 1)).all()
    # low temperature: nearly Bernoulli(0.3) draws
    cold = D.RelaxedBernoulli(pygrad.tensor(0.05), probs=pygrad.full((3,), 0.3))
    assert abs((to_np(cold.sample((4000,))) > 0.5).mean() - 0.3) < 0.04
    roc = D.RelaxedOneHotCategorical(pygrad.tensor(0.05), probs=pygrad.tensor([0.2, 0.5, 0.3]))
    y = to_np(roc.sample((4000,)))
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        np.bincount(y.argmax(-1), minlength=3) / 4000, [0.2, 0.5, 0.3], atol=0.04
    )


def test_expand_matches_torch_shapes():
    cases = [
        D.HalfCauchy(pygrad.ones(3)),
        D.Weibull(pygrad.ones(3), 2.0),
        D.Pareto(1.0, pygrad.ones(3)),
        D.Kumaraswamy(pygrad.ones(3), 2.0),
        D.FisherSnedecor(pygrad.ones(3), 3.0),
        D.ContinuousBernoulli(pygrad.full((3,), 0.3)),
        D.VonMises(pygrad.zeros(3), 1.0),
        D.NegativeBinomial(2.0, pygrad.full((3,), 0.3)),
        D.RelaxedBernoulli(pygrad.tensor(0.5), logits=pygrad.zeros(3)),
    ]
    for d in cases:
        e = d.expand((2, 3))
        assert e.batch_shape == (2, 3), type(d).__name__
        assert tuple(e.sample().shape) == (2, 3), type(d).__name__
        v = d.sample()
        np.testing.assert_allclose(
            to_np(e.log_prob(v)), np.broadcast_to(to_np(d.log_prob(v)), (2, 3)), rtol=1e-6
        )
    m = D.Multinomial(3, probs=pygrad.tensor([0.2, 0.8])).expand((4,))
    assert m.batch_shape == (4,) and tuple(m.sample((2,)).shape) == (2, 4, 2)
    rc = D.RelaxedOneHotCategorical(pygrad.tensor(0.5), logits=pygrad.zeros(3)).expand((2,))
    assert rc.batch_shape == (2,) and tuple(rc.sample().shape) == (2, 3)


def test_validate_args_errors():
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.HalfCauchy(pygrad.tensor([-1.0]))
    with pytest.raises(ValueError, match="Expected parameter concentration"):
        D.Weibull(1.0, pygrad.tensor([0.0]))
    with pytest.raises(ValueError, match="Expected parameter rate"):  # its Exponential, as torch's
        D.Pareto(1.0, pygrad.tensor([-2.0]))
    with pytest.raises(ValueError, match="Expected parameter concentration0"):
        D.Kumaraswamy(1.0, pygrad.tensor([-1.0]))
    with pytest.raises(ValueError, match="Expected parameter df2"):
        D.FisherSnedecor(1.0, pygrad.tensor([-1.0]))
    with pytest.raises(ValueError, match="probs"):
        D.ContinuousBernoulli(pygrad.tensor([1.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.ContinuousBernoulli()
    with pytest.raises(ValueError, match="Expected parameter concentration"):
        D.VonMises(0.0, pygrad.tensor([-1.0]))
    with pytest.raises(ValueError, match="Expected parameter total_count"):
        D.NegativeBinomial(pygrad.tensor([-1.0]), probs=pygrad.tensor([0.5]))
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.NegativeBinomial(2.0, probs=pygrad.tensor([1.0]))  # [0, 1): probs = 1 never stops
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Multinomial(3, probs=pygrad.tensor([0.5, -0.5, 1.0]))
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        D.Multinomial(pygrad.tensor(3), probs=pygrad.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.LogisticNormal(pygrad.zeros(2), pygrad.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.RelaxedBernoulli(pygrad.tensor(0.5), probs=pygrad.tensor([1.5]))
    with pytest.raises(ValueError, match="within the support"):
        D.Pareto(2.0, 1.0).log_prob(pygrad.tensor(1.5))
    with pytest.raises(ValueError, match="within the support"):
        D.Kumaraswamy(2.0, 1.0).log_prob(pygrad.tensor(1.5))
    with pytest.raises(ValueError, match="within the support"):
        D.NegativeBinomial(2.0, probs=pygrad.tensor(0.5)).log_prob(pygrad.tensor(1.5))
    with pytest.raises(ValueError, match="within the support"):
        D.Multinomial(3, probs=pygrad.tensor([0.5, 0.5])).log_prob(pygrad.tensor([3.0, 1.0]))
    with pytest.raises(ValueError, match="within the support"):
        D.LogisticNormal(pygrad.zeros(2), pygrad.ones(2)).log_prob(pygrad.tensor([0.5, 0.6, 0.2]))
    # validate_args=False skips the checks
    assert float(D.Weibull(1.0, -1.0, validate_args=False).concentration) == -1.0
    assert float(D.Pareto(2.0, 1.0, validate_args=False).log_prob(pygrad.tensor(1.5))) > -math.inf


def lowrank_params(r, batch=(3,), n=4, m=2):
    return {
        "loc": r.standard_normal((*batch, n)),
        "cov_factor": r.standard_normal((*batch, n, m)),
        "cov_diag": positive(r, (n,), 0.5, 2.0),  # broadcast over the batch
    }


def test_lowrank_multivariate_normal_against_torch():
    r = rng_for("lowrank")
    pd, tdist, pp, tp = make_pair("LowRankMultivariateNormal", lowrank_params(r))
    assert pd.batch_shape == (3,) and pd.event_shape == (4,)
    value = r.standard_normal((2, 3, 4))
    pv, tv = pd.log_prob(pygrad.tensor(value)), tdist.log_prob(torch.tensor(value))
    assert_close(to_np(pv), to_np(tv), what="LowRank.log_prob")
    check_grads(pv, tv, pp, tp, r, "LowRank.log_prob")
    for method in [
        "entropy",
        "mean",
        "variance",
        "scale_tril",
        "covariance_matrix",
        "precision_matrix",
    ]:
        pv = pd.entropy() if method == "entropy" else getattr(pd, method)
        tv = tdist.entropy() if method == "entropy" else getattr(tdist, method)
        assert_close(to_np(pv), to_np(tv), 1e-10, f"LowRank.{method}")
        check_grads(pv, tv, pp, tp, r, f"LowRank.{method}")
    # the same noise through torch's formula: loc + W eps_W + sqrt(D) eps_D
    pygrad.manual_seed(11)
    x = pd.rsample((5,))
    assert tuple(x.shape) == (5, 3, 4) and x.requires_grad
    pygrad.manual_seed(11)
    assert np.array_equal(to_np(pd.rsample((5,))), to_np(x))
    e = pd.expand((2, 3))
    assert e.batch_shape == (2, 3) and tuple(e.sample().shape) == (2, 3, 4)
    with pytest.raises(ValueError, match="cov_factor must be a batch"):
        D.LowRankMultivariateNormal(pygrad.zeros(3), pygrad.zeros(4, 1), pygrad.ones(3))
    with pytest.raises(ValueError, match="Expected parameter cov_diag"):
        D.LowRankMultivariateNormal(pygrad.zeros(2), pygrad.zeros(2, 1), pygrad.tensor([1.0, -1.0]))


def test_lowrank_sample_covariance():
    loc = pygrad.tensor([1.0, -1.0, 0.5], dtype=pygrad.float64)
    w = pygrad.tensor([[1.0, 0.0], [0.5, 1.0], [0.0, -1.0]], dtype=pygrad.float64)
    d = D.LowRankMultivariateNormal(loc, w, pygrad.tensor([0.5, 1.0, 0.2], dtype=pygrad.float64))
    pygrad.manual_seed(2)
    s = to_np(d.sample((20000,)))
    np.testing.assert_allclose(s.mean(0), to_np(loc), atol=0.05)
    np.testing.assert_allclose(np.cov(s.T), to_np(d.covariance_matrix), atol=0.08)


@pytest.mark.parametrize(
    ("p_kind", "q_kind"), [("lowrank", "lowrank"), ("lowrank", "mvn"), ("mvn", "lowrank")]
)
def test_lowrank_kl_against_torch(p_kind, q_kind):
    r = rng_for("lowrank-kl", p_kind, q_kind)

    def make(kind):
        if kind == "lowrank":
            return make_pair("LowRankMultivariateNormal", lowrank_params(r))
        a = r.standard_normal((4, 4))
        return make_pair(
            "MultivariateNormal",
            {"loc": r.standard_normal((3, 4)), "covariance_matrix": a @ a.T + 4 * np.eye(4)},
        )

    p, tp_, pp, tpp = make(p_kind)
    q, tq, qp, tqp = make(q_kind)
    pv, tv = D.kl_divergence(p, q), td.kl_divergence(tp_, tq)
    assert_close(to_np(pv), to_np(tv), 1e-10, f"KL({p_kind} || {q_kind})")
    check_grads(
        pv,
        tv,
        {**pp, **{"q_" + k: v for k, v in qp.items()}},
        {**tpp, **{"q_" + k: v for k, v in tqp.items()}},
        r,
        f"KL({p_kind} || {q_kind})",
    )


def test_von_mises_sampler_edge_cases():
    # float32 parameters give float32 samples; tiny and large concentrations finish and stay in range
    pygrad.manual_seed(9)
    d = D.VonMises(pygrad.tensor([3.0, -3.0, 0.0]), pygrad.tensor([1e-7, 1.0, 500.0]))
    s = to_np(d.sample((4000,)))
    assert s.dtype == np.float32 and s.shape == (4000, 3)
    assert s.min() >= -math.pi and s.max() <= math.pi
    assert abs(np.cos(s[:, 0]).mean()) < 0.05  # nearly uniform on the circle
    np.testing.assert_allclose(
        np.cos(s[:, 2]).mean(), 1 - 1 / 1000, atol=2e-3
    )  # 1 - I1/I0 ~ 1/(2k)
    with pytest.raises(NotImplementedError):
        d.rsample()
