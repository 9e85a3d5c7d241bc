// The public C++ ops: validate, promote, allocate, dispatch, record the node. PyTorch's names and semantics.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/op_attributes.h"
#include "core/op_registry.h"
#include "core/tensor.h"

namespace pygrad {

// ---- scalars and factories ----
// A 0-d tensor standing for a Python number (weaker in type promotion, like PyTorch's wrapped numbers).
Tensor wrapped_scalar(double value);
Tensor wrapped_scalar(int64_t value);
Tensor wrapped_scalar(bool value);
Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = Device::CPU);
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32, Device device = Device::CPU);
Tensor full_int(const Shape& shape, int64_t value, DType dtype = DType::Int64, Device device = Device::CPU);
Tensor zeros(const Shape& shape, DType dtype = DType::Float32, Device device = Device::CPU);
Tensor ones(const Shape& shape, DType dtype = DType::Float32, Device device = Device::CPU);
Tensor arange(double start, double end, double step, DType dtype);
Tensor linspace(double start, double end, int64_t steps, DType dtype);
Tensor eye(int64_t n, int64_t m, DType dtype);
Tensor rand(const Shape& shape, DType dtype = DType::Float32);
Tensor randn(const Shape& shape, DType dtype = DType::Float32);
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::Int64);
Tensor bernoulli_mask(const Shape& shape, double keep_probability, DType dtype);

// ---- elementwise (generated from the registry) ----
#define PG_UNARY_OP(name, Functor, kind, doc) Tensor name(const Tensor& x);
#define PG_BINARY_OP(name, Functor, kind, doc) Tensor name(const Tensor& a, const Tensor& b);
#include "core/op_list.def"
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
// grad * GELU'(x) in one fused pass, for a backward that is not differentiated again (not recorded).
Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approximation);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
// clamp with PyTorch's promotion: bounds are 1-element tensors (or wrapped Python numbers; undefined = none),
// and x is first converted to result_type(x, bound) — an int tensor with a float bound computes in float32.
Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max);
Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y);
DType result_type(const Tensor& a, const Tensor& b);

// ---- the torch surface's elementwise ops with parameters, and composites (ops/elementwise_math.cpp) ----
Tensor round(const Tensor& x, int64_t decimals);
Tensor logit(const Tensor& x, std::optional<double> eps = std::nullopt);
Tensor nan_to_num(const Tensor& x, std::optional<double> nan = std::nullopt,
                  std::optional<double> posinf = std::nullopt, std::optional<double> neginf = std::nullopt);
Tensor polygamma(int64_t n, const Tensor& x);
// div with rounding_mode None (true division), "trunc" or "floor" (integers stay integers).
Tensor div(const Tensor& a, const Tensor& b, const std::optional<std::string>& rounding_mode);
Tensor float_power(const Tensor& a, const Tensor& b);  // in float64
Tensor square(const Tensor& x);
Tensor positive(const Tensor& x);
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
Tensor addcmul(const Tensor& x, const Tensor& tensor1, const Tensor& tensor2, const Tensor& value);
Tensor addcdiv(const Tensor& x, const Tensor& tensor1, const Tensor& tensor2, const Tensor& value);
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape and the same values
// In place by the registry op (self keeps its dtype; the result type must cast to it).
Tensor binary_inplace(OpId op, const Tensor& self, const Tensor& other);

// ---- in place (bump the version; recorded only for non-leaf, non-view tensors) ----
Tensor add_(const Tensor& self, const Tensor& other);
Tensor sub_(const Tensor& self, const Tensor& other);
Tensor mul_(const Tensor& self, const Tensor& other);
Tensor div_(const Tensor& self, const Tensor& other);
Tensor fill_(const Tensor& self, double value);
Tensor zero_(const Tensor& self);
Tensor copy_(const Tensor& self, const Tensor& src);
// In-place ops under autograd. check_inplace_autograd refuses leaves that require grad, views of them and
// overlapping (expanded) targets. write_with_history gives self result's values (same shape and dtype) and
// history; a view's write is recorded on its base, and the view becomes a view of the updated base (torch's
// rebase). snapshot_with_history: a copy of self's value carrying its history (what the recorded op reads).
void check_inplace_autograd(const Tensor& self, const char* op);
void write_with_history(const Tensor& self, const Tensor& result);
Tensor snapshot_with_history(const Tensor& self);
// torch.as_strided: a view of x's memory (storage_offset defaults to x's); overlapping views get gradients summed.
Tensor as_strided(const Tensor& x, const Shape& size, const Shape& stride, std::optional<int64_t> storage_offset);
// squeeze_, t_, transpose_, ...: self takes the geometry (and history) of `view`, a view of self.
void assume_geometry(const Tensor& self, const Tensor& view);
void detach_(const Tensor& self);  // self leaves the graph: no grad_fn, no requires_grad

