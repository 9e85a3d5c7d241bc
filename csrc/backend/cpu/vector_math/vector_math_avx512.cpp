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

}  // namespace

VectorMathF32 avx512_vector_math() { return make_vector_math<VecAvx512>(); }

}  // namespace pygrad::cpu::vector_math_detail

#else

namespace pygrad::cpu::vector_math_detail {
VectorMathF32 avx512_vector_math() { return VectorMathF32{}; }
}  // namespace pygrad::cpu::vector_math_detail

#endif
