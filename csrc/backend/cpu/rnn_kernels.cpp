// CPU recurrent cells: the LSTM and GRU gate math of one step as one pass forward and one backward (the
// matrix products stay in the GEMM). Rows run in parallel; float32 activations go through the vector
// sigmoid/tanh of vector_math.h a row at a time.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/array_math.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/dtype.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

// LSTM activations of one row: act = [sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)] of xg + hg, and
// c2 = f c + i g, tc = tanh(c2). act holds 4H, c2 and tc H each.
template <class T>
void lstm_row(const T* xg, const T* hg, const T* c, int64_t h, T* act, T* c2, T* tc) {
  for (int64_t j = 0; j < 4 * h; ++j) act[j] = xg[j] + hg[j];
  sigmoid_array(act, act, 2 * h);
  tanh_array(act + 2 * h, act + 2 * h, h);
  sigmoid_array(act + 3 * h, act + 3 * h, h);
  const T *i = act, *f = act + h, *g = act + 2 * h;
  for (int64_t j = 0; j < h; ++j) c2[j] = f[j] * c[j] + i[j] * g[j];
  tanh_array(c2, tc, h);
}

int64_t rows_grain(int64_t width) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(width, 1)); }

// lstm_cell: in = {xg [B, 4H], hg [B, 4H], c [B, H]}; out[0] = [2, B, H]: h = o tanh(c2), then c2.
void lstm_cell_kernel(KernelArgs& args) {
  const Tensor &xg = args.in[0], &hg = args.in[1], &c = args.in[2], &out = args.out[0];
  const int64_t batch = c.shape()[0], h = c.shape()[1];
  PG_DISPATCH_FLOATING(c.dtype(), "lstm_cell", [&] {
    using T = scalar_t;
    const T *pxg = xg.data<T>(), *phg = hg.data<T>(), *pc = c.data<T>();
    T* ph = out.data<T>();
    T* pc2 = ph + batch * h;
    parallel_for(0, batch, rows_grain(4 * h), [&](int64_t b, int64_t e) {
      T* act = thread_scratch<T>(static_cast<size_t>(5 * h));
      T* tc = act + 4 * h;
      for (int64_t r = b; r < e; ++r) {
        lstm_row(pxg + r * 4 * h, phg + r * 4 * h, pc + r * h, h, act, pc2 + r * h, tc);
        const T* o = act + 3 * h;
        for (int64_t j = 0; j < h; ++j) ph[r * h + j] = o[j] * tc[j];
      }
    });
  });
}

// lstm_cell_backward: in = {grad [2, B, H] (of h, then of c2), xg, hg}, state = c; out = {d_gates [B, 4H],
// d_c [B, H]}. dc2 = g_c + g_h o (1 - tc^2); d_i = dc2 g i (1 - i); d_f = dc2 c f (1 - f); d_g = dc2 i (1 - g^2);
// d_o = g_h tc o (1 - o); d_c = dc2 f.
void lstm_cell_backward_kernel(KernelArgs& base) {
  auto& args = static_cast<RecurrentCellKernelArgs&>(base);
  const Tensor &grad = args.in[0], &xg = args.in[1], &hg = args.in[2], &c = args.state;
  const Tensor &d_gates = args.out[0], &d_c = args.out[1];
  const int64_t batch = c.shape()[0], h = c.shape()[1];
  PG_DISPATCH_FLOATING(c.dtype(), "lstm_cell_backward", [&] {
    using T = scalar_t;
    const T *pg = grad.data<T>(), *pxg = xg.data<T>(), *phg = hg.data<T>(), *pc = c.data<T>();
    T* pdg = d_gates.data<T>();
    T* pdc = d_c.defined() ? d_c.data<T>() : nullptr;
    parallel_for(0, batch, rows_grain(4 * h), [&](int64_t b, int64_t e) {
      T* act = thread_scratch<T>(static_cast<size_t>(6 * h));
      T *c2 = act + 4 * h, *tc = act + 5 * h;
      for (int64_t r = b; r < e; ++r) {
        const T* cr = pc + r * h;
        lstm_row(pxg + r * 4 * h, phg + r * 4 * h, cr, h, act, c2, tc);
        const T *i = act, *f = act + h, *g = act + 2 * h, *o = act + 3 * h;
        const T *gh = pg + r * h, *gc = pg + (batch + r) * h;
        T* d = pdg + r * 4 * h;
        for (int64_t j = 0; j < h; ++j) {
          const T dc2 = gc[j] + gh[j] * o[j] * (T(1) - tc[j] * tc[j]);
          d[j] = dc2 * g[j] * i[j] * (T(1) - i[j]);
          d[h + j] = dc2 * cr[j] * f[j] * (T(1) - f[j]);
          d[2 * h + j] = dc2 * i[j] * (T(1) - g[j] * g[j]);
          d[3 * h + j] = gh[j] * tc[j] * o[j] * (T(1) - o[j]);
          if (pdc) pdc[r * h + j] = dc2 * f[j];
        }
      }
    });
  });
}

