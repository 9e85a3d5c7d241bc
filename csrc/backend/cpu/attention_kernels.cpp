// CPU fused scaled-dot-product attention (flash attention's tiling): the forward streams key blocks past each
// query block with an online softmax, keeping only a [Br, Bc] score tile and each row's max and sum; the
// backward recomputes the tiles from the saved row log-sum-exp. Memory grows linearly with the sequence.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/array_math.h"
#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/dtype.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

constexpr int64_t kQueryBlock = 128;  // Br: query rows per tile
constexpr int64_t kKeyBlock = 256;    // Bc: keys per tile (a [Br, Bc] float tile is 16 KiB: L1/L2)

// The tile's scores: s[r][c] = scale * q_r . k_c + mask, -inf where causal masking removes key j0+c from
// query i0+r. Key element p of key c is k[c * k_key_stride + p * k_elem_stride].
template <class T>
void score_tile(const AttentionKernelArgs& a, const T* q, const T* k, int64_t k_key_stride, int64_t k_elem_stride,
                int64_t b, int64_t i0, int64_t br, int64_t j0, int64_t bc, int64_t e, T* s) {
  gemm_in_cache(br, bc, e, static_cast<T>(a.scale), q, e, 1, k, k_elem_stride, k_key_stride, T(0), s, bc);
  if (a.mask.defined()) {
    const T* m = a.mask.data<T>() + a.mask_offset[b];
    for (int64_t r = 0; r < br; ++r)
      for (int64_t c = 0; c < bc; ++c) s[r * bc + c] += m[(i0 + r) * a.mask_row_stride + (j0 + c) * a.mask_col_stride];
  }
  if (a.causal)
    for (int64_t r = 0; r < br; ++r)
      for (int64_t c = std::max<int64_t>(0, i0 + r + 1 - j0); c < bc; ++c)
        s[r * bc + c] = -std::numeric_limits<T>::infinity();
}

// The dropout multipliers of row (b, i), keys [j0, j0 + bc) (j0 a multiple of 32): 1 / (1 - p) where kept, 0
// where dropped. Each row owns ceil(S / 32) groups of 32 uniform numbers, so forward and backward draw the same.
void dropout_row(const AttentionKernelArgs& a, int64_t row, int64_t keys, int64_t j0, int64_t bc, float* keep) {
  const int64_t groups_per_row = (keys + kUniformGroup - 1) / kUniformGroup;
  const int64_t groups = (bc + kUniformGroup - 1) / kUniformGroup;
  UniformGroupsF32 uniform = vector_math_f32().uniform;
  if (uniform == nullptr) uniform = &uniform_groups_scalar;
  uniform(a.key, row * groups_per_row + j0 / kUniformGroup, groups, 0.0f, 1.0f, keep);
  const float q = static_cast<float>(1.0 - a.dropout_p), scale = q > 0 ? 1.0f / q : 0.0f;
  for (int64_t c = 0; c < bc; ++c) keep[c] = keep[c] < q ? scale : 0.0f;
}

// dst[p * dst_stride + j] = src[j * src_stride + p] for j < rows, p < cols, in 16 x 16 tiles (a plain loop
// writes each row of the result a page apart).
template <class T>
void transpose_into(const T* src, int64_t rows, int64_t cols, int64_t src_stride, T* dst, int64_t dst_stride) {
  constexpr int64_t kTile = 16;
  for (int64_t j0 = 0; j0 < rows; j0 += kTile)
    for (int64_t p0 = 0; p0 < cols; p0 += kTile)
      for (int64_t p = p0; p < std::min(cols, p0 + kTile); ++p)
        for (int64_t j = j0; j < std::min(rows, j0 + kTile); ++j) dst[p * dst_stride + j] = src[j * src_stride + p];
}

// Keys a causal query block [i0, i0 + br) can see: [0, min(S, i0 + br)).
int64_t visible_keys(const AttentionKernelArgs& a, int64_t i0, int64_t br, int64_t keys) {
  return a.causal ? std::min(keys, i0 + br) : keys;
}

