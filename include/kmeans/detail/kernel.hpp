#pragma once
// The assignment kernel: for each row x, the nearest centroid c.
//
// Fast path: score(c) = ||c||^2 - 2 x.c in T. Centroids are packed in panels of W (the SIMD
// width): panel p holds centroids pW .. pW + W - 1 transposed, so one vector load gives
// coordinate j of W centroids. A register tile of R rows x P panels broadcasts x[r][j],
// loads P panel vectors and does R * P FMAs per j: R + P loads feed R * P FMAs, and the
// scores come out as vectors of W centroids, with no horizontal sums. The argmin is fused:
// each row keeps per-lane vectors of the best score, the second best and the panel index,
// updated by compare-and-blend, and reduced across lanes once per row.
//
// Every score is one FMA chain over j = 0 .. d-1, whatever the tile shape or the row's place
// in a block, so a row's scores never depend on how the rows were cut.
//
// Exact fallback: the expanded form cancels badly when ||x|| and ||c|| are large next to
// ||x - c||. Every score carries a rounding error of at most E = 2 (gamma_m + u)(||x|| + max||c||)^2
// (u the unit roundoff of T, m = d + 2 the longest chain of roundings). A row whose best and
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

// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics, whose
// `_mm512_undefined_*` operands are undefined on purpose; without this every user's build
// of the kernel would show them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

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

/// Centroids packed once per iteration into panels of W transposed centroids (padding lanes
/// are zero with score +infinity), their squared norms, the largest norm for the error
/// bound, and a plain row-major copy for the exact path.
template <class T>
class PackedCentroids {
 public:
  static constexpr std::size_t W = simd_width<T>;

  void assign(const T* centroids, std::size_t k, std::size_t d) {
    k_ = k;
    d_ = d;
    n_panels_ = (k + W - 1) / W;
    panels_.assign(n_panels_ * d * W, T(0));
    norms_.assign(n_panels_ * W, std::numeric_limits<T>::infinity());
    plain_.assign(centroids, centroids + k * d);
    max_norm_ = 0.0;
    for (std::size_t c = 0; c < k; ++c) {
      const T* row = centroids + c * d;
      T* panel = panels_.data() + (c / W) * d * W + c % W;
      for (std::size_t j = 0; j < d; ++j) panel[j * W] = row[j];
      const double n2 = squared_norm(row, d);
      norms_[c] = static_cast<T>(n2);
      max_norm_ = std::max(max_norm_, std::sqrt(n2));
    }
  }

  std::size_t k() const noexcept { return k_; }
  std::size_t d() const noexcept { return d_; }
  std::size_t n_panels() const noexcept { return n_panels_; }
  /// Panel p: d vectors of W lanes.
  const T* panel(std::size_t p) const noexcept { return panels_.data() + p * d_ * W; }
  const T* norms(std::size_t p) const noexcept { return norms_.data() + p * W; }
  const T* plain() const noexcept { return plain_.data(); }
  double max_norm() const noexcept { return max_norm_; }

 private:
  std::size_t k_ = 0, d_ = 0, n_panels_ = 0;
  std::vector<T, xsimd::aligned_allocator<T>> panels_;
  std::vector<T, xsimd::aligned_allocator<T>> norms_;
  std::vector<T> plain_;
  double max_norm_ = 0.0;
};

/// Per-lane argmin state of one row: lane l has seen centroids pW + l of the panels so far.
template <class T>
struct LaneBest {
  batch<T> best = batch<T>(std::numeric_limits<T>::infinity());
  batch<T> second = batch<T>(std::numeric_limits<T>::infinity());
  batch<T> panel = batch<T>(T(0));  // as T: exact for any panel count below 2^24 (float)

  void offer(const batch<T>& score, T p) noexcept {
    // Strict <: an equal later score never displaces an earlier centroid.
    const auto better = score < best;
    second = xsimd::min(second, xsimd::max(best, score));
    best = xsimd::select(better, score, best);
    panel = xsimd::select(better, batch<T>(p), panel);
  }
};

