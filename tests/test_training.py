"""End to end: a two-layer MLP trained with a hand-written SGD loop learns, and follows PyTorch step for step."""

import numpy as np
import pytest
import torch

import pygrad
import pygrad.nn.functional as F


def _init(rng, n_in, n_hidden, n_out):
    return {
        "w1": rng.normal(0, 1 / np.sqrt(n_in), size=(n_in, n_hidden)),
        "b1": rng.normal(0, 0.1, size=(n_hidden,)),
        "w2": rng.normal(0, 1 / np.sqrt(n_hidden), size=(n_hidden, n_out)),
        "b2": rng.normal(0, 0.1, size=(n_out,)),
    }


def _regression_data(rng, n=128, n_in=4):
    x = rng.uniform(-1, 1, size=(n, n_in))
    y = (np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3] - 0.5 * x[:, 3:4]).astype(np.float64)
    return x, y


def _classification_data(rng, n=120, n_in=2, n_classes=3):
    centers = rng.normal(0, 2.5, size=(n_classes, n_in))
    labels = np.arange(n) % n_classes
    x = centers[labels] + rng.normal(0, 0.6, size=(n, n_in))
    return x, labels.astype(np.int64)


def _forward_pg(p, x):
    h = (x @ p["w1"] + p["b1"]).tanh()
    return h @ p["w2"] + p["b2"]


def _sgd_pg(params, loss, lr):
    loss.backward()
    with pygrad.no_grad():
        for w in params.values():
            w -= lr * w.grad
            w.grad = None


def _train_pg(init, x, y, steps, lr, dtype, loss_kind):
    params = {k: pygrad.tensor(v, dtype=dtype, requires_grad=True) for k, v in init.items()}
    ptrs = {k: v.data_ptr() for k, v in params.items()}
    xt = pygrad.tensor(x, dtype=dtype)
    yt = pygrad.tensor(y) if loss_kind == "ce" else pygrad.tensor(y, dtype=dtype)
    losses = []
    for _ in range(steps):
        out = _forward_pg(params, xt)
        loss = F.cross_entropy(out, yt) if loss_kind == "ce" else ((out - yt) ** 2).mean()
        losses.append(loss.item())
        _sgd_pg(params, loss, lr)
    # the parameters were updated in place: still the same leaves, same memory
    for k, w in params.items():
        assert w.is_leaf and w.requires_grad and w.grad is None
        assert w.data_ptr() == ptrs[k]
    return losses, params


def _train_torch(init, x, y, steps, lr, loss_kind):
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in init.items()}
    xt = torch.tensor(x, dtype=torch.float64)
    yt = torch.tensor(y)
    losses = []
    for _ in range(steps):
        h = (xt @ params["w1"] + params["b1"]).tanh()
        out = h @ params["w2"] + params["b2"]
        loss = (
            torch.nn.functional.cross_entropy(out, yt)
            if loss_kind == "ce"
            else ((out - yt) ** 2).mean()
        )
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for w in params.values():
                w -= lr * w.grad
                w.grad = None
    return losses, params


@pytest.mark.parametrize("dtype", [pygrad.float32, pygrad.float64])
def test_mlp_regression_loss_falls_tenfold(dtype):
    rng = np.random.default_rng(10)
    x, y = _regression_data(rng)
    init = _init(rng, 4, 32, 1)
    losses, _ = _train_pg(init, x, y, steps=600, lr=0.2, dtype=dtype, loss_kind="mse")
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0] / 10, (losses[0], losses[-1])


def test_mlp_classification_learns():
    rng = np.random.default_rng(11)
    x, labels = _classification_data(rng)
    init = _init(rng, 2, 16, 3)
    losses, params = _train_pg(
        init, x, labels, steps=200, lr=0.5, dtype=pygrad.float64, loss_kind="ce"
    )
    assert losses[-1] < losses[0] / 10, (losses[0], losses[-1])
    with pygrad.no_grad():
        pred = _forward_pg(params, pygrad.tensor(x)).argmax(dim=1)
    accuracy = (pred.numpy() == labels).mean()
    assert accuracy > 0.95


@pytest.mark.parametrize("loss_kind", ["mse", "ce"])
def test_follows_torch_trajectory(loss_kind):
    rng = np.random.default_rng(12)
    if loss_kind == "mse":
        x, y = _regression_data(rng, n=64)
        init = _init(rng, 4, 16, 1)
    else:
        x, y = _classification_data(rng, n=60)
        init = _init(rng, 2, 16, 3)
    steps, lr = 20, 0.3
    mine, params = _train_pg(init, x, y, steps, lr, pygrad.float64, loss_kind)
    ref, ref_params = _train_torch(init, x, y, steps, lr, loss_kind)
    assert mine[-1] < mine[0]  # it is actually training, not sitting still
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-4)
    np.testing.assert_allclose(
        mine, ref, rtol=1e-9
    )  # in float64 it should in fact agree far more closely
    for k in params:
        np.testing.assert_allclose(
            params[k].detach().numpy(), ref_params[k].detach().numpy(), rtol=1e-8, atol=1e-10
        )


def test_float32_training_close_to_torch():
    rng = np.random.default_rng(13)
    x, y = _regression_data(rng, n=64)
    init = _init(rng, 4, 16, 1)
    mine, _ = _train_pg(init, x, y, 20, 0.3, pygrad.float32, "mse")
    ref, _ = _train_torch(init, x, y, 20, 0.3, "mse")
    np.testing.assert_allclose(mine, ref, rtol=1e-3)
