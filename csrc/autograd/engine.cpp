// The backward engine. No recursion: a dependency count per node and a ready queue ordered by creation
// (later nodes first), so graphs thousands of ops deep work. Saved tensors are freed as each node finishes
// unless retain_graph is set.
#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "core/autocast.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/ops.h"
#include "ops/record.h"

namespace pygrad {

namespace {

Tensor accumulate(const Tensor& existing, const Tensor& incoming) {
  if (!existing.defined()) return incoming;
  return add(existing, incoming);
}

Tensor apply_hooks(const std::vector<TensorHook>& hooks, Tensor grad) {
  for (const TensorHook& hook : hooks) {
    Tensor replaced = hook(grad);
    if (replaced.defined()) {
      PG_CHECK(replaced.shape() == grad.shape(), ValueError, "hook", "hook returned a gradient of shape ",
               replaced.shape(), " for a gradient of shape ", grad.shape());
      grad = replaced;
    }
  }
  return grad;
}

void store_leaf_grad(Tensor& leaf, Tensor grad, bool create_graph) {
  Tensor existing = leaf.grad();
  if (!existing.defined()) {
    // The leaf owns its .grad: adopt the tensor only when nothing else can see its memory.
    const bool exclusive =
        grad.impl_ptr().use_count() == 1 && grad.storage().use_count() == 1 && grad.is_contiguous() && !grad.is_view();
    // A contiguous view spanning a buffer nothing else holds (the transpose of a fresh matmul result):
    // adopt the buffer under a plain tensor of its own instead of copying it.
    const bool sole_view = !exclusive && !create_graph && grad.is_view() && grad.impl_ptr().use_count() == 1 &&
                           grad.storage().use_count() == 1 && grad.is_contiguous() && grad.offset() == 0 &&
                           static_cast<size_t>(grad.numel()) * grad.element_size() == grad.storage()->nbytes();
    if (sole_view) {
      auto impl = std::make_shared<TensorImpl>();
      impl->storage = grad.storage();
      impl->shape = grad.shape();
      impl->strides = contiguous_strides(grad.shape());
      impl->dtype = grad.dtype();
      impl->version = std::make_shared<VersionCounter>();
      leaf.set_grad(Tensor(std::move(impl)));
      return;
    }
    leaf.set_grad(exclusive || create_graph ? grad : clone(grad));
  } else if (create_graph || existing.requires_grad()) {
    leaf.set_grad(add(existing, grad));
  } else {
    GradModeGuard no_grad(false);
    add_(existing, grad);
  }
}

void accumulate_into_leaf(Node& node, Tensor grad, bool create_graph) {
  Tensor leaf(node.variable);
  AutogradMeta& meta = leaf.autograd_meta();
  grad = apply_hooks(meta.leaf_hooks, std::move(grad));
  store_leaf_grad(leaf, std::move(grad), create_graph);
  // Copied: a hook may register another hook.
  const std::vector<PostAccumulateHook> hooks = meta.post_accumulate_hooks;
  for (const PostAccumulateHook& hook : hooks) hook(leaf);
}

}  // namespace

std::vector<Tensor> run_backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                                 bool retain_graph, bool create_graph, const std::vector<Tensor>& inputs,
                                 bool allow_unused, bool accumulate_inputs) {
  PG_CHECK(outputs.size() == grad_outputs.size(), ValueError, "backward", "got ", outputs.size(), " outputs and ",
           grad_outputs.size(), " gradients");
  GradModeGuard grad_mode(create_graph);
  AutocastOffGuard no_autocast;               // derivatives run in the dtypes their forward saved
  std::unordered_map<Node*, Tensor> buffers;  // each node's (single) output gradient so far
  std::vector<std::shared_ptr<Node>> roots;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    PG_CHECK(out.requires_grad(), RuntimeError, "backward", "element ", i,
             " of tensors does not require grad and does not have a grad_fn");
    Tensor seed = grad_outputs[i];
    if (!seed.defined()) {
      PG_CHECK(out.numel() == 1, RuntimeError, "backward",
               "grad can be implicitly created only for scalar outputs; "
               "got an output of shape ",
               out.shape(), ": pass gradient=");
      seed = ones(out.shape(), out.dtype(), out.device());
    } else {
      PG_CHECK(seed.shape() == out.shape(), ValueError, "backward", "gradient has shape ", seed.shape(),
               " but the output has shape ", out.shape());
      if (seed.dtype() != out.dtype()) seed = to_dtype(seed, out.dtype());
    }
    refresh_view_history(out);
    Edge edge = gradient_edge(out);
    Tensor& buffer = buffers[edge.node.get()];
    buffer = accumulate(buffer, seed);
    roots.push_back(edge.node);
  }

  // Which nodes' outputs are the gradients autograd.grad asked for.
  std::unordered_map<Node*, size_t> captures;
  std::vector<Tensor> captured(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    PG_CHECK(inputs[i].requires_grad(), RuntimeError, "grad", "input ", i, " does not require grad");
    refresh_view_history(inputs[i]);
    Edge edge = gradient_edge(inputs[i]);
    captures[edge.node.get()] = i;
  }
  const bool accumulate_leaves = inputs.empty();

  // Dependency counts over the reachable graph (iterative DFS).
  std::unordered_map<Node*, int> dependencies;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (auto& root : roots)
    if (seen.insert(root.get()).second) stack.push_back(root.get());
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& edge : node->next_edges) {
      if (!edge.node) continue;
      ++dependencies[edge.node.get()];
      if (seen.insert(edge.node.get()).second) stack.push_back(edge.node.get());
    }
  }

  auto later_first = [](Node* a, Node* b) { return a->sequence_nr < b->sequence_nr; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later_first)> ready(later_first);
  for (auto& root : roots)
    if (dependencies[root.get()] == 0 && seen.erase(root.get())) ready.push(root.get());

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> grads{std::move(buffers[node])};
    buffers.erase(node);
    if (grads[0].defined() && !node->output_hooks.empty()) grads[0] = apply_hooks(node->output_hooks, grads[0]);
    if (!captures.empty()) {  // autograd.grad, and backward(inputs=)
      auto it = captures.find(node);
      if (it != captures.end() && grads[0].defined()) {
        captured[it->second] = grads[0];
        if (accumulate_inputs && node->is_accumulate_grad()) {
          accumulate_into_leaf(*node, grads[0], create_graph);  // leaf hooks and post-accumulate hooks run
        } else if (accumulate_inputs) {
          Tensor input = inputs[it->second];
          store_leaf_grad(input, create_graph ? grads[0] : detach(grads[0]), create_graph);
        }
      }
    }
    if (node->is_accumulate_grad()) {
      if (accumulate_leaves && grads[0].defined()) accumulate_into_leaf(*node, std::move(grads[0]), create_graph);
      continue;
    }
    PG_CHECK(!node->released, RuntimeError, "backward",
             "trying to backward through the graph a second time (or to use saved tensors after they were freed); "
             "pass retain_graph=True to the first backward if you need to");
    std::vector<Tensor> input_grads;
    if (grads[0].defined()) input_grads = node->backward(*node, grads);
    if (!retain_graph) node->release_saved();
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& edge = node->next_edges[i];
      if (!edge.node) continue;
      Node* next = edge.node.get();
      if (i < input_grads.size() && input_grads[i].defined()) {
        Tensor g = input_grads[i];
        if (g.dtype() != node->input_dtypes[i]) g = to_dtype(g, node->input_dtypes[i]);
        Tensor& buffer = buffers[next];
        buffer = accumulate(buffer, g);
      }
      if (--dependencies[next] == 0) ready.push(next);
    }
  }
  if (!accumulate_leaves) {
    for (size_t i = 0; i < inputs.size(); ++i)
      PG_CHECK(captured[i].defined() || allow_unused, RuntimeError, "grad", "input ", i,
               " was not used in the graph; pass allow_unused=True if this is intended");
  }
  return captured;
}

