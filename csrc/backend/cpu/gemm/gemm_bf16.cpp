// bfloat16 GEMM with float32 sums: the path choice (AMX tiles, AVX512_BF16 dot products, or widening to the
// float32 GEMM), the packing each native path reads, and the thread team that runs it.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/gemm/micro_kernels.h"
#include "backend/cpu/half_convert/half_convert.h"
#include "core/half.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pygrad::cpu {
namespace {

using gemm_detail::AmxBf16Kernels;
using gemm_detail::Dpbf16TileKernel;

enum class Bf16Path { Float32 = 0, Avx512Bf16 = 1, Amx = 2 };

const char* path_name(Bf16Path p) {
  switch (p) {
    case Bf16Path::Amx: return "amx";
    case Bf16Path::Avx512Bf16: return "avx512_bf16";
    case Bf16Path::Float32: return "float32";
  }
  return "float32";
}

const AmxBf16Kernels& amx() {
  static const AmxBf16Kernels k = gemm_detail::amx_bf16_kernels();
  return k;
}

Dpbf16TileKernel dpbf16() {
  static const Dpbf16TileKernel k = gemm_detail::avx512_bf16_tile_kernel();
  return k;
}

// The best path this build and CPU have (each native path also needs the AVX-512 level).
Bf16Path best_path() {
  if (detected_cpu_capability() != CpuCapability::Avx512) return Bf16Path::Float32;
  if (amx().block != nullptr && cpu_has_amx_bf16()) return Bf16Path::Amx;
  if (dpbf16() != nullptr && cpu_has_avx512_bf16()) return Bf16Path::Avx512Bf16;
  return Bf16Path::Float32;
}

bool parse_path(const std::string& name, Bf16Path& out) {
  if (name == "amx")
    out = Bf16Path::Amx;
  else if (name == "avx512_bf16")
    out = Bf16Path::Avx512Bf16;
  else if (name == "float32")
    out = Bf16Path::Float32;
  else
    return false;
  return true;
}

// The chosen path: PYGRAD_BF16_GEMM lowers it (clamped to what the CPU has), set_gemm_bf16_path changes it.
std::atomic<int>& path_slot() {
  static std::atomic<int> slot{[] {
    Bf16Path p = best_path();
    const char* env = std::getenv("PYGRAD_BF16_GEMM");
    Bf16Path asked;
    if (env != nullptr && *env != '\0' && parse_path(env, asked)) p = std::min(p, asked);
    return static_cast<int>(p);
  }()};
  return slot;
}

// The path a call takes now: a lowered PYGRAD_CPU_CAPABILITY turns the native paths off too.
Bf16Path active_path() {
  if (cpu_capability() != CpuCapability::Avx512) return Bf16Path::Float32;
  return static_cast<Bf16Path>(path_slot().load(std::memory_order_relaxed));
}

int team_size(int num_threads, int64_t units) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads, units)));
}

// Runs fn(tid, team) on a team of `team` threads (inline for one).
template <class Fn>
void run_team(int team, const Fn& fn) {
#ifdef _OPENMP
  if (team > 1) {
#pragma omp parallel num_threads(team)
    fn(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  fn(0, 1);
}

// The calling thread's packing buffer, reused across calls (no page faults per product).
uint16_t* pack_buffer(size_t elems) {
  thread_local std::vector<uint16_t> buffer;
  if (buffer.size() < elems + 32) buffer.resize(elems + 32);
  auto p = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<uint16_t*>((p + 63) & ~uintptr_t(63));
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Bytes of L2 one core sees (2 MiB when the CPU does not say).
int64_t l2_bytes() {
  const long long l2 = cpu_caches().l2;
  return l2 > 0 ? static_cast<int64_t>(l2) : int64_t(2) << 20;
}

struct Operands {
  int64_t m, n, k;
  const uint16_t* a;
  int64_t a_rs, a_cs;
  const uint16_t* b;
  int64_t b_rs, b_cs;
  uint16_t* c;  // bfloat16 result
  int64_t c_rs;
  const float* bias;  // [n] or null, added to the float32 sums before the one rounding
};

// Rounds rows [i0, i1) of float32 sums (row stride `ld`, the first `cols` of them) plus the bias of columns
// [j0, j0 + cols) once into C's bfloat16 rows. Sums are changed in place.
void write_rows(const Operands& g, float* sums, int64_t ld, int64_t i0, int64_t i1, int64_t j0, int64_t cols) {
  auto* out = reinterpret_cast<BFloat16*>(g.c);
  for (int64_t i = i0; i < i1; ++i) {
    float* row = sums + (i - i0) * ld;
    if (g.bias != nullptr) {
      for (int64_t j = 0; j < cols; ++j) row[j] += g.bias[j0 + j];
    }
    narrow_row(row, out + i * g.c_rs + j0, cols);
  }
}

// A float32 scratch buffer of the calling thread (64-byte aligned, not cleared), reused across calls.
float* float_scratch(size_t elems) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < elems + 16) buffer.resize(elems + 16);
  return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(buffer.data()) + 63) & ~uintptr_t(63));
}

