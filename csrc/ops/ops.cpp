// What each primitive op means: validate, promote, allocate, dispatch to the kernel table, record the node.
#include "ops/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/dispatch.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "core/random.h"
#include "ops/derivatives.h"
#include "ops/record.h"

namespace pygrad {

// ---------------------------------------------------------------- recording
std::shared_ptr<Node> make_node(OpId op, std::initializer_list<const Tensor*> inputs) {
  auto node = std::make_shared<Node>();
  node->name = op_name(op);
  node->backward = derivative_of(op);
  PG_CHECK(node->backward, RuntimeError, op_name(op), "is not differentiable");
  node->sequence_nr = next_sequence_nr();
  node->next_edges.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    node->next_edges.push_back(t->defined() ? gradient_edge(*t) : Edge{});
    node->dtypes.push_back(t->defined() ? t->dtype() : DType::Float32);
  }
  return node;
}

std::shared_ptr<Node> make_node(OpId op, const std::vector<Tensor>& inputs) {
  auto node = make_node(op, {});
  for (const Tensor& t : inputs) {
    node->next_edges.push_back(gradient_edge(t));
    node->dtypes.push_back(t.dtype());
  }
  return node;
}

SavedTensor save_input(const Tensor& t) { return SavedTensor{t, t.defined() ? t.version() : 0, false}; }

SavedTensor save_output(const Tensor& t) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage();
  impl->shape = t.shape();
  impl->strides = t.strides();
  impl->offset = t.offset();
  impl->dtype = t.dtype();
  impl->version = t.impl()->version;
  return SavedTensor{Tensor(std::move(impl)), t.version(), true};
}

