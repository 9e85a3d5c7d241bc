// AVX-512 build of the vector math: the SIMD wrapper over 16 float lanes (scalef does the 2^n scaling).
#include "backend/cpu/vector_math/vector_math.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__FMA__)
#include <immintrin.h>

#include "backend/cpu/vector_math/vector_math_kernels.h"

namespace pygrad::cpu::vector_math_detail {
namespace {

struct VecAvx512 {
  using Reg = __m512;
  static constexpr int kWidth = 16;
  static constexpr const char* kLibmvecPrefix = "_ZGVeN16v_";  // x86-64 vector function ABI name
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static Reg set1(float v) { return _mm512_set1_ps(v); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm512_div_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg fnmadd(Reg a, Reg b, Reg c) { return _mm512_fnmadd_ps(a, b, c); }
  // min/max return the second operand when either is NaN.
  static Reg min(Reg a, Reg b) { return _mm512_min_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm512_max_ps(a, b); }
  static Reg abs(Reg a) { return _mm512_abs_ps(a); }
  static Reg neg(Reg a) { return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f)); }
  static Reg round(Reg a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Reg scale_pow2(Reg a, Reg n) { return _mm512_scalef_ps(a, n); }
  static Reg copy_sign(Reg magnitude, Reg sign) {
    const Reg sign_bit = _mm512_set1_ps(-0.0f);
    return _mm512_or_ps(_mm512_andnot_ps(sign_bit, magnitude), _mm512_and_ps(sign_bit, sign));
  }
  using Mask = __mmask16;
  static Mask less(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static Mask equal(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static Mask not_equal(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
  static Mask mask_or(Mask a, Mask b) { return static_cast<Mask>(a | b); }
  static Reg blend(Mask m, Reg if_true, Reg if_false) { return _mm512_mask_blend_ps(m, if_false, if_true); }
  // Unbiased exponent field as a float, and the significand with exponent 0 (in [1, 2)), of normal x >= 0.
  static Reg exponent(Reg x) {
    const __m512i bits = _mm512_castps_si512(x);
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(127)));
  }
  static Reg mantissa(Reg x) {
    const __m512i bits = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x007FFFFF));
    return _mm512_castsi512_ps(_mm512_or_si512(bits, _mm512_set1_epi32(0x3F800000)));
  }
};

// Eight Philox counters in the 64-bit lanes of a zmm (each holding a 32-bit value), ten rounds, then each word
// converted to eight floats: group g's 32 numbers are the four words' vectors stored one after the other.
void uniform_groups(RandomStream key, int64_t first, int64_t groups, float start, float range, float* dst) {
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFFll), lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i m0 = _mm512_set1_epi64(0xD2511F53ll), m1 = _mm512_set1_epi64(0xCD9E8D57ll);
  const __m256 vstart = _mm256_set1_ps(start), vrange = _mm256_set1_ps(range),
               scale = _mm256_set1_ps(1.0f / 16777216.0f);
  for (int64_t g = 0; g < groups; ++g) {
    const __m512i counter = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(8 * (first + g))), lane);
    __m512i c0 = _mm512_and_si512(counter, low32), c1 = _mm512_srli_epi64(counter, 32);
    __m512i c2 = _mm512_set1_epi64(static_cast<long long>(key.stream & 0xFFFFFFFFull));
    __m512i c3 = _mm512_set1_epi64(static_cast<long long>(key.stream >> 32));
    uint32_t k0 = static_cast<uint32_t>(key.seed), k1 = static_cast<uint32_t>(key.seed >> 32);
    for (int round = 0; round < 10; ++round) {
      const __m512i p0 = _mm512_mul_epu32(c0, m0), p1 = _mm512_mul_epu32(c2, m1);
      const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), c1), _mm512_set1_epi64(k0));
      const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), c3), _mm512_set1_epi64(k1));
      c1 = _mm512_and_si512(p1, low32);
      c3 = _mm512_and_si512(p0, low32);
      c0 = n0;
      c2 = n2;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const __m512i words[4] = {c0, c1, c2, c3};
    for (int w = 0; w < 4; ++w) {
      const __m256i bits = _mm256_srli_epi32(_mm512_cvtepi64_epi32(words[w]), 8);
      const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(bits), scale);
      _mm256_storeu_ps(dst + kUniformGroup * g + 8 * w, _mm256_add_ps(vstart, _mm256_mul_ps(vrange, u)));
    }
  }
}

}  // namespace

VectorMathF32 avx512_vector_math() {
  VectorMathF32 table = make_vector_math<VecAvx512>();
  table.uniform = &uniform_groups;
  return table;
}

}  // namespace pygrad::cpu::vector_math_detail

#else

namespace pygrad::cpu::vector_math_detail {
VectorMathF32 avx512_vector_math() { return VectorMathF32{}; }
}  // namespace pygrad::cpu::vector_math_detail

#endif
