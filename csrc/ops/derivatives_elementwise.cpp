// Derivative rules of the torch surface's elementwise ops (rounding, trigonometry, special functions, integer
// division, NaN-aware extrema), as torch's derivatives.yaml; each grad has its input's shape (sum_to).
#include <cmath>

#include "ops/derivative_rule.h"

namespace pygrad {

using namespace derivative_detail;

namespace {

constexpr double kLn2 = 0.6931471805599453;
constexpr double kLn10 = 2.302585092994046;

Tensor zeros_like_grad(const Tensor& grad) { return zeros(grad.shape(), grad.dtype()); }

// ---- unary
PG_DERIVATIVE(floor, kSavesNothing, NoAttributes) { return {zeros_like_grad(c.grad())}; }
PG_DERIVATIVE(ceil, kSavesNothing, NoAttributes) { return {zeros_like_grad(c.grad())}; }
PG_DERIVATIVE(trunc, kSavesNothing, NoAttributes) { return {zeros_like_grad(c.grad())}; }
PG_DERIVATIVE(round, kSavesNothing, NoAttributes) { return {zeros_like_grad(c.grad())}; }
PG_DERIVATIVE(frac, kSavesNothing, NoAttributes) { return {c.grad()}; }
PG_DERIVATIVE(reciprocal, kResult, NoAttributes) {  // -1/x^2 = -r^2
  Tensor r = c.result();
  return {neg(mul(c.grad(), mul(r, r)))};
}
PG_DERIVATIVE(tan, kResult, NoAttributes) {  // 1 + tan^2
  Tensor r = c.result();
  return {mul(c.grad(), add(mul(r, r), scalar(1)))};
}
PG_DERIVATIVE(asin, kSelf, NoAttributes) {  // 1 / sqrt(1 - x^2)
  Tensor x = c.self();
  return {mul(c.grad(), rsqrt(sub(scalar(1), mul(x, x))))};
}
PG_DERIVATIVE(acos, kSelf, NoAttributes) {
  Tensor x = c.self();
  return {neg(mul(c.grad(), rsqrt(sub(scalar(1), mul(x, x)))))};
}
PG_DERIVATIVE(atan, kSelf, NoAttributes) {
  Tensor x = c.self();
  return {div(c.grad(), add(mul(x, x), scalar(1)))};
}
PG_DERIVATIVE(sinh, kSelf, NoAttributes) { return {mul(c.grad(), cosh(c.self()))}; }
PG_DERIVATIVE(cosh, kSelf, NoAttributes) { return {mul(c.grad(), sinh(c.self()))}; }
PG_DERIVATIVE(asinh, kSelf, NoAttributes) {
  Tensor x = c.self();
  return {mul(c.grad(), rsqrt(add(mul(x, x), scalar(1))))};
}
PG_DERIVATIVE(acosh, kSelf, NoAttributes) {
  Tensor x = c.self();
  return {mul(c.grad(), rsqrt(sub(mul(x, x), scalar(1))))};
}
PG_DERIVATIVE(atanh, kSelf, NoAttributes) {
  Tensor x = c.self();
  return {div(c.grad(), sub(scalar(1), mul(x, x)))};
}
PG_DERIVATIVE(exp2, kResult, NoAttributes) { return {mul(c.grad(), mul(c.result(), scalar(kLn2)))}; }
PG_DERIVATIVE(expm1, kResult, NoAttributes) { return {mul(c.grad(), add(c.result(), scalar(1)))}; }
PG_DERIVATIVE(log2, kSelf, NoAttributes) { return {div(c.grad(), mul(c.self(), scalar(kLn2)))}; }
PG_DERIVATIVE(log10, kSelf, NoAttributes) { return {div(c.grad(), mul(c.self(), scalar(kLn10)))}; }
PG_DERIVATIVE(erfc, kSelf, NoAttributes) {  // -2/sqrt(pi) exp(-x^2)
  Tensor x = c.self();
  return {mul(c.grad(), mul(exp(neg(mul(x, x))), scalar(-1.1283791670955126)))};
}
PG_DERIVATIVE(erfinv, kResult, NoAttributes) {  // sqrt(pi)/2 exp(r^2)
  Tensor r = c.result();
  return {mul(c.grad(), mul(exp(mul(r, r)), scalar(0.886226925452758)))};
}
PG_DERIVATIVE(lgamma, kSelf, NoAttributes) { return {mul(c.grad(), digamma(c.self()))}; }
PG_DERIVATIVE(digamma, kSelf, NoAttributes) { return {mul(c.grad(), polygamma(1, c.self()))}; }
PG_DERIVATIVE(polygamma, kSelf, ScalarParams) {
  return {mul(c.grad(), polygamma(static_cast<int64_t>(c.attributes().value) + 1, c.self()))};
}
// logit: 1 / (x (1 - x)); with eps >= 0, 0 outside [eps, 1 - eps]; without, NaN outside [0, 1].
PG_DERIVATIVE(logit, kSelf, ScalarParams) {
  Tensor x = c.self();
  const double eps = c.attributes().value;
  Tensor d = div(c.grad(), mul(x, sub(scalar(1), x)));
  if (eps < 0) return {where(logical_or(lt(x, scalar(0)), gt(x, scalar(1))), full({}, NAN, d.dtype()), d)};
  return {where(logical_or(lt(x, scalar(eps)), gt(x, scalar(1 - eps))), zeros({}, d.dtype()), d)};
}
PG_DERIVATIVE(nan_to_num, kSelf, NoAttributes) { return {mul(c.grad(), isfinite(c.self()))}; }

// ---- binary
// floor_divide and div_trunc are piecewise constant (torch gives div(rounding_mode=...) zero gradients).
PG_DERIVATIVE(floor_divide, kSelfShape | kOtherShape, NoAttributes) {
  return {c.needs(0) ? zeros(c.self_shape(), c.grad().dtype()) : Tensor(),
          c.needs(1) ? zeros(c.other_shape(), c.grad().dtype()) : Tensor()};
}
PG_DERIVATIVE(div_trunc, kSelfShape | kOtherShape, NoAttributes) {
  return {c.needs(0) ? zeros(c.self_shape(), c.grad().dtype()) : Tensor(),
          c.needs(1) ? zeros(c.other_shape(), c.grad().dtype()) : Tensor()};
}
// remainder = a - floor(a / b) b: d/da = 1, d/db = -floor(a / b); fmod the same with trunc.
PG_DERIVATIVE(remainder, kSelf | kOther, NoAttributes) {
  Tensor a = c.self(), b = c.other();
  return {c.needs(0) ? sum_to(c.grad(), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(neg(mul(c.grad(), floor_divide(a, b))), b.shape()) : Tensor()};
}
PG_DERIVATIVE(fmod, kSelf | kOther, NoAttributes) {
  Tensor a = c.self(), b = c.other();
  return {c.needs(0) ? sum_to(c.grad(), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(neg(mul(c.grad(), div_trunc(a, b))), b.shape()) : Tensor()};
}
PG_DERIVATIVE(atan2, kSelf | kOther, NoAttributes) {  // (b, -a) / (a^2 + b^2)
  Tensor a = c.self(), b = c.other();
  Tensor g = div(c.grad(), add(mul(a, a), mul(b, b)));
  return {c.needs(0) ? sum_to(mul(g, b), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(neg(mul(g, a)), b.shape()) : Tensor()};
}
PG_DERIVATIVE(hypot, kSelf | kOther | kResult, NoAttributes) {  // (a, b) / r
  Tensor a = c.self(), b = c.other();
  Tensor g = div(c.grad(), c.result());
  return {c.needs(0) ? sum_to(mul(g, a), a.shape()) : Tensor(), c.needs(1) ? sum_to(mul(g, b), b.shape()) : Tensor()};
}
PG_DERIVATIVE(copysign, kSelf | kOtherShape | kResult, NoAttributes) {  // result / a, 0 where a == 0
  Tensor a = c.self();
  Tensor ratio = where(eq(a, scalar(0)), zeros({}, a.dtype()), div(c.result(), a));
  return {c.needs(0) ? sum_to(mul(c.grad(), ratio), a.shape()) : Tensor(),
          c.needs(1) ? zeros(c.other_shape(), c.grad().dtype()) : Tensor()};
}
PG_DERIVATIVE(logaddexp, kSelf | kOther, NoAttributes) {  // 1 / (1 + exp(b - a)), 1 / (1 + exp(a - b))
  Tensor a = c.self(), b = c.other();
  return {c.needs(0) ? sum_to(div(c.grad(), add(exp(sub(b, a)), scalar(1))), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(div(c.grad(), add(exp(sub(a, b)), scalar(1))), b.shape()) : Tensor()};
}
PG_DERIVATIVE(logaddexp2, kSelf | kOther, NoAttributes) {
  Tensor a = c.self(), b = c.other();
  return {c.needs(0) ? sum_to(div(c.grad(), add(exp2(sub(b, a)), scalar(1))), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(div(c.grad(), add(exp2(sub(a, b)), scalar(1))), b.shape()) : Tensor()};
}
PG_DERIVATIVE(xlogy, kSelf | kOther, NoAttributes) {  // xlogy(a != 0, b), a / b
  Tensor a = c.self(), b = c.other();
  return {c.needs(0) ? sum_to(mul(c.grad(), xlogy(to_dtype(ne(a, scalar(0)), a.dtype()), b)), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(div(mul(c.grad(), a), b), b.shape()) : Tensor()};
}
// fmax / fmin: the chosen input takes the whole gradient (a on ties and where b is NaN).
template <class Context>
Grads nan_ignoring_extremum_rule(const Context& c, bool is_max) {
  Tensor a = c.self(), b = c.other();
  Tensor a_chosen = logical_or(is_max ? ge(a, b) : le(a, b), isnan(b));
  Tensor zero = zeros({}, c.grad().dtype());
  return {c.needs(0) ? sum_to(where(a_chosen, c.grad(), zero), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(where(a_chosen, zero, c.grad()), b.shape()) : Tensor()};
}
PG_DERIVATIVE(fmax, kSelf | kOther, NoAttributes) { return nan_ignoring_extremum_rule(c, true); }
PG_DERIVATIVE(fmin, kSelf | kOther, NoAttributes) { return nan_ignoring_extremum_rule(c, false); }

}  // namespace
}  // namespace pygrad
