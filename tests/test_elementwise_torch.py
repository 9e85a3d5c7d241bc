"""The torch surface's elementwise ops against torch 2.13, beyond the op table: integer semantics (floor vs
trunc, division by zero, wrapping), NaN / inf behaviour, operators and their reflected and in-place forms,
bitwise ops, closeness, and the regression cases of clamp with min > max and of pow's gradient at 0."""

import math

import numpy as np
import pytest
from conftest import import_torch

import pygrad

torch = import_torch()

INF, NAN = math.inf, math.nan


def same(pg_out, th_out, rtol=1e-6, atol=1e-7, signed_zeros=True):
    """Same dtype, shape and values (NaN where torch has NaN, signed zeros and infinities included)."""
    assert str(pg_out.dtype).split(".")[-1] == str(th_out.dtype).split(".")[-1], (
        pg_out.dtype,
        th_out.dtype,
    )
    a, b = pg_out.detach().numpy(), th_out.detach().numpy()
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    if a.dtype.kind == "f" and signed_zeros:
        assert np.array_equal(np.signbit(a[a == 0]), np.signbit(b[b == 0]))


def both(values, dtype="float32"):
    return pygrad.tensor(values, dtype=getattr(pygrad, dtype)), torch.tensor(
        values, dtype=getattr(torch, dtype)
    )


# ---- integer division
INT_A = [7, -7, 7, -7, 0, 9, -9, 1]
INT_B = [2, 2, -2, -2, 3, -4, 4, -1]
DIVISION_FUNCTIONS = [
    lambda m, a, b: m.floor_divide(a, b),
    lambda m, a, b: m.remainder(a, b),
    lambda m, a, b: m.fmod(a, b),
    lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
    lambda m, a, b: m.div(a, b, rounding_mode="floor"),
]


@pytest.mark.parametrize(
    "fn",
    [
        *DIVISION_FUNCTIONS,
        lambda m, a, b: a // b,
        lambda m, a, b: a % b,
        lambda m, a, b: 17 // b,
        lambda m, a, b: -17 % b,
        lambda m, a, b: a // 3,
        lambda m, a, b: a % -3,
    ],
)
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_division_family_vs_torch(fn, dtype):
    pa, ta = both(INT_A, dtype)
    pb, tb = both(INT_B, dtype)
    same(fn(pygrad, pa, pb), fn(torch, ta, tb))


def test_integer_division_keeps_int64_and_wraps():
    lowest = -(2**63)
    p, t = both([lowest, lowest, 5], "int64")
    d_p, d_t = both([-1, 1, -1], "int64")
    same(p // d_p, t // d_t)
    same(p % d_p, t % d_t)
    same(pygrad.fmod(p, d_p), torch.fmod(t, d_t))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a, b: m.floor_divide(a, b),
        lambda m, a, b: m.remainder(a, b),
        lambda m, a, b: m.fmod(a, b),
        lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
        lambda m, a, b: a // 0,
        lambda m, a, b: a % 0,
    ],
)
def test_integer_division_by_zero_raises_like_torch(fn):
    pa, ta = both([4, 5], "int64")
    pb, tb = both([1, 0], "int64")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(torch, ta, tb)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(pygrad, pa, pb)


@pytest.mark.parametrize("fn", DIVISION_FUNCTIONS)
def test_float_division_edge_values_vs_torch(fn):
    values = [1.5, -1.5, 0.0, -0.0, INF, -INF, NAN, 5.0, -5.0]
    divisors = [0.0, -0.0, INF, -INF, 2.0, -2.0, NAN, 3.0, -3.0]
    a = [x for x in values for _ in divisors]
    b = [y for _ in values for y in divisors]
    pa, ta = both(a, "float64")
    pb, tb = both(b, "float64")
    same(fn(pygrad, pa, pb), fn(torch, ta, tb))


def test_inplace_division_operators():
    for op in ["__ifloordiv__", "__imod__", "__ipow__"]:
        p, t = both([7, -7, 9], "int64")
        r = getattr(p, op)(2)
        assert r is p
        getattr(t, op)(2)
        same(p, t)
    p, t = both([7.5, -7.5], "float32")
    p //= 2
    t //= 2
    same(p, t)
    p, _ = both([7, -7], "int64")
    with pytest.raises(TypeError):
        p //= 2.5  # the float result does not cast back to int64 in place, as in torch