/// Scores panels [first, first + P) for R rows and folds them into their LaneBest.
template <std::size_t R, std::size_t P, class T>
inline void scan_panels(const T* const* x, const PackedCentroids<T>& pc, std::size_t first,
                        LaneBest<T>* lanes) noexcept {
  using B = batch<T>;
  constexpr std::size_t W = B::size;
  const std::size_t d = pc.d();
  const T* panel[P];
  for (std::size_t p = 0; p < P; ++p) panel[p] = pc.panel(first + p);
  B acc[R][P];
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t p = 0; p < P; ++p) acc[r][p] = B(T(0));
  for (std::size_t j = 0; j < d; ++j) {
    B c[P];
    for (std::size_t p = 0; p < P; ++p) c[p] = B::load_aligned(panel[p] + j * W);
    for (std::size_t r = 0; r < R; ++r) {
      const B xr(x[r][j]);
      for (std::size_t p = 0; p < P; ++p) acc[r][p] = xsimd::fma(xr, c[p], acc[r][p]);
    }
  }
  const B minus_two(T(-2));
  for (std::size_t p = 0; p < P; ++p) {
    const B norms = B::load_aligned(pc.norms(first + p));
    for (std::size_t r = 0; r < R; ++r)
      lanes[r].offer(xsimd::fma(acc[r][p], minus_two, norms), static_cast<T>(first + p));
  }
}

/// Tile sizes: R x P accumulators, P panel vectors and one broadcast must fit the registers.
inline constexpr std::size_t tile_rows = simd_register_count >= 32 ? 6 : 4;
inline constexpr std::size_t tile_panels = simd_register_count >= 32 ? 4 : 2;

template <std::size_t R, class T>
inline void scan_all_panels(const T* const* x, const PackedCentroids<T>& pc, LaneBest<T>* lanes) noexcept {
  constexpr std::size_t P = tile_panels;
  const std::size_t n = pc.n_panels();
  std::size_t p = 0;
  for (; p + P <= n; p += P) scan_panels<R, P>(x, pc, p, lanes);
  if constexpr (P > 3) {
    if (p + 3 <= n) {
      scan_panels<R, 3>(x, pc, p, lanes);
      p += 3;
    }
  }
  if constexpr (P > 2) {
    if (p + 2 <= n) {
      scan_panels<R, 2>(x, pc, p, lanes);
      p += 2;
    }
  }
  if (p < n) scan_panels<R, 1>(x, pc, p, lanes);
}

/// For every row i in [begin, end) of X, calls on_row(i, label) with the index of its nearest
/// centroid (lowest index on exact ties), in ascending i.
template <class T, class OnRow>
void assign_rows(Matrix<const T> X, std::size_t begin, std::size_t end, const PackedCentroids<T>& pc,
                 OnRow&& on_row) {
  constexpr std::size_t W = simd_width<T>;
  constexpr std::size_t R = tile_rows;
  const std::size_t d = pc.d();
  constexpr double u = std::numeric_limits<T>::epsilon() / 2;
  const double m = static_cast<double>(d + 2);
  const double error_factor = 2.0 * (m * u / (1.0 - m * u) + u);

  alignas(64) T best[W], second[W], panel[W];
  for (std::size_t i = begin; i < end; i += R) {
    const std::size_t rows = std::min(R, end - i);
    // A short last tile repeats its last row: rows never interact, so the extra work is
    // thrown away and changes nothing.
    const T* x[R];
    for (std::size_t r = 0; r < R; ++r) x[r] = X.row(i + std::min(r, rows - 1));
    LaneBest<T> lanes[R];
    scan_all_panels<R>(x, pc, lanes);
    for (std::size_t r = 0; r < rows; ++r) {
      lanes[r].best.store_aligned(best);
      lanes[r].second.store_aligned(second);
      lanes[r].panel.store_aligned(panel);
      // Across lanes: the lowest score, the lowest label among equal scores.
      std::size_t label = static_cast<std::size_t>(panel[0]) * W;
      T top = best[0], runner_up = second[0];
      for (std::size_t l = 1; l < W; ++l) {
        const std::size_t c = static_cast<std::size_t>(panel[l]) * W + l;
        if (best[l] < top || (best[l] == top && c < label)) {
          runner_up = std::min(runner_up, top);
          top = best[l];
          label = c;
        } else {
          runner_up = std::min(runner_up, best[l]);
        }
        runner_up = std::min(runner_up, second[l]);
      }
      if (pc.k() > 1) {
        const double reach = std::sqrt(squared_norm(x[r], d)) + pc.max_norm();
        const double bound = error_factor * reach * reach;
        const double gap = static_cast<double>(runner_up) - static_cast<double>(top);
        if (!(gap > 2.0 * bound)) label = static_cast<std::size_t>(nearest_exact(x[r], pc.plain(), pc.k(), d, d));
      }
      on_row(i + r, static_cast<std::int32_t>(label));
    }
  }
}

}  // namespace kmeans::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
