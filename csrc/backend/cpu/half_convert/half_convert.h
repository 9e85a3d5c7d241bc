// Row conversions between float32 and the 16-bit storage floats (float16, bfloat16): the load and store of every
// kernel that computes a 16-bit tensor in float32. One build per instruction set (AVX2 with F16C, AVX-512),
// picked at run time; every level rounds to nearest even, so results never depend on the CPU.
#pragma once
#include <cstdint>

#include "core/half.h"

namespace pygrad::cpu {

struct HalfConvert {
  void (*widen_f16)(const uint16_t* x, float* out, int64_t n) = nullptr;
  void (*narrow_f16)(const float* x, uint16_t* out, int64_t n) = nullptr;
  void (*widen_bf16)(const uint16_t* x, float* out, int64_t n) = nullptr;
  void (*narrow_bf16)(const float* x, uint16_t* out, int64_t n) = nullptr;
};

namespace half_convert_detail {
// Call only when the CPU reaches the level; members are null when built without the ISA.
HalfConvert avx2_half_convert();
HalfConvert avx512_half_convert();
}  // namespace half_convert_detail

// The conversions of the active capability level (portable loops below AVX2).
const HalfConvert& half_convert();

// Contiguous rows: out[i] = float(x[i]) and out[i] = T(x[i]) for T = Half or BFloat16.
template <class T>
void widen_row(const T* x, float* out, int64_t n);
template <class T>
void narrow_row(const float* x, T* out, int64_t n);

// Any element stride (in elements; 0 repeats one value), through the contiguous routines when the stride is 1.
template <class T>
void widen_strided(const T* x, int64_t stride, float* out, int64_t n) {
  if (stride == 1) return widen_row(x, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(x[i * stride]);
}
template <class T>
void narrow_strided(const float* x, T* out, int64_t stride, int64_t n) {
  if (stride == 1) return narrow_row(x, out, n);
  for (int64_t i = 0; i < n; ++i) out[i * stride] = T(x[i]);
}

}  // namespace pygrad::cpu
