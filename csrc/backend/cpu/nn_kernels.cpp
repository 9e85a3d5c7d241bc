// CPU kernels of fused network ops: cross-entropy from logits (per-sample loss, stable log-sum-exp).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/lane_reduce.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/vector_math/vector_math.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

// e[j] = exp(row[j] - m): float32 through the active level's vector exp when it has one.
template <class T>
void shifted_exp(const T* row, T m, int64_t n, T* e) {
  for (int64_t j = 0; j < n; ++j) e[j] = row[j] - m;
  if constexpr (std::is_same<T, float>::value) {
    if (ArrayMathF32 exp_fn = vector_math_f32().exp) return exp_fn(e, e, n);
  }
  for (int64_t j = 0; j < n; ++j) e[j] = std::exp(e[j]);
}

// cross_entropy: in = {logits [N, C] contiguous, target int64 [N]}, scalars[0] = label smoothing,
// ints[0] = ignore_index; out[0] = per-sample loss [N] (0 where ignored).
void cross_entropy_kernel(KernelArgs& args) {
  const Tensor &logits = args.in[0], &target = args.in[1], &out = args.out[0];
  const int64_t n = logits.shape()[0], classes = logits.shape()[1];
  const double smoothing = args.scalars[0];
  const int64_t ignore_index = args.ints[0];
  const int64_t* t = target.data<int64_t>();
  const int64_t ts = target.strides()[0];
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = t[i * ts];
    PG_CHECK(c == ignore_index || (c >= 0 && c < classes), IndexError, "cross_entropy", "target ", c,
             " is out of bounds for ", classes, " classes");
  }
  PG_DISPATCH_FLOATING(logits.dtype(), "cross_entropy", [&] {
    using T = scalar_t;
    const T* x = logits.data<T>();
    T* o = out.data<T>();
    parallel_for(0, n, std::max<int64_t>(1, 16384 / std::max<int64_t>(classes, 1)), [&](int64_t b, int64_t e) {
      std::vector<T> exps(static_cast<size_t>(classes));
      for (int64_t i = b; i < e; ++i) {
        const T* row = x + i * classes;
        const int64_t c = t[i * ts];
        if (c == ignore_index) {
          o[i] = T(0);
          continue;
        }
        const T m = lane_max(row, classes);
        shifted_exp(row, m, classes, exps.data());
        const double sum_exp = lane_sum<double>(exps.data(), classes);
        const double sum_x = smoothing != 0 ? lane_sum<double>(row, classes) : 0.0;
        const double lse = static_cast<double>(m) + std::log(sum_exp);
        const double target_term = (1.0 - smoothing) * row[c] + smoothing / static_cast<double>(classes) * sum_x;
        o[i] = static_cast<T>(lse - target_term);
      }
    });
  });
}

// cross_entropy_backward: in = {logits [N, C] contiguous, target int64 [N] (checked by the forward), grad [N]},
// out [N, C] contiguous = grad[i] * (softmax(logits[i]) - smoothed one-hot of target[i]), 0 on ignored rows.
void cross_entropy_backward_kernel(KernelArgs& args) {
  const Tensor &logits = args.in[0], &target = args.in[1], &grad = args.in[2], &out = args.out[0];
  const int64_t n = logits.shape()[0], classes = logits.shape()[1];
  const double smoothing = args.scalars[0];
  const int64_t ignore_index = args.ints[0];
  const int64_t* t = target.data<int64_t>();
  const int64_t ts = target.strides()[0], gs = grad.strides()[0];
  PG_DISPATCH_FLOATING(logits.dtype(), "cross_entropy", [&] {
    using T = scalar_t;
    const T* x = logits.data<T>();
    const T* g = grad.data<T>();
    T* o = out.data<T>();
    const T uniform = static_cast<T>(smoothing / static_cast<double>(classes)), hit = static_cast<T>(1.0 - smoothing);
    parallel_for(0, n, std::max<int64_t>(1, 16384 / std::max<int64_t>(classes, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* row = x + i * classes;
        T* orow = o + i * classes;
        const int64_t c = t[i * ts];
        if (c == ignore_index) {
          for (int64_t j = 0; j < classes; ++j) orow[j] = T(0);
          continue;
        }
        shifted_exp(row, lane_max(row, classes), classes, orow);
        const T sum_exp = static_cast<T>(lane_sum<double>(orow, classes));
        const T scale = g[i * gs] / sum_exp, gi = g[i * gs];
        for (int64_t j = 0; j < classes; ++j) orow[j] = orow[j] * scale - gi * uniform;
        orow[c] -= gi * hit;
      }
    });
  });
}

const KernelRegistrar register_cross_entropy(OpId::cross_entropy, Device::CPU, &cross_entropy_kernel);
const KernelRegistrar register_cross_entropy_backward(OpId::cross_entropy_backward, Device::CPU,
                                                      &cross_entropy_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
