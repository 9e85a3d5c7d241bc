// CPU layer_norm: one fused pass per row forward (statistics, normalise, scale, shift) and backward (input,
// weight and bias gradients), rows in parallel, each row's loops compiled per ISA level (isa_targets.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/isa_targets.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/dtype.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

constexpr int kLanes = 16;  // independent accumulators: one AVX-512 register of floats, two of AVX2

// Sum of p[i] and of (p[i] - shift)^2 over a row in kLanes lanes (fixed order: the same at any thread count).
template <class T>
PG_ALWAYS_INLINE inline T lanes_sum(const T* p, int64_t n) {
  T lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += p[i + l];
  T total = 0;
  for (; i < n; ++i) total += p[i];
  for (int l = 0; l < kLanes; ++l) total += lanes[l];
  return total;
}

template <class T>
PG_ALWAYS_INLINE inline T lanes_centered_squares(const T* p, T shift, int64_t n) {
  T lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += (p[i + l] - shift) * (p[i + l] - shift);
  T total = 0;
  for (; i < n; ++i) total += (p[i] - shift) * (p[i] - shift);
  for (int l = 0; l < kLanes; ++l) total += lanes[l];
  return total;
}

// One row forward: two-pass statistics (the centred pass keeps float32 variances accurate), then
// y = (x - mean) * rstd * w + b.
template <class T>
PG_ALWAYS_INLINE inline void forward_row_body(const T* x, const T* w, const T* b, T* y, int64_t n, T eps, T* mean_out,
                                              T* rstd_out) {
  const T mean = lanes_sum(x, n) / static_cast<T>(n);
  const T var = lanes_centered_squares(x, mean, n) / static_cast<T>(n);
  const T rstd = T(1) / std::sqrt(var + eps);
  const T shift = -mean * rstd;
  if (w && b) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] * rstd + shift) * w[j] + b[j];
  } else if (w) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] * rstd + shift) * w[j];
  } else if (b) {
    for (int64_t j = 0; j < n; ++j) y[j] = x[j] * rstd + shift + b[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] = x[j] * rstd + shift;
  }
  *mean_out = mean;
  *rstd_out = rstd;
}

// One row backward. With xhat = (x - mean) * rstd and gw = g * w:
// gx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)); acc_w += g * xhat; acc_b += g.
template <class T>
PG_ALWAYS_INLINE inline void backward_sums(const T* g, const T* x, const T* w, T mean, int64_t n, T* sum_gw,
                                           T* sum_gwx) {
  T s1[kLanes] = {}, s2[kLanes] = {};
  int64_t i = 0;
  T t1 = 0, t2 = 0;
  if (w) {
    for (; i + kLanes <= n; i += kLanes)
      for (int l = 0; l < kLanes; ++l) {
        s1[l] += g[i + l] * w[i + l];
        s2[l] += g[i + l] * w[i + l] * (x[i + l] - mean);
      }
    for (; i < n; ++i) t1 += g[i] * w[i], t2 += g[i] * w[i] * (x[i] - mean);
  } else {
    for (; i + kLanes <= n; i += kLanes)
      for (int l = 0; l < kLanes; ++l) {
        s1[l] += g[i + l];
        s2[l] += g[i + l] * (x[i + l] - mean);
      }
    for (; i < n; ++i) t1 += g[i], t2 += g[i] * (x[i] - mean);
  }
  for (int l = 0; l < kLanes; ++l) t1 += s1[l], t2 += s2[l];
  *sum_gw = t1;
  *sum_gwx = t2;
}

