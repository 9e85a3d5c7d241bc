"""Autograd: leaves, grad_fn, accumulation, broadcasting, retain_graph, grad modes, version checks, higher-order
gradients against torch, hooks, deep graphs, memory, threads and fork."""

import gc
import multiprocessing
import os
import threading

import numpy as np
import pytest
import torch

import pygrad
from pygrad import autograd

RNG = np.random.default_rng(2)


def _rand_np(*shape, dtype=np.float64, low=0.5, high=1.5):
    return (RNG.uniform(low, high, size=shape) * RNG.choice([-1, 1], size=shape)).astype(dtype)


def _leaf(array):
    return pygrad.tensor(array, requires_grad=True)


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- basics


def test_requires_grad_is_leaf_grad_fn():
    x = _leaf(_rand_np(3))
    c = pygrad.tensor(_rand_np(3))
    assert x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    assert not c.requires_grad and c.is_leaf
    y = x * c
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn is not None and y.grad_fn.name() == "MulBackward"
    assert (x + c).grad_fn.name() == "AddBackward"
    assert (x.reshape(1, 3) @ c.reshape(3, 1)).grad_fn.name() == "MatmulBackward"
    assert x.exp().grad_fn.name() == "ExpBackward"
    z = c * 2
    assert not z.requires_grad and z.grad_fn is None and z.is_leaf
    s = y.sum()
    assert s.grad_fn.name() == "SumBackward"
    fns = s.grad_fn.next_functions
    assert len(fns) == 1 and fns[0][0] == y.grad_fn


def test_backward_simple_and_accumulates():
    a = _rand_np(4)
    x = _leaf(a)
    (x * x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), 2 * a)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(_np(x.grad), 2 * a + 3)
    g1 = x.grad
    (x.exp()).sum().backward()
    np.testing.assert_allclose(_np(x.grad), 2 * a + 3 + np.exp(a))
    assert x.grad is g1 or np.array_equal(_np(g1), _np(x.grad))
    x.grad = None
    (x * 5.0).sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.full(4, 5.0))


def test_shared_input_used_twice():
    a = _rand_np(5)
    x = _leaf(a)
    y = x * x + x.sin() * x
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), 2 * a + np.cos(a) * a + np.sin(a), rtol=1e-12)


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((4,), ()), ((1,), (5, 1))],
)
def test_broadcast_grads_reduced_to_input_shape(shape_a, shape_b):
    a, b = _rand_np(*shape_a), _rand_np(*shape_b)
    x, y = _leaf(a), _leaf(b)
    out = x * y
    g = _rand_np(*out.shape)
    out.backward(pygrad.tensor(g))
    assert x.grad.shape == shape_a and y.grad.shape == shape_b
    xt = torch.tensor(a, requires_grad=True)
    yt = torch.tensor(b, requires_grad=True)
    (xt * yt).backward(torch.tensor(g))
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(y.grad), yt.grad.numpy(), rtol=1e-12)


def test_only_inputs_needing_grad_get_one():
    x = _leaf(_rand_np(3, 3))
    c = pygrad.tensor(_rand_np(3, 3))
    (x @ c).sum().backward()
    assert x.grad is not None
    assert c.grad is None
    w = _leaf(_rand_np(3))
    frozen = pygrad.tensor(_rand_np(3), requires_grad=True)
    frozen.requires_grad_(False)
    (w * frozen).sum().backward()
    assert w.grad is not None and frozen.grad is None


def test_grad_dtype_matches_leaf():
    x32 = pygrad.tensor(_rand_np(3).astype(np.float32), requires_grad=True)
    y64 = pygrad.tensor(_rand_np(3), requires_grad=True)
    (x32 * y64).sum().backward()
    assert x32.grad.dtype == pygrad.float32
    assert y64.grad.dtype == pygrad.float64


def test_retain_graph():
    a = _rand_np(3)
    x = _leaf(a)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = _np(x.grad).copy()
    y.backward()
    np.testing.assert_allclose(_np(x.grad), 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_second_backward_without_retain_raises():
    x = _leaf(_rand_np(3))
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"\[backward\].*retain_graph"):
        y.backward()


