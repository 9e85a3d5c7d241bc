// GEMM paths for small problems that read A and B where they are: plain loops and unpacked micro-kernel tiles.
#pragma once

#include "backend/cpu/gemm/gemm_plan.h"

namespace pygrad::cpu::gemm_detail {

// Small problems and matrix-vector products in plain loops: no packing, no threads, any strides.
template <typename T>
void gemm_plain_loops(const GemmArgs<T>& g);

// Small products on one thread through the plan's unpacked kernel (plan.unpacked non-null, c_cs == 1).
template <typename T>
void gemm_unpacked_tiles(const GemmPlan<T>& plan, GemmArgs<T> g);

}  // namespace pygrad::cpu::gemm_detail
