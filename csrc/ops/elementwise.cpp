// Elementwise ops: torch's type promotion (result_type), the registry's unary and binary ops, clamp and where,
// and their in-place forms (add_, mul_, copy_, ...).
#include <cmath>
#include <limits>

#include "core/grad_mode.h"
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

// A non-recorded view of x broadcast to `shape` (stride 0 on broadcast dims).
Tensor expand_view(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const size_t nd = shape.size(), xd = x.shape().size();
  Shape strides(nd, 0);
  for (size_t i = 0; i < xd; ++i) {
    size_t o = nd - xd + i;
    strides[o] = x.shape()[i] == 1 && shape[o] != 1 ? 0 : x.strides()[i];
  }
  return x.make_view(shape, strides, x.offset());
}

Tensor convert_raw(const Tensor& x, DType dtype) {
  Tensor out = Tensor::empty(x.shape(), dtype, x.device(), "to");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  run_kernel(OpId::copy, args);
  return out;
}

DType result_type(const Tensor& a, const Tensor& b) {
  // PyTorch's rule: dimensioned tensors decide; 0-d tensors and then Python scalars only raise the category.
  std::optional<DType> dims, zero_dim, wrapped;
  for (const Tensor* t : {&a, &b}) {
    std::optional<DType>& slot = t->impl()->wrapped_number ? wrapped : (t->dim() > 0 ? dims : zero_dim);
    slot = slot ? promote_types(*slot, t->dtype()) : t->dtype();
  }
  DType result = dims ? *dims : (zero_dim ? *zero_dim : *wrapped);
  if (dims && zero_dim && category(*zero_dim) > category(result)) result = *zero_dim;
  if ((dims || zero_dim) && wrapped && category(*wrapped) > category(result))
    result = default_dtype(category(*wrapped));
  return result;
}

namespace {

// Integer division by zero raises, as in PyTorch (the kernels never see a zero divisor).
bool integer_division(OpId op) {
  return op == OpId::floor_divide || op == OpId::remainder || op == OpId::fmod || op == OpId::div_trunc;
}
void check_nonzero_divisor(const Tensor& divisor, const char* name) {
  Tensor zeros_found = sum(eq(divisor, wrapped_scalar(int64_t{0})), {}, false, DType::Int64);
  PG_CHECK(zeros_found.data<int64_t>()[0] == 0, RuntimeError, name, "ZeroDivisionError");
}

}  // namespace

Tensor unary_op(OpId op, UnaryKind kind, const Tensor& x, double a, double b, OpAttributes attributes, double c) {
  PG_CHECK(x.defined(), ValueError, op_name(op), "got an undefined tensor");
  DType compute = x.dtype();
  if (kind == UnaryKind::Float && !is_floating(compute)) compute = default_float_dtype();
  if (op == OpId::sign && compute == DType::Bool) return clone(x);  // a bool's sign is itself, as in PyTorch
  PG_CHECK(!(kind == UnaryKind::Numeric && compute == DType::Bool), TypeError, op_name(op),
           "is not supported for bool tensors");
  PG_CHECK(!(kind == UnaryKind::Bitwise && is_floating(compute)), TypeError, op_name(op),
           "is only supported for integer and bool tensors, got ", dtype_name(compute));
  Tensor input = x.dtype() == compute ? x : convert_raw(x, compute);
  Tensor out = Tensor::empty(x.shape(), kind == UnaryKind::Predicate ? DType::Bool : compute, x.device(), op_name(op));
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = input;
  args.scalars[0] = a;
  args.scalars[1] = b;
  args.scalars[2] = c;
  run_kernel(op, args);
  if (kind != UnaryKind::Predicate && is_floating(compute))
    record(op, {&x}, out, Forward().self(input).result(out), std::move(attributes));
  return out;
}

