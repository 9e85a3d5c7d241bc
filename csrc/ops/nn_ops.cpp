// Network ops: validate, allocate, dispatch and record convolution and pooling primitives; batch_norm,
// layer_norm and embedding as composites of differentiable ops.
#include "ops/nn_ops.h"

#include <limits>

#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/record.h"

namespace pygrad {

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  const bool fused = x.defined() && w.defined() && x.dim() == 2 && w.dim() == 2 && is_floating(x.dtype()) &&
                     w.dtype() == x.dtype() && x.shape()[1] == w.shape()[1] && w.device() == x.device() &&
                     (!b.defined() || (b.dim() == 1 && b.shape()[0] == w.shape()[0] && b.dtype() == x.dtype() &&
                                       b.device() == x.device()));
  if (!fused) {  // the composite raises the usual errors for mismatched operands
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
  if (should_record({&x, &w, &b})) {
    auto node = make_node(OpId::linear, {&x, &w, &b});
    node->saved = {save_input(x), save_input(w)};
    out.set_history(node, 0);
  }
  return out;
}

namespace {

constexpr int64_t kMaxWindowValue = (int64_t{1} << 31) - 1;

// An int or (h, w) pair, each value >= minimum.
void to_pair(const Dims& values, int64_t out[2], int64_t minimum, const char* op, const char* what) {
  PG_CHECK(values.size() == 1 || values.size() == 2, ValueError, op, what, " must be an int or a pair of ints, got ",
           values);
  out[0] = values[0];
  out[1] = values.size() == 2 ? values[1] : values[0];
  for (int i = 0; i < 2; ++i)
    PG_CHECK(out[i] >= minimum && out[i] <= kMaxWindowValue, ValueError, op, what, " must be ",
             minimum == 0 ? "non-negative" : "positive", ", got ", values);
}

Dims pair_dims(const int64_t p[2]) { return {p[0], p[1]}; }

void check_floating(const Tensor& t, const char* op, const char* what) {
  PG_CHECK(is_floating(t.dtype()), TypeError, op, "expected a floating point ", what, ", got ", dtype_name(t.dtype()));
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op, const char* what) {
  PG_CHECK(a.dtype() == b.dtype(), TypeError, op, "expected ", what, " of dtype ", dtype_name(a.dtype()), ", got ",
           dtype_name(b.dtype()));
}

// [C, H, W] -> [1, C, H, W]; raises for other ranks.
Tensor batched(const Tensor& input, const char* op) {
  PG_CHECK(input.dim() == 3 || input.dim() == 4, ValueError, op,
           "expected input with 4 dims [N, C, H, W] (or 3 dims [C, H, W]), got ", input.shape());
  return input.dim() == 3 ? unsqueeze(input, 0) : input;
}

Tensor unbatched_like(const Tensor& out, const Tensor& input) { return input.dim() == 3 ? squeeze(out, Dims{0}) : out; }

int64_t pool_output_size(int64_t size, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  const int64_t span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= size + pad) --out;
  return out;
}

// Pooling window arguments, validated the way PyTorch does.
Window2d pool_window(const Tensor& x, const Dims& kernel_size, const Dims& stride, const Dims& padding,
                     const Dims& dilation, bool ceil_mode, const char* op, int64_t out_hw[2]) {
  Window2d win;
  to_pair(kernel_size, win.kernel, 1, op, "kernel_size");
  if (stride.empty()) {
    win.stride[0] = win.kernel[0], win.stride[1] = win.kernel[1];
  } else {
    to_pair(stride, win.stride, 1, op, "stride");
  }
  to_pair(padding, win.pad, 0, op, "padding");
  to_pair(dilation, win.dilation, 1, op, "dilation");
  for (int i = 0; i < 2; ++i)
    PG_CHECK(win.pad[i] * 2 <= win.kernel[i], ValueError, op, "pad should be at most half of kernel size, got padding ",
             pair_dims(win.pad), " and kernel_size ", pair_dims(win.kernel));
  for (int i = 0; i < 2; ++i)
    out_hw[i] = pool_output_size(x.shape()[2 + i], win.kernel[i], win.pad[i], win.stride[i], win.dilation[i], ceil_mode);
  PG_CHECK(out_hw[0] >= 1 && out_hw[1] >= 1, ValueError, op, "input of shape ", x.shape(), " is too small: kernel_size ",
           pair_dims(win.kernel), ", stride ", pair_dims(win.stride), ", padding ", pair_dims(win.pad), ", dilation ",
           pair_dims(win.dilation), " give an output of size ", pair_dims(out_hw));
  return win;
}

void check_pool_input(const Tensor& x, const char* op) {
  check_floating(x, op, "input");
  PG_CHECK(x.shape()[1] > 0 && x.shape()[2] > 0 && x.shape()[3] > 0, ValueError, op,
           "expected input with non-zero channels, height and width, got ", x.shape());
}

struct ConvArgs {
  Window2d win;
  int64_t groups;
};

ConvArgs conv_args(const Dims& stride, const Dims& padding, const Dims& dilation, int64_t groups, const char* op) {
  ConvArgs a;
  to_pair(stride, a.win.stride, 1, op, "stride");
  to_pair(padding, a.win.pad, 0, op, "padding");
  to_pair(dilation, a.win.dilation, 1, op, "dilation");
  PG_CHECK(groups >= 1, ValueError, op, "groups must be positive, got ", groups);
  a.groups = groups;
  return a;
}

Tensor run_conv_kernel(OpId op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c,
                       const ConvArgs& conv) {
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = a;
  args.in[1] = b;
  args.in[2] = c;
  store_window(conv.win, args);
  args.scalars[0] = static_cast<double>(conv.groups);
  run_kernel(op, args);
  return out;
}

void record_conv(OpId op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor* bias, const ConvArgs& conv,
                 const Shape& shape) {
  const bool with_bias = bias && bias->defined();
  if (!(with_bias ? should_record({&a, &b, bias}) : should_record({&a, &b}))) return;
  auto node = with_bias ? make_node(op, {&a, &b, bias}) : make_node(op, {&a, &b});
  node->saved = {save_input(a), save_input(b)};
  node->ints = {conv.win.stride[0], conv.win.stride[1], conv.win.pad[0],      conv.win.pad[1],
                conv.win.dilation[0], conv.win.dilation[1], conv.groups};
  node->shapes = {shape};
  out.set_history(node, 0);
}

}  // namespace

