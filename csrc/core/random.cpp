// The process-wide generator state.
#include "core/random.h"

#include <mutex>
#include <random>

namespace pygrad {

namespace {
std::mutex generator_mutex;
uint64_t generator_seed = [] {
  std::random_device device;
  return (uint64_t(device()) << 32) ^ device();
}();
uint64_t generator_stream = 0;
}  // namespace

void manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(generator_mutex);
  generator_seed = seed;
  generator_stream = 0;
}

uint64_t initial_seed() {
  std::lock_guard<std::mutex> lock(generator_mutex);
  return generator_seed;
}

RandomStream next_random_stream() {
  std::lock_guard<std::mutex> lock(generator_mutex);
  return RandomStream{generator_seed, generator_stream++};
}

}  // namespace pygrad
