#pragma once
// The assignment kernel: for each row x, the nearest centroid c.
//
// Fast path: score(c) = ||c||^2 - 2 x.c in T, from register tiles of R rows x C centroids,
// each dot product an FMA chain over d in SIMD lanes, then one horizontal sum. The tile
// shape never changes the arithmetic of one (row, centroid) pair, so a row's scores do not
// depend on where the row sits in a block.
//
// Exact fallback: the expanded form cancels badly when ||x|| and ||c|| are large next to
// ||x - c||. Every score carries a rounding error of at most E = 2 (gamma_m + u)(||x|| + max||c||)^2
// (u the unit roundoff of T, m = d + 2W the longest chain of roundings). A row whose best and
// second-best scores are not more than 2E apart is redone with direct (x - c)^2 sums in
// double; that also settles exact ties toward the lowest index.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../matrix.hpp"
#include "simd.hpp"

namespace kmeans::detail {

/// Squared Euclidean distance summed in double. Eight independent lanes, added pairwise at
/// the end: the compiler vectorises them and the order is the same for every row.
template <class T>
inline double squared_distance(const T* x, const T* c, std::size_t d) noexcept {
  double lane[8] = {};
  std::size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    for (std::size_t l = 0; l < 8; ++l) {
      const double t = static_cast<double>(x[j + l]) - static_cast<double>(c[j + l]);
      lane[l] += t * t;
    }
  }
  for (std::size_t l = 0; j < d; ++j, ++l) {
    const double t = static_cast<double>(x[j]) - static_cast<double>(c[j]);
    lane[l] += t * t;
  }
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/// Squared norm summed in double, in the same lane order as squared_distance.
template <class T>
inline double squared_norm(const T* x, std::size_t d) noexcept {
  double lane[8] = {};
  std::size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    for (std::size_t l = 0; l < 8; ++l) {
      const double t = static_cast<double>(x[j + l]);
      lane[l] += t * t;
    }
  }
  for (std::size_t l = 0; j < d; ++j, ++l) {
    const double t = static_cast<double>(x[j]);
    lane[l] += t * t;
  }
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/// The nearest of k centroids by direct double distances; the lowest index wins ties.
template <class T>
inline std::int32_t nearest_exact(const T* x, const T* centroids, std::size_t k, std::size_t d,
                                  std::size_t ld) noexcept {
  std::int32_t best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < k; ++c) {
    const double distance = squared_distance(x, centroids + c * ld, d);
    if (distance < best_distance) {
      best_distance = distance;
      best = static_cast<std::int32_t>(c);
    }
  }
  return best;
}

/// Centroids copied once per iteration into rows padded with zeros to a whole number of
/// SIMD vectors, with their squared norms and the largest norm for the error bound.
template <class T>
class PackedCentroids {
 public:
  void assign(const T* centroids, std::size_t k, std::size_t d) {
    constexpr std::size_t W = simd_width<T>;
    k_ = k;
    d_ = d;
    ld_ = (d + W - 1) / W * W;
    data_.assign(k * ld_, T(0));
    norms_.resize(k);
    max_norm_ = 0.0;
    for (std::size_t c = 0; c < k; ++c) {
      std::copy(centroids + c * d, centroids + (c + 1) * d, data_.begin() + static_cast<std::ptrdiff_t>(c * ld_));
      const double n2 = squared_norm(centroids + c * d, d);
      norms_[c] = static_cast<T>(n2);
      max_norm_ = std::max(max_norm_, std::sqrt(n2));
    }
  }

  std::size_t k() const noexcept { return k_; }
  std::size_t d() const noexcept { return d_; }
  std::size_t ld() const noexcept { return ld_; }
  const T* data() const noexcept { return data_.data(); }
  const T* row(std::size_t c) const noexcept { return data_.data() + c * ld_; }
  T norm2(std::size_t c) const noexcept { return norms_[c]; }
  double max_norm() const noexcept { return max_norm_; }

 private:
  std::size_t k_ = 0, d_ = 0, ld_ = 0;
  std::vector<T> data_;
  std::vector<T> norms_;
  double max_norm_ = 0.0;
};

