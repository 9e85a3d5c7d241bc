// Derivative rules of the shape and layout primitives (ops/shape_ops.cpp): flip, roll, pad, unfold.
#include <numeric>

#include "ops/derivative_rule.h"
#include "ops/shape_ops.h"

namespace pygrad {

using namespace derivative_detail;

namespace {

Tensor int_tensor(const std::vector<int64_t>& values) {
  Tensor t = Tensor::empty({static_cast<int64_t>(values.size())}, DType::Int64);
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

// flip and roll permute elements: the gradient is permuted back.
PG_DERIVATIVE(flip, kSavesNothing, FlipParams) { return {flip(c.grad(), c.attributes().dims)}; }
PG_DERIVATIVE(roll, kSavesNothing, RollParams) {
  Dims back = c.attributes().shifts;
  for (int64_t& s : back) s = -s;
  return {roll(c.grad(), back, c.attributes().dims)};
}

// pad: grad [padded shape] -> [input shape]. Constant: the inverse pad (crops what was added, zero-fills what
// was cropped). Other modes: each padded dim, last first, sums the gradient of every copy of a source element.
PG_DERIVATIVE(pad, kSelfShape, PadParams) {
  const PadParams& p = c.attributes();
  if (p.mode == 0) {
    Dims inverse = p.pad;
    for (int64_t& v : inverse) v = -v;
    return {pad(c.grad(), inverse, "constant", 0.0)};
  }
  const Shape& in_shape = c.self_shape();
  Tensor g = c.grad();
  for (size_t i = 0; i < p.pad.size() / 2; ++i) {
    const int64_t d = static_cast<int64_t>(in_shape.size()) - 1 - static_cast<int64_t>(i);
    const int64_t before = p.pad[2 * i], size = in_shape[d];
    Shape shape = g.shape();
    shape[d] = size;
    g = index_add(zeros(shape, g.dtype()), d, int_tensor(pad_map(p.mode, before, size, g.shape()[d])), g);
  }
  return {g};
}

// unfold: grad [..., windows (at dim), ..., size]; each window's elements add into their source positions.
PG_DERIVATIVE(unfold, kSelfShape, UnfoldParams) {
  const UnfoldParams& u = c.attributes();
  const Shape& in_shape = c.self_shape();
  if (in_shape.empty()) return {reshape(sum(c.grad()), {})};
  Tensor g = c.grad();
  const int64_t windows = g.shape()[u.dim];
  Dims order(g.dim());
  std::iota(order.begin(), order.end(), 0);
  order.pop_back();
  order.insert(order.begin() + u.dim + 1, g.dim() - 1);  // the window's elements next to the window starts
  Tensor moved = permute(g, order);
  Shape merged = in_shape;
  merged[u.dim] = windows * u.size;
  std::vector<int64_t> positions;
  for (int64_t w = 0; w < windows; ++w)
    for (int64_t j = 0; j < u.size; ++j) positions.push_back(w * u.step + j);
  return {index_add(zeros(in_shape, g.dtype()), u.dim, int_tensor(positions), reshape(moved, merged))};
}

}  // namespace
}  // namespace pygrad
