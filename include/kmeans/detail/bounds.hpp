#pragma once
// Distance bounds for the accelerated exact algorithms (Hamerly 2010, Elkan 2003, Yinyang:
// Ding et al. 2015). After each centroid update, the triangle inequality bounds every row's
// distance to its centroid from above and to the others from below (Yinyang: to each group of
// centroids); a row (Hamerly, Yinyang) or a centroid (Elkan) whose bounds already decide the
// argmin is skipped.
//
// Exactly Lloyd's labels: a skip needs the bounds to separate the distances by a relative
// margin (`keep`) far above the rounding of the bounds and of the double distances, so a
// skipped centroid is strictly farther than the kept one in exact arithmetic and in the
// double sums nearest_exact would compare. Rows that are not skipped are labelled by the same
// kernel as Lloyd (Hamerly, Yinyang) or by the same direct double distances with the same
// lowest-index rule (Elkan), so labels, and therefore centroids, are bit-identical to Lloyd's.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "distance.hpp"
#include "kernel.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// A skip needs upper < keep * lower: a relative margin of 1e-9, against rounding errors of
/// order 1e-13 at most (d up to 1e5, a few hundred bound updates).
inline constexpr double keep = 1.0 - 1e-9;

/// A lower bound l moved down by a shift s, less an allowance for rounding relative to
/// l + s: where l and s nearly cancel, l - s is tiny but carries the rounding errors of l and
/// s, which can be far larger than it (float data spanning 1e-31 to 1e37 made an Elkan bound
/// of a centroid that had moved by 1e37 come out positive and skip the true nearest centroid).
/// The allowance covers double distances over up to 1e5 columns.
inline constexpr double lowering_allowance = 1e-10;

inline double lowered(double l, double s) noexcept {
  const double moved = (l - s) - lowering_allowance * (l + s);  // a select, not a branch
  return s == 0 || !(l < std::numeric_limits<double>::infinity()) ? l : moved;
}

/// What the bounds need to know about the centroids after an update.
struct CentroidGeometry {
  std::vector<double> shift;     // k: how far each centroid moved in the last update
  std::vector<double> half_gap;  // k: half the distance to the nearest other centroid
  std::vector<double> half_cc;   // k x k: half the distances between centroids (Elkan only)
  double max_shift = 0, second_shift = 0;
  std::size_t max_shift_at = 0;

  /// From the centroids before (`old`) and after (`now`) an update, k x d each.
  template <class T>
  void update(ThreadPool& pool, const T* old, const T* now, std::size_t k, std::size_t d, bool pairwise) {
    shift.resize(k);
    half_gap.assign(k, std::numeric_limits<double>::infinity());
    if (pairwise) half_cc.resize(k * k);
    pool.run(k, [&](std::size_t c) {
      shift[c] = std::sqrt(squared_distance(old + c * d, now + c * d, d));
      double nearest = std::numeric_limits<double>::infinity();
      for (std::size_t o = 0; o < k; ++o) {
        const double half = o == c ? 0.0 : 0.5 * std::sqrt(squared_distance(now + c * d, now + o * d, d));
        if (o != c) nearest = std::min(nearest, half);
        if (pairwise) half_cc[c * k + o] = half;
      }
      half_gap[c] = nearest;
    });
    max_shift = second_shift = 0;
    max_shift_at = 0;
    for (std::size_t c = 0; c < k; ++c) {
      if (shift[c] > max_shift) {
        second_shift = max_shift;
        max_shift = shift[c];
        max_shift_at = c;
      } else if (shift[c] > second_shift) {
        second_shift = shift[c];
      }
    }
  }

  /// After a pass has moved the bounds by the shifts: nothing more to move.
  void shifts_applied() {
    std::fill(shift.begin(), shift.end(), 0.0);
    max_shift = second_shift = 0;
  }
};

/// Hamerly: per row, an upper bound on the distance to its centroid and a lower bound on the
/// distance to every other centroid. O(n) memory.
struct HamerlyBounds {
  std::vector<double> upper, lower;

