#pragma once
// The iteration of every exact algorithm. Per iteration, one pass over X: each block labels
// its rows — Lloyd by scoring every centroid with the kernel, Hamerly, Elkan and Yinyang by
// moving their bounds (bounds.hpp) and computing only the distances those leave open — counts label
// changes, sums direct squared distances (when the callback will read them) and accumulates
// its rows into per-cluster sums (double), in an entry of its own; entries merge in block
// order. Where memory allows, each block keeps its sums from pass to pass and sums again only
// the clusters whose rows in it changed: the others already hold the bits a fresh sum would
// give. Then the centroids are the means, and empty clusters take the rows farthest from their
// centroids. After the last iteration one more pass labels the rows for the final centroids
// and sums their inertia (only sums it, when the last pass found the labels stable). All four
// algorithms give the same labels, so the same bits.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "../matrix.hpp"
#include "../options.hpp"
#include "blocks.hpp"
#include "bounds.hpp"
#include "collective.hpp"
#include "kernel.hpp"
#include "simd.hpp"

namespace kmeans::detail {

template <class T>
struct LloydResult {
  std::vector<T> centroids;          // k x d
  std::vector<std::int32_t> labels;  // of the final centroids
  double inertia = 0.0;              // of the final centroids
  std::size_t n_iter = 0;
  bool converged = false;
  bool stopped = false;  // the callback returned false
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

/// Lloyd's working memory, kept by the model between fits so that refitting allocates
/// nothing: block slots, the blocks' cluster sums, cluster totals, packed centroids.
template <class T>
struct LloydBuffers {
  struct Slot {
    std::vector<std::size_t> start;  // k, for grouping the block's rows by cluster
    std::vector<std::size_t> order;  // block_rows: the block's rows grouped by cluster
    std::vector<std::size_t> scan;   // Hamerly: the block's rows its bounds leave open
    double inertia = 0.0;
    std::size_t changed = 0;
    std::size_t evaluations = 0;  // row-to-centroid distances computed

    void start_block() {
      inertia = 0.0;
      changed = 0;
      evaluations = 0;
    }
  };
  std::vector<Slot> slots;
  BlockSums block_sums;
  std::vector<double> sums;          // k x d
  std::vector<std::int64_t> counts;  // k
  std::vector<double> mass;          // k
  std::vector<std::uint8_t> dirty;   // k: clusters whose totals a pass forms again
  PackedCentroids<T> packed;
  CentroidGeometry geometry;  // the bounded algorithms
  HamerlyBounds hamerly;
  ElkanBounds elkan;
  YinyangBounds yinyang;

  /// The bounds are O(n) (Elkan: O(n k)), the per-block sums O(n k d / 256): a fit frees them
  /// when it returns, rather than have an idle model hold them.
  void release_bounds() {
    if (block_sums.per_block) block_sums = BlockSums{};
    hamerly = HamerlyBounds{};
    elkan = ElkanBounds{};
    yinyang = YinyangBounds{};
  }

  bool keep_block_sums = true;  // false: sum every row in every pass (the tests compare the two)

  void reserve(std::size_t n_slots, std::size_t n_blocks, std::size_t k, std::size_t d, std::size_t x_bytes) {
    slots.resize(n_slots);
    const bool per_block = keep_block_sums && BlockSums::keep_per_block(n_blocks, k, d, x_bytes);
    block_sums.resize(per_block ? n_blocks : n_slots, k, d, per_block);
    for (auto& s : slots) {
      s.start.resize(k);
      s.order.resize(block_rows);
      s.scan.reserve(block_rows);
    }
  }
};

template <class T>
class Lloyd {
 public:
  /// `method`: lloyd, hamerly, elkan or yinyang (the model resolves automatic). `weight`: one per row
  /// (finite, >= 0, not all zero), or null for all ones.
  Lloyd(ThreadPool& pool, Matrix<const T> X, std::size_t k, LloydBuffers<T>& buffers, Algorithm method,
        const double* weight = nullptr, Collective* peers = nullptr)
      : method_(method),
        weight_(weight),
        peers_(peers),
        buffers_(buffers),
        pool_(pool),
        X_(X),
        k_(k),
        d_(X.cols()),
        slots_(buffers.slots),
        block_sums_(buffers.block_sums),
        sums_(buffers.sums),
        counts_(buffers.counts),
        mass_(buffers.mass),
        packed_(buffers.packed) {
    buffers.reserve(slot_count(pool.size(), block_count(X.rows()), (k * d_ + k) * 8), block_count(X.rows()), k, d_,
                    X.rows() * d_ * sizeof(T));
  }