def test_backward_non_scalar_needs_gradient():
    x = _leaf(_rand_np(2, 3))
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\[backward\].*scalar"):
        y.backward()
    g = _rand_np(2, 3)
    y.backward(pygrad.tensor(g))
    np.testing.assert_allclose(_np(x.grad), 2 * g)
    with pytest.raises(ValueError, match=r"\[backward\]"):
        (x * 2).backward(pygrad.tensor(_rand_np(3)))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        pygrad.tensor(_rand_np(2)).sum().backward()


def test_detach_and_requires_grad_():
    a = _rand_np(3)
    x = _leaf(a)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert d.data_ptr() == x.data_ptr()
    y = (x * 2).detach()
    assert y.is_leaf and not y.requires_grad
    z = (x * x.detach()).sum()
    z.backward()
    np.testing.assert_allclose(_np(x.grad), a)  # the detached factor is a constant
    t = pygrad.tensor(_rand_np(3))
    assert t.requires_grad_() is not None
    assert t.requires_grad
    t.requires_grad = False
    assert not t.requires_grad
    nonleaf = x * 2
    with pytest.raises(RuntimeError):
        nonleaf.requires_grad_(False)


# ---------------------------------------------------------------- grad modes


def test_no_grad_context():
    x = _leaf(_rand_np(3))
    assert pygrad.is_grad_enabled()
    with pygrad.no_grad():
        assert not pygrad.is_grad_enabled()
        y = x * 2
        with pygrad.enable_grad():
            assert pygrad.is_grad_enabled()
            z = x * 2
        assert not pygrad.is_grad_enabled()
    assert pygrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_grad_mode_restored_on_exception():
    with pytest.raises(ZeroDivisionError), pygrad.no_grad():
        raise ZeroDivisionError("inside no_grad")
    assert pygrad.is_grad_enabled()


def test_set_grad_enabled_forms():
    x = _leaf(_rand_np(3))
    with pygrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert pygrad.is_grad_enabled()
    with pygrad.set_grad_enabled(True):
        assert (x * 2).requires_grad
    pygrad.set_grad_enabled(False)
    try:
        assert not pygrad.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        pygrad.set_grad_enabled(True)
    assert pygrad.is_grad_enabled()
    with pygrad.no_grad():
        with pygrad.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not pygrad.is_grad_enabled()


def test_grad_mode_decorators():
    x = _leaf(_rand_np(3))

    @pygrad.no_grad()
    def f():
        return x * 2

    @pygrad.enable_grad()
    def g():
        return x * 2

    @pygrad.set_grad_enabled(False)
    def h():
        return x * 2

    assert not f().requires_grad
    assert pygrad.is_grad_enabled()
    with pygrad.no_grad():
        assert g().requires_grad
        assert not pygrad.is_grad_enabled()
    assert not h().requires_grad
    assert pygrad.is_grad_enabled()
    assert f.__name__ == "f"
    # a decorator instance can be reused (and nested calls work)
    calls = []

    @pygrad.no_grad()
    def rec(n):
        calls.append(pygrad.is_grad_enabled())
        return rec(n - 1) if n else x * 2

    assert not rec(3).requires_grad
    assert calls == [False] * 4
    assert pygrad.is_grad_enabled()


def test_autograd_namespace_grad_modes():
    x = _leaf(_rand_np(2))
    with autograd.no_grad():
        assert not (x + 1).requires_grad


def test_grad_mode_is_thread_local():
    x = _leaf(_rand_np(3))
    seen = {}

    def worker():
        seen["enabled"] = pygrad.is_grad_enabled()
        seen["requires_grad"] = (x * 2).requires_grad

    with pygrad.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not (x * 2).requires_grad
    assert seen == {"enabled": True, "requires_grad": True}

    # and a thread's no_grad doesn't leak into the main thread
    def worker2():
        with pygrad.no_grad():
            ev_in.set()
            ev_out.wait(10)

    ev_in, ev_out = threading.Event(), threading.Event()
    th = threading.Thread(target=worker2)
    th.start()
    ev_in.wait(10)
    try:
        assert pygrad.is_grad_enabled()
        assert (x * 2).requires_grad
    finally:
        ev_out.set()
        th.join()


