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
  static Reg select_negative(Reg x, Reg if_negative, Reg otherwise) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), otherwise, if_negative);
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