// torch's add, sub, mul and div on float16/bfloat16 read a one-element operand of another dtype (a Python number,
// a 0-d float64) in float32 without rounding it to 16 bits first: such ops run in float32 and round once.
bool reads_scalar_in_float32(OpId op, DType compute, const Tensor& a, const Tensor& b) {
  if (!is_reduced_floating(compute) || (op != OpId::add && op != OpId::sub && op != OpId::mul && op != OpId::div))
    return false;
  return (b.numel() == 1 && b.dtype() != compute) || (a.numel() == 1 && a.dtype() != compute);
}

Tensor binary_op(OpId op, BinaryKind kind, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op);
  PG_CHECK(a.defined() && b.defined(), ValueError, name, "got an undefined tensor");
  check_same_device(a, b, name);
  DType compute = result_type(a, b);
  if (kind == BinaryKind::Divide && !is_floating(compute)) compute = default_float_dtype();
  if (reads_scalar_in_float32(op, compute, a, b))
    return to_dtype(binary_op(op, kind, to_dtype(a, DType::Float32), to_dtype(b, DType::Float32)), compute);
  PG_CHECK(!(op == OpId::sub && (a.dtype() == DType::Bool || b.dtype() == DType::Bool)), TypeError, name,
           "subtraction with a bool tensor is not supported (as in PyTorch); to invert a mask use ~ or logical_xor");
  PG_CHECK(!(kind == BinaryKind::Numeric && compute == DType::Bool), TypeError, name,
           "is not supported for bool tensors");
  PG_CHECK(!(kind == BinaryKind::Bitwise && is_floating(compute)), TypeError, name,
           "is only supported for integer and bool tensors, got ", dtype_name(compute));
  PG_CHECK(!((op == OpId::bitwise_left_shift || op == OpId::bitwise_right_shift) && compute == DType::Bool), TypeError,
           name, "is not supported for bool tensors");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor ac = a.dtype() == compute ? a : convert_raw(a, compute);
  Tensor bc = b.dtype() == compute ? b : convert_raw(b, compute);
  if (integer_division(op) && !is_floating(compute)) check_nonzero_divisor(bc, name);
  Tensor out = Tensor::empty(shape, kind == BinaryKind::Compare ? DType::Bool : compute, a.device(), name);
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = expand_view(ac, shape);
  args.in[1] = expand_view(bc, shape);
  run_kernel(op, args);
  if (kind != BinaryKind::Compare && is_floating(compute))
    record(op, {&a, &b}, out, Forward().self(ac).other(bc).result(out));
  return out;
}

// ---------------------------------------------------------------- elementwise
#define PG_UNARY_OP(name, Functor, kind, doc) \
  Tensor name(const Tensor& x) { return unary_op(OpId::name, UnaryKind::kind, x); }
#define PG_BINARY_OP(name, Functor, kind, doc) \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_op(OpId::name, BinaryKind::kind, a, b); }
#include "core/op_list.def"

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return unary_op(OpId::leaky_relu, UnaryKind::Float, x, negative_slope, 0, LeakyReluParams{negative_slope});
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  PG_CHECK(approximate == "none" || approximate == "tanh", ValueError, "gelu",
           "approximate must be 'none' or 'tanh', got '", approximate, "'");
  const bool tanh_approximation = approximate == "tanh";
  return unary_op(OpId::gelu, UnaryKind::Float, x, 0.0, tanh_approximation ? 1.0 : 0.0, GeluParams{tanh_approximation});
}

Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approximation) {
  const char* op = "gelu_backward";
  PG_CHECK(grad.shape() == x.shape() && grad.dtype() == x.dtype() && is_floating(x.dtype()), ValueError, op,
           "expected grad and input of one floating dtype and shape, got ", grad.shape(), " ", dtype_name(grad.dtype()),
           " and ", x.shape(), " ", dtype_name(x.dtype()));
  if (is_reduced_floating(x.dtype()))
    return to_dtype(gelu_backward(to_dtype(grad, DType::Float32), to_dtype(x, DType::Float32), tanh_approximation),
                    x.dtype());
  KernelArgs args;
  args.in[0] = contiguous(grad), args.in[1] = contiguous(x);
  args.out[0] = Tensor::empty(x.shape(), x.dtype(), x.device(), op);
  args.ints[0] = tanh_approximation ? 1 : 0;
  if (x.numel() > 0) run_kernel(OpId::gelu_backward, args);
  return args.out[0];
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  PG_CHECK(min || max, ValueError, "clamp", "at least one of min and max must be given");
  const bool integral = !is_floating(x.dtype());
  const double lowest = integral ? -9.2e18 : -std::numeric_limits<double>::infinity();
  const double highest = integral ? 9.2e18 : std::numeric_limits<double>::infinity();
  const double low = min ? *min : lowest, high = max ? *max : highest;
  return unary_op(OpId::clamp, UnaryKind::Numeric, x, low, high, ClampParams{low, high});
}

