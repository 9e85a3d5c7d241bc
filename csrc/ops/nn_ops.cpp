// Network ops: the one normalisation of window arguments; convolution and pooling primitives (validate,
// allocate, dispatch, record); embedding as a composite of differentiable ops.
#include "ops/nn_ops.h"

#include <limits>

#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/op_helpers.h"
#include "ops/record.h"
#include "ops/shape_ops.h"

namespace pygrad {

namespace {

constexpr int64_t kMaxWindowValue = (int64_t{1} << 31) - 1;

// An int or `n` ints, each in [minimum, 2^31), written right-aligned into out[3] (leading entries untouched).
void to_spatial(const Dims& values, int64_t n, int64_t out[3], int64_t minimum, const char* op, const char* what) {
  PG_CHECK(values.size() == 1 || static_cast<int64_t>(values.size()) == n, ValueError, op, what, " must be an int or ",
           n, " ints, got ", values);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = values.size() == 1 ? values[0] : values[i];
    PG_CHECK(v >= minimum && v <= kMaxWindowValue, ValueError, op, what, " must be ",
             minimum == 0 ? "non-negative" : "positive", ", got ", values);
    out[3 - n + i] = v;
  }
}

// An int or (h, w) pair, each value in [minimum, 2^31).
void to_pair(const Dims& values, int64_t out[2], int64_t minimum, const char* op, const char* what) {
  int64_t full[3];
  to_spatial(values, 2, full, minimum, op, what);
  out[0] = full[1], out[1] = full[2];
}

// The last n entries of a right-aligned ConvParams array.
Dims spatial_dims(const int64_t values[3], int64_t n) { return Dims(values + 3 - n, values + 3); }

const char* conv_name(int64_t spatial) {
  static const char* names[] = {"conv1d", "conv2d", "conv3d"};
  return names[spatial - 1];
}

const char* conv_transpose_name(int64_t spatial) {
  static const char* names[] = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"};
  return names[spatial - 1];
}

void check_spatial(int64_t spatial) {
  PG_CHECK(spatial >= 1 && spatial <= 3, ValueError, "convolution", "expected 1, 2 or 3 spatial dims, got ", spatial);
}

// [C, *S] -> [1, C, *S]; raises for ranks other than spatial + 1 and spatial + 2.
Tensor batched_spatial(const Tensor& input, int64_t spatial, const char* op) {
  PG_CHECK(input.dim() == spatial + 1 || input.dim() == spatial + 2, ValueError, op, "expected ", spatial + 1,
           "-d (unbatched) or ", spatial + 2, "-d (batched) input, got input of shape ", input.shape());
  return input.dim() == spatial + 1 ? unsqueeze(input, 0) : input;
}

Dims pair_dims(const int64_t p[2]) { return {p[0], p[1]}; }

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

// The pooled output's (h, w) for x [N, C, H, W]; raises when the input is too small for the window.
void pool_output_hw(const Tensor& x, const Window2d& win, bool ceil_mode, const char* op, int64_t out_hw[2]) {
  for (int i = 0; i < 2; ++i)
    out_hw[i] =
        pool_output_size(x.shape()[2 + i], win.kernel[i], win.pad[i], win.stride[i], win.dilation[i], ceil_mode);
  PG_CHECK(out_hw[0] >= 1 && out_hw[1] >= 1, ValueError, op, "input of shape ", x.shape(),
           " is too small: kernel_size ", pair_dims(win.kernel), ", stride ", pair_dims(win.stride), ", padding ",
           pair_dims(win.pad), ", dilation ", pair_dims(win.dilation), " give an output of size ", pair_dims(out_hw));
}

void check_pool_input(const Tensor& x, const char* op) {
  check_floating(x, op, "input");
  PG_CHECK(x.shape()[1] > 0 && x.shape()[2] > 0 && x.shape()[3] > 0, ValueError, op,
           "expected input with non-zero channels, height and width, got ", x.shape());
}

Tensor run_conv_kernel(OpId op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c,
                       const ConvParams& params) {
  ConvKernelArgs args;
  args.out[0] = out;
  args.in[0] = a;
  args.in[1] = b;
  args.in[2] = c;
  args.params = params;
  run_kernel(op, args);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- argument normalisation (the one place)
Window2d pool_window(const Dims& kernel_size, const Dims& stride, const Dims& padding, const Dims& dilation,
                     const char* op) {
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
  return win;
}

ConvParams conv_params(int64_t spatial, int64_t in_channels, const Shape& weight_shape, const Dims& stride,
                       const Padding& padding, const Dims& dilation, int64_t groups, const char* op) {
  check_spatial(spatial);
  PG_CHECK(static_cast<int64_t>(weight_shape.size()) == spatial + 2, ValueError, op, "expected weight with ",
           spatial + 2, " dims [O, C/groups, *kernel], got ", weight_shape);
  PG_CHECK(groups >= 1, ValueError, op, "groups must be positive, got ", groups);
  PG_CHECK(in_channels % groups == 0, ValueError, op, "input channels ", in_channels,
           " are not divisible by groups=", groups);
  PG_CHECK(weight_shape[0] % groups == 0, ValueError, op, "weight of shape ", weight_shape,
           ": out channels are not divisible by groups=", groups);
  PG_CHECK(weight_shape[1] * groups == in_channels, ValueError, op, "weight of shape ", weight_shape,
           " with groups=", groups, " expects input with ", weight_shape[1] * groups, " channels, got ", in_channels);
  ConvParams p;
  p.spatial = spatial;
  p.groups = groups;
  to_spatial(stride, spatial, p.stride, 1, op, "stride");
  to_spatial(dilation, spatial, p.dilation, 1, op, "dilation");
  for (int64_t i = 0; i < spatial; ++i) {
    PG_CHECK(weight_shape[2 + i] >= 1, ValueError, op, "weight of shape ", weight_shape, " has an empty kernel");
    p.kernel[3 - spatial + i] = weight_shape[2 + i];
  }
  if (padding.mode.empty()) {
    to_spatial(padding.values, spatial, p.pad, 0, op, "padding");
  } else if (padding.mode != "valid") {
    PG_CHECK(padding.mode == "same", ValueError, op, "padding must be an int, ", spatial,
             " ints, 'valid' or 'same', got '", padding.mode, "'");
    for (int64_t i = 0; i < spatial; ++i)
      PG_CHECK(p.stride[3 - spatial + i] == 1, ValueError, op,
               "padding='same' is not supported for strided convolutions");
    for (int i = 0; i < 3; ++i) p.pad[i] = p.dilation[i] * (p.kernel[i] - 1) / 2;  // conv() pads the odd remainder
  }
  return p;
}

AvgPoolParams avg_pool2d_params(const Dims& kernel_size, const Dims& stride, const Dims& padding, bool ceil_mode,
                                bool count_include_pad, std::optional<int64_t> divisor_override) {
  PG_CHECK(!divisor_override || *divisor_override != 0, ValueError, "avg_pool2d", "divisor must be not zero");
  AvgPoolParams p;
  p.window = pool_window(kernel_size, stride, padding, {1}, "avg_pool2d");
  p.ceil_mode = ceil_mode;
  p.count_include_pad = count_include_pad;
  p.divisor_override = divisor_override.value_or(0);
  return p;
}

// ---------------------------------------------------------------- convolution
Tensor conv(int64_t spatial, const Tensor& input, const Tensor& weight, const Tensor& bias, const Dims& stride,
            const Padding& padding, const Dims& dilation, int64_t groups) {
  if (autocast_state().cpu_enabled) {  // a lower-precision op under autocast: cast, then run with autocast off
    const Tensor x = autocast_lower(input), w = autocast_lower(weight), b = autocast_lower(bias);
    AutocastOffGuard off;
    return conv(spatial, x, w, b, stride, padding, dilation, groups);
  }
  check_spatial(spatial);
  const char* op = conv_name(spatial);
  Tensor x = batched_spatial(input, spatial, op);
  const ConvParams p = conv_params(spatial, x.shape()[1], weight.shape(), stride, padding, dilation, groups, op);
  if (padding.mode == "same") {  // an odd total padding: the far side gets the extra one, as in torch
    Dims extra;                  // torch's pad list: last dim first, (before, after) pairs
    bool any = false;
    for (int64_t i = 2; i >= 3 - spatial; --i) {
      const int64_t odd = p.dilation[i] * (p.kernel[i] - 1) % 2;
      extra.push_back(0);
      extra.push_back(odd);
      any = any || odd != 0;
    }
    if (any) x = pad(x, extra, "constant", 0.0);
  }
  Tensor out = convolution(x, weight, bias, p);
  return input.dim() == spatial + 1 ? squeeze(out, Dims{0}) : out;
}

Tensor conv_transpose(int64_t spatial, const Tensor& input, const Tensor& weight, const Tensor& bias,
                      const Dims& stride, const Dims& padding, const Dims& output_padding, int64_t groups,
                      const Dims& dilation) {
  if (autocast_state().cpu_enabled) {
    const Tensor x = autocast_lower(input), w = autocast_lower(weight), b = autocast_lower(bias);
    AutocastOffGuard off;
    return conv_transpose(spatial, x, w, b, stride, padding, output_padding, groups, dilation);
  }
  check_spatial(spatial);
  const char* op = conv_transpose_name(spatial);
  Tensor x = batched_spatial(input, spatial, op);
  check_floating(x, op, "input");
  check_same_dtype(x, weight, op, "weight");
  PG_CHECK(weight.dim() == spatial + 2, ValueError, op, "expected weight with ", spatial + 2,
           " dims [C_in, C_out/groups, *kernel], got ", weight.shape());
  PG_CHECK(groups >= 1, ValueError, op, "groups must be positive, got ", groups);
  PG_CHECK(weight.shape()[0] == x.shape()[1], ValueError, op, "weight of shape ", weight.shape(),
           " expects input with ", weight.shape()[0], " channels, got input of shape ", input.shape());
  PG_CHECK(x.shape()[1] % groups == 0, ValueError, op, "input channels ", x.shape()[1],
           " are not divisible by groups=", groups);
  const int64_t out_channels = weight.shape()[1] * groups;
  if (bias.defined()) {
    check_same_dtype(x, bias, op, "bias");
    PG_CHECK(bias.dim() == 1 && bias.shape()[0] == out_channels, ValueError, op, "expected bias of shape [",
             out_channels, "], got ", bias.shape());
  }
  // The convolution this one transposes: from [N, C_out, *OS] to [N, C_in, *S] with the same weight.
  const ConvParams p = conv_params(spatial, out_channels, weight.shape(), stride, {padding, ""}, dilation, groups, op);
  int64_t extra[3] = {0, 0, 0};
  to_spatial(output_padding, spatial, extra, 0, op, "output_padding");
  Shape out_shape{x.shape()[0], out_channels};
  for (int64_t i = 0; i < spatial; ++i) {
    const int64_t k = 3 - spatial + i;
    PG_CHECK(extra[k] < p.stride[k] || extra[k] < p.dilation[k], ValueError, op,
             "output_padding must be smaller than either stride or dilation, got output_padding ",
             spatial_dims(extra, spatial), ", stride ", spatial_dims(p.stride, spatial), ", dilation ",
             spatial_dims(p.dilation, spatial));
    const int64_t size =
        (x.shape()[2 + i] - 1) * p.stride[k] - 2 * p.pad[k] + p.dilation[k] * (p.kernel[k] - 1) + extra[k] + 1;
    PG_CHECK(size >= 1, ValueError, op, "input of shape ", input.shape(), " with weight ", weight.shape(), ", stride ",
             spatial_dims(p.stride, spatial), ", padding ", spatial_dims(p.pad, spatial),
             " gives a non-positive output size ", size);
    out_shape.push_back(size);
  }
  if (is_reduced_floating(x.dtype()))
    return as_dtype(conv_transpose(spatial, widen_reduced(input), widen_reduced(weight), widen_reduced(bias), stride,
                                   padding, output_padding, groups, dilation),
                    x.dtype());
  Tensor out = convolution_input_backward(x, weight, out_shape, p);
  if (bias.defined()) {
    Shape bias_shape(spatial + 1, 1);
    bias_shape[0] = out_channels;
    out = add(out, reshape(bias, bias_shape));
  }
  return input.dim() == spatial + 1 ? squeeze(out, Dims{0}) : out;
}

Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params) {
  const int64_t spatial = params.spatial;
  const char* op = conv_name(spatial);
  check_floating(input, op, "input");
  check_same_dtype(input, weight, op, "weight");
  PG_CHECK(input.dim() == spatial + 2 && weight.dim() == spatial + 2 &&
               weight.shape()[1] * params.groups == input.shape()[1],
           ValueError, op, "inconsistent shapes: input ", input.shape(), ", weight ", weight.shape(),
           ", groups=", params.groups);
  const int64_t out_channels = weight.shape()[0];
  if (bias.defined()) {
    check_same_dtype(input, bias, op, "bias");
    PG_CHECK(bias.dim() == 1 && bias.shape()[0] == out_channels, ValueError, op, "expected bias of shape [",
             out_channels, "], got ", bias.shape());
  }
  if (is_reduced_floating(input.dtype()))
    return as_dtype(convolution(widen_reduced(input), widen_reduced(weight), widen_reduced(bias), params),
                    input.dtype());
  Shape out_shape{input.shape()[0], out_channels};
  for (int64_t i = 0; i < spatial; ++i) {
    const int64_t k = 3 - spatial + i;
    const int64_t padded = input.shape()[2 + i] + 2 * params.pad[k];
    const int64_t effective = params.dilation[k] * (weight.shape()[2 + i] - 1) + 1;
    PG_CHECK(effective <= padded, ValueError, op, "kernel size ", effective,
             " (dilated) is larger than the padded input size ", padded, " (input ", input.shape(), ", weight ",
             weight.shape(), ", padding ", spatial_dims(params.pad, spatial), ")");
    out_shape.push_back((padded - effective) / params.stride[k] + 1);
  }
  Tensor x = contiguous(input), w = contiguous(weight), b = bias.defined() ? contiguous(bias) : Tensor();
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op);
  run_conv_kernel(OpId::convolution, out, x, w, b, params);
  record(OpId::convolution, {&x, &w, &b}, out, Forward().self(x).other(w), params);
  return out;
}

