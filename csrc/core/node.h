// The graph's data: Node (one recorded op), its edges to the producers of its inputs, the values its derivative
// rule declared it needs (saved tensors, input shapes) and its typed attributes.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/op_attributes.h"
#include "core/tensor.h"

namespace pygrad {

struct Node;

// Where an input's gradient goes: the node that produced the input (null node: no gradient wanted). Every node
// has one output.
struct Edge {
  std::shared_ptr<Node> node;
};

// A tensor kept for backward, with the version it had when saved, so in-place changes are caught.
struct SavedTensor {
  Tensor tensor;
  uint32_t version = 0;
  bool is_output = false;  // saved without its grad_fn to avoid a reference cycle; restored on unpack
};

// What a derivative rule reads back from its forward, by name: declared with the rule (derivatives.cpp) and saved
// by the recorder, nothing more. index, condition, target and stats share one tensor slot; the third input has its own
// (no op has two of them).
enum SavedValue : uint32_t {
  kSavesNothing = 0,
  kSelf = 1u << 0,        // input 0
  kOther = 1u << 1,       // input 1
  kResult = 1u << 2,      // the op's output
  kIndex = 1u << 3,       // an index tensor (gather, scatter_add, index ops) or max_pool2d's indices
  kCondition = 1u << 4,   // where's condition
  kTarget = 1u << 5,      // cross_entropy's class indices
  kSelfShape = 1u << 6,   // only the shape of input 0
  kOtherShape = 1u << 7,  // only the shape of input 1
  // Saved only when the other input needs a gradient (mul's a is only read for b's gradient), as torch does, so
  // an in-place change of an input whose value no gradient reads is no error.
  kSelfForOther = 1u << 8,
  kOtherForSelf = 1u << 9,
  kThird = 1u << 11,  // input 2 (a recurrent cell's state, attention's value)
  kStats = 1u << 10,  // a normalisation's per-row statistics (layer_norm's mean and rstd), in the Aux slot
};
enum class SavedSlot : uint8_t { Self, Other, Result, Aux, Third, Count };
constexpr SavedSlot slot_of(SavedValue v) {
  return v == kSelf     ? SavedSlot::Self
         : v == kOther  ? SavedSlot::Other
         : v == kResult ? SavedSlot::Result
         : v == kThird  ? SavedSlot::Third
                        : SavedSlot::Aux;
}

// Computes gradients for a node's inputs (aligned with next_edges) from its outputs' gradients.
using BackwardFn = std::vector<Tensor> (*)(Node& node, std::vector<Tensor>& grad_outputs);

struct Node : std::enable_shared_from_this<Node> {
  const char* name = "";           // op name; Python shows "<Name>Backward"
  BackwardFn backward = nullptr;   // null marks an AccumulateGrad node
  std::vector<Edge> next_edges;    // one per input of the op
  uint64_t sequence_nr = 0;        // creation order; later nodes run first
  uint32_t saves = kSavesNothing;  // the SavedValues the rule declared (checked by its accessors)
  SavedTensor saved[static_cast<int>(SavedSlot::Count)];
  Shape self_shape, other_shape;
  OpAttributes attributes;
  std::vector<DType> input_dtypes;       // each input's dtype, so its gradient is cast back
  bool released = false;                 // saved data freed after a backward without retain_graph
  std::vector<TensorHook> output_hooks;  // hooks on the (single) output when it is not a leaf
  std::shared_ptr<TensorImpl> variable;  // AccumulateGrad only: the leaf
  std::shared_ptr<void> payload;         // nodes with a caller-supplied backward (autograd.Function): its state

  ~Node();  // iterative: freeing a graph a million ops deep must not recurse once per node

  bool is_accumulate_grad() const { return backward == nullptr; }
  void release_saved() {
    for (SavedTensor& s : saved) s = SavedTensor{};
    released = true;
  }
};

uint64_t next_sequence_nr();

// The edge an op's input contributes: its grad_fn, or its leaf accumulator, or none.
Edge gradient_edge(const Tensor& t);

}  // namespace pygrad
