// AMX-BF16 GEMM kernel: 2x2 tiles of float32 C (a 32x32 block) accumulated by tdpbf16ps over packed bfloat16 tiles.
#include "backend/cpu/gemm/micro_kernels.h"

#if defined(__AMX_TILE__) && defined(__AMX_BF16__)
#include <immintrin.h>

#include <algorithm>

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
constexpr int64_t kPrefetchTiles = 2;    // k-tiles ahead that the A tiles are prefetched into L1

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
    // The A tiles stream from L2 (the B pair stays in L1 across row blocks): start a later k-tile's lines now.
    const char* next0 = reinterpret_cast<const char*>(a0 + (t + kPrefetchTiles) * kTileElems);
    const char* next1 = reinterpret_cast<const char*>(a1 + (t + kPrefetchTiles) * kTileElems);
#pragma GCC unroll 16
    for (int l = 0; l < 16; ++l) {
      _mm_prefetch(next0 + 64 * l, _MM_HINT_T0);
      _mm_prefetch(next1 + 64 * l, _MM_HINT_T0);
    }
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

// Zero-extended mask of the first n (0..32) 16-bit lanes.
inline __mmask32 first_lanes(int64_t n) {
  return n >= 32 ? ~__mmask32(0) : n <= 0 ? __mmask32(0) : static_cast<__mmask32>((1u << n) - 1);
}

// A strip: 16 rows of A(i,p) = a[i*a_rs + p*a_cs] as kt tiles of 16 x 32 k; rows >= rows and k >= k zero.
void amx_pack_a(const uint16_t* a, int64_t a_rs, int64_t a_cs, int rows, int64_t k, int64_t kt, uint16_t* dst) {
  for (int64_t t = 0; t < kt; ++t) {
    uint16_t* tile = dst + t * kTileElems;
    const int64_t k0 = t * 32, cols = std::min<int64_t>(32, k - k0);
    if (a_cs == 1) {  // rows contiguous in k: one masked load per tile row
      const __mmask32 mask = first_lanes(cols);
      for (int i = 0; i < 16; ++i) {
        const __m512i v = i < rows ? _mm512_maskz_loadu_epi16(mask, a + i * a_rs + k0) : _mm512_setzero_si512();
        _mm512_storeu_si512(tile + i * 32, v);
      }
      continue;
    }
    for (int i = 0; i < 16 * 32; i += 32) _mm512_storeu_si512(tile + i, _mm512_setzero_si512());
    // Columns contiguous (a transposed operand): k outer, so each source run of 16 rows is read once, in order.
    for (int64_t c = 0; c < cols; ++c) {
      const uint16_t* src = a + (k0 + c) * a_cs;
      for (int i = 0; i < rows; ++i) tile[i * 32 + c] = src[i * a_rs];
    }
  }
}

// A VNNI strip of B(p,j) = b[p*b_rs + j*b_cs]: 16 columns, kt tiles of 16 k-pairs; cols >= cols and k >= k zero.
void amx_pack_b(const uint16_t* b, int64_t b_rs, int64_t b_cs, int cols, int64_t k, int64_t kt, uint16_t* dst) {
  // Interleaves two 16-element rows: lane 2j takes row 0's j, lane 2j+1 row 1's j.
  alignas(64) static const uint16_t kInterleave[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                       8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i interleave = _mm512_load_si512(kInterleave);
  const __mmask16 col_mask = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << std::max(cols, 0)) - 1);
  const bool gather = b_rs == 1 && b_cs * 16 < (int64_t(1) << 30);
  const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(static_cast<int>(gather ? b_cs : 0)));
  for (int64_t r = 0; r < kt * 16; ++r) {
    uint16_t* out = dst + r * 32;
    const int64_t p0 = 2 * r;
    if (p0 >= k) {
      _mm512_storeu_si512(out, _mm512_setzero_si512());
      continue;
    }
    const bool pair = p0 + 1 < k;
    if (b_cs == 1) {  // rows of B contiguous: two masked row loads, one permute
      const __m256i r0 = _mm256_maskz_loadu_epi16(col_mask, b + p0 * b_rs);
      const __m256i r1 = pair ? _mm256_maskz_loadu_epi16(col_mask, b + (p0 + 1) * b_rs) : _mm256_setzero_si256();
      const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(r0), r1, 1);
      _mm512_storeu_si512(out, _mm512_permutexvar_epi16(interleave, both));
    } else if (gather && pair) {  // B = W^T, W's rows contiguous in k: each pair is one 32-bit element
      _mm512_storeu_si512(out, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), col_mask, offsets, b + p0, 2));
    } else {
      for (int j = 0; j < 16; ++j) {
        out[2 * j] = j < cols ? b[p0 * b_rs + j * b_cs] : uint16_t(0);
        out[2 * j + 1] = j < cols && pair ? b[(p0 + 1) * b_rs + j * b_cs] : uint16_t(0);
      }
    }
  }
}

}  // namespace

AmxBf16Kernels amx_bf16_kernels() {
  AmxBf16Kernels k;
  k.configure = &amx_configure;
  k.release = &amx_release;
  k.block = &amx_block;
  k.pack_a = &amx_pack_a;
  k.pack_b = &amx_pack_b;
  return k;
}

}  // namespace pygrad::cpu::gemm_detail

#else

namespace pygrad::cpu::gemm_detail {
AmxBf16Kernels amx_bf16_kernels() { return {}; }
}  // namespace pygrad::cpu::gemm_detail

#endif