// flash_attention: in = {q [B, L, E], k [B, S, E], v [B, S, Ev]} contiguous; out[0] = o [B, L, Ev], lse [B, L].
void flash_attention_kernel(KernelArgs& base) {
  auto& a = static_cast<AttentionKernelArgs&>(base);
  const Tensor &q = a.in[0], &k = a.in[1], &v = a.in[2], &o = a.out[0];
  const int64_t batch = q.shape()[0], len = q.shape()[1], e = q.shape()[2];
  const int64_t keys = k.shape()[1], ev = v.shape()[2];
  const int64_t qblocks = (len + kQueryBlock - 1) / kQueryBlock;
  PG_DISPATCH_FLOATING(q.dtype(), "scaled_dot_product_attention", [&] {
    using T = scalar_t;
    const T ninf = -std::numeric_limits<T>::infinity();
    // K^T [B, E, S] once: every query block's score GEMM then packs contiguous rows, not a stride-E gather.
    std::vector<T> kt(static_cast<size_t>(batch * e * keys));
    parallel_for(0, batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        transpose_into(k.data<T>() + b * keys * e, keys, e, e, kt.data() + b * e * keys, keys);
      }
    });
    parallel_for(0, batch * qblocks, 1, [&](int64_t t0, int64_t t1) {
      T* s = thread_scratch<T>(static_cast<size_t>(kQueryBlock * (kKeyBlock + ev + 2)));
      T* acc = s + kQueryBlock * kKeyBlock;
      T* row_max = acc + kQueryBlock * ev;
      T* row_sum = row_max + kQueryBlock;
      for (int64_t task = t0; task < t1; ++task) {
        const int64_t b = task / qblocks, i0 = (task % qblocks) * kQueryBlock;
        const int64_t br = std::min(kQueryBlock, len - i0);
        const T* qb = q.data<T>() + (b * len + i0) * e;
        std::fill(acc, acc + br * ev, T(0));
        std::fill(row_max, row_max + br, ninf);
        std::fill(row_sum, row_sum + br, T(0));
        const int64_t visible = visible_keys(a, i0, br, keys);
        for (int64_t j0 = 0; j0 < visible; j0 += kKeyBlock) {
          const int64_t bc = std::min(kKeyBlock, visible - j0);
          score_tile(a, qb, kt.data() + b * e * keys + j0, 1, keys, b, i0, br, j0, bc, e, s);
          for (int64_t r = 0; r < br; ++r) {
            T* sr = s + r * bc;
            const T new_max = std::max(row_max[r], max_array(sr, bc));
            if (new_max == ninf) {  // every key so far masked: this tile adds nothing
              std::fill(sr, sr + bc, T(0));
              continue;
            }
            const T rescale = row_max[r] == ninf ? T(0) : std::exp(row_max[r] - new_max);
            row_sum[r] = row_sum[r] * rescale + exp_shift_sum(sr, new_max, sr, bc);
            row_max[r] = new_max;
            if (rescale != T(1))
              for (int64_t c = 0; c < ev; ++c) acc[r * ev + c] *= rescale;
          }
          if (a.dropout_p > 0) {  // the softmax sums above are of the undropped weights
            float keep[kKeyBlock];
            for (int64_t r = 0; r < br; ++r) {
              dropout_row(a, b * len + i0 + r, keys, j0, bc, keep);
              for (int64_t c = 0; c < bc; ++c) s[r * bc + c] *= static_cast<T>(keep[c]);
            }
          }
          // acc [br, Ev] += P [br, bc] @ V [bc, Ev]
          gemm_in_cache(br, ev, bc, T(1), s, bc, 1, v.data<T>() + (b * keys + j0) * ev, ev, 1, T(1), acc, ev);
        }
        T* ob = o.data<T>() + (b * len + i0) * ev;
        T* lse = a.lse.data<T>() + b * len + i0;
        for (int64_t r = 0; r < br; ++r) {
          const bool empty = row_sum[r] == T(0);  // every key masked: zeros, as torch's safe softmax
          const T inv = empty ? T(0) : T(1) / row_sum[r];
          for (int64_t c = 0; c < ev; ++c) ob[r * ev + c] = acc[r * ev + c] * inv;
          lse[r] = empty ? ninf : row_max[r] + std::log(row_sum[r]);
        }
      }
    });
  });
}

