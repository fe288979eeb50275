#pragma once
// Distances summed in double, element by element: the exact path of the kernel, inertia,
// k-means++, the bounded algorithms' direct distances and the data checks. The sums are laid
// out in a fixed number of lanes, so that their order is the same for every row and every
// instruction set; the lanes are explicit vectors (left to the compiler, Clang used two-lane
// vectors and GCC at -O2 none).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "simd.hpp"
#include "unroll.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// Lanes of the double sums below: 32 independent partial sums, sum_lanes / W vector
/// accumulators of W lanes each (one would serialise on FMA latency). Lane l adds the terms
/// j = l (mod 32); the lanes are added pairwise at the end (l += l + 16, then l += l + 8, ...),
/// in the same order for every row and vector width.
inline constexpr std::size_t sum_lanes = 32;

/// sum + v^2, fused (one rounding) exactly where the vector fma is: the same bits as a lane
/// of detail::fma(v, v, sum) (k-means++ scores short rows in such lanes).
inline double add_square(double sum, double v) noexcept {
#if defined(__FMA__) || XSIMD_WITH_AVX512F
  return std::fma(v, v, sum);
#else
  return sum + v * v;
#endif
}

/// The sum of value(j)^2 over from <= j < d, in one chain: lane_sum's tail, and all of a
/// short row.
template <class Value>
inline double chain_sum(std::size_t from, std::size_t d, Value&& value) noexcept {
  double sum = 0.0;
  for (std::size_t j = from; j < d; ++j) sum = add_square(sum, value(j));
  return sum;
}

/// The sum of the sum_lanes lanes held in acc, pairwise: whole vectors while the partner
/// lanes are in another vector, then within one (the order every lane sum uses). Always
/// inlined: as a call (GCC's choice in k-means++), acc went through memory.
KMEANS_ALWAYS_INLINE double lane_total(batch<double> (&acc)[sum_lanes / batch<double>::size]) noexcept {
  constexpr std::size_t W = batch<double>::size, A = sum_lanes / W;
  KMEANS_UNROLL
  for (std::size_t width = A / 2; width > 0; width /= 2) {
    KMEANS_UNROLL
    for (std::size_t a = 0; a < width; ++a) acc[a] += acc[a + width];
  }
#if XSIMD_WITH_AVX512F
  // The same additions as the loop below, in registers: lane l and l + 4, then l and l + 2,
  // then 0 and 1 (a + b is b + a, bit for bit).
  batch<double> v = acc[0];
  v += pick_chunks<0x4E>(v, v);
  v += pick_chunks<0xB1>(v, v);
  v += batch<double>(_mm512_permute_pd(v, 0x55));
  return _mm512_cvtsd_f64(v);
#else
  alignas(64) double lane[W];
  acc[0].store_aligned(lane);
  KMEANS_UNROLL
  for (std::size_t width = W / 2; width > 0; width /= 2) {
    KMEANS_UNROLL
    for (std::size_t l = 0; l < width; ++l) lane[l] += lane[l + width];
  }
  return lane[0];
#endif
}

/// lane_sum for d >= sum_lanes.
template <class Load, class Value>
inline double lane_sum_long(std::size_t d, Load&& load, Value&& value) noexcept {
  using D = batch<double>;
  constexpr std::size_t W = D::size, A = sum_lanes / W;
  static_assert(sum_lanes % W == 0, "sum_lanes must be a multiple of the vector width");
  D acc[A];
  KMEANS_UNROLL
  for (std::size_t a = 0; a < A; ++a) acc[a] = D(0.0);
  std::size_t j = 0;
  for (; j + sum_lanes <= d; j += sum_lanes) {
    KMEANS_UNROLL
    for (std::size_t a = 0; a < A; ++a) {
      const D v = load(j + a * W);
      acc[a] = fma(v, v, acc[a]);
    }
  }
  return lane_total(acc) + chain_sum(j, d, value);
}

