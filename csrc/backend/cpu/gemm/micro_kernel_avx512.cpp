// AVX-512 GEMM micro-kernels: fp32 14x32 and fp64 14x16 register tiles (two zmm per row of C).
#include "backend/cpu/gemm/micro_kernels.h"

#if defined(__AVX512F__) && (defined(__FMA__) || defined(_MSC_VER))
#include <immintrin.h>

namespace pygrad::cpu::gemm_detail {
namespace {

constexpr int kMrF32 = 14;
constexpr int kNrF32 = 32;
constexpr int kMrF64 = 14;
constexpr int kNrF64 = 16;
constexpr int kPrefetchSteps = 16;  // k steps ahead that the packed A sliver is prefetched from L2

void sgemm_14x32(int64_t k, const float* __restrict a, const float* __restrict b, float* __restrict c,
                 int64_t ldc, float alpha, float beta) {
  __m512 acc[kMrF32][2];
#pragma GCC unroll 14
  for (int i = 0; i < kMrF32; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
  // k loop: one rank-1 update of the 14x32 tile held in 28 zmm accumulators; A and B stream from L1/L2.
  for (int64_t p = 0; p < k; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchSteps * kMrF32), _MM_HINT_T0);
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 14
    for (int i = 0; i < kMrF32; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += kMrF32;
    b += kNrF32;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.0f) {
#pragma GCC unroll 14
    for (int i = 0; i < kMrF32; ++i) {
      _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, acc[i][0]));
      _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(va, acc[i][1]));
    }
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
    for (int i = 0; i < kMrF32; ++i) {
      float* row = c + i * ldc;
      _mm512_storeu_ps(row, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), _mm512_mul_ps(va, acc[i][0])));
      _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), _mm512_mul_ps(va, acc[i][1])));
    }
  }
}

void dgemm_14x16(int64_t k, const double* __restrict a, const double* __restrict b, double* __restrict c,
                 int64_t ldc, double alpha, double beta) {
  __m512d acc[kMrF64][2];
#pragma GCC unroll 14
  for (int i = 0; i < kMrF64; ++i) {
    acc[i][0] = _mm512_setzero_pd();
    acc[i][1] = _mm512_setzero_pd();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 8), _MM_HINT_T0);
  }
  // k loop: one rank-1 update of the 14x16 tile held in 28 zmm accumulators; A and B stream from L1/L2.
  for (int64_t p = 0; p < k; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchSteps * kMrF64), _MM_HINT_T0);
    const __m512d b0 = _mm512_loadu_pd(b);
    const __m512d b1 = _mm512_loadu_pd(b + 8);
#pragma GCC unroll 14
    for (int i = 0; i < kMrF64; ++i) {
      const __m512d ai = _mm512_set1_pd(a[i]);
      acc[i][0] = _mm512_fmadd_pd(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_pd(ai, b1, acc[i][1]);
    }
    a += kMrF64;
    b += kNrF64;
  }
  const __m512d va = _mm512_set1_pd(alpha);
  if (beta == 0.0) {
#pragma GCC unroll 14
    for (int i = 0; i < kMrF64; ++i) {
      _mm512_storeu_pd(c + i * ldc, _mm512_mul_pd(va, acc[i][0]));
      _mm512_storeu_pd(c + i * ldc + 8, _mm512_mul_pd(va, acc[i][1]));
    }
  } else {
    const __m512d vb = _mm512_set1_pd(beta);
#pragma GCC unroll 14
    for (int i = 0; i < kMrF64; ++i) {
      double* row = c + i * ldc;
      _mm512_storeu_pd(row, _mm512_fmadd_pd(vb, _mm512_loadu_pd(row), _mm512_mul_pd(va, acc[i][0])));
      _mm512_storeu_pd(row + 8, _mm512_fmadd_pd(vb, _mm512_loadu_pd(row + 8), _mm512_mul_pd(va, acc[i][1])));
    }
  }
}

}  // namespace

MicroKernelSet avx512_micro_kernels() {
  return MicroKernelSet{"avx512", &sgemm_14x32, MicroTile{kMrF32, kNrF32}, &dgemm_14x16, MicroTile{kMrF64, kNrF64}};
}

double avx512_fma_probe(int64_t iterations) {
  constexpr int kChains = 16;  // covers FMA latency times two FMA pipes
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(1e-3f * static_cast<float>(j));
  const __m512 scale = _mm512_set1_ps(0.9999999f), shift = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], scale, shift);
  }
  __m512 total = acc[0];
  for (int j = 1; j < kChains; ++j) total = _mm512_add_ps(total, acc[j]);
  volatile float sink = _mm512_reduce_add_ps(total);
  (void)sink;
  return static_cast<double>(iterations) * kChains * 16 * 2;
}

}  // namespace pygrad::cpu::gemm_detail

#else

namespace pygrad::cpu::gemm_detail {
MicroKernelSet avx512_micro_kernels() { return MicroKernelSet{"avx512", nullptr, MicroTile{0, 0}, nullptr, MicroTile{0, 0}}; }
double avx512_fma_probe(int64_t) { return 0; }
}  // namespace pygrad::cpu::gemm_detail

#endif
