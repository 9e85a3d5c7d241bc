"""torch's smaller Tensor attributes and functions (pygrad/_compat.py) against torch 2.13: size and type
queries, the complex helpers of real tensors, factories like self, apply_/map_, index writes (index_copy,
put, fill_diagonal_), the *_scatter and *_copy ops, split/chunk/unbind functions, rsub, frexp, ldexp,
isin, scalar_tensor, range, asarray and the windows: values, dtypes, shapes, gradients, errors."""

import warnings

import numpy as np
import pytest
import torch
from conftest import make_rng, non_contiguous

import pygrad

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def sample(shape, dtype="float64", seed=0):
    rng = make_rng("compat", seed, str(shape), dtype)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.startswith(("int", "uint")):
        low = 0 if dtype == "uint8" else -9
        return rng.integers(low, 10, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def pair(array, requires_grad=False, layout=None):
    """The same values as a pygrad tensor (optionally non-contiguous) and a torch tensor."""
    if layout is None:
        p = pygrad.from_numpy(np.array(array, copy=True))
    else:
        p = non_contiguous(array, layout)
    t = torch.from_numpy(np.array(array, copy=True))
    if requires_grad:
        p = p.detach().requires_grad_(True)
        t.requires_grad_(True)
    return p, t


def values(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    x = x.detach()
    return (x.float() if x.dtype == pygrad.bfloat16 else x).numpy()


def dtype_name(x):
    return str(x.dtype).split(".")[-1]


def assert_same(p, t, rtol=0.0, atol=0.0):
    """pygrad result == torch result: shape, dtype name and values (exactly unless a tolerance is given)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(p, (tuple, list)) and len(p) == len(t)
        for a, b in zip(p, t):
            assert_same(a, b, rtol, atol)
        return
    assert tuple(p.shape) == tuple(t.shape), (tuple(p.shape), tuple(t.shape))
    assert dtype_name(p) == dtype_name(t), (p.dtype, t.dtype)
    if rtol or atol:
        np.testing.assert_allclose(values(p), values(t), rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(values(p), values(t))


def check_grads(p_inputs, t_inputs, p_out, t_out, seed=0, tol=1e-12):
    """Backward of sum(out * g) for one random g in both libraries; the inputs' gradients must match."""
    g = sample(tuple(t_out.shape), "float64", seed + 100)
    (p_out * pygrad.from_numpy(g.copy()).to(p_out.dtype)).sum().backward()
    (t_out * torch.from_numpy(g.copy()).to(t_out.dtype)).sum().backward()
    for p, t in zip(p_inputs, t_inputs):
        if t.grad is not None and t.grad.numel() == 0 and p.grad is None:
            continue  # an input with no elements: torch hands it an empty gradient, pygrad none
        assert (p.grad is None) == (t.grad is None)
        if t.grad is not None:
            np.testing.assert_allclose(values(p.grad), values(t.grad), rtol=tol, atol=tol)


def both_raise(pg_call, torch_call, kind, match=None):
    """torch raises (its own type varies); pygrad raises kind, naming the op as [op]."""
    with pytest.raises(Exception):  # noqa: B017
        torch_call()
    with pytest.raises(kind, match=match or r"\[\w+\]"):
        pg_call()


def as_pg_dtype(name):
    return getattr(pygrad, name)


def as_torch_dtype(name):
    return getattr(torch, name)


# ---------------------------------------------------------------- size and type queries


@pytest.mark.parametrize("dtype", [*DTYPES, "bfloat16"])
@pytest.mark.parametrize("shape", [(), (0,), (3, 4), (2, 0, 3)])
def test_queries_match_torch(dtype, shape):
    base = sample(shape, "float64" if dtype == "bfloat16" else dtype)
    p, t = pair(base)
    if dtype == "bfloat16":
        p, t = p.to(pygrad.bfloat16), t.to(torch.bfloat16)
    assert p.nelement() == t.nelement()
    assert p.ndimension() == t.ndimension()
    assert p.is_cpu is t.is_cpu is True
    assert p.get_device() == t.get_device() == -1
    assert p.is_complex() is t.is_complex() is False
    assert pygrad.is_complex(p) is torch.is_complex(t) is False
    assert p.is_signed() == t.is_signed() == pygrad.is_signed(p) == torch.is_signed(t)
    assert p.storage_offset() == t.storage_offset() == 0
    assert p.nbytes == t.nbytes
    assert p.itemsize == t.itemsize
    assert p.type() == t.type().replace("torch.", "pygrad.")
    assert p.is_same_size(p.clone()) and pygrad.is_same_size(p, p.clone())
    assert not p.is_same_size(p.reshape(-1, 1))
    assert t.is_same_size(t.clone()) and not t.is_same_size(t.reshape(-1, 1))


def test_queries_of_views_match_torch():
    p, t = pair(sample((4, 5)))
    for view in (
        lambda x: x[1:, 2:],
        lambda x: x.t(),
        lambda x: x[:, ::2],
        lambda x: x[3],
        lambda x: x.unsqueeze(0).expand(3, 4, 5),
    ):
        pv, tv = view(p), view(t)
        assert pv.storage_offset() == tv.storage_offset()
        assert pv.nbytes == tv.nbytes
        assert pv.nelement() == tv.nelement()


def test_is_nonzero_matches_torch():
    for value in (0.0, -0.0, 1.5, float("nan"), 3, 0, True, False):
        p, t = pygrad.tensor([value]), torch.tensor([value])
        assert p.is_nonzero() is t.is_nonzero()
        assert pygrad.is_nonzero(p.reshape([])) is torch.is_nonzero(t.reshape([]))
    assert pygrad.tensor([[2.0]]).is_nonzero() is True
    for shape in ((0,), (2,), (2, 2)):
        both_raise(
            lambda s=shape: pygrad.zeros(*s).is_nonzero(),
            lambda s=shape: torch.zeros(*s).is_nonzero(),
            RuntimeError,
            r"\[is_nonzero\].*ambiguous",
        )


def test_type_converts_as_torch():
    p, t = pair(sample((2, 3), "float32"), requires_grad=True)
    assert p.type(pygrad.float32) is p
    assert t.type(torch.float32) is t
    assert p.type("torch.FloatTensor") is p
    for name in ("DoubleTensor", "IntTensor", "HalfTensor", "BoolTensor", "ByteTensor"):
        assert_same(p.type("pygrad." + name), t.type("torch." + name))
        assert_same(p.type("torch." + name), t.type("torch." + name))
    assert_same(p.type(pygrad.int64), t.type(torch.int64))
    out_p, out_t = p.type(pygrad.float64), t.type(torch.float64)
    check_grads([p], [t], out_p, out_t)
    both_raise(lambda: p.type("pygrad.Foo"), lambda: t.type("torch.Foo"), ValueError)
    both_raise(lambda: p.type("DoubleTensor"), lambda: t.type("DoubleTensor"), ValueError)
    both_raise(lambda: p.type(5), lambda: t.type(5), TypeError)


# ---------------------------------------------------------------- complex helpers of real tensors


def test_complex_helpers_are_identities_on_real_tensors():
    p, t = pair(sample((3, 4)))
    for name in ("conj", "resolve_conj", "resolve_neg"):
        assert getattr(p, name)() is p and getattr(t, name)() is t
        assert getattr(pygrad, name)(p) is p and getattr(torch, name)(t) is t
    assert p.real is p and t.real is t
    assert pygrad.real(p) is p and torch.real(t) is t
    for name in ("is_conj", "is_neg"):
        assert getattr(p, name)() is getattr(t, name)() is False
        assert getattr(pygrad, name)(p) is getattr(torch, name)(t) is False
    for shape, dtype in (((3, 4), "float64"), ((0, 2), "int64"), ((), "bool")):
        p, t = pair(sample(shape, dtype))
        assert_same(p.isreal(), t.isreal())
        assert_same(pygrad.isreal(p), torch.isreal(t))


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 0, 5), (1, 2, 3, 1)])
def test_matrix_transposes_match_torch(shape):
    p, t = pair(sample(shape), requires_grad=True)
    assert_same(p.mH, t.mH)
    assert_same(p.adjoint(), t.adjoint())
    assert_same(pygrad.adjoint(p), torch.adjoint(t))
    if len(shape) == 2:
        assert_same(p.H, t.H)
    check_grads([p], [t], p.mH * 2, t.mH * 2)


