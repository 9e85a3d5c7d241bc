// Recording an op on the graph: whether to record, the node with its edges, and what the op's derivative rule
// declared it needs (saved tensors by name, input shapes, typed attributes), taken from the forward.
#pragma once
#include <initializer_list>
#include <memory>
#include <vector>

#include "core/grad_mode.h"
#include "core/node.h"
#include "core/op_registry.h"

namespace pygrad {

inline bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

// The forward's values a rule may declare, by name (core/node.h SavedValue); unset ones are not available.
class Forward {
 public:
  Forward& self(const Tensor& t) { return set(SavedSlot::Self, t); }
  Forward& other(const Tensor& t) { return set(SavedSlot::Other, t); }
  Forward& result(const Tensor& t) { return set(SavedSlot::Result, t); }
  Forward& index(const Tensor& t) { return set(SavedSlot::Aux, t); }
  Forward& condition(const Tensor& t) { return set(SavedSlot::Aux, t); }
  Forward& target(const Tensor& t) { return set(SavedSlot::Aux, t); }
  Forward& stats(const Tensor& t) { return set(SavedSlot::Aux, t); }
  Forward& third(const Tensor& t) { return set(SavedSlot::Third, t); }
  const Tensor* get(SavedSlot slot) const { return values_[static_cast<int>(slot)]; }

 private:
  Forward& set(SavedSlot slot, const Tensor& t) {
    values_[static_cast<int>(slot)] = &t;
    return *this;
  }
  const Tensor* values_[static_cast<int>(SavedSlot::Count)] = {};
};

// Records `op` as out's history when grad mode is on and an input requires grad: one edge per input (undefined
// inputs get none), the values its rule declared (from `values`; a declared value the forward does not give is an
// error) and `attributes` (which must be the type the rule reads). Returns whether it recorded.
bool record(OpId op, std::initializer_list<const Tensor*> inputs, const Tensor& out, const Forward& values = {},
            OpAttributes attributes = NoAttributes{});
bool record(OpId op, const std::vector<Tensor>& inputs, const Tensor& out, const Forward& values = {},
            OpAttributes attributes = NoAttributes{});

// Records a node whose backward the caller supplies (autograd.Function: the python floor's callback) as out's
// history, one edge per input (undefined inputs get none); the node owns `payload`, what that backward reads.
// `name` must outlive the node. Returns the node.
std::shared_ptr<Node> record_custom(const char* name, const std::vector<Tensor>& inputs, const Tensor& out,
                                    BackwardFn backward, std::shared_ptr<void> payload);

// A view whose memory was written (through another view or its base) since its history was recorded gets a fresh
// history: a view of its base's current one, as torch regenerates it. Called wherever a graph edge is taken.
void refresh_view_history(const Tensor& t);

}  // namespace pygrad
