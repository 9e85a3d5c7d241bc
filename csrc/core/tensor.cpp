// Tensor and shape helpers: allocation, views, contiguity, autograd fields, broadcasting.
#include "core/tensor.h"

#include <sstream>

#include "core/error.h"
#include "core/grad_mode.h"
#include "core/node.h"

namespace pygrad {

int64_t checked_numel(const Shape& shape, const char* op) {
  constexpr int64_t kMaxNumel = int64_t(1) << 62;
  int64_t n = 1;
  for (int64_t s : shape) {
    PG_CHECK(s >= 0, ValueError, op, "negative dimension ", s, " in shape ", shape);
    if (s == 0) return 0;
  }
  for (int64_t s : shape) {
    PG_CHECK(n <= kMaxNumel / s, ValueError, op, "shape ", shape, " has too many elements");
    n *= s;
  }
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= shape[i] > 0 ? shape[i] : 1;
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    PG_CHECK(da == db || da == 1 || db == 1, ValueError, op, "shapes ", a, " and ", b, " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  PG_CHECK(dim >= lo && dim <= hi, IndexError, op, "dimension ", dim, " out of range for a ", ndim,
           "-d tensor (expected in [", lo, ", ", hi, "])");
  return dim < 0 ? dim + (ndim == 0 ? 1 : ndim) : dim;
}

std::string shape_to_string(const Shape& shape) {
  std::ostringstream s;
  detail::stream_one(s, shape);
  return s.str();
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device, const char* op) {
  int64_t n = checked_numel(shape, op);
  PG_CHECK(static_cast<uint64_t>(n) <= (uint64_t(1) << 62) / dtype_size(dtype), ValueError, op, "shape ", shape,
           " is too large");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(static_cast<size_t>(n) * dtype_size(dtype), device, op);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->version = std::make_shared<VersionCounter>();
  return Tensor(std::move(impl));
}

Tensor Tensor::make_view(const Shape& shape, const Shape& strides, int64_t offset) const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = impl_->dtype;
  impl->is_view = true;
  impl->version = impl_->version;
  if (is_grad_enabled()) impl->view_base = impl_->is_view ? impl_->view_base : impl_;
  return Tensor(std::move(impl));
}

int64_t Tensor::size(int64_t d) const { return impl_->shape[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    int64_t s = impl_->shape[i];
    if (s == 0) return true;
    if (s != 1 && impl_->strides[i] != expected) return false;
    expected *= s;
  }
  return true;
}

AutogradMeta& Tensor::autograd_meta() const {
  if (!impl_->autograd) impl_->autograd = std::make_unique<AutogradMeta>();
  return *impl_->autograd;
}

void Tensor::set_requires_grad(bool value) const {
  if (value) {
    PG_CHECK(is_floating(dtype()), RuntimeError, "requires_grad",
             "only floating point tensors can require gradients, got ", dtype_name(dtype()));
  }
  PG_CHECK(is_leaf() || value, RuntimeError, "requires_grad",
           "you can only change requires_grad flags of leaf tensors; use detach() on a non-leaf");
  if (!value && !impl_->autograd) return;
  autograd_meta().requires_grad = value;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  return impl_->autograd ? impl_->autograd->grad_fn : none;
}

Tensor Tensor::grad() const {
  if (!impl_->autograd || !impl_->autograd->grad) return Tensor();
  return Tensor(impl_->autograd->grad);
}

void Tensor::set_grad(const Tensor& g) const {
  if (!g.defined()) {
    if (impl_->autograd) impl_->autograd->grad.reset();
    return;
  }
  PG_CHECK(g.shape() == shape(), ValueError, "grad", "assigned grad has shape ", g.shape(),
           " but the tensor has shape ", shape());
  PG_CHECK(g.dtype() == dtype(), TypeError, "grad", "assigned grad has dtype ", dtype_name(g.dtype()),
           " but the tensor has dtype ", dtype_name(dtype()));
  autograd_meta().grad = g.impl_ptr();
}

void Tensor::set_history(const std::shared_ptr<Node>& node) const {
  AutogradMeta& meta = autograd_meta();
  meta.grad_fn = node;
  meta.requires_grad = true;
  meta.history_version = version();
}

Edge gradient_edge(const Tensor& t) {
  if (!t.requires_grad()) return Edge{};
  AutogradMeta& meta = t.autograd_meta();
  if (meta.grad_fn) return Edge{meta.grad_fn};
  std::shared_ptr<Node> accumulator = meta.grad_accumulator.lock();
  if (!accumulator) {
    accumulator = std::make_shared<Node>();
    accumulator->name = "AccumulateGrad";
    accumulator->variable = t.impl_ptr();
    accumulator->sequence_nr = UINT64_MAX;  // leaves finish last
    meta.grad_accumulator = accumulator;
  }
  return Edge{accumulator};
}

Node::~Node() {
  // Move the children whose last owner is being freed into a local stack before they die, so each one is
  // destroyed with no children of its own: no recursion however long the chain of nodes.
  std::vector<std::shared_ptr<Node>> pending;
  auto adopt_children = [&pending](Node& n) {
    for (Edge& e : n.next_edges)
      if (e.node) pending.push_back(std::move(e.node));
    for (SavedTensor& s : n.saved) {
      TensorImpl* impl = s.tensor.impl();
      if (impl && s.tensor.impl_ptr().use_count() == 1 && impl->autograd && impl->autograd->grad_fn)
        pending.push_back(std::move(impl->autograd->grad_fn));
    }
    n.next_edges.clear();
    for (SavedTensor& s : n.saved) s = SavedTensor{};
  };
  adopt_children(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    if (node.use_count() == 1) adopt_children(*node);
  }
}

uint64_t next_sequence_nr() {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace pygrad
