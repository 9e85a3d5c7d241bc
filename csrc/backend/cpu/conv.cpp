// CPU convolution over 1, 2 or 3 spatial dims: im2col / col2im around the packed GEMM (forward, input gradient, weight
// gradient).
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "backend/cpu/array_math.h"
#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

// Every convolution runs as 3-d: a 2-d one has depth 1, a 1-d one depth and height 1 (ConvParams is right-aligned).
struct ConvGeometry {
  int64_t n, c, d, h, w;  // input
  int64_t o, od, oh, ow;  // output
  int64_t kd, kh, kw, groups;
  int64_t stride[3], pad[3], dilation[3];
  int64_t cg() const { return c / groups; }
  int64_t og() const { return o / groups; }
  int64_t kvol() const { return kd * kh * kw; }
  int64_t ckk_g() const { return cg() * kvol(); }  // GEMM depth of one group
  int64_t l() const { return od * oh * ow; }
  int64_t plane() const { return d * h * w; }
  bool pointwise() const {  // 1x1, stride 1, no padding: the input plane is its own column matrix
    for (int i = 0; i < 3; ++i)
      if (stride[i] != 1 || pad[i] != 0) return false;
    return kvol() == 1;
  }
};

// x [N, C, *S], weight [O, C/g, *K], y [N, O, *OS] with 1 to 3 spatial dims, read right-aligned into (d, h, w).
ConvGeometry geometry(const Shape& x, const Shape& weight, const Shape& y, const KernelArgs& args) {
  const ConvParams& params = static_cast<const ConvKernelArgs&>(args).params;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  const int64_t spatial = static_cast<int64_t>(x.size()) - 2;
  for (int64_t i = 0; i < spatial; ++i) {
    in[3 - spatial + i] = x[2 + i];
    out[3 - spatial + i] = y[2 + i];
    k[3 - spatial + i] = weight[2 + i];
  }
  ConvGeometry g;
  g.n = x[0], g.c = x[1], g.d = in[0], g.h = in[1], g.w = in[2];
  g.o = weight[0], g.od = out[0], g.oh = out[1], g.ow = out[2];
  g.kd = k[0], g.kh = k[1], g.kw = k[2];
  g.groups = params.groups;
  for (int i = 0; i < 3; ++i)
    g.stride[i] = params.stride[i], g.pad[i] = params.pad[i], g.dilation[i] = params.dilation[i];
  return g;
}

// The output columns [ow0, ow1) whose input column ow * sw + off lies inside the image.
void inside_columns(const ConvGeometry& g, int64_t off, int64_t& ow0, int64_t& ow1) {
  const int64_t sw = g.stride[2];
  ow0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
  ow1 = g.w - off <= 0 ? 0 : (g.w - off + sw - 1) / sw;
  ow0 = std::min(ow0, g.ow);
  ow1 = std::min(std::max(ow1, ow0), g.ow);
}

