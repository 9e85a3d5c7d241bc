"""Reductions, scans and ordering (cumsum, prod, sort, topk, median, unique, searchsorted, ...) against
torch 2.13: values and result dtypes for float and integer inputs, size-0/size-1 dims, non-contiguous
inputs, gradients with a random upstream gradient, gradcheck in float64, and errors.
"""

# ruff: noqa: B023  (each lambda runs inside the loop iteration that defines it)

import numpy as np
import pytest
from conftest import import_torch, make_rng

import pygrad
from pygrad.autograd import gradcheck

torch = import_torch()


def sample(shape, dtype, seed=0):
    rng = make_rng("reduce", seed, str(shape), dtype)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype == "int64":
        return rng.integers(-9, 10, size=shape).astype(np.int64)
    a = rng.standard_normal(shape).astype(dtype)
    if a.size and not a.any():
        a.reshape(-1)[0] = 1
    return a


def pair(a, requires_grad=False, transpose=False):
    if transpose:  # the same values, stored transposed: a non-contiguous pygrad tensor
        p = pygrad.from_numpy(np.ascontiguousarray(np.swapaxes(a, 0, 1))).transpose(0, 1)
        assert not p.is_contiguous()
    else:
        p = pygrad.from_numpy(np.array(a, copy=True))
    t = torch.from_numpy(np.array(a, copy=True))
    if requires_grad:
        p.requires_grad_(True)
        t.requires_grad_(True)
    return p, t


def flat(x):
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in flat(item)]
    return [x]


def same(p, t, tol):
    ps, ts = flat(p), flat(t)
    assert len(ps) == len(ts)
    for a, b in zip(ps, ts):
        assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def check(pg_fn, torch_fn, shape, dtype="float64", grad=True, transpose=False, seed=0):
    """Forward values (and, for floats, gradients with a random upstream gradient) vs torch."""
    a = sample(shape, dtype, seed)
    floating = dtype.startswith("float")
    p, t = pair(a, grad and floating, transpose)
    pr, tr = pg_fn(p), torch_fn(t)
    tol = 1e-10 if dtype == "float64" else 1e-5
    same(pr, tr, tol)
    if grad and floating:
        total_p, total_t = 0, 0
        for i, (op, ot) in enumerate(zip(flat(pr), flat(tr))):
            if not ot.dtype.is_floating_point:
                continue
            g = sample(tuple(ot.shape), dtype, seed + 100 + i)
            total_p = total_p + (op * pygrad.from_numpy(g.copy())).sum()
            total_t = total_t + (ot * torch.from_numpy(g.copy())).sum()
        if isinstance(total_t, int):
            return
        total_p.backward()
        total_t.backward()
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def raises(pg_call, torch_call, kinds=(RuntimeError, IndexError, ValueError, TypeError)):
    with pytest.raises(Exception):  # noqa: B017  (torch's own type varies)
        torch_call()
    with pytest.raises(kinds):
        pg_call()


SHAPES = [
    ((3, 5), 1),
    ((3, 5), 0),
    ((4, 1, 3), -2),
    ((2, 0, 3), 1),
    ((0, 3), 1),
    ((), 0),
    ((7,), 0),
]


@pytest.mark.parametrize(("shape", "dim"), SHAPES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_cumsum_cumprod(shape, dim, dtype):
    check(lambda x: pygrad.cumsum(x, dim), lambda x: torch.cumsum(x, dim), shape, dtype)
    check(lambda x: x.cumprod(dim), lambda x: x.cumprod(dim), shape, dtype)
    check(lambda x: x.cumsum(axis=dim), lambda x: x.cumsum(axis=dim), shape, dtype, grad=False)
    if dtype != "bool":
        f64 = pygrad.float64
        check(lambda x: x.cumsum(dim, dtype=f64), lambda x: x.cumsum(dim, dtype=torch.float64),
              shape, dtype)  # fmt: skip


def test_scans_with_zeros_long_and_non_contiguous():
    a = sample((4, 37), "float64")
    a[1, 3] = 0
    a[2, 5] = a[2, 20] = 0
    for fn in ("cumsum", "cumprod", "logcumsumexp"):
        for tr in (False, True):
            p, t = pair(a, True, tr)
            same(getattr(p, fn)(1), getattr(t, fn)(1), 1e-10)
            g = sample((4, 37), "float64", 5)
            (getattr(p, fn)(1) * pygrad.from_numpy(g)).sum().backward()
            (getattr(t, fn)(1) * torch.from_numpy(g)).sum().backward()
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-9)
    x = pygrad.from_numpy(sample((3, 6), "float64")).requires_grad_(True)
    assert gradcheck(lambda x: x.cumprod(1), (x,))
    assert gradcheck(lambda x: pygrad.logcumsumexp(x, 0), (x,))


