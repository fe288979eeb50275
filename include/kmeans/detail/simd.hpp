#pragma once
// What the kernel needs to know of the instruction set xsimd chose at compile time.

#include <cstddef>
#include <xsimd/xsimd.hpp>

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
