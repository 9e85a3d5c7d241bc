// The fused cross-entropy primitive (per-sample loss from logits and class indices) and its one-pass backward.
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

Tensor cross_entropy_per_sample(const Tensor& logits_in, const Tensor& target, int64_t ignore_index,
                                double label_smoothing) {
  PG_CHECK(logits_in.dim() == 2, ValueError, "cross_entropy", "expected logits of shape [N, C], got ",
           logits_in.shape());
  PG_CHECK(is_floating(logits_in.dtype()), TypeError, "cross_entropy", "logits must be floating point, got ",
           dtype_name(logits_in.dtype()));
  check_index_tensor(target, "cross_entropy");
  PG_CHECK(target.dim() == 1 && target.shape()[0] == logits_in.shape()[0], ValueError, "cross_entropy",
           "target of shape ", target.shape(), " does not match logits of shape ", logits_in.shape());
  PG_CHECK(label_smoothing >= 0 && label_smoothing <= 1, ValueError, "cross_entropy",
           "label_smoothing must be in [0, 1], got ", label_smoothing);
  PG_CHECK(logits_in.shape()[1] > 0 || logits_in.shape()[0] == 0, ValueError, "cross_entropy",
           "logits need at least one class, got shape ", logits_in.shape());
  if (is_reduced_floating(logits_in.dtype()))
    return as_dtype(cross_entropy_per_sample(widen_reduced(logits_in), target, ignore_index, label_smoothing),
                    logits_in.dtype());
  Tensor logits = contiguous(logits_in);
  Tensor out = Tensor::empty({logits.shape()[0]}, logits.dtype(), logits.device(), "cross_entropy");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = logits;
  args.in[1] = target;
  args.scalars[0] = label_smoothing;
  args.ints[0] = ignore_index;
  run_kernel(OpId::cross_entropy, args);
  record(OpId::cross_entropy, {&logits}, out, Forward().self(logits).target(target),
         CrossEntropyParams{ignore_index, label_smoothing});
  return out;
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, int64_t ignore_index,
                              double label_smoothing) {
  Tensor x = contiguous(logits);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device(), "cross_entropy");
  KernelArgs args;
  args.out[0] = out;
  args.in[0] = x;
  args.in[1] = target;
  args.in[2] = grad.dtype() == x.dtype() ? grad : convert_raw(grad, x.dtype());
  args.scalars[0] = label_smoothing;
  args.ints[0] = ignore_index;
  if (out.numel() > 0) run_kernel(OpId::cross_entropy_backward, args);
  return out;
}

}  // namespace pygrad
