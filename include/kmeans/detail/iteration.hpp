#pragma once
// The iteration every exact algorithm runs (the algorithm labels, this file does the rest).
// Per iteration, one pass over X: each block labels its rows (the algorithm's label_block),
// counts label changes, sums direct squared distances (when the callback will read them) and
// accumulates its rows into per-cluster sums (cluster_sums.hpp); entries merge in block order.
// Then the centroids are the means, and empty clusters take the rows farthest from their
// centroids (relocation.hpp). After the last iteration one more pass labels the rows for the
// final centroids and sums their inertia (only sums it, when the last pass found the labels
// stable). All algorithms give the same labels, so the same bits.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "../options.hpp"
#include "algorithm.hpp"
#include "blocks.hpp"
#include "cluster_sums.hpp"
#include "collective.hpp"
#include "kernel.hpp"
#include "problem.hpp"
#include "relocation.hpp"
#include "seeded_rows.hpp"
#include "stats.hpp"

namespace kmeans::detail {

/// What one run of iterations (one restart) ends with.
template <class T>
struct RunResult {
  std::vector<T> centroids;          // k x d
  std::vector<std::int32_t> labels;  // of the final centroids
  double inertia = 0.0;              // of the final centroids
  std::size_t n_iter = 0;
  bool converged = false;
  bool stopped = false;  // the callback returned false
};

/// The iteration's working memory, kept by a model between fits so that refitting allocates
/// little: the block slots, the clusters' sums, the packed centroids.
template <class T>
struct Workspace {
  std::vector<BlockSlot> slots;
  ClusterSums totals;
  PackedCentroids<T> packed;
  std::vector<float> screen_rows;    // X rounded to float for packed's screen, during a fit (below)
  std::vector<double> screen_norm2;  // and the rows' squared norms
  bool keep_block_sums = true;       // false: sum every row in every pass (the tests compare the two)

  void reserve(const Problem<T>& p) {
    const std::size_t n_blocks = block_count(p.X.rows()), k = p.k, d = p.X.cols();
    slots.resize(slot_count(p.pool.size(), n_blocks, (k * d + k) * 8));
    totals.reserve(slots.size(), n_blocks, k, d, p.X.rows() * d * sizeof(T), keep_block_sums);
    for (auto& s : slots) {
      s.start.resize(k);
      s.order.resize(block_rows);
      s.scan.reserve(block_rows);
    }
  }

  /// For a fit of double rows that the kernel screens in float (mixed_precision.hpp): X rounded
  /// to float once, and the rows' squared norms, n (d 4 + 8) bytes, when X in float takes at
  /// most screen_rows_max_bytes (otherwise each tile of rows is rounded as it is scored).
  void round_rows(const Problem<T>& p, bool mixed_precision) {
    packed.set_screening(mixed_precision);
    if constexpr (std::is_same_v<T, double>) {
      const std::size_t n = p.X.rows(), d = p.X.cols();
      if (!mixed_precision || p.k < screen_min_k || n * d * sizeof(float) > screen_rows_max_bytes) return;
      screen_rows.resize(n * d);
      screen_norm2.resize(n);
      for_blocks(p.pool, n, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          narrow_row(p.X.row(i), screen_rows.data() + i * d, d);
          screen_norm2[i] = row_norm2(p.X.row(i), d);
        }
      });
      packed.set_screen_rows(screen_rows.data(), screen_norm2.data());
    }
  }

  /// What a fit holds only while it runs.
  void release() {
    totals.release();
    packed.set_screen_rows(nullptr, nullptr);
    std::vector<float>().swap(screen_rows);
    std::vector<double>().swap(screen_norm2);
  }
};

/// Iterates one algorithm (lloyd.hpp, hamerly.hpp, elkan.hpp, yinyang.hpp) over a problem.
template <class T, class Algo>
class IterationDriver {
 public:
  IterationDriver(const Problem<T>& problem, Workspace<T>& work, Algo& algo)
      : p_(problem), work_(work), algo_(algo), d_(problem.X.cols()) {
    work.reserve(problem);
  }

