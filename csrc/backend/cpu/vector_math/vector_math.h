// Vectorised float32 transcendentals (exp, log, sigmoid, tanh, tanh-approximated GELU) over contiguous arrays and
// uniform random numbers, one build per instruction set.
#pragma once
#include <cstdint>

#include "backend/cpu/cpu_features.h"
#include "backend/functors.h"
#include "core/random.h"

namespace pygrad::cpu {

// out[i] = f(x[i]) for i < n; out may alias x. The result of an element does not depend on n or on where
// the array starts (tails run through the same vector code), so thread splits never change results.
using ArrayMathF32 = void (*)(const float* x, float* out, int64_t n);

// Uniform float32 numbers in groups of 32 from Philox4x32-10: element r of group g is word r / 8 of counter
// 8g + r % 8, as start + range * (word >> 8) * 2^-24 (multiply, then add). Writes dst[0, 32 * groups) for the
// groups first, first + 1, ... uniform_groups_scalar (elementwise.cpp) is the reference every ISA matches.
constexpr int kUniformGroup = 32;
using UniformGroupsF32 = void (*)(RandomStream key, int64_t first, int64_t groups, float start, float range,
                                  float* dst);

struct VectorMathF32 {
  ArrayMathF32 exp = nullptr;
  ArrayMathF32 sigmoid = nullptr;
  ArrayMathF32 tanh = nullptr;
  ArrayMathF32 log = nullptr;
  ArrayMathF32 gelu_tanh = nullptr;
  UniformGroupsF32 uniform = nullptr;
};

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
// GELU's tanh approximation (b != 0); the exact form needs erf, which has no vector routine yet.
inline ArrayMathF32 vectorized_f32(const Gelu& f) { return f.b != 0 ? vector_math_f32().gelu_tanh : nullptr; }

}  // namespace pygrad::cpu
