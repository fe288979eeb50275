#pragma once
// The clusters' sums for the centroid update. Each block of rows sums its rows per cluster (in
// double, weighted) into an entry of its own; entries are added in block order, so the totals
// are the same bits on any thread count. Where memory allows, each block keeps its sums from
// pass to pass and sums again only the clusters a row of it joined or left: the others already
// hold the bits a fresh sum would give.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../matrix.hpp"
#include "blocks.hpp"
#include "distance.hpp"
#include "thread_pool.hpp"

namespace kmeans::detail {

/// One block's scratch and results in a pass, in a slot of its own (blocks.hpp).
struct BlockSlot {
  std::vector<std::size_t> start;  // k, for grouping the block's rows by cluster
  std::vector<std::size_t> order;  // block_rows: the block's rows grouped by cluster
  std::vector<std::size_t> scan;   // Hamerly, Yinyang: the block's rows their bounds leave open
  double inertia = 0.0;
  std::size_t changed = 0;
  std::size_t evaluations = 0;  // row-to-centroid distances computed

  void start_block() {
    inertia = 0.0;
    changed = 0;
    evaluations = 0;
  }
};

/// The clusters' sums of a block's rows, for the centroid update: one entry per block, kept
/// from pass to pass (a pass sums again only the clusters marked stale: those a row of the
/// block joined or left), or, where that would take too much memory, one entry per slot,
/// every cluster summed in every pass.
struct BlockSums {
  std::vector<double> sums;          // entries x k x d (weighted), rows valid where counts > 0
  std::vector<std::int64_t> counts;  // entries x k: rows
  std::vector<double> mass;          // entries x k: their total weight (= counts without weights)
  std::vector<std::uint8_t> stale;   // entries x k: to be summed again by the next pass
  std::size_t k = 0, d = 0;
  bool per_block = false;

  /// Kept per block when that takes at most max(64 MiB, half of X's bytes): the n / 256 x k
  /// x d sums are then at most that; beyond it, the fit sums every row in every pass.
  static bool keep_per_block(std::size_t n_blocks, std::size_t k, std::size_t d, std::size_t x_bytes) noexcept {
    const double bytes = static_cast<double>(n_blocks) * static_cast<double>(k) * static_cast<double>(d + 2) * 8.0;
    return bytes <= std::max(64.0 * (1 << 20), 0.5 * static_cast<double>(x_bytes));
  }

  void resize(std::size_t entries, std::size_t k_, std::size_t d_, bool per_block_) {
    k = k_;
    d = d_;
    per_block = per_block_;
    sums.resize(entries * k * d);
    counts.resize(entries * k);
    mass.resize(entries * k);
    stale.assign(entries * k, 1);
  }
  void all_stale() { std::fill(stale.begin(), stale.end(), std::uint8_t{1}); }
  void all_fresh() { std::fill(stale.begin(), stale.end(), std::uint8_t{0}); }
  /// Row moved from cluster `from` to `to` (from < 0: no cluster yet) in entry e.
  void moved(std::size_t e, std::int32_t from, std::int32_t to) {
    if (from >= 0) stale[e * k + static_cast<std::size_t>(from)] = 1;
    stale[e * k + static_cast<std::size_t>(to)] = 1;
  }
  double* sum(std::size_t e, std::size_t c) noexcept { return sums.data() + (e * k + c) * d; }
  std::int64_t* counts_of(std::size_t e) noexcept { return counts.data() + e * k; }
  double* mass_of(std::size_t e) noexcept { return mass.data() + e * k; }
  std::uint8_t* stale_of(std::size_t e) noexcept { return stale.data() + e * k; }
};

/// The clusters' totals (k x d weighted sums, row counts, weights) and the block entries they
/// are formed from.
class ClusterSums {
 public:
  BlockSums blocks;
  std::vector<double> sums;          // k x d
  std::vector<std::int64_t> counts;  // k
  std::vector<double> mass;          // k

  /// Entries for a pass over n_blocks blocks run in n_slots slots; per block when
  /// `keep_per_block` and BlockSums::keep_per_block allow.
  void reserve(std::size_t n_slots, std::size_t n_blocks, std::size_t k, std::size_t d, std::size_t x_bytes,
               bool keep_per_block) {
    k_ = k;
    d_ = d;
    const bool per_block = keep_per_block && BlockSums::keep_per_block(n_blocks, k, d, x_bytes);
    blocks.resize(per_block ? n_blocks : n_slots, k, d, per_block);
  }

  /// The per-block sums are O(n k d / 256): a fit frees them when it returns, rather than have
  /// an idle model hold them.
  void release() {
    if (blocks.per_block) blocks = BlockSums{};
  }

  /// Clears the totals for a pass that accumulates (with per-block sums, the pass clears those
  /// it forms again), and says how its blocks sum their rows per cluster. Two ways, both adding
  /// each cluster's rows in ascending order (the same bits): row by row when an entry's k x d
  /// sums fit in L2 beside the block; or grouped by cluster, so each sum row is touched once,
  /// when the entry is large.
  template <bool Accumulate>
  bool start_pass() {
    if (!Accumulate) return false;
    if (blocks.per_block) {
      sums.resize(k_ * d_);
      counts.resize(k_);
      mass.resize(k_);
    } else {
      sums.assign(k_ * d_, 0.0);
      counts.assign(k_, 0);
      mass.assign(k_, 0.0);
    }
    return k_ * d_ * sizeof(double) <= (std::size_t{256} << 10);
  }