// ---------------------------------------------------------------- helpers
namespace {

enum class Category { Bool = 0, Integral = 1, Floating = 2 };
Category category(DType d) {
  return d == DType::Bool ? Category::Bool : (d == DType::Int64 ? Category::Integral : Category::Floating);
}
DType default_dtype(Category c) {
  return c == Category::Bool ? DType::Bool : (c == Category::Integral ? DType::Int64 : DType::Float32);
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  PG_CHECK(a.device() == b.device(), RuntimeError, op, "expected all tensors on one device, got ",
           device_name(a.device()), " and ", device_name(b.device()));
}

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

// x in `dtype`, converting through the differentiable op when needed.
Tensor as_dtype(const Tensor& x, DType dtype) { return x.dtype() == dtype ? x : to_dtype(x, dtype); }

// What an elementwise op's derivative rule reads back (derivatives.cpp); the rest is not saved.
struct SavedNeeds {
  bool inputs;
  bool result;
};
SavedNeeds unary_saved_needs(OpId op) {
  switch (op) {
    case OpId::neg:
    case OpId::sign: return {false, false};
    case OpId::exp:
    case OpId::sqrt:
    case OpId::rsqrt:
    case OpId::sigmoid:
    case OpId::tanh:
    case OpId::relu: return {false, true};
    default: return {true, false};
  }
}

enum class UnaryKind { Float, Numeric };
enum class BinaryKind { Arith, Divide, Compare };

Tensor unary_op(OpId op, UnaryKind kind, const Tensor& x, double a = 0, double b = 0) {
  PG_CHECK(x.defined(), ValueError, op_name(op), "got an undefined tensor");
  DType compute = x.dtype();
  if (kind == UnaryKind::Float && !is_floating(compute)) compute = DType::Float32;
  if (op == OpId::sign && compute == DType::Bool) return clone(x);  // a bool's sign is itself, as in PyTorch
  PG_CHECK(!(kind == UnaryKind::Numeric && compute == DType::Bool), TypeError, op_name(op),
           "is not supported for bool tensors");
  Tensor input = x.dtype() == compute ? x : convert_raw(x, compute);
  Tensor out = Tensor::empty(x.shape(), compute, x.device(), op_name(op));
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = input;
  args.scalars[0] = a;
  args.scalars[1] = b;
  run_kernel(op, args);
  if (should_record({&x})) {
    auto node = make_node(op, {&x});
    // Slots {x, result}, filled only for what the op's rule in derivatives.cpp reads.
    const SavedNeeds needs = unary_saved_needs(op);
    node->saved = {needs.inputs ? save_input(input) : SavedTensor{}, needs.result ? save_output(out) : SavedTensor{}};
    node->scalars = {a, b};
    out.set_history(node, 0);
  }
  return out;
}

Tensor binary_op(OpId op, BinaryKind kind, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op);
  PG_CHECK(a.defined() && b.defined(), ValueError, name, "got an undefined tensor");
  check_same_device(a, b, name);
  DType compute = result_type(a, b);
  if (kind == BinaryKind::Divide && !is_floating(compute)) compute = DType::Float32;
  PG_CHECK(!(op == OpId::sub && (a.dtype() == DType::Bool || b.dtype() == DType::Bool)), TypeError, name,
           "subtraction with a bool tensor is not supported (as in PyTorch); to invert a mask use ~ or logical_xor");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor ac = a.dtype() == compute ? a : convert_raw(a, compute);
  Tensor bc = b.dtype() == compute ? b : convert_raw(b, compute);
  Tensor out = Tensor::empty(shape, kind == BinaryKind::Compare ? DType::Bool : compute, a.device(), name);
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = expand_view(ac, shape);
  args.in[1] = expand_view(bc, shape);
  run_kernel(op, args);
  if (kind != BinaryKind::Compare && is_floating(compute) && should_record({&a, &b})) {
    auto node = make_node(op, {&a, &b});
    if (op == OpId::add || op == OpId::sub) {
      node->shapes = {a.shape(), b.shape()};  // their rules need only the shapes: no tensor is kept alive
    } else {
      node->saved = {save_input(ac), save_input(bc), op == OpId::pow ? save_output(out) : SavedTensor{}};
    }
    out.set_history(node, 0);
  }
  return out;
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  // PyTorch's rule: dimensioned tensors decide; 0-d tensors and then Python scalars only raise the category.
  std::optional<DType> dims, zero_dim, wrapped;
  for (const Tensor* t : {&a, &b}) {
    std::optional<DType>& slot = t->impl()->wrapped_number ? wrapped : (t->dim() > 0 ? dims : zero_dim);
    slot = slot ? promote_types(*slot, t->dtype()) : t->dtype();
  }
  DType result = dims ? *dims : (zero_dim ? *zero_dim : *wrapped);
  if (dims && zero_dim && category(*zero_dim) > category(result)) result = *zero_dim;
  if ((dims || zero_dim) && wrapped && category(*wrapped) > category(result)) result = default_dtype(category(*wrapped));
  return result;
}

// ---------------------------------------------------------------- factories
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

// ---------------------------------------------------------------- elementwise
#define PG_UNARY_OP(name, Functor, kind) \
  Tensor name(const Tensor& x) { return unary_op(OpId::name, UnaryKind::kind, x); }
