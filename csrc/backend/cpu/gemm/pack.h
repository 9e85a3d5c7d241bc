// GEMM packing: A blocks and B panels copied into the zero-padded slivers the micro-kernels read, and their buffer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/cpu/gemm/gemm_plan.h"

namespace pygrad::cpu::gemm_detail {

// The calling thread's 64-byte aligned packing buffer, grown to at least `bytes` and reused across calls; it holds
// the shared B panel and one A block per team member, so take it before any parallel region starts.
void* thread_pack_buffer(std::size_t bytes);

// Packs a rows x kc block of A (A(i,p) = a[i*a_rs + p*a_cs]) into MR-row slivers, each contiguous in k as the
// micro-kernel reads it: sliver s at dst + s*mr*kc, rows past `rows` zero.
template <typename T>
void pack_a_block(const GemmPlan<T>& plan, T* dst, const T* a, int64_t a_rs, int64_t a_cs, int64_t rows, int64_t kc);

// Packs NR-column slivers [first, last) of a kc x cols panel of B (B(p,j) = b[p*b_rs + j*b_cs]): sliver s at
// dst + s*nr*kc, columns past `cols` zero. Threads share a panel by packing disjoint sliver ranges.
template <typename T>
void pack_b_panel(const GemmPlan<T>& plan, T* dst, const T* b, int64_t b_rs, int64_t b_cs, int64_t cols, int64_t kc,
                  int64_t first, int64_t last);

}  // namespace pygrad::cpu::gemm_detail
