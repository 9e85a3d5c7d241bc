// The fused optimizer update: validate a parameter group, then run one kernel over all of it, in place.
#pragma once
#include <string>
#include <vector>

#include "backend/optimizer_args.h"
#include "core/tensor.h"

namespace pygrad {

// "sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "radam" (AdamW is adam with decoupled decay).
OptimizerKind optimizer_kind(const std::string& name);

// Updates params[i] and its state in place from grads[i], bumping their versions; records no graph.
// state[k] is slot k (see optimizer_args.h) for every parameter, or empty when the options leave it unused;
// steps[i] is the step parameter i is taking (1 on its first); aux is per-parameter scalar state (NAdam's
// mu_product) and is returned updated. Non-contiguous tensors are updated through a contiguous copy.
std::vector<double> optimizer_step(OptimizerKind kind, const OptimizerHyper& hyper, const std::vector<Tensor>& params,
                                   const std::vector<Tensor>& grads, const std::vector<std::vector<Tensor>>& state,
                                   const std::vector<int64_t>& steps, std::vector<double> aux);

}  // namespace pygrad