// ---- reductions (empty dims: all) ----
Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor var(const Tensor& x, const Dims& dims = {}, double correction = 1, bool keepdim = false);
Tensor std_dev(const Tensor& x, const Dims& dims = {}, double correction = 1, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);

// ---- linear algebra ----
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- views and copies ----
struct IndexItem {
  enum Kind { Int, Slice, None, Ellipsis, TensorIndex } kind;
  int64_t start = 0;  // Int: the index; Slice: start (kNoBound for None)
  int64_t stop = 0;
  int64_t step = 1;  // Slice: the step; None: 1 adds a dim of size 1, 0 one of size 0 (x[False])
  Tensor tensor{};   // TensorIndex: int64 indices or a bool mask (advanced indexing, as numpy and PyTorch)
};
constexpr int64_t kNoBound = INT64_MIN;
// x[items]: a view for ints, slices, None and ...; with tensor items a gathered copy (advanced indexing).
Tensor index(const Tensor& x, const std::vector<IndexItem>& items);
// The tensor-item part of index() (ops/indexing.cpp).
Tensor index_advanced(const Tensor& x, const std::vector<IndexItem>& items);
// x[items] = value, in place (value broadcast to the indexed shape); with repeated indices the last write wins.
Tensor index_put_(const Tensor& x, const std::vector<IndexItem>& items, const Tensor& value);
// [count, x.dim()] int64: the positions of x's non-zero elements in row-major order.
Tensor nonzero(const Tensor& x);
// self[..., index[j], ...] = source[..., j, ...] along dim, in place.
Tensor index_copy_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor view(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const Dims& dims);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, std::optional<Dims> dims = std::nullopt);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to_dtype(const Tensor& x, DType dtype);
Tensor detach(const Tensor& x);
// x's bytes read as another dtype (torch's view(dtype)): shares storage, not differentiable.
Tensor view_dtype(const Tensor& x, DType dtype);
// Internal view with a geometry relative to x's contiguous layout (used by indexing and its backward).
// Running sums along dim (reverse: from the last element); 16-bit floats accumulate in float32, bool in int64.
Tensor cumsum(const Tensor& x, int64_t dim, bool reverse = false);
// The int64 positions along dim of the k largest (smallest) elements in ranking order: NaN ranks largest, ties go
// to the lower position (torch's order); x's shape with k along dim. Not recorded (values come from gather).
Tensor topk_indices(const Tensor& x, int64_t k, int64_t dim, bool largest);
Tensor strided_view(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset);
Tensor strided_view_backward(const Tensor& grad, const Shape& input_shape, const Shape& shape, const Shape& strides,
                             int64_t offset);

// ---- joining and indexing ----
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source);
Tensor one_hot(const Tensor& target, int64_t num_classes = -1);

// ---- network ops (composite.cpp, except the fused cross-entropy primitive) ----
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
Tensor cross_entropy(const Tensor& input, const Tensor& target, const std::string& reduction = "mean",
                     int64_t ignore_index = -100, double label_smoothing = 0.0, const Tensor& weight = Tensor());
Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                                double label_smoothing);
// d cross_entropy_per_sample / d logits times grad [N], in one pass; not recorded (the derivative rule uses it
// only when no graph is being built, and the composite form otherwise).
Tensor cross_entropy_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, int64_t ignore_index,
                              double label_smoothing);
Tensor nll_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean",
                int64_t ignore_index = -100, const Tensor& weight = Tensor());
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const std::string& reduction,
                                        const Tensor& weight, const Tensor& pos_weight);

// Sums grad over broadcast dims so it has `shape` (the one unbroadcast helper of every binary rule).
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace pygrad
