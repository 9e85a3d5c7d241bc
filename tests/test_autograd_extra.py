"""torch.autograd's remaining names in pygrad.autograd: Variable, anomaly detection (flags, nan errors),
grad_mode, inference_mode, multithreading switch, and the minimal profiler; against torch 2.13."""

import re
import warnings

import numpy as np
import pytest
import torch

import pygrad
from pygrad import autograd

RNG = np.random.default_rng(5)


def _pair(array, requires_grad=True):
    return (
        pygrad.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _quiet_detect(lib, check_nan=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lib.autograd.detect_anomaly(check_nan=check_nan)


def _torch_name(message):
    """torch's error with its node names' numeric suffix dropped (SqrtBackward0 -> SqrtBackward)."""
    return re.sub(r"'(\w+Backward)\d+'", r"'\1'", message)


# ---------------------------------------------------------------- Variable


def test_variable_returns_a_tensor_like_torch():
    data = RNG.standard_normal(4).astype(np.float32)
    for lib in (pygrad, torch):
        t = lib.tensor(data)
        v = lib.autograd.Variable(t, requires_grad=True)
        assert v is not t and v.requires_grad and v.is_leaf and not t.requires_grad
        assert isinstance(v, lib.Tensor)
        assert isinstance(t, lib.autograd.Variable) and not isinstance(3.0, lib.autograd.Variable)
        with lib.no_grad():
            v[0] = 7.0  # the same memory
        assert t[0].item() == 7.0
        y = v * 2
        w = lib.autograd.Variable(y)
        assert w.grad_fn is None and not w.requires_grad
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
            lib.autograd.Variable(3)
        with pytest.warns(UserWarning, match="volatile was removed"):
            lib.autograd.Variable(t, volatile=True)
        assert pygrad.autograd.variable.Variable is pygrad.autograd.Variable


# ---------------------------------------------------------------- anomaly flags


def test_anomaly_flags_follow_torch():
    for lib in (pygrad, torch):
        ag = lib.autograd
        is_on = lib.is_anomaly_enabled if lib is torch else ag.is_anomaly_enabled
        check_nan = (
            lib.is_anomaly_check_nan_enabled if lib is torch else ag.is_anomaly_check_nan_enabled
        )
        assert (is_on(), check_nan()) == (False, True)
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            mode = ag.detect_anomaly(check_nan=False)
        with mode:
            assert (is_on(), check_nan()) == (True, False)
            with ag.set_detect_anomaly(False):
                assert (is_on(), check_nan()) == (False, True)
            assert (is_on(), check_nan()) == (True, False)
        assert (is_on(), check_nan()) == (False, True)
        ag.set_detect_anomaly(True)  # as a call
        assert is_on()
        ag.set_detect_anomaly(False)
        assert not is_on()


def test_detect_anomaly_as_decorator_and_backward_restored():
    plain = pygrad.Tensor.backward
    with pytest.warns(UserWarning, match="Anomaly Detection"):

        @autograd.detect_anomaly()
        def inside():
            return autograd.is_anomaly_enabled(), pygrad.Tensor.backward is plain

    assert inside() == (True, False)
    assert not autograd.is_anomaly_enabled() and pygrad.Tensor.backward is plain


# ---------------------------------------------------------------- nan errors


def _sqrt_loss(x):
    return (x.sqrt() * 2).sum()


def _errors(run_pg, run_th):
    """The two libraries' errors (None when it ran through)."""
    out = []
    for lib, run in ((pygrad, run_pg), (torch, run_th)):
        try:
            with _quiet_detect(lib):
                run()
        except RuntimeError as err:
            out.append(str(err))
        else:
            out.append(None)
    return out


def test_nan_from_a_builtin_backward_raises_like_torch():
    data = np.array([-1.0, 0.5, 4.0], np.float32)
    # autograd.grad
    x, xt = _pair(data)
    pg_err, th_err = _errors(
        lambda: autograd.grad(_sqrt_loss(x), x), lambda: torch.autograd.grad(_sqrt_loss(xt), xt)
    )
    assert th_err == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert pg_err == _torch_name(th_err)
    # Tensor.backward(inputs=) and autograd.backward(inputs=)
    for call in (
        lambda lib, t: _sqrt_loss(t).backward(inputs=[t]),
        lambda lib, t: lib.autograd.backward(_sqrt_loss(t), inputs=[t]),
    ):
        x, xt = _pair(data)
        pg_err, th_err = _errors(
            lambda call=call, x=x: call(pygrad, x), lambda call=call, xt=xt: call(torch, xt)
        )
        assert th_err is not None and pg_err == _torch_name(th_err)
    # backward() into a Parameter (found without inputs=)
    p = pygrad.nn.Parameter(pygrad.tensor(data))
    q = torch.nn.Parameter(torch.tensor(data))
    pg_err, th_err = _errors(lambda: _sqrt_loss(p).backward(), lambda: _sqrt_loss(q).backward())
    assert th_err is not None and pg_err == _torch_name(th_err)
    # the nan came from the multiplication's backward: pygrad names the function feeding the leaf
    x, xt = _pair(np.ones(3, np.float32))
    pg_err, th_err = _errors(
        lambda: autograd.grad((x * float("nan")).sum(), x),
        lambda: torch.autograd.grad((xt * float("nan")).sum(), xt),
    )
    assert (
        pg_err
        == _torch_name(th_err)
        == "Function 'MulBackward' returned nan values in its 0th output."
    )


def test_nan_through_two_paths_names_both():
    p = pygrad.nn.Parameter(pygrad.tensor(np.array([-1.0, 2.0], np.float32)))
    with _quiet_detect(pygrad), pytest.raises(RuntimeError) as info:
        (p.sqrt() + p.exp()).sum().backward()
    assert "returned nan values" in str(info.value)
    assert "'SqrtBackward'" in str(info.value) and "'ExpBackward'" in str(info.value)


def test_custom_function_nan_message_is_torchs():
    messages = []
    for lib in (pygrad, torch):

        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, scale, x, y):
                return x * scale + y

            @staticmethod
            def backward(ctx, grad):
                return None, grad, grad * float("nan")

        x = lib.ones(3, requires_grad=True)
        y = lib.ones(3, requires_grad=True)
        with _quiet_detect(lib), pytest.raises(RuntimeError) as info:
            Bad.apply(2.0, x, y).sum().backward()
        messages.append(str(info.value))
        # outside anomaly mode the nan goes through
        Bad.apply(2.0, x, y).sum().backward()
        assert bool(lib.isnan(y.grad).all())
    assert (
        messages[0]
        == messages[1]
        == "Function 'BadBackward' returned nan values in its 1th output."
    )


def test_no_nan_or_check_nan_off_runs_like_torch():
    data = RNG.uniform(0.5, 2.0, 5).astype(np.float32)
    x, xt = _pair(data)
    with _quiet_detect(pygrad):
        _sqrt_loss(x).backward(inputs=[x])
        (gx,) = autograd.grad(_sqrt_loss(x), x)
    with _quiet_detect(torch):
        _sqrt_loss(xt).backward(inputs=[xt])
        (gt,) = torch.autograd.grad(_sqrt_loss(xt), xt)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), gt.numpy(), rtol=1e-6)
    bad = np.array([-1.0, 1.0], np.float32)
    x, xt = _pair(bad)
    with _quiet_detect(pygrad, check_nan=False):
        _sqrt_loss(x).backward(inputs=[x])
    with _quiet_detect(torch, check_nan=False):
        _sqrt_loss(xt).backward(inputs=[xt])
    np.testing.assert_array_equal(np.isnan(x.grad.numpy()), np.isnan(xt.grad.numpy()))
    # a .grad already holding nan is not a new anomaly (torch checks the functions' outputs only)
    p = pygrad.nn.Parameter(pygrad.tensor(np.ones(2, np.float32)))
    p.grad = pygrad.tensor(np.array([np.nan, 1.0], np.float32))
    with _quiet_detect(pygrad):
        (p * 3).sum().backward()
    assert np.isnan(p.grad.numpy()[0]) and p.grad.numpy()[1] == 4.0