// ---------------------------------------------------------------- convolution
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Dims& stride, const Dims& padding,
              const Dims& dilation, int64_t groups) {
  const char* op = "conv2d";
  check_floating(input, op, "input");
  check_same_dtype(input, weight, op, "weight");
  PG_CHECK(weight.dim() == 4, ValueError, op, "expected weight with 4 dims [O, C/groups, kH, kW], got ", weight.shape());
  Tensor x4 = batched(input, op);
  ConvArgs conv = conv_args(stride, padding, dilation, groups, op);
  const int64_t channels = x4.shape()[1], out_channels = weight.shape()[0];
  PG_CHECK(channels % groups == 0, ValueError, op, "input channels ", channels, " are not divisible by groups=", groups);
  PG_CHECK(out_channels % groups == 0, ValueError, op, "weight of shape ", weight.shape(),
           ": out channels are not divisible by groups=", groups);
  PG_CHECK(weight.shape()[1] * groups == channels, ValueError, op, "weight of shape ", weight.shape(), " with groups=",
           groups, " expects input with ", weight.shape()[1] * groups, " channels, got input of shape ", input.shape());
  if (bias.defined()) {
    check_same_dtype(input, bias, op, "bias");
    PG_CHECK(bias.dim() == 1 && bias.shape()[0] == out_channels, ValueError, op, "expected bias of shape [",
             out_channels, "], got ", bias.shape());
  }
  Shape out_shape{x4.shape()[0], out_channels, 0, 0};
  for (int i = 0; i < 2; ++i) {
    conv.win.kernel[i] = weight.shape()[2 + i];
    const int64_t padded = x4.shape()[2 + i] + 2 * conv.win.pad[i];
    const int64_t effective = conv.win.dilation[i] * (weight.shape()[2 + i] - 1) + 1;
    PG_CHECK(effective <= padded, ValueError, op, "kernel size ", effective, " (dilated) is larger than the padded input size ",
             padded, " (input ", input.shape(), ", weight ", weight.shape(), ", padding ", pair_dims(conv.win.pad), ")");
    out_shape[2 + i] = (padded - effective) / conv.win.stride[i] + 1;
  }
  Tensor x = contiguous(x4), w = contiguous(weight), b = bias.defined() ? contiguous(bias) : Tensor();
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op);
  run_conv_kernel(OpId::conv2d, out, x, w, b, conv);
  record_conv(OpId::conv2d, out, x, w, &b, conv, x.shape());
  return unbatched_like(out, input);
}

