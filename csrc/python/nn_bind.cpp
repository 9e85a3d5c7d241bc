// Bindings of the network ops (convolution, pooling, normalisation, embedding) with PyTorch's signatures.
#include "core/error.h"
#include "ops/nn_ops.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {

// An int, or a sequence of ints; None gives an empty list (the op's default).
Dims window_arg(py::handle h, const char* op, const char* what) {
  if (h.is_none()) return {};
  auto one = [&](py::handle v) -> int64_t {
    PG_CHECK(!PyBool_Check(v.ptr()) && PyIndex_Check(v.ptr()), TypeError, op, what,
             " must be an int or a tuple of ints, got ", std::string(py::str(py::type::of(v))));
    return v.cast<int64_t>();
  };
  if (PyIndex_Check(h.ptr()) && !PyBool_Check(h.ptr())) return {one(h)};
  PG_CHECK(py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h), TypeError, op, what,
           " must be an int or a tuple of ints, got ", std::string(py::str(py::type::of(h))));
  Dims out;
  for (py::handle v : h.cast<py::sequence>()) out.push_back(one(v));
  return out;
}

// A convolution's padding as given: ints, or a mode string (checked by the ops layer).
Padding padding_arg(py::handle padding, const char* op) {
  if (py::isinstance<py::str>(padding)) return {{}, padding.cast<std::string>()};
  return {window_arg(padding, op, "padding"), ""};
}

}  // namespace