// One row backward. With xhat = (x - mean) * rstd and gw = g * w:
// gx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)); acc_w += g * xhat; acc_b += g (one pass after the sums).
template <class T>
PG_ALWAYS_INLINE inline void backward_row_body(const T* g, const T* x, const T* w, T mean, T rstd, T* gx, T* acc_w,
                                               T* acc_b, int64_t n) {
  T a = 0, c = 0;  // gx = rstd * (gw - a - xhat * c)
  if (gx) {
    T sum_gw, sum_gwx;
    backward_sums(g, x, w, mean, n, &sum_gw, &sum_gwx);
    a = sum_gw / static_cast<T>(n);
    c = sum_gwx * rstd / static_cast<T>(n);
  }
  if (gx && w && acc_w && acc_b) {  // the common case (affine, all gradients wanted), branch-free
    for (int64_t j = 0; j < n; ++j) {
      const T xhat = (x[j] - mean) * rstd;
      gx[j] = rstd * (g[j] * w[j] - a - xhat * c);
      acc_w[j] += g[j] * xhat;
      acc_b[j] += g[j];
    }
    return;
  }
  if (gx) {
    if (w) {
      for (int64_t j = 0; j < n; ++j) gx[j] = rstd * (g[j] * w[j] - a - (x[j] - mean) * rstd * c);
    } else {
      for (int64_t j = 0; j < n; ++j) gx[j] = rstd * (g[j] - a - (x[j] - mean) * rstd * c);
    }
  }
  if (acc_w)
    for (int64_t j = 0; j < n; ++j) acc_w[j] += g[j] * (x[j] - mean) * rstd;
  if (acc_b)
    for (int64_t j = 0; j < n; ++j) acc_b[j] += g[j];
}

template <class T>
PG_NOINLINE void forward_row_portable(const T* x, const T* w, const T* b, T* y, int64_t n, T eps, T* m, T* r) {
  forward_row_body(x, w, b, y, n, eps, m, r);
}
template <class T>
PG_NOINLINE void backward_row_portable(const T* g, const T* x, const T* w, T mean, T rstd, T* gx, T* aw, T* ab,
                                       int64_t n) {
  backward_row_body(g, x, w, mean, rstd, gx, aw, ab, n);
}
#if defined(PG_ISA_TARGETS)
template <class T>
PG_TARGET_AVX2 void forward_row_avx2(const T* x, const T* w, const T* b, T* y, int64_t n, T eps, T* m, T* r) {
  forward_row_body(x, w, b, y, n, eps, m, r);
}
template <class T>
PG_TARGET_AVX512 void forward_row_avx512(const T* x, const T* w, const T* b, T* y, int64_t n, T eps, T* m, T* r) {
  forward_row_body(x, w, b, y, n, eps, m, r);
}
template <class T>
PG_TARGET_AVX2 void backward_row_avx2(const T* g, const T* x, const T* w, T mean, T rstd, T* gx, T* aw, T* ab,
                                      int64_t n) {
  backward_row_body(g, x, w, mean, rstd, gx, aw, ab, n);
}
template <class T>
PG_TARGET_AVX512 void backward_row_avx512(const T* g, const T* x, const T* w, T mean, T rstd, T* gx, T* aw, T* ab,
                                          int64_t n) {
  backward_row_body(g, x, w, mean, rstd, gx, aw, ab, n);
}
#endif

template <class T>
void forward_row(CpuCapability level, const T* x, const T* w, const T* b, T* y, int64_t n, T eps, T* m, T* r) {
#if defined(PG_ISA_TARGETS)
  if (level == CpuCapability::Avx512) return forward_row_avx512(x, w, b, y, n, eps, m, r);
  if (level == CpuCapability::Avx2) return forward_row_avx2(x, w, b, y, n, eps, m, r);
#endif
  forward_row_portable(x, w, b, y, n, eps, m, r);
}

template <class T>
void backward_row(CpuCapability level, const T* g, const T* x, const T* w, T mean, T rstd, T* gx, T* aw, T* ab,
                  int64_t n) {
#if defined(PG_ISA_TARGETS)
  if (level == CpuCapability::Avx512) return backward_row_avx512(g, x, w, mean, rstd, gx, aw, ab, n);
  if (level == CpuCapability::Avx2) return backward_row_avx2(g, x, w, mean, rstd, gx, aw, ab, n);
#endif
  backward_row_portable(g, x, w, mean, rstd, gx, aw, ab, n);
}

// Rows per parallel task: enough elements to repay waking a thread.
int64_t row_grain(int64_t n) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)); }

