#pragma once
/// @file
/// @brief Seeded synthetic data for examples, tests and benchmarks.

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/error.hpp"
#include "detail/random.hpp"
#include "matrix.hpp"

namespace kmeans {

/// @brief Data drawn around known centres: row-major data, the true label of every row
/// and the true centres.
template <class T>
struct Blobs {
  std::vector<T> data;               ///< n_samples x n_features
  std::vector<std::int32_t> labels;  ///< n_samples, the centre each row was drawn around
  std::vector<T> centers;            ///< n_centers x n_features
  std::size_t n_samples = 0, n_features = 0, n_centers = 0;

  Matrix<const T> X() const { return Matrix<const T>(data.data(), n_samples, n_features); }
  Matrix<const T> true_centers() const { return Matrix<const T>(centers.data(), n_centers, n_features); }
};

/// @brief Isotropic Gaussian blobs, like scikit-learn's make_blobs: centres uniform in
/// [center_min, center_max)^n_features, each row a centre plus N(0, cluster_std^2) noise,
/// rows spread evenly over the centres (the first n_samples % n_centers get one more) and
/// shuffled. The same seed gives the same data on every platform.
template <class T = double>
Blobs<T> make_blobs(std::size_t n_samples, std::size_t n_features, std::size_t n_centers, double cluster_std = 1.0,
                    std::uint64_t seed = 0, double center_min = -10.0, double center_max = 10.0) {
  static_assert(std::is_floating_point_v<T>, "make_blobs<T> needs a floating-point T");
  if (n_centers == 0 || n_features == 0)
    detail::throw_invalid_argument("make_blobs needs n_centers and n_features >= 1, got ", n_centers, " and ",
                                   n_features);
  if (!(cluster_std >= 0)) detail::throw_invalid_argument("make_blobs cluster_std must be >= 0, got ", cluster_std);
  if (!(center_min <= center_max))
    detail::throw_invalid_argument("make_blobs center box [", center_min, ", ", center_max, ") is empty");
  detail::Rng rng(seed);
  Blobs<T> b;
  b.n_samples = n_samples;
  b.n_features = n_features;
  b.n_centers = n_centers;
  b.centers.resize(n_centers * n_features);
  for (auto& v : b.centers) v = static_cast<T>(center_min + (center_max - center_min) * rng.uniform());
  b.labels.resize(n_samples);
  for (std::size_t i = 0; i < n_samples; ++i) b.labels[i] = static_cast<std::int32_t>(i % n_centers);
  for (std::size_t i = n_samples; i > 1; --i) std::swap(b.labels[i - 1], b.labels[rng.below(i)]);
  b.data.resize(n_samples * n_features);
  for (std::size_t i = 0; i < n_samples; ++i) {
    const T* c = b.centers.data() + static_cast<std::size_t>(b.labels[i]) * n_features;
    for (std::size_t j = 0; j < n_features; ++j)
      b.data[i * n_features + j] = static_cast<T>(static_cast<double>(c[j]) + cluster_std * rng.normal());
  }
  return b;
}

}  // namespace kmeans