#define PG_BINARY_OP(name, Functor, kind) \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_op(OpId::name, BinaryKind::kind, a, b); }
#include "core/op_list.def"

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return unary_op(OpId::leaky_relu, UnaryKind::Float, x, negative_slope);
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  PG_CHECK(approximate == "none" || approximate == "tanh", ValueError, "gelu",
           "approximate must be 'none' or 'tanh', got '", approximate, "'");
  return unary_op(OpId::gelu, UnaryKind::Float, x, 0.0, approximate == "tanh" ? 1.0 : 0.0);
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  PG_CHECK(min || max, ValueError, "clamp", "at least one of min and max must be given");
  const bool integral = !is_floating(x.dtype());
  const double lowest = integral ? -9.2e18 : -std::numeric_limits<double>::infinity();
  const double highest = integral ? 9.2e18 : std::numeric_limits<double>::infinity();
  return unary_op(OpId::clamp, UnaryKind::Numeric, x, min ? *min : lowest, max ? *max : highest);
}

Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max) {
  DType dtype = x.dtype();
  std::optional<double> bounds[2];
  const Tensor* given[2] = {&min, &max};
  for (int i = 0; i < 2; ++i) {
    if (!given[i]->defined()) continue;
    PG_CHECK(given[i]->numel() == 1, ValueError, "clamp", "bounds must be numbers or 1-element tensors, got shape ",
             given[i]->shape());
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
  if (is_floating(dtype) && should_record({&x, &y})) {
    auto node = make_node(OpId::where, {&x, &y});
    node->saved = {save_input(condition)};
    node->shapes = {x.shape(), y.shape()};
    out.set_history(node, 0);
  }
  return out;
}

// ---------------------------------------------------------------- in place
namespace {

void check_inplace_autograd(const Tensor& self, const char* op) {
  PG_CHECK(!(self.is_leaf() && self.requires_grad()), RuntimeError, op,
           "a leaf tensor that requires grad is being used in an in-place operation; "
           "wrap the update in pygrad.no_grad()");
  PG_CHECK(!self.is_view(), RuntimeError, op,
           "in-place operation on a view of a tensor that requires grad is not supported; use the out-of-place op");
}

// Replaces self's data and history with those of `result` (same shape and dtype as self).
void rebase_history(const Tensor& self, const Tensor& result) {
  KernelArgs args;
  args.out[0] = self;
  args.in[0] = result;
  run_kernel(OpId::copy, args);
  self.bump_version();
  self.set_history(result.grad_fn(), result.output_nr());
}

// A copy of self's data carrying self's history, so the recorded op saves the pre-update value.
Tensor snapshot_with_history(const Tensor& self) {
  Tensor copy = convert_raw(self, self.dtype());
  if (self.grad_fn()) copy.set_history(self.grad_fn(), self.output_nr());
  return copy;
}

Tensor inplace_binary(OpId op, const Tensor& self, const Tensor& other) {
  const char* name = op_name(op);
  check_same_device(self, other, name);
  DType result = result_type(self, other);
  if (op == OpId::div && !is_floating(result)) result = DType::Float32;
  PG_CHECK(category(result) <= category(self.dtype()), TypeError, name, "result type ", dtype_name(result),
           " can't be cast to the desired output type ", dtype_name(self.dtype()));
  PG_CHECK(broadcast_shapes(self.shape(), other.shape(), name) == self.shape(), ValueError, name,
           "output with shape ", self.shape(), " doesn't match the broadcast shape of ", self.shape(), " and ",
           other.shape());
  if (should_record({&self, &other})) {
    check_inplace_autograd(self, name);
    Tensor out_of_place = binary_op(op, op == OpId::div ? BinaryKind::Divide : BinaryKind::Arith,
                                    snapshot_with_history(self), other);
    rebase_history(self, as_dtype(out_of_place, self.dtype()));
    return self;
  }
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

Tensor fill_(const Tensor& self, double value) {
  PG_CHECK(!(is_grad_enabled() && self.requires_grad()), RuntimeError, "fill_",
           "a tensor that requires grad is being used in an in-place operation; wrap it in pygrad.no_grad()");
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
    rebase_history(self, clone(expand(as_dtype(src, self.dtype()), self.shape())));
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

// ---------------------------------------------------------------- reductions
namespace {

// Sorted unique wrapped dims; empty input means every dim.
Dims normalize_dims(const Tensor& x, const Dims& dims, const char* op) {
  Dims out;
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(wrap_dim(d, x.dim(), op));
  if (x.dim() == 0) return {};
  std::sort(out.begin(), out.end());
  PG_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), ValueError, op, "dim ", dims,
           " appears multiple times in the list of dims");
  return out;
}

Shape reduced_shape(const Tensor& x, const Dims& dims, bool keepdim) {
  Shape shape;
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (!reduced) shape.push_back(x.shape()[d]);
    else if (keepdim) shape.push_back(1);
  }
  return shape;
}

// Runs a reduction kernel over x (dims already normalized) into a fresh tensor of out_dtype.
Tensor run_reduction(OpId op, const Tensor& x, const Dims& dims, bool keepdim, DType out_dtype) {
  Shape perm_shape, perm_strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), d)) {
      perm_shape.push_back(x.shape()[d]);
      perm_strides.push_back(x.strides()[d]);
    }
  for (int64_t d : dims) {
    perm_shape.push_back(x.shape()[d]);
    perm_strides.push_back(x.strides()[d]);
  }
  Tensor out = Tensor::empty(reduced_shape(x, dims, keepdim), out_dtype, x.device(), op_name(op));
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x.make_view(perm_shape, perm_strides, x.offset());
  args.ints[0] = static_cast<int64_t>(dims.size());
  run_kernel(op, args);
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims_in, bool keepdim, std::optional<DType> dtype) {
  Dims dims = normalize_dims(x, dims_in, "sum");
  DType out_dtype = dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
  Tensor input = x.dtype() == out_dtype ? x : (is_floating(out_dtype) ? as_dtype(x, out_dtype) : convert_raw(x, out_dtype));
  Tensor out = run_reduction(OpId::sum, input, dims, keepdim, out_dtype);
  if (should_record({&input})) {
    auto node = make_node(OpId::sum, {&input});
    node->shapes = {input.shape()};
    node->ints = dims;
    node->scalars = {keepdim ? 1.0 : 0.0};
    out.set_history(node, 0);
  }
  return out;
}

