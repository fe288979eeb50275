#pragma once
/// @file
/// @brief MiniBatchKMeans<T> (Sculley 2010, as scikit-learn's): each step moves the centroids
/// towards the mean of a random batch of rows. For data too large to pass over many times; the
/// answer is approximate, not Lloyd's. Configured by MiniBatchOptions (options.hpp).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/checks.hpp"
#include "detail/minibatch.hpp"
#include "detail/model_file.hpp"
#include "detail/predict.hpp"
#include "detail/stats.hpp"
#include "detail/thread_pool.hpp"
#include "matrix.hpp"
#include "options.hpp"

namespace kmeans {

/// @brief Mini-batch k-means of the rows of a matrix of T (float or double). The result
/// depends on the seed, never on the thread count. A model is a value, as KMeans is.
template <class T>
class MiniBatchKMeans {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "MiniBatchKMeans<T> needs T = float or double");

 public:
  /// Throws std::invalid_argument for options no fit could use.
  explicit MiniBatchKMeans(MiniBatchOptions options = {})
      : options_(checked(std::move(options))), pool_(detail::shared_pool(options_.n_threads)) {}

  MiniBatchKMeans(const MiniBatchKMeans&) = default;
  MiniBatchKMeans& operator=(const MiniBatchKMeans&) = default;
  /// A moved-from model keeps its pool (it may be fitted again) and forgets its fit.
  MiniBatchKMeans(MiniBatchKMeans&& other) noexcept
      : options_(std::move(other.options_)),
        state_(std::exchange(other.state_, detail::MiniBatchState<T>{})),
        pool_(other.pool_) {}  // NOLINT(performance-move-constructor-init): shared, and kept
  MiniBatchKMeans& operator=(MiniBatchKMeans&& other) noexcept {
    options_ = std::move(other.options_);
    state_ = std::exchange(other.state_, detail::MiniBatchState<T>{});
    pool_ = other.pool_;
    return *this;
  }
  ~MiniBatchKMeans() = default;

  /// @brief A model at the given centroids (copied), as if fitted: predict, transform and
  /// score use them, and partial_fit steps on from them, each centroid's learning rate
  /// 1 / counts[c] (counts: the weight each has absorbed, as counts() reports; empty: none yet,
  /// as after a first call's initialisation). `steps`: what n_steps() starts from. Throws
  /// std::invalid_argument for an empty matrix, an unusable value or count, or a count per
  /// centroid missing.
  static MiniBatchKMeans from_centroids(Matrix<const T> centroids, MiniBatchOptions options = {},
                                        std::vector<double> counts = {}, std::size_t steps = 0) {
    if (centroids.empty()) detail::throw_invalid_argument("from_centroids: the centroids are empty");
    const std::size_t k = centroids.rows();
    if (counts.empty()) counts.assign(k, 0.0);
    if (counts.size() != k)
      detail::throw_invalid_argument("from_centroids: ", counts.size(), " counts for ", k, " centroids");
    for (std::size_t c = 0; c < k; ++c)
      if (!(counts[c] >= 0) || !std::isfinite(counts[c]))
        detail::throw_invalid_argument("from_centroids: counts[", c, "] is ", counts[c],
                                       "; counts must be finite and >= 0");
    options.n_clusters = k;
    MiniBatchKMeans model(std::move(options));
    detail::require_usable(*model.pool_, centroids, "centroids", k);
    detail::MiniBatchState<T>& s = model.state_;
    s.k = k;
    s.d = centroids.cols();
    s.centroids = detail::copy_rows(centroids);
    s.master.assign(s.centroids.begin(), s.centroids.end());
    s.counts = std::move(counts);
    s.steps = steps;
    // Reassignment draws continue from a stream of their own, not the one a fit would use.
    s.rng = detail::Rng(detail::derive_seed(model.options_.seed, steps + 1));
    return model;
  }

  /// @brief Writes the model to `path` in the saved-model format (docs/model-format.md): the
  /// centroids (their own bits), the counts, the options but n_threads and the callback,
  /// n_steps, n_iter, inertia and converged; not the labels. As KMeans::save otherwise.
  void save(const std::string& path) const {
    require_fitted("save");
    detail::ModelState s;
    s.kind = detail::ModelKind::minibatch;
    s.k = state_.k;
    s.d = state_.d;
    s.n_iter = state_.passes;
    s.steps = state_.steps;
    s.inertia = state_.inertia;
    s.converged = state_.converged;
    s.mb_options = options_;
    s.counts = state_.counts;
    detail::store_centroids(s, state_.centroids);
    detail::write_file(path, detail::encode(s));
  }

  /// @brief The model saved at `path`: predict, transform and score give what the saved
  /// model's did, bit for bit, and partial_fit continues as from_centroids(centroids, options,
  /// counts, n_steps) would (for double, the saved model's own next step, but for
  /// reassignments, which draw from a stream of their own). labels() is empty. Throws as
  /// KMeans::load.
  static MiniBatchKMeans load(const std::string& path, std::size_t n_threads = 0) {
    detail::ModelState s = detail::load_state<T>(path, detail::ModelKind::minibatch);
    const std::vector<T> centroids = detail::loaded_centroids<T>(s);
    MiniBatchKMeans model = detail::with_file_named(path, [&] {
      MiniBatchOptions o = s.mb_options;
      o.n_threads = n_threads;
      const Matrix<const T> C(centroids.data(), static_cast<std::size_t>(s.k), static_cast<std::size_t>(s.d));
      return from_centroids(C, std::move(o), std::move(s.counts), static_cast<std::size_t>(s.steps));
    });
    model.state_.passes = static_cast<std::size_t>(s.n_iter);
    model.state_.inertia = s.inertia;
    model.state_.converged = s.converged;
    return model;
  }

