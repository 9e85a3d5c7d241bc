// The packed GEMM driver: the BLIS loop nest over packed panels of B and blocks of A, run by a thread team.
#pragma once

#include "backend/cpu/gemm/gemm_plan.h"

namespace pygrad::cpu::gemm_detail {

// The full loop nest (NC, KC, MC, NR, MR) with both operands packed, on `team` threads (see choose_team).
template <typename T>
void gemm_packed(const GemmPlan<T>& plan, const GemmArgs<T>& g, int team);

// m <= MR with B's columns and C's columns unit-stride: A packed as one sliver, B read in place (plan.direct_b).
template <typename T>
void gemm_b_in_place(const GemmPlan<T>& plan, const GemmArgs<T>& g, int team);

}  // namespace pygrad::cpu::gemm_detail
