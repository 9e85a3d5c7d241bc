// AVX2+FMA build of the vector math: the SIMD wrapper over 8 float lanes (2^n built in two exponent steps).
#include "backend/cpu/vector_math/vector_math.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "backend/cpu/vector_math/vector_math_kernels.h"

namespace pygrad::cpu::vector_math_detail {
namespace {

struct VecAvx2 {
  using Reg = __m256;
  static constexpr int kWidth = 8;
  static constexpr const char* kLibmvecPrefix = "_ZGVdN8v_";  // x86-64 vector function ABI name
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static Reg set1(float v) { return _mm256_set1_ps(v); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm256_div_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg fnmadd(Reg a, Reg b, Reg c) { return _mm256_fnmadd_ps(a, b, c); }
  // min/max return the second operand when either is NaN.
  static Reg min(Reg a, Reg b) { return _mm256_min_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg abs(Reg a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static Reg neg(Reg a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
  static Reg round(Reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // a * 2^n for integral n in [-150, 128] as two factors 2^(n>>1) and 2^(n - (n>>1)), each a normal float,
  // so neither the factors nor the intermediate product leave the float range before the final rounding.
  static Reg scale_pow2(Reg a, Reg n) {
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i half = _mm256_srai_epi32(ni, 1);
    const __m256i rest = _mm256_sub_epi32(ni, half);
    const __m256i bias = _mm256_set1_epi32(127);
    const Reg f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
    const Reg f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(rest, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(a, f1), f2);
  }
  static Reg copy_sign(Reg magnitude, Reg sign) {
    const Reg sign_bit = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign_bit, magnitude), _mm256_and_ps(sign_bit, sign));
  }
  using Mask = __m256;
  static Mask less(Reg a, Reg b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static Mask equal(Reg a, Reg b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static Mask not_equal(Reg a, Reg b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }
  static Mask mask_or(Mask a, Mask b) { return _mm256_or_ps(a, b); }
  static Reg blend(Mask m, Reg if_true, Reg if_false) { return _mm256_blendv_ps(if_false, if_true, m); }
  // Unbiased exponent field as a float, and the significand with exponent 0 (in [1, 2)), of normal x >= 0.
  static Reg exponent(Reg x) {
    const __m256i bits = _mm256_castps_si256(x);
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
  }
  static Reg mantissa(Reg x) {
    const __m256i bits = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x007FFFFF));
    return _mm256_castsi256_ps(_mm256_or_si256(bits, _mm256_set1_epi32(0x3F800000)));
  }
};

// Philox for four counters in the 64-bit lanes of a ymm; two such halves make a group of eight counters.
inline void philox_four(RandomStream key, int64_t counter0, __m256i words[4]) {
  const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFFll);
  const __m256i m0 = _mm256_set1_epi64x(0xD2511F53ll), m1 = _mm256_set1_epi64x(0xCD9E8D57ll);
  const __m256i counter = _mm256_add_epi64(_mm256_set1_epi64x(counter0), _mm256_setr_epi64x(0, 1, 2, 3));
  __m256i c0 = _mm256_and_si256(counter, low32), c1 = _mm256_srli_epi64(counter, 32);
  __m256i c2 = _mm256_set1_epi64x(static_cast<long long>(key.stream & 0xFFFFFFFFull));
  __m256i c3 = _mm256_set1_epi64x(static_cast<long long>(key.stream >> 32));
  uint32_t k0 = static_cast<uint32_t>(key.seed), k1 = static_cast<uint32_t>(key.seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(c2, m1);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), _mm256_set1_epi64x(k0));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), _mm256_set1_epi64x(k1));
    c1 = _mm256_and_si256(p1, low32);
    c3 = _mm256_and_si256(p0, low32);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  words[0] = c0, words[1] = c1, words[2] = c2, words[3] = c3;
}

void uniform_groups(RandomStream key, int64_t first, int64_t groups, float start, float range, float* dst) {
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);  // low halves of the 64-bit lanes
  const __m256 vstart = _mm256_set1_ps(start), vrange = _mm256_set1_ps(range),
               scale = _mm256_set1_ps(1.0f / 16777216.0f);
  for (int64_t g = 0; g < groups; ++g) {
    __m256i lo[4], hi[4];
    philox_four(key, 8 * (first + g), lo);
    philox_four(key, 8 * (first + g) + 4, hi);
    for (int w = 0; w < 4; ++w) {
      const __m128i a = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(lo[w], even));
      const __m128i b = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(hi[w], even));
      const __m256i bits = _mm256_srli_epi32(_mm256_set_m128i(b, a), 8);
      const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(bits), scale);
      _mm256_storeu_ps(dst + kUniformGroup * g + 8 * w, _mm256_add_ps(vstart, _mm256_mul_ps(vrange, u)));
    }
  }
}

}  // namespace

VectorMathF32 avx2_vector_math() {
  VectorMathF32 table = make_vector_math<VecAvx2>();
  table.uniform = &uniform_groups;
  return table;
}

}  // namespace pygrad::cpu::vector_math_detail

#else

namespace pygrad::cpu::vector_math_detail {
VectorMathF32 avx2_vector_math() { return VectorMathF32{}; }
}  // namespace pygrad::cpu::vector_math_detail

#endif
