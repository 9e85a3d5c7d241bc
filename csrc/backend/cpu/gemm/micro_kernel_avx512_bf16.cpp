// AVX512_BF16 GEMM kernel: a 14x32 float32 tile of C accumulated by vdpbf16ps (two k per instruction) over packed
// bfloat16 slivers: A as 32-bit k-pairs, B in VNNI order.
#include "backend/cpu/gemm/micro_kernels.h"

#if defined(__AVX512BF16__) && defined(__AVX512F__)
#include <immintrin.h>

namespace pygrad::cpu::gemm_detail {
namespace {

constexpr int kMr = 14;  // rows of the register tile (28 accumulators, 2 B vectors, 1 broadcast)

inline __mmask16 lanes(int nr, int v) {
  const int n = nr - 16 * v;
  return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
}

void dpbf16_tile(int64_t kp, const uint32_t* __restrict a, const uint16_t* __restrict b, float* __restrict c,
                 int64_t ldc, int mr, int nr) {
  __m512 acc[kMr][2];
#pragma GCC unroll 14
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kp; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * 64), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * 64 + 32), _MM_HINT_T0);
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 32);
#pragma GCC unroll 14
    for (int i = 0; i < kMr; ++i) {
      const __m512bh ai = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[i]));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
    }
    a += kMr;
    b += 64;
  }
  const __mmask16 m0 = lanes(nr, 0), m1 = lanes(nr, 1);
#pragma GCC unroll 14
  for (int i = 0; i < kMr; ++i) {
    if (i >= mr) break;
    _mm512_mask_storeu_ps(c + i * ldc, m0, acc[i][0]);
    _mm512_mask_storeu_ps(c + i * ldc + 16, m1, acc[i][1]);
  }
}

}  // namespace

Dpbf16TileKernel avx512_bf16_tile_kernel() { return &dpbf16_tile; }

}  // namespace pygrad::cpu::gemm_detail

#else

namespace pygrad::cpu::gemm_detail {
Dpbf16TileKernel avx512_bf16_tile_kernel() { return nullptr; }
}  // namespace pygrad::cpu::gemm_detail

#endif
