// Recurrent cells: lstm_cell and gru_cell as primitives (validate, allocate, dispatch, record) and their fused
// gradients, which the derivative rules call when the backward is not differentiated again.
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"
#include "ops/nn_ops.h"
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

namespace {

// gates [B, k H] and state [B, H] of one floating dtype; returns H.
int64_t check_cell(const char* op, const Tensor& a, const Tensor& b, const Tensor& state, int64_t k) {
  check_floating(state, op, "state");
  check_same_dtype(state, a, op, "gates");
  check_same_dtype(state, b, op, "gates");
  PG_CHECK(state.dim() == 2, ValueError, op, "expected a state of shape [B, H], got ", state.shape());
  const int64_t batch = state.shape()[0], hidden = state.shape()[1];
  const Shape gates{batch, k * hidden};
  PG_CHECK(a.shape() == gates && b.shape() == gates, ValueError, op, "expected gates of shape ", gates,
           " for a state of shape ", state.shape(), ", got ", a.shape(), " and ", b.shape());
  return hidden;
}

}  // namespace

Tensor lstm_cell(const Tensor& x_gates, const Tensor& h_gates, const Tensor& c) {
  const char* op = "lstm_cell";
  const int64_t hidden = check_cell(op, x_gates, h_gates, c, 4);
  if (is_reduced_floating(c.dtype()))
    return as_dtype(lstm_cell(widen_reduced(x_gates), widen_reduced(h_gates), widen_reduced(c)), c.dtype());
  Tensor xg = contiguous(x_gates), hg = contiguous(h_gates), cs = contiguous(c);
  Tensor out = Tensor::empty({2, cs.shape()[0], hidden}, cs.dtype(), cs.device(), op);
  KernelArgs args;
  args.in[0] = xg, args.in[1] = hg, args.in[2] = cs;
  args.out[0] = out;
  if (out.numel() > 0) run_kernel(OpId::lstm_cell, args);
  record(OpId::lstm_cell, {&xg, &hg, &cs}, out, Forward().self(xg).other(hg).third(cs));
  return out;
}

Tensor gru_cell(const Tensor& gi, const Tensor& gh, const Tensor& h) {
  const char* op = "gru_cell";
  check_cell(op, gi, gh, h, 3);
  if (is_reduced_floating(h.dtype()))
    return as_dtype(gru_cell(widen_reduced(gi), widen_reduced(gh), widen_reduced(h)), h.dtype());
  Tensor a = contiguous(gi), b = contiguous(gh), hs = contiguous(h);
  Tensor out = Tensor::empty(hs.shape(), hs.dtype(), hs.device(), op);
  KernelArgs args;
  args.in[0] = a, args.in[1] = b, args.in[2] = hs;
  args.out[0] = out;
  if (out.numel() > 0) run_kernel(OpId::gru_cell, args);
  record(OpId::gru_cell, {&a, &b, &hs}, out, Forward().self(a).other(b).third(hs));
  return out;
}

Tensor lstm_layer(const Tensor& x_gates, const Tensor& w_hh, const Tensor& hc0, bool reverse) {
  const char* op = "lstm_layer";
  check_floating(x_gates, op, "x_gates");
  check_same_dtype(x_gates, w_hh, op, "w_hh");
  check_same_dtype(x_gates, hc0, op, "initial states");
  PG_CHECK(w_hh.dim() == 2 && w_hh.shape()[0] == 4 * w_hh.shape()[1], ValueError, op,
           "expected w_hh of shape [4H, H], got ", w_hh.shape());
  const int64_t hidden = w_hh.shape()[1];
  PG_CHECK(x_gates.dim() == 3 && x_gates.shape()[2] == 4 * hidden, ValueError, op, "expected x_gates of shape [T, B, ",
           4 * hidden, "], got ", x_gates.shape());
  const int64_t steps = x_gates.shape()[0], batch = x_gates.shape()[1];
  PG_CHECK(hc0.shape() == Shape({2, batch, hidden}), ValueError, op, "expected initial states of shape [2, ", batch,
           ", ", hidden, "], got ", hc0.shape());
  if (is_reduced_floating(x_gates.dtype()))
    return as_dtype(lstm_layer(widen_reduced(x_gates), widen_reduced(w_hh), widen_reduced(hc0), reverse),
                    x_gates.dtype());
  Tensor xg = contiguous(x_gates), w = contiguous(w_hh), h0 = contiguous(hc0);
  Tensor out = Tensor::empty({2, steps, batch, hidden}, xg.dtype(), xg.device(), op);
  Tensor gates = Tensor::empty(xg.shape(), xg.dtype(), xg.device(), op);
  LstmLayerKernelArgs args;
  args.in[0] = xg, args.in[1] = w;
  args.out[0] = out;
  args.hc0 = h0, args.gates = gates;
  args.reverse = reverse;
  if (out.numel() > 0) run_kernel(OpId::lstm_layer, args);
  record(OpId::lstm_layer, {&xg, &w, &h0}, out, Forward().self(xg).other(w).third(h0).result(out).stats(gates),
         RecurrentParams{reverse});
  return out;
}

