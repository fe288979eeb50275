#pragma once
// Mini-batch k-means (Sculley 2010, as scikit-learn's MiniBatchKMeans): each step labels a
// random batch of rows and moves every centroid towards the mean of its batch rows with a
// per-centroid learning rate 1 / (weight it has absorbed so far). Batches are drawn on the
// calling thread, rows are labelled in parallel, and every sum is formed in batch order: the
// result depends on the seed, never on the thread count.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "../matrix.hpp"
#include "../options.hpp"
#include "blocks.hpp"
#include "distance.hpp"
#include "init/dispatch.hpp"
#include "kernel.hpp"
#include "predict.hpp"
#include "problem.hpp"
#include "random.hpp"
#include "thread_pool.hpp"

namespace kmeans::detail {

/// A mini-batch model's state: what predict reads, and what the next partial_fit continues.
template <class T>
struct MiniBatchState {
  std::vector<T> centroids;    // k x d, what predict uses
  std::vector<double> master;  // k x d, the running means, in double
  std::vector<double> counts;  // k
  std::vector<std::int32_t> labels;
  double inertia = 0.0;
  std::size_t k = 0, d = 0, steps = 0, passes = 0;
  std::size_t since_reassign = 0;  // rows stepped over since the last reassignment check
  bool converged = false;
  Rng rng{0};  // batches and reassignments; kept between partial_fit calls
};

/// One step's scratch: the batch's rows, weights, labels and distances.
template <class T>
struct MiniBatchScratch {
  std::vector<std::size_t> rows;  // indices into X, in draw order
  std::vector<T> values;          // those rows, copied together
  std::vector<double> weight;
  std::vector<std::int32_t> labels;
  std::vector<double> distance;    // squared, to the labelled centroid
  std::vector<double> sums, mass;  // per centroid: weighted sums and weights of its batch rows
  PackedCentroids<T> packed;
};

/// The steps of a mini-batch fit over a model's state.
template <class T>
class MiniBatchSteps {
 public:
  MiniBatchSteps(ThreadPool& pool, const MiniBatchOptions& options, MiniBatchState<T>& state)
      : pool_(pool), options_(options), state_(state) {}

  /// Steps over random batches of X (checked) until max_iter passes or early stopping, then
  /// labels every row for the final centroids. `weight`: one per row, or null. `given`: the
  /// initial centroids (k x d), or null for the best of options.n_init initialisations.
  void fit(Matrix<const T> X, const double* weight, double tol_scaled, const Matrix<const T>* given) {
    const std::size_t k = options_.n_clusters, n = X.rows();
    start_from(X, weight, given);

    // Early stopping as scikit-learn's: an exponentially weighted average of the batch
    // inertia per row (ignoring the first step's, which only measures the initialisation).
    // A batch is at most all the rows, as scikit-learn's, so max_iter bounds the passes.
    const std::size_t batch_size = std::min(options_.batch_size, n);
    const std::size_t n_steps = std::max<std::size_t>(1, options_.max_iter * n / batch_size);
    const double alpha = std::min(1.0, 2.0 * static_cast<double>(batch_size) / static_cast<double>(n + 1));
    double smoothed = 0.0, smoothed_min = 0.0;
    std::size_t no_improvement = 0;
    MiniBatchScratch<T> batch;
    batch.rows.resize(batch_size);
    for (std::size_t s = 1; s <= n_steps; ++s) {
      for (std::size_t& row : batch.rows) row = static_cast<std::size_t>(state_.rng.below(n));
      weigh(batch, weight);
      const auto [inertia, shift] = step(X, batch, reassign_now(batch_size));
      state_.steps = s;
      const double per_row = inertia / static_cast<double>(batch_size);
      bool stop = false;
      if (s > 1) {
        smoothed = s == 2 ? per_row : smoothed * (1 - alpha) + per_row * alpha;
        if (tol_scaled > 0 && shift <= tol_scaled) stop = true;
        if (s == 2 || smoothed < smoothed_min) {
          no_improvement = 0;
          smoothed_min = smoothed;
        } else if (++no_improvement >= options_.max_no_improvement && options_.max_no_improvement > 0) {
          stop = true;
        }
      }
      state_.converged = stop;
      if (options_.on_step && !options_.on_step(MiniBatchStep{s, per_row, smoothed})) break;
      if (stop) break;
    }
    state_.passes = (state_.steps * batch_size + n - 1) / n;
    state_.inertia = label_rows_with_inertia(pool_, X, state_.centroids.data(), k, weight, state_.labels);
  }

