// Thread count, the fork guard, and OpenMP queries.
#include "backend/cpu/parallel.h"

#include <omp.h>
#include <pthread.h>

#include <atomic>

namespace pygrad {

namespace {
std::atomic<int> configured_threads{0};  // 0: not set, use OpenMP's default
std::atomic<bool> in_forked_child{false};

// libgomp's pool does not survive fork: a child that entered a parallel region would hang.
void mark_forked_child() { in_forked_child.store(true); }
const bool fork_handler_installed = [] {
  pthread_atfork(nullptr, nullptr, mark_forked_child);
  return true;
}();
}  // namespace

int get_num_threads() {
  if (in_forked_child.load(std::memory_order_relaxed)) return 1;
  int n = configured_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  static const int default_threads = omp_get_max_threads();
  return default_threads;
}

void set_num_threads(int n) { configured_threads.store(n > 0 ? n : 1); }

namespace cpu {

int threads_for(int64_t work, int64_t grain) {
  int nt = get_num_threads();
  if (nt <= 1 || work <= grain) return 1;
  int64_t useful = work / (grain > 0 ? grain : 1);
  return static_cast<int>(useful < nt ? (useful > 1 ? useful : 1) : nt);
}

int omp_get_thread_num_wrapper() { return omp_get_thread_num(); }
int omp_get_num_threads_wrapper() { return omp_get_num_threads(); }

}  // namespace cpu
}  // namespace pygrad