# ---- bitwise
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a, b: a & b,
        lambda m, a, b: a | b,
        lambda m, a, b: a ^ b,
        lambda m, a, b: ~a,
        lambda m, a, b: m.bitwise_and(a, b),
        lambda m, a, b: m.bitwise_or(a, 6),
        lambda m, a, b: 6 ^ a,
        lambda m, a, b: 12 & b,
        lambda m, a, b: m.bitwise_not(a),
    ],
)
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_bitwise_vs_torch(fn, dtype):
    a = [5, -3, 0, 12, 1] if dtype == "int64" else [True, False, True, False, True]
    b = [3, 7, -1, 10, 0] if dtype == "int64" else [True, True, False, False, True]
    pa, ta = both(a, dtype)
    pb, tb = both(b, dtype)
    same(fn(pygrad, pa, pb), fn(torch, ta, tb))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a, b: a << b,
        lambda m, a, b: a >> b,
        lambda m, a, b: 1 << b,
        lambda m, a, b: -64 >> b,
        lambda m, a, b: m.bitwise_left_shift(a, b),
        lambda m, a, b: m.bitwise_right_shift(a, 2),
    ],
)
def test_shifts_vs_torch(fn):
    pa, ta = both([5, -3, 1, 2**62, -(2**62), 7], "int64")
    pb, tb = both([1, 2, 63, 1, 1, 0], "int64")
    same(fn(pygrad, pa, pb), fn(torch, ta, tb))


def test_inplace_bitwise_operators():
    for op in ["__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"]:
        p, t = both([5, -3, 12], "int64")
        assert getattr(p, op)(3) is p
        getattr(t, op)(3)
        same(p, t)
    p, t = both([True, False], "bool")
    p &= pygrad.tensor([True, True])
    t &= torch.tensor([True, True])
    same(p, t)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.tensor([1.5]) & m.tensor([2.0]),
        lambda m: ~m.tensor([1.5]),
        lambda m: m.bitwise_left_shift(m.tensor([True]), m.tensor([True])),
        lambda m: m.floor_divide(m.tensor([True]), m.tensor([True])),
    ],
)
def test_bitwise_and_integer_ops_refuse_what_torch_refuses(fn):
    with pytest.raises((RuntimeError, TypeError, NotImplementedError)):
        fn(torch)
    with pytest.raises((RuntimeError, TypeError)):
        fn(pygrad)


# ---- predicates, NaN handling, rounding
EDGE = [0.0, -0.0, 1.5, -2.5, 2.5, 0.5, -0.5, INF, -INF, NAN, 1e30, -1e-30]