  /// One step on the whole of X (checked), first initialising from it (or from `given`, k x
  /// d, when not null) if nothing has.
  void partial_fit(Matrix<const T> X, const double* weight, const Matrix<const T>* given) {
    if (state_.k == 0) start_from(X, weight, given);
    MiniBatchScratch<T> batch;
    batch.rows.resize(X.rows());
    for (std::size_t t = 0; t < X.rows(); ++t) batch.rows[t] = t;
    weigh(batch, weight);
    step(X, batch, reassign_now(X.rows()));
    ++state_.steps;
    state_.inertia = label_rows_with_inertia(pool_, X, state_.centroids.data(), state_.k, weight, state_.labels);
  }

 private:
  /// The initial centroids: the best of n_init initialisations, each run on init_size rows
  /// drawn with replacement (or on all of X, when init_size is not smaller), by inertia on
  /// another init_size rows drawn with replacement.
  std::vector<T> initialise(Matrix<const T> X, const double* weight, Rng& rng) const {
    const std::size_t n = X.rows(), d = X.cols(), k = options_.n_clusters;
    std::size_t size = options_.init_size ? options_.init_size : std::max(3 * options_.batch_size, 3 * k);
    size = std::max(k, std::min(size, n));
    const auto sample = [&](std::vector<T>& rows, std::vector<double>& w) {
      rows.resize(size * d);
      w.resize(size);
      for (std::size_t r = 0; r < size; ++r) {
        const auto i = static_cast<std::size_t>(rng.below(n));
        std::copy_n(X.row(i), d, rows.data() + r * d);
        w[r] = weight ? weight[i] : 1.0;
      }
    };
    std::vector<T> valid_rows, init_rows;
    std::vector<double> valid_w, init_w;
    sample(valid_rows, valid_w);
    const Matrix<const T> valid(valid_rows.data(), size, d);
    Options init;
    init.init = options_.init;
    init.oversampling = options_.oversampling;
    init.init_rounds = options_.init_rounds;
    std::vector<T> best;
    double best_inertia = 0.0;
    for (std::size_t run = 0; run < options_.n_init; ++run) {
      // On all of X when init_size covers it, as scikit-learn.
      Matrix<const T> rows = X;
      const double* w = weight;
      if (size < n) {
        sample(init_rows, init_w);
        double total = 0.0;
        for (const double v : init_w) total += v;
        rows = Matrix<const T>(init_rows.data(), size, d);
        w = weight && total > 0 ? init_w.data() : nullptr;  // a sample of zero weights: unweighted
      }
      std::vector<T> c = initial_centroids(Problem<T>{pool_, rows, k, w, nullptr}, init, rng);
      std::vector<std::int32_t> labels;
      const double inertia =
          label_rows_with_inertia(pool_, valid, c.data(), k, weight ? valid_w.data() : nullptr, labels);
      if (run == 0 || inertia < best_inertia) {
        best = std::move(c);
        best_inertia = inertia;
      }
    }
    return best;
  }

  /// A fresh state from the given centroids, or from initialise's; the batches' generator
  /// follows the initialisation's draws.
  void start_from(Matrix<const T> X, const double* weight, const Matrix<const T>* given) {
    const std::size_t k = options_.n_clusters, d = X.cols();
    Rng rng(derive_seed(options_.seed, 0));
    std::vector<T> first;
    if (given) {
      first = copy_rows(*given);
    } else {
      first = initialise(X, weight, rng);
    }
    start(std::move(first), k, d);
    state_.rng = rng;
  }

  void start(std::vector<T> centroids, std::size_t k, std::size_t d) {
    MiniBatchState<T> s;
    s.k = k;
    s.d = d;
    s.centroids = std::move(centroids);
    s.master.assign(s.centroids.begin(), s.centroids.end());
    s.counts.assign(k, 0.0);
    state_ = std::move(s);
  }

  /// Whether this step checks for centroids to reassign (scikit-learn's rule).
  bool reassign_now(std::size_t batch_rows) {
    state_.since_reassign += batch_rows;
    const bool empty = std::any_of(state_.counts.begin(), state_.counts.end(), [](double c) { return c == 0; });
    if (!empty && state_.since_reassign < 10 * state_.k) return false;
    state_.since_reassign = 0;
    return true;
  }