Tensor convolution_input_backward(const Tensor& grad_in, const Tensor& weight, const Shape& input_shape,
                                  const ConvParams& params) {
  const char* op = "convolution_input_backward";
  const int64_t rank = params.spatial + 2;
  check_same_dtype(grad_in, weight, op, "weight");
  PG_CHECK(grad_in.dim() == rank && weight.dim() == rank && static_cast<int64_t>(input_shape.size()) == rank &&
               grad_in.shape()[1] == weight.shape()[0] && input_shape[1] == weight.shape()[1] * params.groups &&
               grad_in.shape()[0] == input_shape[0],
           ValueError, op, "inconsistent shapes: grad ", grad_in.shape(), ", weight ", weight.shape(), ", input ",
           input_shape);
  Tensor grad = contiguous(grad_in), w = contiguous(weight);
  Tensor out = Tensor::empty(input_shape, grad.dtype(), grad.device(), op);
  run_conv_kernel(OpId::convolution_input_backward, out, grad, w, Tensor(), params);
  record(OpId::convolution_input_backward, {&grad, &w}, out, Forward().self(grad).other(w), params);
  return out;
}

Tensor convolution_weight_backward(const Tensor& grad_in, const Tensor& input, const Shape& weight_shape,
                                   const ConvParams& params) {
  const char* op = "convolution_weight_backward";
  const int64_t rank = params.spatial + 2;
  check_same_dtype(grad_in, input, op, "input");
  PG_CHECK(grad_in.dim() == rank && input.dim() == rank && static_cast<int64_t>(weight_shape.size()) == rank &&
               grad_in.shape()[1] == weight_shape[0] && input.shape()[1] == weight_shape[1] * params.groups &&
               grad_in.shape()[0] == input.shape()[0],
           ValueError, op, "inconsistent shapes: grad ", grad_in.shape(), ", input ", input.shape(), ", weight ",
           weight_shape);
  Tensor grad = contiguous(grad_in), x = contiguous(input);
  Tensor out = Tensor::empty(weight_shape, grad.dtype(), grad.device(), op);
  run_conv_kernel(OpId::convolution_weight_backward, out, grad, x, Tensor(), params);
  record(OpId::convolution_weight_backward, {&grad, &x}, out, Forward().self(grad).other(x), params);
  return out;
}

