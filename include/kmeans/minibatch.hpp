#pragma once
// Mini-batch k-means (Sculley 2010, as scikit-learn's MiniBatchKMeans): each step labels a
// random batch of rows and moves every centroid towards the mean of its batch rows with a
// per-centroid learning rate 1 / (weight it has absorbed so far). For data too large to pass
// over many times; the answer is approximate, not Lloyd's.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/blocks.hpp"
#include "detail/distance.hpp"
#include "detail/error.hpp"
#include "detail/kernel.hpp"
#include "detail/labelling.hpp"
#include "detail/random.hpp"
#include "detail/stats.hpp"
#include "detail/thread_pool.hpp"
#include "init.hpp"
#include "kmeans_model.hpp"
#include "matrix.hpp"
#include "options.hpp"

namespace kmeans {

/// @brief What MiniBatchKMeans' on_step callback is told after each step.
struct MiniBatchStep {
  std::size_t step;         ///< 1-based
  double batch_inertia;     ///< the batch's weighted squared distances before the update, per batch row
  double smoothed_inertia;  ///< its exponentially weighted average (what early stopping watches)
};

/// @brief Everything that configures a mini-batch fit. The defaults are scikit-learn's.
struct MiniBatchOptions {
  std::size_t n_clusters = 8;
  /// Rows per step, drawn uniformly with replacement.
  std::size_t batch_size = 1024;
  /// Passes over the data: at most max_iter x rows / batch_size steps.
  std::size_t max_iter = 100;
  /// Stop when a step moves the centroids by at most tol x the mean per-feature variance of X
  /// (sum of squared moves); 0 turns this off.
  double tol = 0.0;
  /// Stop after this many steps without a new minimum of the smoothed batch inertia; 0 turns
  /// this off.
  std::size_t max_no_improvement = 10;
  /// Rows (drawn with replacement) the initialisation runs on; 0: 3 x batch_size, at least
  /// 3 x n_clusters, at most the rows of X.
  std::size_t init_size = 0;
  /// Initialisations tried; the one with the lowest inertia on a further sample of init_size
  /// rows is kept.
  std::size_t n_init = 3;
  /// Centroids whose absorbed weight is below this fraction of the largest are moved to random
  /// batch rows (at each step after 10 x n_clusters rows, or when one has absorbed nothing).
  double reassignment_ratio = 0.01;
  Init init = Init::kmeans_plus_plus;
  double oversampling = 2.0;    ///< Init::kmeans_parallel, as in Options
  std::size_t init_rounds = 5;  ///< Init::kmeans_parallel, as in Options
  std::uint64_t seed = 0;
  /// Threads a fit and predict use, the caller's included; 0: all hardware threads.
  std::size_t n_threads = 0;
  /// Called after every step of fit(); return false to stop.
  std::function<bool(const MiniBatchStep&)> on_step;
};

/// @brief Mini-batch k-means of the rows of a matrix of T (float or double). The result
/// depends on the seed, never on the thread count: batches are drawn on the calling thread,
/// rows are labelled in parallel, and every sum is formed in batch order.
template <class T>
class MiniBatchKMeans {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "MiniBatchKMeans<T> needs T = float or double");

 public:
  /// Throws std::invalid_argument for options no fit could use.
  explicit MiniBatchKMeans(MiniBatchOptions options = {}) : options_(std::move(options)) { validate(options_); }

  MiniBatchKMeans(const MiniBatchKMeans& other) : options_(other.options_), state_(other.state_) {}
  MiniBatchKMeans& operator=(const MiniBatchKMeans& other) {
    if (this != &other) {
      options_ = other.options_;
      state_ = other.state_;
    }
    return *this;
  }
  MiniBatchKMeans(MiniBatchKMeans&&) noexcept = default;
  MiniBatchKMeans& operator=(MiniBatchKMeans&&) noexcept = default;
  ~MiniBatchKMeans() = default;

  /// @brief Steps over random batches of X until max_iter passes or early stopping, then
  /// labels every row of X for the final centroids.
  MiniBatchKMeans& fit(Matrix<const T> X) { return fit_impl(X, nullptr); }
  /// @brief Weighted: each row's weight scales its pull on its centroid and its inertia.
  MiniBatchKMeans& fit(Matrix<const T> X, const std::vector<double>& sample_weight) {
    return fit_impl(X, &sample_weight);
  }

  /// @brief One step on the whole of `batch` (streaming). The first call initialises the
  /// centroids from this batch, which then needs at least n_clusters rows; later calls
  /// continue from the current centroids and learning rates. labels() and inertia() then
  /// describe this batch.
  MiniBatchKMeans& partial_fit(Matrix<const T> batch) { return partial_fit_impl(batch, nullptr); }
  MiniBatchKMeans& partial_fit(Matrix<const T> batch, const std::vector<double>& sample_weight) {
    return partial_fit_impl(batch, &sample_weight);
  }

  /// @brief The index of the nearest centroid for every row of X (lowest index on ties).
  std::vector<std::int32_t> predict(Matrix<const T> X) const {
    require_fitted("predict");
    require_columns("predict", X);
    if (X.rows() == 0) return {};
    detail::require_usable(pool(), X, "X", X.rows());
    return detail::nearest_labels(pool(), X, state_.centroids.data(), state_.k);
  }

