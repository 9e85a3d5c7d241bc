// Strided iteration for elementwise kernels: operands of one shape, dims coalesced, rows split over threads.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "backend/cpu/parallel.h"
#include "core/tensor.h"

namespace pygrad::cpu {

constexpr int64_t kElementwiseGrain = 32768;

// Geometry shared by N operands of the same shape: sizes and per-operand byte strides, coalesced.
template <int N>
struct StridedGeometry {
  std::vector<int64_t> sizes;                   // outermost first
  std::vector<std::array<int64_t, N>> strides;  // bytes, per dim per operand
  std::array<char*, N> base;
};

template <int N>
StridedGeometry<N> make_geometry(const std::array<const Tensor*, N>& operands) {
  StridedGeometry<N> g;
  const Shape& shape = operands[0]->shape();
  for (int k = 0; k < N; ++k) g.base[k] = static_cast<char*>(operands[k]->raw_data());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    std::array<int64_t, N> s;
    for (int k = 0; k < N; ++k) s[k] = operands[k]->strides()[d] * static_cast<int64_t>(operands[k]->element_size());
    if (!g.sizes.empty()) {
      // Merge with the previous dim when every operand steps through both as one.
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable &= g.strides.back()[k] == s[k] * shape[d];
      if (mergeable) {
        g.sizes.back() *= shape[d];
        g.strides.back() = s;
        continue;
      }
    }
    g.sizes.push_back(shape[d]);
    g.strides.push_back(s);
  }
  if (g.sizes.empty()) {
    g.sizes.push_back(1);
    g.strides.push_back(std::array<int64_t, N>{});
  }
  return g;
}

// Calls inner(ptrs, inner_strides, n) for each row of the innermost dim, rows split over threads.
template <int N, class Inner>
void for_each_row(const std::array<const Tensor*, N>& operands, int64_t numel, const Inner& inner) {
  if (numel == 0) return;
  StridedGeometry<N> g = make_geometry<N>(operands);
  const int nd = static_cast<int>(g.sizes.size());
  const int64_t row = g.sizes[nd - 1];
  const std::array<int64_t, N> inner_strides = g.strides[nd - 1];
  const int64_t rows = numel / row;
  int64_t grain_rows = kElementwiseGrain / row;
  if (grain_rows < 1) grain_rows = 1;
  parallel_for(0, rows, grain_rows, [&](int64_t begin, int64_t end) {
    // Multi-index of row `begin` over the outer dims.
    std::vector<int64_t> index(nd > 1 ? nd - 1 : 1, 0);
    std::array<char*, N> ptrs = g.base;
    int64_t r = begin;
    for (int d = nd - 2; d >= 0; --d) {
      index[d] = r % g.sizes[d];
      r /= g.sizes[d];
      for (int k = 0; k < N; ++k) ptrs[k] += index[d] * g.strides[d][k];
    }
    for (int64_t i = begin; i < end; ++i) {
      inner(ptrs, inner_strides, row);
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
