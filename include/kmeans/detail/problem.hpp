#pragma once
// The context every stage of a fit shares: the initialisation, the iteration and the
// algorithms take one Problem rather than its parts one by one.

#include <cstddef>

#include "../matrix.hpp"
#include "collective.hpp"
#include "thread_pool.hpp"

namespace kmeans::detail {

/// What a fit works on: the rows, how many clusters, and how it runs.
template <class T>
struct Problem {
  ThreadPool& pool;
  Matrix<const T> X;  // this process's rows
  std::size_t k;
  const double* weight = nullptr;  // one per row (finite, >= 0, not all zero over all processes), or null
  Collective* peers = nullptr;     // the other processes holding rows, or null: X is all of them

  double weight_of(std::size_t i) const noexcept { return weight ? weight[i] : 1.0; }
};

}  // namespace kmeans::detail
