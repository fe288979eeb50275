#pragma once
// The distributed fit (kmeans/mpi.hpp): each process checks its rows and every process agrees
// on the first error; the options and column counts must match; tol scales with the variance
// of all the rows; then the one fit driver (fit.hpp) runs with the other processes as peers.

#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "../matrix.hpp"
#include "../options.hpp"
#include "checks.hpp"
#include "fit.hpp"
#include "mpi_peers.hpp"
#include "problem.hpp"
#include "stats.hpp"
#include "thread_pool.hpp"

namespace kmeans::mpi::detail {

/// The mean per-feature variance of every process's rows: each process's column moments,
/// combined in process order (the same bits on every process).
template <class T>
double global_mean_variance(kmeans::detail::ThreadPool& pool, Matrix<const T> rows, MpiPeers& peers) {
  namespace kd = kmeans::detail;
  const std::size_t d = rows.cols();
  const kd::Moments local = kd::column_moments(pool, rows);
  std::vector<double> packed{local.count};
  packed.insert(packed.end(), local.mean.begin(), local.mean.end());
  packed.insert(packed.end(), local.m2.begin(), local.m2.end());
  const std::vector<double> values = kd::gather_doubles(peers, packed);
  kd::Moments total(d);
  for (std::size_t at = 0; at < values.size(); at += 1 + 2 * d) {
    kd::Moments m(d);
    m.count = values[at];
    std::copy_n(values.begin() + static_cast<long>(at + 1), d, m.mean.begin());
    std::copy_n(values.begin() + static_cast<long>(at + 1 + d), d, m.m2.begin());
    total.add(m);
  }
  return total.mean_variance();
}

/// The distributed fit, checked on every process (an error anywhere is thrown everywhere):
/// the fit driver over this process's rows with the other processes as its peers.
template <class T>
kmeans::detail::FitResult<T> fit(MPI_Comm comm, Matrix<const T> X, const std::vector<double>* sample_weight,
                                 const Matrix<const T>* given, const Options& options) {
  namespace kd = kmeans::detail;
  using kd::throw_invalid_argument;
  MpiPeers peers(comm, X.rows());
  const std::size_t k = options.n_clusters;
  std::size_t d = 0;
  peers.agree([&] {
    kd::validate(options);
    if (options.metric != Metric::euclidean)
      throw_invalid_argument("the distributed fit has only the Euclidean metric (Options::metric)");
    if (sample_weight) kd::weight_total(*sample_weight, X.rows());
  });
  // The same options everywhere, and the same column count on every process with rows.
  std::vector<double> mine = fingerprint(options);
  mine.push_back(X.rows() ? static_cast<double>(X.cols()) : -1.0);
  const std::vector<double> all = kd::gather_doubles(peers, mine);
  peers.agree([&] {
    for (std::size_t r = 0; r * mine.size() < all.size(); ++r) {
      const double* theirs = all.data() + r * mine.size();
      if (!std::equal(mine.begin(), mine.end() - 1, theirs))
        throw_invalid_argument("the options differ between rank ", peers.rank(), " and rank ", r,
                               "; every rank must pass the same options");
      const double cols = theirs[mine.size() - 1];
      if (cols >= 0 && d == 0) d = static_cast<std::size_t>(cols);
      if (cols >= 0 && static_cast<std::size_t>(cols) != d)
        throw_invalid_argument("X has ", cols, " columns on rank ", r, " but ", d, " on an earlier rank");
    }
    if (peers.total_rows() == 0) throw_invalid_argument("X has no rows on any rank");
    if (d == 0) throw_invalid_argument("X has no columns");
    kd::require_enough_rows("fit", k, peers.total_rows(), "over all ranks");
  });
  const Matrix<const T> rows = X.rows() ? X : Matrix<const T>(X.data(), 0, d);

  const std::shared_ptr<kd::ThreadPool> shared = kd::shared_pool(options.n_threads);
  kd::ThreadPool& pool = *shared;
  peers.agree([&] { kd::require_usable(pool, rows, "X", peers.total_rows()); });
  // A process without rows still takes the weighted paths (they decide its collectives).
  static const double no_rows = 0.0;
  const double* weight = !sample_weight ? nullptr : sample_weight->empty() ? &no_rows : sample_weight->data();
  if (sample_weight) {
    double total = X.rows() ? kd::weight_total(*sample_weight, X.rows()) : 0.0;
    peers.sum(&total, 1);
    peers.agree([&] { kd::require_weight_total(total); });
  }

  // Rank 0's initial centroids, checked there and broadcast.
  std::vector<T> start;
  if (given) {
    start.resize(k * d);
    peers.agree([&] {
      if (peers.rank() != 0) return;
      kd::require_centroid_shape(*given, k, d);
      kd::require_usable(pool, *given, "initial centroids", peers.total_rows());
      for (std::size_t c = 0; c < k; ++c) std::copy_n(given->row(c), d, start.data() + c * d);
    });
    MPI_Bcast(start.data(), static_cast<int>(k * d * sizeof(T)), MPI_BYTE, 0, comm);
  }

  const double tol_scaled =
      options.run_till_max_iter || !(options.tol > 0) ? 0.0 : options.tol * global_mean_variance(pool, rows, peers);

  // Every process runs the same algorithm: the one the largest process's memory allows.
  std::size_t largest = 0;
  for (const std::size_t r : peers.rows()) largest = std::max(largest, r);
  kd::FitPlan plan;
  plan.algorithm = kd::resolve_algorithm(options, largest, k, X.cols());
  plan.tol_scaled = tol_scaled;

  kd::Workspace<T> work;
  const kd::Problem<T> problem{pool, rows, k, weight, &peers};
  Matrix<const T> start_rows;  // rank 0's given centroids, on every process
  if (given) start_rows = Matrix<const T>(start.data(), k, d);
  return kd::fit(problem, options, plan, given ? &start_rows : nullptr, work);
}

}  // namespace kmeans::mpi::detail