  /// @brief Distances (not squared) from every row of X to every centroid, X.rows() x n_clusters.
  std::vector<T> transform(Matrix<const T> X) const {
    require_fitted("transform");
    require_columns("transform", X);
    if (X.rows() == 0) return {};
    detail::require_usable(pool(), X, "X", X.rows());
    return detail::all_distances(pool(), X, state_.centroids.data(), state_.k);
  }

  /// @brief Minus the inertia of X for the current centroids.
  double score(Matrix<const T> X) const {
    require_fitted("score");
    require_columns("score", X);
    if (X.rows() == 0) return 0.0;
    detail::require_usable(pool(), X, "X", X.rows());
    std::vector<std::int32_t> labels;
    return -detail::label_rows_with_inertia(pool(), X, state_.centroids.data(), state_.k, nullptr, labels);
  }

  /// @brief The n_clusters x n_features centroids.
  Matrix<const T> centroids() const {
    require_fitted("centroids");
    return Matrix<const T>(state_.centroids.data(), state_.k, state_.d);
  }
  /// @brief The labels of the rows of the last fit's X (or partial_fit's batch).
  const std::vector<std::int32_t>& labels() const {
    require_fitted("labels");
    return state_.labels;
  }
  /// @brief Their weighted squared distances to the final centroids, summed.
  double inertia() const noexcept { return state_.inertia; }
  /// @brief Weight each centroid has absorbed (its inverse is its current learning rate).
  const std::vector<double>& counts() const noexcept { return state_.counts; }
  /// @brief Steps taken (by the last fit, or by every partial_fit since the first).
  std::size_t n_steps() const noexcept { return state_.steps; }
  /// @brief Passes over the data those steps amount to (rounded up), as scikit-learn's n_iter_.
  std::size_t n_iter() const noexcept { return state_.passes; }
  /// @brief Whether fit() stopped early (tol or no improvement) rather than after max_iter.
  bool converged() const noexcept { return state_.converged; }
  bool is_fitted() const noexcept { return state_.k != 0; }
  const MiniBatchOptions& options() const noexcept { return options_; }

 private:
  struct State {
    std::vector<T> centroids;    // k x d, what predict uses
    std::vector<double> master;  // k x d, the running means, in double
    std::vector<double> counts;  // k
    std::vector<std::int32_t> labels;
    double inertia = 0.0;
    std::size_t k = 0, d = 0, steps = 0, passes = 0;
    std::size_t since_reassign = 0;  // rows stepped over since the last reassignment check
    bool converged = false;
    detail::Rng rng{0};  // batches and reassignments; kept between partial_fit calls
  };

  /// One step's scratch: the batch's rows, weights, labels and distances.
  struct Batch {
    std::vector<std::size_t> rows;  // indices into X, in draw order
    std::vector<T> values;          // those rows, copied together
    std::vector<double> weight;
    std::vector<std::int32_t> labels;
    std::vector<double> distance;    // squared, to the labelled centroid
    std::vector<double> sums, mass;  // per centroid: weighted sums and weights of its batch rows
    detail::PackedCentroids<T> packed;
  };

  static void validate(const MiniBatchOptions& o) {
    Options base;
    base.n_clusters = o.n_clusters;
    base.n_init = o.n_init;
    base.max_iter = o.max_iter;
    base.tol = o.tol;
    base.init = o.init;
    base.oversampling = o.oversampling;
    base.init_rounds = o.init_rounds;
    detail::validate_options(base);
    if (o.batch_size == 0) detail::throw_invalid_argument("batch_size must be at least 1, got 0");
    if (!(o.reassignment_ratio >= 0) || !std::isfinite(o.reassignment_ratio))
      detail::throw_invalid_argument("reassignment_ratio must be finite and >= 0, got ", o.reassignment_ratio);
  }

  void require_fitted(const char* what) const {
    if (!is_fitted()) detail::throw_logic_error(what, "() called before a successful fit() or partial_fit()");
  }

  void require_columns(const char* what, Matrix<const T> X) const {
    if (X.cols() != state_.d)
      detail::throw_invalid_argument(what, ": X has ", X.cols(), " columns, the model was fitted on ", state_.d);
  }

  detail::ThreadPool& pool() const {
    const std::size_t n = options_.n_threads == 0 ? detail::hardware_threads() : options_.n_threads;
    if (!pool_ || pool_->size() != n) pool_ = std::make_shared<detail::ThreadPool>(n);
    return *pool_;
  }

  /// Checks X (and its weights) for a fit that needs `min_rows` rows; its values too, unless
  /// `values` is false (fit checks them with its variance, check_and_scale_tol).
  void check_input(Matrix<const T> X, const std::vector<double>* w, std::size_t min_rows, const char* what,
                   bool values = true) const {
    if (X.rows() == 0) detail::throw_invalid_argument(what, ": X has no rows");
    if (X.cols() == 0) detail::throw_invalid_argument(what, ": X has no columns");
    if (X.rows() < min_rows)
      detail::throw_invalid_argument(what, ": n_clusters (", options_.n_clusters, ") is larger than the rows of X (",
                                     X.rows(), ")");
    if (w) detail::require_weight_total(detail::weight_total(*w, X.rows()));
    if (values) detail::require_usable(pool(), X, "X", X.rows());
  }