// ---- float32 path: widen both operands, then the float32 GEMM (any CPU).
void gemm_widened(const Operands& g, int num_threads) {
  std::vector<float> wa(static_cast<size_t>(g.m * g.k)), wb(static_cast<size_t>(g.k * g.n));
  const auto* a = reinterpret_cast<const BFloat16*>(g.a);
  const auto* b = reinterpret_cast<const BFloat16*>(g.b);
  for (int64_t i = 0; i < g.m; ++i) widen_strided(a + i * g.a_rs, g.a_cs, wa.data() + i * g.k, g.k);
  for (int64_t p = 0; p < g.k; ++p) widen_strided(b + p * g.b_rs, g.b_cs, wb.data() + p * g.n, g.n);
  float* sums = float_scratch(static_cast<size_t>(g.m * g.n));
  gemm(g.m, g.n, g.k, 1.0f, wa.data(), g.k, 1, wb.data(), g.n, 1, 0.0f, sums, g.n, 1, num_threads);
  write_rows(g, sums, g.n, 0, g.m, 0, g.n);
}

// ---- Packing shared by the native paths.

// rows x (2*kp) values of A from row r0, as kp 32-bit k-pairs per row: dst[p*width + i] = (A(r0+i,2p), A(r0+i,2p+1)),
// zero past m and k. width >= rows is the sliver's row count.
void pack_a_pairs(const Operands& g, int64_t r0, int rows, int width, int64_t kp, uint32_t* dst) {
  for (int64_t p = 0; p < kp; ++p) {
    const int64_t k0 = 2 * p;
    for (int i = 0; i < width; ++i) {
      uint32_t lo = 0, hi = 0;
      if (i < rows) {
        const uint16_t* row = g.a + (r0 + i) * g.a_rs;
        lo = row[k0 * g.a_cs];
        if (k0 + 1 < g.k) hi = row[(k0 + 1) * g.a_cs];
      }
      dst[p * width + i] = lo | (hi << 16);
    }
  }
}

// A VNNI sliver of B: cols columns from column j0 over kp k-pairs, dst[p*2*width + 2j + s] = B(2p+s, j0+j), zero
// past n and k.
void pack_b_vnni(const Operands& g, int64_t j0, int cols, int width, int64_t kp, uint16_t* dst) {
  for (int64_t p = 0; p < kp; ++p) {
    const int64_t k0 = 2 * p;
    uint16_t* out = dst + p * 2 * width;
    if (k0 >= g.k) {  // padding to whole AMX tiles
      std::memset(out, 0, sizeof(uint16_t) * 2 * width);
      continue;
    }
    const bool second = k0 + 1 < g.k;
    const uint16_t* r0 = g.b + k0 * g.b_rs + j0 * g.b_cs;
    const uint16_t* r1 = r0 + g.b_rs;
    if (g.b_rs == 1 && second) {
      // B = W^T with W's rows contiguous in k (a linear layer's weight): each pair is one 32-bit load.
      for (int j = 0; j < cols; ++j) std::memcpy(out + 2 * j, r0 + j * g.b_cs, 4);
    } else {
      for (int j = 0; j < cols; ++j) {
        out[2 * j] = r0[j * g.b_cs];
        out[2 * j + 1] = second ? r1[j * g.b_cs] : uint16_t(0);
      }
    }
    std::memset(out + 2 * cols, 0, sizeof(uint16_t) * 2 * (width - cols));
  }
}

