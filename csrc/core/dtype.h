// Element types, devices, their names and sizes, and the one macro that switches on a dtype.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pygrad {

enum class DType : uint8_t { Bool = 0, Int64 = 1, Float32 = 2, Float64 = 3 };
enum class Device : uint8_t { CPU = 0, CUDA = 1 };
constexpr int kNumDevices = 2;

inline size_t dtype_size(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}
inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}
inline const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }
inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }
// Promotion order bool < int64 < float32 < float64 (PyTorch's lattice restricted to our dtypes).
inline DType promote_types(DType a, DType b) { return a > b ? a : b; }

}  // namespace pygrad

// PG_DISPATCH_ALL(dtype, "op", { body using scalar_t }) instantiates body once per dtype.
#define PG_DISPATCH_CASE(enum_value, type, ...) \
  case enum_value: {                            \
    using scalar_t = type;                      \
    __VA_ARGS__();                              \
    break;                                      \
  }
#define PG_DISPATCH_ALL(dtype, op, ...)                               \
  [&] {                                                               \
    switch (dtype) {                                                  \
      PG_DISPATCH_CASE(::pygrad::DType::Float32, float, __VA_ARGS__)  \
      PG_DISPATCH_CASE(::pygrad::DType::Float64, double, __VA_ARGS__) \
      PG_DISPATCH_CASE(::pygrad::DType::Int64, int64_t, __VA_ARGS__)  \
      PG_DISPATCH_CASE(::pygrad::DType::Bool, bool, __VA_ARGS__)      \
    }                                                                 \
  }()
#define PG_DISPATCH_FLOATING(dtype, op, ...)                                                            \
  [&] {                                                                                                 \
    switch (dtype) {                                                                                    \
      PG_DISPATCH_CASE(::pygrad::DType::Float32, float, __VA_ARGS__)                                    \
      PG_DISPATCH_CASE(::pygrad::DType::Float64, double, __VA_ARGS__)                                   \
      default: PG_THROW(TypeError, op, "expected a floating dtype, got ", ::pygrad::dtype_name(dtype)); \
    }                                                                                                   \
  }()
