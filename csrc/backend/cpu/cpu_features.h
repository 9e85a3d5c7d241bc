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

// bfloat16 dot-product instructions: AVX512_BF16 (vdpbf16ps; Zen 4, Cooper Lake and newer) and AMX tiles with
// AMX-BF16 (Sapphire Rapids and newer). AMX also needs the kernel's permission for the tile state, which the first
// call requests (arch_prctl ARCH_REQ_XCOMP_PERM); false when that is refused. Both false below the AVX-512 level.
bool cpu_has_avx512_bf16();
bool cpu_has_amx_bf16();

// "portable", "avx2" or "avx512".
const char* cpu_capability_name(CpuCapability c);

// Data cache sizes in bytes as one core sees them (L3: the whole shared cache), 0 where unknown; read once from
// cpuid (leaf 4 on Intel, 0x8000001D on AMD), else from Linux's sysfs. `source` says which answered.
struct CpuCaches {
  long long l1d = 0, l2 = 0, l3 = 0;
  const char* source = "unknown";
};
const CpuCaches& cpu_caches();

}  // namespace pygrad::cpu
