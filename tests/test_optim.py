"""Optimizers, schedulers and gradient clipping against PyTorch: same model, data and hyper-parameters."""

import math

import numpy as np
import pytest

import pygrad
import pygrad.nn.utils as nn_utils
from pygrad import optim
from pygrad.optim import Optimizer, StateSlot, lr_scheduler
from pygrad.optim.optimizer import non_negative

torch = pytest.importorskip("torch")

STEPS = 50
ATOL = 1e-5


# ---- a small float64 MLP, built from raw tensors in both libraries
def _problem(seed=0, hidden=8):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((16, 4))
    y = rng.standard_normal((16, 1))
    params = [
        rng.standard_normal((4, hidden)) * 0.5,
        rng.standard_normal(hidden) * 0.1,
        rng.standard_normal((hidden, 1)) * 0.5,
        rng.standard_normal(1) * 0.1,
    ]
    return x, y, params


def _loss(lib, x, y, ps):
    out = lib.tanh(x @ ps[0] + ps[1]) @ ps[2] + ps[3]
    return ((out - y) * (out - y)).mean()


def _pygrad_params(arrays, dtype=pygrad.float64):
    return [pygrad.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


def _torch_params(arrays, dtype=torch.float64):
    return [torch.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


def _train_step(lib, opt, x, y, ps):
    opt.zero_grad()
    loss = _loss(lib, x, y, ps)
    loss.backward()
    opt.step()
    return float(loss.item())


def _assert_close(pg_params, th_params, atol=ATOL, where=""):
    for i, (a, b) in enumerate(zip(pg_params, th_params)):
        np.testing.assert_allclose(
            a.detach().numpy(),
            b.detach().numpy(),
            rtol=1e-5,
            atol=atol,
            err_msg=f"param {i} {where}",
        )


def _follow_torch(pg_factory, th_factory, steps=STEPS, seed=0, dtype="float64", atol=ATOL):
    """Trains the same MLP with both optimizers, comparing parameters after every step."""
    x, y, arrays = _problem(seed)
    pg_dtype, th_dtype = getattr(pygrad, dtype), getattr(torch, dtype)
    pg_ps, th_ps = _pygrad_params(arrays, pg_dtype), _torch_params(arrays, th_dtype)
    pg_x, pg_y = pygrad.tensor(x, dtype=pg_dtype), pygrad.tensor(y, dtype=pg_dtype)
    th_x, th_y = torch.tensor(x, dtype=th_dtype), torch.tensor(y, dtype=th_dtype)
    pg_opt, th_opt = pg_factory(pg_ps), th_factory(th_ps)
    losses = []
    for step in range(steps):
        pg_loss = _train_step(pygrad, pg_opt, pg_x, pg_y, pg_ps)
        th_loss = _train_step(torch, th_opt, th_x, th_y, th_ps)
        assert pg_loss == pytest.approx(th_loss, rel=1e-5, abs=atol)
        _assert_close(pg_ps, th_ps, atol, where=f"after step {step + 1}")
        losses.append(pg_loss)
    assert not np.allclose(
        [p.detach().numpy().ravel()[0] for p in pg_ps], [a.ravel()[0] for a in arrays]
    )
    return pg_opt, th_opt, losses


OPTIMIZER_CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.02}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    (
        "RMSprop",
        {
            "lr": 0.005,
            "alpha": 0.9,
            "eps": 1e-6,
            "weight_decay": 0.05,
            "momentum": 0.5,
            "centered": True,
        },
    ),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    (
        "Adagrad",
        {
            "lr": 0.1,
            "lr_decay": 0.01,
            "weight_decay": 0.05,
            "initial_accumulator_value": 0.1,
            "eps": 1e-8,
        },
    ),
    ("Adagrad", {"lr": 0.05, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.05}),
    ("Adadelta", {"maximize": True}),
    ("Adamax", {"lr": 0.02}),
    ("Adamax", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.05}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.05, "momentum_decay": 8e-3}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "maximize": True}),
    ("RAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.05}),
    (
        "RAdam",
        {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True, "betas": (0.8, 0.99)},
    ),
]