def test_matrix_transposes_refuse_what_torch_refuses():
    p, t = pair(sample((3,)))
    both_raise(lambda: p.mH, lambda: t.mH, ValueError, r"\[mH\]")
    both_raise(lambda: p.adjoint(), lambda: t.adjoint(), ValueError, r"\[adjoint\]")
    both_raise(lambda: p.H, lambda: t.H, ValueError, r"\[H\]")
    p3, t3 = pair(sample((2, 3, 4)))
    both_raise(lambda: p3.H, lambda: t3.H, ValueError, r"\[H\].*mH")
    p0, t0 = pair(sample(()))
    with pytest.warns(UserWarning, match="deprecated on 0-D"):
        assert t0.H is t0 or torch.equal(t0.H, t0)
    with pytest.warns(UserWarning, match="deprecated on 0-D"):
        assert p0.H is p0


# ---------------------------------------------------------------- factories like self


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_new_full_matches_torch(dtype):
    p, t = pair(sample((2, 3), dtype))
    for size, value in (((2, 3), 7), ([4], True), ((), 2.5), ((0, 3), 1)):
        assert_same(p.new_full(size, value), t.new_full(size, value))
    assert_same(p.new_full((2,), 3, dtype=pygrad.float64), t.new_full((2,), 3, dtype=torch.float64))
    out_p = p.new_full([3], 1.5, dtype=pygrad.float32, requires_grad=True)
    out_t = t.new_full([3], 1.5, dtype=torch.float32, requires_grad=True)
    assert_same(out_p, out_t)
    assert out_p.requires_grad and out_p.is_leaf
    assert p.new_full((1,), 0, device="cpu").shape == (1,)
    both_raise(lambda: p.new_full(3, 1.0), lambda: t.new_full(3, 1.0), TypeError)


def test_new_empty_and_new_empty_strided_match_torch():
    p, t = pair(sample((2, 3), "int32"))
    for args in ((2, 3), ((2, 3),), ([4],), ((),), (0, 5)):
        ep, et = p.new_empty(*args), t.new_empty(*args)
        assert ep.shape == tuple(et.shape) and dtype_name(ep) == dtype_name(et)
    ep = p.new_empty(2, dtype=pygrad.float64, requires_grad=True)
    et = t.new_empty(2, dtype=torch.float64, requires_grad=True)
    assert ep.dtype == pygrad.float64 and ep.requires_grad == et.requires_grad
    for size, stride in (((2, 3), (1, 2)), ((2, 3), (3, 1)), ((4,), (2,)), ((0, 2), (1, 1))):
        ep, et = p.new_empty_strided(size, stride), t.new_empty_strided(size, stride)
        assert ep.shape == tuple(et.shape) and ep.stride() == et.stride()
        assert dtype_name(ep) == dtype_name(et)
    ep = p.new_empty_strided((2, 2), (2, 1), dtype=pygrad.float32, requires_grad=True)
    assert ep.dtype == pygrad.float32 and ep.requires_grad
    both_raise(lambda: p.new_empty_strided(2, 3), lambda: t.new_empty_strided(2, 3), TypeError)


# ---------------------------------------------------------------- apply_ and map_


@pytest.mark.parametrize(
    ("dtype", "fn"),
    [
        ("float64", lambda v: v * 2 + 1),
        ("float32", lambda v: v / 3),
        ("float16", lambda v: v + 0.1),
        ("int64", lambda v: v / 4),  # floats truncate into integers
        ("int32", lambda v: -v * 3),
        ("uint8", lambda v: v - 5),  # wraps, as torch's conversion does
        ("bool", lambda v: not v),
        ("int64", lambda v: isinstance(v, int)),  # integers arrive as Python ints
        ("float64", lambda v: float(isinstance(v, float))),
        ("bool", lambda v: isinstance(v, bool)),
    ],
)
def test_apply_matches_torch(dtype, fn):
    a = sample((3, 4), dtype)
    p, t = pair(a)
    assert p.apply_(fn) is p
    assert t.apply_(fn) is t
    assert_same(p, t)


def test_apply_writes_through_views_and_map_broadcasts():
    p, t = pair(sample((3, 4)))
    p.t().apply_(lambda v: v + 100)
    t.t().apply_(lambda v: v + 100)
    assert_same(p, t)
    p, t = pair(sample((3, 4)))
    p[:, 1:3].apply_(abs)
    t[:, 1:3].apply_(abs)
    assert_same(p, t)
    for other_shape in ((4,), (3, 1), (3, 4), ()):
        o = sample(other_shape, seed=5)
        p, t = pair(sample((3, 4)))
        op_, ot = pair(o)
        assert p.map_(op_, lambda x, y: x * y - 1) is p
        t.map_(ot, lambda x, y: x * y - 1)
        assert_same(p, t)
    pi, ti = pair(sample((5,), "int64"))
    pi.map_(pygrad.arange(5), lambda x, y: x * y + 0.5)
    ti.map_(torch.arange(5), lambda x, y: x * y + 0.5)
    assert_same(pi, ti)
    pe, te = pair(sample((0, 3)))
    assert_same(pe.apply_(lambda v: 1 / 0), te.apply_(lambda v: 1 / 0))


def test_apply_and_map_refusals_match_torch():
    p, t = pair(sample((3,)), requires_grad=True)
    both_raise(lambda: p.apply_(abs), lambda: t.apply_(abs), RuntimeError, r"\[apply_\].*grad")
    both_raise(lambda: (p * 1).apply_(abs), lambda: (t * 1).apply_(abs), RuntimeError)
    q, u = pair(sample((3,)))
    both_raise(lambda: q.map_(p, max), lambda: u.map_(t, max), RuntimeError, r"\[map_\].*grad")
    both_raise(lambda: q.apply_(lambda v: "3"), lambda: u.apply_(lambda v: "3"), TypeError)
    both_raise(lambda: q.apply_(lambda v: None), lambda: u.apply_(lambda v: None), TypeError)
    both_raise(
        lambda: q.map_(pygrad.ones(3, dtype=pygrad.int64), max),
        lambda: u.map_(torch.ones(3, dtype=torch.int64), max),
        TypeError,
    )
    both_raise(lambda: q.map_(3, max), lambda: u.map_(3, max), TypeError)
    with pytest.raises(Exception):  # noqa: B017  (not broadcastable)
        u.map_(torch.ones(2), max)
    with pytest.raises(ValueError):
        q.map_(pygrad.ones(2, dtype=pygrad.float64), max)
    iq, iu = pair(sample((2,), "int64"))
    both_raise(lambda: iq.apply_(lambda v: 2**70), lambda: iu.apply_(lambda v: 2**70), ValueError)


# ---------------------------------------------------------------- views, splitting, joining


