// Shapes and strides: numel with overflow checks, contiguous strides, broadcasting, dim wrapping.
#pragma once
#include <cstdint>
#include <vector>

namespace pygrad {

using Shape = std::vector<int64_t>;

// Product of sizes; raises ValueError naming `op` on a negative size or an element count past 2^62.
int64_t checked_numel(const Shape& shape, const char* op);
inline int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}
Shape contiguous_strides(const Shape& shape);
// numpy broadcasting of two shapes; raises ValueError naming `op` and both shapes when they disagree.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Maps a possibly negative dim into [0, ndim); raises IndexError naming `op` when out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

}  // namespace pygrad