void register_hook(const Tensor& t, TensorHook hook) {
  PG_CHECK(t.requires_grad(), RuntimeError, "register_hook",
           "cannot register a hook on a tensor that doesn't require gradient");
  if (t.is_leaf()) {
    t.autograd_meta().leaf_hooks.push_back(std::move(hook));
  } else {
    t.grad_fn()->output_hooks.push_back(std::move(hook));
  }
}

void register_post_accumulate_grad_hook(const Tensor& t, PostAccumulateHook hook) {
  PG_CHECK(t.requires_grad(), RuntimeError, "register_post_accumulate_grad_hook",
           "cannot register a hook on a tensor that doesn't require gradient");
  PG_CHECK(t.is_leaf(), RuntimeError, "register_post_accumulate_grad_hook",
           "post accumulate grad hooks cannot be registered on non-leaf tensors");
  t.autograd_meta().post_accumulate_hooks.push_back(std::move(hook));
}

void retain_grad(const Tensor& t) {
  PG_CHECK(t.requires_grad(), RuntimeError, "retain_grad", "can't retain_grad on a tensor that doesn't require grad");
  if (t.is_leaf()) return;
  std::weak_ptr<TensorImpl> weak = t.impl_ptr();
  register_hook(t, [weak](const Tensor& grad) {
    if (auto impl = weak.lock()) {
      Tensor self(impl);
      Tensor existing = self.grad();
      self.set_grad(existing.defined() ? add(existing, detach(grad)) : clone(detach(grad)));
    }
    return Tensor();
  });
}

}  // namespace pygrad
