#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/blocks.hpp"
#include "detail/error.hpp"
#include "detail/kernel.hpp"
#include "detail/labelling.hpp"
#include "detail/lloyd.hpp"
#include "detail/random.hpp"
#include "detail/stats.hpp"
#include "detail/thread_pool.hpp"
#include "init.hpp"
#include "matrix.hpp"
#include "options.hpp"

namespace kmeans {
namespace detail {

/// The algorithm a fit of n rows into k clusters runs (see Algorithm and README).
inline Algorithm resolve_algorithm(const Options& o, std::size_t n, std::size_t k) {
  Algorithm a = o.algorithm;
  // Measured (bench/compare_algorithms.py, README): Hamerly was the fastest of ours at 36 of
  // 40 points and within 11% of Lloyd at the rest; with one cluster there is nothing to skip.
  if (a == Algorithm::automatic) a = k == 1 ? Algorithm::lloyd : Algorithm::hamerly;
  if (a == Algorithm::elkan && ElkanBounds::bytes(n, k) > o.elkan_max_bytes) a = Algorithm::hamerly;
  if (a == Algorithm::yinyang && YinyangBounds::bytes(n, k) > o.elkan_max_bytes) a = Algorithm::hamerly;
  return a;
}

inline void validate_options(const Options& o) {
  if (o.n_clusters == 0) throw_invalid_argument("n_clusters must be at least 1, got 0");
  if (o.n_clusters > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw_invalid_argument("n_clusters (", o.n_clusters, ") does not fit the int32 labels");
  if (o.max_iter == 0) throw_invalid_argument("max_iter must be at least 1, got 0");
  if (o.n_init == 0) throw_invalid_argument("n_init must be at least 1, got 0");
  if (!(o.tol >= 0)) throw_invalid_argument("tol must be >= 0, got ", o.tol);
  if (o.algorithm != Algorithm::lloyd && o.algorithm != Algorithm::elkan && o.algorithm != Algorithm::hamerly &&
      o.algorithm != Algorithm::yinyang && o.algorithm != Algorithm::automatic)
    throw_invalid_argument("algorithm has no such value: ", static_cast<int>(o.algorithm));
  validate_init(o);
}

/// The sum of sample weights, one per row, each finite and >= 0 (else invalid_argument).
inline double weight_total(const std::vector<double>& w, std::size_t rows) {
  if (w.size() != rows) throw_invalid_argument("sample_weight has ", w.size(), " values, X has ", rows, " rows");
  double total = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!(w[i] >= 0) || !std::isfinite(w[i]))
      throw_invalid_argument("sample_weight[", i, "] is ", w[i], "; weights must be finite and >= 0");
    total += w[i];
  }
  return total;
}

/// Throws invalid_argument unless the weights' total is positive and finite.
inline void require_weight_total(double total) {
  if (!(total > 0)) throw_invalid_argument("sample_weight is all zeros");
  if (!std::isfinite(total)) throw_invalid_argument("sample_weight sums to ", total);
}

}  // namespace detail

