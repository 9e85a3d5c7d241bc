// GEMM paths for small problems that read A and B where they are: plain loops and unpacked micro-kernel tiles.
#include "backend/cpu/gemm/unpacked.h"

#include <algorithm>
#include <cstddef>

#include "backend/cpu/gemm/pack.h"

namespace pygrad::cpu::gemm_detail {
namespace {

template <typename T>
void store_c(T* c, T beta, T alpha, T acc) {
  *c = beta == T(0) ? alpha * acc : beta * *c + alpha * acc;
}

// C(i,j) as a dot product along contiguous k (a_cs == b_rs == 1): 16 partial sums in fixed lanes, then
// summed in a fixed order, so each element's result depends only on its inputs.
template <typename T>
void gemm_dot(const GemmArgs<T>& g) {
  constexpr int kLanes = 16;
  const int64_t k = g.k;
  const int64_t k_main = k / kLanes * kLanes;
  // i, j loops: one output element per dot product; B columns are rows of B^T in memory.
  for (int64_t i = 0; i < g.m; ++i) {
    const T* a_row = g.a + i * g.a_rs;
    for (int64_t j = 0; j < g.n; ++j) {
      const T* b_col = g.b + j * g.b_cs;
      T lanes[kLanes] = {};
      for (int64_t p = 0; p < k_main; p += kLanes) {
        for (int l = 0; l < kLanes; ++l) lanes[l] += a_row[p + l] * b_col[p + l];
      }
      for (int64_t p = k_main; p < k; ++p) lanes[p - k_main] += a_row[p] * b_col[p];
      for (int w = kLanes / 2; w >= 1; w /= 2) {
        for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
      }
      store_c(g.c + i * g.c_rs + j * g.c_cs, g.beta, g.alpha, lanes[0]);
    }
  }
}

}  // namespace

// Each C(i,j) sums its k products in a fixed order: rank-1 updates of a row chunk, or a lane-split dot product when
// k is contiguous in both operands.
template <typename T>
void gemm_plain_loops(const GemmArgs<T>& g) {
  if (g.a_cs == 1 && g.b_rs == 1 && g.k >= 32) {
    gemm_dot(g);
    if (g.epi.active()) apply_epilogue(g.epi, 0, 0, g.m, g.n, g.c, g.c_rs, g.c_cs);
    return;
  }
  constexpr int64_t kChunk = 256;
  const int64_t n = g.n;
  const int64_t k = g.k;
  const int64_t b_rs = g.b_rs;
  const int64_t b_cs = g.b_cs;
  const int64_t c_cs = g.c_cs;
  T acc[kChunk];
  // i loop: one row of C at a time.
  for (int64_t i = 0; i < g.m; ++i) {
    const T* a_row = g.a + i * g.a_rs;
    T* c_row = g.c + i * g.c_rs;
    // j0 loop: a chunk of the row accumulates on the stack (L1).
    for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
      const int64_t w = n - j0 < kChunk ? n - j0 : kChunk;
      for (int64_t j = 0; j < w; ++j) acc[j] = T(0);
      // p loop: rank-1 updates of the chunk in a fixed k order.
      for (int64_t p = 0; p < k; ++p) {
        const T aip = a_row[p * g.a_cs];
        const T* b_row = g.b + p * b_rs + j0 * b_cs;
        if (b_cs == 1) {
          for (int64_t j = 0; j < w; ++j) acc[j] += aip * b_row[j];
        } else {
          for (int64_t j = 0; j < w; ++j) acc[j] += aip * b_row[j * b_cs];
        }
      }
      T* c_out = c_row + j0 * c_cs;
      if (g.beta == T(0)) {
        for (int64_t j = 0; j < w; ++j) c_out[j * c_cs] = g.alpha * acc[j];
      } else {
        for (int64_t j = 0; j < w; ++j) c_out[j * c_cs] = g.beta * c_out[j * c_cs] + g.alpha * acc[j];
      }
      if (g.epi.active()) apply_epilogue(g.epi, i, j0, 1, w, c_out, g.c_rs, c_cs);
    }
  }
}

// Nothing packed (for 16x16x16 packing would cost more than the arithmetic): tiles of unpacked_mr rows read A's and
// B's rows where they are, all of it in L1/L2. A B with strided rows (x @ W.T) is first copied to contiguous rows in
// the pack buffer (k*n elements, at most work/m).
template <typename T>
void gemm_unpacked_tiles(const GemmPlan<T>& plan, GemmArgs<T> g) {
  if (g.b_cs != 1) {
    T* bp = static_cast<T*>(thread_pack_buffer(sizeof(T) * static_cast<std::size_t>(g.k * g.n)));
    for (int64_t p = 0; p < g.k; ++p)
      for (int64_t j = 0; j < g.n; ++j) bp[p * g.n + j] = g.b[p * g.b_rs + j * g.b_cs];
    g.b = bp;
    g.b_rs = g.n;
    g.b_cs = 1;
  }
  const GemmEpilogue<T>* epi = g.epi.active() ? &g.epi : nullptr;
  // i0 loop: a band of unpacked_mr rows of A, read in place and reused from L1 by every tile of the band.
  for (int64_t i0 = 0; i0 < g.m; i0 += plan.unpacked_mr) {
    const int rows = static_cast<int>(std::min<int64_t>(plan.unpacked_mr, g.m - i0));
    // j0 loop: one rows x NR tile of C per kernel call, accumulated in registers over all of k.
    for (int64_t j0 = 0; j0 < g.n; j0 += plan.nr) {
      const int cols = static_cast<int>(std::min<int64_t>(plan.nr, g.n - j0));
      T* c_tile = g.c + i0 * g.c_rs + j0;
      plan.unpacked(g.k, g.a + i0 * g.a_rs, g.a_rs, g.a_cs, g.b + j0, g.b_rs, c_tile, g.c_rs, g.alpha, g.beta, rows,
                    cols);
      if (epi != nullptr) apply_epilogue(*epi, i0, j0, rows, cols, c_tile, g.c_rs, g.c_cs);
    }
  }
}

template void gemm_plain_loops<float>(const GemmArgs<float>&);
template void gemm_plain_loops<double>(const GemmArgs<double>&);
template void gemm_unpacked_tiles<float>(const GemmPlan<float>&, GemmArgs<float>);
template void gemm_unpacked_tiles<double>(const GemmPlan<double>&, GemmArgs<double>);

}  // namespace pygrad::cpu::gemm_detail
