// The packed GEMM driver: the BLIS loop nest over packed panels of B and blocks of A, run by a thread team.
#include "backend/cpu/gemm/packed_driver.h"

#include <algorithm>
#include <cstddef>

#include "backend/cpu/gemm/blocksizes.h"
#include "backend/cpu/gemm/pack.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pygrad::cpu::gemm_detail {
namespace {

void team_barrier(int team) {
#ifdef _OPENMP
  if (team > 1) {
#pragma omp barrier
  }
#else
  (void)team;
#endif
}

// Writes the valid part of a micro-tile computed into tmp (tmp = alpha*AB) back to C with beta.
template <typename T>
void merge_tile(const T* tmp, int nr, int64_t mr_eff, int64_t nr_eff, T* c, int64_t c_rs, int64_t c_cs, T beta) {
  for (int64_t i = 0; i < mr_eff; ++i) {
    T* row = c + i * c_rs;
    const T* t = tmp + i * nr;
    if (beta == T(0)) {
      for (int64_t j = 0; j < nr_eff; ++j) row[j * c_cs] = t[j];
    } else {
      for (int64_t j = 0; j < nr_eff; ++j) row[j * c_cs] = beta * row[j * c_cs] + t[j];
    }
  }
}

// Macro-kernel: C block (mc_cur rows from row0) x columns [j0, j1) of the packed panel starting at column col0.
template <typename T>
void macro_kernel(const GemmPlan<T>& plan, int64_t kc, int64_t mc_cur, int64_t nc_cur, int64_t j0, int64_t j1,
                  const T* ap, const T* bp, T* c, int64_t c_rs, int64_t c_cs, T alpha, T beta,
                  const GemmEpilogue<T>* epi, int64_t row0, int64_t col0) {
  alignas(kAlign) T tmp[kMaxTileElems];
  const int mr = plan.mr;
  const int nr = plan.nr;
  // jr loop: one KC x NR sliver of B stays in L1 while the ir loop sweeps the packed A block from L2.
  for (int64_t jr = j0; jr < j1; jr += nr) {
    const int64_t nr_eff = std::min<int64_t>(nr, nc_cur - jr);
    const T* b_sliver = bp + jr * kc;
    // ir loop: one MR x NR tile of C per micro-kernel call, accumulated in registers over kc.
    for (int64_t ir = 0; ir < mc_cur; ir += mr) {
      const int64_t mr_eff = std::min<int64_t>(mr, mc_cur - ir);
      const T* a_sliver = ap + ir * kc;
      T* c_tile = c + ir * c_rs + jr * c_cs;
      if (mr_eff == mr && nr_eff == nr && c_cs == 1) {
        plan.micro(kc, a_sliver, b_sliver, c_tile, c_rs, alpha, beta);
      } else if (plan.edge != nullptr && c_cs == 1) {
        plan.edge(kc, a_sliver, b_sliver, c_tile, c_rs, alpha, beta, static_cast<int>(mr_eff),
                  static_cast<int>(nr_eff));
      } else {
        plan.micro(kc, a_sliver, b_sliver, tmp, nr, alpha, T(0));
        merge_tile(tmp, nr, mr_eff, nr_eff, c_tile, c_rs, c_cs, beta);
      }
      if (epi != nullptr) apply_epilogue(*epi, row0 + ir, col0 + jr, mr_eff, nr_eff, c_tile, c_rs, c_cs);
    }
  }
}

// Packing buffers: the shared KC x NC panel of B, then one MC x KC block of A per thread (64-byte aligned).
struct PackLayout {
  int64_t b_elems;
  int64_t a_elems;
};

template <typename T>
PackLayout pack_layout(const GemmPlan<T>& plan, const GemmArgs<T>& g) {
  constexpr int64_t kAlignElems = static_cast<int64_t>(kAlign / sizeof(T));
  const int64_t depth = std::min<int64_t>(slice_depth(plan, g.k), g.k);
  const int64_t b_cols = std::min<int64_t>(plan.nc, ceil_div(g.n, plan.nr) * plan.nr);
  const int64_t a_rows = std::min<int64_t>(plan.mc, ceil_div(g.m, plan.mr) * plan.mr);
  return PackLayout{ceil_div(b_cols * depth, kAlignElems) * kAlignElems,
                    ceil_div(a_rows * depth, kAlignElems) * kAlignElems};
}

// One thread's share of the packed algorithm; every thread of the team runs the same jc/pc loops.
// prepacked: B's panels already packed (pack_gemm_b's layout, `block` elements per panel and slice): no packing
// of B and no barriers.
template <typename T>
void packed_thread(const GemmPlan<T>& plan, const GemmArgs<T>& g, T* pack, PackLayout layout, int tid, int team,
                   const T* prepacked, int64_t block) {
  const int mr = plan.mr;
  const int nr = plan.nr;
  const ThreadSplit split = choose_split(team, g.m, g.n, mr, nr, plan.nc);
  const int ic_id = tid / split.jr_ways;
  const int jr_id = tid % split.jr_ways;
  // Rows split evenly (128 rows on 2 threads: 64 + 64, not 70 + 58 in whole MR tiles); edge tiles absorb the rest.
  const int64_t row_lo = g.m * ic_id / split.ic_ways;
  const int64_t row_hi = g.m * (ic_id + 1) / split.ic_ways;
  const int64_t kc_max = slice_depth(plan, g.k);
  T* bp = pack;
  T* ap = pack + layout.b_elems + tid * layout.a_elems;
  bool first = true;
  // jc loop: one KC x NC panel of B at a time, packed once for the whole team and kept in L3.
  for (int64_t jc = 0; jc < g.n; jc += plan.nc) {
    const int64_t nc_cur = std::min<int64_t>(plan.nc, g.n - jc);
    const int64_t panel_tiles = ceil_div(nc_cur, nr);
    const int64_t j0 = panel_tiles * jr_id / split.jr_ways * nr;
    const int64_t j1 = panel_tiles * (jr_id + 1) / split.jr_ways * nr;
    // pc loop: KC slices of the shared dimension, summed in a fixed order; beta applies on the first only.
    for (int64_t pc = 0; pc < g.k; pc += kc_max) {
      const int64_t kc = std::min<int64_t>(kc_max, g.k - pc);
      if (prepacked != nullptr) {
        bp = const_cast<T*>(prepacked) + ((jc / plan.nc) * ceil_div(g.k, kc_max) + pc / kc_max) * block;
      } else {
        if (!first) team_barrier(team);
        first = false;
        // Each thread packs its share of the panel's NR slivers; the barrier publishes the whole panel.
        pack_b_panel(plan, bp, g.b + pc * g.b_rs + jc * g.b_cs, g.b_rs, g.b_cs, nc_cur, kc, panel_tiles * tid / team,
                     panel_tiles * (tid + 1) / team);
        team_barrier(team);
      }
      if (j0 >= j1) continue;
      const T beta = pc == 0 ? g.beta : T(1);
      // ic loop: an MC x KC block of A packed into this thread's buffer, reused from L2 by every jr.
      for (int64_t ic = row_lo; ic < row_hi; ic += plan.mc) {
        const int64_t mc_cur = std::min<int64_t>(plan.mc, row_hi - ic);
        pack_a_block(plan, ap, g.a + ic * g.a_rs + pc * g.a_cs, g.a_rs, g.a_cs, mc_cur, kc);
        const GemmEpilogue<T>* epi = g.epi.active() && pc + kc >= g.k ? &g.epi : nullptr;
        macro_kernel(plan, kc, mc_cur, nc_cur, j0, j1, ap, bp, g.c + ic * g.c_rs + jc * g.c_cs, g.c_rs, g.c_cs, g.alpha,
                     beta, epi, ic, jc);
      }
    }
  }
}

// m <= MR: every element of B meets one row tile only, so B is read in place (no pack); A is packed once as a
// single MR-wide sliver over all of k; threads split N only.
template <typename T>
void b_in_place_thread(const GemmPlan<T>& plan, const GemmArgs<T>& g, const T* ap, int tid, int team) {
  const int nr = plan.nr;
  const int64_t n_tiles = ceil_div(g.n, nr);
  const GemmEpilogue<T>* epi = g.epi.active() ? &g.epi : nullptr;
  // jr loop: one MR x NR tile of C per call, its k products summed in one register pass.
  for (int64_t t = n_tiles * tid / team; t < n_tiles * (tid + 1) / team; ++t) {
    const int64_t jr = t * nr;
    const int64_t nr_eff = std::min<int64_t>(nr, g.n - jr);
    T* c_tile = g.c + jr;
    plan.direct_b(g.k, ap, g.b + jr, g.b_rs, c_tile, g.c_rs, g.alpha, g.beta, static_cast<int>(g.m),
                  static_cast<int>(nr_eff));
    if (epi != nullptr) apply_epilogue(*epi, 0, jr, g.m, nr_eff, c_tile, g.c_rs, g.c_cs);
  }
}

}  // namespace