Tensor mean(const Tensor& x, const Dims& dims_in, bool keepdim) {
  PG_CHECK(is_floating(x.dtype()), TypeError, "mean", "input dtype must be floating point, got ", dtype_name(x.dtype()));
  Dims dims = normalize_dims(x, dims_in, "mean");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  return div(sum(x, dims, keepdim), wrapped_scalar(static_cast<double>(count)));
}

namespace {
Tensor extreme(OpId op, const Tensor& x, const Dims& dims_in, bool keepdim) {
  const char* name = op_name(op);
  Dims dims = normalize_dims(x, dims_in, name);
  for (int64_t d : dims)
    PG_CHECK(x.shape()[d] != 0, ValueError, name, "cannot reduce over zero-size dimension ", d, " of shape ", x.shape());
  PG_CHECK(x.numel() != 0 || !dims_in.empty(), ValueError, name,
           "cannot reduce an empty tensor of shape ", x.shape());
  Tensor out = run_reduction(op, x, dims, keepdim, x.dtype());
  if (should_record({&x})) {
    auto node = make_node(op, {&x});
    node->saved = {save_input(x), save_output(out)};
    node->ints = dims;
    node->scalars = {keepdim ? 1.0 : 0.0};
    out.set_history(node, 0);
  }
  return out;
}

Tensor arg_extreme(OpId op, const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  const char* name = op_name(op);
  PG_CHECK(x.dtype() != DType::Bool, TypeError, name, "is not supported for bool tensors");
  if (!dim) {
    PG_CHECK(x.numel() > 0, ValueError, name, "cannot take the ", name, " of an empty tensor");
    Tensor flat = reshape(detach(x), {x.numel()});
    Tensor out = run_reduction(op, flat, {0}, false, DType::Int64);
    return keepdim ? reshape(out, Shape(x.dim(), 1)) : out;
  }
  int64_t d = wrap_dim(*dim, x.dim(), name);
  if (x.dim() == 0) return zeros({}, DType::Int64);
  PG_CHECK(x.shape()[d] != 0, ValueError, name, "cannot reduce over zero-size dimension ", d, " of shape ", x.shape());
  return run_reduction(op, x, {d}, keepdim, DType::Int64);
}
}  // namespace

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) { return extreme(OpId::amax, x, dims, keepdim); }
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) { return extreme(OpId::amin, x, dims, keepdim); }
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(OpId::argmax, x, dim, keepdim);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(OpId::argmin, x, dim, keepdim);
}

namespace {
std::pair<Tensor, Tensor> extreme_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  if (x.dim() == 0) return {x, zeros({}, DType::Int64)};
  int64_t d = wrap_dim(dim, x.dim(), name);
  Tensor keys = x.dtype() == DType::Bool ? to_dtype(detach(x), DType::Int64) : x;  // argmax has no bool kernel
  Tensor indices = is_max ? argmax(keys, d, true) : argmin(keys, d, true);
  Tensor values = gather(x, d, indices);
  if (!keepdim) {
    values = squeeze(values, Dims{d});
    indices = squeeze(indices, Dims{d});
  }
  return {values, indices};
}
}  // namespace

