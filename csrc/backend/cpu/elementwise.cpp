// CPU elementwise kernels: unary and binary ops from the registry, where, copy with cast, fill, ranges, random.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/half_convert/half_convert.h"
#include "backend/cpu/isa_targets.h"
#include "backend/cpu/loops.h"
#include "backend/cpu/vector_math/vector_math.h"
#include "backend/dispatch.h"
#include "backend/functors.h"
#include "core/error.h"

namespace pygrad::cpu {

// The reference of vector_math.h's uniform groups (and the portable level's implementation).
void uniform_groups_scalar(RandomStream key, int64_t first, int64_t groups, float start, float range, float* dst) {
  for (int64_t g = 0; g < groups; ++g) {
    for (int lane = 0; lane < 8; ++lane) {
      const Philox4 r = philox(key, static_cast<uint64_t>(8 * (first + g) + lane));
      for (int w = 0; w < 4; ++w) dst[kUniformGroup * g + 8 * w + lane] = start + range * uniform_float(r.v[w]);
    }
  }
}

namespace {

struct KindFloat {};
struct KindNumeric {};
struct KindArith {};
struct KindDivide {};
struct KindCompare {};
struct KindBitwise {};    // integers and bool only
struct KindPredicate {};  // unary, any dtype in, bool out

// Instantiates body for the dtypes an op kind can see after the ops layer promoted its inputs.
template <class Kind, class Body>
void dispatch_kind(DType dtype, const Body& body) {
  constexpr bool floats = !std::is_same<Kind, KindBitwise>::value;
  constexpr bool integers = !std::is_same<Kind, KindFloat>::value && !std::is_same<Kind, KindDivide>::value;
  constexpr bool bools = integers && !std::is_same<Kind, KindNumeric>::value;
  if constexpr (floats) {
    switch (dtype) {
      case DType::Float32: return body(float{});
      case DType::Float64: return body(double{});
      case DType::Float16: return body(Half{});
      case DType::BFloat16: return body(BFloat16{});
      default: break;
    }
  }
  if constexpr (integers) {
    switch (dtype) {
      case DType::Int64: return body(int64_t{});
      case DType::Int32: return body(int32_t{});
      case DType::Int16: return body(int16_t{});
      case DType::Int8: return body(int8_t{});
      case DType::UInt8: return body(uint8_t{});
      default: break;
    }
  }
  if constexpr (bools) {
    if (dtype == DType::Bool) return body(bool{});
  }
  PG_THROW(TypeError, "elementwise", "no CPU kernel for dtype ", dtype_name(dtype));
}

// float16 / bfloat16 rows run through float32 blocks on the stack: widen, the float32 row routine, round on store.
constexpr int64_t kWidenBlock = 256;

// Contiguous and scalar-broadcast rows of floating types: one loop body, compiled once per instruction-set
// level through target attributes (the functors are inline, so each copy vectorises at its own width) and
// picked by cpu_capability() like the GEMM micro-kernels. + - * / round the same at every width (no FMA
// contraction in ISO C++ mode), so the level never changes a result.
template <class F, class T, class R>
PG_ALWAYS_INLINE inline void unary_row_body(const F& f, const T* x, R* o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(f(x[i]));
}

// sx, sy: element strides of the inputs along the row, 1 (contiguous) or 0 (one value broadcast); not both 0.
template <class F, class T, class R>
PG_ALWAYS_INLINE inline void binary_row_body(const F& f, const T* x, int64_t sx, const T* y, int64_t sy, R* o,
                                             int64_t n) {
  if (sx == 1 && sy == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(f(x[i], y[i]));
  } else if (sy == 0) {
    const T yv = y[0];
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(f(x[i], yv));
  } else {
    const T xv = x[0];
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(f(xv, y[i]));
  }
}

// Each level's loop is a function of its own: inlined into the kernel's lambda, GCC would not if-convert the
// branchy functors (abs, relu, clamp) and left those loops scalar.
template <class F, class T, class R>
PG_NOINLINE void unary_row_portable(const F& f, const T* x, R* o, int64_t n) {
  unary_row_body(f, x, o, n);
}
template <class F, class T, class R>
PG_NOINLINE void binary_row_portable(const F& f, const T* x, int64_t sx, const T* y, int64_t sy, R* o, int64_t n) {
  binary_row_body(f, x, sx, y, sy, o, n);
}
#if defined(PG_ISA_TARGETS)
template <class F, class T, class R>
PG_TARGET_AVX2 void unary_row_avx2(const F& f, const T* x, R* o, int64_t n) {
  unary_row_body(f, x, o, n);
}
template <class F, class T, class R>
PG_TARGET_AVX512 void unary_row_avx512(const F& f, const T* x, R* o, int64_t n) {
  unary_row_body(f, x, o, n);
}
template <class F, class T, class R>
PG_TARGET_AVX2 void binary_row_avx2(const F& f, const T* x, int64_t sx, const T* y, int64_t sy, R* o, int64_t n) {
  binary_row_body(f, x, sx, y, sy, o, n);
}
template <class F, class T, class R>
PG_TARGET_AVX512 void binary_row_avx512(const F& f, const T* x, int64_t sx, const T* y, int64_t sy, R* o, int64_t n) {
  binary_row_body(f, x, sx, y, sy, o, n);
}
#endif

template <class F, class T, class R>
void unary_row(CpuCapability level, const F& f, const T* x, R* o, int64_t n) {
#if defined(PG_ISA_TARGETS)
  if constexpr (std::is_floating_point<T>::value) {
    if (level == CpuCapability::Avx512) return unary_row_avx512(f, x, o, n);
    if (level == CpuCapability::Avx2) return unary_row_avx2(f, x, o, n);
  }
#endif
  unary_row_portable(f, x, o, n);
}

template <class F, class T, class R>
void binary_row(CpuCapability level, const F& f, const T* x, int64_t sx, const T* y, int64_t sy, R* o, int64_t n) {
#if defined(PG_ISA_TARGETS)
  if constexpr (std::is_floating_point<T>::value) {
    if (level == CpuCapability::Avx512) return binary_row_avx512(f, x, sx, y, sy, o, n);
    if (level == CpuCapability::Avx2) return binary_row_avx2(f, x, sx, y, sy, o, n);
  }
#endif
  binary_row_portable(f, x, sx, y, sy, o, n);
}

template <class F, class Kind>
void unary_kernel(KernelArgs& args) {
  F f;
  f.a = args.scalars[0];
  f.b = args.scalars[1];
  f.c = args.scalars[2];
  const Tensor& out = args.out[0];
  const Tensor& in = args.in[0];
  const CpuCapability level = cpu_capability();
  // Transcendentals on contiguous float32 rows (and the float32 blocks of 16-bit floats) go to the active level's
  // vector routine, if it has one.
  const ArrayMathF32 vectorized =
      !std::is_same<Kind, KindPredicate>::value && (in.dtype() == DType::Float32 || is_reduced_floating(in.dtype()))
          ? vectorized_f32(f)
          : nullptr;
  dispatch_kind<Kind>(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using R = typename std::conditional<std::is_same<Kind, KindPredicate>::value, bool, T>::type;
    for_each_row<2>({&out, &in}, out.numel(),
                    [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                      R* o = reinterpret_cast<R*>(p[0]);
                      const T* x = reinterpret_cast<const T*>(p[1]);
                      const int64_t so = s[0] / static_cast<int64_t>(sizeof(R));
                      const int64_t sx = s[1] / static_cast<int64_t>(sizeof(T));
                      if constexpr (is_reduced_float<T>::value) {
                        float block[kWidenBlock];
                        for (int64_t i = 0; i < n; i += kWidenBlock) {
                          const int64_t m = std::min(kWidenBlock, n - i);
                          widen_strided(x + i * sx, sx, block, m);
                          if constexpr (std::is_same<R, bool>::value) {
                            bool rb[kWidenBlock];
                            unary_row(level, f, block, rb, m);
                            for (int64_t j = 0; j < m; ++j) o[(i + j) * so] = rb[j];
                          } else {
                            if (vectorized != nullptr) {
                              vectorized(block, block, m);
                            } else {
                              unary_row(level, f, block, block, m);
                            }
                            narrow_strided(block, o + i * so, so, m);
                          }
                        }
                      } else {
                        if (so == 1 && sx == 1) {
                          if constexpr (std::is_same<T, float>::value && std::is_same<R, float>::value) {
                            if (vectorized != nullptr) return vectorized(x, o, n);
                          }
                          return unary_row(level, f, x, o, n);
                        }
                        for (int64_t i = 0; i < n; ++i) o[i * so] = static_cast<R>(f(x[i * sx]));
                      }
                    });
  });
}

template <class F, class Kind>
void binary_kernel(KernelArgs& args) {
  F f;
  const Tensor& out = args.out[0];
  const Tensor& a = args.in[0];
  const Tensor& b = args.in[1];
  const CpuCapability level = cpu_capability();
  dispatch_kind<Kind>(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using R = typename std::conditional<std::is_same<Kind, KindCompare>::value, bool, T>::type;
    for_each_row<3>(
        {&out, &a, &b}, out.numel(), [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
          R* o = reinterpret_cast<R*>(p[0]);
          const T* x = reinterpret_cast<const T*>(p[1]);
          const T* y = reinterpret_cast<const T*>(p[2]);
          const int64_t so = s[0] / static_cast<int64_t>(sizeof(R));
          const int64_t sx = s[1] / static_cast<int64_t>(sizeof(T)), sy = s[2] / static_cast<int64_t>(sizeof(T));
          if constexpr (is_reduced_float<T>::value) {
            using BlockResult = typename std::conditional<std::is_same<R, bool>::value, bool, float>::type;
            float xb[kWidenBlock], yb[kWidenBlock];
            BlockResult rb[kWidenBlock];
            for (int64_t i = 0; i < n; i += kWidenBlock) {
              const int64_t m = std::min(kWidenBlock, n - i);
              widen_strided(x + i * sx, sx, xb, m);
              widen_strided(y + i * sy, sy, yb, m);
              binary_row(level, f, xb, 1, yb, 1, rb, m);
              if constexpr (std::is_same<R, bool>::value) {
                for (int64_t j = 0; j < m; ++j) o[(i + j) * so] = rb[j];
              } else {
                narrow_strided(rb, o + i * so, so, m);
              }
            }
          } else {
            // Contiguous and scalar-broadcast rows get loops the compiler vectorises.
            if (so == 1 && (sx == 1 || sx == 0) && (sy == 1 || sy == 0) && !(sx == 0 && sy == 0)) {
              return binary_row(level, f, x, sx, y, sy, o, n);
            }
            for (int64_t i = 0; i < n; ++i) o[i * so] = static_cast<R>(f(x[i * sx], y[i * sy]));
          }
        });
  });
}

