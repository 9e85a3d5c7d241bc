"""Queries whose keys are all masked in nn.MultiheadAttention / F.multi_head_attention_forward, against
torch: without weights (torch's scaled-dot-product path, a safe softmax) the row gives zeros and finite
gradients equal to torch's; with weights (plain softmax) it gives NaN where torch does."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad
from pygrad import nn

torch = import_torch()

E, H, L, S, N = 8, 2, 3, 4, 2
TOL = {np.float32: {"rtol": 1e-4, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


def _modules(rng, dtype, **kw):
    pm = nn.MultiheadAttention(E, H, dtype=getattr(pygrad, np.dtype(dtype).name), **kw)
    tm = torch.nn.MultiheadAttention(E, H, **kw).to(getattr(torch, np.dtype(dtype).name))
    with torch.no_grad():
        for t in tm.state_dict().values():
            t.copy_(torch.tensor(rng.uniform(-1.0, 1.0, tuple(t.shape))))
    pm.load_state_dict(
        OrderedDict((k, pygrad.from_numpy(v.numpy().copy())) for k, v in tm.state_dict().items())
    )
    return pm, tm


def _masks(rng, kind, batched):
    """(key_padding_mask, attn_mask) as numpy arrays, with some query rows fully masked."""
    kpm = rng.uniform(size=(N, S) if batched else (S,)) < 0.3
    kpm[..., 0] = False
    attn = rng.uniform(size=(L, S)) < 0.3
    attn[:, 0] = False
    last = kpm[-1] if batched else kpm  # a view: the last sequence's padding
    if kind == "kpm":  # every key of the last sequence is padding: all its queries are dead
        last[:] = True
        return kpm, None
    if kind == "attn":  # query 1 may look at no key
        attn[1] = True
        return None, attn
    if kind == "float":  # the same as -inf floats, summed with a finite key padding mask
        attn[1] = True
        return rng.standard_normal(kpm.shape), np.where(attn, -np.inf, 0.0)
    attn[2] = True  # "both": dead rows from either mask, and their union
    last[1:] = True
    attn[0, 0] = True
    return kpm, attn


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind", ["kpm", "attn", "float", "both"])
def test_dead_rows_without_weights_are_zero_as_torch(kind, batched, dtype):
    rng = make_rng("mha-dead", kind, batched)
    pm, tm = _modules(rng, dtype)
    xs = [rng.standard_normal((n, N, E) if batched else (n, E)).astype(dtype) for n in (L, S, S)]
    ps = [to_pygrad(x, requires_grad=True) for x in xs]
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    kpm, attn = _masks(rng, kind, batched)
    fp, ft = {}, {}
    for name, m in (("key_padding_mask", kpm), ("attn_mask", attn)):
        if m is not None:
            m = m if m.dtype == bool else m.astype(dtype)
            fp[name], ft[name] = to_pygrad(m), torch.tensor(m)
    out_p, w_p = pm(*ps, need_weights=False, **fp)
    out_t, w_t = tm(*ts, need_weights=False, **ft)
    assert w_p is None and w_t is None
    expected = out_t.detach().numpy()
    assert np.all(np.isfinite(expected))
    assert np.any(np.all(expected == to_numpy(pm.out_proj.bias), axis=-1))  # a dead row: bias only
    np.testing.assert_allclose(to_numpy(out_p), expected, **TOL[dtype])
    g = rng.standard_normal(expected.shape).astype(dtype)
    (out_p * to_pygrad(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    for a, b in zip(ps, ts):
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), **TOL[dtype])
    grads = dict(pm.named_parameters())
    for n, p in tm.named_parameters():
        np.testing.assert_allclose(to_numpy(grads[n].grad), p.grad.numpy(), **TOL[dtype], err_msg=n)


@pytest.mark.parametrize("average", [True, False])
def test_dead_rows_with_weights_are_nan_as_torch(average):
    rng = make_rng("mha-dead-weights", average)
    pm, tm = _modules(rng, np.float64)
    q, kv = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
    kpm, attn = _masks(rng, "both", True)
    kw_p = {"key_padding_mask": to_pygrad(kpm), "attn_mask": to_pygrad(attn)}
    kw_t = {"key_padding_mask": torch.tensor(kpm), "attn_mask": torch.tensor(attn)}
    out_p, w_p = pm(
        to_pygrad(q), to_pygrad(kv), to_pygrad(kv), average_attn_weights=average, **kw_p
    )
    out_t, w_t = tm(torch.tensor(q), *[torch.tensor(kv)] * 2, average_attn_weights=average, **kw_t)
    for ours, theirs in ((out_p, out_t), (w_p, w_t)):
        theirs = theirs.detach().numpy()
        assert np.any(np.isnan(theirs)) and not np.all(np.isnan(theirs))
        np.testing.assert_array_equal(np.isnan(to_numpy(ours)), np.isnan(theirs))
        np.testing.assert_allclose(to_numpy(ours), theirs, **TOL[np.float64])


def test_dead_rows_in_training_with_dropout_stay_finite():
    pygrad.manual_seed(0)
    m = nn.MultiheadAttention(E, H, dropout=0.5)
    x = pygrad.randn(S, N, E, requires_grad=True)
    kpm = pygrad.zeros(N, S, dtype=pygrad.bool)
    kpm[1] = True
    out, _ = m(x, x, x, key_padding_mask=kpm, need_weights=False)
    out.sum().backward()
    assert np.all(np.isfinite(to_numpy(out))) and np.all(np.isfinite(to_numpy(x.grad)))