std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim) { return extreme_dim(x, dim, keepdim, true); }
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim) { return extreme_dim(x, dim, keepdim, false); }

Tensor var(const Tensor& x, const Dims& dims_in, double correction, bool keepdim) {
  PG_CHECK(is_floating(x.dtype()), TypeError, "var", "input dtype must be floating point, got ", dtype_name(x.dtype()));
  Dims dims = normalize_dims(x, dims_in, "var");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  Tensor centered = sub(x, mean(x, dims, true));
  Tensor squares = sum(mul(centered, centered), dims, keepdim);
  return div(squares, wrapped_scalar(std::max(static_cast<double>(count) - correction, 0.0)));
}

Tensor std_dev(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
  return sqrt(var(x, dims, correction, keepdim));
}

Tensor logsumexp(const Tensor& x, const Dims& dims_in, bool keepdim) {
  if (!is_floating(x.dtype())) return logsumexp(to_dtype(x, DType::Float32), dims_in, keepdim);  // as PyTorch
  Dims dims = normalize_dims(x, dims_in, "logsumexp");
  Tensor peak = detach(amax(x, dims, true));
  Tensor safe_peak = where(eq(abs(peak), wrapped_scalar(std::numeric_limits<double>::infinity())), zeros({}, peak.dtype()), peak);
  Tensor out = add(log(sum(exp(sub(x, safe_peak)), dims, true)), safe_peak);
  return keepdim ? out : squeeze(out, dims);
}

// ---------------------------------------------------------------- matmul
Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  PG_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, ValueError, "matmul", "both arguments need at least 1 dimension, got ",
           a_in.shape(), " and ", b_in.shape());
  PG_CHECK(a_in.dtype() == b_in.dtype(), TypeError, "matmul", "expected both operands to have the same dtype, got ",
           dtype_name(a_in.dtype()), " and ", dtype_name(b_in.dtype()));
  PG_CHECK(a_in.dtype() != DType::Bool, TypeError, "matmul", "is not supported for bool tensors");
  check_same_device(a_in, b_in, "matmul");
  const bool a_vector = a_in.dim() == 1, b_vector = b_in.dim() == 1;
  Tensor a = a_vector ? unsqueeze(a_in, 0) : a_in;
  Tensor b = b_vector ? unsqueeze(b_in, 1) : b_in;
  const int64_t k = a.shape().back();
  PG_CHECK(k == b.shape()[b.dim() - 2], ValueError, "matmul", "shapes ", a_in.shape(), " and ", b_in.shape(),
           " cannot be multiplied (", k, " != ", b.shape()[b.dim() - 2], ")");
  Shape a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape a_full = batch, b_full = batch, out_shape = batch;
  a_full.insert(a_full.end(), {a.shape()[a.dim() - 2], k});
  b_full.insert(b_full.end(), {k, b.shape().back()});
  out_shape.insert(out_shape.end(), {a.shape()[a.dim() - 2], b.shape().back()});
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device(), "matmul");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = expand_view(a, a_full);
  args.in[1] = expand_view(b, b_full);
  run_kernel(OpId::matmul, args);
  if (should_record({&a, &b})) {
    auto node = make_node(OpId::matmul, {&a, &b});
    node->saved = {save_input(a), save_input(b)};
    out.set_history(node, 0);
  }
  if (a_vector) out = squeeze(out, Dims{out.dim() - 2});
  if (b_vector) out = squeeze(out, Dims{out.dim() - 1});
  return out;
}

// ---------------------------------------------------------------- indexing
namespace {
void check_index_tensor(const Tensor& index, const char* op) {
  PG_CHECK(index.dtype() == DType::Int64, TypeError, op, "index must be an int64 tensor, got ",
           dtype_name(index.dtype()));
}
}  // namespace

