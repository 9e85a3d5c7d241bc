// Portable GEMM micro-kernels in plain C++ with fixed tile sizes, written so -O3 vectorizes them (SSE2, NEON).
#include "backend/cpu/gemm/blocksizes.h"
#include "backend/cpu/gemm/micro_kernels.h"

namespace pygrad::cpu::gemm_detail {
namespace {

constexpr IsaBlocksizes kBlocks = kBlockTable[static_cast<int>(CpuCapability::Portable)];
constexpr int kMrF32 = kBlocks.f32.mr;
constexpr int kNrF32 = kBlocks.f32.nr;
constexpr int kMrF64 = kBlocks.f64.mr;
constexpr int kNrF64 = kBlocks.f64.nr;

template <typename T, int Mr, int Nr>
void gemm_tile(int64_t k, const T* __restrict a, const T* __restrict b, T* __restrict c, int64_t ldc, T alpha, T beta) {
  T acc[Mr][Nr] = {};
  // k loop: one rank-1 update of the Mr x Nr tile, kept in vector registers once unrolled.
  for (int64_t p = 0; p < k; ++p) {
    T bv[Nr];
#pragma GCC unroll 16
    for (int j = 0; j < Nr; ++j) bv[j] = b[j];
#pragma GCC unroll 16
    for (int i = 0; i < Mr; ++i) {
      const T ai = a[i];
#pragma GCC unroll 16
      for (int j = 0; j < Nr; ++j) acc[i][j] += ai * bv[j];
    }
    a += Mr;
    b += Nr;
  }
  if (beta == T(0)) {
    for (int i = 0; i < Mr; ++i)
      for (int j = 0; j < Nr; ++j) c[i * ldc + j] = alpha * acc[i][j];
  } else {
    for (int i = 0; i < Mr; ++i)
      for (int j = 0; j < Nr; ++j) c[i * ldc + j] = beta * c[i * ldc + j] + alpha * acc[i][j];
  }
}

}  // namespace

MicroKernelSet portable_micro_kernels() {
  return MicroKernelSet{"portable", &gemm_tile<float, kMrF32, kNrF32>, &gemm_tile<double, kMrF64, kNrF64>};
}

double portable_fma_probe(int64_t iterations) {
  // Multiply-add chains in 4-wide lanes (one SSE register each); no FMA instruction without the ISA flags.
  constexpr int kChains = 8, kLanes = 4;
  float acc[kChains][kLanes];
  for (int j = 0; j < kChains; ++j)
    for (int l = 0; l < kLanes; ++l) acc[j][l] = 1e-3f * static_cast<float>(j + l);
  for (int64_t it = 0; it < iterations; ++it)
    for (int j = 0; j < kChains; ++j)
      for (int l = 0; l < kLanes; ++l) acc[j][l] = acc[j][l] * 0.9999999f + 1e-7f;
  float total = 0;
  for (int j = 0; j < kChains; ++j)
    for (int l = 0; l < kLanes; ++l) total += acc[j][l];
  volatile float sink = total;
  (void)sink;
  return static_cast<double>(iterations) * kChains * kLanes * 2;
}

}  // namespace pygrad::cpu::gemm_detail
