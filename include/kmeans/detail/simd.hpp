#pragma once
// What the kernel needs to know of the instruction set xsimd chose at compile time.

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

}  // namespace kmeans::detail