@pytest.mark.parametrize(
    "name,kwargs", OPTIMIZER_CASES, ids=[f"{n}-{sorted(k.items())}" for n, k in OPTIMIZER_CASES]
)
def test_optimizer_follows_torch(name, kwargs):
    _follow_torch(
        lambda ps: getattr(optim, name)(ps, **kwargs),
        lambda ps: getattr(torch.optim, name)(ps, **kwargs),
    )


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        ("Adam", {"lr": 0.01, "amsgrad": True}),
        ("RMSprop", {"lr": 0.01, "centered": True}),
        ("NAdam", {"lr": 0.01}),
        ("RAdam", {"lr": 0.01}),
    ],
)
def test_optimizer_follows_torch_float32(name, kwargs):
    _follow_torch(
        lambda ps: getattr(optim, name)(ps, **kwargs),
        lambda ps: getattr(torch.optim, name)(ps, **kwargs),
        steps=20,
        dtype="float32",
        atol=1e-4,
    )


def test_defaults_match_torch():
    p = [pygrad.zeros(2, requires_grad=True)]
    q = [torch.zeros(2, requires_grad=True)]
    for name in [
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "NAdam",
        "RAdam",
    ]:
        ours, theirs = getattr(optim, name)(p).defaults, getattr(torch.optim, name)(q).defaults
        for key, value in ours.items():
            assert theirs[key] == value, (name, key)


def test_param_groups_with_own_hyperparameters():
    def groups(ps):
        return [
            {"params": ps[:2], "lr": 0.05, "weight_decay": 0.1},
            {"params": ps[2:], "betas": (0.8, 0.9)},
        ]

    pg_opt, _, _ = _follow_torch(
        lambda ps: optim.Adam(groups(ps), lr=0.01), lambda ps: torch.optim.Adam(groups(ps), lr=0.01)
    )
    assert [g["lr"] for g in pg_opt.param_groups] == [0.05, 0.01]
    assert pg_opt.param_groups[1]["weight_decay"] == 0 and pg_opt.param_groups[0]["betas"] == (
        0.9,
        0.999,
    )

    def sgd_groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.2, "momentum": 0.5}]

    _follow_torch(
        lambda ps: optim.SGD(sgd_groups(ps), lr=0.05, momentum=0.9),
        lambda ps: torch.optim.SGD(sgd_groups(ps), lr=0.05, momentum=0.9),
    )


def test_add_param_group_fills_defaults_and_rejects_duplicates():
    a, b = pygrad.zeros(2, requires_grad=True), pygrad.zeros(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError):
        optim.Adam(a)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD([a], lr=-1)


def test_one_fused_call_per_group_per_step(monkeypatch):
    x, y, arrays = _problem()
    ps = _pygrad_params(arrays)
    opt = optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.1}])
    calls = []
    original = pygrad._C._optimizer_step

    def counting(kind, params, *args, **kwargs):
        calls.append((kind, len(params)))
        return original(kind, params, *args, **kwargs)

    monkeypatch.setattr(pygrad._C, "_optimizer_step", counting)
    for _ in range(3):
        _train_step(pygrad, opt, pygrad.tensor(x), pygrad.tensor(y), ps)
    assert calls == [("adam", 2), ("adam", 2)] * 3


def test_step_bumps_versions_and_runs_in_place():
    p = pygrad.tensor(np.ones(5), requires_grad=True)
    (p * p).sum().backward()
    opt = optim.Adam([p], lr=0.1)
    before_ptr, before_version = p.data_ptr(), p._version
    opt.step()
    assert p.data_ptr() == before_ptr and p._version > before_version
    assert p.grad_fn is None and p.requires_grad
    exp_avg = opt.state[p]["exp_avg"]
    assert not exp_avg.requires_grad and exp_avg._version > 0