# ---------------------------------------------------------------- version counter


def test_inplace_on_saved_tensor_raises_at_backward():
    x = _leaf(_rand_np(3))
    y = x * 2
    z = y * y  # saves y
    y.mul_(3)
    with pytest.raises(RuntimeError, match="version"):
        z.sum().backward()


def test_inplace_on_saved_constant_raises_at_backward():
    x = _leaf(_rand_np(3))
    c = pygrad.tensor(_rand_np(3))
    z = (x * c).sum()  # saves c for x's gradient
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="version"):
        z.backward()


def test_inplace_on_saved_output_raises_at_backward():
    x = _leaf(_rand_np(3))
    y = x.exp()  # saves its result
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="version"):
        y.sum().backward()


def test_inplace_through_view_of_saved_raises():
    x = _leaf(_rand_np(4))
    c = pygrad.tensor(_rand_np(4))
    z = (x * c).sum()
    c[1:3].fill_(0.5)
    with pytest.raises(RuntimeError, match="version"):
        z.backward()


def test_inplace_not_saved_is_fine():
    a = _rand_np(3)
    x = _leaf(a)
    y = x + 1  # add saves nothing
    y.mul_(2)
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.full(3, 2.0))


# ---------------------------------------------------------------- autograd.grad and higher order


def _second_order(fn_pg, fn_torch, a):
    x = _leaf(a)
    (g,) = autograd.grad(fn_pg(x), x, create_graph=True)
    assert g.requires_grad
    (gg,) = autograd.grad(g.sum(), x)
    xt = torch.tensor(a, requires_grad=True)
    (gt,) = torch.autograd.grad(fn_torch(xt), xt, create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(_np(g), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(gg), ggt.numpy(), rtol=1e-10, atol=1e-12)
    assert x.grad is None  # autograd.grad doesn't touch .grad


SECOND_ORDER = {
    "cube": (lambda x: (x**3).sum(), lambda x: (x**3).sum()),
    "exp": (lambda x: x.exp().sum(), lambda x: x.exp().sum()),
    "tanh": (lambda x: x.tanh().sum(), lambda x: x.tanh().sum()),
    "sum_sq": (lambda x: (x * x).sum() * x.sum(), lambda x: (x * x).sum() * x.sum()),
    "matmul": (
        lambda x: ((x @ x.T) @ x).sum(),
        lambda x: ((x @ x.T) @ x).sum(),
    ),
    "mixed": (
        lambda x: (x.tanh() * x.exp() + x.sin() ** 2).sum(),
        lambda x: (x.tanh() * x.exp() + x.sin() ** 2).sum(),
    ),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_torch(name):
    fn_pg, fn_torch = SECOND_ORDER[name]
    _second_order(fn_pg, fn_torch, _rand_np(3, 3))


def test_third_derivative_of_cube():
    a = _rand_np(4)
    x = _leaf(a)
    (g,) = autograd.grad((x**3).sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x, create_graph=True)
    (ggg,) = autograd.grad(gg.sum(), x)
    np.testing.assert_allclose(_np(g), 3 * a**2, rtol=1e-12)
    np.testing.assert_allclose(_np(gg), 6 * a, rtol=1e-12)
    np.testing.assert_allclose(_np(ggg), np.full(4, 6.0), rtol=1e-12)


def test_matmul_hessian_vector_product_vs_torch():
    A, B = _rand_np(3, 4), _rand_np(4, 2)
    v = _rand_np(3, 4)
    a, b = _leaf(A), _leaf(B)
    loss = ((a @ b).tanh() ** 2).sum()
    ga, gb = autograd.grad(loss, [a, b], create_graph=True)
    hv = autograd.grad((ga * pygrad.tensor(v)).sum(), [a, b])
    at, bt = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    lt = ((at @ bt).tanh() ** 2).sum()
    gat, gbt = torch.autograd.grad(lt, [at, bt], create_graph=True)
    hvt = torch.autograd.grad((gat * torch.tensor(v)).sum(), [at, bt])
    np.testing.assert_allclose(_np(ga), gat.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(_np(gb), gbt.detach().numpy(), rtol=1e-10)
    for mine, ref in zip(hv, hvt):
        np.testing.assert_allclose(_np(mine), ref.numpy(), rtol=1e-9, atol=1e-12)


def test_autograd_grad_options():
    x, y = _leaf(_rand_np(3)), _leaf(_rand_np(3))
    out = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        autograd.grad(out, [x, y], retain_graph=True)
    gx, gy = autograd.grad(out, [x, y], allow_unused=True)
    np.testing.assert_allclose(_np(gx), np.full(3, 2.0))
    assert gy is None
    v = _rand_np(3)
    (g,) = autograd.grad(x * 3, x, grad_outputs=pygrad.tensor(v))
    np.testing.assert_allclose(_np(g), 3 * v)
    assert x.grad is None and y.grad is None


def test_backward_create_graph_then_grad_of_grad():
    a = _rand_np(3)
    x = _leaf(a)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(_np(x.grad), 6 * a, rtol=1e-12)


def test_backward_inputs_argument():
    x, y = _leaf(_rand_np(3)), _leaf(_rand_np(3))
    (x * y).sum().backward(inputs=[x])
    assert x.grad is not None and y.grad is None
    np.testing.assert_allclose(_np(x.grad), _np(y))


# ---------------------------------------------------------------- hooks and retain_grad


def test_leaf_hook_sees_and_replaces_grad():
    a = _rand_np(3)
    x = _leaf(a)
    seen = []

    def hook(g):
        seen.append(_np(g).copy())
        return g * 10

    x.register_hook(hook)
    (x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 2 * a)
    np.testing.assert_allclose(_np(x.grad), 20 * a)


def test_hook_returning_none_keeps_grad():
    a = _rand_np(3)
    x = _leaf(a)
    calls = []
    x.register_hook(lambda g: calls.append(1))
    (x * 4).sum().backward()
    assert calls == [1]
    np.testing.assert_allclose(_np(x.grad), np.full(3, 4.0))


def test_nonleaf_hook_sees_and_replaces_grad():
    a = _rand_np(3)
    x = _leaf(a)
    y = x * 2
    seen = []

    def hook(g):
        seen.append(_np(g).copy())
        return g + 1

    y.register_hook(hook)
    (y * y).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * (2 * a))  # d(y^2)/dy = 2y
    np.testing.assert_allclose(_np(x.grad), 2 * (2 * (2 * a) + 1))
    assert y.grad is None  # not retained


def test_hook_wrong_shape_raises():
    x = _leaf(_rand_np(3))
    x.register_hook(lambda g: pygrad.ones(4, dtype=pygrad.float64))
    with pytest.raises(ValueError, match="hook"):
        (x * 2).sum().backward()


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        pygrad.tensor(_rand_np(3)).register_hook(lambda g: g)


def test_retain_grad():
    a = _rand_np(3)
    x = _leaf(a)
    y = x * 3
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    np.testing.assert_allclose(_np(y.grad), 2 * 3 * a)
    np.testing.assert_allclose(_np(x.grad), 18 * a)
    z.backward()
    np.testing.assert_allclose(_np(y.grad), 4 * 3 * a)  # accumulates like a leaf's grad
    x.retain_grad()  # no-op on a leaf
    assert x.grad is not None


# ---------------------------------------------------------------- robustness


def test_deep_chain_backward():
    x = pygrad.tensor(np.array([0.5, -0.25]), requires_grad=True)
    y = x
    n = 10_000
    for _ in range(n):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.full(2, 1.0001**n), rtol=1e-9)
    del y
    gc.collect()


def test_deep_chain_freed_without_backward():
    x = pygrad.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    assert y.item() == 20_001.0
    del y  # destroying a long chain of nodes must not overflow the stack
    gc.collect()


def test_very_deep_graph_freed_without_crash():
    # In a subprocess, so a stack overflow fails this test instead of killing the run.
    import subprocess
    import sys

    code = (
        "import pygrad, numpy as np\n"
        "x = pygrad.tensor(np.array([1.0]), requires_grad=True)\n"
        "y = x\n"
        "for _ in range(200_000):\n"
        "    y = y * 1.0\n"  # mul saves its inputs: the chain runs through saved tensors and edges
        "del y\n"
        "print('freed')\n"
    )
    here = os.path.dirname(
        os.path.abspath(__file__)
    )  # not the repo root: its pygrad/ has no built extension
    # The child imports the same pygrad this process imported (installed, or a development tree).
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(pygrad.__file__)))
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=here, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and "freed" in r.stdout, (r.returncode, r.stderr[-2000:])


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(
    "libasan" in os.environ.get("LD_PRELOAD", ""),
    reason="AddressSanitizer's quarantine holds freed memory, so RSS is not meaningful",
)
def test_memory_flat_over_training_steps():
    pygrad.manual_seed(0)
    w1 = (pygrad.randn(8, 16) * 0.3).requires_grad_()
    w2 = (pygrad.randn(16, 1) * 0.3).requires_grad_()
    x = pygrad.randn(32, 8)
    y = pygrad.randn(32, 1)

    def step():
        loss = ((x @ w1).tanh() @ w2 - y).pow(2).mean()
        loss.backward()
        with pygrad.no_grad():
            for w in (w1, w2):
                w -= 0.01 * w.grad
                w.grad = None
        return loss.item()

    for _ in range(300):
        step()
    gc.collect()
    before = _rss_bytes()
    for _ in range(2000):
        step()
    gc.collect()
    grown = _rss_bytes() - before
    assert grown < 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 2000 steps"


