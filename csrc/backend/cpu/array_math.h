// Helpers of the CPU kernels: whole-array exp / sigmoid / tanh, row max and softmax numerators (float32 through the
// active ISA's vector routine when it has one, scalar math otherwise) and a per-thread scratch buffer reused across
// calls.
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>

#include "backend/cpu/vector_math/vector_math.h"

namespace pygrad::cpu {

template <class T>
inline void exp_array(const T* x, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}
template <class T>
inline void sigmoid_array(const T* x, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = T(1) / (T(1) + std::exp(-x[i]));
}
template <class T>
inline void tanh_array(const T* x, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(x[i]);
}
template <>
inline void exp_array<float>(const float* x, float* out, int64_t n) {
  if (const ArrayMathF32 f = vector_math_f32().exp) return f(x, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}
template <>
inline void sigmoid_array<float>(const float* x, float* out, int64_t n) {
  if (const ArrayMathF32 f = vector_math_f32().sigmoid) return f(x, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-x[i]));
}
template <>
inline void tanh_array<float>(const float* x, float* out, int64_t n) {
  if (const ArrayMathF32 f = vector_math_f32().tanh) return f(x, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(x[i]);
}

// Largest of x[0, n), n >= 1.
template <class T>
inline T max_array(const T* x, int64_t n) {
  T m = x[0];
  for (int64_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}
template <>
inline float max_array<float>(const float* x, int64_t n) {
  if (const auto f = vector_math_f32().max) return f(x, n);
  float m = x[0];
  for (int64_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// out = e^(x - shift) over [0, n), returning the sum of out (fixed order); out may alias x.
template <class T>
inline T exp_shift_sum(const T* x, T shift, T* out, int64_t n) {
  T sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (out[i] = std::exp(x[i] - shift));
  return sum;
}
template <>
inline float exp_shift_sum<float>(const float* x, float shift, float* out, int64_t n) {
  if (const auto f = vector_math_f32().exp_shift_sum) return f(x, shift, out, n);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (out[i] = std::exp(x[i] - shift));
  return sum;
}

// At least `count` elements of uninitialised scratch owned by the calling thread, reused across calls (grows,
// never shrinks, never copies or zero-fills), so a training step pays neither fresh pages nor a fill.
template <class T>
inline T* thread_scratch(size_t count) {
  thread_local std::unique_ptr<T[]> buffer;
  thread_local size_t capacity = 0;
  if (count > capacity) {
    buffer.reset();
    buffer.reset(new T[count]);
    capacity = count;
  }
  return buffer.get();
}

}  // namespace pygrad::cpu
