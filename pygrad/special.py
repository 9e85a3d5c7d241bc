"""pygrad.special: torch.special's functions, composed from pygrad's differentiable ops.

Aliases of core ops (expit, erf, gammaln, psi, ...), composites with torch's values and gradients
(xlog1py, entr, multigammaln, ndtr, log_ndtr, erfcx), and functions whose values are computed in float64
numpy (i0/i0e/i1/i1e by power series and asymptotic expansions, ndtri by Newton refinement, gammainc and
gammaincc by series and continued fraction, the Hurwitz zeta by Euler-Maclaurin) and whose first derivative is attached as ``value + (x - x.detach()) * f'(x)``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

import pygrad
from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
    "zeta",
]

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _float(input: Tensor) -> Tensor:
    """input, or its float32 copy for integers and bool (torch's integer-to-float promotion)."""
    return input if input.is_floating_point() else input.to(_C.float32)


def _as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    dtype = like.dtype if like is not None and like.is_floating_point() else _C.float32
    return pygrad.tensor(x, dtype=dtype)


def _with_derivative(value: Tensor, input: Tensor, derivative: Tensor) -> Tensor:
    """value (a constant) with d value / d input = derivative: first-order gradients only."""
    if not (input.requires_grad and _C.is_grad_enabled()):
        return value
    return value + (input - input.detach()) * derivative.detach()


def _refuse_gradient(value: Tensor, input: Tensor, name: str) -> Tensor:
    """value, recording that a gradient for input is not implemented: a backward that reaches it raises,
    as torch's does. pygrad's engine runs it even for autograd.grad with respect to other inputs only,
    where torch would not: detach input for those."""
    if not (input.requires_grad and _C.is_grad_enabled()):
        return value
    from pygrad.autograd.function import Function

    class NotImplementedGradient(Function):
        @staticmethod
        def forward(ctx: Any, t: Tensor) -> Tensor:
            return pygrad.zeros([], dtype=value.dtype)

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> Tensor:
            raise NotImplementedError(f"the derivative for '{name}' is not implemented.")

    return value + NotImplementedGradient.apply(input)


def _from_np(values: np.ndarray[Any, Any], like: Tensor) -> Tensor:
    return _C.from_numpy(np.ascontiguousarray(values, dtype=np.float64)).to(like.dtype)


# Aliases of core ops.
def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid, 1 / (1 + exp(-x))."""
    return _C.sigmoid(input)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    return _C.logit(input) if eps is None else _C.logit(input, eps)


def erf(input: Tensor) -> Tensor:
    """The error function."""
    return _C.erf(input)


def erfc(input: Tensor) -> Tensor:
    """The complementary error function, 1 - erf(x)."""
    return _C.erfc(input)


def erfinv(input: Tensor) -> Tensor:
    """The inverse of erf on (-1, 1)."""
    return _C.erfinv(input)


def exp2(input: Tensor) -> Tensor:
    """2 ** x."""
    return _C.exp2(input)


def expm1(input: Tensor) -> Tensor:
    """exp(x) - 1, accurate near 0."""
    return _C.expm1(input)


def log1p(input: Tensor) -> Tensor:
    """log(1 + x), accurate near 0."""
    return _C.log1p(input)


def gammaln(input: Tensor) -> Tensor:
    """log |Gamma(x)|."""
    return _C.lgamma(input)


def digamma(input: Tensor) -> Tensor:
    """The logarithmic derivative of Gamma."""
    return _C.digamma(input)


psi = digamma


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma."""
    return _C.polygamma(n, input)


def sinc(input: Tensor) -> Tensor:
    """The normalised sinc, sin(pi x) / (pi x)."""
    from pygrad._pointwise import sinc as _sinc

    return _sinc(input)


def round(input: Tensor, decimals: int = 0) -> Tensor:
    """Rounds half to even, to ``decimals`` decimal places."""
    return _C.round(input, decimals=decimals)


def xlogy(input: Tensor | float, other: Tensor | float) -> Tensor:
    """x * log(y), 0 where x == 0 (unless y is nan). Composed here rather than the core xlogy, whose
    gradient for x is 0 at x == 0 where torch's is log(y)."""
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    x, y = _as_tensor(input, like), _as_tensor(other, like)
    # Where x == 0 and log(y) is not finite the product is 0: keep log's input (and gradient) finite.
    zero = (x == 0) & ((y <= 0) | (y == math.inf))
    safe_y = _C.where(zero, pygrad.ones_like(y), y)
    return x * _C.where(zero, pygrad.zeros_like(y), safe_y.log())


def logsumexp(
    input: Tensor, dim: int | list[int] | tuple[int, ...], keepdim: bool = False
) -> Tensor:
    """log(sum(exp(x))) over dim, computed stably."""
    return _C.logsumexp(input, dim, keepdim)


def softmax(input: Tensor, dim: int, *, dtype: _C.dtype | None = None) -> Tensor:
    """softmax over dim (in dtype when given)."""
    return _C.softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input: Tensor, dim: int, *, dtype: _C.dtype | None = None) -> Tensor:
    """log(softmax(x)) over dim, computed stably (in dtype when given)."""
    return _C.log_softmax(input if dtype is None else input.to(dtype), dim)