void bind_nn_ops(py::module_& m) {
  m.def(
      "linear",
      [](const Tensor& input, const Tensor& weight, py::handle bias) {
        Tensor b = optional_tensor(bias);
        ReleaseGilIfLarge gil(input.numel() + weight.numel());
        return linear(input, weight, b);
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
      "input @ weight.T + bias: one fused op (one graph node) for 2-d input and weight, matmul and add otherwise.");
  // conv1d/2d/3d and conv_transpose1d/2d/3d: one binding each per family, the spatial rank fixed by the name.
  static const char* conv_names[] = {"conv1d", "conv2d", "conv3d"};
  static const char* conv_transpose_names[] = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"};
  for (int64_t spatial = 1; spatial <= 3; ++spatial) {
    const char* name = conv_names[spatial - 1];
    m.def(
        name,
        [spatial, name](const Tensor& input, const Tensor& weight, py::object bias, py::object stride,
                        py::object padding, py::object dilation, int64_t groups) {
          Dims s = window_arg(stride, name, "stride"), d = window_arg(dilation, name, "dilation");
          Padding p = padding_arg(padding, name);
          Tensor b = optional_tensor(bias);
          ReleaseGilIfLarge gil(input.numel() + weight.numel());
          return conv(spatial, input, weight, b, s, p, d, groups);
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
        py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
    const char* tname = conv_transpose_names[spatial - 1];
    m.def(
        tname,
        [spatial, tname](const Tensor& input, const Tensor& weight, py::object bias, py::object stride,
                         py::object padding, py::object output_padding, int64_t groups, py::object dilation) {
          Dims s = window_arg(stride, tname, "stride"), p = window_arg(padding, tname, "padding");
          Dims op = window_arg(output_padding, tname, "output_padding"), d = window_arg(dilation, tname, "dilation");
          Tensor b = optional_tensor(bias);
          ReleaseGilIfLarge gil(input.numel() + weight.numel());
          return conv_transpose(spatial, input, weight, b, s, p, op, groups, d);
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
        py::arg("padding") = 0, py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1);
  }

  // F.unfold / F.fold (pygrad/nn/_layout.py validates and batches; pairs of ints here).
  m.def(
      "_unfold",
      [](const Tensor& input, const Dims& kernel_size, const Dims& dilation, const Dims& padding, const Dims& stride) {
        ReleaseGilIfLarge gil(input.numel());
        return im2col(input, block_params(kernel_size, dilation, padding, stride, "unfold"));
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("dilation"), py::arg("padding"), py::arg("stride"));
  m.def(
      "_fold",
      [](const Tensor& input, const Shape& image_shape, const Dims& kernel_size, const Dims& dilation,
         const Dims& padding, const Dims& stride) {
        ReleaseGilIfLarge gil(input.numel());
        return col2im(input, image_shape, block_params(kernel_size, dilation, padding, stride, "fold"));
      },
      py::arg("input"), py::arg("image_shape"), py::arg("kernel_size"), py::arg("dilation"), py::arg("padding"),
      py::arg("stride"));

  // The conv modules' construction-time check: the same normalisation as the op, returning (stride, padding,
  // dilation) as tuples of `spatial` ints.
  m.def(
      "_conv_params",
      [](int64_t spatial, int64_t in_channels, const Shape& weight_shape, py::object stride, py::object padding,
         py::object dilation, int64_t groups, const std::string& op) {
        ConvParams p = conv_params(spatial, in_channels, weight_shape, window_arg(stride, op.c_str(), "stride"),
                                   padding_arg(padding, op.c_str()), window_arg(dilation, op.c_str(), "dilation"),
                                   groups, op.c_str());
        auto last = [spatial](const int64_t* v) {
          py::tuple t(spatial);
          for (int64_t i = 0; i < spatial; ++i) t[i] = v[3 - spatial + i];
          return t;
        };
        return py::make_tuple(last(p.stride), last(p.pad), last(p.dilation));
      },
      py::arg("spatial"), py::arg("in_channels"), py::arg("weight_shape"), py::arg("stride"), py::arg("padding"),
      py::arg("dilation"), py::arg("groups"), py::arg("op"));

  auto max_pool = [](const Tensor& input, py::object kernel_size, py::object stride, py::object padding,
                     py::object dilation, bool ceil_mode) {
    Dims k = window_arg(kernel_size, "max_pool2d", "kernel_size"), s = window_arg(stride, "max_pool2d", "stride");
    Dims p = window_arg(padding, "max_pool2d", "padding"), d = window_arg(dilation, "max_pool2d", "dilation");
    ReleaseGilIfLarge gil(input.numel());
    return max_pool2d_with_indices(input, k, s, p, d, ceil_mode);
  };
  m.def(
      "max_pool2d",
      [max_pool](const Tensor& input, py::object kernel_size, py::object stride, py::object padding,
                 py::object dilation, bool ceil_mode, bool return_indices) -> py::object {
        auto result = max_pool(input, kernel_size, stride, padding, dilation, ceil_mode);
        if (return_indices) return py::make_tuple(result.first, result.second);
        return py::cast(result.first);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
  m.def(
      "max_pool2d_with_indices",
      [max_pool](const Tensor& input, py::object kernel_size, py::object stride, py::object padding,
                 py::object dilation, bool ceil_mode) {
        auto result = max_pool(input, kernel_size, stride, padding, dilation, ceil_mode);
        return py::make_tuple(result.first, result.second);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false);

  m.def(
      "avg_pool2d",
      [](const Tensor& input, py::object kernel_size, py::object stride, py::object padding, bool ceil_mode,
         bool count_include_pad, std::optional<int64_t> divisor_override) {
        Dims k = window_arg(kernel_size, "avg_pool2d", "kernel_size"), s = window_arg(stride, "avg_pool2d", "stride");
        Dims p = window_arg(padding, "avg_pool2d", "padding");
        ReleaseGilIfLarge gil(input.numel());
        return avg_pool2d(input, k, s, p, ceil_mode, count_include_pad, divisor_override);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());

  m.def(
      "adaptive_avg_pool2d",
      [](const Tensor& input, py::object output_size) {
        Dims size;
        if (PyIndex_Check(output_size.ptr()) && !PyBool_Check(output_size.ptr())) {
          size = {output_size.cast<int64_t>()};
        } else {
          PG_CHECK(py::isinstance<py::sequence>(output_size), TypeError, "adaptive_avg_pool2d",
                   "output_size must be an int or a pair of ints (or None), got ",
                   std::string(py::str(py::type::of(output_size))));
          for (py::handle v : output_size.cast<py::sequence>()) size.push_back(v.is_none() ? -1 : v.cast<int64_t>());
        }
        ReleaseGilIfLarge gil(input.numel());
        return adaptive_avg_pool2d(input, size);
      },
      py::arg("input"), py::arg("output_size"));

  m.def(
      "batch_norm",
      [](const Tensor& input, py::object running_mean, py::object running_var, py::object weight, py::object bias,
         bool training, double momentum, double eps) {
        Tensor rm = optional_tensor(running_mean), rv = optional_tensor(running_var);
        Tensor w = optional_tensor(weight), b = optional_tensor(bias);
        ReleaseGilIfLarge gil(input.numel());
        return batch_norm(input, rm, rv, w, b, training, momentum, eps);
      },
      py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
      py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);

  m.def(
      "layer_norm",
      [](const Tensor& input, py::object normalized_shape, py::object weight, py::object bias, double eps) {
        Dims shape = window_arg(normalized_shape, "layer_norm", "normalized_shape");
        Tensor w = optional_tensor(weight), b = optional_tensor(bias);
        ReleaseGilIfLarge gil(input.numel());
        return layer_norm(input, shape, w, b, eps);
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5);

  m.def(
      "embedding",
      [](const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
        ReleaseGilIfLarge gil(input.numel());
        return embedding(input, weight, padding_idx);
      },
      py::arg("input"), py::arg("weight"), py::arg("padding_idx") = py::none());

  // F.scaled_dot_product_attention's fused kernel (pygrad/nn/_attention.py picks it).
  m.def(
      "_flash_attention",
      [](const Tensor& q, const Tensor& k, const Tensor& v, py::handle mask, double scale, bool causal,
         double dropout_p) {
        Tensor m = optional_tensor(mask);
        ReleaseGilIfLarge gil(q.numel() + k.numel());
        return flash_attention(q, k, v, m, scale, causal, dropout_p);
      },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("mask"), py::arg("scale"), py::arg("is_causal"),
      py::arg("dropout_p") = 0.0);

  // The recurrent layers' fused cells (pygrad/nn/_rnn.py).
  m.def(
      "_lstm_cell",
      [](const Tensor& x_gates, const Tensor& h_gates, const Tensor& c) {
        ReleaseGilIfLarge gil(x_gates.numel());
        return lstm_cell(x_gates, h_gates, c);
      },
      py::arg("x_gates"), py::arg("h_gates"), py::arg("c"));
  m.def(
      "_lstm_layer",
      [](const Tensor& x_gates, const Tensor& w_hh, const Tensor& hc0, bool reverse) {
        ReleaseGilIfLarge gil(x_gates.numel());
        return lstm_layer(x_gates, w_hh, hc0, reverse);
      },
      py::arg("x_gates"), py::arg("w_hh"), py::arg("hc0"), py::arg("reverse"));
  m.def(
      "_gru_layer",
      [](const Tensor& x_gates, const Tensor& w, const Tensor& h0, bool reverse) {
        ReleaseGilIfLarge gil(x_gates.numel());
        return gru_layer(x_gates, w, h0, reverse);
      },
      py::arg("x_gates"), py::arg("w"), py::arg("h0"), py::arg("reverse"));
  m.def(
      "_gru_cell",
      [](const Tensor& gi, const Tensor& gh, const Tensor& h) {
        ReleaseGilIfLarge gil(gi.numel());
        return gru_cell(gi, gh, h);
      },
      py::arg("gi"), py::arg("gh"), py::arg("h"));
}

}  // namespace pygrad::python