@pytest.mark.parametrize("layout", [None, "step", "transpose"])
@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4), (2, 0, 3), (2, 3, 4)])
def test_ravel_and_argwhere_match_torch(shape, layout):
    for dtype in ("float64", "int64", "bool"):
        a = sample(shape, dtype)
        p, t = pair(a, layout=layout)
        assert_same(p.ravel(), t.ravel())
        assert_same(pygrad.ravel(p), torch.ravel(t))
        assert p.ravel().is_contiguous()
        assert_same(p.argwhere(), t.argwhere())
        assert_same(pygrad.argwhere(p), torch.argwhere(t))
    p, t = pair(sample(shape), requires_grad=True, layout=layout)
    check_grads([p], [t], p.ravel(), t.ravel())


def test_ravel_shares_memory_only_when_contiguous():
    p = pygrad.arange(12.0).reshape(3, 4)
    flat = p.ravel()
    assert flat.data_ptr() == p.data_ptr()
    transposed = p.t()
    copy = transposed.ravel()
    assert copy.data_ptr() != p.data_ptr()
    strided = pygrad.arange(10.0)[::2]
    assert strided.ravel().is_contiguous() and strided.ravel().tolist() == [0, 2, 4, 6, 8]


SPLITS = [
    ((7, 3), "split", (2,), {}),
    ((7, 3), "split", (2, 1), {}),
    ((7, 3), "split", ([2, 5],), {}),
    ((7, 3), "split", ([1, 0, 2], -1), {}),
    ((0, 3), "split", (2,), {}),
    ((7, 3), "chunk", (3,), {}),
    ((7, 3), "chunk", (2, -1), {}),
    ((6, 4), "chunk", (4,), {"dim": 1}),
    ((7, 3), "unbind", (), {}),
    ((7, 3), "unbind", (1,), {}),
    ((2, 3, 4), "unbind", (-1,), {}),
    ((7, 3), "split_with_sizes", ([3, 4],), {}),
    ((7, 3), "split_with_sizes", ((0, 3), 1), {}),
    ((7, 3), "unsafe_split", (3,), {}),
    ((7, 3), "unsafe_chunk", (2, 1), {}),
]


@pytest.mark.parametrize(("shape", "name", "args", "kwargs"), SPLITS)
def test_split_family_matches_torch(shape, name, args, kwargs):
    p, t = pair(sample(shape), requires_grad=True)
    out_p = getattr(pygrad, name)(p, *args, **kwargs)
    out_t = getattr(torch, name)(t, *args, **kwargs)
    assert isinstance(out_p, tuple)
    assert_same(out_p, out_t)
    if name not in ("split", "chunk", "unbind"):  # the methods existed; the new ones too
        assert_same(getattr(p, name)(*args, **kwargs), getattr(t, name)(*args, **kwargs))
    if out_t and out_t[0].numel():
        total_p = sum((o * (i + 1)).sum() for i, o in enumerate(out_p))
        total_t = sum((o * (i + 1)).sum() for i, o in enumerate(out_t))
        total_p.backward()
        total_t.backward()
        np.testing.assert_array_equal(values(p.grad), values(t.grad))


def test_split_family_errors():
    p, t = pair(sample((3, 4)))
    for args in (([1, 1],), ([1, -1, 3],), ([4], 2)):
        both_raise(lambda a=args: p.split_with_sizes(*a), lambda a=args: t.split_with_sizes(*a),
                   (ValueError, IndexError), r"\[split_with_sizes\]")  # fmt: skip
    both_raise(lambda: p.split_with_sizes(3), lambda: t.split_with_sizes(3), TypeError)
    both_raise(lambda: p.unsafe_split([1, 2]), lambda: t.unsafe_split([1, 2]), TypeError)
    both_raise(lambda: pygrad.split(p, [1, 1]), lambda: torch.split(t, [1, 1]), ValueError)
    both_raise(lambda: pygrad.chunk(p, 2, 2), lambda: torch.chunk(t, 2, 2), IndexError)
    both_raise(lambda: pygrad.unbind(p, -3), lambda: torch.unbind(t, -3), IndexError)
    p0, t0 = pair(sample(()))
    both_raise(lambda: pygrad.unbind(p0), lambda: torch.unbind(t0), ValueError)


def test_concatenate_is_cat():
    a, b = sample((2, 3)), sample((4, 3), seed=1)
    (pa, ta), (pb, tb) = pair(a), pair(b)
    assert_same(pygrad.concatenate([pa, pb]), torch.concatenate([ta, tb]))
    assert_same(pygrad.concat((pa, pb), 0), torch.concat((ta, tb), 0))
    assert_same(
        pygrad.concatenate([pa.t(), pb.t()], axis=1), torch.concatenate([ta.t(), tb.t()], axis=1)
    )
    assert_same(pygrad.concatenate([pa.t(), pb.t()], -1), torch.concatenate([ta.t(), tb.t()], -1))


# ---------------------------------------------------------------- index_copy, put, fill_diagonal_


INDEX_COPY = [
    ((5, 3), 0, [4, 0, 2], (3, 3)),
    ((5, 3), 1, [2, 0], (5, 2)),
    ((5, 3), -1, [1], (5, 1)),
    ((2, 4, 3), 1, [3, 1, 0, 2], (2, 4, 3)),
    ((5, 3), 0, [], (0, 3)),
    ((4,), 0, [3, 1], (2,)),
    ((4,), 0, 2, ()),  # 0-d index and 0-d source into a 1-d input
    ((), 0, [0], ()),
    ((0, 3), 1, [0], (0, 1)),
]


@pytest.mark.parametrize("layout", [None, "transpose"])
@pytest.mark.parametrize(("shape", "dim", "index", "src_shape"), INDEX_COPY)
def test_index_copy_matches_torch(shape, dim, index, src_shape, layout):
    for dtype in ("float64", "int64", "bool"):
        (p, t), (ps, ts) = (
            pair(sample(shape, dtype), layout=layout),
            pair(sample(src_shape, dtype, 1)),
        )
        idx_p, idx_t = (
            pygrad.tensor(index, dtype=pygrad.int64),
            torch.tensor(index, dtype=torch.int64),
        )
        assert_same(p.index_copy(dim, idx_p, ps), t.index_copy(dim, idx_t, ts))
        assert_same(pygrad.index_copy(p, dim, idx_p, ps), torch.index_copy(t, dim, idx_t, ts))
    p, t = pair(sample(shape), requires_grad=True, layout=layout)
    ps, ts = pair(sample(src_shape, seed=1), requires_grad=True)
    check_grads([p, ps], [t, ts], p.index_copy(dim, idx_p, ps), t.index_copy(dim, idx_t, ts))


