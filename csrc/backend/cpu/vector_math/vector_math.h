// Vectorised float32 transcendentals over contiguous arrays, one build per instruction set: our own exp, log,
// sigmoid, tanh and both GELU forms (the exact one, and its gradient, through a rational erf), glibc's libmvec
// (loaded at run time) for trigonometric, hyperbolic and special functions; and uniform random numbers.
#pragma once
#include <cstdint>

#include "backend/cpu/cpu_features.h"
#include "backend/functors.h"
#include "core/random.h"

namespace pygrad::cpu {

// out[i] = f(x[i]) for i < n; out may alias x. The result of an element does not depend on n or on where
// the array starts (tails run through the same vector code), so thread splits never change results.
using ArrayMathF32 = void (*)(const float* x, float* out, int64_t n);
// out[i] = f(a[i], b[i]) for i < n, with the same guarantees; out may alias a or b.
using BinaryArrayMathF32 = void (*)(const float* a, const float* b, float* out, int64_t n);

// Uniform float32 numbers in groups of 32 from Philox4x32-10: element r of group g is word r / 8 of counter
// 8g + r % 8, as start + range * (word >> 8) * 2^-24 (multiply, then add). Writes dst[0, 32 * groups) for the
// groups first, first + 1, ... uniform_groups_scalar (elementwise.cpp) is the reference every ISA matches.
constexpr int kUniformGroup = 32;
using UniformGroupsF32 = void (*)(RandomStream key, int64_t first, int64_t groups, float start, float range,
                                  float* dst);

// The portable reference of UniformGroupsF32 (elementwise.cpp); every ISA's routine gives the same bits.
void uniform_groups_scalar(RandomStream key, int64_t first, int64_t groups, float start, float range, float* dst);

struct VectorMathF32 {
  ArrayMathF32 exp = nullptr;
  ArrayMathF32 sigmoid = nullptr;
  ArrayMathF32 tanh = nullptr;
  ArrayMathF32 log = nullptr;
  ArrayMathF32 gelu_tanh = nullptr;
  ArrayMathF32 gelu_erf = nullptr;             // exact GELU through our rational erf
  BinaryArrayMathF32 gelu_erf_grad = nullptr;  // (grad, x) -> grad * GELU'(x), exact form
  UniformGroupsF32 uniform = nullptr;
  float (*max)(const float* x, int64_t n) = nullptr;  // n >= 1
  // out = e^(x - shift), returning sum(out): a softmax row in one pass.
  float (*exp_shift_sum)(const float* x, float shift, float* out, int64_t n) = nullptr;
  // From libmvec: null where it is missing (not glibc 2.35+), so the scalar functor runs.
  ArrayMathF32 sin = nullptr, cos = nullptr, tan = nullptr, asin = nullptr, acos = nullptr, atan = nullptr;
  ArrayMathF32 sinh = nullptr, cosh = nullptr, asinh = nullptr, acosh = nullptr, atanh = nullptr;
  ArrayMathF32 exp2 = nullptr, expm1 = nullptr, log2 = nullptr, log10 = nullptr, log1p = nullptr;
  ArrayMathF32 erf = nullptr, erfc = nullptr;
};

// A symbol of glibc's vector math library (libmvec.so.1), or null when it or the library is missing.
void* libmvec_symbol(const char* name);

namespace vector_math_detail {
// Call only when detected_cpu_capability() reaches that level; members are null when built without the ISA.
VectorMathF32 avx512_vector_math();
VectorMathF32 avx2_vector_math();
}  // namespace vector_math_detail

// The set for the active capability; all null at the portable level (callers use the scalar functor).
inline const VectorMathF32& vector_math_f32() {
  static const VectorMathF32 portable{};
  static const VectorMathF32 avx2 =
      detected_cpu_capability() >= CpuCapability::Avx2 ? vector_math_detail::avx2_vector_math() : VectorMathF32{};
  static const VectorMathF32 avx512 =
      detected_cpu_capability() >= CpuCapability::Avx512 ? vector_math_detail::avx512_vector_math() : VectorMathF32{};
  switch (cpu_capability()) {
    case CpuCapability::Avx512: return avx512;
    case CpuCapability::Avx2: return avx2;
    default: return portable;
  }
}

// The array routine that replaces functor f on contiguous float32 data, or null (use the functor).
template <class F>
inline ArrayMathF32 vectorized_f32(const F&) {
  return nullptr;
}
inline ArrayMathF32 vectorized_f32(const Exp&) { return vector_math_f32().exp; }
inline ArrayMathF32 vectorized_f32(const Sigmoid&) { return vector_math_f32().sigmoid; }
inline ArrayMathF32 vectorized_f32(const Tanh&) { return vector_math_f32().tanh; }
inline ArrayMathF32 vectorized_f32(const Log&) { return vector_math_f32().log; }
// GELU: the tanh approximation (b != 0) or the exact erf form.
inline ArrayMathF32 vectorized_f32(const Gelu& f) {
  return f.b != 0 ? vector_math_f32().gelu_tanh : vector_math_f32().gelu_erf;
}
inline ArrayMathF32 vectorized_f32(const Sin&) { return vector_math_f32().sin; }
inline ArrayMathF32 vectorized_f32(const Cos&) { return vector_math_f32().cos; }
inline ArrayMathF32 vectorized_f32(const Tan&) { return vector_math_f32().tan; }
inline ArrayMathF32 vectorized_f32(const Asin&) { return vector_math_f32().asin; }
inline ArrayMathF32 vectorized_f32(const Acos&) { return vector_math_f32().acos; }
inline ArrayMathF32 vectorized_f32(const Atan&) { return vector_math_f32().atan; }
inline ArrayMathF32 vectorized_f32(const Sinh&) { return vector_math_f32().sinh; }
inline ArrayMathF32 vectorized_f32(const Cosh&) { return vector_math_f32().cosh; }
inline ArrayMathF32 vectorized_f32(const Asinh&) { return vector_math_f32().asinh; }
inline ArrayMathF32 vectorized_f32(const Acosh&) { return vector_math_f32().acosh; }
inline ArrayMathF32 vectorized_f32(const Atanh&) { return vector_math_f32().atanh; }
inline ArrayMathF32 vectorized_f32(const Exp2&) { return vector_math_f32().exp2; }
inline ArrayMathF32 vectorized_f32(const Expm1&) { return vector_math_f32().expm1; }
inline ArrayMathF32 vectorized_f32(const Log2&) { return vector_math_f32().log2; }
inline ArrayMathF32 vectorized_f32(const Log10&) { return vector_math_f32().log10; }
inline ArrayMathF32 vectorized_f32(const Log1p&) { return vector_math_f32().log1p; }
inline ArrayMathF32 vectorized_f32(const Erf&) { return vector_math_f32().erf; }
inline ArrayMathF32 vectorized_f32(const Erfc&) { return vector_math_f32().erfc; }

}  // namespace pygrad::cpu