ConvParams block_params(const Dims& kernel_size, const Dims& dilation, const Dims& padding, const Dims& stride,
                        const char* op) {
  ConvParams p;
  p.spatial = 2;
  to_spatial(kernel_size, 2, p.kernel, 1, op, "kernel_size");
  to_spatial(dilation, 2, p.dilation, 1, op, "dilation");
  to_spatial(padding, 2, p.pad, 0, op, "padding");
  to_spatial(stride, 2, p.stride, 1, op, "stride");
  return p;
}

namespace {
// The block grid (OH, OW) of an [.., H, W] image; raises when it is empty.
std::pair<int64_t, int64_t> block_grid(int64_t h, int64_t w, const ConvParams& p, const char* op) {
  const int64_t oh = (h + 2 * p.pad[1] - p.dilation[1] * (p.kernel[1] - 1) - 1) / p.stride[1] + 1;
  const int64_t ow = (w + 2 * p.pad[2] - p.dilation[2] * (p.kernel[2] - 1) - 1) / p.stride[2] + 1;
  PG_CHECK(oh >= 1 && ow >= 1 && h + 2 * p.pad[1] >= p.dilation[1] * (p.kernel[1] - 1) + 1 &&
               w + 2 * p.pad[2] >= p.dilation[2] * (p.kernel[2] - 1) + 1,
           ValueError, op, "given input spatial size [", h, ", ", w, "], kernel_size ", spatial_dims(p.kernel, 2),
           ", dilation ", spatial_dims(p.dilation, 2), ", padding ", spatial_dims(p.pad, 2), " and stride ",
           spatial_dims(p.stride, 2), ", the array of sliding blocks would be empty");
  return {oh, ow};
}
}  // namespace