Tensor conv2d_input_backward(const Tensor& grad_in, const Tensor& weight, const Shape& input_shape, const Dims& stride,
                             const Dims& padding, const Dims& dilation, int64_t groups) {
  const char* op = "conv2d_input_backward";
  check_same_dtype(grad_in, weight, op, "weight");
  ConvArgs conv = conv_args(stride, padding, dilation, groups, op);
  PG_CHECK(grad_in.dim() == 4 && weight.dim() == 4 && input_shape.size() == 4 &&
               grad_in.shape()[1] == weight.shape()[0] && input_shape[1] == weight.shape()[1] * groups,
           ValueError, op, "inconsistent shapes: grad ", grad_in.shape(), ", weight ", weight.shape(), ", input ",
           input_shape);
  Tensor grad = contiguous(grad_in), w = contiguous(weight);
  Tensor out = Tensor::empty(input_shape, grad.dtype(), grad.device(), op);
  run_conv_kernel(OpId::conv2d_input_backward, out, grad, w, Tensor(), conv);
  record_conv(OpId::conv2d_input_backward, out, grad, w, nullptr, conv, weight.shape());
  return out;
}

Tensor conv2d_weight_backward(const Tensor& grad_in, const Tensor& input, const Shape& weight_shape, const Dims& stride,
                              const Dims& padding, const Dims& dilation, int64_t groups) {
  const char* op = "conv2d_weight_backward";
  check_same_dtype(grad_in, input, op, "input");
  ConvArgs conv = conv_args(stride, padding, dilation, groups, op);
  PG_CHECK(grad_in.dim() == 4 && input.dim() == 4 && weight_shape.size() == 4 && grad_in.shape()[1] == weight_shape[0] &&
               input.shape()[1] == weight_shape[1] * groups && grad_in.shape()[0] == input.shape()[0],
           ValueError, op, "inconsistent shapes: grad ", grad_in.shape(), ", input ", input.shape(), ", weight ",
           weight_shape);
  Tensor grad = contiguous(grad_in), x = contiguous(input);
  Tensor out = Tensor::empty(weight_shape, grad.dtype(), grad.device(), op);
  run_conv_kernel(OpId::conv2d_weight_backward, out, grad, x, Tensor(), conv);
  record_conv(OpId::conv2d_weight_backward, out, grad, x, nullptr, conv, x.shape());
  return out;
}

