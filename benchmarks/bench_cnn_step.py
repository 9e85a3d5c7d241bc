"""One training step of a small CNN (batch 64 of 1x28x28: conv3x3 1->16, relu, maxpool2, conv3x3 16->32, relu,
maxpool2, linear -> 10, cross-entropy, SGD) in pygrad and PyTorch, measured in the same process.

Run: python benchmarks/bench_cnn_step.py [--steps 30] [--threads N]
"""

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

import pygrad
from pygrad import _C


def make_params(rng):
    shapes = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (10, 32 * 7 * 7), (10,)]
    return [rng.standard_normal(s).astype(np.float32) * 0.1 for s in shapes]


def pygrad_step(params, x, y, lr):
    w1, b1, w2, b2, w3, b3 = params
    h = _C.max_pool2d(_C.relu(_C.conv2d(x, w1, b1, padding=1)), 2)
    h = _C.max_pool2d(_C.relu(_C.conv2d(h, w2, b2, padding=1)), 2)
    logits = h.reshape(h.shape[0], -1).matmul(w3.mT) + b3
    loss = _C.cross_entropy(logits, y)
    for p in params:
        p.grad = None
    loss.backward()
    with pygrad.no_grad():
        for p in params:
            p.sub_(p.grad * lr)
    return loss


def torch_step(params, x, y, lr):
    w1, b1, w2, b2, w3, b3 = params
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=1)), 2)
    loss = F.cross_entropy(F.linear(h.flatten(1), w3, b3), y)
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p.sub_(p.grad * lr)
    return loss


def timed(step, steps):
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(np.min(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        _C.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    init = make_params(rng)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    p_params = [pygrad.from_numpy(a.copy()).requires_grad_(True) for a in init]
    t_params = [torch.tensor(a, requires_grad=True) for a in init]
    px, py = pygrad.from_numpy(x), pygrad.from_numpy(y.astype(np.int64))
    tx, ty = torch.tensor(x), torch.tensor(y)
    # Same first loss: both libraries compute the same network.
    lp, lt = (
        float(pygrad_step(p_params, px, py, 0.01).item()),
        float(torch_step(t_params, tx, ty, 0.01).item()),
    )
    assert abs(lp - lt) < 1e-4 * max(1.0, abs(lt)), (lp, lt)
    pg = timed(lambda: pygrad_step(p_params, px, py, 0.01), args.steps)
    tc = timed(lambda: torch_step(t_params, tx, ty, 0.01), args.steps)
    print(f"threads: pygrad {_C.get_num_threads()}, torch {torch.get_num_threads()}")
    print(f"pygrad: median {pg[0] * 1e3:.2f} ms, min {pg[1] * 1e3:.2f} ms per step")
    print(f"torch : median {tc[0] * 1e3:.2f} ms, min {tc[1] * 1e3:.2f} ms per step")
    print(f"ratio pygrad/torch (median): {pg[0] / tc[0]:.2f}")


if __name__ == "__main__":
    main()
