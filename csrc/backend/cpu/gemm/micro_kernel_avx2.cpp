// AVX2+FMA GEMM micro-kernels: fp32 6x16 and fp64 6x8 register tiles (two ymm per row of C).
#include "backend/cpu/gemm/blocksizes.h"
#include "backend/cpu/gemm/micro_kernels.h"

#if defined(__AVX2__) && (defined(__FMA__) || defined(_MSC_VER))
#include <immintrin.h>

namespace pygrad::cpu::gemm_detail {
namespace {

constexpr IsaBlocksizes kBlocks = kBlockTable[static_cast<int>(CpuCapability::Avx2)];
constexpr int kMrF32 = kBlocks.f32.mr;
constexpr int kNrF32 = kBlocks.f32.nr;
constexpr int kMrF64 = kBlocks.f64.mr;
constexpr int kNrF64 = kBlocks.f64.nr;
constexpr int kUnpackedMr = kBlocks.f32_unpacked_mr;
static_assert(kMrF32 == 6 && kNrF32 == 16 && kMrF64 == 6 && kNrF64 == 8 && kUnpackedMr == 6,
              "the kernels below are written for 6x16 fp32 and 6x8 fp64 tiles (two ymm per row of C)");
constexpr int kPrefetchSteps = 16;  // k steps ahead that the packed A sliver is prefetched from L2

void sgemm_6x16(int64_t k, const float* __restrict a, const float* __restrict b, float* __restrict c, int64_t ldc,
                float alpha, float beta) {
  __m256 acc[kMrF32][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMrF32; ++i) {
    acc[i][0] = _mm256_setzero_ps();
    acc[i][1] = _mm256_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  }
  // k loop: one rank-1 update of the 6x16 tile held in 12 ymm accumulators; A and B stream from L1/L2.
  for (int64_t p = 0; p < k; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchSteps * kMrF32), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMrF32; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += kMrF32;
    b += kNrF32;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  if (beta == 0.0f) {
#pragma GCC unroll 6
    for (int i = 0; i < kMrF32; ++i) {
      _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, acc[i][0]));
      _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, acc[i][1]));
    }
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < kMrF32; ++i) {
      float* row = c + i * ldc;
      _mm256_storeu_ps(row, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), _mm256_mul_ps(va, acc[i][0])));
      _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), _mm256_mul_ps(va, acc[i][1])));
    }
  }
}

void dgemm_6x8(int64_t k, const double* __restrict a, const double* __restrict b, double* __restrict c, int64_t ldc,
               double alpha, double beta) {
  __m256d acc[kMrF64][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMrF64; ++i) {
    acc[i][0] = _mm256_setzero_pd();
    acc[i][1] = _mm256_setzero_pd();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  }
  // k loop: one rank-1 update of the 6x8 tile held in 12 ymm accumulators; A and B stream from L1/L2.
  for (int64_t p = 0; p < k; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchSteps * kMrF64), _MM_HINT_T0);
    const __m256d b0 = _mm256_loadu_pd(b);
    const __m256d b1 = _mm256_loadu_pd(b + 4);
#pragma GCC unroll 6
    for (int i = 0; i < kMrF64; ++i) {
      const __m256d ai = _mm256_broadcast_sd(a + i);
      acc[i][0] = _mm256_fmadd_pd(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_pd(ai, b1, acc[i][1]);
    }
    a += kMrF64;
    b += kNrF64;
  }
  const __m256d va = _mm256_set1_pd(alpha);
  if (beta == 0.0) {
#pragma GCC unroll 6
    for (int i = 0; i < kMrF64; ++i) {
      _mm256_storeu_pd(c + i * ldc, _mm256_mul_pd(va, acc[i][0]));
      _mm256_storeu_pd(c + i * ldc + 4, _mm256_mul_pd(va, acc[i][1]));
    }
  } else {
    const __m256d vb = _mm256_set1_pd(beta);
#pragma GCC unroll 6
    for (int i = 0; i < kMrF64; ++i) {
      double* row = c + i * ldc;
      _mm256_storeu_pd(row, _mm256_fmadd_pd(vb, _mm256_loadu_pd(row), _mm256_mul_pd(va, acc[i][0])));
      _mm256_storeu_pd(row + 4, _mm256_fmadd_pd(vb, _mm256_loadu_pd(row + 4), _mm256_mul_pd(va, acc[i][1])));
    }
  }
}

// Small products with nothing packed: MR rows of A read in place (A(i,p) = a[i*a_rs + p*a_cs]) times B's rows
// (row stride ldb), the first nr <= 16 columns; Masked tiles load and store only those columns.
template <int MR, bool Masked>
void sgemm_unpacked_tile(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb, float* c,
                         int64_t ldc, float alpha, float beta, int nr) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m256 b0 = Masked ? _mm256_maskload_ps(b, m0) : _mm256_loadu_ps(b);
    const __m256 b1 = Masked ? _mm256_maskload_ps(b + 8, m1) : _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * a_rs);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += a_cs;
    b += ldb;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
    if (Masked) {
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, m0), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8, m1), r1);
      }
      _mm256_maskstore_ps(row, m0, r0);
      _mm256_maskstore_ps(row + 8, m1, r1);
    } else {
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
      }
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    }
  }
}

template <int MR>
void sgemm_unpacked_rows(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb, float* c,
                         int64_t ldc, float alpha, float beta, int nr) {
  if (nr == kNrF32) return sgemm_unpacked_tile<MR, false>(k, a, a_rs, a_cs, b, ldb, c, ldc, alpha, beta, nr);
  sgemm_unpacked_tile<MR, true>(k, a, a_rs, a_cs, b, ldb, c, ldc, alpha, beta, nr);
}

void sgemm_unpacked(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb, float* c,
                    int64_t ldc, float alpha, float beta, int mr, int nr) {
  using Fn =
      void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, float, float, int);
  static constexpr Fn kByRows[kUnpackedMr] = {&sgemm_unpacked_rows<1>, &sgemm_unpacked_rows<2>,
                                              &sgemm_unpacked_rows<3>, &sgemm_unpacked_rows<4>,
                                              &sgemm_unpacked_rows<5>, &sgemm_unpacked_rows<6>};
  kByRows[mr - 1](k, a, a_rs, a_cs, b, ldb, c, ldc, alpha, beta, nr);
}

}  // namespace

MicroKernelSet avx2_micro_kernels() {
  MicroKernelSet set{"avx2", &sgemm_6x16, &dgemm_6x8};
  set.f32_unpacked = &sgemm_unpacked;
  return set;
}

double avx2_fma_probe(int64_t iterations) {
  constexpr int kChains = 12;  // 12 accumulators + 2 constants fit the 16 ymm registers
  __m256 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_set1_ps(1e-3f * static_cast<float>(j));
  const __m256 scale = _mm256_set1_ps(0.9999999f), shift = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], scale, shift);
  }
  __m256 total = acc[0];
  for (int j = 1; j < kChains; ++j) total = _mm256_add_ps(total, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, total);
  volatile float sink = lanes[0] + lanes[7];
  (void)sink;
  return static_cast<double>(iterations) * kChains * 8 * 2;
}

}  // namespace pygrad::cpu::gemm_detail

#else

namespace pygrad::cpu::gemm_detail {
MicroKernelSet avx2_micro_kernels() { return MicroKernelSet{"avx2", nullptr, nullptr}; }
double avx2_fma_probe(int64_t) { return 0; }
}  // namespace pygrad::cpu::gemm_detail

#endif
