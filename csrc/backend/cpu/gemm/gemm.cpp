// GEMM entry points: trivial and column-major cases, then the route to plain loops, unpacked tiles or packed driver.
#include "backend/cpu/gemm/gemm.h"

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm/gemm_plan.h"
#include "backend/cpu/gemm/pack.h"
#include "backend/cpu/gemm/packed_driver.h"
#include "backend/cpu/gemm/unpacked.h"
#include "core/error.h"

#include <algorithm>
#include <cstdint>

namespace pygrad::cpu {
namespace gemm_detail {
namespace {

// k == 0 or alpha == 0: C = beta C, then the epilogue.
template <typename T>
void scale_c(const GemmArgs<T>& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    T* row = g.c + i * g.c_rs;
    if (g.beta == T(0)) {
      for (int64_t j = 0; j < g.n; ++j) row[j * g.c_cs] = T(0);
    } else if (g.beta != T(1)) {
      for (int64_t j = 0; j < g.n; ++j) row[j * g.c_cs] *= g.beta;
    }
  }
  if (g.epi.active()) apply_epilogue(g.epi, 0, 0, g.m, g.n, g.c, g.c_rs, g.c_cs);
}

// C^T = B^T A^T: the same problem with the roles of rows and columns exchanged (bias then follows rows).
template <typename T>
GemmArgs<T> transposed(const GemmArgs<T>& g) {
  GemmArgs<T> t{g.n, g.m, g.k, g.alpha, g.b, g.b_cs, g.b_rs, g.a, g.a_cs, g.a_rs, g.beta, g.c, g.c_cs, g.c_rs, g.epi};
  t.epi.on_rows = !g.epi.on_rows;
  return t;
}

// Trivial cases first, then the cheapest path that fits: unpacked tiles, plain loops, B in place, packed driver.
template <typename T>
void gemm_impl(GemmArgs<T> g, int num_threads) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0 || g.alpha == T(0)) {
    scale_c(g);
    return;
  }
  if (g.c_cs != 1 && g.c_rs == 1) {
    // Column-major C: compute C^T = B^T A^T so the micro-kernel writes contiguous rows.
    g = transposed(g);
  }
  const double work = static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  const GemmPlan<T> plan = plan_for<T>(cpu_capability());
  if (plan.unpacked != nullptr && work <= kSmallMaxWork && g.m > 1 && g.n > 1 && g.c_cs == 1) {
    gemm_unpacked_tiles(plan, g);
    return;
  }
  if (work < kDirectMaxWork || g.m == 1 || g.n == 1) {
    // Matrix-vector: prefer the form whose k runs are contiguous (a dot product) or whose rows are (axpy).
    if (g.n == 1 && !(g.a_cs == 1 && g.b_rs == 1)) g = transposed(g);
    gemm_plain_loops(g);
    return;
  }
  if (g.n < plan.nr / 2 && g.m > 2 * g.n) {
    // Few columns: with exchanged roles the narrow side fills the MR rows of a tile instead of padding NR lanes.
    g = transposed(g);
  }
  const int team = choose_team(num_threads, g.m, g.n, g.k, plan.mr, plan.nr);
  if (plan.direct_b != nullptr && g.m <= plan.mr && g.b_cs == 1 && g.c_cs == 1) {
    gemm_b_in_place(plan, g, team);
    return;
  }
  gemm_packed(plan, g, team);
}

template <typename T>
void in_cache_entry(GemmArgs<T> g) {
  const GemmPlan<T> plan = plan_for<T>(cpu_capability());
  if (plan.unpacked == nullptr || g.m <= 1 || g.n <= 1 || g.k <= 0 || g.alpha == T(0)) return gemm_impl(g, 1);
  gemm_unpacked_tiles(plan, g);
}

template <typename T>
void gemm_entry(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
                int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t c_rs, int64_t c_cs, const T* bias,
                int64_t bias_stride, Activation act, int num_threads) {
  GemmArgs<T> g{m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, c_rs, c_cs, GemmEpilogue<T>{}};
  g.epi.bias = bias;
  g.epi.bias_stride = bias_stride;
  g.epi.act = act;
  gemm_impl(g, num_threads);
}