// ---- AMX path: 32x32 blocks of C, each from a strip pair of A and of B (16 rows / columns per strip).
constexpr int64_t kAmxKBlock = 16;  // k-tiles (of 32) per pass over the A strips

void gemm_amx(const Operands& g, int num_threads) {
  const AmxBf16Kernels& kern = amx();
  const int64_t kt = ceil_div(g.k, 32);
  const int64_t mb = ceil_div(g.m, 32), nb = ceil_div(g.n, 32);
  const int64_t strip = kt * 512;  // elements of one 16-row (or 16-column) strip
  uint16_t* ap = pack_buffer(static_cast<size_t>((2 * mb + 2 * nb) * strip));
  uint16_t* bp = ap + 2 * mb * strip;
  const int team = team_size(num_threads, std::max<int64_t>(1, g.m * g.n * g.k / (64 * 64 * 64)));
  run_team(team, [&](int tid, int count) {
    // Strips split evenly over the team; the barrier publishes them all before any block is computed.
    for (int64_t s = 2 * mb * tid / count; s < 2 * mb * (tid + 1) / count; ++s) {
      const int rows = static_cast<int>(std::clamp<int64_t>(g.m - s * 16, 0, 16));
      kern.pack_a(g.a + s * 16 * g.a_rs, g.a_rs, g.a_cs, rows, g.k, kt, ap + s * strip);
    }
    for (int64_t s = 2 * nb * tid / count; s < 2 * nb * (tid + 1) / count; ++s) {
      const int cols = static_cast<int>(std::clamp<int64_t>(g.n - s * 16, 0, 16));
      kern.pack_b(g.b + s * 16 * g.b_cs, g.b_rs, g.b_cs, cols, g.k, kt, bp + s * strip);
    }
#ifdef _OPENMP
    if (count > 1) {
#pragma omp barrier
    }
#endif
    // This thread's share: a range of 32-column blocks when there are enough, else a range of 32-row blocks.
    const bool by_columns = nb >= count;
    const int64_t j_lo = by_columns ? nb * tid / count : 0, j_hi = by_columns ? nb * (tid + 1) / count : nb;
    const int64_t i_lo = by_columns ? 0 : mb * tid / count, i_hi = by_columns ? mb : mb * (tid + 1) / count;
    if (i_lo >= i_hi || j_lo >= j_hi) return;
    // Row blocks in chunks whose A strips fit half of L2; each chunk meets every column block of the share.
    const int64_t chunk = std::max<int64_t>(1, l2_bytes() / 2 / (2 * strip * int64_t(sizeof(uint16_t))));
    // One chunk's float32 sums for one column block (32 columns, row stride 32), rounded into C when complete.
    float* sums = float_scratch(static_cast<size_t>(std::min(chunk, i_hi - i_lo) * 32 * 32));
    kern.configure();
    for (int64_t ic = i_lo; ic < i_hi; ic += chunk) {
      const int64_t ie = std::min(i_hi, ic + chunk);
      for (int64_t jb = j_lo; jb < j_hi; ++jb) {
        const uint16_t* b0 = bp + 2 * jb * strip;
        // K blocks: the B strip pair's slice stays in L1 while the chunk's A strip pairs pass it.
        for (int64_t t0 = 0; t0 < kt; t0 += kAmxKBlock) {
          const int64_t tn = std::min<int64_t>(kAmxKBlock, kt - t0);
          for (int64_t ib = ic; ib < ie; ++ib) {
            const uint16_t* a0 = ap + 2 * ib * strip + t0 * 512;
            kern.block(tn, a0, a0 + strip, b0 + t0 * 512, b0 + strip + t0 * 512, sums + (ib - ic) * 32 * 32, 32,
                       t0 > 0);
          }
        }
        write_rows(g, sums, 32, ic * 32, std::min(g.m, ie * 32), jb * 32, std::min<int64_t>(32, g.n - jb * 32));
      }
    }
    kern.release();
  });
}

