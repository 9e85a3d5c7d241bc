// Shape and layout ops: flip, roll and pad as one index-map primitive each (out[o] = in[map(o)], one map per
// dim, kernel in backend/cpu/shape_kernels.cpp), diagonal and unfold as views, tril/triu as masks.
#include "ops/shape_ops.h"

#include <algorithm>
#include <vector>

#include "backend/dispatch.h"
#include "core/error.h"
#include "ops/record.h"

namespace pygrad {

namespace {

using Maps = std::vector<std::vector<int64_t>>;

Maps identity_maps(const Shape& shape) {
  Maps maps(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    maps[d].resize(shape[d]);
    for (int64_t o = 0; o < shape[d]; ++o) maps[d][o] = o;
  }
  return maps;
}

// out[o] = x[maps[0][o_0], ...]; -1 in a map gives `fill`. Not recorded.
Tensor run_index_map(OpId op, const Tensor& x, const Maps& maps, double fill) {
  Shape out_shape;
  int64_t total = 0;
  for (const auto& m : maps) {
    out_shape.push_back(static_cast<int64_t>(m.size()));
    total += static_cast<int64_t>(m.size());
  }
  Tensor packed = Tensor::empty({total}, DType::Int64, Device::CPU, op_name(op));
  int64_t* p = packed.data<int64_t>();
  for (const auto& m : maps) p = std::copy(m.begin(), m.end(), p);
  KernelArgs args;
  args.out[0] = Tensor::empty(out_shape, x.dtype(), x.device(), op_name(op));
  args.in[0] = contiguous(x);
  args.in[1] = packed;
  args.scalars[0] = fill;
  run_kernel(op, args);
  return args.out[0];
}

int64_t positive_mod(int64_t a, int64_t n) { return ((a % n) + n) % n; }

}  // namespace

std::vector<int64_t> pad_map(int64_t mode, int64_t before, int64_t size, int64_t out_size) {
  std::vector<int64_t> m(out_size);
  // circular wraps within what is left after negative pads crop (torch's order: crop, then wrap)
  const int64_t after = out_size - size - before;
  const int64_t kept = size - std::max<int64_t>(-before, 0) - std::max<int64_t>(-after, 0);
  for (int64_t o = 0; o < out_size; ++o) {
    int64_t s = o - before;
    switch (mode) {
      case 0: s = (s >= 0 && s < size) ? s : -1; break;
      case 1: s = s < 0 ? -s : (s >= size ? 2 * (size - 1) - s : s); break;
      case 2: s = std::min(std::max<int64_t>(s, 0), size - 1); break;
      default: s = std::max<int64_t>(-before, 0) + positive_mod(o - std::max<int64_t>(before, 0), kept); break;
    }
    m[o] = s;
  }
  return m;
}

Tensor flip(const Tensor& x, const Dims& dims) {
  std::vector<bool> flipped(std::max<int64_t>(x.dim(), 1), false);
  Dims wrapped;
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, x.dim(), "flip");
    PG_CHECK(!flipped[w], ValueError, "flip", "dim ", w, " appears multiple times in the list of dims");
    flipped[w] = true;
    wrapped.push_back(w);
  }
  Maps maps = identity_maps(x.shape());
  for (int64_t d = 0; d < x.dim(); ++d)
    if (flipped[d]) std::reverse(maps[d].begin(), maps[d].end());
  Tensor out = run_index_map(OpId::flip, x, maps, 0);
  record(OpId::flip, {&x}, out, Forward(), FlipParams{std::move(wrapped)});
  return out;
}