# Composites.
def xlog1py(input: Tensor | float, other: Tensor | float) -> Tensor:
    """x * log1p(y), 0 where x == 0 (unless y is nan); torch's gradients."""
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    x, y = _as_tensor(input, like), _as_tensor(other, like)
    # Where x == 0 and log1p(y) is not finite the product is 0: keep log1p's input (and gradient) finite.
    zero = (x == 0) & ((y <= -1) | (y == math.inf))
    safe_y = _C.where(zero, pygrad.zeros_like(y), y)
    return x * _C.where(zero, pygrad.zeros_like(y), _C.log1p(safe_y))


def entr(input: Tensor) -> Tensor:
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""
    x = _float(input)
    positive = x > 0
    safe = _C.where(positive, x, pygrad.ones_like(x))
    outside = _C.where(x == 0, pygrad.zeros_like(x), pygrad.full_like(x, -math.inf))
    return _C.where(positive, -safe * safe.log(), _C.where(x != x, x, outside))


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension p."""
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, but got {p}")
    if bool((input <= (p - 1) / 2).any()):
        raise RuntimeError(f"All elements must be greater than (p-1)/2, but got p={p}")
    total = _C.lgamma(input)
    for i in range(1, p):
        total = total + _C.lgamma(input - i / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF."""
    x = _float(input)
    return 0.5 * _C.erfc(x * (-1 / _SQRT2))


def log_ndtr(input: Tensor) -> Tensor:
    """log of the standard normal CDF, accurate in both tails."""
    x = _float(input)
    # Right half: log1p(-upper tail); middle: log of erfc; far left: the asymptotic expansion.
    right = _C.where(x > 0, x, pygrad.zeros_like(x))
    upper = _C.log1p(-0.5 * _C.erfc(right * (1 / _SQRT2)))
    mid_x = _C.where((x <= 0) & (x > -20), x, pygrad.zeros_like(x))
    mid = (0.5 * _C.erfc(mid_x * (-1 / _SQRT2))).log()
    far_x = _C.where(x <= -20, x, pygrad.full_like(x, -20.0))
    inv2 = 1 / (far_x * far_x)
    series, term = pygrad.ones_like(x), pygrad.ones_like(x)
    for k in range(1, 14):
        term = term * (-(2 * k - 1)) * inv2
        series = series + term
    far = -0.5 * far_x * far_x - (-far_x).log() - _LOG_SQRT_2PI + series.log()
    return _C.where(x > 0, upper, _C.where(x > -20, mid, far))


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function, exp(x^2) erfc(x)."""
    x = _float(input)
    near = _C.where(x < 25, x, pygrad.zeros_like(x))
    direct = (near * near).exp() * _C.erfc(near)
    far_x = _C.where(x >= 25, x, pygrad.full_like(x, 25.0))
    inv2 = 1 / (2 * far_x * far_x)
    series, term = pygrad.ones_like(x), pygrad.ones_like(x)
    for k in range(1, 12):  # 1 - 1/(2x^2) + 3/(2x^2)^2 - ...: below 1e-20 at x = 25
        term = term * (-(2 * k - 1)) * inv2
        series = series + term
    far = series / (far_x * math.sqrt(math.pi))
    return _C.where(x < 25, direct, far)


def ndtri(input: Tensor) -> Tensor:
    """The inverse of the standard normal CDF (the quantile function)."""
    p = _float(input)
    q = p.detach().to(_C.float64)
    with no_grad():
        lower = _C.minimum(q, 1 - q)  # 1 - q is exact for q >= 0.5
        inside = (lower > 0) & (lower == lower)
        safe = _C.where(inside, lower, pygrad.full_like(lower, 0.25))
        guess = _SQRT2 * _C.erfinv(2 * safe - 1)
        tiny = 2 * safe - 1 <= -1 + 1e-15  # erfinv saturates: start from the tail's leading term
        t = -2 * safe.log()
        guess = _C.where(tiny, -(t - t.log() - math.log(2 * math.pi)).sqrt(), guess)
        x, log_target = guess, safe.log()
        for _ in range(4):  # Newton on log(ndtr(x)) = log(q): quadratic, from a close start
            log_cdf = log_ndtr(x)
            log_pdf = -0.5 * x * x - _LOG_SQRT_2PI
            x = x - (log_cdf - log_target) * (log_cdf - log_pdf).exp()
        x = _C.where(q > 0.5, -x, x)
        x = _C.where(q == 0, pygrad.full_like(x, -math.inf), x)
        x = _C.where(q == 1, pygrad.full_like(x, math.inf), x)
        x = _C.where((q < 0) | (q > 1) | (q != q), pygrad.full_like(x, math.nan), x)
        slope = (0.5 * x * x + _LOG_SQRT_2PI).exp()
    return _with_derivative(x.to(p.dtype), p, slope.to(p.dtype))


# Modified Bessel functions of the first kind, orders 0 and 1.
def _bessel_np(x: np.ndarray[Any, Any], order: int, scaled: bool) -> np.ndarray[Any, Any]:
    """I_order(x) (times exp(-|x|) when scaled) in float64: the power series for |x| <= 25, where all its
    terms are positive, else the asymptotic expansion, whose smallest term is below 1e-18 there."""
    a = np.abs(x)
    small = a <= 25
    xs = np.where(small, a, 0.0)
    half2 = (xs / 2) ** 2
    term = np.ones_like(xs) if order == 0 else xs / 2
    total = term.copy()
    for k in range(1, 90):
        term = term * half2 / (k * (k + order))
        total = total + term
    if scaled:
        total = total * np.exp(-xs)
    xl = np.where(small, 30.0, a)
    mu = 4.0 * order * order
    term = np.ones_like(xl)
    series = term.copy()
    for k in range(1, 40):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * xl)
        series = series + term
    large = series / np.sqrt(2 * np.pi * xl)
    if not scaled:
        with np.errstate(over="ignore", invalid="ignore"):
            large = large * np.exp(xl)
    out = np.where(small, total, large)
    if order == 1:
        out = np.where(x < 0, -out, out)
    return np.where(np.isnan(x), np.nan, out)


def _bessel(input: Tensor, order: int, scaled: bool) -> Tensor:
    x = _float(input)
    xs = x.detach().to(_C.float64).numpy()
    value = _from_np(_bessel_np(xs, order, scaled), x)
    if not (x.requires_grad and _C.is_grad_enabled()):
        return value
    other = _bessel_np(xs, 1 - order, scaled)
    with np.errstate(divide="ignore", invalid="ignore"):
        if order == 0:  # I0' = I1; (I0 e^-|x|)' = I1e - sign(x) I0e
            slope = other - np.sign(xs) * _bessel_np(xs, 0, True) if scaled else other
        else:  # I1' = I0 - I1 / x (1/2 at 0); scaled: minus sign(x) I1e
            own = _bessel_np(xs, 1, scaled)
            slope = np.where(xs == 0, 0.5, other - own / np.where(xs == 0, 1.0, xs))
            if scaled:
                slope = slope - np.sign(xs) * own
    return _with_derivative(value, x, _from_np(slope, x))


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0."""
    return _bessel(input, 0, False)