/// @brief k-means clustering of the rows of a matrix of T (float or double).
///
/// A model is a value: copies are independent (each owns its own threads), and const
/// methods may be called from several threads at once.
template <class T>
class KMeans {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "KMeans<T> needs T = float or double");

 public:
  /// Throws std::invalid_argument for options no fit could use.
  explicit KMeans(Options options = {}) : options_(std::move(options)) { detail::validate_options(options_); }

  KMeans(const KMeans& other) : options_(other.options_), fitted_(other.fitted_) {
    if (other.pool_) pool_ = std::make_unique<detail::ThreadPool>(other.pool_->size());
  }
  KMeans& operator=(const KMeans& other) {
    if (this != &other) *this = KMeans(other);
    return *this;
  }
  KMeans(KMeans&& other) noexcept
      : options_(std::move(other.options_)),
        fitted_(std::exchange(other.fitted_, Fitted{})),
        pool_(std::move(other.pool_)),
        buffers_(std::move(other.buffers_)) {}
  KMeans& operator=(KMeans&& other) noexcept {
    options_ = std::move(other.options_);
    fitted_ = std::exchange(other.fitted_, Fitted{});
    pool_ = std::move(other.pool_);
    buffers_ = std::move(other.buffers_);
    return *this;
  }
  ~KMeans() = default;

  /// @brief Clusters the rows of X, starting from options().init.
  KMeans& fit(Matrix<const T> X) { return fit_impl(X, nullptr, nullptr); }

  /// @brief Clusters the rows of X starting from the given n_clusters x X.cols() centroids
  /// (one run: n_init is ignored).
  KMeans& fit(Matrix<const T> X, Matrix<const T> initial_centroids) { return fit_impl(X, &initial_centroids, nullptr); }

  /// @brief Weighted k-means: row i counts sample_weight[i] times in k-means++, the means and
  /// the inertia. Weights must be finite and >= 0, one per row, not all zero; a row of weight
  /// 0 is as good as absent (except that it still gets a label).
  KMeans& fit(Matrix<const T> X, const std::vector<double>& sample_weight) {
    return fit_impl(X, nullptr, &sample_weight);
  }
  KMeans& fit(Matrix<const T> X, const std::vector<double>& sample_weight, Matrix<const T> initial_centroids) {
    return fit_impl(X, &initial_centroids, &sample_weight);
  }

  /// @brief fit(X), then its labels.
  std::vector<std::int32_t> fit_predict(Matrix<const T> X) { return fit(X).labels(); }

  /// @brief The index of the nearest centroid for every row of X (lowest index on ties).
  std::vector<std::int32_t> predict(Matrix<const T> X) const {
    require_fitted("predict");
    require_columns("predict", X);
    if (X.rows() == 0) return {};
    detail::require_usable(*pool_, X, "X", X.rows());
    return detail::nearest_labels(*pool_, X, fitted_.centroids.data(), fitted_.k);
  }

  /// @brief The distance (not squared) from every row of X to every centroid: a row-major
  /// X.rows() x n_clusters array, computed in double.
  std::vector<T> transform(Matrix<const T> X) const {
    require_fitted("transform");
    require_columns("transform", X);
    if (X.rows() == 0) return {};
    detail::require_usable(*pool_, X, "X", X.rows());
    return detail::all_distances(*pool_, X, fitted_.centroids.data(), fitted_.k);
  }

  /// @brief Minus the inertia of X for the fitted centroids (scikit-learn's score): the sum
  /// of squared distances of the rows to their nearest centroids, negated.
  double score(Matrix<const T> X) const { return score_impl(X, nullptr); }
  /// @brief The same, each row's squared distance multiplied by its weight.
  double score(Matrix<const T> X, const std::vector<double>& sample_weight) const {
    return score_impl(X, &sample_weight);
  }

  /// @brief The n_clusters x n_features centroids of the last fit.
  Matrix<const T> centroids() const {
    require_fitted("centroids");
    return Matrix<const T>(fitted_.centroids.data(), fitted_.k, fitted_.d);
  }
  /// @brief The label of every row of the last fit's X, for its final centroids.
  const std::vector<std::int32_t>& labels() const {
    require_fitted("labels");
    return fitted_.labels;
  }
  /// @brief Sum of squared distances of the rows to their final centroids.
  double inertia() const { return fitted_.inertia; }
  /// @brief Iterations run by the winning restart.
  std::size_t n_iter() const noexcept { return fitted_.n_iter; }
  /// @brief Whether the winning restart stopped on labels or tol (not max_iter or callback).
  bool converged() const noexcept { return fitted_.converged; }
  /// @brief The algorithm the last fit ran: options().algorithm, with automatic resolved and
  /// elkan or yinyang replaced by hamerly where its bounds would pass options().elkan_max_bytes.
  Algorithm algorithm_used() const {
    require_fitted("algorithm_used");
    return fitted_.algorithm;
  }
  /// @brief Whether fit() has succeeded at least once.
  bool is_fitted() const noexcept { return fitted_.k != 0; }
  const Options& options() const noexcept { return options_; }

 private:
  struct Fitted {
    std::vector<T> centroids;
    std::vector<std::int32_t> labels;
    double inertia = 0.0;
    std::size_t k = 0, d = 0, n_iter = 0;
    bool converged = false;
    Algorithm algorithm = Algorithm::lloyd;
  };

  void require_fitted(const char* what) const {
    if (!is_fitted()) detail::throw_logic_error(what, "() called before a successful fit()");
  }

  void require_columns(const char* what, Matrix<const T> X) const {
    if (X.cols() != fitted_.d)
      detail::throw_invalid_argument(what, ": X has ", X.cols(), " columns, the model was fitted on ", fitted_.d);
  }

  static void require_weights(const std::vector<double>& w, std::size_t rows) {
    detail::require_weight_total(detail::weight_total(w, rows));
  }

  double score_impl(Matrix<const T> X, const std::vector<double>* weight) const {
    require_fitted("score");
    require_columns("score", X);
    if (weight) require_weights(*weight, X.rows());
    if (X.rows() == 0) return 0.0;
    detail::require_usable(*pool_, X, "X", X.rows());
    std::vector<std::int32_t> labels;
    return -detail::label_rows_with_inertia(*pool_, X, fitted_.centroids.data(), fitted_.k,
                                            weight ? weight->data() : nullptr, labels);
  }

  detail::ThreadPool& pool() {
    const std::size_t n = options_.n_threads == 0 ? detail::hardware_threads() : options_.n_threads;
    if (!pool_ || pool_->size() != n) pool_ = std::make_unique<detail::ThreadPool>(n);
    return *pool_;
  }

  KMeans& fit_impl(Matrix<const T> X, const Matrix<const T>* given, const std::vector<double>* sample_weight) {
    const std::size_t k = options_.n_clusters;
    if (X.rows() == 0) detail::throw_invalid_argument("X has no rows");
    if (X.cols() == 0) detail::throw_invalid_argument("X has no columns");
    if (k > X.rows())
      detail::throw_invalid_argument("n_clusters (", k, ") is larger than the number of rows of X (", X.rows(), ")");
    if (given && (given->rows() != k || given->cols() != X.cols()))
      detail::throw_invalid_argument("initial centroids are ", given->rows(), " x ", given->cols(), ", expected ", k,
                                     " x ", X.cols(), " (n_clusters x columns of X)");
    if (sample_weight) require_weights(*sample_weight, X.rows());
    const double* weight = sample_weight ? sample_weight->data() : nullptr;
    detail::ThreadPool& workers = pool();
    // The variance only matters where tol can stop the fit.
    const double tol_scaled = detail::check_and_scale_tol(workers, X, options_.run_till_max_iter ? 0.0 : options_.tol);
    if (given) detail::require_usable(workers, *given, "initial centroids", X.rows());

    if (!buffers_) buffers_ = std::make_unique<detail::LloydBuffers<T>>();
    const Algorithm method = detail::resolve_algorithm(options_, X.rows(), k);
    detail::Lloyd<T> lloyd(workers, X, k, *buffers_, method, weight);
    struct ReleaseBounds {
      detail::LloydBuffers<T>& buffers;
      ~ReleaseBounds() { buffers.release_bounds(); }
    } release_bounds{*buffers_};
    detail::LloydResult<T> best;
    bool have_best = false;
    const std::size_t runs = given ? 1 : options_.n_init;
    for (std::size_t run = 0; run < runs; ++run) {
      std::vector<T> start;
      detail::SeededRows seeded;  // k-means++ leaves Lloyd its rows' labels, Hamerly also bounds
      if (given) {
        start.resize(k * X.cols());
        for (std::size_t c = 0; c < k; ++c)
          std::copy(given->row(c), given->row(c) + X.cols(), start.begin() + static_cast<std::ptrdiff_t>(c * X.cols()));
      } else {
        detail::Rng rng(detail::derive_seed(options_.seed, run));
        seeded.bounds = method == Algorithm::hamerly;
        const bool seeds = method == Algorithm::lloyd || method == Algorithm::hamerly;
        start = detail::initial_centroids(workers, X, k, options_, rng, weight, seeds ? &seeded : nullptr);
      }
      detail::LloydResult<T> result = lloyd.run(std::move(start), options_, tol_scaled, &seeded);
      const bool stopped = result.stopped;
      if (!have_best || result.inertia < best.inertia) {
        best = std::move(result);
        have_best = true;
      }
      if (stopped) break;
    }

    Fitted next;
    next.centroids = std::move(best.centroids);
    next.labels = std::move(best.labels);
    next.inertia = best.inertia;
    next.k = k;
    next.d = X.cols();
    next.n_iter = best.n_iter;
    next.converged = best.converged;
    next.algorithm = method;
    fitted_ = std::move(next);
    return *this;
  }

  Options options_;
  Fitted fitted_;
  std::unique_ptr<detail::ThreadPool> pool_;          // created by the first fit, reused after
  std::unique_ptr<detail::LloydBuffers<T>> buffers_;  // likewise; never copied
};

}  // namespace kmeans
