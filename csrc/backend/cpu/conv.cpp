// CPU 2-d convolution: im2col / col2im around the packed GEMM (forward, input gradient, weight gradient).
#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

struct ConvGeometry {
  int64_t n, c, h, w;       // input
  int64_t o, oh, ow;        // output
  int64_t kh, kw, groups;
  Window2d win;
  int64_t cg() const { return c / groups; }
  int64_t og() const { return o / groups; }
  int64_t ckk_g() const { return cg() * kh * kw; }  // GEMM depth of one group
  int64_t l() const { return oh * ow; }
  bool pointwise() const {  // 1x1, stride 1, no padding: the input plane is its own column matrix
    return kh == 1 && kw == 1 && win.stride[0] == 1 && win.stride[1] == 1 && win.pad[0] == 0 && win.pad[1] == 0;
  }
};

ConvGeometry geometry(const Shape& x, const Shape& weight, const Shape& y, const KernelArgs& args) {
  ConvGeometry g;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3];
  g.o = weight[0], g.kh = weight[2], g.kw = weight[3];
  g.oh = y[2], g.ow = y[3];
  g.groups = static_cast<int64_t>(args.scalars[0]);
  g.win = load_window(args);
  return g;
}

// cols[(ci*kh + i)*kw + j][oh*OW + ow] = x[ci, oh*s - p + i*d, ow*s - p + j*d] (0 outside), row stride `ld`.
template <class T>
void im2col(const T* x, const ConvGeometry& g, T* cols, int64_t ld) {
  const int64_t sh = g.win.stride[0], sw = g.win.stride[1], ph = g.win.pad[0], pw = g.win.pad[1];
  const int64_t dh = g.win.dilation[0], dw = g.win.dilation[1];
  for (int64_t ci = 0; ci < g.c; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = cols + ((ci * g.kh + i) * g.kw + j) * ld;
        const T* plane = x + ci * g.h * g.w;
        // Output columns whose input column is inside the image: ow in [ow0, ow1).
        const int64_t off = j * dw - pw;
        int64_t ow0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
        int64_t ow1 = g.w - off <= 0 ? 0 : (g.w - off + sw - 1) / sw;
        ow0 = std::min(ow0, g.ow);
        ow1 = std::min(std::max(ow1, ow0), g.ow);
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          T* out = row + oh * g.ow;
          const int64_t ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= g.h) {
            std::fill(out, out + g.ow, T(0));
            continue;
          }
          const T* src = plane + ih * g.w + off;
          std::fill(out, out + ow0, T(0));
          if (sw == 1) {
            std::memcpy(out + ow0, src + ow0, sizeof(T) * (ow1 - ow0));
          } else {
            for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = src[ow * sw];
          }
          std::fill(out + ow1, out + g.ow, T(0));
        }
      }
}

// The adjoint of im2col: x[ci, ih, iw] += cols[...] (x must be zeroed first).
template <class T>
void col2im(const T* cols, const ConvGeometry& g, T* x) {
  const int64_t sh = g.win.stride[0], sw = g.win.stride[1], ph = g.win.pad[0], pw = g.win.pad[1];
  const int64_t dh = g.win.dilation[0], dw = g.win.dilation[1];
  const int64_t ld = g.l();
  for (int64_t ci = 0; ci < g.c; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = cols + ((ci * g.kh + i) * g.kw + j) * ld;
        T* plane = x + ci * g.h * g.w;
        const int64_t off = j * dw - pw;
        int64_t ow0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
        int64_t ow1 = g.w - off <= 0 ? 0 : (g.w - off + sw - 1) / sw;
        ow0 = std::min(ow0, g.ow);
        ow1 = std::min(std::max(ow1, ow0), g.ow);
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          const int64_t ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= g.h) continue;
          const T* src = row + oh * g.ow;
          T* dst = plane + ih * g.w + off;
          for (int64_t ow = ow0; ow < ow1; ++ow) dst[ow * sw] += src[ow];
        }
      }
}

// Runs fn(n, gemm_threads, scratch) for each sample: threads over the batch when it is large enough,
// otherwise samples in order with a multi-threaded GEMM. Each thread owns its scratch buffer.
template <class T, class Fn>
void for_each_sample(int64_t batch, int64_t scratch_size, int64_t sample_work, const Fn& fn) {
  const int threads = get_num_threads();
  // Threads take whole samples only when each thread gets enough multiply-adds to pay for waking it.
  constexpr int64_t kMinWorkPerThread = int64_t(1) << 18;
  const int64_t grain = std::max<int64_t>(1, kMinWorkPerThread / std::max<int64_t>(sample_work, 1));
  if (batch >= threads && threads > 1 && batch >= 2 * grain) {
    parallel_for(0, batch, grain, [&](int64_t b, int64_t e) {
      std::vector<T> scratch(static_cast<size_t>(scratch_size));
      for (int64_t n = b; n < e; ++n) fn(n, 1, scratch.data());
    });
  } else {
    std::vector<T> scratch(static_cast<size_t>(scratch_size));
    for (int64_t n = 0; n < batch; ++n) fn(n, threads, scratch.data());
  }
}

