// CPU recurrent cells: the LSTM and GRU gate math of one step as one pass forward and one backward (the
// matrix products stay in the GEMM). Rows run in parallel; float32 activations go through the vector
// sigmoid/tanh of vector_math.h a row at a time.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/array_math.h"
#include "backend/cpu/gemm/gemm.h"
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
void lstm_activations(T* act, int64_t h) {  // pre-activations in place: i, f, o through sigmoid, g through tanh
  sigmoid_array(act, act, 2 * h);
  tanh_array(act + 2 * h, act + 2 * h, h);
  sigmoid_array(act + 3 * h, act + 3 * h, h);
}

template <class T>
void lstm_state(const T* act, const T* c, int64_t h, T* c2, T* tc) {  // c2 = f c + i g, tc = tanh(c2)
  const T *i = act, *f = act + h, *g = act + 2 * h;
  for (int64_t j = 0; j < h; ++j) c2[j] = f[j] * c[j] + i[j] * g[j];
  tanh_array(c2, tc, h);
}

template <class T>
void lstm_row(const T* xg, const T* hg, const T* c, int64_t h, T* act, T* c2, T* tc) {
  for (int64_t j = 0; j < 4 * h; ++j) act[j] = xg[j] + hg[j];
  lstm_activations(act, h);
  lstm_state(act, c, h, c2, tc);
}

// One row's gate gradients from its activations: d (4H) and the previous cell's gradient dc_prev (may be null).
template <class T>
void lstm_row_backward(const T* act, const T* c, const T* tc, const T* gh, const T* gc, int64_t h, T* d, T* dc_prev) {
  const T *i = act, *f = act + h, *g = act + 2 * h, *o = act + 3 * h;
  for (int64_t j = 0; j < h; ++j) {
    const T dc2 = gc[j] + gh[j] * o[j] * (T(1) - tc[j] * tc[j]);
    d[j] = dc2 * g[j] * i[j] * (T(1) - i[j]);
    d[h + j] = dc2 * c[j] * f[j] * (T(1) - f[j]);
    d[2 * h + j] = dc2 * i[j] * (T(1) - g[j] * g[j]);
    d[3 * h + j] = gh[j] * tc[j] * o[j] * (T(1) - o[j]);
    if (dc_prev) dc_prev[j] = dc2 * f[j];
  }
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
        lstm_row_backward(act, cr, tc, pg + r * h, pg + (batch + r) * h, h, pdg + r * 4 * h,
                          pdc ? pdc + r * h : nullptr);
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

// The step order of a layer: step s runs time t(s); the state it reads comes from t(s - 1).
int64_t step_time(int64_t s, int64_t steps, bool reverse) { return reverse ? steps - 1 - s : s; }

// The state each step read, in time order: h0 for the first step run, then the previous step's output.
template <class T>
std::vector<T> previous_states(const T* h0, const T* outputs, int64_t steps, int64_t per_step, bool reverse) {
  std::vector<T> prev(static_cast<size_t>(steps * per_step));
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = step_time(s, steps, reverse), tp = step_time(s - 1, steps, reverse);
    const T* src = s == 0 ? h0 : outputs + tp * per_step;
    std::copy(src, src + per_step, prev.data() + t * per_step);
  }
  return prev;
}