// ---- AVX512_BF16 path: 14x32 register tiles over A slivers (k-pairs) and B slivers (VNNI), all of k at once.
void gemm_dpbf16(const Operands& g, int num_threads) {
  constexpr int kMr = 14, kNr = 32;
  const Dpbf16TileKernel tile = dpbf16();
  const int64_t kp = ceil_div(g.k, 2);
  const int64_t ms = ceil_div(g.m, kMr), ns = ceil_div(g.n, kNr);
  const int64_t a_sliver = kp * kMr * 2, b_sliver = kp * kNr * 2;  // uint16_t elements
  uint16_t* ap = pack_buffer(static_cast<size_t>(ms * a_sliver + ns * b_sliver));
  uint16_t* bp = ap + ms * a_sliver;
  const int team = team_size(num_threads, std::max<int64_t>(1, g.m * g.n * g.k / (64 * 64 * 64)));
  run_team(team, [&](int tid, int count) {
    for (int64_t s = ms * tid / count; s < ms * (tid + 1) / count; ++s) {
      const int rows = static_cast<int>(std::min<int64_t>(kMr, g.m - s * kMr));
      pack_a_pairs(g, s * kMr, rows, kMr, kp, reinterpret_cast<uint32_t*>(ap + s * a_sliver));
    }
    for (int64_t s = ns * tid / count; s < ns * (tid + 1) / count; ++s) {
      const int cols = static_cast<int>(std::min<int64_t>(kNr, g.n - s * kNr));
      pack_b_vnni(g, s * kNr, cols, kNr, kp, bp + s * b_sliver);
    }
#ifdef _OPENMP
    if (count > 1) {
#pragma omp barrier
    }
#endif
    // Tiles in B-sliver-major order: one B sliver stays in cache while the A slivers stream past it.
    const int64_t tiles = ms * ns;
    for (int64_t q = tiles * tid / count; q < tiles * (tid + 1) / count; ++q) {
      const int64_t js = q / ms, is = q % ms;
      const int rows = static_cast<int>(std::min<int64_t>(kMr, g.m - is * kMr));
      const int cols = static_cast<int>(std::min<int64_t>(kNr, g.n - js * kNr));
      alignas(64) float sums[kMr * kNr];
      tile(kp, reinterpret_cast<const uint32_t*>(ap + is * a_sliver), bp + js * b_sliver, sums, kNr, rows, cols);
      write_rows(g, sums, kNr, is * kMr, is * kMr + rows, js * kNr, cols);
    }
  });
}

}  // namespace

void gemm_bf16(int64_t m, int64_t n, int64_t k, const uint16_t* a, int64_t a_row_stride, int64_t a_col_stride,
               const uint16_t* b, int64_t b_row_stride, int64_t b_col_stride, uint16_t* c, int64_t c_row_stride,
               const float* bias, int num_threads) {
  if (m <= 0 || n <= 0) return;
  const Operands g{m, n, k, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride, c, c_row_stride, bias};
  if (k <= 0) {
    std::vector<float> zeros(static_cast<size_t>(n), 0.0f);
    for (int64_t i = 0; i < m; ++i) write_rows(g, zeros.data(), 0, i, i + 1, 0, n);
    return;
  }
  switch (active_path()) {
    case Bf16Path::Amx: return gemm_amx(g, num_threads);
    case Bf16Path::Avx512Bf16: return gemm_dpbf16(g, num_threads);
    case Bf16Path::Float32: return gemm_widened(g, num_threads);
  }
}

const char* gemm_bf16_path() { return path_name(active_path()); }

void set_gemm_bf16_path(const std::string& name) {
  Bf16Path p;
  if (!parse_path(name, p)) {
    throw std::invalid_argument("unknown bfloat16 GEMM path '" + name + "' (use amx, avx512_bf16 or float32)");
  }
  if (p > best_path()) {
    throw std::invalid_argument("this CPU or build has no '" + name +
                                "' bfloat16 GEMM (best: " + path_name(best_path()) + ")");
  }
  path_slot().store(static_cast<int>(p), std::memory_order_relaxed);
}

}  // namespace pygrad::cpu