  /// One step on batch.rows of X: label them for the current centroids, move each centroid
  /// to the weighted mean of what it absorbed so far and its batch rows, maybe reassign small
  /// centroids. Returns the batch's weighted inertia before the move and the sum of squared
  /// centroid moves.
  std::pair<double, double> step(Matrix<const T> X, MiniBatchScratch<T>& batch, bool reassign) {
    const std::size_t k = state_.k, d = state_.d, m = batch.rows.size();
    batch.packed.assign(state_.centroids.data(), k, d);
    batch.labels.resize(m);
    batch.distance.resize(m);
    // The batch's rows, scattered over X, are first copied together (the copy keeps many
    // memory loads in flight; the kernel would wait on them a few rows at a time).
    batch.values.resize(m * d);
    const Matrix<const T> rows(batch.values.data(), m, d);
    for_blocks(pool_, m, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t t = begin; t < end; ++t) std::copy_n(X.row(batch.rows[t]), d, batch.values.data() + t * d);
      assign_rows(rows, begin, end, batch.packed, [&](std::size_t t, std::int32_t label) {
        batch.labels[t] = label;
        batch.distance[t] =
            squared_distance(rows.row(t), state_.centroids.data() + static_cast<std::size_t>(label) * d, d);
      });
    });
    // Sums in batch order, on this thread: the same bits on any thread count.
    double inertia = 0.0;
    batch.sums.assign(k * d, 0.0);
    batch.mass.assign(k, 0.0);
    for (std::size_t t = 0; t < m; ++t) {
      const double w = batch.weight[t];
      const auto c = static_cast<std::size_t>(batch.labels[t]);
      const T* x = rows.row(t);
      inertia += w * batch.distance[t];
      batch.mass[c] += w;
      scaled_add<false>(batch.sums.data() + c * d, w, x, d);
    }
    std::vector<double>& master = state_.master;
    std::vector<double>& counts = state_.counts;
    double shift = 0.0;
    const auto move_to = [&](std::size_t c, std::size_t j, double v) {
      shift += (v - master[c * d + j]) * (v - master[c * d + j]);
      master[c * d + j] = v;
    };
    for (std::size_t c = 0; c < k; ++c) {
      if (!(batch.mass[c] > 0)) continue;
      const double total = counts[c] + batch.mass[c];
      for (std::size_t j = 0; j < d; ++j)
        move_to(c, j, (master[c * d + j] * counts[c] + batch.sums[c * d + j]) / total);
      counts[c] = total;
    }
    if (reassign && options_.reassignment_ratio > 0) {
      // Centroids that absorbed less than ratio x the most, at most half a batch of them (the
      // smallest), move to distinct random batch rows and start from the smallest other count.
      const double limit = options_.reassignment_ratio * *std::max_element(counts.begin(), counts.end());
      std::vector<std::size_t> small;
      for (std::size_t c = 0; c < k; ++c)
        if (counts[c] < limit) small.push_back(c);
      const std::size_t most = m / 2;
      if (small.size() > most) {
        std::stable_sort(small.begin(), small.end(),
                         [&](std::size_t a, std::size_t b) { return counts[a] < counts[b]; });
        small.resize(most);
        std::sort(small.begin(), small.end());
      }
      if (!small.empty() && small.size() < k) {
        std::vector<bool> moved(k, false);
        std::vector<std::size_t> position(m);
        for (std::size_t t = 0; t < m; ++t) position[t] = t;
        for (std::size_t r = 0; r < small.size(); ++r) {  // a partial Fisher-Yates shuffle
          std::swap(position[r], position[r + static_cast<std::size_t>(state_.rng.below(m - r))]);
          const T* x = X.row(batch.rows[position[r]]);
          for (std::size_t j = 0; j < d; ++j) move_to(small[r], j, static_cast<double>(x[j]));
          moved[small[r]] = true;
        }
        double floor = std::numeric_limits<double>::infinity();
        for (std::size_t c = 0; c < k; ++c)
          if (!moved[c]) floor = std::min(floor, counts[c]);
        for (const std::size_t c : small) counts[c] = floor;
      }
    }
    for (std::size_t i = 0; i < k * d; ++i) state_.centroids[i] = static_cast<T>(master[i]);
    return {inertia, shift};
  }

  /// The weight of each of the batch's rows.
  static void weigh(MiniBatchScratch<T>& batch, const double* weight) {
    batch.weight.resize(batch.rows.size());
    for (std::size_t t = 0; t < batch.rows.size(); ++t) batch.weight[t] = weight ? weight[batch.rows[t]] : 1.0;
  }

  ThreadPool& pool_;
  const MiniBatchOptions& options_;
  MiniBatchState<T>& state_;
};

}  // namespace kmeans::detail