def test_graph_freed_when_unreferenced():
    x = _leaf(_rand_np(1000))
    big = x * 2
    ref_cnt_probe = []

    class Probe:
        pass

    p = Probe()
    big.register_hook(lambda g, p=p: ref_cnt_probe.append(p) or None)
    import weakref

    wp = weakref.ref(p)
    del p
    loss = big.sum()
    del big
    del loss
    gc.collect()
    assert wp() is None, "graph (and the hook it holds) should be freed once nothing refers to it"


def test_threads_run_ops_and_backward_concurrently():
    n_threads, iters = 4, 30
    inputs = [(_rand_np(40, 30), _rand_np(30, 20)) for _ in range(n_threads)]
    expected = []
    for a, b in inputs:
        at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        ((at @ bt).tanh().sum() * 2).backward()
        expected.append((at.grad.numpy(), bt.grad.numpy()))
    errors = []
    barrier = threading.Barrier(n_threads)

    def worker(i):
        try:
            barrier.wait(10)
            a, b = inputs[i]
            for _ in range(iters):
                x, y = _leaf(a), _leaf(b)
                ((x @ y).tanh().sum() * 2).backward()
                np.testing.assert_allclose(_np(x.grad), expected[i][0], rtol=1e-9)
                np.testing.assert_allclose(_np(y.grad), expected[i][1], rtol=1e-9)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads)
    assert not errors, errors[0]


