// The measured single-precision FMA peak of this machine (GFLOP/s) at a given thread count.
#pragma once

namespace pygrad::cpu {

double cpu_peak_gflops(int threads);

}  // namespace pygrad::cpu
