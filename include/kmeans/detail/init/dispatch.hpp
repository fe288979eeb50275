#pragma once
// The one entry to the initialisations, for KMeans, MiniBatchKMeans and mpi::fit alike.

#include <vector>

#include "../../options.hpp"
#include "../problem.hpp"
#include "../random.hpp"
#include "../seeded_rows.hpp"
#include "kmeans_parallel.hpp"
#include "kmeans_plus_plus.hpp"
#include "sampling.hpp"

namespace kmeans::detail {

/// p.k initial centroids (row-major, k x d) by options.init. `seeded` (or null): where
/// k-means++ leaves the rows' labels (and bounds, if it asks) for the first pass, when it knows
/// them (without weights or peers); left empty otherwise.
template <class T>
std::vector<T> initial_centroids(const Problem<T>& p, const Options& options, Rng& rng, SeededRows* seeded = nullptr) {
  switch (options.init) {
    case Init::random: return random_rows(p.X, p.k, rng, p.weight, p.peers);
    case Init::kmeans_parallel: return kmeans_parallel(p, rng, options.oversampling, options.init_rounds);
    case Init::kmeans_plus_plus: break;
  }
  PlusPlusSettings settings;
  settings.weight = p.weight;
  settings.peers = p.peers;
  settings.seeded = seeded;
  return kmeans_plus_plus(p.pool, p.X, p.k, rng, settings);
}

}  // namespace kmeans::detail