  /// Iterates from `centroids` until a stopping rule holds. `seeded` (Lloyd, or Hamerly with
  /// bounds; one process): the rows' labels (and bounds) for these centroids, taken over (moved
  /// from), so that the first pass only sums the rows (Lloyd) or skips those the bounds settle
  /// (Hamerly) instead of scoring every row; the same labels, so the same result.
  LloydResult<T> run(std::vector<T> centroids, const Options& options, double tol_scaled,
                     SeededRows* seeded = nullptr) {
    LloydResult<T> out;
    out.labels.assign(X_.rows(), -1);
    if (method_ == Algorithm::hamerly) buffers_.hamerly.reset(X_.rows());
    const bool from_seed = seeded && !peers_ && seeded->labels.size() == X_.rows() &&
                           (method_ == Algorithm::lloyd || (method_ == Algorithm::hamerly && seeded->bounds));
    if (from_seed) {
      out.labels = std::move(seeded->labels);
      if (method_ == Algorithm::hamerly) {
        buffers_.hamerly.upper = std::move(seeded->upper);
        buffers_.hamerly.lower = std::move(seeded->lower);
        buffers_.geometry.update(pool_, centroids.data(), centroids.data(), k_, d_, false);  // no shifts
      }
    }
    if (method_ == Algorithm::elkan) buffers_.elkan.reset(X_.rows(), k_);
    if (method_ == Algorithm::yinyang) buffers_.yinyang.reset(X_.rows(), centroids.data(), k_, d_);
    block_sums_.all_stale();  // they may hold another run's sums
    std::vector<T> next(centroids.size());
    // The per-iteration inertia costs a distance per row; only the callback reads it.
    const bool want_inertia = static_cast<bool>(options.on_iteration);
    bool labels_current = false;  // labels and out.inertia belong to `centroids`
    bool labels_stable = false;   // the labels do, the inertia was not summed
    for (std::size_t it = 1; it <= options.max_iter; ++it) {
      Pass pass = it == 1 && from_seed && method_ == Algorithm::lloyd
                      ? assign<true>(centroids, out.labels, want_inertia, true)
                      : label_pass<true>(centroids, out.labels, want_inertia, it == 1 && !from_seed);
      if (peers_) share<true>(pass);
      out.n_iter = it;
      out.inertia = pass.inertia;
      labels_current = want_inertia;
      if (!options.run_till_max_iter && it > 1 && pass.changed == 0) {
        out.converged = true;
        labels_stable = true;
        if (options.on_iteration) options.on_iteration(Iteration{it, pass.inertia, 0.0, pass.evaluations});
        break;
      }
      update(centroids, next, out.labels);
      if (method_ != Algorithm::lloyd)
        buffers_.geometry.update(pool_, centroids.data(), next.data(), k_, d_, method_ == Algorithm::elkan);
      double shift = 0.0;
      for (std::size_t i = 0; i < next.size(); ++i) {
        const double t = static_cast<double>(next[i]) - static_cast<double>(centroids[i]);
        shift += t * t;
      }
      centroids.swap(next);
      labels_current = false;
      bool stop = options.on_iteration && !options.on_iteration(Iteration{it, pass.inertia, shift, pass.evaluations});
      if (peers_) stop = peers_->any(stop);  // every process stops together
      if (stop) {
        out.stopped = true;
        break;
      }
      if (!options.run_till_max_iter && shift <= tol_scaled) {
        out.converged = true;
        break;
      }
    }
    if (!labels_current) {
      Pass last =
          labels_stable ? inertia_pass(centroids, out.labels) : label_pass<false>(centroids, out.labels, true, false);
      if (peers_) share<false>(last);
      out.inertia = last.inertia;
    }
    out.centroids = std::move(centroids);
    return out;
  }

 private:
  using Slot = typename LloydBuffers<T>::Slot;
  struct Pass {
    double inertia = 0.0;
    std::size_t changed = 0;
    std::size_t evaluations = 0;
  };