  void reset(std::size_t n) {
    upper.assign(n, std::numeric_limits<double>::infinity());
    lower.assign(n, 0.0);
  }
  /// A row moved to another cluster outside the pass (empty-cluster relocation).
  void forget(std::size_t i) {
    upper[i] = std::numeric_limits<double>::infinity();
    lower[i] = 0.0;
  }
  /// Moves row i's bounds by the last update; whether its label a is still certain.
  bool still_nearest(std::size_t i, std::size_t a, const CentroidGeometry& g) {
    upper[i] += g.shift[a];
    lower[i] = lowered(lower[i], a == g.max_shift_at ? g.second_shift : g.max_shift);
    return upper[i] < keep * std::max(lower[i], g.half_gap[a]);
  }
  bool tightened_still_nearest(std::size_t i, std::size_t a, double distance, const CentroidGeometry& g) {
    upper[i] = distance;
    return upper[i] < keep * std::max(lower[i], g.half_gap[a]);
  }
  /// Row i after a full scan: distance to its centroid, squared distance to the second nearest.
  void scanned(std::size_t i, double distance, double second_squared) {
    upper[i] = distance;
    lower[i] = std::sqrt(second_squared);
  }
};

/// What an initialisation can leave the first pass of a fit, so that it need not score every
/// row: each row's label (its nearest centroid by squared_distance, the lowest index among
/// equals: the labels the kernel gives) and, where `bounds` asks for them (Hamerly), `upper`
/// its distance to it (the square root of that squared_distance) and `lower` a lower bound on
/// its distance to every other centroid.
struct SeededRows {
  bool bounds = false;
  std::vector<std::int32_t> labels;
  std::vector<double> upper, lower;
};

/// Elkan: per row, an upper bound on the distance to its centroid and one lower bound per
/// centroid. O(n k) memory, so fits whose bounds would pass a cap use Hamerly instead.
struct ElkanBounds {
  std::vector<double> upper, lower;  // n; n x k
  std::size_t k = 0;

  static std::size_t bytes(std::size_t n, std::size_t k) noexcept { return n * (k + 1) * sizeof(double); }

  void reset(std::size_t n, std::size_t k_) {
    k = k_;
    upper.assign(n, std::numeric_limits<double>::infinity());
    lower.assign(n * k, 0.0);
  }
  void forget(std::size_t i) { upper[i] = std::numeric_limits<double>::infinity(); }

  /// Labels row x (label a on entry) from its bounds, computing only the distances they leave
  /// open; returns the new label and adds the distances computed to `evaluations`.
  template <class T>
  std::size_t label(std::size_t i, const T* x, std::size_t a, const T* centroids, std::size_t d,
                    const CentroidGeometry& g, std::size_t& evaluations) {
    double* low = lower.data() + i * k;
    double u = upper[i] + g.shift[a];
    for (std::size_t c = 0; c < k; ++c) low[c] = lowered(low[c], g.shift[c]);
    if (u < keep * g.half_gap[a]) {
      upper[i] = u;
      return a;
    }
    bool tight = false;
    double best = 0;  // squared distance to a, once tight
    for (std::size_t c = 0; c < k; ++c) {
      if (c == a) continue;
      const double z = std::max(low[c], g.half_cc[a * k + c]);
      if (u < keep * z) continue;
      if (!tight) {
        best = squared_distance(x, centroids + a * d, d);
        u = low[a] = std::sqrt(best);
        tight = true;
        ++evaluations;
        if (u < keep * z) continue;
      }
      const double dc = squared_distance(x, centroids + c * d, d);
      ++evaluations;
      low[c] = std::sqrt(dc);
      // nearest_exact's rule: the lowest (squared distance, index).
      if (dc < best || (dc == best && c < a)) {
        a = c;
        best = dc;
        u = low[c];
      }
    }
    upper[i] = u;
    return a;
  }

