// CPU kernel of the index-map ops (flip, roll, pad): out[o_0, ..., o_k] = in[map_0[o_0], ..., map_k[o_k]], or
// the fill value where a map gives -1. The innermost dim that is not the identity is cut into runs (a fill, a
// forward copy or a reversed copy); the identity dims inside it travel as contiguous blocks (memcpy-sized rows).
#include <algorithm>
#include <vector>

#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

constexpr int64_t kCopyGrain = 32768;  // elements per task

// A stretch of the innermost mapped dim: [start, start + length) reads src, src + step, ... (step 0: the fill).
struct Run {
  int64_t start, length, src, step;
};

std::vector<Run> runs_of(const int64_t* map, int64_t n) {
  std::vector<Run> runs;
  for (int64_t o = 0; o < n; ++o) {
    const int64_t s = map[o];
    if (!runs.empty()) {
      Run& r = runs.back();
      if (s < 0 && r.step == 0 && r.src < 0) {
        ++r.length;
        continue;
      }
      if (s >= 0 && r.src >= 0) {
        if (r.length == 1 && (s == r.src + 1 || s == r.src - 1)) {
          r.step = s - r.src;
          r.length = 2;
          continue;
        }
        if (r.length > 1 && s == r.src + r.step * r.length) {
          ++r.length;
          continue;
        }
      }
    }
    runs.push_back(Run{o, 1, s, s < 0 ? 0 : 1});
  }
  return runs;
}

// in = {x (contiguous), maps (int64, each dim's map of out.shape[d] entries, concatenated)}, scalars[0] = fill;
// out contiguous.
void index_map_kernel(KernelArgs& args) {
  const Tensor &in = args.in[0], &maps = args.in[1], &out = args.out[0];
  const int64_t nd = out.dim();
  const int64_t* all_maps = maps.data<int64_t>();
  std::vector<const int64_t*> map(nd);
  int64_t k = -1;  // the innermost dim that is not the identity
  for (int64_t d = 0, at = 0; d < nd; at += out.shape()[d], ++d) {
    map[d] = all_maps + at;
    bool identity = out.shape()[d] == in.shape()[d];
    for (int64_t o = 0; identity && o < out.shape()[d]; ++o) identity = map[d][o] == o;
    if (!identity) k = d;
  }
  PG_DISPATCH_ALL(out.dtype(), "index_map", [&] {
    using T = scalar_t;
    const T* src = in.data<T>();
    T* dst = out.data<T>();
    const T fill = static_cast<T>(args.scalars[0]);
    if (k < 0) {
      std::copy(src, src + out.numel(), dst);
      return;
    }
    int64_t block = 1;  // the identity dims inside k, as one contiguous block
    for (int64_t d = k + 1; d < nd; ++d) block *= out.shape()[d];
    const Shape in_strides = contiguous_strides(in.shape());
    const int64_t nk = out.shape()[k];
    int64_t outer = 1;
    for (int64_t d = 0; d < k; ++d) outer *= out.shape()[d];
    // Each outer dim's source offset per output index (-1: the fill); rows walk them as an odometer.
    std::vector<std::vector<int64_t>> offsets(k);
    for (int64_t d = 0; d < k; ++d)
      for (int64_t o = 0; o < out.shape()[d]; ++o) offsets[d].push_back(map[d][o] < 0 ? -1 : map[d][o] * in_strides[d]);
    const std::vector<Run> runs = runs_of(map[k], nk);
    const int64_t units = outer * nk;
    parallel_for(0, units, std::max<int64_t>(1, kCopyGrain / std::max<int64_t>(block, 1)), [&](int64_t b, int64_t e) {
      std::vector<int64_t> idx(k);
      int64_t row = b / nk, lo = b % nk;
      for (int64_t d = k - 1, rest = row; d >= 0; --d) {
        idx[d] = rest % out.shape()[d];
        rest /= out.shape()[d];
      }
      for (int64_t u = b; u < e; ++row, lo = 0) {
        const int64_t hi = std::min(nk, lo + (e - u));
        int64_t base = 0;
        bool valid = true;
        for (int64_t d = 0; d < k; ++d) {
          const int64_t off = offsets[d][idx[d]];
          valid &= off >= 0;
          base += off;
        }
        for (int64_t d = k - 1; d >= 0; --d) {  // next row
          if (++idx[d] < out.shape()[d]) break;
          idx[d] = 0;
        }
        T* orow = dst + row * nk * block;
        if (!valid) {
          std::fill(orow + lo * block, orow + hi * block, fill);
        } else {
          const T* irow = src + base;
          for (const Run& r : runs) {
            const int64_t a = std::max(lo, r.start), z = std::min(hi, r.start + r.length);
            if (a >= z) continue;
            if (r.step == 0) {
              std::fill(orow + a * block, orow + z * block, fill);
            } else if (r.step == 1) {
              const T* from = irow + (r.src + (a - r.start)) * block;
              std::copy(from, from + (z - a) * block, orow + a * block);
            } else if (block == 1) {
              const T* from = irow + r.src - (a - r.start);
              for (int64_t j = 0; j < z - a; ++j) orow[a + j] = from[-j];
            } else {
              for (int64_t j = a; j < z; ++j) {
                const T* from = irow + (r.src - (j - r.start)) * block;
                std::copy(from, from + block, orow + j * block);
              }
            }
          }
        }
        u += hi - lo;
      }
    });
  });
}

const KernelRegistrar register_flip(OpId::flip, Device::CPU, &index_map_kernel);
const KernelRegistrar register_roll(OpId::roll, Device::CPU, &index_map_kernel);
const KernelRegistrar register_pad(OpId::pad, Device::CPU, &index_map_kernel);

}  // namespace
}  // namespace pygrad::cpu
