// What devices this build can use; implemented by the CUDA backend or its no_cuda stand-in.
#pragma once

namespace pygrad {

bool cuda_is_available();
int cuda_device_count();
const char* cuda_unavailable_reason();

}  // namespace pygrad