void layer_norm_kernel(KernelArgs& base) {
  auto& args = static_cast<LayerNormKernelArgs&>(base);
  const Tensor &x = args.in[0], &weight = args.in[1], &bias = args.in[2], &y = args.out[0];
  const int64_t rows = x.shape()[0], n = x.shape()[1];
  if (rows == 0) return;
  const CpuCapability level = cpu_capability();
  PG_DISPATCH_FLOATING(x.dtype(), "layer_norm", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    const T* pw = weight.defined() ? weight.data<T>() : nullptr;
    const T* pb = bias.defined() ? bias.data<T>() : nullptr;
    T* py = y.data<T>();
    T* mean = args.stats.data<T>();
    T* rstd = mean + rows;
    const T eps = static_cast<T>(args.eps);
    parallel_for(0, rows, row_grain(n), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) forward_row(level, px + r * n, pw, pb, py + r * n, n, eps, mean + r, rstd + r);
    });
  });
}

// The weight and bias gradients sum over rows: each of a fixed number of row blocks (set by the shape alone)
// sums its rows in order into a partial, and the partials are added in block order, so the result is the same
// bit for bit at any thread count.
void layer_norm_backward_kernel(KernelArgs& base) {
  auto& args = static_cast<LayerNormKernelArgs&>(base);
  const Tensor &grad = args.in[0], &x = args.in[1], &weight = args.in[2];
  const Tensor &gx = args.out[0], &gw = args.out[1], &gb = args.grad_bias;
  const int64_t rows = x.shape()[0], n = x.shape()[1];
  const CpuCapability level = cpu_capability();
  PG_DISPATCH_FLOATING(x.dtype(), "layer_norm_backward", [&] {
    using T = scalar_t;
    const T* pg = grad.data<T>();
    const T* px = x.data<T>();
    const T* pw = weight.defined() ? weight.data<T>() : nullptr;
    const T* mean = args.stats.data<T>();
    const T* rstd = mean + rows;
    T* pgx = gx.defined() ? gx.data<T>() : nullptr;
    const bool want_w = gw.defined(), want_b = gb.defined();
    const int64_t blocks = (want_w || want_b) ? std::min<int64_t>(rows, 64) : 0;
    const int64_t per_param = (want_w ? n : 0) + (want_b ? n : 0);
    std::vector<T> partial(static_cast<size_t>(blocks * per_param), T(0));
    if (blocks == 0) {
      if (!pgx) return;
      parallel_for(0, rows, row_grain(n), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r)
          backward_row(level, pg + r * n, px + r * n, pw, mean[r], rstd[r], pgx + r * n, (T*)nullptr, (T*)nullptr, n);
      });
      return;
    }
    parallel_for(0, blocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t blk = b; blk < e; ++blk) {
        T* acc_w = want_w ? partial.data() + blk * per_param : nullptr;
        T* acc_b = want_b ? partial.data() + blk * per_param + (want_w ? n : 0) : nullptr;
        const int64_t r0 = rows * blk / blocks, r1 = rows * (blk + 1) / blocks;
        for (int64_t r = r0; r < r1; ++r)
          backward_row(level, pg + r * n, px + r * n, pw, mean[r], rstd[r], pgx ? pgx + r * n : nullptr, acc_w, acc_b,
                       n);
      }
    });
    T* out_w = want_w ? gw.data<T>() : nullptr;
    T* out_b = want_b ? gb.data<T>() : nullptr;
    parallel_for(0, n, 4096, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        T sw = 0, sb = 0;
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const T* part = partial.data() + blk * per_param;
          if (want_w) sw += part[j];
          if (want_b) sb += part[(want_w ? n : 0) + j];
        }
        if (out_w) out_w[j] = sw;
        if (out_b) out_b[j] = sb;
      }
    });
  });
}

const KernelRegistrar register_layer_norm(OpId::layer_norm, Device::CPU, &layer_norm_kernel);
const KernelRegistrar register_layer_norm_backward(OpId::layer_norm_backward, Device::CPU, &layer_norm_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