Tensor gather(const Tensor& x, int64_t dim_in, const Tensor& index) {
  check_index_tensor(index, "gather");
  int64_t dim = wrap_dim(dim_in, std::max<int64_t>(x.dim(), 1), "gather");
  PG_CHECK(index.dim() == x.dim(), ValueError, "gather", "index ", index.shape(), " and input ", x.shape(),
           " must have the same number of dimensions");
  for (int64_t d = 0; d < x.dim(); ++d)
    PG_CHECK(d == dim || index.shape()[d] <= x.shape()[d], ValueError, "gather", "index ", index.shape(),
             " is larger than input ", x.shape(), " in dimension ", d);
  Tensor out = Tensor::empty(index.shape(), x.dtype(), x.device(), "gather");
  if (x.dim() == 0) return copy_(out, x);
  if (out.numel() > 0) {
    KernelArgs args;
    args.out[0] = out;
    args.in[0] = x;
    args.in[1] = index;
    args.ints[0] = dim;
    run_kernel(OpId::gather, args);
  }
  if (should_record({&x})) {
    auto node = make_node(OpId::gather, {&x});
    node->saved = {save_input(index)};
    node->shapes = {x.shape()};
    node->ints = {dim};
    out.set_history(node, 0);
  }
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim_in, const Tensor& index, const Tensor& src) {
  check_index_tensor(index, "scatter_add");
  PG_CHECK(x.dtype() == src.dtype(), TypeError, "scatter_add", "self and src must have the same dtype, got ",
           dtype_name(x.dtype()), " and ", dtype_name(src.dtype()));
  int64_t dim = wrap_dim(dim_in, std::max<int64_t>(x.dim(), 1), "scatter_add");
  PG_CHECK(index.dim() == x.dim() && src.dim() == x.dim(), ValueError, "scatter_add", "index ", index.shape(),
           ", src ", src.shape(), " and self ", x.shape(), " must have the same number of dimensions");
  for (int64_t d = 0; d < x.dim(); ++d)
    PG_CHECK(index.shape()[d] <= src.shape()[d] && (d == dim || index.shape()[d] <= x.shape()[d]), ValueError,
             "scatter_add", "index ", index.shape(), " does not fit src ", src.shape(), " and self ", x.shape());
  Tensor out = convert_raw(x, x.dtype());
  if (index.numel() > 0) {
    KernelArgs args;
    args.out[0] = out;
    args.in[0] = index;
    args.in[1] = src;
    args.ints[0] = dim;
    run_kernel(OpId::scatter_add, args);
  }
  if (should_record({&x, &src})) {
    auto node = make_node(OpId::scatter_add, {&x, &src});
    node->saved = {save_input(index)};
    node->shapes = {src.shape()};
    node->ints = {dim};
    out.set_history(node, 0);
  }
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim_in, const Tensor& index) {
  check_index_tensor(index, "index_select");
  PG_CHECK(index.dim() <= 1, ValueError, "index_select", "index must be 0-d or 1-d, got shape ", index.shape());
  int64_t dim = wrap_dim(dim_in, std::max<int64_t>(x.dim(), 1), "index_select");
  Tensor idx = index.dim() == 0 ? reshape(index, {1}) : index;
  Shape shape = x.shape();
  if (x.dim() == 0) shape = {1};
  Tensor source = x.dim() == 0 ? reshape(x, {1}) : x;
  shape[dim] = idx.numel();
  Tensor out = Tensor::empty(shape, x.dtype(), x.device(), "index_select");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = source;
  args.in[1] = idx;
  args.ints[0] = dim;
  if (out.numel() > 0 || idx.numel() > 0) run_kernel(OpId::index_select, args);
  if (should_record({&source})) {
    auto node = make_node(OpId::index_select, {&source});
    node->saved = {save_input(idx)};
    node->shapes = {source.shape()};
    node->ints = {dim};
    out.set_history(node, 0);
  }
  return x.dim() == 0 ? reshape(out, {}) : out;
}

