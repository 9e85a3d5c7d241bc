// AVX-512 GEMM micro-kernels: fp32 14x32 and fp64 14x16 register tiles (two zmm per row of C).
#include "backend/cpu/gemm/blocksizes.h"
#include "backend/cpu/gemm/micro_kernels.h"

#if defined(__AVX512F__) && (defined(__FMA__) || defined(_MSC_VER))
#include <immintrin.h>

namespace pygrad::cpu::gemm_detail {
namespace {

constexpr IsaBlocksizes kBlocks = kBlockTable[static_cast<int>(CpuCapability::Avx512)];
constexpr int kMrF32 = kBlocks.f32.mr;
constexpr int kNrF32 = kBlocks.f32.nr;
constexpr int kMrF64 = kBlocks.f64.mr;
constexpr int kNrF64 = kBlocks.f64.nr;
constexpr int kUnpackedMr = kBlocks.f32_unpacked_mr;
static_assert(kMrF32 == 14 && kNrF32 == 32 && kMrF64 == 14 && kNrF64 == 16 && kUnpackedMr == 8,
              "the kernels below are written for 14x32 fp32, 14x16 fp64 and 8-row unpacked tiles (two zmm per row)");
constexpr int kPrefetchSteps = 16;   // k steps ahead that the packed A sliver is prefetched from L2
constexpr int kPrefetchStepsB = 16;  // k steps ahead that both lines of a B row are prefetched (16 beat 8 and 24)

// MR x (16*NV) fp32 tile; Apanel(i,p) = a[p*kMrF32 + i] (slivers are always packed kMrF32 wide) and
// Bpanel(p,j) = b[p*b_step + j] (64-byte aligned rows). Masked variants write only the first nr columns (edge tiles
// straight into C). Unpacked variant (small products): A read in place, Apanel(i,p) = a[i*a_rs + p*a_cs].
template <int MR, int NV, bool Masked, bool UnpackedA = false>
inline void sgemm_tile(int64_t k, const float* __restrict a, const float* __restrict b, int64_t b_step,
                       float* __restrict c, int64_t ldc, float alpha, float beta, __mmask16 m0, __mmask16 m1,
                       int64_t a_rs = 0, int64_t a_cs = 0) {
  const __mmask16 mask[2] = {m0, m1};
  __m512 acc[MR][NV];
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  // The C tile is touched only after the k loop: start its misses now so they overlap the FMAs.
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);
  }
  // k loop: one rank-1 update of the tile per step (MR*NV accumulators); the B sliver comes from L1, the A sliver
  // streams from L2. Not unrolled: unrolling makes GCC interleave steps and spill accumulators.
  for (int64_t p = 0; p < k; ++p) {
    if (!UnpackedA) _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchSteps * kMrF32), _MM_HINT_T0);
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchStepsB * b_step + 16 * v), _MM_HINT_T0);
    }
    __m512 bv[NV];
    // Edge tiles load only their nr columns: B read in place (direct_b) ends at its last row, no padding.
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      bv[v] = Masked ? _mm512_maskz_loadu_ps(mask[v], b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
    }
#pragma GCC unroll 14
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(UnpackedA ? a[i * a_rs] : a[i]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += UnpackedA ? a_cs : kMrF32;
    b += b_step;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      __m512 r = alpha == 1.0f ? acc[i][v] : _mm512_mul_ps(va, acc[i][v]);
      if (Masked) {
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], row + 16 * v), r);
        _mm512_mask_storeu_ps(row + 16 * v, mask[v], r);
      } else {
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16 * v), r);
        _mm512_storeu_ps(row + 16 * v, r);
      }
    }
  }
}

void sgemm_14x32(int64_t k, const float* __restrict a, const float* __restrict b, float* __restrict c, int64_t ldc,
                 float alpha, float beta) {
  sgemm_tile<kMrF32, 2, false>(k, a, b, kNrF32, c, ldc, alpha, beta, 0xFFFF, 0xFFFF);
}

// Lanes of zmm v (columns 16v .. 16v+15) that lie within the first nr columns.
inline __mmask16 column_mask(int nr, int v) {
  const int lanes = nr - 16 * v;
  return static_cast<__mmask16>(lanes >= 16 ? 0xFFFF : lanes <= 0 ? 0 : (1u << lanes) - 1);
}

template <int MR>
void sgemm_edge_rows(int64_t k, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta, int nr,
                     int64_t b_step) {
  const __mmask16 m0 = column_mask(nr, 0), m1 = column_mask(nr, 1);
  if (nr <= 16) {
    sgemm_tile<MR, 1, true>(k, a, b, b_step, c, ldc, alpha, beta, m0, m1);
  } else if (nr == 32) {
    sgemm_tile<MR, 2, false>(k, a, b, b_step, c, ldc, alpha, beta, m0, m1);
  } else {
    sgemm_tile<MR, 2, true>(k, a, b, b_step, c, ldc, alpha, beta, m0, m1);
  }
}

// Any mr <= 14, nr <= 32 tile written straight into C (row stride ldc, unit column stride).
void sgemm_edge(int64_t k, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta, int mr,
                int nr) {
  using Fn = void (*)(int64_t, const float*, const float*, float*, int64_t, float, float, int, int64_t);
  static constexpr Fn kByRows[kMrF32] = {
      &sgemm_edge_rows<1>,  &sgemm_edge_rows<2>,  &sgemm_edge_rows<3>,  &sgemm_edge_rows<4>, &sgemm_edge_rows<5>,
      &sgemm_edge_rows<6>,  &sgemm_edge_rows<7>,  &sgemm_edge_rows<8>,  &sgemm_edge_rows<9>, &sgemm_edge_rows<10>,
      &sgemm_edge_rows<11>, &sgemm_edge_rows<12>, &sgemm_edge_rows<13>, &sgemm_edge_rows<14>};
  kByRows[mr - 1](k, a, b, c, ldc, alpha, beta, nr, kNrF32);
}