/// out[r * C + c] = x[r] . centroid[c] for an R x C tile: full vectors from x[r], the
/// zero-padded last vector from tail[r] (null when d is a multiple of the width).
template <std::size_t R, std::size_t C, class T>
inline void dot_tile(const T* const* x, const T* const* tail, const T* centroids, std::size_t ld,
                     std::size_t full, T* out) noexcept {
  using B = batch<T>;
  constexpr std::size_t W = B::size;
  B acc[R][C];
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c) acc[r][c] = B(T(0));
  for (std::size_t j = 0; j < full; j += W) {
    B xv[R];
    for (std::size_t r = 0; r < R; ++r) xv[r] = B::load_unaligned(x[r] + j);
    for (std::size_t c = 0; c < C; ++c) {
      const B cv = B::load_unaligned(centroids + c * ld + j);
      for (std::size_t r = 0; r < R; ++r) acc[r][c] = xsimd::fma(xv[r], cv, acc[r][c]);
    }
  }
  if (tail != nullptr) {
    B xv[R];
    for (std::size_t r = 0; r < R; ++r) xv[r] = B::load_unaligned(tail[r]);
    for (std::size_t c = 0; c < C; ++c) {
      const B cv = B::load_unaligned(centroids + c * ld + full);
      for (std::size_t r = 0; r < R; ++r) acc[r][c] = xsimd::fma(xv[r], cv, acc[r][c]);
    }
  }
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c) out[r * C + c] = reduce_add(acc[r][c]);
}

template <class T>
struct Nearest {
  T best = std::numeric_limits<T>::infinity();
  T second = std::numeric_limits<T>::infinity();
  std::int32_t label = 0;

  void offer(T score, std::size_t c) noexcept {
    if (score < best) {
      second = best;
      best = score;
      label = static_cast<std::int32_t>(c);
    } else if (score < second) {
      second = score;
    }
  }
};

/// Scores all centroids for R rows, C centroids at a time.
template <std::size_t R, class T>
inline void scan_centroids(const T* const* x, const T* const* tail, const PackedCentroids<T>& pc,
                           Nearest<T>* nearest) noexcept {
  constexpr std::size_t W = simd_width<T>;
  // R x C accumulators, R row vectors and one centroid vector must stay in registers.
  constexpr std::size_t C = simd_register_count >= 32 ? 4 : 2;
  const std::size_t full = pc.d() / W * W;
  const std::size_t k = pc.k();
  T dots[R * C];
  std::size_t c = 0;
  for (; c + C <= k; c += C) {
    dot_tile<R, C>(x, tail, pc.row(c), pc.ld(), full, dots);
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t i = 0; i < C; ++i) nearest[r].offer(pc.norm2(c + i) - T(2) * dots[r * C + i], c + i);
  }
  for (; c < k; ++c) {
    dot_tile<R, 1>(x, tail, pc.row(c), pc.ld(), full, dots);
    for (std::size_t r = 0; r < R; ++r) nearest[r].offer(pc.norm2(c) - T(2) * dots[r], c);
  }
}

/// For every row i in [begin, end) of X, calls on_row(i, label) with the index of its nearest
/// centroid (lowest index on exact ties), in ascending i.
template <class T, class OnRow>
void assign_rows(Matrix<const T> X, std::size_t begin, std::size_t end, const PackedCentroids<T>& pc,
                 OnRow&& on_row) {
  constexpr std::size_t W = simd_width<T>;
  constexpr std::size_t R = 4;
  const std::size_t d = pc.d();
  const std::size_t full = d / W * W;
  const bool has_tail = full != d;
  constexpr double u = std::numeric_limits<T>::epsilon() / 2;
  const double m = static_cast<double>(d + 2 * W);
  const double error_factor = 2.0 * (m * u / (1.0 - m * u) + u);

  alignas(64) T tails[R][W] = {};
  for (std::size_t i = begin; i < end; i += R) {
    const std::size_t rows = std::min(R, end - i);
    const T* x[R];
    const T* tail[R];
    Nearest<T> nearest[R];
    for (std::size_t r = 0; r < rows; ++r) {
      x[r] = X.row(i + r);
      if (has_tail) {
        std::fill(tails[r], tails[r] + W, T(0));
        std::copy(x[r] + full, x[r] + d, tails[r]);
      }
      tail[r] = tails[r];
    }
    const T* const* tail_ptr = has_tail ? tail : nullptr;
    if (rows == R) {
      scan_centroids<R>(x, tail_ptr, pc, nearest);
    } else {
      for (std::size_t r = 0; r < rows; ++r)
        scan_centroids<1>(x + r, has_tail ? tail + r : nullptr, pc, nearest + r);
    }
    for (std::size_t r = 0; r < rows; ++r) {
      std::int32_t label = nearest[r].label;
      if (pc.k() > 1) {
        const double reach = std::sqrt(squared_norm(x[r], d)) + pc.max_norm();
        const double bound = error_factor * reach * reach;
        const double gap = static_cast<double>(nearest[r].second) - static_cast<double>(nearest[r].best);
        if (!(gap > 2.0 * bound)) label = nearest_exact(x[r], pc.data(), pc.k(), d, pc.ld());
      }
      on_row(i + r, label);
    }
  }
}

}  // namespace kmeans::detail
