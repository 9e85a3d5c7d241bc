// The argument blocks of the windowed kernels (convolution, pooling): KernelArgs plus the op's typed parameters,
// built once by the ops layer (ops/nn_ops.cpp), which has validated them.
#pragma once
#include "backend/dispatch.h"
#include "core/op_attributes.h"
#include "core/random.h"

#include <vector>

namespace pygrad {

struct ConvKernelArgs : KernelArgs {
  ConvParams params;
};

struct MaxPoolKernelArgs : KernelArgs {
  Window2d window;
};

struct AvgPoolKernelArgs : KernelArgs {
  AvgPoolParams params;
};

// The recurrent cells' backward (lstm_cell, gru_cell): in = {grad, two gate tensors}, state = the previous cell
// (LSTM) or hidden (GRU) state; out and grad_state the gradients asked for (others undefined).
struct RecurrentCellKernelArgs : KernelArgs {
  Tensor state;
  Tensor grad_state;
};

// Fused attention over flattened batches. Forward: in = {q [B, L, E], k [B, S, E], v [B, S, Ev]}, out[0] = o
// [B, L, Ev], lse [B, L] written (each row's log-sum-exp of scores). Backward: in = {grad [B, L, Ev], q, k}; v, o,
// lse read; out = {dq, dk}, grad_v. mask (float, q's dtype) is read at mask_offset[b] + i * row + j * col.
struct AttentionKernelArgs : KernelArgs {
  Tensor v, o, lse, grad_v, mask;
  std::vector<int64_t> mask_offset;
  int64_t mask_row_stride = 0, mask_col_stride = 0;
  double scale = 1;
  bool causal = false;
  double dropout_p = 0;  // weight (b, i, j) is kept when uniform number (b L + i) ceil(S / 32) 32 + j of `key` < 1 - p
  RandomStream key{0, 0};
};

// A whole LSTM layer (one direction). Forward: in = {x_gates [T, B, 4H], w_hh [4H, H]}, hc0 [2, B, H];
// out[0] = hc [2, T, B, H]; gates [T, B, 4H] written. Backward: in = {grad [2, T, B, H], w_hh, hc}; hc0, gates
// read; out = {d_gates, d_w_hh}, grad_hc0 written.
// A GRU layer uses the same fields: hc0 = h0 [B, H], gates = every step's hidden projection [T, B, 3H],
// w_hh [3H, H] or [3H, H + 1] (b_hh as the last column), out[0] = hs [T, B, H] (see rnn_kernels.cpp).
struct LstmLayerKernelArgs : KernelArgs {
  Tensor hc0, gates, grad_hc0;
  Tensor x_gates;  // GRU backward: the input projections (its activations need them)
  bool reverse = false;
};

// layer_norm over rows [M, N]. Forward: in = {x, weight or undefined, bias or undefined}, out[0] = y, stats
// written. Backward: in = {grad, x, weight or undefined}, out = {grad_x, grad_weight} (each may be undefined),
// grad_bias, stats read. Everything contiguous.
struct LayerNormKernelArgs : KernelArgs {
  Tensor stats;      // [2, M]: each row's mean, then each row's 1 / sqrt(var + eps)
  Tensor grad_bias;  // backward only: [N] or undefined
  double eps = 0;
};

}  // namespace pygrad