def i0e(input: Tensor) -> Tensor:
    """i0(x) * exp(-|x|)."""
    return _bessel(input, 0, True)


def i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 1."""
    return _bessel(input, 1, False)


def i1e(input: Tensor) -> Tensor:
    """i1(x) * exp(-|x|)."""
    return _bessel(input, 1, True)


# Regularised incomplete gamma functions.
def _lgamma_np(a: Any) -> Any:
    return pygrad.from_numpy(a).lgamma().numpy()


def _log_lower_gamma(a: Any, x: Any) -> Any:
    """log P(a, x), the regularised lower incomplete gamma, by its power series (for x < a + 1)."""
    term = np.ones_like(x)
    total = np.ones_like(x)
    for n in range(1, 100000):
        term = term * x / (a + n)
        total = total + term
        if (term <= 1e-17 * total).all():
            break
    return a * np.log(x) - x - _lgamma_np(a + 1) + np.log(total)


def _log_upper_gamma(a: Any, x: Any) -> Any:
    """log Q(a, x) = log(1 - P(a, x)) by its continued fraction, evaluated with Lentz's method (for
    x >= a + 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = np.full_like(x, 1 / tiny)
    d = 1 / b
    h = d.copy()
    for i in range(1, 100000):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        delta = d * c
        h = h * delta
        if (np.abs(delta - 1) <= 1e-15).all():
            break
    return a * np.log(x) - x - _lgamma_np(a) + np.log(h)


