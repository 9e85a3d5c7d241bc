"""pygrad.optim breadth against torch 2.13: the added schedulers (ConstantLR, MultiplicativeLR,
PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, SequentialLR, ChainedScheduler), the added
optimizers (Rprop, ASGD, Adafactor, LBFGS) and swa_utils (AveragedModel, SWALR, update_bn).

Every check runs the same configuration through torch and pygrad and compares the results.
"""

import copy
import math
import warnings

import numpy as np
import pytest
from conftest import import_torch, to_numpy, to_pygrad

import pygrad
from pygrad import nn, optim
from pygrad.optim import lr_scheduler, swa_utils

torch = import_torch()
# torch warns when a nested scheduler's creation step precedes optimizer.step(): expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")


# ---- schedulers: the same optimizer configuration in both libraries, every lr compared
def _twin_optimizers(kind="sgd", lrs=(0.1, 0.05)):
    """A torch and a pygrad optimizer with one parameter group per entry of ``lrs``."""
    tp = [torch.zeros(2, requires_grad=True) for _ in lrs]
    pp = [pygrad.zeros(2, requires_grad=True) for _ in lrs]
    if kind == "sgd":
        t_opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(tp, lrs)], momentum=0.9)
        p_opt = optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(pp, lrs)], momentum=0.9)
    else:
        t_opt = torch.optim.Adam([{"params": [p], "lr": lr} for p, lr in zip(tp, lrs)])
        p_opt = optim.Adam([{"params": [p], "lr": lr} for p, lr in zip(pp, lrs)])
    return t_opt, p_opt


def _assert_same_groups(t_opt, p_opt, where):
    for tg, pg in zip(t_opt.param_groups, p_opt.param_groups):
        assert math.isclose(pg["lr"], tg["lr"], rel_tol=1e-12, abs_tol=1e-15), (where, pg, tg)
        for key in ("momentum", "betas"):
            if key in tg:
                assert np.allclose(pg[key], tg[key], rtol=1e-12, atol=0), (where, key)


def _run_twins(make, steps, kind="sgd", lrs=(0.1, 0.05), check_state_at=None):
    """Steps ``make(lib_scheduler_module, optimizer)`` in both libraries, comparing every lr."""
    t_opt, p_opt = _twin_optimizers(kind, lrs)
    t_s = make(torch.optim.lr_scheduler, t_opt)
    p_s = make(lr_scheduler, p_opt)
    _assert_same_groups(t_opt, p_opt, "created")
    np.testing.assert_allclose(p_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12, atol=1e-15)
    for i in range(steps):
        t_opt.step()
        t_s.step()
        p_s.step()
        _assert_same_groups(t_opt, p_opt, i)
        np.testing.assert_allclose(p_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12, atol=1e-15)
        if check_state_at == i:
            # A fresh optimizer and scheduler restored from the state dicts continue identically.
            _, p_opt2 = _twin_optimizers(kind, lrs)
            p_s2 = make(lr_scheduler, p_opt2)
            p_opt2.load_state_dict(copy.deepcopy(p_opt.state_dict()))
            p_s2.load_state_dict(copy.deepcopy(p_s.state_dict()))
            p_opt, p_s = p_opt2, p_s2
    return t_s, p_s


