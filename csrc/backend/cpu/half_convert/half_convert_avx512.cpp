// AVX-512 build of the float16/bfloat16 row conversions (16 lanes). bfloat16 rounds on the integer bits, not with
// AVX-512 BF16's vcvtneps2bf16: that instruction flushes subnormals to zero, so results would depend on the CPU.
#include "backend/cpu/half_convert/half_convert.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

namespace pygrad::cpu::half_convert_detail {
namespace {

void widen_f16(const uint16_t* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i))));
  for (; i < n; ++i) out[i] = half_bits_to_float(x[i]);
}

void narrow_f16(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) out[i] = float_to_half_bits(x[i]);
}

void widen_bf16(const uint16_t* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)));
    _mm512_storeu_si512(out + i, _mm512_slli_epi32(wide, 16));
  }
  for (; i < n; ++i) out[i] = bfloat16_bits_to_float(x[i]);
}

// Round to nearest even on the integer bits; NaN lanes keep their top bits with the quiet bit set.
void narrow_bf16(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x400000);
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512i bits = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), one);
    __m512i rounded = _mm512_add_epi32(_mm512_add_epi32(bits, bias), lsb);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    rounded = _mm512_mask_or_epi32(rounded, nan, bits, quiet);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16)));
  }
  for (; i < n; ++i) out[i] = float_to_bfloat16_bits(x[i]);
}

}  // namespace

HalfConvert avx512_half_convert() { return HalfConvert{&widen_f16, &narrow_f16, &widen_bf16, &narrow_bf16}; }

}  // namespace pygrad::cpu::half_convert_detail

#else

namespace pygrad::cpu::half_convert_detail {
HalfConvert avx512_half_convert() { return HalfConvert{}; }
}  // namespace pygrad::cpu::half_convert_detail

#endif
