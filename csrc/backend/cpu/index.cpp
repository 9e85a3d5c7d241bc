// CPU indexing kernels: gather, scatter_add, index_select, index_add, index_copy, nonzero, one_hot. Indices are
// validated before any write, so a bad index raises IndexError and leaves the output untouched.
#include <vector>

#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

constexpr int64_t kIndexGrain = 16384;

// Element offsets (in elements) of a tensor's positions, visited in row-major order of `shape`.
struct Odometer {
  const Shape& shape;
  std::vector<int64_t> index;
  explicit Odometer(const Shape& s, int64_t linear) : shape(s), index(s.size(), 0) {
    for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
      index[d] = linear % s[d];
      linear /= s[d];
    }
  }
  int64_t offset(const Shape& strides) const {
    int64_t off = 0;
    for (size_t d = 0; d < index.size(); ++d) off += index[d] * strides[d];
    return off;
  }
  void next() {
    for (int64_t d = static_cast<int64_t>(index.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) return;
      index[d] = 0;
    }
  }
};

void check_indices(const Tensor& index, int64_t limit, const char* op) {
  const Tensor& idx = index;
  Odometer it(idx.shape(), 0);
  const int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0, n = idx.numel(); i < n; ++i, it.next()) {
    int64_t v = p[it.offset(idx.strides())];
    PG_CHECK(v >= -limit && v < limit, IndexError, op, "index ", v, " is out of bounds for dimension with size ",
             limit);
  }
}

inline int64_t wrap_index(int64_t v, int64_t limit) { return v < 0 ? v + limit : v; }

// gather: out[i] = x[i with i[dim] = index[i]]; in = {x, index}, ints[0] = dim; out contiguous, index's shape.
void gather_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &index = args.in[1], &out = args.out[0];
  const int64_t dim = args.ints[0], limit = x.shape()[dim];
  check_indices(index, limit, "gather");
  PG_DISPATCH_ALL(x.dtype(), "gather", [&] {
    const scalar_t* src = x.data<scalar_t>();
    const int64_t* idx = index.data<int64_t>();
    scalar_t* o = out.data<scalar_t>();
    parallel_for(0, out.numel(), kIndexGrain, [&](int64_t b, int64_t e) {
      Odometer it(out.shape(), b);
      for (int64_t i = b; i < e; ++i, it.next()) {
        int64_t j = wrap_index(idx[it.offset(index.strides())], limit);
        o[i] = src[it.offset(x.strides()) + (j - it.index[dim]) * x.strides()[dim]];
      }
    });
  });
}

// scatter_add: out[i with i[dim] = index[i]] += src[i]; out is written in place (serial: targets collide).
void scatter_add_kernel(KernelArgs& args) {
  const Tensor &index = args.in[0], &src = args.in[1], &out = args.out[0];
  const int64_t dim = args.ints[0], limit = out.shape()[dim];
  check_indices(index, limit, "scatter_add");
  PG_DISPATCH_ALL(out.dtype(), "scatter_add", [&] {
    const scalar_t* s = src.data<scalar_t>();
    const int64_t* idx = index.data<int64_t>();
    scalar_t* o = out.data<scalar_t>();
    Odometer it(index.shape(), 0);
    for (int64_t i = 0, n = index.numel(); i < n; ++i, it.next()) {
      int64_t j = wrap_index(idx[it.offset(index.strides())], limit);
      o[it.offset(out.strides()) + (j - it.index[dim]) * out.strides()[dim]] += s[it.offset(src.strides())];
    }
  });
}

// index_select: out[..., j, ...] = x[..., index[j], ...]; in = {x, index (1-d)}, ints[0] = dim.
void index_select_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &index = args.in[1], &out = args.out[0];
  const int64_t dim = args.ints[0], limit = x.shape()[dim];
  check_indices(index, limit, "index_select");
  PG_DISPATCH_ALL(x.dtype(), "index_select", [&] {
    const scalar_t* src = x.data<scalar_t>();
    const int64_t* idx = index.data<int64_t>();
    const int64_t idx_stride = index.strides().empty() ? 0 : index.strides()[0];
    scalar_t* o = out.data<scalar_t>();
    parallel_for(0, out.numel(), kIndexGrain, [&](int64_t b, int64_t e) {
      Odometer it(out.shape(), b);
      for (int64_t i = b; i < e; ++i, it.next()) {
        int64_t pos = it.index[dim];
        int64_t j = wrap_index(idx[pos * idx_stride], limit);
        o[i] = src[it.offset(x.strides()) + (j - pos) * x.strides()[dim]];
      }
    });
  });
}

