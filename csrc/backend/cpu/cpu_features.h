// CPU feature detection and the active instruction-set level that CPU kernels dispatch on.
#pragma once

namespace pygrad::cpu {

enum class CpuCapability { Portable = 0, Avx2 = 1, Avx512 = 2 };

// What this CPU and OS support (cpuid + xgetbv), computed once.
CpuCapability detected_cpu_capability();

// The level kernels use: the detected one, lowered by PYGRAD_CPU_CAPABILITY=scalar|portable|avx2|avx512
// (read once, at the first call; clamped to the detected level) or by set_cpu_capability.
CpuCapability cpu_capability();

// Forces the active level (tests, benchmarks); throws std::invalid_argument above the detected level.
void set_cpu_capability(CpuCapability c);

// Whether the CPU converts float16 in hardware (F16C: vcvtph2ps / vcvtps2ph).
bool cpu_has_f16c();

// "portable", "avx2" or "avx512".
const char* cpu_capability_name(CpuCapability c);

}  // namespace pygrad::cpu
