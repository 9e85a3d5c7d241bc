// ONE derivative rule per primitive, written with pygrad ops so backward runs on any device and can itself
// be differentiated (create_graph). Rules reuse the saved result where cheaper. Saved layouts are set in
// ops.cpp / views.cpp: elementwise ops save {inputs..., result}.
#include "ops/derivatives.h"

#include <cmath>

#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/ops.h"
#include "ops/nn_ops.h"

namespace pygrad {

namespace {

BackwardFn derivative_table[kNumOps] = {};

struct DerivativeRegistrar {
  DerivativeRegistrar(OpId op, BackwardFn fn) { derivative_table[static_cast<int>(op)] = fn; }
};

class BackwardContext {
 public:
  BackwardContext(Node& node, std::vector<Tensor>& grads) : node_(node), grads_(grads) {}
  const Tensor& grad() const { return grads_[0]; }
  bool needs(size_t i) const { return i < node_.next_edges.size() && node_.next_edges[i].node != nullptr; }
  // A saved tensor, checked against in-place changes since it was saved.
  Tensor saved(size_t i) const {
    const SavedTensor& s = node_.saved.at(i);
    PG_CHECK(s.tensor.version() == s.version, RuntimeError, "backward",
             "one of the variables needed for gradient computation has been modified by an in-place operation: "
             "saved tensor ", i, " of ", node_.name, " is at version ", s.tensor.version(), "; expected version ",
             s.version, " instead");
    if (s.is_output && is_grad_enabled()) {
      // create_graph: give the saved result back its history so the rule is differentiable through it.
      Tensor with_history = detach(s.tensor);
      with_history.set_history(node_.shared_from_this(), 0);
      return with_history;
    }
    return s.tensor;
  }
  double scalar(size_t i) const { return node_.scalars.at(i); }
  int64_t integer(size_t i) const { return node_.ints.at(i); }
  const std::vector<int64_t>& integers() const { return node_.ints; }
  const Shape& shape(size_t i) const { return node_.shapes.at(i); }

 private:
  Node& node_;
  std::vector<Tensor>& grads_;
};

using Grads = std::vector<Tensor>;
Tensor scalar(double v) { return wrapped_scalar(v); }

// Reinserts reduced dims (size 1) into a reduction's gradient when keepdim was false.
Tensor restore_reduced_dims(const Tensor& grad, const Dims& dims, bool keepdim) {
  if (keepdim) return grad;
  Tensor out = grad;
  for (int64_t d : dims) out = unsqueeze(out, d);
  return out;
}

}  // namespace

BackwardFn derivative_of(OpId op) { return derivative_table[static_cast<int>(op)]; }

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  Dims dims;
  for (int64_t d = 0; d < grad.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && grad.shape()[d] != 1)) dims.push_back(d);
  Tensor reduced = dims.empty() ? grad : sum(grad, dims, true);
  return reshape(reduced, shape);
}

#define PG_DERIVATIVE(op)                                                                                     \
  Grads backward_##op(BackwardContext& c);                                                                    \
  const DerivativeRegistrar register_##op(OpId::op, [](Node& node, std::vector<Tensor>& grads) {              \
    BackwardContext context(node, grads);                                                                     \
    return backward_##op(context);                                                                            \
  });                                                                                                         \
  Grads backward_##op(BackwardContext& c)