// ---------------------------------------------------------------- pooling
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const Dims& kernel_size, const Dims& stride,
                                                  const Dims& padding, const Dims& dilation, bool ceil_mode) {
  const char* op = "max_pool2d";
  Tensor x = batched(input, op);
  check_pool_input(x, op);
  int64_t out_hw[2];
  Window2d win = pool_window(x, kernel_size, stride, padding, dilation, ceil_mode, op, out_hw);
  x = contiguous(x);
  Shape out_shape{x.shape()[0], x.shape()[1], out_hw[0], out_hw[1]};
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op);
  Tensor indices = Tensor::empty(out_shape, DType::Int64, x.device(), op);
  KernelArgs args;
  args.out[0] = out;
  args.out[1] = indices;
  args.in[0] = x;
  store_window(win, args);
  run_kernel(OpId::max_pool2d, args);
  if (should_record({&x})) {
    auto node = make_node(OpId::max_pool2d, {&x});
    node->saved = {save_input(indices)};
    node->shapes = {x.shape()};
    out.set_history(node, 0);
  }
  return {unbatched_like(out, input), unbatched_like(indices, input)};
}

Tensor max_pool2d_backward(const Tensor& grad_in, const Tensor& indices, const Shape& input_shape) {
  const char* op = "max_pool2d_backward";
  PG_CHECK(grad_in.dim() == 4 && grad_in.shape() == indices.shape() && input_shape.size() == 4 &&
               grad_in.shape()[0] == input_shape[0] && grad_in.shape()[1] == input_shape[1],
           ValueError, op, "inconsistent shapes: grad ", grad_in.shape(), ", indices ", indices.shape(), ", input ",
           input_shape);
  PG_CHECK(indices.dtype() == DType::Int64, TypeError, op, "indices must be int64, got ", dtype_name(indices.dtype()));
  Tensor grad = contiguous(grad_in), idx = contiguous(indices);
  Tensor out = Tensor::empty(input_shape, grad.dtype(), grad.device(), op);
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = grad;
  args.in[1] = idx;
  run_kernel(OpId::max_pool2d_backward, args);
  if (should_record({&grad})) {
    auto node = make_node(OpId::max_pool2d_backward, {&grad});
    node->saved = {save_input(idx)};
    out.set_history(node, 0);
  }
  return out;
}

namespace {
Tensor run_avg_pool(OpId op, const Tensor& in, const Shape& out_shape, const Window2d& win, bool count_include_pad,
                    int64_t divisor_override, bool ceil_mode) {
  Tensor x = contiguous(in);
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op_name(op));
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  store_window(win, args);
  args.scalars[0] = count_include_pad ? 1.0 : 0.0;
  args.scalars[1] = static_cast<double>(divisor_override);
  run_kernel(op, args);
  if (should_record({&x})) {
    auto node = make_node(op, {&x});
    node->ints = {win.kernel[0], win.kernel[1], win.stride[0], win.stride[1], win.pad[0], win.pad[1],
                  count_include_pad ? 1 : 0, divisor_override, ceil_mode ? 1 : 0};
    node->shapes = {x.shape()};
    out.set_history(node, 0);
  }
  return out;
}
}  // namespace

Tensor avg_pool2d(const Tensor& input, const Dims& kernel_size, const Dims& stride, const Dims& padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  const char* op = "avg_pool2d";
  Tensor x = batched(input, op);
  check_pool_input(x, op);
  PG_CHECK(!divisor_override || *divisor_override != 0, ValueError, op, "divisor must be not zero");
  int64_t out_hw[2];
  Window2d win = pool_window(x, kernel_size, stride, padding, {1}, ceil_mode, op, out_hw);
  Tensor out = run_avg_pool(OpId::avg_pool2d, x, {x.shape()[0], x.shape()[1], out_hw[0], out_hw[1]}, win,
                            count_include_pad, divisor_override.value_or(0), ceil_mode);
  return unbatched_like(out, input);
}