Tensor im2col(const Tensor& x_in, const ConvParams& params) {
  const char* op = "unfold";
  check_floating(x_in, op, "input");
  PG_CHECK(x_in.dim() == 4, ValueError, op, "expected input [N, C, H, W], got ", x_in.shape());
  if (is_reduced_floating(x_in.dtype())) return as_dtype(im2col(widen_reduced(x_in), params), x_in.dtype());
  const auto [oh, ow] = block_grid(x_in.shape()[2], x_in.shape()[3], params, op);
  Tensor x = contiguous(x_in);
  const int64_t rows = x.shape()[1] * params.kernel[1] * params.kernel[2];
  Tensor out = Tensor::empty({x.shape()[0], rows, oh * ow}, x.dtype(), x.device(), op);
  if (out.numel() > 0) run_conv_kernel(OpId::im2col, out, x, Tensor(), Tensor(), params);
  record(OpId::im2col, {&x}, out, Forward().self(x), params);
  return out;
}

Tensor col2im(const Tensor& cols_in, const Shape& image_shape, const ConvParams& params) {
  const char* op = "fold";
  check_floating(cols_in, op, "input");
  PG_CHECK(image_shape.size() == 4, ValueError, op, "expected an output shape [N, C, H, W], got ", image_shape);
  if (is_reduced_floating(cols_in.dtype()))
    return as_dtype(col2im(widen_reduced(cols_in), image_shape, params), cols_in.dtype());
  const auto [oh, ow] = block_grid(image_shape[2], image_shape[3], params, op);
  const int64_t rows = image_shape[1] * params.kernel[1] * params.kernel[2];
  PG_CHECK(cols_in.dim() == 3 && cols_in.shape()[0] == image_shape[0] && cols_in.shape()[1] == rows &&
               cols_in.shape()[2] == oh * ow,
           ValueError, op, "expected blocks of shape [", image_shape[0], ", ", rows, ", ", oh * ow, "], got ",
           cols_in.shape());
  Tensor cols = contiguous(cols_in);
  Tensor out = Tensor::empty(image_shape, cols.dtype(), cols.device(), op);
  if (out.numel() > 0) run_conv_kernel(OpId::col2im, out, cols, Tensor(), Tensor(), params);
  record(OpId::col2im, {&cols}, out, Forward(), params);
  return out;
}

