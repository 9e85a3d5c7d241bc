// The packed GEMM driver: the BLIS loop nest over packed panels of B and blocks of A, run by a thread team.
#pragma once

#include "backend/cpu/gemm/gemm_plan.h"

namespace pygrad::cpu::gemm_detail {

// The full loop nest (NC, KC, MC, NR, MR) with both operands packed, on `team` threads (see choose_team).
// prepacked (or null): B packed in advance, `block` elements per (NC panel, KC slice) in loop order (pack_gemm_b).
template <typename T>
void gemm_packed(const GemmPlan<T>& plan, const GemmArgs<T>& g, int team, const T* prepacked = nullptr,
                 int64_t block = 0);
// The elements of one prepacked (panel, slice) block for a k x n B.
template <typename T>
int64_t packed_b_block(const GemmPlan<T>& plan, int64_t k, int64_t n);

// m <= MR with B's columns and C's columns unit-stride: A packed as one sliver, B read in place (plan.direct_b).
template <typename T>
void gemm_b_in_place(const GemmPlan<T>& plan, const GemmArgs<T>& g, int team);

}  // namespace pygrad::cpu::gemm_detail
