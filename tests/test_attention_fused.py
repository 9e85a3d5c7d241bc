"""The fused scaled-dot-product attention (flash tiling, C++): several query and key blocks, causal
masks across block edges, constant float and bool masks, broadcast leading dims, fully masked rows,
gradients against torch, double backward, thread-count determinism and linear memory."""

import textwrap

import numpy as np
import pytest
from conftest import import_torch, make_rng, num_threads, run_python, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import _C
from pygrad.autograd import gradcheck, gradgradcheck

torch = import_torch()
TF = torch.nn.functional

# (id, q shape, k shape, v shape, mask (kind, shape) or None, is_causal): lengths past one 64-row block.
CASES = [
    ("blocks", (2, 150, 16), (2, 200, 16), (2, 200, 8), None, False),
    ("causal-square", (1, 2, 130, 8), (1, 2, 130, 8), (1, 2, 130, 8), None, True),
    ("causal-rect", (2, 70, 8), (2, 190, 8), (2, 190, 4), None, True),
    ("causal-short-keys", (1, 100, 8), (1, 30, 8), (1, 30, 8), None, True),
    ("bool-mask", (2, 2, 90, 8), (2, 2, 140, 8), (2, 2, 140, 8), ("bool", (2, 1, 90, 140)), False),
    ("float-mask", (3, 80, 8), (3, 65, 8), (3, 65, 8), ("float", (80, 65)), False),
    ("bcast-lead", (2, 1, 66, 8), (1, 3, 70, 8), (2, 3, 70, 8), None, False),
    ("one-query", (2, 1, 8), (2, 129, 8), (2, 129, 8), None, False),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,qs,ks,vs,mask,causal", CASES, ids=[c[0] for c in CASES])
def test_fused_sdpa_matches_torch(name, qs, ks, vs, mask, causal, dtype):
    rng = make_rng("fused_sdpa", name)
    arrays = [rng.standard_normal(s).astype(dtype) for s in (qs, ks, vs)]
    pg = [to_pygrad(a, requires_grad=True) for a in arrays]
    th = [torch.tensor(a, requires_grad=True) for a in arrays]
    mp = mt = None
    if mask is not None:
        kind, shape = mask
        m = (
            rng.uniform(size=shape) < 0.6
            if kind == "bool"
            else rng.standard_normal(shape).astype(dtype)
        )
        mp, mt = to_pygrad(m), torch.tensor(m)
    out_p = F.scaled_dot_product_attention(*pg, mp, is_causal=causal)
    out_t = TF.scaled_dot_product_attention(*th, mt, is_causal=causal)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-11}
    expected = np.nan_to_num(
        out_t.detach().numpy()
    )  # torch's math path: NaN rows where all keys masked
    np.testing.assert_allclose(to_numpy(out_p), expected, **tol)
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_p * to_pygrad(g)).sum().backward()
    if not np.isnan(out_t.detach().numpy()).any():
        (out_t * torch.tensor(g)).sum().backward()
        for a, b in zip(pg, th):
            np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), **tol)


def test_fused_sdpa_fully_masked_rows_are_zero_with_zero_gradients():
    rng = make_rng("fused_dead")
    q, k, v = (to_pygrad(rng.standard_normal((1, 70, 4)), requires_grad=True) for _ in range(3))
    mask = np.ones((70, 70), dtype=bool)
    mask[5] = False  # query 5 sees no key
    out = F.scaled_dot_product_attention(q, k, v, to_pygrad(mask))
    np.testing.assert_array_equal(to_numpy(out)[0, 5], 0)
    out.sum().backward()
    np.testing.assert_array_equal(to_numpy(q.grad)[0, 5], 0)
    assert np.isfinite(to_numpy(k.grad)).all() and np.isfinite(to_numpy(v.grad)).all()


