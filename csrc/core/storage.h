// Storage: a refcounted, 64-byte aligned buffer, or a wrapper that keeps a foreign buffer (numpy, DLPack) alive.
#pragma once
#include <cstddef>
#include <cstdint>
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

// The CPU buffer cache: freed buffers up to 64 MiB are kept, per size class (at most 25% slack), for the
// next allocation of that class, so a training loop stops mapping and faulting in fresh pages every step.
// Bounded (PYGRAD_CACHE_LIMIT_MB, default 256; 0 disables it), thread-safe, and usable after fork.
struct AllocatorStats {
  size_t cached_bytes = 0;  // held by the cache, free for reuse
  size_t cached_blocks = 0;
  size_t limit_bytes = 0;
  uint64_t hits = 0;    // allocations served from the cache
  uint64_t misses = 0;  // allocations that went to the system allocator
};
AllocatorStats allocator_stats();
void empty_cache();  // returns every cached buffer to the system

}  // namespace pygrad
