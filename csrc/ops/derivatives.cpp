// ONE derivative rule per primitive, written with pygrad ops so backward runs on any device and can itself
// be differentiated (create_graph). Each rule declares what it reads back from the forward, by name (saved
// tensors, input shapes: core/node.h SavedValue) and the type of its attributes (core/op_attributes.h); the
// recorder (ops/record.cpp) saves exactly that, and reading anything undeclared does not compile.
#include "ops/derivatives.h"

#include <cmath>

#include "ops/derivative_rule.h"
#include "ops/nn_ops.h"

namespace pygrad {

using namespace derivative_detail;

namespace {

DerivativeRule* derivative_table() {
  static DerivativeRule table[kNumOps] = {};  // on first use: rules in other files register at static init
  return table;
}

// Whether the registry marks an elementwise op as differentiable (all but Compare, Bitwise and Predicate kinds).
constexpr bool differentiable_kind(const char* kind) { return kind[0] != 'C' && kind[0] != 'B' && kind[0] != 'P'; }

}  // namespace

const DerivativeRule& derivative_of(OpId op) { return derivative_table()[static_cast<int>(op)]; }

void register_derivative(OpId op, DerivativeRule rule) { derivative_table()[static_cast<int>(op)] = rule; }

void check_derivative_table() {
#define PG_UNARY_OP(name, Functor, kind, doc) check(OpId::name, #kind);
#define PG_UNARY_OP_PARAM(name, Functor, kind, doc) check(OpId::name, #kind);
#define PG_BINARY_OP(name, Functor, kind, doc) check(OpId::name, #kind);
#define PG_INTERNAL_BINARY_OP(name, Functor, kind, doc) check(OpId::name, #kind);
  auto check = [](OpId op, const char* kind) {
    PG_CHECK(!differentiable_kind(kind) || derivative_of(op).backward, RuntimeError, op_name(op),
             "has no derivative rule (ops/derivatives*.cpp; every elementwise op but comparisons needs one)");
  };
#include "core/op_list.def"
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  Dims dims;
  for (int64_t d = 0; d < grad.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && grad.shape()[d] != 1)) dims.push_back(d);
  Tensor reduced = dims.empty() ? grad : sum(grad, dims, true);
  return reshape(reduced, shape);
}

