// scikit-learn parity: sample weights (against repeated and dropped rows), transform, score
// and fit_predict (against the brute-force reference).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <kmeans/kmeans_model.hpp>
#include <kmeans/minibatch.hpp>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using kmeans::Algorithm;
using kmeans::KMeans;
using kmeans::Matrix;
using kmeans::Options;

namespace {

Options options_for(std::size_t k, Algorithm a = Algorithm::lloyd) {
  Options o;
  o.n_clusters = k;
  o.tol = 0;
  o.max_iter = 300;
  o.n_threads = 2;
  o.algorithm = a;
  return o;
}

template <class T>
void check_close(Matrix<const T> a, Matrix<const T> b, double rel) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  for (std::size_t i = 0; i < a.rows(); ++i)
    for (std::size_t j = 0; j < a.cols(); ++j)
      CHECK(std::abs(static_cast<double>(a(i, j)) - static_cast<double>(b(i, j))) <=
            rel * (1 + std::abs(static_cast<double>(b(i, j)))));
}

template <class T>
bool same_bits(Matrix<const T> a, Matrix<const T> b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), a.rows() * a.cols() * sizeof(T)) == 0;
}

/// Uniform data: where the fit ends depends on where it starts.
template <class T>
Owned<T> uniform_rows(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Owned<T> o{std::vector<T>(n * d), n, d, d};
  for (auto& v : o.buffer) v = static_cast<T>(u(rng));
  return o;
}

}  // namespace

TEMPLATE_TEST_CASE("integer weights equal repeated rows", "[parity][weights]", float, double) {
  using T = TestType;
  const auto data = blobs<T>(1200, 5, 6, 1.5, 41);
  std::vector<double> w(data.rows);
  std::vector<T> repeated;
  std::vector<std::size_t> source;  // the row of X each repeated row copies
  for (std::size_t i = 0; i < data.rows; ++i) {
    w[i] = static_cast<double>(1 + (i * 7) % 4);  // 1 to 4
    for (int r = 0; r < static_cast<int>(w[i]); ++r) {
      repeated.insert(repeated.end(), data.view().row(i), data.view().row(i) + 5);
      source.push_back(i);
    }
  }
  const Matrix<const T> R(repeated.data(), source.size(), 5);
  for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
    Options o = options_for(6, a);
    const auto start = kmeans::initial_centroids(data.view(), o);
    const Matrix<const T> C(start.data(), 6, 5);
    KMeans<T> weighted(o), plain(o);
    weighted.fit(data.view(), w, C);
    plain.fit(R, C);
    CHECK(weighted.n_iter() == plain.n_iter());
    for (std::size_t r = 0; r < source.size(); ++r) CHECK(plain.labels()[r] == weighted.labels()[source[r]]);
    check_close(weighted.centroids(), plain.centroids(), rel_tol<T>());
    CHECK(ref::rel_diff(weighted.inertia(), plain.inertia()) <= 1e-9);
    CHECK(ref::rel_diff(weighted.score(data.view(), w), plain.score(R)) <= 1e-9);
  }
}

TEMPLATE_TEST_CASE("zero weights equal dropped rows", "[parity][weights]", float, double) {
  using T = TestType;
  const auto data = blobs<T>(1500, 4, 8, 2.0, 42);
  std::vector<double> w(data.rows);
  std::vector<T> kept;
  std::vector<std::size_t> source;
  for (std::size_t i = 0; i < data.rows; ++i) {
    w[i] = i % 3 == 0 ? 0.0 : 0.5 + static_cast<double>(i % 5) * 0.25;
    if (w[i] == 0) continue;
    kept.insert(kept.end(), data.view().row(i), data.view().row(i) + 4);
    source.push_back(i);
  }
  std::vector<double> kept_w;
  for (const std::size_t i : source) kept_w.push_back(w[i]);
  const Matrix<const T> K(kept.data(), source.size(), 4);
  for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
    Options o = options_for(8, a);
    const auto start = kmeans::initial_centroids(K, o);
    const Matrix<const T> C(start.data(), 8, 4);
    KMeans<T> with_zeros(o), without(o);
    with_zeros.fit(data.view(), w, C);
    without.fit(K, kept_w, C);
    CHECK(with_zeros.n_iter() == without.n_iter());
    for (std::size_t r = 0; r < source.size(); ++r) CHECK(without.labels()[r] == with_zeros.labels()[source[r]]);
    check_close(with_zeros.centroids(), without.centroids(), rel_tol<T>());
    CHECK(ref::rel_diff(with_zeros.inertia(), without.inertia()) <= 1e-9);
  }
}

