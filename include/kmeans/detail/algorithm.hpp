#pragma once
// The interface between the iteration (iteration.hpp) and the exact algorithms (lloyd.hpp,
// hamerly.hpp, elkan.hpp, yinyang.hpp). The iteration runs the passes over the blocks, sums
// the clusters, updates and relocates the centroids, the same way for every algorithm; an
// algorithm only labels a block's rows, from whatever bounds it keeps:
//
//   template <class T> class Algo {
//    public:
//     static constexpr Algorithm id;          // which Options::algorithm it is
//     static constexpr SeedUse seed_use;      // what it takes from k-means++ (seeded_rows.hpp)
//     // Before the first pass from `centroids`. `seeded` (or null): what k-means++ left
//     // for them; the run already took the labels, the bounds (if seed_use asks) are its.
//     void start(const Problem<T>&, const T* centroids, SeededRows* seeded);
//     void begin_pass(PackedCentroids<T>&, const T* centroids, bool bounds_empty);
//     void label_block(BlockLabelling<T>&);   // labels rows [begin, end) through relabel()
//     void end_pass();
//     void centroids_moved(ThreadPool&, const T* old, const T* now);  // after an update
//     void forget(std::size_t row);           // relocation moved the row: its bounds are void
//   };
//
// The bounded algorithms take end_pass, centroids_moved and forget from BoundedAlgorithm
// (geometry.hpp). Every algorithm gives Lloyd's labels, row by row (ties to the lowest index
// included), so every fit gives the same centroids, inertia and iterations whichever runs it.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../matrix.hpp"
#include "cluster_sums.hpp"
#include "distance.hpp"
#include "kernel.hpp"
#include "problem.hpp"
#include "thread_pool.hpp"

namespace kmeans::detail {

/// What every block of one pass shares.
template <class T>
struct PassView {
  const Problem<T>& problem;
  const T* centroids;                // k x d
  const PackedCentroids<T>& packed;  // the centroids, as the algorithm packed them in begin_pass
  std::vector<std::int32_t>& labels;
  BlockSums& block_sums;
  bool bounds_empty = false;  // the first pass: no bounds yet, every row is scored
  bool want_inertia = false;  // sum each row's weighted squared distance to its centroid
};

/// One block of a pass, as an algorithm's label_block sees it.
template <class T>
struct BlockLabelling {
  /// Block [begin, end) of `pass`, run in `slot`, its sums in `entry` of pass.block_sums.
  BlockLabelling(const PassView<T>& pass, BlockSlot& slot_, std::size_t entry_, std::size_t begin_, std::size_t end_)
      : problem(pass.problem),
        centroids(pass.centroids),
        packed(pass.packed),
        labels(pass.labels),
        slot(slot_),
        block_sums(pass.block_sums),
        entry(entry_),
        begin(begin_),
        end(end_),
        bounds_empty(pass.bounds_empty),
        want_inertia(pass.want_inertia) {}

  const Problem<T>& problem;
  const T* centroids;                // k x d
  const PackedCentroids<T>& packed;  // the centroids, as the algorithm packed them in begin_pass
  std::vector<std::int32_t>& labels;
  BlockSlot& slot;
  BlockSums& block_sums;
  std::size_t entry;  // the block's entry in block_sums
  std::size_t begin, end;
  bool bounds_empty;  // the first pass: no bounds yet, every row is scored
  bool want_inertia;  // add each row's weighted squared distance to its centroid to slot.inertia

  Matrix<const T> X() const noexcept { return problem.X; }
  std::size_t k() const noexcept { return problem.k; }
  std::size_t d() const noexcept { return problem.X.cols(); }

  /// Row i's squared distance to centroid c, in double (squared_distance's bits).
  double squared_distance_to(std::size_t i, std::size_t c) const noexcept {
    return squared_distance(problem.X.row(i), centroids + c * d(), d());
  }

  /// Row i is labelled `label` by this pass.
  void relabel(std::size_t i, std::int32_t label) {
    if (labels[i] == label) return;
    ++slot.changed;
    block_sums.moved(entry, labels[i], label);
    labels[i] = label;
  }

  /// An upper bound on row i's distance to centroid c from the row's kernel scores, or the
  /// direct distance where the kernel took its exact path.
  double upper_distance_to(std::size_t i, std::size_t c, const RowScores<T>& scores) const noexcept {
    return scores.usable() ? scores.upper_distance(c) : std::sqrt(squared_distance_to(i, c));
  }

  /// slot.inertia += row i's weighted squared distance to centroid c.
  void add_inertia(std::size_t i, std::size_t c) { slot.inertia += problem.weight_of(i) * squared_distance_to(i, c); }

  /// add_inertia for every row of the block, to its label, in row order.
  void add_block_inertia() {
    for (std::size_t i = begin; i < end; ++i) add_inertia(i, static_cast<std::size_t>(labels[i]));
  }
};

}  // namespace kmeans::detail