def test_threads_large_ops_release_gil_correctly():
    a = _rand_np(300, 300)
    ref = a @ a
    errors = []

    def worker():
        try:
            t = pygrad.tensor(a)
            for _ in range(3):
                np.testing.assert_allclose(_np(t @ t), ref, rtol=1e-10)
                np.testing.assert_allclose((t * 2).sum().item(), 2 * a.sum(), rtol=1e-10)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors[0]


def _child(queue):
    x = pygrad.tensor(np.arange(1_000_000, dtype=np.float64) % 7)
    y = (x * 2).sum().item()
    a = pygrad.ones(256, 256, dtype=pygrad.float64)
    z = (a @ a).sum().item()
    w = pygrad.tensor(np.array([3.0]), requires_grad=True)
    (w * w).sum().backward()
    queue.put((y, z, w.grad.item()))


def test_fork_after_parallel_op():
    # run large parallel work in the parent first (starting the thread pool)
    big = pygrad.randn(2_000_000)
    (big * 2).sum().item()
    m = pygrad.randn(256, 256)
    (m @ m).sum().item()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(queue,))
    p.start()
    p.join(60)
    if p.is_alive():
        p.kill()
        p.join()
        pytest.fail("forked child hung after a parallel op in the parent")
    assert p.exitcode == 0
    y, z, g = queue.get(timeout=5)
    expected_y = float(2 * (np.arange(1_000_000, dtype=np.float64) % 7).sum())
    assert y == expected_y
    assert z == 256.0**3
    assert g == 6.0