  /// The inertia of labels that belong to `centroids`: each row's direct distance to its own
  /// centroid, summed per block in row order and merged in block order as a labelling pass
  /// with want_inertia sums it (the same bits), without labelling the rows again.
  Pass inertia_pass(const std::vector<T>& centroids, const std::vector<std::int32_t>& labels) {
    Pass pass;
    for_block_waves(
        pool_, X_.rows(), slots_,
        [&](Slot& s, std::size_t begin, std::size_t end) {
          s.start_block();
          add_inertia(s, begin, end, centroids, labels);
        },
        [&](std::size_t n) { merge_wave<false>(n, pass); });
    return pass;
  }

  /// Adds to the slot the weighted direct distances of rows [begin, end) to their centroids.
  void add_inertia(Slot& s, std::size_t begin, std::size_t end, const std::vector<T>& centroids,
                   const std::vector<std::int32_t>& labels) const {
    for (std::size_t i = begin; i < end; ++i)
      s.inertia +=
          weight(i) * squared_distance(X_.row(i), centroids.data() + static_cast<std::size_t>(labels[i]) * d_, d_);
  }

  /// One pass of the chosen method; `first`: the bounds hold nothing yet.
  template <bool Accumulate>
  Pass label_pass(const std::vector<T>& centroids, std::vector<std::int32_t>& labels, bool want_inertia, bool first) {
    if (method_ == Algorithm::lloyd) return assign<Accumulate>(centroids, labels, want_inertia);
    Pass pass = bounded_pass<Accumulate>(centroids, labels, want_inertia, first);
    buffers_.geometry.shifts_applied();
    return pass;
  }

  /// Clears the clusters' totals for a pass that accumulates (with per-block sums, the pass
  /// clears those it forms again), and says how its blocks sum their rows per cluster. Two
  /// ways, both adding each cluster's rows in ascending order (the same bits): row by row when
  /// an entry's k x d sums fit in L2 beside the block; or grouped by cluster, so each sum row
  /// is touched once, when the entry is large.
  template <bool Accumulate>
  bool start_pass() {
    if (!Accumulate) return false;
    if (block_sums_.per_block) {
      sums_.resize(k_ * d_);
      counts_.resize(k_);
      mass_.resize(k_);
    } else {
      sums_.assign(k_ * d_, 0.0);
      counts_.assign(k_, 0);
      mass_.assign(k_, 0.0);
    }
    return k_ * d_ * sizeof(double) <= (std::size_t{256} << 10);
  }

  /// The block sums' entry of the block that starts at row `begin`, run in slot s. Without
  /// per-block sums the entry is the slot's and every cluster is summed afresh.
  std::size_t entry_of(const Slot& s, std::size_t begin) {
    if (block_sums_.per_block) return begin / block_rows;
    const auto e = static_cast<std::size_t>(&s - slots_.data());
    std::fill_n(block_sums_.stale_of(e), k_, std::uint8_t{1});
    return e;
  }

  /// Row i of entry e is labelled `label` by a pass.
  void relabel(Slot& s, std::size_t e, std::size_t i, std::int32_t label, std::vector<std::int32_t>& labels) {
    if (labels[i] == label) return;
    ++s.changed;
    block_sums_.moved(e, labels[i], label);
    labels[i] = label;
  }

  /// Labels every row; with Accumulate, also fills sums_ and counts_ with the clusters' totals;
  /// with want_inertia, sums the direct squared distances to the assigned centroids.
  /// `labelled`: the labels already belong to `centroids` (from the initialisation), so the
  /// rows are not scored, only summed (the same totals and inertia, in the same order).
  template <bool Accumulate>
  Pass assign(const std::vector<T>& centroids, std::vector<std::int32_t>& labels, bool want_inertia,
              bool labelled = false) {
    if (!labelled) packed_.assign(centroids.data(), k_, d_);
    const bool row_by_row = start_pass<Accumulate>();
    Pass pass;
    for_block_waves(
        pool_, X_.rows(), slots_,
        [&](Slot& s, std::size_t begin, std::size_t end) {
          s.start_block();
          const std::size_t e = entry_of(s, begin);
          if (labelled) {
            if (want_inertia) add_inertia(s, begin, end, centroids, labels);
          } else {
            assign_rows(X_, begin, end, packed_, [&](std::size_t i, std::int32_t label) {
              const auto c = static_cast<std::size_t>(label);
              if (want_inertia) s.inertia += weight(i) * squared_distance(X_.row(i), centroids.data() + c * d_, d_);
              relabel(s, e, i, label, labels);
            });
          }
          if (Accumulate) accumulate_block(s, e, labels, begin, end, row_by_row);
        },
        [&](std::size_t n) { merge_wave<Accumulate>(n, pass); });
    if (Accumulate && block_sums_.per_block) merge_blocks();
    pass.evaluations = labelled ? (want_inertia ? X_.rows() : 0) : X_.rows() * k_;
    return pass;
  }

