// Metric::cosine (spherical k-means): against a brute-force spherical Lloyd, every algorithm
// and thread count to the bit, every init, the errors.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <kmeans/kmeans.hpp>
#include <limits>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using kmeans::KMeans;
using kmeans::Matrix;
using kmeans::Metric;
using kmeans::Options;

namespace {

/// Blobs whose rows have very different lengths (1 to 7 times), so that the direction, not
/// the position, is what cosine k-means clusters.
template <class T>
Owned<T> stretched_blobs(std::size_t n, std::size_t d, std::size_t centers, std::uint64_t seed) {
  Owned<T> o = blobs<T>(n, d, centers, 1.0, seed);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) o.buffer[i * o.stride + j] *= static_cast<T>(1 + i % 7);
  return o;
}

/// The rows scaled to unit length as the documented rule says: in double, rounded to T.
template <class T>
ref::Dense unit_rows_reference(Matrix<const T> X) {
  ref::Dense u{std::vector<double>(X.rows() * X.cols()), X.rows(), X.cols()};
  for (std::size_t i = 0; i < X.rows(); ++i) {
    double sum = 0;
    for (std::size_t j = 0; j < X.cols(); ++j) sum += static_cast<double>(X(i, j)) * static_cast<double>(X(i, j));
    for (std::size_t j = 0; j < X.cols(); ++j)
      u.row(i)[j] = static_cast<double>(static_cast<T>(static_cast<double>(X(i, j)) / std::sqrt(sum)));
  }
  return u;
}

/// m iterations of spherical Lloyd from C: nearest by Euclidean distance between unit
/// vectors (= largest cosine; lowest index on ties), means renormalised.
template <class T>
ref::Dense spherical_lloyd(const ref::Dense& U, ref::Dense C, std::size_t m) {
  for (std::size_t it = 0; it < m; ++it) {
    const ref::Assignment a = ref::assign(U, C);
    ref::Dense next = ref::means(U, a.labels, C);
    for (std::size_t c = 0; c < C.rows; ++c) {
      double sum = 0;
      for (std::size_t j = 0; j < C.cols; ++j) {
        next.row(c)[j] = static_cast<double>(static_cast<T>(next.row(c)[j]));  // the model keeps T
        sum += next.row(c)[j] * next.row(c)[j];
      }
      for (std::size_t j = 0; j < C.cols; ++j)
        next.row(c)[j] = static_cast<double>(static_cast<T>(next.row(c)[j] / std::sqrt(sum)));
    }
    C = next;
  }
  return C;
}

}  // namespace

TEMPLATE_TEST_CASE("cosine k-means is spherical Lloyd, iteration by iteration", "[cosine][reference]", float, double) {
  using T = TestType;
  const auto X = stretched_blobs<T>(1500, 5, 6, 81);
  const ref::Dense U = unit_rows_reference(X.view());
  // One row of each blob to start from, so that no cluster empties (the reference does not
  // relocate).
  const std::vector<std::int32_t> truth = kmeans::make_blobs<T>(1500, 5, 6, 1.0, 81).labels;
  std::vector<T> start;
  for (std::int32_t c = 0; c < 6; ++c) {
    const auto i = static_cast<std::size_t>(std::find(truth.begin(), truth.end(), c) - truth.begin());
    start.insert(start.end(), X.view().row(i), X.view().row(i) + 5);
  }
  ref::Dense C0 = unit_rows_reference(Matrix<const T>(start.data(), 6, 5));
  for (std::size_t m = 1; m <= 6; ++m) {
    CAPTURE(m);
    Options o;
    o.n_clusters = 6;
    o.metric = Metric::cosine;
    o.max_iter = m;
    o.run_till_max_iter = true;
    KMeans<T> km(o);
    km.fit(X.view(), Matrix<const T>(start.data(), 6, 5));  // given rows of any length: scaled too
    const ref::Dense expected = spherical_lloyd<T>(U, C0, m);
    CHECK(ref::worst_rel(ref::to_dense(km.centroids()), expected) <= (std::is_same_v<T, float> ? 1e-6 : 1e-13));
    const ref::Assignment a = ref::assign(U, expected);
    CHECK(km.labels() == a.labels);
    double inertia = 0;
    for (const double b : a.best) inertia += b;
    CHECK(km.inertia() == Approx(inertia).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-12));
    // Every centroid is of unit length, and predict is the largest cosine with the raw rows.
    for (std::size_t c = 0; c < 6; ++c) {
      double norm = 0;
      for (std::size_t j = 0; j < 5; ++j) norm += static_cast<double>(km.centroids()(c, j)) * km.centroids()(c, j);
      CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-6));
    }
  }
}

