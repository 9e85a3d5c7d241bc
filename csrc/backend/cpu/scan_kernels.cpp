// CPU scan kernels: cumsum along one dim of a contiguous tensor, forwards or backwards (the gradient's direction).
// Floats accumulate in double and integers in int64 as torch's CPU kernel does, each element rounded once on store.
// Rows of the last dim are scanned eight at a time (independent add chains instead of one latency-bound chain);
// an inner dim scans whole rows of columns, a loop the compiler vectorises.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

template <class T>
using Accumulator = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Lines along the last dim: rows [b, e) of length n.
template <class T>
void scan_rows(const T* in, T* out, int64_t b, int64_t e, int64_t n, bool reverse) {
  using A = Accumulator<T>;
  constexpr int64_t kLanes = 8;
  const int64_t step = reverse ? -1 : 1, first = reverse ? n - 1 : 0;
  int64_t r = b;
  for (; r + kLanes <= e; r += kLanes) {
    A acc[kLanes] = {};
    const T* src = in + r * n;
    T* dst = out + r * n;
    for (int64_t i = 0, k = first; i < n; ++i, k += step)
      for (int64_t l = 0; l < kLanes; ++l) {
        acc[l] += static_cast<A>(src[l * n + k]);
        dst[l * n + k] = static_cast<T>(acc[l]);
      }
  }
  for (; r < e; ++r) {
    A acc = 0;
    for (int64_t i = 0, k = first; i < n; ++i, k += step) {
      acc += static_cast<A>(in[r * n + k]);
      out[r * n + k] = static_cast<T>(acc);
    }
  }
}

// Lines along an inner dim: for each outer index, n rows of `inner` columns; tiles of columns run in parallel.
template <class T>
void scan_columns(const T* in, T* out, int64_t outer, int64_t n, int64_t inner, bool reverse) {
  using A = Accumulator<T>;
  constexpr int64_t kTile = 512;
  const int64_t tiles = (inner + kTile - 1) / kTile;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(n * kTile, 1));
  parallel_for(0, outer * tiles, grain, [&](int64_t b, int64_t e) {
    A acc[kTile];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / tiles, c0 = (t % tiles) * kTile, width = std::min(kTile, inner - c0);
      const T* src = in + o * n * inner + c0;
      T* dst = out + o * n * inner + c0;
      std::fill(acc, acc + width, A(0));
      for (int64_t i = 0; i < n; ++i) {
        const int64_t row = (reverse ? n - 1 - i : i) * inner;
        for (int64_t c = 0; c < width; ++c) {
          acc[c] += static_cast<A>(src[row + c]);
          dst[row + c] = static_cast<T>(acc[c]);
        }
      }
    }
  });
}

template <class T>
void cumsum_typed(const Tensor& x, const Tensor& out, int64_t dim, bool reverse) {
  const Shape& shape = x.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= shape[d];
  for (int64_t d = dim + 1; d < static_cast<int64_t>(shape.size()); ++d) inner *= shape[d];
  const int64_t n = shape.empty() ? 1 : shape[dim];
  const T* in = x.data<T>();
  T* o = out.data<T>();
  if (inner == 1) {
    const int64_t grain = std::max<int64_t>(8, 32768 / std::max<int64_t>(n, 1));
    parallel_for(0, outer, grain, [&](int64_t b, int64_t e) { scan_rows(in, o, b, e, n, reverse); });
  } else {
    scan_columns(in, o, outer, n, inner, reverse);
  }
}

// in = {x contiguous}, out contiguous of x's shape; ints[0] = dim (wrapped; 0 for a 0-d tensor), ints[1] = reverse.
void cumsum_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &out = args.out[0];
  if (x.numel() == 0) return;
  const int64_t dim = args.ints[0];
  const bool reverse = args.ints[1] != 0;
  switch (x.dtype()) {
    case DType::Float32: cumsum_typed<float>(x, out, dim, reverse); break;
    case DType::Float64: cumsum_typed<double>(x, out, dim, reverse); break;
    case DType::Int64: cumsum_typed<int64_t>(x, out, dim, reverse); break;
    case DType::Int32: cumsum_typed<int32_t>(x, out, dim, reverse); break;
    case DType::Int16: cumsum_typed<int16_t>(x, out, dim, reverse); break;
    case DType::Int8: cumsum_typed<int8_t>(x, out, dim, reverse); break;
    case DType::UInt8: cumsum_typed<uint8_t>(x, out, dim, reverse); break;
    default: PG_THROW(TypeError, "cumsum", "no CPU kernel for ", dtype_name(x.dtype()));
  }
}

const KernelRegistrar register_cumsum(OpId::cumsum, Device::CPU, &cumsum_kernel);

}  // namespace
}  // namespace pygrad::cpu
