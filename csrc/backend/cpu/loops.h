// Strided iteration for elementwise kernels: operands of one shape, dims coalesced, elements split over threads.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "backend/cpu/parallel.h"
#include "core/tensor.h"

namespace pygrad::cpu {

constexpr int64_t kElementwiseGrain = 32768;

// A fixed-size array kept on the stack up to Inline elements (no allocation per kernel call), else on the heap.
template <class T, size_t Inline = 12>
class SmallBuffer {
 public:
  explicit SmallBuffer(size_t n) {
    if (n > Inline) heap_.resize(n);
    data_ = n > Inline ? heap_.data() : inline_;
  }
  SmallBuffer(const SmallBuffer&) = delete;
  SmallBuffer& operator=(const SmallBuffer&) = delete;
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  T inline_[Inline];
  std::vector<T> heap_;
  T* data_;
};

// Geometry shared by N operands of the same shape: sizes and per-operand byte strides, coalesced.
template <int N>
struct StridedGeometry {
  explicit StridedGeometry(size_t capacity) : sizes(capacity), strides(capacity) {}
  int ndim = 0;
  SmallBuffer<int64_t> sizes;                   // outermost first
  SmallBuffer<std::array<int64_t, N>> strides;  // bytes, per dim per operand
  std::array<char*, N> base;
};

template <int N>
void make_geometry(const std::array<const Tensor*, N>& operands, StridedGeometry<N>& g) {
  const Shape& shape = operands[0]->shape();
  for (int k = 0; k < N; ++k) g.base[k] = static_cast<char*>(operands[k]->raw_data());
  int nd = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    std::array<int64_t, N> s;
    for (int k = 0; k < N; ++k) s[k] = operands[k]->strides()[d] * static_cast<int64_t>(operands[k]->element_size());
    if (nd > 0) {
      // Merge with the previous dim when every operand steps through both as one.
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable &= g.strides[nd - 1][k] == s[k] * shape[d];
      if (mergeable) {
        g.sizes[nd - 1] *= shape[d];
        g.strides[nd - 1] = s;
        continue;
      }
    }
    g.sizes[nd] = shape[d];
    g.strides[nd] = s;
    ++nd;
  }
  if (nd == 0) {
    g.sizes[0] = 1;
    g.strides[0] = std::array<int64_t, N>{};
    nd = 1;
  }
  g.ndim = nd;
}

// Calls inner(ptrs, inner_strides, n) over runs of the innermost dim; the elements (not just whole rows) are
// split over threads, so one long contiguous run is parallel too. No allocation below 13 dims.
template <int N, class Inner>
void for_each_row(const std::array<const Tensor*, N>& operands, int64_t numel, const Inner& inner) {
  if (numel == 0) return;
  const size_t rank = operands[0]->shape().size();
  StridedGeometry<N> g(rank > 0 ? rank : 1);
  make_geometry<N>(operands, g);
  const int nd = g.ndim;
  const int64_t row = g.sizes[nd - 1];
  const std::array<int64_t, N> inner_strides = g.strides[nd - 1];
  if (nd == 1) {
    parallel_for(0, row, kElementwiseGrain, [&](int64_t begin, int64_t end) {
      std::array<char*, N> ptrs;
      for (int k = 0; k < N; ++k) ptrs[k] = g.base[k] + begin * inner_strides[k];
      inner(ptrs, inner_strides, end - begin);
    });
    return;
  }
  parallel_for(0, numel, kElementwiseGrain, [&](int64_t begin, int64_t end) {
    // Multi-index of element `begin`: column within its row, then the outer dims.
    SmallBuffer<int64_t> index(static_cast<size_t>(nd - 1));
    std::array<char*, N> ptrs = g.base;
    int64_t r = begin / row, col = begin % row;
    for (int d = nd - 2; d >= 0; --d) {
      index[d] = r % g.sizes[d];
      r /= g.sizes[d];
      for (int k = 0; k < N; ++k) ptrs[k] += index[d] * g.strides[d][k];
    }
    for (int k = 0; k < N; ++k) ptrs[k] += col * inner_strides[k];
    int64_t pos = begin;
    while (true) {
      const int64_t n = row - col < end - pos ? row - col : end - pos;
      inner(ptrs, inner_strides, n);
      pos += n;
      if (pos >= end) break;
      for (int k = 0; k < N; ++k) ptrs[k] -= col * inner_strides[k];
      col = 0;
      for (int d = nd - 2; d >= 0; --d) {
        for (int k = 0; k < N; ++k) ptrs[k] += g.strides[d][k];
        if (++index[d] < g.sizes[d]) break;
        for (int k = 0; k < N; ++k) ptrs[k] -= g.strides[d][k] * g.sizes[d];
        index[d] = 0;
      }
    }
  });
}

}  // namespace pygrad::cpu
