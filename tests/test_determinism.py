"""Results are identical bit for bit at 1 and 2 threads for the same seed: no reduction's order depends on
the thread count (GEMM splits M and N only; full reductions use fixed blocks; random numbers are
counter-based)."""

import numpy as np
import pytest

import pygrad
from pygrad import nn


def train_a_few_steps(threads, model_kind):
    previous = pygrad.get_num_threads()
    pygrad.set_num_threads(threads)
    try:
        pygrad.manual_seed(123)
        if model_kind == "mlp":
            model = nn.Sequential(
                nn.Linear(300, 256),
                nn.ReLU(),
                nn.Dropout(0.3),
                nn.Linear(256, 256),
                nn.Tanh(),
                nn.Linear(256, 10),
            )
            x = pygrad.randn(192, 300)
        else:
            model = nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1),
                nn.BatchNorm2d(16),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(16, 8, 3),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(8 * 6 * 6, 10),
            )
            x = pygrad.randn(48, 3, 16, 16)
        y = pygrad.randint(0, 10, (x.shape[0],))
        optimizer = pygrad.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        big = pygrad.randn(1 << 18)
        return losses, [p.detach().numpy().copy() for p in model.parameters()], big.sum().item()
    finally:
        pygrad.set_num_threads(previous)


@pytest.mark.parametrize("model_kind", ["mlp", "cnn"])
def test_training_is_bit_identical_at_one_and_two_threads(model_kind):
    losses1, params1, sum1 = train_a_few_steps(1, model_kind)
    losses2, params2, sum2 = train_a_few_steps(2, model_kind)
    assert losses1 == losses2
    assert sum1 == sum2
    for a, b in zip(params1, params2):
        np.testing.assert_array_equal(a, b)
    assert losses1[-1] < losses1[0]  # it trained