// where: out[i] = cond[i] ? x[i] : y[i]; in = {cond (bool), x, y}, all expanded to out's shape.
void where_kernel(KernelArgs& args) {
  const Tensor& out = args.out[0];
  PG_DISPATCH_ALL(out.dtype(), "where", [&] {
    using T = scalar_t;
    for_each_row<4>({&out, &args.in[0], &args.in[1], &args.in[2]}, out.numel(),
                    [&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
                      for (int64_t i = 0; i < n; ++i) {
                        bool c = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
                        *reinterpret_cast<T*>(p[0] + i * s[0]) = c ? *reinterpret_cast<const T*>(p[2] + i * s[2])
                                                                   : *reinterpret_cast<const T*>(p[3] + i * s[3]);
                      }
                    });
  });
}

// One element converted as torch converts it: floats to integers through int64 (so -1.0 becomes 255 as uint8),
// anything to bool by != 0, and into the 16-bit floats through float32.
template <class D, class S>
inline D convert_value(S v) {
  if constexpr (std::is_same<D, S>::value) {
    return v;
  } else if constexpr (std::is_same<D, bool>::value) {
    return static_cast<double>(v) != 0;
  } else if constexpr (std::is_integral<D>::value && !std::is_integral<S>::value) {
    return static_cast<D>(static_cast<int64_t>(static_cast<double>(v)));
  } else if constexpr (is_reduced_float<D>::value) {
    return D(static_cast<float>(v));
  } else {
    return static_cast<D>(v);
  }
}