namespace {

// ---- unary: each grad has x's shape
PG_DERIVATIVE(neg, kSavesNothing, NoAttributes) { return {neg(c.grad())}; }
PG_DERIVATIVE(abs, kSelf, NoAttributes) { return {mul(c.grad(), sign(c.self()))}; }
PG_DERIVATIVE(sign, kSavesNothing, NoAttributes) { return {zeros(c.grad().shape(), c.grad().dtype())}; }
PG_DERIVATIVE(exp, kResult, NoAttributes) { return {mul(c.grad(), c.result())}; }
PG_DERIVATIVE(log, kSelf, NoAttributes) { return {div(c.grad(), c.self())}; }
PG_DERIVATIVE(log1p, kSelf, NoAttributes) { return {div(c.grad(), add(c.self(), scalar(1)))}; }
PG_DERIVATIVE(sqrt, kResult, NoAttributes) { return {div(c.grad(), mul(c.result(), scalar(2)))}; }
PG_DERIVATIVE(rsqrt, kResult, NoAttributes) {  // d/dx x^-1/2 = -1/2 result^3
  Tensor r = c.result();
  return {mul(c.grad(), mul(mul(r, mul(r, r)), scalar(-0.5)))};
}
PG_DERIVATIVE(sin, kSelf, NoAttributes) { return {mul(c.grad(), cos(c.self()))}; }
PG_DERIVATIVE(cos, kSelf, NoAttributes) { return {neg(mul(c.grad(), sin(c.self())))}; }
PG_DERIVATIVE(erf, kSelf, NoAttributes) {  // 2/sqrt(pi) exp(-x^2)
  Tensor x = c.self();
  return {mul(c.grad(), mul(exp(neg(mul(x, x))), scalar(1.1283791670955126)))};
}
PG_DERIVATIVE(sigmoid, kResult, NoAttributes) {
  Tensor s = c.result();
  return {mul(c.grad(), mul(s, sub(scalar(1), s)))};
}
PG_DERIVATIVE(tanh, kResult, NoAttributes) {
  Tensor t = c.result();
  return {mul(c.grad(), sub(scalar(1), mul(t, t)))};
}
PG_DERIVATIVE(relu, kResult, NoAttributes) { return {relu_backward(c.grad(), c.result())}; }
// relu_backward(grad, result): linear in grad, and zero almost everywhere in result.
PG_DERIVATIVE(relu_backward, kSelfShape | kOther, NoAttributes) {
  Tensor result = c.other();
  return {c.needs(0) ? sum_to(relu_backward(c.grad(), result), c.self_shape()) : Tensor(),
          c.needs(1) ? zeros(result.shape(), result.dtype()) : Tensor()};
}
PG_DERIVATIVE(leaky_relu, kSelf, LeakyReluParams) {
  return {where(gt(c.self(), scalar(0)), c.grad(), mul(c.grad(), scalar(c.attributes().negative_slope)))};
}
PG_DERIVATIVE(gelu, kSelf, GeluParams) {
  Tensor x = c.self();
  if (!is_grad_enabled()) return {gelu_backward(c.grad(), x, c.attributes().tanh_approximation)};  // fused
  if (c.attributes().tanh_approximation) {  // 0.5(1+t) + 0.5 x (1-t^2) k (1 + 3 * 0.044715 x^2)
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
PG_DERIVATIVE(clamp, kSelf, ClampParams) {
  Tensor x = c.self();
  return {mul(c.grad(), logical_and(ge(x, scalar(c.attributes().min)), le(x, scalar(c.attributes().max))))};
}

// ---- binary: each grad summed back to its input's shape
PG_DERIVATIVE(add, kSelfShape | kOtherShape, NoAttributes) {
  return {c.needs(0) ? sum_to(c.grad(), c.self_shape()) : Tensor(),
          c.needs(1) ? sum_to(c.grad(), c.other_shape()) : Tensor()};
}
PG_DERIVATIVE(sub, kSelfShape | kOtherShape, NoAttributes) {
  return {c.needs(0) ? sum_to(c.grad(), c.self_shape()) : Tensor(),
          c.needs(1) ? sum_to(neg(c.grad()), c.other_shape()) : Tensor()};
}
PG_DERIVATIVE(mul, kSelfForOther | kOtherForSelf | kSelfShape | kOtherShape, NoAttributes) {
  return {c.needs(0) ? sum_to(mul(c.grad(), c.other()), c.self_shape()) : Tensor(),
          c.needs(1) ? sum_to(mul(c.grad(), c.self()), c.other_shape()) : Tensor()};
}
PG_DERIVATIVE(div, kSelfForOther | kOther | kSelfShape, NoAttributes) {  // d/db a/b = -a/b^2
  Tensor b = c.other();
  return {c.needs(0) ? sum_to(div(c.grad(), b), c.self_shape()) : Tensor(),
          c.needs(1) ? sum_to(neg(div(mul(c.grad(), c.self()), mul(b, b))), b.shape()) : Tensor()};
}
// pow, as torch: d/da = b a^(b-1), 0 where b == 0 (also at a = 0 or inf); d/db = a^b log a, 0 at a = 0, b >= 0.
PG_DERIVATIVE(pow, kSelf | kOther | kResult, NoAttributes) {
  Tensor a = c.self(), b = c.other();
  Tensor ga, gb;
  if (c.needs(0)) {
    Tensor zero = zeros({}, a.dtype());
    ga = sum_to(where(eq(b, scalar(0)), zero, mul(c.grad(), mul(b, pow(a, sub(b, scalar(1)))))), a.shape());
  }
  if (c.needs(1)) {
    Tensor safe_log = where(logical_and(eq(a, scalar(0)), ge(b, scalar(0))), zeros({}, a.dtype()), log(a));
    gb = sum_to(mul(c.grad(), mul(c.result(), safe_log)), b.shape());
  }
  return {ga, gb};
}
// maximum / minimum, as torch: the larger (smaller) input takes the gradient, ties split it evenly, and where a
// NaN makes both comparisons false both inputs take it.
template <class Context>
Grads extremum_rule(const Context& c, bool is_max) {
  Tensor a = c.self(), b = c.other();
  Tensor half = where(eq(a, b), mul(c.grad(), scalar(0.5)), c.grad());
  Tensor zero = zeros({}, half.dtype());
  return {c.needs(0) ? sum_to(where(is_max ? lt(a, b) : gt(a, b), zero, half), a.shape()) : Tensor(),
          c.needs(1) ? sum_to(where(is_max ? gt(a, b) : lt(a, b), zero, half), b.shape()) : Tensor()};
}
PG_DERIVATIVE(maximum, kSelf | kOther, NoAttributes) { return extremum_rule(c, true); }
PG_DERIVATIVE(minimum, kSelf | kOther, NoAttributes) { return extremum_rule(c, false); }

// where(condition, x, y): inputs {x, y}
PG_DERIVATIVE(where, kCondition | kSelfShape | kOtherShape, NoAttributes) {
  Tensor zero = zeros({}, c.grad().dtype());
  return {c.needs(0) ? sum_to(where(c.condition(), c.grad(), zero), c.self_shape()) : Tensor(),
          c.needs(1) ? sum_to(where(c.condition(), zero, c.grad()), c.other_shape()) : Tensor()};
}

// ---- reductions
// sum: [reduced] -> [input] by broadcasting.
// Each input adds into every later running sum: the gradient is the running sum of grad the other way.
PG_DERIVATIVE(cumsum, kSavesNothing, ScanParams) {
  return {cumsum(c.grad(), c.attributes().dim, !c.attributes().reverse)};
}
PG_DERIVATIVE(sum, kSelfShape, ReduceParams) {
  const ReduceParams& r = c.attributes();
  return {expand(restore_reduced_dims(c.grad(), r.dims, r.keepdim), c.self_shape())};
}
// amax / amin: the gradient is shared evenly among the tied extreme elements.
template <class Context>
Grads extreme_rule(const Context& c) {
  const ReduceParams& r = c.attributes();
  Tensor x = c.self();
  Tensor result = restore_reduced_dims(c.result(), r.dims, r.keepdim);
  Tensor mask = eq(x, result);
  Tensor count = sum(mask, r.dims, true, x.dtype());
  return {div(mul(restore_reduced_dims(c.grad(), r.dims, r.keepdim), mask), count)};
}
PG_DERIVATIVE(amax, kSelf | kResult, ReduceParams) { return extreme_rule(c); }
PG_DERIVATIVE(amin, kSelf | kResult, ReduceParams) { return extreme_rule(c); }

// x @ y, laid out like `like`: when like is a transposed contiguous matrix (the W.T of x @ W.T), computed as
// (y.T @ x.T).T so the transpose's own backward hands the leaf a contiguous gradient it adopts without a copy.
Tensor product_like(const Tensor& x, const Tensor& y, const Tensor& like) {
  const bool transposed = like.dim() == 2 && like.shape()[0] > 1 && like.shape()[1] > 1 && like.strides()[0] == 1 &&
                          like.strides()[1] == like.shape()[0];
  if (!transposed || x.dim() != 2 || y.dim() != 2) return matmul(x, y);
  return transpose(matmul(transpose(y, 0, 1), transpose(x, 0, 1)), 0, 1);
}

// matmul: a [..., m, k], b [..., k, n]; grad [..., m, n]
PG_DERIVATIVE(matmul, kSelf | kOther, NoAttributes) {
  Tensor a = c.self(), b = c.other();
  Tensor grad_b;
  if (c.needs(1) && b.dim() == 2 && a.dim() > 2) {
    // A matrix shared by every batch entry: one [k, rows] @ [rows, n] product, not a batched one summed over batch.
    const int64_t k = a.shape().back(), n = b.shape()[1];
    int64_t rows = 1;
    for (int64_t d = 0; d + 1 < a.dim(); ++d) rows *= a.shape()[d];
    grad_b = product_like(transpose(reshape(a, {rows, k}), 0, 1), reshape(c.grad(), {rows, n}), b);
  } else if (c.needs(1)) {
    grad_b = sum_to(product_like(transpose(a, -1, -2), c.grad(), b), b.shape());
  }
  return {c.needs(0) ? sum_to(product_like(c.grad(), transpose(b, -1, -2), a), a.shape()) : Tensor(), grad_b};
}

// linear: x [N, in], weight [out, in], bias [out]; grad [N, out]
PG_DERIVATIVE(linear, kSelf | kOther, NoAttributes) {
  Tensor x = c.self(), w = c.other();
  return {c.needs(0) ? matmul(c.grad(), w) : Tensor(), c.needs(1) ? matmul(transpose(c.grad(), 0, 1), x) : Tensor(),
          c.needs(2) ? sum(c.grad(), {0}) : Tensor()};
}

// ---- indexing
PG_DERIVATIVE(gather, kIndex | kSelfShape, DimParams) {
  return {scatter_add(zeros(c.self_shape(), c.grad().dtype()), c.attributes().dim, c.index(), c.grad())};
}
// scatter_add: inputs {self, src}
PG_DERIVATIVE(scatter_add, kIndex | kOtherShape, DimParams) {
  Tensor gsrc;
  if (c.needs(1)) {
    Tensor index = c.index();
    const Shape& src_shape = c.other_shape();
    gsrc = gather(c.grad(), c.attributes().dim, index);
    if (index.shape() != src_shape)  // src positions the index never reached get no gradient
      gsrc = strided_view_backward(gsrc, src_shape, index.shape(), contiguous_strides(src_shape), 0);
  }
  return {c.grad(), gsrc};
}
PG_DERIVATIVE(index_select, kIndex | kSelfShape, DimParams) {
  return {index_add(zeros(c.self_shape(), c.grad().dtype()), c.attributes().dim, c.index(), c.grad())};
}
// index_add: inputs {self, source}
PG_DERIVATIVE(index_add, kIndex, DimParams) {
  return {c.grad(), c.needs(1) ? index_select(c.grad(), c.attributes().dim, c.index()) : Tensor()};
}
// cross_entropy: logits [N, C], target [N]; grad [N]
PG_DERIVATIVE(cross_entropy, kSelf | kTarget, CrossEntropyParams) {
  Tensor logits = c.self(), target = c.target();
  const CrossEntropyParams& p = c.attributes();
  // No graph being built (no create_graph): the same formula in one fused pass.
  if (!is_grad_enabled()) return {cross_entropy_backward(c.grad(), logits, target, p.ignore_index, p.label_smoothing)};
  const double classes = static_cast<double>(logits.shape()[1]);
  Tensor valid = ne(target, wrapped_scalar(p.ignore_index));
  Tensor safe_target = where(valid, target, zeros({}, DType::Int64));
  // In the logits' dtype from the start: int64 one_hot times a Python float would round through float32.
  Tensor target_distribution =
      add(mul(to_dtype(one_hot(safe_target, logits.shape()[1]), logits.dtype()), scalar(1.0 - p.label_smoothing)),
          scalar(p.label_smoothing / classes));
  Tensor row_grad = unsqueeze(mul(c.grad(), valid), 1);
  return {mul(sub(softmax(logits, 1), target_distribution), row_grad)};
}

// ---- views and copies
PG_DERIVATIVE(reshape, kSelfShape, NoAttributes) { return {reshape(c.grad(), c.self_shape())}; }
PG_DERIVATIVE(permute, kSavesNothing, PermuteParams) { return {permute(c.grad(), c.attributes().inverse)}; }
PG_DERIVATIVE(expand, kSelfShape, NoAttributes) { return {sum_to(c.grad(), c.self_shape())}; }
PG_DERIVATIVE(strided_view, kSelfShape, ViewGeometry) {
  const ViewGeometry& v = c.attributes();
  return {strided_view_backward(c.grad(), c.self_shape(), v.shape, v.strides, v.offset)};
}
PG_DERIVATIVE(strided_view_backward, kSavesNothing, ViewGeometry) {
  const ViewGeometry& v = c.attributes();
  return {strided_view(c.grad(), v.shape, v.strides, v.offset)};
}
// Every view element adds its gradient into the input element it reads (views may overlap).
PG_DERIVATIVE(as_strided, kSelfShape, ViewGeometry) {
  const ViewGeometry& v = c.attributes();
  const int64_t numel = numel_of(c.self_shape());
  Tensor positions = strided_view(arange(0, static_cast<double>(numel), 1, DType::Int64), v.shape, v.strides, v.offset);
  Tensor flat = index_add(zeros({numel}, c.grad().dtype(), c.grad().device()), 0, reshape(positions, {-1}),
                          reshape(c.grad(), {-1}));
  return {reshape(flat, c.self_shape())};
}
// The base after a write through a view: the old base keeps the gradient outside the region, the written values get
// the region's.
PG_DERIVATIVE(view_scatter, kSelfShape, ViewGeometry) {
  const ViewGeometry& v = c.attributes();
  const Tensor& grad = c.grad();
  Tensor region = strided_view_backward(full(v.shape, 1.0, DType::Bool, grad.device()), c.self_shape(), v.shape,
                                        v.strides, v.offset);
  return {where(region, zeros({}, grad.dtype(), grad.device()), grad),
          strided_view(grad, v.shape, v.strides, v.offset)};
}
PG_DERIVATIVE(convert, kSavesNothing, NoAttributes) { return {c.grad()}; }  // the engine casts it back
PG_DERIVATIVE(clone, kSavesNothing, NoAttributes) { return {c.grad()}; }
PG_DERIVATIVE(cat, kSavesNothing, CatParams) {
  const CatParams& p = c.attributes();
  Grads grads;
  int64_t offset = 0;
  for (size_t i = 0; i < p.sizes.size(); ++i) {
    grads.push_back(c.needs(i) ? narrow(c.grad(), p.dim, offset, p.sizes[i]) : Tensor());
    offset += p.sizes[i];
  }
  return grads;
}

// ---- network ops (nn_ops.cpp)
// convolution family (1, 2 or 3 spatial dims). B(x, W, g) = <conv(x, W), g> is bilinear, so each gradient is a
// partial of B; conv_to_shape narrows where a transposed conv's output_padding made g one step shorter.
// convolution: x [N, C, *S], weight [O, C/g, *K], bias [O]; grad [N, O, *OS]
PG_DERIVATIVE(convolution, kSelf | kOther, ConvParams) {
  Tensor x = c.self(), w = c.other();
  const ConvParams& p = c.attributes();
  Dims batch_and_spatial{0};
  for (int64_t i = 0; i < p.spatial; ++i) batch_and_spatial.push_back(2 + i);
  return {c.needs(0) ? convolution_input_backward(c.grad(), w, x.shape(), p) : Tensor(),
          c.needs(1) ? convolution_weight_backward(c.grad(), x, w.shape(), p) : Tensor(),
          c.needs(2) ? sum(c.grad(), batch_and_spatial) : Tensor()};
}
// convolution_input_backward: g [N, O, *OS], weight; grad [N, C, *S]
PG_DERIVATIVE(convolution_input_backward, kSelf | kOther, ConvParams) {
  Tensor g = c.self(), w = c.other();
  const ConvParams& p = c.attributes();
  return {c.needs(0) ? conv_to_shape(c.grad(), w, p, g.shape()) : Tensor(),
          c.needs(1) ? convolution_weight_backward(g, c.grad(), w.shape(), p) : Tensor()};
}
// convolution_weight_backward: g [N, O, *OS], x [N, C, *S]; grad [O, C/g, *K]
PG_DERIVATIVE(convolution_weight_backward, kSelf | kOther, ConvParams) {
  Tensor g = c.self(), x = c.other();
  const ConvParams& p = c.attributes();
  return {c.needs(0) ? conv_to_shape(x, c.grad(), p, g.shape()) : Tensor(),
          c.needs(1) ? convolution_input_backward(g, c.grad(), x.shape(), p) : Tensor()};
}
// im2col (unfold) and col2im (fold) are adjoint linear maps: each one's gradient is the other.
PG_DERIVATIVE(im2col, kSelfShape, ConvParams) { return {col2im(c.grad(), c.self_shape(), c.attributes())}; }
PG_DERIVATIVE(col2im, kSavesNothing, ConvParams) { return {im2col(c.grad(), c.attributes())}; }
// layer_norm: x [M, N], weight [N] or undefined, bias [N] or undefined; stats [2, M] (mean, rstd); grad [M, N]
PG_DERIVATIVE(layer_norm, kSelf | kOther | kStats, ScalarParams) {
  Tensor x = c.self(), w = c.other(), g = c.grad();
  if (!is_grad_enabled()) {  // not differentiated again: one fused kernel
    auto [gx, gw, gb] = layer_norm_backward(g, x, w, c.stats(), c.needs(0), c.needs(1), c.needs(2));
    return {gx, gw, gb};
  }
  // create_graph: the same formula in ops, the statistics recomputed from x so that they carry their gradient.
  // gx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) with gw = g * w
  Tensor centered = sub(x, mean(x, {1}, true));
  Tensor rstd = rsqrt(add(mean(mul(centered, centered), {1}, true), wrapped_scalar(c.attributes().value)));
  Tensor xhat = mul(centered, rstd);
  Tensor gw = w.defined() ? mul(g, w) : g;
  Tensor gx = mul(rstd, sub(sub(gw, mean(gw, {1}, true)), mul(xhat, mean(mul(gw, xhat), {1}, true))));
  return {c.needs(0) ? gx : Tensor(), c.needs(1) ? sum(mul(g, xhat), {0}) : Tensor(),
          c.needs(2) ? sum(g, {0}) : Tensor()};
}
// max_pool2d: indices [N, C, OH, OW]: scatter the gradient to the argmax positions
PG_DERIVATIVE(max_pool2d, kIndex | kSelfShape, NoAttributes) {
  return {max_pool2d_backward(c.grad(), c.index(), c.self_shape())};
}
// max_pool2d_backward: grad [N, C, H, W] -> gather at the indices
PG_DERIVATIVE(max_pool2d_backward, kIndex, NoAttributes) {
  Tensor index = c.index();
  const Shape& s = index.shape();
  Tensor flat = reshape(c.grad(), {s[0], s[1], -1});
  return {reshape(gather(flat, 2, reshape(index, {s[0], s[1], -1})), s)};
}
// avg_pool2d and its backward are each other's adjoint.
PG_DERIVATIVE(avg_pool2d, kSelfShape, AvgPoolParams) {
  return {avg_pool2d_backward(c.grad(), c.self_shape(), c.attributes())};
}
PG_DERIVATIVE(avg_pool2d_backward, kSavesNothing, AvgPoolParams) { return {avg_pool2d(c.grad(), c.attributes())}; }
PG_DERIVATIVE(adaptive_avg_pool2d, kSelfShape, NoAttributes) {
  return {adaptive_avg_pool2d_backward(c.grad(), c.self_shape())};
}
// adaptive_avg_pool2d_backward: its input is the forward's output gradient
PG_DERIVATIVE(adaptive_avg_pool2d_backward, kSelfShape, NoAttributes) {
  return {adaptive_avg_pool2d(c.grad(), {c.self_shape()[2], c.self_shape()[3]})};
}

}  // namespace
}  // namespace pygrad
