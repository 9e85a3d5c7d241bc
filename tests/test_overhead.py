"""The per-op overhead work: the buffer cache, the fused linear op, gradient layouts, what ops save, and
elementwise loops split over threads inside one long row."""

import os

import numpy as np
import pytest
from conftest import assert_close, import_torch, make_rng, run_python, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import _C


# ------------------------------------------------------------------ buffer cache
def _mlp_step(hidden=64, batch=16):
    rng = make_rng("cache")
    model = pygrad.nn.Sequential(
        pygrad.nn.Linear(32, hidden), pygrad.nn.ReLU(), pygrad.nn.Linear(hidden, 10)
    )
    optimizer = pygrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = pygrad.from_numpy(rng.standard_normal((batch, 32)).astype(np.float32))
    y = pygrad.from_numpy(rng.integers(0, 10, batch))

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def test_buffer_cache_reuses_blocks_and_stays_flat():
    step = _mlp_step()
    for _ in range(20):
        step()
    before = _C._allocator_stats()
    for _ in range(2000):
        step()
    after = _C._allocator_stats()
    assert after["cached_bytes"] <= after["limit_bytes"]
    # Steady state: every allocation of a step finds a freed block of its class, the cache does not grow.
    assert after["misses"] - before["misses"] <= 5
    assert after["hits"] - before["hits"] >= 2000
    assert after["cached_bytes"] <= before["cached_bytes"] + (1 << 20)


def test_buffer_cache_hands_out_distinct_live_buffers():
    tensors = [pygrad.full((100,), float(i)) for i in range(50)]
    del tensors[::2]
    more = [pygrad.full((100,), -1.0) for _ in range(50)]
    for i, t in enumerate(tensors):
        assert np.all(to_numpy(t) == 2 * i + 1)
    assert len({t.data_ptr() for t in tensors + more}) == len(tensors) + len(more)


def test_empty_cache_releases_everything():
    _mlp_step()()
    _C._empty_cache()
    stats = _C._allocator_stats()
    assert stats["cached_bytes"] == 0 and stats["cached_blocks"] == 0


def test_buffer_cache_limit_zero_disables_it():
    result = run_python(
        "import os\n"
        "os.environ['PYGRAD_CACHE_LIMIT_MB'] = '0'\n"
        "import pygrad\n"
        "from pygrad import _C\n"
        "for _ in range(100):\n"
        "    pygrad.ones(1000) + 1\n"
        "s = _C._allocator_stats()\n"
        "assert s['cached_bytes'] == 0 and s['limit_bytes'] == 0 and s['hits'] == 0, s\n"
        "print('ok')\n",
        timeout=120,
    )
    assert "ok" in result.stdout, result.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_buffer_cache_is_usable_after_fork_from_a_busy_parent():
    result = run_python(
        "import os, threading, pygrad\n"
        "stop = False\n"
        "def churn():\n"
        "    while not stop:\n"
        "        pygrad.ones(4096) * 2\n"
        "threads = [threading.Thread(target=churn) for _ in range(2)]\n"
        "[t.start() for t in threads]\n"
        "for _ in range(20):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        total = float((pygrad.ones(4096) * 2).sum())\n"
        "        os._exit(0 if total == 8192.0 else 1)\n"
        "    _, status = os.waitpid(pid, 0)\n"
        "    assert status == 0, status\n"
        "stop = True\n"
        "[t.join() for t in threads]\n"
        "print('ok')\n",
        timeout=120,
    )
    assert "ok" in result.stdout, result.stderr


