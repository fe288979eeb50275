#pragma once
/// @file
/// @brief KMeans<T>: exact k-means, fitted by the algorithm Options::algorithm names.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/checks.hpp"
#include "detail/fit.hpp"
#include "detail/model_file.hpp"
#include "detail/predict.hpp"
#include "detail/problem.hpp"
#include "detail/stats.hpp"
#include "detail/thread_pool.hpp"
#include "init.hpp"
#include "matrix.hpp"
#include "options.hpp"

namespace kmeans {

/// @brief k-means clustering of the rows of a matrix of T (float or double).
///
/// A model is a value: copies are independent (they share only the pool of threads every
/// model of the same n_threads shares), and const methods may be called from several threads
/// at once.
template <class T>
class KMeans {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "KMeans<T> needs T = float or double");

 public:
  /// Throws std::invalid_argument for options no fit could use.
  explicit KMeans(Options options = {})
      : options_(checked(std::move(options))), pool_(detail::shared_pool(options_.n_threads)) {}

  KMeans(const KMeans& other) : options_(other.options_), fitted_(other.fitted_), pool_(other.pool_) {}
  KMeans& operator=(const KMeans& other) {
    if (this != &other) *this = KMeans(other);
    return *this;
  }
  /// A moved-from model keeps its pool (it may be fitted again) and forgets its fit.
  KMeans(KMeans&& other) noexcept
      : options_(std::move(other.options_)),
        fitted_(std::exchange(other.fitted_, Fitted{})),
        pool_(other.pool_),  // NOLINT(performance-move-constructor-init): shared, and kept
        work_(std::move(other.work_)) {}
  KMeans& operator=(KMeans&& other) noexcept {
    options_ = std::move(other.options_);
    fitted_ = std::exchange(other.fitted_, Fitted{});
    pool_ = other.pool_;
    work_ = std::move(other.work_);
    return *this;
  }
  ~KMeans() = default;

  /// @brief A fitted model whose centroids are the rows of `centroids` (copied), as if a fit
  /// had ended there: predict, transform and score use them, labels() is empty, inertia() and
  /// n_iter() are 0. For centroids kept from an earlier fit or made elsewhere.
  /// options.n_clusters becomes centroids.rows(). Throws std::invalid_argument for an empty
  /// matrix or one with a NaN, an infinity or a row too large to square.
  static KMeans from_centroids(Matrix<const T> centroids, Options options = {}) {
    if (centroids.empty()) detail::throw_invalid_argument("from_centroids: the centroids are empty");
    options.n_clusters = centroids.rows();
    KMeans model(std::move(options));
    detail::require_usable(*model.pool_, centroids, "centroids", centroids.rows());
    model.fitted_.centroids =
        model.cosine() ? detail::unit_rows(*model.pool_, centroids, "centroids") : detail::copy_rows(centroids);
    model.fitted_.k = centroids.rows();
    model.fitted_.d = centroids.cols();
    model.fitted_.algorithm = detail::resolve_algorithm(model.options_, 0, centroids.rows(), centroids.cols());
    return model;
  }

  /// @brief Writes the fitted model to `path` in the saved-model format
  /// (docs/model-format.md): the centroids (their own bits), the options but n_threads and
  /// the callback, n_iter, inertia, converged and algorithm_used; not the labels. The file is
  /// written beside `path` and renamed over it, so a failed save leaves an earlier file whole.
  /// Throws std::logic_error before a fit, std::invalid_argument if the file cannot be written.
  void save(const std::string& path) const {
    require_fitted("save");
    detail::ModelState s;
    s.kind = detail::ModelKind::kmeans;
    s.k = fitted_.k;
    s.d = fitted_.d;
    s.n_iter = fitted_.n_iter;
    s.inertia = fitted_.inertia;
    s.converged = fitted_.converged;
    s.algorithm_used = fitted_.algorithm;
    s.options = options_;
    detail::store_centroids(s, fitted_.centroids);
    detail::write_file(path, detail::encode(s));
  }

  /// @brief The model saved at `path`, fitted: predict, transform and score give what the
  /// saved model's did, bit for bit; labels() is empty. `n_threads` as Options::n_threads.
  /// Throws std::invalid_argument, naming the file, for one that cannot be read, is not a
  /// model file, is truncated or corrupted, comes from a newer format version, holds a
  /// MiniBatchKMeans or the other T, or holds invalid options or non-finite centroids.
  static KMeans load(const std::string& path, std::size_t n_threads = 0) {
    const detail::ModelState s = detail::load_state<T>(path, detail::ModelKind::kmeans);
    KMeans model = detail::with_file_named(path, [&] {
      Options o = s.options;
      o.n_clusters = static_cast<std::size_t>(s.k);
      o.n_threads = n_threads;
      return KMeans(std::move(o));
    });
    Fitted& f = model.fitted_;
    f.centroids = detail::loaded_centroids<T>(s);
    f.d = static_cast<std::size_t>(s.d);
    detail::with_file_named(path, [&] {
      detail::require_usable(*model.pool_, Matrix<const T>(f.centroids.data(), s.k, f.d), "centroids", s.k);
      return 0;
    });
    f.k = static_cast<std::size_t>(s.k);
    f.n_iter = static_cast<std::size_t>(s.n_iter);
    f.inertia = s.inertia;
    f.converged = s.converged;
    f.algorithm = s.algorithm_used;
    return model;
  }

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
  /// @brief fit(X), then transform(X) (scikit-learn's fit_transform).
  std::vector<T> fit_transform(Matrix<const T> X) { return fit(X).transform(X); }

