// The GEMM plan: per-ISA kernels loaded once, joined with their blocksize row, and the thread cost model.
#include "backend/cpu/gemm/gemm_plan.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "backend/cpu/gemm/blocksizes.h"
#include "backend/cpu/gemm/micro_kernels.h"

namespace pygrad::cpu {
namespace gemm_detail {
namespace {

constexpr double kWorkPerThread = 64.0 * 64.0 * 64.0;  // multiply-adds each extra thread must get
constexpr int64_t kMaxMc = 1024;                       // rows of A per block, at most (huge L2s gain nothing more)

struct IsaKernels {
  MicroKernelSet set;
  CpuCapability isa;
};

bool usable(const MicroKernelSet& s) { return s.f32 != nullptr && s.f64 != nullptr; }

IsaKernels load_kernels(CpuCapability wanted) {
  const CpuCapability detected = detected_cpu_capability();
  if (wanted >= CpuCapability::Avx512 && detected >= CpuCapability::Avx512) {
    const MicroKernelSet s = avx512_micro_kernels();
    if (usable(s)) return {s, CpuCapability::Avx512};
  }
  if (wanted >= CpuCapability::Avx2 && detected >= CpuCapability::Avx2) {
    const MicroKernelSet s = avx2_micro_kernels();
    if (usable(s)) return {s, CpuCapability::Avx2};
  }
  return {portable_micro_kernels(), CpuCapability::Portable};
}

const IsaKernels& kernels_for(CpuCapability c) {
  static const IsaKernels table[3] = {load_kernels(CpuCapability::Portable), load_kernels(CpuCapability::Avx2),
                                      load_kernels(CpuCapability::Avx512)};
  return table[static_cast<int>(c)];
}

const IsaBlocksizes& blocksizes_for(CpuCapability isa) { return kBlockTable[static_cast<int>(isa)]; }

// PYGRAD_GEMM_BLOCKS="mc,kc,nc": float32 cache blocks for experiments, read once; MC and NC are rounded up to
// whole MR / NR tiles of the level in use. A malformed value is reported when pygrad is imported.
struct BlockOverride {
  bool active = false;
  long long mc = 0, kc = 0, nc = 0;
  std::string error;
};

const BlockOverride& block_override() {
  static const BlockOverride parsed = [] {
    BlockOverride o;
    const char* text = std::getenv("PYGRAD_GEMM_BLOCKS");
    if (text == nullptr || *text == '\0') return o;
    char tail = 0;
    if (std::sscanf(text, "%lld,%lld,%lld%c", &o.mc, &o.kc, &o.nc, &tail) != 3 || o.mc < 1 || o.kc < 1 || o.nc < 1 ||
        o.mc > (1 << 20) || o.kc > (1 << 20) || o.nc > (1 << 24)) {
      o.error = std::string("PYGRAD_GEMM_BLOCKS='") + text +
                "' is not 'mc,kc,nc' with three positive block sizes (mc, kc <= 2^20, nc <= 2^24)";
      return o;
    }
    o.active = true;
    return o;
  }();
  return parsed;
}

// MC and NC from this CPU's caches, as BLIS's analytical model does (Low et al. 2016), with KC the level's measured
// depth: the packed MC x KC block of A takes two thirds of L2 (the B sliver in use and C's tile the rest), the
// KC x NC panel of B at most half of L3 and never more than the level's measured NC. A cache the CPU does not
// report keeps the table's value. (KC stays measured: on the AVX-512 machines seen, a deep KC that leaves the B
// sliver in L2 beat an L1-sized one by 5-10%.)
GemmBlocksizes from_caches(GemmBlocksizes b, int64_t elem) {
  const CpuCaches& c = cpu_caches();
  const int64_t panel_row = static_cast<int64_t>(b.kc) * elem;  // bytes of one row (A) or column (B) at depth KC
  if (c.l2 > 0) {
    const int64_t rows = static_cast<int64_t>(c.l2) * 2 / 3 / panel_row / b.mr * b.mr;
    b.mc = static_cast<int>(std::clamp<int64_t>(rows, 2 * b.mr, kMaxMc / b.mr * b.mr));
  }
  if (c.l3 > 0) {
    const int64_t cols = static_cast<int64_t>(c.l3) / 2 / panel_row / b.nr * b.nr;
    b.nc = static_cast<int>(std::clamp<int64_t>(cols, 4 * b.nr, b.nc));
  }
  return b;
}

// The level's float32 blocks: from the caches, then the override.
GemmBlocksizes f32_blocks(const IsaBlocksizes& row) {
  GemmBlocksizes b = from_caches(row.f32, sizeof(float));
  const BlockOverride& o = block_override();
  if (o.active) {
    b.mc = static_cast<int>(ceil_div(o.mc, b.mr) * b.mr);
    b.kc = static_cast<int>(o.kc);
    b.nc = static_cast<int>(ceil_div(o.nc, b.nr) * b.nr);
  }
  return b;
}

}  // namespace

template <>
GemmPlan<float> plan_for<float>(CpuCapability c) {
  const IsaKernels& k = kernels_for(c);
  const IsaBlocksizes& row = blocksizes_for(k.isa);
  const GemmBlocksizes b = f32_blocks(row);
  GemmPlan<float> plan{k.set.f32,         b.mr, b.nr, b.mc, b.kc, b.nc, k.set.f32_edge, k.set.f32_pack_kcontig,
                       k.set.f32_direct_b};
  plan.unpacked = k.set.f32_unpacked;
  plan.unpacked_mr = row.f32_unpacked_mr;
  return plan;
}

template <>
GemmPlan<double> plan_for<double>(CpuCapability c) {
  const IsaKernels& k = kernels_for(c);
  const GemmBlocksizes b = from_caches(blocksizes_for(k.isa).f64, sizeof(double));
  return GemmPlan<double>{k.set.f64, b.mr, b.nr, b.mc, b.kc, b.nc, nullptr, nullptr, nullptr};
}

int choose_team(int num_threads, int64_t m, int64_t n, int64_t k, int mr, int nr) {
#ifdef _OPENMP
  if (num_threads <= 1) return 1;
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const double by_work = work / kWorkPerThread;
  const double tiles = static_cast<double>(ceil_div(m, mr)) * static_cast<double>(ceil_div(n, nr));
  const double team = std::min({static_cast<double>(num_threads), by_work, tiles});
  return team < 2.0 ? 1 : static_cast<int>(team);
#else
  (void)num_threads, (void)m, (void)n, (void)k, (void)mr, (void)nr;
  return 1;
#endif
}

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

}  // namespace gemm_detail

GemmBlocksizes gemm_blocksizes(bool f64) {
  const gemm_detail::IsaBlocksizes& row = gemm_detail::blocksizes_for(gemm_detail::kernels_for(cpu_capability()).isa);
  return f64 ? gemm_detail::from_caches(row.f64, sizeof(double)) : gemm_detail::f32_blocks(row);
}

const std::string& gemm_blocks_override_error() { return gemm_detail::block_override().error; }

}  // namespace pygrad::cpu