Tensor conv_to_shape(const Tensor& x, const Tensor& weight, const ConvParams& params, const Shape& out_shape) {
  Tensor y = convolution(x, weight, Tensor(), params);
  for (int64_t i = 2; i < y.dim(); ++i)
    if (y.shape()[i] > out_shape[i]) y = narrow(y, i, 0, out_shape[i]);
  return y;
}

// ---------------------------------------------------------------- pooling
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const Dims& kernel_size, const Dims& stride,
                                                  const Dims& padding, const Dims& dilation, bool ceil_mode) {
  const char* op = "max_pool2d";
  Tensor x = batched(input, op);
  check_pool_input(x, op);
  if (is_reduced_floating(x.dtype())) {
    auto [values, indices] =
        max_pool2d_with_indices(widen_reduced(input), kernel_size, stride, padding, dilation, ceil_mode);
    return {as_dtype(values, input.dtype()), indices};
  }
  const Window2d win = pool_window(kernel_size, stride, padding, dilation, op);
  int64_t out_hw[2];
  pool_output_hw(x, win, ceil_mode, op, out_hw);
  x = contiguous(x);
  Shape out_shape{x.shape()[0], x.shape()[1], out_hw[0], out_hw[1]};
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op);
  Tensor indices = Tensor::empty(out_shape, DType::Int64, x.device(), op);
  MaxPoolKernelArgs args;
  args.out[0] = out;
  args.out[1] = indices;
  args.in[0] = x;
  args.window = win;
  run_kernel(OpId::max_pool2d, args);
  record(OpId::max_pool2d, {&x}, out, Forward().index(indices));
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
  record(OpId::max_pool2d_backward, {&grad}, out, Forward().index(idx));
  return out;
}