@pytest.mark.parametrize(
    ("shape", "dim"),
    [((13, 37), 1), ((8, 5), 1), ((3, 9, 700), 1), ((2, 600), 0), ((5, 1, 3), 0), ((1, 1), -1)],
)
def test_cumsum_kernel_paths(shape, dim):
    """Rows eight at a time and a remainder, column tiles wider than one tile, reverse scans (the
    gradient), double backward, and the dtypes torch keeps: int32/int8/uint8 wrap, 16-bit floats."""
    check(
        lambda x: x.cumsum(dim),
        lambda x: x.cumsum(dim),
        shape,
        "float64",
        transpose=len(shape) == 2 and min(shape) > 1,
    )
    check(lambda x: x.cumsum(dim), lambda x: x.cumsum(dim), shape, "float32")
    x = pygrad.from_numpy(sample(shape, "float64", 3)).requires_grad_(True)
    if x.numel() <= 64:
        assert gradcheck(lambda x: x.cumsum(dim) ** 2, (x,))
    rng = np.random.default_rng(4)
    for np_dtype in (np.int32, np.int8, np.uint8, np.int16):
        info = np.iinfo(np_dtype)
        a = rng.integers(info.min // 2, info.max // 2, size=shape).astype(np_dtype)
        got = pygrad.from_numpy(a).cumsum(dim, dtype=getattr(pygrad, np.dtype(np_dtype).name))
        want = torch.from_numpy(a).cumsum(dim, dtype=getattr(torch, np.dtype(np_dtype).name))
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    for name in ("float16", "bfloat16"):
        a = sample(shape, "float32", 6)
        got = pygrad.from_numpy(a).to(getattr(pygrad, name)).cumsum(dim)
        want = torch.from_numpy(a).to(getattr(torch, name)).cumsum(dim)
        assert str(got.dtype).endswith(name)
        np.testing.assert_allclose(got.float().numpy(), want.float().numpy(), rtol=1e-2, atol=1e-2)


def test_cumsum_double_backward_matches_torch():
    a = sample((4, 6), "float64", 9)
    grads = []
    for lib, make in ((torch, torch.from_numpy), (pygrad, pygrad.from_numpy)):
        x = make(a.copy()).requires_grad_(True)
        (g,) = lib.autograd.grad((x.cumsum(1) ** 3).sum(), [x], create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), [x])
        grads.append(gg.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10)


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_cummin(fn):
    for shape, dim in [((3, 6), 1), ((5, 2), 0), ((0, 2), 0), ((), 0)]:
        check(lambda x: getattr(pygrad, fn)(x, dim), lambda x: getattr(torch, fn)(x, dim), shape)
        check(lambda x: getattr(x, fn)(dim), lambda x: getattr(x, fn)(dim), shape, "int64")
    a = np.array([1.0, 3, 3, 2, np.nan, 5, np.nan, 0])
    p, t = pair(a)
    same(getattr(pygrad, fn)(p, 0), getattr(torch, fn)(t, 0), 0)
    r = pygrad.cummax(p, 0)
    values, indices = r
    assert r.values is values and r.indices is indices


PROD_CASES = [((3, 5), None), ((3, 5), 1), ((3, 5), -2), ((4, 1, 3), 1), ((2, 0, 3), 1), ((0,), 0),
              ((0,), None), ((), None), ((), 0), ((9,), 0)]  # fmt: skip


