"""pygrad.autograd.Function (custom differentiable ops) against torch.autograd.Function: the same
subclass bodies run on both libraries and give the same values and gradients."""

import gc
import weakref

import numpy as np
import pytest
import torch

import pygrad

RNG = np.random.default_rng(5)


def _functions(lib):
    base = lib.autograd.Function

    class Exp(base):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class ScaledMul(base):  # non-tensor argument, needs_input_grad, attributes on ctx
        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            return a * b * scale

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ga = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
            gb = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class SplitSum(base):  # two differentiable outputs and one non-differentiable
        @staticmethod
        def forward(x):
            return x.sum(1), (x * x).sum(1), x.argmax(1)

        @staticmethod
        def backward(ctx, g_sum, g_sq, g_idx):
            (x,) = ctx.saved_tensors
            return g_sum.unsqueeze(1) + 2 * x * g_sq.unsqueeze(1)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.mark_non_differentiable(output[2])

    class Cube(base):  # backward written with ops: differentiable again (create_graph)
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    class Broadcasting(base):  # a gradient of the output's shape is summed to the input's
        @staticmethod
        def forward(ctx, x, bias):
            return x + bias

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    return Exp, ScaledMul, SplitSum, Cube, Broadcasting


def _both(program, *arrays):
    results = []
    for lib in (torch, pygrad):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        outs = program(lib, _functions(lib), *leaves)
        total = sum((o * o).sum() for o in outs)
        grads = lib.autograd.grad(total, leaves, allow_unused=True)
        results.append(([o.detach().numpy() for o in outs], [g.numpy() for g in grads]))
    for t, p in zip(results[0], results[1]):
        for a, b in zip(t, p):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


A = RNG.uniform(-1, 1, (3, 4))
B = RNG.uniform(-1, 1, (3, 4))


def test_save_for_backward_and_saved_tensors():
    _both(lambda lib, f, x: [f[0].apply(x) * 2], A)


def test_non_tensor_arguments_and_needs_input_grad():
    _both(lambda lib, f, a, b: [f[1].apply(a, b, 0.5)], A, B)
    for lib in (torch, pygrad):
        _, scaled, *_ = _functions(lib)
        a = lib.tensor(A, requires_grad=True)
        b = lib.tensor(B)
        scaled.apply(a, b, 2.0).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), 2 * B)


def test_several_outputs_with_setup_context_and_non_differentiable():
    def program(lib, f, x):
        s, q, idx = f[2].apply(x)
        assert not idx.requires_grad
        return [s, q * 3]

    _both(program, A)


def test_create_graph_through_a_function():
    grads = []
    for lib in (torch, pygrad):
        x = lib.tensor(A, requires_grad=True)
        cube = _functions(lib)[3]
        (g,) = lib.autograd.grad(cube.apply(x).sum(), [x], create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), [x])
        grads.append(gg.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_gradient_summed_to_a_broadcast_input():
    _both(lambda lib, f, x, b: [f[4].apply(x, b)], A, RNG.uniform(-1, 1, (4,)))


def test_grad_fn_name_and_no_recording_without_grad():
    exp = _functions(pygrad)[0]
    x = pygrad.tensor(A, requires_grad=True)
    y = exp.apply(x)
    assert "ExpBackward" in type(y.grad_fn).__name__ or "ExpBackward" in repr(y.grad_fn)
    with pygrad.no_grad():
        assert not exp.apply(x).requires_grad
    assert not exp.apply(pygrad.tensor(A)).requires_grad


def test_backward_errors_match_torch():
    for lib in (torch, pygrad):
        base = lib.autograd.Function

        class TooFew(base):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, grad):
                return grad

        class BadShape(base):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, grad):
                return grad.reshape(-1)[:5]

        a = lib.tensor(A, requires_grad=True)
        with pytest.raises(RuntimeError, match="incorrect number of gradients"):
            TooFew.apply(a, a).sum().backward()
        with pytest.raises(RuntimeError, match="invalid gradient"):
            BadShape.apply(a).sum().backward()


def test_saved_tensor_modified_in_place_is_caught():
    for lib in (torch, pygrad):
        exp = _functions(lib)[0]
        x = lib.tensor(A, requires_grad=True)
        y = exp.apply(x)
        y.add_(1.0)
        with pytest.raises(RuntimeError, match=r"modified by an in-?place operation"):
            y.sum().backward()


def test_exception_in_backward_propagates():
    class Failing(pygrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("boom from backward")

    x = pygrad.tensor(A, requires_grad=True)
    with pytest.raises(ValueError, match="boom from backward"):
        Failing.apply(x).sum().backward()


def test_mark_dirty_and_once_differentiable():
    grads = []
    for lib in (torch, pygrad):
        from_lib = lib.autograd.function if lib is torch else pygrad.autograd

        class AddOneInPlace(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            @from_lib.once_differentiable
            def backward(ctx, grad):
                return grad * 1

        w = lib.tensor(A, requires_grad=True)
        y = w * 2
        z = AddOneInPlace.apply(y)
        assert z is y
        (z * z).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_graph_through_function_is_freed():
    class Probe:
        pass

    exp = _functions(pygrad)[0]
    x = pygrad.tensor(A, requires_grad=True)
    probe = Probe()
    alive = weakref.ref(probe)
    y = exp.apply(x * 2)
    y.register_hook(lambda g, p=probe: None)
    del probe
    y.sum().backward()
    del y
    gc.collect()
    assert alive() is None
