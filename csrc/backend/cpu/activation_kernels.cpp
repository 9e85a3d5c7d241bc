// CPU gelu_backward: grad * GELU'(x) in one pass (the exact erf form or the tanh form); float32 runs in blocks
// through vector_math.h (the fused exact-form gradient, or its vector tanh), other dtypes through scalar math.
#include <algorithm>
#include <cmath>

#include "backend/cpu/parallel.h"
#include "backend/cpu/vector_math/vector_math.h"
#include "backend/dispatch.h"
#include "core/dtype.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

constexpr double kSqrtHalf = 0.7071067811865476;    // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.3989422804014327;  // 1 / sqrt(2 pi)
constexpr double kTanhScale = 0.7978845608028654;   // sqrt(2 / pi)
constexpr double kTanhCubic = 0.044715;

// GELU'(x) = Phi(x) + x phi(x) (exact), or 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2), t = tanh(k (x + c x^3)).
template <class T>
T gelu_derivative(T x, bool tanh_form) {
  if (tanh_form) {
    const T x2 = x * x;
    const T t = std::tanh(T(kTanhScale) * x * (T(1) + T(kTanhCubic) * x2));
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * T(kTanhScale) * (T(1) + T(3 * kTanhCubic) * x2);
  }
  return T(0.5) * (T(1) + std::erf(x * T(kSqrtHalf))) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
}

// float32 block: the transcendental of each element by the array routines (null ones fall back to scalar).
constexpr int64_t kBlock = 512;
void gelu_backward_block_f32(const VectorMathF32& vm, const float* g, const float* x, float* out, int64_t n,
                             bool tanh_form) {
  if (tanh_form) {
    float a[kBlock];
    if (!vm.tanh) {
      for (int64_t i = 0; i < n; ++i) out[i] = g[i] * gelu_derivative(x[i], true);
      return;
    }
    for (int64_t i = 0; i < n; ++i) a[i] = float(kTanhScale) * x[i] * (1.0f + float(kTanhCubic) * x[i] * x[i]);
    vm.tanh(a, a, n);
    for (int64_t i = 0; i < n; ++i) {
      const float t = a[i], x2 = x[i] * x[i];
      out[i] = g[i] * (0.5f * (1.0f + t) +
                       0.5f * x[i] * (1.0f - t * t) * float(kTanhScale) * (1.0f + float(3 * kTanhCubic) * x2));
    }
    return;
  }
  if (vm.gelu_erf_grad) return vm.gelu_erf_grad(g, x, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = g[i] * gelu_derivative(x[i], false);
}

template <class T>
void gelu_backward_typed(const T* g, const T* x, T* out, int64_t n, bool tanh_form) {
  parallel_for(0, n, 4096, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = g[i] * gelu_derivative(x[i], tanh_form);
  });
}

void gelu_backward_typed(const float* g, const float* x, float* out, int64_t n, bool tanh_form) {
  const VectorMathF32& vm = vector_math_f32();
  parallel_for(0, (n + kBlock - 1) / kBlock, 16, [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t i0 = blk * kBlock, len = std::min(kBlock, n - i0);
      gelu_backward_block_f32(vm, g + i0, x + i0, out + i0, len, tanh_form);
    }
  });
}

// gelu_backward: in = {grad, x} (contiguous, same shape), ints[0] = tanh form; out[0] contiguous.
void gelu_backward_kernel(KernelArgs& args) {
  const Tensor &grad = args.in[0], &x = args.in[1], &out = args.out[0];
  PG_DISPATCH_FLOATING(x.dtype(), "gelu_backward", [&] {
    using T = scalar_t;
    gelu_backward_typed(grad.data<T>(), x.data<T>(), out.data<T>(), out.numel(), args.ints[0] != 0);
  });
}

const KernelRegistrar register_gelu_backward(OpId::gelu_backward, Device::CPU, &gelu_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
