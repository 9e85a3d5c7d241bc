// The argument block of the fused optimizer_step kernel: one call updates a whole parameter group in place.
#pragma once
#include <cstdint>
#include <vector>

#include "backend/dispatch.h"

namespace pygrad {

enum class OptimizerKind : int { SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam };

// Hyper-parameters of one group; each kind reads the fields it documents in optimizer_kernels.cpp.
struct OptimizerHyper {
  double lr = 0, weight_decay = 0, momentum = 0, dampening = 0, beta1 = 0, beta2 = 0, eps = 0, alpha = 0, rho = 0,
         lr_decay = 0, momentum_decay = 0;
  bool nesterov = false, maximize = false, amsgrad = false, centered = false, decoupled_weight_decay = false;
};

// State slots per kind (a slot is empty when the options do not use it):
//   SGD      0 momentum_buffer
//   Adam     0 exp_avg, 1 exp_avg_sq, 2 max_exp_avg_sq
//   RMSprop  0 square_avg, 1 momentum_buffer, 2 grad_avg
//   Adagrad  0 sum
//   Adadelta 0 square_avg, 1 acc_delta
//   Adamax   0 exp_avg, 1 exp_inf
//   NAdam    0 exp_avg, 1 exp_avg_sq       (aux: mu_product, updated in place)
//   RAdam    0 exp_avg, 1 exp_avg_sq
constexpr int kMaxOptimizerSlots = 3;

// KernelArgs extended for optimizer_step: out[0] is the first parameter (it picks the device); the rest is here.
// All tensors are contiguous, and each parameter's grad and state have its shape, dtype and device.
struct OptimizerStepArgs : KernelArgs {
  OptimizerKind kind = OptimizerKind::SGD;
  OptimizerHyper hyper;
  std::vector<Tensor> params, grads;
  std::vector<Tensor> state[kMaxOptimizerSlots];  // state[k][i]: slot k of parameter i
  std::vector<int64_t> steps;                     // the step each parameter is taking, 1 on its first
  std::vector<double> aux;                        // per-parameter scalar state
};

}  // namespace pygrad
