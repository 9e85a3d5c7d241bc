// The per-ISA GEMM blocksize table: one row gives a level's register tiles (MR x NR) and cache blocks (MC, KC, NC).
#pragma once

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm/gemm.h"

// Data and compile-time checks only: the micro-kernel files include this under their own ISA flags, so nothing here
// may become code that another file could link to.
namespace pygrad::cpu::gemm_detail {

// Largest mr * nr of any row: the driver's buffer for a partial tile computed whole.
constexpr int kMaxTileElems = 512;

// In GemmBlocksizes, mr x nr is the micro-kernel's register tile (rows of A by columns of B); kc keeps a KC x NR
// sliver of B in L1, mc a packed MC x KC block of A in L2 and nc a packed KC x NC panel of B in L3.
struct IsaBlocksizes {
  CpuCapability isa;
  GemmBlocksizes f32;
  GemmBlocksizes f64;
  int f32_unpacked_mr;  // rows of the small-product tile that reads A in place (0: the level has no such kernel)
};

// Indexed by CpuCapability; tuned by benchmark. Fields: {mr, nr, mc, kc, nc}.
inline constexpr IsaBlocksizes kBlockTable[] = {
    {CpuCapability::Portable, {4, 8, 96, 256, 4096}, {4, 4, 96, 256, 2048}, 0},
    {CpuCapability::Avx2, {6, 16, 144, 256, 4096}, {6, 8, 96, 256, 2048}, 6},
    // fp32 KC = 1024: on Zen 4 fewer C passes beat an L1-resident B sliver (1 thread, 1024^2: 90% of peak vs 85%
    // at KC = 256; 128x512x784: 89% vs 85%), and MC = 168 keeps the A block in a 1 MB L2 at that depth.
    // Unpacked tiles are 8 rows at most: the row addresses a + i*a_rs then fit in registers with 16 accumulators.
    {CpuCapability::Avx512, {14, 32, 168, 1024, 4096}, {14, 16, 168, 256, 2048}, 8},
};

// MC and NC hold whole tiles, and a tile fits the driver's partial-tile buffer.
constexpr bool whole_tiles(const GemmBlocksizes& b) {
  return b.mr >= 1 && b.nr >= 1 && b.mc >= b.mr && b.mc % b.mr == 0 && b.nc >= b.nr && b.nc % b.nr == 0 && b.kc >= 1 &&
         b.mr * b.nr <= kMaxTileElems;
}

constexpr bool table_well_formed() {
  int level = 0;
  for (const IsaBlocksizes& row : kBlockTable) {
    if (static_cast<int>(row.isa) != level++ || !whole_tiles(row.f32) || !whole_tiles(row.f64)) return false;
  }
  return level == static_cast<int>(CpuCapability::Avx512) + 1;
}
static_assert(table_well_formed(), "kBlockTable: one row per CpuCapability, in order, with whole tiles per block");

}  // namespace pygrad::cpu::gemm_detail
