"""pytest-benchmark suite of the core: per-op overhead, a tiny graph with backward, elementwise ops, GEMM, an MLP step.

Run: pytest benchmarks/ --benchmark-only   (speed lives here, never in the timed test suite)
"""

import numpy as np
import pytest

import pygrad
import pygrad.nn.functional as F

RNG = np.random.default_rng(0)


def test_add_16_no_grad(benchmark):
    a, b = pygrad.randn(16), pygrad.randn(16)
    benchmark(lambda: a + b)


def test_tiny_graph_backward(benchmark):
    a = pygrad.randn(16, requires_grad=True)
    b = pygrad.randn(16, requires_grad=True)

    def step():
        ((a * b + a).tanh() * b).sum().backward()

    benchmark(step)


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh", "relu", "neg"])
def test_unary_802816_float32(benchmark, op):
    x = pygrad.from_numpy(RNG.standard_normal((512, 1568)).astype(np.float32))
    fn = getattr(pygrad, op)
    benchmark(lambda: fn(x))


@pytest.mark.parametrize("n", [16, 32, 64, 256, 1024])
def test_matmul_square(benchmark, n):
    a = pygrad.from_numpy(RNG.standard_normal((n, n)).astype(np.float32))
    b = pygrad.from_numpy(RNG.standard_normal((n, n)).astype(np.float32))
    benchmark(lambda: a @ b)


def test_mlp_step_784_512_512_10(benchmark):
    x = pygrad.randn(128, 784)
    y = pygrad.randint(0, 10, (128,))
    weights = [
        (pygrad.randn(o, i) * 0.05).requires_grad_() for i, o in ((784, 512), (512, 512), (512, 10))
    ]

    def step():
        h = x
        for i, w in enumerate(weights):
            h = h @ w.T
            if i < 2:
                h = h.relu()
        F.cross_entropy(h, y).backward()
        with pygrad.no_grad():
            for w in weights:
                w -= 0.01 * w.grad
                w.grad = None

    benchmark(step)