def test_index_copy_errors_as_torch():
    p, t = pair(sample((3, 4)))
    ip, it = pygrad.tensor([2, 0]), torch.tensor([2, 0])
    cases = [
        (lambda m, i: m.index_copy(0, i(2, 0), m.new_ones(2, 4).float()), TypeError),
        (lambda m, i: m.index_copy(0, i(2, 0).int(), m.new_ones(2, 4)), TypeError),
        (lambda m, i: m.index_copy(0, i(5, 0), m.new_ones(2, 4)), IndexError),
        (lambda m, i: m.index_copy(0, i(-1, 0), m.new_ones(2, 4)), IndexError),
        (lambda m, i: m.index_copy(0, i(2, 0), m.new_ones(3, 4)), ValueError),
        (lambda m, i: m.index_copy(0, i(2, 0), m.new_ones(2, 5)), ValueError),
        (lambda m, i: m.index_copy(0, i(2, 0).reshape(1, 2), m.new_ones(2, 4)), ValueError),
        (lambda m, i: m.index_copy(2, i(2, 0), m.new_ones(2, 4)), IndexError),
        (lambda m, i: m.index_copy(0, i(0), m.new_ones(4)), ValueError),
        (lambda m, i: m.index_copy(1, i(1, 2), m.new_ones(())), ValueError),
    ]
    del ip, it
    for call, kind in cases:
        both_raise(
            lambda c=call: c(p, lambda *v: pygrad.tensor(list(v))),
            lambda c=call: c(t, lambda *v: torch.tensor(list(v))),
            kind,
            r"\[index_copy\]",
        )


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("layout", [None, "step"])
@pytest.mark.parametrize(
    ("shape", "index", "src_shape"),
    [
        ((3, 4), [1, -1, 5], (3,)),
        ((3, 4), [[0, 11], [6, -12]], (2, 2)),
        ((3, 4), [2, 2, 7, 2], (4,)),  # duplicates: the last wins, or all add up
        ((5,), [], (0,)),
        ((), [0], (1,)),
        ((0, 2), [], (0,)),
    ],
)
def test_put_matches_torch(shape, index, src_shape, layout, accumulate):
    size = int(np.prod(shape))
    flat = [i % size for i in np.ravel(index).tolist()] if size else []
    if not accumulate and len(set(flat)) != len(flat):
        pytest.skip("torch leaves the winner of duplicate indices unspecified without accumulate")
    (p, t), (ps, ts) = pair(sample(shape), layout=layout), pair(sample(src_shape, seed=1))
    ip, it = pygrad.tensor(index, dtype=pygrad.int64), torch.tensor(index, dtype=torch.int64)
    assert_same(p.put(ip, ps, accumulate), t.put(it, ts, accumulate))
    assert_same(
        pygrad.put(p, ip, ps, accumulate=accumulate), torch.put(t, it, ts, accumulate=accumulate)
    )
    q, u = p.clone(), t.clone()
    assert q.put_(ip, ps, accumulate) is q
    u.put_(it, ts, accumulate)
    assert_same(q, u)
    p, t = pair(sample(shape), requires_grad=True, layout=layout)
    ps, ts = pair(sample(src_shape, seed=1), requires_grad=True)
    check_grads([p, ps], [t, ts], p.put(ip, ps, accumulate), t.put(it, ts, accumulate))
    # In place on a non-leaf: the write is recorded.
    p, t = pair(sample(shape), requires_grad=True)
    ps, ts = pair(sample(src_shape, seed=1), requires_grad=True)
    yp, yt = p * 2, t * 2
    yp.put_(ip, ps, accumulate)
    yt.put_(it, ts, accumulate)
    check_grads([p, ps], [t, ts], yp, yt)


def test_put_keeps_the_last_duplicate_as_a_serial_copy_does():
    out = pygrad.zeros(4).put(pygrad.tensor([1, 1, 3, 1]), pygrad.tensor([5.0, 6.0, 7.0, 8.0]))
    assert out.tolist() == [0, 8, 0, 7]
    torch_out = torch.zeros(4).put(torch.tensor([1, 1, 3, 1]), torch.tensor([5.0, 6.0, 7.0, 8.0]))
    assert torch_out.tolist() == [0, 8, 0, 7]  # torch's CPU kernel writes in order too


def test_put_errors_as_torch():
    p, t = pair(sample((3, 4)))
    for args, kind in (
        (([1, 12], [9.0, 8.0]), IndexError),
        (([1, -13], [9.0, 8.0]), IndexError),
        (([1, 2], [9.0, 8.0, 7.0]), ValueError),
        (([1, 2], [9, 8]), TypeError),
    ):
        idx, src = args
        both_raise(lambda i=idx, s=src: p.put(pygrad.tensor(i), pygrad.tensor(s, dtype=None if isinstance(s[0], int) else pygrad.float64)),
                   lambda i=idx, s=src: t.put(torch.tensor(i), torch.tensor(s, dtype=None if isinstance(s[0], int) else torch.float64)),
                   kind, r"\[put\]")  # fmt: skip
    both_raise(
        lambda: p.put(pygrad.tensor([1], dtype=pygrad.int32), pygrad.tensor([1.0]).double()),
        lambda: t.put(torch.tensor([1], dtype=torch.int32), torch.tensor([1.0]).double()),
        TypeError,
    )
    both_raise(lambda: pygrad.zeros(0).put_(pygrad.tensor([0]), pygrad.tensor([1.0])),
               lambda: torch.zeros(0).put_(torch.tensor([0]), torch.tensor([1.0])), IndexError, r"\[put_\]")  # fmt: skip
    leaf = pygrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[put_\].*leaf"):
        leaf.put_(pygrad.tensor([0]), pygrad.tensor([1.0]))


@pytest.mark.parametrize("wrap", [False, True])
@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.zeros(7, 3),
        lambda lib: lib.zeros(8, 3),
        lambda lib: lib.zeros(4, 3),
        lambda lib: lib.zeros(3, 7),
        lambda lib: lib.zeros(3, 3, 3),
        lambda lib: lib.zeros(2, 2, 2, 2),
        lambda lib: lib.zeros(10, 3).t(),
        lambda lib: lib.zeros(8, 3)[::2],
        lambda lib: lib.zeros(5, 9)[1:, 2:7],
        lambda lib: lib.zeros(0, 3),
        lambda lib: lib.zeros(9, 2, dtype=lib.int64),
    ],
)
def test_fill_diagonal_matches_torch(make, wrap):
    holders = []
    for lib in (pygrad, torch):
        x = make(lib)
        assert x.fill_diagonal_(2.75, wrap=wrap) is x
        holders.append(x)
    assert_same(*holders)


def test_fill_diagonal_gradient_and_errors_match_torch():
    p, t = pair(sample((5, 3)), requires_grad=True)
    yp, yt = p * 3, t * 3
    yp.fill_diagonal_(1.5, wrap=True)
    yt.fill_diagonal_(1.5, wrap=True)
    assert_same(yp, yt)
    check_grads([p], [t], yp, yt)
    both_raise(
        lambda: pygrad.zeros(3).fill_diagonal_(1),
        lambda: torch.zeros(3).fill_diagonal_(1),
        ValueError,
    )
    both_raise(lambda: pygrad.zeros(3, 3, 2).fill_diagonal_(1),
               lambda: torch.zeros(3, 3, 2).fill_diagonal_(1), ValueError, r"equal length")  # fmt: skip
    both_raise(lambda: pygrad.zeros(3, 10).t().fill_diagonal_(1, wrap=True),
               lambda: torch.zeros(3, 10).t().fill_diagonal_(1, wrap=True), RuntimeError)  # fmt: skip
    both_raise(lambda: pygrad.zeros(3, 3, requires_grad=True).fill_diagonal_(1),
               lambda: torch.zeros(3, 3, requires_grad=True).fill_diagonal_(1), RuntimeError, "leaf")  # fmt: skip


# ---------------------------------------------------------------- the *_scatter ops

