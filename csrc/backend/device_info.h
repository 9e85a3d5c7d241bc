// What devices this build can use; implemented by the CUDA backend or its no_cuda stand-in.
#pragma once

namespace pygrad {

bool cuda_is_built();  // compiled with the CUDA backend (nvcc found at build time)
bool cuda_is_available();
int cuda_device_count();
const char* cuda_unavailable_reason();
int cuda_runtime_version();  // CUDART_VERSION the backend was compiled against (0: none)

}  // namespace pygrad