// clamp with tensor bounds that broadcast: where(x < min, min, x), then where(. > max, max, .), as torch's
// gradients (x takes it inside [min, max], a bound where it won) and NaN (a NaN bound gives NaN).
Tensor clamp_by_tensors(const Tensor& x, const Tensor& min, const Tensor& max) {
  DType dtype = x.dtype();
  for (const Tensor* bound : {&min, &max})
    if (bound->defined()) dtype = promote_types(dtype, result_type(x, *bound));
  Tensor out = as_dtype(x, dtype);
  if (min.defined()) {
    Tensor low = as_dtype(min, dtype);
    out = where(logical_or(lt(out, low), ne(low, low)), low, out);
  }
  if (max.defined()) {
    Tensor high = as_dtype(max, dtype);
    out = where(logical_or(gt(out, high), ne(high, high)), high, out);
  }
  return out;
}

Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max) {
  PG_CHECK(min.defined() || max.defined(), ValueError, "clamp", "at least one of min and max must be given");
  for (const Tensor* bound : {&min, &max}) {
    if (bound->defined() && (bound->numel() != 1 || bound->requires_grad() || bound->dim() > x.dim()))
      return clamp_by_tensors(x, min, max);
  }
  DType dtype = x.dtype();
  std::optional<double> bounds[2];
  const Tensor* given[2] = {&min, &max};
  for (int i = 0; i < 2; ++i) {
    if (!given[i]->defined()) continue;
    dtype = promote_types(dtype, result_type(x, *given[i]));
    bounds[i] = contiguous(to_dtype(detach(*given[i]), DType::Float64)).data<double>()[0];
  }
  if (dtype == DType::Bool) dtype = DType::Int64;  // clamp compares numbers: bools count as 0 and 1
  return clamp(as_dtype(x, dtype), bounds[0], bounds[1]);
}

Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y) {
  PG_CHECK(condition.dtype() == DType::Bool, TypeError, "where", "condition must be a bool tensor, got ",
           dtype_name(condition.dtype()));
  check_same_device(x, y, "where");
  DType dtype = result_type(x, y);
  // Two Python numbers: torch's default dtype of their category (where(c, 1.0, 0.0) is float32).
  if (x.impl()->wrapped_number && y.impl()->wrapped_number) dtype = default_dtype(category(dtype));
  Shape shape = broadcast_shapes(broadcast_shapes(condition.shape(), x.shape(), "where"), y.shape(), "where");
  Tensor xc = x.dtype() == dtype ? x : convert_raw(x, dtype);
  Tensor yc = y.dtype() == dtype ? y : convert_raw(y, dtype);
  Tensor out = Tensor::empty(shape, dtype, x.device(), "where");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = expand_view(condition, shape);
  args.in[1] = expand_view(xc, shape);
  args.in[2] = expand_view(yc, shape);
  run_kernel(OpId::where, args);
  if (is_floating(dtype)) record(OpId::where, {&x, &y}, out, Forward().condition(condition));
  return out;
}

