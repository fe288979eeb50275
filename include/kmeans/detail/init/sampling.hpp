#pragma once
// Drawing rows, on one process or over several: a row in proportion to weights or
// potentials, a row uniformly, k distinct rows (Init::random). Every draw is over the global
// row numbers, so it picks what one process holding all the rows would.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <vector>

#include "../../matrix.hpp"
#include "../blocks.hpp"
#include "../collective.hpp"
#include "../random.hpp"

namespace kmeans::detail {

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

/// Whether the n weights of every process's rows are all one positive value. A draw in
/// proportion to them is then a uniform draw.
inline bool weights_alike(const double* weight, std::size_t n, Collective* peers) {
  double low = std::numeric_limits<double>::infinity(), high = -low;  // a process without rows: no say
  for (std::size_t i = 0; i < n; ++i) {
    low = std::min(low, weight[i]);
    high = std::max(high, weight[i]);
  }
  if (peers) {
    const std::vector<double> all = gather_doubles(*peers, {low, high});
    for (std::size_t r = 0; r < all.size(); r += 2) {
      low = std::min(low, all[r]);
      high = std::max(high, all[r + 1]);
    }
  }
  return low == high && low > 0;
}

/// The first centre of k-means++ and k-means||: one row drawn in proportion to weight
/// (uniformly without weights) over every process's rows; every process gets its values.
/// Weights all alike draw as no weights do, so that they give the unweighted fit, bit for bit
/// (scikit-learn's parity: unit weights, or all weights scaled by a constant, change nothing).
template <class T>
std::vector<T> draw_first_row(Matrix<const T> X, const double* weight, Rng& rng, Collective* peers) {
  DrawnRows<T> drawn(X.cols());
  if (weight && !weights_alike(weight, X.rows(), peers)) {
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

}  // namespace kmeans::detail