TEMPLATE_TEST_CASE("a weighted fit is the weighted reference and is thread-count independent", "[parity][weights]",
                   float, double) {
  using T = TestType;
  const auto data = blobs<T>(2000, 6, 10, 3.0, 43);
  std::vector<double> w(data.rows);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.1 + static_cast<double>((i * 2654435761u) % 1000) / 250.0;
  Options o = options_for(10);
  o.n_threads = 1;
  KMeans<T> one(o);
  one.fit(data.view(), w);
  // Converged on stable labels: centroids are the weighted means of their rows.
  REQUIRE(one.converged());
  const ref::Dense X = ref::to_dense(data.view());
  std::vector<double> sums(10 * 6, 0.0), mass(10, 0.0);
  double inertia = 0.0;
  const ref::Dense C = ref::to_dense(one.centroids());
  for (std::size_t i = 0; i < X.rows; ++i) {
    const auto c = static_cast<std::size_t>(one.labels()[i]);
    mass[c] += w[i];
    for (std::size_t j = 0; j < 6; ++j) sums[c * 6 + j] += w[i] * X.row(i)[j];
    inertia += w[i] * ref::sqdist(X.row(i), C.row(c), 6);
  }
  for (std::size_t c = 0; c < 10; ++c)
    for (std::size_t j = 0; j < 6; ++j)
      CHECK(std::abs(C.row(c)[j] - sums[c * 6 + j] / mass[c]) <= rel_tol<T>() * (1 + std::abs(C.row(c)[j])));
  CHECK(ref::rel_diff(one.inertia(), inertia) <= 1e-12);
  CHECK(one.labels() == ref::assign(X, C).labels);
  for (const std::size_t threads : {2, 3}) {
    o.n_threads = threads;
    KMeans<T> many(o);
    many.fit(data.view(), w);
    CHECK(many.labels() == one.labels());
    CHECK(bits(many.inertia()) == bits(one.inertia()));
  }
}

TEST_CASE("bad sample weights are a clear error and change nothing", "[parity][weights][errors]") {
  const auto data = blobs<double>(100, 2, 2, 1.0, 44);
  KMeans<double> km(options_for(2));
  km.fit(data.view());
  const auto labels = km.labels();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::vector<double>> bad = {std::vector<double>(99, 1.0), std::vector<double>(101, 1.0),
                                                std::vector<double>(100, 0.0)};
  for (const auto& w : bad) CHECK_THROWS_AS(km.fit(data.view(), w), std::invalid_argument);
  for (const double v : {-1.0, std::nan(""), inf}) {
    std::vector<double> w(100, 1.0);
    w[37] = v;
    CHECK_THROWS_AS(km.fit(data.view(), w), std::invalid_argument);
    CHECK_THROWS_AS(km.score(data.view(), w), std::invalid_argument);
  }
  CHECK(km.labels() == labels);
}

