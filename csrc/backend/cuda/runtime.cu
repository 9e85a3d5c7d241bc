// The CUDA backend's view of the machine: whether a driver and a device answer, and why not when they do not.
// Compiled by nvcc into an OBJECT library linked into _C with the static CUDA runtime, so the module imports on a
// machine without a driver and says what is missing.
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/device_info.h"

namespace pygrad {
namespace {

struct CudaProbe {
  int devices = 0;     // devices the runtime reports
  std::string reason;  // why pygrad cannot use them (empty: usable)
};

// Asked once: the first runtime call loads the driver, which is slow and never changes within a process.
const CudaProbe& probe() {
  static const CudaProbe result = [] {
    CudaProbe p;
    const char* disabled = std::getenv("PYGRAD_DISABLE_CUDA");
    if (disabled != nullptr && std::strcmp(disabled, "") != 0 && std::strcmp(disabled, "0") != 0) {
      p.reason = "CUDA is disabled by PYGRAD_DISABLE_CUDA=" + std::string(disabled);
      return p;
    }
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      cudaGetLastError();  // clear the sticky error so later calls start clean
      if (status == cudaErrorInsufficientDriver)
        p.reason = "the CUDA driver is missing or older than this build's CUDA runtime (" +
                   std::string(cudaGetErrorName(status)) + "): " + cudaGetErrorString(status);
      else if (status == cudaErrorNoDevice)
        p.reason = "no CUDA device was found (" + std::string(cudaGetErrorName(status)) + ")";
      else
        p.reason = "cudaGetDeviceCount failed with " + std::string(cudaGetErrorName(status)) + ": " +
                   cudaGetErrorString(status);
      return p;
    }
    p.devices = count;
    if (count == 0) {
      p.reason = "no CUDA device was found";
      return p;
    }
    p.reason = "this build has the CUDA runtime and found " + std::to_string(count) +
               " device(s), but pygrad's CUDA kernels are not in it yet";
    return p;
  }();
  return result;
}

}  // namespace

bool cuda_is_built() { return true; }
bool cuda_is_available() { return probe().reason.empty(); }
int cuda_device_count() { return cuda_is_available() ? probe().devices : 0; }
const char* cuda_unavailable_reason() { return probe().reason.c_str(); }
int cuda_runtime_version() { return CUDART_VERSION; }

}  // namespace pygrad
