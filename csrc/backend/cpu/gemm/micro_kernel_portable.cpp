// Portable GEMM micro-kernels in plain C++ with fixed tile sizes, written so -O3 vectorizes them (SSE2, NEON).
#include "backend/cpu/gemm/micro_kernels.h"

namespace pygrad::cpu::gemm_detail {
namespace {

constexpr int kMrF32 = 4;
constexpr int kNrF32 = 8;
constexpr int kMrF64 = 4;
constexpr int kNrF64 = 4;

template <typename T, int Mr, int Nr>
void gemm_tile(int64_t k, const T* __restrict a, const T* __restrict b, T* __restrict c, int64_t ldc, T alpha,
               T beta) {
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
  return MicroKernelSet{"portable", &gemm_tile<float, kMrF32, kNrF32>, MicroTile{kMrF32, kNrF32},
                        &gemm_tile<double, kMrF64, kNrF64>, MicroTile{kMrF64, kNrF64}};
}

}  // namespace pygrad::cpu::gemm_detail
