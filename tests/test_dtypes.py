"""The ten dtypes against PyTorch: names, promotion, conversions (bit for bit for float16/bfloat16), integer
wrapping, 16-bit floats through the float ops and their gradients, numpy/DLPack/safetensors interop, optimizers."""

import itertools

import numpy as np
import pytest
from conftest import make_rng

import pygrad

torch = pytest.importorskip("torch", reason="torch is not installed")

NAMES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
]
FLOATS16 = ["float16", "bfloat16"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def pg_dtype(name):
    return getattr(pygrad, name)


def th_dtype(name):
    return getattr(torch, name)


def as_torch(t):
    """A torch tensor with t's bits (through DLPack, so bfloat16 stays bfloat16)."""
    return torch.from_dlpack(t.detach().contiguous()).clone()


def from_torch(t):
    return pygrad.from_dlpack(t.contiguous())


def same(p, t):
    """pygrad tensor p equals torch tensor t: dtype, shape and every bit (NaNs equal)."""
    got = as_torch(p)
    assert got.dtype == t.dtype and got.shape == t.shape
    assert torch.equal(got, t) or (
        torch.equal(got.isnan(), t.isnan()) and torch.equal(got.nan_to_num(0), t.nan_to_num(0))
    )


def values_for(name, rng, shape=(37,)):
    """Random torch values of a dtype, spread over its range."""
    if name == "bool":
        return torch.from_numpy(np.asarray(rng.integers(0, 2, shape)).astype(bool))
    if name in INTS:
        info = torch.iinfo(th_dtype(name))
        lo, hi = max(info.min, -(2**40)), min(info.max, 2**40)
        return torch.from_numpy(np.asarray(rng.integers(lo, hi, shape, endpoint=True))).to(
            th_dtype(name)
        )
    x = torch.from_numpy(np.asarray(rng.standard_normal(shape) * 50))
    return x.to(th_dtype(name))


# ---------------------------------------------------------------- names and metadata


@pytest.mark.parametrize("name", NAMES)
def test_dtype_objects_match_torch(name):
    d, t = pg_dtype(name), th_dtype(name)
    assert str(d) == f"pygrad.{name}"
    assert d.is_floating_point == t.is_floating_point
    assert d.is_signed == t.is_signed
    assert d.is_complex is False
    assert d.itemsize == t.itemsize
    assert pygrad.empty(2, dtype=d).element_size() == t.itemsize


def test_aliases_and_conversion_methods():
    assert pygrad.half == pygrad.float16 and pygrad.int == pygrad.int32
    assert pygrad.short == pygrad.int16 and pygrad.long == pygrad.int64
    assert pygrad.float == pygrad.float32 and pygrad.double == pygrad.float64
    x = pygrad.tensor([1.7, -2.5, 3.0])
    for method, name in [
        ("int", "int32"),
        ("short", "int16"),
        ("char", "int8"),
        ("byte", "uint8"),
        ("half", "float16"),
        ("bfloat16", "bfloat16"),
        ("long", "int64"),
        ("bool", "bool"),
        ("double", "float64"),
    ]:
        got = getattr(x, method)()
        same(got, getattr(torch.tensor([1.7, -2.5, 3.0]), method)())
        assert got.dtype == pg_dtype(name)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_torch(name):
    p, t = pygrad.finfo(pg_dtype(name)), torch.finfo(th_dtype(name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(p, field) == getattr(t, field), field


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name):
    p, t = pygrad.iinfo(pg_dtype(name)), torch.iinfo(th_dtype(name))
    assert (p.bits, p.min, p.max) == (t.bits, t.min, t.max)


# ---------------------------------------------------------------- promotion


def test_promote_types_table_matches_torch():
    for a, b in itertools.product(NAMES, NAMES):
        got = pygrad.promote_types(pg_dtype(a), pg_dtype(b))
        assert str(got) == str(torch.promote_types(th_dtype(a), th_dtype(b))).replace(
            "torch", "pygrad"
        )


def test_can_cast_matches_torch():
    for a, b in itertools.product(NAMES, NAMES):
        assert pygrad.can_cast(pg_dtype(a), pg_dtype(b)) == torch.can_cast(th_dtype(a), th_dtype(b))


@pytest.mark.parametrize("a", NAMES)
def test_result_type_with_scalars_and_zero_dim_tensors_matches_torch(a):
    rng = make_rng("result_type", a)
    for other in [2, 2.5, True, "0d-int8", "0d-float64", "0d-bool", "1d-int16", "1d-float16"]:
        if isinstance(other, str):
            rank, name = other.split("-")
            shape = () if rank == "0d" else (1,)
            tt = values_for(name, rng, shape)
            po, to = from_torch(tt), tt
        else:
            po = to = other
        x = values_for(a, rng, (3,))
        expected = torch.result_type(x, to)
        assert str(pygrad.result_type(from_torch(x), po)) == str(expected).replace(
            "torch", "pygrad"
        )
        if a != "bool" or not isinstance(other, bool):
            same(from_torch(x) * po, x * to)


# ---------------------------------------------------------------- conversions


@pytest.mark.parametrize("src", NAMES)
@pytest.mark.parametrize("dst", NAMES)
def test_conversion_matches_torch_bit_for_bit(src, dst):
    rng = make_rng("convert", src, dst)
    x = values_for(src, rng, (5, 41))
    if x.is_floating_point() and dst in INTS:
        x = x.clamp(-100, 100)  # out-of-range float -> int is undefined in torch
    p = from_torch(x)
    same(p.to(pg_dtype(dst)), x.to(th_dtype(dst)))
    same(p.T.to(pg_dtype(dst)), x.T.to(th_dtype(dst)))  # strided source


@pytest.mark.parametrize("name", FLOATS16)
def test_rounding_to_16_bit_floats_matches_torch(name):
    rng = make_rng("round16", name)
    finfo = torch.finfo(th_dtype(name))
    # Every magnitude: subnormals, around max (overflow to inf), exact ties, NaN and infinities.
    mags = np.exp2(rng.uniform(np.log2(finfo.tiny) - 12, np.log2(finfo.max) + 1, 4000))
    x = torch.from_numpy(mags * rng.choice([-1, 1], 4000)).float()
    ties = torch.arange(1, 2000, dtype=torch.float32) * finfo.eps / 2 + 1
    special = torch.tensor(
        [0.0, -0.0, float("inf"), float("-inf"), float("nan"), finfo.max * 1.0001]
    )
    x = torch.cat([x, ties, -ties, special])
    for src in (x, x.double()):
        same(from_torch(src).to(pg_dtype(name)), src.to(th_dtype(name)))
        same(from_torch(src)[::3].to(pg_dtype(name)), src[::3].to(th_dtype(name)))


def test_float_to_unsigned_wraps_like_torch():
    x = torch.tensor([-1.0, -2.7, 255.9, 3.2])
    same(from_torch(x).byte(), x.byte())


# ---------------------------------------------------------------- integer arithmetic


@pytest.mark.parametrize("name", INTS)
def test_fixed_width_integers_wrap_like_torch(name):
    rng = make_rng("wrap", name)
    a, b = values_for(name, rng, (64,)), values_for(name, rng, (64,))
    pa, pb = from_torch(a), from_torch(b)
    same(pa + pb, a + b)
    same(pa - pb, a - b)
    same(pa * pb, a * b)
    same(-pa, -a) if name != "uint8" else None
    same(pa.sum(), a.sum())
    same(pa.sum(0, dtype=pg_dtype(name)), a.sum(0, dtype=th_dtype(name)))


def test_mixed_integer_widths_promote_like_torch():
    u = torch.tensor([0, 200, 255], dtype=torch.uint8)
    i = torch.tensor([-1, 100, 127], dtype=torch.int8)
    same(from_torch(u) + from_torch(i), u + i)
    same(from_torch(u) * 2, u * 2)
    same(from_torch(i) * 2.5, i * 2.5)


def test_in_place_op_that_would_narrow_the_kind_raises():
    x = pygrad.tensor([1, 2, 3], dtype=pygrad.int32)
    with pytest.raises(TypeError, match=r"\[add\].*float32.*int32"):
        x += 1.5
    assert x.tolist() == [1, 2, 3]  # nothing half-written
    x += 2
    assert x.dtype == pygrad.int32 and x.tolist() == [3, 4, 5]


# ---------------------------------------------------------------- 16-bit floats through the float ops


def close16(p, t, name):
    """p (pygrad) and t (torch, same 16-bit dtype) within one unit in the last place of that dtype."""
    got = as_torch(p).double()
    want = t.double()
    assert as_torch(p).dtype == t.dtype
    ulp = torch.finfo(th_dtype(name)).eps
    torch.testing.assert_close(got, want, rtol=2 * ulp, atol=1e-6)


@pytest.mark.parametrize("name", FLOATS16)
@pytest.mark.parametrize(
    "op", ["exp", "tanh", "sigmoid", "sqrt", "neg", "abs", "relu", "sin", "log1p"]
)
def test_unary_ops_on_16_bit_floats_match_torch(name, op):
    rng = make_rng("unary16", name, op)
    x = torch.from_numpy(rng.uniform(0.1, 3, (4, 33))).to(th_dtype(name))
    close16(getattr(from_torch(x), op)(), getattr(x, op)(), name)
    close16(getattr(from_torch(x).T, op)(), getattr(x.T, op)(), name)


@pytest.mark.parametrize("name", FLOATS16)
def test_binary_ops_and_reductions_on_16_bit_floats_match_torch(name):
    rng = make_rng("binary16", name)
    a = torch.from_numpy(rng.standard_normal((3, 1, 40))).to(th_dtype(name))
    b = torch.from_numpy(rng.standard_normal((5, 40))).to(th_dtype(name))
    pa, pb = from_torch(a), from_torch(b)
    for fn in (
        lambda u, v: u + v,
        lambda u, v: u * v,
        lambda u, v: u / v,
        lambda u, v: u - 2.5 * v,
    ):
        close16(fn(pa, pb), fn(a, b), name)
    close16(pa.sum(), a.sum(), name)
    close16(pa.sum(2), a.sum(2), name)
    close16(pa.mean(-1, keepdim=True), a.mean(-1, keepdim=True), name)
    close16(pa.amax(0), a.amax(0), name)
    close16(pa.var(-1), a.var(-1), name)
    close16(pa.std(0), a.std(0), name)
    close16(pa.logsumexp(-1), a.logsumexp(-1), name)
    close16(pa.softmax(-1), a.softmax(-1), name)
    # mixing with float32 promotes to float32, exactly as torch computes it
    same(pa + pb.float(), a + b.float())


@pytest.mark.parametrize("name", FLOATS16)
def test_matmul_on_16_bit_floats_accumulates_in_float32_like_torch(name):
    rng = make_rng("matmul16", name)
    a = torch.from_numpy(rng.standard_normal((2, 17, 300))).to(th_dtype(name))
    b = torch.from_numpy(rng.standard_normal((300, 9))).to(th_dtype(name))
    got = from_torch(a) @ from_torch(b)
    # float32 accumulation of the rounded inputs, rounded once: within one ulp of the float64 product
    exact = (a.double() @ b.double()).to(th_dtype(name))
    close16(got, exact, name)


@pytest.mark.parametrize("name", FLOATS16)
def test_gradients_on_16_bit_floats_match_torch(name):
    rng = make_rng("grad16", name)
    xs = torch.from_numpy(rng.standard_normal((4, 6))).to(th_dtype(name))
    ws = torch.from_numpy(rng.standard_normal((6, 3))).to(th_dtype(name))
    tx, tw = xs.clone().requires_grad_(), ws.clone().requires_grad_()
    px, pw = from_torch(xs).requires_grad_(), from_torch(ws).requires_grad_()
    ((tx @ tw).tanh() * tx.sum(1, keepdim=True)).sum().backward()
    ((px @ pw).tanh() * px.sum(1, keepdim=True)).sum().backward()
    assert px.grad.dtype == pg_dtype(name) and pw.grad.dtype == pg_dtype(name)
    tol = 8 * torch.finfo(th_dtype(name)).eps
    torch.testing.assert_close(as_torch(px.grad).double(), tx.grad.double(), rtol=tol, atol=tol)
    torch.testing.assert_close(as_torch(pw.grad).double(), tw.grad.double(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", FLOATS16)
def test_conv_and_pool_on_16_bit_floats_match_torch(name):
    rng = make_rng("conv16", name)
    x = torch.from_numpy(rng.standard_normal((2, 3, 8, 8))).to(th_dtype(name))
    w = torch.from_numpy(rng.standard_normal((4, 3, 3, 3)) * 0.3).to(th_dtype(name))
    tx, tw = x.clone().requires_grad_(), w.clone().requires_grad_()
    px, pw = from_torch(x).requires_grad_(), from_torch(w).requires_grad_()
    tf, pf = torch.nn.functional, pygrad.nn.functional
    tout = tf.max_pool2d(tf.conv2d(tx, tw, padding=1), 2)
    pout = pf.max_pool2d(pf.conv2d(px, pw, padding=1), 2)
    tol = 8 * torch.finfo(th_dtype(name)).eps
    torch.testing.assert_close(as_torch(pout).double(), tout.double(), rtol=tol, atol=tol)
    tout.square().sum().backward()
    pout.square().sum().backward()
    torch.testing.assert_close(as_torch(px.grad).double(), tx.grad.double(), rtol=tol, atol=4 * tol)
    torch.testing.assert_close(
        as_torch(pw.grad).double(), tw.grad.double(), rtol=tol, atol=16 * tol
    )


@pytest.mark.parametrize("name", FLOATS16)
def test_training_a_16_bit_model_with_each_optimizer(name):
    pygrad.manual_seed(1)
    x = pygrad.randn(32, 5).to(pg_dtype(name))
    y = (x.float() @ pygrad.randn(5, 1)).to(pg_dtype(name))
    for make in (
        lambda p: pygrad.optim.SGD(p, lr=0.05, momentum=0.9),
        lambda p: pygrad.optim.Adam(p, lr=0.05),
        lambda p: pygrad.optim.AdamW(p, lr=0.05),
        lambda p: pygrad.optim.RMSprop(p, lr=0.01),
    ):
        pygrad.manual_seed(0)
        model = pygrad.nn.Linear(5, 1).to(pg_dtype(name))
        opt = make(model.parameters())
        losses = []
        for _ in range(60):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert model.weight.dtype == pg_dtype(name)
        assert all(
            s.dtype == pg_dtype(name)
            for st in opt.state.values()
            for s in st.values()
            if isinstance(s, pygrad.Tensor) and s.dim()
        )
        assert losses[-1] < 0.1 * losses[0]


def test_sgd_step_on_float16_matches_torch_to_rounding():
    rng = make_rng("sgd16")
    p0 = torch.from_numpy(rng.standard_normal(50)).half()
    g0 = torch.from_numpy(rng.standard_normal(50)).half()
    tp = p0.clone().requires_grad_()
    tp.grad = g0.clone()
    torch.optim.SGD([tp], lr=0.1, weight_decay=0.01).step()
    pp = from_torch(p0).requires_grad_()
    pp.grad = from_torch(g0)
    pygrad.optim.SGD([pp], lr=0.1, weight_decay=0.01).step()
    close16(pp.detach(), tp.detach(), "float16")


# ---------------------------------------------------------------- interop


@pytest.mark.parametrize("name", [n for n in NAMES if n != "bfloat16"])
def test_numpy_round_trip_keeps_dtype_and_shares_memory(name):
    rng = make_rng("numpy", name)
    a = values_for(name, rng, (3, 4)).numpy()
    t = pygrad.from_numpy(a)
    assert t.dtype == pg_dtype(name)
    back = t.numpy()
    assert back.dtype == a.dtype and np.shares_memory(back, a)
    np.testing.assert_array_equal(back, a)
    assert pygrad.tensor(a).dtype == pg_dtype(name)
    assert pygrad.tensor(a[:, ::2]).tolist() == a[:, ::2].tolist()


def test_bfloat16_to_numpy_is_a_clear_error():
    with pytest.raises(TypeError, match="bfloat16"):
        pygrad.ones(2, dtype=pygrad.bfloat16).numpy()
    assert pygrad.ones(2, dtype=pygrad.bfloat16).float().numpy().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("name", NAMES)
def test_dlpack_both_ways_keeps_dtype_and_bits(name):
    rng = make_rng("dlpack", name)
    x = values_for(name, rng, (4, 5))
    p = pygrad.from_dlpack(x)
    assert p.dtype == pg_dtype(name)
    assert p.data_ptr() == x.data_ptr()  # zero copy
    back = torch.from_dlpack(p)
    assert back.dtype == x.dtype and torch.equal(back, x)


@pytest.mark.parametrize("name", NAMES)
def test_safetensors_keeps_every_dtype(tmp_path, name):
    st_torch = pytest.importorskip("safetensors.torch", reason="safetensors is not installed")
    rng = make_rng("safetensors", name)
    x = values_for(name, rng, (3, 5))
    st_torch.save_file({"x": x}, str(tmp_path / "t.safetensors"))
    loaded = pygrad.load(tmp_path / "t.safetensors")["x"]
    assert loaded.dtype == pg_dtype(name)
    same(loaded, x)
    pygrad.save({"y": loaded}, tmp_path / "p.safetensors")
    again = st_torch.load_file(str(tmp_path / "p.safetensors"))["y"]
    assert again.dtype == x.dtype and torch.equal(again, x)


# ---------------------------------------------------------------- creation and indexing


@pytest.mark.parametrize("name", NAMES)
def test_factories_take_every_dtype(name):
    d, t = pg_dtype(name), th_dtype(name)
    same(pygrad.zeros(2, 3, dtype=d), torch.zeros(2, 3, dtype=t))
    same(pygrad.ones(4, dtype=d), torch.ones(4, dtype=t))
    same(pygrad.full((2,), 1, dtype=d), torch.full((2,), 1, dtype=t))
    same(pygrad.zeros_like(pygrad.ones(3, dtype=d)), torch.zeros_like(torch.ones(3, dtype=t)))
    same(pygrad.ones_like(pygrad.ones(3), dtype=d), torch.ones_like(torch.ones(3), dtype=t))
    if name != "bool":
        same(pygrad.arange(5, dtype=d), torch.arange(5, dtype=t))
    same(pygrad.tensor([1, 0, 1], dtype=d), torch.tensor([1, 0, 1], dtype=t))


@pytest.mark.parametrize("name", ["int32", "int64"])
def test_int32_and_int64_index_tensors(name):
    rng = make_rng("index", name)
    x = torch.from_numpy(rng.standard_normal((6, 5)))
    idx = torch.tensor([4, 0, -1, 2], dtype=th_dtype(name))
    p, pi = from_torch(x), from_torch(idx)
    same(p[pi], x[idx])
    same(p[:, pi], x[:, idx])
    same(p.index_select(0, pi.abs()), x.index_select(0, idx.abs()))
    q = p.clone()
    q[pi] = 0.0
    y = x.clone()
    y[idx] = 0.0
    same(q, y)


@pytest.mark.parametrize("name", ["int8", "int16", "float16"])
def test_other_index_dtypes_raise_like_torch(name):
    with pytest.raises(IndexError, match=r"\[index\].*int64, int32, uint8 or bool.*" + name):
        pygrad.arange(4.0)[pygrad.tensor([1, 2], dtype=pg_dtype(name))]
    with pytest.raises(IndexError):
        torch.arange(4.0)[torch.tensor([1, 2], dtype=th_dtype(name))]


def test_uint8_and_bool_masks_select_like_torch():
    x = torch.arange(6.0)
    mask = torch.tensor([1, 0, 1, 1, 0, 0], dtype=torch.bool)
    same(from_torch(x)[from_torch(mask)], x[mask])
    same(from_torch(x)[from_torch(mask.to(torch.uint8))], x[mask])


def test_16_bit_tensors_print_and_convert_to_python():
    h = pygrad.tensor([1.5, -0.25, 65504.0], dtype=pygrad.float16)
    assert h.tolist() == [1.5, -0.25, 65504.0]
    assert "dtype=pygrad.float16" in repr(h)
    b = pygrad.tensor([3.0, 1e30], dtype=pygrad.bfloat16)
    assert b.tolist() == torch.tensor([3.0, 1e30], dtype=torch.bfloat16).tolist()
    assert b[0].item() == 3.0 and "bfloat16" in repr(b)
    assert int(pygrad.tensor(7, dtype=pygrad.int16)) == 7
    assert [10, 20, 30][pygrad.tensor(1, dtype=pygrad.uint8)] == 20


@pytest.mark.parametrize(
    "src,dst",
    [
        ("float32", "int32"),
        ("float32", "float16"),
        ("float16", "float32"),
        ("int64", "float32"),
        ("uint8", "int16"),
        ("bfloat16", "int16"),
        ("float64", "uint8"),
        ("int8", "int8"),
    ],
)
@pytest.mark.parametrize("layout", ["contiguous", "row slice"])
def test_view_dtype_reinterprets_bits_like_torch(src, dst, layout):
    """view(dtype) shares the bytes (a view, not a conversion) and is not differentiable, as torch."""
    data = make_rng(src + dst).standard_normal((4, 8)) * 50
    x = pygrad.tensor(data).to(getattr(pygrad, src))
    tx = as_torch(x)
    if layout == "row slice":
        x, tx = x[1:3], tx[1:3]
    got, want = x.view(getattr(pygrad, dst)), tx.view(getattr(torch, dst))
    assert got.dtype == getattr(pygrad, dst)
    assert tuple(got.shape) == tuple(want.shape) and got.stride() == want.stride()
    np.testing.assert_array_equal(as_torch(got).float().numpy(), want.float().numpy())
    with pygrad.no_grad():
        got.zero_()  # shared storage: the source sees the write
    assert float(x.float().abs().sum()) == 0.0


def test_view_dtype_errors_and_grad_like_torch():
    x = pygrad.ones(2, 3, requires_grad=True)
    assert not x.view(pygrad.int32).requires_grad
    for bad, match in [
        (lambda: pygrad.ones(2, 4).t().view(pygrad.float16), r"stride\(-1\) must be 1"),
        (lambda: pygrad.ones(2, 3, dtype=pygrad.float16).view(pygrad.float32), "divisible by 2"),
        (lambda: pygrad.tensor(1.0).view(pygrad.float16), "dim"),
    ]:
        with pytest.raises(RuntimeError, match=match):
            bad()