SCHEDULERS = {
    "constant": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=4),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9 + 0.01 * (e % 3)),
    "multiplicative_per_group": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.95, lambda e: 0.8 if e % 2 else 1.0]
    ),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=7, power=2.0),
    "polynomial_linear": lambda m, o: m.PolynomialLR(o),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, eta_min=0.001),
    "warm_restarts_mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
    "cyclic_triangular": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    "cyclic_triangular2": lambda m, o: m.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.2], step_size_up=2, step_size_down=4, mode="triangular2"
    ),
    "cyclic_exp_range": lambda m, o: m.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9, base_momentum=0.7
    ),
    "cyclic_scale_fn": lambda m, o: m.CyclicLR(
        o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"
    ),
    "cyclic_no_momentum": lambda m, o: m.CyclicLR(
        o, 0.01, 0.1, step_size_up=2, cycle_momentum=False
    ),
    "sequential": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=3), m.ExponentialLR(o, gamma=0.9)],
        milestones=[3],
    ),
    "sequential_three": lambda m, o: m.SequentialLR(
        o,
        [
            m.ConstantLR(o, factor=0.5, total_iters=2),
            m.CosineAnnealingLR(o, T_max=4, eta_min=0.001),
            m.StepLR(o, step_size=2, gamma=0.5),
        ],
        milestones=[2, 6],
    ),
    "sequential_multiplicative": lambda m, o: m.SequentialLR(
        o,
        [m.MultiplicativeLR(o, lambda e: 0.9), m.PolynomialLR(o, total_iters=5)],
        milestones=[4],
    ),
    "chained": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)]
    ),
    "chained_warm_restarts": lambda m, o: m.ChainedScheduler(
        [m.CosineAnnealingWarmRestarts(o, T_0=4), m.MultiStepLR(o, [3, 5], gamma=0.5)], o
    ),
    "sequential_restarts_cyclic": lambda m, o: m.SequentialLR(
        o,
        [
            m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
            m.CyclicLR(o, 0.01, 0.1, step_size_up=2),
        ],
        milestones=[8],
    ),
    "chained_in_sequential": lambda m, o: m.SequentialLR(
        o,
        [
            m.ChainedScheduler([m.LinearLR(o, total_iters=2), m.ConstantLR(o, total_iters=3)]),
            m.ExponentialLR(o, gamma=0.8),
        ],
        milestones=[4],
    ),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_sequence_matches_torch(name):
    _run_twins(SCHEDULERS[name], steps=20)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_state_dict_round_trip_continues(name):
    _run_twins(SCHEDULERS[name], steps=14, check_state_at=6)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_cycles_adam_betas(mode):
    make = lambda m, o: m.CyclicLR(  # noqa: E731
        o, 0.001, 0.01, step_size_up=3, mode=mode, gamma=0.95, base_momentum=0.8
    )
    _run_twins(make, steps=15, kind="adam")


def test_warm_restarts_epoch_argument():
    t_opt, p_opt = _twin_optimizers()
    t_s = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(t_opt, T_0=3, T_mult=2)
    p_s = lr_scheduler.CosineAnnealingWarmRestarts(p_opt, T_0=3, T_mult=2)
    for epoch in (0.5, 1.0, 3.25, 9.5, 10, 2.0, 22.75):
        t_s.step(epoch)
        p_s.step(epoch)
        np.testing.assert_allclose(p_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12)
        assert p_s.last_epoch == t_s.last_epoch and p_s.T_i == t_s.T_i


def test_closed_form_epoch_argument():
    for make in (
        lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=3),
        lambda m, o: m.PolynomialLR(o, total_iters=6, power=1.5),
    ):
        t_opt, p_opt = _twin_optimizers()
        t_s, p_s = make(torch.optim.lr_scheduler, t_opt), make(lr_scheduler, p_opt)
        for epoch in (2, 5, 3, 9):
            with warnings.catch_warnings():  # torch's epoch deprecation
                warnings.simplefilter("ignore")
                t_s.step(epoch)
            p_s.step(epoch)
            np.testing.assert_allclose(p_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12)


def test_callable_object_lambda_state_round_trips():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate

    _, p_opt = _twin_optimizers(lrs=(0.1,))
    sched = lr_scheduler.MultiplicativeLR(p_opt, Decay(0.5))
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}]
    other = lr_scheduler.MultiplicativeLR(p_opt, Decay(0.9))
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.5
    lam = lr_scheduler.LambdaLR(p_opt, lambda e: 1.0)
    assert lam.state_dict()["lr_lambdas"] == [None]


