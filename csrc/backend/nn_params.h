// Geometry of 2-d windowed ops (convolution, pooling) packed into KernelArgs: ints[0..3] hold (h, w) pairs.
#pragma once
#include <cstdint>

#include "backend/dispatch.h"

namespace pygrad {

struct Window2d {
  int64_t kernel[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  int64_t pad[2] = {0, 0};
  int64_t dilation[2] = {1, 1};
};

// Values are validated by the ops layer to lie in [0, 2^31).
inline int64_t pack_pair(const int64_t p[2]) { return (p[0] << 32) | p[1]; }
inline void unpack_pair(int64_t v, int64_t p[2]) {
  p[0] = v >> 32;
  p[1] = v & 0xffffffffLL;
}

inline void store_window(const Window2d& w, KernelArgs& args) {
  args.ints[0] = pack_pair(w.kernel);
  args.ints[1] = pack_pair(w.stride);
  args.ints[2] = pack_pair(w.pad);
  args.ints[3] = pack_pair(w.dilation);
}

inline Window2d load_window(const KernelArgs& args) {
  Window2d w;
  unpack_pair(args.ints[0], w.kernel);
  unpack_pair(args.ints[1], w.stride);
  unpack_pair(args.ints[2], w.pad);
  unpack_pair(args.ints[3], w.dilation);
  return w;
}

}  // namespace pygrad