Tensor roll(const Tensor& x, const Dims& shifts, const Dims& dims) {
  PG_CHECK(!shifts.empty(), ValueError, "roll", "`shifts` required");
  if (dims.empty()) {
    PG_CHECK(shifts.size() == 1, ValueError, "roll", "shifts and dimensions must align. shifts: ", shifts.size(),
             ", dims: 0");
    return reshape(roll(reshape(x, {-1}), shifts, {0}), x.shape());
  }
  PG_CHECK(shifts.size() == dims.size(), ValueError, "roll",
           "shifts and dimensions must align. shifts: ", shifts.size(), ", dims: ", dims.size());
  PG_CHECK(x.dim() > 0, IndexError, "roll", "dimension specified as ", dims[0], " but tensor has no dimensions");
  Dims total(x.dim(), 0);
  Dims wrapped;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], x.dim(), "roll");
    total[d] += shifts[i];
    wrapped.push_back(d);
  }
  Maps maps = identity_maps(x.shape());
  for (int64_t d = 0; d < x.dim(); ++d) {
    const int64_t n = x.shape()[d];
    if (n == 0 || total[d] % n == 0) continue;
    for (int64_t o = 0; o < n; ++o) maps[d][o] = positive_mod(o - total[d], n);
  }
  Tensor out = run_index_map(OpId::roll, x, maps, 0);
  record(OpId::roll, {&x}, out, Forward(), RollParams{shifts, std::move(wrapped)});
  return out;
}

Tensor pad(const Tensor& x, const Dims& pad_list, const std::string& mode_name, std::optional<double> value) {
  const int64_t n = static_cast<int64_t>(pad_list.size());
  PG_CHECK(n % 2 == 0, ValueError, "pad", "padding length must be divisible by 2, got ", n);
  PG_CHECK(n / 2 <= x.dim(), ValueError, "pad",
           "padding length should be less than or equal to two times the input dimension but got padding length ", n,
           " and input of dimension ", x.dim());
  int64_t mode = -1;
  const char* names[] = {"constant", "reflect", "replicate", "circular"};
  for (int64_t i = 0; i < 4; ++i)
    if (mode_name == names[i]) mode = i;
  PG_CHECK(mode >= 0, ValueError, "pad", "unrecognised padding mode ", mode_name);
  PG_CHECK(mode == 0 || !value.has_value(), ValueError, "pad", "padding mode \"", mode_name,
           "\" doesn't take in value argument");
  const int64_t padded = n / 2;
  PG_CHECK(!(x.dtype() == DType::Bool && (mode == 1 || mode == 2)), TypeError, "pad", "mode ", mode_name,
           " is not implemented for bool tensors");
  if (mode != 0) {
    PG_CHECK(padded >= 1 && padded <= 3 && (x.dim() == padded + 1 || x.dim() == padded + 2), ValueError, "pad",
             "padding size ", n, " is not supported for ", x.dim(), "-d input with mode ", mode_name,
             " (2 pads the last dim of 2-d or 3-d input, 4 the last two of 3-d or "
             "4-d, 6 the last three of 4-d or 5-d)");
    for (int64_t d = x.dim() - padded - 1; d < x.dim(); ++d)
      PG_CHECK(x.shape()[d] > 0, ValueError, "pad", "expected a tensor with possibly 0 batch size and other non-zero ",
               "dimensions, got ", x.shape());
  }
  Maps maps = identity_maps(x.shape());
  for (int64_t i = 0; i < padded; ++i) {
    const int64_t d = x.dim() - 1 - i, before = pad_list[2 * i], after = pad_list[2 * i + 1];
    const int64_t size = x.shape()[d], out_size = size + before + after;
    PG_CHECK(out_size >= (mode == 1 || mode == 2 ? 1 : 0), ValueError, "pad", "padding (", before, ", ", after,
             ") leaves dimension ", d, " of size ", size, " with size ", out_size);
    PG_CHECK(mode != 1 || (before < size && after < size), ValueError, "pad",
             "padding size should be less than the corresponding input dimension, but got: padding (", before, ", ",
             after, ") at dimension ", d, " of input ", x.shape());
    PG_CHECK(mode != 3 || (before <= size && after <= size), ValueError, "pad",
             "padding value causes wrapping around more than once");
    PG_CHECK(mode != 3 || out_size == 0 || size + std::min<int64_t>(before, 0) + std::min<int64_t>(after, 0) > 0,
             ValueError, "pad", "circular padding of dimension ", d, " crops away every element it would wrap");
    maps[d] = pad_map(mode, before, size, out_size);
  }
  const double fill = value.value_or(0.0);
  Tensor out = run_index_map(OpId::pad, x, maps, fill);
  record(OpId::pad, {&x}, out, Forward(), PadParams{pad_list, mode, fill});
  return out;
}

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1_in, int64_t dim2_in) {
  PG_CHECK(x.dim() >= 2, ValueError, "diagonal", "expected a tensor with at least 2 dimensions, got ", x.dim());
  const int64_t dim1 = wrap_dim(dim1_in, x.dim(), "diagonal"), dim2 = wrap_dim(dim2_in, x.dim(), "diagonal");
  PG_CHECK(dim1 != dim2, ValueError, "diagonal", "diagonal dimensions cannot be identical ", dim1_in, ", ", dim2_in);
  const int64_t n1 = x.shape()[dim1], n2 = x.shape()[dim2];
  const int64_t length = std::max<int64_t>(0, offset >= 0 ? std::min(n1, n2 - offset) : std::min(n1 + offset, n2));
  auto geometry = [&](const Shape& strides, int64_t base, Shape& shape_out, Shape& strides_out) {
    for (int64_t d = 0; d < x.dim(); ++d)
      if (d != dim1 && d != dim2) {
        shape_out.push_back(x.shape()[d]);
        strides_out.push_back(strides[d]);
      }
    shape_out.push_back(length);
    strides_out.push_back(strides[dim1] + strides[dim2]);
    if (length == 0) return base;
    return base + (offset >= 0 ? offset * strides[dim2] : -offset * strides[dim1]);
  };
  Shape shape, strides, logical_shape, logical_strides;
  const int64_t real_offset = geometry(x.strides(), x.offset(), shape, strides);
  const int64_t logical_offset = geometry(contiguous_strides(x.shape()), 0, logical_shape, logical_strides);
  Tensor out = x.make_view(shape, strides, real_offset);
  if (should_record({&x}))
    record(OpId::strided_view, {&x}, out, Forward(), ViewGeometry{logical_shape, logical_strides, logical_offset});
  return out;
}

