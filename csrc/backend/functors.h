// The scalar math of elementwise ops, one tiny struct per op, shared by the CPU loops and CUDA kernels.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/random.h"  // PG_HOST_DEVICE

namespace pygrad {

// Parameters of parametrised unary ops (slope, bounds, approximation flag); others ignore them.
struct UnaryParams {
  double a = 0;
  double b = 0;
  double c = 0;
};

template <class T>
PG_HOST_DEVICE inline T pg_max(T x, T y) {
  return x > y ? x : y;
}

struct Neg : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return -x;
  }
};
struct Abs : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return x < T(0) ? -x : x;
  }
};
struct Sign : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return T((T(0) < x) - (x < T(0)));
  }
};
struct Exp : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::exp(x);
  }
};
struct Log : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::log(x);
  }
};
struct Log1p : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::log1p(x);
  }
};
struct Sqrt : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::sqrt(x);
  }
};
struct Rsqrt : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return T(1) / std::sqrt(x);
  }
};
struct Sin : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::sin(x);
  }
};
struct Cos : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::cos(x);
  }
};
struct Erf : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::erf(x);
  }
};
struct Sigmoid : UnaryParams {
  // Split by sign so exp never overflows.
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    T e = std::exp(x);
    return e / (T(1) + e);
  }
};
struct Tanh : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return std::tanh(x);
  }
};
struct Relu : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return x > T(0) ? x : (x == x ? T(0) : x);
  }
};
struct LeakyRelu : UnaryParams {  // a: negative slope
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return x > T(0) ? x : x * T(a);
  }
};
struct Gelu : UnaryParams {  // b != 0: tanh approximation
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    if (b != 0) {
      const T k = T(0.7978845608028654);
      return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
    }
    return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
  }
};
// min(max(x, a), b) as torch: b wins where a > b; a NaN input or bound gives NaN; branch-free so it vectorises.
struct Clamp : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    const T lo = T(a), hi = T(b);
    const T low = (x < lo || lo != lo) ? lo : x;
    return (low > hi || hi != hi) ? hi : low;
  }
};

struct Add {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return x + y;
  }
};
struct Sub {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return x - y;
  }
};
struct Mul {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_same<T, bool>::value) {
      return x && y;
    } else {
      return x * y;
    }
  }
};
struct Div {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_integral<T>::value) {
      return y == 0 ? T(0) : x / y;  // unreachable for true division; kept total for safety
    } else {
      return x / y;
    }
  }
};
struct Pow {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_same<T, bool>::value) {
      return x || !y;
    } else if constexpr (std::is_integral<T>::value) {
      if (y < 0) return x == 1 ? 1 : (x == -1 ? ((y & 1) ? -1 : 1) : 0);
      T result = 1, base = x;
      for (T e = y; e > 0; e >>= 1) {
        if (e & 1) result *= base;
        base *= base;
      }
      return result;
    } else {
      // Small integer powers by multiplication (a broadcast exponent unswitches the loop, which then vectorises).
      if (y == T(2)) return x * x;
      if (y == T(3)) return x * x * x;
      if (y == T(1)) return x;
      if (y == T(-1)) return T(1) / x;
      return std::pow(x, y);
    }
  }
};
struct Maximum {  // NaN propagates
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return (x > y || x != x) ? x : y;
  }
};
struct Minimum {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return (x < y || x != x) ? x : y;
  }
};
struct ReluBackward {  // gradient through relu: passes where the saved output is positive
  template <class T>
  PG_HOST_DEVICE T operator()(T grad, T result) const {
    return result > T(0) ? grad : T(0);
  }
};
struct Eq {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x == y;
  }
};
struct Ne {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x != y;
  }
};
struct Lt {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x < y;
  }
};
struct Le {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x <= y;
  }
};
struct Gt {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x > y;
  }
};
struct Ge {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x >= y;
  }
};
struct LogicalAnd {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x && y;
  }
};
struct LogicalOr {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return x || y;
  }
};

}  // namespace pygrad

#include "backend/functors_math.h"  // the rest of the torch surface's elementwise math
