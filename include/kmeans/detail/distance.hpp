#pragma once
// Distances summed in double, element by element: the exact path of the kernel, inertia,
// k-means++ and the data checks. No SIMD intrinsics: the lane structure lets the compiler
// vectorise, and fixes the summation order for every row.

#include <cstddef>
#include <cstdint>
#include <limits>

#include "unroll.hpp"

namespace kmeans::detail {

/// Lanes of the double sums below: 32 independent partial sums, which the compiler maps to
/// several vector accumulators (one would serialise on FMA latency). Added pairwise at the
/// end, in the same order for every row.
inline constexpr std::size_t sum_lanes = 32;

template <class F>
inline double lane_sum(std::size_t d, F&& term) noexcept {
  if (d < sum_lanes) {
    // Only the tail: the same sum as below (the lanes would add zeros), without the
    // 31 additions of empty lanes that dominate short rows.
    double tail = 0.0;
    for (std::size_t j = 0; j < d; ++j) tail += term(j);
    return tail;
  }
  double lane[sum_lanes] = {};
  std::size_t j = 0;
  for (; j + sum_lanes <= d; j += sum_lanes) {
    KMEANS_UNROLL
    for (std::size_t l = 0; l < sum_lanes; ++l) lane[l] += term(j + l);
  }
  double tail = 0.0;  // separate, so that no variable index pins the lanes to memory
  for (; j < d; ++j) tail += term(j);
  KMEANS_UNROLL
  for (std::size_t width = sum_lanes / 2; width > 0; width /= 2) {
    KMEANS_UNROLL
    for (std::size_t l = 0; l < width; ++l) lane[l] += lane[l + width];
  }
  return lane[0] + tail;
}

/// Squared Euclidean distance, summed in double.
template <class T>
inline double squared_distance(const T* x, const T* c, std::size_t d) noexcept {
  return lane_sum(d, [&](std::size_t j) {
    const double t = static_cast<double>(x[j]) - static_cast<double>(c[j]);
    return t * t;
  });
}

/// Squared norm, summed in double.
template <class T>
inline double squared_norm(const T* x, std::size_t d) noexcept {
  return lane_sum(d, [&](std::size_t j) {
    const double t = static_cast<double>(x[j]);
    return t * t;
  });
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
