// The fused optimizer updates' arguments: per optimizer a typed hyper-parameter struct and a struct of named state
// slots, each listing its fields by name once (for_each) so that the ops layer fills them from Python by name.
#pragma once
#include <cstdint>
#include <vector>

#include "backend/dispatch.h"

namespace pygrad {

using TensorList = std::vector<Tensor>;
using ScalarList = std::vector<double>;

// The parameters of one group with their gradients; steps[i] is the step parameter i is taking, 1 on its first.
// All tensors are contiguous, and each parameter's grad and state tensors have its shape, dtype and device.
struct OptimizerGroup {
  TensorList params, grads;
  std::vector<int64_t> steps;
};

// A group's "betas" tuple: the decay rates of the Adam family's moment averages.
struct Betas {
  double beta1 = 0, beta2 = 0;
};

// What an optimizer's kernel receives: out[0] is the first parameter (it picks the device). A state slot is a list
// of one tensor (TensorList) or number (ScalarList) per parameter, empty where the hyper-parameters leave it unused.
template <class Hyper, class State>
struct OptimizerStepArgs : KernelArgs {
  Hyper hyper;
  State state;
  OptimizerGroup group;
};

// Each Hyper's for_each(f) calls f(name, field) for every hyper-parameter of its Python class, by its group key;
// each State's for_each(hyper, f) calls f(name, slot, required) for every slot, by its key in optimizer.state[p].
// A field the kernel does not read (Adagrad's initial_accumulator_value) is listed all the same: the struct mirrors
// the group.

struct SgdHyper {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("momentum", momentum);
    f("dampening", dampening);
    f("weight_decay", weight_decay);
    f("nesterov", nesterov);
    f("maximize", maximize);
  }
};
struct SgdState {
  TensorList momentum_buffer;  // seeded with the first gradient (steps[i] == 1 when it was just created)
  template <class F>
  void for_each(const SgdHyper& h, F&& f) {
    f("momentum_buffer", momentum_buffer, h.momentum != 0);
  }
};

// Adam and AdamW (decoupled_weight_decay).
struct AdamHyper {
  double lr = 0;
  Betas betas;
  double eps = 0, weight_decay = 0;
  bool amsgrad = false, maximize = false, decoupled_weight_decay = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("amsgrad", amsgrad);
    f("maximize", maximize);
    f("decoupled_weight_decay", decoupled_weight_decay);
  }
};
struct AdamState {
  TensorList exp_avg, exp_avg_sq, max_exp_avg_sq;
  template <class F>
  void for_each(const AdamHyper& h, F&& f) {
    f("exp_avg", exp_avg, true);
    f("exp_avg_sq", exp_avg_sq, true);
    f("max_exp_avg_sq", max_exp_avg_sq, h.amsgrad);
  }
};

struct RmspropHyper {
  double lr = 0, alpha = 0, eps = 0, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("alpha", alpha);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("momentum", momentum);
    f("centered", centered);
    f("maximize", maximize);
  }
};
struct RmspropState {
  TensorList square_avg, momentum_buffer, grad_avg;
  template <class F>
  void for_each(const RmspropHyper& h, F&& f) {
    f("square_avg", square_avg, true);
    f("momentum_buffer", momentum_buffer, h.momentum > 0);
    f("grad_avg", grad_avg, h.centered);
  }
};

struct AdagradHyper {
  double lr = 0, lr_decay = 0, eps = 0, weight_decay = 0, initial_accumulator_value = 0;
  bool maximize = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("lr_decay", lr_decay);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("initial_accumulator_value", initial_accumulator_value);
    f("maximize", maximize);
  }
};
struct AdagradState {
  TensorList sum;  // starts at initial_accumulator_value
  template <class F>
  void for_each(const AdagradHyper&, F&& f) {
    f("sum", sum, true);
  }
};

struct AdadeltaHyper {
  double lr = 0, rho = 0, eps = 0, weight_decay = 0;
  bool maximize = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("rho", rho);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("maximize", maximize);
  }
};
struct AdadeltaState {
  TensorList square_avg, acc_delta;
  template <class F>
  void for_each(const AdadeltaHyper&, F&& f) {
    f("square_avg", square_avg, true);
    f("acc_delta", acc_delta, true);
  }
};

struct AdamaxHyper {
  double lr = 0;
  Betas betas;
  double eps = 0, weight_decay = 0;
  bool maximize = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("maximize", maximize);
  }
};
struct AdamaxState {
  TensorList exp_avg, exp_inf;
  template <class F>
  void for_each(const AdamaxHyper&, F&& f) {
    f("exp_avg", exp_avg, true);
    f("exp_inf", exp_inf, true);
  }
};

struct NadamHyper {
  double lr = 0;
  Betas betas;
  double eps = 0, weight_decay = 0, momentum_decay = 0;
  bool decoupled_weight_decay = false, maximize = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("momentum_decay", momentum_decay);
    f("decoupled_weight_decay", decoupled_weight_decay);
    f("maximize", maximize);
  }
};
struct NadamState {
  ScalarList mu_product;  // the product of the momentum schedule so far, updated by the kernel
  TensorList exp_avg, exp_avg_sq;
  template <class F>
  void for_each(const NadamHyper&, F&& f) {
    f("mu_product", mu_product, true);
    f("exp_avg", exp_avg, true);
    f("exp_avg_sq", exp_avg_sq, true);
  }
};

struct RadamHyper {
  double lr = 0;
  Betas betas;
  double eps = 0, weight_decay = 0;
  bool decoupled_weight_decay = false, maximize = false;
  template <class F>
  void for_each(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("decoupled_weight_decay", decoupled_weight_decay);
    f("maximize", maximize);
  }
};
struct RadamState {
  TensorList exp_avg, exp_avg_sq;
  template <class F>
  void for_each(const RadamHyper&, F&& f) {
    f("exp_avg", exp_avg, true);
    f("exp_avg_sq", exp_avg_sq, true);
  }
};

}  // namespace pygrad
