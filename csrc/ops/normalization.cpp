// Normalisation ops: batch_norm as a composite of differentiable ops; layer_norm as one fused primitive (a
// statistics-normalise-scale pass per row) whose gradient is one fused kernel, or ops when differentiated again.
#include <tuple>

#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/nn_ops.h"
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

namespace {
void check_param(const Tensor& t, const Shape& shape, const Tensor& input, const char* op, const char* what) {
  if (!t.defined()) return;
  check_same_dtype(input, t, op, what);
  PG_CHECK(t.shape() == shape, ValueError, op, "expected ", what, " of shape ", shape, ", got ", t.shape());
}
}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  check_floating(input, op, "input");
  PG_CHECK(input.dim() >= 2, ValueError, op, "expected input with at least 2 dims [N, C, *], got ", input.shape());
  const int64_t channels = input.shape()[1];
  const Shape param_shape{channels};
  check_param(weight, param_shape, input, op, "weight");
  check_param(bias, param_shape, input, op, "bias");
  for (const Tensor* t : {&running_mean, &running_var})
    if (t->defined()) {
      check_floating(*t, op, "running statistic");
      PG_CHECK(t->shape() == param_shape, ValueError, op, "expected running statistics of shape ", param_shape,
               ", got ", t->shape());
    }
  PG_CHECK(running_mean.defined() == running_var.defined(), ValueError, op,
           "running_mean and running_var must be given together");
  Shape broadcast(input.dim(), 1);
  broadcast[1] = channels;
  Dims dims{0};
  for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
  Tensor scale, shift;  // y = x * scale + shift (per channel, broadcast)
  if (training) {
    const int64_t count = channels ? input.numel() / channels : 0;
    PG_CHECK(count > 1, ValueError, op, "expected more than 1 value per channel when training, got input of shape ",
             input.shape());
    Tensor mu = mean(input, dims, true);
    Tensor centered = sub(input, mu);
    Tensor biased_var = mean(mul(centered, centered), dims, true);
    Tensor invstd = rsqrt(add(biased_var, wrapped_scalar(eps)));
    if (running_mean.defined()) {
      GradModeGuard no_grad(false);
      Tensor batch_mean = reshape(detach(mu), param_shape);
      Tensor unbiased = mul(reshape(detach(biased_var), param_shape),
                            wrapped_scalar(static_cast<double>(count) / static_cast<double>(count - 1)));
      add_(mul_(running_mean, wrapped_scalar(1.0 - momentum)), mul(batch_mean, wrapped_scalar(momentum)));
      add_(mul_(running_var, wrapped_scalar(1.0 - momentum)), mul(unbiased, wrapped_scalar(momentum)));
    }
    Tensor out = mul(centered, weight.defined() ? mul(invstd, reshape(weight, broadcast)) : invstd);
    return bias.defined() ? add(out, reshape(bias, broadcast)) : out;
  }
  PG_CHECK(running_mean.defined(), ValueError, op, "running_mean and running_var must be defined in evaluation mode");
  Tensor invstd = rsqrt(add(to_dtype(running_var, input.dtype()), wrapped_scalar(eps)));
  scale = weight.defined() ? mul(invstd, weight) : invstd;
  shift = neg(mul(to_dtype(running_mean, input.dtype()), scale));
  if (bias.defined()) shift = add(shift, bias);
  return add(mul(input, reshape(scale, broadcast)), reshape(shift, broadcast));
}

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* op = "layer_norm";
  check_floating(input, op, "input");
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  PG_CHECK(k >= 1, ValueError, op, "normalized_shape must have at least one dim");
  bool matches = input.dim() >= k;
  for (int64_t i = 0; matches && i < k; ++i) matches = input.shape()[input.dim() - k + i] == normalized_shape[i];
  PG_CHECK(matches, ValueError, op, "expected input with shape [*, ", shape_to_string(normalized_shape).substr(1),
           ", got ", input.shape());
  check_param(weight, normalized_shape, input, op, "weight");
  check_param(bias, normalized_shape, input, op, "bias");
  if (is_reduced_floating(input.dtype()))  // float32 statistics and arithmetic, rounded once, as torch does
    return as_dtype(layer_norm(widen_reduced(input), normalized_shape, widen_reduced(weight), widen_reduced(bias), eps),
                    input.dtype());
  int64_t n = 1;
  for (int64_t s : normalized_shape) n *= s;
  const int64_t rows = n == 0 ? 0 : input.numel() / n;
  // The primitive sees rows [M, N] and flat parameters [N]; the reshapes are views (recorded when needed).
  Tensor x = contiguous(reshape(input, {rows, n}));
  Tensor w = weight.defined() ? contiguous(reshape(weight, {n})) : Tensor();
  Tensor b = bias.defined() ? contiguous(reshape(bias, {n})) : Tensor();
  Tensor out = Tensor::empty({rows, n}, x.dtype(), x.device(), op);
  Tensor stats = Tensor::empty({2, rows}, x.dtype(), x.device(), op);
  if (n > 0) {
    LayerNormKernelArgs args;
    args.in[0] = x, args.in[1] = w, args.in[2] = b;
    args.out[0] = out;
    args.stats = stats;
    args.eps = eps;
    run_kernel(OpId::layer_norm, args);
  }
  record(OpId::layer_norm, {&x, &w, &b}, out, Forward().self(x).other(w).stats(stats), ScalarParams{eps});
  return reshape(out, input.shape());
}

std::tuple<Tensor, Tensor, Tensor> layer_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                                                       const Tensor& stats, bool input_grad, bool weight_grad,
                                                       bool bias_grad) {
  const char* op = "layer_norm_backward";
  const int64_t n = x.shape()[1];
  LayerNormKernelArgs args;
  args.in[0] = contiguous(grad), args.in[1] = x, args.in[2] = weight;
  if (input_grad) args.out[0] = Tensor::empty(x.shape(), x.dtype(), x.device(), op);
  if (weight_grad) args.out[1] = Tensor::empty({n}, x.dtype(), x.device(), op);
  if (bias_grad) args.grad_bias = Tensor::empty({n}, x.dtype(), x.device(), op);
  args.stats = stats;
  if (x.numel() > 0) {
    run_kernel(OpId::layer_norm_backward, args);
  } else {  // no rows: the parameter gradients are sums over nothing
    for (Tensor* t : {&args.out[1], &args.grad_bias})
      if (t->defined()) *t = zeros({n}, x.dtype());
  }
  return {args.out[0], args.out[1], args.grad_bias};
}

}  // namespace pygrad
