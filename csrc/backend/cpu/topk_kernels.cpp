// CPU top-k: the positions of the k first elements of each row in ranking order (largest or smallest first; NaN
// ranks as the largest value, ties go to the lower position), as torch orders them. Small k keeps a sorted buffer
// of the k best seen so far (one comparison per element against the worst kept); large k selects the k first
// positions in linear time, then sorts them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <type_traits>
#include <vector>

#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

// Whether value a ranks strictly before value b.
template <class T>
inline bool ranks_before(T a, T b, bool largest) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool an = std::isnan(a), bn = std::isnan(b);
    if (an || bn) return largest ? (an && !bn) : (!an && bn);
  }
  return largest ? a > b : a < b;
}

template <class T>
void top_rows(const T* in, int64_t* out, int64_t b, int64_t e, int64_t n, int64_t k, bool largest) {
  if (k == 0) return;
  if (k <= 64 && 8 * k <= n) {
    std::vector<T> kept(k);
    std::vector<int64_t> at(k);
    for (int64_t r = b; r < e; ++r) {
      const T* row = in + r * n;
      int64_t count = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T v = row[i];
        if (count == k && !ranks_before(v, kept[k - 1], largest)) continue;  // ties: the earlier one stays
        int64_t j = count < k ? count++ : k - 1;
        for (; j > 0 && ranks_before(v, kept[j - 1], largest); --j) {
          kept[j] = kept[j - 1];
          at[j] = at[j - 1];
        }
        kept[j] = v;
        at[j] = i;
      }
      std::copy(at.begin(), at.end(), out + r * k);
    }
    return;
  }
  std::vector<int64_t> order(n);
  for (int64_t r = b; r < e; ++r) {
    const T* row = in + r * n;
    std::iota(order.begin(), order.end(), int64_t(0));
    // A total order (position breaks ties), so selecting then sorting the k gives one answer.
    auto first = [&](int64_t i, int64_t j) {
      if (ranks_before(row[i], row[j], largest)) return true;
      return !ranks_before(row[j], row[i], largest) && i < j;
    };
    if (k < n) std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), first);
    std::sort(order.begin(), order.begin() + k, first);
    std::copy(order.begin(), order.begin() + k, out + r * k);
  }
}

// in = {x contiguous, the ranked dim last}, out = int64 [..., k]; ints = {k, largest}.
void topk_indices_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &out = args.out[0];
  const int64_t k = args.ints[0];
  const bool largest = args.ints[1] != 0;
  const int64_t n = x.dim() == 0 ? 1 : x.shape().back();
  const int64_t rows = n == 0 ? 0 : x.numel() / n;
  int64_t* o = out.data<int64_t>();
  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1));
    parallel_for(0, rows, grain, [&](int64_t b, int64_t e) { top_rows(in, o, b, e, n, k, largest); });
  };
  switch (x.dtype()) {
    case DType::Float32: run(float{}); break;
    case DType::Float64: run(double{}); break;
    case DType::Int64: run(int64_t{}); break;
    case DType::Int32: run(int32_t{}); break;
    case DType::Int16: run(int16_t{}); break;
    case DType::Int8: run(int8_t{}); break;
    case DType::UInt8: run(uint8_t{}); break;
    default: PG_THROW(TypeError, "topk", "no CPU kernel for ", dtype_name(x.dtype()));
  }
}

const KernelRegistrar register_topk_indices(OpId::topk_indices, Device::CPU, &topk_indices_kernel);

}  // namespace
}  // namespace pygrad::cpu
