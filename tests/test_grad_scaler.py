"""GradScaler against torch.amp.GradScaler("cpu"): the scale sequence and parameters over a training run with
injected overflows, unscale_/step/update ordering errors, state_dict round trips, the disabled pass-through."""

import pickle
import warnings

import numpy as np
import pytest
import torch

import pygrad
from pygrad.amp.grad_scaler import GradScaler

RNG = np.random.default_rng(11)


def _pair_models(in_f=4, hidden=5, out_f=3):
    w1 = RNG.standard_normal((hidden, in_f)).astype(np.float32)
    b1 = RNG.standard_normal(hidden).astype(np.float32)
    w2 = RNG.standard_normal((out_f, hidden)).astype(np.float32)
    pg_params = [pygrad.nn.Parameter(pygrad.tensor(a)) for a in (w1, b1, w2)]
    th_params = [torch.nn.Parameter(torch.tensor(a)) for a in (w1, b1, w2)]
    return pg_params, th_params


def _forward_pg(params, x):
    w1, b1, w2 = params
    return ((x @ w1.T + b1).tanh() @ w2.T).pow(2).mean()


def _forward_th(params, x):
    w1, b1, w2 = params
    return ((x @ w1.T + b1).tanh() @ w2.T).pow(2).mean()


@pytest.mark.parametrize("optim_name", ["SGD", "Adam"])
def test_training_run_matches_torch(optim_name):
    pg_params, th_params = _pair_models()
    kwargs = {"lr": 0.05, "momentum": 0.9} if optim_name == "SGD" else {"lr": 0.01}
    pg_opt = getattr(pygrad.optim, optim_name)(pg_params, **kwargs)
    th_opt = getattr(torch.optim, optim_name)(th_params, **kwargs)
    # a small growth interval so the run both grows and backs off the scale
    settings = {"init_scale": 2.0**10, "growth_factor": 4.0, "backoff_factor": 0.25}
    pg_scaler = GradScaler("cpu", growth_interval=3, **settings)
    th_scaler = torch.amp.GradScaler("cpu", growth_interval=3, **settings)
    overflow_steps = {2, 7, 8, 15, 22}
    nan_steps = {11, 26}
    clip_steps = {4, 13}  # unscale_ by hand before step, as gradient clipping does
    pg_scales, th_scales = [], []
    for step in range(30):
        x = RNG.standard_normal((6, 4)).astype(np.float32)
        pg_opt.zero_grad()
        th_opt.zero_grad()
        pg_scaler.scale(_forward_pg(pg_params, pygrad.tensor(x))).backward()
        th_scaler.scale(_forward_th(th_params, torch.tensor(x))).backward()
        if step in overflow_steps or step in nan_steps:
            bad = float("inf") if step in overflow_steps else float("nan")
            which = step % 3
            with pygrad.no_grad():
                pg_params[which].grad.view(-1)[1] = bad
            with torch.no_grad():
                th_params[which].grad.view(-1)[1] = bad
        if step in clip_steps:
            pg_scaler.unscale_(pg_opt)
            th_scaler.unscale_(th_opt)
            # the two libraries' float32 forward/backward round differently in the last bits
            for p, q in zip(pg_params, th_params):
                np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6)
        pg_scaler.step(pg_opt)
        th_scaler.step(th_opt)
        pg_scaler.update()
        th_scaler.update()
        pg_scales.append(pg_scaler.get_scale())
        th_scales.append(th_scaler.get_scale())
        assert pg_scaler._get_growth_tracker() == th_scaler._get_growth_tracker()
        for p, q in zip(pg_params, th_params):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6)
    assert pg_scales == th_scales
    # the run went both ways
    pairs = list(zip(pg_scales, pg_scales[1:]))
    assert any(b > a for a, b in pairs) and any(b < a for a, b in pairs)


def test_scale_nested_outputs_and_errors():
    scaler = GradScaler("cpu", init_scale=8.0)
    a = pygrad.tensor(RNG.standard_normal(3).astype(np.float32))
    b = pygrad.tensor(RNG.standard_normal((2, 2)).astype(np.float32))
    out = scaler.scale([a, (b, [a])])
    assert isinstance(out, list) and isinstance(out[1], tuple) and isinstance(out[1][1], list)
    np.testing.assert_array_equal(out[0].numpy(), a.numpy() * 8)
    np.testing.assert_array_equal(out[1][0].numpy(), b.numpy() * 8)
    np.testing.assert_array_equal(out[1][1][0].numpy(), a.numpy() * 8)
    # torch's scale is a 0-d float32 tensor: a float16 output stays float16
    half = pygrad.tensor(np.ones(2, np.float32)).to(pygrad.float16)
    assert scaler.scale(half).dtype == pygrad.float16
    with pytest.raises(ValueError, match="outputs must be a Tensor"):
        scaler.scale([a, 3.0])


