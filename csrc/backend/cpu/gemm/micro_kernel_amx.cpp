// AMX-BF16 GEMM kernel: 2x2 tiles of float32 C (a 32x32 block) accumulated by tdpbf16ps over packed bfloat16 tiles.
#include "backend/cpu/gemm/micro_kernels.h"

#if defined(__AMX_TILE__) && defined(__AMX_BF16__)
#include <immintrin.h>

namespace pygrad::cpu::gemm_detail {
namespace {

// Palette 1: tiles 0-3 hold C (16 rows x 16 floats), 4-5 the two A tiles, 6-7 the two B tiles; all 16 x 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

void amx_configure() {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  // GCC does not count ldtilecfg as a read of cfg and drops the stores above without this barrier.
  __asm__ volatile("" : : "r"(&cfg) : "memory");
  _tile_loadconfig(&cfg);
}

void amx_release() { _tile_release(); }

constexpr int64_t kTileElems = 16 * 32;  // bfloat16 elements of one packed A or B tile

void amx_block(int64_t kt, const uint16_t* a0, const uint16_t* a1, const uint16_t* b0, const uint16_t* b1, float* c,
               int64_t ldc, bool accumulate) {
  const int64_t stride = ldc * static_cast<int64_t>(sizeof(float));
  if (accumulate) {
    _tile_loadd(0, c, stride);
    _tile_loadd(1, c + 16, stride);
    _tile_loadd(2, c + 16 * ldc, stride);
    _tile_loadd(3, c + 16 * ldc + 16, stride);
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  // Each loaded tile feeds two products: 4 KiB of operands per 4 tile products (64 k-steps of a 32x32 block).
  for (int64_t t = 0; t < kt; ++t) {
    _tile_loadd(4, a0 + t * kTileElems, 64);
    _tile_loadd(6, b0 + t * kTileElems, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_loadd(7, b1 + t * kTileElems, 64);
    _tile_dpbf16ps(1, 4, 7);
    _tile_loadd(5, a1 + t * kTileElems, 64);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, c, stride);
  _tile_stored(1, c + 16, stride);
  _tile_stored(2, c + 16 * ldc, stride);
  _tile_stored(3, c + 16 * ldc + 16, stride);
}

}  // namespace

AmxBf16Kernels amx_bf16_kernels() {
  AmxBf16Kernels k;
  k.configure = &amx_configure;
  k.release = &amx_release;
  k.block = &amx_block;
  return k;
}

}  // namespace pygrad::cpu::gemm_detail

#else

namespace pygrad::cpu::gemm_detail {
AmxBf16Kernels amx_bf16_kernels() { return {}; }
}  // namespace pygrad::cpu::gemm_detail

#endif