template <int MR>
void sgemm_unpacked_rows(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb, float* c,
                         int64_t ldc, float alpha, float beta, int nr) {
  const __mmask16 m0 = column_mask(nr, 0), m1 = column_mask(nr, 1);
  if (nr <= 16) {
    sgemm_tile<MR, 1, true, true>(k, a, b, ldb, c, ldc, alpha, beta, m0, m1, a_rs, a_cs);
  } else if (nr == 32) {
    sgemm_tile<MR, 2, false, true>(k, a, b, ldb, c, ldc, alpha, beta, m0, m1, a_rs, a_cs);
  } else {
    sgemm_tile<MR, 2, true, true>(k, a, b, ldb, c, ldc, alpha, beta, m0, m1, a_rs, a_cs);
  }
}

void sgemm_unpacked(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb, float* c,
                    int64_t ldc, float alpha, float beta, int mr, int nr) {
  using Fn =
      void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, float, float, int);
  static constexpr Fn kByRows[kUnpackedMr] = {&sgemm_unpacked_rows<1>, &sgemm_unpacked_rows<2>, &sgemm_unpacked_rows<3>,
                                              &sgemm_unpacked_rows<4>, &sgemm_unpacked_rows<5>, &sgemm_unpacked_rows<6>,
                                              &sgemm_unpacked_rows<7>, &sgemm_unpacked_rows<8>};
  kByRows[mr - 1](k, a, a_rs, a_cs, b, ldb, c, ldc, alpha, beta, nr);
}

// B read in place (row stride ldb): no packing when every B element is used by one tile only (m <= MR).
void sgemm_direct_b(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, float alpha,
                    float beta, int mr, int nr) {
  using Fn = void (*)(int64_t, const float*, const float*, float*, int64_t, float, float, int, int64_t);
  static constexpr Fn kByRows[kMrF32] = {
      &sgemm_edge_rows<1>,  &sgemm_edge_rows<2>,  &sgemm_edge_rows<3>,  &sgemm_edge_rows<4>, &sgemm_edge_rows<5>,
      &sgemm_edge_rows<6>,  &sgemm_edge_rows<7>,  &sgemm_edge_rows<8>,  &sgemm_edge_rows<9>, &sgemm_edge_rows<10>,
      &sgemm_edge_rows<11>, &sgemm_edge_rows<12>, &sgemm_edge_rows<13>, &sgemm_edge_rows<14>};
  kByRows[mr - 1](k, a, b, c, ldc, alpha, beta, nr, ldb);
}

void dgemm_14x16(int64_t k, const double* __restrict a, const double* __restrict b, double* __restrict c, int64_t ldc,
                 double alpha, double beta) {
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

// In-register 16x16 transpose: r[t] = row t in, r[c] = column c out.
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int q = 0; q < 8; ++q) {
    t[2 * q] = _mm512_unpacklo_ps(r[2 * q], r[2 * q + 1]);
    t[2 * q + 1] = _mm512_unpackhi_ps(r[2 * q], r[2 * q + 1]);
  }
  for (int q = 0; q < 4; ++q) {
    u[4 * q] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
    u[4 * q + 1] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0xEE);
    u[4 * q + 2] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
    u[4 * q + 3] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xEE);
  }
  // u[4q + c]: rows 4q..4q+3, lane L holds column 4L + c.
  for (int c = 0; c < 4; ++c) {
    t[c] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);      // columns c, c+8 of rows 0-7
    t[4 + c] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);  // columns c+4, c+12 of rows 0-7
    t[8 + c] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xDD);
  }
}

// Packs a w x kc sliver whose source lines are contiguous in k: dst[p*w + i] = src[i*s_i + p], zero past valid.
// 16 lines x 16 k values at a time through a register transpose (the scalar version scatters 4-byte stores).
void pack_kcontig_f32(float* __restrict dst, const float* __restrict src, int64_t valid, int w, int64_t kc,
                      int64_t s_i) {
  const int64_t k_main = kc / 16 * 16;
  for (int i0 = 0; i0 < w; i0 += 16) {
    const int lanes = w - i0 < 16 ? w - i0 : 16;
    const __mmask16 store_mask = static_cast<__mmask16>((1u << lanes) - 1);
    const int64_t rows = valid - i0 < 0 ? 0 : (valid - i0 < lanes ? valid - i0 : lanes);
    // p0 loop: a 16 x 16 block of the source, transposed into 16 rows of the sliver.
    for (int64_t p0 = 0; p0 < k_main; p0 += 16) {
      __m512 r[16];
      for (int t = 0; t < 16; ++t) {
        r[t] = t < rows ? _mm512_loadu_ps(src + (i0 + t) * s_i + p0) : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int c = 0; c < 16; ++c) _mm512_mask_storeu_ps(dst + (p0 + c) * w + i0, store_mask, r[c]);
    }
    for (int64_t p = k_main; p < kc; ++p) {
      for (int t = 0; t < lanes; ++t) dst[p * w + i0 + t] = t < rows ? src[(i0 + t) * s_i + p] : 0.0f;
    }
  }
}

}  // namespace

MicroKernelSet avx512_micro_kernels() {
  return MicroKernelSet{"avx512",          &sgemm_14x32,    &dgemm_14x16,   &sgemm_edge,
                        &pack_kcontig_f32, &sgemm_direct_b, &sgemm_unpacked};
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
MicroKernelSet avx512_micro_kernels() { return MicroKernelSet{"avx512", nullptr, nullptr}; }
double avx512_fma_probe(int64_t) { return 0; }
}  // namespace pygrad::cpu::gemm_detail

#endif
