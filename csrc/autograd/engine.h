// The backward engine: iterative topological walk, accumulation into leaves, create_graph, hooks.
#pragma once
#include <vector>

#include "core/node.h"

namespace pygrad {

// Backpropagates from `outputs` seeded with `grad_outputs` (undefined: ones for a scalar output).
// With `inputs` empty, gradients accumulate into the .grad of the leaves reached; otherwise the gradients
// with respect to `inputs` are returned (undefined where unreachable, unless allow_unused is false), and with
// accumulate_inputs also accumulated into the inputs' .grad, running their hooks (backward(inputs=)).
std::vector<Tensor> run_backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                                 bool retain_graph, bool create_graph, const std::vector<Tensor>& inputs = {},
                                 bool allow_unused = false, bool accumulate_inputs = false);

// Tensor hooks: called with the gradient when it is computed; a returned tensor replaces it.
void register_hook(const Tensor& t, TensorHook hook);
// Hooks called with a leaf after backward has accumulated into its .grad (optimizer-in-backward).
void register_post_accumulate_grad_hook(const Tensor& t, PostAccumulateHook hook);
// Keeps the gradient of a non-leaf tensor in its .grad after backward.
void retain_grad(const Tensor& t);

}  // namespace pygrad
