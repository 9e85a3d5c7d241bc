// Storage allocation and release, through a bounded cache of freed CPU buffers grouped by size class.
#include "core/storage.h"

#include <pthread.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace pygrad {

namespace {
constexpr size_t kAlignment = 64;
// Anything above this is a user error (no machine has 2^46 bytes), not an allocation to attempt.
constexpr size_t kMaxBytes = size_t(1) << 46;
// Larger buffers go straight back to the system: their page faults are small next to the work on them.
constexpr size_t kMaxCachedBlock = size_t(64) << 20;

// 64-byte steps up to 1 KiB, then four classes per power of two (at most 25% slack).
size_t size_class(size_t nbytes) {
  if (nbytes <= 1024) return (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  const int msb = 63 - __builtin_clzll(static_cast<unsigned long long>(nbytes - 1));
  const size_t step = size_t(1) << (msb - 2);
  return (nbytes + step - 1) & ~(step - 1);
}

size_t limit_from_env() {
  const char* v = std::getenv("PYGRAD_CACHE_LIMIT_MB");
  if (!v || !*v) return size_t(256) << 20;
  char* end = nullptr;
  long long mb = std::strtoll(v, &end, 10);
  return (end && *end == '\0' && mb >= 0) ? static_cast<size_t>(mb) << 20 : size_t(256) << 20;
}

struct BufferCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // size class -> freed buffers
  size_t cached_bytes = 0, cached_blocks = 0;
  const size_t limit = limit_from_env();
  uint64_t hits = 0, misses = 0;
};

// Never destroyed: tensors can still be released while the process exits.
BufferCache& cache() {
  static BufferCache* c = [] {
    auto* created = new BufferCache();
    // A fork while another thread holds the lock would leave the child's copy locked forever: hold it across fork.
    pthread_atfork([] { cache().mutex.lock(); }, [] { cache().mutex.unlock(); }, [] { cache().mutex.unlock(); });
    return created;
  }();
  return *c;
}

void* take_block(size_t cls) {
  BufferCache& c = cache();
  if (c.limit > 0 && cls <= kMaxCachedBlock) {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(cls);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= cls;
      --c.cached_blocks;
      ++c.hits;
      return p;
    }
    ++c.misses;
  }
  return std::aligned_alloc(kAlignment, cls);
}

void give_block(void* p, size_t cls) {
  BufferCache& c = cache();
  if (cls <= kMaxCachedBlock) {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached_bytes + cls <= c.limit) {
      c.free_blocks[cls].push_back(p);
      c.cached_bytes += cls;
      ++c.cached_blocks;
      return;
    }
  }
  std::free(p);
}
}  // namespace

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device, const char* op) {
  PG_CHECK(device == Device::CPU, RuntimeError, op, "no storage allocator for device ", device_name(device));
  PG_CHECK(nbytes <= kMaxBytes, RuntimeError, op, "cannot allocate ", nbytes, " bytes: size is too large");
  std::shared_ptr<Storage> s(new Storage());
  if (nbytes > 0) {
    s->data_ = take_block(size_class(nbytes));
    PG_CHECK(s->data_ != nullptr, RuntimeError, op, "out of memory allocating ", nbytes, " bytes");
  }
  s->nbytes_ = nbytes;
  s->device_ = device;
  return s;
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t nbytes, Device device, std::shared_ptr<void> owner) {
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = data;
  s->nbytes_ = nbytes;
  s->device_ = device;
  s->owner_ = std::move(owner);
  return s;
}

Storage::~Storage() {
  if (!owner_ && data_) give_block(data_, size_class(nbytes_));
}

AllocatorStats allocator_stats() {
  BufferCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  AllocatorStats s;
  s.cached_bytes = c.cached_bytes;
  s.cached_blocks = c.cached_blocks;
  s.limit_bytes = c.limit;
  s.hits = c.hits;
  s.misses = c.misses;
  return s;
}

void empty_cache() {
  BufferCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [cls, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.cached_bytes = 0;
  c.cached_blocks = 0;
}

}  // namespace pygrad
