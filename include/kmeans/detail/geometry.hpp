#pragma once
// What the bounded algorithms (hamerly.hpp, elkan.hpp, yinyang.hpp) know of the centroids'
// geometry, and the margins that keep their skips exact. After each centroid update, the
// triangle inequality bounds every row's distance to its centroid from above and to the others
// from below; a row or a centroid whose bounds already decide the argmin is skipped.
//
// Exactly Lloyd's labels: a skip needs the bounds to separate the distances by a relative
// margin (`skip_margin`) far above the rounding of the bounds and of the double distances, so
// a skipped centroid is strictly farther than the kept one in exact arithmetic and in the
// double sums nearest_exact would compare. Rows that are not skipped are labelled by the same
// kernel as Lloyd (Hamerly, Yinyang) or by the same direct double distances with the same
// lowest-index rule (Elkan), so labels, and therefore centroids, are bit-identical to Lloyd's.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "distance.hpp"
#include "thread_pool.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// A skip needs upper < skip_margin * lower: a relative margin of 1e-9, against rounding errors of
/// order 1e-13 at most (d up to 1e5, a few hundred bound updates).
inline constexpr double skip_margin = 1.0 - 1e-9;

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

/// What the bounded algorithms (hamerly.hpp, elkan.hpp, yinyang.hpp) share: their bounds, the
/// centroids' geometry the bounds read (`Pairwise`: with every centroid-to-centroid distance,
/// as Elkan's need), and the steps of the algorithm interface that only move those.
template <class Bounds, bool Pairwise>
class BoundedAlgorithm {
 public:
  void end_pass() { geometry_.shifts_applied(); }
  template <class T>
  void centroids_moved(ThreadPool& pool, const T* old, const T* now) {
    geometry_.update(pool, old, now, k_, d_, Pairwise);
  }
  void forget(std::size_t row) { bounds_.forget(row); }

 protected:
  std::size_t k_ = 0, d_ = 0;
  Bounds bounds_;
  CentroidGeometry geometry_;
};

}  // namespace kmeans::detail

KMEANS_SIMD_END