def _state_dict_resume(name, kwargs, steps_before=10, steps_after=15):
    x, y, arrays = _problem(1)
    px, py = pygrad.tensor(x), pygrad.tensor(y)
    ps = _pygrad_params(arrays)
    opt = getattr(optim, name)(ps, **kwargs)
    th_ps = _torch_params(arrays)
    th_opt = getattr(torch.optim, name)(th_ps, **kwargs)
    tx, ty = torch.tensor(x), torch.tensor(y)
    for _ in range(steps_before):
        _train_step(pygrad, opt, px, py, ps)
        _train_step(torch, th_opt, tx, ty, th_ps)
    saved = opt.state_dict()
    # PyTorch's layout: parameters numbered in order, groups keep their options.
    th_saved = th_opt.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert sorted(saved["state"]) == sorted(th_saved["state"]) == [0, 1, 2, 3]
    assert set(saved["state"][0]) == set(th_saved["state"][0])
    assert saved["param_groups"][0]["params"] == th_saved["param_groups"][0]["params"]
    for key in saved["state"][0]:
        if isinstance(saved["state"][0][key], pygrad.Tensor):
            np.testing.assert_allclose(
                saved["state"][0][key].numpy(), th_saved["state"][0][key].numpy(), atol=ATOL
            )

    resumed_ps = [pygrad.tensor(p.detach().numpy(), requires_grad=True) for p in ps]
    resumed = getattr(optim, name)(resumed_ps, lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == kwargs.get("lr", opt.defaults["lr"])
    for _ in range(steps_after):
        _train_step(pygrad, opt, px, py, ps)
        _train_step(pygrad, resumed, px, py, resumed_ps)
        _train_step(torch, th_opt, tx, ty, th_ps)
    for a, b in zip(ps, resumed_ps):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    _assert_close(resumed_ps, th_ps)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9}),
        ("Adam", {"lr": 0.01, "amsgrad": True}),
        ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
        ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
        ("Adadelta", {}),
        ("Adamax", {"lr": 0.02}),
        ("NAdam", {"lr": 0.01}),
        ("RAdam", {"lr": 0.01}),
    ],
)
def test_state_dict_round_trip_resumes_identically(name, kwargs):
    _state_dict_resume(name, kwargs)


def test_load_state_dict_copies_and_checks_groups():
    p = pygrad.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    saved = opt.state_dict()
    q = pygrad.tensor(np.ones(3), requires_grad=True)
    other = optim.Adam([q])
    other.load_state_dict(saved)
    assert other.state[q]["step"] == 1
    saved["state"][0]["exp_avg"].fill_(7.0)
    assert not np.allclose(other.state[q]["exp_avg"].numpy(), 7.0)
    with pytest.raises(ValueError, match="number of parameter groups"):
        optim.Adam(
            [{"params": [q]}, {"params": [pygrad.zeros(1, requires_grad=True)]}]
        ).load_state_dict(saved)
    with pytest.raises(ValueError, match="size"):
        optim.Adam([q, pygrad.zeros(1, requires_grad=True)]).load_state_dict(saved)


def test_load_state_dict_accepts_torch_scalar_state():
    # PyTorch keeps step (and NAdam's mu_product) as 0-d tensors; loading turns them into numbers.
    q = pygrad.tensor(np.ones(3), requires_grad=True)
    opt = optim.NAdam([q])
    state = {
        "state": {
            0: {
                "step": pygrad.tensor(4.0),
                "mu_product": pygrad.tensor(0.5, dtype=pygrad.float64),
                "exp_avg": pygrad.zeros(3, dtype=pygrad.float64),
                "exp_avg_sq": pygrad.zeros(3, dtype=pygrad.float64),
            }
        },
        "param_groups": [dict(opt.state_dict()["param_groups"][0])],
    }
    opt.load_state_dict(state)
    assert opt.state[q]["step"] == 4 and opt.state[q]["mu_product"] == 0.5


