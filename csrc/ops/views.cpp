// View ops (share storage, recorded so gradients flow back) and copies: reshape, permute, expand, squeeze,
// indexing, narrow, contiguous, clone, dtype conversion, detach.
#include <algorithm>
#include <numeric>

#include "backend/dispatch.h"
#include "core/error.h"
#include "ops/ops.h"
#include "ops/record.h"

namespace pygrad {

namespace {

Tensor record_view(OpId op, const Tensor& x, Tensor out) {
  record(op, {&x}, out);
  return out;
}

// Strides for viewing (shape, strides) as new_shape without a copy, if possible (PyTorch's rule).
std::optional<Shape> view_strides(const Shape& shape, const Shape& strides, const Shape& new_shape) {
  if (shape.empty()) return Shape(new_shape.size(), 1);
  if (numel_of(shape) == 0) return contiguous_strides(new_shape);
  Shape out(new_shape.size(), 0);
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = strides.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= shape[tensor_d];
    if (tensor_d == 0 || (shape[tensor_d - 1] != 1 && strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

Shape infer_shape(const Shape& requested, int64_t numel, const char* op) {
  Shape shape = requested;
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      PG_CHECK(infer < 0, ValueError, op, "only one dimension can be inferred in shape ", requested);
      infer = static_cast<int64_t>(i);
    } else {
      PG_CHECK(shape[i] >= 0, ValueError, op, "invalid shape dimension ", shape[i], " in ", requested);
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    PG_CHECK(known != 0 && numel % known == 0, ValueError, op, "shape ", requested, " is invalid for input of size ",
             numel);
    shape[infer] = numel / known;
  }
  PG_CHECK(checked_numel(shape, op) == numel, ValueError, op, "shape ", requested, " is invalid for input of size ",
           numel);
  return shape;
}

struct Geometry {
  Shape shape, strides;
  int64_t offset;
};

// Applies basic indexing items to a geometry (used on the real one and on the contiguous one).
Geometry apply_index(const Geometry& in, const std::vector<IndexItem>& items) {
  Geometry out{{}, {}, in.offset};
  int64_t consumed = 0;
  for (const IndexItem& item : items)
    if (item.kind == IndexItem::Int || item.kind == IndexItem::Slice) ++consumed;
  const int64_t ndim = static_cast<int64_t>(in.shape.size());
  PG_CHECK(consumed <= ndim, IndexError, "index", "too many indices for tensor of dimension ", ndim);
  int64_t d = 0;
  bool seen_ellipsis = false;
  for (const IndexItem& item : items) {
    switch (item.kind) {
      case IndexItem::Ellipsis: {
        PG_CHECK(!seen_ellipsis, IndexError, "index", "an index can only have a single ellipsis");
        seen_ellipsis = true;
        for (int64_t skip = ndim - consumed; skip > 0; --skip, ++d) {
          out.shape.push_back(in.shape[d]);
          out.strides.push_back(in.strides[d]);
        }
        break;
      }
      case IndexItem::None:
        out.shape.push_back(item.step == 0 ? 0 : 1);
        out.strides.push_back(1);
        break;
      case IndexItem::Int: {
        int64_t size = in.shape[d], i = item.start;
        PG_CHECK(i >= -size && i < size, IndexError, "index", "index ", i, " is out of bounds for dimension ", d,
                 " with size ", size);
        out.offset += (i < 0 ? i + size : i) * in.strides[d];
        ++d;
        break;
      }
      case IndexItem::Slice: {
        PG_CHECK(item.step > 0, ValueError, "index", "slice step must be positive, got ", item.step);
        int64_t size = in.shape[d];
        auto clip = [&](int64_t v, int64_t fallback) {
          if (v == kNoBound) return fallback;
          if (v < 0) v += size;
          return std::min(std::max<int64_t>(v, 0), size);
        };
        int64_t start = clip(item.start, 0), stop = clip(item.stop, size);
        int64_t length = stop > start ? (stop - start + item.step - 1) / item.step : 0;
        out.offset += (length > 0 ? start : 0) * in.strides[d];
        out.shape.push_back(length);
        out.strides.push_back(in.strides[d] * item.step);
        ++d;
        break;
      }
    }
  }
  for (; d < ndim; ++d) {
    out.shape.push_back(in.shape[d]);
    out.strides.push_back(in.strides[d]);
  }
  return out;
}

}  // namespace

Tensor index(const Tensor& x, const std::vector<IndexItem>& items) {
  for (const IndexItem& item : items)
    if (item.kind == IndexItem::TensorIndex) return index_advanced(x, items);
  Geometry real = apply_index({x.shape(), x.strides(), x.offset()}, items);
  Geometry logical = apply_index({x.shape(), contiguous_strides(x.shape()), 0}, items);
  Tensor out = x.make_view(real.shape, real.strides, real.offset);
  if (should_record({&x}))
    record(OpId::strided_view, {&x}, out, Forward(), ViewGeometry{logical.shape, logical.strides, logical.offset});
  return out;
}

Tensor strided_view(const Tensor& x_in, const Shape& shape, const Shape& strides, int64_t offset) {
  Tensor x = contiguous(x_in);
  Tensor out = x.make_view(shape, strides, x.offset() + offset);
  if (should_record({&x})) record(OpId::strided_view, {&x}, out, Forward(), ViewGeometry{shape, strides, offset});
  return out;
}

Tensor strided_view_backward(const Tensor& grad, const Shape& input_shape, const Shape& shape, const Shape& strides,
                             int64_t offset) {
  Tensor out = zeros(input_shape, grad.dtype(), grad.device());
  KernelArgs args;
  args.out[0] = out.make_view(shape, strides, offset);
  args.in[0] = grad;
  run_kernel(OpId::copy, args);
  if (should_record({&grad}))
    record(OpId::strided_view_backward, {&grad}, out, Forward(), ViewGeometry{shape, strides, offset});
  return out;
}

// ---------------------------------------------------------------- in-place writes under autograd
namespace {

// The tensor owning a view's memory, when the view was made with grad mode on and the owner is alive.
Tensor base_of(const Tensor& view) {
  if (!view.is_view()) return Tensor();
  return Tensor(view.impl()->view_base.lock());
}

}  // namespace

void check_inplace_autograd(const Tensor& self, const char* op) {
  PG_CHECK(!(self.is_leaf() && self.requires_grad()), RuntimeError, op,
           "a leaf tensor that requires grad is being used in an in-place operation; "
           "wrap the update in pygrad.no_grad()");
  Tensor base = base_of(self);
  PG_CHECK(!(base.defined() && base.is_leaf() && base.requires_grad()), RuntimeError, op,
           "a view of a leaf tensor that requires grad is being used in an in-place operation; "
           "wrap the update in pygrad.no_grad() or write into a clone()");
  for (int64_t d = 0; d < self.dim(); ++d)
    PG_CHECK(self.shape()[d] <= 1 || self.strides()[d] != 0, RuntimeError, op,
             "unsupported operation: more than one element of the written-to tensor refers to a single memory "
             "location; clone() the tensor before writing into it");
}

Tensor snapshot_with_history(const Tensor& self) {
  refresh_view_history(self);
  Tensor copy = clone(detach(self));
  if (self.grad_fn()) copy.set_history(self.grad_fn());
  return copy;
}

void write_with_history(const Tensor& self, const Tensor& result_in) {
  Tensor base = base_of(self);
  const bool through_base = base.defined() && base.dtype() == self.dtype() && base.is_contiguous();
  Tensor result = result_in;
  // A write of values that need no gradient still leaves self in the graph (its old value gets zero), as in torch.
  if (!through_base && !result.requires_grad() && self.requires_grad())
    result = where(full(self.shape(), 1.0, DType::Bool, self.device()), result, snapshot_with_history(self));
  KernelArgs args;
  args.out[0] = self;
  args.in[0] = result;
  run_kernel(OpId::copy, args);
  self.bump_version();
  if (!through_base) {
    self.set_history(result.grad_fn());
    return;
  }
  // The base's new history: its old value with this view's region replaced by result; self: a view of that.
  const ViewGeometry region{self.shape(), self.strides(), self.offset() - base.offset()};
  GradModeGuard enabled(true);
  record(OpId::view_scatter, {&base, &result}, base, Forward(), region);
  record(OpId::strided_view, {&base}, self, Forward(), region);
}

void assume_geometry(const Tensor& self, const Tensor& view) {
  PG_CHECK(view.storage() == self.storage(), RuntimeError, "assume_geometry", "internal: not a view of self");
  TensorImpl* impl = self.impl();
  impl->shape = view.shape();
  impl->strides = view.strides();
  impl->offset = view.offset();
  if (view.grad_fn()) self.set_history(view.grad_fn());
}

void detach_(const Tensor& self) {
  PG_CHECK(!base_of(self).defined(), RuntimeError, "detach_", "can't detach views in-place; use detach() instead");
  if (!self.impl()->autograd) return;
  AutogradMeta& meta = self.autograd_meta();
  meta.grad_fn.reset();
  meta.requires_grad = false;
}

Tensor as_strided(const Tensor& x, const Shape& size, const Shape& stride, std::optional<int64_t> storage_offset) {
  PG_CHECK(size.size() == stride.size(), RuntimeError, "as_strided",
           "mismatch in length of strides and shape: ", size.size(), " sizes and ", stride.size(), " strides");
  const int64_t offset = storage_offset.value_or(x.offset());
  PG_CHECK(offset >= 0, RuntimeError, "as_strided", "storage offset must be non-negative, got ", offset);
  for (size_t d = 0; d < size.size(); ++d)
    PG_CHECK(stride[d] >= 0, RuntimeError, "as_strided", "negative strides are not supported, got ", stride);
  const int64_t numel = checked_numel(size, "as_strided");
  int64_t last = offset;
  for (size_t d = 0; d < size.size(); ++d) last += numel == 0 ? 0 : (size[d] - 1) * stride[d];
  const int64_t available = static_cast<int64_t>(x.storage()->nbytes() / x.element_size());
  PG_CHECK(numel == 0 || last < available, RuntimeError, "as_strided", "sizes ", size, ", strides ", stride,
           " and storage offset ", offset, " need a storage of ", last + 1, " elements, but it has ", available);
  Tensor out = x.make_view(size, stride, offset);
  if (should_record({&x})) {
    PG_CHECK(x.is_contiguous() && offset >= x.offset() && (numel == 0 || last < x.offset() + x.numel()), RuntimeError,
             "as_strided", "backward needs the view to lie within a contiguous input; call contiguous() first");
    record(OpId::as_strided, {&x}, out, Forward(), ViewGeometry{size, stride, offset - x.offset()});
  }
  return out;
}

Tensor narrow(const Tensor& x, int64_t dim_in, int64_t start, int64_t length) {
  int64_t dim = wrap_dim(dim_in, x.dim(), "narrow");
  int64_t size = x.shape()[dim];
  if (start < 0) start += size;
  PG_CHECK(start >= 0 && length >= 0 && start + length <= size, IndexError, "narrow", "start ", start, " and length ",
           length, " are out of range for dimension ", dim, " of size ", size);
  std::vector<IndexItem> items(dim, IndexItem{IndexItem::Slice, kNoBound, kNoBound, 1});
  items.push_back(IndexItem{IndexItem::Slice, start, start + length, 1});
  return index(x, items);
}

Tensor select(const Tensor& x, int64_t dim_in, int64_t i) {
  int64_t dim = wrap_dim(dim_in, x.dim(), "select");
  PG_CHECK(i >= -x.shape()[dim] && i < x.shape()[dim], IndexError, "select", "index ", i,
           " is out of bounds for dimension ", dim, " with size ", x.shape()[dim]);
  std::vector<IndexItem> items(dim, IndexItem{IndexItem::Slice, kNoBound, kNoBound, 1});
  items.push_back(IndexItem{IndexItem::Int, i, 0, 1});
  return index(x, items);
}

Tensor view(const Tensor& x, const Shape& requested) {
  Shape shape = infer_shape(requested, x.numel(), "view");
  std::optional<Shape> strides = view_strides(x.shape(), x.strides(), shape);
  PG_CHECK(strides.has_value(), RuntimeError, "view", "view size ", shape,
           " is not compatible with input tensor's size and stride (at least one dimension spans across two "
           "contiguous subspaces); use reshape() instead");
  return record_view(OpId::reshape, x, x.make_view(shape, *strides, x.offset()));
}

Tensor reshape(const Tensor& x, const Shape& requested) {
  Shape shape = infer_shape(requested, x.numel(), "reshape");
  std::optional<Shape> strides = view_strides(x.shape(), x.strides(), shape);
  if (strides) return record_view(OpId::reshape, x, x.make_view(shape, *strides, x.offset()));
  return view(clone(x), shape);
}

Tensor permute(const Tensor& x, const Dims& dims) {
  PG_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), ValueError, "permute", "number of dims ", dims.size(),
           " doesn't match the tensor's ", x.dim(), " dimensions");
  Shape shape(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    PG_CHECK(!seen[d], ValueError, "permute", "repeated dim in ", dims);
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  Tensor out = x.make_view(shape, strides, x.offset());
  if (should_record({&x})) {
    Dims inverse(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) inverse[wrap_dim(dims[i], x.dim(), "permute")] = static_cast<int64_t>(i);
    record(OpId::permute, {&x}, out, Forward(), PermuteParams{std::move(inverse)});
  }
  return out;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  if (x.dim() == 0) {
    wrap_dim(dim0, 0, "transpose");
    wrap_dim(dim1, 0, "transpose");
    return x;
  }
  Dims dims(x.dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(dim0, x.dim(), "transpose")], dims[wrap_dim(dim1, x.dim(), "transpose")]);
  return permute(x, dims);
}

Tensor expand(const Tensor& x, const Shape& requested) {
  PG_CHECK(static_cast<int64_t>(requested.size()) >= x.dim(), ValueError, "expand", "the expanded size ", requested,
           " must have at least as many dimensions as the tensor's ", x.shape());
  const size_t nd = requested.size(), xd = x.shape().size();
  Shape shape(nd), strides(nd, 0);
  for (size_t o = 0; o < nd; ++o) {
    int64_t want = requested[o];
    if (o < nd - xd) {
      PG_CHECK(want >= 0, ValueError, "expand", "the expanded size ", requested, " has a negative new dimension");
      shape[o] = want;
      continue;
    }
    size_t i = o - (nd - xd);
    int64_t have = x.shape()[i];
    if (want == -1) want = have;
    PG_CHECK(want == have || have == 1, ValueError, "expand", "the expanded size ", requested,
             " must match the existing size ", x.shape(), " at non-singleton dimension ", o);
    PG_CHECK(want >= 0, ValueError, "expand", "the expanded size ", requested, " has a negative dimension");
    shape[o] = want;
    strides[o] = (have == 1 && want != 1) ? 0 : x.strides()[i];
  }
  if (shape == x.shape()) return x;
  checked_numel(shape, "expand");
  Tensor out = x.make_view(shape, strides, x.offset());
  record(OpId::expand, {&x}, out);
  return out;
}

Tensor squeeze(const Tensor& x, std::optional<Dims> dims) {
  std::vector<bool> drop(x.dim(), false);
  if (dims) {
    for (int64_t d : *dims) {
      if (x.dim() == 0) {
        wrap_dim(d, 0, "squeeze");
        continue;
      }
      int64_t w = wrap_dim(d, x.dim(), "squeeze");
      drop[w] = x.shape()[w] == 1;
    }
  } else {
    for (int64_t d = 0; d < x.dim(); ++d) drop[d] = x.shape()[d] == 1;
  }
  Shape shape, strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!drop[d]) {
      shape.push_back(x.shape()[d]);
      strides.push_back(x.strides()[d]);
    }
  if (shape.size() == x.shape().size()) return x;
  return record_view(OpId::reshape, x, x.make_view(shape, strides, x.offset()));
}

