// Function attributes that compile one function for a higher instruction-set level than the baseline, for
// kernels that keep a per-level copy in the same file (chosen at run time by cpu_capability()).
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define PG_ISA_TARGETS 1
#define PG_ALWAYS_INLINE __attribute__((always_inline))
#define PG_NOINLINE __attribute__((noinline))
#define PG_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define PG_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,prefer-vector-width=512")))
#else
#define PG_ALWAYS_INLINE
#define PG_NOINLINE
#endif
