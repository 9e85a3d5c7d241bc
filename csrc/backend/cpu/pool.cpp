// CPU 2-d pooling: max (with argmax indices) and average (fixed and adaptive windows), forward and backward.
// Every kernel takes contiguous [N, C, H, W] planes and runs planes in parallel.
#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/isa_targets.h"
#include "backend/cpu/lane_reduce.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"

#if defined(PG_ISA_TARGETS)
#include <immintrin.h>
#endif

namespace pygrad::cpu {
namespace {

constexpr int64_t kPlaneGrain = 4096;  // elements of work per thread at least

int64_t plane_grain(int64_t plane_work) { return std::max<int64_t>(1, kPlaneGrain / std::max<int64_t>(plane_work, 1)); }

// One output row of a 2x2 stride-2 max pool, 4 outputs at a time (SSE2 is in every x86-64 baseline):
// branch-free compare-and-select in the scalar path's order, so values and indices match it exactly.
// Returns how many outputs it wrote; the caller finishes the row.
int64_t max_pool_2x2_row_sse(const float* r0, const float* r1, int64_t w, int64_t ow, int64_t base, float* yo,
                             int64_t* io) {
#if defined(__SSE2__)
  int64_t j = 0;
  const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi32(1), two = _mm_set1_epi32(2), three = _mm_set1_epi32(3);
  for (; j + 4 <= ow; j += 4) {
    const __m128 u0 = _mm_loadu_ps(r0 + 2 * j), u1 = _mm_loadu_ps(r0 + 2 * j + 4);
    const __m128 v0 = _mm_loadu_ps(r1 + 2 * j), v1 = _mm_loadu_ps(r1 + 2 * j + 4);
    const __m128 a = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0)),
                 b = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
    const __m128 c = _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)),
                 d = _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1));
    __m128 best = a;
    __m128i k = zero;
    auto step = [&](__m128 v, __m128i kv) {
      const __m128 take = _mm_or_ps(_mm_cmpgt_ps(v, best), _mm_cmpunord_ps(v, v));
      best = _mm_or_ps(_mm_and_ps(take, v), _mm_andnot_ps(take, best));
      const __m128i t = _mm_castps_si128(take);
      k = _mm_or_si128(_mm_and_si128(t, kv), _mm_andnot_si128(t, k));
    };
    step(b, one);
    step(c, two);
    step(d, three);
    _mm_storeu_ps(yo + j, best);
    // index = base + 2j' + (k & 1) + (k >> 1) * w, with j' = j + lane; w < 2^31 by validation, planes too.
    alignas(16) int32_t kk[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(kk), k);
    for (int q = 0; q < 4; ++q) io[j + q] = base + 2 * (j + q) + (kk[q] & 1) + (kk[q] >> 1) * w;
  }
  return j;
#else
  (void)r0, (void)r1, (void)w, (void)ow, (void)base, (void)yo, (void)io;
  return 0;
#endif
}
int64_t max_pool_2x2_row_sse(const double*, const double*, int64_t, int64_t, int64_t, double*, int64_t*) { return 0; }

