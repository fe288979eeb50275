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

#if XSIMD_WITH_AVX512F
/// Four 128-bit chunks of a and b, picked by Imm (2 bits each: two of a's, then two of b's).
template <int Imm, class T>
inline batch<T> pick_chunks(const batch<T>& a, const batch<T>& b) noexcept {
  if constexpr (std::is_same_v<T, double>)
    return _mm512_shuffle_f64x2(a, b, Imm);
  else
    return _mm512_shuffle_f32x4(a, b, Imm);
}
#endif

/// Lane q of the result is the sum of the lanes of v[q], for q < N (N <= 8 and N <= the
/// width); lanes N and up are zero. With AVX-512, one transposed tree of shuffles and adds
/// (about 20 instructions for up to 8 vectors), where N horizontal sums took ~7 each and
/// then went through memory, a store forwarded to a wider load, to become one vector again.
template <std::size_t N, class T>
inline batch<T> lane_sums(const batch<T>* v) noexcept {
  using B = batch<T>;
  static_assert(N >= 1 && N <= 8 && N <= B::size, "lane_sums: 1 to min(8, width) vectors");
#if XSIMD_WITH_AVX512F
  // Level 1 folds the 256-bit halves of a pair (a, b) into [a's 4 | b's 4] 128-bit-chunk
  // partials; level 2 folds a pair of those into one 128-bit chunk per vector. Vectors past
  // N are zero and pairs of them are skipped (N is a constant).
  const B zero(T(0));
  const auto at = [&](std::size_t q) { return q < N ? v[q] : zero; };
  const auto halves = [](const B& a, const B& b) { return pick_chunks<0x44>(a, b) + pick_chunks<0xEE>(a, b); };
  const auto chunks = [](const B& a, const B& b) { return pick_chunks<0x88>(a, b) + pick_chunks<0xDD>(a, b); };
  if constexpr (std::is_same_v<T, double>) {
    // Inputs in the order v0 v2 v4 v6 | v1 v3 v5 v7: the last level's unpack puts the first
    // four in the even lanes and the others in the odd ones, so lane q ends up with v[q].
    const B u0 = halves(at(0), at(2)), u1 = N > 4 ? halves(at(4), at(6)) : zero;
    const B u2 = N > 1 ? halves(at(1), at(3)) : zero, u3 = N > 5 ? halves(at(5), at(7)) : zero;
    const B w0 = chunks(u0, u1), w1 = N > 1 ? chunks(u2, u3) : zero;
    return _mm512_add_pd(_mm512_unpacklo_pd(w0, w1), _mm512_unpackhi_pd(w0, w1));
  } else {
    // w0's chunk c holds v[c]'s 4 partials, w1's v[4 + c]'s; then pairs within each chunk
    // (x: v[c]'s two, v[4 + c]'s two), then neighbours: lane 4c has v[c], lane 4c + 2 v[4 + c].
    const B u0 = halves(at(0), at(1)), u1 = N > 2 ? halves(at(2), at(3)) : zero;
    const B u2 = N > 4 ? halves(at(4), at(5)) : zero, u3 = N > 6 ? halves(at(6), at(7)) : zero;
    const B w0 = chunks(u0, u1), w1 = N > 4 ? chunks(u2, u3) : zero;
    const __m512 x = _mm512_add_ps(_mm512_shuffle_ps(w0, w1, 0x44), _mm512_shuffle_ps(w0, w1, 0xEE));
    const __m512 y = _mm512_add_ps(x, _mm512_permute_ps(x, 0xB1));
    const __m512i from = _mm512_setr_epi32(0, 4, 8, 12, 2, 6, 10, 14, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_maskz_permutexvar_ps(0xFF, from, y);
  }
#else
  alignas(64) T sums[B::size] = {};
  KMEANS_UNROLL
  for (std::size_t q = 0; q < N; ++q) sums[q] = xsimd::hadd(v[q]);
  return B::load_aligned(sums);
#endif
}

/// l in lane l.
template <class T>
inline batch<T> lane_indices() noexcept {
  alignas(64) T lanes[batch<T>::size];
  for (std::size_t l = 0; l < batch<T>::size; ++l) lanes[l] = static_cast<T>(l);
  return batch<T>::load_aligned(lanes);
}

/// Bit l set where lane l of b is true (the lanes of one vector: at most 16).
template <class T>
inline unsigned lane_bits(const xsimd::batch_bool<T>& b) noexcept {
  using R = typename xsimd::batch_bool<T>::register_type;
#if XSIMD_WITH_AVX512F
  return static_cast<unsigned>(static_cast<R>(b));
#elif XSIMD_WITH_AVX
  if constexpr (std::is_same_v<T, double>)
    return static_cast<unsigned>(_mm256_movemask_pd(static_cast<R>(b)));
  else
    return static_cast<unsigned>(_mm256_movemask_ps(static_cast<R>(b)));
#elif XSIMD_WITH_SSE2
  if constexpr (std::is_same_v<T, double>)
    return static_cast<unsigned>(_mm_movemask_pd(static_cast<R>(b)));
  else
    return static_cast<unsigned>(_mm_movemask_ps(static_cast<R>(b)));
#else
  unsigned bits = 0;
  for (std::size_t l = 0; l < batch<T>::size; ++l) bits |= b.get(l) ? 1u << l : 0u;
  return bits;
#endif
}

/// The index of the lowest set bit of bits (> 0).
inline std::size_t lowest_bit(unsigned bits) noexcept {
#if defined(__GNUC__)
  return static_cast<std::size_t>(__builtin_ctz(bits));
#else
  std::size_t l = 0;
  while (!(bits & 1u)) bits >>= 1, ++l;
  return l;
#endif
}

/// y[j] = x[j] rounded to float (to nearest), for j < d: a row for the float32 screen.
inline void narrow_row(const double* x, float* y, std::size_t d) noexcept {
  std::size_t j = 0;
#if XSIMD_WITH_AVX512F
  for (; j + 8 <= d; j += 8) _mm256_storeu_ps(y + j, _mm512_cvtpd_ps(_mm512_loadu_pd(x + j)));
#elif XSIMD_WITH_AVX
  for (; j + 4 <= d; j += 4) _mm_storeu_ps(y + j, _mm256_cvtpd_ps(_mm256_loadu_pd(x + j)));
#endif
  for (; j < d; ++j) y[j] = static_cast<float>(x[j]);
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
