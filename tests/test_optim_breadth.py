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
from pygrad.optim import lr_scheduler

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