def test_zero_grad_set_to_none_and_zeros():
    p = pygrad.tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    grad_before = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and np.array_equal(p.grad.numpy(), np.zeros(3))
    assert np.array_equal(grad_before.numpy(), np.zeros(3))  # zeroed in place
    (p * 2).sum().backward()
    assert np.array_equal(p.grad.numpy(), np.full(3, 2.0))
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing happens
    assert np.array_equal(p.detach().numpy(), np.ones(3))


def test_frozen_and_gradless_params_are_untouched():
    x, y, arrays = _problem()
    ps = _pygrad_params(arrays)
    ps[1].requires_grad = False
    extra = pygrad.tensor(np.ones(3), requires_grad=True)  # never gets a gradient
    frozen_with_grad = pygrad.tensor(np.ones(2))
    frozen_with_grad.grad = pygrad.tensor(np.ones(2))
    opt = optim.Adam([*ps, extra, frozen_with_grad], lr=0.1, weight_decay=0.1)
    before = [p.detach().numpy().copy() for p in ps]
    for _ in range(5):
        _train_step(pygrad, opt, pygrad.tensor(x), pygrad.tensor(y), ps)
    np.testing.assert_array_equal(ps[1].numpy(), before[1])
    assert not np.allclose(ps[0].detach().numpy(), before[0])
    np.testing.assert_array_equal(extra.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(frozen_with_grad.numpy(), np.ones(2))
    assert ps[1] not in opt.state and extra not in opt.state and frozen_with_grad not in opt.state
    assert opt.state[ps[0]]["step"] == 5


def test_closure_is_called_with_grad_enabled():
    x, y, arrays = _problem()
    ps = _pygrad_params(arrays)
    th_ps = _torch_params(arrays)
    opt, th_opt = optim.SGD(ps, lr=0.1, momentum=0.9), torch.optim.SGD(th_ps, lr=0.1, momentum=0.9)

    def closure(lib, o, xs, ys, params):
        def f():
            o.zero_grad()
            loss = _loss(lib, xs, ys, params)
            loss.backward()
            return loss

        return f

    for _ in range(5):
        with pygrad.no_grad():
            loss = opt.step(closure(pygrad, opt, pygrad.tensor(x), pygrad.tensor(y), ps))
        th_loss = th_opt.step(closure(torch, th_opt, torch.tensor(x), torch.tensor(y), th_ps))
        assert loss.item() == pytest.approx(th_loss.item(), rel=1e-9)
    _assert_close(ps, th_ps)


def test_large_parameter_uses_threads_and_matches_torch():
    rng = np.random.default_rng(3)
    w0, g = rng.standard_normal(200_003), rng.standard_normal(200_003)
    p, q = pygrad.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt, th_opt = (
        optim.Adam([p], lr=0.01, amsgrad=True),
        torch.optim.Adam([q], lr=0.01, amsgrad=True),
    )
    for k in range(3):
        p.grad, q.grad = pygrad.tensor(g * (k + 1)), torch.tensor(g * (k + 1))
        opt.step()
        th_opt.step()
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_non_contiguous_parameter_and_grad():
    rng = np.random.default_rng(4)
    w0, g = rng.standard_normal((3, 5)), rng.standard_normal((5, 3))
    p = pygrad.tensor(w0).transpose(0, 1).detach()
    p.requires_grad = True
    assert not p.is_contiguous()
    q = torch.tensor(w0).t().detach().requires_grad_()
    opt, th_opt = (
        optim.RMSprop([p], lr=0.01, momentum=0.9),
        torch.optim.RMSprop([q], lr=0.01, momentum=0.9),
    )
    for _ in range(3):
        p.grad = pygrad.tensor(g.T.copy()).transpose(0, 1)
        q.grad = torch.tensor(g)
        opt.step()
        th_opt.step()
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-12)


def _sgd_hyper(**overrides):
    hyper = {
        "lr": 0.1,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "maximize": False,
    }
    hyper.update(overrides)
    return hyper