template <typename T>
void pack_b_entry(int64_t k, int64_t n, const T* b, int64_t b_rs, int64_t b_cs, PackedB<T>& out) {
  const GemmPlan<T> plan = plan_for<T>(cpu_capability());
  const int64_t kc_max = k > 0 ? slice_depth(plan, k) : 1;
  const int64_t panels = ceil_div(n, plan.nc), slices = ceil_div(k, kc_max);
  constexpr int64_t kAlignElems = static_cast<int64_t>(kAlign / sizeof(T));
  out.k = k, out.n = n, out.isa = static_cast<int>(cpu_capability());
  out.block = packed_b_block(plan, k, n);
  out.storage.assign(static_cast<size_t>(panels * slices * out.block + kAlignElems), T(0));
  const auto address = reinterpret_cast<std::uintptr_t>(out.storage.data());
  out.data = out.storage.data() + ((kAlign - address % kAlign) % kAlign) / sizeof(T);
  for (int64_t jc = 0; jc < n; jc += plan.nc) {
    const int64_t nc_cur = std::min<int64_t>(plan.nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kc_max) {
      T* dst = out.data + ((jc / plan.nc) * slices + pc / kc_max) * out.block;
      pack_b_panel(plan, dst, b + pc * b_rs + jc * b_cs, b_rs, b_cs, nc_cur, std::min<int64_t>(kc_max, k - pc), 0,
                   ceil_div(nc_cur, plan.nr));
    }
  }
}

template <typename T>
void prepacked_entry(int64_t m, T alpha, const T* a, int64_t a_rs, int64_t a_cs, const PackedB<T>& b, T beta, T* c,
                     int64_t c_rs, int num_threads) {
  PG_CHECK(b.isa == static_cast<int>(cpu_capability()), RuntimeError, "gemm",
           "B was packed for another instruction-set level; pack it again");
  GemmArgs<T> g{m, b.n, b.k, alpha, a, a_rs, a_cs, nullptr, 0, 0, beta, c, c_rs, 1, GemmEpilogue<T>{}};
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0 || g.alpha == T(0)) return scale_c(g);
  const GemmPlan<T> plan = plan_for<T>(cpu_capability());
  gemm_packed(plan, g, choose_team(num_threads, g.m, g.n, g.k, plan.mr, plan.nr), b.data, b.block);
}

}  // namespace
}  // namespace gemm_detail

void gemm_in_cache(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride,
                   int64_t a_col_stride, const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta,
                   float* c, int64_t c_row_stride) {
  gemm_detail::in_cache_entry(gemm_detail::GemmArgs<float>{
      m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c, c_row_stride, 1, {}});
}
void gemm_in_cache(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride,
                   int64_t a_col_stride, const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta,
                   double* c, int64_t c_row_stride) {
  gemm_detail::in_cache_entry(gemm_detail::GemmArgs<double>{
      m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c, c_row_stride, 1, {}});
}

void pack_gemm_b(int64_t k, int64_t n, const float* b, int64_t b_row_stride, int64_t b_col_stride,
                 PackedB<float>& out) {
  gemm_detail::pack_b_entry(k, n, b, b_row_stride, b_col_stride, out);
}
void pack_gemm_b(int64_t k, int64_t n, const double* b, int64_t b_row_stride, int64_t b_col_stride,
                 PackedB<double>& out) {
  gemm_detail::pack_b_entry(k, n, b, b_row_stride, b_col_stride, out);
}
void gemm_prepacked_b(int64_t m, float alpha, const float* a, int64_t a_row_stride, int64_t a_col_stride,
                      const PackedB<float>& b, float beta, float* c, int64_t c_row_stride, int num_threads) {
  gemm_detail::prepacked_entry(m, alpha, a, a_row_stride, a_col_stride, b, beta, c, c_row_stride, num_threads);
}
void gemm_prepacked_b(int64_t m, double alpha, const double* a, int64_t a_row_stride, int64_t a_col_stride,
                      const PackedB<double>& b, double beta, double* c, int64_t c_row_stride, int num_threads) {
  gemm_detail::prepacked_entry(m, alpha, a, a_row_stride, a_col_stride, b, beta, c, c_row_stride, num_threads);
}

void gemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride, int64_t a_col_stride,
          const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta, float* c, int64_t c_row_stride,
          int64_t c_col_stride, int num_threads) {
  gemm_detail::gemm_entry<float>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                                 c_row_stride, c_col_stride, nullptr, 1, Activation::None, num_threads);
}

void gemm(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride, int64_t a_col_stride,
          const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta, double* c, int64_t c_row_stride,
          int64_t c_col_stride, int num_threads) {
  gemm_detail::gemm_entry<double>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                                  c_row_stride, c_col_stride, nullptr, 1, Activation::None, num_threads);
}

void gemm_bias_act(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride,
                   int64_t a_col_stride, const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta,
                   float* c, int64_t c_row_stride, int64_t c_col_stride, const float* bias, int64_t bias_stride,
                   Activation act, int num_threads) {
  gemm_detail::gemm_entry<float>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                                 c_row_stride, c_col_stride, bias, bias_stride, act, num_threads);
}

void gemm_bias_act(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride,
                   int64_t a_col_stride, const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta,
                   double* c, int64_t c_row_stride, int64_t c_col_stride, const double* bias, int64_t bias_stride,
                   Activation act, int num_threads) {
  gemm_detail::gemm_entry<double>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                                  c_row_stride, c_col_stride, bias, bias_stride, act, num_threads);
}

}  // namespace pygrad::cpu
