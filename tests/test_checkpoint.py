"""pygrad.utils.checkpoint: gradients equal to the plain computation, RNG replay, memory, errors."""

import gc
import weakref

import numpy as np
import pytest

import pygrad
from pygrad import nn
from pygrad.utils.checkpoint import checkpoint, checkpoint_sequential


def _fork_like_checkpoint(seed):
    # What checkpoint does before running its region: draw a seed from the global stream, seed it.
    pygrad.manual_seed(seed)
    pygrad.manual_seed(int(pygrad._C._randint(0, 2**62, [1], pygrad.int64).item()))


def _mlp():
    pygrad.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3)
    ).double()


def _grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()], x.grad.numpy().copy()


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_mlp_with_dropout_gradients_equal_plain(use_reentrant):
    model = _mlp()
    x = pygrad.randn(5, 4, dtype=pygrad.float64, requires_grad=True)
    pygrad.manual_seed(3)
    y = checkpoint(model, x, use_reentrant=use_reentrant)
    (y * y).sum().backward()
    got, got_x = _grads(model, x)
    model.zero_grad()
    x.grad = None
    _fork_like_checkpoint(3)
    expected_y = model(x)
    (expected_y * expected_y).sum().backward()
    want, want_x = _grads(model, x)
    np.testing.assert_allclose(y.detach().numpy(), expected_y.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(got_x, want_x, rtol=1e-10, atol=1e-12)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert any((g == 0).any() for g in got)  # dropout did drop units


def test_without_rng_preservation_masks_differ():
    model = _mlp()
    x = pygrad.randn(64, 4, dtype=pygrad.float64, requires_grad=True)
    pygrad.manual_seed(3)
    y = checkpoint(model, x, use_reentrant=True, preserve_rng_state=False)
    y.sum().backward()
    got, _ = _grads(model, x)
    model.zero_grad()
    pygrad.manual_seed(3)
    model(x).sum().backward()
    want, _ = _grads(model, x)
    assert not all(np.allclose(a, b) for a, b in zip(got, want))


def test_non_tensor_args_multiple_outputs_and_inputs_without_grad():
    w = nn.Parameter(pygrad.randn(3, 3, dtype=pygrad.float64))
    a = pygrad.randn(2, 3, dtype=pygrad.float64, requires_grad=True)
    b = pygrad.randn(2, 3, dtype=pygrad.float64)  # no grad

    def fn(x, scale, y, name):
        assert name == "tag"
        h = (x @ w).sin() * scale
        return h + y, (h * y).sum(), name

    out1, out2, tag = checkpoint(fn, a, 2.5, b, "tag", use_reentrant=True)
    assert tag == "tag"
    (out1.pow(2).sum() + 3 * out2).backward()
    got_a, got_w = a.grad.numpy().copy(), w.grad.numpy().copy()
    a.grad = None
    w.grad = None
    e1, e2, _ = fn(a, 2.5, b, "tag")
    (e1.pow(2).sum() + 3 * e2).backward()
    np.testing.assert_allclose(got_a, a.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got_w, w.grad.numpy(), rtol=1e-12)
    assert b.grad is None


def test_keyword_arguments_and_no_input_requiring_grad_with_non_reentrant():
    layer = nn.Linear(3, 2).double()
    x = pygrad.randn(4, 3, dtype=pygrad.float64)

    def fn(x, *, shift):
        return layer(x) + shift

    y = checkpoint(fn, x, shift=1.5, use_reentrant=False)
    assert y.requires_grad
    y.sum().backward()
    got = layer.weight.grad.numpy().copy()
    layer.zero_grad()
    fn(x, shift=1.5).sum().backward()
    np.testing.assert_allclose(got, layer.weight.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: shift"):
        checkpoint(fn, x, shift=1.5, use_reentrant=True)


def test_reentrant_with_no_input_requiring_grad_warns_like_torch():
    layer = nn.Linear(3, 2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(layer, pygrad.randn(2, 3), use_reentrant=True)
    assert not y.requires_grad


def test_use_reentrant_must_be_passed_and_determinism_check_values():
    x = pygrad.randn(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(lambda t: t * 2, x, use_reentrant=False, determinism_check="shapes")


@pytest.mark.parametrize("segments", [1, 2, 3])
@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential_matches_plain(segments, use_reentrant):
    pygrad.manual_seed(1)
    model = nn.Sequential(
        nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 6), nn.Sigmoid(), nn.Linear(6, 2)
    ).double()
    x = pygrad.randn(4, 3, dtype=pygrad.float64, requires_grad=True)
    y = checkpoint_sequential(model, segments, x, use_reentrant=use_reentrant)
    y.pow(3).sum().backward()
    got, got_x = _grads(model, x)
    model.zero_grad()
    x.grad = None
    expected = model(x)
    expected.pow(3).sum().backward()
    want, want_x = _grads(model, x)
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(got_x, want_x, rtol=1e-10)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    # A plain list of modules works too.
    assert checkpoint_sequential(list(model), segments, x, use_reentrant=True).shape == (4, 2)


class _Square(pygrad.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t * t

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return 2 * t * grad


def test_intermediates_are_not_kept_after_forward():
    x = pygrad.randn(8, 8, dtype=pygrad.float64, requires_grad=True)
    refs = []
    calls = []

    def fn(t):
        calls.append(1)
        h = t.sin()
        refs.append(weakref.ref(h))
        return _Square.apply(h)

    y = checkpoint(fn, x, use_reentrant=True)
    gc.collect()
    assert refs[0]() is None  # nothing recorded: sin's output is gone
    z = fn(x)
    gc.collect()
    assert refs[1]() is not None  # the plain graph keeps it for _Square's backward
    y.sum().backward()
    assert len(calls) == 3  # forward, plain run, recomputation in backward
    got = x.grad.numpy().copy()
    x.grad = None
    z.sum().backward()
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-12)


def test_input_modified_in_place_after_forward_is_an_error():
    x = pygrad.randn(3, requires_grad=True)
    h = x * 1.0
    y = checkpoint(lambda t: t.exp(), h, use_reentrant=True)
    with pygrad.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation|in-place"):
        y.sum().backward()