// conv2d: in = {x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O] or undefined} (contiguous);
// out[0] = y [N, O, OH, OW] contiguous; window in ints, scalars[0] = groups.
void conv2d_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &weight = args.in[1], &bias = args.in[2], &y = args.out[0];
  const ConvGeometry g = geometry(x.shape(), weight.shape(), y.shape(), args);
  if (y.numel() == 0) return;
  PG_DISPATCH_FLOATING(x.dtype(), "conv2d", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    const T* pw = weight.data<T>();
    const T* pb = bias.defined() ? bias.data<T>() : nullptr;
    T* py = y.data<T>();
    const int64_t l = g.l(), k = g.ckk_g();
    const bool direct = g.pointwise();
    for_each_sample<T>(g.n, direct ? 0 : g.c * g.kh * g.kw * l, g.o * k * l, [&](int64_t n, int threads, T* cols) {
      const T* xn = px + n * g.c * g.h * g.w;
      if (direct) {
        cols = const_cast<T*>(xn);
      } else {
        im2col(xn, g, cols, l);
      }
      T* yn = py + n * g.o * l;
      for (int64_t grp = 0; grp < g.groups; ++grp)  // y_g [Og, L] = W_g [Og, K] @ cols_g [K, L]
        gemm(g.og(), l, k, T(1), pw + grp * g.og() * k, k, 1, cols + grp * k * l, l, 1, T(0), yn + grp * g.og() * l,
             l, 1, threads);
      if (pb)
        for (int64_t oc = 0; oc < g.o; ++oc) {
          T* row = yn + oc * l;
          const T b = pb[oc];
          for (int64_t i = 0; i < l; ++i) row[i] += b;
        }
    });
  });
}

// conv2d_input_backward: in = {grad [N, O, OH, OW], weight} (contiguous); out[0] = grad_input [N, C, H, W].
void conv2d_input_backward_kernel(KernelArgs& args) {
  const Tensor &grad = args.in[0], &weight = args.in[1], &gx = args.out[0];
  const ConvGeometry g = geometry(gx.shape(), weight.shape(), grad.shape(), args);
  if (gx.numel() == 0) return;
  PG_DISPATCH_FLOATING(gx.dtype(), "conv2d_input_backward", [&] {
    using T = scalar_t;
    const T* pg = grad.data<T>();
    const T* pw = weight.data<T>();
    T* px = gx.data<T>();
    const int64_t l = g.l(), k = g.ckk_g();
    const bool direct = g.pointwise();
    for_each_sample<T>(g.n, direct ? 0 : g.c * g.kh * g.kw * l, g.o * k * l, [&](int64_t n, int threads, T* cols) {
      T* xn = px + n * g.c * g.h * g.w;
      const T* gn = pg + n * g.o * l;
      T* target = direct ? xn : cols;
      for (int64_t grp = 0; grp < g.groups; ++grp)  // cols_g [K, L] = W_g^T [K, Og] @ grad_g [Og, L]
        gemm(k, l, g.og(), T(1), pw + grp * g.og() * k, 1, k, gn + grp * g.og() * l, l, 1, T(0), target + grp * k * l,
             l, 1, threads);
      if (!direct) {
        std::fill(xn, xn + g.c * g.h * g.w, T(0));
        col2im(cols, g, xn);
      }
    });
  });
}

// conv2d_weight_backward: in = {grad [N, O, OH, OW], x [N, C, H, W]} (contiguous); out[0] = grad_weight.
// Samples are processed in chunks of a size fixed by memory alone, so the sum order never depends on threads.
void conv2d_weight_backward_kernel(KernelArgs& args) {
  const Tensor &grad = args.in[0], &x = args.in[1], &gw = args.out[0];
  const ConvGeometry g = geometry(x.shape(), gw.shape(), grad.shape(), args);
  if (gw.numel() == 0) return;
  PG_DISPATCH_FLOATING(gw.dtype(), "conv2d_weight_backward", [&] {
    using T = scalar_t;
    const T* pg = grad.data<T>();
    const T* px = x.data<T>();
    T* pw = gw.data<T>();
    const int64_t l = g.l(), k = g.ckk_g(), rows = g.c * g.kh * g.kw;
    if (g.n == 0 || l == 0) {
      std::fill(pw, pw + gw.numel(), T(0));
      return;
    }
    const int64_t budget = (int64_t{32} << 20) / static_cast<int64_t>(sizeof(T));
    const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(g.n, budget / std::max<int64_t>((rows + g.o) * l, 1)));
    std::vector<T> cols(static_cast<size_t>(rows * chunk * l)), grads(static_cast<size_t>(g.o * chunk * l));
    for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
      const int64_t nb = std::min(chunk, g.n - n0), ld = nb * l;
      // Column matrix [rows, nb * L] and gradient matrix [O, nb * L] of the chunk.
      // Copy-bound: a thread per sample only when samples are big enough to repay waking it.
      parallel_for(0, nb, std::max<int64_t>(1, 32768 / std::max<int64_t>((rows + g.o) * l, 1)), [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          im2col(px + (n0 + j) * g.c * g.h * g.w, g, cols.data() + j * l, ld);
          const T* gn = pg + (n0 + j) * g.o * l;
          for (int64_t oc = 0; oc < g.o; ++oc) std::memcpy(grads.data() + oc * ld + j * l, gn + oc * l, sizeof(T) * l);
        }
      });
      const T beta = n0 == 0 ? T(0) : T(1);
      for (int64_t grp = 0; grp < g.groups; ++grp)  // gw_g [Og, K] += grad_g [Og, nb*L] @ cols_g^T [nb*L, K]
        gemm(g.og(), k, ld, T(1), grads.data() + grp * g.og() * ld, ld, 1, cols.data() + grp * k * ld, 1, ld, beta,
             pw + grp * g.og() * k, k, 1, get_num_threads());
    }
  });
}

const KernelRegistrar register_conv2d(OpId::conv2d, Device::CPU, &conv2d_kernel);
const KernelRegistrar register_conv2d_input_backward(OpId::conv2d_input_backward, Device::CPU,
                                                     &conv2d_input_backward_kernel);
const KernelRegistrar register_conv2d_weight_backward(OpId::conv2d_weight_backward, Device::CPU,
                                                      &conv2d_weight_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
