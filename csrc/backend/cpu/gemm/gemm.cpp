// GEMM driver: BLIS loop nest (NC, KC, MC, NR, MR), packing, M/N thread split and the per-ISA blocksize table.
#include "backend/cpu/gemm/gemm.h"

#include <algorithm>
#include <cstddef>
#include <new>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm/micro_kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pygrad::cpu {
namespace {

using gemm_detail::MicroKernelSet;

// Cache blocking: kc keeps a KC x NR sliver of B in L1, mc a packed MC x KC block of A in L2 and nc a packed
// KC x NC panel of B in L3. mc and nc are rounded down to multiples of the micro-tile at plan time.
struct CacheBlocks {
  int mc;
  int kc;
  int nc;
};

struct BlockTableRow {
  CpuCapability isa;
  CacheBlocks f32;
  CacheBlocks f64;
};

constexpr BlockTableRow kBlockTable[] = {
    {CpuCapability::Portable, {96, 256, 4096}, {96, 256, 2048}},
    {CpuCapability::Avx2, {144, 256, 4096}, {96, 256, 2048}},
    // fp32 KC = 1024: on Zen 4 fewer C passes beat an L1-resident B sliver (1 thread, 1024^2: 90% of peak vs 85%
    // at KC = 256; 128x512x784: 89% vs 85%), and MC = 168 keeps the A block in a 1 MB L2 at that depth.
    {CpuCapability::Avx512, {168, 1024, 4096}, {168, 256, 2048}},
};

constexpr double kDirectMaxWork = 32.0 * 32.0 * 32.0;   // m*n*k below this: plain loops, no packing
constexpr double kSmallMaxWork = 80.0 * 80.0 * 80.0;    // m*n*k up to this: one thread, nothing packed
constexpr double kWorkPerThread = 64.0 * 64.0 * 64.0;   // multiply-adds each extra thread must get
constexpr int kMaxTileElems = 512;                      // largest mr*nr of any micro-kernel
constexpr std::size_t kAlign = 64;

template <typename T>
using MicroKernel = void (*)(int64_t, const T*, const T*, T*, int64_t, T, T);

template <typename T>
using EdgeKernel = void (*)(int64_t, const T*, const T*, T*, int64_t, T, T, int, int);

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

struct IsaKernels {
  MicroKernelSet set;
  CpuCapability isa;
};

bool usable(const MicroKernelSet& s) {
  return s.f32 != nullptr && s.f64 != nullptr && s.f32_tile.mr * s.f32_tile.nr <= kMaxTileElems &&
         s.f64_tile.mr * s.f64_tile.nr <= kMaxTileElems;
}

IsaKernels load_kernels(CpuCapability wanted) {
  const CpuCapability detected = detected_cpu_capability();
  if (wanted >= CpuCapability::Avx512 && detected >= CpuCapability::Avx512) {
    const MicroKernelSet s = gemm_detail::avx512_micro_kernels();
    if (usable(s)) return {s, CpuCapability::Avx512};
  }
  if (wanted >= CpuCapability::Avx2 && detected >= CpuCapability::Avx2) {
    const MicroKernelSet s = gemm_detail::avx2_micro_kernels();
    if (usable(s)) return {s, CpuCapability::Avx2};
  }
  return {gemm_detail::portable_micro_kernels(), CpuCapability::Portable};
}

const IsaKernels& kernels_for(CpuCapability c) {
  static const IsaKernels table[3] = {load_kernels(CpuCapability::Portable), load_kernels(CpuCapability::Avx2),
                                      load_kernels(CpuCapability::Avx512)};
  return table[static_cast<int>(c)];
}

const BlockTableRow& blocks_for(CpuCapability isa) {
  for (const BlockTableRow& row : kBlockTable) {
    if (row.isa == isa) return row;
  }
  return kBlockTable[0];
}

template <typename T>
GemmPlan<T> make_plan(MicroKernel<T> micro, gemm_detail::MicroTile tile, CacheBlocks blocks) {
  GemmPlan<T> plan{micro, tile.mr, tile.nr, blocks.mc, blocks.kc, blocks.nc, nullptr, nullptr, nullptr};
  plan.mc = std::max(plan.mr, plan.mc / plan.mr * plan.mr);
  plan.nc = std::max(plan.nr, plan.nc / plan.nr * plan.nr);
  return plan;
}

template <typename T>
GemmPlan<T> plan_for(CpuCapability c);

template <>
GemmPlan<float> plan_for<float>(CpuCapability c) {
  const IsaKernels& k = kernels_for(c);
  GemmPlan<float> plan = make_plan<float>(k.set.f32, k.set.f32_tile, blocks_for(k.isa).f32);
  plan.edge = k.set.f32_edge;
  plan.pack_kcontig = k.set.f32_pack_kcontig;
  plan.direct_b = k.set.f32_direct_b;
  plan.unpacked = k.set.f32_unpacked;
  plan.unpacked_mr = k.set.f32_unpacked_mr;
  return plan;
}

template <>
GemmPlan<double> plan_for<double>(CpuCapability c) {
  const IsaKernels& k = kernels_for(c);
  return make_plan<double>(k.set.f64, k.set.f64_tile, blocks_for(k.isa).f64);
}

// A grow-only 64-byte aligned buffer owned by the calling thread, reused across calls; it holds the shared B
// panel and one A block per team member, all allocated before any parallel region starts.
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { release(); }

