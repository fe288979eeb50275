#pragma once
// The fit driver KMeans and mpi::fit share: which algorithm runs, then each restart's
// initialisation and iterations, and the best restart kept. The callers check their input
// first (checks.hpp), each in its own way (mpi::fit agrees on errors across processes), and
// scale tol by the data's variance.

#include <cstddef>
#include <utility>
#include <vector>

#include "../matrix.hpp"
#include "../options.hpp"
#include "elkan.hpp"
#include "hamerly.hpp"
#include "init/dispatch.hpp"
#include "iteration.hpp"
#include "lloyd.hpp"
#include "problem.hpp"
#include "random.hpp"
#include "seeded_rows.hpp"
#include "yinyang.hpp"

namespace kmeans::detail {

/// Algorithm::automatic runs elkan from this many columns (and k >= automatic_elkan_min_k):
/// each distance its k bounds skip is a long one. Below it, hamerly; docs/algorithms.md has
/// the measurements behind both thresholds.
inline constexpr std::size_t automatic_elkan_min_d = 384;
inline constexpr std::size_t automatic_elkan_min_k = 8;

/// The algorithm a fit of n rows (on the largest process) of d columns into k clusters runs:
/// automatic resolved, and elkan or yinyang replaced by hamerly where their bounds would pass
/// options.elkan_max_bytes.
inline Algorithm resolve_algorithm(const Options& o, std::size_t n, std::size_t k, std::size_t d) {
  Algorithm a = o.algorithm;
  if (a == Algorithm::automatic) {
    if (k == 1)
      a = Algorithm::lloyd;  // nothing to skip
    else if (d >= automatic_elkan_min_d && k >= automatic_elkan_min_k)
      a = Algorithm::elkan;
    else
      a = Algorithm::hamerly;
  }
  if (a == Algorithm::elkan && ElkanBounds::bytes(n, k) > o.elkan_max_bytes) a = Algorithm::hamerly;
  if (a == Algorithm::yinyang && YinyangBounds::bytes(n, k) > o.elkan_max_bytes) a = Algorithm::hamerly;
  return a;
}

/// How a checked fit runs.
struct FitPlan {
  Algorithm algorithm = Algorithm::lloyd;  // resolved: lloyd, elkan, hamerly or yinyang
  double tol_scaled = 0.0;                 // options.tol x the mean variance of X, or 0
};

/// The best of the restarts (lowest inertia, the first on ties).
template <class T>
struct FitResult {
  RunResult<T> best;
  std::size_t k = 0, d = 0;  // best.centroids is k x d
  Algorithm algorithm = Algorithm::lloyd;
};

/// Runs Algo from options.n_init initialisations (or once from `given`, k x d, when not null)
/// and keeps the best. A restart whose callback said stop ends the fit.
template <class Algo, class T>
RunResult<T> fit_restarts(const Problem<T>& p, const Options& options, double tol_scaled, const Matrix<const T>* given,
                          Workspace<T>& work) {
  Algo algo;  // its bounds live as long as the fit
  IterationDriver<T, Algo> driver(p, work, algo);
  struct Release {  // the per-block sums (O(n k d / 256)) and X in float: an idle model holds neither
    Workspace<T>& work;
    ~Release() { work.release(); }
  } release{work};
  work.round_rows(p, options.mixed_precision);
  // k-means++ knows each row's nearest centre; on one process it hands it to the first pass.
  const bool seeds = Algo::seed_use != SeedUse::none && !p.peers;
  const std::size_t d = p.X.cols();
  RunResult<T> best;
  bool have_best = false;
  const std::size_t runs = given ? 1 : options.n_init;
  for (std::size_t run = 0; run < runs; ++run) {
    std::vector<T> start;
    SeededRows seeded;
    seeded.bounds = Algo::seed_use == SeedUse::labels_and_bounds;
    if (given) {
      start.resize(p.k * d);
      for (std::size_t c = 0; c < p.k; ++c) std::copy_n(given->row(c), d, start.data() + c * d);
    } else {
      Rng rng(derive_seed(options.seed, run));
      start = initial_centroids(p, options, rng, seeds ? &seeded : nullptr);
    }
    RunResult<T> result = driver.run(std::move(start), options, tol_scaled, seeds ? &seeded : nullptr);
    const bool stopped = result.stopped;
    if (!have_best || result.inertia < best.inertia) {
      best = std::move(result);
      have_best = true;
    }
    if (stopped) break;
  }
  return best;
}

/// The fit of a checked problem by plan.algorithm.
template <class T>
FitResult<T> fit(const Problem<T>& p, const Options& options, const FitPlan& plan, const Matrix<const T>* given,
                 Workspace<T>& work) {
  FitResult<T> out;
  out.k = p.k;
  out.d = p.X.cols();
  out.algorithm = plan.algorithm;
  switch (plan.algorithm) {
    case Algorithm::elkan: out.best = fit_restarts<Elkan<T>>(p, options, plan.tol_scaled, given, work); break;
    case Algorithm::hamerly: out.best = fit_restarts<Hamerly<T>>(p, options, plan.tol_scaled, given, work); break;
    case Algorithm::yinyang: out.best = fit_restarts<Yinyang<T>>(p, options, plan.tol_scaled, given, work); break;
    default: out.best = fit_restarts<Lloyd<T>>(p, options, plan.tol_scaled, given, work); break;
  }
  return out;
}

}  // namespace kmeans::detail
