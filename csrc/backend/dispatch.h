// The one dispatch point: KernelTable[op][device]. Kernels receive KernelArgs and know nothing of autograd.
#pragma once
#include "core/dtype.h"
#include "core/op_registry.h"
#include "core/random.h"
#include "core/tensor.h"

namespace pygrad {

// Arguments of one kernel call; which fields mean what is documented at each op's kernel.
struct KernelArgs {
  Tensor out[2];
  Tensor in[3];
  double scalars[4] = {0, 0, 0, 0};
  int64_t ints[4] = {0, 0, 0, 0};
  RandomStream random{0, 0};
};

using Kernel = void (*)(KernelArgs& args);

// Raises RuntimeError "[op] no kernel for <device>" when the backend lacks the op.
Kernel get_kernel(OpId op, Device device);
void register_kernel(OpId op, Device device, Kernel kernel);

inline void run_kernel(OpId op, KernelArgs& args) { get_kernel(op, args.out[0].device())(args); }

struct KernelRegistrar {
  KernelRegistrar(OpId op, Device device, Kernel kernel) { register_kernel(op, device, kernel); }
};

// Thread count used by kernels (1 inside a process forked after parallel work).
int get_num_threads();
void set_num_threads(int n);

}  // namespace pygrad
