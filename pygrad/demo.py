"""The first-run demo: a two-layer MLP learns a synthetic two-spirals problem with hand-written SGD.

Run it with ``pygrad demo`` or ``python -m pygrad.demo``; ``--help`` lists the options.
"""

import argparse
import math
import time

import pygrad


def make_spirals(points_per_class, noise, seed):
    """Two interleaved spirals in the plane: inputs [2N, 2] float32, labels [2N] int64."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(points_per_class)) * 3 * math.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * math.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(scale=noise, size=(2 * points_per_class, 2))
    y = np.concatenate([np.zeros(points_per_class), np.ones(points_per_class)]).astype(np.int64)
    return pygrad.tensor(x, dtype=pygrad.float32), pygrad.tensor(y)


def init_linear(fan_in, fan_out):
    """PyTorch's default Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in)
    weight = (pygrad.rand(fan_out, fan_in) * 2 - 1) * bound
    bias = (pygrad.rand(fan_out) * 2 - 1) * bound
    return weight.requires_grad_(), bias.requires_grad_()


def train(steps=1500, hidden=64, lr=0.5, seed=0, log_every=100, quiet=False):
    """Trains the MLP with full-batch gradient descent; returns (first loss, last loss, accuracy)."""
    pygrad.manual_seed(seed)
    x, y = make_spirals(500, 0.02, seed)
    w1, b1 = init_linear(2, hidden)
    w2, b2 = init_linear(hidden, hidden)
    w3, b3 = init_linear(hidden, 2)
    params = [w1, b1, w2, b2, w3, b3]
    losses = []
    start = time.perf_counter()
    for step in range(steps + 1):
        h = (x @ w1.T + b1).tanh()          # forward propagation, layer by layer
        h = (h @ w2.T + b2).tanh()
        logits = h @ w3.T + b3
        loss = pygrad.nn.functional.cross_entropy(logits, y)
        loss.backward()                     # backpropagation fills each weight's .grad
        with pygrad.no_grad():              # gradient descent: w <- w - lr * dL/dw
            for p in params:
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
        if not quiet and step % log_every == 0:
            print(f"step {step:5d}  loss {losses[-1]:.4f}")
    with pygrad.no_grad():
        h = (x @ w1.T + b1).tanh()
        h = (h @ w2.T + b2).tanh()
        accuracy = ((h @ w3.T + b3).argmax(1) == y).float().mean().item()
    if not quiet:
        print(f"trained {steps} steps in {time.perf_counter() - start:.1f} s: loss {losses[0]:.4f} -> "
              f"{losses[-1]:.4f}, training accuracy {accuracy:.1%}")
    return losses[0], losses[-1], accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(prog="pygrad demo", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="gradient-descent steps (default 1500)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units per layer (default 64)")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    args = parser.parse_args(argv)
    if args.threads:
        pygrad.set_num_threads(args.threads)
    print(f"pygrad {pygrad.__version__}: two-spirals MLP, {pygrad.get_num_threads()} threads, "
          f"CPU kernels: {pygrad._C.cpu_capability()}")
    train(args.steps, args.hidden, args.lr, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