// lstm_layer: in = {x_gates [T, B, 4H] (both biases in), w_hh [4H, H]}, hc0 [2, B, H]; out[0] = hc [2, T, B, H]
// (every step's h, then every step's c); gates [T, B, 4H] written (pre-activations, for backward).
// Per step: gates_t = x_gates_t + h_prev W_hh^T (one GEMM against W_hh^T transposed once), then the cell.
void lstm_layer_kernel(KernelArgs& base) {
  auto& a = static_cast<LstmLayerKernelArgs&>(base);
  const Tensor &xg = a.in[0], &w = a.in[1], &hc = a.out[0];
  const int64_t steps = xg.shape()[0], batch = xg.shape()[1], h = w.shape()[1], g4 = 4 * h;
  const int threads = get_num_threads();
  PG_DISPATCH_FLOATING(xg.dtype(), "lstm_layer", [&] {
    using T = scalar_t;
    PackedB<T> wt;  // W_hh^T [H, 4H], packed once for all the steps' products
    pack_gemm_b(h, g4, w.data<T>(), 1, h, wt);
    const T *px = xg.data<T>(), *p0 = a.hc0.data<T>();
    T *ph = hc.data<T>(), *pc = ph + steps * batch * h, *pg = a.gates.data<T>();
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t t = step_time(s, steps, a.reverse), tp = step_time(s - 1, steps, a.reverse);
      const T* h_prev = s == 0 ? p0 : ph + tp * batch * h;
      const T* c_prev = s == 0 ? p0 + batch * h : pc + tp * batch * h;
      T* gt = pg + t * batch * g4;
      const T* xt = px + t * batch * g4;
      std::copy(xt, xt + batch * g4, gt);
      gemm_prepacked_b(batch, T(1), h_prev, h, 1, wt, T(1), gt, g4, threads);
      parallel_for(0, batch, rows_grain(g4), [&](int64_t b, int64_t e) {
        T* act = thread_scratch<T>(static_cast<size_t>(5 * h));
        T* tc = act + 4 * h;
        for (int64_t r = b; r < e; ++r) {
          std::copy(gt + r * g4, gt + (r + 1) * g4, act);
          lstm_activations(act, h);
          T* c2 = pc + (t * batch + r) * h;
          lstm_state(act, c_prev + r * h, h, c2, tc);
          const T* o = act + 3 * h;
          for (int64_t j = 0; j < h; ++j) ph[(t * batch + r) * h + j] = o[j] * tc[j];
        }
      });
    }
  });
}

// lstm_layer_backward: in = {grad [2, T, B, H], w_hh, hc (the forward's result)}, hc0 and gates read; out =
// {d_gates [T, B, 4H] (x_gates' gradient), d_w_hh [4H, H]}, grad_hc0 [2, B, H]. Steps run backwards carrying
// dh, dc; then W_hh's gradient is one GEMM over all steps, d_gates^T [4H, T B] @ H_prev [T B, H].
void lstm_layer_backward_kernel(KernelArgs& base) {
  auto& a = static_cast<LstmLayerKernelArgs&>(base);
  const Tensor &grad = a.in[0], &w = a.in[1], &hc = a.in[2];
  const int64_t steps = hc.shape()[1], batch = hc.shape()[2], h = hc.shape()[3], g4 = 4 * h;
  const int threads = get_num_threads();
  PG_DISPATCH_FLOATING(hc.dtype(), "lstm_layer_backward", [&] {
    using T = scalar_t;
    const T *pgrad = grad.data<T>(), *pw = w.data<T>(), *ph = hc.data<T>(), *p0 = a.hc0.data<T>();
    const T *pc = ph + steps * batch * h, *pgates = a.gates.data<T>();
    T* pd = a.out[0].data<T>();
    std::vector<T> dh(static_cast<size_t>(batch * h), T(0)), dc(dh), dc_next(dh);
    PackedB<T> w_packed;  // W_hh [4H, H], packed once for all the steps' dh products
    pack_gemm_b(g4, h, pw, h, 1, w_packed);
    const T* grad_c = pgrad + steps * batch * h;
    for (int64_t s = steps - 1; s >= 0; --s) {
      const int64_t t = step_time(s, steps, a.reverse), tp = step_time(s - 1, steps, a.reverse);
      const T* c_prev = s == 0 ? p0 + batch * h : pc + tp * batch * h;
      for (int64_t i = 0; i < batch * h; ++i) dh[i] += pgrad[t * batch * h + i], dc[i] += grad_c[t * batch * h + i];
      parallel_for(0, batch, rows_grain(g4), [&](int64_t b, int64_t e) {
        T* act = thread_scratch<T>(static_cast<size_t>(5 * h));
        T* tc = act + 4 * h;
        for (int64_t r = b; r < e; ++r) {
          std::copy(pgates + (t * batch + r) * g4, pgates + (t * batch + r + 1) * g4, act);
          lstm_activations(act, h);
          tanh_array(pc + (t * batch + r) * h, tc, h);
          lstm_row_backward(act, c_prev + r * h, tc, dh.data() + r * h, dc.data() + r * h, h, pd + (t * batch + r) * g4,
                            dc_next.data() + r * h);
        }
      });
      // dh_prev [B, H] = d_gates_t [B, 4H] @ W_hh [4H, H]
      gemm_prepacked_b(batch, T(1), pd + t * batch * g4, g4, 1, w_packed, T(0), dh.data(), h, threads);
      std::swap(dc, dc_next);
    }
    T* g0 = a.grad_hc0.data<T>();
    std::copy(dh.begin(), dh.end(), g0);
    std::copy(dc.begin(), dc.end(), g0 + batch * h);
    const std::vector<T> h_prev = previous_states(p0, ph, steps, batch * h, a.reverse);
    gemm(g4, h, steps * batch, T(1), pd, 1, g4, h_prev.data(), h, 1, T(0), a.out[1].data<T>(), h, 1, threads);
  });
}