def _adam_hyper(**overrides):
    hyper = {
        "lr": 0.1,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
        "maximize": False,
        "decoupled_weight_decay": False,
    }
    hyper.update(overrides)
    return hyper


def test_fused_step_validates_its_inputs():
    p = pygrad.zeros(3, dtype=pygrad.float64)
    step = pygrad._C._optimizer_step
    with pytest.raises(ValueError, match="shape"):
        step("sgd", [p], [pygrad.zeros(4, dtype=pygrad.float64)], [1], _sgd_hyper())
    with pytest.raises(TypeError, match="dtype"):
        step("sgd", [p], [pygrad.zeros(3)], [1], _sgd_hyper())
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        step("lion", [p], [p], [1], {})
    with pytest.raises(TypeError, match="floating"):
        q = pygrad.zeros(3, dtype=pygrad.int64)
        step("sgd", [q], [q], [1], _sgd_hyper())
    with pytest.raises(ValueError, match="step counts start at 1"):
        step("sgd", [p], [p], [0], _sgd_hyper())
    with pytest.raises(ValueError, match="must be finite"):
        step("sgd", [p], [p], [1], _sgd_hyper(lr=math.inf))
    with pytest.raises(TypeError, match="'betas' must be a pair"):
        step("adam", [p], [p], [1], _adam_hyper(betas=(0.9,)))
    zeros = pygrad.zeros(3, dtype=pygrad.float64)
    with pytest.raises(ValueError, match="state slot 'exp_avg' has 2 entries for 1 parameters"):
        step(
            "adam", [p], [p], [1], _adam_hyper(), {"exp_avg": [zeros, zeros], "exp_avg_sq": [zeros]}
        )


def test_fused_step_names_a_missing_or_unknown_field():
    p, g = pygrad.zeros(3, dtype=pygrad.float64), pygrad.ones(3, dtype=pygrad.float64)
    step = pygrad._C._optimizer_step
    hyper = _sgd_hyper()
    del hyper["dampening"]
    with pytest.raises(ValueError, match=r"\[sgd\] missing hyper-parameter 'dampening'; sgd takes"):
        step("sgd", [p], [g], [1], hyper)
    with pytest.raises(
        ValueError, match=r"\[sgd\] unknown hyper-parameter 'betas'; sgd takes \[lr,"
    ):
        step("sgd", [p], [g], [1], _sgd_hyper(betas=(0.9, 0.99)))
    # Adam with amsgrad needs max_exp_avg_sq; without it the slot may be absent.
    slots = {"exp_avg": [pygrad.zeros_like(p)], "exp_avg_sq": [pygrad.zeros_like(p)]}
    with pytest.raises(ValueError, match=r"\[adam\] missing state slot 'max_exp_avg_sq'"):
        step("adam", [p], [g], [1], _adam_hyper(amsgrad=True), slots)
    step("adam", [p], [g], [1], _adam_hyper(), slots)
    with pytest.raises(
        ValueError, match=r"\[adam\] unknown state slot 'momentum_buffer'; adam keeps"
    ):
        step("adam", [p], [g], [1], _adam_hyper(), {**slots, "momentum_buffer": [p]})
    with pytest.raises(ValueError, match=r"\[nadam\] missing state slot 'mu_product'"):
        nadam = _adam_hyper(momentum_decay=4e-3)
        del nadam["amsgrad"]
        step("nadam", [p], [g], [1], nadam, slots)


def test_declarations_match_the_cpp_updates():
    # Each class lists exactly the hyper-parameters and state slots its C++ update reads by name.
    classes = [getattr(optim, name) for name in optim.__all__]
    classes = [c for c in classes if isinstance(c, type) and issubclass(c, Optimizer)]
    classes = [c for c in classes if c.fused_update is not None]
    assert {c.fused_update for c in classes} == set(pygrad._C._optimizer_names())
    for cls in classes:
        hyper, slots = pygrad._C._optimizer_fields(cls.fused_update)
        assert set(cls.hyper_parameters) == set(hyper), cls.__name__
        assert [s.name for s in cls.state_slots] == slots, cls.__name__
        p = pygrad.zeros(1, requires_grad=True)
        assert set(cls([p]).defaults) == set(hyper), cls.__name__


