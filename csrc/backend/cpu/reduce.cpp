// CPU reductions (sum, amax, amin, argmax, argmin). Input arrives permuted with the reduced dims last
// (ints[0] of them); each output element is reduced in one fixed order, so results do not depend on the
// thread count: threads split outputs, or fixed-size blocks of a full reduction combined in order.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/isa_targets.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

constexpr int64_t kReduceGrain = 16384;
constexpr int64_t kFullReduceBlock = 65536;  // fixed, so a full sum's order never depends on threads

struct Group {
  std::vector<int64_t> sizes, strides;  // coalesced, outermost first
  int64_t numel = 1;
};

Group coalesce(const Shape& shape, const Shape& strides, size_t begin, size_t end) {
  Group g;
  for (size_t d = begin; d < end; ++d) {
    g.numel *= shape[d];
    if (shape[d] == 1) continue;
    if (!g.sizes.empty() && g.strides.back() == strides[d] * shape[d]) {
      g.sizes.back() *= shape[d];
      g.strides.back() = strides[d];
      continue;
    }
    g.sizes.push_back(shape[d]);
    g.strides.push_back(strides[d]);
  }
  return g;
}

int64_t offset_of(const Group& g, int64_t linear) {
  int64_t off = 0;
  for (int64_t d = static_cast<int64_t>(g.sizes.size()) - 1; d >= 0; --d) {
    off += (linear % g.sizes[d]) * g.strides[d];
    linear /= g.sizes[d];
  }
  return off;
}

