#pragma once
// What every fitted model does with new rows, given its centroids: label them (the kernel),
// measure their squared distances to their centroids, or all their distances. predict,
// transform and score below are the one implementation KMeans and MiniBatchKMeans share.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../matrix.hpp"
#include "blocks.hpp"
#include "checks.hpp"
#include "distance.hpp"
#include "kernel.hpp"
#include "stats.hpp"
#include "thread_pool.hpp"

namespace kmeans::detail {

/// The nearest of the k x d centroids for every row of X (lowest index on ties).
template <class T>
std::vector<std::int32_t> nearest_labels(ThreadPool& pool, Matrix<const T> X, const T* centroids, std::size_t k) {
  std::vector<std::int32_t> labels(X.rows());
  PackedCentroids<T> packed;
  packed.assign(centroids, k, X.cols());
  for_blocks(pool, X.rows(), [&](std::size_t, std::size_t begin, std::size_t end) {
    assign_rows(X, begin, end, packed, [&](std::size_t i, std::int32_t label) { labels[i] = label; });
  });
  return labels;
}

/// nearest_labels, and the sum over rows of weight x squared distance to the row's centroid
/// (in double, each row's distance taken while the row is in cache; summed in block order:
/// the same on any thread count). `weight`: one per row, or null.
template <class T>
double label_rows_with_inertia(ThreadPool& pool, Matrix<const T> X, const T* centroids, std::size_t k,
                               const double* weight, std::vector<std::int32_t>& labels) {
  const std::size_t d = X.cols();
  labels.resize(X.rows());
  PackedCentroids<T> packed;
  packed.assign(centroids, k, d);
  std::vector<double> block_sums(block_count(X.rows()), 0.0);
  for_blocks(pool, X.rows(), [&](std::size_t b, std::size_t begin, std::size_t end) {
    double sum = 0.0;
    assign_rows(X, begin, end, packed, [&](std::size_t i, std::int32_t label) {
      labels[i] = label;
      const double dist = squared_distance(X.row(i), centroids + static_cast<std::size_t>(label) * d, d);
      sum += weight ? weight[i] * dist : dist;
    });
    block_sums[b] = sum;
  });
  double total = 0.0;
  for (const double s : block_sums) total += s;
  return total;
}

/// The distance (not squared) from every row of X to each of the k centroids, computed in
/// double: a row-major X.rows() x k array.
template <class T>
std::vector<T> all_distances(ThreadPool& pool, Matrix<const T> X, const T* centroids, std::size_t k) {
  const std::size_t d = X.cols();
  std::vector<T> out(X.rows() * k);
  for_blocks(pool, X.rows(), [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      for (std::size_t c = 0; c < k; ++c)
        out[i * k + c] = static_cast<T>(std::sqrt(squared_distance(X.row(i), centroids + c * d, d)));
  });
  return out;
}

/// The nearest of the centroids C (k x d) for every row of X: a model's predict(X).
template <class T>
std::vector<std::int32_t> predict(ThreadPool& pool, Matrix<const T> C, Matrix<const T> X) {
  require_columns("predict", X, C.cols());
  if (X.rows() == 0) return {};
  require_usable(pool, X, "X", X.rows());
  return nearest_labels(pool, X, C.data(), C.rows());
}

/// The distances from every row of X to every centroid of C: a model's transform(X).
template <class T>
std::vector<T> transform(ThreadPool& pool, Matrix<const T> C, Matrix<const T> X) {
  require_columns("transform", X, C.cols());
  if (X.rows() == 0) return {};
  require_usable(pool, X, "X", X.rows());
  return all_distances(pool, X, C.data(), C.rows());
}

/// Minus the (weighted) inertia of X for the centroids C: a model's score(X[, weight]).
template <class T>
double score(ThreadPool& pool, Matrix<const T> C, Matrix<const T> X, const std::vector<double>* weight) {
  require_columns("score", X, C.cols());
  if (weight) require_weights(*weight, X.rows());
  if (X.rows() == 0) return 0.0;
  require_usable(pool, X, "X", X.rows());
  std::vector<std::int32_t> labels;
  return -label_rows_with_inertia(pool, X, C.data(), C.rows(), weight ? weight->data() : nullptr, labels);
}

}  // namespace kmeans::detail
