// Factories: Python scalars as wrapped 0-d tensors, filled, ranged and random tensors.
#include <cmath>

#include "backend/dispatch.h"
#include "core/error.h"
#include "core/random.h"
#include "ops/ops.h"

namespace pygrad {

// A fresh 0-d tensor written directly (no kernel dispatch): Python scalars become one per operator call.
template <class T>
Tensor make_wrapped(DType dtype, T value) {
  Tensor t = Tensor::empty({}, dtype, Device::CPU, "scalar");
  *t.data<T>() = value;
  t.impl()->wrapped_number = true;
  return t;
}
Tensor wrapped_scalar(double value) { return make_wrapped<double>(DType::Float64, value); }
Tensor wrapped_scalar(int64_t value) { return make_wrapped<int64_t>(DType::Int64, value); }
Tensor wrapped_scalar(bool value) { return make_wrapped<bool>(DType::Bool, value); }

Tensor empty(const Shape& shape, DType dtype, Device device) { return Tensor::empty(shape, dtype, device); }

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor out = Tensor::empty(shape, dtype, device, "full");
  KernelArgs args;
  args.out[0] = out;
  args.scalars[0] = value;
  args.ints[0] = std::isfinite(value) ? static_cast<int64_t>(value) : 0;
  run_kernel(OpId::fill, args);
  return out;
}

Tensor full_int(const Shape& shape, int64_t value, DType dtype, Device device) {
  Tensor out = Tensor::empty(shape, dtype, device, "full");
  KernelArgs args;
  args.out[0] = out;
  args.scalars[0] = static_cast<double>(value);
  args.ints[0] = value;
  run_kernel(OpId::fill, args);
  return out;
}

Tensor zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor arange(double start, double end, double step, DType dtype) {
  PG_CHECK(step != 0, ValueError, "arange", "step must be nonzero");
  PG_CHECK(std::isfinite(start) && std::isfinite(end), ValueError, "arange", "unsupported range: ", start, " -> ", end);
  PG_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), ValueError, "arange",
           "upper bound and larger bound inconsistent with step sign");
  double count = std::ceil((end - start) / step);
  PG_CHECK(count < 9.0e18, ValueError, "arange", "too many elements: ", count);
  Tensor out = Tensor::empty({static_cast<int64_t>(count)}, dtype, Device::CPU, "arange");
  KernelArgs args;
  args.out[0] = out;
  args.scalars[0] = start;
  args.scalars[1] = step;
  run_kernel(OpId::arange, args);
  return out;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  PG_CHECK(steps >= 0, ValueError, "linspace", "number of steps must be non-negative, got ", steps);
  Tensor out = Tensor::empty({steps}, dtype, Device::CPU, "linspace");
  KernelArgs args;
  args.out[0] = out;
  args.scalars[0] = start;
  args.scalars[1] = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  args.scalars[2] = end;
  args.ints[0] = 1;
  run_kernel(OpId::arange, args);
  return out;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  PG_CHECK(n >= 0 && m >= 0, ValueError, "eye", "n and m must be non-negative, got ", n, " and ", m);
  Tensor out = zeros({n, m}, dtype);
  Tensor diagonal = out.make_view({std::min(n, m)}, {m + 1}, 0);
  KernelArgs args;
  args.out[0] = diagonal;
  args.scalars[0] = 1.0;
  args.ints[0] = 1;
  run_kernel(OpId::fill, args);
  return out;
}

Tensor rand(const Shape& shape, DType dtype) {
  PG_CHECK(is_floating(dtype), TypeError, "rand", "expected a floating dtype, got ", dtype_name(dtype));
  Tensor out = Tensor::empty(shape, dtype, Device::CPU, "rand");
  KernelArgs args;
  args.out[0] = out;
  args.scalars[1] = 1.0;
  args.random = next_random_stream();
  run_kernel(OpId::random_uniform, args);
  return out;
}

Tensor randn(const Shape& shape, DType dtype) {
  PG_CHECK(is_floating(dtype), TypeError, "randn", "expected a floating dtype, got ", dtype_name(dtype));
  Tensor out = Tensor::empty(shape, dtype, Device::CPU, "randn");
  KernelArgs args;
  args.out[0] = out;
  args.scalars[1] = 1.0;
  args.random = next_random_stream();
  run_kernel(OpId::random_normal, args);
  return out;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype) {
  PG_CHECK(low < high, ValueError, "randint", "expected low < high, got low=", low, " high=", high);
  Tensor out = Tensor::empty(shape, dtype, Device::CPU, "randint");
  KernelArgs args;
  args.out[0] = out;
  args.ints[0] = low;
  args.ints[1] = high;
  args.random = next_random_stream();
  run_kernel(OpId::random_integers, args);
  return out;
}

Tensor bernoulli_mask(const Shape& shape, double keep_probability, DType dtype) {
  PG_CHECK(keep_probability >= 0 && keep_probability <= 1, ValueError, "bernoulli",
           "probability must be in [0, 1], got ", keep_probability);
  return lt(rand(shape, is_floating(dtype) ? dtype : DType::Float32), wrapped_scalar(keep_probability));
}

}  // namespace pygrad