// index_add: out[..., index[j], ...] += source[..., j, ...]; index_copy: the same with =, the last of repeated
// indices winning. out written in place (serial: targets collide).
template <bool Accumulate>
void index_put_kernel(KernelArgs& args) {
  const Tensor &index = args.in[0], &source = args.in[1], &out = args.out[0];
  const int64_t dim = args.ints[0], limit = out.shape()[dim];
  const char* op = Accumulate ? "index_add" : "index_copy";
  check_indices(index, limit, op);
  PG_DISPATCH_ALL(out.dtype(), op, [&] {
    const scalar_t* s = source.data<scalar_t>();
    const int64_t* idx = index.data<int64_t>();
    const int64_t idx_stride = index.strides().empty() ? 0 : index.strides()[0];
    scalar_t* o = out.data<scalar_t>();
    Odometer it(source.shape(), 0);
    for (int64_t i = 0, n = source.numel(); i < n; ++i, it.next()) {
      int64_t pos = it.index[dim];
      int64_t j = wrap_index(idx[pos * idx_stride], limit);
      scalar_t& target = o[it.offset(out.strides()) + (j - pos) * out.strides()[dim]];
      const scalar_t value = s[it.offset(source.strides())];
      if constexpr (Accumulate) {
        target += value;
      } else {
        target = value;
      }
    }
  });
}

// nonzero: out [count, ndim] int64 contiguous = the positions of x's non-zero elements, row-major; the ops layer
// counted them (count rows are filled, never more).
void nonzero_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &out = args.out[0];
  const int64_t ndim = x.dim(), rows = out.shape()[0];
  int64_t* o = out.data<int64_t>();
  PG_DISPATCH_ALL(x.dtype(), "nonzero", [&] {
    const scalar_t* p = x.data<scalar_t>();
    Odometer it(x.shape(), 0);
    int64_t row = 0;
    for (int64_t i = 0, n = x.numel(); i < n && row < rows; ++i, it.next()) {
      if (p[it.offset(x.strides())] == scalar_t(0)) continue;
      for (int64_t d = 0; d < ndim; ++d) o[row * ndim + d] = it.index[d];
      ++row;
    }
  });
}

// one_hot: out [N, C] contiguous = 1 at (n, target[n]); in = {target [N]}, ints[0] = C.
void one_hot_kernel(KernelArgs& args) {
  const Tensor &target = args.in[0], &out = args.out[0];
  const int64_t classes = args.ints[0];
  check_indices(target, classes, "one_hot");
  const int64_t* t = target.data<int64_t>();
  const int64_t ts = target.strides().empty() ? 0 : target.strides()[0];
  PG_DISPATCH_ALL(out.dtype(), "one_hot", [&] {
    scalar_t* o = out.data<scalar_t>();
    const int64_t n = target.numel();
    for (int64_t i = 0; i < n * classes; ++i) o[i] = scalar_t(0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = t[i * ts];
      PG_CHECK(c >= 0, IndexError, "one_hot", "class values must be non-negative, got ", c);
      o[i * classes + c] = scalar_t(1);
    }
  });
}

const KernelRegistrar register_gather(OpId::gather, Device::CPU, &gather_kernel);
const KernelRegistrar register_scatter_add(OpId::scatter_add, Device::CPU, &scatter_add_kernel);
const KernelRegistrar register_index_select(OpId::index_select, Device::CPU, &index_select_kernel);
const KernelRegistrar register_index_add(OpId::index_add, Device::CPU, &index_put_kernel<true>);
const KernelRegistrar register_index_copy(OpId::index_copy, Device::CPU, &index_put_kernel<false>);
const KernelRegistrar register_nonzero(OpId::nonzero, Device::CPU, &nonzero_kernel);
const KernelRegistrar register_one_hot(OpId::one_hot, Device::CPU, &one_hot_kernel);

}  // namespace
}  // namespace pygrad::cpu