# ------------------------------------------------------------------ fused linear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_linear_matches_torch_forward_and_backward(bias, layout):
    torch = import_torch()
    rng = make_rng("linear", bias, layout)
    x = rng.standard_normal((7, 5))
    w = rng.standard_normal((3, 5))
    b = rng.standard_normal(3)
    g = rng.standard_normal((7, 3))
    px = (
        to_pygrad(x.T.copy(), requires_grad=True)
        if layout == "transposed"
        else to_pygrad(x, requires_grad=True)
    )
    px_used = px.mT if layout == "transposed" else px
    pw, pb = to_pygrad(w, requires_grad=True), to_pygrad(b, requires_grad=True)
    out = F.linear(px_used, pw, pb if bias else None)
    assert out.grad_fn.name() == "LinearBackward"
    out.backward(to_pygrad(g))
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    tout = torch.nn.functional.linear(tx, tw, tb if bias else None)
    tout.backward(torch.tensor(g))
    assert_close(to_numpy(out), tout.detach().numpy(), 1e-5, 1e-5, "out")
    gx = to_numpy(px.grad).T if layout == "transposed" else to_numpy(px.grad)
    assert_close(gx, tx.grad.numpy(), 1e-5, 1e-5, "grad x")
    assert_close(to_numpy(pw.grad), tw.grad.numpy(), 1e-5, 1e-5, "grad w")
    assert pw.grad.is_contiguous()
    if bias:
        assert_close(to_numpy(pb.grad), tb.grad.numpy(), 1e-5, 1e-5, "grad b")
    else:
        assert pb.grad is None


def test_linear_double_backward_matches_finite_differences():
    rng = make_rng("linear2")
    x = to_pygrad(rng.standard_normal((4, 3)), requires_grad=True)
    w = to_pygrad(rng.standard_normal((2, 3)), requires_grad=True)
    b = to_pygrad(rng.standard_normal(2), requires_grad=True)
    assert pygrad.autograd.gradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), (x, w, b))

    def squared_grads(x, w, b):
        with pygrad.enable_grad():  # gradcheck's finite differences run under no_grad
            grads = pygrad.autograd.grad(
                F.linear(x, w, b).tanh().sum(), (x, w, b), create_graph=True
            )
        return (
            (grads[0] * grads[0]).sum() + (grads[1] * grads[1]).sum() + (grads[2] * grads[2]).sum()
        )

    assert pygrad.autograd.gradcheck(squared_grads, (x, w, b))


def test_linear_other_shapes_and_errors_go_through_the_composite():
    x3 = pygrad.ones(2, 4, 3)
    w = pygrad.ones(5, 3)
    assert F.linear(x3, w, pygrad.zeros(5)).shape == (2, 4, 5)
    with pytest.raises(ValueError):
        F.linear(pygrad.ones(2, 4), w)
    with pytest.raises(TypeError):
        F.linear(pygrad.ones(2, 3, dtype=pygrad.float64), w)


@pytest.mark.parametrize("shape", [(3, 5, 4), (2, 3, 2, 4), (2, 0, 4), (3, 2, 0), (4, 1, 4)])
@pytest.mark.parametrize("route", ["linear", "matmul"])
def test_batched_input_times_shared_weight_matches_torch(shape, route):
    # [..., in] inputs: linear runs one [rows, in] GEMM, and matmul's rule gives a 2-D weight its gradient as one
    # product over all rows; both must equal torch, non-contiguous inputs and size-0 dims included.
    torch = import_torch()
    rng = make_rng("batched-linear", shape, route)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((6, shape[-1]))
    b = rng.standard_normal(6)
    g = rng.standard_normal((*shape[:-1], 6))
    px_base = to_pygrad(np.swapaxes(x, 0, 1).copy(), requires_grad=True)
    px = px_base.transpose(0, 1)  # a non-contiguous view of the same values
    pw, pb = to_pygrad(w, requires_grad=True), to_pygrad(b, requires_grad=True)
    out = F.linear(px, pw, pb) if route == "linear" else px @ pw.mT + pb
    out.backward(to_pygrad(g))
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    (torch.nn.functional.linear(tx, tw, tb)).backward(torch.tensor(g))
    assert out.shape == (*shape[:-1], 6)
    assert_close(
        to_numpy(out), torch.nn.functional.linear(tx, tw, tb).detach().numpy(), 1e-10, 1e-10, "out"
    )
    assert_close(np.swapaxes(to_numpy(px_base.grad), 0, 1), tx.grad.numpy(), 1e-10, 1e-10, "grad x")
    assert_close(to_numpy(pw.grad), tw.grad.numpy(), 1e-10, 1e-10, "grad w")
    assert_close(to_numpy(pb.grad), tb.grad.numpy(), 1e-10, 1e-10, "grad b")
    if route == "linear" and 0 not in shape:
        leaf = to_pygrad(x, requires_grad=True)
        assert pygrad.autograd.gradgradcheck(
            lambda x, w, b: F.linear(x, w, b).tanh(), (leaf, pw, pb)
        )