// o[i * so] = x[i * sx] converted; float32 <-> float16 / bfloat16 through the vectorised row conversions.
template <class D, class S>
void convert_row(const S* x, int64_t sx, D* o, int64_t so, int64_t n) {
  if constexpr (is_reduced_float<S>::value && std::is_same<D, float>::value) {
    if (so == 1) return widen_strided(x, sx, o, n);
  }
  if constexpr (std::is_same<S, float>::value && is_reduced_float<D>::value) {
    if (sx == 1) return narrow_strided(x, o, so, n);
  }
  if (so == 1 && sx == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = convert_value<D>(x[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * so] = convert_value<D>(x[i * sx]);
  }
}

// copy: out (any strides, any dtype) = in (expanded to out's shape), converting the dtype.
void copy_kernel(KernelArgs& args) {
  const Tensor& out = args.out[0];
  const Tensor& in = args.in[0];
  if (out.dtype() == in.dtype()) {  // same dtype: moves bytes, one instantiation per element size
    PG_DISPATCH_BY_SIZE(out.dtype(), "copy", [&] {
      using T = scalar_t;
      for_each_row<2>({&out, &in}, out.numel(),
                      [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                        T* o = reinterpret_cast<T*>(p[0]);
                        const T* x = reinterpret_cast<const T*>(p[1]);
                        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
                          // In 64 KiB pieces: one large memcpy switches to non-temporal stores, which evict the copy
                          // from the cache that the next op reads it from (a 3 MB clone ran at a third of PyTorch's
                          // speed).
                          constexpr int64_t kPiece = 65536 / static_cast<int64_t>(sizeof(T));
                          for (int64_t i = 0; i < n; i += kPiece) {
                            std::memcpy(o + i, x + i, static_cast<size_t>(std::min(kPiece, n - i)) * sizeof(T));
                          }
                        } else {
                          const int64_t so = s[0] / sizeof(T), sx = s[1] / sizeof(T);
                          for (int64_t i = 0; i < n; ++i) o[i * so] = x[i * sx];
                        }
                      });
    });
    return;
  }
  PG_DISPATCH_ALL(out.dtype(), "copy", [&] {
    using D = scalar_t;
    PG_DISPATCH_ALL(in.dtype(), "copy", [&] {
      using S = scalar_t;
      for_each_row<2>({&out, &in}, out.numel(),
                      [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                        D* o = reinterpret_cast<D*>(p[0]);
                        const S* x = reinterpret_cast<const S*>(p[1]);
                        const int64_t so = s[0] / static_cast<int64_t>(sizeof(D));
                        const int64_t sx = s[1] / static_cast<int64_t>(sizeof(S));
                        convert_row(x, sx, o, so, n);
                      });
    });
  });
}

