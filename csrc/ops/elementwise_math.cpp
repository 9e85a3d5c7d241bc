// The torch surface's elementwise ops with parameters (round, logit, nan_to_num, polygamma, div's rounding
// modes) and the composites built from registry ops (float_power, lerp, addcmul, addcdiv, isclose, equal, ...).
#include <cmath>
#include <limits>

#include "ops/op_helpers.h"

namespace pygrad {

Tensor round(const Tensor& x, int64_t decimals) {
  PG_CHECK(decimals == 0 || is_floating(x.dtype()), TypeError, "round", "decimals is not supported for ",
           dtype_name(x.dtype()), " tensors");
  return unary_op(OpId::round, UnaryKind::Numeric, x, static_cast<double>(decimals));
}

Tensor logit(const Tensor& x, std::optional<double> eps) {
  const double e = eps ? *eps : -1.0;  // a negative eps: no clamping
  return unary_op(OpId::logit, UnaryKind::Float, x, e, 0, ScalarParams{e});
}

Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (x.dtype() == DType::Bool) return clone(x);
  const bool single = x.dtype() == DType::Float32;
  const double highest = single ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  return unary_op(OpId::nan_to_num, UnaryKind::Numeric, x, nan ? *nan : 0.0, posinf ? *posinf : highest, NoAttributes{},
                  neginf ? *neginf : -highest);
}

Tensor polygamma(int64_t n, const Tensor& x) {
  PG_CHECK(n >= 0, RuntimeError, "polygamma", "n must be non-negative, got ", n);
  return unary_op(OpId::polygamma, UnaryKind::Float, x, static_cast<double>(n), 0,
                  ScalarParams{static_cast<double>(n)});
}

Tensor div(const Tensor& a, const Tensor& b, const std::optional<std::string>& rounding_mode) {
  if (!rounding_mode) return div(a, b);
  PG_CHECK(*rounding_mode == "trunc" || *rounding_mode == "floor", ValueError, "div",
           "rounding_mode must be None, 'trunc' or 'floor', got '", *rounding_mode, "'");
  PG_CHECK(a.dtype() != DType::Bool || b.dtype() != DType::Bool, TypeError, "div",
           "rounding division is not supported for bool tensors");
  // Bool operands count as integers here (torch promotes bool / bool with rounding to int64).
  const Tensor& x = a.dtype() == DType::Bool ? to_dtype(a, DType::Int64) : a;
  const Tensor& y = b.dtype() == DType::Bool ? to_dtype(b, DType::Int64) : b;
  return *rounding_mode == "floor" ? floor_divide(x, y) : div_trunc(x, y);
}

Tensor float_power(const Tensor& a, const Tensor& b) {
  return pow(as_dtype(a, DType::Float64), as_dtype(b, DType::Float64));
}

Tensor square(const Tensor& x) {
  const Tensor& v = x.dtype() == DType::Bool ? to_dtype(x, DType::Int64) : x;  // torch: bool squares to int64
  return mul(v, v);
}

Tensor positive(const Tensor& x) {
  PG_CHECK(x.dtype() != DType::Bool, TypeError, "positive", "the + operator on a bool tensor is not supported");
  return x;
}

// start + weight (end - start), as torch's formula (the other form for |weight| >= 0.5 keeps lerp exact at 1).
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  PG_CHECK(is_floating(start.dtype()) && start.dtype() == end.dtype(), TypeError, "lerp",
           "expected start and end of one floating dtype, got ", dtype_name(start.dtype()), " and ",
           dtype_name(end.dtype()));
  Tensor w = weight.impl()->wrapped_number ? weight : as_dtype(weight, start.dtype());
  Tensor diff = sub(end, start);
  Tensor small = lt(abs(w), wrapped_scalar(0.5));
  return where(small, add(start, mul(w, diff)), sub(end, mul(diff, sub(wrapped_scalar(1.0), w))));
}

Tensor addcmul(const Tensor& x, const Tensor& tensor1, const Tensor& tensor2, const Tensor& value) {
  PG_CHECK(x.dtype() != DType::Bool || tensor1.dtype() != DType::Bool || tensor2.dtype() != DType::Bool, TypeError,
           "addcmul", "is not supported for bool tensors");
  Tensor product = mul(tensor1, tensor2);
  // As torch: value takes the result's dtype (a float value truncates for integer tensors).
  const bool integral = !is_floating(result_type(x, product));
  return add(x, mul(integral ? to_dtype(value, DType::Int64) : value, product));
}

Tensor addcdiv(const Tensor& x, const Tensor& tensor1, const Tensor& tensor2, const Tensor& value) {
  PG_CHECK(is_floating(tensor1.dtype()) || is_floating(tensor2.dtype()), RuntimeError, "addcdiv",
           "integer division with addcdiv is not supported; use tensor1 / tensor2 with float tensors");
  return add(x, mul(value, div(tensor1, tensor2)));
}

// |a - b| <= atol + rtol |b|, or equal (infinities), or both NaN with equal_nan.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  PG_CHECK(a.dtype() == b.dtype(), TypeError, "isclose", "expected tensors of one dtype, got ", dtype_name(a.dtype()),
           " and ", dtype_name(b.dtype()));
  PG_CHECK(rtol >= 0 && atol >= 0, ValueError, "isclose", "rtol and atol must be non-negative, got ", rtol, " and ",
           atol);
  Tensor x = detach(a), y = detach(b);
  Tensor same = eq(x, y);
  if (equal_nan) same = logical_or(same, logical_and(isnan(x), isnan(y)));
  if (!is_floating(x.dtype())) {
    if (rtol == 0 && atol == 0) return same;
    x = to_dtype(x, DType::Float64);
    y = to_dtype(y, DType::Float64);
  }
  Tensor tolerance = add(wrapped_scalar(atol), mul(wrapped_scalar(rtol), abs(y)));
  Tensor close = logical_and(isfinite(sub(x, y)), le(abs(sub(x, y)), tolerance));
  return logical_or(same, close);
}

bool all_true(const Tensor& mask) {
  Tensor misses = sum(logical_not(mask), {}, false, DType::Int64);
  return contiguous(misses).data<int64_t>()[0] == 0;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return all_true(isclose(a, b, rtol, atol, equal_nan));
}

bool equal(const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "equal");
  if (a.shape() != b.shape()) return false;
  return all_true(eq(detach(a), detach(b)));
}

}  // namespace pygrad
