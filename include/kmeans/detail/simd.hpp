#pragma once
// What the kernels need to know of the instruction set xsimd chose at compile time, and the
// few vector operations they share that xsimd 8 lacks or does slowly.

#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "unroll.hpp"

// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics, whose
// `_mm512_undefined_*` operands are undefined on purpose; without this every user's build of
// the SIMD code would show them. Headers with SIMD code open with KMEANS_SIMD_BEGIN and close
// with KMEANS_SIMD_END.
#if defined(__GNUC__) && !defined(__clang__)
#define KMEANS_SIMD_BEGIN                                                                    \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define KMEANS_SIMD_END _Pragma("GCC diagnostic pop")
#else
#define KMEANS_SIMD_BEGIN
#define KMEANS_SIMD_END
#endif

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

template <class T>
using batch = xsimd::batch<T>;

template <class T>
inline constexpr std::size_t simd_width = batch<T>::size;

/// Vector registers of the instruction set xsimd chose at compile time; sizes the kernel tiles.
inline constexpr std::size_t simd_register_count =
#if XSIMD_WITH_AVX512F
    32;
#else
    16;
#endif

/// x * y + z with one rounding. xsimd 8 has no AVX-512 fma: there xsimd::fma is a multiply
/// then an add, which GCC fuses (its -ffp-contract=fast default) and Clang does not (its
/// default fuses only within one expression), so Clang's kernels ran at half the FMA rate.
template <class T>
inline batch<T> fma(const batch<T>& x, const batch<T>& y, const batch<T>& z) noexcept {
#if XSIMD_WITH_AVX512F
  if constexpr (std::is_same_v<T, double>)
    return _mm512_fmadd_pd(x, y, z);
  else
    return _mm512_fmadd_ps(x, y, z);
#else
  return xsimd::fma(x, y, z);
#endif
}

/// batch<double>::size values at p as doubles. xsimd 8 converts floats through a scalar loop
/// into a buffer (vectorised by GCC at -O3 only); this is one conversion instruction.
template <class T>
inline batch<double> load_as_double(const T* p) noexcept {
  using D = batch<double>;
  if constexpr (std::is_same_v<T, double>) {
    return D::load_unaligned(p);
  } else {
#if XSIMD_WITH_AVX512F
    return _mm512_cvtps_pd(_mm256_loadu_ps(p));
#elif XSIMD_WITH_AVX
    return _mm256_cvtps_pd(_mm_loadu_ps(p));
#elif XSIMD_WITH_SSE2
    return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
#else
    alignas(64) double v[D::size];
    KMEANS_UNROLL
    for (std::size_t l = 0; l < D::size; ++l) v[l] = static_cast<double>(p[l]);
    return D::load_aligned(v);
#endif
  }
}

/// Asks for the d values at p to be brought into cache (a hint: no effect on results).
template <class T>
inline void prefetch(const T* p, std::size_t d) noexcept {
#if defined(__GNUC__)
  const char* bytes = reinterpret_cast<const char*>(p);
  for (std::size_t b = 0; b < d * sizeof(T); b += 64) __builtin_prefetch(bytes + b);
#else
  (void)p;
  (void)d;
#endif
}

/// y[j] = a x[j] (Set) or y[j] += a x[j] (one rounding where the target has FMA) for j < d, in
/// double: the cluster sums. Explicit vectors: left to the compiler, this loop stayed scalar at
/// GCC's -O2, and Clang vectorised an unrolled form of it with shuffles.
template <bool Set, class T>
inline void scaled_add(double* y, double a, const T* x, std::size_t d) noexcept {
  using D = batch<double>;
  const D av(a);
  std::size_t j = 0;
  for (; j + D::size <= d; j += D::size) {
    const D v = load_as_double(x + j);
    if constexpr (Set)
      (av * v).store_unaligned(y + j);
    else
      fma(av, v, D::load_unaligned(y + j)).store_unaligned(y + j);
  }
  for (; j < d; ++j) {
    if constexpr (Set)
      y[j] = a * static_cast<double>(x[j]);
    else
      y[j] += a * static_cast<double>(x[j]);
  }
}

}  // namespace kmeans::detail

KMEANS_SIMD_END
