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

}  // namespace pygrad