// fill: out (any strides) = scalars[0], or ints[0] for integer dtypes (exact beyond 2^53, wrapped to the width).
void fill_kernel(KernelArgs& args) {
  const Tensor& out = args.out[0];
  PG_DISPATCH_ALL(out.dtype(), "fill", [&] {
    using T = scalar_t;
    const T value = is_integral(out.dtype(), false) ? static_cast<T>(args.ints[0]) : convert_value<T>(args.scalars[0]);
    for_each_row<1>({&out}, out.numel(),
                    [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
                      T* o = reinterpret_cast<T*>(p[0]);
                      const int64_t so = s[0] / sizeof(T);
                      if (so == 1) {
                        for (int64_t i = 0; i < n; ++i) o[i] = value;
                      } else {
                        for (int64_t i = 0; i < n; ++i) o[i * so] = value;
                      }
                    });
  });
}

// arange: contiguous out[i] = start + i * step (scalars 0, 1); ints[0] = 1 means linspace to scalars[2],
// filled from both ends so the last element is exactly the end point.
void arange_kernel(KernelArgs& args) {
  const Tensor& out = args.out[0];
  const double start = args.scalars[0], step = args.scalars[1], end = args.scalars[2];
  const bool linspace = args.ints[0] == 1;
  const int64_t n = out.numel();
  PG_DISPATCH_ALL(out.dtype(), "arange", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    parallel_for(0, n, kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double v = (linspace && i >= n / 2) ? end - step * static_cast<double>(n - 1 - i)
                                            : start + step * static_cast<double>(i);
        o[i] = static_cast<T>(v);
      }
    });
  });
}