// cols[((ci*kd + a)*kh + i)*kw + j][(od*OH + oh)*OW + ow] = x[ci, od*sd - pd + a*dd, oh*sh - ph + i*dh,
// ow*sw - pw + j*dw] (0 outside), row stride `ld`.
template <class T>
void im2col(const T* x, const ConvGeometry& g, T* cols, int64_t ld) {
  const int64_t sw = g.stride[2];
  for (int64_t ci = 0; ci < g.c; ++ci)
    for (int64_t a = 0; a < g.kd; ++a)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) {
          T* row = cols + (((ci * g.kd + a) * g.kh + i) * g.kw + j) * ld;
          const T* volume = x + ci * g.plane();
          const int64_t off = j * g.dilation[2] - g.pad[2];
          int64_t ow0, ow1;
          inside_columns(g, off, ow0, ow1);
          for (int64_t od = 0; od < g.od; ++od) {
            const int64_t id = od * g.stride[0] - g.pad[0] + a * g.dilation[0];
            for (int64_t oh = 0; oh < g.oh; ++oh) {
              T* out = row + (od * g.oh + oh) * g.ow;
              const int64_t ih = oh * g.stride[1] - g.pad[1] + i * g.dilation[1];
              if (id < 0 || id >= g.d || ih < 0 || ih >= g.h) {
                std::fill(out, out + g.ow, T(0));
                continue;
              }
              const T* src = volume + (id * g.h + ih) * g.w + off;
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
}

// The adjoint of im2col: x[ci, id, ih, iw] += cols[...] (x must be zeroed first); cols row stride `ld`.
template <class T>
void col2im(const T* cols, const ConvGeometry& g, T* x, int64_t ld) {
  const int64_t sw = g.stride[2];
  for (int64_t ci = 0; ci < g.c; ++ci)
    for (int64_t a = 0; a < g.kd; ++a)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) {
          const T* row = cols + (((ci * g.kd + a) * g.kh + i) * g.kw + j) * ld;
          T* volume = x + ci * g.plane();
          const int64_t off = j * g.dilation[2] - g.pad[2];
          int64_t ow0, ow1;
          inside_columns(g, off, ow0, ow1);
          for (int64_t od = 0; od < g.od; ++od) {
            const int64_t id = od * g.stride[0] - g.pad[0] + a * g.dilation[0];
            if (id < 0 || id >= g.d) continue;
            for (int64_t oh = 0; oh < g.oh; ++oh) {
              const int64_t ih = oh * g.stride[1] - g.pad[1] + i * g.dilation[1];
              if (ih < 0 || ih >= g.h) continue;
              const T* src = row + (od * g.oh + oh) * g.ow;
              T* dst = volume + (id * g.h + ih) * g.w + off;
              for (int64_t ow = ow0; ow < ow1; ++ow) dst[ow * sw] += src[ow];
            }
          }
        }
}

// Copies sample n's gradient [O, L] into column j of a chunk's gradient matrix [O, nb*L] (leading dim ld).
template <class T>
void gather_sample_grad(const T* grad, int64_t n, int64_t j, const ConvGeometry& g, T* dst, int64_t ld) {
  const int64_t l = g.l();
  const T* src = grad + n * g.o * l;
  for (int64_t oc = 0; oc < g.o; ++oc) std::memcpy(dst + oc * ld + j * l, src + oc * l, sizeof(T) * l);
}

// Samples per chunk: the chunk's column matrix [rows, nb * L] and output matrix [O, nb * L] fit a 1 MiB budget
// (measured: 16 MiB chunks made the conv 16->32 forward 1.7x slower, the GEMM packing reading DRAM).
// Fixed by the shapes alone, so the GEMM (and its sum order) never depends on the thread count.
int64_t chunk_samples(int64_t batch, int64_t per_sample, int64_t elem_size) {
  const int64_t budget = (int64_t{1} << 20) / elem_size;  // ~L2: the GEMM packs the columns from cache, not DRAM
  return std::max<int64_t>(1, std::min<int64_t>(batch, budget / std::max<int64_t>(per_sample, 1)));
}

// Threads take samples only when each gets enough elements copied to repay waking it.
int64_t copy_grain(int64_t per_sample) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(per_sample, 1)); }

// Runs fn(n0, nb, inner_threads) over chunks of samples. With several chunks per thread, threads take
// whole chunks (one parallel region, everything inside single-threaded); otherwise chunks run in turn
// and each parallelises inside. A chunk's arithmetic is the same either way, so results match bit for bit.
template <class Fn>
void for_each_chunk(int64_t n, int64_t chunk, int64_t chunk_work, const Fn& fn) {
  const int threads = get_num_threads();
  const int64_t chunks = (n + chunk - 1) / chunk;
  if (threads > 1 && chunks >= 2 * threads && chunk_work >= (int64_t(1) << 18)) {
    parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) fn(c * chunk, std::min(chunk, n - c * chunk), 1);
    });
  } else {
    for (int64_t n0 = 0; n0 < n; n0 += chunk) fn(n0, std::min(chunk, n - n0), threads);
  }
}

