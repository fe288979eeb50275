#pragma once
// Elkan (2003): per row an upper bound on the distance to its centroid and one lower bound per
// centroid; a centroid whose bound (or half its distance to the row's centroid) clears the
// upper bound is skipped, the others are scored with direct double distances and Lloyd's
// lowest-index rule (the first pass, with no bounds yet, and rows with many centroids open go
// through Lloyd's kernel). O(n k) memory, so fits whose bounds would pass
// Options::elkan_max_bytes run Hamerly instead (fit.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../options.hpp"
#include "algorithm.hpp"
#include "distance.hpp"
#include "geometry.hpp"
#include "kernel.hpp"
#include "seeded_rows.hpp"
#include "simd.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// Elkan: per row, an upper bound on the distance to its centroid and one lower bound per
/// centroid. O(n k) memory, so fits whose bounds would pass a cap use Hamerly instead. The
/// lower bounds are kept as floats, rounded down (`below`): each pass streams all n k of them,
/// and float halves that traffic; they are formed and moved in double.
struct ElkanBounds {
  std::vector<double> upper;  // n
  std::vector<float> lower;   // n x k
  std::size_t k = 0;

  static std::size_t bytes(std::size_t n, std::size_t k) noexcept { return n * (sizeof(double) + k * sizeof(float)); }

  /// The largest float at most v (v >= 0 or infinity).
  static float below(double v) noexcept {
    const auto f = static_cast<float>(v);
    return static_cast<double>(f) > v ? std::nextafter(f, 0.0f) : f;
  }

  void reset(std::size_t n, std::size_t k_) {
    k = k_;
    upper.assign(n, std::numeric_limits<double>::infinity());
    lower.assign(n * k, 0.0f);
  }
  void forget(std::size_t i) { upper[i] = std::numeric_limits<double>::infinity(); }

  /// Labels row x (label a on entry) from its bounds, computing only the distances they leave
  /// open; returns the new label and adds the distances computed to `evaluations`. The bounds
  /// are moved and tested a vector of centroids at a time; the centroids a test leaves open are
  /// then taken one by one, in index order, as the scalar rule does.
  /// A row whose bounds leave more than `max_open` centroids open is not labelled here:
  /// returns `rescore`, and the caller scores it against every centroid with the kernel.
  static constexpr std::size_t rescore = SIZE_MAX;
  template <class T>
  std::size_t label(std::size_t i, const T* x, std::size_t a, const T* centroids, std::size_t d,
                    const CentroidGeometry& g, std::size_t max_open, std::size_t& evaluations) {
    using Lanes = batch<double>;
    constexpr std::size_t W = Lanes::size;
    float* low = lower.data() + i * k;
    double u = upper[i] + g.shift[a];
    lower_all(low, g.shift.data());
    if (u < skip_margin * g.half_gap[a]) {
      upper[i] = u;
      return a;
    }
    // The lanes of centroids c0 .. c0 + W - 1 whose bounds do not clear u (against the current
    // a and u: a skip stays valid as both only get nearer).
    const auto open_lanes = [&](std::size_t c0) {
      const Lanes z = xsimd::max(load_as_double(low + c0), Lanes::load_unaligned(g.half_cc.data() + a * k + c0));
      return lane_bits(!(Lanes(u) < Lanes(skip_margin) * z));
    };
    if (max_open < k) {
      std::size_t open = 0, c0 = 0;
      for (; c0 + W <= k; c0 += W)
        for (unsigned bits = open_lanes(c0); bits != 0; bits &= bits - 1) ++open;
      for (; c0 < k; ++c0) open += !(u < skip_margin * std::max(static_cast<double>(low[c0]), g.half_cc[a * k + c0]));
      if (open > max_open) {
        upper[i] = u;
        return rescore;
      }
    }
    bool tight = false;
    double best = 0;  // squared distance to a, once tight
    const auto visit = [&](std::size_t c) {
      if (c == a) return;
      const double z = std::max(static_cast<double>(low[c]), g.half_cc[a * k + c]);
      if (u < skip_margin * z) return;
      if (!tight) {
        best = squared_distance(x, centroids + a * d, d);
        u = std::sqrt(best);
        low[a] = below(u);
        tight = true;
        ++evaluations;
        if (u < skip_margin * z) return;
      }
      const double dc = squared_distance(x, centroids + c * d, d);
      ++evaluations;
      const double distance = std::sqrt(dc);
      low[c] = below(distance);
      // nearest_exact's rule: the lowest (squared distance, index).
      if (dc < best || (dc == best && c < a)) {
        a = c;
        best = dc;
        u = distance;
      }
    };
    std::size_t c0 = 0;
    for (; c0 + W <= k; c0 += W) {
      for (unsigned open = open_lanes(c0); open != 0;) {
        visit(c0 + lowest_bit(open));
        open &= open - 1;
        if (open != 0) open &= open_lanes(c0);
      }
    }
    for (; c0 < k; ++c0) visit(c0);
    upper[i] = u;
    return a;
  }

