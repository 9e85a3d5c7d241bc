// The GEMM plan: a problem's arguments, the active ISA's kernels and blocksizes, and the cost model for threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm/gemm.h"

namespace pygrad::cpu::gemm_detail {

constexpr double kDirectMaxWork = 32.0 * 32.0 * 32.0;  // m*n*k below this: plain loops, no packing
constexpr double kSmallMaxWork = 80.0 * 80.0 * 80.0;   // m*n*k up to this: one thread, nothing packed
constexpr std::size_t kAlign = 64;                     // packing buffers and slivers start on a cache line

template <typename T>
using MicroKernel = void (*)(int64_t, const T*, const T*, T*, int64_t, T, T);

template <typename T>
using EdgeKernel = void (*)(int64_t, const T*, const T*, T*, int64_t, T, T, int, int);

// The kernels of the active ISA and its row of kBlockTable.
template <typename T>
struct GemmPlan {
  MicroKernel<T> micro;
  int mr, nr, mc, kc, nc;
  EdgeKernel<T> edge;  // partial tiles straight into C; null: compute into a temporary tile and merge
  void (*pack_kcontig)(T*, const T*, int64_t, int, int64_t, int64_t);  // transposing pack; null: generic
  // B read in place (unit column stride) for m <= mr, where packing B buys no reuse; null: always pack.
  void (*direct_b)(int64_t, const T*, const T*, int64_t, T*, int64_t, T, T, int, int);
  // Small products with A and B read in place, tiles of at most unpacked_mr rows; null: no such path.
  void (*unpacked)(int64_t, const T*, int64_t, int64_t, const T*, int64_t, T*, int64_t, T, T, int, int) = nullptr;
  int unpacked_mr = 0;
};

// The plan of the highest level at or below c whose kernels this build has.
template <typename T>
GemmPlan<T> plan_for(CpuCapability c);
template <>
GemmPlan<float> plan_for<float>(CpuCapability c);
template <>
GemmPlan<double> plan_for<double>(CpuCapability c);

template <typename T>
struct GemmEpilogue {
  const T* bias = nullptr;  // bias[j * bias_stride] added to column j (row j when on_rows)
  int64_t bias_stride = 1;
  bool on_rows = false;  // the problem was transposed: the bias follows C's rows
  Activation act = Activation::None;
  bool active() const { return bias != nullptr || act != Activation::None; }
};

// C = alpha A B + beta C with A(i,p) = a[i*a_rs + p*a_cs], B(p,j) = b[p*b_rs + j*b_cs], C(i,j) = c[i*c_rs + j*c_cs].
template <typename T>
struct GemmArgs {
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t a_rs, a_cs;
  const T* b;
  int64_t b_rs, b_cs;
  T beta;
  T* c;
  int64_t c_rs, c_cs;
  GemmEpilogue<T> epi;
};

inline int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

// Epilogue on a finished tile of C (rows row0.., columns col0.. of the whole problem): bias, then activation.
template <typename T>
void apply_epilogue(const GemmEpilogue<T>& epi, int64_t row0, int64_t col0, int64_t mr_eff, int64_t nr_eff, T* c,
                    int64_t c_rs, int64_t c_cs) {
  if (c_cs == 1 && !epi.on_rows && (epi.bias == nullptr || epi.bias_stride == 1)) {
    // The linear layer's case (bias along contiguous rows): branch-free loops the compiler vectorises.
    const T* bias = epi.bias != nullptr ? epi.bias + col0 : nullptr;
    for (int64_t i = 0; i < mr_eff; ++i) {
      T* __restrict row = c + i * c_rs;
      if (bias != nullptr)
        for (int64_t j = 0; j < nr_eff; ++j) row[j] += bias[j];
      if (epi.act == Activation::Relu)
        for (int64_t j = 0; j < nr_eff; ++j) row[j] = row[j] > T(0) ? row[j] : T(0);
    }
    return;
  }
  for (int64_t i = 0; i < mr_eff; ++i) {
    T* row = c + i * c_rs;
    const T row_bias = epi.bias != nullptr && epi.on_rows ? epi.bias[(row0 + i) * epi.bias_stride] : T(0);
    for (int64_t j = 0; j < nr_eff; ++j) {
      T v = row[j * c_cs];
      if (epi.bias != nullptr) v += epi.on_rows ? row_bias : epi.bias[(col0 + j) * epi.bias_stride];
      if (epi.act == Activation::Relu) v = v > T(0) ? v : T(0);
      row[j * c_cs] = v;
    }
  }
}

// Threads for an m x n x k product: enough multiply-adds and MR x NR tiles per thread, at most num_threads.
int choose_team(int num_threads, int64_t m, int64_t n, int64_t k, int mr, int nr);

struct ThreadSplit {
  int ic_ways;
  int jr_ways;
};

// Splits the team over M (whole MR tiles) and N (whole NR tiles); extra A packing when N is split.
ThreadSplit choose_split(int team, int64_t m, int64_t n, int mr, int nr, int nc);

// KC slice depth: the k extent cut into equal slices of at most plan.kc (784 = 4 x 196, not 3 x 256 + 16), so
// no short last slice re-reads C for a few k steps. Depends on k only: the same at every thread count.
template <typename T>
int64_t slice_depth(const GemmPlan<T>& plan, int64_t k) {
  return ceil_div(k, ceil_div(k, plan.kc));
}

}  // namespace pygrad::cpu::gemm_detail