SCATTERS = [
    ("select_scatter", (4, 5), (5,), (0, 1)),
    ("select_scatter", (4, 5), (4,), (1, -1)),
    ("select_scatter", (2, 3, 4), (2, 4), (1, 2)),
    ("select_scatter", (3,), (), (0, 2)),
    ("slice_scatter", (4, 5), (4, 5), ()),
    ("slice_scatter", (4, 5), (2, 5), (0, 2)),
    ("slice_scatter", (4, 5), (4, 2), (1, 0, 4, 2)),
    ("slice_scatter", (4, 5), (4, 2), (1, -2)),
    ("slice_scatter", (4, 5), (4, 3), (-1, None, -2)),
    ("slice_scatter", (4, 5), (0, 5), (0, 7)),
    ("slice_scatter", (0, 5), (0, 2), (1, 1, 3)),
    ("diagonal_scatter", (4, 5), (4,), ()),
    ("diagonal_scatter", (4, 5), (4,), (1,)),
    ("diagonal_scatter", (4, 5), (3,), (-1,)),
    ("diagonal_scatter", (2, 3, 4), (2, 3), (0, 1, 2)),
    ("diagonal_scatter", (3, 4), (3,), (0, 1, 0)),
    ("diagonal_scatter", (4, 5), (0,), (6,)),
]


@pytest.mark.parametrize("layout", [None, "step", "transpose"])
@pytest.mark.parametrize(("name", "shape", "src_shape", "args"), SCATTERS)
def test_scatter_ops_match_torch(name, shape, src_shape, args, layout):
    for dtype in ("float64", "int64", "bool"):
        (p, t), (ps, ts) = (
            pair(sample(shape, dtype), layout=layout),
            pair(sample(src_shape, dtype, 1)),
        )
        assert_same(getattr(pygrad, name)(p, ps, *args), getattr(torch, name)(t, ts, *args))
        assert_same(getattr(p, name)(ps, *args), getattr(t, name)(ts, *args))
    p, t = pair(sample(shape), requires_grad=True, layout=layout)
    ps, ts = pair(sample(src_shape, seed=1), requires_grad=True)
    out_p, out_t = getattr(pygrad, name)(p, ps, *args), getattr(torch, name)(t, ts, *args)
    check_grads([p, ps], [t, ts], out_p, out_t)
    # src of another dtype is cast, as copy_ does; only src requiring grad still records.
    p, t = pair(sample(shape, "float32"), layout=layout)
    ps, ts = pair(sample(src_shape, "float64", 1), requires_grad=True)
    out_p, out_t = getattr(pygrad, name)(p, ps, *args), getattr(torch, name)(t, ts, *args)
    assert_same(out_p, out_t)
    check_grads([ps], [ts], out_p, out_t, tol=1e-6)


def test_scatter_ops_refuse_a_src_of_another_shape():
    p, t = pair(sample((4, 5)))
    for name, src, args in (
        ("select_scatter", (1, 5), (0, 1)),
        ("select_scatter", (), (0, 1)),
        ("slice_scatter", (2, 5), (0, 3)),
        ("diagonal_scatter", (5,), ()),
    ):
        both_raise(lambda n=name, s=src, a=args: getattr(pygrad, n)(p, pygrad.zeros(*s).double(), *a),
                   lambda n=name, s=src, a=args: getattr(torch, n)(t, torch.zeros(*s).double(), *a),
                   ValueError, rf"\[{name}\].*size")  # fmt: skip
    for step in (0, -1):
        both_raise(lambda s=step: pygrad.slice_scatter(p, p, step=s), lambda s=step: torch.slice_scatter(t, t, step=s),
                   ValueError, "step")  # fmt: skip
    both_raise(
        lambda: pygrad.select_scatter(p, p[0], 0, 4),
        lambda: torch.select_scatter(t, t[0], 0, 4),
        IndexError,
    )


AS_STRIDED = [
    # (what input is: a view of a (3, 4) base), size, stride, storage_offset
    (lambda x: x, (2, 2), (1, 2), None),
    (lambda x: x, (2, 2), (1, 2), 3),
    (lambda x: x, (3,), (5,), None),
    (lambda x: x, (2, 3), (4, 1), 5),
    (lambda x: x.t(), (2, 2), (1, 2), None),
    (lambda x: x.t(), (2,), (1,), 2),
    (lambda x: x[:, 1:], (2, 2), (1, 2), None),
    (lambda x: x[:, 1:], (2, 2), (1, 3), 4),
    (lambda x: x[:, 1:], (1,), (1,), 4),  # a storage position no element of input holds
    (lambda x: x[::2], (2,), (1,), 4),
    (lambda x: x[1], (2,), (2,), None),
    (lambda x: x[1, 2], (), (), None),
    (lambda x: x, (0, 3), (1, 1), None),
]


@pytest.mark.parametrize(("view", "size", "stride", "offset"), AS_STRIDED)
def test_as_strided_scatter_matches_torch(view, size, stride, offset):
    a = sample((3, 4))
    p, t = pair(a)
    pv, tv = view(p), view(t)
    (ps, ts) = pair(sample(size, seed=1))
    assert_same(pygrad.as_strided_scatter(pv, ps, size, stride, offset),
                torch.as_strided_scatter(tv, ts, size, stride, offset))  # fmt: skip
    assert_same(
        pv.as_strided_scatter(ps, size, stride, offset),
        tv.as_strided_scatter(ts, size, stride, offset),
    )
    # Gradients against the definition: src's element k gets the upstream gradient of the element it
    # lands on, input the upstream gradient where nothing landed. (torch 2.13 differs: it refuses a
    # non-contiguous input that requires grad, keeps input's gradient only where src landed, and reads
    # src's at the storage positions of a contiguous gradient, not of its output's layout.)
    p = pygrad.from_numpy(a.copy()).requires_grad_(True)
    ps = pygrad.from_numpy(sample(size, seed=1)).requires_grad_(True)
    out_p = pygrad.as_strided_scatter(view(p), ps, size, stride, offset)
    g = sample(tuple(out_p.shape), seed=2)
    (out_p * pygrad.from_numpy(g.copy())).sum().backward()
    count = int(np.prod(size))
    markers = torch.arange(1, count + 1, dtype=torch.float64).reshape(size)
    landed = torch.as_strided_scatter(view(torch.zeros(3, 4, dtype=torch.float64)), markers, size, stride,
                                      offset).numpy()  # fmt: skip
    expected_src = np.array([g[landed == k + 1].sum() for k in range(count)]).reshape(size)
    if count:
        np.testing.assert_array_equal(values(ps.grad), expected_src)
    expected = torch.zeros(3, 4, dtype=torch.float64)
    view(expected).copy_(torch.from_numpy(np.asarray(g * (landed == 0))))
    np.testing.assert_array_equal(values(p.grad), expected.numpy())
    if (
        count
        and view(torch.zeros(3, 4)).is_contiguous()
        and view(torch.zeros(3, 4)).storage_offset() == 0
    ):
        ts = torch.from_numpy(sample(size, seed=1)).requires_grad_(True)
        out_t = torch.as_strided_scatter(view(torch.from_numpy(a.copy())), ts, size, stride, offset)
        (out_t * torch.from_numpy(g.copy())).sum().backward()
        np.testing.assert_array_equal(values(ps.grad), values(ts.grad))


def test_as_strided_scatter_errors_as_torch():
    p, t = pair(sample((3, 4)))
    for size, stride, offset, src, kind in (
        ((2, 2), (1, 3), 10, (2, 2), RuntimeError),  # past the storage
        ((3,), (0,), None, (3,), RuntimeError),  # overlapping writes
        ((2, 2), (1, 2), None, (4,), ValueError),  # src of another size
    ):
        both_raise(lambda a=(src, size, stride, offset): pygrad.as_strided_scatter(p, pygrad.zeros(*a[0]).double(), *a[1:]),
                   lambda a=(src, size, stride, offset): torch.as_strided_scatter(t, torch.zeros(*a[0]).double(), *a[1:]),
                   kind, r"\[as_strided")  # fmt: skip


# ---------------------------------------------------------------- the *_copy forms