def test_fused_sdpa_gradcheck_and_double_backward():
    rng = make_rng("fused_gc")
    q = to_pygrad(rng.standard_normal((2, 5, 3)), requires_grad=True)
    k = to_pygrad(rng.standard_normal((2, 6, 3)), requires_grad=True)
    v = to_pygrad(rng.standard_normal((2, 6, 2)), requires_grad=True)
    mask = to_pygrad(rng.standard_normal((5, 6)))

    def attend(a, b, c):
        return _C._flash_attention(a, b, c, mask, 0.8, False)

    def causal(a, b, c):
        return _C._flash_attention(a, b, c, None, 0.5, True)

    for fn in (attend, causal):
        assert gradcheck(fn, (q, k, v))
        assert gradgradcheck(fn, (q, k, v))


def test_fused_sdpa_same_bits_at_any_thread_count_and_bfloat16():
    rng = make_rng("fused_threads")
    arrays = [rng.standard_normal((4, 130, 16)).astype(np.float32) for _ in range(3)]
    results = []
    for n in (1, 2):
        with num_threads(n):
            ts = [to_pygrad(a, requires_grad=True) for a in arrays]
            out = F.scaled_dot_product_attention(*ts, is_causal=True)
            out.square().sum().backward()
            results.append([to_numpy(out)] + [to_numpy(t.grad) for t in ts])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    half = [pygrad.from_numpy(a).to(pygrad.bfloat16) for a in arrays]
    out = F.scaled_dot_product_attention(*half)
    ref = TF.scaled_dot_product_attention(*(torch.tensor(a) for a in arrays))
    assert out.dtype == pygrad.bfloat16
    np.testing.assert_allclose(to_numpy(out.float()), ref.numpy(), rtol=3e-2, atol=3e-2)


def test_fused_sdpa_memory_grows_linearly_with_length():
    # At 3072 queries and keys the score matrix alone is 36 MiB (and the math backward keeps several):
    # the fused op's peak stays far below it.
    code = textwrap.dedent(
        """
        import pygrad
        import pygrad.nn.functional as F

        def peak_kib():
            with open("/proc/self/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))

        q, k, v = (pygrad.randn(1, 3072, 32, requires_grad=True) for _ in range(3))
        F.scaled_dot_product_attention(q[:, :8], k[:, :8], v[:, :8]).sum().backward()  # warm up
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        start = peak_kib()
        F.scaled_dot_product_attention(q, k, v).sum().backward()
        print((peak_kib() - start) / 1024)
        """
    )
    result = run_python(code, timeout=120, check=True)
    assert float(result.stdout.strip().splitlines()[-1]) < 24.0


def test_fused_sdpa_dropout_mask_is_consistent_and_replayed_in_backward():
    # The same seed draws the same tile masks: gradcheck holds when each evaluation reseeds.
    rng = make_rng("fused_dropout")
    q, k, v = (to_pygrad(rng.standard_normal((2, 70, 3)), requires_grad=True) for _ in range(3))

    def attend(a, b, c):
        pygrad.manual_seed(5)
        return F.scaled_dot_product_attention(a, b, c, dropout_p=0.4)

    assert gradcheck(attend, (q, k, v), atol=1e-6)
    # Kept weights are scaled by 1 / (1 - p): with values all ones each output is (kept weight mass) / 0.6,
    # averaging 1 over many rows; p = 1 drops everything.
    ones_v = pygrad.ones(4, 300, 200, 2)
    qq, kk = pygrad.randn(4, 300, 200, 8), pygrad.randn(4, 300, 200, 8)
    out = F.scaled_dot_product_attention(qq[:, :, :20], kk, ones_v, dropout_p=0.4)
    assert abs(float(out.mean().item()) - 1.0) < 0.02
    assert (
        float(F.scaled_dot_product_attention(qq, kk, ones_v, dropout_p=1.0).abs().max().item())
        == 0.0
    )
    # A second derivative through the fused dropout is refused with a clear error.
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    (g,) = pygrad.autograd.grad([out.sum()], [q], create_graph=False)
    assert g.shape == q.shape
    with pytest.raises(RuntimeError, match="differentiable once"):
        pygrad.autograd.grad(
            [F.scaled_dot_product_attention(q, k, v, dropout_p=0.3).sum()], [q], create_graph=True
        )