def test_grad_through_views_matches_torch():
    a = _rand_np(4, 3)
    w = _rand_np(6)
    x = _leaf(a)
    (x[1:, ::2].T.reshape(-1) * pygrad.tensor(w)).sum().backward()
    xt = torch.tensor(a, requires_grad=True)
    (xt[1:, ::2].T.reshape(-1) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-12)
    x.grad = None
    (x.unsqueeze(0).expand(2, 4, 3).select(2, 1).narrow(1, 1, 2) ** 2).sum().backward()
    xt.grad = None
    (xt.unsqueeze(0).expand(2, 4, 3).select(2, 1).narrow(1, 1, 2) ** 2).sum().backward()
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-12)


def test_inplace_on_nonleaf_is_differentiated():
    a = _rand_np(3)
    x = _leaf(a)
    y = x * 2
    y.mul_(3)
    y.add_(1.0)
    (y * y).sum().backward()
    np.testing.assert_allclose(_np(x.grad), 2 * (6 * a + 1) * 6, rtol=1e-12)


def _same_program(program, *arrays, create_graph=False):
    """Runs program(lib, *leaves) on torch and on pygrad and compares the output and every leaf's
    gradient (and, with create_graph, the gradient of the gradients' sum)."""
    results = []
    for lib in (torch, pygrad):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = program(lib, *leaves)
        grads = (torch if lib is torch else pygrad).autograd.grad(
            out.sum(), leaves, create_graph=create_graph, allow_unused=True
        )
        second = []
        if create_graph:
            total = sum(g.sum() for g in grads if g is not None)
            second = (torch if lib is torch else pygrad).autograd.grad(
                total, leaves, allow_unused=True
            )
        results.append((out, grads, second))
    (t_out, t_grads, t_second), (p_out, p_grads, p_second) = results
    np.testing.assert_allclose(_np(p_out), t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    for tg, pg in list(zip(t_grads, p_grads)) + list(zip(t_second, p_second)):
        if tg is None:
            assert pg is None or not np.any(_np(pg))
        else:
            np.testing.assert_allclose(_np(pg), tg.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_inplace_on_view_of_nonleaf_rebases_history_as_torch():
    a, w = _rand_np(3, 4), _rand_np(2, 3)

    def row_scaled(lib, x):
        y = x * 2
        y[0].mul_(3)
        return y * y

    def view_of_view(lib, x, w):
        y = x * 2 - 1
        y[1:, :3].t().add_(w.t())  # a view of a view, written with a tensor that requires grad
        return y.sin()

    def stale_sibling_view(lib, x):
        y = x * 1.5
        column = y[:, 1]  # made before the write: its history must follow the new base
        y[0].mul_(5)
        return column * column

    def iadd_through_setitem(lib, x):
        y = x * 0.7 + 0.1
        y[1] += y[0] * 2
        y[:, 2] *= 3
        return y

    def recurrence(lib, x):
        y = x * 1.0
        for i in range(1, 3):
            y[i] = y[i - 1] * 0.5 + y[i]
        return y

    for program in (row_scaled, stale_sibling_view, iadd_through_setitem, recurrence):
        _same_program(program, a)
    _same_program(view_of_view, a, w)


def test_inplace_on_view_double_backward_as_torch():
    a = _rand_np(3, 4)

    def program(lib, x):
        y = x**2
        y[0].mul_(x[1])
        y[:, 1:3].clamp_(min=-0.5)
        return y * x

    _same_program(program, a, create_graph=True)


def test_write_into_view_of_plain_tensor_puts_base_on_graph():
    w, v = _rand_np(4), _rand_np(3)

    def program(lib, w, v):
        z = lib.zeros(3, 4, dtype=lib.float64)
        z[1] = w * 2
        z[:, 2].copy_(v)
        assert z.requires_grad and not z.is_leaf
        return z * z

    _same_program(program, w, v)


def test_fill_and_copy_of_constants_keep_nonleaf_in_graph():
    a = _rand_np(3, 4)

    def program(lib, x):
        y = x * 3
        y[1].fill_(2.0)
        y[2].zero_()
        u = x + 1
        u.copy_(lib.ones(3, 4, dtype=lib.float64))
        assert u.requires_grad and not u.is_leaf
        return y * x + u

    _same_program(program, a)


def test_inplace_on_view_refusals_match_torch():
    x = _leaf(_rand_np(3, 4))
    with pytest.raises(RuntimeError, match=r"\[mul\].*view of a leaf"):
        x[0].mul_(2)
    with pygrad.no_grad():
        x[0].mul_(2)  # allowed outside grad mode, as in torch
    y = x * 2
    with pytest.raises(RuntimeError, match="single memory location"):
        y[0:1].expand(3, 4).add_(1.0)


def test_inplace_through_view_of_saved_value_is_caught():
    x = _leaf(_rand_np(3, 4))
    y = x * 2
    z = y[0] * y[0]  # saves the view
    y[0].add_(1.0)
    with pytest.raises(RuntimeError, match="version"):
        z.sum().backward()


def test_view_write_graph_memory_is_freed():
    """A view saved by an op after a write through it holds its base weakly: no reference cycle
    keeps the graph (and the hook it holds) alive."""
    import weakref

    class Probe:
        pass

    x = _leaf(_rand_np(64, 64))
    y = x * 2
    probe = Probe()
    y.register_hook(lambda g, p=probe: None)
    alive = weakref.ref(probe)
    del probe
    row = y[3]
    row.mul_(2)
    (row * y[3]).sum().backward()
    z = y[5] * y[5]  # saves a view of y, whose history now holds the write
    y[5].add_(1.0)
    del y, row, z
    gc.collect()
    assert alive() is None


def test_leaf_inplace_requires_no_grad():
    x = _leaf(_rand_np(3))
    with pytest.raises(RuntimeError, match="leaf"):
        x.mul_(2)
    with pygrad.no_grad():
        x.mul_(2)
    assert x.is_leaf and x.requires_grad


def test_post_accumulate_grad_hooks_and_backward_inputs_match_torch():
    """backward(inputs=) goes through the engine: leaf hooks and post-accumulate hooks run, other
    leaves stay untouched, a non-leaf input gets its .grad; both as torch."""
    results = []
    for lib in (pygrad, torch):
        a = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        b = lib.tensor([0.5, 4.0, -1.0], requires_grad=True)
        seen = []
        a.register_post_accumulate_grad_hook(lambda t, seen=seen: seen.append(t.grad.tolist()))
        a.register_hook(lambda g: g * 2)
        (a * b * 3).sum().backward(inputs=[a])
        untouched = b.grad is None
        lib.autograd.backward([(a * a * b).sum()], inputs=[b])
        (a * b).sum().backward()
        c = a * 1
        (c * c).sum().backward(inputs=[c])
        results.append((a.grad.tolist(), b.grad.tolist(), untouched, seen, c.grad.tolist()))
        with pytest.raises(RuntimeError, match="non-leaf"):
            (a * 2).register_post_accumulate_grad_hook(lambda t: None)
    assert results[0] == results[1]
    with pytest.raises(TypeError, match="must return None"):
        x = pygrad.ones(2, requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda t: t)
        x.sum().backward()