Tensor avg_pool2d_backward(const Tensor& grad, const Shape& input_shape, const Dims& kernel_size, const Dims& stride,
                           const Dims& padding, bool ceil_mode, bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d_backward";
  PG_CHECK(grad.dim() == 4 && input_shape.size() == 4, ValueError, op, "inconsistent shapes: grad ", grad.shape(),
           ", input ", input_shape);
  Window2d win;
  to_pair(kernel_size, win.kernel, 1, op, "kernel_size");
  to_pair(stride, win.stride, 1, op, "stride");
  to_pair(padding, win.pad, 0, op, "padding");
  return run_avg_pool(OpId::avg_pool2d_backward, grad, input_shape, win, count_include_pad, divisor_override, ceil_mode);
}

Tensor adaptive_avg_pool2d(const Tensor& input, const Dims& output_size) {
  const char* op = "adaptive_avg_pool2d";
  Tensor x = batched(input, op);
  check_pool_input(x, op);
  PG_CHECK(output_size.size() == 1 || output_size.size() == 2, ValueError, op,
           "output_size must be an int or a pair, got ", output_size);
  Shape out_shape{x.shape()[0], x.shape()[1], 0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t size = output_size.size() == 2 ? output_size[i] : output_size[0];
    if (size == -1) size = x.shape()[2 + i];
    PG_CHECK(size >= 1, ValueError, op, "output_size must be positive, got ", output_size);
    out_shape[2 + i] = size;
  }
  x = contiguous(x);
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op);
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  run_kernel(OpId::adaptive_avg_pool2d, args);
  if (should_record({&x})) {
    auto node = make_node(OpId::adaptive_avg_pool2d, {&x});
    node->shapes = {x.shape()};
    out.set_history(node, 0);
  }
  return unbatched_like(out, input);
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_in, const Shape& input_shape) {
  const char* op = "adaptive_avg_pool2d_backward";
  PG_CHECK(grad_in.dim() == 4 && input_shape.size() == 4, ValueError, op, "inconsistent shapes: grad ",
           grad_in.shape(), ", input ", input_shape);
  Tensor grad = contiguous(grad_in);
  Tensor out = Tensor::empty(input_shape, grad.dtype(), grad.device(), op);
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = grad;
  run_kernel(OpId::adaptive_avg_pool2d_backward, args);
  if (should_record({&grad})) {
    auto node = make_node(OpId::adaptive_avg_pool2d_backward, {&grad});
    node->shapes = {grad.shape()};
    out.set_history(node, 0);
  }
  return out;
}

// ---------------------------------------------------------------- normalisation and embedding (composites)
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
  Dims dims;
  for (int64_t d = input.dim() - k; d < input.dim(); ++d) dims.push_back(d);
  Tensor centered = sub(input, mean(input, dims, true));
  Tensor invstd = rsqrt(add(mean(mul(centered, centered), dims, true), wrapped_scalar(eps)));
  Tensor out = mul(centered, invstd);
  if (weight.defined()) out = mul(out, weight);
  return bias.defined() ? add(out, bias) : out;
}

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
  const char* op = "embedding";
  PG_CHECK(input.dtype() == DType::Int64, TypeError, op, "indices must be an int64 tensor, got ",
           dtype_name(input.dtype()));
  PG_CHECK(weight.dim() == 2, ValueError, op, "expected weight with 2 dims [num_embeddings, embedding_dim], got ",
           weight.shape());
  const int64_t rows = weight.shape()[0];
  Tensor flat = reshape(input, {input.numel()});
  Tensor out = index_select(weight, 0, flat);
  if (padding_idx) {
    int64_t pad = *padding_idx;
    PG_CHECK(pad >= -rows && pad < rows, ValueError, op, "padding_idx must be within num_embeddings (", rows, "), got ",
             pad);
    if (pad < 0) pad += rows;
    if (out.requires_grad()) {  // rows looked up at padding_idx pass no gradient to the weight
      Tensor is_pad = unsqueeze(eq(flat, wrapped_scalar(pad)), 1);
      out = where(is_pad, detach(out), out);
    }
  }
  Shape shape = input.shape();
  shape.push_back(weight.shape()[1]);
  return reshape(out, shape);
}

}  // namespace pygrad