@pytest.mark.parametrize(("shape", "dim"), PROD_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_prod(shape, dim, dtype):
    if dim is None:
        check(lambda x: pygrad.prod(x), lambda x: torch.prod(x), shape, dtype)
    else:
        check(lambda x: x.prod(dim), lambda x: x.prod(dim), shape, dtype)
        check(lambda x: x.prod(axis=dim, keepdim=True), lambda x: x.prod(dim, keepdim=True), shape,
              dtype)  # fmt: skip


def test_prod_gradient_with_zeros():
    for zeros in ([(1, 2)], [(1, 2), (1, 4)], [(0, 0), (2, 3)]):
        a = sample((3, 5), "float64", 3)
        for z in zeros:
            a[z] = 0
        for dim in (None, 1, 0):
            p, t = pair(a, True, transpose=True)
            (p.prod() if dim is None else p.prod(dim)).sum().backward()
            (t.prod() if dim is None else t.prod(dim)).sum().backward()
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)
    x = pygrad.from_numpy(sample((2, 4), "float64")).requires_grad_(True)
    assert gradcheck(lambda x: x.prod(1), (x,))
    p = pygrad.tensor([1, 2, 3], dtype=pygrad.int32)
    assert p.prod(dtype=pygrad.float64).dtype == pygrad.float64


SORT_CASES = [
    ((4, 7), -1),
    ((4, 7), 0),
    ((2, 3, 5), 1),
    ((0, 3), 1),
    ((3, 0), 1),
    ((), 0),
    ((1,), 0),
]


