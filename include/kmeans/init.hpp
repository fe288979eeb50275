#pragma once
// Initial centroids: greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's
// 2 + floor(ln k) local trials per centre) and k distinct random rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "detail/blocks.hpp"
#include "detail/distance.hpp"
#include "detail/error.hpp"
#include "detail/random.hpp"
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

/// Greedy k-means++. With weights (one per row, or null for all ones) rows are drawn in
/// proportion to weight x squared distance, and the first in proportion to weight.
template <class T>
std::vector<T> kmeans_plus_plus(ThreadPool& pool, Matrix<const T> X, std::size_t k, Rng& rng,
                                const double* weight = nullptr) {
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t n_blocks = block_count(n);
  const std::size_t trials = 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
  std::vector<T> centers(k * d);
  std::vector<double> closest(n), block_pot(n_blocks), trial_pot(n_blocks * trials);
  std::vector<const T*> candidate(trials);

  const auto w = [weight](std::size_t i) { return weight ? weight[i] : 1.0; };
  const auto take = [&](std::size_t c, const T* row) {
    std::copy(row, row + d, centers.begin() + static_cast<std::ptrdiff_t>(c * d));
  };
  // closest = min(closest, w |x - row|^2) (or just that on the first centre). Without weights
  // w = 1 and w d is d exactly.
  const auto absorb = [&](const T* row, bool first) {
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double pot = 0.0;
      for (std::size_t i = begin; i < end; ++i) {
        const double dist = w(i) * squared_distance(X.row(i), row, d);
        closest[i] = first ? dist : std::min(closest[i], dist);
        pot += closest[i];
      }
      block_pot[b] = pot;
    });
    double total = 0.0;
    for (const double p : block_pot) total += p;
    return total;
  };

  std::size_t first_row = 0;
  if (weight) {
    // block_pot holds the weights' block sums until the first centre's distances replace them.
    double total = 0.0;
    for (std::size_t b = 0; b < n_blocks; ++b) {
      block_pot[b] = 0.0;
      for (std::size_t i = b * block_rows; i < std::min(n, (b + 1) * block_rows); ++i) block_pot[b] += weight[i];
      total += block_pot[b];
    }
    first_row = sample_row(weight, n, block_pot, rng.uniform() * total);
  } else {
    first_row = static_cast<std::size_t>(rng.below(n));
  }
  const T* first = X.row(first_row);
  take(0, first);
  double pot = absorb(first, true);
  for (std::size_t c = 1; c < k; ++c) {
    for (std::size_t t = 0; t < trials; ++t) {
      const std::size_t row = pot > 0 ? sample_row(closest.data(), n, block_pot, rng.uniform() * pot)
                                      : static_cast<std::size_t>(rng.below(n));
      candidate[t] = X.row(row);
    }
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      // One candidate at a time, its sum in a register (an array indexed by t would live in
      // memory); the block's rows stay in cache across candidates.
      for (std::size_t t = 0; t < trials; ++t) {
        double pot = 0.0;
        for (std::size_t i = begin; i < end; ++i)
          pot += std::min(closest[i], w(i) * squared_distance(X.row(i), candidate[t], d));
        trial_pot[b * trials + t] = pot;
      }
    });
    std::size_t best = 0;
    double best_pot = 0.0;
    for (std::size_t t = 0; t < trials; ++t) {
      double p = 0.0;
      for (std::size_t b = 0; b < n_blocks; ++b) p += trial_pot[b * trials + t];
      if (t == 0 || p < best_pot) {
        best = t;
        best_pot = p;
      }
    }
    take(c, candidate[best]);
    pot = absorb(candidate[best], false);
  }
  return centers;
}

/// k distinct rows, uniformly (a partial Fisher-Yates shuffle of the row indices). With
/// weights, k distinct rows of positive weight, if there are k of them.
template <class T>
std::vector<T> random_rows(Matrix<const T> X, std::size_t k, Rng& rng, const double* weight = nullptr) {
  const std::size_t d = X.cols();
  std::vector<std::size_t> positive;  // the rows to draw from, when not all of them
  if (weight) {
    for (std::size_t i = 0; i < X.rows(); ++i)
      if (weight[i] > 0) positive.push_back(i);
    if (positive.size() < k) positive.clear();
  }
  const std::size_t n = positive.empty() ? X.rows() : positive.size();
  std::unordered_map<std::size_t, std::size_t> moved;
  const auto at = [&](std::size_t i) {
    const auto it = moved.find(i);
    return it == moved.end() ? i : it->second;
  };
  std::vector<T> centers(k * d);
  for (std::size_t c = 0; c < k; ++c) {
    const std::size_t j = c + static_cast<std::size_t>(rng.below(n - c));
    const std::size_t pick = at(j);
    moved[j] = at(c);
    const T* x = X.row(positive.empty() ? pick : positive[pick]);
    std::copy(x, x + d, centers.begin() + static_cast<std::ptrdiff_t>(c * d));
  }
  return centers;
}

template <class T>
std::vector<T> initial_centroids(ThreadPool& pool, Matrix<const T> X, std::size_t k, Init init, Rng& rng,
                                 const double* weight = nullptr) {
  return init == Init::random ? random_rows(X, k, rng, weight) : kmeans_plus_plus(pool, X, k, rng, weight);
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
  detail::ThreadPool pool(options.n_threads == 0 ? detail::hardware_threads() : options.n_threads);
  detail::require_usable(pool, X, "X", X.rows());
  detail::Rng rng(detail::derive_seed(options.seed, 0));
  return detail::initial_centroids(pool, X, options.n_clusters, options.init, rng);
}

}  // namespace kmeans