// Calls fn(value, reduced_index) over the reduced group in row-major order.
template <class T, class Fn>
void visit_reduced(const Group& red, const T* base, const Fn& fn) {
  const int nd = static_cast<int>(red.sizes.size());
  if (nd == 0) {
    fn(base[0], 0);
    return;
  }
  if (nd == 1) {
    const int64_t n = red.sizes[0], s = red.strides[0];
    for (int64_t i = 0; i < n; ++i) fn(base[i * s], i);
    return;
  }
  std::vector<int64_t> index(nd, 0);
  const int64_t inner = red.sizes[nd - 1], inner_stride = red.strides[nd - 1];
  int64_t linear = 0;
  const T* row = base;
  while (true) {
    for (int64_t i = 0; i < inner; ++i) fn(row[i * inner_stride], linear + i);
    linear += inner;
    int d = nd - 2;
    for (; d >= 0; --d) {
      row += red.strides[d];
      if (++index[d] < red.sizes[d]) break;
      row -= red.strides[d] * red.sizes[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// Calls fn(row_pointer) for each position of the reduced group, in row-major order.
template <class T, class Fn>
void visit_rows(const Group& red, const T* base, const Fn& fn) {
  const int nd = static_cast<int>(red.sizes.size());
  if (nd == 0) {
    fn(base);
    return;
  }
  std::vector<int64_t> index(nd, 0);
  const T* row = base;
  while (true) {
    fn(row);
    int d = nd - 1;
    for (; d >= 0; --d) {
      row += red.strides[d];
      if (++index[d] < red.sizes[d]) break;
      row -= red.strides[d] * red.sizes[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

template <class T>
using SumAcc = typename std::conditional<std::is_floating_point<T>::value, double, T>::type;

// Sum of a contiguous run: 16 independent lanes (vectorised), folded into a double every block.
template <class T>
SumAcc<T> sum_contiguous(const T* x, int64_t n) {
  SumAcc<T> total = 0;
  for (int64_t block = 0; block < n; block += 4096) {
    const int64_t end = block + 4096 < n ? block + 4096 : n;
    T lanes[16] = {};
    int64_t i = block;
    for (; i + 16 <= end; i += 16) {
      for (int l = 0; l < 16; ++l) lanes[l] += x[i + l];
    }
    T tail = 0;
    for (; i < end; ++i) tail += x[i];
    SumAcc<T> block_sum = 0;
    for (int l = 0; l < 16; ++l) block_sum += lanes[l];
    total += block_sum + tail;
  }
  return total;
}

// acc[j] += row[j] for j < n (the column sums of sum over dim 0), one copy per ISA level (isa_targets.h).
template <class T>
PG_ALWAYS_INLINE inline void accumulate_row_body(SumAcc<T>* acc, const T* row, int64_t n) {
  for (int64_t j = 0; j < n; ++j) acc[j] += row[j];
}
template <class T>
PG_NOINLINE void accumulate_row_portable(SumAcc<T>* acc, const T* row, int64_t n) {
  accumulate_row_body(acc, row, n);
}
#if defined(PG_ISA_TARGETS)
template <class T>
PG_TARGET_AVX2 void accumulate_row_avx2(SumAcc<T>* acc, const T* row, int64_t n) {
  accumulate_row_body(acc, row, n);
}
template <class T>
PG_TARGET_AVX512 void accumulate_row_avx512(SumAcc<T>* acc, const T* row, int64_t n) {
  accumulate_row_body(acc, row, n);
}
#endif
template <class T>
void accumulate_row(CpuCapability level, SumAcc<T>* acc, const T* row, int64_t n) {
#if defined(PG_ISA_TARGETS)
  if constexpr (std::is_floating_point<T>::value) {
    if (level == CpuCapability::Avx512) return accumulate_row_avx512(acc, row, n);
    if (level == CpuCapability::Avx2) return accumulate_row_avx2(acc, row, n);
  }
#endif
  accumulate_row_portable(acc, row, n);
}

template <class T>
void sum_typed(const Tensor& in, const Tensor& out, int num_reduced) {
  const size_t nd = in.shape().size(), split = nd - num_reduced;
  Group kept = coalesce(in.shape(), in.strides(), 0, split);
  Group red = coalesce(in.shape(), in.strides(), split, nd);
  const T* x = in.data<T>();
  T* o = out.data<T>();
  const int64_t outputs = kept.numel, reduced = red.numel;
  if (outputs == 0) return;
  if (reduced == 0) {
    for (int64_t i = 0; i < outputs; ++i) o[i] = 0;
    return;
  }
  const bool inner_contiguous = red.sizes.size() == 1 && red.strides[0] == 1;
  if (outputs == 1 && red.sizes.size() <= 1) {
    // Full reduction: fixed blocks reduced in parallel, partials combined in block order.
    const int64_t stride = red.sizes.empty() ? 1 : red.strides[0];
    const int64_t blocks = (reduced + kFullReduceBlock - 1) / kFullReduceBlock;
    std::vector<SumAcc<T>> partial(blocks);
    parallel_for(0, blocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t blk = b; blk < e; ++blk) {
        const int64_t start = blk * kFullReduceBlock;
        const int64_t n = std::min(kFullReduceBlock, reduced - start);
        if (stride == 1) {
          partial[blk] = sum_contiguous(x + start, n);
        } else {
          SumAcc<T> acc = 0;
          for (int64_t i = 0; i < n; ++i) acc += x[(start + i) * stride];
          partial[blk] = acc;
        }
      }
    });
    SumAcc<T> total = 0;
    for (SumAcc<T> p : partial) total += p;
    o[0] = static_cast<T>(total);
    return;
  }
  if (!inner_contiguous && kept.sizes.size() == 1 && kept.strides[0] == 1) {
    // Outputs contiguous in the input: walk reduced rows in order, vectorised across outputs.
    const CpuCapability level = cpu_capability();
    parallel_for(0, outputs, std::max<int64_t>(1, kReduceGrain / reduced), [&](int64_t b, int64_t e) {
      std::vector<SumAcc<T>> acc(e - b, 0);
      visit_rows(red, x, [&](const T* row) { accumulate_row<T>(level, acc.data(), row + b, e - b); });
      for (int64_t i = b; i < e; ++i) o[i] = static_cast<T>(acc[i - b]);
    });
    return;
  }
  const bool rows_contiguous = red.sizes.size() > 1 && red.strides.back() == 1;
  Group outer_red = red;
  int64_t inner_size = 1;
  if (rows_contiguous) {
    inner_size = outer_red.sizes.back();
    outer_red.sizes.pop_back();
    outer_red.strides.pop_back();
  }
  parallel_for(0, outputs, std::max<int64_t>(1, kReduceGrain / reduced), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* base = x + offset_of(kept, i);
      if (inner_contiguous) {
        o[i] = static_cast<T>(sum_contiguous(base, reduced));
      } else if (rows_contiguous) {
        // e.g. a conv bias gradient, sum over {N, H, W}: vectorised sums of contiguous H*W rows, in order.
        SumAcc<T> acc = 0;
        visit_rows(outer_red, base, [&](const T* row) { acc += sum_contiguous(row, inner_size); });
        o[i] = static_cast<T>(acc);
      } else {
        SumAcc<T> acc = 0;
        visit_reduced(red, base, [&](T v, int64_t) { acc += v; });
        o[i] = static_cast<T>(acc);
      }
    }
  });
}

template <class T, bool IsMax>
bool better(T candidate, T best) {
  if constexpr (std::is_floating_point<T>::value) {
    if (best != best) return false;           // NaN already won
    if (candidate != candidate) return true;  // NaN propagates
  }
  return IsMax ? candidate > best : candidate < best;
}

template <class T, bool IsMax>
inline T pick(T candidate, T best) {
  return (IsMax ? candidate > best : candidate < best) ? candidate : best;
}

// Max (min) of n >= 1 contiguous values without branches. Floating types run VecBytes-wide vectors (GCC vector
// extensions; each ISA level passes its register width) combined in lane order; a NaN anywhere makes the
// result NaN, as in the sequential scan.
template <class T, bool IsMax, int VecBytes>
PG_ALWAYS_INLINE inline T extreme_row_body(const T* p, int64_t n) {
  T best = p[0];
  int64_t i = 1;
  bool any_nan = false;
  if constexpr (std::is_floating_point<T>::value) {
    typedef T Vec __attribute__((vector_size(VecBytes)));
    constexpr int kLanes = static_cast<int>(sizeof(Vec) / sizeof(T));
    if (n >= 2 * kLanes) {
      Vec lanes;
      std::memcpy(&lanes, p, sizeof(Vec));
      auto nan = lanes != lanes;
      for (i = kLanes; i + kLanes <= n; i += kLanes) {
        Vec v;
        std::memcpy(&v, p + i, sizeof(Vec));
        lanes = (IsMax ? v > lanes : v < lanes) ? v : lanes;
        nan |= v != v;
      }
      best = lanes[0];
      for (int l = 0; l < kLanes; ++l) {
        best = pick<T, IsMax>(lanes[l], best);
        any_nan |= nan[l] != 0;
      }
    }
  }
  for (; i < n; ++i) {
    best = pick<T, IsMax>(p[i], best);
    if constexpr (std::is_floating_point<T>::value) any_nan |= p[i] != p[i];
  }
  if constexpr (std::is_floating_point<T>::value) {
    if (any_nan || best != best) return std::numeric_limits<T>::quiet_NaN();
  }
  return best;
}

// Index of the max (min) of n >= 1 contiguous values, as the sequential scan gives it: the first of equal
// extremes, or the first NaN. Floating types run VecBytes-wide vectors of (value, index) lanes.
template <class T, bool IsMax, int VecBytes>
PG_ALWAYS_INLINE inline int64_t arg_extreme_row_body(const T* p, int64_t n) {
  int64_t i = 0, best_index = 0;
  T best = p[0];
  if constexpr (std::is_floating_point<T>::value) {
    typedef T Vec __attribute__((vector_size(VecBytes)));
    using Index = decltype(Vec{} < Vec{});  // integer lanes of the same width
    constexpr int kLanes = static_cast<int>(sizeof(Vec) / sizeof(T));
    if (n >= 2 * kLanes && n < (int64_t(1) << 31)) {
      Vec lanes;
      std::memcpy(&lanes, p, sizeof(Vec));
      Index lane_index, position;
      for (int l = 0; l < kLanes; ++l) lane_index[l] = position[l] = l;
      for (i = kLanes; i + kLanes <= n; i += kLanes) {
        Vec v;
        std::memcpy(&v, p + i, sizeof(Vec));
        position += kLanes;
        // Take a strictly better value, or a NaN while the lane holds none (later NaNs never replace it).
        const Index take = (IsMax ? v > lanes : v < lanes) | ((v != v) & (lanes == lanes));
        lanes = take ? v : lanes;
        lane_index = take ? position : lane_index;
      }
      best = lanes[0];
      best_index = lane_index[0];
      for (int l = 1; l < kLanes; ++l) {
        const T v = lanes[l];
        const int64_t at = lane_index[l];
        const bool v_nan = v != v, best_nan = best != best;
        const bool take = best_nan ? (v_nan && at < best_index)
                                   : (v_nan || (IsMax ? v > best : v < best) || (v == best && at < best_index));
        if (take) best = v, best_index = at;
      }
    } else {
      i = 1;
    }
  } else {
    i = 1;
  }
  for (; i < n; ++i) {
    if (better<T, IsMax>(p[i], best)) best = p[i], best_index = i;
  }
  return best_index;
}

// out[j] = max (min) over r < reduced of x[r * rs + j], j < w: the outputs side by side down the rows.
template <class T, bool IsMax>
PG_ALWAYS_INLINE inline void extreme_columns_body(const T* x, int64_t rs, int64_t reduced, int64_t w, T* out) {
  constexpr int64_t kBlock = 256;
  T best[kBlock];
  int nan[kBlock];  // int, not bool: GCC vectorises the compare-and-or with same-width lanes
  for (int64_t j0 = 0; j0 < w; j0 += kBlock) {
    const int64_t bw = std::min(kBlock, w - j0);
    for (int64_t j = 0; j < bw; ++j) best[j] = x[j0 + j], nan[j] = 0;
    for (int64_t r = 1; r < reduced; ++r) {
      const T* row = x + r * rs + j0;
      for (int64_t j = 0; j < bw; ++j) {
        best[j] = pick<T, IsMax>(row[j], best[j]);
        if constexpr (std::is_floating_point<T>::value) nan[j] |= row[j] != row[j];
      }
    }
    for (int64_t j = 0; j < bw; ++j) {
      T v = best[j];
      if constexpr (std::is_floating_point<T>::value) {
        if (nan[j] || v != v) v = std::numeric_limits<T>::quiet_NaN();
      }
      out[j0 + j] = v;
    }
  }
}

// Each level's copy of the two loops (see isa_targets.h), chosen by cpu_capability().
template <class T, bool IsMax>
PG_NOINLINE T extreme_row_portable(const T* p, int64_t n) {
  return extreme_row_body<T, IsMax, 16>(p, n);
}
template <class T, bool IsMax>
PG_NOINLINE void extreme_columns_portable(const T* x, int64_t rs, int64_t reduced, int64_t w, T* out) {
  extreme_columns_body<T, IsMax>(x, rs, reduced, w, out);
}
template <class T, bool IsMax>
PG_NOINLINE int64_t arg_extreme_row_portable(const T* p, int64_t n) {
  return arg_extreme_row_body<T, IsMax, 16>(p, n);
}
#if defined(PG_ISA_TARGETS)
template <class T, bool IsMax>
PG_TARGET_AVX2 int64_t arg_extreme_row_avx2(const T* p, int64_t n) {
  return arg_extreme_row_body<T, IsMax, 32>(p, n);
}
// 32-byte vectors here too: with 64-byte ones GCC 12 turns the (value, index) selects into slow mask shuffles.
template <class T, bool IsMax>
PG_TARGET_AVX512 int64_t arg_extreme_row_avx512(const T* p, int64_t n) {
  return arg_extreme_row_body<T, IsMax, 32>(p, n);
}
template <class T, bool IsMax>
PG_TARGET_AVX2 T extreme_row_avx2(const T* p, int64_t n) {
  return extreme_row_body<T, IsMax, 32>(p, n);
}
template <class T, bool IsMax>
PG_TARGET_AVX512 T extreme_row_avx512(const T* p, int64_t n) {
  return extreme_row_body<T, IsMax, 64>(p, n);
}
template <class T, bool IsMax>
PG_TARGET_AVX2 void extreme_columns_avx2(const T* x, int64_t rs, int64_t reduced, int64_t w, T* out) {
  extreme_columns_body<T, IsMax>(x, rs, reduced, w, out);
}
template <class T, bool IsMax>
PG_TARGET_AVX512 void extreme_columns_avx512(const T* x, int64_t rs, int64_t reduced, int64_t w, T* out) {
  extreme_columns_body<T, IsMax>(x, rs, reduced, w, out);
}
#endif

template <class T, bool IsMax>
T extreme_row(CpuCapability level, const T* p, int64_t n) {
#if defined(PG_ISA_TARGETS)
  if (level == CpuCapability::Avx512) return extreme_row_avx512<T, IsMax>(p, n);
  if (level == CpuCapability::Avx2) return extreme_row_avx2<T, IsMax>(p, n);
#endif
  return extreme_row_portable<T, IsMax>(p, n);
}

template <class T, bool IsMax>
int64_t arg_extreme_row(CpuCapability level, const T* p, int64_t n) {
#if defined(PG_ISA_TARGETS)
  if (level == CpuCapability::Avx512) return arg_extreme_row_avx512<T, IsMax>(p, n);
  if (level == CpuCapability::Avx2) return arg_extreme_row_avx2<T, IsMax>(p, n);
#endif
  return arg_extreme_row_portable<T, IsMax>(p, n);
}

template <class T, bool IsMax>
void extreme_columns(CpuCapability level, const T* x, int64_t rs, int64_t reduced, int64_t w, T* out) {
#if defined(PG_ISA_TARGETS)
  if (level == CpuCapability::Avx512) return extreme_columns_avx512<T, IsMax>(x, rs, reduced, w, out);
  if (level == CpuCapability::Avx2) return extreme_columns_avx2<T, IsMax>(x, rs, reduced, w, out);
#endif
  extreme_columns_portable<T, IsMax>(x, rs, reduced, w, out);
}

// Values only, one reduced dim: contiguous rows reduce with the vector row loop; a strided reduced dim over
// contiguous outputs (amax over dim 0) runs blocks of outputs side by side. False: other layouts.
template <class T, bool IsMax>
bool extreme_values_fast(const Group& kept, const Group& red, const T* x, T* o) {
  if (red.sizes.size() != 1) return false;
  const CpuCapability level = cpu_capability();
  const int64_t outputs = kept.numel, reduced = red.numel, rs = red.strides[0];
  if (rs == 1) {
    parallel_for(0, outputs, std::max<int64_t>(1, kReduceGrain / reduced), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = extreme_row<T, IsMax>(level, x + offset_of(kept, i), reduced);
    });
    return true;
  }
  if (kept.sizes.size() != 1 || kept.strides[0] != 1) return false;
  constexpr int64_t kColumns = 256;  // outputs per task
  const int64_t tasks = (outputs + kColumns - 1) / kColumns;
  parallel_for(0, tasks, std::max<int64_t>(1, kReduceGrain / (kColumns * reduced)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t j0 = t * kColumns;
      extreme_columns<T, IsMax>(level, x + j0, rs, reduced, std::min(kColumns, outputs - j0), o + j0);
    }
  });
  return true;
}

template <class T, bool IsMax>
void extreme_typed(const Tensor& in, const Tensor& out, const Tensor& indices, int num_reduced) {
  const size_t nd = in.shape().size(), split = nd - num_reduced;
  Group kept = coalesce(in.shape(), in.strides(), 0, split);
  Group red = coalesce(in.shape(), in.strides(), split, nd);
  const T* x = in.data<T>();
  T* o = out.defined() ? out.data<T>() : nullptr;
  int64_t* idx = indices.defined() ? indices.data<int64_t>() : nullptr;
  const int64_t outputs = kept.numel, reduced = red.numel;
  if (outputs == 0 || reduced == 0) return;
  if (o != nullptr && idx == nullptr && extreme_values_fast<T, IsMax>(kept, red, x, o)) return;
  if (o == nullptr && red.sizes.size() == 1 && red.strides[0] == 1) {
    // argmax/argmin over contiguous rows: the vector (value, index) loop.
    const CpuCapability level = cpu_capability();
    parallel_for(0, outputs, std::max<int64_t>(1, kReduceGrain / reduced), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) idx[i] = arg_extreme_row<T, IsMax>(level, x + offset_of(kept, i), reduced);
    });
    return;
  }
  parallel_for(0, outputs, std::max<int64_t>(1, kReduceGrain / reduced), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* base = x + offset_of(kept, i);
      T best = base[0];
      int64_t best_index = 0;
      visit_reduced(red, base, [&](T v, int64_t r) {
        if (better<T, IsMax>(v, best)) {
          best = v;
          best_index = r;
        }
      });
      if (o) o[i] = best;
      if (idx) idx[i] = best_index;
    }
  });
}

