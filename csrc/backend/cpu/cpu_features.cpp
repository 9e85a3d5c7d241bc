// CPU feature detection (cpuid + OS register-state check), the PYGRAD_CPU_CAPABILITY override and the data cache
// sizes (cpuid, sysfs as a fallback).
#include "backend/cpu/cpu_features.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define PG_CPU_X86 1
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

namespace pygrad::cpu {
namespace {

#if defined(PG_CPU_X86)
struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
#if defined(_MSC_VER)
  int out[4];
  __cpuidex(out, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = static_cast<uint32_t>(out[0]);
  r.ebx = static_cast<uint32_t>(out[1]);
  r.ecx = static_cast<uint32_t>(out[2]);
  r.edx = static_cast<uint32_t>(out[3]);
#else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
  return r;
}

uint64_t read_xcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

bool bit(uint32_t reg, int n) { return (reg >> n) & 1u; }

CpuCapability detect() {
  const uint32_t max_leaf = cpuid(0, 0).eax;
  if (max_leaf < 7) return CpuCapability::Portable;
  const CpuidRegs l1 = cpuid(1, 0);
  const CpuidRegs l7 = cpuid(7, 0);
  const bool osxsave = bit(l1.ecx, 27);
  if (!osxsave) return CpuCapability::Portable;
  const uint64_t xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;    // XMM and YMM state saved by the OS
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;  // plus opmask, ZMM0-15 upper halves, ZMM16-31
  const bool avx2 = bit(l1.ecx, 28) && bit(l1.ecx, 12) && bit(l7.ebx, 5) && os_ymm;
  if (!avx2) return CpuCapability::Portable;
  const bool avx512 = bit(l7.ebx, 16) && bit(l7.ebx, 17) && bit(l7.ebx, 30) && bit(l7.ebx, 31) && os_zmm;
  return avx512 ? CpuCapability::Avx512 : CpuCapability::Avx2;
}
bool detect_f16c() { return cpuid(0, 0).eax >= 1 && bit(cpuid(1, 0).ecx, 29); }

bool detect_avx512_bf16() {
  if (detect() != CpuCapability::Avx512 || cpuid(0, 0).eax < 7 || cpuid(7, 0).eax < 1) return false;
  return bit(cpuid(7, 1).eax, 5);
}

bool detect_amx_bf16() {
  if (detect() != CpuCapability::Avx512) return false;
  const CpuidRegs l7 = cpuid(7, 0);
  const bool amx = bit(l7.edx, 24) && bit(l7.edx, 22);                               // AMX-TILE, AMX-BF16
  const bool os_tiles = (read_xcr0() & (uint64_t(3) << 17)) == (uint64_t(3) << 17);  // XTILECFG, XTILEDATA
  if (!amx || !os_tiles) return false;
#if defined(__linux__)
  // Linux hands out the 8 KiB tile state only to processes that ask (once per process; children inherit it).
  constexpr long kArchGetXcompPerm = 0x1022, kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) return false;
  unsigned long perm = 0;
  return syscall(SYS_arch_prctl, kArchGetXcompPerm, &perm) == 0 && (perm >> kXfeatureXtiledata) & 1u;
#else
  return false;
#endif
}

// The deterministic cache parameters (Intel leaf 4, AMD leaf 0x8000001D share the layout): one subleaf per cache,
// type in EAX[4:0] (1 data, 3 unified, 0 end), level in EAX[7:5], size = ways * partitions * line * sets.
bool caches_from_cpuid(CpuCaches& out) {
  const CpuidRegs vendor = cpuid(0, 0);
  const bool intel = vendor.ebx == 0x756e6547 && vendor.edx == 0x49656e69 && vendor.ecx == 0x6c65746e;
  const bool amd = vendor.ebx == 0x68747541 && vendor.edx == 0x69746e65 && vendor.ecx == 0x444d4163;
  uint32_t leaf = 0;
  if (intel && vendor.eax >= 4) {
    leaf = 4;
  } else if (amd && cpuid(0x80000000u, 0).eax >= 0x8000001Du && bit(cpuid(0x80000001u, 0).ecx, 22)) {
    leaf = 0x8000001Du;  // TopologyExtensions
  } else {
    return false;
  }
  for (uint32_t sub = 0; sub < 16; ++sub) {
    const CpuidRegs r = cpuid(leaf, sub);
    const uint32_t type = r.eax & 0x1F, level = (r.eax >> 5) & 0x7;
    if (type == 0) break;
    if (type != 1 && type != 3) continue;  // instruction caches
    const long long size = static_cast<long long>((r.ebx >> 22) + 1) * (((r.ebx >> 12) & 0x3FF) + 1) *
                           ((r.ebx & 0xFFF) + 1) * (static_cast<long long>(r.ecx) + 1);
    if (level == 1) out.l1d = size;
    if (level == 2) out.l2 = size;
    if (level == 3) out.l3 = size;
  }
  return out.l1d > 0;
}
#else
CpuCapability detect() { return CpuCapability::Portable; }
bool detect_f16c() { return false; }
bool caches_from_cpuid(CpuCaches&) { return false; }
#endif

// Linux: /sys/devices/system/cpu/cpu0/cache/index*/{level,type,size} ("48K", "2048K", "32M").
bool caches_from_sysfs(CpuCaches& out) {
  for (int index = 0; index < 16; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::ifstream level_file(dir + "level"), type_file(dir + "type"), size_file(dir + "size");
    int level = 0;
    std::string type, size;
    if (!(level_file >> level) || !(type_file >> type) || !(size_file >> size) || size.empty()) break;
    if (type != "Data" && type != "Unified") continue;
    long long bytes = std::atoll(size.c_str());
    const char unit = size.back();
    if (unit == 'K') bytes <<= 10;
    if (unit == 'M') bytes <<= 20;
    if (unit == 'G') bytes <<= 30;
    if (level == 1) out.l1d = bytes;
    if (level == 2) out.l2 = bytes;
    if (level == 3) out.l3 = bytes;
  }
  return out.l1d > 0;
}

CpuCapability capability_from_env() {
  const CpuCapability detected = detected_cpu_capability();
  const char* raw = std::getenv("PYGRAD_CPU_CAPABILITY");
  if (raw == nullptr || raw[0] == '\0') return detected;
  std::string value(raw);
  for (char& ch : value) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  CpuCapability wanted;
  if (value == "scalar" || value == "portable") {
    wanted = CpuCapability::Portable;
  } else if (value == "avx2") {
    wanted = CpuCapability::Avx2;
  } else if (value == "avx512") {
    wanted = CpuCapability::Avx512;
  } else {
    std::fprintf(stderr, "pygrad: ignoring unknown PYGRAD_CPU_CAPABILITY=%s (use scalar, avx2 or avx512)\n", raw);
    return detected;
  }
  return static_cast<int>(wanted) < static_cast<int>(detected) ? wanted : detected;
}

std::atomic<int>& active_slot() {
  static std::atomic<int> slot{static_cast<int>(capability_from_env())};
  return slot;
}

}  // namespace

