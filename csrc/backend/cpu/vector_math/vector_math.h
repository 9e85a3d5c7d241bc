// Vectorised float32 transcendentals (exp, log, sigmoid, tanh) over contiguous arrays, one build per instruction set.
#pragma once
#include <cstdint>

#include "backend/cpu/cpu_features.h"
#include "backend/functors.h"

namespace pygrad::cpu {

// out[i] = f(x[i]) for i < n; out may alias x. The result of an element does not depend on n or on where
// the array starts (tails run through the same vector code), so thread splits never change results.
using ArrayMathF32 = void (*)(const float* x, float* out, int64_t n);

struct VectorMathF32 {
  ArrayMathF32 exp = nullptr;
  ArrayMathF32 sigmoid = nullptr;
  ArrayMathF32 tanh = nullptr;
  ArrayMathF32 log = nullptr;
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

// The array routine that replaces functor F on contiguous float32 data, or null (use the functor).
template <class F>
inline ArrayMathF32 vectorized_f32() { return nullptr; }
template <>
inline ArrayMathF32 vectorized_f32<Exp>() { return vector_math_f32().exp; }
template <>
inline ArrayMathF32 vectorized_f32<Sigmoid>() { return vector_math_f32().sigmoid; }
template <>
inline ArrayMathF32 vectorized_f32<Tanh>() { return vector_math_f32().tanh; }
template <>
inline ArrayMathF32 vectorized_f32<Log>() { return vector_math_f32().log; }

}  // namespace pygrad::cpu
