// Storage: a refcounted, 64-byte aligned buffer, or a wrapper that keeps a foreign buffer (numpy, DLPack) alive.
#pragma once
#include <cstddef>
#include <memory>

#include "core/dtype.h"

namespace pygrad {

class Storage {
 public:
  // Allocates nbytes (64-byte aligned); raises RuntimeError naming `op` when the allocation fails.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device, const char* op);
  // Wraps memory owned elsewhere; `owner` is released when the last tensor using it is gone.
  static std::shared_ptr<Storage> wrap(void* data, size_t nbytes, Device device, std::shared_ptr<void> owner);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  Storage() = default;
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_ = Device::CPU;
  std::shared_ptr<void> owner_;  // null when this storage allocated data_ itself
};

}  // namespace pygrad
