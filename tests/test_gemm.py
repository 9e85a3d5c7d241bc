"""The packed GEMM (csrc/backend/cpu/gemm/) through pygrad matmul: every ISA, block edges, strides, threads."""

import contextlib
import json
import pathlib

import numpy as np
import pytest
from conftest import ISAS, forced_isa, run_python
from conftest import num_threads as threads

import pygrad
from pygrad import _C

TOL = {np.float32: 2e-6, np.float64: 1e-14}


@contextlib.contextmanager
def isa(name):
    """Forces the GEMM micro-kernels of one instruction set; yields its block sizes."""
    with forced_isa(name):
        yield _C._gemm_blocksizes()


def check(result, a, b):
    """Compares with numpy in float64; the error bound scales with k and |a| @ |b| (float32 rounding)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ref = a64 @ b64
    k = a64.shape[-1]
    bound = TOL[a.dtype.type] * (k + 2) * (np.abs(a64) @ np.abs(b64)) + 1e-30
    err = np.abs(np.asarray(result, np.float64) - ref)
    assert result.shape == ref.shape
    assert np.all(err <= bound), f"max rel err {np.max(err / bound):.3g} x bound"


def operands(rng, m, k, n, dtype, ta=False, tb=False):
    """a (m x k) and b (k x n) as numpy arrays plus pygrad views (transposed storage when ta/tb)."""
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    pa, pb = pygrad.from_numpy(a), pygrad.from_numpy(b)
    return (a.T if ta else a), (b.T if tb else b), (pa.mT if ta else pa), (pb.mT if tb else pb)


def sizes_around(blocks):
    """Dimensions just around the register tile and the cache blocks of the active ISA."""
    mr, nr, mc, kc = blocks["mr"], blocks["nr"], blocks["mc"], blocks["kc"]
    return sorted(
        {1, 7, 33, mr - 1, mr, mr + 1, nr - 1, nr + 1, mc - 1, mc + 1, kc - 1, kc + 1, 257}
    )


@pytest.mark.parametrize("name", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_edges(name, dtype, rng):
    with isa(name) as blocks:
        dims = sizes_around(blocks)
        for m in dims:
            for n in (1, 7, blocks["nr"] + 1, 100):
                k = dims[(m * 7 + n) % len(dims)]
                a, b, pa, pb = operands(rng, m, k, n, dtype)
                check((pa @ pb).numpy(), a, b)
        kc = blocks["kc"]
        for k in (kc - 1, kc, kc + 1, 2 * kc + 3):
            a, b, pa, pb = operands(rng, 40, k, 70, dtype)
            check((pa @ pb).numpy(), a, b)


@pytest.mark.parametrize("name", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_odd_sizes_transposes(name, dtype, ta, tb, rng):
    with isa(name):
        for m, k, n in [
            (1, 7, 33),
            (33, 1, 7),
            (7, 33, 1),
            (257, 33, 7),
            (33, 257, 129),
            (1000, 7, 33),
            (7, 1000, 33),
            (64, 257, 1000),
            (1, 1000, 257),
            (257, 1000, 1),
        ]:
            a, b, pa, pb = operands(rng, m, k, n, dtype, ta, tb)
            check((pa @ pb).numpy(), a, b)


@pytest.mark.parametrize("name", ISAS)
def test_strided_views(name, rng):
    big_a = rng.standard_normal((90, 130)).astype(np.float32)
    big_b = rng.standard_normal((140, 75)).astype(np.float32)
    pa_big, pb_big = pygrad.from_numpy(big_a), pygrad.from_numpy(big_b)
    with isa(name):
        a, pa = big_a[1::2, 3::2], pa_big[1::2, 3::2]  # 45 x 64, both strides > 1
        b, pb = big_b[::2, 5:], pb_big[::2, 5:]  # 70 x 70 ... trimmed to k = 64 below
        b, pb = b[:64], pb[:64]
        check((pa @ pb).numpy(), a, b)
        check((pb.mT[:, 1::3] @ pa.mT[1::3]).numpy(), b.T[:, 1::3], a.T[1::3])
        check((pa.mT @ pa).numpy(), a.T, a)


def test_batched_and_broadcast(rng):
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((3, 4, 37, 50)).astype(dtype)
        b = rng.standard_normal((4, 50, 29)).astype(dtype)
        out = (pygrad.from_numpy(a) @ pygrad.from_numpy(b)).numpy()
        ref = a.astype(np.float64) @ b.astype(np.float64)
        assert out.shape == ref.shape
        for i in np.ndindex(3, 4):
            check(out[i], a[i], b[i[1]])
        big = rng.standard_normal((2, 300, 200)).astype(dtype)
        w = rng.standard_normal((200, 150)).astype(dtype)
        out = (pygrad.from_numpy(big) @ pygrad.from_numpy(w).mT.mT).numpy()
        for i in range(2):
            check(out[i], big[i], w)


@pytest.mark.parametrize("name", ISAS)
def test_bit_identical_across_threads(name, rng):
    cases = [
        (300, 257, 400, False, False),
        (64, 784, 512, False, True),
        (512, 64, 784, True, False),
        (1000, 300, 10, False, True),
        (10, 128, 512, True, False),
        (129, 1100, 47, False, False),
    ]
    with isa(name):
        for m, k, n, ta, tb in cases:
            _, _, pa, pb = operands(rng, m, k, n, np.float32, ta, tb)
            with threads(1):
                one = (pa @ pb).numpy()
            with threads(2):
                two = (pa @ pb).numpy()
            assert np.array_equal(one, two), (m, k, n, ta, tb)


@pytest.mark.parametrize("name", ISAS)
def test_small_and_vector_shapes(name, rng):
    # Small products take the one-thread path: nothing packed, 8-row tiles reading A and B in place (a strided B
    # is copied to rows first).
    shapes = [
        (16, 16, 16),
        (32, 32, 32),
        (64, 64, 64),
        (1, 1, 1),
        (1, 4096, 3),
        (3, 4096, 1),
        (1, 64, 4096),
        (2, 3, 2),
        (13, 5, 31),
        (15, 48, 33),
        (29, 40, 47),
        (48, 48, 48),
        (47, 49, 2),
    ]
    with isa(name):
        for m, k, n in shapes:
            for ta in (False, True):
                for tb in (False, True):
                    a, b, pa, pb = operands(rng, m, k, n, np.float32, ta, tb)
                    check((pa @ pb).numpy(), a, b)


def test_nan_in_output_is_overwritten(rng):
    # The output buffer is fresh memory; a NaN there must never leak (beta = 0 semantics) at any size.
    for n in (5, 40, 200):
        a = rng.standard_normal((n, n)).astype(np.float32)
        for _ in range(3):
            out = (pygrad.from_numpy(a) @ pygrad.from_numpy(a)).numpy()
            assert np.isfinite(out).all()


@pytest.mark.parametrize("name", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_epilogue_bias_relu(name, dtype, rng):
    with isa(name):
        for m, k, n in [
            (1, 7, 33),
            (37, 300, 70),
            (300, 70, 5),
            (5, 64, 300),
            (8, 8, 8),
            (129, 257, 1),
            (1, 100, 1),
            (30, 20, 40),
            (45, 48, 50),
        ]:
            a = rng.standard_normal((m, k)).astype(dtype)
            w = rng.standard_normal((n, k)).astype(dtype)
            bias = rng.standard_normal(2 * n).astype(dtype)[::2]  # strided bias
            ref = a.astype(np.float64) @ w.T.astype(np.float64) + bias
            for act, f in (("none", lambda x: x), ("relu", lambda x: np.maximum(x, 0))):
                for th in (1, 2):
                    out = _C._gemm_bias_act(a, w.T, bias, act, th)
                    bound = TOL[dtype] * (k + 2) * (np.abs(a) @ np.abs(w.T) + np.abs(bias)) + 1e-30
                    assert np.all(np.abs(out - f(ref)) <= bound), (m, k, n, act, th)
            out = _C._gemm_bias_act(a, w.T, None, "relu", 1)
            assert np.all(out >= 0)
            one = _C._gemm_bias_act(a, w.T, bias, "relu", 1)
            assert np.array_equal(one, _C._gemm_bias_act(a, w.T, bias, "relu", 2))


def test_zero_sized(rng):
    for m, k, n in [(0, 5, 3), (4, 0, 3), (4, 5, 0)]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        out = (pygrad.from_numpy(a) @ pygrad.from_numpy(b)).numpy()
        assert out.shape == (m, n) and np.all(out == 0)


def test_operands_ending_at_a_page_boundary():
    """Operands whose last element is the last byte before an unreadable page: a kernel that reads a full vector
    past the end of a row (B read in place by narrow edge tiles, the small-product path) would crash here."""
    code = r"""