// random_uniform: contiguous float out in [scalars[0], scalars[1]). float32 numbers come 32 to a group of eight
// Philox counters (vectorised at the AVX2 and AVX-512 levels, the same bits at every level); float64 takes two
// words of counter i.
void random_uniform_kernel(KernelArgs& args) {
  const Tensor& out = args.out[0];
  const double low = args.scalars[0], high = args.scalars[1];
  const RandomStream key = args.random;
  PG_DISPATCH_ALL_FLOATING(out.dtype(), "rand", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    if (std::is_same<T, float>::value) {
      float* of = reinterpret_cast<float*>(o);  // T is float here (the branch is not a template context)
      UniformGroupsF32 groups_fn = vector_math_f32().uniform;
      if (groups_fn == nullptr) groups_fn = &uniform_groups_scalar;
      const float start = static_cast<float>(low), range = static_cast<float>(high - low);
      parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        // Whole groups straight into out; a group cut by the chunk's ends goes through a local block.
        const int64_t g0 = (b + kUniformGroup - 1) / kUniformGroup, g1 = e / kUniformGroup;
        if (g1 > g0) groups_fn(key, g0, g1 - g0, start, range, of + kUniformGroup * g0);
        auto partial_group = [&](int64_t g) {
          float block[kUniformGroup];
          groups_fn(key, g, 1, start, range, block);
          for (int64_t i = std::max(b, kUniformGroup * g); i < std::min(e, kUniformGroup * (g + 1)); ++i)
            of[i] = block[i - kUniformGroup * g];
        };
        if (b % kUniformGroup != 0) partial_group(b / kUniformGroup);
        if (e % kUniformGroup != 0 && (e / kUniformGroup != b / kUniformGroup || b % kUniformGroup == 0))
          partial_group(e / kUniformGroup);
      });
      return;
    }
    parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        Philox4 r = philox(key, static_cast<uint64_t>(i));
        o[i] = static_cast<T>(low + (high - low) * uniform_double(r.v[0], r.v[1]));
      }
    });
  });
}

// random_normal: contiguous float out ~ N(scalars[0], scalars[1]^2), Box-Muller per element.
void random_normal_kernel(KernelArgs& args) {
  const Tensor& out = args.out[0];
  const double mean = args.scalars[0], std_dev = args.scalars[1];
  const RandomStream key = args.random;
  PG_DISPATCH_ALL_FLOATING(out.dtype(), "randn", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        Philox4 r = philox(key, static_cast<uint64_t>(i));
        double u1 = 1.0 - uniform_double(r.v[0], r.v[1]);  // (0, 1]: log stays finite
        double u2 = uniform_double(r.v[2], r.v[3]);
        o[i] = static_cast<T>(mean + std_dev * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
      }
    });
  });
}

// random_integers: contiguous out uniform over [ints[0], ints[1]).
void random_integers_kernel(KernelArgs& args) {
  const Tensor& out = args.out[0];
  const int64_t low = args.ints[0];
  const uint64_t range = static_cast<uint64_t>(args.ints[1] - args.ints[0]);
  const RandomStream key = args.random;
  PG_DISPATCH_ALL(out.dtype(), "randint", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        Philox4 r = philox(key, static_cast<uint64_t>(i));
        uint64_t bits = (uint64_t(r.v[0]) << 32) | r.v[1];
        o[i] = static_cast<T>(low + static_cast<int64_t>(bits % range));
      }
    });
  });
}

#define PG_UNARY_OP(name, Functor, kind, doc) \
  const KernelRegistrar register_##name(OpId::name, Device::CPU, &unary_kernel<Functor, Kind##kind>);
#define PG_UNARY_OP_PARAM(name, Functor, kind, doc) PG_UNARY_OP(name, Functor, kind, doc)
#define PG_BINARY_OP(name, Functor, kind, doc) \
  const KernelRegistrar register_##name(OpId::name, Device::CPU, &binary_kernel<Functor, Kind##kind>);
#include "core/op_list.def"

const KernelRegistrar register_where(OpId::where, Device::CPU, &where_kernel);
const KernelRegistrar register_copy(OpId::copy, Device::CPU, &copy_kernel);
const KernelRegistrar register_fill(OpId::fill, Device::CPU, &fill_kernel);
const KernelRegistrar register_arange(OpId::arange, Device::CPU, &arange_kernel);
const KernelRegistrar register_random_uniform(OpId::random_uniform, Device::CPU, &random_uniform_kernel);
const KernelRegistrar register_random_normal(OpId::random_normal, Device::CPU, &random_normal_kernel);
const KernelRegistrar register_random_integers(OpId::random_integers, Device::CPU, &random_integers_kernel);

}  // namespace
}  // namespace pygrad::cpu