  /// The initial centroids: the best of n_init initialisations, each run on init_size rows
  /// drawn with replacement (or on all of X, when init_size is not smaller), by inertia on
  /// another init_size rows drawn with replacement.
  std::vector<T> initialise(Matrix<const T> X, const double* weight, detail::Rng& rng) const {
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
      std::vector<T> c = detail::initial_centroids(pool(), rows, k, init, rng, w);
      std::vector<std::int32_t> labels;
      const double inertia =
          detail::label_rows_with_inertia(pool(), valid, c.data(), k, weight ? valid_w.data() : nullptr, labels);
      if (run == 0 || inertia < best_inertia) {
        best = std::move(c);
        best_inertia = inertia;
      }
    }
    return best;
  }

  void start(std::vector<T> centroids, std::size_t k, std::size_t d) {
    State s;
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
  std::pair<double, double> step(Matrix<const T> X, Batch& batch, bool reassign) {
    const std::size_t k = state_.k, d = state_.d, m = batch.rows.size();
    batch.packed.assign(state_.centroids.data(), k, d);
    batch.labels.resize(m);
    batch.distance.resize(m);
    // The batch's rows, scattered over X, are first copied together (the copy keeps many
    // memory loads in flight; the kernel would wait on them a few rows at a time).
    batch.values.resize(m * d);
    const Matrix<const T> rows(batch.values.data(), m, d);
    detail::for_blocks(pool(), m, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t t = begin; t < end; ++t) std::copy_n(X.row(batch.rows[t]), d, batch.values.data() + t * d);
      detail::assign_rows(rows, begin, end, batch.packed, [&](std::size_t t, std::int32_t label) {
        batch.labels[t] = label;
        batch.distance[t] =
            detail::squared_distance(rows.row(t), state_.centroids.data() + static_cast<std::size_t>(label) * d, d);
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
      detail::scaled_add<false>(batch.sums.data() + c * d, w, x, d);
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
  static void weigh(Batch& batch, const double* weight) {
    batch.weight.resize(batch.rows.size());
    for (std::size_t t = 0; t < batch.rows.size(); ++t) batch.weight[t] = weight ? weight[batch.rows[t]] : 1.0;
  }

  MiniBatchKMeans& fit_impl(Matrix<const T> X, const std::vector<double>* sample_weight) {
    const std::size_t k = options_.n_clusters, n = X.rows();
    check_input(X, sample_weight, k, "fit", false);
    const double tol_scaled = detail::check_and_scale_tol(pool(), X, options_.tol);
    const double* weight = sample_weight ? sample_weight->data() : nullptr;
    detail::Rng rng(detail::derive_seed(options_.seed, 0));
    std::vector<T> first = initialise(X, weight, rng);
    start(std::move(first), k, X.cols());
    state_.rng = rng;

    // Early stopping as scikit-learn's: an exponentially weighted average of the batch
    // inertia per row (ignoring the first step's, which only measures the initialisation).
    const std::size_t batch_size = options_.batch_size;
    const std::size_t n_steps = std::max<std::size_t>(1, options_.max_iter * n / batch_size);
    const double alpha = std::min(1.0, 2.0 * static_cast<double>(batch_size) / static_cast<double>(n + 1));
    double smoothed = 0.0, smoothed_min = 0.0;
    std::size_t no_improvement = 0;
    Batch batch;
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
    state_.inertia = detail::label_rows_with_inertia(pool(), X, state_.centroids.data(), k, weight, state_.labels);
    return *this;
  }

  MiniBatchKMeans& partial_fit_impl(Matrix<const T> X, const std::vector<double>* sample_weight) {
    const double* weight = sample_weight ? sample_weight->data() : nullptr;
    if (!is_fitted()) {
      check_input(X, sample_weight, options_.n_clusters, "partial_fit");
      detail::Rng rng(detail::derive_seed(options_.seed, 0));
      std::vector<T> first = initialise(X, weight, rng);
      start(std::move(first), options_.n_clusters, X.cols());
      state_.rng = rng;
    } else {
      require_columns("partial_fit", X);
      check_input(X, sample_weight, 1, "partial_fit");
    }
    Batch batch;
    batch.rows.resize(X.rows());
    for (std::size_t t = 0; t < X.rows(); ++t) batch.rows[t] = t;
    weigh(batch, weight);
    step(X, batch, reassign_now(X.rows()));
    ++state_.steps;
    state_.inertia =
        detail::label_rows_with_inertia(pool(), X, state_.centroids.data(), state_.k, weight, state_.labels);
    return *this;
  }

  MiniBatchOptions options_;
  State state_;
  mutable std::shared_ptr<detail::ThreadPool> pool_;  // made on first use; a copy shares none of it
};

}  // namespace kmeans