CpuCapability detected_cpu_capability() {
  static const CpuCapability detected = detect();
  return detected;
}

bool cpu_has_f16c() {
  static const bool f16c = detect_f16c();
  return f16c;
}

bool cpu_has_avx512_bf16() {
#if defined(PG_CPU_X86)
  static const bool has = detect_avx512_bf16();
  return has;
#else
  return false;
#endif
}

bool cpu_has_amx_bf16() {
#if defined(PG_CPU_X86)
  static const bool has = detect_amx_bf16();
  return has;
#else
  return false;
#endif
}

CpuCapability cpu_capability() { return static_cast<CpuCapability>(active_slot().load(std::memory_order_relaxed)); }

void set_cpu_capability(CpuCapability c) {
  const int level = static_cast<int>(c);
  if (level < 0 || level > static_cast<int>(CpuCapability::Avx512)) {
    throw std::invalid_argument("set_cpu_capability: unknown capability");
  }
  if (level > static_cast<int>(detected_cpu_capability())) {
    throw std::invalid_argument(std::string("set_cpu_capability: this CPU does not support ") + cpu_capability_name(c) +
                                " (detected " + cpu_capability_name(detected_cpu_capability()) + ")");
  }
  active_slot().store(level, std::memory_order_relaxed);
}

const char* cpu_capability_name(CpuCapability c) {
  switch (c) {
    case CpuCapability::Portable: return "portable";
    case CpuCapability::Avx2: return "avx2";
    case CpuCapability::Avx512: return "avx512";
  }
  return "unknown";
}

const CpuCaches& cpu_caches() {
  static const CpuCaches caches = [] {
    CpuCaches c;
    if (caches_from_cpuid(c)) {
      c.source = "cpuid";
    } else if (CpuCaches s; caches_from_sysfs(s)) {
      c = s;
      c.source = "sysfs";
    }
    return c;
  }();
  return caches;
}

}  // namespace pygrad::cpu
