// Network ops: convolution, pooling, normalisation and embedding (PyTorch's names and semantics).
// Window arguments are one int per spatial dim; a single value stands for all. The *_backward functions are primitives
// of their own (with derivative rules) so that gradients of gradients work.
#pragma once
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "ops/ops.h"

namespace pygrad {

// input [N, in] @ weight [out, in].T + bias [out] (or undefined) as one primitive: one node, no transposed
// gradient to copy, the bias gradient a plain column sum. Other shapes and dtypes go through matmul and add.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor());

// ---- argument normalisation: the one place where window arguments are checked, with one error message each.
// A window argument is an int (one value, for both h and w) or an (h, w) pair.
struct Padding {
  Dims values;       // used when mode is empty
  std::string mode;  // "valid" or "same" (stride 1, symmetric padding)
};
// Validated parameters of a convolution over `spatial` (1, 2 or 3) dims for `in_channels` input channels and a
// weight of `weight_shape` [O, C/groups, *K]. padding='same' asymmetric by one (an even kernel) keeps the smaller
// half here; conv() pads the input's far side by the remainder, as torch does.
ConvParams conv_params(int64_t spatial, int64_t in_channels, const Shape& weight_shape, const Dims& stride,
                       const Padding& padding, const Dims& dilation, int64_t groups, const char* op);
// Empty stride: the kernel size.
Window2d pool_window(const Dims& kernel_size, const Dims& stride, const Dims& padding, const Dims& dilation,
                     const char* op);
AvgPoolParams avg_pool2d_params(const Dims& kernel_size, const Dims& stride, const Dims& padding, bool ceil_mode,
                                bool count_include_pad, std::optional<int64_t> divisor_override);

// ---- convolution: conv1d/2d/3d and conv_transpose1d/2d/3d share one primitive and its two gradients
// (a transposed convolution's forward is the input gradient of the convolution it transposes).
// input [N, C, *S] (or unbatched [C, *S]), weight [O, C / groups, *K], bias [O] or undefined; spatial = len(S).
Tensor conv(int64_t spatial, const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
            const Dims& stride = {1}, const Padding& padding = {{0}, ""}, const Dims& dilation = {1},
            int64_t groups = 1);
// input [N, C_in, *S], weight [C_in, C_out / groups, *K]; output [N, C_out, *OS] with
// OS = (S - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1.
Tensor conv_transpose(int64_t spatial, const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                      const Dims& stride = {1}, const Dims& padding = {0}, const Dims& output_padding = {0},
                      int64_t groups = 1, const Dims& dilation = {1});
// The primitive: batched input with validated parameters.
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params);
// The gradient of convolution with respect to its input (a transposed convolution) and to its weight.
Tensor convolution_input_backward(const Tensor& grad, const Tensor& weight, const Shape& input_shape,
                                  const ConvParams& params);
Tensor convolution_weight_backward(const Tensor& grad, const Tensor& input, const Shape& weight_shape,
                                   const ConvParams& params);
// F.unfold / F.fold on the same engine: x [N, C, H, W] -> [N, C kh kw, L] blocks, and its adjoint from blocks to
// an image of `image_shape` (overlaps summed). params: spatial 2, kernel, stride, pad, dilation (validated).
Tensor im2col(const Tensor& x, const ConvParams& params);
Tensor col2im(const Tensor& cols, const Shape& image_shape, const ConvParams& params);
// The params of F.unfold / F.fold from (kh, kw), dilation, padding, stride pairs.
ConvParams block_params(const Dims& kernel_size, const Dims& dilation, const Dims& padding, const Dims& stride,
                        const char* op);
// convolution(x, weight) cut to out_shape's spatial size: where a transposed conv's output_padding >= stride,
// its input is one step shorter than the convolution of its output would be.
Tensor conv_to_shape(const Tensor& x, const Tensor& weight, const ConvParams& params, const Shape& out_shape);

