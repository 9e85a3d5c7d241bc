// Helpers shared by the ops files (not public): dtype categories, device checks, raw (unrecorded) broadcast views
// and conversions, and dim normalisation.
#pragma once
#include "backend/dispatch.h"
#include "core/autocast.h"
#include "core/error.h"
#include "ops/ops.h"

namespace pygrad {

enum class Category { Bool = 0, Integral = 1, Floating = 2 };
inline Category category(DType d) {
  return d == DType::Bool ? Category::Bool : (is_floating(d) ? Category::Floating : Category::Integral);
}
inline DType default_dtype(Category c) {
  return c == Category::Bool ? DType::Bool : (c == Category::Integral ? DType::Int64 : default_float_dtype());
}

inline void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  PG_CHECK(a.device() == b.device(), RuntimeError, op, "expected all tensors on one device, got ",
           device_name(a.device()), " and ", device_name(b.device()));
}

// A non-recorded view of x broadcast to `shape` (stride 0 on broadcast dims).
Tensor expand_view(const Tensor& x, const Shape& shape);

// A non-recorded copy of x in `dtype`.
Tensor convert_raw(const Tensor& x, DType dtype);

// x in `dtype`, converting through the differentiable op when needed.
inline Tensor as_dtype(const Tensor& x, DType dtype) { return x.dtype() == dtype ? x : to_dtype(x, dtype); }

// x in float32 when it is a 16-bit float (through the differentiable conversion), else x itself: primitives
// with float32/float64 kernels compute 16-bit tensors this way and round the result back (narrow_to).
inline Tensor widen_reduced(const Tensor& x) {
  return x.defined() && is_reduced_floating(x.dtype()) ? to_dtype(x, DType::Float32) : x;
}

// A composite on float16/bfloat16 input computes in float32 and rounds once, as torch's fused kernels do:
// `if (is_reduced_floating(x.dtype())) return in_float32(x, [&](const Tensor& w) { return op(w, ...); });`
template <class Fn>
Tensor in_float32(const Tensor& x, const Fn& fn) {
  return to_dtype(fn(to_dtype(x, DType::Float32)), x.dtype());
}

// Under CPU autocast, x in the autocast dtype when it is a CPU floating tensor other than float64 (torch's rule for
// the lower-precision ops), else x itself.
inline Tensor autocast_lower(const Tensor& x) {
  const AutocastState& s = autocast_state();
  if (!s.cpu_enabled || !x.defined() || x.device() != Device::CPU || !is_floating(x.dtype()) ||
      x.dtype() == DType::Float64) {
    return x;
  }
  return as_dtype(x, s.cpu_dtype);
}

// The dtype a primitive with only float32/float64/int64 kernels computes x's dtype in: 16-bit floats widen to
// float32 (accumulating in float32, as torch does), narrower integers and bool to int64.
inline DType kernel_dtype(DType d) {
  if (is_reduced_floating(d)) return DType::Float32;
  if (is_integral(d, true)) return DType::Int64;
  return d;
}

inline void check_floating(const Tensor& t, const char* op, const char* what) {
  PG_CHECK(is_floating(t.dtype()), TypeError, op, "expected a floating point ", what, ", got ", dtype_name(t.dtype()));
}

inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op, const char* what) {
  PG_CHECK(a.dtype() == b.dtype(), TypeError, op, "expected ", what, " of dtype ", dtype_name(a.dtype()), ", got ",
           dtype_name(b.dtype()));
}

inline void check_index_tensor(const Tensor& index, const char* op) {
  PG_CHECK(index.dtype() == DType::Int64, TypeError, op, "index must be an int64 tensor, got ",
           dtype_name(index.dtype()));
}

// The registry's elementwise kinds (core/op_list.def) and the generic unary and binary ops they run through:
// validate, promote, allocate, run the kernel, record. a, b, c are the functor's parameters; `attributes` what
// the derivative rule reads of them.
enum class UnaryKind { Float, Numeric, Bitwise, Predicate };
enum class BinaryKind { Arith, Divide, Compare, Numeric, Bitwise };
Tensor unary_op(OpId op, UnaryKind kind, const Tensor& x, double a = 0, double b = 0,
                OpAttributes attributes = NoAttributes{}, double c = 0);
Tensor binary_op(OpId op, BinaryKind kind, const Tensor& a, const Tensor& b);

// Sorted unique wrapped dims; empty input means every dim.
Dims normalize_dims(const Tensor& x, const Dims& dims, const char* op);

}  // namespace pygrad