  /// Row x with every distance computed (the first pass): its label, by nearest_exact's rule.
  template <class T>
  std::size_t label_all(std::size_t i, const T* x, const T* centroids, std::size_t d) {
    double* low = lower.data() + i * k;
    std::size_t a = 0;
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) {
      const double dc = squared_distance(x, centroids + c * d, d);
      low[c] = std::sqrt(dc);
      if (dc < best) {
        best = dc;
        a = c;
      }
    }
    upper[i] = low[a];
    return a;
  }
};

/// Yinyang: the centroids are cut once, from the initial centroids, into t ~ k / 10 groups of
/// nearby centroids; per row an upper bound on the distance to its centroid and one lower
/// bound per group on the distance to the group's centroids other than the row's. An update
/// lowers a group's bound by the group's largest shift only, so the bound of a far group
/// stays high even while a centroid elsewhere moves a lot (Hamerly's single bound drops by the
/// largest shift of all). A row whose group bounds (or half gap) clear its upper bound, at
/// once or after one direct distance, is skipped; the rest are scored against every centroid
/// by Lloyd's kernel, whose scores give the new group bounds. (Ding et al. also open single
/// groups and centroids with direct distances; here that was 1.3 to 4 times slower than the
/// kernel on all centroids, bench/README.md.) O(n t) memory.
struct YinyangBounds {
  using Lanes = batch<double>;
  static constexpr std::size_t W = Lanes::size;

  std::vector<double> upper;                                          // n
  std::vector<double, xsimd::aligned_allocator<double>> lower;        // n x stride (padding: +inf)
  std::vector<double, xsimd::aligned_allocator<double>> group_shift;  // stride: largest shift per group
  std::vector<std::size_t> members;   // the centroids, group by group, ascending within a group
  std::vector<std::size_t> first;     // t + 1: group g is members[first[g] .. first[g + 1])
  std::vector<std::size_t> group_of;  // k
  std::size_t t = 0, stride = 0;

  /// Groups for k centroids (Ding et al.: k / 10).
  static std::size_t groups_for(std::size_t k) noexcept { return std::max<std::size_t>(1, (k + 5) / 10); }
  static std::size_t bytes(std::size_t n, std::size_t k) noexcept {
    return n * ((groups_for(k) + W - 1) / W * W + 1) * sizeof(double);
  }

  /// Groups the k x d centroids (five Lloyd iterations over them from evenly spaced seeds,
  /// direct double distances, lowest index on ties; empty groups dropped) and clears the bounds.
  template <class T>
  void reset(std::size_t n, const T* centroids, std::size_t k, std::size_t d) {
    const std::size_t wanted = std::min(groups_for(k), k);
    const std::vector<double> points(centroids, centroids + k * d);
    std::vector<double> seeds(wanted * d);
    for (std::size_t g = 0; g < wanted; ++g) std::copy_n(points.data() + (g * k / wanted) * d, d, seeds.data() + g * d);
    group_of.assign(k, 0);
    for (int iteration = 0; iteration < 5; ++iteration) {
      for (std::size_t c = 0; c < k; ++c)
        group_of[c] = static_cast<std::size_t>(nearest_exact(points.data() + c * d, seeds.data(), wanted, d, d).label);
      std::vector<std::size_t> size(wanted, 0);
      std::vector<double> sum(wanted * d, 0.0);
      for (std::size_t c = 0; c < k; ++c) {
        ++size[group_of[c]];
        for (std::size_t j = 0; j < d; ++j) sum[group_of[c] * d + j] += points[c * d + j];
      }
      for (std::size_t g = 0; g < wanted; ++g)
        if (size[g] > 0)
          for (std::size_t j = 0; j < d; ++j) seeds[g * d + j] = sum[g * d + j] / static_cast<double>(size[g]);
    }
    // Renumber the non-empty groups in order of their first centroid and list their members.
    std::vector<std::size_t> number(wanted, SIZE_MAX);
    t = 0;
    for (std::size_t c = 0; c < k; ++c)
      if (number[group_of[c]] == SIZE_MAX) number[group_of[c]] = t++;
    for (std::size_t c = 0; c < k; ++c) group_of[c] = number[group_of[c]];
    first.assign(t + 1, 0);
    for (std::size_t c = 0; c < k; ++c) ++first[group_of[c] + 1];
    std::partial_sum(first.begin(), first.end(), first.begin());
    members.resize(k);
    std::vector<std::size_t> next(first.begin(), first.end() - 1);
    for (std::size_t c = 0; c < k; ++c) members[next[group_of[c]]++] = c;
    stride = (t + W - 1) / W * W;
    group_shift.assign(stride, 0.0);
    upper.assign(n, std::numeric_limits<double>::infinity());
    lower.assign(n * stride, std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < n; ++i) std::fill_n(lower.begin() + static_cast<std::ptrdiff_t>(i * stride), t, 0.0);
  }

