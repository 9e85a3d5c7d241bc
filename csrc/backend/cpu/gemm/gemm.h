// Strided single/double precision GEMM for the CPU backend (BLIS-style packing, per-ISA micro-kernels).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pygrad::cpu {

// Row-major C = alpha * op(A) * op(B) + beta * C with element strides:
//   A(i,p) = a[i*a_row_stride + p*a_col_stride]   (m x k)
//   B(p,j) = b[p*b_row_stride + j*b_col_stride]   (k x n)
//   C(i,j) = c[i*c_row_stride + j*c_col_stride]   (m x n)
// Strides may be any non-negative values (a transposed view is just swapped strides); m, n, k may be 0.
// beta == 0 overwrites C (NaN in C ignored, BLAS semantics); k == 0 or alpha == 0 gives C = beta * C.
// The result is bit-identical for every num_threads; num_threads == 1 never enters an OpenMP region.
void gemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride, int64_t a_col_stride,
          const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta, float* c, int64_t c_row_stride,
          int64_t c_col_stride, int num_threads);
void gemm(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride, int64_t a_col_stride,
          const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta, double* c, int64_t c_row_stride,
          int64_t c_col_stride, int num_threads);

// gemm() on the calling thread with A and B read where they are (no packing) at any size: for callers whose
// operands are tiles already in L1/L2, as flash attention's are, where packing would copy them once per use.
// Needs C's columns unit-stride (otherwise, and where the ISA has no unpacked kernel, it is gemm() on one thread).
void gemm_in_cache(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride,
                   int64_t a_col_stride, const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta,
                   float* c, int64_t c_row_stride);
void gemm_in_cache(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride,
                   int64_t a_col_stride, const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta,
                   double* c, int64_t c_row_stride);

// Epilogue applied to each finished tile of C, after alpha/beta: C(i,j) = act(C(i,j) + bias[j * bias_stride]).
enum class Activation { None, Relu };

// gemm() plus the epilogue; bias may be null (activation only). Same strides, threading and determinism rules.
void gemm_bias_act(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride,
                   int64_t a_col_stride, const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta,
                   float* c, int64_t c_row_stride, int64_t c_col_stride, const float* bias, int64_t bias_stride,
                   Activation act, int num_threads);
void gemm_bias_act(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_row_stride,
                   int64_t a_col_stride, const double* b, int64_t b_row_stride, int64_t b_col_stride, double beta,
                   double* c, int64_t c_row_stride, int64_t c_col_stride, const double* bias, int64_t bias_stride,
                   Activation act, int num_threads);

// B packed once into the micro-kernels' slivers, for many products with the same B (a recurrent layer's weight
// multiplies every step's state): gemm_prepacked_b then packs only A. Valid for the ISA level it was packed at.
template <typename T>
struct PackedB {
  int64_t k = 0, n = 0;
  int64_t block = 0;  // elements per (NC panel, KC slice) block, in the driver's loop order
  int isa = -1;
  std::vector<T> storage;
  T* data = nullptr;  // 64-byte aligned, inside storage
};
// Packs B (k x n, B(p,j) = b[p*b_row_stride + j*b_col_stride]) for the active ISA level.
void pack_gemm_b(int64_t k, int64_t n, const float* b, int64_t b_row_stride, int64_t b_col_stride, PackedB<float>& out);
void pack_gemm_b(int64_t k, int64_t n, const double* b, int64_t b_row_stride, int64_t b_col_stride,
                 PackedB<double>& out);
// C = alpha A B + beta C with B packed by pack_gemm_b and C's rows unit-stride; the same bits as gemm() on the
// packed-driver route, at any thread count.
void gemm_prepacked_b(int64_t m, float alpha, const float* a, int64_t a_row_stride, int64_t a_col_stride,
                      const PackedB<float>& b, float beta, float* c, int64_t c_row_stride, int num_threads);
void gemm_prepacked_b(int64_t m, double alpha, const double* a, int64_t a_row_stride, int64_t a_col_stride,
                      const PackedB<double>& b, double beta, double* c, int64_t c_row_stride, int num_threads);

// bfloat16 operands and result (raw bits), float32 products and sums: C(i,j) = sum_p A(i,p) B(p,j) + bias[j]
// (bias: float32 [n] or null), rounded once to bfloat16 into c[i*c_row_stride + j]. A and B strides as gemm()'s.
// The path follows gemm_bf16_path(); each path gives the same bits at any thread count.
void gemm_bf16(int64_t m, int64_t n, int64_t k, const uint16_t* a, int64_t a_row_stride, int64_t a_col_stride,
               const uint16_t* b, int64_t b_row_stride, int64_t b_col_stride, uint16_t* c, int64_t c_row_stride,
               const float* bias, int num_threads);

// How gemm_bf16 multiplies: "amx" (AMX-BF16 tiles), "avx512_bf16" (vdpbf16ps) or "float32" (operands widened,
// then the float32 GEMM). The best the CPU offers, lowered by PYGRAD_BF16_GEMM=amx|avx512_bf16|float32 or by
// set_gemm_bf16_path, which throws std::invalid_argument for a path this CPU lacks.
const char* gemm_bf16_path();
void set_gemm_bf16_path(const std::string& name);

// The active ISA's register tile and cache blocks (for tests that sweep the block boundaries).
struct GemmBlocksizes {
  int mr, nr, mc, kc, nc;
};
GemmBlocksizes gemm_blocksizes(bool f64);

// Empty, or why PYGRAD_GEMM_BLOCKS ("mc,kc,nc": float32 cache blocks for experiments) cannot be used; the module
// checks it at import, so a bad value is an ImportError rather than a failure inside a kernel.
const std::string& gemm_blocks_override_error();

}  // namespace pygrad::cpu
