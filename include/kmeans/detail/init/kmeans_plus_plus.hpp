#pragma once
// Greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's 2 + floor(ln k) local
// trials per centre). Each centre scores its trial rows against every row; the triangle
// inequality leaves out the distances that cannot change a row's nearest centre.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../../matrix.hpp"
#include "../blocks.hpp"
#include "../collective.hpp"
#include "../distance.hpp"
#include "../geometry.hpp"
#include "../random.hpp"
#include "../seeded_rows.hpp"
#include "../simd.hpp"
#include "../thread_pool.hpp"
#include "../unroll.hpp"
#include "sampling.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// How much memory k-means++ may use to keep every row's distances to the trial rows (n x
/// trials doubles), so that the one chosen needs no second pass over X; beyond it, that pass.
inline constexpr std::size_t kmeans_pp_keep_bytes = std::size_t{64} << 20;

/// Candidates greedy k-means++ scores per centre: 2 + floor(ln k), as scikit-learn.
inline std::size_t trial_count(std::size_t k) noexcept {
  return 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
}

/// Which rows k-means++ need not score against a trial row t, because t cannot come nearer to
/// them than their nearest centre c. With u = |x - c|^2 and b = |t - c|^2 (both as
/// squared_distance computes them): |t - c| >= 2 |x - c| gives |x - t| >= |t - c| - |x - c| >=
/// |x - c|, so min(closest, w |x - t|^2) is closest, the very bits scoring would give. The test
/// asks b >= prune_ratio u, 4 (1 + 2^-20): the slack covers the roundings of the computed
/// distances (each within a relative (d + 2) 2^-53 of the exact one) for d up to ~10^9, where u
/// is at least min_prunable (below it, subnormal roundings are not relative); u = 0 needs none.
struct TrialPruning {
  static constexpr double prune_ratio = 4.0 + 0x1p-18;
  static constexpr double min_prunable = 0x1p-900;
  const std::int32_t* nearest;  // row i's nearest centre so far
  const double* distance;       // |x_i - nearest centre|^2, without weight
  const double* centre_trial;   // |centre j - trial t|^2 at j * trials + t
  std::size_t trials;

  bool skips(std::size_t i, std::size_t t) const noexcept {  // without branches: the outcome is data
    const double u = distance[i], b = centre_trial[static_cast<std::size_t>(nearest[i]) * trials + t];
    const unsigned zero = u == 0.0, normal = u >= min_prunable, far = u * prune_ratio <= b;
    return (zero | (normal & far)) != 0;
  }
};

/// dist[r * stride] = squared_distance(X.row(begin + r), c) for r in [first, last) (at most a
/// block), four rows at a time (rows_to_centre), or infinity where `prune` (if given) shows
/// that c, trial t, cannot come nearer to the row than its nearest centre.
template <class T>
void score_rows(Matrix<const T> X, std::size_t begin, std::size_t first, std::size_t last, const T* c,
                const TrialPruning* prune, std::size_t t, double* dist, std::size_t stride) {
  std::uint32_t scored[block_rows];  // the rows not left out
  std::size_t m = 0;
  for (std::size_t r = first; r < last; ++r) {
    dist[r * stride] = std::numeric_limits<double>::infinity();
    scored[m] = static_cast<std::uint32_t>(r);
    m += prune && prune->skips(begin + r, t) ? 0 : 1;
  }
  rows_to_centre(
      m, X.cols(), [&](std::size_t q) { return X.row(begin + scored[q]); }, c,
      [&](std::size_t q, double value) { dist[scored[q] * stride] = value; });
}

/// out[j * trials + t] = squared_distance(centre j, trial t) for the first `centres` of `centers`.
template <class T>
void centre_trial_distances(ThreadPool& pool, const T* centers, std::size_t centres, const T* candidates,
                            std::size_t trials, std::size_t d, double* out) {
  for_blocks(pool, centres, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t t = 0; t < trials; ++t)
      rows_to_centre(
          end - begin, d, [&](std::size_t q) { return centers + (begin + q) * d; }, candidates + t * d,
          [&](std::size_t q, double value) { out[(begin + q) * trials + t] = value; });
  });
}

