// Indexing: the gather, scatter_add, index_select, index_add and one_hot primitives, and advanced indexing
// (tensor and bool-mask indices, as numpy and PyTorch) with its assignment form, nonzero and index_copy_.
// Advanced reading composes recorded ops (basic view, index_select), so it needs no rule of its own;
// assignment writes through index_copy.
#include <algorithm>

#include "backend/dispatch.h"
#include "core/error.h"
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

namespace {
Tensor as_index_dtype(const Tensor& t) { return t.dtype() == DType::Int64 ? t : convert_raw(t, DType::Int64); }
}  // namespace

namespace {

bool has_tensor_item(const std::vector<IndexItem>& items) {
  return std::any_of(items.begin(), items.end(), [](const IndexItem& i) { return i.kind == IndexItem::TensorIndex; });
}

// x[items] split into a basic view and the index tensors that then select along adjacent dims of it:
// result[pre, b, post] = view[pre, index_0[b], ..., index_{k-1}[b], post], b over the broadcast index shape.
struct AdvancedPlan {
  Tensor view;                  // basic indexing applied, tensor items replaced by full slices, advanced dims adjacent
  int64_t first_dim = 0;        // where the advanced dims start in `view`
  std::vector<Tensor> indices;  // int64, broadcast to one shape
  Shape index_shape;
};

AdvancedPlan plan_advanced(const Tensor& x, const std::vector<IndexItem>& items) {
  // Dims each item consumes from x; a bool mask consumes as many as it has.
  int64_t consumed = 0;
  for (const IndexItem& item : items) {
    if (item.kind == IndexItem::Int || item.kind == IndexItem::Slice) ++consumed;
    if (item.kind == IndexItem::TensorIndex)
      consumed += (item.tensor.dtype() == DType::Bool || item.tensor.dtype() == DType::UInt8) ? item.tensor.dim() : 1;
  }
  PG_CHECK(consumed <= x.dim(), IndexError, "index", "too many indices for a tensor of dimension ", x.dim());
  const IndexItem full_slice{IndexItem::Slice, kNoBound, kNoBound, 1};
  std::vector<IndexItem> basic;
  std::vector<std::pair<int64_t, Tensor>> advanced;  // (dim in the basic view, indices)
  int64_t in_dim = 0, out_dim = 0;
  for (const IndexItem& item : items) {
    switch (item.kind) {
      case IndexItem::None:
        basic.push_back(item);
        ++out_dim;
        break;
      case IndexItem::Ellipsis:
        for (int64_t i = 0; i < x.dim() - consumed; ++i) basic.push_back(full_slice);
        in_dim += x.dim() - consumed;
        out_dim += x.dim() - consumed;
        consumed = x.dim();  // a second ellipsis expands to nothing
        break;
      case IndexItem::Int:
        basic.push_back(item);
        ++in_dim;
        break;
      case IndexItem::Slice:
        basic.push_back(item);
        ++in_dim;
        ++out_dim;
        break;
      case IndexItem::TensorIndex: {
        // torch's index dtypes: int64, int32, bool, and uint8 read as a mask.
        const DType index_dtype = item.tensor.dtype();
        PG_CHECK(index_dtype == DType::Int64 || index_dtype == DType::Int32 || index_dtype == DType::Bool ||
                     index_dtype == DType::UInt8,
                 IndexError, "index", "tensors used as indices must be int64, int32, uint8 or bool, got ",
                 dtype_name(index_dtype));
        const Tensor t = item.tensor.dtype() == DType::UInt8  ? convert_raw(item.tensor, DType::Bool)
                         : item.tensor.dtype() != DType::Bool ? as_index_dtype(item.tensor)
                                                              : item.tensor;
        PG_CHECK(t.device() == x.device(), RuntimeError, "index", "indices on ", device_name(t.device()),
                 " for a tensor on ", device_name(x.device()));
        if (t.dtype() == DType::Bool) {
          PG_CHECK(t.dim() > 0, IndexError, "index", "a 0-dimensional bool index is not supported");
          const Shape covered(x.shape().begin() + in_dim, x.shape().begin() + in_dim + t.dim());
          PG_CHECK(t.shape() == covered, IndexError, "index", "the shape of the mask ", t.shape(), " at index ", in_dim,
                   " does not match the shape of the indexed tensor ", x.shape());
          const Tensor positions = nonzero(t);  // [count, mask dims]
          for (int64_t j = 0; j < t.dim(); ++j) {
            basic.push_back(full_slice);
            advanced.emplace_back(out_dim++, select(positions, 1, j));
            ++in_dim;
          }
        } else {
          basic.push_back(full_slice);
          advanced.emplace_back(out_dim++, t);
          ++in_dim;
        }
        break;
      }
    }
  }
  AdvancedPlan plan;
  plan.view = index(x, basic);
  const int64_t k = static_cast<int64_t>(advanced.size());
  bool adjacent = true;
  for (int64_t i = 1; i < k; ++i) adjacent &= advanced[i].first == advanced[i - 1].first + 1;
  if (adjacent) {
    plan.first_dim = advanced[0].first;
  } else {
    // Separated index tensors: their dims go first, as in numpy and PyTorch.
    Dims order;
    for (const auto& entry : advanced) order.push_back(entry.first);
    for (int64_t d = 0; d < plan.view.dim(); ++d)
      if (std::find(order.begin(), order.end(), d) == order.end()) order.push_back(d);
    plan.view = permute(plan.view, order);
    for (int64_t i = 0; i < k; ++i) advanced[i].first = i;
    plan.first_dim = 0;
  }
  Shape shape = advanced[0].second.shape();
  for (const auto& entry : advanced) shape = broadcast_shapes(shape, entry.second.shape(), "index");
  plan.index_shape = shape;
  for (const auto& entry : advanced) plan.indices.push_back(expand(entry.second, shape));
  return plan;
}

// One int64 index per broadcast position: sum_i index_i * weight_i, each index wrapped and bounds-checked.
// Row-major weights address the advanced dims merged into one; the view's strides give element offsets.
Tensor combined_index(const AdvancedPlan& plan, const Shape& weights) {
  const int64_t k = static_cast<int64_t>(plan.indices.size());
  Tensor combined;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t size = plan.view.shape()[plan.first_dim + i];
    Tensor idx = plan.indices[i];
    if (idx.numel() > 0) {
      const int64_t lo = amin(idx).data<int64_t>()[0], hi = amax(idx).data<int64_t>()[0];
      PG_CHECK(lo >= -size && hi < size, IndexError, "index", "index ", lo < -size ? lo : hi,
               " is out of bounds for dimension ", plan.first_dim + i, " with size ", size);
    }
    idx = where(lt(idx, wrapped_scalar(int64_t{0})), add(idx, wrapped_scalar(size)), idx);
    const Tensor term = weights[i] == 1 ? idx : mul(idx, wrapped_scalar(weights[i]));
    combined = i == 0 ? term : add(combined, term);
  }
  return reshape(combined, {combined.numel()});
}

