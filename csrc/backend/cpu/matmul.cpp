// CPU matmul kernel: batched (broadcast batch dims already expanded by the ops layer) over the packed GEMM, and
// over the bfloat16 GEMM for bfloat16 operands.
#include <vector>

#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/half_convert/half_convert.h"
#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

// Element offset in t of batch `linear` (row-major over batch_shape, t's leading dims).
int64_t batch_offset(const Tensor& t, const Shape& batch_shape, int64_t linear) {
  int64_t off = 0;
  for (int64_t d = static_cast<int64_t>(batch_shape.size()) - 1; d >= 0; --d) {
    off += (linear % batch_shape[d]) * t.strides()[d];
    linear /= batch_shape[d];
  }
  return off;
}

// bias (optional, [n], any stride): added to every row of out in the GEMM's write-out (the fused linear op).
template <class T>
void matmul_batches(const Tensor& a, const Tensor& b, const Tensor& out, const Tensor& bias) {
  const int64_t nd = a.dim();
  const int64_t m = a.shape()[nd - 2], k = a.shape()[nd - 1], n = b.shape()[nd - 1];
  const int64_t batch = out.numel() / std::max<int64_t>(m * n, 1);
  if (out.numel() == 0) return;
  const Shape batch_shape(out.shape().begin(), out.shape().end() - 2);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  const int64_t ars = a.strides()[nd - 2], acs = a.strides()[nd - 1];
  const int64_t brs = b.strides()[nd - 2], bcs = b.strides()[nd - 1];
  auto one = [&](int64_t i, int threads) {
    const T* ai = pa + batch_offset(a, batch_shape, i);
    const T* bi = pb + batch_offset(b, batch_shape, i);
    T* ci = pc + i * m * n;
    if constexpr (std::is_floating_point<T>::value) {
      if (bias.defined()) {
        gemm_bias_act(m, n, k, T(1), ai, ars, acs, bi, brs, bcs, T(0), ci, n, 1, bias.data<T>(), bias.strides()[0],
                      Activation::None, threads);
      } else {
        gemm(m, n, k, T(1), ai, ars, acs, bi, brs, bcs, T(0), ci, n, 1, threads);
      }
    } else {
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < n; ++c) {
          T acc = 0;
          for (int64_t p = 0; p < k; ++p) acc += ai[r * ars + p * acs] * bi[p * brs + c * bcs];
          ci[r * n + c] = acc;
        }
    }
  };
  const int64_t work = m * n * std::max<int64_t>(k, 1);
  if (batch > 1 && work < 64 * 64 * 64) {
    // Many small products: threads take whole batches, each GEMM single-threaded.
    parallel_for(0, batch, std::max<int64_t>(1, 64 * 64 * 64 / std::max<int64_t>(work, 1)), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) one(i, 1);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i, get_num_threads());
  }
}

// bfloat16 operands: gemm_bf16 adds the bias to each product's float32 sums and rounds once to bfloat16.
void matmul_batches_bf16(const Tensor& a, const Tensor& b, const Tensor& out, const Tensor& bias) {
  const int64_t nd = a.dim();
  const int64_t m = a.shape()[nd - 2], k = a.shape()[nd - 1], n = b.shape()[nd - 1];
  if (out.numel() == 0) return;
  const int64_t batch = out.numel() / (m * n);
  const Shape batch_shape(out.shape().begin(), out.shape().end() - 2);
  const auto* pa = reinterpret_cast<const uint16_t*>(a.data<BFloat16>());
  const auto* pb = reinterpret_cast<const uint16_t*>(b.data<BFloat16>());
  BFloat16* pc = out.data<BFloat16>();
  std::vector<float> bias_f32;
  if (bias.defined()) {
    bias_f32.resize(static_cast<size_t>(n));
    widen_strided(bias.data<BFloat16>(), bias.strides()[0], bias_f32.data(), n);
  }
  auto one = [&](int64_t i, int threads) {
    gemm_bf16(m, n, k, pa + batch_offset(a, batch_shape, i), a.strides()[nd - 2], a.strides()[nd - 1],
              pb + batch_offset(b, batch_shape, i), b.strides()[nd - 2], b.strides()[nd - 1],
              reinterpret_cast<uint16_t*>(pc + i * m * n), n, bias.defined() ? bias_f32.data() : nullptr, threads);
  };
  const int64_t work = m * n * std::max<int64_t>(k, 1);
  if (batch > 1 && work < 64 * 64 * 64) {
    parallel_for(0, batch, std::max<int64_t>(1, 64 * 64 * 64 / std::max<int64_t>(work, 1)), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) one(i, 1);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i, get_num_threads());
  }
}

// matmul: in = {a [..., m, k], b [..., k, n], optional bias [n] (floating, 2-D only)} with equal batch dims
// (views); out contiguous [..., m, n].
void matmul_kernel(KernelArgs& args) {
  const Tensor &a = args.in[0], &b = args.in[1], &out = args.out[0], &bias = args.in[2];
  PG_CHECK(!bias.defined() || (a.dim() == 2 && bias.dim() == 1 && bias.dtype() == a.dtype() && is_floating(a.dtype())),
           RuntimeError, "matmul", "bias needs 2-D floating operands");
  switch (a.dtype()) {
    case DType::Float32: return matmul_batches<float>(a, b, out, bias);
    case DType::Float64: return matmul_batches<double>(a, b, out, bias);
    case DType::BFloat16: return matmul_batches_bf16(a, b, out, bias);
    case DType::Int64: return matmul_batches<int64_t>(a, b, out, bias);
    default: PG_THROW(TypeError, "matmul", "no CPU kernel for dtype ", dtype_name(a.dtype()));
  }
}

const KernelRegistrar register_matmul(OpId::matmul, Device::CPU, &matmul_kernel);

}  // namespace
}  // namespace pygrad::cpu
