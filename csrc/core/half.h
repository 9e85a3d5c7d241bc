// float16 and bfloat16 as storage types: 16 bits in memory, float32 for every computation. Each converts to
// float implicitly and rounds from float to nearest-even, so generic kernels compile for them unchanged (each
// operation widens, computes in float32 and rounds on store); hot loops convert whole rows at once instead
// (backend/cpu/half_convert.h).
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace pygrad {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// IEEE binary16 from float32, round to nearest even; NaN stays NaN (quiet), overflow gives inf.
inline uint16_t float_to_half_bits(float f) {
  const uint32_t x = float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): add 0.5 so the FPU rounds the mantissa at the half's lowest bit.
    const float shifted = bits_float(abs) + 0.5f;
    return static_cast<uint16_t>(sign | (float_bits(shifted) - 0x3f000000u));
  }
  const uint32_t odd = (abs >> 13) & 1u;
  return static_cast<uint16_t>(sign | ((abs + 0xc8000fffu + odd) >> 13));  // rebias exponent and round
}

inline float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return bits_float(sign | 0x7f800000u | (mant << 13));  // inf, NaN
  if (exp == 0) return mant == 0 ? bits_float(sign) : (sign ? -1.0f : 1.0f) * static_cast<float>(mant) * 5.9604645e-8f;
  return bits_float(sign | ((exp + 112) << 23) | (mant << 13));
}

// bfloat16: the top 16 bits of a float32, rounded to nearest even; NaN kept quiet.
inline uint16_t float_to_bfloat16_bits(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
inline float bfloat16_bits_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f) : bits(float_to_half_bits(f)) {}  // NOLINT: implicit, as a float would be
  operator float() const { return half_bits_to_float(bits); }
  static Half from_bits(uint16_t b) {
    Half h;
    h.bits = b;
    return h;
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) : bits(float_to_bfloat16_bits(f)) {}  // NOLINT: implicit, as a float would be
  operator float() const { return bfloat16_bits_to_float(bits); }
  static BFloat16 from_bits(uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
};

// Compound assignment computes in float32 and rounds once, as torch's CPU kernels do.
#define PG_HALF_COMPOUND(Type, op)                   \
  inline Type& operator op## = (Type & a, float b) { \
    a = Type(static_cast<float>(a) op b);            \
    return a;                                        \
  }
PG_HALF_COMPOUND(Half, +)
PG_HALF_COMPOUND(Half, -)
PG_HALF_COMPOUND(Half, *)
PG_HALF_COMPOUND(Half, /)
PG_HALF_COMPOUND(BFloat16, +)
PG_HALF_COMPOUND(BFloat16, -)
PG_HALF_COMPOUND(BFloat16, *)
PG_HALF_COMPOUND(BFloat16, /)
#undef PG_HALF_COMPOUND

template <class T>
struct is_reduced_float : std::false_type {};
template <>
struct is_reduced_float<Half> : std::true_type {};
template <>
struct is_reduced_float<BFloat16> : std::true_type {};

// The type a kernel computes T in: float for the 16-bit floats, T otherwise.
template <class T>
using compute_type_t = typename std::conditional<is_reduced_float<T>::value, float, T>::type;

// numeric_limits of a 16-bit float from the bit patterns of its infinity, quiet NaN, max, min normal and epsilon.
template <class T, uint16_t kInf, uint16_t kNaN, uint16_t kMax, uint16_t kMin, uint16_t kEps>
struct reduced_float_limits {
  static constexpr bool is_specialized = true;
  static constexpr bool is_integer = false;
  static constexpr bool is_signed = true;
  static constexpr bool has_infinity = true;
  static constexpr bool has_quiet_NaN = true;
  static T infinity() { return T::from_bits(kInf); }
  static T quiet_NaN() { return T::from_bits(kNaN); }
  static T max() { return T::from_bits(kMax); }
  static T lowest() { return T::from_bits(kMax | 0x8000); }
  static T min() { return T::from_bits(kMin); }
  static T epsilon() { return T::from_bits(kEps); }
};

}  // namespace pygrad

namespace std {
template <>
class numeric_limits<pygrad::Half>
    : public pygrad::reduced_float_limits<pygrad::Half, 0x7c00, 0x7e00, 0x7bff, 0x0400, 0x1400> {};
template <>
class numeric_limits<pygrad::BFloat16>
    : public pygrad::reduced_float_limits<pygrad::BFloat16, 0x7f80, 0x7fc0, 0x7f7f, 0x0080, 0x3c00> {};
}  // namespace std
