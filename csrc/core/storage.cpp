// Storage allocation and release.
#include "core/storage.h"

#include <cstdlib>

#include "core/error.h"

namespace pygrad {

namespace {
constexpr size_t kAlignment = 64;
// Anything above this is a user error (no machine has 2^46 bytes), not an allocation to attempt.
constexpr size_t kMaxBytes = size_t(1) << 46;
}  // namespace

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device, const char* op) {
  PG_CHECK(device == Device::CPU, RuntimeError, op, "no storage allocator for device ", device_name(device));
  PG_CHECK(nbytes <= kMaxBytes, RuntimeError, op, "cannot allocate ", nbytes, " bytes: size is too large");
  std::shared_ptr<Storage> s(new Storage());
  if (nbytes > 0) {
    size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
    s->data_ = std::aligned_alloc(kAlignment, rounded);
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
  if (!owner_) std::free(data_);
}

}  // namespace pygrad