@pytest.mark.parametrize(
    "name",
    [
        "isnan",
        "isinf",
        "isfinite",
        "isposinf",
        "isneginf",
        "signbit",
        "logical_not",
        "floor",
        "ceil",
        "trunc",
        "round",
        "frac",
        "sign",
        "sgn",
        "fix",
        "nan_to_num",
        "positive",
        "reciprocal",
        "exp2",
        "expm1",
        "tan",
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_edge_values_vs_torch(name, dtype):
    p, t = both(EDGE, dtype)
    with np.errstate(all="ignore"):
        same(getattr(pygrad, name)(p), getattr(torch, name)(t))
        same(getattr(p, name)(), getattr(t, name)())


@pytest.mark.parametrize(
    "name", ["isnan", "isinf", "isfinite", "signbit", "logical_not", "floor", "trunc", "sign"]
)
def test_unary_on_integers_vs_torch(name):
    p, t = both([3, -2, 0, 2**62], "int64")
    same(getattr(pygrad, name)(p), getattr(torch, name)(t))


def test_round_decimals_vs_torch():
    values = [0.5, 1.5, 2.5, -0.5, 1.2345, 1234.5, -0.125, 0.0]
    for decimals in (-2, -1, 0, 1, 2, 3):
        p, t = both(values, "float64")
        same(pygrad.round(p, decimals=decimals), torch.round(t, decimals=decimals))
        same(p.round(decimals=decimals), t.round(decimals=decimals))


def test_nan_to_num_defaults_and_values_vs_torch():
    for dtype in ("float32", "float64"):
        p, t = both([NAN, INF, -INF, 1.0], dtype)
        same(pygrad.nan_to_num(p), torch.nan_to_num(t))
        same(p.nan_to_num(nan=2.0, posinf=-1.0), t.nan_to_num(nan=2.0, posinf=-1.0))
        same(pygrad.nan_to_num(p, neginf=7.0), torch.nan_to_num(t, neginf=7.0))


def test_logit_eps_and_out_of_range_vs_torch():
    p, t = both([-0.5, 0.0, 0.05, 0.5, 0.97, 1.0, 1.5], "float64")
    same(pygrad.logit(p), torch.logit(t))
    same(pygrad.logit(p, eps=0.1), torch.logit(t, eps=0.1))
    p.requires_grad_(True)
    t.requires_grad_(True)
    for eps in (None, 0.1):
        (gp,) = pygrad.autograd.grad(pygrad.logit(p, eps).sum(), [p])
        (gt,) = torch.autograd.grad(torch.logit(t, eps).sum(), [t])
        same(gp, gt)


@pytest.mark.parametrize(
    "name",
    [
        "maximum",
        "minimum",
        "fmax",
        "fmin",
        "atan2",
        "hypot",
        "copysign",
        "logaddexp",
        "logaddexp2",
        "xlogy",
    ],
)
def test_binary_edge_values_vs_torch(name):
    values = [0.0, -0.0, 1.5, -2.0, INF, -INF, NAN]
    a = [x for x in values for _ in values]
    b = [y for _ in values for y in values]
    pa, ta = both(a, "float64")
    pb, tb = both(b, "float64")
    same(getattr(pygrad, name)(pa, pb), getattr(torch, name)(ta, tb))


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_extremum_gradients_with_ties_and_nan_vs_torch(name):
    a, b = [1.0, 2.0, NAN, NAN, 3.0], [1.0, NAN, 3.0, NAN, -1.0]
    pa, ta = both(a, "float64")
    pb, tb = both(b, "float64")
    for x in (pa, ta, pb, tb):
        x.requires_grad_(True)
    gp = pygrad.autograd.grad(getattr(pygrad, name)(pa, pb).sum(), [pa, pb])
    gt = torch.autograd.grad(getattr(torch, name)(ta, tb).sum(), [ta, tb])
    for g, e in zip(gp, gt):
        same(g, e)


# ---- dtypes of the promoting ops
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a, b: m.atan2(a, b),
        lambda m, a, b: m.copysign(a, b),
        lambda m, a, b: m.xlogy(a, b),
        lambda m, a, b: m.fmax(a, b),
        lambda m, a, b: m.float_power(a, b),
        lambda m, a, b: m.float_power(a, 2),
        lambda m, a, b: m.true_divide(a, b),
        lambda m, a, b: m.divide(a, b, rounding_mode="floor"),
        lambda m, a, b: m.multiply(a, b),
        lambda m, a, b: m.subtract(a, b, alpha=2),
        lambda m, a, b: m.square(a),
        lambda m, a, b: m.logical_xor(a, b),
        lambda m, a, b: m.greater(a, b),
        lambda m, a, b: m.less_equal(a, 2),
        lambda m, a, b: m.arctan2(a, b),
    ],
)
@pytest.mark.parametrize(
    "dtypes", [("int64", "int64"), ("int64", "float32"), ("float32", "float64")]
)
def test_promotion_vs_torch(fn, dtypes):
    pa, ta = both([3, -2, 5], dtypes[0])
    pb, tb = both([2, 4, -1], dtypes[1])
    same(fn(pygrad, pa, pb), fn(torch, ta, tb))


def test_square_of_bool_is_int64_like_torch():
    p, t = both([True, False], "bool")
    same(pygrad.square(p), torch.square(t))


# ---- comparison
def test_isclose_allclose_equal_vs_torch():
    a = [1.0, 1.0 + 1e-6, INF, -INF, NAN, 0.0, 100.0]
    b = [1.0, 1.0, INF, INF, NAN, 1e-9, 100.1]
    pa, ta = both(a, "float64")
    pb, tb = both(b, "float64")
    for kwargs in (
        {},
        {"equal_nan": True},
        {"rtol": 0.01, "atol": 0.0},
        {"rtol": 0.0, "atol": 0.2},
    ):
        same(pygrad.isclose(pa, pb, **kwargs), torch.isclose(ta, tb, **kwargs))
        same(pa.isclose(pb, **kwargs), ta.isclose(tb, **kwargs))
    ok = pygrad.allclose(pa[:2], pb[:2])
    assert type(ok) is bool and ok == torch.allclose(ta[:2], tb[:2])
    assert pygrad.allclose(pa, pb) == torch.allclose(ta, tb)
    assert pa.allclose(pa.clone(), equal_nan=True) == ta.allclose(ta.clone(), equal_nan=True)
    assert pygrad.equal(pa[:3], pa[:3].clone()) is True
    assert pygrad.equal(pa, pa.clone()) == torch.equal(ta, ta.clone())  # NaN != NaN
    assert pygrad.equal(pa[:2], pa[:3]) is False
    pi, ti = both([1, 2, 3], "int64")
    same(pygrad.isclose(pi, pi + 1, atol=1), torch.isclose(ti, ti + 1, atol=1))


