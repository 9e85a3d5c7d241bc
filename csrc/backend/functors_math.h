// The scalar math of the torch-surface elementwise ops (rounding, trigonometry, special functions, integer
// division, bitwise, predicates), one tiny struct per op as in functors.h, which includes this file.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/random.h"  // PG_HOST_DEVICE

namespace pygrad {

// A unary functor that applies one <cmath> function (computed in T; a storage type converts through float).
#define PG_CMATH_FUNCTOR(Name, expr)         \
  struct Name : UnaryParams {                \
    template <class T>                       \
    PG_HOST_DEVICE T operator()(T x) const { \
      return static_cast<T>(expr);           \
    }                                        \
  };
PG_CMATH_FUNCTOR(Tan, std::tan(x))
PG_CMATH_FUNCTOR(Asin, std::asin(x))
PG_CMATH_FUNCTOR(Acos, std::acos(x))
PG_CMATH_FUNCTOR(Atan, std::atan(x))
PG_CMATH_FUNCTOR(Sinh, std::sinh(x))
PG_CMATH_FUNCTOR(Cosh, std::cosh(x))
PG_CMATH_FUNCTOR(Asinh, std::asinh(x))
PG_CMATH_FUNCTOR(Acosh, std::acosh(x))
PG_CMATH_FUNCTOR(Atanh, std::atanh(x))
PG_CMATH_FUNCTOR(Exp2, std::exp2(x))
PG_CMATH_FUNCTOR(Expm1, std::expm1(x))
PG_CMATH_FUNCTOR(Log2, std::log2(x))
PG_CMATH_FUNCTOR(Log10, std::log10(x))
PG_CMATH_FUNCTOR(Erfc, std::erfc(x))
PG_CMATH_FUNCTOR(Lgamma, std::lgamma(x))
PG_CMATH_FUNCTOR(Reciprocal, T(1) / x)
PG_CMATH_FUNCTOR(Frac, x - std::trunc(x))
#undef PG_CMATH_FUNCTOR

// Rounding: integers are already whole (returned as they are, exact beyond 2^53).
#define PG_ROUNDING_FUNCTOR(Name, fn)             \
  struct Name : UnaryParams {                     \
    template <class T>                            \
    PG_HOST_DEVICE T operator()(T x) const {      \
      if constexpr (std::is_integral<T>::value) { \
        return x;                                 \
      } else {                                    \
        return static_cast<T>(fn(x));             \
      }                                           \
    }                                             \
  };
PG_ROUNDING_FUNCTOR(Floor, std::floor)
PG_ROUNDING_FUNCTOR(Ceil, std::ceil)
PG_ROUNDING_FUNCTOR(Trunc, std::trunc)
#undef PG_ROUNDING_FUNCTOR

// round(x, decimals = a): half to even (the default rounding mode), as torch.round.
struct Round : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_integral<T>::value) {
      return x;
    } else {
      if (a == 0) return static_cast<T>(std::nearbyint(x));
      const T scale = static_cast<T>(std::pow(10.0, a < 0 ? -a : a));
      return a < 0 ? static_cast<T>(std::nearbyint(x / scale) * scale)
                   : static_cast<T>(std::nearbyint(x * scale) / scale);
    }
  }
};

// Inverse error function: Giles' single-precision-style initial guess refined by two Newton steps in double.
struct Erfinv : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    const double y = static_cast<double>(x);
    if (y <= -1.0 || y >= 1.0 || y != y) {
      if (y == 1.0) return static_cast<T>(std::numeric_limits<double>::infinity());
      if (y == -1.0) return static_cast<T>(-std::numeric_limits<double>::infinity());
      return static_cast<T>(std::numeric_limits<double>::quiet_NaN());
    }
    double w = -std::log((1.0 - y) * (1.0 + y)), p;
    if (w < 5.0) {
      w -= 2.5;
      p = 2.81022636e-08;
      for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
                       0.246640727, 1.50140941})
        p = c + p * w;
    } else {
      w = std::sqrt(w) - 3.0;
      p = -0.000200214257;
      for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                       1.00167406, 2.83297682})
        p = c + p * w;
    }
    double r = p * y;
    for (int i = 0; i < 2; ++i) {  // Newton on erf(r) = y: erf'(r) = 2/sqrt(pi) exp(-r^2)
      const double e = std::erf(r) - y;
      r -= e / (1.1283791670955126 * std::exp(-r * r));
    }
    return static_cast<T>(r);
  }
};