namespace {

// ---- unary: saved {x, result} (only the slots a rule reads are filled: see unary_saved_needs), scalars {a, b}
PG_DERIVATIVE(neg) { return {neg(c.grad())}; }
PG_DERIVATIVE(abs) { return {mul(c.grad(), sign(c.saved(0)))}; }
PG_DERIVATIVE(sign) { return {zeros(c.grad().shape(), c.grad().dtype())}; }
PG_DERIVATIVE(exp) { return {mul(c.grad(), c.saved(1))}; }
PG_DERIVATIVE(log) { return {div(c.grad(), c.saved(0))}; }
PG_DERIVATIVE(log1p) { return {div(c.grad(), add(c.saved(0), scalar(1)))}; }
PG_DERIVATIVE(sqrt) { return {div(c.grad(), mul(c.saved(1), scalar(2)))}; }
PG_DERIVATIVE(rsqrt) {  // d/dx x^-1/2 = -1/2 result^3
  Tensor r = c.saved(1);
  return {mul(c.grad(), mul(mul(r, mul(r, r)), scalar(-0.5)))};
}
PG_DERIVATIVE(sin) { return {mul(c.grad(), cos(c.saved(0)))}; }
PG_DERIVATIVE(cos) { return {neg(mul(c.grad(), sin(c.saved(0))))}; }
PG_DERIVATIVE(erf) {  // 2/sqrt(pi) exp(-x^2)
  Tensor x = c.saved(0);
  return {mul(c.grad(), mul(exp(neg(mul(x, x))), scalar(1.1283791670955126)))};
}
PG_DERIVATIVE(sigmoid) {
  Tensor s = c.saved(1);
  return {mul(c.grad(), mul(s, sub(scalar(1), s)))};
}
PG_DERIVATIVE(tanh) {
  Tensor t = c.saved(1);
  return {mul(c.grad(), sub(scalar(1), mul(t, t)))};
}
PG_DERIVATIVE(relu) { return {relu_backward(c.grad(), c.saved(1))}; }
// relu_backward(grad, result): saved {grad, result}; linear in grad, and zero almost everywhere in result.
PG_DERIVATIVE(relu_backward) {
  Tensor result = c.saved(1);
  return {c.needs(0) ? sum_to(relu_backward(c.grad(), result), c.saved(0).shape()) : Tensor(),
          c.needs(1) ? zeros(result.shape(), result.dtype()) : Tensor()};
}
PG_DERIVATIVE(leaky_relu) {
  return {where(gt(c.saved(0), scalar(0)), c.grad(), mul(c.grad(), scalar(c.scalar(0))))};
}
PG_DERIVATIVE(gelu) {
  Tensor x = c.saved(0);
  if (c.scalar(1) != 0) {  // tanh form: 0.5(1+t) + 0.5 x (1-t^2) k (1 + 3 * 0.044715 x^2)
    const double k = 0.7978845608028654;
    Tensor x2 = mul(x, x);
    Tensor t = tanh(mul(mul(x, add(mul(x2, scalar(0.044715)), scalar(1))), scalar(k)));
    Tensor inner_derivative = mul(add(mul(x2, scalar(3 * 0.044715)), scalar(1)), scalar(k));
    Tensor d = add(mul(add(t, scalar(1)), scalar(0.5)),
                   mul(mul(mul(x, sub(scalar(1), mul(t, t))), inner_derivative), scalar(0.5)));
    return {mul(c.grad(), d)};
  }
  // exact: Phi(x) + x phi(x)
  Tensor cdf = mul(add(erf(mul(x, scalar(0.7071067811865476))), scalar(1)), scalar(0.5));
  Tensor pdf = mul(exp(mul(mul(x, x), scalar(-0.5))), scalar(0.3989422804014327));
  return {mul(c.grad(), add(cdf, mul(x, pdf)))};
}
PG_DERIVATIVE(clamp) {
  Tensor x = c.saved(0);
  return {mul(c.grad(), logical_and(ge(x, scalar(c.scalar(0))), le(x, scalar(c.scalar(1)))))};
}

// ---- binary: saved {a, b, result} (result only for pow); each grad summed back to its input's shape
// add / sub: shapes {a, b} only
PG_DERIVATIVE(add) {
  return {c.needs(0) ? sum_to(c.grad(), c.shape(0)) : Tensor(), c.needs(1) ? sum_to(c.grad(), c.shape(1)) : Tensor()};
}
PG_DERIVATIVE(sub) {
  return {c.needs(0) ? sum_to(c.grad(), c.shape(0)) : Tensor(),
          c.needs(1) ? sum_to(neg(c.grad()), c.shape(1)) : Tensor()};
}
PG_DERIVATIVE(mul) {
  Tensor a = c.saved(0), b = c.saved(1);
  return {c.needs(0) ? sum_to(mul(c.grad(), b), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(mul(c.grad(), a), b.shape()) : Tensor()};
}
PG_DERIVATIVE(div) {  // d/db a/b = -a/b^2
  Tensor a = c.saved(0), b = c.saved(1);
  return {c.needs(0) ? sum_to(div(c.grad(), b), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(neg(div(mul(c.grad(), a), mul(b, b))), b.shape()) : Tensor()};
}
PG_DERIVATIVE(pow) {  // d/da = b a^(b-1); d/db = a^b log a (0 where a == 0 and b >= 0)
  Tensor a = c.saved(0), b = c.saved(1);
  Tensor ga, gb;
  if (c.needs(0)) ga = sum_to(mul(c.grad(), mul(b, pow(a, sub(b, scalar(1))))), a.shape());
  if (c.needs(1)) {
    Tensor r = c.saved(2);
    Tensor safe_log = where(logical_and(eq(a, scalar(0)), ge(b, scalar(0))), zeros({}, a.dtype()), log(a));
    gb = sum_to(mul(c.grad(), mul(r, safe_log)), b.shape());
  }
  return {ga, gb};
}
// maximum / minimum: the larger (smaller) input takes the gradient; ties split it evenly.
Grads extremum_rule(BackwardContext& c, bool is_max) {
  Tensor a = c.saved(0), b = c.saved(1);
  Tensor tie = mul(eq(a, b), scalar(0.5));
  Tensor a_wins = add(is_max ? gt(a, b) : lt(a, b), tie);
  Tensor b_wins = add(is_max ? lt(a, b) : gt(a, b), tie);
  return {c.needs(0) ? sum_to(mul(c.grad(), a_wins), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(mul(c.grad(), b_wins), b.shape()) : Tensor()};
}
PG_DERIVATIVE(maximum) { return extremum_rule(c, true); }
PG_DERIVATIVE(minimum) { return extremum_rule(c, false); }

// where: saved {condition}, shapes {x, y}
PG_DERIVATIVE(where) {
  Tensor zero = zeros({}, c.grad().dtype());
  return {c.needs(0) ? sum_to(where(c.saved(0), c.grad(), zero), c.shape(0)) : Tensor(),
          c.needs(1) ? sum_to(where(c.saved(0), zero, c.grad()), c.shape(1)) : Tensor()};
}

// ---- reductions
// sum: shapes {input}, ints = reduced dims, scalars {keepdim}; [reduced] -> [input] by broadcasting.
PG_DERIVATIVE(sum) { return {expand(restore_reduced_dims(c.grad(), c.integers(), c.scalar(0) != 0), c.shape(0))}; }
// amax / amin: saved {x, result}; the gradient is shared evenly among the tied extreme elements.
Grads extreme_rule(BackwardContext& c) {
  Tensor x = c.saved(0);
  const bool keepdim = c.scalar(0) != 0;
  Tensor result = restore_reduced_dims(c.saved(1), c.integers(), keepdim);
  Tensor mask = eq(x, result);
  Tensor count = sum(mask, c.integers(), true, x.dtype());
  return {div(mul(restore_reduced_dims(c.grad(), c.integers(), keepdim), mask), count)};
}
PG_DERIVATIVE(amax) { return extreme_rule(c); }
PG_DERIVATIVE(amin) { return extreme_rule(c); }

// x @ y, laid out like `like`: when like is a transposed contiguous matrix (the W.T of x @ W.T), computed as
// (y.T @ x.T).T so the transpose's own backward hands the leaf a contiguous gradient it adopts without a copy.
Tensor product_like(const Tensor& x, const Tensor& y, const Tensor& like) {
  const bool transposed = like.dim() == 2 && like.shape()[0] > 1 && like.shape()[1] > 1 && like.strides()[0] == 1 &&
                          like.strides()[1] == like.shape()[0];
  if (!transposed || x.dim() != 2 || y.dim() != 2) return matmul(x, y);
  return transpose(matmul(transpose(y, 0, 1), transpose(x, 0, 1)), 0, 1);
}

// matmul: saved {a [..., m, k], b [..., k, n]}; grad [..., m, n]
PG_DERIVATIVE(matmul) {
  Tensor a = c.saved(0), b = c.saved(1);
  return {c.needs(0) ? sum_to(product_like(c.grad(), transpose(b, -1, -2), a), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(product_like(transpose(a, -1, -2), c.grad(), b), b.shape()) : Tensor()};
}

// linear: saved {x [N, in], weight [out, in]}; grad [N, out]; bias [out]
PG_DERIVATIVE(linear) {
  Tensor x = c.saved(0), w = c.saved(1);
  return {c.needs(0) ? matmul(c.grad(), w) : Tensor(), c.needs(1) ? matmul(transpose(c.grad(), 0, 1), x) : Tensor(),
          c.needs(2) ? sum(c.grad(), {0}) : Tensor()};
}

// ---- indexing
// gather: saved {index}, shapes {x}, ints {dim}
PG_DERIVATIVE(gather) {
  return {scatter_add(zeros(c.shape(0), c.grad().dtype()), c.integer(0), c.saved(0), c.grad())};
}
// scatter_add: saved {index}, shapes {src}, ints {dim}
PG_DERIVATIVE(scatter_add) {
  Tensor gsrc;
  if (c.needs(1)) {
    Tensor index = c.saved(0);
    gsrc = gather(c.grad(), c.integer(0), index);
    if (index.shape() != c.shape(0))  // src positions the index never reached get no gradient
      gsrc = strided_view_backward(gsrc, c.shape(0), index.shape(), contiguous_strides(c.shape(0)), 0);
  }
  return {c.grad(), gsrc};
}
// index_select: saved {index}, shapes {x}, ints {dim}
PG_DERIVATIVE(index_select) {
  return {index_add(zeros(c.shape(0), c.grad().dtype()), c.integer(0), c.saved(0), c.grad())};
}
// index_add: saved {index}, ints {dim}
PG_DERIVATIVE(index_add) {
  return {c.grad(), c.needs(1) ? index_select(c.grad(), c.integer(0), c.saved(0)) : Tensor()};
}
// cross_entropy: saved {logits [N, C], target [N]}, scalars {smoothing}, ints {ignore_index}; grad [N]
PG_DERIVATIVE(cross_entropy) {
  Tensor logits = c.saved(0), target = c.saved(1);
  const double smoothing = c.scalar(0);
  // No graph being built (no create_graph): the same formula in one fused pass.
  if (!is_grad_enabled()) return {cross_entropy_backward(c.grad(), logits, target, c.integer(0), smoothing)};
  const double classes = static_cast<double>(logits.shape()[1]);
  Tensor valid = ne(target, wrapped_scalar(c.integer(0)));
  Tensor safe_target = where(valid, target, zeros({}, DType::Int64));
  // In the logits' dtype from the start: int64 one_hot times a Python float would round through float32.
  Tensor target_distribution = add(mul(to_dtype(one_hot(safe_target, logits.shape()[1]), logits.dtype()),
                                       scalar(1.0 - smoothing)),
                                   scalar(smoothing / classes));
  Tensor row_grad = unsqueeze(mul(c.grad(), valid), 1);
  return {mul(sub(softmax(logits, 1), target_distribution), row_grad)};
}

// ---- views and copies
PG_DERIVATIVE(reshape) { return {reshape(c.grad(), c.shape(0))}; }       // shapes {input}
PG_DERIVATIVE(permute) { return {permute(c.grad(), c.integers())}; }     // ints: inverse permutation
PG_DERIVATIVE(expand) { return {sum_to(c.grad(), c.shape(0))}; }         // shapes {input}
// strided_view: shapes {input, view shape, view strides (contiguous-relative)}, ints {offset}
PG_DERIVATIVE(strided_view) {
  return {strided_view_backward(c.grad(), c.shape(0), c.shape(1), c.shape(2), c.integer(0))};
}
PG_DERIVATIVE(strided_view_backward) { return {strided_view(c.grad(), c.shape(1), c.shape(2), c.integer(0))}; }
PG_DERIVATIVE(convert) { return {c.grad()}; }  // the engine casts it back to the input's dtype
PG_DERIVATIVE(clone) { return {c.grad()}; }
// cat: ints {dim, size of each input along dim}
PG_DERIVATIVE(cat) {
  const int64_t dim = c.integer(0);
  Grads grads;
  int64_t offset = 0;
  for (size_t i = 1; i < c.integers().size(); ++i) {
    const int64_t size = c.integer(i);
    grads.push_back(c.needs(i - 1) ? narrow(c.grad(), dim, offset, size) : Tensor());
    offset += size;
  }
  return grads;
}


// ---- network ops (nn_ops.cpp)
// conv2d family: ints {stride h, w, padding h, w, dilation h, w, groups}; saved {first, second input};
// shapes {the other tensor's shape}. B(x, W, g) = <conv2d(x, W), g> is bilinear, so each gradient is a partial of B.
struct ConvRuleArgs {
  Dims stride, padding, dilation;
  int64_t groups;
};
ConvRuleArgs conv_rule_args(BackwardContext& c) {
  return {{c.integer(0), c.integer(1)}, {c.integer(2), c.integer(3)}, {c.integer(4), c.integer(5)}, c.integer(6)};
}
// conv2d: saved {x [N, C, H, W], weight [O, C/g, kh, kw]}; grad [N, O, OH, OW]
PG_DERIVATIVE(conv2d) {
  Tensor x = c.saved(0), w = c.saved(1);
  ConvRuleArgs a = conv_rule_args(c);
  return {c.needs(0) ? conv2d_input_backward(c.grad(), w, x.shape(), a.stride, a.padding, a.dilation, a.groups) : Tensor(),
          c.needs(1) ? conv2d_weight_backward(c.grad(), x, w.shape(), a.stride, a.padding, a.dilation, a.groups) : Tensor(),
          c.needs(2) ? sum(c.grad(), {0, 2, 3}) : Tensor()};
}
// conv2d_input_backward: saved {g [N, O, OH, OW], weight}; grad [N, C, H, W]
PG_DERIVATIVE(conv2d_input_backward) {
  Tensor g = c.saved(0), w = c.saved(1);
  ConvRuleArgs a = conv_rule_args(c);
  return {c.needs(0) ? conv2d(c.grad(), w, Tensor(), a.stride, a.padding, a.dilation, a.groups) : Tensor(),
          c.needs(1) ? conv2d_weight_backward(g, c.grad(), w.shape(), a.stride, a.padding, a.dilation, a.groups) : Tensor()};
}
// conv2d_weight_backward: saved {g [N, O, OH, OW], x [N, C, H, W]}; grad [O, C/g, kh, kw]
PG_DERIVATIVE(conv2d_weight_backward) {
  Tensor g = c.saved(0), x = c.saved(1);
  ConvRuleArgs a = conv_rule_args(c);
  return {c.needs(0) ? conv2d(x, c.grad(), Tensor(), a.stride, a.padding, a.dilation, a.groups) : Tensor(),
          c.needs(1) ? conv2d_input_backward(g, c.grad(), x.shape(), a.stride, a.padding, a.dilation, a.groups) : Tensor()};
}
// max_pool2d: saved {indices [N, C, OH, OW]}, shapes {x}: scatter the gradient to the argmax positions
PG_DERIVATIVE(max_pool2d) { return {max_pool2d_backward(c.grad(), c.saved(0), c.shape(0))}; }
// max_pool2d_backward: saved {indices}; grad [N, C, H, W] -> gather at the indices
PG_DERIVATIVE(max_pool2d_backward) {
  Tensor index = c.saved(0);
  const Shape& s = index.shape();
  Tensor flat = reshape(c.grad(), {s[0], s[1], -1});
  return {reshape(gather(flat, 2, reshape(index, {s[0], s[1], -1})), s)};
}
// avg_pool2d(_backward): ints {kernel h, w, stride h, w, padding h, w, count_include_pad, divisor, ceil_mode},
// shapes {input}; each is the other's adjoint.
PG_DERIVATIVE(avg_pool2d) {
  const auto& i = c.integers();
  return {avg_pool2d_backward(c.grad(), c.shape(0), {i[0], i[1]}, {i[2], i[3]}, {i[4], i[5]}, i[8] != 0, i[6] != 0, i[7])};
}
PG_DERIVATIVE(avg_pool2d_backward) {
  const auto& i = c.integers();
  std::optional<int64_t> divisor = i[7] != 0 ? std::optional<int64_t>(i[7]) : std::nullopt;
  return {avg_pool2d(c.grad(), {i[0], i[1]}, {i[2], i[3]}, {i[4], i[5]}, i[8] != 0, i[6] != 0, divisor)};
}
// adaptive_avg_pool2d: shapes {input}; its backward: shapes {grad}
PG_DERIVATIVE(adaptive_avg_pool2d) { return {adaptive_avg_pool2d_backward(c.grad(), c.shape(0))}; }
PG_DERIVATIVE(adaptive_avg_pool2d_backward) {
  return {adaptive_avg_pool2d(c.grad(), {c.shape(0)[2], c.shape(0)[3]})};
}

}  // namespace
}  // namespace pygrad