@pytest.mark.parametrize(("shape", "dim"), SORT_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_sort_argsort(shape, dim, dtype):
    for desc in (False, True):
        check(lambda x: pygrad.sort(x, dim, descending=desc, stable=True),
              lambda x: torch.sort(x, dim=dim, descending=desc, stable=True), shape, dtype)  # fmt: skip
        check(lambda x: x.argsort(dim=dim, descending=desc, stable=True),
              lambda x: x.argsort(dim=dim, descending=desc, stable=True), shape, dtype)  # fmt: skip


def test_sort_nan_ties_non_contiguous_and_msort():
    a = np.array([[3.0, np.nan, 1, 3, -np.inf, 1, np.nan, 2], [0, 0, 0, 1, 1, 1, 2, 2]])
    for desc in (False, True):
        p, t = pair(a)
        same(
            p.sort(1, descending=desc, stable=True), t.sort(dim=1, descending=desc, stable=True), 0
        )
    check(lambda x: x.sort(0), lambda x: x.sort(0), (5, 4), transpose=True)
    check(lambda x: pygrad.msort(x), lambda x: torch.msort(x), (5, 4), transpose=True)
    check(lambda x: x.sort(axis=1).values, lambda x: x.sort(dim=1).values, (3, 4))
    x = pygrad.from_numpy(sample((3, 4), "float64")).requires_grad_(True)
    assert gradcheck(lambda x: x.sort(1, descending=True).values, (x,))


@pytest.mark.parametrize("largest", [True, False])
def test_topk(largest):
    for shape, k, dim in [((4, 7), 3, -1), ((4, 7), 4, 0), ((5,), 0, 0), ((5,), 5, 0), ((), 1, 0)]:
        check(lambda x: pygrad.topk(x, k, dim, largest=largest),
              lambda x: torch.topk(x, k, dim, largest=largest), shape)  # fmt: skip
        check(lambda x: x.topk(k, dim, largest, True).values,
              lambda x: x.topk(k, dim, largest, True).values, shape, "int64")  # fmt: skip
    check(lambda x: x.topk(2, 0), lambda x: x.topk(2, 0), (6, 3), transpose=True)
    p, t = pair(sample((3, 4), "float64"))
    raises(lambda: p.topk(5), lambda: t.topk(5))
    raises(lambda: p.topk(1, 2), lambda: t.topk(1, 2))


def test_kthvalue_median_mode():
    for shape, dim in [((4, 7), 1), ((5, 4), 0), ((6,), 0), ((3, 1), 1), ((), 0)]:
        for keepdim in (False, True):
            check(lambda x: pygrad.median(x, dim, keepdim), lambda x: torch.median(x, dim, keepdim),
                  shape)  # fmt: skip
            check(lambda x: x.nanmedian(dim, keepdim=keepdim),
                  lambda x: x.nanmedian(dim, keepdim=keepdim), shape)  # fmt: skip
            check(
                lambda x: x.kthvalue(1, dim, keepdim), lambda x: x.kthvalue(1, dim, keepdim), shape
            )
            check(lambda x: pygrad.mode(x, dim, keepdim), lambda x: torch.mode(x, dim, keepdim),
                  shape, "int64")  # fmt: skip
        check(lambda x: x.median(dim), lambda x: x.median(dim), shape, "int64")
    check(lambda x: x.median(), lambda x: x.median(), (4, 6))
    check(lambda x: x.median(), lambda x: x.median(), (5, 3), transpose=True)
    check(lambda x: x.kthvalue(3, 0), lambda x: x.kthvalue(3, 0), (5, 3), transpose=True)
    a = np.array([[1.0, np.nan, 2, np.nan], [np.nan, np.nan, np.nan, np.nan], [4, 3, 2, 1]])
    p, t = pair(a)
    same(p.median(1), t.median(1), 0)
    same(p.nanmedian(1).values, t.nanmedian(1).values, 0)
    same(
        p.nanmedian(1).indices[0::2], t.nanmedian(1).indices[0::2], 0
    )  # all NaN: torch's is arbitrary
    same(p.nanmedian(), t.nanmedian(), 0)
    m = pygrad.from_numpy(np.array([[3.0, 1, 2, 1, 3, 2], [5, 5, 1, 1, 1, 0]]))
    same(m.mode(1), torch.from_numpy(m.numpy()).mode(1), 0)
    p, t = pair(sample((3, 4), "float64"))
    raises(lambda: p.kthvalue(5, 1), lambda: t.kthvalue(5, 1))
    raises(lambda: p.median(2), lambda: t.median(2))


REDUCE_CASES = [((3, 5), None), ((3, 5), 1), ((3, 5), (0, 1)), ((2, 3, 4), (0, 2)), ((2, 0), 1),
                ((4,), 0)]  # fmt: skip


@pytest.mark.parametrize(("shape", "dim"), REDUCE_CASES)
def test_any_all_count_nonzero(shape, dim):
    for dtype in ("float64", "int64", "bool"):
        for fn in ("any", "all"):
            if dim is None:
                check(lambda x: getattr(pygrad, fn)(x), lambda x: getattr(torch, fn)(x), shape,
                      dtype, grad=False)  # fmt: skip
            else:
                check(lambda x: getattr(pygrad, fn)(x, dim, True),
                      lambda x: getattr(torch, fn)(x, dim, True), shape, dtype, grad=False)  # fmt: skip
        check(lambda x: pygrad.count_nonzero(x, dim), lambda x: torch.count_nonzero(x, dim), shape,
              dtype)  # fmt: skip


@pytest.mark.parametrize(("shape", "dim"), REDUCE_CASES)
def test_nansum_nanmean_var_mean_std_mean(shape, dim):
    a = sample(shape, "float64")
    if a.size > 2:
        a.reshape(-1)[1] = np.nan
    p, t = pair(a, True)
    kw = {} if dim is None else {"dim": dim}
    same(pygrad.nansum(p, **kw), torch.nansum(t, **kw), 1e-12)
    same(p.nanmean(**kw), t.nanmean(**kw), 1e-12)
    pygrad.nansum(p, **kw).sum().backward()
    torch.nansum(t, **kw).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy())
    same(pygrad.nansum(p, keepdim=True, **kw), torch.nansum(t, keepdim=True, **kw), 1e-12)
    check(lambda x: pygrad.nanmean(x, keepdim=True, **kw),
          lambda x: torch.nanmean(x, keepdim=True, **kw), shape)  # fmt: skip
    check(lambda x: pygrad.nansum(x, **kw), lambda x: torch.nansum(x, **kw), shape, "int64")
    if 0 not in shape:
        for correction in (0, 1):
            check(lambda x: pygrad.var_mean(x, correction=correction, keepdim=True, **kw),
                  lambda x: torch.var_mean(x, correction=correction, keepdim=True, **kw),
                  shape)  # fmt: skip
            check(lambda x: pygrad.std_mean(x, correction=correction, **kw),
                  lambda x: torch.std_mean(x, correction=correction, **kw), shape)  # fmt: skip


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, 0, float("inf"), -float("inf")])
def test_norm(p):
    for shape, dim in [((3, 5), None), ((3, 5), 1), ((2, 3, 4), (0, 2)), ((4,), 0)]:
        if p == "fro" and isinstance(dim, int):
            continue
        for keepdim in (False, True):
            grad = p != 0
            check(lambda x: pygrad.norm(x, p, dim, keepdim),
                  lambda x: torch.norm(x, p, dim, keepdim), shape, grad=grad)  # fmt: skip
            check(lambda x: x.norm(p, dim, keepdim), lambda x: x.norm(p, dim, keepdim), shape,
                  "float32", grad=grad)  # fmt: skip
    check(lambda x: x.norm(p), lambda x: x.norm(p), (4, 3), transpose=True, grad=p != 0)


