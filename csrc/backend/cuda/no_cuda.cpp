// Stand-in for the CUDA backend when pygrad is built without CUDA: it answers "no device" loudly.
#include "backend/device_info.h"

namespace pygrad {

bool cuda_is_built() { return false; }
bool cuda_is_available() { return false; }
int cuda_device_count() { return 0; }
const char* cuda_unavailable_reason() {
  return "this build of pygrad has no CUDA support: it has the CPU backend only";
}
int cuda_runtime_version() { return 0; }

}  // namespace pygrad