  /// A bounded algorithm's pass: each block labels its rows from the bounds, then sums them
  /// as Lloyd does (the same order, so the same bits).
  template <bool Accumulate>
  Pass bounded_pass(const std::vector<T>& centroids, std::vector<std::int32_t>& labels, bool want_inertia, bool first) {
    if (method_ == Algorithm::hamerly || method_ == Algorithm::yinyang) packed_.assign(centroids.data(), k_, d_);
    if (method_ == Algorithm::yinyang && !first) buffers_.yinyang.take_shifts(buffers_.geometry);
    const bool row_by_row = start_pass<Accumulate>();
    Pass pass;
    for_block_waves(
        pool_, X_.rows(), slots_,
        [&](Slot& s, std::size_t begin, std::size_t end) {
          s.start_block();
          const std::size_t e = entry_of(s, begin);
          if (method_ == Algorithm::hamerly)
            label_block_rows(buffers_.hamerly, s, e, begin, end, centroids, labels, first);
          else if (method_ == Algorithm::yinyang)
            label_block_rows(buffers_.yinyang, s, e, begin, end, centroids, labels, first);
          else
            label_block_elkan(s, e, begin, end, centroids, labels, first);
          if (want_inertia) add_inertia(s, begin, end, centroids, labels);
          if (Accumulate) accumulate_block(s, e, labels, begin, end, row_by_row);
        },
        [&](std::size_t n) { merge_wave<Accumulate>(n, pass); });
    if (Accumulate && block_sums_.per_block) merge_blocks();
    return pass;
  }

  /// Hamerly's or Yinyang's labels: rows whose bounds settle their label are skipped; the rest
  /// go through Lloyd's kernel, which also gives their new lower bounds.
  template <class Bounds>
  void label_block_rows(Bounds& bounds, Slot& s, std::size_t e, std::size_t begin, std::size_t end,
                        const std::vector<T>& centroids, std::vector<std::int32_t>& labels, bool first) {
    const CentroidGeometry& g = buffers_.geometry;
    const auto distance_to = [&](std::size_t i, std::size_t c) {
      return std::sqrt(squared_distance(X_.row(i), centroids.data() + c * d_, d_));
    };
    // The rows the bounds leave open, then those still open after one direct distance: each
    // list written without a branch per row (which rows settle is data, not a pattern).
    s.scan.resize(end - begin);
    std::size_t open = 0;
    for (std::size_t i = begin; i < end; ++i) {
      s.scan[open] = i;
      open += first || !bounds.still_nearest(i, static_cast<std::size_t>(labels[i]), g);
    }
    if (!first) {
      s.evaluations += open;
      std::size_t still_open = 0;
      for (std::size_t t = 0; t < open; ++t) {
        const std::size_t i = s.scan[t];
        const auto a = static_cast<std::size_t>(labels[i]);
        s.scan[still_open] = i;
        still_open += !bounds.tightened_still_nearest(i, a, distance_to(i, a), g);
      }
      open = still_open;
    }
    s.scan.resize(open);
    const auto relabel = [&](std::size_t i, std::int32_t label) {
      this->relabel(s, e, i, label, labels);
      return static_cast<std::size_t>(label);
    };
    const auto open_row = [&](std::size_t t) { return s.scan[t]; };
    if constexpr (std::is_same_v<Bounds, YinyangBounds>) {
      assign_rows_at(X_, s.scan.size(), open_row, packed_,
                     [&](std::size_t i, std::int32_t label, double second, const RowScores<T>& scores) {
                       const std::size_t c = relabel(i, label);
                       bounds.scanned(i, c, distance_to(i, c), second, scores);
                     });
    } else {
      assign_rows_at(X_, s.scan.size(), open_row, packed_, [&](std::size_t i, std::int32_t label, double second) {
        bounds.scanned(i, distance_to(i, relabel(i, label)), second);
      });
    }
    s.evaluations += s.scan.size() * (k_ + 1);
  }

