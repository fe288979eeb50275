#pragma once
// Every rule a call checks before it changes any state, each with its message in one place:
// the options, the shapes of X and of given centroids, the sample weights, a fitted model's
// preconditions. The data's values (finite, not too large) are checked inside the first pass
// over X (stats.hpp), where they cost no pass of their own.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../matrix.hpp"
#include "../options.hpp"
#include "error.hpp"

namespace kmeans::detail {

/// The initialisation's options (Options and MiniBatchOptions share these fields).
template <class O>
void validate_init(const O& o) {
  if (o.init != Init::kmeans_plus_plus && o.init != Init::random && o.init != Init::kmeans_parallel)
    throw_invalid_argument("init has no such value: ", static_cast<int>(o.init));
  if (!(o.oversampling > 0) || !std::isfinite(o.oversampling))
    throw_invalid_argument("oversampling must be finite and > 0, got ", o.oversampling);
  if (o.init_rounds == 0) throw_invalid_argument("init_rounds must be at least 1, got 0");
}

/// The fields Options and MiniBatchOptions share, as no fit could use them.
template <class O>
void validate_common(const O& o) {
  if (o.n_clusters == 0) throw_invalid_argument("n_clusters must be at least 1, got 0");
  if (o.n_clusters > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw_invalid_argument("n_clusters (", o.n_clusters, ") does not fit the int32 labels");
  if (o.max_iter == 0) throw_invalid_argument("max_iter must be at least 1, got 0");
  if (o.n_init == 0) throw_invalid_argument("n_init must be at least 1, got 0");
  if (!(o.tol >= 0)) throw_invalid_argument("tol must be >= 0, got ", o.tol);
  validate_init(o);
}

inline void validate(const Options& o) {
  validate_common(o);
  if (o.algorithm != Algorithm::lloyd && o.algorithm != Algorithm::elkan && o.algorithm != Algorithm::hamerly &&
      o.algorithm != Algorithm::yinyang && o.algorithm != Algorithm::automatic)
    throw_invalid_argument("algorithm has no such value: ", static_cast<int>(o.algorithm));
  if (o.metric != Metric::euclidean && o.metric != Metric::cosine)
    throw_invalid_argument("metric has no such value: ", static_cast<int>(o.metric));
}

inline void validate(const MiniBatchOptions& o) {
  validate_common(o);
  if (o.batch_size == 0) throw_invalid_argument("batch_size must be at least 1, got 0");
  if (!(o.reassignment_ratio >= 0) || !std::isfinite(o.reassignment_ratio))
    throw_invalid_argument("reassignment_ratio must be finite and >= 0, got ", o.reassignment_ratio);
}

/// n_clusters against the rows there are to cluster (`of`: "of X", "over all ranks").
inline void require_enough_rows(const char* call, std::size_t k, std::size_t rows, const char* of) {
  if (k > rows)
    throw_invalid_argument(call, ": n_clusters (", k, ") is larger than the number of rows ", of, " (", rows, ")");
}

/// X as the data of a fit into k clusters: some rows, some columns, at least k rows.
template <class T>
void require_fit_shape(const char* call, Matrix<const T> X, std::size_t k) {
  if (X.rows() == 0) throw_invalid_argument(call, ": X has no rows");
  if (X.cols() == 0) throw_invalid_argument(call, ": X has no columns");
  require_enough_rows(call, k, X.rows(), "of X");
}

/// Given initial centroids: k x d.
template <class T>
void require_centroid_shape(Matrix<const T> C, std::size_t k, std::size_t d) {
  if (C.rows() != k || C.cols() != d)
    throw_invalid_argument("initial centroids are ", C.rows(), " x ", C.cols(), ", expected ", k, " x ", d,
                           " (n_clusters x columns of X)");
}

/// The sum of sample weights, one per row, each finite and >= 0.
inline double weight_total(const std::vector<double>& w, std::size_t rows) {
  if (w.size() != rows) throw_invalid_argument("sample_weight has ", w.size(), " values, X has ", rows, " rows");
  double total = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!(w[i] >= 0) || !std::isfinite(w[i]))
      throw_invalid_argument("sample_weight[", i, "] is ", w[i], "; weights must be finite and >= 0");
    total += w[i];
  }
  return total;
}

/// The weights' total (over every process's rows) is positive and finite.
inline void require_weight_total(double total) {
  if (!(total > 0)) throw_invalid_argument("sample_weight is all zeros");
  if (!std::isfinite(total)) throw_invalid_argument("sample_weight sums to ", total);
}

/// Weights a single-process call can use: one per row, each finite and >= 0, not all zero.
inline void require_weights(const std::vector<double>& w, std::size_t rows) {
  require_weight_total(weight_total(w, rows));
}

/// A fitted model's method, called before any fit (`fits`: what would have fitted it).
inline void require_fitted(bool fitted, const char* call, const char* fits) {
  if (!fitted) throw_logic_error(call, "() called before a successful ", fits);
}

/// New rows for a model fitted on d columns.
template <class T>
void require_columns(const char* call, Matrix<const T> X, std::size_t d) {
  if (X.cols() != d) throw_invalid_argument(call, ": X has ", X.cols(), " columns, the model was fitted on ", d);
}

}  // namespace kmeans::detail
