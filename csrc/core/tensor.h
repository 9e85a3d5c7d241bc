// Tensor: a handle over TensorImpl (storage, shape, strides, offset, dtype, device, version, autograd data).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"
#include "core/storage.h"

namespace pygrad {

class Tensor;
struct Node;
using TensorHook = std::function<Tensor(const Tensor&)>;        // returns an undefined Tensor to keep the grad
using PostAccumulateHook = std::function<void(const Tensor&)>;  // called with the leaf once .grad is updated

// Shared by a tensor and all its views: bumped by every in-place write, checked by saved tensors.
struct VersionCounter {
  std::atomic<uint32_t> value{0};
};

// Present only on tensors that take part in autograd.
struct AutogradMeta {
  bool requires_grad = false;
  std::shared_ptr<struct TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;                   // leaves: the node that accumulates into .grad
  std::vector<TensorHook> leaf_hooks;                     // leaves only; non-leaf hooks live on grad_fn
  std::vector<PostAccumulateHook> post_accumulate_hooks;  // leaves only
  uint32_t history_version = 0;  // the version when grad_fn was set: a view whose memory changed since is stale
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;
  bool is_view = false;
  // Views made with grad mode on: the tensor owning the memory, whose history an in-place write on the view
  // updates (weak: a saved view must not keep its base's graph alive in a cycle).
  std::weak_ptr<TensorImpl> view_base;
  bool wrapped_number = false;  // a Python scalar: weaker in type promotion
  std::shared_ptr<VersionCounter> version;
  std::unique_ptr<AutogradMeta> autograd;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A fresh contiguous tensor with uninitialised data.
  static Tensor empty(const Shape& shape, DType dtype, Device device = Device::CPU, const char* op = "empty");
  // A view of this tensor's storage with another geometry (shares the version counter).
  Tensor make_view(const Shape& shape, const Shape& strides, int64_t offset) const;

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t dim() const { return static_cast<int64_t>(impl_->shape.size()); }
  int64_t size(int64_t d) const;
  int64_t numel() const { return numel_of(impl_->shape); }
  int64_t offset() const { return impl_->offset; }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device(); }
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
  bool is_contiguous() const;
  bool is_view() const { return impl_->is_view; }
  size_t element_size() const { return dtype_size(impl_->dtype); }
  void* raw_data() const {
    return static_cast<char*>(impl_->storage->data()) + impl_->offset * static_cast<int64_t>(element_size());
  }
  template <class T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }

  uint32_t version() const { return impl_->version->value.load(std::memory_order_relaxed); }
  void bump_version() const { impl_->version->value.fetch_add(1, std::memory_order_relaxed); }

  // Autograd fields.
  bool requires_grad() const { return impl_->autograd && impl_->autograd->requires_grad; }
  void set_requires_grad(bool value) const;  // raises for non-float dtypes and non-leaves
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const { return !grad_fn(); }
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  void set_history(const std::shared_ptr<Node>& node) const;
  AutogradMeta& autograd_meta() const;  // creates it on first use

  bool same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::string shape_to_string(const Shape& shape);

}  // namespace pygrad
