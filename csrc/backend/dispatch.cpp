// The kernel table.
#include "backend/dispatch.h"

#include "core/error.h"

namespace pygrad {

namespace {
Kernel (&kernel_table()) [kNumOps][kNumDevices] {
  static Kernel table[kNumOps][kNumDevices] = {};
  return table;
}
}  // namespace

Kernel get_kernel(OpId op, Device device) {
  Kernel k = kernel_table()[static_cast<int>(op)][static_cast<int>(device)];
  if (!k) {
    if (device == Device::CUDA) {
      PG_THROW(RuntimeError, op_name(op), "no kernel for cuda: this build of pygrad has no CUDA support");
    }
    PG_THROW(RuntimeError, op_name(op), "no kernel for ", device_name(device));
  }
  return k;
}

void register_kernel(OpId op, Device device, Kernel kernel) {
  kernel_table()[static_cast<int>(op)][static_cast<int>(device)] = kernel;
}

}  // namespace pygrad