/// The sum over j < d of term(j) = v(j)^2, where `load(j)` gives v(j .. j + W - 1) as a
/// vector of doubles and `value(j)` gives v(j).
template <class Load, class Value>
inline double lane_sum(std::size_t d, Load&& load, Value&& value) noexcept {
  if (d >= sum_lanes) return lane_sum_long(d, load, value);
  // Only the tail: the same sum as lane_sum_long's (its lanes would add zeros), without the
  // 31 additions of empty lanes that dominate short rows; small enough to be inlined where
  // short rows are hot (Hamerly's bounds at d = 2 spent a tenth of their time in the call).
  return chain_sum(0, d, value);
}

/// Squared Euclidean distance, summed in double.
template <class T>
inline double squared_distance(const T* x, const T* c, std::size_t d) noexcept {
  return lane_sum(
      d, [&](std::size_t j) { return load_as_double(x + j) - load_as_double(c + j); },
      [&](std::size_t j) { return static_cast<double>(x[j]) - static_cast<double>(c[j]); });
}

/// squared_distance(x, c[q], d) for q < N, in one pass over x: the same lanes, order and
/// bits as N calls, with x loaded once for all N (k-means++ scores its trial rows this way).
template <std::size_t N, class T>
inline void squared_distances(const T* x, const T* const* c, std::size_t d, double* out) noexcept {
  using D = batch<double>;
  constexpr std::size_t W = D::size, A = sum_lanes / W;
  std::size_t j = 0;
  if (d >= sum_lanes) {
    D acc[N][A];
    KMEANS_UNROLL
    for (std::size_t q = 0; q < N; ++q) {
      KMEANS_UNROLL
      for (std::size_t a = 0; a < A; ++a) acc[q][a] = D(0.0);
    }
    for (; j + sum_lanes <= d; j += sum_lanes) {
      KMEANS_UNROLL
      for (std::size_t a = 0; a < A; ++a) {
        const D xv = load_as_double(x + j + a * W);
        KMEANS_UNROLL
        for (std::size_t q = 0; q < N; ++q) {
          const D v = xv - load_as_double(c[q] + j + a * W);
          acc[q][a] = fma(v, v, acc[q][a]);
        }
      }
    }
    KMEANS_UNROLL
    for (std::size_t q = 0; q < N; ++q) out[q] = lane_total(acc[q]);
  }
  // chain_sum's tail (all of a short row), N chains side by side.
  double tail[N] = {};
  for (std::size_t i = j; i < d; ++i) {
    const double xi = static_cast<double>(x[i]);
    KMEANS_UNROLL
    for (std::size_t q = 0; q < N; ++q) {
      tail[q] = add_square(tail[q], xi - static_cast<double>(c[q][i]));
    }
  }
  KMEANS_UNROLL
  for (std::size_t q = 0; q < N; ++q) out[q] = (d >= sum_lanes ? out[q] : 0.0) + tail[q];
}

/// Squared norm, summed in double.
template <class T>
inline double squared_norm(const T* x, std::size_t d) noexcept {
  return lane_sum(
      d, [&](std::size_t j) { return load_as_double(x + j); },
      [&](std::size_t j) { return static_cast<double>(x[j]); });
}

/// The nearest of k centroids by direct double distances (the lowest index wins ties), with
/// the squared distances to it and to the second nearest (infinity when k = 1).
struct Nearest {
  std::int32_t label = 0;
  double best = std::numeric_limits<double>::infinity();
  double second = std::numeric_limits<double>::infinity();
};

template <class T>
inline Nearest nearest_exact(const T* x, const T* centroids, std::size_t k, std::size_t d, std::size_t ld) noexcept {
  Nearest n;
  for (std::size_t c = 0; c < k; ++c) {
    const double distance = squared_distance(x, centroids + c * ld, d);
    if (distance < n.best) {
      n.second = n.best;
      n.best = distance;
      n.label = static_cast<std::int32_t>(c);
    } else if (distance < n.second) {
      n.second = distance;
    }
  }
  return n;
}

}  // namespace kmeans::detail

KMEANS_SIMD_END