// parallel_for when the caller may use threads, a plain call inside a thread that already owns a chunk.
template <class Body>
void maybe_parallel(int inner_threads, int64_t count, int64_t grain, const Body& body) {
  if (inner_threads > 1) {
    parallel_for(0, count, grain, body);
  } else if (count > 0) {
    body(0, count);
  }
}

// convolution: in = {x [N, C, *S], weight [O, C/groups, *K], bias [O] or undefined} (contiguous);
// out[0] = y [N, O, *OS] contiguous; the geometry in ConvKernelArgs::params.
// Per chunk of nb samples: cols [C*kh*kw, nb*L] (im2col), one GEMM per group into Y [O, nb*L], then
// Y is scattered to y[n, o, :] with the bias added in the same pass.
void convolution_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &weight = args.in[1], &bias = args.in[2], &y = args.out[0];
  const ConvGeometry g = geometry(x.shape(), weight.shape(), y.shape(), args);
  if (y.numel() == 0) return;
  PG_DISPATCH_FLOATING(x.dtype(), "convolution", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    const T* pw = weight.data<T>();
    const T* pb = bias.defined() ? bias.data<T>() : nullptr;
    T* py = y.data<T>();
    const int64_t l = g.l(), k = g.ckk_g(), rows = g.c * g.kvol(), chw = g.c * g.plane();
    const int threads = get_num_threads();
    if (g.n == 1 && g.pointwise()) {  // the input plane is its own column matrix, the output needs no reorder
      for (int64_t grp = 0; grp < g.groups; ++grp)
        gemm(g.og(), l, k, T(1), pw + grp * g.og() * k, k, 1, px + grp * k * l, l, 1, T(0), py + grp * g.og() * l, l, 1,
             threads);
      if (pb)
        for (int64_t oc = 0; oc < g.o; ++oc)
          for (int64_t i = 0; i < l; ++i) py[oc * l + i] += pb[oc];
      return;
    }
    const int64_t chunk = chunk_samples(g.n, (rows + g.o) * l, sizeof(T));
    for_each_chunk(g.n, chunk, chunk * g.o * k * l, [&](int64_t n0, int64_t nb, int inner_threads) {
      T* cols = thread_scratch<T>(static_cast<size_t>((rows + g.o) * chunk * l));  // this thread's buffer
      T* out = cols + rows * chunk * l;
      const int64_t ld = nb * l;
      maybe_parallel(inner_threads, nb, copy_grain(rows * l), [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) im2col(px + (n0 + j) * chw, g, cols + j * l, ld);
      });
      for (int64_t grp = 0; grp < g.groups; ++grp)  // Y_g [Og, nb*L] = W_g [Og, K] @ cols_g [K, nb*L]
        gemm(g.og(), ld, k, T(1), pw + grp * g.og() * k, k, 1, cols + grp * k * ld, ld, 1, T(0),
             out + grp * g.og() * ld, ld, 1, inner_threads);
      maybe_parallel(inner_threads, nb * g.o, copy_grain(l), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {  // r = j * O + oc
          const int64_t j = r / g.o, oc = r - j * g.o;
          const T* src = out + oc * ld + j * l;
          T* dst = py + (n0 * g.o + r) * l;
          const T bv = pb ? pb[oc] : T(0);
          for (int64_t i = 0; i < l; ++i) dst[i] = src[i] + bv;
        }
      });
    });
  });
}

