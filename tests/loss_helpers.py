"""Shared by the loss tests: run a pygrad function and its torch counterpart on the same inputs and
compare outputs, dtypes, warnings and gradients; small input builders."""

import warnings

import numpy as np
from conftest import assert_close, import_torch, make_rng

import pygrad
import pygrad.nn.functional as F

torch = import_torch()
TF = torch.nn.functional

TOL = {np.float64: (1e-9, 1e-11), np.float32: (2e-5, 2e-6)}
DTYPES = [np.float64, np.float32]
REDUCTIONS = ["none", "mean", "sum"]


class Both:
    """A keyword argument that differs between the frameworks (a tensor or a function of each)."""

    def __init__(self, p, t):
        self.p, self.t = p, t


def _convert(a, lib, dtype, requires_grad=False):
    if isinstance(a, Both):
        return a.p if lib is pygrad else a.t
    if not isinstance(a, np.ndarray):
        return a
    if np.issubdtype(a.dtype, np.floating):
        a = a.astype(dtype)
    if lib is pygrad:
        t = pygrad.from_numpy(np.array(a, order="C", copy=True))
        return t.requires_grad_(True) if requires_grad else t
    return torch.tensor(a, requires_grad=requires_grad)


def _call(lib, fn, args, kwargs, diff, dtype):
    inputs = [_convert(a, lib, dtype, i in diff) for i, a in enumerate(args)]
    kw = {k: _convert(v, lib, dtype) for k, v in kwargs.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*inputs, **kw)
    return out, inputs, [w.category for w in caught]


def compare(pfn, tfn, args, kwargs=None, diff=(), dtype=np.float64, tol=None):
    """Calls both with the same inputs (floats cast to dtype) and compares outputs, the warnings
    raised, and the gradients of the inputs listed in diff under a random upstream gradient."""
    kwargs = kwargs or {}
    out_t, in_t, warn_t = _call(torch, tfn, args, kwargs, diff, dtype)
    out_p, in_p, warn_p = _call(pygrad, pfn, args, kwargs, diff, dtype)
    rtol, atol = tol or TOL[dtype]
    assert warn_p == warn_t, f"warnings {warn_p} != torch's {warn_t}"
    assert str(out_p.dtype).split(".")[-1] == str(out_t.dtype).split(".")[-1]
    assert_close(out_p.detach().numpy(), out_t.detach().numpy(), rtol, atol, "forward")
    if not diff:
        return out_p
    g = make_rng("upstream", str(tuple(out_t.shape))).standard_normal(tuple(out_t.shape))
    (out_t * torch.tensor(g, dtype=out_t.dtype)).sum().backward()
    (out_p * pygrad.from_numpy(g.astype(dtype))).sum().backward()
    for i in diff:
        tg, pg = in_t[i].grad, in_p[i].grad
        if tg is None:  # torch leaves it None where its gradient is 0 (a where() condition, p=0)
            assert pg is None or not pg.numpy().any(), f"input {i} has a nonzero gradient"
            continue
        assert pg is not None, f"no gradient for input {i}"
        assert_close(pg.numpy(), tg.numpy(), rtol, atol, f"grad of input {i}")
    return out_p


def fn_pair(name):
    return getattr(F, name), getattr(TF, name)


# ------------------------------------------------------------------------------- inputs
def randn(rng, *shape):
    return rng.standard_normal(shape)


def probs(rng, *shape):
    return rng.uniform(0.02, 0.98, size=shape)


def signs(rng, *shape):
    return np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)


def log_softmax(x):
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def multilabel_targets(rng, n, c):
    t = np.full((n, c), -1, dtype=np.int64)
    for i in range(n):
        k = rng.integers(0, c + 1)
        t[i, :k] = rng.choice(c, size=k, replace=False)
        t[i, k + 1 :] = rng.integers(0, c, size=max(c - k - 1, 0))  # after the -1: ignored
    return t


def kl_target(rng):
    q = np.exp(log_softmax(randn(rng, 4, 5)))
    q[0, 0] = 0.0  # a zero-probability target contributes 0
    return q