COPIES = [
    ("view_copy", (3, 4), ([4, 3],)),
    ("view_copy", (3, 4), ((2, -1),)),
    ("permute_copy", (2, 3, 4), ((2, 0, 1),)),
    ("transpose_copy", (2, 3, 4), (0, 2)),
    ("t_copy", (3, 4), ()),
    ("t_copy", (4,), ()),
    ("squeeze_copy", (3, 1, 4, 1), ()),
    ("squeeze_copy", (3, 1, 4, 1), (1,)),
    ("squeeze_copy", (3, 1, 4, 1), ((1, 3),)),
    ("unsqueeze_copy", (3, 4), (-1,)),
    ("expand_copy", (3, 1), ([3, 5],)),
    ("expand_copy", (3, 1), ((2, -1, 4),)),
    ("select_copy", (3, 4), (1, -1)),
    ("slice_copy", (5, 4), ()),
    ("slice_copy", (5, 4), (0, 1, 4, 2)),
    ("slice_copy", (5, 4), (1, -3)),
    ("diagonal_copy", (3, 4), ()),
    ("diagonal_copy", (2, 3, 4), (1, 1, 2)),
    ("detach_copy", (3, 4), ()),
    ("alias_copy", (3, 4), ()),
    ("unbind_copy", (3, 4), (1,)),
    ("split_copy", (5, 4), (2,)),
    ("split_with_sizes_copy", (5, 4), ([1, 3], 1)),
    ("as_strided_copy", (3, 4), ((2, 2), (1, 4))),
    ("as_strided_copy", (3, 4), ((2,), (3,), 1)),
    ("unfold_copy", (3, 7), (1, 3, 2)),
    ("view_copy", (0, 4), ([4, 0],)),
]


@pytest.mark.parametrize(("name", "shape", "args"), COPIES)
def test_copy_forms_match_torch_and_own_their_memory(name, shape, args):
    p, t = pair(sample(shape), requires_grad=True)
    out_p, out_t = getattr(pygrad, name)(p, *args), getattr(torch, name)(t, *args)
    assert_same(out_p, out_t)
    outs_p = out_p if isinstance(out_p, tuple) else (out_p,)
    outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
    for o in outs_p:
        assert o.is_contiguous()
        if o.numel():
            assert o.data_ptr() != p.data_ptr() or p.numel() == 0
    if name == "detach_copy":
        # Detached, as torch documents (torch 2.13's result claims requires_grad with no usable grad_fn).
        assert not out_p.requires_grad
        return
    assert [o.requires_grad for o in outs_p] == [o.requires_grad for o in outs_t]
    if outs_t[0].requires_grad and outs_t[0].numel():
        total_p = sum((o * (i + 2)).sum() for i, o in enumerate(outs_p))
        total_t = sum((o * (i + 2)).sum() for i, o in enumerate(outs_t))
        total_p.backward()
        total_t.backward()
        np.testing.assert_array_equal(values(p.grad), values(t.grad))


def test_view_copy_to_dtype_and_copy_errors():
    p, t = pair(sample((2, 4), "float32"))
    assert_same(pygrad.view_copy(p, pygrad.int32), torch.view_copy(t, torch.int32))
    assert_same(pygrad.view_copy(p.t(), [8]), torch.view_copy(t.t(), [8]))  # copies, so any strides
    both_raise(lambda: pygrad.view_copy(p, [3, 3]), lambda: torch.view_copy(t, [3, 3]), ValueError)
    both_raise(lambda: pygrad.view_copy(p.t(), pygrad.float16), lambda: torch.view_copy(t.t(), torch.float16),
               RuntimeError)  # fmt: skip
    both_raise(
        lambda: pygrad.slice_copy(p, 0, step=0), lambda: torch.slice_copy(t, 0, step=0), ValueError
    )
    both_raise(lambda: pygrad.split_copy(p, [1, 1]), lambda: torch.split_copy(t, [1, 1]), TypeError)


# ---------------------------------------------------------------- rsub, frexp, ldexp, isin


def test_rsub_matches_torch():
    for dtype in ("float64", "float32", "int64", "int32"):
        a, b = sample((3, 4), dtype), sample((4,), dtype, 1)
        (p, t), (pb, tb) = pair(a), pair(b)
        # torch fuses other - alpha * input (one rounding where pygrad has two)
        tol = {"float32": 1e-6, "float64": 1e-15}.get(dtype, 0.0)
        assert_same(pygrad.rsub(p, pb), torch.rsub(t, tb))
        assert_same(pygrad.rsub(p, pb, alpha=3), torch.rsub(t, tb, alpha=3), tol, tol)
        assert_same(pygrad.rsub(p, 2), torch.rsub(t, 2))
        assert_same(pygrad.rsub(p, 2.5), torch.rsub(t, 2.5), tol, tol)
        assert_same(pygrad.rsub(p, 2, 2), torch.rsub(t, 2, 2), tol, tol)
        assert_same(pygrad.rsub(p, pygrad.tensor(2.0)), torch.rsub(t, torch.tensor(2.0)))
    (p, t), (pb, tb) = (
        pair(sample((3,)), requires_grad=True),
        pair(sample((3,), seed=1), requires_grad=True),
    )
    check_grads([p, pb], [t, tb], pygrad.rsub(p, pb, alpha=-1.5), torch.rsub(t, tb, alpha=-1.5))
    pi, ti = pair(sample((3,), "int64"))
    both_raise(
        lambda: pygrad.rsub(pi, 2, alpha=2.5),
        lambda: torch.rsub(ti, 2, alpha=2.5),
        TypeError,
        "alpha",
    )
    both_raise(
        lambda: pygrad.rsub(pi, pi, alpha=True),
        lambda: torch.rsub(ti, ti, alpha=True),
        TypeError,
        "alpha",
    )
    pb, tb = pair(sample((3,), "bool"))
    both_raise(lambda: pygrad.rsub(pb, pb), lambda: torch.rsub(tb, tb), TypeError, "bool")
    both_raise(lambda: pygrad.rsub(pi, True), lambda: torch.rsub(ti, True), TypeError, "bool")


SPECIAL = [0.0, -0.0, 1.0, 8.0, 0.3, -5.0, float("inf"), float("-inf"), float("nan")]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_frexp_matches_torch(dtype):
    info = np.finfo(np.float32 if dtype == "bfloat16" else dtype)
    extremes = [float(info.max), -float(info.max), float(info.tiny), float(info.smallest_subnormal)]
    if dtype == "bfloat16":
        extremes = [3e38, -3e38, 1.2e-38, 1e-40]
    a = np.concatenate([np.array(SPECIAL + extremes), sample((20,), seed=3) * 1000])
    p = pygrad.tensor(a, dtype=as_pg_dtype(dtype)).detach().requires_grad_(True)
    t = torch.tensor(a, dtype=as_torch_dtype(dtype), requires_grad=True)
    out_p, out_t = pygrad.frexp(p), torch.frexp(t)
    assert out_p._fields == ("mantissa", "exponent")
    assert_same(out_p.mantissa, out_t.mantissa)
    assert_same(out_p.exponent, out_t.exponent)
    assert_same(p.frexp(), t.frexp())
    assert not out_p.exponent.requires_grad
    # torch's gradient: grad / 2 ** exponent, in the dtype (0 where that overflows, inf where it underflows).
    out_p.mantissa.sum().backward()
    out_t.mantissa.sum().backward()
    np.testing.assert_array_equal(values(p.grad), values(t.grad))


