// The argument blocks of the windowed kernels (convolution, pooling): KernelArgs plus the op's typed parameters,
// built once by the ops layer (ops/nn_ops.cpp), which has validated them.
#pragma once
#include "backend/dispatch.h"
#include "core/op_attributes.h"

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

// layer_norm over rows [M, N]. Forward: in = {x, weight or undefined, bias or undefined}, out[0] = y, stats
// written. Backward: in = {grad, x, weight or undefined}, out = {grad_x, grad_weight} (each may be undefined),
// grad_bias, stats read. Everything contiguous.
struct LayerNormKernelArgs : KernelArgs {
  Tensor stats;      // [2, M]: each row's mean, then each row's 1 / sqrt(var + eps)
  Tensor grad_bias;  // backward only: [N] or undefined
  double eps = 0;
};

}  // namespace pygrad