// polygamma(n = a, x): digamma for n = 0, else (-1)^(n+1) n! zeta(n + 1, x) (Hurwitz zeta).
struct Polygamma : UnaryParams {
  PG_HOST_DEVICE static double digamma(double x) {
    if (x == 0)
      return std::signbit(x) ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    if (x < 0) {
      if (x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
      const double pi = 3.141592653589793;  // reflection: psi(1 - x) - pi / tan(pi x)
      return digamma(1 - x) - pi / std::tan(pi * x);
    }
    double result = 0;
    while (x < 10) {
      result -= 1 / x;
      x += 1;
    }
    if (x == 10) return result + 2.25175258906672110764;
    const double z = 1 / (x * x);  // asymptotic series
    const double series =
        z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * 691.0 / 32760)))));
    return result + std::log(x) - 0.5 / x - series;
  }
  // Hurwitz zeta(s, q) for s > 1 (Euler-Maclaurin, as Cephes' zeta).
  PG_HOST_DEVICE static double zeta(double s, double q) {
    if (q <= 0 && q == std::floor(q)) return std::numeric_limits<double>::infinity();  // s is an integer here
    static const double kB[12] = {12.0,
                                  -720.0,
                                  30240.0,
                                  -1209600.0,
                                  47900160.0,
                                  -1.8924375803183791606e9,
                                  7.47242496e10,
                                  -2.950130727918164224e12,
                                  1.1646782814350067249e14,
                                  -4.5979787224074726105e15,
                                  1.8152105401943546773e17,
                                  -7.1661652561756670113e18};
    double sum = std::pow(q, -s), a = q, b = 0;
    int i = 0;
    while (i < 9 || a <= 9) {
      i += 1;
      a += 1;
      b = std::pow(a, -s);
      sum += b;
      if (std::fabs(b / sum) < 1e-17) return sum;
    }
    const double w = a;
    sum += b * w / (s - 1) - 0.5 * b;
    double factor = 1, k = 0;
    for (int j = 0; j < 12; ++j) {
      factor *= s + k;
      b /= w;
      const double t = factor * b / kB[j];
      sum += t;
      if (std::fabs(t / sum) < 1e-17) break;
      k += 1;
      factor *= s + k;
      b /= w;
      k += 1;
    }
    return sum;
  }
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    const double v = static_cast<double>(x);
    if (a == 0) return static_cast<T>(digamma(v));
    const double n = a;
    const double sign = static_cast<int64_t>(n) % 2 == 0 ? -1.0 : 1.0;
    return static_cast<T>(sign * std::exp(std::lgamma(n + 1)) * zeta(n + 1, v));
  }
};

struct Digamma : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(Polygamma::digamma(static_cast<double>(x)));
  }
};

// logit(x) = log(x / (1 - x)), x first clamped to [eps, 1 - eps] when a (eps) >= 0.
struct Logit : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    T z = x;
    if (a >= 0) {
      const T lo = static_cast<T>(a), hi = static_cast<T>(1 - a);
      z = z < lo ? lo : (z > hi ? hi : z);
    }
    return static_cast<T>(std::log(z / (T(1) - z)));
  }
};

// nan_to_num: NaN -> a, +inf -> b, -inf -> c.
struct NanToNum : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_integral<T>::value) {
      return x;
    } else {
      const double v = static_cast<double>(x);
      if (v != v) return static_cast<T>(a);
      if (v == std::numeric_limits<double>::infinity()) return static_cast<T>(b);
      if (v == -std::numeric_limits<double>::infinity()) return static_cast<T>(c);
      return x;
    }
  }
};