TEMPLATE_TEST_CASE("transform, score and fit_predict match the reference", "[parity]", float, double) {
  using T = TestType;
  const auto data = blobs<T>(700, 9, 5, 2.0, 45, 2);
  const auto other = blobs<T>(300, 9, 5, 2.0, 46, 1);
  KMeans<T> km(options_for(5));
  const auto labels = km.fit_predict(data.view());
  CHECK(labels == km.labels());
  const ref::Dense C = ref::to_dense(km.centroids());
  const ref::Dense Y = ref::to_dense(other.view());
  const std::vector<T> dist = km.transform(other.view());
  REQUIRE(dist.size() == 300 * 5);
  double inertia = 0.0;
  const ref::Assignment a = ref::assign(Y, C);
  for (std::size_t i = 0; i < Y.rows; ++i) {
    for (std::size_t c = 0; c < 5; ++c)
      CHECK(std::abs(static_cast<double>(dist[i * 5 + c]) - std::sqrt(ref::sqdist(Y.row(i), C.row(c), 9))) <=
            rel_tol<T>() * (1 + static_cast<double>(dist[i * 5 + c])));
    inertia += a.best[i];
  }
  CHECK(ref::rel_diff(km.score(other.view()), -inertia) <= 1e-12);
  CHECK(ref::rel_diff(km.score(data.view()), -km.inertia()) <= 1e-12);
  // fit_transform: the distances of the fitted rows to the centroids the fit ends with.
  KMeans<T> again(options_for(5));
  const std::vector<T> fitted = again.fit_transform(data.view());
  const ref::Dense C2 = ref::to_dense(again.centroids());
  REQUIRE(fitted.size() == 700 * 5);
  CHECK(ref::rel_diff(static_cast<double>(fitted[3 * 5 + 2]),
                      std::sqrt(ref::sqdist(ref::to_dense(data.view()).row(3), C2.row(2), 9))) <= rel_tol<T>());
  CHECK(fitted == again.transform(data.view()));
  CHECK_THROWS_AS(km.transform(Matrix<const T>(dist.data(), 2, 4)), std::invalid_argument);
  KMeans<T> unfitted(options_for(5));
  CHECK_THROWS_AS(unfitted.transform(other.view()), std::logic_error);
  CHECK_THROWS_AS(unfitted.score(other.view()), std::logic_error);
}

// scikit-learn's parity: unit weights are no weights, and weights all scaled by one constant
// change nothing (by a power of two, to the bit: every weighted sum scales exactly).
TEMPLATE_TEST_CASE("weights all alike give the unweighted fit, bit for bit", "[parity][weights]", float, double) {
  using T = TestType;
  const auto data = uniform_rows<T>(1500, 5, 77);
  for (const kmeans::Init init :
       {kmeans::Init::kmeans_plus_plus, kmeans::Init::kmeans_parallel, kmeans::Init::random}) {
    for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
      CAPTURE(static_cast<int>(init), static_cast<int>(a));
      Options o = options_for(12, a);
      o.init = init;
      o.tol = 1e-4;
      o.n_init = 2;
      o.seed = 5;
      KMeans<T> plain(o), ones(o), fours(o);
      plain.fit(data.view());
      ones.fit(data.view(), std::vector<double>(data.rows, 1.0));
      fours.fit(data.view(), std::vector<double>(data.rows, 4.0));
      for (const KMeans<T>* weighted : {&ones, &fours}) {
        CHECK(same_bits(weighted->centroids(), plain.centroids()));
        CHECK(weighted->labels() == plain.labels());
        CHECK(weighted->n_iter() == plain.n_iter());
      }
      CHECK(bits(ones.inertia()) == bits(plain.inertia()));
      CHECK(bits(fours.inertia()) == bits(4 * plain.inertia()));
    }
  }
  kmeans::MiniBatchOptions mo;
  mo.n_clusters = 12;
  mo.batch_size = 200;
  mo.seed = 9;
  mo.n_threads = 2;
  kmeans::MiniBatchKMeans<T> plain(mo), ones(mo), fours(mo);
  plain.fit(data.view());
  ones.fit(data.view(), std::vector<double>(data.rows, 1.0));
  fours.fit(data.view(), std::vector<double>(data.rows, 4.0));
  for (const kmeans::MiniBatchKMeans<T>* weighted : {&ones, &fours}) {
    CHECK(same_bits(weighted->centroids(), plain.centroids()));
    CHECK(weighted->labels() == plain.labels());
    CHECK(weighted->n_steps() == plain.n_steps());
  }
  CHECK(bits(ones.inertia()) == bits(plain.inertia()));
  CHECK(bits(fours.inertia()) == bits(4 * plain.inertia()));
}
