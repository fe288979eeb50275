#pragma once
// Initial centroids: greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's
// 2 + floor(ln k) local trials per centre), k-means|| (Bahmani et al. 2012: a few rounds that
// each sample many rows, then weighted k-means++ on those) and k distinct random rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <vector>

#include "detail/blocks.hpp"
#include "detail/bounds.hpp"
#include "detail/collective.hpp"
#include "detail/distance.hpp"
#include "detail/error.hpp"
#include "detail/kernel.hpp"
#include "detail/random.hpp"
#include "detail/simd.hpp"
#include "detail/stats.hpp"
#include "matrix.hpp"
#include "options.hpp"

namespace kmeans {
namespace detail {

/// The row whose prefix sum of the n values of `weight` first exceeds r; `block_sums` are
/// their per-block sums.
inline std::size_t sample_row(const double* weight, std::size_t n, const std::vector<double>& block_sums,
                              double r) noexcept {
  double acc = 0.0;
  for (std::size_t b = 0; b < block_sums.size(); ++b) {
    if (acc + block_sums[b] <= r) {
      acc += block_sums[b];
      continue;
    }
    const std::size_t end = std::min(n, (b + 1) * block_rows);
    for (std::size_t i = b * block_rows; i < end; ++i) {
      acc += weight[i];
      if (acc > r && weight[i] > 0) return i;
    }
  }
  // Rounding left r beyond the total: the last row with any weight.
  std::size_t i = n;
  while (i > 1 && !(weight[i - 1] > 0)) --i;
  return i - 1;
}

/// Every process's `value` in process order, or just `value` without peers.
inline std::vector<double> totals_of(Collective* peers, double value) {
  return peers ? gather_doubles(*peers, {value}) : std::vector<double>{value};
}

/// Where a draw r in [0, sum of totals) lands, given every process's total (of weights, of
/// potentials or of rows) in process order: the process whose share spans r (the last with a
/// positive total, if rounding carried r past them all) and r less the totals before it.
struct Located {
  std::size_t owner = 0;
  double within = 0.0;
};
inline Located locate(const std::vector<double>& totals, double r) {
  Located at;
  double start = 0.0, end = 0.0;
  for (std::size_t j = 0; j < totals.size(); ++j) {
    if (totals[j] > 0) {
      at.owner = j;
      start = end;
    }
    end += totals[j];
    if (totals[j] > 0 && r < end) break;
  }
  at.within = std::max(0.0, r - start);
  return at;
}

/// Rows drawn for numbered slots (centroids, trials): each process adds the draws that are
/// its own rows, and collect() gives every process all slots' rows.
template <class T>
class DrawnRows {
 public:
  explicit DrawnRows(std::size_t d) : d_(d), record_(sizeof(std::size_t) + d * sizeof(T)) {}

  void add(std::size_t slot, const T* row) {
    mine_.resize(mine_.size() + record_);
    char* at = mine_.data() + mine_.size() - record_;
    std::memcpy(at, &slot, sizeof(std::size_t));
    std::memcpy(at + sizeof(std::size_t), row, d_ * sizeof(T));
  }

  /// slots x d values: slot s holds the row some process added for it.
  std::vector<T> collect(Collective* peers, std::size_t slots) {
    std::vector<T> rows(slots * d_);
    const std::vector<char> all = peers ? peers->gather(mine_) : std::move(mine_);
    for (std::size_t r = 0; r < all.size(); r += record_) {
      std::size_t slot = 0;
      std::memcpy(&slot, all.data() + r, sizeof(std::size_t));
      std::memcpy(rows.data() + slot * d_, all.data() + r + sizeof(std::size_t), d_ * sizeof(T));
    }
    mine_.clear();
    return rows;
  }

