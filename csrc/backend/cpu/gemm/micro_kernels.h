// Internal contract between the GEMM driver and the per-ISA micro-kernels (one file per instruction set).
#pragma once
#include <cstdint>

namespace pygrad::cpu::gemm_detail {

// C(i,j) = c[i*ldc + j] for i < mr, j < nr (a full tile; the driver handles edges).
// C = alpha * Apanel * Bpanel + beta * C, where Apanel(i,p) = a[p*mr + i] and Bpanel(p,j) = b[p*nr + j]
// are packed, zero-padded micro-panels and k >= 1. beta == 0 overwrites C without reading it.
using MicroKernelF32 = void (*)(int64_t k, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                                float beta);
using MicroKernelF64 = void (*)(int64_t k, const double* a, const double* b, double* c, int64_t ldc, double alpha,
                                double beta);

// Register tiles come from the ISA's row of kBlockTable (blocksizes.h): tile.mr x tile.nr is the full kernel's.
// Edge tile: any mr <= tile.mr rows and nr <= tile.nr columns straight into C (row stride ldc, unit columns);
// Apanel is packed tile.mr wide, Bpanel tile.nr wide, as for the full kernel. Only some ISAs provide it.
using EdgeKernelF32 = void (*)(int64_t k, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                               float beta, int mr, int nr);

// Packs a w x kc sliver (w <= 32) from lines contiguous in k: dst[p*w + i] = src[i*s_i + p], zero rows past valid.
using PackKcontigF32 = void (*)(float* dst, const float* src, int64_t valid, int w, int64_t kc, int64_t s_i);

// Tile whose B is read in place (unpacked): Bpanel(p,j) = b[p*ldb + j], any alignment; Apanel packed tile.mr wide.
// mr <= tile.mr rows, nr <= tile.nr columns straight into C (row stride ldc, unit columns).
using DirectBKernelF32 = void (*)(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                  float alpha, float beta, int mr, int nr);

// Small products with nothing packed: A(i,p) = a[i*a_rs + p*a_cs] (any strides), B(p,j) = b[p*ldb + j];
// mr <= the row's f32_unpacked_mr rows, nr <= tile.nr columns straight into C (row stride ldc, unit columns).
using UnpackedKernelF32 = void (*)(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
                                   float* c, int64_t ldc, float alpha, float beta, int mr, int nr);

// The kernels of one instruction set. A null kernel means the file was built without that ISA.
struct MicroKernelSet {
  const char* name;
  MicroKernelF32 f32;
  MicroKernelF64 f64;
  EdgeKernelF32 f32_edge = nullptr;
  PackKcontigF32 f32_pack_kcontig = nullptr;
  DirectBKernelF32 f32_direct_b = nullptr;
  UnpackedKernelF32 f32_unpacked = nullptr;
};

// Call only when detected_cpu_capability() reaches that level: their code uses the ISA's instructions.
MicroKernelSet avx512_micro_kernels();
MicroKernelSet avx2_micro_kernels();
MicroKernelSet portable_micro_kernels();

// Peak probes: independent register-resident FMA chains of each ISA's widest vectors, no memory traffic.
// Each returns the floating-point operations it performed (0 when the file was built without the ISA).
double avx512_fma_probe(int64_t iterations);
double avx2_fma_probe(int64_t iterations);
double portable_fma_probe(int64_t iterations);

// bfloat16 kernels, fed by gemm_bf16.cpp's packing (raw bfloat16 bits as uint16_t).
// AMX: an A tile is 16 rows x 32 k (64-byte rows); a B tile is 16 k-pairs x 16 columns in VNNI order (the two k of
// a pair adjacent: b[r*32 + 2j + s] = B(2r+s, j)); 1 KiB each, a strip's kt tiles contiguous. block() computes the
// 32x32 float32 block [A0; A1] x [B0 B1] over kt k-tiles into c (row stride ldc floats; added to c's values when
// accumulate, else overwriting them); configure()
// loads the tile palette on the calling thread, release() frees it. Null members: built without AMX.
struct AmxBf16Kernels {
  void (*configure)() = nullptr;
  void (*release)() = nullptr;
  void (*block)(int64_t kt, const uint16_t* a0, const uint16_t* a1, const uint16_t* b0, const uint16_t* b1, float* c,
                int64_t ldc, bool accumulate) = nullptr;
  // Packing: a 16-row A strip (A(i,p) = a[i*a_rs + p*a_cs], `rows` valid) or a 16-column VNNI B strip
  // (B(p,j) = b[p*b_rs + j*b_cs], `cols` valid), kt tiles each, zero past the valid rows / columns and past k.
  void (*pack_a)(const uint16_t* a, int64_t a_rs, int64_t a_cs, int rows, int64_t k, int64_t kt,
                 uint16_t* dst) = nullptr;
  void (*pack_b)(const uint16_t* b, int64_t b_rs, int64_t b_cs, int cols, int64_t k, int64_t kt,
                 uint16_t* dst) = nullptr;
};
AmxBf16Kernels amx_bf16_kernels();

// AVX512_BF16: C (mr <= 14 rows x nr <= 32 columns, row stride ldc, overwritten) = A B over kp k-pairs, where
// a[p*14 + i] holds the pair (A(i,2p), A(i,2p+1)) as 32 bits and b[p*64 + 2j + s] = B(2p+s, j) (a 32-column
// VNNI sliver). Null: built without AVX512_BF16.
using Dpbf16TileKernel = void (*)(int64_t kp, const uint32_t* a, const uint16_t* b, float* c, int64_t ldc, int mr,
                                  int nr);
Dpbf16TileKernel avx512_bf16_tile_kernel();

}  // namespace pygrad::cpu::gemm_detail
