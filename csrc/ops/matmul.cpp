// Products: matmul (batched, broadcast, vectors promoted as in numpy) and the fused linear layer.
#include "ops/nn_ops.h"
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  if (autocast_state().cpu_enabled) {  // a lower-precision op under autocast: cast, then run with autocast off
    const Tensor a = autocast_lower(a_in), b = autocast_lower(b_in);
    AutocastOffGuard off;
    return matmul(a, b);
  }
  PG_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, ValueError, "matmul", "both arguments need at least 1 dimension, got ",
           a_in.shape(), " and ", b_in.shape());
  PG_CHECK(a_in.dtype() == b_in.dtype(), TypeError, "matmul", "expected both operands to have the same dtype, got ",
           dtype_name(a_in.dtype()), " and ", dtype_name(b_in.dtype()));
  PG_CHECK(a_in.dtype() != DType::Bool, TypeError, "matmul", "is not supported for bool tensors");
  check_same_device(a_in, b_in, "matmul");
  // float16 multiplies in float32 and rounds once; narrow integers in int64. bfloat16 has its own GEMM (float32
  // sums, rounded once).
  if (a_in.dtype() != DType::BFloat16 && kernel_dtype(a_in.dtype()) != a_in.dtype()) {
    const DType k = kernel_dtype(a_in.dtype());
    return as_dtype(matmul(as_dtype(a_in, k), as_dtype(b_in, k)), a_in.dtype());
  }
  const bool a_vector = a_in.dim() == 1, b_vector = b_in.dim() == 1;
  Tensor a = a_vector ? unsqueeze(a_in, 0) : a_in;
  Tensor b = b_vector ? unsqueeze(b_in, 1) : b_in;
  const int64_t k = a.shape().back();
  PG_CHECK(k == b.shape()[b.dim() - 2], ValueError, "matmul", "shapes ", a_in.shape(), " and ", b_in.shape(),
           " cannot be multiplied (", k, " != ", b.shape()[b.dim() - 2], ")");
  Shape a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape a_full = batch, b_full = batch, out_shape = batch;
  a_full.insert(a_full.end(), {a.shape()[a.dim() - 2], k});
  b_full.insert(b_full.end(), {k, b.shape().back()});
  out_shape.insert(out_shape.end(), {a.shape()[a.dim() - 2], b.shape().back()});
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device(), "matmul");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = expand_view(a, a_full);
  args.in[1] = expand_view(b, b_full);
  run_kernel(OpId::matmul, args);
  record(OpId::matmul, {&a, &b}, out, Forward().self(a).other(b));
  if (a_vector) out = squeeze(out, Dims{out.dim() - 2});
  if (b_vector) out = squeeze(out, Dims{out.dim() - 1});
  return out;
}

Tensor linear(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in) {
  if (autocast_state().cpu_enabled) {
    const Tensor x = autocast_lower(x_in), w = autocast_lower(w_in), b = autocast_lower(b_in);
    AutocastOffGuard off;
    return linear(x, w, b);
  }
  const Tensor &x = x_in, &w = w_in, &b = b_in;
  const bool fusable = x.defined() && w.defined() && x.dim() >= 2 && w.dim() == 2 && is_floating(x.dtype()) &&
                       x.dtype() != DType::Float16 && w.dtype() == x.dtype() && x.shape().back() == w.shape()[1] &&
                       w.device() == x.device() &&
                       (!b.defined() || (b.dim() == 1 && b.shape()[0] == w.shape()[0] && b.dtype() == x.dtype() &&
                                         b.device() == x.device()));
  if (fusable && x.dim() > 2) {
    // [..., in] as one [rows, in] GEMM: the weight's gradient is then one product over all rows, not a batched
    // product summed over the batch, and the bias joins the GEMM's write-out.
    Shape out_shape(x.shape().begin(), x.shape().end() - 1);
    int64_t rows = 1;
    for (int64_t d : out_shape) rows *= d;
    out_shape.push_back(w.shape()[0]);
    return reshape(linear(reshape(x, {rows, x.shape().back()}), w, b), out_shape);
  }
  if (!fusable) {  // the composite raises the usual errors for mismatched operands
    Tensor out = matmul(x, w.dim() > 1 ? transpose(w, -2, -1) : w);
    return b.defined() ? add(out, b) : out;
  }
  const int64_t n = x.shape()[0], k = x.shape()[1], m = w.shape()[0];
  Tensor out = Tensor::empty({n, m}, x.dtype(), x.device(), "linear");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  args.in[1] = w.make_view({k, m}, {w.strides()[1], w.strides()[0]}, w.offset());  // weight.T, no copy
  if (b.defined()) args.in[2] = b;  // added in the GEMM's write-out (gemm_bias_act), no second pass over out
  run_kernel(OpId::matmul, args);
  record(OpId::linear, {&x, &w, &b}, out, Forward().self(x).other(w));
  return out;
}

}  // namespace pygrad
