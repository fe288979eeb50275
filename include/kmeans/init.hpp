#pragma once
/// @file
/// @brief initial_centroids(X, options): where a fit with these options starts. The
/// initialisations themselves are in detail/init/ (sampling, k-means++, k-means||).

#include <cstddef>
#include <vector>

#include "detail/checks.hpp"
#include "detail/init/dispatch.hpp"
#include "detail/problem.hpp"
#include "detail/random.hpp"
#include "detail/stats.hpp"
#include "detail/thread_pool.hpp"
#include "matrix.hpp"
#include "options.hpp"

namespace kmeans {

/// @brief The centroids a fit with these options starts from (its first restart), as a
/// row-major n_clusters x X.cols() array. Throws std::invalid_argument for bad input.
template <class T>
std::vector<T> initial_centroids(Matrix<const T> X, const Options& options) {
  detail::validate(options);
  detail::require_fit_shape("initial_centroids", X, options.n_clusters);
  const auto pool = detail::shared_pool(options.n_threads);
  detail::require_usable(*pool, X, "X", X.rows());
  std::vector<T> unit;  // Metric::cosine: the fit starts from the rows scaled to unit length
  if (options.metric == Metric::cosine) {
    unit = detail::unit_rows(*pool, X, "X");
    X = Matrix<const T>(unit.data(), X.rows(), X.cols());
  }
  detail::Rng rng(detail::derive_seed(options.seed, 0));
  return detail::initial_centroids(detail::Problem<T>{*pool, X, options.n_clusters}, options, rng);
}

}  // namespace kmeans
