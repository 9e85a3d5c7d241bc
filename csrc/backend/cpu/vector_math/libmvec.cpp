// Run-time lookup of glibc's vector math library (libmvec.so.1; most routines need glibc 2.35+): no link-time
// dependency, so the extension loads everywhere and falls back to scalar libm where the library or a routine is
// missing, or when PYGRAD_DISABLE_LIBMVEC is set (to compare the two paths).
#include <dlfcn.h>

#include <cstdlib>

#include "backend/cpu/vector_math/vector_math.h"

namespace pygrad::cpu {

void* libmvec_symbol(const char* name) {
  static void* const handle = []() -> void* {
    const char* off = std::getenv("PYGRAD_DISABLE_LIBMVEC");
    if (off != nullptr && off[0] != '\0' && off[0] != '0') return nullptr;
    return dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
  }();
  return handle != nullptr ? dlsym(handle, name) : nullptr;
}

}  // namespace pygrad::cpu