/// out[q] = the sum over rows i in [begin, end), in order, of min(closest[i], w_i dist[(i -
/// begin) * stride + q]), for q < N: N sums side by side, each waiting only on its own adds.
template <std::size_t N>
inline void sum_terms(std::size_t begin, std::size_t end, const double* closest, const double* weight,
                      const double* dist, std::size_t stride, double* out) noexcept {
  double acc[N] = {};
  for (std::size_t i = begin; i < end; ++i) {
    const double w = weight ? weight[i] : 1.0;
    KMEANS_UNROLL
    for (std::size_t q = 0; q < N; ++q) acc[q] += std::min(closest[i], w * dist[(i - begin) * stride + q]);
  }
  std::copy_n(acc, N, out);
}

/// For each block b of X's rows and each of the `trials` candidate rows t: the block's
/// potential if t were added, sum over its rows of min(closest, w |x - t|^2), into
/// pot[b * trials + t], the block's rows in row order: the same bits on any thread count.
/// Each |x - t|^2 has the bits squared_distance gives. Rows of 32 or more: trial by trial, the
/// block's rows are scored four at a time (rows_to_centre: independent sums, shared loads of
/// the trial row), leaving out those `prune` (if given) shows cannot be nearer than their
/// centre: their distance is infinity, and their term closest, as scoring would give. Shorter
/// rows (one chain of fused squares in squared_distance): the candidates packed transposed,
/// one SIMD lane each, so one pass over a row gives all its distances, four rows at a time for
/// independent FMA chains. With `distances` (n x trials), also keeps every row's distances.
template <class T>
void trial_potentials(ThreadPool& pool, Matrix<const T> X, const T* candidates, std::size_t trials,
                      const double* closest, const double* weight, double* pot, double* distances,
                      const TrialPruning* prune = nullptr) {
  const std::size_t n = X.rows(), d = X.cols();
  const auto add = [&](double* block_pot, std::size_t i, std::size_t t, double distance) {
    const double wd = (weight ? weight[i] : 1.0) * distance;
    block_pot[t] += std::min(closest[i], wd);
    if (distances) distances[i * trials + t] = distance;
  };
  if (d >= sum_lanes) {
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double* block_pot = pot + b * trials;
      std::vector<double> own(distances ? 0 : (end - begin) * trials);
      // Row begin + r's distance to trial t at r * trials + t.
      double* dist = distances ? distances + begin * trials : own.data();
      // The rows go in slices of about 16 KiB, so that every trial finds them in L1.
      const std::size_t slice = std::max<std::size_t>(grid_rows, (std::size_t{16} << 10) / (d * sizeof(T)));
      for (std::size_t first = 0; first < end - begin; first += slice) {
        const std::size_t last = std::min(end - begin, first + slice);
        for (std::size_t t = 0; t < trials; ++t)
          score_rows(X, begin, first, last, candidates + t * d, prune, t, dist + t, trials);
      }
      // A row left out has distance infinity: its term is closest (0 x infinity is NaN, and
      // std::min(closest, NaN) is closest too). Up to four trials' sums at once, in registers.
      for (std::size_t t = 0; t < trials; t += 4) {
        switch (std::min<std::size_t>(4, trials - t)) {
          case 1: sum_terms<1>(begin, end, closest, weight, dist + t, trials, block_pot + t); break;
          case 2: sum_terms<2>(begin, end, closest, weight, dist + t, trials, block_pot + t); break;
          case 3: sum_terms<3>(begin, end, closest, weight, dist + t, trials, block_pot + t); break;
          default: sum_terms<4>(begin, end, closest, weight, dist + t, trials, block_pot + t); break;
        }
      }
    });
    return;
  }
  using B = batch<double>;
  constexpr std::size_t W = B::size;
  constexpr std::size_t R = 4;
  const std::size_t chunks = (trials + W - 1) / W;
  std::vector<double, xsimd::aligned_allocator<double>> packed(chunks * d * W, 0.0);
  for (std::size_t t = 0; t < trials; ++t)
    for (std::size_t j = 0; j < d; ++j)
      packed[(t / W) * d * W + j * W + t % W] = static_cast<double>(candidates[t * d + j]);
  for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
    double* block_pot = pot + b * trials;
    std::fill(block_pot, block_pot + trials, 0.0);
    alignas(64) double lanes[R][W];
    for (std::size_t q = 0; q < chunks; ++q) {
      const double* c = packed.data() + q * d * W;
      const std::size_t used = std::min(W, trials - q * W);
      for (std::size_t i = begin; i < end; i += R) {
        const std::size_t rows = std::min(R, end - i);
        B acc[R];
        KMEANS_UNROLL
        for (std::size_t r = 0; r < R; ++r) acc[r] = B(0.0);
        for (std::size_t j = 0; j < d; ++j) {
          const B cj = B::load_aligned(c + j * W);
          KMEANS_UNROLL
          for (std::size_t r = 0; r < R; ++r) {
            // A short last tile repeats its last row; the copies are not added.
            const B diff = B(static_cast<double>(X(i + std::min(r, rows - 1), j))) - cj;
            acc[r] = detail::fma(diff, diff, acc[r]);
          }
        }
        KMEANS_UNROLL
        for (std::size_t r = 0; r < R; ++r) acc[r].store_aligned(lanes[r]);
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t l = 0; l < used; ++l) add(block_pot, i + r, q * W + l, lanes[r][l]);
      }
    }
  });
}