Tensor index_add(const Tensor& x, int64_t dim_in, const Tensor& index, const Tensor& source) {
  check_index_tensor(index, "index_add");
  PG_CHECK(index.dim() == 1, ValueError, "index_add", "index must be 1-d, got shape ", index.shape());
  PG_CHECK(x.dtype() == source.dtype(), TypeError, "index_add", "self and source must have the same dtype, got ",
           dtype_name(x.dtype()), " and ", dtype_name(source.dtype()));
  int64_t dim = wrap_dim(dim_in, x.dim(), "index_add");
  Shape expected = x.shape();
  expected[dim] = index.numel();
  PG_CHECK(source.shape() == expected, ValueError, "index_add", "source shape ", source.shape(), " must be ", expected);
  Tensor out = convert_raw(x, x.dtype());
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = index;
  args.in[1] = source;
  args.ints[0] = dim;
  if (source.numel() > 0) run_kernel(OpId::index_add, args);
  if (should_record({&x, &source})) {
    auto node = make_node(OpId::index_add, {&x, &source});
    node->saved = {save_input(index)};
    node->ints = {dim};
    out.set_history(node, 0);
  }
  return out;
}

Tensor one_hot(const Tensor& target, int64_t num_classes) {
  check_index_tensor(target, "one_hot");
  Tensor flat = reshape(target, {target.numel()});
  if (num_classes < 0) {
    PG_CHECK(target.numel() > 0, ValueError, "one_hot", "can not infer the number of classes from an empty tensor");
    num_classes = amax(flat).data<int64_t>()[0] + 1;
  }
  Tensor out = Tensor::empty({target.numel(), num_classes}, DType::Int64, target.device(), "one_hot");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = flat;
  args.ints[0] = num_classes;
  run_kernel(OpId::one_hot, args);
  Shape shape = target.shape();
  shape.push_back(num_classes);
  return reshape(out, shape);
}

Tensor cross_entropy_per_sample(const Tensor& logits_in, const Tensor& target, int64_t ignore_index,
                                double label_smoothing) {
  PG_CHECK(logits_in.dim() == 2, ValueError, "cross_entropy", "expected logits of shape [N, C], got ", logits_in.shape());
  PG_CHECK(is_floating(logits_in.dtype()), TypeError, "cross_entropy", "logits must be floating point, got ",
           dtype_name(logits_in.dtype()));
  check_index_tensor(target, "cross_entropy");
  PG_CHECK(target.dim() == 1 && target.shape()[0] == logits_in.shape()[0], ValueError, "cross_entropy",
           "target of shape ", target.shape(), " does not match logits of shape ", logits_in.shape());
  PG_CHECK(label_smoothing >= 0 && label_smoothing <= 1, ValueError, "cross_entropy",
           "label_smoothing must be in [0, 1], got ", label_smoothing);
  PG_CHECK(logits_in.shape()[1] > 0 || logits_in.shape()[0] == 0, ValueError, "cross_entropy",
           "logits need at least one class, got shape ", logits_in.shape());
  Tensor logits = contiguous(logits_in);
  Tensor out = Tensor::empty({logits.shape()[0]}, logits.dtype(), logits.device(), "cross_entropy");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = logits;
  args.in[1] = target;
  args.scalars[0] = label_smoothing;
  args.ints[0] = ignore_index;
  run_kernel(OpId::cross_entropy, args);
  if (should_record({&logits})) {
    auto node = make_node(OpId::cross_entropy, {&logits});
    node->saved = {save_input(logits), save_input(target)};
    node->scalars = {label_smoothing};
    node->ints = {ignore_index};
    out.set_history(node, 0);
  }
  return out;
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, int64_t ignore_index,
                              double label_smoothing) {
  Tensor x = contiguous(logits);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device(), "cross_entropy");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  args.in[1] = target;
  args.in[2] = grad.dtype() == x.dtype() ? grad : convert_raw(grad, x.dtype());
  args.scalars[0] = label_smoothing;
  args.ints[0] = ignore_index;
  if (out.numel() > 0) run_kernel(OpId::cross_entropy_backward, args);
  return out;
}

}  // namespace pygrad
