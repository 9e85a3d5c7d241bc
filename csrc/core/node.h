// The graph's data: Node (one recorded op), its edges to the producers of its inputs, and saved tensors.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace pygrad {

struct Node;

// Where an input's gradient goes: output slot `input_nr` of `node` (null node: no gradient wanted).
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
};

// A tensor kept for backward, with the version it had when saved, so in-place changes are caught.
struct SavedTensor {
  Tensor tensor;
  uint32_t version = 0;
  bool is_output = false;  // saved without its grad_fn to avoid a reference cycle; restored on unpack
};

// Computes gradients for a node's inputs (aligned with next_edges) from its outputs' gradients.
using BackwardFn = std::vector<Tensor> (*)(Node& node, std::vector<Tensor>& grad_outputs);

struct Node : std::enable_shared_from_this<Node> {
  const char* name = "";  // op name; Python shows "<Name>Backward"
  BackwardFn backward = nullptr;  // null marks an AccumulateGrad node
  std::vector<Edge> next_edges;   // one per input of the op
  uint32_t num_outputs = 1;
  uint64_t sequence_nr = 0;       // creation order; later nodes run first
  std::vector<SavedTensor> saved;
  std::vector<double> scalars;
  std::vector<int64_t> ints;
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  bool released = false;          // saved data freed after a backward without retain_graph
  std::vector<std::pair<uint32_t, TensorHook>> output_hooks;  // hooks on non-leaf outputs
  std::shared_ptr<TensorImpl> variable;  // AccumulateGrad only: the leaf

  ~Node();  // iterative: freeing a graph a million ops deep must not recurse once per node

  bool is_accumulate_grad() const { return backward == nullptr; }
  void release_saved() {
    saved.clear();
    released = true;
  }
};

uint64_t next_sequence_nr();

// The edge an op's input contributes: its grad_fn, or its leaf accumulator, or none.
Edge gradient_edge(const Tensor& t);

}  // namespace pygrad