namespace {
Tensor run_avg_pool(OpId op, const Tensor& in, const Shape& out_shape, const AvgPoolParams& params) {
  Tensor x = contiguous(in);
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op_name(op));
  AvgPoolKernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  args.params = params;
  run_kernel(op, args);
  record(op, {&x}, out, Forward(), params);
  return out;
}
}  // namespace

Tensor avg_pool2d(const Tensor& input, const Dims& kernel_size, const Dims& stride, const Dims& padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  Tensor x = batched(input, "avg_pool2d");
  check_pool_input(x, "avg_pool2d");
  AvgPoolParams params =
      avg_pool2d_params(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);
  return unbatched_like(avg_pool2d(x, params), input);
}

Tensor avg_pool2d(const Tensor& x, const AvgPoolParams& params) {
  if (is_reduced_floating(x.dtype())) return as_dtype(avg_pool2d(widen_reduced(x), params), x.dtype());
  int64_t out_hw[2];
  pool_output_hw(x, params.window, params.ceil_mode, "avg_pool2d", out_hw);
  return run_avg_pool(OpId::avg_pool2d, x, {x.shape()[0], x.shape()[1], out_hw[0], out_hw[1]}, params);
}

Tensor avg_pool2d_backward(const Tensor& grad, const Shape& input_shape, const AvgPoolParams& params) {
  PG_CHECK(grad.dim() == 4 && input_shape.size() == 4, ValueError, "avg_pool2d_backward", "inconsistent shapes: grad ",
           grad.shape(), ", input ", input_shape);
  return run_avg_pool(OpId::avg_pool2d_backward, grad, input_shape, params);
}

Tensor adaptive_avg_pool2d(const Tensor& input, const Dims& output_size) {
  const char* op = "adaptive_avg_pool2d";
  Tensor x = batched(input, op);
  check_pool_input(x, op);
  if (is_reduced_floating(x.dtype()))
    return as_dtype(adaptive_avg_pool2d(widen_reduced(input), output_size), x.dtype());
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
  record(OpId::adaptive_avg_pool2d, {&x}, out);
  return unbatched_like(out, input);
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_in, const Shape& input_shape) {
  const char* op = "adaptive_avg_pool2d_backward";
  PG_CHECK(grad_in.dim() == 4 && input_shape.size() == 4, ValueError, op, "inconsistent shapes: grad ", grad_in.shape(),
           ", input ", input_shape);
  Tensor grad = contiguous(grad_in);
  Tensor out = Tensor::empty(input_shape, grad.dtype(), grad.device(), op);
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = grad;
  run_kernel(OpId::adaptive_avg_pool2d_backward, args);
  record(OpId::adaptive_avg_pool2d_backward, {&grad}, out);
  return out;
}

// ---------------------------------------------------------------- embedding (a composite)
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