# ------------------------------------------------------------------ gradient layout and saved tensors
def test_matmul_with_transposed_weight_gives_the_leaf_a_contiguous_grad():
    rng = make_rng("layout")
    x = to_pygrad(rng.standard_normal((6, 4)))
    w = to_pygrad(rng.standard_normal((3, 4)), requires_grad=True)
    (x @ w.mT).sum().backward()
    assert w.grad.is_contiguous() and not w.grad._offset
    assert_close(to_numpy(w.grad), np.ones((6, 3)).T @ to_numpy(x), 1e-6, 1e-6, "grad w")
    # a second backward accumulates into the adopted buffer
    (x @ w.mT).sum().backward()
    assert_close(to_numpy(w.grad), 2 * (np.ones((6, 3)).T @ to_numpy(x)), 1e-6, 1e-6, "accumulated")


def test_add_keeps_no_input_alive_and_in_place_changes_after_add_are_allowed():
    a = pygrad.ones(3, requires_grad=True)
    b = pygrad.ones(1, 3) * 2
    c = a + b
    b.add_(1.0)  # add's rule reads only shapes: no version error
    c.sum().backward()
    assert_close(to_numpy(a.grad), np.ones(3), 0, 0, "grad a")


def test_in_place_change_of_a_saved_result_is_still_caught():
    a = pygrad.ones(3, requires_grad=True)
    e = a.exp()
    with pygrad.no_grad():
        e.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        e.sum().backward()


# ------------------------------------------------------------------ elementwise loops
@pytest.mark.parametrize("threads", [1, 2])
def test_long_rows_and_partial_rows_split_over_threads(threads):
    before = pygrad.get_num_threads()
    pygrad.set_num_threads(threads)
    try:
        rng = make_rng("rows", threads)
        a = rng.standard_normal((3, 70001)).astype(np.float32)
        b = rng.standard_normal(70001).astype(np.float32)
        assert_close(
            to_numpy(pygrad.from_numpy(a) * pygrad.from_numpy(b)), a * b, 0, 0, "broadcast rows"
        )
        flat = rng.standard_normal(200003).astype(np.float32)
        assert_close(
            to_numpy(pygrad.from_numpy(flat).exp()), np.exp(flat), 1e-6, 1e-6, "one long row"
        )
        big = rng.standard_normal((5, 40001)).astype(np.float32)
        strided = pygrad.from_numpy(big)[:, ::2]
        assert_close(to_numpy(strided + 1), big[:, ::2] + 1, 0, 0, "strided rows")
        many = rng.standard_normal((40001, 3)).astype(np.float32)
        assert_close(to_numpy(pygrad.from_numpy(many).mT.contiguous()), many.T, 0, 0, "short rows")
    finally:
        pygrad.set_num_threads(before)


# ------------------------------------------------------------------ fused cross-entropy backward
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_fused_backward_matches_the_composite_and_torch(smoothing, reduction):
    torch = import_torch()
    rng = make_rng("ce", smoothing, reduction)
    logits = rng.standard_normal((6, 5)).astype(np.float32)
    target = np.array([0, 4, -100, 2, 2, 1])
    weights = rng.standard_normal(6).astype(np.float32) if reduction == "none" else None

    def run(create_graph):
        x = to_pygrad(logits, requires_grad=True)
        loss = F.cross_entropy(
            x, pygrad.from_numpy(target), reduction=reduction, label_smoothing=smoothing
        )
        grad_out = to_pygrad(weights) if weights is not None else None
        (g,) = pygrad.autograd.grad(loss, x, grad_out, create_graph=create_graph)
        return to_numpy(g)

    fused, composite = run(False), run(True)
    tx = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(
        tx, torch.tensor(target), reduction=reduction, label_smoothing=smoothing
    )
    (tg,) = torch.autograd.grad(tloss, tx, torch.tensor(weights) if weights is not None else None)
    assert_close(fused, tg.numpy(), 1e-5, 1e-6, "fused vs torch")
    assert_close(fused, composite, 1e-5, 1e-6, "fused vs composite")
    assert np.all(fused[2] == 0)
