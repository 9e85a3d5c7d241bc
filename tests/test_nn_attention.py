"""Attention against torch: F.scaled_dot_product_attention (bool and float masks, causal, scale, gqa,
extra batch dims, fully masked rows, dropout statistics) and nn.MultiheadAttention loaded from torch
modules with randomised parameters (outputs, attention weights, gradients of inputs and parameters,
float32/float64, masks, key_padding_mask, batch_first, kdim/vdim, add_bias_kv, add_zero_attn, unbatched
input, dropout in eval); the errors torch raises."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional

DTYPES = [np.float32, np.float64]
TOL = {np.float32: {"rtol": 1e-4, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


def _pair(array):
    return to_pygrad(array, requires_grad=True), torch.tensor(array, requires_grad=True)


# (id, q shape, k shape, v shape, mask: None / "bool" / "float" with its shape, kwargs).
SDPA = [
    ("plain", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), None, {}),
    ("3d", (2, 4, 5), (2, 6, 5), (2, 6, 3), None, {}),
    ("2d", (4, 5), (6, 5), (6, 3), None, {}),
    ("5d", (2, 2, 2, 3, 4), (2, 2, 2, 5, 4), (2, 2, 2, 5, 4), None, {}),
    ("bool-mask", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), ("bool", (4, 6)), {}),
    ("bool-mask-bcast", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), ("bool", (2, 1, 4, 6)), {}),
    ("float-mask", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), ("float", (4, 6)), {}),
    ("float-mask-full", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), ("float", (2, 3, 4, 6)), {}),
    ("causal", (2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 4), None, {"is_causal": True}),
    ("causal-rect", (2, 3, 4, 4), (2, 3, 6, 4), (2, 3, 6, 4), None, {"is_causal": True}),
    ("scale", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), None, {"scale": 0.7}),
    ("gqa", (2, 6, 4, 5), (2, 2, 6, 5), (2, 2, 6, 5), None, {"enable_gqa": True}),
    ("gqa-mask", (2, 4, 4, 5), (2, 1, 6, 5), (2, 1, 6, 3), ("bool", (4, 6)), {"enable_gqa": True}),
    ("dropout0", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), None, {"dropout_p": 0.0}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,qs,ks,vs,mask,kw", SDPA, ids=[c[0] for c in SDPA])
def test_sdpa_matches_torch(name, qs, ks, vs, mask, kw, dtype):
    rng = make_rng("sdpa", name)
    (qp, qt), (kp, kt), (vp, vt) = (
        _pair(rng.standard_normal(s).astype(dtype)) for s in (qs, ks, vs)
    )
    mp = mt = None
    if mask is not None:
        kind, shape = mask
        if kind == "bool":
            m = rng.uniform(size=shape) < 0.7
            m[..., 0] = True  # no fully masked row here
            mp, mt = to_pygrad(m), torch.tensor(m)
        else:
            m = rng.standard_normal(shape).astype(dtype)
            mp, mt = _pair(m)
    out_p = F.scaled_dot_product_attention(qp, kp, vp, mp, **kw)
    out_t = TF.scaled_dot_product_attention(qt, kt, vt, mt, **kw)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_p * to_pygrad(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    pairs = [(qp, qt), (kp, kt), (vp, vt)]
    if mask is not None and mask[0] == "float":
        pairs.append((mp, mt))
    for a, b in pairs:
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), **TOL[dtype])


def test_sdpa_fully_masked_row_gives_zeros_and_finite_grads():
    rng = make_rng("sdpa-dead")
    (qp, qt), (kp, kt), (vp, vt) = (_pair(rng.standard_normal((2, 3, 4))) for _ in range(3))
    m = np.ones((3, 3), dtype=bool)
    m[1] = False
    out_p = F.scaled_dot_product_attention(qp, kp, vp, to_pygrad(m))
    out_t = TF.scaled_dot_product_attention(qt, kt, vt, torch.tensor(m))
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), rtol=1e-9, atol=1e-11)
    assert np.all(to_numpy(out_p)[:, 1] == 0)
    out_p.sum().backward()
    for t in (qp, kp, vp):
        assert np.all(np.isfinite(to_numpy(t.grad)))


def test_sdpa_dropout_statistics():
    pygrad.manual_seed(0)
    q = pygrad.zeros(1, 200, 4)  # uniform weights 1/50 over 50 keys
    v = pygrad.ones(1, 50, 1)
    out = to_numpy(F.scaled_dot_product_attention(q, pygrad.zeros(1, 50, 4), v, dropout_p=0.5))
    # Each output is (kept keys) / 50 / (1 - p): mean 1, and not all equal to 1.
    assert abs(out.mean() - 1.0) < 0.05
    assert out.std() > 0.05


def test_sdpa_errors():
    q = pygrad.zeros(2, 3, 4)
    with pytest.raises(RuntimeError):
        TF.scaled_dot_product_attention(
            torch.zeros(2, 3, 4),
            torch.zeros(2, 3, 4),
            torch.zeros(2, 3, 4),
            torch.ones(3, 3, dtype=torch.bool),
            is_causal=True,
        )
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(
            q, q, q, pygrad.ones(3, 3, dtype=pygrad.bool), is_causal=True
        )
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, pygrad.zeros(2, 3, 5), q)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(
            pygrad.zeros(2, 3, 3, 4),
            pygrad.zeros(2, 2, 3, 4),
            pygrad.zeros(2, 2, 3, 4),
            enable_gqa=True,
        )
    with pytest.raises(TypeError):
        F.scaled_dot_product_attention(q.long(), q.long(), q.long())


def load_randomised(tm, pm, rng, dtype):
    tm.to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        for t in tm.state_dict().values():
            t.copy_(torch.tensor(rng.uniform(-1.0, 1.0, tuple(t.shape))))
    pm.load_state_dict(
        OrderedDict((k, pygrad.from_numpy(v.numpy().copy())) for k, v in tm.state_dict().items())
    )


# (id, constructor kwargs, L, S, N (None: unbatched), forward extras: "kpm", "bool-mask", "float-mask", "mask3d", "causal").
MHA = [
    ("plain", {}, 4, 5, 2, []),
    ("batch_first", {"batch_first": True}, 4, 5, 2, []),
    ("unbatched", {}, 4, 5, None, []),
    ("unbatched-batch_first", {"batch_first": True}, 4, 5, None, ["kpm"]),
    ("nobias", {"bias": False}, 3, 3, 2, []),
    ("kdim-vdim", {"kdim": 3, "vdim": 5}, 4, 6, 2, []),
    ("kdim-vdim-batch_first", {"kdim": 3, "vdim": 5, "batch_first": True}, 4, 6, 3, ["kpm"]),
    ("bias_kv", {"add_bias_kv": True}, 4, 5, 2, ["kpm", "bool-mask"]),
    ("zero_attn", {"add_zero_attn": True}, 4, 5, 2, ["kpm-float", "float-mask"]),
    ("bias_kv-zero_attn", {"add_bias_kv": True, "add_zero_attn": True}, 4, 5, 2, ["mask3d"]),
    ("kpm", {}, 4, 5, 2, ["kpm"]),
    ("kpm-float", {}, 4, 5, 2, ["kpm-float"]),
    ("bool-mask", {}, 4, 5, 2, ["bool-mask"]),
    ("float-mask", {}, 4, 5, 2, ["float-mask", "kpm-float"]),
    ("mask3d", {}, 4, 5, 2, ["mask3d"]),
    ("causal", {}, 5, 5, 2, ["causal"]),
    ("per-head", {}, 4, 5, 2, ["per-head"]),
    ("no-weights", {}, 4, 5, 2, ["no-weights", "kpm", "bool-mask"]),
    ("dropout-eval", {"dropout": 0.5}, 4, 5, 2, ["eval"]),
    # query, key and value one tensor: the packed in-projection (one GEMM, head-major q/k/v)
    ("self", {}, 4, 4, 2, ["self"]),
    ("self-batch_first", {"batch_first": True}, 4, 4, 3, ["self", "kpm", "no-weights"]),
    ("self-unbatched", {}, 4, 4, None, ["self", "no-weights"]),
    ("self-causal", {"batch_first": True}, 5, 5, 2, ["self", "causal", "no-weights"]),
    ("self-nobias", {"bias": False}, 3, 3, 2, ["self", "kpm"]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,kw,L,S,N,extras", MHA, ids=[c[0] for c in MHA])
def test_multihead_attention_matches_torch(name, kw, L, S, N, extras, dtype):
    E, H = 8, 2
    rng = make_rng("mha", name)
    pdt = getattr(pygrad, np.dtype(dtype).name)
    pm, tm = nn.MultiheadAttention(E, H, dtype=pdt, **kw), torch.nn.MultiheadAttention(E, H, **kw)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in pm.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    load_randomised(tm, pm, rng, dtype)
    if "eval" in extras:
        pm.eval()
        tm.eval()
    bf = kw.get("batch_first", False)

    def shape(seq, dim):
        if N is None:
            return (seq, dim)
        return (N, seq, dim) if bf else (seq, N, dim)

    (qp, qt) = _pair(rng.standard_normal(shape(L, E)).astype(dtype))
    (kp, kt) = _pair(rng.standard_normal(shape(S, kw.get("kdim", E))).astype(dtype))
    (vp, vt) = _pair(rng.standard_normal(shape(S, kw.get("vdim", E))).astype(dtype))
    if "self" in extras:
        (kp, kt), (vp, vt) = (qp, qt), (qp, qt)
    fp, ft = {}, {}
    if "kpm" in extras or "kpm-float" in extras:
        m = rng.uniform(size=(S,) if N is None else (N, S)) < 0.3
        m[..., 0] = False
        if "kpm-float" in extras:
            m = np.where(m, -np.inf, rng.standard_normal(m.shape)).astype(dtype)
        fp["key_padding_mask"], ft["key_padding_mask"] = to_pygrad(m), torch.tensor(m)
    if "bool-mask" in extras or "float-mask" in extras or "mask3d" in extras:
        s = (L, S) if "mask3d" not in extras else (N * H, L, S)
        if "bool-mask" in extras:
            m = rng.uniform(size=s) < 0.3
            m[..., 0] = False
        else:
            m = rng.standard_normal(s).astype(dtype)
        fp["attn_mask"], ft["attn_mask"] = to_pygrad(m), torch.tensor(m)
    if "causal" in extras:
        m = np.triu(np.ones((L, S), dtype=bool), 1)
        fp.update(attn_mask=to_pygrad(m), is_causal=True)
        ft.update(attn_mask=torch.tensor(m), is_causal=True)
    if "per-head" in extras:
        fp["average_attn_weights"] = ft["average_attn_weights"] = False
    if "no-weights" in extras:
        fp["need_weights"] = ft["need_weights"] = False
    out_p, w_p = pm(qp, kp, vp, **fp)
    out_t, w_t = tm(qt, kt, vt, **ft)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    if w_t is None:
        assert w_p is None
    else:
        assert tuple(w_p.shape) == tuple(w_t.shape)
        np.testing.assert_allclose(to_numpy(w_p), w_t.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    loss_p, loss_t = (out_p * to_pygrad(g)).sum(), (out_t * torch.tensor(g)).sum()
    if w_t is not None:
        gw = rng.standard_normal(tuple(w_t.shape)).astype(dtype)
        loss_p, loss_t = (
            loss_p + (w_p * to_pygrad(gw)).sum(),
            loss_t + (w_t * torch.tensor(gw)).sum(),
        )
    loss_p.backward()
    loss_t.backward()
    for a, b in [(qp, qt), (kp, kt), (vp, vt)]:
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), **TOL[dtype])
    pgrads = dict(pm.named_parameters())
    for n, p in tm.named_parameters():
        np.testing.assert_allclose(
            to_numpy(pgrads[n].grad), p.grad.numpy(), **TOL[dtype], err_msg=n
        )


def test_multihead_attention_init():
    pygrad.manual_seed(0)
    m = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    assert np.all(to_numpy(m.in_proj_bias) == 0) and np.all(to_numpy(m.out_proj.bias) == 0)
    w = to_numpy(m.in_proj_weight)
    bound = np.sqrt(6.0 / (16 + 48))  # xavier_uniform_ on the [48, 16] in_proj_weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert m.bias_k.shape == (1, 1, 16) and np.any(to_numpy(m.bias_k) != 0)


def test_multihead_attention_dropout_in_training():
    pygrad.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = pygrad.randn(6, 2, 8)
    _, w1 = m(x, x, x, average_attn_weights=False)
    assert np.any(to_numpy(w1) == 0)  # some weights dropped
    m.eval()
    _, w2 = m(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(to_numpy(w2).sum(-1), 1.0, rtol=1e-5)


def test_multihead_attention_errors():
    with pytest.raises(AssertionError):
        torch.nn.MultiheadAttention(6, 4)
    with pytest.raises(AssertionError):
        nn.MultiheadAttention(6, 4)
    m, tm = nn.MultiheadAttention(4, 2), torch.nn.MultiheadAttention(4, 2)
    x, xt = pygrad.zeros(3, 2, 4), torch.zeros(3, 2, 4)
    with pytest.raises(RuntimeError):
        tm(xt, xt, xt, is_causal=True)
    with pytest.raises(RuntimeError):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError):
        tm(xt, xt, xt, attn_mask=torch.zeros(2, 3))
    with pytest.raises(RuntimeError):
        m(x, x, x, attn_mask=pygrad.zeros(2, 3))
    with pytest.raises(AssertionError):
        tm(xt, xt, xt, key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(AssertionError):
        m(x, x, x, key_padding_mask=pygrad.zeros(2, 4, dtype=pygrad.bool))


# (id, batched, static: "kv" / "k" / "v", S of the statics, extras) for F.multi_head_attention_forward.
STATIC = [
    ("kv", True, "kv", 7, ()),
    ("k-only", True, "k", 5, ()),
    ("v-only", True, "v", 5, ()),
    ("kv-unbatched", False, "kv", 3, ()),
    ("kv-batch1-s1", True, "kv", 1, ()),
    ("kv-zero-attn", True, "kv", 6, ("zero",)),
    ("kv-kpm", True, "kv", 6, ("kpm",)),
    ("kv-kpm-zero", True, "kv", 4, ("kpm", "zero")),
    ("kv-mask", True, "kv", 5, ("mask",)),
    ("kv-mask3d-kpm", True, "kv", 5, ("mask3d", "kpm")),
    ("kv-no-weights", True, "kv", 6, ("no-weights", "kpm")),
    ("kv-per-head", True, "kv", 6, ("per-head",)),
    ("kv-separate", True, "kv", 4, ("separate",)),
    ("kv-no-bias", True, "kv", 4, ("no-bias",)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,batched,which,s_static,extras", STATIC, ids=[c[0] for c in STATIC])
def test_mha_forward_static_kv_matches_torch(name, batched, which, s_static, extras, dtype):
    rng = make_rng("mha-static", name)
    L, N, S, E, H = 4, (2 if name not in ("kv-batch1-s1", "kv-unbatched") else 1), 5, 6, 3
    hd = E // H
    lead = (L, N) if batched else (L,)

    def arr(*shape):
        return rng.standard_normal(shape).astype(dtype)

    names = ["q", "k", "v", "w_in", "b_in", "w_out", "b_out", "wq", "wk", "wv"]
    shapes = [(*lead, E), (S, *lead[1:], E), (S, *lead[1:], E), (3 * E, E), (3 * E,)]
    shapes += [(E, E), (E,), (E, E), (E, E), (E, E)]
    ps, ts = {}, {}
    for n, s in zip(names, shapes):
        ps[n], ts[n] = _pair(arr(*s))
    for n in ("k", "v"):
        if n in which:
            ps["s" + n], ts["s" + n] = _pair(arr(N * H, s_static, hd))
    bias = "no-bias" not in extras
    args_p = [ps["q"], ps["k"], ps["v"], E, H, ps["w_in"], ps["b_in"] if bias else None]
    args_t = [ts["q"], ts["k"], ts["v"], E, H, ts["w_in"], ts["b_in"] if bias else None]
    args_p += [None, None, "zero" in extras, 0.0, ps["w_out"], ps["b_out"] if bias else None]
    args_t += [None, None, "zero" in extras, 0.0, ts["w_out"], ts["b_out"] if bias else None]
    kw_p = {"static_k": ps.get("sk"), "static_v": ps.get("sv")}
    kw_t = {"static_k": ts.get("sk"), "static_v": ts.get("sv")}
    src = s_static if which == "kv" else S
    if "kpm" in extras:
        m = rng.uniform(size=(N, src) if batched else (src,)) < 0.3
        m[..., 0] = False  # no fully masked row
        kw_p["key_padding_mask"], kw_t["key_padding_mask"] = to_pygrad(m), torch.tensor(m)
    if "mask" in extras:
        m = arr(L, S)
        kw_p["attn_mask"], kw_t["attn_mask"] = to_pygrad(m), torch.tensor(m)
    if "mask3d" in extras:
        m = rng.uniform(size=(N * H, L, S)) < 0.3
        m[..., 0] = False
        kw_p["attn_mask"], kw_t["attn_mask"] = to_pygrad(m), torch.tensor(m)
    if "separate" in extras:
        kw_p["use_separate_proj_weight"] = kw_t["use_separate_proj_weight"] = True
        for n, key in (("wq", "q_proj_weight"), ("wk", "k_proj_weight"), ("wv", "v_proj_weight")):
            kw_p[key], kw_t[key] = ps[n], ts[n]
    if "no-weights" in extras:
        kw_p["need_weights"] = kw_t["need_weights"] = False
    if "per-head" in extras:
        kw_p["average_attn_weights"] = kw_t["average_attn_weights"] = False
    out_p, w_p = F.multi_head_attention_forward(*args_p, **kw_p)
    out_t, w_t = TF.multi_head_attention_forward(*args_t, **kw_t)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    loss_p = (out_p * to_pygrad(g := arr(*out_t.shape))).sum()
    loss_t = (out_t * torch.tensor(g)).sum()
    if w_t is None:
        assert w_p is None
    else:
        assert tuple(w_p.shape) == tuple(w_t.shape)
        np.testing.assert_allclose(to_numpy(w_p), w_t.detach().numpy(), **TOL[dtype])
        gw = arr(*w_t.shape)
        loss_p = loss_p + (w_p * to_pygrad(gw)).sum()
        loss_t = loss_t + (w_t * torch.tensor(gw)).sum()
    loss_p.backward()
    loss_t.backward()
    for n in ts:
        a, b = ps[n].grad, ts[n].grad
        assert (a is None) == (b is None), n
        if b is not None:
            np.testing.assert_allclose(to_numpy(a), b.numpy(), **TOL[dtype], err_msg=n)


def test_mha_forward_static_kv_errors():
    rng = make_rng("mha-static-errors")
    L, N, S, E, H = 3, 2, 4, 4, 2

    def run(lib, f, **kw):
        t = (lambda a: to_pygrad(a)) if lib is pygrad else torch.tensor
        x = t(rng.standard_normal((L, N, E)))
        w_in, w_out = t(rng.standard_normal((3 * E, E))), t(rng.standard_normal((E, E)))
        bk = kw.pop("bias_kv", None)
        bias = (t(bk), t(bk)) if bk is not None else (None, None)
        kw = {k: (t(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        return f(x, x, x, E, H, w_in, None, *bias, False, 0.0, w_out, None, **kw)

    good = rng.standard_normal((N * H, S, E // H))
    cases = [
        ({"static_k": good, "bias_kv": rng.standard_normal((1, 1, E))}, "bias cannot be added"),
        ({"static_v": good, "bias_kv": rng.standard_normal((1, 1, E))}, "bias cannot be added"),
        ({"static_k": rng.standard_normal((N, S, E // H))}, "static_k.size\\(0\\)"),
        ({"static_v": rng.standard_normal((N * H, S, E))}, "static_v.size\\(2\\)"),
        (
            {
                "static_k": rng.standard_normal((N * H, S + 2, E // H)),
                "static_v": rng.standard_normal((N * H, S + 2, E // H)),
                "key_padding_mask": np.zeros((N, S), dtype=bool),
            },
            "key_padded_mask.shape\\[1\\]",
        ),
    ]
    for kw, msg in cases:
        with pytest.raises(AssertionError, match=msg):
            run(torch, TF.multi_head_attention_forward, **dict(kw))
        with pytest.raises(AssertionError, match=msg):
            run(pygrad, F.multi_head_attention_forward, **dict(kw))