// ---- predicates: any dtype in, bool out
#define PG_PREDICATE_FUNCTOR(Name, float_expr, integer_value) \
  struct Name : UnaryParams {                                 \
    template <class T>                                        \
    PG_HOST_DEVICE bool operator()(T x) const {               \
      if constexpr (std::is_integral<T>::value) {             \
        return integer_value;                                 \
      } else {                                                \
        return float_expr;                                    \
      }                                                       \
    }                                                         \
  };
PG_PREDICATE_FUNCTOR(Isnan, x != x, false)
PG_PREDICATE_FUNCTOR(Isinf, std::isinf(static_cast<double>(x)), false)
PG_PREDICATE_FUNCTOR(Isfinite, std::isfinite(static_cast<double>(x)), true)
PG_PREDICATE_FUNCTOR(Isposinf, static_cast<double>(x) == std::numeric_limits<double>::infinity(), false)
PG_PREDICATE_FUNCTOR(Isneginf, static_cast<double>(x) == -std::numeric_limits<double>::infinity(), false)
PG_PREDICATE_FUNCTOR(Signbit, std::signbit(static_cast<double>(x)), x < T(0))
PG_PREDICATE_FUNCTOR(LogicalNot, !(x != T(0)), !x)
#undef PG_PREDICATE_FUNCTOR

struct BitwiseNot : UnaryParams {
  template <class T>
  PG_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_same<T, bool>::value) {
      return !x;
    } else {
      return static_cast<T>(~x);
    }
  }
};

// ---- binary
// Integer arithmetic in the unsigned type of the same width: wraps like torch, no signed-overflow UB.
template <class T>
PG_HOST_DEVICE inline T wrapping_neg(T x) {
  using U = typename std::make_unsigned<T>::type;
  return static_cast<T>(U(0) - static_cast<U>(x));
}

// Truncating integer division (the caller has ruled out b == 0); a signed MIN / -1 wraps to MIN.
template <class T>
PG_HOST_DEVICE inline T int_div_trunc(T a, T b) {
  if constexpr (std::is_signed<T>::value) {
    if (b == T(-1)) return wrapping_neg(a);
  }
  return static_cast<T>(a / b);
}
template <class T>
PG_HOST_DEVICE inline T int_rem_trunc(T a, T b) {
  if constexpr (std::is_signed<T>::value) {
    if (b == T(-1)) return T(0);
  }
  return static_cast<T>(a % b);
}

// C's fmod. float32 takes a quicker exact route through double when |x / y| < 2^24: the double quotient then
// truncates to the exact integer quotient q (a non-integer x / y of two floats is at least 2^-48 relative away
// from an integer), and x - q y is exact in double (q y has at most 48 significant bits) and in float.
template <class T>
PG_HOST_DEVICE inline T fmod_exact(T x, T y) {
  if constexpr (std::is_same<T, float>::value) {
    const double xd = x, yd = y, quotient = xd / yd;
    if (std::fabs(quotient) < 16777216.0 && std::fabs(yd) < std::numeric_limits<double>::infinity()) {
      const double r = xd - std::trunc(quotient) * yd;
      return r == 0 ? std::copysign(0.0f, x) : static_cast<float>(r);
    }
  }
  return static_cast<T>(std::fmod(x, y));
}

struct DivTrunc {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_integral<T>::value) {
      return y == T(0) ? T(0) : int_div_trunc(x, y);
    } else {
      return static_cast<T>(std::trunc(x / y));
    }
  }
};

// floor(x / y): torch's div_floor (through fmod, so the quotient is the exact floor even when x / y rounds).
struct FloorDivide {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_integral<T>::value) {
      if (y == T(0)) return T(0);  // unreachable: the ops layer raises first
      const T q = int_div_trunc(x, y);
      return ((x < T(0)) != (y < T(0)) && int_rem_trunc(x, y) != T(0)) ? static_cast<T>(q - T(1)) : q;
    } else {
      if (y == T(0)) return x / y;
      const T mod = fmod_exact(x, y);
      T div = static_cast<T>((x - mod) / y);
      if (mod != T(0) && (y < T(0)) != (mod < T(0))) div = static_cast<T>(div - T(1));
      if (div == T(0)) return static_cast<T>(std::copysign(T(0), x / y));
      T floordiv = static_cast<T>(std::floor(div));
      if (div - floordiv > T(0.5)) floordiv = static_cast<T>(floordiv + T(1));
      return floordiv;
    }
  }
};

