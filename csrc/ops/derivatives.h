// The derivative table: one backward rule per differentiable primitive, looked up by op.
#pragma once
#include "core/node.h"
#include "core/op_registry.h"

namespace pygrad {

// nullptr when the op has no derivative.
BackwardFn derivative_of(OpId op);

}  // namespace pygrad