def test_unscale_twice_and_after_step_raise_like_torch():
    for make, lib, scaler_cls in (
        (pygrad.nn.Parameter, pygrad, GradScaler),
        (torch.nn.Parameter, torch, lambda *a, **k: torch.amp.GradScaler(*a, **k)),
    ):
        p = make(lib.ones(3))
        opt = lib.optim.SGD([p], lr=0.1)
        scaler = scaler_cls("cpu", init_scale=4.0)
        scaler.scale((p * 2).sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            scaler.unscale_(opt)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
            scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            scaler.step(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            scaler.step(opt, closure=lambda: 0.0)
        scaler.update()
        np.testing.assert_allclose(np.asarray(p.detach().numpy()), np.full(3, 0.8), rtol=1e-6)


def test_methods_before_scale_raise():
    opt = pygrad.optim.SGD([pygrad.nn.Parameter(pygrad.ones(2))], lr=0.1)
    scaler = GradScaler("cpu")
    with pytest.raises(AssertionError, match="Attempted unscale_ but _scale is None"):
        scaler.unscale_(opt)
    with pytest.raises(AssertionError, match="Attempted update but _scale is None"):
        scaler.update()


def test_update_with_new_scale_and_setters():
    pg_scaler = GradScaler("cpu", init_scale=16.0)
    th_scaler = torch.amp.GradScaler("cpu", init_scale=16.0)
    for scaler, lib in ((pg_scaler, pygrad), (th_scaler, torch)):
        scaler.scale(lib.ones(1))
        scaler.update(3.0)
        assert scaler.get_scale() == 3.0
        scaler.update(lib.tensor(5.0))
        assert scaler.get_scale() == 5.0
        with pytest.raises(AssertionError, match="new_scale should be a float"):
            scaler.update(lib.tensor([1.0, 2.0]))
        scaler.set_growth_factor(3.0)
        scaler.set_backoff_factor(0.125)
        scaler.set_growth_interval(7)
        assert (scaler.get_growth_factor(), scaler.get_backoff_factor()) == (3.0, 0.125)
        assert scaler.get_growth_interval() == 7
    assert pg_scaler.state_dict() == th_scaler.state_dict()


def test_state_dict_round_trip_and_torch_interchange():
    pg_params, th_params = _pair_models()
    pg_opt = pygrad.optim.SGD(pg_params, lr=0.01)
    th_opt = torch.optim.SGD(th_params, lr=0.01)
    pg_scaler = GradScaler("cpu", init_scale=2.0**6, growth_interval=2)
    th_scaler = torch.amp.GradScaler("cpu", init_scale=2.0**6, growth_interval=2)
    for _ in range(3):
        x = RNG.standard_normal((6, 4)).astype(np.float32)
        for scaler, opt, params, fwd, lib in (
            (pg_scaler, pg_opt, pg_params, _forward_pg, pygrad),
            (th_scaler, th_opt, th_params, _forward_th, torch),
        ):
            opt.zero_grad()
            scaler.scale(fwd(params, lib.tensor(x))).backward()
            scaler.step(opt)
            scaler.update()
    state = pg_scaler.state_dict()
    assert state == th_scaler.state_dict()
    assert sorted(state) == [
        "_growth_tracker",
        "backoff_factor",
        "growth_factor",
        "growth_interval",
        "scale",
    ]
    assert state["_growth_tracker"] == 1 and state["scale"] == 2.0**7
    # into a fresh scaler (before its first scale()) and into a used one
    fresh = GradScaler("cpu")
    fresh.load_state_dict(th_scaler.state_dict())
    assert fresh.state_dict() == state
    used = GradScaler("cpu", init_scale=3.0)
    used.scale(pygrad.ones(1))
    used.load_state_dict(state)
    assert used.state_dict() == state and used.scale(pygrad.ones(1)).item() == 2.0**7
    # and back into torch
    th_fresh = torch.amp.GradScaler("cpu")
    th_fresh.load_state_dict(state)
    assert th_fresh.state_dict() == state
    # pickling keeps the scale, as torch's
    clone = pickle.loads(pickle.dumps(pg_scaler))
    assert clone.state_dict() == state
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        fresh.load_state_dict({})


def test_disabled_is_a_pass_through():
    p = pygrad.nn.Parameter(pygrad.tensor(RNG.standard_normal(4).astype(np.float32)))
    q = torch.nn.Parameter(torch.tensor(p.detach().numpy()))
    pg_opt = pygrad.optim.SGD([p], lr=0.1)
    th_opt = torch.optim.SGD([q], lr=0.1)
    pg_scaler = GradScaler("cpu", enabled=False)
    th_scaler = torch.amp.GradScaler("cpu", enabled=False)
    for scaler, param, opt in ((pg_scaler, p, pg_opt), (th_scaler, q, th_opt)):
        loss = (param * param).sum()
        assert scaler.scale(loss) is loss
        loss.backward()
        grad_before = param.grad.detach().numpy().copy()
        scaler.unscale_(opt)
        np.testing.assert_array_equal(param.grad.detach().numpy(), grad_before)
        scaler.step(opt)
        scaler.update()
        assert scaler.get_scale() == 1.0 and not scaler.is_enabled()
        assert scaler.state_dict() == {}
        scaler.load_state_dict({})  # a no-op when disabled
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6)


def test_cuda_without_gpu_warns_and_disables():
    if pygrad.cuda.is_available():
        pytest.skip("a GPU is available: the cuda scaler stays enabled")
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
        scaler = GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert GradScaler("cuda", enabled=False).is_enabled() is False


def test_bad_factors_raise():
    with pytest.raises(AssertionError, match=r"growth factor must be > 1\.0"):
        GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match=r"backoff factor must be < 1\.0"):
        GradScaler("cpu", backoff_factor=1.0)