// GRU activations of one row: act = [r, z] = sigmoid(gi_rz + gh_rz) and n = tanh(gi_n + r gh_n); act 3H.
template <class T>
void gru_row(const T* gi, const T* gh, int64_t h, T* act) {
  for (int64_t j = 0; j < 2 * h; ++j) act[j] = gi[j] + gh[j];
  sigmoid_array(act, act, 2 * h);
  T* n = act + 2 * h;
  for (int64_t j = 0; j < h; ++j) n[j] = gi[2 * h + j] + act[j] * gh[2 * h + j];
  tanh_array(n, n, h);
}

// gru_cell: in = {gi [B, 3H], gh [B, 3H], h [B, H]}; out[0] = h2 = n + z (h - n).
void gru_cell_kernel(KernelArgs& args) {
  const Tensor &gi = args.in[0], &gh = args.in[1], &hx = args.in[2], &out = args.out[0];
  const int64_t batch = hx.shape()[0], h = hx.shape()[1];
  PG_DISPATCH_FLOATING(hx.dtype(), "gru_cell", [&] {
    using T = scalar_t;
    const T *pgi = gi.data<T>(), *pgh = gh.data<T>(), *ph = hx.data<T>();
    T* po = out.data<T>();
    parallel_for(0, batch, rows_grain(3 * h), [&](int64_t b, int64_t e) {
      T* act = thread_scratch<T>(static_cast<size_t>(3 * h));
      for (int64_t r = b; r < e; ++r) {
        gru_row(pgi + r * 3 * h, pgh + r * 3 * h, h, act);
        const T *z = act + h, *n = act + 2 * h, *hr = ph + r * h;
        for (int64_t j = 0; j < h; ++j) po[r * h + j] = n[j] + z[j] * (hr[j] - n[j]);
      }
    });
  });
}

// gru_cell_backward: in = {grad [B, H], gi, gh}, state = h; out = {d_gi [B, 3H], d_gh [B, 3H]}, grad_state = d_h.
// dn = g (1 - z) (1 - n^2); dz = g (h - n) z (1 - z); dr = dn gh_n r (1 - r); d_gi = [dr, dz, dn],
// d_gh = [dr, dz, dn r], d_h = g z.
void gru_cell_backward_kernel(KernelArgs& base) {
  auto& args = static_cast<RecurrentCellKernelArgs&>(base);
  const Tensor &grad = args.in[0], &gi = args.in[1], &gh = args.in[2], &hx = args.state;
  const int64_t batch = hx.shape()[0], h = hx.shape()[1];
  PG_DISPATCH_FLOATING(hx.dtype(), "gru_cell_backward", [&] {
    using T = scalar_t;
    const T *pg = grad.data<T>(), *pgi = gi.data<T>(), *pgh = gh.data<T>(), *ph = hx.data<T>();
    T* pdgi = args.out[0].defined() ? args.out[0].data<T>() : nullptr;
    T* pdgh = args.out[1].defined() ? args.out[1].data<T>() : nullptr;
    T* pdh = args.grad_state.defined() ? args.grad_state.data<T>() : nullptr;
    parallel_for(0, batch, rows_grain(3 * h), [&](int64_t b, int64_t e) {
      T* act = thread_scratch<T>(static_cast<size_t>(3 * h));
      for (int64_t r = b; r < e; ++r) {
        gru_row(pgi + r * 3 * h, pgh + r * 3 * h, h, act);
        const T *rg = act, *z = act + h, *n = act + 2 * h, *hr = ph + r * h, *g = pg + r * h;
        const T* gh_n = pgh + r * 3 * h + 2 * h;
        for (int64_t j = 0; j < h; ++j) {
          const T dn = g[j] * (T(1) - z[j]) * (T(1) - n[j] * n[j]);
          const T dz = g[j] * (hr[j] - n[j]) * z[j] * (T(1) - z[j]);
          const T dr = dn * gh_n[j] * rg[j] * (T(1) - rg[j]);
          if (pdgi) {
            T* d = pdgi + r * 3 * h;
            d[j] = dr, d[h + j] = dz, d[2 * h + j] = dn;
          }
          if (pdgh) {
            T* d = pdgh + r * 3 * h;
            d[j] = dr, d[h + j] = dz, d[2 * h + j] = dn * rg[j];
          }
          if (pdh) pdh[r * h + j] = g[j] * z[j];
        }
      }
    });
  });
}

const KernelRegistrar register_lstm_cell(OpId::lstm_cell, Device::CPU, &lstm_cell_kernel);
const KernelRegistrar register_lstm_cell_backward(OpId::lstm_cell_backward, Device::CPU, &lstm_cell_backward_kernel);
const KernelRegistrar register_gru_cell(OpId::gru_cell, Device::CPU, &gru_cell_kernel);
const KernelRegistrar register_gru_cell_backward(OpId::gru_cell_backward, Device::CPU, &gru_cell_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