// x - floor(x / y) * y: the sign of the divisor (Python's %).
struct Remainder {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_integral<T>::value) {
      if (y == T(0)) return T(0);
      const T r = int_rem_trunc(x, y);
      return (r != T(0) && (r < T(0)) != (y < T(0))) ? static_cast<T>(r + y) : r;
    } else {
      T mod = fmod_exact(x, y);
      if (mod != T(0) && (y < T(0)) != (mod < T(0))) mod = static_cast<T>(mod + y);
      return mod;
    }
  }
};

// C's fmod: the sign of the dividend.
struct Fmod {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_integral<T>::value) {
      return y == T(0) ? T(0) : int_rem_trunc(x, y);
    } else {
      return fmod_exact(x, y);
    }
  }
};

#define PG_BINARY_MATH_FUNCTOR(Name, expr)        \
  struct Name {                                   \
    template <class T>                            \
    PG_HOST_DEVICE T operator()(T x, T y) const { \
      return static_cast<T>(expr);                \
    }                                             \
  };
PG_BINARY_MATH_FUNCTOR(Atan2, std::atan2(x, y))
PG_BINARY_MATH_FUNCTOR(Hypot, std::hypot(x, y))
PG_BINARY_MATH_FUNCTOR(Copysign, std::copysign(x, y))
#undef PG_BINARY_MATH_FUNCTOR

// log(exp(x) + exp(y)) without overflow; equal infinities return themselves.
struct Logaddexp {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if (std::isinf(static_cast<double>(x)) && x == y) return x;
    const T m = x > y ? x : y;
    const T d = x > y ? y - x : x - y;
    return static_cast<T>(m + std::log1p(std::exp(d)));
  }
};
struct Logaddexp2 {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if (std::isinf(static_cast<double>(x)) && x == y) return x;
    const T m = x > y ? x : y;
    const T d = x > y ? y - x : x - y;
    return static_cast<T>(m + std::log1p(std::exp2(d)) * T(1.4426950408889634));
  }
};
// x * log(y), 0 where x == 0 (unless y is NaN).
struct Xlogy {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if (y != y) return y;
    if (x == T(0)) return T(0);
    return static_cast<T>(x * std::log(y));
  }
};
// fmax / fmin: NaN only when both are NaN.
struct Fmax {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return (x >= y || y != y) ? x : y;
  }
};
struct Fmin {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return (x <= y || y != y) ? x : y;
  }
};

// ---- bitwise (integers and bool)
struct BitwiseAnd {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return static_cast<T>(x & y);
  }
};
struct BitwiseOr {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return static_cast<T>(x | y);
  }
};
struct BitwiseXor {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    return static_cast<T>(x ^ y);
  }
};
// Shifts as torch: a shift by a negative count or by the width or more gives 0 (right: the sign fill).
struct BitwiseLeftShift {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_same<T, bool>::value) {
      return x && !y;
    } else {
      using U = typename std::make_unsigned<T>::type;
      constexpr T width = static_cast<T>(sizeof(T) * 8);
      if (y < T(0) || y >= width) return T(0);
      return static_cast<T>(static_cast<U>(x) << y);
    }
  }
};
struct BitwiseRightShift {
  template <class T>
  PG_HOST_DEVICE T operator()(T x, T y) const {
    if constexpr (std::is_same<T, bool>::value) {
      return x && !y;
    } else {
      constexpr T width = static_cast<T>(sizeof(T) * 8);
      if (y < T(0) || y >= width) return x < T(0) ? T(-1) : T(0);
      return static_cast<T>(x >> y);
    }
  }
};
struct LogicalXor {
  template <class T>
  PG_HOST_DEVICE bool operator()(T x, T y) const {
    return (x != T(0)) != (y != T(0));
  }
};

}  // namespace pygrad
