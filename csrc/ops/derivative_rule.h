// What a derivative rule file includes: the context a rule reads its saved values through, and the
// PG_DERIVATIVE macro that registers the rule in the table (ops/derivatives.cpp owns the table and the core
// rules; each area of ops keeps its rules in ops/derivatives_<area>.cpp).
#pragma once
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/derivatives.h"
#include "ops/ops.h"

namespace pygrad {

void register_derivative(OpId op, DerivativeRule rule);

namespace derivative_detail {

struct DerivativeRegistrar {
  DerivativeRegistrar(OpId op, DerivativeRule rule) { register_derivative(op, rule); }
};

// What a rule sees: the output's gradient, which inputs need one, and the values it declared (Saves, Attributes).
template <uint32_t Saves, class Attributes>
class BackwardContext {
 public:
  BackwardContext(Node& node, std::vector<Tensor>& grads) : node_(node), grads_(grads) {}
  const Tensor& grad() const { return grads_[0]; }
  bool needs(size_t i) const { return i < node_.next_edges.size() && node_.next_edges[i].node != nullptr; }

  Tensor self() const {
    static_assert(Saves & (kSelf | kSelfForOther), "this rule reads self: declare kSelf");
    return unpack(SavedSlot::Self, "self");
  }
  Tensor other() const {
    static_assert(Saves & (kOther | kOtherForSelf), "this rule reads other: declare kOther");
    return unpack(SavedSlot::Other, "other");
  }
  Tensor result() const {
    static_assert(Saves & kResult, "this rule reads the result: declare kResult");
    return unpack(SavedSlot::Result, "result");
  }
  Tensor index() const {
    static_assert(Saves & kIndex, "this rule reads index: declare kIndex");
    return unpack(SavedSlot::Aux, "index");
  }
  Tensor condition() const {
    static_assert(Saves & kCondition, "this rule reads condition: declare kCondition");
    return unpack(SavedSlot::Aux, "condition");
  }
  Tensor target() const {
    static_assert(Saves & kTarget, "this rule reads target: declare kTarget");
    return unpack(SavedSlot::Aux, "target");
  }
  Tensor third() const {
    static_assert(Saves & kThird, "this rule reads the third input: declare kThird");
    return unpack(SavedSlot::Third, "third input");
  }
  Tensor stats() const {
    static_assert(Saves & kStats, "this rule reads stats: declare kStats");
    return unpack(SavedSlot::Aux, "stats");
  }
  const Shape& self_shape() const {
    static_assert(Saves & kSelfShape, "this rule reads self's shape: declare kSelfShape");
    return node_.self_shape;
  }
  const Shape& other_shape() const {
    static_assert(Saves & kOtherShape, "this rule reads other's shape: declare kOtherShape");
    return node_.other_shape;
  }
  const Attributes& attributes() const {
    static_assert(!std::is_same_v<Attributes, NoAttributes>, "this rule reads attributes: declare their type");
    return *std::get_if<Attributes>(&node_.attributes);  // the recorder checked the type
  }

 private:
  // A saved tensor, checked against in-place changes since it was saved.
  Tensor unpack(SavedSlot slot, const char* what) const {
    const SavedTensor& s = node_.saved[static_cast<int>(slot)];
    if (!s.tensor.defined()) return s.tensor;  // an optional input the forward did not get (layer_norm's weight)
    PG_CHECK(s.tensor.version() == s.version, RuntimeError, "backward",
             "one of the variables needed for gradient computation has been modified by an in-place operation: "
             "saved ",
             what, " of ", node_.name, " is at version ", s.tensor.version(), "; expected version ", s.version,
             " instead");
    if (s.is_output && is_grad_enabled()) {
      // create_graph: give the saved result back its history so the rule is differentiable through it.
      Tensor with_history = detach(s.tensor);
      with_history.set_history(node_.shared_from_this());
      return with_history;
    }
    return s.tensor;
  }

  Node& node_;
  std::vector<Tensor>& grads_;
};

using Grads = std::vector<Tensor>;
inline Tensor scalar(double v) { return wrapped_scalar(v); }

// Reinserts reduced dims (size 1) into a reduction's gradient when keepdim was false.
inline Tensor restore_reduced_dims(const Tensor& grad, const Dims& dims, bool keepdim) {
  if (keepdim) return grad;
  Tensor out = grad;
  for (int64_t d : dims) out = unsqueeze(out, d);
  return out;
}

}  // namespace derivative_detail

// PG_DERIVATIVE(op, saves, Attributes) { body }: the rule of `op`, reading only `saves` and `Attributes` through c.
#define PG_DERIVATIVE(op, saves, Attributes)                                                                      \
  using Context_##op = derivative_detail::BackwardContext<(saves), Attributes>;                                   \
  Grads backward_##op(const Context_##op& c);                                                                     \
  const derivative_detail::DerivativeRegistrar register_##op(                                                     \
      OpId::op, {[](Node& node, std::vector<Tensor>& grads) { return backward_##op(Context_##op(node, grads)); }, \
                 (saves), attributes_index<Attributes>()});                                                       \
  Grads backward_##op(const Context_##op& c)

}  // namespace pygrad
