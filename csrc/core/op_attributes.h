// Typed attributes of recorded ops, one struct per op family: stored on the graph node by the forward and read
// back, by type, by the op's derivative rule (never positional ints or scalars).
#pragma once
#include <cstdint>
#include <variant>
#include <vector>

#include "core/shape.h"
#include "core/tensor.h"

namespace pygrad {

using Dims = std::vector<int64_t>;

// The geometry of a 2-d windowed op (convolution, pooling), each an (h, w) pair, already validated.
struct Window2d {
  int64_t kernel[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  int64_t pad[2] = {0, 0};
  int64_t dilation[2] = {1, 1};
};

struct NoAttributes {};
struct LeakyReluParams {
  double negative_slope;
};
struct GeluParams {
  bool tanh_approximation;
};
struct ClampParams {
  double min, max;
};
struct ScalarParams {  // one number an elementwise op's rule reads (logit's eps, polygamma's n)
  double value;
};
// sum / amax / amin: the reduced dims (sorted, wrapped) and whether they were kept.
struct ReduceParams {
  Dims dims;
  bool keepdim;
};
// gather, scatter_add, index_select, index_add: the indexed dim.
struct DimParams {
  int64_t dim;
};
struct PermuteParams {
  Dims inverse;  // the permutation that undoes the forward one
};
// strided_view and its backward: a geometry relative to the input's contiguous layout.
struct ViewGeometry {
  Shape shape, strides;
  int64_t offset;
};
struct CatParams {
  int64_t dim;
  Dims sizes;  // each input's size along dim
};
struct CrossEntropyParams {
  int64_t ignore_index;
  double label_smoothing;
};
// A convolution over 1, 2 or 3 spatial dims, validated. The arrays are right-aligned (d, h, w): a 2-d conv
// uses [1] and [2], a 1-d conv [2]; unused leading entries stay 1 / 1 / 0 / 1, so kernels run everything as 3-d.
struct ConvParams {
  int64_t spatial = 2;
  int64_t kernel[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1};
  int64_t pad[3] = {0, 0, 0};
  int64_t dilation[3] = {1, 1, 1};
  int64_t groups = 1;
};
// Fused attention: the score factor, top-left causal masking, an additive float mask viewed as [..., L, S] over
// the query's leading dims (undefined: none; a constant, never differentiated), and the dropout of the weights.
struct AttentionParams {
  double scale = 1;
  bool causal = false;
  Tensor mask;
  double dropout_p = 0;                           // > 0: the weights' dropout, its mask regenerated in backward
  uint64_t dropout_seed = 0, dropout_stream = 0;  // the generator stream the mask came from
};
// A recurrent layer's direction (reverse: from the last step).
struct RecurrentParams {
  bool reverse = false;
};
struct AvgPoolParams {
  Window2d window;
  bool ceil_mode = false;
  bool count_include_pad = true;
  int64_t divisor_override = 0;  // 0: none
};

// cumsum: the scanned dim (wrapped) and its direction (reverse: from the last element, the gradient's scan).
struct ScanParams {
  int64_t dim;
  bool reverse;
};
// flip: the flipped dims (wrapped, unique).
struct FlipParams {
  Dims dims;
};
// roll: the shift of each rolled dim (wrapped; empty dims: the flattened tensor).
struct RollParams {
  Dims shifts, dims;
};
// pad: torch's pad list (last dim first, before/after pairs), the mode (0 constant, 1 reflect, 2 replicate,
// 3 circular) and the constant fill.
struct PadParams {
  Dims pad;
  int64_t mode;
  double value;
};
// Tensor.unfold: windows of `size` every `step` along dim.
struct UnfoldParams {
  int64_t dim, size, step;
};

using OpAttributes =
    std::variant<NoAttributes, LeakyReluParams, GeluParams, ClampParams, ReduceParams, DimParams, PermuteParams,
                 ViewGeometry, CatParams, CrossEntropyParams, ConvParams, AvgPoolParams, FlipParams, RollParams,
                 PadParams, UnfoldParams, ScalarParams, ScanParams, AttentionParams, RecurrentParams>;

// The variant index of T, known at compile time (a rule's declared attribute type).
template <class T, size_t I = 0>
constexpr size_t attributes_index() {
  static_assert(I < std::variant_size_v<OpAttributes>, "not an OpAttributes alternative");
  if constexpr (std::is_same_v<T, std::variant_alternative_t<I, OpAttributes>>) {
    return I;
  } else {
    return attributes_index<T, I + 1>();
  }
}

}  // namespace pygrad