def test_a_declaration_that_disagrees_fails_clearly():
    p = pygrad.tensor(np.ones(3), requires_grad=True)
    p.grad = pygrad.tensor(np.ones(3))
    # Group entries that are not declared hyper-parameters (a scheduler's initial_lr) are not sent.
    optim.SGD([{"params": [p], "initial_lr": 0.5, "note": "x"}], lr=0.1).step()
    np.testing.assert_allclose(p.detach().numpy(), np.full(3, 0.9))

    class Extra(optim.SGD):
        hyper_parameters = {**optim.SGD.hyper_parameters, "foo": None}  # noqa: RUF012  (a declaration, never mutated)

        def __init__(self, params):
            Optimizer.__init__(self, params, {**_sgd_hyper(), "foo": 1.0})

    with pytest.raises(ValueError, match=r"\[sgd\] unknown hyper-parameter 'foo'"):
        Extra([p]).step()

    class Mismatched(optim.SGD):
        def __init__(self, params):
            Optimizer.__init__(self, params, {"lr": 0.1, "momentum": 0.0, "foo": 1.0})

    with pytest.raises(TypeError, match=r"missing \['dampening', .*undeclared \['foo'\]"):
        Mismatched([p])

    class NoBuffer(optim.SGD):
        state_slots = ()

    with pytest.raises(ValueError, match=r"\[sgd\] missing state slot 'momentum_buffer'"):
        NoBuffer([p], lr=0.1, momentum=0.9).step()


class HeavyBall(Optimizer):
    """A toy optimizer declared only in Python: momentum SGD on the fused "sgd" update."""

    fused_update = "sgd"
    hyper_parameters = {  # noqa: RUF012  (a declaration, never mutated)
        "lr": non_negative("Invalid learning rate"),
        "momentum": non_negative("Invalid momentum value"),
        "dampening": None,
        "weight_decay": None,
        "nesterov": None,
        "maximize": None,
    }
    state_slots = (StateSlot("momentum_buffer"),)
    keeps_step = False

    def __init__(self, params, lr=0.05, momentum=0.8):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": 0.0,
            "weight_decay": 0.0,
            "nesterov": False,
            "maximize": False,
        }
        super().__init__(params, defaults)


class NesterovSGD(optim.SGD):
    """A toy subclass of SGD with other defaults."""

    def __init__(self, params, lr=0.02, momentum=0.9, weight_decay=0.01):
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=True)


def test_an_optimizer_declared_in_python_reuses_a_fused_update(monkeypatch):
    calls = []
    original = pygrad._C._optimizer_step

    def counting(name, params, *args, **kwargs):
        calls.append(name)
        return original(name, params, *args, **kwargs)

    monkeypatch.setattr(pygrad._C, "_optimizer_step", counting)
    pg_opt, _, _ = _follow_torch(
        lambda ps: HeavyBall(ps), lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8), steps=20
    )
    assert calls == ["sgd"] * 20
    assert set(pg_opt.state_dict()["state"][0]) == {"momentum_buffer"}
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        HeavyBall([pygrad.zeros(1, requires_grad=True)], lr=-1)
    _follow_torch(
        lambda ps: NesterovSGD(ps),
        lambda ps: torch.optim.SGD(ps, lr=0.02, momentum=0.9, weight_decay=0.01, nesterov=True),
        steps=20,
    )


