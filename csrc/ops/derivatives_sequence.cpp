// Derivative rules of the sequence-model primitives (recurrent cells, fused attention): one fused kernel when the
// backward is not differentiated again, the same formulas in ops (differentiable) under create_graph.
#include <limits>

#include "ops/derivative_rule.h"
#include "ops/nn_ops.h"
#include "ops/shape_ops.h"

namespace pygrad {

using namespace derivative_detail;

namespace {

// The LSTM cell's gradient in ops (create_graph): gates [B, 4H] pre-activations, c [B, H] the previous cell
// state; returns {d_gates, d_c}. dc2 = g_c + g_h o (1 - tanh(c2)^2);
// d_gates = [dc2 g i(1-i), dc2 c f(1-f), dc2 i (1-g^2), g_h tanh(c2) o(1-o)], d_c = dc2 f.
std::pair<Tensor, Tensor> lstm_gate_grads(const Tensor& grad_h, const Tensor& grad_c, const Tensor& gates,
                                          const Tensor& c) {
  const int64_t h = c.shape()[1];
  Tensor i = sigmoid(narrow(gates, 1, 0, h)), f = sigmoid(narrow(gates, 1, h, h));
  Tensor g = tanh(narrow(gates, 1, 2 * h, h)), o = sigmoid(narrow(gates, 1, 3 * h, h));
  Tensor tc = tanh(add(mul(f, c), mul(i, g)));
  auto sigmoid_slope = [](const Tensor& s) { return mul(s, sub(scalar(1), s)); };
  Tensor dc2 = add(grad_c, mul(mul(grad_h, o), sub(scalar(1), mul(tc, tc))));
  Tensor d_gates = cat({mul(mul(dc2, g), sigmoid_slope(i)), mul(mul(dc2, c), sigmoid_slope(f)),
                        mul(mul(dc2, i), sub(scalar(1), mul(g, g))), mul(mul(grad_h, tc), sigmoid_slope(o))},
                       1);
  return {d_gates, mul(dc2, f)};
}

// lstm_cell: xg, hg [B, 4H], c [B, H]; grad [2, B, H] (of h, then of c2)
PG_DERIVATIVE(lstm_cell, kSelf | kOther | kThird, NoAttributes) {
  Tensor xg = c.self(), hg = c.other(), cs = c.third();
  if (!is_grad_enabled()) {
    auto [d_gates, d_c] = lstm_cell_backward(c.grad(), xg, hg, cs, c.needs(2));
    return {d_gates, d_gates, d_c};
  }
  auto [d_gates, d_c] = lstm_gate_grads(select(c.grad(), 0, 0), select(c.grad(), 0, 1), add(xg, hg), cs);
  return {d_gates, d_gates, c.needs(2) ? d_c : Tensor()};
}

// lstm_layer: x_gates [T, B, 4H], w_hh [4H, H], hc0 [2, B, H]; result hc [2, T, B, H]; stats: pre-activations
// grad [2, T, B, H]. Backwards through the steps: d_gates_t from (dh + g_h[t], dc + g_c[t]); dh = d_gates_t W_hh;
// dW_hh = sum_t d_gates_t^T h_prev; d_x_gates = stack(d_gates_t).
PG_DERIVATIVE(lstm_layer, kSelf | kOther | kThird | kResult | kStats, RecurrentParams) {
  Tensor x = c.self(), w = c.other(), hc0 = c.third(), hc = c.result();
  const bool reverse = c.attributes().reverse;
  if (!is_grad_enabled()) {
    auto [d_x, d_w, d_hc0] = lstm_layer_backward(c.grad(), w, hc, hc0, c.stats(), reverse);
    return {d_x, d_w, d_hc0};
  }
  // create_graph: the same recurrence in ops, each step's gates recomputed from its inputs.
  const int64_t steps = x.shape()[0];
  auto time = [&](int64_t s) { return reverse ? steps - 1 - s : s; };
  Tensor hs = select(hc, 0, 0), cs = select(hc, 0, 1), grad_h = select(c.grad(), 0, 0), grad_c = select(c.grad(), 0, 1);
  Tensor dh = zeros(select(hc0, 0, 0).shape(), hc0.dtype()), dc = dh, d_w;
  std::vector<Tensor> d_x(static_cast<size_t>(steps));
  for (int64_t s = steps - 1; s >= 0; --s) {
    const int64_t t = time(s);
    Tensor h_prev = s == 0 ? select(hc0, 0, 0) : select(hs, 0, time(s - 1));
    Tensor c_prev = s == 0 ? select(hc0, 0, 1) : select(cs, 0, time(s - 1));
    Tensor gates = add(select(x, 0, t), matmul(h_prev, transpose(w, 0, 1)));
    auto [d_gates, d_c] = lstm_gate_grads(add(dh, select(grad_h, 0, t)), add(dc, select(grad_c, 0, t)), gates, c_prev);
    d_x[static_cast<size_t>(t)] = d_gates;
    Tensor step_w = matmul(transpose(d_gates, 0, 1), h_prev);
    d_w = d_w.defined() ? add(d_w, step_w) : step_w;
    dh = matmul(d_gates, w);
    dc = d_c;
  }
  if (!d_w.defined()) d_w = zeros(w.shape(), w.dtype());
  return {steps > 0 ? stack(d_x, 0) : zeros(x.shape(), x.dtype()), d_w, stack({dh, dc}, 0)};
}

// The GRU cell's gradient in ops (create_graph): {d_gi, d_gh, d_h} for gate projections gi, gh [B, 3H], state h.
// dn = g (1 - z)(1 - n^2); dz = g (h - n) z(1-z); dr = dn gh_n r(1-r); d_gi = [dr, dz, dn]; d_gh = [dr, dz, dn r]
std::tuple<Tensor, Tensor, Tensor> gru_gate_grads(const Tensor& g, const Tensor& gi, const Tensor& gh,
                                                  const Tensor& hs) {
  const int64_t h = hs.shape()[1];
  Tensor r = sigmoid(add(narrow(gi, 1, 0, h), narrow(gh, 1, 0, h)));
  Tensor z = sigmoid(add(narrow(gi, 1, h, h), narrow(gh, 1, h, h)));
  Tensor gh_n = narrow(gh, 1, 2 * h, h);
  Tensor n = tanh(add(narrow(gi, 1, 2 * h, h), mul(r, gh_n)));
  Tensor dn = mul(mul(g, sub(scalar(1), z)), sub(scalar(1), mul(n, n)));
  Tensor dz = mul(mul(g, sub(hs, n)), mul(z, sub(scalar(1), z)));
  Tensor dr = mul(mul(dn, gh_n), mul(r, sub(scalar(1), r)));
  return {cat({dr, dz, dn}, 1), cat({dr, dz, mul(dn, r)}, 1), mul(g, z)};
}

// gru_cell: gi, gh [B, 3H], h [B, H]; grad [B, H]
PG_DERIVATIVE(gru_cell, kSelf | kOther | kThird, NoAttributes) {
  Tensor gi = c.self(), gh = c.other(), hs = c.third();
  if (!is_grad_enabled()) {
    auto [d_gi, d_gh, d_h] = gru_cell_backward(c.grad(), gi, gh, hs, c.needs(0), c.needs(1), c.needs(2));
    return {d_gi, d_gh, d_h};
  }
  auto [d_gi, d_gh, d_h] = gru_gate_grads(c.grad(), gi, gh, hs);
  return {c.needs(0) ? d_gi : Tensor(), c.needs(1) ? d_gh : Tensor(), c.needs(2) ? d_h : Tensor()};
}

// gru_layer: x_gates [T, B, 3H], w [3H, H (+1: b_hh)], h0 [B, H]; result hs [T, B, H]; stats: gh [T, B, 3H]
// Backwards through the steps: (d_gi_t, d_gh_t, d_h) from dh + g[t]; dh = d_h + d_gh_t W_hh; dW_hh = sum_t
// d_gh_t^T h_prev, d b_hh = sum_t colsum(d_gh_t); d_x_gates = stack(d_gi_t).
PG_DERIVATIVE(gru_layer, kSelf | kOther | kThird | kResult | kStats, RecurrentParams) {
  Tensor x = c.self(), w = c.other(), h0 = c.third(), hs = c.result();
  const bool reverse = c.attributes().reverse;
  if (!is_grad_enabled()) {
    auto [d_x, d_w, d_h0] = gru_layer_backward(c.grad(), x, w, hs, h0, c.stats(), reverse);
    return {d_x, d_w, d_h0};
  }
  const int64_t steps = x.shape()[0], h = h0.shape()[1];
  const bool with_bias = w.shape()[1] == h + 1;
  Tensor w_hh = narrow(w, 1, 0, h);
  auto time = [&](int64_t s) { return reverse ? steps - 1 - s : s; };
  Tensor dh = zeros(h0.shape(), h0.dtype()), d_w, d_b;
  std::vector<Tensor> d_x(static_cast<size_t>(steps));
  for (int64_t s = steps - 1; s >= 0; --s) {
    const int64_t t = time(s);
    Tensor h_prev = s == 0 ? h0 : select(hs, 0, time(s - 1));
    Tensor gh = matmul(h_prev, transpose(w_hh, 0, 1));
    if (with_bias) gh = add(gh, reshape(narrow(w, 1, h, 1), {3 * h}));
    auto [d_gi, d_gh, d_hs] = gru_gate_grads(add(dh, select(c.grad(), 0, t)), select(x, 0, t), gh, h_prev);
    d_x[static_cast<size_t>(t)] = d_gi;
    Tensor step_w = matmul(transpose(d_gh, 0, 1), h_prev);
    d_w = d_w.defined() ? add(d_w, step_w) : step_w;
    if (with_bias) d_b = d_b.defined() ? add(d_b, sum(d_gh, {0})) : sum(d_gh, {0});
    dh = add(d_hs, matmul(d_gh, w_hh));
  }
  if (!d_w.defined()) d_w = zeros({3 * h, h}, w.dtype());
  if (with_bias) d_w = cat({d_w, d_b.defined() ? unsqueeze(d_b, 1) : zeros({3 * h, 1}, w.dtype())}, 1);
  return {steps > 0 ? stack(d_x, 0) : zeros(x.shape(), x.dtype()), d_w, dh};
}

// flash_attention: q [B, L, E], k [B, S, E], v [B, S, Ev]; out [B, L, Ev], lse [B, L]; grad [B, L, Ev]
// P = softmax(S), dV = P^T g, dP = g V^T, dS = P (dP - rowsum(dP P)), dQ = scale dS K, dK = scale dS^T Q
PG_DERIVATIVE(flash_attention, kSelf | kOther | kThird | kResult | kStats, AttentionParams) {
  Tensor q = c.self(), k = c.other(), v = c.third();
  const AttentionParams& p = c.attributes();
  if (!is_grad_enabled()) {
    auto [dq, dk, dv] = flash_attention_backward(c.grad(), q, k, v, c.result(), c.stats(), p);
    return {dq, dk, dv};
  }
  PG_CHECK(p.dropout_p == 0, RuntimeError, "scaled_dot_product_attention",
           "the fused attention with dropout_p > 0 is differentiable once (its mask lives only in the kernel); "
           "for second derivatives call it with dropout_p=0 and apply F.dropout to explicit weights");
  // create_graph: the math form, which materialises the [L, S] scores.
  const int64_t batch = q.shape()[0], len = q.shape()[1], keys = k.shape()[1];
  Tensor s = mul(matmul(q, transpose(k, 1, 2)), scalar(p.scale));
  if (p.mask.defined()) s = add(s, reshape(contiguous(p.mask), {batch, len, keys}));
  if (p.causal) {
    Tensor keep = tril(ones({len, keys}, DType::Bool));
    s = where(keep, s, full({}, -std::numeric_limits<double>::infinity(), s.dtype()));
  }
  // Rows with every key masked are zero in the forward: keep them zero (and NaN-free) here.
  Tensor live = unsqueeze(isfinite(c.stats()), 2);
  Tensor probs = where(live, softmax(where(live, s, zeros({}, s.dtype())), 2), zeros({}, s.dtype()));
  Tensor g = c.grad();
  Tensor dp = matmul(g, transpose(v, 1, 2));
  Tensor ds = mul(probs, sub(dp, sum(mul(dp, probs), {2}, true)));
  return {c.needs(0) ? mul(matmul(ds, k), scalar(p.scale)) : Tensor(),
          c.needs(1) ? mul(matmul(transpose(ds, 1, 2), q), scalar(p.scale)) : Tensor(),
          c.needs(2) ? matmul(transpose(probs, 1, 2), g) : Tensor()};
}

}  // namespace
}  // namespace pygrad