def test_frexp_non_contiguous_and_errors():
    a = sample((3, 5)) * 100
    p, t = pair(a, layout="transpose")
    assert_same(pygrad.frexp(p), torch.frexp(t))
    pz, tz = pair(sample((0, 2)))
    assert_same(pygrad.frexp(pz), torch.frexp(tz))
    pi, ti = pair(sample((3,), "int64"))
    both_raise(lambda: pygrad.frexp(pi), lambda: torch.frexp(ti), TypeError, "floating")


LDEXP_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def test_ldexp_dtypes_match_torch():
    for x in LDEXP_DTYPES:
        for e in LDEXP_DTYPES:
            if e == "bool" and x.startswith(("float", "bfloat")):
                continue  # torch has no kernel for that pair; pygrad reads the bool as 0 / 1
            p = pygrad.ones(2, dtype=as_pg_dtype(x))
            q = pygrad.ones(2, dtype=as_pg_dtype(e))
            t = torch.ones(2, dtype=as_torch_dtype(x))
            u = torch.ones(2, dtype=as_torch_dtype(e))
            assert_same(pygrad.ldexp(p, q), torch.ldexp(t, u))


def test_ldexp_values_gradients_and_inplace_match_torch():
    m, e = sample((3, 4)), sample((4,), "int64")
    (p, t), (pe, te) = pair(m, requires_grad=True), pair(e)
    assert_same(pygrad.ldexp(p, pe), torch.ldexp(t, te))
    # The gradient for input is 2 ** other; torch 2.13 gives 0 for negative integer exponents
    # (pytorch/pytorch#187460), so the reference here is the formula.
    p.ldexp(pe).sum().backward()
    np.testing.assert_array_equal(
        values(p.grad), np.broadcast_to(2.0 ** e.astype(np.float64), (3, 4))
    )
    (p, t), (pe, te) = pair(m, requires_grad=True), pair(np.abs(e))
    check_grads([p], [t], p.ldexp(pe), t.ldexp(te))
    (p, t), (pe, te) = pair(m, requires_grad=True), pair(sample((4,), seed=1), requires_grad=True)
    check_grads([p, pe], [t, te], pygrad.ldexp(p, pe), torch.ldexp(t, te))
    for x, e in (([3.0], [20]), ([60000.0], [-20]), ([1.5], [-30])):
        p16, t16 = pygrad.tensor(x, dtype=pygrad.float16), torch.tensor(x, dtype=torch.float16)
        assert_same(pygrad.ldexp(p16, pygrad.tensor(e)), torch.ldexp(t16, torch.tensor(e)))
    q, u = pair(m)
    assert q.ldexp_(pygrad.tensor([1, 2, 3, -1])) is q
    u.ldexp_(torch.tensor([1, 2, 3, -1]))
    assert_same(q, u)
    qi, ui = pair(sample((3,), "int64"))
    both_raise(lambda: qi.ldexp_(qi), lambda: ui.ldexp_(ui), RuntimeError, "cast")
    both_raise(lambda: pygrad.ldexp(q, 3), lambda: torch.ldexp(u, 3), TypeError)


def test_isin_matches_torch():
    for dtype in ("int64", "float64", "float32", "int32", "uint8"):
        a, b = sample((4, 5), dtype), sample((6,), dtype, 1)
        (p, t), (pb, tb) = pair(a, layout="step"), pair(b)
        for kwargs in ({}, {"invert": True}, {"assume_unique": False}):
            assert_same(pygrad.isin(p, pb, **kwargs), torch.isin(t, tb, **kwargs))
        assert_same(pygrad.isin(p, 3), torch.isin(t, 3))
        assert_same(pygrad.isin(3, pb), torch.isin(3, tb))
    uniq = np.array([1, 5, 3, 9])
    (p, t), (pb, tb) = pair(uniq), pair(np.array([9, 2, 1]))
    assert_same(pygrad.isin(p, pb, assume_unique=True), torch.isin(t, tb, assume_unique=True))
    mixed = [
        (pygrad.tensor([1, 2, 3]), pygrad.tensor([2.0, 3.5]), torch.tensor([1, 2, 3]), torch.tensor([2.0, 3.5])),
        (pygrad.tensor([1.5]), pygrad.tensor([1]), torch.tensor([1.5]), torch.tensor([1])),
        (pygrad.tensor([[1.0, float("nan")]]), pygrad.tensor([float("nan"), 1.0]),
         torch.tensor([[1.0, float("nan")]]), torch.tensor([float("nan"), 1.0])),
        (pygrad.tensor([16777217]), pygrad.tensor([16777216.0]), torch.tensor([16777217]), torch.tensor([16777216.0])),
        (pygrad.zeros(0), pygrad.tensor([1.0]), torch.zeros(0), torch.tensor([1.0])),
        (pygrad.tensor([1.0]), pygrad.zeros(0), torch.tensor([1.0]), torch.zeros(0)),
        (pygrad.tensor(2), pygrad.tensor([2]), torch.tensor(2), torch.tensor([2])),
    ]  # fmt: skip
    for a, b, c, d in mixed:
        assert_same(pygrad.isin(a, b), torch.isin(c, d))
    pb, tb = pygrad.tensor([True]), torch.tensor([True])
    both_raise(
        lambda: pygrad.isin(pb, pygrad.tensor([1])),
        lambda: torch.isin(tb, torch.tensor([1])),
        TypeError,
    )
    both_raise(
        lambda: pygrad.isin(pygrad.tensor([1]), pb),
        lambda: torch.isin(torch.tensor([1]), tb),
        TypeError,
    )
    both_raise(lambda: pygrad.isin(2, 3), lambda: torch.isin(2, 3), TypeError)


# ---------------------------------------------------------------- factories


def test_scalar_tensor_matches_torch():
    for value, kwargs in (
        (3, {}),
        (True, {}),
        (2.5, {}),
        (3, {"dtype": "int64"}),
        (-1.25, {"dtype": "float64"}),
    ):
        pk = {k: as_pg_dtype(v) for k, v in kwargs.items()}
        tk = {k: as_torch_dtype(v) for k, v in kwargs.items()}
        assert_same(pygrad.scalar_tensor(value, **pk), torch.scalar_tensor(value, **tk))
    p = pygrad.scalar_tensor(2.5, requires_grad=True)
    assert p.requires_grad and p.is_leaf and p.shape == ()
    both_raise(lambda: pygrad.scalar_tensor(pygrad.tensor([2, 3])), lambda: torch.scalar_tensor(torch.tensor([2, 3])),
               TypeError)  # fmt: skip


RANGES = [
    ((1, 4), {}),
    ((0, 1, 0.1), {}),
    ((0, 1.0, 0.3), {}),
    ((4, 1, -1), {}),
    ((1, 1), {}),
    ((-2.5, 3.75, 0.5), {}),
    ((1, 4), {"dtype": "int64"}),
    ((0, 10, 3), {"dtype": "int32"}),
    ((0.5, 3.2), {"dtype": "int32"}),
    ((0, 1, 0.125), {"dtype": "float64"}),
    ((10, -10, -2.5), {"dtype": "float64"}),
    ((0, 5), {"dtype": "float16"}),
]


