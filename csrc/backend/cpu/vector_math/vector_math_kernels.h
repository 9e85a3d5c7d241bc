// The vector algorithms of vector_math.h written once over a SIMD wrapper V; each ISA file supplies V.
// Included only by the per-ISA translation units (it expands to their instructions).
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

namespace pygrad::cpu::vector_math_detail {

// e^x: n = round(x / ln2), r = x - n ln2 (two-part ln2, |r| <= ln2/2), e^r by a degree-7 Taylor polynomial
// (truncation < 0.2 ulp), then scaled by 2^n. Clamping x first makes overflow give inf and underflow 0;
// the clamp's operand order lets NaN through.
template <class V>
inline typename V::Reg expm1_reduced(typename V::Reg r) {
  using Reg = typename V::Reg;
  Reg p = V::set1(1.0f / 5040.0f);
  p = V::fmadd(p, r, V::set1(1.0f / 720.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 120.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 24.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 6.0f));
  p = V::fmadd(p, r, V::set1(0.5f));
  return V::fmadd(V::mul(r, r), p, r);  // r + r^2 * p
}

// Splits x = n ln2 + r; returns r and sets n (integral-valued floats).
template <class V>
inline typename V::Reg reduce_ln2(typename V::Reg x, typename V::Reg& n) {
  n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  typename V::Reg r = V::fnmadd(n, V::set1(0.693359375f), x);  // ln2 high part: n * it is exact
  return V::fnmadd(n, V::set1(-2.12194440e-4f), r);
}

template <class V>
inline typename V::Reg exp(typename V::Reg x) {
  x = V::max(V::set1(-104.0f), V::min(V::set1(88.8f), x));
  typename V::Reg n;
  typename V::Reg r = reduce_ln2<V>(x, n);
  return V::scale_pow2(V::add(V::set1(1.0f), expm1_reduced<V>(r)), n);
}

// 1 / (1 + e^-x) from e = e^-|x| <= 1: s = 1 / (1 + e) for x >= 0, e * s for x < 0; never overflows.
template <class V>
inline typename V::Reg sigmoid(typename V::Reg x) {
  typename V::Reg e = exp<V>(V::neg(V::abs(x)));
  typename V::Reg s = V::div(V::set1(1.0f), V::add(V::set1(1.0f), e));
  return V::blend(V::less(x, V::set1(0.0f)), V::mul(e, s), s);
}

// log x: x = m 2^e with m in [sqrt(1/2), sqrt(2)) from the exponent bits (denormals scaled by 2^23 first);
// log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, by its odd series to s^9 (truncation < 0.05 ulp);
// plus e ln2 in two parts. Zero gives -inf, negatives and NaN give NaN, inf stays inf.
template <class V>
inline typename V::Reg log(typename V::Reg x) {
  using Reg = typename V::Reg;
  const auto tiny = V::less(x, V::set1(1.17549435e-38f));  // below FLT_MIN: denormal, zero or negative
  const Reg scaled = V::blend(tiny, V::mul(x, V::set1(8388608.0f)), x);
  Reg e = V::sub(V::exponent(scaled), V::blend(tiny, V::set1(23.0f), V::set1(0.0f)));
  Reg m = V::mantissa(scaled);  // [1, 2)
  const auto high = V::less(V::set1(1.41421356f), m);
  m = V::blend(high, V::mul(m, V::set1(0.5f)), m);
  e = V::blend(high, V::add(e, V::set1(1.0f)), e);
  const Reg f = V::sub(m, V::set1(1.0f));  // exact (Sterbenz)
  const Reg s = V::div(f, V::add(m, V::set1(1.0f)));
  const Reg s2 = V::mul(s, s);
  Reg r = V::set1(2.0f / 9.0f);
  r = V::fmadd(r, s2, V::set1(2.0f / 7.0f));
  r = V::fmadd(r, s2, V::set1(2.0f / 5.0f));
  r = V::fmadd(r, s2, V::set1(2.0f / 3.0f));
  r = V::mul(r, s2);
  // log m = f - (f^2/2 - s (f^2/2 + r)): the exact f carries the leading term (fdlibm's arrangement).
  const Reg half_f2 = V::mul(V::set1(0.5f), V::mul(f, f));
  const Reg log_m = V::sub(f, V::fnmadd(s, V::add(half_f2, r), half_f2));
  Reg result = V::fmadd(e, V::set1(0.693359375f), V::fmadd(e, V::set1(-2.12194440e-4f), log_m));
  result = V::blend(V::equal(x, V::set1(std::numeric_limits<float>::infinity())), x, result);
  result = V::blend(V::equal(x, V::set1(0.0f)), V::set1(-std::numeric_limits<float>::infinity()), result);
  const auto invalid = V::mask_or(V::less(x, V::set1(0.0f)), V::not_equal(x, x));
  return V::blend(invalid, V::set1(std::numeric_limits<float>::quiet_NaN()), result);
}

// tanh|x| = -m / (2 + m) with m = expm1(-2|x|), computed as 2^n (1 + q) - 1 = 2^n q + (2^n - 1) so small |x|
// keeps full relative accuracy; |x| is capped at 10, where tanh rounds to 1. The sign is copied back.
template <class V>
inline typename V::Reg tanh(typename V::Reg x) {
  typename V::Reg y = V::max(V::set1(-20.0f), V::mul(V::set1(-2.0f), V::abs(x)));
  typename V::Reg n;
  typename V::Reg q = expm1_reduced<V>(reduce_ln2<V>(y, n));
  typename V::Reg pow = V::scale_pow2(V::set1(1.0f), n);
  typename V::Reg m = V::fmadd(pow, q, V::sub(pow, V::set1(1.0f)));
  typename V::Reg t = V::div(V::neg(m), V::add(V::set1(2.0f), m));
  return V::copy_sign(t, x);
}

// GELU, tanh form: 0.5 x (1 + tanh(y)) = x sigmoid(2y), y = sqrt(2/pi) (x + 0.044715 x^3); the sigmoid form
// keeps full relative accuracy where 1 + tanh(y) would cancel (large negative x).
template <class V>
inline typename V::Reg gelu_tanh(typename V::Reg x) {
  const typename V::Reg inner = V::fmadd(V::mul(V::set1(0.044715f), V::mul(x, x)), x, x);  // x + 0.044715 x^3
  return V::mul(x, sigmoid<V>(V::mul(V::set1(2.0f * 0.7978845608028654f), inner)));
}

// erf x = x P(x^2) / Q(x^2) for |x| < 3.925 (beyond it erf rounds to +-1 in float32), a rational fit of our own
// (weighted least squares, iterated to near-minimax relative error 5e-8; under 6 ulp after float32 rounding).
// One division and no exp, so GELU and its gradient stay memory-bound; NaN passes through the clamp.
template <class V>
inline typename V::Reg erf_rational(typename V::Reg x) {
  using Reg = typename V::Reg;
  const Reg c = V::set1(3.925f);
  const Reg xc = V::max(V::neg(c), V::min(c, x));
  const Reg t = V::mul(xc, xc);
  Reg p = V::set1(1.9868124245546788e-08f);
  p = V::fmadd(p, t, V::set1(-1.95617162752173e-06f));
  p = V::fmadd(p, t, V::set1(0.00014210409028213948f));
  p = V::fmadd(p, t, V::set1(0.0037167491802037027f));
  p = V::fmadd(p, t, V::set1(0.05062384446980969f));
  p = V::fmadd(p, t, V::set1(0.20031091625295136f));
  p = V::fmadd(p, t, V::set1(1.1283791098228777f));
  Reg q = V::set1(0.0009593476770794445f);
  q = V::fmadd(q, t, V::set1(0.014385236052832588f));
  q = V::fmadd(q, t, V::set1(0.11515737660568855f));
  q = V::fmadd(q, t, V::set1(0.5108525781590357f));
  q = V::fmadd(q, t, V::set1(1.0f));
  const Reg r = V::div(V::mul(xc, p), q);
  return V::max(V::set1(-1.0f), V::min(V::set1(1.0f), r));
}

// Exact GELU, x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
template <class V>
inline typename V::Reg gelu_erf(typename V::Reg x) {
  const typename V::Reg e = erf_rational<V>(V::mul(x, V::set1(0.7071067811865476f)));
  return V::mul(V::mul(V::set1(0.5f), x), V::add(V::set1(1.0f), e));
}

// g GELU'(x) = g (Phi(x) + x phi(x)), phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
template <class V>
inline typename V::Reg gelu_erf_grad(typename V::Reg g, typename V::Reg x) {
  using Reg = typename V::Reg;
  const Reg cdf = V::fmadd(V::set1(0.5f), erf_rational<V>(V::mul(x, V::set1(0.7071067811865476f))), V::set1(0.5f));
  const Reg pdf = V::mul(V::set1(0.3989422804014327f), exp<V>(V::mul(V::set1(-0.5f), V::mul(x, x))));
  return V::mul(g, V::fmadd(x, pdf, cdf));
}

// Applies f over whole vectors, then once more over the tail staged in a zero-padded block.
template <class V, class F>
inline void apply_array(const float* x, float* out, int64_t n, F f) {
  int64_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) V::store(out + i, f(V::load(x + i)));
  if (i < n) {
    alignas(64) float block[V::kWidth] = {};
    const size_t bytes = static_cast<size_t>(n - i) * sizeof(float);
    std::memcpy(block, x + i, bytes);
    V::store(block, f(V::load(block)));
    std::memcpy(out + i, block, bytes);
  }
}