Tensor unsqueeze(const Tensor& x, int64_t dim_in) {
  int64_t dim = wrap_dim(dim_in, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  int64_t stride = dim < x.dim() ? x.strides()[dim] * x.shape()[dim] : 1;
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, stride);
  return record_view(OpId::reshape, x, x.make_view(shape, strides, x.offset()));
}

Tensor flatten(const Tensor& x, int64_t start_in, int64_t end_in) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t start = wrap_dim(start_in, x.dim(), "flatten"), end = wrap_dim(end_in, x.dim(), "flatten");
  PG_CHECK(start <= end, ValueError, "flatten", "start_dim ", start_in, " cannot come after end_dim ", end_in);
  if (start == end) return x;
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged *= x.shape()[d];
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor clone(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device(), "clone");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  run_kernel(OpId::copy, args);
  record(OpId::clone, {&x}, out);
  return out;
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), dtype, x.device(), "to");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  run_kernel(OpId::copy, args);
  if (is_floating(dtype)) record(OpId::convert, {&x}, out);
  return out;
}

Tensor view_dtype(const Tensor& x, DType dtype) {
  const int64_t in_size = static_cast<int64_t>(dtype_size(x.dtype()));
  const int64_t out_size = static_cast<int64_t>(dtype_size(dtype));
  Shape shape = x.shape(), strides = x.strides();
  int64_t offset = x.offset();
  if (in_size != out_size) {
    PG_CHECK(x.dim() > 0, RuntimeError, "view", "self.dim() cannot be 0 to view ", dtype_name(x.dtype()), " as ",
             dtype_name(dtype), " (different element sizes)");
    PG_CHECK(strides.back() == 1, RuntimeError, "view", "self.stride(-1) must be 1 to view ", dtype_name(x.dtype()),
             " as ", dtype_name(dtype), " (different element sizes), but got ", strides.back());
    if (out_size > in_size) {
      const int64_t ratio = out_size / in_size;
      PG_CHECK(shape.back() % ratio == 0, RuntimeError, "view", "self.size(-1) must be divisible by ", ratio,
               " to view ", dtype_name(x.dtype()), " as ", dtype_name(dtype), " (different element sizes), but got ",
               shape.back());
      PG_CHECK(offset % ratio == 0, RuntimeError, "view", "self.storage_offset() must be divisible by ", ratio,
               " to view ", dtype_name(x.dtype()), " as ", dtype_name(dtype));
      for (size_t d = 0; d + 1 < strides.size(); ++d)
        PG_CHECK(strides[d] % ratio == 0, RuntimeError, "view", "self.stride(", d, ") must be divisible by ", ratio,
                 " to view ", dtype_name(x.dtype()), " as ", dtype_name(dtype), " (different element sizes)");
      shape.back() /= ratio;
      for (size_t d = 0; d + 1 < strides.size(); ++d) strides[d] /= ratio;
      offset /= ratio;
    } else {
      const int64_t ratio = in_size / out_size;
      shape.back() *= ratio;
      for (size_t d = 0; d + 1 < strides.size(); ++d) strides[d] *= ratio;
      offset *= ratio;
    }
  }
  // Not differentiable, as torch's view(dtype): the bytes are shared, the history is not.
  Tensor out = x.make_view(shape, strides, offset);
  out.impl()->dtype = dtype;
  return out;
}

