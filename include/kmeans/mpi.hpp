#pragma once
/// @file
/// @brief mpi::fit: k-means over rows spread across MPI processes; every process gets the
/// same centroids. The only public header that includes <mpi.h>; link kmeans::mpi to use it.

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "detail/fit.hpp"
#include "detail/mpi_fit.hpp"
#include "matrix.hpp"
#include "options.hpp"

namespace kmeans::mpi {

/// @brief What a distributed fit returns on every process: the same centroids, inertia,
/// n_iter and converged on all; labels for this process's rows.
template <class T>
struct Result {
  std::vector<T> centroids;  ///< n_clusters x n_features, row-major; the same bits on every process
  std::size_t n_clusters = 0, n_features = 0;
  std::vector<std::int32_t> labels;  ///< this process's rows, for the final centroids
  double inertia = 0.0;              ///< over every process's rows
  std::size_t n_iter = 0;
  bool converged = false;
  Algorithm algorithm = Algorithm::lloyd;  ///< as KMeans::algorithm_used()

  Matrix<const T> centroid_matrix() const { return {centroids.data(), n_clusters, n_features}; }
};

namespace detail {

template <class T>
Result<T> result(kmeans::detail::FitResult<T> fitted) {
  Result<T> out;
  out.n_clusters = fitted.k;
  out.n_features = fitted.d;
  out.centroids = std::move(fitted.best.centroids);
  out.labels = std::move(fitted.best.labels);
  out.inertia = fitted.best.inertia;
  out.n_iter = fitted.best.n_iter;
  out.converged = fitted.best.converged;
  out.algorithm = fitted.algorithm;
  return out;
}

}  // namespace detail

/// @brief k-means over the rows of every process of `comm`: each process passes its own
/// rows (possibly none) and the same options; each gets the same centroids and the labels of
/// its own rows. Collective: every process of comm must call it. Every initialisation draws
/// over all the rows: Init::kmeans_parallel (a few collectives per round, the one to use for
/// large k), Init::random, or Init::kmeans_plus_plus (four collectives per centroid). Bad input on any process throws
/// the same std::invalid_argument on every process, its message prefixed with the rank that found it.
template <class T>
Result<T> fit(MPI_Comm comm, Matrix<const T> local_rows, const Options& options) {
  return detail::result(detail::fit<T>(comm, local_rows, nullptr, nullptr, options));
}

/// @brief As fit(comm, local_rows, options), starting from rank 0's n_clusters x n_features
/// `initial_centroids` (other ranks' are not read; pass any, e.g. an empty Matrix).
template <class T>
Result<T> fit(MPI_Comm comm, Matrix<const T> local_rows, const Options& options, Matrix<const T> initial_centroids) {
  return detail::result(detail::fit<T>(comm, local_rows, nullptr, &initial_centroids, options));
}

/// @brief Weighted: one weight per local row (finite, >= 0; not all zero over all ranks).
template <class T>
Result<T> fit(MPI_Comm comm, Matrix<const T> local_rows, const std::vector<double>& local_weight,
              const Options& options) {
  return detail::result(detail::fit<T>(comm, local_rows, &local_weight, nullptr, options));
}

}  // namespace kmeans::mpi