# ---- the regressions
def test_clip_with_min_above_max_gives_max_everywhere_like_torch():
    for bounds in [(3, 0), (3.0, 0.5), (-1, -2)]:
        p, t = both([-5.0, 0.2, 1.0, 3.5, 10.0, NAN], "float32")
        same(p.clip(*bounds), t.clip(*bounds))
        same(pygrad.clamp(p, *bounds), torch.clamp(t, *bounds))
    pi, ti = both([-5, 1, 9], "int64")
    same(pi.clip(3, 0), ti.clip(3, 0))
    p, t = both([-1.0, 1.0, 4.0], "float64")
    p.requires_grad_(True)
    t.requires_grad_(True)
    same(
        pygrad.autograd.grad(p.clip(3, 0).sum(), [p])[0],
        torch.autograd.grad(t.clip(3, 0).sum(), [t])[0],
    )


def test_clamp_with_nan_bound_like_torch():
    p, t = both([1.0, 2.0], "float32")
    same(pygrad.clamp(p, min=NAN), torch.clamp(t, min=NAN))
    same(pygrad.clamp(p, max=NAN), torch.clamp(t, max=NAN))


def test_clamp_with_tensor_bounds_and_gradients_vs_torch():
    x, lo, hi = [0.5, 1.5, 3.0, -2.0], [0.0, 2.0, 1.0, -1.0], [1.0, 1.0, 5.0, 0.0]
    pt = [both(v, "float64") for v in (x, lo, hi)]
    for p, t in pt:
        p.requires_grad_(True)
        t.requires_grad_(True)
    (px, tx), (plo, tlo), (phi, thi) = pt
    same(pygrad.clamp(px, plo, phi), torch.clamp(tx, tlo, thi))
    gp = pygrad.autograd.grad(pygrad.clamp(px, plo, phi).sum(), [px, plo, phi])
    gt = torch.autograd.grad(torch.clamp(tx, tlo, thi).sum(), [tx, tlo, thi])
    for g, e in zip(gp, gt):
        same(g, e)
    same(px.clamp(min=plo[1:2]), tx.clamp(min=tlo[1:2]))
    same(pygrad.clamp_min(px, 0.7), torch.clamp_min(tx, 0.7))
    same(px.clamp_max(phi), tx.clamp_max(thi))


@pytest.mark.parametrize("exponent", [0, 0.0, "tensor0", "tensor_mixed"])
def test_pow_gradient_at_zero_base_like_torch(exponent):
    base = [0.0, INF, -INF, 2.0, -0.0, 0.0, 0.0]
    p, t = both(base, "float64")
    p.requires_grad_(True)
    t.requires_grad_(True)
    if exponent == "tensor0":
        pe, te = both([0.0] * 7, "float64")
    elif exponent == "tensor_mixed":
        pe, te = both([0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 2.0], "float64")
    else:
        pe, te = exponent, exponent
    if not isinstance(pe, (int, float)):
        pe.requires_grad_(True)
        te.requires_grad_(True)
    pin = [p] + ([pe] if isinstance(pe, pygrad.Tensor) else [])
    tin = [t] + ([te] if isinstance(te, torch.Tensor) else [])
    gp = pygrad.autograd.grad((p**pe).sum(), pin)
    gt = torch.autograd.grad((t**te).sum(), tin)
    for g, e in zip(gp, gt):
        same(g, e, signed_zeros=False)


# ---- composites with parameters
def test_lerp_addcmul_addcdiv_forms_vs_torch():
    rng = np.random.default_rng(0)
    s, e, w = (rng.normal(size=(3, 4)) for _ in range(3))
    ps, pe, pw = (pygrad.tensor(v) for v in (s, e, w))
    ts, te, tw = (torch.tensor(v) for v in (s, e, w))
    same(pygrad.lerp(ps, pe, pw), torch.lerp(ts, te, tw), rtol=1e-12)
    same(ps.lerp(pe, 0.75), ts.lerp(te, 0.75), rtol=1e-12)
    same(pygrad.lerp(ps, pe, 1.0), torch.lerp(ts, te, 1.0), rtol=0, atol=0)  # exact at weight 1
    same(pygrad.addcmul(ps, pe, pw, value=2), torch.addcmul(ts, te, tw, value=2), rtol=1e-12)
    same(ps.addcdiv(pe, pw, value=-0.5), ts.addcdiv(te, tw, value=-0.5), rtol=1e-12)
    pi, ti = both([1, 2, 3], "int64")
    same(pygrad.addcmul(pi, pi, pi, value=2), torch.addcmul(ti, ti, ti, value=2))