// convolution_input_backward: in = {grad [N, O, *OS], weight} (contiguous); out[0] = grad_input [N, C, *S].
// Per chunk: G [O, nb*L] gathered from grad, cols_g [K, nb*L] = W_g^T @ G_g in one GEMM, col2im per sample.
void convolution_input_backward_kernel(KernelArgs& args) {
  const Tensor &grad = args.in[0], &weight = args.in[1], &gx = args.out[0];
  const ConvGeometry g = geometry(gx.shape(), weight.shape(), grad.shape(), args);
  if (gx.numel() == 0) return;
  PG_DISPATCH_FLOATING(gx.dtype(), "convolution_input_backward", [&] {
    using T = scalar_t;
    const T* pg = grad.data<T>();
    const T* pw = weight.data<T>();
    T* px = gx.data<T>();
    const int64_t l = g.l(), k = g.ckk_g(), rows = g.c * g.kvol(), chw = g.c * g.plane();
    const int64_t chunk = chunk_samples(g.n, (rows + g.o) * l, sizeof(T));
    for_each_chunk(g.n, chunk, chunk * g.o * k * l, [&](int64_t n0, int64_t nb, int inner_threads) {
      T* cols = thread_scratch<T>(static_cast<size_t>((rows + g.o) * chunk * l));  // this thread's buffer
      T* gm = cols + rows * chunk * l;
      const int64_t ld = nb * l;
      maybe_parallel(inner_threads, nb, copy_grain(g.o * l), [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) gather_sample_grad(pg, n0 + j, j, g, gm, ld);
      });
      for (int64_t grp = 0; grp < g.groups; ++grp)  // cols_g [K, nb*L] = W_g^T [K, Og] @ G_g [Og, nb*L]
        gemm(k, ld, g.og(), T(1), pw + grp * g.og() * k, 1, k, gm + grp * g.og() * ld, ld, 1, T(0), cols + grp * k * ld,
             ld, 1, inner_threads);
      maybe_parallel(inner_threads, nb, copy_grain(rows * l + chw), [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          T* xn = px + (n0 + j) * chw;
          std::fill(xn, xn + chw, T(0));
          col2im(cols + j * l, g, xn, ld);
        }
      });
    });
  });
}

// convolution_weight_backward: in = {grad [N, O, *OS], x [N, C, *S]} (contiguous); out[0] = grad_weight.
// Samples are processed in chunks of a size fixed by memory alone, so the sum order never depends on threads.
void convolution_weight_backward_kernel(KernelArgs& args) {
  const Tensor &grad = args.in[0], &x = args.in[1], &gw = args.out[0];
  const ConvGeometry g = geometry(x.shape(), gw.shape(), grad.shape(), args);
  if (gw.numel() == 0) return;
  PG_DISPATCH_FLOATING(gw.dtype(), "convolution_weight_backward", [&] {
    using T = scalar_t;
    const T* pg = grad.data<T>();
    const T* px = x.data<T>();
    T* pw = gw.data<T>();
    const int64_t l = g.l(), k = g.ckk_g(), rows = g.c * g.kvol(), chw = g.c * g.plane();
    if (g.n == 0 || l == 0) {
      std::fill(pw, pw + gw.numel(), T(0));
      return;
    }
    const int64_t chunk = chunk_samples(g.n, (rows + g.o) * l, sizeof(T));
    const int64_t chunks = (g.n + chunk - 1) / chunk, weights = g.o * k;
    // One partial weight gradient per chunk, summed below in chunk order: the same sums at any thread count.
    std::vector<T> partial(static_cast<size_t>(chunks * weights));
    for_each_chunk(g.n, chunk, chunk * g.o * k * l, [&](int64_t n0, int64_t nb, int inner_threads) {
      T* cols = thread_scratch<T>(static_cast<size_t>((rows + g.o) * chunk * l));  // this thread's buffer
      T* grads = cols + rows * chunk * l;
      const int64_t ld = nb * l;
      // Column matrix [rows, nb * L] and gradient matrix [O, nb * L] of the chunk.
      maybe_parallel(inner_threads, nb, copy_grain((rows + g.o) * l), [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          im2col(px + (n0 + j) * chw, g, cols + j * l, ld);
          gather_sample_grad(pg, n0 + j, j, g, grads, ld);
        }
      });
      T* part = partial.data() + (n0 / chunk) * weights;
      for (int64_t grp = 0; grp < g.groups; ++grp)  // part_g [Og, K] = grad_g [Og, nb*L] @ cols_g^T [nb*L, K]
        gemm(g.og(), k, ld, T(1), grads + grp * g.og() * ld, ld, 1, cols + grp * k * ld, 1, ld, T(0),
             part + grp * g.og() * k, k, 1, inner_threads);
    });
    std::copy(partial.begin(), partial.begin() + weights, pw);
    for (int64_t c = 1; c < chunks; ++c) {
      const T* part = partial.data() + c * weights;
      for (int64_t i = 0; i < weights; ++i) pw[i] += part[i];
    }
  });
}