  /// @brief The index of the nearest centroid for every row of X (lowest index on ties).
  std::vector<std::int32_t> predict(Matrix<const T> X) const {
    require_fitted("predict");
    return on_rows(X, [&](Matrix<const T> rows) { return detail::predict(*pool_, centroids(), rows); });
  }

  /// @brief The distance (not squared) from every row of X to every centroid: a row-major
  /// X.rows() x n_clusters array, computed in double.
  std::vector<T> transform(Matrix<const T> X) const {
    require_fitted("transform");
    return on_rows(X, [&](Matrix<const T> rows) { return detail::transform(*pool_, centroids(), rows); });
  }

  /// @brief Minus the inertia of X for the fitted centroids (scikit-learn's score): the sum
  /// of squared distances of the rows to their nearest centroids, negated.
  double score(Matrix<const T> X) const {
    require_fitted("score");
    return on_rows(X, [&](Matrix<const T> rows) { return detail::score(*pool_, centroids(), rows, nullptr); });
  }
  /// @brief The same, each row's squared distance multiplied by its weight.
  double score(Matrix<const T> X, const std::vector<double>& sample_weight) const {
    require_fitted("score");
    return on_rows(X, [&](Matrix<const T> rows) { return detail::score(*pool_, centroids(), rows, &sample_weight); });
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

  static Options checked(Options o) {
    detail::validate(o);
    return o;
  }

  void require_fitted(const char* call) const { detail::require_fitted(is_fitted(), call, "fit()"); }

  bool cosine() const noexcept { return options_.metric == Metric::cosine; }

  /// f(X), or, for Metric::cosine, f of X's rows scaled to unit length (a copy).
  template <class F>
  auto on_rows(Matrix<const T> X, F&& f) const {
    if (!cosine()) return f(X);
    const std::vector<T> unit = detail::unit_rows(*pool_, X, "X");
    return f(Matrix<const T>(unit.data(), X.rows(), X.cols()));
  }

  KMeans& fit_impl(Matrix<const T> X, const Matrix<const T>* given, const std::vector<double>* sample_weight) {
    const std::size_t k = options_.n_clusters;
    detail::require_fit_shape("fit", X, k);
    if (given) detail::require_centroid_shape(*given, k, X.cols());
    if (sample_weight) detail::require_weights(*sample_weight, X.rows());
    detail::ThreadPool& pool = *pool_;
    // Cosine: the whole fit runs on the rows (and given centroids) scaled to unit length.
    std::vector<T> unit_X, unit_given;
    Matrix<const T> unit_given_view;
    if (cosine()) {
      unit_X = detail::unit_rows(pool, X, "X");
      X = Matrix<const T>(unit_X.data(), X.rows(), X.cols());
      if (given) {
        unit_given = detail::unit_rows(pool, *given, "initial centroids");
        unit_given_view = Matrix<const T>(unit_given.data(), k, X.cols());
        given = &unit_given_view;
      }
    }
    detail::FitPlan plan;
    // The data check, and the variance only where tol can stop the fit: one pass over X.
    plan.tol_scaled = detail::check_and_scale_tol(pool, X, options_.run_till_max_iter ? 0.0 : options_.tol);
    if (given) detail::require_usable(pool, *given, "initial centroids", X.rows());
    plan.algorithm = detail::resolve_algorithm(options_, X.rows(), k, X.cols());

    if (!work_) work_ = std::make_unique<detail::Workspace<T>>();
    const detail::Problem<T> problem{pool, X, k, sample_weight ? sample_weight->data() : nullptr, nullptr};
    detail::FitResult<T> result = detail::fit(problem, options_, plan, given, *work_);

    Fitted next;
    next.centroids = std::move(result.best.centroids);
    next.labels = std::move(result.best.labels);
    next.inertia = result.best.inertia;
    next.k = result.k;
    next.d = result.d;
    next.n_iter = result.best.n_iter;
    next.converged = result.best.converged;
    next.algorithm = result.algorithm;
    fitted_ = std::move(next);
    return *this;
  }

  Options options_;
  Fitted fitted_;
  std::shared_ptr<detail::ThreadPool> pool_;    // detail::shared_pool(options_.n_threads), from construction
  std::unique_ptr<detail::Workspace<T>> work_;  // made by the first fit, reused by the next; never copied
};

}  // namespace kmeans