  void label_block_elkan(Slot& s, std::size_t e, std::size_t begin, std::size_t end, const std::vector<T>& centroids,
                         std::vector<std::int32_t>& labels, bool first) {
    ElkanBounds& bounds = buffers_.elkan;
    for (std::size_t i = begin; i < end; ++i) {
      std::size_t a;
      if (first) {
        a = bounds.label_all(i, X_.row(i), centroids.data(), d_);
        s.evaluations += k_;
      } else {
        a = bounds.label(i, X_.row(i), static_cast<std::size_t>(labels[i]), centroids.data(), d_, buffers_.geometry,
                         s.evaluations);
      }
      relabel(s, e, i, static_cast<std::int32_t>(a), labels);
    }
  }

  /// Replaces this process's totals of a pass by those over all processes (with Accumulate,
  /// the clusters' sums, weights and counts too).
  template <bool Accumulate>
  void share(Pass& pass) {
    std::vector<double> all;
    if (Accumulate) {
      all.reserve(k_ * d_ + 2 * k_ + 3);
      all = sums_;
      all.insert(all.end(), mass_.begin(), mass_.end());
      for (const std::int64_t c : counts_) all.push_back(static_cast<double>(c));  // exact below 2^53
    }
    all.push_back(pass.inertia);
    all.push_back(static_cast<double>(pass.changed));
    all.push_back(static_cast<double>(pass.evaluations));
    peers_->sum(all.data(), all.size());
    if (Accumulate) {
      std::copy_n(all.begin(), k_ * d_, sums_.begin());
      std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(k_ * d_), k_, mass_.begin());
      for (std::size_t c = 0; c < k_; ++c) counts_[c] = static_cast<std::int64_t>(all[k_ * d_ + k_ + c]);
    }
    const std::size_t tail = all.size() - 3;
    pass.inertia = all[tail];
    pass.changed = static_cast<std::size_t>(all[tail + 1]);
    pass.evaluations = static_cast<std::size_t>(all[tail + 2]);
  }

  /// Adds a wave of slots (blocks in order) into the pass and, without per-block sums, into
  /// the clusters' totals.
  template <bool Accumulate>
  void merge_wave(std::size_t n, Pass& pass) {
    for (std::size_t t = 0; t < n; ++t) {
      pass.inertia += slots_[t].inertia;
      pass.changed += slots_[t].changed;
      pass.evaluations += slots_[t].evaluations;
    }
    if (Accumulate && !block_sums_.per_block) add_entries(n, nullptr);
  }

  /// With per-block sums, after the pass: the totals of every cluster that some block summed
  /// again, formed afresh from all blocks in block order. The other clusters' totals are still
  /// the last pass's, the bits a fresh merge would give — except across processes, whose
  /// totals are replaced by the global ones after each pass (share), so there every cluster
  /// is merged.
  void merge_blocks() {
    const std::size_t n_blocks = block_sums_.counts.size() / k_;
    std::vector<std::uint8_t>& dirty = buffers_.dirty;
    dirty.assign(k_, peers_ ? 1 : 0);
    for (std::size_t e = 0; e < n_blocks; ++e) {
      const std::uint8_t* stale = block_sums_.stale_of(e);
      for (std::size_t c = 0; c < k_; ++c) dirty[c] |= stale[c];
    }
    for (std::size_t c = 0; c < k_; ++c) {
      if (!dirty[c]) continue;
      std::fill_n(sums_.data() + c * d_, d_, 0.0);
      counts_[c] = 0;
      mass_[c] = 0.0;
    }
    add_entries(n_blocks, dirty.data());
    block_sums_.all_fresh();
  }

  /// Adds block-sum entries 0 .. n - 1, in that order, into the totals of every cluster (or of
  /// those `only` marks): by all threads, each a range of clusters.
  void add_entries(std::size_t n, const std::uint8_t* only) {
    const std::size_t parts = std::min(pool_.size(), k_);
    pool_.run(parts, [&](std::size_t part) {
      for (std::size_t c = k_ * part / parts; c < k_ * (part + 1) / parts; ++c) {
        if (only && !only[c]) continue;
        double* to = sums_.data() + c * d_;
        for (std::size_t e = 0; e < n; ++e) {
          const std::int64_t count = block_sums_.counts_of(e)[c];
          if (count == 0) continue;
          counts_[c] += count;
          mass_[c] += block_sums_.mass_of(e)[c];
          scaled_add<false>(to, 1.0, block_sums_.sum(e, c), d_);
        }
      }
    });
  }

