// CPU 2-d pooling: max (with argmax indices) and average (fixed and adaptive windows), forward and backward.
// Every kernel takes contiguous [N, C, H, W] planes and runs planes in parallel.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

constexpr int64_t kPlaneGrain = 4096;  // elements of work per thread at least

int64_t plane_grain(int64_t plane_work) { return std::max<int64_t>(1, kPlaneGrain / std::max<int64_t>(plane_work, 1)); }

// max_pool2d: in = {x [N, C, H, W]}; out = {y [N, C, OH, OW], indices int64 (flat h * W + w in the plane)}.
// NaN wins, like PyTorch.
void max_pool2d_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &y = args.out[0], &indices = args.out[1];
  const Window2d win = load_window(args);
  const int64_t h = x.shape()[2], w = x.shape()[3], oh = y.shape()[2], ow = y.shape()[3];
  const int64_t planes = x.shape()[0] * x.shape()[1];
  if (y.numel() == 0) return;
  PG_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    int64_t* pi = indices.data<int64_t>();
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
    double divisor = divisor_override != 0 ? divisor_override
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
            for (int64_t r = win.h0; r < win.h1; ++r)
              for (int64_t c = win.w0; c < win.w1; ++c) acc += plane[r * w + c];
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
  return {load_window(args), input_shaped.shape()[2], input_shaped.shape()[3], args.scalars[0] != 0, args.scalars[1]};
}

// avg_pool2d: in = {x}; out[0] = y; window in ints, scalars {count_include_pad, divisor_override or 0}.
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