#if defined(PG_ISA_TARGETS)
// The same row, 16 outputs at a time with AVX-512: the even and odd columns of 32 inputs split by permutes,
// the same compare-and-select order, indices widened to int64 in two halves. The last partial group is done
// with masked loads and stores, so a short row (14 or 7 outputs) is one iteration. Returns ow.
PG_TARGET_AVX512 int64_t max_pool_2x2_row_avx512(const float* r0, const float* r1, int64_t w, int64_t ow, int64_t base,
                                                 float* yo, int64_t* io) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i wv = _mm512_set1_epi64(w);
  for (int64_t j = 0; j < ow; j += 16) {
    const int64_t count = ow - j < 16 ? ow - j : 16;  // outputs in this group
    const __mmask16 out_mask = static_cast<__mmask16>(count == 16 ? 0xFFFF : (1u << count) - 1);
    const __mmask16 in0 = static_cast<__mmask16>(count >= 8 ? 0xFFFF : (1u << (2 * count)) - 1);
    const __mmask16 in1 = static_cast<__mmask16>(count <= 8 ? 0 : count == 16 ? 0xFFFF : (1u << (2 * count - 16)) - 1);
    const __m512 u0 = _mm512_maskz_loadu_ps(in0, r0 + 2 * j), u1 = _mm512_maskz_loadu_ps(in1, r0 + 2 * j + 16);
    const __m512 v0 = _mm512_maskz_loadu_ps(in0, r1 + 2 * j), v1 = _mm512_maskz_loadu_ps(in1, r1 + 2 * j + 16);
    const __m512 candidates[3] = {_mm512_permutex2var_ps(u0, odd, u1), _mm512_permutex2var_ps(v0, even, v1),
                                  _mm512_permutex2var_ps(v0, odd, v1)};
    __m512 best = _mm512_permutex2var_ps(u0, even, u1);
    __m512i k = _mm512_setzero_si512();
    for (int q = 0; q < 3; ++q) {
      const __m512 v = candidates[q];
      const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, take, v);
      k = _mm512_mask_mov_epi32(k, take, _mm512_set1_epi32(q + 1));
    }
    _mm512_mask_storeu_ps(yo + j, out_mask, best);
    // index = base + 2 (j + lane) + (k & 1) + (k >> 1) w; the int32 part stays below 2 * ow + 2.
    const __m512i column = _mm512_add_epi32(_mm512_add_epi32(even, _mm512_set1_epi32(static_cast<int32_t>(2 * j))),
                                            _mm512_and_si512(k, _mm512_set1_epi32(1)));
    const __mmask16 second_row = _mm512_cmpge_epi32_mask(k, _mm512_set1_epi32(2));
    const __m512i offset = _mm512_set1_epi64(base);
    __m512i lo = _mm512_add_epi64(offset, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(column)));
    __m512i hi = _mm512_add_epi64(offset, _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(column, 1)));
    lo = _mm512_mask_add_epi64(lo, static_cast<__mmask8>(second_row), lo, wv);
    hi = _mm512_mask_add_epi64(hi, static_cast<__mmask8>(second_row >> 8), hi, wv);
    _mm512_mask_storeu_epi64(io + j, static_cast<__mmask8>(out_mask), lo);
    _mm512_mask_storeu_epi64(io + j + 8, static_cast<__mmask8>(out_mask >> 8), hi);
  }
  return ow;
}
#endif
int64_t max_pool_2x2_row_avx512(const double*, const double*, int64_t, int64_t, int64_t, double*, int64_t*) {
  return 0;
}

// max_pool2d: in = {x [N, C, H, W]}; out = {y [N, C, OH, OW], indices int64 (flat h * W + w in the plane)}.
// NaN wins, like PyTorch.
void max_pool2d_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &y = args.out[0], &indices = args.out[1];
  const Window2d win = static_cast<const MaxPoolKernelArgs&>(args).window;
  const int64_t h = x.shape()[2], w = x.shape()[3], oh = y.shape()[2], ow = y.shape()[3];
  const int64_t planes = x.shape()[0] * x.shape()[1];
  if (y.numel() == 0) return;
  PG_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    int64_t* pi = indices.data<int64_t>();
    const bool fast2x2 = win.kernel[0] == 2 && win.kernel[1] == 2 && win.stride[0] == 2 && win.stride[1] == 2 &&
                         win.pad[0] == 0 && win.pad[1] == 0 && win.dilation[0] == 1 && win.dilation[1] == 1 &&
                         oh * 2 <= h && ow * 2 <= w;
    if (fast2x2) {  // 2x2 stride 2, no padding or dilation: every window lies inside the plane
      const bool avx512 = cpu_capability() == CpuCapability::Avx512;
      parallel_for(0, planes * oh, plane_grain(ow * 4), [&](int64_t b, int64_t e) {
        for (int64_t row = b; row < e; ++row) {  // row = p * oh + i, one output row
          const int64_t p = row / oh, i = row - p * oh;
          const T* r0 = px + p * h * w + 2 * i * w;
          const T* r1 = r0 + w;
          T* yo = py + row * ow;
          int64_t* io = pi + row * ow;
          const int64_t base = 2 * i * w;
          // Same scan order as the general path: (r0,c0) (r0,c1) (r1,c0) (r1,c1); NaN wins, later NaN last.
          int64_t j = 0;
#if defined(PG_ISA_TARGETS)
          if (avx512) j = max_pool_2x2_row_avx512(r0, r1, w, ow, base, yo, io);
#endif
          j += max_pool_2x2_row_sse(r0 + 2 * j, r1 + 2 * j, w, ow - j, base + 2 * j, yo + j, io + j);
          for (; j < ow; ++j) {
            const T a = r0[2 * j], bb = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
            T best = a;
            int64_t k = 0;
            bool t = bb > best || bb != bb;
            best = t ? bb : best, k = t ? 1 : k;
            t = c > best || c != c;
            best = t ? c : best, k = t ? 2 : k;
            t = d > best || d != d;
            best = t ? d : best, k = t ? 3 : k;
            yo[j] = best;
            io[j] = base + (k >> 1) * w + 2 * j + (k & 1);
          }
        }
      });
      return;
    }
    parallel_for(0, planes, plane_grain(oh * ow * win.kernel[0] * win.kernel[1]), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const T* plane = px + p * h * w;
        for (int64_t i = 0; i < oh; ++i) {
          int64_t h0 = i * win.stride[0] - win.pad[0];
          const int64_t h1 = std::min(h0 + (win.kernel[0] - 1) * win.dilation[0] + 1, h);
          while (h0 < 0) h0 += win.dilation[0];
          for (int64_t j = 0; j < ow; ++j) {
            int64_t w0 = j * win.stride[1] - win.pad[1];
            const int64_t w1 = std::min(w0 + (win.kernel[1] - 1) * win.dilation[1] + 1, w);
            while (w0 < 0) w0 += win.dilation[1];
            int64_t best_index = h0 * w + w0;
            T best = -std::numeric_limits<T>::infinity();
            for (int64_t r = h0; r < h1; r += win.dilation[0])
              for (int64_t c = w0; c < w1; c += win.dilation[1]) {
                const T v = plane[r * w + c];
                const bool take = v > best || v != v;  // NaN wins; branch-free select (random data mispredicts)
                best = take ? v : best;
                best_index = take ? r * w + c : best_index;
              }
            py[(p * oh + i) * ow + j] = best;
            pi[(p * oh + i) * ow + j] = best_index;
          }
        }
      }
    });
  });
}

