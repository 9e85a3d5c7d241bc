// Reductions with a kernel of their own: sum, amax/amin, argmax/argmin, and max/min along a dim
// (mean, var, std and logsumexp are composites: composite.cpp).
#include <algorithm>

#include "core/grad_mode.h"
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

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
    if (!reduced)
      shape.push_back(x.shape()[d]);
    else if (keepdim)
      shape.push_back(1);
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

Tensor sum(const Tensor& x, const Dims& dims_in, bool keepdim, std::optional<DType> dtype) {
  Dims dims = normalize_dims(x, dims_in, "sum");
  DType out_dtype = dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
  if (kernel_dtype(out_dtype) != out_dtype)  // 16-bit floats accumulate in float32, as torch does
    return as_dtype(sum(x, dims_in, keepdim, kernel_dtype(out_dtype)), out_dtype);
  Tensor input =
      x.dtype() == out_dtype ? x : (is_floating(out_dtype) ? as_dtype(x, out_dtype) : convert_raw(x, out_dtype));
  Tensor out = run_reduction(OpId::sum, input, dims, keepdim, out_dtype);
  if (should_record({&input})) record(OpId::sum, {&input}, out, Forward(), ReduceParams{dims, keepdim});
  return out;
}

namespace {
Tensor extreme(OpId op, const Tensor& x, const Dims& dims_in, bool keepdim) {
  const char* name = op_name(op);
  Dims dims = normalize_dims(x, dims_in, name);
  for (int64_t d : dims)
    PG_CHECK(x.shape()[d] != 0, ValueError, name, "cannot reduce over zero-size dimension ", d, " of shape ",
             x.shape());
  PG_CHECK(x.numel() != 0 || !dims_in.empty(), ValueError, name, "cannot reduce an empty tensor of shape ", x.shape());
  Tensor out = run_reduction(op, x, dims, keepdim, x.dtype());
  if (should_record({&x})) record(op, {&x}, out, Forward().self(x).result(out), ReduceParams{dims, keepdim});
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

std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, false);
}

// ---------------------------------------------------------------- scans
Tensor cumsum(const Tensor& x, int64_t dim_in, bool reverse) {
  const int64_t dim = wrap_dim(dim_in, x.dim(), "cumsum");
  if (x.dtype() == DType::Bool) return cumsum(to_dtype(x, DType::Int64), dim, reverse);
  if (is_reduced_floating(x.dtype())) return in_float32(x, [&](const Tensor& w) { return cumsum(w, dim, reverse); });
  KernelArgs args;
  args.out[0] = Tensor::empty(x.shape(), x.dtype(), x.device(), "cumsum");
  args.in[0] = contiguous(x);
  args.ints[0] = dim;
  args.ints[1] = reverse ? 1 : 0;
  run_kernel(OpId::cumsum, args);
  if (is_floating(x.dtype())) record(OpId::cumsum, {&x}, args.out[0], Forward(), ScanParams{dim, reverse});
  return args.out[0];
}

Tensor topk_indices(const Tensor& x_in, int64_t k, int64_t dim_in, bool largest) {
  PG_CHECK(x_in.dtype() != DType::Bool, TypeError, "topk", "\"topk_cpu\" not implemented for 'Bool'");
  const Tensor x = x_in.dim() == 0 ? reshape(x_in, {1}) : x_in;
  const int64_t dim = wrap_dim(dim_in, x_in.dim(), "topk");
  const int64_t n = x.shape()[dim];
  PG_CHECK(k >= 0 && k <= n, RuntimeError, "topk", "k (", k, ") out of range for a dimension of size ", n);
  // The ranked dim last and contiguous; 16-bit floats are ranked as float32 (exactly the same order).
  Dims to_last, back(x.dim());
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != dim) to_last.push_back(d);
  to_last.push_back(dim);
  for (int64_t d = 0; d < x.dim(); ++d) back[to_last[d]] = d;
  Tensor rows = contiguous(permute(detach(x), to_last));
  if (is_reduced_floating(rows.dtype())) rows = to_dtype(rows, DType::Float32);
  Shape out_shape = rows.shape();
  out_shape.back() = k;
  KernelArgs args;
  args.out[0] = Tensor::empty(out_shape, DType::Int64, x.device(), "topk");
  args.in[0] = rows;
  args.ints[0] = k;
  args.ints[1] = largest ? 1 : 0;
  run_kernel(OpId::topk_indices, args);
  return contiguous(permute(args.out[0], back));
}

}  // namespace pygrad
