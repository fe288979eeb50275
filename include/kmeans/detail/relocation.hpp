#pragma once
// Empty clusters after a pass: each takes a row far from its centroid, as scikit-learn does,
// on one process or over several.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "../matrix.hpp"
#include "blocks.hpp"
#include "cluster_sums.hpp"
#include "collective.hpp"
#include "distance.hpp"
#include "problem.hpp"

namespace kmeans::detail {

/// The m farthest of every process's candidate moves (each process's own m farthest), by
/// the same order as on one process: distance descending, then global row ascending.
template <class Move>
std::vector<Move> farthest_over_peers(Collective& peers, const std::vector<Move>& mine, std::size_t m, std::size_t d) {
  const std::size_t width = 4 + d;
  std::vector<double> flat;
  for (const Move& mv : mine) {
    flat.insert(flat.end(), {mv.distance, static_cast<double>(mv.row), static_cast<double>(mv.from), mv.weight});
    flat.insert(flat.end(), mv.x.begin(), mv.x.end());
  }
  const std::vector<double> values = gather_doubles(peers, flat);
  std::vector<Move> moves;
  for (std::size_t r = 0; r + width <= values.size(); r += width) {
    const double* v = values.data() + r;
    moves.push_back(Move{v[0], static_cast<std::size_t>(v[1]), static_cast<std::size_t>(v[2]), v[3],
                         std::vector<double>(v + 4, v + width)});
  }
  std::stable_sort(moves.begin(), moves.end(), [](const Move& a, const Move& b) {
    return a.distance > b.distance || (a.distance == b.distance && a.row < b.row);
  });
  if (moves.size() > m) moves.resize(m);
  return moves;
}

/// Each empty cluster, in ascending index, takes the next row of positive weight farthest
/// from its assigned centroid (ties: lowest row), which leaves its old cluster's sums (as
/// scikit-learn does).
template <class T, class Forget>
void relocate_empty_clusters(const Problem<T>& p, const std::vector<T>& centroids, std::vector<std::int32_t>& labels,
                             ClusterSums& totals, Forget&& forget) {
  const std::size_t k = p.k, d = p.X.cols();
  const Matrix<const T> X = p.X;
  std::vector<double>& sums = totals.sums;
  std::vector<std::int64_t>& counts = totals.counts;
  std::vector<double>& mass = totals.mass;
  std::vector<std::size_t> empty;
  for (std::size_t c = 0; c < k; ++c)
    if (!(mass[c] > 0)) empty.push_back(c);
  if (empty.empty()) return;
  const std::size_t m = empty.size();
  using Far = std::pair<double, std::size_t>;  // (distance, row)
  const auto farther = [](const Far& a, const Far& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  std::vector<std::vector<Far>> slots(slot_count(p.pool.size(), block_count(X.rows()), m * 16));
  std::vector<Far> far;
  for_blocks_ordered(
      p.pool, X.rows(), slots,
      [&](std::vector<Far>& s, std::size_t begin, std::size_t end) {
        s.clear();
        for (std::size_t i = begin; i < end; ++i) {
          if (!(p.weight_of(i) > 0)) continue;
          const auto c = static_cast<std::size_t>(labels[i]);
          s.emplace_back(squared_distance(X.row(i), centroids.data() + c * d, d), i);
        }
        const std::size_t keep = std::min(m, s.size());
        std::partial_sort(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(keep), s.end(), farther);
        s.resize(keep);
      },
      [&](const std::vector<Far>& s, std::size_t) {
        far.insert(far.end(), s.begin(), s.end());
        std::sort(far.begin(), far.end(), farther);
        if (far.size() > m) far.resize(m);
      });
  // What each move needs: its row (global index), distance, cluster, weight and values.
  struct Move {
    double distance;
    std::size_t row;
    std::size_t from;
    double weight;
    std::vector<double> x;
  };
  const std::size_t offset = p.peers ? p.peers->row_offset() : 0;
  std::vector<Move> moves;
  for (const Far& f : far) {
    const T* x = X.row(f.second);
    moves.push_back(Move{f.first, offset + f.second, static_cast<std::size_t>(labels[f.second]), p.weight_of(f.second),
                         std::vector<double>(x, x + d)});
  }
  if (p.peers) moves = farthest_over_peers(*p.peers, moves, m, d);
  for (std::size_t e = 0; e < m && e < moves.size(); ++e) {
    const Move& mv = moves[e];
    const std::size_t to = empty[e];
    for (std::size_t j = 0; j < d; ++j) {
      sums[mv.from * d + j] -= mv.weight * mv.x[j];
      sums[to * d + j] = mv.weight * mv.x[j];
    }
    --counts[mv.from];
    mass[mv.from] -= mv.weight;
    counts[to] = 1;
    mass[to] = mv.weight;
    if (mv.row < offset || mv.row - offset >= X.rows()) continue;  // another process's row
    const std::size_t row = mv.row - offset;
    if (totals.blocks.per_block) totals.blocks.moved(row / block_rows, labels[row], static_cast<std::int32_t>(to));
    labels[row] = static_cast<std::int32_t>(to);
    forget(row);  // its bounds were about its old centroid
  }
}

}  // namespace kmeans::detail