// out[i] = f(a[i], b[i]): whole vectors, then the tail staged in zero-padded blocks.
template <class V, class F>
inline void apply_binary_array(const float* a, const float* b, float* out, int64_t n, F f) {
  int64_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) V::store(out + i, f(V::load(a + i), V::load(b + i)));
  if (i < n) {
    alignas(64) float block_a[V::kWidth] = {}, block_b[V::kWidth] = {};
    const size_t bytes = static_cast<size_t>(n - i) * sizeof(float);
    std::memcpy(block_a, a + i, bytes);
    std::memcpy(block_b, b + i, bytes);
    V::store(block_a, f(V::load(block_a), V::load(block_b)));
    std::memcpy(out + i, block_a, bytes);
  }
}

// Largest of x[0, n), n >= 1 (NaN elements are skipped, as V::max does); the tail is padded with -inf.
template <class V>
float max_array(const float* x, int64_t n) {
  using Reg = typename V::Reg;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  Reg m = V::set1(kNegInf);
  int64_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) m = V::max(V::load(x + i), m);
  alignas(64) float lanes[V::kWidth];
  if (i < n) {
    for (int l = 0; l < V::kWidth; ++l) lanes[l] = kNegInf;
    std::memcpy(lanes, x + i, static_cast<size_t>(n - i) * sizeof(float));
    m = V::max(V::load(lanes), m);
  }
  V::store(lanes, m);
  float result = lanes[0];
  for (int l = 1; l < V::kWidth; ++l) result = lanes[l] > result ? lanes[l] : result;
  return result;
}

