// Ops built from ops, with no derivative of their own: softmax, log_softmax, the losses, and mean, var, std and
// logsumexp.
#include <limits>
#include "core/error.h"

#include "ops/op_helpers.h"

namespace pygrad {

namespace {

Tensor reduce_loss(const Tensor& loss, const std::string& reduction, const char* op) {
  if (reduction == "mean") return mean(loss);
  if (reduction == "sum") return sum(loss);
  if (reduction == "none") return loss;
  PG_THROW(ValueError, op, "reduction must be 'mean', 'sum' or 'none', got '", reduction, "'");
}

void check_reduction(const std::string& reduction, const char* op) {
  PG_CHECK(reduction == "mean" || reduction == "sum" || reduction == "none", ValueError, op,
           "reduction must be 'mean', 'sum' or 'none', got '", reduction, "'");
}

// [N, C, d1, ...] -> [N * d1 * ..., C] with the class dim last; [C] -> [1, C].
Tensor classes_last(const Tensor& input) {
  if (input.dim() == 1) return unsqueeze(input, 0);
  if (input.dim() == 2) return input;
  Dims order{0};
  for (int64_t d = 2; d < input.dim(); ++d) order.push_back(d);
  order.push_back(1);
  return reshape(permute(input, order), {-1, input.shape()[1]});
}

void check_class_target(const Tensor& input, const Tensor& target, const char* op) {
  PG_CHECK(input.dim() >= 1, ValueError, op, "input must have at least 1 dimension, got ", input.shape());
  Shape expected = input.shape();
  if (input.dim() == 1) {
    expected = {};
  } else {
    expected.erase(expected.begin() + 1);
  }
  PG_CHECK(target.shape() == expected, ValueError, op, "expected target of shape ", expected, " for input of shape ",
           input.shape(), ", got ", target.shape());
}

void check_class_weight(const Tensor& weight, const Tensor& input, const char* op) {
  const int64_t classes = input.dim() == 1 ? input.shape()[0] : input.shape()[1];
  PG_CHECK(weight.dim() == 1 && weight.shape()[0] == classes, ValueError, op, "weight of shape ", weight.shape(),
           " must have one entry per class (", classes, ") of input ", input.shape());
  PG_CHECK(weight.dtype() == input.dtype(), TypeError, op, "weight dtype ", dtype_name(weight.dtype()),
           " must match input dtype ", dtype_name(input.dtype()));
}

// Class-weighted negative log-likelihood (PyTorch's formula): -w[t] log p[t], plus label smoothing's
// -sum_c w_c log p_c / C; the mean divides by the summed weights of the counted targets.
Tensor weighted_nll(const Tensor& log_probabilities, const Tensor& target, const Tensor& weight,
                    const std::string& reduction, int64_t ignore_index, double label_smoothing) {
  Tensor flat_target = reshape(target, {-1});
  Tensor valid = ne(flat_target, wrapped_scalar(ignore_index));
  Tensor safe_target = where(valid, flat_target, zeros({}, DType::Int64));
  Tensor target_weight = mul(index_select(weight, 0, safe_target), valid);
  Tensor picked = squeeze(gather(log_probabilities, 1, unsqueeze(safe_target, 1)), Dims{1});
  Tensor loss = neg(mul(picked, target_weight));
  if (label_smoothing > 0) {
    const double classes = static_cast<double>(log_probabilities.shape()[1]);
    Tensor smooth = mul(neg(sum(mul(log_probabilities, unsqueeze(weight, 0)), {1})), valid);
    loss =
        add(mul(loss, wrapped_scalar(1.0 - label_smoothing)), mul(smooth, wrapped_scalar(label_smoothing / classes)));
  }
  if (reduction == "none") return reshape(loss, target.shape());
  if (reduction == "sum") return sum(loss);
  return div(sum(loss), sum(target_weight));
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  if (is_reduced_floating(x.dtype())) return in_float32(x, [&](const Tensor& w) { return softmax(w, dim); });
  dim = wrap_dim(dim, x.dim(), "softmax");
  Tensor shifted = exp(sub(x, detach(amax(x, {dim}, true))));
  return div(shifted, sum(shifted, {dim}, true));
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  if (is_reduced_floating(x.dtype())) return in_float32(x, [&](const Tensor& w) { return log_softmax(w, dim); });
  dim = wrap_dim(dim, x.dim(), "log_softmax");
  Tensor shifted = sub(x, detach(amax(x, {dim}, true)));
  return sub(shifted, log(sum(exp(shifted), {dim}, true)));
}

Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  check_reduction(reduction, "mse_loss");
  Tensor difference = sub(input, target);
  return reduce_loss(mul(difference, difference), reduction, "mse_loss");
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const std::string& reduction, int64_t ignore_index,
                     double label_smoothing, const Tensor& weight) {
  check_reduction(reduction, "cross_entropy");
  PG_CHECK(is_floating(input.dtype()), TypeError, "cross_entropy", "input must be floating point, got ",
           dtype_name(input.dtype()));
  if (is_floating(target.dtype())) {
    // Class probabilities as targets.
    PG_CHECK(target.shape() == input.shape(), ValueError, "cross_entropy", "probability target of shape ",
             target.shape(), " must match input of shape ", input.shape());
    const int64_t class_dim = input.dim() == 1 ? 0 : 1;
    Tensor probabilities = target;
    if (label_smoothing > 0) {
      double classes = static_cast<double>(input.shape()[class_dim]);
      probabilities =
          add(mul(target, wrapped_scalar(1.0 - label_smoothing)), wrapped_scalar(label_smoothing / classes));
    }
    Tensor log_probabilities = log_softmax(input, class_dim);
    if (weight.defined()) {
      check_class_weight(weight, input, "cross_entropy");
      Shape weight_shape(input.dim(), 1);
      weight_shape[class_dim] = weight.numel();
      log_probabilities = mul(log_probabilities, reshape(weight, weight_shape));
    }
    Tensor loss = neg(sum(mul(log_probabilities, probabilities), {class_dim}));
    return reduce_loss(loss, reduction, "cross_entropy");
  }
  check_class_target(input, target, "cross_entropy");
  if (weight.defined()) {
    check_class_weight(weight, input, "cross_entropy");
    return weighted_nll(log_softmax(classes_last(input), 1), target, weight, reduction, ignore_index, label_smoothing);
  }
  Tensor per_sample =
      cross_entropy_per_sample(classes_last(input), reshape(target, {-1}), ignore_index, label_smoothing);
  if (reduction == "none") return reshape(per_sample, target.shape());
  if (reduction == "sum") return sum(per_sample);
  Tensor valid = sum(ne(target, wrapped_scalar(ignore_index)), {}, false, input.dtype());
  return div(sum(per_sample), valid);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const std::string& reduction, int64_t ignore_index,
                const Tensor& weight) {
  check_reduction(reduction, "nll_loss");
  check_class_target(input, target, "nll_loss");
  PG_CHECK(target.dtype() == DType::Int64, TypeError, "nll_loss", "target must be int64, got ",
           dtype_name(target.dtype()));
  Tensor log_probabilities = classes_last(input);
  if (weight.defined()) check_class_weight(weight, input, "nll_loss");
  Tensor class_weight = weight.defined() ? weight : ones({log_probabilities.shape()[1]}, input.dtype());
  return weighted_nll(log_probabilities, target, class_weight, reduction, ignore_index, 0.0);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const std::string& reduction,
                                        const Tensor& weight, const Tensor& pos_weight) {
  check_reduction(reduction, "binary_cross_entropy_with_logits");
  PG_CHECK(input.shape() == target.shape(), ValueError, "binary_cross_entropy_with_logits", "target size ",
           target.shape(), " must be the same as input size ", input.shape());
  // log(1 + exp(-|x|)) + max(-x, 0) is log(1 + exp(-x)) without overflow.
  Tensor softplus_negative = add(log1p(exp(neg(abs(input)))), relu(neg(input)));
  Tensor loss;
  if (pos_weight.defined()) {
    Tensor scale = add(mul(sub(pos_weight, wrapped_scalar(1.0)), target), wrapped_scalar(1.0));
    loss = add(mul(sub(wrapped_scalar(1.0), target), input), mul(scale, softplus_negative));
  } else {
    loss = add(mul(sub(wrapped_scalar(1.0), target), input), softplus_negative);
  }
  if (weight.defined()) loss = mul(loss, weight);
  return reduce_loss(loss, reduction, "binary_cross_entropy_with_logits");
}

// ---- reductions built from sum and amax
Tensor mean(const Tensor& x, const Dims& dims_in, bool keepdim) {
  PG_CHECK(is_floating(x.dtype()), TypeError, "mean", "input dtype must be floating point, got ",
           dtype_name(x.dtype()));
  // float16/bfloat16 average in float32 and round once, as torch does.
  if (is_reduced_floating(x.dtype())) return in_float32(x, [&](const Tensor& w) { return mean(w, dims_in, keepdim); });
  Dims dims = normalize_dims(x, dims_in, "mean");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  return div(sum(x, dims, keepdim), wrapped_scalar(static_cast<double>(count)));
}

Tensor var(const Tensor& x, const Dims& dims_in, double correction, bool keepdim) {
  PG_CHECK(is_floating(x.dtype()), TypeError, "var", "input dtype must be floating point, got ", dtype_name(x.dtype()));
  if (is_reduced_floating(x.dtype()))
    return in_float32(x, [&](const Tensor& w) { return var(w, dims_in, correction, keepdim); });
  Dims dims = normalize_dims(x, dims_in, "var");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  Tensor centered = sub(x, mean(x, dims, true));
  Tensor squares = sum(mul(centered, centered), dims, keepdim);
  return div(squares, wrapped_scalar(std::max(static_cast<double>(count) - correction, 0.0)));
}

Tensor std_dev(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
  if (is_reduced_floating(x.dtype()))
    return in_float32(x, [&](const Tensor& w) { return std_dev(w, dims, correction, keepdim); });
  return sqrt(var(x, dims, correction, keepdim));
}

Tensor logsumexp(const Tensor& x, const Dims& dims_in, bool keepdim) {
  if (!is_floating(x.dtype())) return logsumexp(to_dtype(x, DType::Float32), dims_in, keepdim);  // as PyTorch
  if (is_reduced_floating(x.dtype()))
    return in_float32(x, [&](const Tensor& w) { return logsumexp(w, dims_in, keepdim); });
  Dims dims = normalize_dims(x, dims_in, "logsumexp");
  Tensor peak = detach(amax(x, dims, true));
  Tensor safe_peak =
      where(eq(abs(peak), wrapped_scalar(std::numeric_limits<double>::infinity())), zeros({}, peak.dtype()), peak);
  Tensor out = add(log(sum(exp(sub(x, safe_peak)), dims, true)), safe_peak);
  return keepdim ? out : squeeze(out, dims);
}

}  // namespace pygrad