import ctypes, mmap
import numpy as np
import pygrad
from pygrad import _C

page = mmap.PAGESIZE
region = mmap.mmap(-1, 16 * page)
base = ctypes.addressof(ctypes.c_char.from_buffer(region))
libc = ctypes.CDLL(None)
assert libc.mprotect(ctypes.c_void_p(base + 15 * page), page, 0) == 0  # PROT_NONE guard page
levels = ("portable", "avx2", "avx512")
rng = np.random.default_rng(0)
for level in levels[: levels.index(_C.detected_cpu_capability()) + 1]:
    _C.set_cpu_capability(level)
    for m, k, n in [(3, 37, 7), (7, 169, 7), (14, 20, 100), (5, 9, 33), (40, 30, 23), (2, 300, 17)]:
        for operand in ("a", "b", "a.T", "b.T"):
            shape = {"a": (m, k), "b": (k, n), "a.T": (k, m), "b.T": (n, k)}[operand]
            count = shape[0] * shape[1]
            end = np.frombuffer(region, np.float32, count, 15 * page - 4 * count).reshape(shape)
            end[...] = rng.standard_normal(shape)
            if operand.endswith(".T"):
                end = end.T
            other = rng.standard_normal((k, n) if operand.startswith("a") else (m, k)).astype(np.float32)
            a, b = (end, other) if operand.startswith("a") else (other, end)
            out = (pygrad.from_numpy(a) @ pygrad.from_numpy(b)).numpy()
            ref = a.astype(np.float64) @ b.astype(np.float64)
            assert np.abs(out - ref).max() <= 1e-4 * (np.abs(a) @ np.abs(b)).max(), (level, m, k, n, operand)