// out = e^(x - shift) over [0, n), returning the sum of out in a fixed lane order (a softmax row's numerators and
// denominator in one pass); out may alias x. The tail is padded with -inf, which adds 0.
template <class V>
float exp_shift_sum(const float* x, float shift, float* out, int64_t n) {
  using Reg = typename V::Reg;
  const Reg vshift = V::set1(shift);
  Reg sum = V::set1(0.0f);
  int64_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) {
    const Reg e = exp<V>(V::sub(V::load(x + i), vshift));
    V::store(out + i, e);
    sum = V::add(sum, e);
  }
  alignas(64) float lanes[V::kWidth];
  if (i < n) {
    const size_t bytes = static_cast<size_t>(n - i) * sizeof(float);
    for (int l = 0; l < V::kWidth; ++l) lanes[l] = -std::numeric_limits<float>::infinity();
    std::memcpy(lanes, x + i, bytes);
    const Reg e = exp<V>(V::sub(V::load(lanes), vshift));
    V::store(lanes, e);
    std::memcpy(out + i, lanes, bytes);
    sum = V::add(sum, e);
  }
  V::store(lanes, sum);
  float total = 0.0f;
  for (int l = 0; l < V::kWidth; ++l) total += lanes[l];
  return total;
}

// libmvec's routines of the ISA (V::kLibmvecPrefix + name + "f"), looked up once.
enum LibmvecFn {
  kSin,
  kCos,
  kTan,
  kAsin,
  kAcos,
  kAtan,
  kSinh,
  kCosh,
  kAsinh,
  kAcosh,
  kAtanh,
  kExp2,
  kExpm1,
  kLog2,
  kLog10,
  kLog1p,
  kErf,
  kErfc,
  kLibmvecCount
};
constexpr const char* kLibmvecNames[kLibmvecCount] = {"sin",   "cos",  "tan",   "asin",  "acos",  "atan",
                                                      "sinh",  "cosh", "asinh", "acosh", "atanh", "exp2",
                                                      "expm1", "log2", "log10", "log1p", "erf",   "erfc"};