// flash_attention_backward: in = {grad [B, L, Ev], q, k}, v, o, lse read; out = {dq, dk}, grad_v (all
// contiguous, all written). One task per batch entry owns its dq, dk and dv, so no two threads add into one
// value and the sums run in a fixed order. P = exp(S - lse), dV = P^T dO, dP = dO V^T, dS = P (dP - D) with
// D = rowsum(dO * O), dQ = scale dS K, dK = scale dS^T Q.
void flash_attention_backward_kernel(KernelArgs& base) {
  auto& a = static_cast<AttentionKernelArgs&>(base);
  const Tensor &grad = a.in[0], &q = a.in[1], &k = a.in[2], &v = a.v, &o = a.o;
  const int64_t batch = q.shape()[0], len = q.shape()[1], e = q.shape()[2];
  const int64_t keys = k.shape()[1], ev = v.shape()[2];
  PG_DISPATCH_FLOATING(q.dtype(), "scaled_dot_product_attention_backward", [&] {
    using T = scalar_t;
    const T ninf = -std::numeric_limits<T>::infinity();
    const T scale = static_cast<T>(a.scale);
    parallel_for(0, batch, 1, [&](int64_t b0, int64_t b1) {
      T* p = thread_scratch<T>(static_cast<size_t>(3 * kQueryBlock * kKeyBlock + (e + ev) * kKeyBlock + len));
      T* dp = p + kQueryBlock * kKeyBlock;
      T* keep = dp + kQueryBlock * kKeyBlock;  // dropout multipliers of the tile (with dropout)
      T* kt = keep + kQueryBlock * kKeyBlock;  // K^T and V^T of the key block: the score and dP GEMMs read rows
      T* vt = kt + e * kKeyBlock;
      T* d = vt + ev * kKeyBlock;
      for (int64_t b = b0; b < b1; ++b) {
        const T *gb = grad.data<T>() + b * len * ev, *qb = q.data<T>() + b * len * e;
        const T *kb = k.data<T>() + b * keys * e, *vb = v.data<T>() + b * keys * ev;
        const T *ob = o.data<T>() + b * len * ev, *lse = a.lse.data<T>() + b * len;
        T* dq = a.out[0].data<T>() + b * len * e;
        T* dk = a.out[1].data<T>() + b * keys * e;
        T* dv = a.grad_v.data<T>() + b * keys * ev;
        std::fill(dq, dq + len * e, T(0));
        std::fill(dk, dk + keys * e, T(0));
        std::fill(dv, dv + keys * ev, T(0));
        for (int64_t i = 0; i < len; ++i) {
          T sum = 0;
          for (int64_t c = 0; c < ev; ++c) sum += gb[i * ev + c] * ob[i * ev + c];
          d[i] = sum;
        }
        for (int64_t j0 = 0; j0 < keys; j0 += kKeyBlock) {
          const int64_t bc = std::min(kKeyBlock, keys - j0);
          // Causal: query rows before j0 see none of these keys.
          const int64_t first = a.causal ? (j0 / kQueryBlock) * kQueryBlock : 0;
          transpose_into(kb + j0 * e, bc, e, e, kt, bc);
          transpose_into(vb + j0 * ev, bc, ev, ev, vt, bc);
          for (int64_t i0 = first; i0 < len; i0 += kQueryBlock) {
            const int64_t br = std::min(kQueryBlock, len - i0);
            score_tile(a, qb + i0 * e, kt, 1, bc, b, i0, br, j0, bc, e, p);
            for (int64_t r = 0; r < br; ++r) {
              T* pr = p + r * bc;
              if (lse[i0 + r] == ninf) {  // a fully masked row: zero output, zero gradient
                std::fill(pr, pr + bc, T(0));
                continue;
              }
              exp_shift_sum(pr, lse[i0 + r], pr, bc);
            }
            const bool dropout = a.dropout_p > 0;
            if (dropout) {  // the forward's multipliers again; dp holds P with dropout applied, for dV
              float row_keep[kKeyBlock];
              for (int64_t r = 0; r < br; ++r) {
                dropout_row(a, b * len + i0 + r, keys, j0, bc, row_keep);
                for (int64_t c = 0; c < bc; ++c) {
                  keep[r * bc + c] = static_cast<T>(row_keep[c]);
                  dp[r * bc + c] = p[r * bc + c] * keep[r * bc + c];
                }
              }
            }
            // dV [bc, Ev] += (P with dropout)^T [bc, br] @ dO [br, Ev]
            gemm_in_cache(bc, ev, br, T(1), dropout ? dp : p, 1, bc, gb + i0 * ev, ev, 1, T(1), dv + j0 * ev, ev);
            // dP [br, bc] = dO [br, Ev] @ V^T [Ev, bc], times the dropout multipliers
            gemm_in_cache(br, bc, ev, T(1), gb + i0 * ev, ev, 1, vt, bc, 1, T(0), dp, bc);
            for (int64_t r = 0; r < br; ++r)
              for (int64_t c = 0; c < bc; ++c) {
                const T grad_p = dropout ? dp[r * bc + c] * keep[r * bc + c] : dp[r * bc + c];
                dp[r * bc + c] = p[r * bc + c] * (grad_p - d[i0 + r]);
              }
            // dQ [br, E] += scale dS [br, bc] @ K [bc, E]; dK [bc, E] += scale dS^T [bc, br] @ Q [br, E]
            gemm_in_cache(br, e, bc, scale, dp, bc, 1, kb + j0 * e, e, 1, T(1), dq + i0 * e, e);
            gemm_in_cache(bc, e, br, scale, dp, 1, bc, qb + i0 * e, e, 1, T(1), dk + j0 * e, e);
          }
        }
      }
    });
  });
}

const KernelRegistrar register_flash_attention(OpId::flash_attention, Device::CPU, &flash_attention_kernel);
const KernelRegistrar register_flash_attention_backward(OpId::flash_attention_backward, Device::CPU,
                                                        &flash_attention_backward_kernel);

}  // namespace
}  // namespace pygrad::cpu