# ---------------------------------------------------------------- grad modes, multithreading


def test_grad_mode_module_names_match_torch():
    wanted = set(torch.autograd.grad_mode.__all__) - {"enforce_grad_layout_policy"}
    assert wanted <= set(autograd.grad_mode.__all__)
    for name in wanted:
        assert hasattr(autograd.grad_mode, name)
    assert autograd.inference_mode is pygrad.inference_mode
    x = pygrad.ones(2, requires_grad=True)
    with autograd.grad_mode.inference_mode():
        assert (x * 2).grad_fn is None
    with autograd.inference_mode(mode=False):
        assert (x * 2).grad_fn is not None

    @autograd.grad_mode.inference_mode()
    def evaluate():
        return (x * 2).requires_grad

    assert evaluate() is False


def test_multithreading_switch_like_torch():
    for ag in (autograd, torch.autograd):
        assert ag.is_multithreading_enabled()
        with ag.set_multithreading_enabled(False):
            assert not ag.is_multithreading_enabled()
        assert ag.is_multithreading_enabled()
        ag.set_multithreading_enabled(False)
        assert not ag.is_multithreading_enabled()
        ag.set_multithreading_enabled(True)
        assert ag.is_multithreading_enabled()


# ---------------------------------------------------------------- profiler


def test_profiler_counts_nesting_and_table():
    prof_mod = autograd.profiler

    @prof_mod.record_function("decorated")
    def work(n):
        return sum(range(n))

    # "before" was entered before profiling began: not recorded
    with prof_mod.record_function("before"), prof_mod.profile() as prof:
        for _ in range(3):
            with prof_mod.record_function("outer"):
                with prof_mod.record_function("inner"):
                    work(100)
                work(10)
    averages = {e.key: e for e in prof.key_averages()}
    assert set(averages) == {"outer", "inner", "decorated"}
    assert (averages["outer"].count, averages["inner"].count, averages["decorated"].count) == (
        3,
        3,
        6,
    )
    outer, inner, deco = averages["outer"], averages["inner"], averages["decorated"]
    # self time = total less the nested regions' totals (exact bookkeeping, whatever the durations)
    events = prof.events()

    def inside_inner(e):
        return any(
            o.name == "inner" and o.start_us <= e.start_us and e.end_us <= o.end_us for o in events
        )

    decorated = [e for e in events if e.name == "decorated"]
    deco_in_inner = sum(e.cpu_time_total for e in decorated if inside_inner(e))
    deco_direct = sum(e.cpu_time_total for e in decorated if not inside_inner(e))
    assert len([e for e in decorated if inside_inner(e)]) == 3
    assert inner.self_cpu_time_total == pytest.approx(inner.cpu_time_total - deco_in_inner)
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - inner.cpu_time_total - deco_direct
    )
    assert deco.self_cpu_time_total == pytest.approx(deco.cpu_time_total)
    assert outer.cpu_time == pytest.approx(outer.cpu_time_total / 3)
    assert prof.self_cpu_time_total == pytest.approx(
        sum(e.self_cpu_time_total for e in averages.values())
    )
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    lines = table.splitlines()
    assert "Name" in lines[1] and "# of Calls" in lines[1] and "CPU time avg" in lines[1]
    rows = [line.split() for line in lines[3:6]]
    assert (
        rows[0][0] == "outer" and rows[0][-1] == "3"
    )  # the outermost region has the largest total
    assert {r[0] for r in rows} == {"outer", "inner", "decorated"}
    assert lines[-1].startswith("Self CPU time total:")
    count_sorted = prof.key_averages().table(sort_by="count").splitlines()
    assert count_sorted[3].split()[0] == "decorated"


def test_profiler_disabled_and_unfinished():
    prof_mod = autograd.profiler
    with prof_mod.profile(enabled=False) as prof, prof_mod.record_function("x"):
        pass
    with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
        prof.key_averages()
    prof = prof_mod.profile(record_shapes=True, use_cuda=False)  # torch's options: ignored
    with prof, pytest.raises(RuntimeError, match="didn't finish"):
        prof.key_averages()
    assert len(prof.key_averages()) == 0
