// The derivative table: one backward rule per differentiable primitive, with what it declared it needs from the
// forward (saved values and attribute type), looked up by op.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/node.h"
#include "core/op_registry.h"

namespace pygrad {

struct DerivativeRule {
  BackwardFn backward = nullptr;  // nullptr: the op has no derivative
  uint32_t saves = kSavesNothing;
  size_t attributes_index = 0;  // OpAttributes alternative the rule reads (0: none)
};

const DerivativeRule& derivative_of(OpId op);

// Raises RuntimeError naming the op when a differentiable elementwise op of the registry has no rule
// (called when the module is imported).
void check_derivative_table();

}  // namespace pygrad