  /// The block's rows summed per cluster into entry e, each cluster's rows in ascending order:
  /// the stale clusters only (all of them without per-block sums). Row by row, or with the
  /// rows first grouped by cluster (a counting sort), so that each cluster's sum row is read
  /// and written once per block rather than once per row.
  void accumulate_block(Slot& s, std::size_t e, const std::vector<std::int32_t>& labels, std::size_t begin,
                        std::size_t end, bool row_by_row) {
    std::int64_t* counts = block_sums_.counts_of(e);
    std::uint8_t* stale = block_sums_.stale_of(e);
    std::size_t n_stale = 0;
    for (std::size_t c = 0; c < k_; ++c) {
      if (!stale[c]) continue;
      counts[c] = 0;
      ++n_stale;
    }
    if (n_stale == 0) return;
    const auto stale_row = [&](std::size_t i) { return stale[static_cast<std::size_t>(labels[i])] != 0; };
    if (row_by_row) {
      for (std::size_t i = begin; i < end; ++i)
        if (stale_row(i)) add_row(e, static_cast<std::size_t>(labels[i]), i);
    } else {
      for (std::size_t i = begin; i < end; ++i)
        if (stale_row(i)) ++counts[static_cast<std::size_t>(labels[i])];
      std::size_t offset = 0;
      for (std::size_t c = 0; c < k_; ++c) {
        s.start[c] = offset;
        if (stale[c]) offset += static_cast<std::size_t>(counts[c]);
        counts[c] = stale[c] ? 0 : counts[c];
      }
      for (std::size_t i = begin; i < end; ++i)
        if (stale_row(i)) s.order[s.start[static_cast<std::size_t>(labels[i])]++] = i;
      for (std::size_t r = 0; r < offset; ++r) {
        const std::size_t i = s.order[r];
        add_row(e, static_cast<std::size_t>(labels[i]), i);
      }
    }
  }

  /// Row i's weight (1 without weights).
  double weight(std::size_t i) const noexcept { return weight_ ? weight_[i] : 1.0; }

  /// In entry e: sums[c] += w x (or = w x for the block's first row of cluster c), counts[c]
  /// += 1, mass[c] += w. Without weights w = 1: w x is x exactly and mass equals counts.
  void add_row(std::size_t e, std::size_t c, std::size_t i) {
    const T* x = X_.row(i);
    const double w = weight(i);
    double* sum = block_sums_.sum(e, c);
    double& mass = block_sums_.mass_of(e)[c];
    if (block_sums_.counts_of(e)[c]++ == 0) {
      scaled_add<true>(sum, w, x, d_);
      mass = w;
    } else {
      scaled_add<false>(sum, w, x, d_);
      mass += w;
    }
  }

  /// next = weighted means of the clusters after relocating empty ones (no rows, or only
  /// rows of weight zero); a cluster left empty keeps its centroid.
  void update(const std::vector<T>& centroids, std::vector<T>& next, std::vector<std::int32_t>& labels) {
    relocate_empty_clusters(centroids, labels);
    for (std::size_t c = 0; c < k_; ++c) {
      for (std::size_t j = 0; j < d_; ++j) {
        next[c * d_ + j] = mass_[c] > 0 ? static_cast<T>(sums_[c * d_ + j] / mass_[c]) : centroids[c * d_ + j];
      }
    }
  }