 private:
  std::size_t d_, record_;
  std::vector<char> mine_;
};

/// The sum of `values`, in order.
inline double sum_of(const std::vector<double>& values) {
  double total = 0.0;
  for (const double v : values) total += v;
  return total;
}

/// Draws one row uniformly over every process's rows into `slot` of `drawn` (the process
/// that holds it adds it). `rows_per_process`: empty, or every process's row count from an
/// earlier call.
template <class T>
void draw_uniform_row(Matrix<const T> X, Rng& rng, Collective* peers, std::vector<double>& rows_per_process,
                      DrawnRows<T>& drawn, std::size_t slot) {
  const std::size_t n = X.rows();
  if (rows_per_process.empty()) rows_per_process = totals_of(peers, static_cast<double>(n));
  const Located at = locate(rows_per_process, static_cast<double>(rng.below(peers ? peers->total_rows() : n)));
  if (at.owner == (peers ? peers->rank() : 0))
    drawn.add(slot, X.row(std::min(n - 1, static_cast<std::size_t>(at.within))));
}

/// The first centre of k-means++ and k-means||: one row drawn in proportion to weight
/// (uniformly without weights) over every process's rows; every process gets its values.
template <class T>
std::vector<T> draw_first_row(Matrix<const T> X, const double* weight, Rng& rng, Collective* peers) {
  DrawnRows<T> drawn(X.cols());
  if (weight) {
    const std::size_t n = X.rows();
    std::vector<double> block_weight(block_count(n), 0.0);
    for (std::size_t b = 0; b < block_weight.size(); ++b)
      for (std::size_t i = b * block_rows; i < std::min(n, (b + 1) * block_rows); ++i) block_weight[b] += weight[i];
    const std::vector<double> totals = totals_of(peers, sum_of(block_weight));
    const Located at = locate(totals, rng.uniform() * sum_of(totals));
    if (at.owner == (peers ? peers->rank() : 0)) drawn.add(0, X.row(sample_row(weight, n, block_weight, at.within)));
  } else {
    std::vector<double> rows_per_process;
    draw_uniform_row(X, rng, peers, rows_per_process, drawn, 0);
  }
  return drawn.collect(peers, 1);
}

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

/// Greedy k-means++. With weights (one per row, or null for all ones) rows are drawn in
/// proportion to weight x squared distance, and the first in proportion to weight. `peers`:
/// every process calls this with its own rows and the same rng state; the draws are over all
/// the rows, and all get the same centroids (four collectives per centroid). Every distance
/// is squared_distance's, whether kept from the trials (up to `keep_bytes`) or computed again.
/// With `prune` (rows of 32 or more, and the trials' distances to the centres within
/// kmeans_pp_keep_bytes), a row is not scored against a trial that TrialPruning shows is no
/// nearer than its centre: the same centres, fewer distances. `seeded`, without weights or
/// peers: every row's nearest centre and, if its `bounds` asks, its distance to it and a lower
/// bound on its distance to the others (exact where scored, the triangle inequality's where
/// left out).
template <class T>
std::vector<T> kmeans_plus_plus(ThreadPool& pool, Matrix<const T> X, std::size_t k, Rng& rng,
                                const double* weight = nullptr, Collective* peers = nullptr,
                                std::size_t keep_bytes = kmeans_pp_keep_bytes, bool prune = true,
                                SeededRows* seeded = nullptr) {
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t n_blocks = block_count(n);
  const std::size_t trials = trial_count(k);
  const std::size_t me = peers ? peers->rank() : 0;
  std::vector<T> centers(k * d);
  std::vector<double> closest(n), block_pot(n_blocks), trial_pot(n_blocks * trials), pots(trials);
  const bool keep = k > 1 && n * trials <= keep_bytes / sizeof(double);
  std::vector<double> distances(keep ? n * trials : 0);  // row i's to trial t at i * trials + t
  // Pruning: each row's nearest centre and (with weights) its distance to it without the weight.
  prune = prune && k > 1 && d >= sum_lanes && k * trials <= kmeans_pp_keep_bytes / sizeof(double);
  if (weight || peers) seeded = nullptr;
  std::vector<std::int32_t> nearest(prune || seeded ? n : 0);
  std::vector<double> plain(prune && weight ? n : 0), centre_trial(prune ? k * trials : 0);
  std::vector<double> second(seeded && seeded->bounds ? n : 0);  // distance to the other centres, at least
  const TrialPruning pruning{nearest.data(), weight ? plain.data() : closest.data(), centre_trial.data(), trials};
  DrawnRows<T> drawn(d);

  const auto w = [weight](std::size_t i) { return weight ? weight[i] : 1.0; };
  const auto take = [&](std::size_t c, const T* row) {
    std::copy(row, row + d, centers.begin() + static_cast<std::ptrdiff_t>(c * d));
  };
  // Centre c at `row`: closest = min(closest, w |x - row|^2) (or just that for c = 0), with
  // |x - row|^2 kept from trial `best` if kept, else computed, four rows at a time (infinity:
  // left out, no nearer). Without weights w = 1 and w d is d exactly. Returns this process's
  // potential.
  const auto absorb = [&](std::size_t c, const T* row, std::size_t best) {
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double dist[block_rows];
      if (c > 0 && keep) {
        for (std::size_t i = begin; i < end; ++i) dist[i - begin] = distances[i * trials + best];
      } else {
        score_rows(X, begin, 0, end - begin, row, c > 0 && prune ? &pruning : nullptr, best, dist, 1);
      }
      double pot = 0.0;
      for (std::size_t i = begin; i < end; ++i) {
        const double di = dist[i - begin];
        const bool nearer = c == 0 || w(i) * di < closest[i];
        if (!second.empty()) {  // unweighted: closest is the distance to the nearest centre
          const double other =
              c == 0   ? std::numeric_limits<double>::infinity()
              : nearer ? std::sqrt(closest[i])  // the old nearest becomes another centre
              : di < std::numeric_limits<double>::infinity()
                  ? std::sqrt(di)  // left out: |x - row| >= |row - nearest| - |x - nearest|
                  : lowered(std::sqrt(centre_trial[static_cast<std::size_t>(nearest[i]) * trials + best]),
                            std::sqrt(closest[i]));
          second[i] = c == 0 ? other : std::min(second[i], other);
        }
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
                     keep ? distances.data() : nullptr, prune ? &pruning : nullptr);
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

/// k distinct rows, uniformly (a partial Fisher-Yates shuffle of the row indices). With
/// weights, k distinct rows of positive weight, if there are k of them. `peers`: every
/// process calls this with its own rows and the same rng state; the draw is over the global
/// row numbers, so it picks what one process holding all the rows would.
template <class T>
std::vector<T> random_rows(Matrix<const T> X, std::size_t k, Rng& rng, const double* weight = nullptr,
                           Collective* peers = nullptr) {
  const std::size_t d = X.cols();
  std::vector<std::size_t> positive;  // the rows to draw from, when not all of them
  if (weight)
    for (std::size_t i = 0; i < X.rows(); ++i)
      if (weight[i] > 0) positive.push_back(i);
  // Every process's count of the rows to draw from, in process order.
  const auto all_counts = [peers](std::size_t mine) { return totals_of(peers, static_cast<double>(mine)); };
  std::vector<double> counts = all_counts(positive.size());
  if (!weight || sum_of(counts) < static_cast<double>(k)) {
    positive.clear();  // draw from all rows
    counts = all_counts(X.rows());
  }
  std::size_t n = 0, first = 0;  // rows to draw from: over all processes, before this one
  for (std::size_t j = 0; j < counts.size(); ++j) {
    if (peers && j == peers->rank()) first = n;
    n += static_cast<std::size_t>(counts[j]);
  }
  const std::size_t local = positive.empty() ? X.rows() : positive.size();
  std::unordered_map<std::size_t, std::size_t> moved;
  const auto at = [&](std::size_t i) {
    const auto it = moved.find(i);
    return it == moved.end() ? i : it->second;
  };
  DrawnRows<T> drawn(d);
  for (std::size_t c = 0; c < k; ++c) {
    const std::size_t j = c + static_cast<std::size_t>(rng.below(n - c));
    const std::size_t pick = at(j);
    moved[j] = at(c);
    if (pick >= first && pick - first < local)
      drawn.add(c, X.row(positive.empty() ? pick - first : positive[pick - first]));
  }
  return drawn.collect(peers, k);
}

/// Uniform in [0, 1) for global row `row` in k-means|| round `round`: a function of the
/// seed, round and row alone, so the rows a round samples do not depend on how the rows are
/// cut into blocks, threads or processes.
inline double row_uniform(std::uint64_t seed, std::uint64_t round, std::uint64_t row) noexcept {
  std::uint64_t state = seed ^ (0x9e3779b97f4a7c15ULL * (round + 1));
  state = splitmix64(state) ^ row;
  return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
}

/// k-means|| (Bahmani et al. 2012). One row is drawn (in proportion to weight), then each
/// round samples every row independently with probability min(1, l w d^2 / phi), where d is
/// its distance to the nearest candidate so far, phi the sum of w d^2 and l = oversampling x k;
/// rounds continue past `rounds` (at most 64 more) while there are fewer than k candidates and
/// phi > 0. Each candidate is weighted by the rows (their weights) nearest to it, and weighted
/// greedy k-means++ picks the k centroids among the candidates. With fewer than k distinct
/// rows, the missing centroids repeat candidates (the fit then relocates them).
///
/// `peers`: when the rows are spread over processes, every process calls this with its own
/// rows and the same rng state, and all get the same centroids.
template <class T>
std::vector<T> kmeans_parallel(ThreadPool& pool, Matrix<const T> X, std::size_t k, Rng& rng, double oversampling,
                               std::size_t rounds, const double* weight = nullptr, Collective* peers = nullptr) {
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t n_blocks = block_count(n);
  const std::size_t offset = peers ? peers->row_offset() : 0;
  const std::uint64_t seed = rng.next();
  const double l = oversampling * static_cast<double>(k);
  const auto w = [weight](std::size_t i) { return weight ? weight[i] : 1.0; };
  const auto global_sum = [peers](double value) {
    if (peers) peers->sum(&value, 1);
    return value;
  };

  std::vector<T> candidates;  // m x d, in the order they were drawn
  // Appends the rows every process picked (this one: `picked`, ascending) in global order.
  const auto add_candidates = [&](const std::vector<std::size_t>& picked) {
    std::vector<char> mine(picked.size() * d * sizeof(T));
    for (std::size_t r = 0; r < picked.size(); ++r)
      std::memcpy(mine.data() + r * d * sizeof(T), X.row(picked[r]), d * sizeof(T));
    const std::vector<char> all = peers ? peers->gather(mine) : std::move(mine);
    if (all.empty()) return;
    const std::size_t old = candidates.size();
    candidates.resize(old + all.size() / sizeof(T));
    std::memcpy(candidates.data() + old, all.data(), all.size());
  };

  candidates = draw_first_row(X, weight, rng, peers);

  // closest[i]: w |x_i - c|^2 to the nearest candidate c so far, nearest[i]: its index (the
  // lowest among equals: a later candidate takes over only when strictly nearer).
  std::vector<double> closest(n, 0.0), block_phi(n_blocks, 0.0);
  std::vector<std::uint32_t> nearest(n, 0);
  PackedCentroids<T> packed;
  const auto absorb = [&](std::size_t from) {  // candidates [from, m) are new
    const std::size_t m = candidates.size() / d;
    packed.assign(candidates.data() + from * d, m - from, d);
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double phi = 0.0;
      assign_rows(X, begin, end, packed, [&](std::size_t i, std::int32_t label) {
        const std::size_t c = from + static_cast<std::size_t>(label);
        const double dist = w(i) * squared_distance(X.row(i), candidates.data() + c * d, d);
        if (from == 0 || dist < closest[i]) {
          closest[i] = dist;
          nearest[i] = static_cast<std::uint32_t>(c);
        }
        phi += closest[i];
      });
      block_phi[b] = phi;
    });
    double phi = 0.0;
    for (const double p : block_phi) phi += p;
    return global_sum(phi);
  };
  double phi = absorb(0);

  for (std::size_t round = 1; phi > 0 && (round <= rounds || (candidates.size() / d < k && round <= rounds + 64));
       ++round) {
    std::vector<std::size_t> picked;
    // Row i is drawn when u_i phi < l closest[i] (probability min(1, l w d^2 / phi)).
    std::vector<std::vector<std::size_t>> block_pick(n_blocks);
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i)
        if (row_uniform(seed, round, offset + i) * phi < l * closest[i]) block_pick[b].push_back(i);
    });
    for (const auto& p : block_pick) picked.insert(picked.end(), p.begin(), p.end());
    const std::size_t from = candidates.size() / d;
    add_candidates(picked);
    if (candidates.size() / d > from) phi = absorb(from);
  }

  // Each candidate weighs as much as the rows nearest to it.
  const std::size_t m = candidates.size() / d;
  std::vector<double> mass(m, 0.0);
  {
    std::vector<std::vector<double>> slots(slot_count(pool.size(), n_blocks, m * sizeof(double)),
                                           std::vector<double>(m));
    for_blocks_ordered(
        pool, n, slots,
        [&](std::vector<double>& s, std::size_t begin, std::size_t end) {
          std::fill(s.begin(), s.end(), 0.0);
          for (std::size_t i = begin; i < end; ++i) s[nearest[i]] += w(i);
        },
        [&](const std::vector<double>& s, std::size_t) {
          for (std::size_t c = 0; c < m; ++c) mass[c] += s[c];
        });
    if (peers) peers->sum(mass.data(), m);
  }
  if (m <= k) {
    std::vector<T> centers(k * d);
    for (std::size_t c = 0; c < k; ++c) std::copy_n(candidates.data() + (c % m) * d, d, centers.data() + c * d);
    return centers;
  }
  return kmeans_plus_plus(pool, Matrix<const T>(candidates.data(), m, d), k, rng, mass.data());
}

