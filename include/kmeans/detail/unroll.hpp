#pragma once
// Loops over a tile's rows, panels or lanes have trip counts known at compile time, and their
// arrays of vectors must live in registers. GCC unrolls such loops completely only at -O3; at
// -O2 (CMake's RelWithDebInfo, many projects' release flags) the accumulators stayed in memory
// and the kernel ran 3 to 5 times slower. KMEANS_UNROLL before such a loop unrolls it at any
// optimisation level.
#if defined(__GNUC__) || defined(__clang__)
#define KMEANS_UNROLL _Pragma("GCC unroll 64")
#else
#define KMEANS_UNROLL
#endif

// A small function whose arguments must stay in registers, inlined even where the compiler's
// heuristics would call it.
#if defined(__GNUC__) || defined(__clang__)
#define KMEANS_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KMEANS_ALWAYS_INLINE inline
#endif
