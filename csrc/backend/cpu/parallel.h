// parallel_for over OpenMP with a grain size; runs inline (no OpenMP region at all) for small work,
// one thread, or inside a process forked after the pool started.
#pragma once
#include <cstdint>

#include "backend/dispatch.h"

namespace pygrad::cpu {

// Threads a loop over [begin, end) would use given its grain size.
int threads_for(int64_t work, int64_t grain);
int omp_get_thread_num_wrapper();
int omp_get_num_threads_wrapper();

// Calls fn(chunk_begin, chunk_end) on disjoint static chunks covering [begin, end).
template <class Fn>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const Fn& fn) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int nt = threads_for(n, grain);
  if (nt <= 1) {
    fn(begin, end);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num_wrapper();
    int count = omp_get_num_threads_wrapper();
    int64_t chunk = (n + count - 1) / count;
    int64_t b = begin + t * chunk;
    int64_t e = b + chunk < end ? b + chunk : end;
    if (b < e) fn(b, e);
  }
}

}  // namespace pygrad::cpu