def test_constructor_checks_match_torch():
    p, q = [pygrad.zeros(2, requires_grad=True)], [torch.zeros(2, requires_grad=True)]
    cases = [
        ("SGD", {"lr": -1}),
        ("SGD", {"momentum": -0.5}),
        ("SGD", {"weight_decay": -1}),
        ("SGD", {"nesterov": True}),
        ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
        ("Adam", {"eps": -1}),
        ("Adam", {"betas": (1.0, 0.9)}),
        ("AdamW", {"betas": (0.9, -0.1)}),
        ("Adam", {"weight_decay": -1, "eps": -1}),
        ("RMSprop", {"alpha": -1}),
        ("RMSprop", {"momentum": -1, "weight_decay": -1}),
        ("Adagrad", {"lr_decay": -1}),
        ("Adagrad", {"initial_accumulator_value": -1}),
        ("Adadelta", {"rho": 1.5}),
        ("Adamax", {"eps": -1, "betas": (2.0, 0.5)}),
        ("NAdam", {"momentum_decay": -1}),
        ("RAdam", {"lr": -1, "eps": -1}),
    ]
    for name, kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)(q, **kwargs)
        with pytest.raises(ValueError) as ours:
            getattr(optim, name)(p, **kwargs)
        assert str(ours.value) == str(theirs.value), (name, kwargs)


# ---- schedulers
def _schedule_pair(
    pg_factory, th_factory, optimizer="SGD", opt_kwargs=None, steps=30, groups=1, metrics=None
):
    opt_kwargs = opt_kwargs if opt_kwargs is not None else {"lr": 0.1, "momentum": 0.9}
    pg_groups = [
        {"params": [pygrad.zeros(1, requires_grad=True)], "lr": 0.1 * (i + 1)}
        for i in range(groups)
    ]
    th_groups = [
        {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1 * (i + 1)} for i in range(groups)
    ]
    pg_opt = getattr(optim, optimizer)(pg_groups, **opt_kwargs)
    th_opt = getattr(torch.optim, optimizer)(th_groups, **opt_kwargs)
    pg_sched, th_sched = pg_factory(pg_opt), th_factory(th_opt)
    ours, theirs = [pg_sched.get_last_lr()], [th_sched.get_last_lr()]
    for k in range(steps):
        pg_opt.step()
        th_opt.step()
        if metrics is not None:
            pg_sched.step(metrics[k])
            th_sched.step(metrics[k])
        else:
            pg_sched.step()
            th_sched.step()
        ours.append(pg_sched.get_last_lr())
        theirs.append(th_sched.get_last_lr())
        for g, h in zip(pg_opt.param_groups, th_opt.param_groups):
            assert g["lr"] == pytest.approx(h["lr"], rel=1e-12, abs=1e-15)
            if "momentum" in g:
                assert g["momentum"] == pytest.approx(h["momentum"], rel=1e-12)
            if "betas" in g:
                assert g["betas"][0] == pytest.approx(h["betas"][0], rel=1e-12)
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12, atol=1e-15)
    return pg_sched, th_sched, ours


SCHEDULER_CASES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=8),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=12),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=30),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o,
        max_lr=[1.0, 2.0][: len(o.param_groups)],
        total_steps=31,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULER_CASES))
@pytest.mark.parametrize("groups", [1, 2])
def test_scheduler_matches_torch(name, groups):
    factory = SCHEDULER_CASES[name]
    _schedule_pair(
        lambda o: factory(lr_scheduler, o),
        lambda o: factory(torch.optim.lr_scheduler, o),
        groups=groups,
    )


def test_one_cycle_cycles_adam_beta1():
    factory = SCHEDULER_CASES["OneCycleLR"]
    _schedule_pair(
        lambda o: factory(lr_scheduler, o),
        lambda o: factory(torch.optim.lr_scheduler, o),
        optimizer="Adam",
        opt_kwargs={"lr": 0.01},
    )