  /// @brief Steps over random batches of X until max_iter passes or early stopping, then
  /// labels every row of X for the final centroids.
  MiniBatchKMeans& fit(Matrix<const T> X) { return fit_impl(X, nullptr, nullptr); }
  /// @brief Weighted: each row's weight scales its pull on its centroid and its inertia.
  MiniBatchKMeans& fit(Matrix<const T> X, const std::vector<double>& sample_weight) {
    return fit_impl(X, &sample_weight, nullptr);
  }
  /// @brief Starting from the given n_clusters x X.cols() centroids (n_init is ignored).
  MiniBatchKMeans& fit(Matrix<const T> X, Matrix<const T> initial_centroids) {
    return fit_impl(X, nullptr, &initial_centroids);
  }
  MiniBatchKMeans& fit(Matrix<const T> X, const std::vector<double>& sample_weight, Matrix<const T> initial_centroids) {
    return fit_impl(X, &sample_weight, &initial_centroids);
  }

  /// @brief fit(X), then its labels.
  std::vector<std::int32_t> fit_predict(Matrix<const T> X) { return fit(X).labels(); }
  /// @brief fit(X), then transform(X).
  std::vector<T> fit_transform(Matrix<const T> X) { return fit(X).transform(X); }

  /// @brief One step on the whole of `batch` (streaming). The first call initialises the
  /// centroids from this batch, which then needs at least n_clusters rows; later calls
  /// continue from the current centroids and learning rates. labels() and inertia() then
  /// describe this batch.
  MiniBatchKMeans& partial_fit(Matrix<const T> batch) { return partial_fit_impl(batch, nullptr, nullptr); }
  MiniBatchKMeans& partial_fit(Matrix<const T> batch, const std::vector<double>& sample_weight) {
    return partial_fit_impl(batch, &sample_weight, nullptr);
  }
  /// @brief As partial_fit(batch); the first call starts from the given n_clusters x
  /// batch.cols() centroids (as scikit-learn's init array), later calls do not read them.
  MiniBatchKMeans& partial_fit(Matrix<const T> batch, Matrix<const T> initial_centroids) {
    return partial_fit_impl(batch, nullptr, &initial_centroids);
  }
  MiniBatchKMeans& partial_fit(Matrix<const T> batch, const std::vector<double>& sample_weight,
                               Matrix<const T> initial_centroids) {
    return partial_fit_impl(batch, &sample_weight, &initial_centroids);
  }

  /// @brief The index of the nearest centroid for every row of X (lowest index on ties).
  std::vector<std::int32_t> predict(Matrix<const T> X) const {
    require_fitted("predict");
    return detail::predict(*pool_, centroids(), X);
  }

  /// @brief Distances (not squared) from every row of X to every centroid, X.rows() x n_clusters.
  std::vector<T> transform(Matrix<const T> X) const {
    require_fitted("transform");
    return detail::transform(*pool_, centroids(), X);
  }

  /// @brief Minus the inertia of X for the current centroids.
  double score(Matrix<const T> X) const {
    require_fitted("score");
    return detail::score(*pool_, centroids(), X, nullptr);
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
  static MiniBatchOptions checked(MiniBatchOptions o) {
    detail::validate(o);
    return o;
  }

  void require_fitted(const char* call) const { detail::require_fitted(is_fitted(), call, "fit() or partial_fit()"); }

  MiniBatchKMeans& fit_impl(Matrix<const T> X, const std::vector<double>* sample_weight, const Matrix<const T>* given) {
    detail::require_fit_shape("fit", X, options_.n_clusters);
    if (given) detail::require_centroid_shape(*given, options_.n_clusters, X.cols());
    if (sample_weight) detail::require_weights(*sample_weight, X.rows());
    // The data check inside the variance pass, where tol is used.
    const double tol_scaled = detail::check_and_scale_tol(*pool_, X, options_.tol);
    if (given) detail::require_usable(*pool_, *given, "initial centroids", X.rows());
    detail::MiniBatchSteps<T>(*pool_, options_, state_).fit(X, weights(sample_weight), tol_scaled, given);
    return *this;
  }

  MiniBatchKMeans& partial_fit_impl(Matrix<const T> X, const std::vector<double>* sample_weight,
                                    const Matrix<const T>* given) {
    if (is_fitted()) {
      detail::require_columns("partial_fit", X, state_.d);
      detail::require_fit_shape("partial_fit", X, 1);
      given = nullptr;  // only the first call starts from them
    } else {
      detail::require_fit_shape("partial_fit", X, options_.n_clusters);
      if (given) detail::require_centroid_shape(*given, options_.n_clusters, X.cols());
    }
    if (sample_weight) detail::require_weights(*sample_weight, X.rows());
    detail::require_usable(*pool_, X, "X", X.rows());
    if (given) detail::require_usable(*pool_, *given, "initial centroids", X.rows());
    detail::MiniBatchSteps<T>(*pool_, options_, state_).partial_fit(X, weights(sample_weight), given);
    return *this;
  }

  static const double* weights(const std::vector<double>* w) noexcept { return w ? w->data() : nullptr; }

  MiniBatchOptions options_;
  detail::MiniBatchState<T> state_;
  std::shared_ptr<detail::ThreadPool> pool_;  // detail::shared_pool(options_.n_threads), from construction
};

}  // namespace kmeans