def _gammainc_np(
    a: np.ndarray[Any, Any], x: np.ndarray[Any, Any], upper: bool
) -> np.ndarray[Any, Any]:
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    p = np.full(a.shape, np.nan)
    valid = (a >= 0) & (x >= 0) & ~((a == 0) & (x == 0))
    p[valid & (a == 0)] = 1.0
    p[valid & (x == 0) & (a > 0)] = 0.0
    p[valid & (a == np.inf) & (x < np.inf)] = 0.0
    p[valid & (x == np.inf) & (a > 0) & (a < np.inf)] = 1.0
    q = 1.0 - p
    inner = valid & (a > 0) & (x > 0) & (a < np.inf) & (x < np.inf)
    series = inner & (x < a + 1)
    fraction = inner & ~series
    with np.errstate(over="ignore", under="ignore"):
        if series.any():
            p[series] = np.exp(_log_lower_gamma(a[series], x[series]))
            q[series] = 1.0 - p[series]
        if fraction.any():
            q[fraction] = np.exp(_log_upper_gamma(a[fraction], x[fraction]))
            p[fraction] = 1.0 - q[fraction]
    q[~valid] = np.nan
    return (q if upper else p).reshape(shape)


def _gammainc(input: Tensor | float, other: Tensor | float, upper: bool) -> Tensor:
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    a, x = _as_tensor(input, like), _as_tensor(other, like)
    dtype = _C.result_type(a, x)
    if not dtype.is_floating_point:
        dtype = _C.float32
    ref = pygrad.zeros([], dtype=dtype)
    an, xn = a.detach().to(_C.float64).numpy(), x.detach().to(_C.float64).numpy()
    value = _refuse_gradient(_from_np(_gammainc_np(an, xn, upper), ref), a, "igamma")
    if not (x.requires_grad and _C.is_grad_enabled()):
        return value
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        density = np.exp(
            (an - 1) * np.log(xn)
            - xn
            - _lgamma_np(np.broadcast_to(an, np.broadcast_shapes(an.shape, xn.shape)).copy())
        )
    return _with_derivative(value, x.to(dtype), _from_np(-density if upper else density, ref))


def gammainc(input: Tensor | float, other: Tensor | float) -> Tensor:
    """The regularised lower incomplete gamma function P(a, x) (a = input, x = other): the power series
    for x < a + 1, else 1 - the continued fraction of Q. The gradient is for x only (backward through a
    raises), as in torch."""
    return _gammainc(input, other, upper=False)


def gammaincc(input: Tensor | float, other: Tensor | float) -> Tensor:
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x); gradient for x only."""
    return _gammainc(input, other, upper=True)


# The Hurwitz zeta function.
def _bernoulli_even(count: int) -> list[float]:
    """B_2, B_4, ..., B_2count, from the recurrence sum_k C(m+1, k) B_k = 0 in exact fractions."""
    b: list[Fraction] = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        b.append(Fraction(-sum(math.comb(m + 1, k) * b[k] for k in range(m)), m + 1))
    return [float(b[2 * j]) for j in range(1, count + 1)]


_EM_TERMS = 12
_BERNOULLI = _bernoulli_even(_EM_TERMS)


def _zeta_np(x: np.ndarray[Any, Any], q: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """sum_k (k + q)^-x by Euler-Maclaurin: 9 terms summed, the tail's integral and 12 corrections."""
    n = 9
    with np.errstate(all="ignore"):
        total = np.zeros(np.broadcast(x, q).shape)
        for k in range(n):
            total = total + (q + k) ** -x
        a = q + n
        total = total + a ** (1 - x) / (x - 1) + 0.5 * a**-x
        factor = x * a ** (-x - 1)  # x (x+1) ... (x+2j-2) a^(-x-2j+1) / (2j)!
        fact = 2.0
        for j in range(1, _EM_TERMS + 1):
            total = total + _BERNOULLI[j - 1] / fact * factor
            factor = factor * (x + 2 * j - 1) * (x + 2 * j) / (a * a)
            fact = fact * (2 * j + 1) * (2 * j + 2)
        total = np.where(x == 1, np.inf, total)
        total = np.where(x < 1, np.nan, total)
        total = np.where((q <= 0) & (q == np.floor(q)), np.inf, total)
        total = np.where((q <= 0) & (q != np.floor(q)) & (x != np.floor(x)), np.nan, total)
    return total


def zeta(input: Tensor | float, other: Tensor | float) -> Tensor:
    """The Hurwitz zeta function sum_k (k + q)^-x (x = input, q = other); the gradient is for q only,
    as in torch: -x zeta(x + 1, q) (backward through x raises)."""
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    x, q = _as_tensor(input, like), _as_tensor(other, like)
    dtype = _C.result_type(x, q)
    if not dtype.is_floating_point:
        dtype = _C.float32
    xs, qs = x.detach().to(_C.float64).numpy(), q.detach().to(_C.float64).numpy()
    ref = pygrad.zeros([], dtype=dtype)
    value = _refuse_gradient(_from_np(_zeta_np(xs, qs), ref), x, "zeta")
    if not (q.requires_grad and _C.is_grad_enabled()):
        return value
    slope = _from_np(-xs * _zeta_np(xs + 1, qs), ref)
    return _with_derivative(value, q.to(dtype), slope)