// gru_layer: in = {x_gates [T, B, 3H] (x W_ih^T + b_ih), w [3H, K] (W_hh, and b_hh as column H when K = H + 1)},
// hc0 = h0 [B, H]; out[0] = hs [T, B, H]; gates = gh [T, B, 3H] (h_prev W_hh^T + b_hh) written for backward.
void gru_layer_kernel(KernelArgs& base) {
  auto& a = static_cast<LstmLayerKernelArgs&>(base);
  const Tensor &xg = a.in[0], &w = a.in[1], &hs = a.out[0];
  const int64_t steps = xg.shape()[0], batch = xg.shape()[1], h = hs.shape()[2], g3 = 3 * h, kw = w.shape()[1];
  const int threads = get_num_threads();
  PG_DISPATCH_FLOATING(xg.dtype(), "gru_layer", [&] {
    using T = scalar_t;
    const T *px = xg.data<T>(), *pw = w.data<T>(), *p0 = a.hc0.data<T>();
    T *ph = hs.data<T>(), *pg = a.gates.data<T>();
    PackedB<T> wt;  // W_hh^T [H, 3H], packed once for all the steps' products
    pack_gemm_b(h, g3, pw, 1, kw, wt);
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t t = step_time(s, steps, a.reverse), tp = step_time(s - 1, steps, a.reverse);
      const T* h_prev = s == 0 ? p0 : ph + tp * batch * h;
      T* gh = pg + t * batch * g3;
      for (int64_t r = 0; r < batch; ++r)  // the bias column, or zeros
        for (int64_t j = 0; j < g3; ++j) gh[r * g3 + j] = kw > h ? pw[j * kw + h] : T(0);
      gemm_prepacked_b(batch, T(1), h_prev, h, 1, wt, T(1), gh, g3, threads);
      parallel_for(0, batch, rows_grain(g3), [&](int64_t b, int64_t e) {
        T* act = thread_scratch<T>(static_cast<size_t>(g3));
        for (int64_t r = b; r < e; ++r) {
          gru_row(px + (t * batch + r) * g3, gh + r * g3, h, act);
          const T *z = act + h, *n = act + 2 * h, *hr = h_prev + r * h;
          for (int64_t j = 0; j < h; ++j) ph[(t * batch + r) * h + j] = n[j] + z[j] * (hr[j] - n[j]);
        }
      });
    }
  });
}