Tensor unfold(const Tensor& x, int64_t dim_in, int64_t size, int64_t step) {
  const int64_t dim = wrap_dim(dim_in, x.dim(), "unfold");
  const int64_t n = x.dim() == 0 ? 1 : x.shape()[dim];
  PG_CHECK(size >= 0, ValueError, "unfold", "size is ", size, " but must be >= 0");
  PG_CHECK(size <= n, ValueError, "unfold", "maximum size for tensor at dimension ", dim, " is ", n, " but size is ",
           size);
  PG_CHECK(step > 0, ValueError, "unfold", "step is ", step, " but must be > 0");
  Shape shape = x.shape(), strides = x.strides();
  if (x.dim() == 0) {
    shape = {size};
    strides = {1};
  } else {
    shape[dim] = (n - size) / step + 1;
    strides[dim] = x.strides()[dim] * step;
    shape.push_back(size);
    strides.push_back(x.strides()[dim]);
  }
  Tensor out = x.make_view(shape, strides, x.offset());
  record(OpId::unfold, {&x}, out, Forward(), UnfoldParams{dim, size, step});
  return out;
}

namespace {

// x where (column - row) compares with `diagonal` as the triangle wants, zero elsewhere.
Tensor triangle(const Tensor& x, int64_t diagonal, bool lower, const char* op) {
  PG_CHECK(x.dim() >= 2, ValueError, op, "input tensor must have at least 2 dimensions");
  const int64_t rows = x.shape()[x.dim() - 2], cols = x.shape()[x.dim() - 1];
  Tensor row = reshape(arange(0, static_cast<double>(rows), 1, DType::Int64), {rows, 1});
  Tensor col = reshape(arange(0, static_cast<double>(cols), 1, DType::Int64), {1, cols});
  Tensor offset = sub(col, row);
  Tensor mask = lower ? le(offset, wrapped_scalar(diagonal)) : ge(offset, wrapped_scalar(diagonal));
  return where(mask, x, zeros({}, x.dtype(), x.device()));
}

}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, true, "tril"); }
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, false, "triu"); }

}  // namespace pygrad