def test_scheduler_errors_match_torch():
    t_opt, p_opt = _twin_optimizers()
    cases = [
        lambda m, o: m.ConstantLR(o, factor=1.5),
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="bogus"),
        lambda m, o: m.MultiplicativeLR(o, [lambda e: 1.0]),
        lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2)], milestones=[1]),
        lambda m, o: m.SequentialLR(o, [], milestones=[]),
        lambda m, o: m.ChainedScheduler([]),
    ]
    for make in cases:
        with pytest.raises(ValueError) as t_err:
            make(torch.optim.lr_scheduler, t_opt)
        with pytest.raises(ValueError) as p_err:
            make(lr_scheduler, p_opt)
        assert str(p_err.value) == str(t_err.value)
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        lr_scheduler.CyclicLR(optim.Adagrad([pygrad.zeros(1, requires_grad=True)]), 0.1, 1.0)
    other = optim.SGD([pygrad.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        lr_scheduler.ChainedScheduler(
            [lr_scheduler.StepLR(p_opt, 2), lr_scheduler.StepLR(other, 2)]
        )
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(p_opt)])


# ---- optimizers: the same float64 problem, parameters and gradients in both libraries
def _problem(seed=0):
    """Data and initial weights of a small tanh MLP, with a 3-D weight for the factored case."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((12, 4))
    y = rng.standard_normal((12, 2))
    params = [
        rng.standard_normal((4, 6)) * 0.5,
        rng.standard_normal(6) * 0.1,
        rng.standard_normal((2, 3, 2)) * 0.5,
        rng.standard_normal(2) * 0.1,
    ]
    return x, y, params


def _loss(lib, x, y, ps):
    hidden = lib.tanh(x @ ps[0] + ps[1])
    out = hidden @ ps[2].reshape(6, 2) + ps[3]
    return ((out - y) ** 2).mean()


def _twin_params(arrays):
    tp = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    pp = [pygrad.tensor(a, dtype=pygrad.float64, requires_grad=True) for a in arrays]
    return tp, pp


def _step(lib, opt, x, y, ps):
    opt.zero_grad()
    _loss(lib, x, y, ps).backward()
    opt.step()


def _assert_params_close(pp, tp, rtol=1e-10, where=""):
    for a, b in zip(pp, tp):
        np.testing.assert_allclose(
            to_numpy(a), b.detach().numpy(), rtol=rtol, atol=1e-12, err_msg=where
        )


OPTIMIZERS = [
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.02)}),
    ("Rprop", {"maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 4, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.02, "t0": 0, "maximize": True}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 1.5}),
    ("Adafactor", {"weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS)
def test_optimizer_matches_torch(name, kwargs):
    x, y, arrays = _problem()
    tp, pp = _twin_params(arrays)
    t_opt = getattr(torch.optim, name)(tp, **kwargs)
    p_opt = getattr(optim, name)(pp, **kwargs)
    tx, ty, px, py = torch.tensor(x), torch.tensor(y), pygrad.tensor(x), pygrad.tensor(y)
    for i in range(12):
        _step(torch, t_opt, tx, ty, tp)
        _step(pygrad, p_opt, px, py, pp)
        _assert_params_close(pp, tp, where=f"step {i}")
    # Same state keys as torch, and the same values.
    for t_param, p_param in zip(tp, pp):
        t_state, p_state = t_opt.state[t_param], p_opt.state[p_param]
        assert list(p_state) == list(t_state)
        for key, value in t_state.items():
            mine = p_state[key]
            mine = to_numpy(mine) if isinstance(mine, pygrad.Tensor) else mine
            np.testing.assert_allclose(mine, value.numpy(), rtol=1e-9, atol=1e-13, err_msg=key)


@pytest.mark.parametrize(
    ("name", "make_scheduler"),
    [
        ("ASGD", lambda m, o: m.ExponentialLR(o, gamma=0.8)),
        ("Adafactor", lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=5)),
        ("Rprop", lambda m, o: m.StepLR(o, step_size=3)),
    ],
)
def test_optimizer_under_a_scheduler_matches_torch(name, make_scheduler):
    x, y, arrays = _problem(7)
    tp, pp = _twin_params(arrays)
    t_opt, p_opt = getattr(torch.optim, name)(tp), getattr(optim, name)(pp)
    t_s = make_scheduler(torch.optim.lr_scheduler, t_opt)
    p_s = make_scheduler(lr_scheduler, p_opt)
    tx, ty, px, py = torch.tensor(x), torch.tensor(y), pygrad.tensor(x), pygrad.tensor(y)
    for _ in range(10):
        _step(torch, t_opt, tx, ty, tp)
        _step(pygrad, p_opt, px, py, pp)
        t_s.step()
        p_s.step()
    _assert_params_close(pp, tp)


@pytest.mark.parametrize("name", ["Rprop", "ASGD", "Adafactor"])
def test_optimizer_state_dict_resumes_identically(name):
    kwargs = {"ASGD": {"t0": 3}}.get(name, {})
    x, y, arrays = _problem(1)
    tp, pp = _twin_params(arrays)
    t_opt, p_opt = getattr(torch.optim, name)(tp, **kwargs), getattr(optim, name)(pp, **kwargs)
    tx, ty, px, py = torch.tensor(x), torch.tensor(y), pygrad.tensor(x), pygrad.tensor(y)
    for _ in range(5):
        _step(torch, t_opt, tx, ty, tp)
        _step(pygrad, p_opt, px, py, pp)
    # Resume from pygrad's own state dict, and from torch's (0-d tensor scalars).
    saved = p_opt.state_dict()
    resumed_params = [pygrad.tensor(to_numpy(p), requires_grad=True) for p in pp]
    resumed = getattr(optim, name)(resumed_params, **kwargs)
    resumed.load_state_dict(saved)
    from_torch_params = [pygrad.tensor(to_numpy(p), requires_grad=True) for p in pp]
    from_torch = getattr(optim, name)(from_torch_params, **kwargs)
    from_torch.load_state_dict(
        {
            "state": {
                k: {n: to_pygrad(v.numpy()) for n, v in s.items()}
                for k, s in t_opt.state_dict()["state"].items()
            },
            "param_groups": t_opt.state_dict()["param_groups"],
        }
    )
    for _ in range(6):
        _step(torch, t_opt, tx, ty, tp)
        _step(pygrad, resumed, px, py, resumed_params)
        _step(pygrad, from_torch, px, py, from_torch_params)
    _assert_params_close(resumed_params, tp)
    _assert_params_close(from_torch_params, tp)


def _rosenbrock(xy):
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


def _quadratic(lib):
    """A random convex quadratic 0.5 x'Ax - b'x + 0.1 sum(x^4) in 6 dims."""
    rng = np.random.default_rng(3)
    m = rng.standard_normal((6, 6))
    a, b = lib.tensor(m @ m.T + np.eye(6)), lib.tensor(rng.standard_normal(6))
    return lambda x: 0.5 * (x @ (a @ x)) - b @ x + 0.1 * (x**4).sum()


def _run_lbfgs(objective, start, steps, rtol, **kwargs):
    tp, pp = _twin_params([start])
    t_opt, p_opt = torch.optim.LBFGS(tp, **kwargs), optim.LBFGS(pp, **kwargs)
    t_f, p_f = objective(torch), objective(pygrad)

    def closure(opt, f, ps):
        def run():
            opt.zero_grad()
            loss = f(ps[0])
            loss.backward()
            return loss

        return run

    for i in range(steps):
        t_loss = t_opt.step(closure(t_opt, t_f, tp))
        p_loss = p_opt.step(closure(p_opt, p_f, pp))
        assert math.isclose(p_loss.item(), t_loss.detach().item(), rel_tol=rtol, abs_tol=1e-14), i
        _assert_params_close(pp, tp, rtol=rtol, where=f"step {i}")
        t_state, p_state = t_opt.state[tp[0]], p_opt.state[pp[0]]
        assert p_state["func_evals"] == t_state["func_evals"]
        assert p_state["n_iter"] == t_state["n_iter"]
    return pp, tp


# Rosenbrock is ill-conditioned: a last-bit difference (a dot product's summation order) grows
# about tenfold per iteration, so the exact comparison runs 16 iterations.
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [100, 3])
def test_lbfgs_rosenbrock_matches_torch(line_search_fn, history_size):
    lr = 1 if line_search_fn else 0.05
    kwargs = {"lr": lr, "max_iter": 4, "history_size": history_size}
    pp, _ = _run_lbfgs(
        lambda lib: _rosenbrock,
        np.array([-1.5, 2.0]),
        4,
        1e-9,
        line_search_fn=line_search_fn,
        **kwargs,
    )
    assert _rosenbrock(pp[0]).item() < 31.25  # it descended from 62.5


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_quadratic_matches_torch(line_search_fn):
    lr = 1 if line_search_fn else 0.3
    start = np.random.default_rng(4).standard_normal(6)
    _run_lbfgs(
        _quadratic,
        start,
        6,
        1e-10,
        lr=lr,
        max_iter=5,
        history_size=4,
        line_search_fn=line_search_fn,
    )


def test_lbfgs_strong_wolfe_converges_like_torch():
    kwargs = {"max_iter": 20, "line_search_fn": "strong_wolfe"}
    tp, pp = _twin_params([np.array([-1.5, 2.0])])
    for lib, ps in ((torch, tp), (pygrad, pp)):
        opt = (torch.optim if lib is torch else optim).LBFGS(ps, **kwargs)

        def closure(opt=opt, ps=ps):
            opt.zero_grad()
            loss = _rosenbrock(ps[0])
            loss.backward()
            return loss

        for _ in range(5):
            opt.step(closure)
    np.testing.assert_allclose(to_numpy(pp[0]), [1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(to_numpy(pp[0]), tp[0].detach().numpy(), atol=1e-7)


def test_lbfgs_mlp_and_state_dict():
    x, y, arrays = _problem(2)
    tp, pp = _twin_params(arrays)
    kwargs = {"line_search_fn": "strong_wolfe", "max_iter": 5, "history_size": 4}
    t_opt, p_opt = torch.optim.LBFGS(tp, **kwargs), optim.LBFGS(pp, **kwargs)
    tx, ty, px, py = torch.tensor(x), torch.tensor(y), pygrad.tensor(x), pygrad.tensor(y)

    def closure(lib, opt, ps, a, b):
        def run():
            opt.zero_grad()
            loss = _loss(lib, a, b, ps)
            loss.backward()
            return loss

        return run

    for _ in range(3):
        t_opt.step(closure(torch, t_opt, tp, tx, ty))
        p_opt.step(closure(pygrad, p_opt, pp, px, py))
    _assert_params_close(pp, tp, rtol=1e-9)
    resumed_params = [pygrad.tensor(to_numpy(p), requires_grad=True) for p in pp]
    resumed = optim.LBFGS(resumed_params, **kwargs)
    resumed.load_state_dict(p_opt.state_dict())
    for _ in range(3):
        t_opt.step(closure(torch, t_opt, tp, tx, ty))
        resumed.step(closure(pygrad, resumed, resumed_params, px, py))
        p_opt.step(closure(pygrad, p_opt, pp, px, py))
    _assert_params_close(resumed_params, tp, rtol=1e-8)
    _assert_params_close(pp, tp, rtol=1e-8)


def test_optimizer_errors_match_torch():
    cases = [
        ("Rprop", {"lr": -1}),
        ("Rprop", {"etas": (1.5, 1.2)}),
        ("ASGD", {"lr": -1}),
        ("ASGD", {"weight_decay": -0.5}),
        ("Adafactor", {"lr": -1}),
        ("Adafactor", {"beta2_decay": 0.5}),
        ("Adafactor", {"eps": (-1.0, 1e-3)}),
        ("Adafactor", {"eps": (None, -1e-3)}),
        ("Adafactor", {"d": 0.5}),
        ("Adafactor", {"weight_decay": -0.1}),
        ("LBFGS", {"lr": -1}),
    ]
    for name, kwargs in cases:
        with pytest.raises(ValueError) as t_err:
            getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
        with pytest.raises(ValueError) as p_err:
            getattr(optim, name)([pygrad.zeros(2, requires_grad=True)], **kwargs)
        assert str(p_err.value) == str(t_err.value), (name, kwargs)
    groups = [
        {"params": [pygrad.zeros(1, requires_grad=True)]},
        {"params": [pygrad.zeros(1, requires_grad=True)]},
    ]
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS(groups)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        p = pygrad.ones(2, requires_grad=True)
        opt = optim.LBFGS([p], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        opt.step(closure)


# ---- swa_utils: the same model (weights copied from torch) averaged in both libraries
def _twin_models():
    t_model = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 2)
    ).double()
    p_model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)).double()
    p_model.load_state_dict({k: to_pygrad(v.numpy()) for k, v in t_model.state_dict().items()})
    return t_model, p_model


def _perturb(t_model, p_model, rng):
    """Gives both models the same new random parameters and buffers (as training would)."""
    state = {}
    for k, v in t_model.state_dict().items():
        if v.dtype == torch.float64:
            state[k] = torch.from_numpy(rng.standard_normal(tuple(v.shape)))
        else:
            state[k] = v + int(rng.integers(1, 5))
    t_model.load_state_dict(state)
    p_model.load_state_dict({k: to_pygrad(v.numpy()) for k, v in state.items()})


def _assert_same_state(p_module, t_module, rtol=1e-12):
    t_state = t_module.state_dict()
    p_state = p_module.state_dict()
    assert list(p_state) == list(t_state)
    for k, v in t_state.items():
        np.testing.assert_allclose(
            to_numpy(p_state[k]), v.numpy(), rtol=rtol, atol=1e-14, err_msg=k
        )


AVERAGES = {
    "swa": lambda m: {},
    "swa_buffers": lambda m: {"use_buffers": True},
    "ema_multi": lambda m: {"multi_avg_fn": m.get_ema_multi_avg_fn(0.9)},
    "ema_multi_buffers": lambda m: {
        "multi_avg_fn": m.get_ema_multi_avg_fn(0.75),
        "use_buffers": True,
    },
    "ema": lambda m: {"avg_fn": m.get_ema_avg_fn(0.8)},
    "swa_fn": lambda m: {"avg_fn": m.get_swa_avg_fn()},
    "swa_multi": lambda m: {"multi_avg_fn": m.get_swa_multi_avg_fn()},
}


@pytest.mark.parametrize("name", sorted(AVERAGES))
def test_averaged_model_matches_torch(name):
    rng = np.random.default_rng(5)
    t_model, p_model = _twin_models()

    def build(module, model):
        return module.AveragedModel(model, **AVERAGES[name](module))

    t_avg, p_avg = build(torch.optim.swa_utils, t_model), build(swa_utils, p_model)
    for _ in range(5):
        _perturb(t_model, p_model, rng)
        t_avg.update_parameters(t_model)
        p_avg.update_parameters(p_model)
        _assert_same_state(p_avg, t_avg)
    assert int(p_avg.n_averaged.item()) == 5
    assert to_numpy(p_avg.n_averaged).dtype == np.int64
    x = rng.standard_normal((3, 4))
    p_avg.eval()
    t_avg.eval()
    np.testing.assert_allclose(
        to_numpy(p_avg(pygrad.tensor(x))), t_avg(torch.from_numpy(x)).detach().numpy(), rtol=1e-10
    )


def test_averaged_model_is_a_copy_and_checks_arguments():
    _, p_model = _twin_models()
    avg = swa_utils.AveragedModel(p_model)
    assert all(a is not b for a, b in zip(avg.parameters(), p_model.parameters()))
    assert next(iter(avg.state_dict())) == "n_averaged"
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(
            p_model,
            avg_fn=swa_utils.get_swa_avg_fn(),
            multi_avg_fn=swa_utils.get_swa_multi_avg_fn(),
        )
    for maker in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
        with pytest.raises(ValueError) as t_err:
            getattr(torch.optim.swa_utils, maker)(1.5)
        with pytest.raises(ValueError) as p_err:
            getattr(swa_utils, maker)(1.5)
        assert str(p_err.value) == str(t_err.value)


def test_update_bn_matches_torch():
    rng = np.random.default_rng(6)
    t_model, p_model = _twin_models()
    t_model.eval()
    p_model.eval()
    batches = [rng.standard_normal((5, 4)) for _ in range(4)]
    # Tensors and (input, target) tuples alike: a tuple contributes its first element.
    t_loader = [
        torch.from_numpy(b) if i % 2 else (torch.from_numpy(b), 0) for i, b in enumerate(batches)
    ]
    p_loader = [to_pygrad(b) if i % 2 else (to_pygrad(b), 0) for i, b in enumerate(batches)]
    torch.optim.swa_utils.update_bn(t_loader, t_model)
    swa_utils.update_bn(p_loader, p_model)
    _assert_same_state(p_model, t_model, rtol=1e-10)
    assert not p_model.training and p_model[1].momentum == 0.1
    # On an AveragedModel, as in the SWA recipe.
    avg = swa_utils.AveragedModel(p_model)
    swa_utils.update_bn(p_loader, avg)
    np.testing.assert_allclose(
        to_numpy(avg.module[1].running_mean), to_numpy(p_model[1].running_mean)
    )
    # No batch norm: nothing runs.
    swa_utils.update_bn(None, nn.Linear(2, 2))


def test_update_bn_leaves_instance_norm_alone():
    model = nn.Sequential(nn.InstanceNorm1d(3, track_running_stats=True))
    model[0].running_mean.fill_(0.5)
    swa_utils.update_bn([pygrad.randn(2, 3, 5)], model)
    np.testing.assert_allclose(to_numpy(model[0].running_mean), 0.5)


SWALRS = {
    "cos": lambda m, o: m.SWALR(o, swa_lr=0.01, anneal_epochs=4),
    "linear_per_group": lambda m, o: m.SWALR(
        o, swa_lr=[0.02, 0.005], anneal_epochs=3, anneal_strategy="linear"
    ),
    "immediate": lambda m, o: m.SWALR(o, swa_lr=0.03, anneal_epochs=0),
}


@pytest.mark.parametrize("name", sorted(SWALRS))
def test_swalr_matches_torch(name):
    def make(module, o):
        return SWALRS[name](
            torch.optim.swa_utils if module is torch.optim.lr_scheduler else swa_utils, o
        )

    _run_twins(make, steps=10, check_state_at=4)


def test_swalr_after_cosine_annealing_matches_torch():
    t_opt, p_opt = _twin_optimizers()
    t_cos = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=10)
    p_cos = lr_scheduler.CosineAnnealingLR(p_opt, T_max=10)
    t_swa = torch.optim.swa_utils.SWALR(t_opt, swa_lr=0.02, anneal_epochs=3)
    p_swa = swa_utils.SWALR(p_opt, swa_lr=0.02, anneal_epochs=3)
    for epoch in range(10):
        t_opt.step()
        if epoch < 4:
            t_cos.step()
            p_cos.step()
        else:
            t_swa.step()
            p_swa.step()
        _assert_same_groups(t_opt, p_opt, epoch)


def test_swalr_errors_match_torch():
    t_opt, p_opt = _twin_optimizers()
    for kwargs in ({"anneal_strategy": "exp"}, {"anneal_epochs": -1}, {"anneal_epochs": 1.5}):
        with pytest.raises(ValueError) as t_err:
            torch.optim.swa_utils.SWALR(t_opt, swa_lr=0.1, **kwargs)
        with pytest.raises(ValueError) as p_err:
            swa_utils.SWALR(p_opt, swa_lr=0.1, **kwargs)
        assert str(p_err.value) == str(t_err.value)