// gru_layer_backward: in = {grad [T, B, H], w, hs}; hc0 = h0 and gates = gh read; out = {d_x_gates [T, B, 3H],
// d_w [3H, K]}, grad_hc0 = d_h0. Per step (backwards): d_gi = [dr, dz, dn], d_gh = [dr, dz, dn r], dh_prev =
// g z + d_gh W_hh; then W_hh's gradient is one GEMM d_gh^T [3H, T B] @ H_prev, b_hh's the column sums of d_gh.
void gru_layer_backward_kernel(KernelArgs& base) {
  auto& a = static_cast<LstmLayerKernelArgs&>(base);
  const Tensor &grad = a.in[0], &w = a.in[1], &hs = a.in[2];
  const int64_t steps = hs.shape()[0], batch = hs.shape()[1], h = hs.shape()[2], g3 = 3 * h, kw = w.shape()[1];
  const int threads = get_num_threads();
  PG_DISPATCH_FLOATING(hs.dtype(), "gru_layer_backward", [&] {
    using T = scalar_t;
    const T *pgrad = grad.data<T>(), *pw = w.data<T>(), *ph = hs.data<T>(), *p0 = a.hc0.data<T>();
    const T *pgh = a.gates.data<T>(), *pxg = a.x_gates.data<T>();
    T* dgi = a.out[0].data<T>();
    std::vector<T> dgh(static_cast<size_t>(steps * batch * g3)), dh(static_cast<size_t>(batch * h), T(0));
    std::vector<T> dh_prev(dh.size());
    PackedB<T> w_packed;  // W_hh [3H, H] (the first H columns), packed once for all the steps' dh products
    pack_gemm_b(g3, h, pw, kw, 1, w_packed);
    for (int64_t s = steps - 1; s >= 0; --s) {
      const int64_t t = step_time(s, steps, a.reverse), tp = step_time(s - 1, steps, a.reverse);
      const T* h_prev = s == 0 ? p0 : ph + tp * batch * h;
      for (int64_t i = 0; i < batch * h; ++i) dh[i] += pgrad[t * batch * h + i];
      parallel_for(0, batch, rows_grain(g3), [&](int64_t b, int64_t e) {
        T* act = thread_scratch<T>(static_cast<size_t>(g3));
        for (int64_t r = b; r < e; ++r) {
          const T* ghr = pgh + (t * batch + r) * g3;
          gru_row(pxg + (t * batch + r) * g3, ghr, h, act);
          const T *rg = act, *z = act + h, *n = act + 2 * h, *hr = h_prev + r * h, *g = dh.data() + r * h;
          T* di = dgi + (t * batch + r) * g3;
          T* dhh = dgh.data() + (t * batch + r) * g3;
          for (int64_t j = 0; j < h; ++j) {
            const T dn = g[j] * (T(1) - z[j]) * (T(1) - n[j] * n[j]);
            const T dz = g[j] * (hr[j] - n[j]) * z[j] * (T(1) - z[j]);
            const T dr = dn * ghr[2 * h + j] * rg[j] * (T(1) - rg[j]);
            di[j] = dr, di[h + j] = dz, di[2 * h + j] = dn;
            dhh[j] = dr, dhh[h + j] = dz, dhh[2 * h + j] = dn * rg[j];
            dh_prev[r * h + j] = g[j] * z[j];
          }
        }
      });
      // dh_prev [B, H] += d_gh_t [B, 3H] @ W_hh [3H, H]
      gemm_prepacked_b(batch, T(1), dgh.data() + t * batch * g3, g3, 1, w_packed, T(1), dh_prev.data(), h, threads);
      std::swap(dh, dh_prev);
    }
    std::copy(dh.begin(), dh.end(), a.grad_hc0.data<T>());
    const std::vector<T> h_prev_all = previous_states(p0, ph, steps, batch * h, a.reverse);
    T* dw = a.out[1].data<T>();
    gemm(g3, h, steps * batch, T(1), dgh.data(), 1, g3, h_prev_all.data(), h, 1, T(0), dw, kw, 1, threads);
    if (kw > h)  // b_hh's column: sums of d_gh over every step and row, in row order
      parallel_for(0, g3, 256, [&](int64_t j0, int64_t j1) {
        for (int64_t j = j0; j < j1; ++j) {
          T sum = 0;
          for (int64_t r = 0; r < steps * batch; ++r) sum += dgh[r * g3 + j];
          dw[j * kw + h] = sum;
        }
      });
  });
}

const KernelRegistrar register_lstm_layer(OpId::lstm_layer, Device::CPU, &lstm_layer_kernel);
const KernelRegistrar register_gru_layer(OpId::gru_layer, Device::CPU, &gru_layer_kernel);
const KernelRegistrar register_gru_layer_backward(OpId::gru_layer_backward, Device::CPU, &gru_layer_backward_kernel);
const KernelRegistrar register_lstm_layer_backward(OpId::lstm_layer_backward, Device::CPU, &lstm_layer_backward_kernel);
const KernelRegistrar register_lstm_cell(OpId::lstm_cell, Device::CPU, &lstm_cell_kernel);
const KernelRegistrar register_lstm_cell_backward(OpId::lstm_cell_backward, Device::CPU, &lstm_cell_backward_kernel);
const KernelRegistrar register_gru_cell(OpId::gru_cell, Device::CPU, &gru_cell_kernel);
const KernelRegistrar register_gru_cell_backward(OpId::gru_cell_backward, Device::CPU, &gru_cell_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