  /// Each empty cluster, in ascending index, takes the next row of positive weight farthest
  /// from its assigned centroid (ties: lowest row), which leaves its old cluster's sums (as
  /// scikit-learn does).
  void relocate_empty_clusters(const std::vector<T>& centroids, std::vector<std::int32_t>& labels) {
    std::vector<std::size_t> empty;
    for (std::size_t c = 0; c < k_; ++c)
      if (!(mass_[c] > 0)) empty.push_back(c);
    if (empty.empty()) return;
    const std::size_t m = empty.size();
    using Far = std::pair<double, std::size_t>;  // (distance, row)
    const auto farther = [](const Far& a, const Far& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    std::vector<std::vector<Far>> slots(slot_count(pool_.size(), block_count(X_.rows()), m * 16));
    std::vector<Far> far;
    for_blocks_ordered(
        pool_, X_.rows(), slots,
        [&](std::vector<Far>& s, std::size_t begin, std::size_t end) {
          s.clear();
          for (std::size_t i = begin; i < end; ++i) {
            if (!(weight(i) > 0)) continue;
            const auto c = static_cast<std::size_t>(labels[i]);
            s.emplace_back(squared_distance(X_.row(i), centroids.data() + c * d_, d_), i);
          }
          const std::size_t keep = std::min(m, s.size());
          std::partial_sort(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(keep), s.end(), farther);
          s.resize(keep);
        },
        [&](const std::vector<Far>& s, std::size_t) {
          far.insert(far.end(), s.begin(), s.end());
          std::sort(far.begin(), far.end(), farther);
          if (far.size() > m) far.resize(m);
        });
    // What each move needs: its row (global index), distance, cluster, weight and values.
    struct Move {
      double distance;
      std::size_t row;
      std::size_t from;
      double weight;
      std::vector<double> x;
    };
    const std::size_t offset = peers_ ? peers_->row_offset() : 0;
    std::vector<Move> moves;
    for (const Far& f : far) {
      Move mv{f.first, offset + f.second, static_cast<std::size_t>(labels[f.second]), weight(f.second), {}};
      mv.x.assign(X_.row(f.second), X_.row(f.second) + d_);
      moves.push_back(std::move(mv));
    }
    if (peers_) moves = farthest_over_peers(moves, m);
    for (std::size_t e = 0; e < m && e < moves.size(); ++e) {
      const Move& mv = moves[e];
      const std::size_t to = empty[e];
      for (std::size_t j = 0; j < d_; ++j) {
        sums_[mv.from * d_ + j] -= mv.weight * mv.x[j];
        sums_[to * d_ + j] = mv.weight * mv.x[j];
      }
      --counts_[mv.from];
      mass_[mv.from] -= mv.weight;
      counts_[to] = 1;
      mass_[to] = mv.weight;
      if (mv.row < offset || mv.row - offset >= X_.rows()) continue;  // another process's row
      const std::size_t row = mv.row - offset;
      if (block_sums_.per_block) block_sums_.moved(row / block_rows, labels[row], static_cast<std::int32_t>(to));
      labels[row] = static_cast<std::int32_t>(to);
      // Its bounds were about its old centroid.
      if (method_ == Algorithm::hamerly) buffers_.hamerly.forget(row);
      if (method_ == Algorithm::elkan) buffers_.elkan.forget(row);
      if (method_ == Algorithm::yinyang) buffers_.yinyang.forget(row);
    }
  }

  /// The m farthest of every process's candidate moves (each process's own m farthest), by
  /// the same order as on one process: distance descending, then global row ascending.
  template <class Move>
  std::vector<Move> farthest_over_peers(const std::vector<Move>& mine, std::size_t m) {
    const std::size_t width = 4 + d_;
    std::vector<double> flat;
    for (const Move& mv : mine) {
      flat.insert(flat.end(), {mv.distance, static_cast<double>(mv.row), static_cast<double>(mv.from), mv.weight});
      flat.insert(flat.end(), mv.x.begin(), mv.x.end());
    }
    const std::vector<double> values = gather_doubles(*peers_, flat);
    std::vector<Move> moves;
    for (std::size_t r = 0; r + width <= values.size(); r += width) {
      const double* v = values.data() + r;
      moves.push_back(Move{v[0], static_cast<std::size_t>(v[1]), static_cast<std::size_t>(v[2]), v[3],
                           std::vector<double>(v + 4, v + width)});
    }
    std::stable_sort(moves.begin(), moves.end(), [](const Move& a, const Move& b) {
      return a.distance > b.distance || (a.distance == b.distance && a.row < b.row);
    });
    if (moves.size() > m) moves.resize(m);
    return moves;
  }

  Algorithm method_;
  const double* weight_;
  Collective* peers_;  // null: X is all the rows
  LloydBuffers<T>& buffers_;
  ThreadPool& pool_;
  Matrix<const T> X_;
  std::size_t k_, d_;
  std::vector<Slot>& slots_;
  BlockSums& block_sums_;
  std::vector<double>& sums_;
  std::vector<std::int64_t>& counts_;
  std::vector<double>& mass_;
  PackedCentroids<T>& packed_;
};

}  // namespace kmeans::detail