// max_pool2d_backward: in = {grad [N, C, OH, OW], indices}; out[0] = grad_input [N, C, H, W] (scatter-add).
void max_pool2d_backward_kernel(KernelArgs& args) {
  const Tensor &grad = args.in[0], &indices = args.in[1], &gx = args.out[0];
  const int64_t hw = gx.shape()[2] * gx.shape()[3], l = grad.shape()[2] * grad.shape()[3];
  const int64_t planes = gx.shape()[0] * gx.shape()[1];
  PG_DISPATCH_FLOATING(gx.dtype(), "max_pool2d_backward", [&] {
    using T = scalar_t;
    const T* pg = grad.data<T>();
    const int64_t* pi = indices.data<int64_t>();
    T* px = gx.data<T>();
    parallel_for(0, planes, plane_grain(hw + l), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        T* plane = px + p * hw;
        std::fill(plane, plane + hw, T(0));
        for (int64_t i = 0; i < l; ++i) plane[pi[p * l + i]] += pg[p * l + i];
      }
    });
  });
}

// A pooling window of output (i, j): rows [h0, h1), cols [w0, w1), and the divisor of its sum.
struct Window {
  int64_t h0, h1, w0, w1;
  double divisor;
};

// avg_pool2d windows; scalars[0] = count_include_pad, scalars[1] = divisor_override (0: none).
struct FixedWindows {
  Window2d win;
  int64_t h, w;
  bool count_include_pad;
  double divisor_override;
  Window operator()(int64_t i, int64_t j) const {
    int64_t h0 = i * win.stride[0] - win.pad[0], w0 = j * win.stride[1] - win.pad[1];
    int64_t h1 = std::min(h0 + win.kernel[0], h + win.pad[0]), w1 = std::min(w0 + win.kernel[1], w + win.pad[1]);
    const int64_t padded_size = (h1 - h0) * (w1 - w0);
    h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
    h1 = std::min(h1, h), w1 = std::min(w1, w);
    double divisor = divisor_override != 0
                         ? divisor_override
                         : static_cast<double>(count_include_pad ? padded_size : (h1 - h0) * (w1 - w0));
    return {h0, std::max(h1, h0), w0, std::max(w1, w0), divisor};
  }
};

// adaptive_avg_pool2d windows: [floor(i H / OH), ceil((i + 1) H / OH)).
struct AdaptiveWindows {
  int64_t h, w, oh, ow;
  Window operator()(int64_t i, int64_t j) const {
    const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
    const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
    return {h0, h1, w0, w1, static_cast<double>((h1 - h0) * (w1 - w0))};
  }
};

