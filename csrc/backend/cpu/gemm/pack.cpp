// GEMM packing: A blocks and B panels copied into the zero-padded slivers the micro-kernels read, and their buffer.
#include "backend/cpu/gemm/pack.h"

#include <algorithm>
#include <new>

namespace pygrad::cpu::gemm_detail {
namespace {

// A grow-only 64-byte aligned buffer owned by one thread, reused across calls.
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { release(); }

  void* get(std::size_t bytes) {
    if (bytes > bytes_) {
      release();
      ptr_ = ::operator new(bytes, std::align_val_t(kAlign));
      bytes_ = bytes;
    }
    return ptr_;
  }

 private:
  void release() {
    if (ptr_ != nullptr) ::operator delete(ptr_, std::align_val_t(kAlign));
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

thread_local ScratchBuffer t_pack_scratch;

// Packs a W x kc sliver, zero-padded past `valid`: dst[p*W + i] = src[i*s_i + p*s_p].
template <typename T, int W>
void pack_sliver_fixed(T* __restrict dst, const T* __restrict src, int64_t valid, int64_t kc, int64_t s_i,
                       int64_t s_p) {
  if (s_i == 1 && valid == W) {
    // p loop: the sliver's row p is one contiguous run of the source.
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * s_p;
      T* d = dst + p * W;
      for (int i = 0; i < W; ++i) d[i] = s[i];
    }
    return;
  }
  if (s_p == 1 && valid == W) {
    constexpr int64_t kStep = 8;
    int64_t p0 = 0;
    // p0 loop: an 8-wide column strip of all W source lines at once, so every line streams in parallel.
    for (; p0 + kStep <= kc; p0 += kStep) {
      for (int i = 0; i < W; ++i) {
        const T* s = src + i * s_i + p0;
        for (int64_t q = 0; q < kStep; ++q) dst[(p0 + q) * W + i] = s[q];
      }
    }
    for (; p0 < kc; ++p0) {
      for (int i = 0; i < W; ++i) dst[p0 * W + i] = src[i * s_i + p0];
    }
    return;
  }
  // Edge slivers and general strides: element by element along p, zero rows past `valid`.
  for (int64_t p = 0; p < kc; ++p) {
    const T* s = src + p * s_p;
    T* d = dst + p * W;
    for (int64_t i = 0; i < valid; ++i) d[i] = s[i * s_i];
    for (int64_t i = valid; i < W; ++i) d[i] = T(0);
  }
}

// Widths with no fixed-width code (no row of kBlockTable has one today).
template <typename T>
void pack_sliver_any(T* __restrict dst, const T* __restrict src, int64_t valid, int w, int64_t kc, int64_t s_i,
                     int64_t s_p) {
  for (int64_t p = 0; p < kc; ++p) {
    const T* s = src + p * s_p;
    T* d = dst + p * w;
    for (int64_t i = 0; i < valid; ++i) d[i] = s[i * s_i];
    for (int64_t i = valid; i < w; ++i) d[i] = T(0);
  }
}

// Packs a w x kc sliver of A (w = MR) or B (w = NR); the micro-tile widths in use get fixed-width code.
template <typename T>
void pack_sliver(T* dst, const T* src, int64_t valid, int w, int64_t kc, int64_t s_i, int64_t s_p) {
  switch (w) {
    case 4: return pack_sliver_fixed<T, 4>(dst, src, valid, kc, s_i, s_p);
    case 6: return pack_sliver_fixed<T, 6>(dst, src, valid, kc, s_i, s_p);
    case 8: return pack_sliver_fixed<T, 8>(dst, src, valid, kc, s_i, s_p);
    case 14: return pack_sliver_fixed<T, 14>(dst, src, valid, kc, s_i, s_p);
    case 16: return pack_sliver_fixed<T, 16>(dst, src, valid, kc, s_i, s_p);
    case 32: return pack_sliver_fixed<T, 32>(dst, src, valid, kc, s_i, s_p);
    default: return pack_sliver_any(dst, src, valid, w, kc, s_i, s_p);
  }
}

// Packs one sliver, through the ISA's transposing pack when the source lines run along k.
template <typename T>
void pack_any(const GemmPlan<T>& plan, T* dst, const T* src, int64_t valid, int w, int64_t kc, int64_t s_i,
              int64_t s_p) {
  if (plan.pack_kcontig != nullptr && s_p == 1 && s_i != 1 && w <= 32) {
    plan.pack_kcontig(dst, src, valid, w, kc, s_i);
  } else {
    pack_sliver(dst, src, valid, w, kc, s_i, s_p);
  }
}

}  // namespace

void* thread_pack_buffer(std::size_t bytes) { return t_pack_scratch.get(bytes); }

template <typename T>
void pack_a_block(const GemmPlan<T>& plan, T* dst, const T* a, int64_t a_rs, int64_t a_cs, int64_t rows, int64_t kc) {
  const int mr = plan.mr;
  // ir loop: one MR-row sliver per step, kc deep, so the micro-kernel streams it from L2 in order.
  for (int64_t ir = 0; ir < rows; ir += mr) {
    pack_any(plan, dst + ir * kc, a + ir * a_rs, std::min<int64_t>(mr, rows - ir), mr, kc, a_rs, a_cs);
  }
}

template <typename T>
void pack_b_panel(const GemmPlan<T>& plan, T* dst, const T* b, int64_t b_rs, int64_t b_cs, int64_t cols, int64_t kc,
                  int64_t first, int64_t last) {
  const int nr = plan.nr;
  // t loop: one NR-column sliver per step, kc deep, the unit the micro-kernel keeps in L1.
  for (int64_t t = first; t < last; ++t) {
    const int64_t col = t * nr;
    pack_any(plan, dst + col * kc, b + col * b_cs, std::min<int64_t>(nr, cols - col), nr, kc, b_cs, b_rs);
  }
}

template void pack_a_block<float>(const GemmPlan<float>&, float*, const float*, int64_t, int64_t, int64_t, int64_t);
template void pack_a_block<double>(const GemmPlan<double>&, double*, const double*, int64_t, int64_t, int64_t, int64_t);
template void pack_b_panel<float>(const GemmPlan<float>&, float*, const float*, int64_t, int64_t, int64_t, int64_t,
                                  int64_t, int64_t);
template void pack_b_panel<double>(const GemmPlan<double>&, double*, const double*, int64_t, int64_t, int64_t, int64_t,
                                   int64_t, int64_t);

}  // namespace pygrad::cpu::gemm_detail
