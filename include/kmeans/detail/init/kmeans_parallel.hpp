#pragma once
// k-means|| (Bahmani et al. 2012): a few rounds that each sample many rows, then weighted
// greedy k-means++ on those. Far fewer passes over X than k-means++ when k is large; the
// distributed fit's init.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../matrix.hpp"
#include "../blocks.hpp"
#include "../collective.hpp"
#include "../distance.hpp"
#include "../kernel.hpp"
#include "../problem.hpp"
#include "../random.hpp"
#include "../thread_pool.hpp"
#include "kmeans_plus_plus.hpp"
#include "sampling.hpp"

namespace kmeans::detail {

/// Uniform in [0, 1) for global row `row` in k-means|| round `round`: a function of the
/// seed, round and row alone, so the rows a round samples do not depend on how the rows are
/// cut into blocks, threads or processes.
inline double row_uniform(std::uint64_t seed, std::uint64_t round, std::uint64_t row) noexcept {
  std::uint64_t state = seed ^ (0x9e3779b97f4a7c15ULL * (round + 1));
  state = splitmix64(state) ^ row;
  return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
}

/// Each of m candidates' weight: the total weight of the rows nearest to it (nearest[i], row
/// i's candidate), over every process's rows, summed in block order.
template <class T>
std::vector<double> candidate_mass(const Problem<T>& p, const std::vector<std::uint32_t>& nearest, std::size_t m) {
  const std::size_t n = p.X.rows();
  std::vector<double> mass(m, 0.0);
  std::vector<std::vector<double>> slots(slot_count(p.pool.size(), block_count(n), m * sizeof(double)),
                                         std::vector<double>(m));
  for_blocks_ordered(
      p.pool, n, slots,
      [&](std::vector<double>& s, std::size_t begin, std::size_t end) {
        std::fill(s.begin(), s.end(), 0.0);
        for (std::size_t i = begin; i < end; ++i) s[nearest[i]] += p.weight_of(i);
      },
      [&](const std::vector<double>& s, std::size_t) {
        for (std::size_t c = 0; c < m; ++c) mass[c] += s[c];
      });
  if (p.peers) p.peers->sum(mass.data(), m);
  return mass;
}

/// k-means|| (Bahmani et al. 2012). One row is drawn (in proportion to weight), then each
/// round samples every row independently with probability min(1, l w d^2 / phi), where d is
/// its distance to the nearest candidate so far, phi the sum of w d^2 and l = oversampling x k;
/// rounds continue past `rounds` (at most 64 more) while there are fewer than k candidates and
/// phi > 0. Each candidate is weighted by the rows (their weights) nearest to it, and weighted
/// greedy k-means++ picks the k centroids among the candidates. With fewer than k distinct
/// rows, the missing centroids repeat candidates (the fit then relocates them).
///
/// With p.peers, every process calls this with its own rows and the same rng state, and all
/// get the same centroids.
template <class T>
std::vector<T> kmeans_parallel(const Problem<T>& p, Rng& rng, double oversampling, std::size_t rounds) {
  ThreadPool& pool = p.pool;
  const Matrix<const T> X = p.X;
  const std::size_t k = p.k;
  const double* const weight = p.weight;
  Collective* const peers = p.peers;
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t n_blocks = block_count(n);
  const std::size_t offset = peers ? peers->row_offset() : 0;
  const std::uint64_t seed = rng.next();
  const double l = oversampling * static_cast<double>(k);
  const auto w = [weight](std::size_t i) { return weight ? weight[i] : 1.0; };
  const auto global_sum = [peers](double value) {
    if (peers) peers->sum(&value, 1);
    return value;
  };

  std::vector<T> candidates;  // m x d, in the order they were drawn
  // Appends the rows every process picked (this one: `picked`, ascending) in global order.
  const auto add_candidates = [&](const std::vector<std::size_t>& picked) {
    std::vector<char> mine(picked.size() * d * sizeof(T));
    for (std::size_t r = 0; r < picked.size(); ++r)
      std::memcpy(mine.data() + r * d * sizeof(T), X.row(picked[r]), d * sizeof(T));
    const std::vector<char> all = peers ? peers->gather(mine) : std::move(mine);
    if (all.empty()) return;
    const std::size_t old = candidates.size();
    candidates.resize(old + all.size() / sizeof(T));
    std::memcpy(candidates.data() + old, all.data(), all.size());
  };

  candidates = draw_first_row(X, weight, rng, peers);

  // closest[i]: w |x_i - c|^2 to the nearest candidate c so far, nearest[i]: its index (the
  // lowest among equals: a later candidate takes over only when strictly nearer).
  std::vector<double> closest(n, 0.0), block_phi(n_blocks, 0.0);
  std::vector<std::uint32_t> nearest(n, 0);
  PackedCentroids<T> packed;
  const auto absorb = [&](std::size_t from) {  // candidates [from, m) are new
    const std::size_t m = candidates.size() / d;
    packed.assign(candidates.data() + from * d, m - from, d);
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double phi = 0.0;
      assign_rows(X, begin, end, packed, [&](std::size_t i, std::int32_t label) {
        const std::size_t c = from + static_cast<std::size_t>(label);
        const double dist = w(i) * squared_distance(X.row(i), candidates.data() + c * d, d);
        if (from == 0 || dist < closest[i]) {
          closest[i] = dist;
          nearest[i] = static_cast<std::uint32_t>(c);
        }
        phi += closest[i];
      });
      block_phi[b] = phi;
    });
    double phi = 0.0;
    for (const double p : block_phi) phi += p;
    return global_sum(phi);
  };
  double phi = absorb(0);

  for (std::size_t round = 1; phi > 0 && (round <= rounds || (candidates.size() / d < k && round <= rounds + 64));
       ++round) {
    std::vector<std::size_t> picked;
    // Row i is drawn when u_i phi < l closest[i] (probability min(1, l w d^2 / phi)).
    std::vector<std::vector<std::size_t>> block_pick(n_blocks);
    for_blocks(pool, n, [&](std::size_t b, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i)
        if (row_uniform(seed, round, offset + i) * phi < l * closest[i]) block_pick[b].push_back(i);
    });
    for (const auto& p : block_pick) picked.insert(picked.end(), p.begin(), p.end());
    const std::size_t from = candidates.size() / d;
    add_candidates(picked);
    if (candidates.size() / d > from) phi = absorb(from);
  }

  const std::size_t m = candidates.size() / d;
  const std::vector<double> mass = candidate_mass(p, nearest, m);
  if (m <= k) {
    std::vector<T> centers(k * d);
    for (std::size_t c = 0; c < k; ++c) std::copy_n(candidates.data() + (c % m) * d, d, centers.data() + c * d);
    return centers;
  }
  PlusPlusSettings weighted;
  weighted.weight = mass.data();
  return kmeans_plus_plus(pool, Matrix<const T>(candidates.data(), m, d), k, rng, weighted);
}

}  // namespace kmeans::detail
