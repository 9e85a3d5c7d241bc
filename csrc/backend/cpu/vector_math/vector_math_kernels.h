// The vector algorithms of vector_math.h written once over a SIMD wrapper V; each ISA file supplies V.
// Included only by the per-ISA translation units (it expands to their instructions).
#pragma once
#include <cstdint>
#include <cstring>

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
  return V::select_negative(x, V::mul(e, s), s);
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

template <class V>
VectorMathF32 make_vector_math() {
  VectorMathF32 table;
  table.exp = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return exp<V>(v); });
  };
  table.sigmoid = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return sigmoid<V>(v); });
  };
  table.tanh = [](const float* x, float* out, int64_t n) {
    apply_array<V>(x, out, n, [](typename V::Reg v) { return tanh<V>(v); });
  };
  return table;
}

}  // namespace pygrad::cpu::vector_math_detail