Shape row_major_weights(const AdvancedPlan& plan) {
  const int64_t k = static_cast<int64_t>(plan.indices.size());
  Shape weights(k, 1);
  for (int64_t i = k - 2; i >= 0; --i) weights[i] = weights[i + 1] * plan.view.shape()[plan.first_dim + i + 1];
  return weights;
}

// view with its k advanced dims merged into one (shape pre + [prod] + post).
Shape merged_shape(const AdvancedPlan& plan) {
  const Shape& s = plan.view.shape();
  const int64_t d = plan.first_dim, k = static_cast<int64_t>(plan.indices.size());
  Shape out(s.begin(), s.begin() + d);
  int64_t block = 1;
  for (int64_t i = 0; i < k; ++i) block *= s[d + i];
  out.push_back(block);
  out.insert(out.end(), s.begin() + d + k, s.end());
  return out;
}

// The result's shape: pre + index shape + post.
Shape result_shape(const AdvancedPlan& plan) {
  const Shape& s = plan.view.shape();
  const int64_t d = plan.first_dim, k = static_cast<int64_t>(plan.indices.size());
  Shape out(s.begin(), s.begin() + d);
  out.insert(out.end(), plan.index_shape.begin(), plan.index_shape.end());
  out.insert(out.end(), s.begin() + d + k, s.end());
  return out;
}

}  // namespace

Tensor index_advanced(const Tensor& x, const std::vector<IndexItem>& items) {
  const AdvancedPlan plan = plan_advanced(x, items);
  const Tensor merged = plan.indices.size() == 1 ? plan.view : reshape(plan.view, merged_shape(plan));
  return reshape(index_select(merged, plan.first_dim, combined_index(plan, row_major_weights(plan))),
                 result_shape(plan));
}

