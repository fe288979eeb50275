#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace kmeans {

/// @brief How the first centroids are chosen.
enum class Init {
  kmeans_plus_plus,  ///< greedy k-means++: 2 + floor(ln k) candidates per centre, best kept
  random,            ///< k distinct rows, uniformly at random
  /// k-means|| (Bahmani et al. 2012): Options::init_rounds passes that each sample about
  /// oversampling x k rows, then weighted greedy k-means++ on the samples. Far fewer passes
  /// over the data than k-means++ (k of them) when k is large; the distributed fit's init.
  kmeans_parallel,
};

/// @brief Which exact algorithm runs the iterations. All give the same labels and centroids,
/// iteration by iteration; they differ in how many distances they compute.
enum class Algorithm {
  lloyd,    ///< every row-to-centroid distance, every iteration (the kernel at full speed)
  elkan,    ///< k + 1 bounds per row: skips most distances; n (4 k + 8) bytes of memory
            ///< (above Options::elkan_max_bytes the fit runs hamerly instead)
  hamerly,  ///< 2 bounds per row: skips rows whose label cannot change; O(n) memory
  yinyang,  ///< 1 + k / 10 bounds per row (one per group of about 10 centroids): skips rows whose
            ///< label cannot change, by tighter bounds than hamerly's; n (k / 10 + 1) doubles
            ///< (above elkan_max_bytes the fit runs hamerly instead)
  /// the library's choice, the default: lloyd for k = 1, elkan for d >= 384 columns and k >= 8
  /// (where its bounds fit elkan_max_bytes), hamerly otherwise (docs/algorithms.md)
  automatic,
};

/// @brief How nearness is measured.
enum class Metric {
  euclidean,  ///< squared Euclidean distance (k-means)
  /// cosine similarity (spherical k-means): the fit and predict work on the rows scaled to
  /// unit length (a copy; a row of zeros is an error), the centroids are renormalised after
  /// each update, and the nearest centroid is the one of largest cosine similarity. inertia
  /// and transform are the Euclidean ones between the unit rows and the unit centroids
  /// (squared distance 2 - 2 cos).
  cosine,
};

/// @brief What the on_iteration callback is told after each iteration.
struct Iteration {
  std::size_t iteration;  ///< 1-based, within the current restart
  double inertia;         ///< sum of squared distances to the centroids the rows were assigned to
  double center_shift;    ///< sum of squared centroid movements made by this iteration's update
  /// Row-to-centroid distances this iteration computed: n k for Lloyd, fewer for the others.
  std::size_t distance_evaluations;
};

/// @brief Everything that configures a fit.
struct Options {
  std::size_t n_clusters = 8;
  std::size_t max_iter = 300;
  /// Converged when the sum of squared centre shifts <= tol * mean per-feature variance of X
  /// (scikit-learn's meaning).
  double tol = 1e-4;
  /// Ignore tol and label stability: run exactly max_iter iterations.
  bool run_till_max_iter = false;
  /// Restarts from different seeds; the lowest inertia wins (first on ties).
  std::size_t n_init = 1;
  Init init = Init::kmeans_plus_plus;
  /// Init::kmeans_parallel: each round samples oversampling x n_clusters rows (in expectation).
  double oversampling = 2.0;
  /// Init::kmeans_parallel: sampling rounds (more, up to 64, while fewer than n_clusters rows
  /// were sampled).
  std::size_t init_rounds = 5;
  Algorithm algorithm = Algorithm::automatic;
  Metric metric = Metric::euclidean;
  /// Elkan's bounds take n (4 k + 8) bytes, Yinyang's n (k / 10 + 1) doubles; a fit whose bounds
  /// would need more bytes than this runs hamerly instead.
  std::size_t elkan_max_bytes = std::size_t{1} << 30;
  /// Score float64 rows in float32 first (twice the vector width) when n_clusters >= 8; a row
  /// whose float32 scores do not settle its nearest centroid under a rigorous error bound is
  /// scored again in float64. Labels, centroids, inertia and iterations are the same bits
  /// either way (docs/algorithms.md); turn off only to measure. No effect on float data.
  bool mixed_precision = true;
  std::uint64_t seed = 0;
  /// Threads a fit and predict use, the caller's included; 0: all hardware threads.
  std::size_t n_threads = 0;
  /// Called on the fitting thread after every iteration; return false to stop the fit.
  std::function<bool(const Iteration&)> on_iteration;
};

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

}  // namespace kmeans
