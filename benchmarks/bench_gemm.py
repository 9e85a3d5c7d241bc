"""pytest-benchmark suite of the packed GEMM: square sizes and the matrix shapes of MLP training.

Run: pytest benchmarks/bench_gemm.py --benchmark-only   (python -m pygrad.bench compares with numpy/PyTorch)
"""

import numpy as np
import pytest

import pygrad

RNG = np.random.default_rng(0)
TRAINING = [(32, 784, 512), (128, 784, 512), (128, 512, 10), (512, 1024, 1024), (512, 1024, 10)]


def operand(*shape):
    return pygrad.from_numpy(RNG.standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", [16, 64, 256, 512, 1024])
def test_square(benchmark, n, threads):
    a, b = operand(n, n), operand(n, n)
    before = pygrad.get_num_threads()
    pygrad.set_num_threads(threads)
    try:
        benchmark(lambda: a @ b)
    finally:
        pygrad.set_num_threads(before)


@pytest.mark.parametrize("shape", TRAINING, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("case", ["x@W.T", "dY@W", "dY.T@X"])
def test_training_shapes(benchmark, shape, case):
    batch, fan_in, fan_out = shape
    x, w, dy = operand(batch, fan_in), operand(fan_out, fan_in), operand(batch, fan_out)
    fn = {"x@W.T": lambda: x @ w.mT, "dY@W": lambda: dy @ w, "dY.T@X": lambda: dy.mT @ x}[case]
    benchmark(fn)