Tensor index_put_(const Tensor& x, const std::vector<IndexItem>& items, const Tensor& value) {
  if (!has_tensor_item(items)) return copy_(index(x, items), value);
  PG_CHECK(!should_record({&x, &value}), RuntimeError, "index_put_",
           "assignment through tensor indices is not recorded for autograd; do it under pygrad.no_grad() or use "
           "index_select/index_add out of place");
  const AdvancedPlan plan = plan_advanced(x, items);
  const int64_t d = plan.first_dim, k = static_cast<int64_t>(plan.indices.size());
  // The advanced dims become one pseudo-dim of unit stride over their span, indexed by element offsets, so
  // the write lands in x's storage whatever the view's layout (permuted, stepped).
  const Shape& strides = plan.view.strides();
  const Shape offset_weights(strides.begin() + d, strides.begin() + d + k);
  int64_t span = 1;
  for (int64_t i = 0; i < k; ++i) span += (plan.view.shape()[d + i] - 1) * strides[d + i];
  Shape shape = merged_shape(plan), target_strides(strides.begin(), strides.begin() + d);
  shape[d] = std::max<int64_t>(span, 1);
  target_strides.push_back(1);
  target_strides.insert(target_strides.end(), strides.begin() + d + k, strides.end());
  const Tensor target = plan.view.make_view(shape, target_strides, plan.view.offset());
  const Tensor linear = combined_index(plan, offset_weights);
  Shape source_shape = shape;
  source_shape[d] = linear.numel();
  const Tensor broadcast = expand(to_dtype(value, x.dtype()), result_shape(plan));
  index_copy_(target, d, linear, reshape(contiguous(broadcast), source_shape));
  x.bump_version();
  return x;
}

Tensor nonzero(const Tensor& x) {
  const int64_t count =
      x.numel() == 0 ? 0 : sum(ne(x, wrapped_scalar(false)), {}, false, DType::Int64).data<int64_t>()[0];
  Tensor out = Tensor::empty({count, x.dim()}, DType::Int64, x.device(), "nonzero");
  if (count > 0 && x.dim() > 0) {
    KernelArgs args;
    args.out[0] = out;
    args.in[0] = x;
    run_kernel(OpId::nonzero, args);
  }
  return out;
}

Tensor index_copy_(const Tensor& self, int64_t dim_in, const Tensor& index, const Tensor& source) {
  PG_CHECK(index.dtype() == DType::Int64, TypeError, "index_copy_", "index must be an int64 tensor, got ",
           dtype_name(index.dtype()));
  PG_CHECK(index.dim() <= 1, ValueError, "index_copy_", "index must be 0-d or 1-d, got shape ", index.shape());
  PG_CHECK(self.dtype() == source.dtype(), TypeError, "index_copy_", "self and source must have the same dtype, got ",
           dtype_name(self.dtype()), " and ", dtype_name(source.dtype()));
  PG_CHECK(!should_record({&self, &source}), RuntimeError, "index_copy_",
           "index_copy_ is not recorded for autograd; use it under pygrad.no_grad()");
  PG_CHECK(self.dim() > 0, ValueError, "index_copy_", "self must have at least one dimension");
  const int64_t dim = wrap_dim(dim_in, self.dim(), "index_copy_");
  Shape expected = self.shape();
  expected[dim] = index.numel();
  PG_CHECK(source.shape() == expected, ValueError, "index_copy_", "source shape ", source.shape(), " must be ",
           expected);
  KernelArgs args;
  args.out[0] = self;
  args.in[0] = index.dim() == 0 ? reshape(index, {1}) : index;
  args.in[1] = source;
  args.ints[0] = dim;
  if (source.numel() > 0) run_kernel(OpId::index_copy, args);
  self.bump_version();
  return self;
}

// ---------------------------------------------------------------- primitives: gather, scatter_add, index ops

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
  record(OpId::gather, {&x}, out, Forward().index(index), DimParams{dim});
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim_in, const Tensor& index, const Tensor& src) {
  check_index_tensor(index, "scatter_add");
  PG_CHECK(x.dtype() == src.dtype(), TypeError, "scatter_add", "self and src must have the same dtype, got ",
           dtype_name(x.dtype()), " and ", dtype_name(src.dtype()));
  int64_t dim = wrap_dim(dim_in, std::max<int64_t>(x.dim(), 1), "scatter_add");
  PG_CHECK(index.dim() == x.dim() && src.dim() == x.dim(), ValueError, "scatter_add", "index ", index.shape(), ", src ",
           src.shape(), " and self ", x.shape(), " must have the same number of dimensions");
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
  record(OpId::scatter_add, {&x, &src}, out, Forward().index(index), DimParams{dim});
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim_in, const Tensor& index_in) {
  const Tensor index = index_in.dtype() == DType::Int32 ? convert_raw(index_in, DType::Int64) : index_in;  // as torch
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
  record(OpId::index_select, {&source}, out, Forward().index(idx), DimParams{dim});
  return x.dim() == 0 ? reshape(out, {}) : out;
}

Tensor index_add(const Tensor& x, int64_t dim_in, const Tensor& index_in, const Tensor& source) {
  const Tensor index = index_in.dtype() == DType::Int32 ? convert_raw(index_in, DType::Int64) : index_in;  // as torch
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
  record(OpId::index_add, {&x, &source}, out, Forward().index(index), DimParams{dim});
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

}  // namespace pygrad