// Returns {values, indices (flat h * W + w within each plane)}.
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const Dims& kernel_size, const Dims& stride = {},
                                                  const Dims& padding = {0}, const Dims& dilation = {1},
                                                  bool ceil_mode = false);
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape);
Tensor avg_pool2d(const Tensor& input, const Dims& kernel_size, const Dims& stride = {}, const Dims& padding = {0},
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
// The primitive: input [N, C, H, W] with validated parameters; its backward is its adjoint.
Tensor avg_pool2d(const Tensor& input, const AvgPoolParams& params);
Tensor avg_pool2d_backward(const Tensor& grad, const Shape& input_shape, const AvgPoolParams& params);
// output_size entries of -1 keep the input's size.
Tensor adaptive_avg_pool2d(const Tensor& input, const Dims& output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, const Shape& input_shape);

// Training: batch statistics (biased variance) normalise, running stats (unbiased) are updated in place.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps);
// One fused primitive over rows [M, prod(normalized_shape)] (ops/normalization.cpp).
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps);
// layer_norm's gradients in one fused pass, for a backward that is not differentiated again (not recorded):
// x [M, N] and weight [N] (or undefined) as the forward saw them, stats [2, M] its mean and rstd per row.
// Returns {grad_x, grad_weight, grad_bias}, each undefined unless asked for.
std::tuple<Tensor, Tensor, Tensor> layer_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                                                       const Tensor& stats, bool input_grad, bool weight_grad,
                                                       bool bias_grad);
// ---- fused attention (ops/attention.cpp): softmax(q k^T scale + mask) v without the [L, S] score matrix.
// q [..., L, E], k [..., S, E], v [..., S, Ev] with equal leading dims; mask undefined or floating, broadcastable
// to [..., L, S] (added to the scores); causal: key j only for queries i >= j. Rows with every key masked give 0.
// dropout_p > 0 drops attention weights (kept ones scaled by 1 / (1 - p)), the mask drawn from the generator
// tile by tile and drawn again in backward.
Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale, bool causal,
                       double dropout_p = 0);
// Its gradients {dq, dk, dv} as the forward saw its operands ([B, L, E] ...), in one fused pass (not recorded).
std::tuple<Tensor, Tensor, Tensor> flash_attention_backward(const Tensor& grad, const Tensor& q, const Tensor& k,
                                                            const Tensor& v, const Tensor& out, const Tensor& lse,
                                                            const AttentionParams& params);

// ---- recurrent cells (ops/recurrent.cpp): one step's gate math as one primitive; the GEMMs stay outside.
// x_gates, h_gates [B, 4H] (the input's and the hidden state's projections, gates i, f, g, o), c [B, H] ->
// [2, B, H]: h = o tanh(c2) and c2 = f c + i g.
Tensor lstm_cell(const Tensor& x_gates, const Tensor& h_gates, const Tensor& c);
// gi, gh [B, 3H] (gates r, z, n), h [B, H] -> (1 - z) n + z h with n = tanh(gi_n + r gh_n).
Tensor gru_cell(const Tensor& gi, const Tensor& gh, const Tensor& h);
// A whole LSTM layer direction: x_gates [T, B, 4H] (x W_ih^T + b_ih + b_hh), w_hh [4H, H], hc0 [2, B, H] (h0, c0)
// -> [2, T, B, H]: every step's h, then every step's c; reverse runs from the last step. One node for all steps;
// its backward runs the steps in C++ and W_hh's gradient as one GEMM.
Tensor lstm_layer(const Tensor& x_gates, const Tensor& w_hh, const Tensor& hc0, bool reverse);
// Its gradients {d_x_gates, d_w_hh, d_hc0} in one fused pass (not recorded); gates: the forward's pre-activations.
std::tuple<Tensor, Tensor, Tensor> lstm_layer_backward(const Tensor& grad, const Tensor& w_hh, const Tensor& hc,
                                                       const Tensor& hc0, const Tensor& gates, bool reverse);
// A whole GRU layer direction: x_gates [T, B, 3H] (x W_ih^T + b_ih), w [3H, H] (W_hh) or [3H, H + 1] (b_hh as the
// last column), h0 [B, H] -> every step's h [T, B, H]; one node, steps in C++, W_hh's gradient one GEMM.
Tensor gru_layer(const Tensor& x_gates, const Tensor& w, const Tensor& h0, bool reverse);
std::tuple<Tensor, Tensor, Tensor> gru_layer_backward(const Tensor& grad, const Tensor& x_gates, const Tensor& w,
                                                      const Tensor& hs, const Tensor& h0, const Tensor& gh,
                                                      bool reverse);
// Their gradients in one fused pass (for a backward not differentiated again; not recorded).
// lstm: {d_gates [B, 4H], d_c [B, H] or undefined}; gru: {d_gi, d_gh, d_h}, each undefined unless asked for.
std::pair<Tensor, Tensor> lstm_cell_backward(const Tensor& grad, const Tensor& x_gates, const Tensor& h_gates,
                                             const Tensor& c, bool state_grad);
std::tuple<Tensor, Tensor, Tensor> gru_cell_backward(const Tensor& grad, const Tensor& gi, const Tensor& gh,
                                                     const Tensor& h, bool gi_grad, bool gh_grad, bool h_grad);

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace pygrad