template <typename T>
void gemm_packed(const GemmPlan<T>& plan, const GemmArgs<T>& g, int team, const T* prepacked, int64_t block) {
  const PackLayout layout = pack_layout(plan, g);
  const int64_t elems = layout.b_elems + team * layout.a_elems;
  T* pack = static_cast<T*>(thread_pack_buffer(sizeof(T) * static_cast<std::size_t>(elems)));
  if (team > 1) {
#ifdef _OPENMP
#pragma omp parallel num_threads(team)
    packed_thread(plan, g, pack, layout, omp_get_thread_num(), omp_get_num_threads(), prepacked, block);
#endif
  } else {
    packed_thread(plan, g, pack, layout, 0, 1, prepacked, block);
  }
}

template <typename T>
int64_t packed_b_block(const GemmPlan<T>& plan, int64_t k, int64_t n) {
  GemmArgs<T> shape{};
  shape.m = 1, shape.n = n, shape.k = k;
  return pack_layout(plan, shape).b_elems;
}

template <typename T>
void gemm_b_in_place(const GemmPlan<T>& plan, const GemmArgs<T>& g, int team) {
  constexpr int64_t kAlignElems = static_cast<int64_t>(kAlign / sizeof(T));
  T* ap = static_cast<T*>(
      thread_pack_buffer(sizeof(T) * static_cast<std::size_t>(ceil_div(g.k * plan.mr, kAlignElems) * kAlignElems)));
  pack_a_block(plan, ap, g.a, g.a_rs, g.a_cs, g.m, g.k);
  if (team > 1) {
#ifdef _OPENMP
#pragma omp parallel num_threads(team)
    b_in_place_thread(plan, g, ap, omp_get_thread_num(), omp_get_num_threads());
#endif
  } else {
    b_in_place_thread(plan, g, ap, 0, 1);
  }
}

template void gemm_packed<float>(const GemmPlan<float>&, const GemmArgs<float>&, int, const float*, int64_t);
template void gemm_packed<double>(const GemmPlan<double>&, const GemmArgs<double>&, int, const double*, int64_t);
template int64_t packed_b_block<float>(const GemmPlan<float>&, int64_t, int64_t);
template int64_t packed_b_block<double>(const GemmPlan<double>&, int64_t, int64_t);
template void gemm_b_in_place<float>(const GemmPlan<float>&, const GemmArgs<float>&, int);
template void gemm_b_in_place<double>(const GemmPlan<double>&, const GemmArgs<double>&, int);

}  // namespace pygrad::cpu::gemm_detail