print("ok")
"""
    result = run_python(code)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


# ------------------------------------------------------------------ cache sizes and the block override
def _sysfs_caches():
    found = {}
    base = pathlib.Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(base.glob("index*")):
        try:
            level = int((index / "level").read_text())
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind in ("Data", "Unified") and size:
            scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(size[-1], 1)
            found[{1: "l1d", 2: "l2", 3: "l3"}.get(level, "other")] = (
                int(size.rstrip("KMG")) * scale
            )
    return found


def test_cache_sizes_are_read_and_agree_with_sysfs():
    caches = pygrad.backend.cpu_cache_sizes()
    assert set(caches) == {"l1d", "l2", "l3", "source"}
    sysfs = _sysfs_caches()
    if not sysfs:
        pytest.skip("no sysfs cache information on this machine")
    assert caches["source"] in ("cpuid", "sysfs")
    assert caches["l1d"] == sysfs["l1d"]
    if "l2" in sysfs:
        assert caches["l2"] == sysfs["l2"]
    assert 0 < caches["l1d"] < caches["l2"] if caches["l2"] else caches["l1d"] > 0


def test_gemm_blocks_follow_the_cache_sizes():
    """MC from L2 (the packed A block takes two thirds of it), NC from L3 (at most half of it, capped by the
    level's measured NC), KC the level's measured depth: the same numbers recomputed from the reported caches."""
    caches = pygrad.backend.cpu_cache_sizes()
    for dtype, elem in (("float32", 4), ("float64", 8)):
        b = pygrad.backend.gemm_blocksizes(dtype)
        assert b["mc"] % b["mr"] == 0 and b["nc"] % b["nr"] == 0
        row = b["kc"] * elem
        if caches["l2"]:
            want = caches["l2"] * 2 // 3 // row // b["mr"] * b["mr"]
            assert b["mc"] == min(max(want, 2 * b["mr"]), 1024 // b["mr"] * b["mr"]), (
                dtype,
                b,
                caches,
            )
            assert b["mc"] * row <= max(caches["l2"] * 2 // 3, 2 * b["mr"] * row)
        if caches["l3"]:
            assert b["nc"] * row <= max(caches["l3"] // 2, 4 * b["nr"] * row)


def test_gemm_blocks_override_is_rounded_to_tiles_and_products_stay_exact():
    code = (
        "import json, numpy as np, pygrad\n"
        "b = pygrad.backend.gemm_blocksizes()\n"
        "rng = np.random.default_rng(0)\n"
        "a, c = rng.standard_normal((300, 700)), rng.standard_normal((700, 500))\n"
        "got = (pygrad.from_numpy(a.astype(np.float32)) @ pygrad.from_numpy(c.astype(np.float32))).numpy()\n"
        "err = float(np.abs(got - a @ c).max() / np.abs(a @ c).max())\n"
        "print(json.dumps({'blocks': b, 'err': err}))\n"
    )
    out = run_python(code, extra_env={"PYGRAD_GEMM_BLOCKS": "100,256,1000"})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    b = result["blocks"]
    assert b["kc"] == 256
    assert b["mc"] % b["mr"] == 0 and 100 <= b["mc"] < 100 + b["mr"]
    assert b["nc"] % b["nr"] == 0 and 1000 <= b["nc"] < 1000 + b["nr"]
    assert result["err"] < 1e-5


@pytest.mark.parametrize("value", ["1,2", "0,256,4096", "a,b,c", "64,256,4096,1", "-8,256,4096"])
def test_malformed_gemm_blocks_override_fails_the_import_clearly(value):
    out = run_python("import pygrad", extra_env={"PYGRAD_GEMM_BLOCKS": value})
    assert out.returncode != 0
    assert "PYGRAD_GEMM_BLOCKS" in out.stderr and "ImportError" in out.stderr