def test_range_matches_torch_and_warns():
    for args, kwargs in RANGES:
        pk = {k: as_pg_dtype(v) for k, v in kwargs.items()}
        tk = {k: as_torch_dtype(v) for k, v in kwargs.items()}
        with pytest.warns(UserWarning, match="deprecated"):
            out_p = pygrad.range(*args, **pk)
        with pytest.warns(UserWarning, match="deprecated"):
            out_t = torch.range(*args, **tk)
        assert_same(out_p, out_t)
    with pytest.warns(UserWarning):
        p = pygrad.range(start=0, end=10, step=3, requires_grad=True)
    assert p.requires_grad and p.is_leaf and p.tolist() == [0, 3, 6, 9]
    for args in ((4, 1), (1, 4, 0), (1, 0.5), (float("nan"), 3), (0, float("inf")), (1, 4, -1)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            both_raise(
                lambda a=args: pygrad.range(*a),
                lambda a=args: torch.range(*a),
                ValueError,
                r"\[range\]",
            )
    with pytest.raises(TypeError):
        pygrad.range(5)  # end is required, as torch's


def test_asarray_shares_memory_as_torch():
    base = np.arange(6.0).reshape(2, 3)
    p, t = pygrad.asarray(base), torch.asarray(base)
    base[0, 0] = 42
    assert p[0, 0].item() == t[0, 0].item() == 42
    copy_p, copy_t = pygrad.asarray(base, copy=True), torch.asarray(base, copy=True)
    base[0, 1] = -7
    assert copy_p[0, 1].item() == copy_t[0, 1].item() == 1
    assert_same(
        pygrad.asarray(base, dtype=pygrad.float32), torch.asarray(base, dtype=torch.float32)
    )
    both_raise(lambda: pygrad.asarray(base, dtype=pygrad.float32, copy=False),
               lambda: torch.asarray(base, dtype=torch.float32, copy=False), ValueError)  # fmt: skip
    strided = base[:, ::2]
    assert_same(pygrad.asarray(strided), torch.asarray(strided))
    x = pygrad.tensor([1.0, 2.0])
    assert pygrad.asarray(x) is x
    assert pygrad.asarray(x, dtype=pygrad.float32) is x
    clone = pygrad.asarray(x, copy=True)
    assert clone is not x and clone.data_ptr() != x.data_ptr()
    assert_same(
        pygrad.asarray(x, dtype=pygrad.float64),
        torch.asarray(torch.tensor([1.0, 2.0]), dtype=torch.float64),
    )
    both_raise(lambda: pygrad.asarray(x, dtype=pygrad.float64, copy=False),
               lambda: torch.asarray(torch.tensor([1.0, 2.0]), dtype=torch.float64, copy=False), ValueError)  # fmt: skip
    raw = np.arange(4, dtype=np.int32).tobytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: "the given buffer is not writable"
        assert_same(pygrad.asarray(raw, dtype=pygrad.int32), torch.asarray(raw, dtype=torch.int32))
    buffer = bytearray(np.array([1.5, -2.0], dtype=np.float32).tobytes())
    shared = pygrad.asarray(buffer)
    assert shared.dtype == pygrad.float32 and shared.tolist() == [1.5, -2.0]
    buffer[:4] = np.array([9.0], dtype=np.float32).tobytes()
    assert shared.tolist() == [9.0, -2.0]
    both_raise(lambda: pygrad.asarray(b"ab"), lambda: torch.asarray(b"ab"), ValueError, "multiple")


@pytest.mark.parametrize(
    ("obj", "kwargs"),
    [
        ([1, 2], {}),
        ([1.0, 2], {}),
        ([[1, 2], [3, 4]], {"dtype": "float64"}),
        (3.5, {}),
        (True, {}),
        (7, {"dtype": "int16"}),
        (np.float64(2.5), {}),
        (np.int32(4), {}),
        (np.arange(3, dtype=np.int8), {}),
        (np.arange(3, dtype=np.float16), {"dtype": "float32"}),
    ],
)
def test_asarray_converts_as_torch(obj, kwargs):
    pk = {k: as_pg_dtype(v) for k, v in kwargs.items()}
    tk = {k: as_torch_dtype(v) for k, v in kwargs.items()}
    assert_same(pygrad.asarray(obj, **pk), torch.asarray(obj, **tk))
    if isinstance(obj, (list, float, bool, int)) and not isinstance(obj, np.generic):
        both_raise(
            lambda: pygrad.asarray(obj, copy=False),
            lambda: torch.asarray(obj, copy=False),
            ValueError,
        )


def test_asarray_requires_grad_as_torch_documents():
    leaf = pygrad.tensor([1.0, 2.0], requires_grad=True)
    made = leaf * 2
    kept = pygrad.asarray(made)
    assert kept is made and kept.grad_fn is not None
    assert pygrad.asarray(made, requires_grad=True) is made
    detached = pygrad.asarray(made, requires_grad=False)
    assert not detached.requires_grad and detached.data_ptr() == made.data_ptr()
    converted = pygrad.asarray(made, dtype=pygrad.float64, requires_grad=True)
    converted.sum().backward()
    assert leaf.grad.tolist() == [2.0, 2.0]
    plain = pygrad.tensor([1.0, 2.0])
    fresh = pygrad.asarray(plain, requires_grad=True)
    assert fresh.requires_grad and fresh.is_leaf and not plain.requires_grad
    assert fresh.data_ptr() == plain.data_ptr()
    from_numpy = pygrad.asarray(np.arange(3.0), requires_grad=True)
    assert from_numpy.requires_grad and from_numpy.is_leaf
    both_raise(lambda: pygrad.asarray([1, 2], requires_grad=True), lambda: torch.asarray([1, 2], requires_grad=True),
               RuntimeError)  # fmt: skip


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_windows_match_torch(name, dtype):
    tol = {"float32": 2e-6, "float64": 1e-13, "float16": 2e-3}[dtype]
    for length in (0, 1, 2, 3, 5, 8, 33):
        for periodic in (True, False):
            out_p = getattr(pygrad, name)(length, periodic, dtype=as_pg_dtype(dtype))
            out_t = getattr(torch, name)(length, periodic, dtype=as_torch_dtype(dtype))
            assert_same(out_p, out_t, rtol=tol, atol=tol)
    assert_same(getattr(pygrad, name)(6), getattr(torch, name)(6), rtol=2e-6, atol=2e-6)
    out = getattr(pygrad, name)(4, requires_grad=True, dtype=as_pg_dtype(dtype))
    assert out.requires_grad and out.is_leaf and out.dtype == as_pg_dtype(dtype)
    both_raise(
        lambda: getattr(pygrad, name)(-1),
        lambda: getattr(torch, name)(-1),
        ValueError,
        "non-negative",
    )
    both_raise(lambda: getattr(pygrad, name)(4, dtype=pygrad.int64),
               lambda: getattr(torch, name)(4, dtype=torch.int64), TypeError, "floating")  # fmt: skip
    both_raise(lambda: getattr(pygrad, name)(2.5), lambda: getattr(torch, name)(2.5), TypeError)


def test_window_parameters_match_torch():
    for args in ((5, False, 0.5, 0.4), (7, True, 0.6, 0.3), (1, True, 0.1, 0.9)):
        assert_same(pygrad.hamming_window(*args), torch.hamming_window(*args), rtol=2e-6, atol=2e-6)
    for beta in (0.0, 5.0, 12.0, 30.0):
        for periodic in (True, False):
            assert_same(pygrad.kaiser_window(9, periodic, beta), torch.kaiser_window(9, periodic, beta),
                        rtol=1e-5, atol=1e-7)  # fmt: skip
            assert_same(pygrad.kaiser_window(9, periodic, beta=beta, dtype=pygrad.float64),
                        torch.kaiser_window(9, periodic, beta=beta, dtype=torch.float64),
                        rtol=1e-12, atol=1e-14)  # fmt: skip


def test_every_public_name_is_torchs():
    from pygrad import _compat

    for name in _compat.__all__:
        assert hasattr(torch, name), name
        assert getattr(pygrad, name) is getattr(_compat, name)
