#pragma once
// What the kernel needs to know of the instruction set xsimd chose at compile time.

#include <cstddef>
#include <xsimd/xsimd.hpp>

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

}  // namespace kmeans::detail