  /// A row moved to another cluster outside the pass (empty-cluster relocation).
  void forget(std::size_t i) {
    upper[i] = std::numeric_limits<double>::infinity();
    std::fill_n(lower.begin() + static_cast<std::ptrdiff_t>(i * stride), t, 0.0);
  }

  /// Before a pass: each group's largest shift in the last update.
  void take_shifts(const CentroidGeometry& g) {
    std::fill(group_shift.begin(), group_shift.end(), 0.0);
    for (std::size_t c = 0; c < group_of.size(); ++c)
      group_shift[group_of[c]] = std::max(group_shift[group_of[c]], g.shift[c]);
  }

  /// Moves row i's bounds by the last update (each group's bound as `lowered` does, a vector
  /// of groups at a time); whether its label a is still certain.
  bool still_nearest(std::size_t i, std::size_t a, const CentroidGeometry& g) {
    double* low = lower.data() + i * stride;
    const Lanes zero(0.0), infinity(std::numeric_limits<double>::infinity()), allowance(lowering_allowance);
    Lanes global = infinity;
    for (std::size_t q = 0; q < stride; q += W) {
      const Lanes l = Lanes::load_aligned(low + q), s = Lanes::load_aligned(group_shift.data() + q);
      const Lanes moved = xsimd::select((s == zero) | (l == infinity), l, (l - s) - allowance * (l + s));
      moved.store_aligned(low + q);
      global = xsimd::min(global, moved);
    }
    alignas(64) double lanes[W];
    global.store_aligned(lanes);
    upper[i] += g.shift[a];
    return upper[i] < keep * std::max(lane_min(lanes), g.half_gap[a]);
  }
  bool tightened_still_nearest(std::size_t i, std::size_t a, double distance, const CentroidGeometry& g) {
    const double* low = lower.data() + i * stride;
    upper[i] = distance;
    return upper[i] < keep * std::max(*std::min_element(low, low + t), g.half_gap[a]);
  }

  /// Row i after the kernel scored every centroid: the distance to its centroid `label`, and
  /// per group the least lower bound the scores give for its centroids other than the label
  /// (where the kernel took its exact path, the squared distance to the second nearest).
  template <class T>
  void scanned(std::size_t i, std::size_t label, double distance, double second_squared, const RowScores<T>& s) {
    double* low = lower.data() + i * stride;
    upper[i] = distance;
    if (!(s.slack < std::numeric_limits<double>::infinity())) {
      std::fill_n(low, t, std::sqrt(second_squared));
      return;
    }
    for (std::size_t q = 0; q < t; ++q) {
      T least = std::numeric_limits<T>::infinity();
      for (std::size_t m = first[q]; m < first[q + 1]; ++m)
        if (members[m] != label) least = std::min(least, s.score[members[m]]);
      low[q] = std::sqrt(std::max(0.0, static_cast<double>(least) - s.slack + s.norm2));
    }
  }
};

}  // namespace kmeans::detail

KMEANS_SIMD_END
