// Fused scaled-dot-product attention: validate, flatten the leading dims, dispatch, record; its fused gradient for
// a backward that is not differentiated again (its rule: ops/derivatives_sequence.cpp).
#include "backend/dispatch.h"
#include "backend/nn_params.h"
#include "core/error.h"
#include "core/random.h"
#include "ops/nn_ops.h"
#include "ops/op_helpers.h"
#include "ops/record.h"

namespace pygrad {

namespace {

// The mask's offset for each flattened leading index (its leading strides may be 0: broadcast).
void set_mask(AttentionKernelArgs& args, const Tensor& mask, int64_t batch) {
  args.mask = mask;
  if (!mask.defined()) return;
  const int64_t lead = mask.dim() - 2;
  args.mask_offset.resize(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    int64_t rest = b, offset = 0;
    for (int64_t d = lead - 1; d >= 0; --d) {
      offset += (rest % mask.shape()[d]) * mask.strides()[d];
      rest /= mask.shape()[d];
    }
    args.mask_offset[static_cast<size_t>(b)] = offset;
  }
  args.mask_row_stride = mask.strides()[lead];
  args.mask_col_stride = mask.strides()[lead + 1];
}

}  // namespace

Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale, bool causal,
                       double dropout_p) {
  const char* op = "scaled_dot_product_attention";
  check_floating(q, op, "query");
  check_same_dtype(q, k, op, "key");
  check_same_dtype(q, v, op, "value");
  const int64_t rank = q.dim();
  PG_CHECK(rank >= 2 && k.dim() == rank && v.dim() == rank, ValueError, op,
           "expected query, key and value of one rank >= 2, got ", q.shape(), ", ", k.shape(), " and ", v.shape());
  Shape lead(q.shape().begin(), q.shape().end() - 2);
  const int64_t len = q.shape()[rank - 2], e = q.shape()[rank - 1], keys = k.shape()[rank - 2];
  const int64_t ev = v.shape()[rank - 1];
  PG_CHECK(Shape(k.shape().begin(), k.shape().end() - 2) == lead &&
               Shape(v.shape().begin(), v.shape().end() - 2) == lead && k.shape()[rank - 1] == e &&
               v.shape()[rank - 2] == keys,
           ValueError, op, "inconsistent shapes: query ", q.shape(), ", key ", k.shape(), ", value ", v.shape());
  PG_CHECK(dropout_p >= 0 && dropout_p <= 1, ValueError, op, "dropout_p must be in [0, 1], got ", dropout_p);
  if (is_reduced_floating(q.dtype()))  // float32 arithmetic, rounded once
    return as_dtype(flash_attention(widen_reduced(q), widen_reduced(k), widen_reduced(v), widen_reduced(mask), scale,
                                    causal, dropout_p),
                    q.dtype());
  Tensor mask_view;
  if (mask.defined()) {
    PG_CHECK(is_floating(mask.dtype()), TypeError, op, "expected a floating or bool mask, got ",
             dtype_name(mask.dtype()));
    Shape full = lead;
    full.push_back(len);
    full.push_back(keys);
    mask_view = expand_view(as_dtype(mask, q.dtype()), full);  // constant: no gradient flows to the mask
  }
  int64_t batch = 1;
  for (int64_t s : lead) batch *= s;
  Tensor q3 = reshape(contiguous(q), {batch, len, e}), k3 = reshape(contiguous(k), {batch, keys, e});
  Tensor v3 = reshape(contiguous(v), {batch, keys, ev});
  Tensor out = Tensor::empty({batch, len, ev}, q.dtype(), q.device(), op);
  Tensor lse = Tensor::empty({batch, len}, q.dtype(), q.device(), op);
  AttentionKernelArgs args;
  args.in[0] = q3, args.in[1] = k3, args.in[2] = v3;
  args.out[0] = out;
  args.lse = lse;
  args.scale = scale;
  args.causal = causal;
  args.dropout_p = dropout_p;
  if (dropout_p > 0) args.key = next_random_stream();
  set_mask(args, mask_view, batch);
  if (out.numel() > 0 || lse.numel() > 0) run_kernel(OpId::flash_attention, args);
  record(OpId::flash_attention, {&q3, &k3, &v3}, out, Forward().self(q3).other(k3).third(v3).result(out).stats(lse),
         AttentionParams{scale, causal, mask_view, dropout_p, args.key.seed, args.key.stream});
  Shape out_shape = lead;
  out_shape.push_back(len);
  out_shape.push_back(ev);
  return reshape(out, out_shape);
}

std::tuple<Tensor, Tensor, Tensor> flash_attention_backward(const Tensor& grad, const Tensor& q, const Tensor& k,
                                                            const Tensor& v, const Tensor& out, const Tensor& lse,
                                                            const AttentionParams& params) {
  const char* op = "scaled_dot_product_attention_backward";
  AttentionKernelArgs args;
  args.in[0] = contiguous(grad), args.in[1] = q, args.in[2] = k;
  args.v = v, args.o = out, args.lse = lse;
  args.out[0] = Tensor::empty(q.shape(), q.dtype(), q.device(), op);
  args.out[1] = Tensor::empty(k.shape(), k.dtype(), k.device(), op);
  args.grad_v = Tensor::empty(v.shape(), v.dtype(), v.device(), op);
  args.scale = params.scale;
  args.causal = params.causal;
  args.dropout_p = params.dropout_p;
  args.key = RandomStream{params.dropout_seed, params.dropout_stream};
  set_mask(args, params.mask, q.shape()[0]);
  run_kernel(OpId::flash_attention_backward, args);
  return {args.out[0], args.out[1], args.grad_v};
}

}  // namespace pygrad