  /// Every bound of a row moved down by its centroid's shift, as `lowered` does, a vector at a
  /// time (in double, stored rounded down).
  void lower_all(float* low, const double* shift) const noexcept {
    std::size_t c = 0;
#if XSIMD_WITH_AVX512F
    using Lanes = batch<double>;
    constexpr std::size_t W = Lanes::size;
    const Lanes zero(0.0), infinity(std::numeric_limits<double>::infinity()), allowance(lowering_allowance);
    for (; c + W <= k; c += W) {
      const Lanes l = load_as_double(low + c), s = Lanes::load_unaligned(shift + c);
      const Lanes moved = xsimd::select((s == zero) | !(l < infinity), l, (l - s) - allowance * (l + s));
      _mm256_storeu_ps(low + c, _mm512_cvt_roundpd_ps(moved, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
    }
#endif
    for (; c < k; ++c) low[c] = below(lowered(static_cast<double>(low[c]), shift[c]));
  }

  /// Row i after the kernel scored every centroid: `distance`, an upper bound on the distance
  /// to its centroid `label`, and for every centroid the lower bound its score gives (where the
  /// kernel took its exact path, the distance to the second nearest for the others).
  template <class T>
  void scanned(std::size_t i, std::size_t label, double distance, double second_squared, const RowScores<T>& s) {
    float* low = lower.data() + i * k;
    upper[i] = distance;
    if (!s.usable()) {
      // The kernel's exact path: `distance` is the direct distance, and every other centroid is
      // at least as far as the second nearest.
      std::fill_n(low, k, below(std::sqrt(second_squared)));
      low[label] = below(distance);
    } else {
      // Every bound from the scores, the label's too: `distance` is then the score's upper
      // bound, which would overstate a lower one.
      std::size_t c = 0;
#if XSIMD_WITH_AVX512F
      using Lanes = batch<double>;
      const Lanes zero(0.0), slack(s.slack), norm2(s.norm2);
      for (; c + Lanes::size <= k; c += Lanes::size) {
        const Lanes bound = xsimd::sqrt(xsimd::max(zero, (load_as_double(s.score + c) - slack) + norm2));
        _mm256_storeu_ps(low + c, _mm512_cvt_roundpd_ps(bound, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
      }
#endif
      for (; c < k; ++c) low[c] = below(s.lower_distance(static_cast<double>(s.score[c])));
    }
  }
};

template <class T>
class Elkan : public BoundedAlgorithm<ElkanBounds, true> {
 public:
  static constexpr Algorithm id = Algorithm::elkan;
  static constexpr SeedUse seed_use = SeedUse::none;

  void start(const Problem<T>& p, const T*, SeededRows*) {
    k_ = p.k;
    d_ = p.X.cols();
    bounds_.reset(p.X.rows(), k_);
    // A direct distance costs about d / 16 + 32 cycles, a row scored by the kernel against all
    // k centroids about k d / 22 (float screen, 2 FMA ports): past k d / (2 d + 512) open
    // centroids the kernel is the cheaper (an estimate; docs/algorithms.md). At least 4: the
    // estimate leaves out the kernel's cost per row, which dominates at small k d (PCA-50,
    // k = 10: 0 made every row with one centroid open a kernel row, twice as slow).
    max_open_ = std::max<std::size_t>(k_ * d_ / (2 * d_ + 512), std::min<std::size_t>(k_, 4));
  }
  /// The first pass scores every row against every centroid with Lloyd's kernel, which gives
  /// all k bounds at once; after it, each row's open centroids get direct distances, or, where
  /// the bounds leave many open, the row is scored by the kernel again.
  void begin_pass(PackedCentroids<T>& packed, const T* centroids, bool) { packed.assign(centroids, k_, d_); }
  void label_block(BlockLabelling<T>& b) {
    const Matrix<const T> X = b.X();
    const auto scored = [&](std::size_t i, std::int32_t label, double second, const RowScores<T>& scores) {
      const auto a = static_cast<std::size_t>(label);
      bounds_.scanned(i, a, b.upper_distance_to(i, a, scores), second, scores);
      b.relabel(i, label);
    };
    if (b.bounds_empty) {
      assign_rows(X, b.begin, b.end, b.packed, scored);
      b.slot.evaluations += (b.end - b.begin) * (k_ + 1);
    } else {
      std::vector<std::size_t>& scan = b.slot.scan;
      scan.clear();
      for (std::size_t i = b.begin; i < b.end; ++i) {
        const std::size_t a = bounds_.label(i, X.row(i), static_cast<std::size_t>(b.labels[i]), b.centroids, d_,
                                            geometry_, max_open_, b.slot.evaluations);
        if (a == ElkanBounds::rescore)
          scan.push_back(i);
        else
          b.relabel(i, static_cast<std::int32_t>(a));
      }
      assign_rows_at(
          X, scan.size(), [&](std::size_t t) { return scan[t]; }, b.packed, scored);
      b.slot.evaluations += scan.size() * (k_ + 1);
    }
    if (b.want_inertia) b.add_block_inertia();
  }

 private:
  std::size_t max_open_ = 0;
};

}  // namespace kmeans::detail

KMEANS_SIMD_END