std::tuple<Tensor, Tensor, Tensor> lstm_layer_backward(const Tensor& grad, const Tensor& w_hh, const Tensor& hc,
                                                       const Tensor& hc0, const Tensor& gates, bool reverse) {
  const char* op = "lstm_layer_backward";
  LstmLayerKernelArgs args;
  args.in[0] = contiguous(grad), args.in[1] = w_hh, args.in[2] = hc;
  args.hc0 = hc0, args.gates = gates;
  args.out[0] = Tensor::empty(gates.shape(), gates.dtype(), gates.device(), op);
  args.out[1] = Tensor::empty(w_hh.shape(), w_hh.dtype(), w_hh.device(), op);
  args.grad_hc0 = Tensor::empty(hc0.shape(), hc0.dtype(), hc0.device(), op);
  args.reverse = reverse;
  if (hc.numel() > 0) {
    run_kernel(OpId::lstm_layer_backward, args);
  } else {
    args.out[1] = zeros(w_hh.shape(), w_hh.dtype());
    args.grad_hc0 = zeros(hc0.shape(), hc0.dtype());
  }
  return {args.out[0], args.out[1], args.grad_hc0};
}

Tensor gru_layer(const Tensor& x_gates, const Tensor& w, const Tensor& h0, bool reverse) {
  const char* op = "gru_layer";
  check_floating(x_gates, op, "x_gates");
  check_same_dtype(x_gates, w, op, "w_hh");
  check_same_dtype(x_gates, h0, op, "initial state");
  PG_CHECK(h0.dim() == 2, ValueError, op, "expected an initial state [B, H], got ", h0.shape());
  const int64_t batch = h0.shape()[0], hidden = h0.shape()[1];
  PG_CHECK(w.dim() == 2 && w.shape()[0] == 3 * hidden && (w.shape()[1] == hidden || w.shape()[1] == hidden + 1),
           ValueError, op, "expected w_hh of shape [", 3 * hidden, ", ", hidden, " or ", hidden + 1, "], got ",
           w.shape());
  PG_CHECK(x_gates.dim() == 3 && x_gates.shape()[1] == batch && x_gates.shape()[2] == 3 * hidden, ValueError, op,
           "expected x_gates of shape [T, ", batch, ", ", 3 * hidden, "], got ", x_gates.shape());
  if (is_reduced_floating(x_gates.dtype()))
    return as_dtype(gru_layer(widen_reduced(x_gates), widen_reduced(w), widen_reduced(h0), reverse), x_gates.dtype());
  Tensor xg = contiguous(x_gates), wc = contiguous(w), hc = contiguous(h0);
  const int64_t steps = xg.shape()[0];
  Tensor out = Tensor::empty({steps, batch, hidden}, xg.dtype(), xg.device(), op);
  Tensor gh = Tensor::empty(xg.shape(), xg.dtype(), xg.device(), op);
  LstmLayerKernelArgs args;
  args.in[0] = xg, args.in[1] = wc;
  args.out[0] = out;
  args.hc0 = hc, args.gates = gh;
  args.reverse = reverse;
  if (out.numel() > 0) run_kernel(OpId::gru_layer, args);
  record(OpId::gru_layer, {&xg, &wc, &hc}, out, Forward().self(xg).other(wc).third(hc).result(out).stats(gh),
         RecurrentParams{reverse});
  return out;
}

std::tuple<Tensor, Tensor, Tensor> gru_layer_backward(const Tensor& grad, const Tensor& x_gates, const Tensor& w,
                                                      const Tensor& hs, const Tensor& h0, const Tensor& gh,
                                                      bool reverse) {
  const char* op = "gru_layer_backward";
  LstmLayerKernelArgs args;
  args.in[0] = contiguous(grad), args.in[1] = w, args.in[2] = hs;
  args.hc0 = h0, args.gates = gh, args.x_gates = x_gates;
  args.out[0] = Tensor::empty(x_gates.shape(), x_gates.dtype(), x_gates.device(), op);
  args.out[1] = Tensor::empty(w.shape(), w.dtype(), w.device(), op);
  args.grad_hc0 = Tensor::empty(h0.shape(), h0.dtype(), h0.device(), op);
  args.reverse = reverse;
  if (hs.numel() > 0) {
    run_kernel(OpId::gru_layer_backward, args);
  } else {
    args.out[1] = zeros(w.shape(), w.dtype());
    args.grad_hc0 = zeros(h0.shape(), h0.dtype());
  }
  return {args.out[0], args.out[1], args.grad_hc0};
}

std::pair<Tensor, Tensor> lstm_cell_backward(const Tensor& grad, const Tensor& x_gates, const Tensor& h_gates,
                                             const Tensor& c, bool state_grad) {
  const char* op = "lstm_cell_backward";
  RecurrentCellKernelArgs args;
  args.in[0] = contiguous(grad), args.in[1] = x_gates, args.in[2] = h_gates;
  args.state = c;
  args.out[0] = Tensor::empty(x_gates.shape(), c.dtype(), c.device(), op);
  if (state_grad) args.out[1] = Tensor::empty(c.shape(), c.dtype(), c.device(), op);
  if (c.numel() > 0) run_kernel(OpId::lstm_cell_backward, args);
  return {args.out[0], args.out[1]};
}

std::tuple<Tensor, Tensor, Tensor> gru_cell_backward(const Tensor& grad, const Tensor& gi, const Tensor& gh,
                                                     const Tensor& h, bool gi_grad, bool gh_grad, bool h_grad) {
  const char* op = "gru_cell_backward";
  RecurrentCellKernelArgs args;
  args.in[0] = contiguous(grad), args.in[1] = gi, args.in[2] = gh;
  args.state = h;
  if (gi_grad) args.out[0] = Tensor::empty(gi.shape(), h.dtype(), h.device(), op);
  if (gh_grad) args.out[1] = Tensor::empty(gh.shape(), h.dtype(), h.device(), op);
  if (h_grad) args.grad_state = Tensor::empty(h.shape(), h.dtype(), h.device(), op);
  if (h.numel() > 0) run_kernel(OpId::gru_cell_backward, args);
  return {args.out[0], args.out[1], args.grad_state};
}

}  // namespace pygrad