  /// Iterates from `centroids` until a stopping rule holds. `seeded` (or null): the rows'
  /// labels for these centroids (and bounds, as Algo::seed_use asks), taken over, so that the
  /// first pass only sums the rows (Lloyd) or skips those the bounds settle (Hamerly) instead
  /// of scoring every row; the same labels, so the same result.
  RunResult<T> run(std::vector<T> centroids, const Options& options, double tol_scaled, SeededRows* seeded) {
    RunResult<T> out;
    const bool from_seed = seeded && seeded->labels.size() == p_.X.rows();
    if (from_seed)
      out.labels = std::move(seeded->labels);
    else
      out.labels.assign(p_.X.rows(), -1);
    algo_.start(p_, centroids.data(), from_seed ? seeded : nullptr);
    work_.totals.blocks.all_stale();  // they may hold another run's sums
    std::vector<T> next(centroids.size());
    // The per-iteration inertia costs a distance per row; only the callback reads it.
    const bool want_inertia = static_cast<bool>(options.on_iteration);
    bool labels_current = false;  // labels and out.inertia belong to `centroids`
    bool labels_stable = false;   // the labels do, the inertia was not summed
    for (std::size_t it = 1; it <= options.max_iter; ++it) {
      PassView<T> view = view_of(centroids, out.labels);
      view.want_inertia = want_inertia;
      view.bounds_empty = it == 1 && !from_seed;
      Pass pass = it == 1 && from_seed && Algo::seed_use == SeedUse::labels ? sum_pass(view) : label_pass<true>(view);
      if (p_.peers) share<true>(pass);
      out.n_iter = it;
      out.inertia = pass.inertia;
      labels_current = want_inertia;
      if (!options.run_till_max_iter && it > 1 && pass.changed == 0) {
        out.converged = true;
        labels_stable = true;
        if (options.on_iteration) options.on_iteration(Iteration{it, pass.inertia, 0.0, pass.evaluations});
        break;
      }
      update(centroids, next, out.labels, options.metric == Metric::cosine);
      algo_.centroids_moved(p_.pool, centroids.data(), next.data());
      double shift = 0.0;
      for (std::size_t i = 0; i < next.size(); ++i) {
        const double t = static_cast<double>(next[i]) - static_cast<double>(centroids[i]);
        shift += t * t;
      }
      centroids.swap(next);
      labels_current = false;
      bool stop = options.on_iteration && !options.on_iteration(Iteration{it, pass.inertia, shift, pass.evaluations});
      if (p_.peers) stop = p_.peers->any(stop);  // every process stops together
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
      PassView<T> view = view_of(centroids, out.labels);
      view.want_inertia = true;
      Pass last = labels_stable ? inertia_pass(view) : label_pass<false>(view);
      if (p_.peers) share<false>(last);
      out.inertia = last.inertia;
    }
    out.centroids = std::move(centroids);
    return out;
  }

 private:
  struct Pass {
    double inertia = 0.0;
    std::size_t changed = 0;
    std::size_t evaluations = 0;
  };

  /// A pass over `labels` for `centroids`; the caller sets what it wants of it.
  PassView<T> view_of(const std::vector<T>& centroids, std::vector<std::int32_t>& labels) {
    return PassView<T>{p_, centroids.data(), work_.packed, labels, work_.totals.blocks};
  }

  /// A pass in which the algorithm labels every block; with Accumulate, the clusters' totals
  /// too.
  template <bool Accumulate>
  Pass label_pass(const PassView<T>& view) {
    algo_.begin_pass(work_.packed, view.centroids, view.bounds_empty);
    Pass pass = over_blocks<Accumulate>(view, [&](BlockLabelling<T>& b) { algo_.label_block(b); });
    algo_.end_pass();
    return pass;
  }

  /// The first pass when the labels already belong to the centroids (from k-means++): the
  /// rows are only summed (the same totals and inertia, in the same order), not scored.
  Pass sum_pass(const PassView<T>& view) {
    Pass pass = over_blocks<true>(view, [](BlockLabelling<T>& b) {
      if (b.want_inertia) b.add_block_inertia();
    });
    pass.evaluations = view.want_inertia ? p_.X.rows() : 0;
    return pass;
  }

