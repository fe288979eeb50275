#pragma once
// Yinyang (Ding et al. 2015): the centroids cut into groups, per row an upper bound on the
// distance to its centroid and one lower bound per group. A row whose bounds clear keeps its
// label; the rest are scored by Lloyd's kernel, whose scores give the new group bounds.
// O(n k / 10) memory, so fits whose bounds would pass Options::elkan_max_bytes run Hamerly
// instead (fit.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "../options.hpp"
#include "algorithm.hpp"
#include "distance.hpp"
#include "geometry.hpp"
#include "kernel.hpp"
#include "screened_rows.hpp"
#include "seeded_rows.hpp"
#include "simd.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

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
  static constexpr bool uses_scores = true;  // scanned() takes every centroid's score
  using Lanes = batch<double>;
  static constexpr std::size_t W = Lanes::size;

  std::vector<double> upper;                                          // n
  std::vector<double, xsimd::aligned_allocator<double>> lower;        // n x stride (padding: +inf)
  std::vector<double, xsimd::aligned_allocator<double>> group_shift;  // stride: largest shift per group
  std::vector<std::size_t> members;      // the centroids, group by group, ascending within a group
  std::vector<std::size_t> group_start;  // t + 1: group g is members[group_start[g] .. group_start[g + 1])
  std::vector<std::size_t> group_of;     // k
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
    group_start.assign(t + 1, 0);
    for (std::size_t c = 0; c < k; ++c) ++group_start[group_of[c] + 1];
    std::partial_sum(group_start.begin(), group_start.end(), group_start.begin());
    members.resize(k);
    std::vector<std::size_t> next(group_start.begin(), group_start.end() - 1);
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
    return upper[i] < skip_margin * std::max(lane_min(lanes), g.half_gap[a]);
  }
  bool tightened_still_nearest(std::size_t i, std::size_t a, double distance, const CentroidGeometry& g) {
    const double* low = lower.data() + i * stride;
    upper[i] = distance;
    return upper[i] < skip_margin * std::max(*std::min_element(low, low + t), g.half_gap[a]);
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
      for (std::size_t m = group_start[q]; m < group_start[q + 1]; ++m)
        if (members[m] != label) least = std::min(least, s.score[members[m]]);
      low[q] = s.lower_distance(static_cast<double>(least));
    }
  }
};

template <class T>
class Yinyang : public BoundedAlgorithm<YinyangBounds, false> {
 public:
  static constexpr Algorithm id = Algorithm::yinyang;
  static constexpr SeedUse seed_use = SeedUse::none;

  void start(const Problem<T>& p, const T* centroids, SeededRows*) {
    k_ = p.k;
    d_ = p.X.cols();
    bounds_.reset(p.X.rows(), centroids, k_, d_);
  }
  void begin_pass(PackedCentroids<T>& packed, const T* centroids, bool bounds_empty) {
    packed.assign(centroids, k_, d_);
    if (!bounds_empty) bounds_.take_shifts(geometry_);
  }
  void label_block(BlockLabelling<T>& b) {
    label_screened_rows(bounds_, geometry_, b);
    if (b.want_inertia) b.add_block_inertia();
  }
};

}  // namespace kmeans::detail

KMEANS_SIMD_END