  void* get(std::size_t bytes) {
    if (bytes > bytes_) {
      release();
      ptr_ = ::operator new(bytes, std::align_val_t(kAlign));
      bytes_ = bytes;
    }
    return ptr_;
  }

 private:
  void release() {
    if (ptr_ != nullptr) ::operator delete(ptr_, std::align_val_t(kAlign));
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

thread_local ScratchBuffer t_pack_scratch;

template <typename T>
struct GemmEpilogue {
  const T* bias = nullptr;  // bias[j * bias_stride] added to column j (row j when on_rows)
  int64_t bias_stride = 1;
  bool on_rows = false;     // the problem was transposed: the bias follows C's rows
  Activation act = Activation::None;
  bool active() const { return bias != nullptr || act != Activation::None; }
};

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

int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

void team_barrier(int team) {
#ifdef _OPENMP
  if (team > 1) {
#pragma omp barrier
  }
#else
  (void)team;
#endif
}

// Epilogue on a finished tile of C (rows row0.., columns col0.. of the whole problem): bias, then activation.
template <typename T>
void apply_epilogue(const GemmEpilogue<T>& epi, int64_t row0, int64_t col0, int64_t mr_eff, int64_t nr_eff, T* c,
                    int64_t c_rs, int64_t c_cs) {
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

// Small problems and matrix-vector products: no packing, no threads; each C(i,j) sums its k products in a fixed
// order (rank-1 updates of a row chunk, or a lane-split dot product when k is contiguous in both operands).
template <typename T>
void gemm_direct(const GemmArgs<T>& g) {
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

// Packs a W x kc sliver, zero-padded past `valid`: dst[p*W + i] = src[i*s_i + p*s_p].
template <typename T, int W>
void pack_sliver_fixed(T* __restrict dst, const T* __restrict src, int64_t valid, int64_t kc, int64_t s_i,
                       int64_t s_p) {
  if (s_i == 1 && valid == W) {
    // p loop: the sliver's row p is one contiguous run of the source.
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * s_p;
      T* d = dst + p * W;
      for (int i = 0; i < W; ++i) d[i] = s[i];
    }
    return;
  }
  if (s_p == 1 && valid == W) {
    constexpr int64_t kStep = 8;
    int64_t p0 = 0;
    // p0 loop: an 8-wide column strip of all W source lines at once, so every line streams in parallel.
    for (; p0 + kStep <= kc; p0 += kStep) {
      for (int i = 0; i < W; ++i) {
        const T* s = src + i * s_i + p0;
        for (int64_t q = 0; q < kStep; ++q) dst[(p0 + q) * W + i] = s[q];
      }
    }
    for (; p0 < kc; ++p0) {
      for (int i = 0; i < W; ++i) dst[p0 * W + i] = src[i * s_i + p0];
    }
    return;
  }
  // Edge slivers and general strides: element by element along p, zero rows past `valid`.
  for (int64_t p = 0; p < kc; ++p) {
    const T* s = src + p * s_p;
    T* d = dst + p * W;
    for (int64_t i = 0; i < valid; ++i) d[i] = s[i * s_i];
    for (int64_t i = valid; i < W; ++i) d[i] = T(0);
  }
}

template <typename T>
void pack_sliver_any(T* __restrict dst, const T* __restrict src, int64_t valid, int w, int64_t kc, int64_t s_i,
                     int64_t s_p) {
  for (int64_t p = 0; p < kc; ++p) {
    const T* s = src + p * s_p;
    T* d = dst + p * w;
    for (int64_t i = 0; i < valid; ++i) d[i] = s[i * s_i];
    for (int64_t i = valid; i < w; ++i) d[i] = T(0);
  }
}

// Packs a w x kc sliver of A (w = MR) or B (w = NR); the micro-tile widths in use get fixed-width code.
template <typename T>
void pack_sliver(T* dst, const T* src, int64_t valid, int w, int64_t kc, int64_t s_i, int64_t s_p) {
  switch (w) {
    case 4:
      return pack_sliver_fixed<T, 4>(dst, src, valid, kc, s_i, s_p);
    case 6:
      return pack_sliver_fixed<T, 6>(dst, src, valid, kc, s_i, s_p);
    case 8:
      return pack_sliver_fixed<T, 8>(dst, src, valid, kc, s_i, s_p);
    case 14:
      return pack_sliver_fixed<T, 14>(dst, src, valid, kc, s_i, s_p);
    case 16:
      return pack_sliver_fixed<T, 16>(dst, src, valid, kc, s_i, s_p);
    case 32:
      return pack_sliver_fixed<T, 32>(dst, src, valid, kc, s_i, s_p);
    default:
      return pack_sliver_any(dst, src, valid, w, kc, s_i, s_p);
  }
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

// Packs one sliver, through the ISA's transposing pack when the source lines run along k.
template <typename T>
void pack_any(const GemmPlan<T>& plan, T* dst, const T* src, int64_t valid, int w, int64_t kc, int64_t s_i,
              int64_t s_p) {
  if (plan.pack_kcontig != nullptr && s_p == 1 && s_i != 1 && w <= 32) {
    plan.pack_kcontig(dst, src, valid, w, kc, s_i);
  } else {
    pack_sliver(dst, src, valid, w, kc, s_i, s_p);
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

struct ThreadSplit {
  int ic_ways;
  int jr_ways;
};

// Splits the team over M (whole MR tiles) and N (whole NR tiles); extra A packing when N is split.
ThreadSplit choose_split(int team, int64_t m, int64_t n, int mr, int nr, int nc) {
  const int64_t n_tiles = ceil_div(std::min<int64_t>(n, nc), nr);
  ThreadSplit best{team, 1};
  double best_cost = -1.0;
  for (int ic = team; ic >= 1; --ic) {
    if (team % ic != 0) continue;
    const int jr = team / ic;
    // A thread's rows cost whole MR-tile passes over packed B: 16 rows are a full 14-row pass plus a 2-row one.
    const double rows = static_cast<double>(ceil_div(ceil_div(m, ic), mr) * mr);
    const double cols = static_cast<double>(ceil_div(n_tiles, jr) * nr);
    const double cost = rows * (cols + 16.0);
    if (best_cost < 0.0 || cost < best_cost) {
      best_cost = cost;
      best = ThreadSplit{ic, jr};
    }
  }
  return best;
}

// KC slice depth: the k extent cut into equal slices of at most plan.kc (784 = 4 x 196, not 3 x 256 + 16), so
// no short last slice re-reads C for a few k steps. Depends on k only: the same at every thread count.
template <typename T>
int64_t slice_depth(const GemmPlan<T>& plan, int64_t k) {
  return ceil_div(k, ceil_div(k, plan.kc));
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
template <typename T>
void gemm_packed(const GemmPlan<T>& plan, const GemmArgs<T>& g, T* pack, PackLayout layout, int tid, int team) {
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
      if (!first) team_barrier(team);
      first = false;
      // B packing: each thread packs its share of the panel's NR slivers.
      for (int64_t t = panel_tiles * tid / team; t < panel_tiles * (tid + 1) / team; ++t) {
        const int64_t col = t * nr;
        pack_any(plan, bp + col * kc, g.b + pc * g.b_rs + (jc + col) * g.b_cs, std::min<int64_t>(nr, nc_cur - col), nr,
                    kc, g.b_cs, g.b_rs);
      }
      team_barrier(team);
      if (j0 >= j1) continue;
      const T beta = pc == 0 ? g.beta : T(1);
      // ic loop: an MC x KC block of A packed into this thread's buffer, reused from L2 by every jr.
      for (int64_t ic = row_lo; ic < row_hi; ic += plan.mc) {
        const int64_t mc_cur = std::min<int64_t>(plan.mc, row_hi - ic);
        // A packing: MR-row slivers, each contiguous in k as the micro-kernel reads it.
        for (int64_t ir = 0; ir < mc_cur; ir += mr) {
          pack_any(plan, ap + ir * kc, g.a + (ic + ir) * g.a_rs + pc * g.a_cs, std::min<int64_t>(mr, mc_cur - ir), mr,
                      kc, g.a_rs, g.a_cs);
        }
        const GemmEpilogue<T>* epi = g.epi.active() && pc + kc >= g.k ? &g.epi : nullptr;
        macro_kernel(plan, kc, mc_cur, nc_cur, j0, j1, ap, bp, g.c + ic * g.c_rs + jc * g.c_cs, g.c_rs, g.c_cs,
                     g.alpha, beta, epi, ic, jc);
      }
    }
  }
}

// m <= MR: every element of B meets one row tile only, so B is read in place (no pack); A is packed once as a
// single MR-wide sliver over all of k; threads split N only.
template <typename T>
void gemm_small_m(const GemmPlan<T>& plan, const GemmArgs<T>& g, const T* ap, int tid, int team) {
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

// Small products on one thread with nothing packed (for 16x16x16 packing would cost more than the arithmetic):
// tiles of unpacked_mr rows read A's and B's rows where they are, all of it in L1/L2. A B with strided rows
// (x @ W.T) is first copied to contiguous rows in `bp` (k*n elements, at most work/m).
template <typename T>
void gemm_small(const GemmPlan<T>& plan, GemmArgs<T> g, T* bp) {
  if (g.b_cs != 1) {
    for (int64_t p = 0; p < g.k; ++p)
      for (int64_t j = 0; j < g.n; ++j) bp[p * g.n + j] = g.b[p * g.b_rs + j * g.b_cs];
    g.b = bp;
    g.b_rs = g.n;
    g.b_cs = 1;
  }
  const GemmEpilogue<T>* epi = g.epi.active() ? &g.epi : nullptr;
  for (int64_t i0 = 0; i0 < g.m; i0 += plan.unpacked_mr) {
    const int rows = static_cast<int>(std::min<int64_t>(plan.unpacked_mr, g.m - i0));
    for (int64_t j0 = 0; j0 < g.n; j0 += plan.nr) {
      const int cols = static_cast<int>(std::min<int64_t>(plan.nr, g.n - j0));
      T* c_tile = g.c + i0 * g.c_rs + j0;
      plan.unpacked(g.k, g.a + i0 * g.a_rs, g.a_rs, g.a_cs, g.b + j0, g.b_rs, c_tile, g.c_rs, g.alpha, g.beta, rows,
                    cols);
      if (epi != nullptr) apply_epilogue(*epi, i0, j0, rows, cols, c_tile, g.c_rs, g.c_cs);
    }
  }
}

template <typename T>
int choose_team(int num_threads, const GemmArgs<T>& g, int mr, int nr) {
#ifdef _OPENMP
  if (num_threads <= 1) return 1;
  const double work = static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  const double by_work = work / kWorkPerThread;
  const double tiles = static_cast<double>(ceil_div(g.m, mr)) * static_cast<double>(ceil_div(g.n, nr));
  const double team = std::min({static_cast<double>(num_threads), by_work, tiles});
  return team < 2.0 ? 1 : static_cast<int>(team);
#else
  (void)num_threads;
  (void)g;
  (void)mr;
  (void)nr;
  return 1;
#endif
}

// C^T = B^T A^T: the same problem with the roles of rows and columns exchanged (bias then follows rows).
template <typename T>
GemmArgs<T> transposed(const GemmArgs<T>& g) {
  GemmArgs<T> t{g.n, g.m, g.k, g.alpha, g.b, g.b_cs, g.b_rs, g.a, g.a_cs, g.a_rs, g.beta, g.c, g.c_cs, g.c_rs, g.epi};
  t.epi.on_rows = !g.epi.on_rows;
  return t;
}

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
    T* scratch = g.b_cs == 1 ? nullptr
                             : static_cast<T*>(t_pack_scratch.get(sizeof(T) * static_cast<std::size_t>(g.k * g.n)));
    gemm_small(plan, g, scratch);
    return;
  }
  if (work < kDirectMaxWork || g.m == 1 || g.n == 1) {
    // Matrix-vector: prefer the form whose k runs are contiguous (a dot product) or whose rows are (axpy).
    if (g.n == 1 && !(g.a_cs == 1 && g.b_rs == 1)) g = transposed(g);
    gemm_direct(g);
    return;
  }
  if (g.n < plan.nr / 2 && g.m > 2 * g.n) {
    // Few columns: with exchanged roles the narrow side fills the MR rows of a tile instead of padding NR lanes.
    g = transposed(g);
  }
  const int team = choose_team(num_threads, g, plan.mr, plan.nr);
  if (plan.direct_b != nullptr && g.m <= plan.mr && g.b_cs == 1 && g.c_cs == 1) {
    constexpr int64_t kAlignElems = static_cast<int64_t>(kAlign / sizeof(T));
    T* ap = static_cast<T*>(t_pack_scratch.get(
        sizeof(T) * static_cast<std::size_t>(ceil_div(g.k * plan.mr, kAlignElems) * kAlignElems)));
    pack_any(plan, ap, g.a, g.m, plan.mr, g.k, g.a_rs, g.a_cs);
    if (team > 1) {
#ifdef _OPENMP
#pragma omp parallel num_threads(team)
      gemm_small_m(plan, g, ap, omp_get_thread_num(), omp_get_num_threads());
#endif
    } else {
      gemm_small_m(plan, g, ap, 0, 1);
    }
    return;
  }
  const PackLayout layout = pack_layout(plan, g);
  const int64_t elems = layout.b_elems + team * layout.a_elems;
  T* pack = static_cast<T*>(t_pack_scratch.get(sizeof(T) * static_cast<std::size_t>(elems)));
  if (team > 1) {
#ifdef _OPENMP
#pragma omp parallel num_threads(team)
    gemm_packed(plan, g, pack, layout, omp_get_thread_num(), omp_get_num_threads());
#endif
  } else {
    gemm_packed(plan, g, pack, layout, 0, 1);
  }
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

}  // namespace

void gemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride, int64_t a_col_stride,
          const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta, float* c, int64_t c_row_stride,
          int64_t c_col_stride, int num_threads) {
  gemm_entry<float>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                    c_row_stride, c_col_stride, nullptr, 1, Activation::None, num_threads);
}

void gemm(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride,
          int64_t a_col_stride, const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta, double* c,
          int64_t c_row_stride, int64_t c_col_stride, int num_threads) {
  gemm_entry<double>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                     c_row_stride, c_col_stride, nullptr, 1, Activation::None, num_threads);
}

void gemm_bias_act(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride,
                   int64_t a_col_stride, const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta,
                   float* c, int64_t c_row_stride, int64_t c_col_stride, const float* bias, int64_t bias_stride,
                   Activation act, int num_threads) {
  gemm_entry<float>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                    c_row_stride, c_col_stride, bias, bias_stride, act, num_threads);
}

void gemm_bias_act(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride,
                   int64_t a_col_stride, const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta,
                   double* c, int64_t c_row_stride, int64_t c_col_stride, const double* bias, int64_t bias_stride,
                   Activation act, int num_threads) {
  gemm_entry<double>(m, n, k, alpha, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, beta, c,
                     c_row_stride, c_col_stride, bias, bias_stride, act, num_threads);
}

GemmBlocksizes gemm_blocksizes(bool f64) {
  const CpuCapability isa = cpu_capability();
  if (f64) {
    const GemmPlan<double> p = plan_for<double>(isa);
    return GemmBlocksizes{p.mr, p.nr, p.mc, p.kc, p.nc};
  }
  const GemmPlan<float> p = plan_for<float>(isa);
  return GemmBlocksizes{p.mr, p.nr, p.mc, p.kc, p.nc};
}

}  // namespace pygrad::cpu