  /// The entry of the block that starts at row `begin`, run in slot `slot`. Without per-block
  /// sums the entry is the slot's and every cluster is summed afresh.
  std::size_t entry_of(std::size_t slot, std::size_t begin) {
    if (blocks.per_block) return begin / block_rows;
    std::fill_n(blocks.stale_of(slot), k_, std::uint8_t{1});
    return slot;
  }

  /// Rows [begin, end) of X, labelled `labels`, summed per cluster into entry e, each cluster's
  /// rows in ascending order: the stale clusters only (all of them without per-block sums). Row
  /// by row, or with the rows first grouped by cluster (a counting sort), so that each
  /// cluster's sum row is read and written once per block rather than once per row.
  template <class T>
  void accumulate_block(BlockSlot& s, std::size_t e, Matrix<const T> X, const double* weight,
                        const std::vector<std::int32_t>& labels, std::size_t begin, std::size_t end, bool row_by_row) {
    std::int64_t* block_counts = blocks.counts_of(e);
    std::uint8_t* stale = blocks.stale_of(e);
    std::size_t n_stale = 0;
    for (std::size_t c = 0; c < k_; ++c) {
      if (!stale[c]) continue;
      block_counts[c] = 0;
      ++n_stale;
    }
    if (n_stale == 0) return;
    const auto stale_row = [&](std::size_t i) { return stale[static_cast<std::size_t>(labels[i])] != 0; };
    const auto add = [&](std::size_t i) {
      add_row(e, static_cast<std::size_t>(labels[i]), X.row(i), weight ? weight[i] : 1.0);
    };
    if (row_by_row) {
      for (std::size_t i = begin; i < end; ++i)
        if (stale_row(i)) add(i);
    } else {
      for (std::size_t i = begin; i < end; ++i)
        if (stale_row(i)) ++block_counts[static_cast<std::size_t>(labels[i])];
      std::size_t offset = 0;
      for (std::size_t c = 0; c < k_; ++c) {
        s.start[c] = offset;
        if (stale[c]) offset += static_cast<std::size_t>(block_counts[c]);
        block_counts[c] = stale[c] ? 0 : block_counts[c];
      }
      for (std::size_t i = begin; i < end; ++i)
        if (stale_row(i)) s.order[s.start[static_cast<std::size_t>(labels[i])]++] = i;
      for (std::size_t r = 0; r < offset; ++r) add(s.order[r]);
    }
  }

  /// Without per-block sums, after a wave of n slots: their entries added into the totals.
  void add_wave(ThreadPool& pool, std::size_t n) {
    if (!blocks.per_block) add_entries(pool, n, nullptr);
  }

  /// With per-block sums, after the pass: the totals of every cluster that some block summed
  /// again (every cluster, with `all`), formed afresh from all blocks in block order. The other
  /// clusters' totals are still the last pass's, the bits a fresh merge would give.
  void merge_blocks(ThreadPool& pool, bool all) {
    const std::size_t n_blocks = blocks.counts.size() / k_;
    dirty_.assign(k_, all ? 1 : 0);
    for (std::size_t e = 0; e < n_blocks; ++e) {
      const std::uint8_t* stale = blocks.stale_of(e);
      for (std::size_t c = 0; c < k_; ++c) dirty_[c] |= stale[c];
    }
    for (std::size_t c = 0; c < k_; ++c) {
      if (!dirty_[c]) continue;
      std::fill_n(sums.data() + c * d_, d_, 0.0);
      counts[c] = 0;
      mass[c] = 0.0;
    }
    add_entries(pool, n_blocks, dirty_.data());
    blocks.all_fresh();
  }

  /// next = the weighted means of the clusters; a cluster without weight keeps its centroid.
  template <class T>
  void means(const std::vector<T>& centroids, std::vector<T>& next) const {
    for (std::size_t c = 0; c < k_; ++c) {
      for (std::size_t j = 0; j < d_; ++j) {
        next[c * d_ + j] = mass[c] > 0 ? static_cast<T>(sums[c * d_ + j] / mass[c]) : centroids[c * d_ + j];
      }
    }
  }

 private:
  /// In entry e: sums[c] += w x (or = w x for the block's first row of cluster c), counts[c]
  /// += 1, mass[c] += w. Without weights w = 1: w x is x exactly and mass equals counts.
  template <class T>
  void add_row(std::size_t e, std::size_t c, const T* x, double w) {
    double* sum = blocks.sum(e, c);
    double& m = blocks.mass_of(e)[c];
    if (blocks.counts_of(e)[c]++ == 0) {
      scaled_add<true>(sum, w, x, d_);
      m = w;
    } else {
      scaled_add<false>(sum, w, x, d_);
      m += w;
    }
  }

  /// Adds block-sum entries 0 .. n - 1, in that order, into the totals of every cluster (or of
  /// those `only` marks): by all threads, each a range of clusters.
  void add_entries(ThreadPool& pool, std::size_t n, const std::uint8_t* only) {
    const std::size_t parts = std::min(pool.size(), k_);
    pool.run(parts, [&](std::size_t part) {
      for (std::size_t c = k_ * part / parts; c < k_ * (part + 1) / parts; ++c) {
        if (only && !only[c]) continue;
        double* to = sums.data() + c * d_;
        for (std::size_t e = 0; e < n; ++e) {
          const std::int64_t count = blocks.counts_of(e)[c];
          if (count == 0) continue;
          counts[c] += count;
          mass[c] += blocks.mass_of(e)[c];
          scaled_add<false>(to, 1.0, blocks.sum(e, c), d_);
        }
      }
    });
  }

  std::size_t k_ = 0, d_ = 0;
  std::vector<std::uint8_t> dirty_;  // k: clusters whose totals merge_blocks forms again
};

}  // namespace kmeans::detail