def test_one_cycle_rejects_too_many_steps():
    opt = optim.SGD([pygrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step"):
        sched.step()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "max", "factor": 0.5, "patience": 2, "threshold": 0.1, "cooldown": 2},
        {"patience": 1, "threshold_mode": "abs", "threshold": 0.05, "min_lr": 0.02},
        {"mode": "max", "patience": 0, "threshold_mode": "abs", "min_lr": [0.01, 0.05]},
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(5)
    metrics = list(1.0 / np.arange(1, 31) + rng.uniform(0, 0.3, 30))
    metrics[10:20] = [0.5] * 10
    groups = 2 if isinstance(kwargs.get("min_lr"), list) else 1
    pg, th, lrs = _schedule_pair(
        lambda o: lr_scheduler.ReduceLROnPlateau(o, **kwargs),
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kwargs),
        metrics=metrics,
        groups=groups,
    )
    assert len({tuple(lr) for lr in lrs}) > 1  # it did reduce
    assert pg.best == th.best and pg.num_bad_epochs == th.num_bad_epochs


def test_scheduler_state_dict_round_trip():
    def make():
        opt = optim.SGD([pygrad.zeros(1, requires_grad=True)], lr=0.1)
        return opt, lr_scheduler.CosineAnnealingLR(opt, T_max=10)

    opt, sched = make()
    for _ in range(4):
        opt.step()
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 4
    opt2, sched2 = make()
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    for _ in range(6):
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
        assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_scheduler_sets_initial_lr_and_requires_it_when_resuming():
    opt = optim.SGD([pygrad.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert opt.param_groups[0]["initial_lr"] == 0.1 and sched.base_lrs == [0.1]
    with pytest.raises(TypeError):
        lr_scheduler.StepLR(object(), step_size=1)


# ---- gradient clipping
def _grads_pair(seed=6):
    rng = np.random.default_rng(seed)
    arrays = [
        rng.standard_normal((3, 4)) * 3,
        rng.standard_normal(5),
        rng.standard_normal((2, 2)) * 10,
    ]
    pg_ps, th_ps = _pygrad_params(arrays), _torch_params(arrays)
    for a, p, q in zip(arrays, pg_ps, th_ps):
        p.grad = pygrad.tensor(a * 2 - 1)
        q.grad = torch.tensor(a * 2 - 1)
    return pg_ps, th_ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    pg_ps, th_ps = _grads_pair()
    total = nn_utils.clip_grad_norm_(pg_ps, max_norm, norm_type=norm_type)
    th_total = torch.nn.utils.clip_grad_norm_(th_ps, max_norm, norm_type=norm_type)
    assert isinstance(total, pygrad.Tensor) and total.ndim == 0
    assert total.item() == pytest.approx(th_total.item(), rel=1e-10)
    for p, q in zip(pg_ps, th_ps):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_clip_grad_norm_edge_cases():
    p = pygrad.tensor(np.ones(2), requires_grad=True)
    assert nn_utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients
    p.grad = pygrad.tensor(np.array([3.0, 4.0]))
    assert nn_utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(
        5.0
    )  # a single tensor works too
    np.testing.assert_allclose(p.grad.numpy(), np.array([0.6, 0.8]), rtol=1e-5)
    p.grad = pygrad.tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn_utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("clip_value", [0.1, 1.5, 100.0])
def test_clip_grad_value_matches_torch(clip_value):
    pg_ps, th_ps = _grads_pair()
    nn_utils.clip_grad_value_(pg_ps, clip_value)
    torch.nn.utils.clip_grad_value_(th_ps, clip_value)
    for p, q in zip(pg_ps, th_ps):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_clipping_then_step_matches_torch():
    def pg_opt(ps):
        opt = optim.SGD(ps, lr=0.1, momentum=0.9)
        original = opt.step

        def step(closure=None):
            nn_utils.clip_grad_norm_(ps, 0.5)
            return original(closure)

        opt.step = step
        return opt

    def th_opt(ps):
        opt = torch.optim.SGD(ps, lr=0.1, momentum=0.9)
        original = opt.step

        def step(closure=None):
            torch.nn.utils.clip_grad_norm_(ps, 0.5)
            return original(closure)

        opt.step = step
        return opt

    _follow_torch(pg_opt, th_opt, steps=20)