def test_float_power_is_float64_with_gradients_vs_torch():
    p, t = both([0.5, 1.5, 2.0], "float32")
    pe, te = both([2.0, -1.0, 0.5], "float32")
    for x in (p, t, pe, te):
        x.requires_grad_(True)
    same(pygrad.float_power(p, pe), torch.float_power(t, te), rtol=1e-12)
    gp = pygrad.autograd.grad(pygrad.float_power(p, pe).sum(), [p, pe])
    gt = torch.autograd.grad(torch.float_power(t, te).sum(), [t, te])
    for g, e in zip(gp, gt):
        same(g, e, rtol=1e-6)


def test_polygamma_and_digamma_vs_torch():
    p, t = both([-2.5, -0.5, 0.25, 1.0, 3.5, 12.0], "float64")
    same(pygrad.digamma(p), torch.digamma(t), rtol=1e-10)
    for n in (1, 2, 3):
        same(pygrad.polygamma(n, p), torch.polygamma(n, t), rtol=1e-8)
        same(p.polygamma(n), t.polygamma(n), rtol=1e-8)


def test_aliases_are_the_ops():
    p, t = both([0.25, -0.5, 0.75], "float64")
    for alias, name in [
        ("arcsin", "asin"),
        ("arccos", "acos"),
        ("arctan", "atan"),
        ("arcsinh", "asinh"),
        ("arctanh", "atanh"),
        ("fix", "trunc"),
        ("sgn", "sign"),
    ]:
        same(getattr(pygrad, alias)(p), getattr(torch, name)(t), rtol=1e-12)
        same(getattr(p, alias)(), getattr(t, alias)(), rtol=1e-12)
    same(+p, +t)
    with pytest.raises(TypeError):
        pygrad.positive(pygrad.tensor([True]))


def test_pointwise_composites_match_torch():
    """sinc (value and gradient, also at 0), deg2rad/rad2deg (integers to float32), heaviside,
    nextafter, gcd and lcm against torch."""
    rng = np.random.default_rng(11)
    a = np.concatenate([rng.uniform(-3, 3, 7), [0.0, 1.0, -2.0]])
    for lib_a, lib_b in ((torch, pygrad),):
        xs = [lib.tensor(a, requires_grad=True) for lib in (lib_a, lib_b)]
        outs = [lib.sinc(x) for lib, x in zip((lib_a, lib_b), xs)]
        for o in outs:
            (o * o).sum().backward()
        np.testing.assert_allclose(outs[1].detach().numpy(), outs[0].detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(xs[1].grad.numpy(), xs[0].grad.numpy(), rtol=1e-10, atol=1e-12)
    ints = np.array([-180, 0, 45, 90, 360])
    for name in ("deg2rad", "rad2deg"):
        t, p = getattr(torch, name)(torch.tensor(ints)), getattr(pygrad, name)(pygrad.tensor(ints))
        assert str(p.dtype) == "pygrad.float32"
        np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6)
    v = np.array([-1.5, 0.0, 2.0, 0.0])
    vals = np.array([0.5, 0.25, 0.75, 1.0])
    np.testing.assert_array_equal(
        pygrad.heaviside(pygrad.tensor(v), pygrad.tensor(vals)).numpy(),
        torch.heaviside(torch.tensor(v), torch.tensor(vals)).numpy(),
    )
    f32 = np.array([1.0, -2.0, 0.0], dtype=np.float32)
    to = np.array([2.0, -3.0, -1.0], dtype=np.float32)
    got = pygrad.nextafter(pygrad.tensor(f32), pygrad.tensor(to))
    want = torch.nextafter(torch.tensor(f32), torch.tensor(to))
    assert str(got.dtype) == "pygrad.float32"
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    i, j = np.array([12, -18, 0, 7]), np.array([8, 24, 0, -21])
    for name in ("gcd", "lcm"):
        np.testing.assert_array_equal(
            getattr(pygrad, name)(pygrad.tensor(i), pygrad.tensor(j)).numpy(),
            getattr(torch, name)(torch.tensor(i), torch.tensor(j)).numpy(),
        )
    with pytest.raises(RuntimeError, match=r"\[gcd\].*integer"):
        pygrad.gcd(pygrad.tensor([1.0]), pygrad.tensor([2.0]))
    with pytest.raises(RuntimeError, match=r"\[heaviside\].*dtype"):
        pygrad.heaviside(pygrad.tensor([1.0]), pygrad.tensor([1]))
