// Recording: builds the node of an op, with the values and attributes its derivative rule declared.
#include "ops/record.h"

#include <tuple>

#include "core/error.h"
#include "ops/derivatives.h"

namespace pygrad {

namespace {

SavedTensor save_input(const Tensor& t) { return SavedTensor{t, t.defined() ? t.version() : 0, false}; }

// The op's own output, saved without its grad_fn (no reference cycle); the rule gets it back with its history.
SavedTensor save_output(const Tensor& t) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage();
  impl->shape = t.shape();
  impl->strides = t.strides();
  impl->offset = t.offset();
  impl->dtype = t.dtype();
  impl->version = t.impl()->version;
  return SavedTensor{Tensor(std::move(impl)), t.version(), true};
}

std::shared_ptr<Node> new_node(OpId op, const DerivativeRule& rule, size_t num_inputs) {
  PG_CHECK(rule.backward, RuntimeError, op_name(op), "is not differentiable");
  auto node = std::make_shared<Node>();
  node->name = op_name(op);
  node->backward = rule.backward;
  node->saves = rule.saves;
  node->sequence_nr = next_sequence_nr();
  node->next_edges.reserve(num_inputs);
  node->input_dtypes.reserve(num_inputs);
  return node;
}

void add_edge(Node& node, const Tensor& t) {
  if (t.defined()) refresh_view_history(t);
  node.next_edges.push_back(t.defined() ? gradient_edge(t) : Edge{});
  node.input_dtypes.push_back(t.defined() ? t.dtype() : DType::Float32);
}

void save_declared(OpId op, const DerivativeRule& rule, Node& node, const Tensor& out, const Forward& values,
                   OpAttributes&& attributes) {
  for (SavedValue v : {kSelf, kOther, kResult, kIndex, kCondition, kTarget, kStats, kThird}) {
    bool wanted = rule.saves & v;
    // Cross-read inputs: kept only when the input whose gradient reads them needs one.
    if (v == kSelf && (rule.saves & kSelfForOther)) wanted = node.next_edges.size() > 1 && node.next_edges[1].node;
    if (v == kOther && (rule.saves & kOtherForSelf)) wanted = !node.next_edges.empty() && node.next_edges[0].node;
    if (!wanted) continue;
    const SavedSlot slot = slot_of(v);
    const Tensor* t = values.get(slot);
    PG_CHECK(t != nullptr, RuntimeError, op_name(op),
             "internal: its derivative rule declares a saved value that the forward does not provide");
    node.saved[static_cast<int>(slot)] = v == kResult && t == &out ? save_output(*t) : save_input(*t);
  }
  PG_CHECK(attributes.index() == rule.attributes_index, RuntimeError, op_name(op),
           "internal: the forward records attributes of another type than its derivative rule reads");
  node.attributes = std::move(attributes);
}

void set_shapes(OpId op, const DerivativeRule& rule, Node& node, const Tensor* first, const Tensor* second) {
  for (auto [flag, input, shape] :
       {std::tuple{kSelfShape, first, &node.self_shape}, std::tuple{kOtherShape, second, &node.other_shape}}) {
    if (!(rule.saves & flag)) continue;
    PG_CHECK(input != nullptr, RuntimeError, op_name(op),
             "internal: its derivative rule declares the shape of an input the op does not have");
    *shape = input->shape();
  }
}

}  // namespace

namespace {

bool record_inputs(OpId op, const Tensor* const* inputs, size_t count, const Tensor& out, const Forward& values,
                   OpAttributes&& attributes) {
  if (!is_grad_enabled()) return false;
  bool any = false;
  for (size_t i = 0; i < count; ++i) any |= inputs[i]->defined() && inputs[i]->requires_grad();
  if (!any) return false;
  const DerivativeRule& rule = derivative_of(op);
  auto node = new_node(op, rule, count);
  for (size_t i = 0; i < count; ++i) add_edge(*node, *inputs[i]);
  set_shapes(op, rule, *node, count > 0 ? inputs[0] : nullptr, count > 1 ? inputs[1] : nullptr);
  save_declared(op, rule, *node, out, values, std::move(attributes));
  out.set_history(node);
  return true;
}

}  // namespace

std::shared_ptr<Node> record_custom(const char* name, const std::vector<Tensor>& inputs, const Tensor& out,
                                    BackwardFn backward, std::shared_ptr<void> payload) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->backward = backward;
  node->sequence_nr = next_sequence_nr();
  for (const Tensor& t : inputs) add_edge(*node, t);
  node->payload = std::move(payload);
  out.set_history(node);
  return node;
}

void refresh_view_history(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (!impl->is_view || !impl->autograd || !impl->autograd->grad_fn) return;
  if (impl->autograd->history_version == t.version()) return;
  std::shared_ptr<TensorImpl> base_impl = impl->view_base.lock();
  if (!base_impl) return;
  Tensor base(std::move(base_impl));
  if (!base.requires_grad() || base.dtype() != t.dtype() || !base.is_contiguous()) return;
  GradModeGuard enabled(true);
  record(OpId::strided_view, {&base}, t, Forward(), ViewGeometry{t.shape(), t.strides(), t.offset() - base.offset()});
}

bool record(OpId op, std::initializer_list<const Tensor*> inputs, const Tensor& out, const Forward& values,
            OpAttributes attributes) {
  return record_inputs(op, inputs.begin(), inputs.size(), out, values, std::move(attributes));
}

bool record(OpId op, const std::vector<Tensor>& inputs, const Tensor& out, const Forward& values,
            OpAttributes attributes) {
  std::vector<const Tensor*> pointers;
  pointers.reserve(inputs.size());
  for (const Tensor& t : inputs) pointers.push_back(&t);
  return record_inputs(op, pointers.data(), pointers.size(), out, values, std::move(attributes));
}

}  // namespace pygrad
