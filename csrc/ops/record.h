// Recording helpers shared by the ops files: whether to record, node creation, saving tensors.
#pragma once
#include <initializer_list>
#include <memory>

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

// A node for `op` with one edge per input (and each input's dtype, so grads are cast back).
std::shared_ptr<Node> make_node(OpId op, std::initializer_list<const Tensor*> inputs);
std::shared_ptr<Node> make_node(OpId op, const std::vector<Tensor>& inputs);
SavedTensor save_input(const Tensor& t);
// Saves an op's own output without its grad_fn (no reference cycle); the rule gets it back with history.
SavedTensor save_output(const Tensor& t);

}  // namespace pygrad
