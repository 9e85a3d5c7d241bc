// CPU kernels of fused network ops: cross-entropy from logits (per-sample loss, stable log-sum-exp).
#include <cmath>

#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

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
      for (int64_t i = b; i < e; ++i) {
        const T* row = x + i * classes;
        const int64_t c = t[i * ts];
        if (c == ignore_index) {
          o[i] = T(0);
          continue;
        }
        T m = row[0];
        for (int64_t j = 1; j < classes; ++j) m = row[j] > m ? row[j] : m;
        double sum_exp = 0, sum_x = 0;
        for (int64_t j = 0; j < classes; ++j) {
          sum_exp += std::exp(static_cast<double>(row[j] - m));
          sum_x += row[j];
        }
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
        T m = row[0];
        for (int64_t j = 1; j < classes; ++j) m = row[j] > m ? row[j] : m;
        T sum_exp = 0;
        for (int64_t j = 0; j < classes; ++j) {
          orow[j] = std::exp(row[j] - m);
          sum_exp += orow[j];
        }
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
