// Element types, devices, their names and sizes, torch's promotion table, and the macros that switch on a dtype.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/half.h"

namespace pygrad {

enum class DType : uint8_t {
  Bool = 0,
  UInt8 = 1,
  Int8 = 2,
  Int16 = 3,
  Int32 = 4,
  Int64 = 5,
  Float16 = 6,
  BFloat16 = 7,
  Float32 = 8,
  Float64 = 9,
};
constexpr int kNumDTypes = 10;
enum class Device : uint8_t { CPU = 0, CUDA = 1 };
constexpr int kNumDevices = 2;

inline size_t dtype_size(DType d) {
  switch (d) {
    case DType::Bool:
    case DType::UInt8:
    case DType::Int8: return 1;
    case DType::Int16:
    case DType::Float16:
    case DType::BFloat16: return 2;
    case DType::Int32:
    case DType::Float32: return 4;
    case DType::Int64:
    case DType::Float64: return 8;
  }
  return 0;
}
inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}
inline const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }
inline bool is_floating(DType d) { return d >= DType::Float16; }
inline bool is_reduced_floating(DType d) { return d == DType::Float16 || d == DType::BFloat16; }
inline bool is_integral(DType d, bool include_bool) {
  return (d >= DType::UInt8 && d <= DType::Int64) || (include_bool && d == DType::Bool);
}

// torch.promote_types: bool < integers < floats; uint8 with int8 meets at int16; float16 with bfloat16 at float32.
inline DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  if (is_floating(a) != is_floating(b)) return is_floating(a) ? a : b;
  if (is_reduced_floating(a) && is_reduced_floating(b)) return DType::Float32;
  if ((a == DType::UInt8 && b == DType::Int8) || (a == DType::Int8 && b == DType::UInt8)) return DType::Int16;
  return a > b ? a : b;  // enum order is size order within each category
}

// The floating dtype a Python float and a float result of integer operands take (torch.get_default_dtype()):
// float32 unless pygrad.set_default_dtype changed it. One value per process, as in torch.
inline std::atomic<DType>& default_float_slot() {
  static std::atomic<DType> slot{DType::Float32};
  return slot;
}
inline DType default_float_dtype() { return default_float_slot().load(std::memory_order_relaxed); }

// torch's can_cast: no floating to integral, no non-bool to bool.
inline bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

}  // namespace pygrad

// PG_DISPATCH_ALL(dtype, "op", { body using scalar_t }) instantiates body once per dtype.
#define PG_DISPATCH_CASE(enum_value, type, ...) \
  case enum_value: {                            \
    using scalar_t = type;                      \
    __VA_ARGS__();                              \
    break;                                      \
  }
#define PG_DISPATCH_INTEGRAL_CASES(...)                          \
  PG_DISPATCH_CASE(::pygrad::DType::UInt8, uint8_t, __VA_ARGS__) \
  PG_DISPATCH_CASE(::pygrad::DType::Int8, int8_t, __VA_ARGS__)   \
  PG_DISPATCH_CASE(::pygrad::DType::Int16, int16_t, __VA_ARGS__) \
  PG_DISPATCH_CASE(::pygrad::DType::Int32, int32_t, __VA_ARGS__) \
  PG_DISPATCH_CASE(::pygrad::DType::Int64, int64_t, __VA_ARGS__)
#define PG_DISPATCH_FLOATING_CASES(...)                                        \
  PG_DISPATCH_CASE(::pygrad::DType::Float16, ::pygrad::Half, __VA_ARGS__)      \
  PG_DISPATCH_CASE(::pygrad::DType::BFloat16, ::pygrad::BFloat16, __VA_ARGS__) \
  PG_DISPATCH_CASE(::pygrad::DType::Float32, float, __VA_ARGS__)               \
  PG_DISPATCH_CASE(::pygrad::DType::Float64, double, __VA_ARGS__)
#define PG_DISPATCH_ALL(dtype, op, ...)                          \
  [&] {                                                          \
    switch (dtype) {                                             \
      PG_DISPATCH_FLOATING_CASES(__VA_ARGS__)                    \
      PG_DISPATCH_INTEGRAL_CASES(__VA_ARGS__)                    \
      PG_DISPATCH_CASE(::pygrad::DType::Bool, bool, __VA_ARGS__) \
    }                                                            \
  }()
// float32 and float64 only: kernels that compute natively in them (the ops layer widens 16-bit floats first).
#define PG_DISPATCH_FLOATING(dtype, op, ...)                                                              \
  [&] {                                                                                                   \
    switch (dtype) {                                                                                      \
      PG_DISPATCH_CASE(::pygrad::DType::Float32, float, __VA_ARGS__)                                      \
      PG_DISPATCH_CASE(::pygrad::DType::Float64, double, __VA_ARGS__)                                     \
      default: PG_THROW(TypeError, op, "expected float32 or float64, got ", ::pygrad::dtype_name(dtype)); \
    }                                                                                                     \
  }()
// Every floating dtype, the 16-bit ones included.
#define PG_DISPATCH_ALL_FLOATING(dtype, op, ...)                                                        \
  [&] {                                                                                                 \
    switch (dtype) {                                                                                    \
      PG_DISPATCH_FLOATING_CASES(__VA_ARGS__)                                                           \
      default: PG_THROW(TypeError, op, "expected a floating dtype, got ", ::pygrad::dtype_name(dtype)); \
    }                                                                                                   \
  }()
// Data movement only: one instantiation per element size (gather, copy of equal dtypes, flips).
#define PG_DISPATCH_BY_SIZE(dtype, op, ...) \
  [&] {                                     \
    switch (::pygrad::dtype_size(dtype)) {  \
      case 1: {                             \
        using scalar_t = uint8_t;           \
        __VA_ARGS__();                      \
        break;                              \
      }                                     \
      case 2: {                             \
        using scalar_t = uint16_t;          \
        __VA_ARGS__();                      \
        break;                              \
      }                                     \
      case 4: {                             \
        using scalar_t = uint32_t;          \
        __VA_ARGS__();                      \
        break;                              \
      }                                     \
      default: {                            \
        using scalar_t = uint64_t;          \
        __VA_ARGS__();                      \
        break;                              \
      }                                     \
    }                                       \
  }()
