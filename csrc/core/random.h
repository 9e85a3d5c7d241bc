// Counter-based random numbers (Philox4x32-10): element i of a call depends only on (seed, call, i),
// so a seed gives the same numbers at any thread count and on any device.
#pragma once
#include <cstdint>

#ifdef __CUDACC__
#define PG_HOST_DEVICE __host__ __device__
#else
#define PG_HOST_DEVICE
#endif

namespace pygrad {

struct RandomStream {
  uint64_t seed;
  uint64_t stream;  // which call of the generator this is
};

struct Philox4 {
  uint32_t v[4];
};

PG_HOST_DEVICE inline Philox4 philox(RandomStream key, uint64_t index) {
  uint32_t c0 = static_cast<uint32_t>(index), c1 = static_cast<uint32_t>(index >> 32);
  uint32_t c2 = static_cast<uint32_t>(key.stream), c3 = static_cast<uint32_t>(key.stream >> 32);
  uint32_t k0 = static_cast<uint32_t>(key.seed), k1 = static_cast<uint32_t>(key.seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(0xD2511F53u) * c0;
    uint64_t p1 = uint64_t(0xCD9E8D57u) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) from 24 (float) or 53 (double) random bits.
PG_HOST_DEVICE inline float uniform_float(uint32_t bits) { return (bits >> 8) * (1.0f / 16777216.0f); }
PG_HOST_DEVICE inline double uniform_double(uint32_t hi, uint32_t lo) {
  uint64_t bits = (uint64_t(hi) << 21) ^ (lo >> 11);
  return (bits & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// The process-wide generator: manual_seed resets it; each random op takes the next stream.
void manual_seed(uint64_t seed);
uint64_t initial_seed();
RandomStream next_random_stream();

}  // namespace pygrad