/// What a k-means++ run needs beyond its rows; the defaults are a plain single-process run.
struct PlusPlusSettings {
  const double* weight = nullptr;  ///< one per row, or null for all ones
  Collective* peers = nullptr;     ///< the other processes holding rows, or null
  /// Memory for every row's distances to the trials (n x trials doubles), so the chosen
  /// trial's need no second pass over X; beyond it, that pass.
  std::size_t keep_bytes = kmeans_pp_keep_bytes;
  bool prune = true;             ///< leave out the distances TrialPruning settles
  SeededRows* seeded = nullptr;  ///< where to leave the rows' labels (and bounds) for the first pass
};

/// Greedy k-means++. With weights (one per row, or null for all ones) rows are drawn in
/// proportion to weight x squared distance, and the first in proportion to weight. With peers,
/// every process calls this with its own rows and the same rng state; the draws are over all
/// the rows, and all get the same centroids (four collectives per centroid). Every distance
/// is squared_distance's, whether kept from the trials (up to settings.keep_bytes) or computed again.
/// With settings.prune (rows of 32 or more, and the trials' distances to the centres within
/// kmeans_pp_keep_bytes), a row is not scored against a trial that TrialPruning shows is no
/// nearer than its centre: the same centres, fewer distances. settings.seeded, without weights or
/// peers: every row's nearest centre and, if its `bounds` asks, its distance to it and a lower
/// bound on its distance to the others (exact where scored, the triangle inequality's where
/// left out).
template <class T>
std::vector<T> kmeans_plus_plus(ThreadPool& pool, Matrix<const T> X, std::size_t k, Rng& rng,
                                const PlusPlusSettings& settings = {}) {
  const double* const weight = settings.weight;
  Collective* const peers = settings.peers;
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t n_blocks = block_count(n);
  const std::size_t trials = trial_count(k);
  const std::size_t me = peers ? peers->rank() : 0;
  std::vector<T> centers(k * d);
  std::vector<double> closest(n), block_pot(n_blocks), trial_pot(n_blocks * trials), pots(trials);
  const bool keep_distances = k > 1 && n * trials <= settings.keep_bytes / sizeof(double);
  std::vector<double> distances(keep_distances ? n * trials : 0);  // row i's to trial t at i * trials + t
  // Pruning: each row's nearest centre and (with weights) its distance to it without the weight.
  const bool prune = settings.prune && k > 1 && d >= sum_lanes && k * trials <= kmeans_pp_keep_bytes / sizeof(double);
  SeededRows* const seeded = weight || peers ? nullptr : settings.seeded;
  std::vector<std::int32_t> nearest(prune || seeded ? n : 0);
  std::vector<double> plain(prune && weight ? n : 0), centre_trial(prune ? k * trials : 0);
  std::vector<double> second(seeded && seeded->bounds ? n : 0);  // distance to the other centres, at least
  const TrialPruning pruning{nearest.data(), weight ? plain.data() : closest.data(), centre_trial.data(), trials};
  DrawnRows<T> drawn(d);

  const auto w = [weight](std::size_t i) { return weight ? weight[i] : 1.0; };
  const auto take = [&](std::size_t c, const T* row) {
    std::copy(row, row + d, centers.begin() + static_cast<std::ptrdiff_t>(c * d));
  };
  constexpr double infinity = std::numeric_limits<double>::infinity();
  // For a centre c > 0 at distance^2 di from row i (infinity: left out by the pruning of trial
  // `best`): a lower bound on the row's distance to a centre other than its nearest. Unweighted
  // only, where closest is the squared distance to the nearest centre so far.
  const auto other_bound = [&](std::size_t i, double di, bool nearer, std::size_t best) {
    if (nearer) return std::sqrt(closest[i]);  // the old nearest becomes another centre
    if (di < infinity) return std::sqrt(di);
    // Left out: |x - row| >= |row - nearest| - |x - nearest|.
    return lowered(std::sqrt(centre_trial[static_cast<std::size_t>(nearest[i]) * trials + best]),
                   std::sqrt(closest[i]));
  };
  // Centre c at `row`: closest = min(closest, w |x - row|^2) (or just that for c = 0), with
  // |x - row|^2 kept from trial `best` if kept, else computed, four rows at a time (infinity:
  // left out, no nearer). Without weights w = 1 and w d is d exactly. Returns this process's
  // potential.
  const auto absorb = [&](std::size_t c, const T* row, std::size_t best) {
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double dist[block_rows];
      if (c > 0 && keep_distances) {
        for (std::size_t i = begin; i < end; ++i) dist[i - begin] = distances[i * trials + best];
      } else {
        score_rows(X, begin, 0, end - begin, row, c > 0 && prune ? &pruning : nullptr, best, dist, 1);
      }
      double pot = 0.0;
      for (std::size_t i = begin; i < end; ++i) {
        const double di = dist[i - begin];
        const bool nearer = c == 0 || w(i) * di < closest[i];
        if (!second.empty()) second[i] = c == 0 ? infinity : std::min(second[i], other_bound(i, di, nearer, best));
        if (nearer) {  // min(closest, w d), and where it came from
          closest[i] = w(i) * di;
          if (!nearest.empty()) nearest[i] = static_cast<std::int32_t>(c);
          if (!plain.empty()) plain[i] = di;
        }
        pot += closest[i];
      }
      block_pot[b] = pot;
    });
    return sum_of(block_pot);
  };
  std::vector<double> rows_per_process;  // for uniform draws, once the potential is zero

  std::vector<T> rows = draw_first_row(X, weight, rng, peers);
  take(0, rows.data());
  double mine = absorb(0, rows.data(), 0);
  for (std::size_t c = 1; c < k; ++c) {
    const std::vector<double> totals = totals_of(peers, mine);
    const double pot = sum_of(totals);
    for (std::size_t t = 0; t < trials; ++t) {
      if (!(pot > 0)) {
        draw_uniform_row(X, rng, peers, rows_per_process, drawn, t);
        continue;
      }
      const Located at = locate(totals, rng.uniform() * pot);
      if (at.owner == me) drawn.add(t, X.row(sample_row(closest.data(), n, block_pot, at.within)));
    }
    rows = drawn.collect(peers, trials);
    if (prune) centre_trial_distances(pool, centers.data(), c, rows.data(), trials, d, centre_trial.data());
    trial_potentials(pool, X, rows.data(), trials, closest.data(), weight, trial_pot.data(),
                     keep_distances ? distances.data() : nullptr, prune ? &pruning : nullptr);
    for (std::size_t t = 0; t < trials; ++t) {
      pots[t] = 0.0;
      for (std::size_t b = 0; b < n_blocks; ++b) pots[t] += trial_pot[b * trials + t];
    }
    if (peers) peers->sum(pots.data(), trials);
    std::size_t best = 0;
    for (std::size_t t = 1; t < trials; ++t)
      if (pots[t] < pots[best]) best = t;
    take(c, rows.data() + best * d);
    mine = absorb(c, rows.data() + best * d, best);
  }
  if (seeded) {
    seeded->labels = std::move(nearest);
    if (seeded->bounds) {
      seeded->upper.resize(n);
      for (std::size_t i = 0; i < n; ++i) seeded->upper[i] = std::sqrt(closest[i]);
      seeded->lower = std::move(second);
    }
  }
  return centers;
}

}  // namespace kmeans::detail

KMEANS_SIMD_END