def test_norm_gradient_at_zero():
    a = np.array([[0.0, 0, 0], [1, 2, 0], [-3, 0, 0.5]])
    for p in (2, 3, 0.5, 1, float("inf")):
        pp, tt = pair(a, True)
        pygrad.norm(pp, p, 1).sum().backward()
        torch.norm(tt, p, 1).sum().backward()
        np.testing.assert_allclose(pp.grad.numpy(), tt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_norm_gradcheck_and_aminmax():
    x = pygrad.from_numpy(sample((3, 4), "float64")).requires_grad_(True)
    assert gradcheck(lambda x: pygrad.norm(x, 3, 1), (x,))
    assert gradcheck(lambda x: x.norm(), (x,))
    for shape, kw in [((3, 5), {}), ((3, 5), {"dim": 1}), ((3, 5), {"dim": 0, "keepdim": True}),
                      ((4,), {"keepdim": True})]:  # fmt: skip
        check(lambda x: pygrad.aminmax(x, **kw), lambda x: torch.aminmax(x, **kw), shape)
        check(lambda x: x.aminmax(**kw), lambda x: x.aminmax(**kw), shape, "int64")
    r = pygrad.aminmax(pygrad.tensor([3.0, 1.0, 2.0]))
    lo, hi = r
    assert r.min is lo and r.max is hi and lo.item() == 1 and hi.item() == 3


def test_diff():
    for shape, n, dim in [
        ((3, 6), 1, -1),
        ((3, 6), 2, 0),
        ((5,), 3, 0),
        ((4, 2), 5, 0),
        ((0, 3), 1, 1),
    ]:
        for dtype in ("float64", "int64", "bool"):
            check(lambda x: pygrad.diff(x, n, dim), lambda x: torch.diff(x, n, dim), shape, dtype)
    pre = sample((3, 2), "float64", 7)
    app = sample((3, 1), "float64", 8)
    check(lambda x: x.diff(dim=1, prepend=pygrad.from_numpy(pre), append=pygrad.from_numpy(app)),
          lambda x: x.diff(dim=1, prepend=torch.from_numpy(pre), append=torch.from_numpy(app)),
          (3, 4))  # fmt: skip
    check(lambda x: x.diff(), lambda x: x.diff(), (4, 5), transpose=True)


def test_unique_and_unique_consecutive():
    a = np.array([[3, 1, 2, 3], [1, 1, 2, 5], [3, 1, 2, 3]])
    for dtype in (np.int64, np.float32):
        p, t = pair(a.astype(dtype))
        same(pygrad.unique(p), torch.unique(t), 0)
        for dim in (None, 0, 1):
            kw = {"return_inverse": True, "return_counts": True, "dim": dim}
            same(p.unique(**kw), t.unique(**kw), 0)
            same(pygrad.unique_consecutive(p, **kw), torch.unique_consecutive(t, **kw), 0)
        same(p.unique_consecutive(), t.unique_consecutive(), 0)
        same(p.unique(return_counts=True), t.unique(return_counts=True), 0)
    p, t = pair(np.zeros((0,)))
    same(pygrad.unique(p, return_inverse=True), torch.unique(t, return_inverse=True), 0)


def test_searchsorted_bucketize():
    seq = np.array([1.0, 3, 5, 7, 9])
    vals = np.array([[3.0, 6, 9], [0, 1, 10]])
    (sp, st), (vp, vt) = pair(seq), pair(vals)
    for right in (False, True):
        same(pygrad.searchsorted(sp, vp, right=right), torch.searchsorted(st, vt, right=right), 0)
        same(pygrad.bucketize(vp, sp, right=right), torch.bucketize(vt, st, right=right), 0)
    same(pygrad.searchsorted(sp, vp, side="right"), torch.searchsorted(st, vt, side="right"), 0)
    same(pygrad.searchsorted(sp, 5), torch.searchsorted(st, 5), 0)
    same(pygrad.searchsorted(sp, vp, out_int32=True), torch.searchsorted(st, vt, out_int32=True), 0)
    seq2 = np.sort(sample((2, 6), "float64"), axis=1)
    (sp, st), (vp, vt) = pair(seq2), pair(sample((2, 3), "float64", 1))
    same(pygrad.searchsorted(sp, vp), torch.searchsorted(st, vt), 0)
    raises(
        lambda: pygrad.searchsorted(sp, pygrad.zeros([3, 3])),
        lambda: torch.searchsorted(st, torch.zeros(3, 3)),
    )


def test_histc_bincount():
    for dtype in ("float64", "float32"):
        a = sample((50,), dtype)
        p, t = pair(a)
        same(pygrad.histc(p, 7), torch.histc(t, 7), 0)
        same(p.histc(10, -1, 1), t.histc(10, -1, 1), 0)
        same(p.histc(4, min=2, max=2), t.histc(4, min=2, max=2), 0)
    i = np.array([0, 3, 3, 1, 5, 0, 0])
    (ip, it) = pair(i)
    same(pygrad.bincount(ip), torch.bincount(it), 0)
    same(ip.bincount(minlength=9), it.bincount(minlength=9), 0)
    for w in (
        sample((7,), "float32"),
        sample((7,), "float64"),
        np.arange(7),
        np.ones(7, np.float16),
    ):
        (wp, wt) = pair(w)
        same(ip.bincount(wp), it.bincount(wt), 1e-6)
    same(
        pygrad.bincount(pair(np.zeros((0,), np.int64))[0]),
        torch.bincount(torch.zeros(0, dtype=torch.int64)),
        0,
    )
    raises(
        lambda: pygrad.bincount(pygrad.tensor([-1, 2])),
        lambda: torch.bincount(torch.tensor([-1, 2])),
    )


def test_errors_name_the_op():
    p, t = pair(sample((3, 4), "float64"))
    for name in ("cumsum", "cumprod", "sort", "argsort", "logcumsumexp", "cummax"):
        raises(lambda n=name: getattr(p, n)(2), lambda n=name: getattr(t, n)(2))
        with pytest.raises(IndexError, match=rf"\[{name}\]"):
            getattr(p, name)(-3)
    raises(lambda: p.prod(2), lambda: t.prod(2))
    raises(lambda: pygrad.diff(p, dim=3), lambda: torch.diff(t, dim=3))
    raises(lambda: pygrad.count_nonzero(p, 4), lambda: torch.count_nonzero(t, 4))
    i, it = pair(np.array([1, 2, 3]))
    raises(lambda: i.logcumsumexp(0), lambda: it.logcumsumexp(0))
    raises(lambda: i.nanmean(), lambda: it.nanmean())
    raises(lambda: pygrad.norm(i), lambda: torch.norm(it))
    e, et = pair(np.zeros((0, 2)))
    raises(lambda: e.aminmax(), lambda: et.aminmax())
    raises(lambda: e.median(0), lambda: et.median(0))
    with pytest.raises(RuntimeError, match=r"\[aminmax\]"):
        pygrad.aminmax(e, dim=0)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [1, 3, 15])