/// Throws std::invalid_argument for init options no initialisation could use.
inline void validate_init(const Options& o) {
  if (o.init != Init::kmeans_plus_plus && o.init != Init::random && o.init != Init::kmeans_parallel)
    throw_invalid_argument("init has no such value: ", static_cast<int>(o.init));
  if (!(o.oversampling > 0) || !std::isfinite(o.oversampling))
    throw_invalid_argument("oversampling must be finite and > 0, got ", o.oversampling);
  if (o.init_rounds == 0) throw_invalid_argument("init_rounds must be at least 1, got 0");
}

/// `seeded`: filled where the initialisation knows the rows' nearest centroids (k-means++
/// without weights), else left empty.
template <class T>
std::vector<T> initial_centroids(ThreadPool& pool, Matrix<const T> X, std::size_t k, const Options& options, Rng& rng,
                                 const double* weight = nullptr, SeededRows* seeded = nullptr) {
  switch (options.init) {
    case Init::random: return random_rows(X, k, rng, weight);
    case Init::kmeans_parallel:
      return kmeans_parallel(pool, X, k, rng, options.oversampling, options.init_rounds, weight);
    case Init::kmeans_plus_plus: break;
  }
  return kmeans_plus_plus(pool, X, k, rng, weight, nullptr, kmeans_pp_keep_bytes, true, seeded);
}

}  // namespace detail

/// @brief The centroids a fit with these options starts from (its first restart), as a
/// row-major n_clusters x X.cols() array. Throws std::invalid_argument for bad input.
template <class T>
std::vector<T> initial_centroids(Matrix<const T> X, const Options& options) {
  if (X.rows() == 0 || X.cols() == 0)
    detail::throw_invalid_argument("X must have rows and columns, got ", X.rows(), " x ", X.cols());
  if (options.n_clusters == 0 || options.n_clusters > X.rows())
    detail::throw_invalid_argument("n_clusters (", options.n_clusters, ") must be in [1, rows of X = ", X.rows(), "]");
  detail::validate_init(options);
  detail::ThreadPool pool(options.n_threads == 0 ? detail::hardware_threads() : options.n_threads);
  detail::require_usable(pool, X, "X", X.rows());
  detail::Rng rng(detail::derive_seed(options.seed, 0));
  return detail::initial_centroids(pool, X, options.n_clusters, options, rng);
}

}  // namespace kmeans