Tensor detach(const Tensor& x) {
  Tensor out = x.make_view(x.shape(), x.strides(), x.offset());
  out.impl()->is_view = x.is_view();
  out.impl()->view_base.reset();  // no history to share
  return out;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim_in) {
  PG_CHECK(!tensors.empty(), ValueError, "cat", "expected a non-empty list of tensors");
  const Tensor& first = tensors[0];
  PG_CHECK(first.dim() > 0, ValueError, "cat", "zero-dimensional tensor cannot be concatenated");
  int64_t dim = wrap_dim(dim_in, first.dim(), "cat");
  DType dtype = first.dtype();
  int64_t total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    PG_CHECK(t.dim() == first.dim(), ValueError, "cat", "tensors must have the same number of dimensions: got ",
             first.shape(), " and ", t.shape(), " (tensor ", i, ")");
    for (int64_t d = 0; d < first.dim(); ++d)
      PG_CHECK(d == dim || t.shape()[d] == first.shape()[d], ValueError, "cat",
               "sizes of tensors must match except in dimension ", dim, ": got ", first.shape(), " and ", t.shape(),
               " (tensor ", i, ")");
    PG_CHECK(t.device() == first.device(), RuntimeError, "cat", "expected all tensors on one device");
    dtype = promote_types(dtype, t.dtype());
    total += t.shape()[dim];
  }
  Shape shape = first.shape();
  shape[dim] = total;
  Tensor out = Tensor::empty(shape, dtype, first.device(), "cat");
  Shape out_strides = out.strides();
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    KernelArgs args;
    args.out[0] = out.make_view(t.shape(), out_strides, offset * out_strides[dim]);
    args.in[0] = t;
    run_kernel(OpId::copy, args);
    offset += t.shape()[dim];
  }
  if (is_floating(dtype)) {
    Dims sizes;
    for (const Tensor& t : tensors) sizes.push_back(t.shape()[dim]);
    record(OpId::cat, tensors, out, Forward(), CatParams{dim, std::move(sizes)});
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim_in) {
  PG_CHECK(!tensors.empty(), ValueError, "stack", "expected a non-empty list of tensors");
  int64_t dim = wrap_dim(dim_in, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (size_t i = 0; i < tensors.size(); ++i) {
    PG_CHECK(tensors[i].shape() == tensors[0].shape(), ValueError, "stack",
             "stack expects each tensor to be equal size, but got ", tensors[0].shape(), " at entry 0 and ",
             tensors[i].shape(), " at entry ", i);
    expanded.push_back(unsqueeze(tensors[i], dim));
  }
  return cat(expanded, dim);
}

}  // namespace pygrad
