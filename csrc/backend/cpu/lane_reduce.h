// Sums and maxima of one contiguous row in eight independent lanes: a single running accumulator is a latency
// chain (one add per 3-4 cycles); eight let the CPU overlap them and the compiler vectorise. Fixed lane order,
// so a row's result never depends on threads.
#pragma once
#include <cstdint>

namespace pygrad::cpu {

// Sum of n values accumulated in Acc (e.g. double for float rows).
template <class Acc, class T>
Acc lane_sum(const T* p, int64_t n) {
  Acc lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] += p[i + l];
  }
  Acc total = 0;
  for (; i < n; ++i) total += p[i];
  for (int l = 0; l < 8; ++l) total += lanes[l];
  return total;
}

// Largest of n >= 1 values (comparisons with NaN are false, so NaN is skipped unless it comes first).
template <class T>
T lane_max(const T* p, int64_t n) {
  T m = p[0];
  int64_t i = 1;
  if (n >= 16) {
    T lanes[8];
    for (int l = 0; l < 8; ++l) lanes[l] = p[l];
    for (i = 8; i + 8 <= n; i += 8) {
      for (int l = 0; l < 8; ++l) lanes[l] = p[i + l] > lanes[l] ? p[i + l] : lanes[l];
    }
    m = lanes[0];
    for (int l = 1; l < 8; ++l) m = lanes[l] > m ? lanes[l] : m;
  }
  for (; i < n; ++i) m = p[i] > m ? p[i] : m;
  return m;
}

}  // namespace pygrad::cpu