// sum: in[0] (reduced dims last, ints[0] of them), out[0] contiguous, same dtype.
void sum_kernel(KernelArgs& args) {
  const int num_reduced = static_cast<int>(args.ints[0]);
  switch (args.in[0].dtype()) {
    case DType::Float32: return sum_typed<float>(args.in[0], args.out[0], num_reduced);
    case DType::Float64: return sum_typed<double>(args.in[0], args.out[0], num_reduced);
    case DType::Int64: return sum_typed<int64_t>(args.in[0], args.out[0], num_reduced);
    default: PG_THROW(TypeError, "sum", "no CPU kernel for dtype ", dtype_name(args.in[0].dtype()));
  }
}

template <bool IsMax, bool WantValues>
void extreme_kernel(KernelArgs& args) {
  const int num_reduced = static_cast<int>(args.ints[0]);
  Tensor values = WantValues ? args.out[0] : Tensor();
  Tensor indices = WantValues ? Tensor() : args.out[0];
  PG_DISPATCH_ALL(args.in[0].dtype(), "reduce",
                  [&] { extreme_typed<scalar_t, IsMax>(args.in[0], values, indices, num_reduced); });
}

const KernelRegistrar register_sum(OpId::sum, Device::CPU, &sum_kernel);
const KernelRegistrar register_amax(OpId::amax, Device::CPU, &extreme_kernel<true, true>);
const KernelRegistrar register_amin(OpId::amin, Device::CPU, &extreme_kernel<false, true>);
const KernelRegistrar register_argmax(OpId::argmax, Device::CPU, &extreme_kernel<true, false>);
const KernelRegistrar register_argmin(OpId::argmin, Device::CPU, &extreme_kernel<false, false>);

}  // namespace
}  // namespace pygrad::cpu
