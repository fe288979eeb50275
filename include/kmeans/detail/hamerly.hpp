#pragma once
// Hamerly (2010): two bounds per row, an upper bound on the distance to its centroid and one
// lower bound on the distance to every other. A row whose bounds clear, at once or after one
// direct distance, keeps its label; the rest are scored by Lloyd's kernel. O(n) memory.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "../options.hpp"
#include "algorithm.hpp"
#include "geometry.hpp"
#include "screened_rows.hpp"
#include "seeded_rows.hpp"

namespace kmeans::detail {

/// Hamerly: per row, an upper bound on the distance to its centroid and a lower bound on the
/// distance to every other centroid. O(n) memory.
struct HamerlyBounds {
  static constexpr bool uses_scores = false;  // scanned() takes the second distance only
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
    return upper[i] < skip_margin * std::max(lower[i], g.half_gap[a]);
  }
  bool tightened_still_nearest(std::size_t i, std::size_t a, double distance, const CentroidGeometry& g) {
    upper[i] = distance;
    return upper[i] < skip_margin * std::max(lower[i], g.half_gap[a]);
  }
  /// Row i after a full scan: an upper bound on the distance to its centroid, a lower bound on
  /// the squared distance to the second nearest.
  void scanned(std::size_t i, double distance, double second_squared) {
    upper[i] = distance;
    lower[i] = std::sqrt(second_squared);
  }
};

template <class T>
class Hamerly : public BoundedAlgorithm<HamerlyBounds, false> {
 public:
  static constexpr Algorithm id = Algorithm::hamerly;
  /// k-means++ leaves each row's distance to its nearest centre and a lower bound on the others.
  static constexpr SeedUse seed_use = SeedUse::labels_and_bounds;

  void start(const Problem<T>& p, const T* centroids, SeededRows* seeded) {
    k_ = p.k;
    d_ = p.X.cols();
    if (seeded) {
      bounds_.upper = std::move(seeded->upper);
      bounds_.lower = std::move(seeded->lower);
      geometry_.update(p.pool, centroids, centroids, k_, d_, false);  // no shifts
    } else {
      bounds_.reset(p.X.rows());
    }
  }
  void begin_pass(PackedCentroids<T>& packed, const T* centroids, bool) { packed.assign(centroids, k_, d_); }
  void label_block(BlockLabelling<T>& b) {
    label_screened_rows(bounds_, geometry_, b);
    if (b.want_inertia) b.add_block_inertia();
  }
};

}  // namespace kmeans::detail