template <class V>
using LibmvecPtr = typename V::Reg (*)(typename V::Reg);

template <class V>
const std::array<LibmvecPtr<V>, kLibmvecCount>& libmvec_table() {
  static const std::array<LibmvecPtr<V>, kLibmvecCount> table = [] {
    std::array<LibmvecPtr<V>, kLibmvecCount> t{};
    for (int k = 0; k < kLibmvecCount; ++k) {
      const std::string name = std::string(V::kLibmvecPrefix) + kLibmvecNames[k] + "f";
      t[k] = reinterpret_cast<LibmvecPtr<V>>(libmvec_symbol(name.c_str()));
    }
    return t;
  }();
  return table;
}

template <class V, int K>
void libmvec_array(const float* x, float* out, int64_t n) {
  const LibmvecPtr<V> f = libmvec_table<V>()[K];
  apply_array<V>(x, out, n, [f](typename V::Reg v) { return f(v); });
}

template <class V, int K>
ArrayMathF32 libmvec_entry() {
  return libmvec_table<V>()[K] ? &libmvec_array<V, K> : nullptr;
}

template <class V>
VectorMathF32 make_vector_math() {
  VectorMathF32 table;
  table.sin = libmvec_entry<V, kSin>();
  table.cos = libmvec_entry<V, kCos>();
  table.tan = libmvec_entry<V, kTan>();
  table.asin = libmvec_entry<V, kAsin>();
  table.acos = libmvec_entry<V, kAcos>();
  table.atan = libmvec_entry<V, kAtan>();
  table.sinh = libmvec_entry<V, kSinh>();
  table.cosh = libmvec_entry<V, kCosh>();
  table.asinh = libmvec_entry<V, kAsinh>();
  table.acosh = libmvec_entry<V, kAcosh>();
  table.atanh = libmvec_entry<V, kAtanh>();
  table.exp2 = libmvec_entry<V, kExp2>();
  table.expm1 = libmvec_entry<V, kExpm1>();
  table.log2 = libmvec_entry<V, kLog2>();
  table.log10 = libmvec_entry<V, kLog10>();
  table.log1p = libmvec_entry<V, kLog1p>();
  table.erf = libmvec_entry<V, kErf>();
  table.erfc = libmvec_entry<V, kErfc>();
  table.exp = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return exp<V>(v); });
  };
  table.sigmoid = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return sigmoid<V>(v); });
  };
  table.tanh = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return tanh<V>(v); });
  };
  table.log = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return log<V>(v); });
  };
  table.gelu_tanh = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return gelu_tanh<V>(v); });
  };
  table.max = &max_array<V>;
  table.exp_shift_sum = &exp_shift_sum<V>;
  table.gelu_erf = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return gelu_erf<V>(v); });
  };
  table.gelu_erf_grad = [](const float* g, const float* x, float* out, int64_t n) {
    apply_binary_array<V>(g, x, out, n, [](typename V::Reg a, typename V::Reg b) { return gelu_erf_grad<V>(a, b); });
  };
  return table;
}

}  // namespace pygrad::cpu::vector_math_detail