  /// The inertia of labels that belong to the centroids: each row's direct distance to its
  /// own centroid, summed per block in row order and merged in block order as a labelling pass
  /// with want_inertia sums it (the same bits), without labelling the rows again.
  Pass inertia_pass(const PassView<T>& view) {
    return over_blocks<false>(view, [](BlockLabelling<T>& b) { b.add_block_inertia(); });
  }

  /// For every block, in waves of slots: on_block(its BlockLabelling), then with Accumulate its
  /// rows summed per cluster; the slots' counts merged in block order into the pass.
  template <bool Accumulate, class OnBlock>
  Pass over_blocks(const PassView<T>& view, OnBlock&& on_block) {
    ClusterSums& totals = work_.totals;
    const bool row_by_row = totals.start_pass<Accumulate>();
    Pass pass;
    for_block_waves(
        p_.pool, p_.X.rows(), work_.slots,
        [&](BlockSlot& s, std::size_t begin, std::size_t end) {
          s.start_block();
          const std::size_t e = totals.entry_of(static_cast<std::size_t>(&s - work_.slots.data()), begin);
          BlockLabelling<T> b(view, s, e, begin, end);
          on_block(b);
          if (Accumulate) totals.accumulate_block(s, e, p_.X, p_.weight, view.labels, begin, end, row_by_row);
        },
        [&](std::size_t n) {
          for (std::size_t t = 0; t < n; ++t) {
            pass.inertia += work_.slots[t].inertia;
            pass.changed += work_.slots[t].changed;
            pass.evaluations += work_.slots[t].evaluations;
          }
          if (Accumulate) totals.add_wave(p_.pool, n);
        });
    // Across processes every cluster is merged: each process's totals were replaced by the
    // global ones after the last pass (share).
    if (Accumulate && totals.blocks.per_block) totals.merge_blocks(p_.pool, p_.peers != nullptr);
    return pass;
  }

  /// Replaces this process's totals of a pass by those over all processes (with Accumulate,
  /// the clusters' sums, weights and counts too).
  template <bool Accumulate>
  void share(Pass& pass) {
    ClusterSums& totals = work_.totals;
    const std::size_t k = p_.k;
    std::vector<double> all;
    if (Accumulate) {
      all.reserve(k * d_ + 2 * k + 3);
      all = totals.sums;
      all.insert(all.end(), totals.mass.begin(), totals.mass.end());
      for (const std::int64_t c : totals.counts) all.push_back(static_cast<double>(c));  // exact below 2^53
    }
    all.push_back(pass.inertia);
    all.push_back(static_cast<double>(pass.changed));
    all.push_back(static_cast<double>(pass.evaluations));
    p_.peers->sum(all.data(), all.size());
    if (Accumulate) {
      std::copy_n(all.begin(), k * d_, totals.sums.begin());
      std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(k * d_), k, totals.mass.begin());
      for (std::size_t c = 0; c < k; ++c) totals.counts[c] = static_cast<std::int64_t>(all[k * d_ + k + c]);
    }
    const std::size_t tail = all.size() - 3;
    pass.inertia = all[tail];
    pass.changed = static_cast<std::size_t>(all[tail + 1]);
    pass.evaluations = static_cast<std::size_t>(all[tail + 2]);
  }

  /// next = weighted means of the clusters after relocating empty ones (no rows, or only
  /// rows of weight zero); a cluster left empty keeps its centroid. `unit`: each mean scaled
  /// back to unit length (Metric::cosine; a mean of zero length keeps its old centroid).
  void update(const std::vector<T>& centroids, std::vector<T>& next, std::vector<std::int32_t>& labels, bool unit) {
    relocate_empty_clusters(p_, centroids, labels, work_.totals, [&](std::size_t row) { algo_.forget(row); });
    work_.totals.means(centroids, next);
    if (!unit) return;
    for (std::size_t c = 0; c < p_.k; ++c) {
      T* row = next.data() + c * d_;
      if (!unit_row(row, d_, row)) std::copy_n(centroids.data() + c * d_, d_, row);
    }
  }

  const Problem<T>& p_;
  Workspace<T>& work_;
  Algo& algo_;
  std::size_t d_;
};

}  // namespace kmeans::detail