// F.unfold / F.fold's geometry: image [N, C, H, W] and 2-d blocks from params (kernel, stride, pad, dilation).
ConvGeometry block_geometry(const Shape& image, const ConvParams& p) {
  ConvGeometry g;
  g.n = image[0], g.c = image[1], g.d = 1, g.h = image[2], g.w = image[3];
  g.o = 0, g.kd = 1, g.kh = p.kernel[1], g.kw = p.kernel[2], g.groups = 1;
  for (int i = 0; i < 3; ++i) g.stride[i] = p.stride[i], g.pad[i] = p.pad[i], g.dilation[i] = p.dilation[i];
  g.od = 1;
  g.oh = (g.h + 2 * g.pad[1] - g.dilation[1] * (g.kh - 1) - 1) / g.stride[1] + 1;
  g.ow = (g.w + 2 * g.pad[2] - g.dilation[2] * (g.kw - 1) - 1) / g.stride[2] + 1;
  return g;
}

// im2col (F.unfold): in[0] = x [N, C, H, W] contiguous; out[0] = cols [N, C kh kw, L], one im2col per sample.
void im2col_kernel(KernelArgs& args) {
  const Tensor &x = args.in[0], &cols = args.out[0];
  const ConvGeometry g = block_geometry(x.shape(), static_cast<const ConvKernelArgs&>(args).params);
  PG_DISPATCH_FLOATING(x.dtype(), "unfold", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* pc = cols.data<T>();
    const int64_t l = g.l(), rows = g.c * g.kvol(), chw = g.c * g.plane();
    parallel_for(0, g.n, copy_grain(rows * l), [&](int64_t b, int64_t e) {
      for (int64_t n = b; n < e; ++n) im2col(px + n * chw, g, pc + n * rows * l, l);
    });
  });
}

// col2im (F.fold): in[0] = cols [N, C kh kw, L] contiguous; out[0] = image [N, C, H, W], overlaps summed.
void col2im_kernel(KernelArgs& args) {
  const Tensor &cols = args.in[0], &image = args.out[0];
  const ConvGeometry g = block_geometry(image.shape(), static_cast<const ConvKernelArgs&>(args).params);
  PG_DISPATCH_FLOATING(image.dtype(), "fold", [&] {
    using T = scalar_t;
    const T* pc = cols.data<T>();
    T* px = image.data<T>();
    const int64_t l = g.l(), rows = g.c * g.kvol(), chw = g.c * g.plane();
    parallel_for(0, g.n, copy_grain(rows * l), [&](int64_t b, int64_t e) {
      for (int64_t n = b; n < e; ++n) {
        std::fill(px + n * chw, px + (n + 1) * chw, T(0));
        col2im(pc + n * rows * l, g, px + n * chw, l);
      }
    });
  });
}

const KernelRegistrar register_im2col(OpId::im2col, Device::CPU, &im2col_kernel);
const KernelRegistrar register_col2im(OpId::col2im, Device::CPU, &col2im_kernel);
const KernelRegistrar register_convolution(OpId::convolution, Device::CPU, &convolution_kernel);
const KernelRegistrar register_convolution_input_backward(OpId::convolution_input_backward, Device::CPU,
                                                          &convolution_input_backward_kernel);
const KernelRegistrar register_convolution_weight_backward(OpId::convolution_weight_backward, Device::CPU,
                                                           &convolution_weight_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
