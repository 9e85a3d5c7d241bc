// The machine's measured FMA peak: the active ISA's register-resident FMA probe run on `threads` threads,
// so benchmarks can report every kernel as a fraction of what this CPU can do.
#include <omp.h>

#include <chrono>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm/micro_kernels.h"
#include "backend/cpu/peak.h"

namespace pygrad::cpu {

double cpu_peak_gflops(int threads) {
  using namespace gemm_detail;
  double (*probe)(int64_t) = &portable_fma_probe;
  if (cpu_capability() == CpuCapability::Avx512) probe = &avx512_fma_probe;
  if (cpu_capability() == CpuCapability::Avx2) probe = &avx2_fma_probe;
  if (threads < 1) threads = 1;
  probe(100000);  // warm up: clocks and the AVX-512 license settle
  double best = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    const int64_t iterations = 4000000;
    double flops = 0;
    auto start = std::chrono::steady_clock::now();
    if (threads == 1) {
      flops = probe(iterations);
    } else {
#pragma omp parallel num_threads(threads) reduction(+ : flops)
      flops += probe(iterations);
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > 0 && flops / seconds / 1e9 > best) best = flops / seconds / 1e9;
  }
  return best;
}

}  // namespace pygrad::cpu