def test_topk_partition_path_vs_torch(largest, k):
    """k much smaller than the dim takes the partition-then-sort path; NaN counts as the largest."""
    data = np.random.default_rng(k).standard_normal((5, 64))
    data[1, [3, 40]] = np.nan
    data[2, :] = np.round(data[2, :])  # ties
    x, tx = pygrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    got, want = x.topk(k, 1, largest), tx.topk(k, 1, largest)
    np.testing.assert_array_equal(got.values.detach().numpy(), want.values.detach().numpy())
    rows = np.take_along_axis(data, got.indices.numpy(), 1)
    np.testing.assert_array_equal(rows, want.values.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal((5, k))
    got.values.backward(pygrad.tensor(upstream))
    want.values.backward(torch.tensor(upstream))
    assert np.isclose(x.grad.numpy().sum(), tx.grad.numpy().sum())


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize(("shape", "dim", "k"), [((6, 300), 1, 5), ((6, 300), 1, 64), ((6, 300), 1, 200),
                                                ((40, 7), 0, 3), ((3, 50, 4), 1, 9), ((5, 1), 1, 1),
                                                ((4, 0), 1, 0)])  # fmt: skip
def test_topk_kernel_against_torch(shape, dim, k, largest):
    """Both kernel paths (kept buffer, partial sort): values as torch, NaN ranked largest, ties to the
    lower position (numpy's stable argsort order), every dtype, transposed input, gradient."""
    rng = np.random.default_rng(13)
    a = rng.standard_normal(shape)
    if (
        a.size
    ):  # one NaN in some lines along dim (several would tie, and torch breaks ties its own way)
        lines = np.moveaxis(a, dim, -1).reshape(-1, shape[dim])
        lines[::3, 7 % shape[dim]] = np.nan
        a = np.moveaxis(lines.reshape(np.moveaxis(a, dim, -1).shape), -1, dim).copy()
    for tr in (False, True):
        p, t = pair(a, True, tr and len(shape) == 2 and min(shape) > 1)
        pv, pi = p.topk(k, dim, largest)
        tv, _ = t.topk(k, dim, largest)
        np.testing.assert_array_equal(pv.detach().numpy(), tv.detach().numpy())
        key = np.where(np.isnan(a), np.inf, a)
        order = np.argsort(
            -key if largest else np.where(np.isnan(a), np.inf, a), axis=dim, kind="stable"
        )
        np.testing.assert_array_equal(pi.numpy(), np.take(order, np.arange(k), axis=dim))
        g = rng.standard_normal(tuple(tv.shape))
        (pv * pygrad.from_numpy(g)).sum().backward()
        (tv * torch.from_numpy(g)).sum().backward()
        np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(t.grad.numpy()))
        np.testing.assert_allclose(np.nan_to_num(p.grad.numpy()), np.nan_to_num(t.grad.numpy()))
    ties = rng.integers(0, 4, size=shape)
    for name in ("int64", "int32", "int16", "int8", "uint8"):
        arr = ties.astype(name)
        pv, pi = pygrad.from_numpy(arr).topk(k, dim, largest)
        tv, _ = torch.from_numpy(arr).topk(k, dim, largest)
        np.testing.assert_array_equal(pv.numpy(), tv.numpy())
        order = np.argsort(-arr.astype(np.int64) if largest else arr, axis=dim, kind="stable")
        np.testing.assert_array_equal(pi.numpy(), np.take(order, np.arange(k), axis=dim))
    for name in ("float16", "bfloat16"):
        pv, _ = (
            pygrad.from_numpy(a.astype(np.float32)).to(getattr(pygrad, name)).topk(k, dim, largest)
        )
        tv, _ = (
            torch.from_numpy(a.astype(np.float32)).to(getattr(torch, name)).topk(k, dim, largest)
        )
        np.testing.assert_array_equal(pv.float().numpy(), tv.float().numpy())
    with pytest.raises(TypeError, match="Bool"):
        pygrad.from_numpy(ties > 1).topk(min(1, shape[dim]), dim)