template <class Windows>
void average_forward(const Tensor& x, const Tensor& y, const Windows& windows, const char* op) {
  const int64_t h = x.shape()[2], w = x.shape()[3], oh = y.shape()[2], ow = y.shape()[3];
  const int64_t planes = x.shape()[0] * x.shape()[1];
  if (y.numel() == 0) return;
  PG_DISPATCH_FLOATING(x.dtype(), op, [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(0, planes, plane_grain(h * w + oh * ow), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const T* plane = px + p * h * w;
        for (int64_t i = 0; i < oh; ++i)
          for (int64_t j = 0; j < ow; ++j) {
            const Window win = windows(i, j);
            T acc = 0;
            if (win.w0 == 0 && win.w1 == w) {
              // Full-width windows (global average pooling among them) are one contiguous run.
              if (win.h0 < win.h1) acc = lane_sum<T>(plane + win.h0 * w, (win.h1 - win.h0) * w);
            } else {
              for (int64_t r = win.h0; r < win.h1; ++r)
                for (int64_t c = win.w0; c < win.w1; ++c) acc += plane[r * w + c];
            }
            py[(p * oh + i) * ow + j] = win.h0 < win.h1 && win.w0 < win.w1 ? acc / static_cast<T>(win.divisor) : T(0);
          }
      }
    });
  });
}

template <class Windows>
void average_backward(const Tensor& grad, const Tensor& gx, const Windows& windows, const char* op) {
  const int64_t h = gx.shape()[2], w = gx.shape()[3], oh = grad.shape()[2], ow = grad.shape()[3];
  const int64_t planes = gx.shape()[0] * gx.shape()[1];
  PG_DISPATCH_FLOATING(gx.dtype(), op, [&] {
    using T = scalar_t;
    const T* pg = grad.data<T>();
    T* px = gx.data<T>();
    parallel_for(0, planes, plane_grain(h * w + oh * ow), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        T* plane = px + p * h * w;
        std::fill(plane, plane + h * w, T(0));
        for (int64_t i = 0; i < oh; ++i)
          for (int64_t j = 0; j < ow; ++j) {
            const Window win = windows(i, j);
            if (win.h0 >= win.h1 || win.w0 >= win.w1) continue;
            const T v = pg[(p * oh + i) * ow + j] / static_cast<T>(win.divisor);
            for (int64_t r = win.h0; r < win.h1; ++r)
              for (int64_t c = win.w0; c < win.w1; ++c) plane[r * w + c] += v;
          }
      }
    });
  });
}

FixedWindows fixed_windows(const KernelArgs& args, const Tensor& input_shaped) {
  const AvgPoolParams& p = static_cast<const AvgPoolKernelArgs&>(args).params;
  return {p.window, input_shaped.shape()[2], input_shaped.shape()[3], p.count_include_pad,
          static_cast<double>(p.divisor_override)};
}

// avg_pool2d: in = {x}; out[0] = y; the window and divisor in AvgPoolKernelArgs.
void avg_pool2d_kernel(KernelArgs& args) {
  average_forward(args.in[0], args.out[0], fixed_windows(args, args.in[0]), "avg_pool2d");
}
// avg_pool2d_backward: in = {grad}; out[0] = grad_input.
void avg_pool2d_backward_kernel(KernelArgs& args) {
  average_backward(args.in[0], args.out[0], fixed_windows(args, args.out[0]), "avg_pool2d_backward");
}
// adaptive_avg_pool2d: in = {x}; out[0] = y (its shape gives the output size).
void adaptive_avg_pool2d_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &y = args.out[0];
  average_forward(x, y, AdaptiveWindows{x.shape()[2], x.shape()[3], y.shape()[2], y.shape()[3]}, "adaptive_avg_pool2d");
}
void adaptive_avg_pool2d_backward_kernel(KernelArgs& args) {
  const Tensor &grad = args.in[0], &gx = args.out[0];
  average_backward(grad, gx, AdaptiveWindows{gx.shape()[2], gx.shape()[3], grad.shape()[2], grad.shape()[3]},
                   "adaptive_avg_pool2d_backward");
}

const KernelRegistrar register_max_pool2d(OpId::max_pool2d, Device::CPU, &max_pool2d_kernel);
const KernelRegistrar register_max_pool2d_backward(OpId::max_pool2d_backward, Device::CPU, &max_pool2d_backward_kernel);
const KernelRegistrar register_avg_pool2d(OpId::avg_pool2d, Device::CPU, &avg_pool2d_kernel);
const KernelRegistrar register_avg_pool2d_backward(OpId::avg_pool2d_backward, Device::CPU, &avg_pool2d_backward_kernel);
const KernelRegistrar register_adaptive_avg_pool2d(OpId::adaptive_avg_pool2d, Device::CPU, &adaptive_avg_pool2d_kernel);
const KernelRegistrar register_adaptive_avg_pool2d_backward(OpId::adaptive_avg_pool2d_backward, Device::CPU,
                                                            &adaptive_avg_pool2d_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