TEST_CASE("cosine: every algorithm and thread count gives Lloyd's bits", "[cosine][determinism]") {
  const auto X = stretched_blobs<double>(4000, 8, 12, 82);
  Options o;
  o.n_clusters = 12;
  o.metric = Metric::cosine;
  o.n_threads = 1;
  KMeans<double> lloyd(o);
  lloyd.fit(X.view());
  for (const kmeans::Algorithm a : {kmeans::Algorithm::hamerly, kmeans::Algorithm::elkan, kmeans::Algorithm::yinyang,
                                    kmeans::Algorithm::automatic}) {
    for (const std::size_t threads : {1, 2, 3}) {
      CAPTURE(static_cast<int>(a), threads);
      Options other = o;
      other.algorithm = a;
      other.n_threads = threads;
      KMeans<double> km(other);
      km.fit(X.view());
      CHECK(km.labels() == lloyd.labels());
      CHECK(ref::worst_rel(ref::to_dense(km.centroids()), ref::to_dense(lloyd.centroids())) == 0);
      CHECK(km.inertia() == lloyd.inertia());
      CHECK(km.n_iter() == lloyd.n_iter());
    }
  }
}

TEST_CASE("cosine: each init, and rows scaled by powers of two change nothing", "[cosine]") {
  const auto X = stretched_blobs<double>(3000, 6, 5, 83);
  auto scaled = X;
  for (std::size_t i = 0; i < 3000; ++i)
    for (std::size_t j = 0; j < 6; ++j)
      scaled.buffer[i * scaled.stride + j] *= std::ldexp(1.0, static_cast<int>(i % 9) - 4);
  for (const kmeans::Init init :
       {kmeans::Init::kmeans_plus_plus, kmeans::Init::random, kmeans::Init::kmeans_parallel}) {
    CAPTURE(static_cast<int>(init));
    Options o;
    o.n_clusters = 5;
    o.metric = Metric::cosine;
    o.init = init;
    o.seed = 3;
    KMeans<double> a(o), b(o);
    a.fit(X.view());
    b.fit(scaled.view());
    CHECK(a.labels() == b.labels());
    CHECK(ref::worst_rel(ref::to_dense(a.centroids()), ref::to_dense(b.centroids())) == 0);
    CHECK(a.predict(X.view()) == a.labels());
    CHECK(a.predict(scaled.view()) == a.labels());
    // The labels are the largest cosine similarity with the raw rows, computed plainly.
    std::size_t agree = 0;
    for (std::size_t i = 0; i < 3000; ++i) {
      double best = -2;
      std::int32_t arg = -1;
      for (std::size_t c = 0; c < 5; ++c) {
        double dot = 0, xx = 0, cc = 0;
        for (std::size_t j = 0; j < 6; ++j) {
          dot += X.view()(i, j) * a.centroids()(c, j);
          xx += X.view()(i, j) * X.view()(i, j);
          cc += a.centroids()(c, j) * a.centroids()(c, j);
        }
        const double cosine = dot / std::sqrt(xx * cc);
        if (cosine > best) best = cosine, arg = static_cast<std::int32_t>(c);
      }
      agree += arg == a.labels()[i];
    }
    CHECK(agree == 3000);
    // initial_centroids starts where the fit starts: unit rows.
    const std::vector<double> first = kmeans::initial_centroids(X.view(), o);
    for (std::size_t c = 0; c < 5; ++c) {
      double norm = 0;
      for (std::size_t j = 0; j < 6; ++j) norm += first[c * 6 + j] * first[c * 6 + j];
      CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-12));
    }
  }
}

TEST_CASE("cosine: rows of zeros are errors; a mean of zero length keeps its centroid", "[cosine][errors]") {
  auto X = stretched_blobs<float>(200, 3, 2, 84);
  Options o;
  o.n_clusters = 2;
  o.metric = Metric::cosine;
  KMeans<float> km(o);
  km.fit(X.view());
  for (std::size_t j = 0; j < 3; ++j) X.buffer[17 * X.stride + j] = 0;
  CHECK(contains(message_of([&] { km.fit(X.view()); }), "X row 17 is all zeros"));
  CHECK(contains(message_of([&] { km.predict(X.view()); }), "X row 17 is all zeros"));
  CHECK(km.is_fitted());  // the failed fit left the model as it was
  X.buffer[17 * X.stride] = 1;
  std::vector<float> zero_centroid = {1, 0, 0, 0, 0, 0};
  CHECK(contains(message_of([&] { km.fit(X.view(), Matrix<const float>(zero_centroid.data(), 2, 3)); }),
                 "initial centroids row 1 is all zeros"));
  CHECK_THROWS_AS(KMeans<float>::from_centroids(Matrix<const float>(zero_centroid.data(), 2, 3), o),
                  std::invalid_argument);

  // Two opposite rows in one cluster: their mean has no direction; the centroid stays put.
  const std::vector<double> opposite = {1, 0, -1, 0};
  const std::vector<double> start = {0, 1};
  Options one = o;
  one.n_clusters = 1;
  KMeans<double> k1(one);
  k1.fit(Matrix<const double>(opposite.data(), 2, 2), Matrix<const double>(start.data(), 1, 2));
  CHECK(k1.centroids()(0, 0) == 0);
  CHECK(k1.centroids()(0, 1) == 1);
  CHECK(k1.inertia() == Approx(4.0));  // two rows at squared distance 2 - 2 cos = 2
}