// ---------------------------------------------------------------- in place
namespace {

// The registry kind of a binary op.
BinaryKind binary_kind(OpId op) {
  switch (op) {
#define PG_BINARY_OP(name, Functor, kind, doc) \
  case OpId::name: return BinaryKind::kind;
#include "core/op_list.def"
    default: PG_THROW(RuntimeError, op_name(op), "is not a binary elementwise op");
  }
}

Tensor inplace_binary(OpId op, const Tensor& self, const Tensor& other) {
  const char* name = op_name(op);
  check_same_device(self, other, name);
  const BinaryKind kind = binary_kind(op);
  DType result = result_type(self, other);
  if (kind == BinaryKind::Divide && !is_floating(result)) result = default_float_dtype();
  PG_CHECK(category(result) <= category(self.dtype()), TypeError, name, "result type ", dtype_name(result),
           " can't be cast to the desired output type ", dtype_name(self.dtype()));
  PG_CHECK(broadcast_shapes(self.shape(), other.shape(), name) == self.shape(), ValueError, name, "output with shape ",
           self.shape(), " doesn't match the broadcast shape of ", self.shape(), " and ", other.shape());
  if (should_record({&self, &other})) {
    check_inplace_autograd(self, name);
    Tensor out_of_place = binary_op(op, kind, snapshot_with_history(self), other);
    write_with_history(self, as_dtype(out_of_place, self.dtype()));
    return self;
  }
  // Ops that are not plain arithmetic (checks and promotion of their own), and 16-bit arithmetic reading a scalar
  // in float32: through the out-of-place op.
  if ((kind != BinaryKind::Arith && kind != BinaryKind::Divide) ||
      reads_scalar_in_float32(op, self.dtype(), self, other))
    return copy_(self, binary_op(op, kind, self, other));
  Tensor operand = other.dtype() == self.dtype() ? other : convert_raw(other, self.dtype());
  if (operand.storage() == self.storage()) operand = convert_raw(operand, operand.dtype());  // overlapping memory
  KernelArgs args;
  args.out[0] = self;
  args.in[0] = self;
  args.in[1] = expand_view(operand, self.shape());
  run_kernel(op, args);
  self.bump_version();
  return self;
}

}  // namespace

Tensor add_(const Tensor& self, const Tensor& other) { return inplace_binary(OpId::add, self, other); }
Tensor sub_(const Tensor& self, const Tensor& other) { return inplace_binary(OpId::sub, self, other); }
Tensor mul_(const Tensor& self, const Tensor& other) { return inplace_binary(OpId::mul, self, other); }
Tensor div_(const Tensor& self, const Tensor& other) { return inplace_binary(OpId::div, self, other); }
Tensor binary_inplace(OpId op, const Tensor& self, const Tensor& other) { return inplace_binary(op, self, other); }

Tensor fill_(const Tensor& self, double value) {
  if (should_record({&self})) {
    check_inplace_autograd(self, "fill_");
    write_with_history(self, full(self.shape(), value, self.dtype(), self.device()));
    return self;
  }
  KernelArgs args;
  args.out[0] = self;
  args.scalars[0] = value;
  args.ints[0] = std::isfinite(value) ? static_cast<int64_t>(value) : 0;
  run_kernel(OpId::fill, args);
  self.bump_version();
  return self;
}

Tensor zero_(const Tensor& self) { return fill_(self, 0.0); }

Tensor copy_(const Tensor& self, const Tensor& src) {
  check_same_device(self, src, "copy_");
  PG_CHECK(broadcast_shapes(self.shape(), src.shape(), "copy_") == self.shape(), ValueError, "copy_",
           "source of shape ", src.shape(), " cannot be broadcast to ", self.shape());
  if (should_record({&self, &src})) {
    check_inplace_autograd(self, "copy_");
    write_with_history(self, clone(expand(as_dtype(src, self.dtype()), self.shape())));
    return self;
  }
  Tensor source = src.storage() == self.storage() ? convert_raw(src, src.dtype()) : src;
  KernelArgs args;
  args.out[0] = self;
  args.in[0] = expand_view(source, self.shape());
  run_kernel(OpId::copy, args);
  self.bump_version();
  return self;
}

}  // namespace pygrad
