#pragma once
// The one place that knows which xsimd version we build against.

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace kmeans::detail {

template <class T>
using batch = xsimd::batch<T>;

template <class T>
inline constexpr std::size_t simd_width = batch<T>::size;

// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 extract intrinsics, whose
// `_mm256_undefined_pd` is undefined on purpose; the report lands in every user's build.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

/// Horizontal sum: xsimd 8 calls it hadd, xsimd 9 and later reduce_add.
template <class T, class A>
inline T reduce_add(const xsimd::batch<T, A>& x) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(x);
#else
  return xsimd::hadd(x);
#endif
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Vector registers of the instruction set xsimd chose at compile time; sizes the kernel tiles.
inline constexpr std::size_t simd_register_count =
#if XSIMD_WITH_AVX512F
    32;
#else
    16;
#endif

}  // namespace kmeans::detail
