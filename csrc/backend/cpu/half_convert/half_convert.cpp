// The portable float16/bfloat16 row conversions and the choice of level.
#include "backend/cpu/half_convert/half_convert.h"

#include "backend/cpu/cpu_features.h"

namespace pygrad::cpu {
namespace {

void widen_f16_portable(const uint16_t* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = half_bits_to_float(x[i]);
}
void narrow_f16_portable(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_half_bits(x[i]);
}
void widen_bf16_portable(const uint16_t* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = bfloat16_bits_to_float(x[i]);
}
void narrow_bf16_portable(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_bfloat16_bits(x[i]);
}

// Fills the members a level left null with the portable loops.
HalfConvert complete(HalfConvert c) {
  if (c.widen_f16 == nullptr) c.widen_f16 = &widen_f16_portable;
  if (c.narrow_f16 == nullptr) c.narrow_f16 = &narrow_f16_portable;
  if (c.widen_bf16 == nullptr) c.widen_bf16 = &widen_bf16_portable;
  if (c.narrow_bf16 == nullptr) c.narrow_bf16 = &narrow_bf16_portable;
  return c;
}

}  // namespace

const HalfConvert& half_convert() {
  static const HalfConvert portable = complete(HalfConvert{});
  static const HalfConvert avx2 = complete(detected_cpu_capability() >= CpuCapability::Avx2 && cpu_has_f16c()
                                               ? half_convert_detail::avx2_half_convert()
                                               : HalfConvert{});
  static const HalfConvert avx512 = complete(detected_cpu_capability() >= CpuCapability::Avx512 && cpu_has_f16c()
                                                 ? half_convert_detail::avx512_half_convert()
                                                 : HalfConvert{});
  switch (cpu_capability()) {
    case CpuCapability::Avx512: return avx512;
    case CpuCapability::Avx2: return avx2;
    default: return portable;
  }
}

template <>
void widen_row<Half>(const Half* x, float* out, int64_t n) {
  half_convert().widen_f16(reinterpret_cast<const uint16_t*>(x), out, n);
}
template <>
void widen_row<BFloat16>(const BFloat16* x, float* out, int64_t n) {
  half_convert().widen_bf16(reinterpret_cast<const uint16_t*>(x), out, n);
}
template <>
void narrow_row<Half>(const float* x, Half* out, int64_t n) {
  half_convert().narrow_f16(x, reinterpret_cast<uint16_t*>(out), n);
}
template <>
void narrow_row<BFloat16>(const float* x, BFloat16* out, int64_t n) {
  half_convert().narrow_bf16(x, reinterpret_cast<uint16_t*>(out), n);
}

}  // namespace pygrad::cpu
