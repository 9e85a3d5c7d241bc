// Thread-local autocast state (torch.autocast): whether the lower-precision ops (matmul, linear, convolutions)
// cast their floating inputs, and to which dtype, per device type.
#pragma once

#include "core/dtype.h"

namespace pygrad {

struct AutocastState {
  bool cpu_enabled = false;
  DType cpu_dtype = DType::BFloat16;
  bool cuda_enabled = false;
  DType cuda_dtype = DType::Float16;
};

// The calling thread's state (each thread starts disabled, as in torch).
AutocastState& autocast_state();

// Turns autocast off for a scope: an op that has cast its inputs runs its body this way, and so does backward
// (derivatives compute in the dtypes the forward saved).
class AutocastOffGuard {
 public:
  AutocastOffGuard() : saved_(autocast_state()) {
    autocast_state().cpu_enabled = false;
    autocast_state().cuda_enabled = false;
  }
  ~AutocastOffGuard() { autocast_state() = saved_; }
  AutocastOffGuard(const AutocastOffGuard&) = delete;
  AutocastOffGuard& operator=(const AutocastOffGuard&) = delete;

 private:
  AutocastState saved_;
};

}  // namespace pygrad
