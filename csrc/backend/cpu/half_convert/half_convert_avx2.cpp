// AVX2 + F16C build of the float16/bfloat16 row conversions (8 lanes).
#include "backend/cpu/half_convert/half_convert.h"

#if defined(__AVX2__) && defined(__F16C__)
#include <immintrin.h>

namespace pygrad::cpu::half_convert_detail {
namespace {

void widen_f16(const uint16_t* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
  for (; i < n; ++i) out[i] = half_bits_to_float(x[i]);
}

void narrow_f16(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) out[i] = float_to_half_bits(x[i]);
}

void widen_bf16(const uint16_t* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_slli_epi32(wide, 16));
  }
  for (; i < n; ++i) out[i] = bfloat16_bits_to_float(x[i]);
}

// Round to nearest even on the integer bits; NaN lanes keep their top bits with the quiet bit set.
void narrow_bf16(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1), quiet = _mm256_set1_epi32(0x400000);
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256i bits = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), one);
    __m256i rounded = _mm256_add_epi32(_mm256_add_epi32(bits, bias), lsb);
    const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    rounded = _mm256_blendv_epi8(rounded, _mm256_or_si256(bits, quiet), nan);
    const __m256i shifted = _mm256_srli_epi32(rounded, 16);
    // Pack 32-bit lanes to 16 bits (packus works per 128-bit half, then fix the lane order).
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(shifted, shifted), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_castsi256_si128(packed));
  }
  for (; i < n; ++i) out[i] = float_to_bfloat16_bits(x[i]);
}

}  // namespace

HalfConvert avx2_half_convert() { return HalfConvert{&widen_f16, &narrow_f16, &widen_bf16, &narrow_bf16}; }

}  // namespace pygrad::cpu::half_convert_detail

#else

namespace pygrad::cpu::half_convert_detail {
HalfConvert avx2_half_convert() { return HalfConvert{}; }
}  // namespace pygrad::cpu::half_convert_detail

#endif
