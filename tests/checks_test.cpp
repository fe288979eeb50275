// Every bad input gets std::invalid_argument (or std::logic_error for use before fit) with a
// message naming the argument, and a failed fit leaves a fitted model exactly as it was.
#include <cmath>
#include <kmeans/kmeans_model.hpp>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "test_data.hpp"

using kmeans::KMeans;
using kmeans::Matrix;
using kmeans::Options;

namespace {

template <class T>
struct Snapshot {
  std::vector<T> centroids;
  std::vector<std::int32_t> labels;
  double inertia;
  std::size_t n_iter;
  bool converged;
  explicit Snapshot(const KMeans<T>& km)
      : centroids(km.centroids().data(), km.centroids().data() + km.centroids().rows() * km.centroids().cols()),
        labels(km.labels()),
        inertia(km.inertia()),
        n_iter(km.n_iter()),
        converged(km.converged()) {}
  bool operator==(const Snapshot& o) const {
    return centroids == o.centroids && labels == o.labels && inertia == o.inertia && n_iter == o.n_iter &&
           converged == o.converged;
  }
};

}  // namespace

TEST_CASE("Matrix rejects a stride below cols and null data with rows", "[matrix][errors]") {
  std::vector<double> v(12);
  CHECK_THROWS_AS(Matrix<double>(v.data(), 3, 4, 3), std::invalid_argument);
  CHECK(contains(message_of([&] { Matrix<double>(v.data(), 3, 4, 3); }), "stride (3)"));
  CHECK_THROWS_AS(Matrix<const double>(nullptr, 2, 3), std::invalid_argument);
  CHECK(contains(message_of([&] { Matrix<const double>(nullptr, 2, 3); }), "null"));
  CHECK_NOTHROW(Matrix<const double>(nullptr, 0, 3));
}

TEST_CASE("bad options throw at construction", "[kmeans][errors]") {
  const auto with = [](auto edit) {
    Options o;
    edit(o);
    return o;
  };
  CHECK_THROWS_AS(KMeans<double>(with([](Options& o) { o.n_clusters = 0; })), std::invalid_argument);
  CHECK_THROWS_AS(KMeans<double>(with([](Options& o) { o.max_iter = 0; })), std::invalid_argument);
  CHECK_THROWS_AS(KMeans<double>(with([](Options& o) { o.n_init = 0; })), std::invalid_argument);
  CHECK_THROWS_AS(KMeans<double>(with([](Options& o) { o.tol = -1e-3; })), std::invalid_argument);
  CHECK_THROWS_AS(KMeans<double>(with([](Options& o) { o.tol = std::nan(""); })), std::invalid_argument);
  CHECK_THROWS_AS(KMeans<float>(with([](Options& o) { o.algorithm = static_cast<kmeans::Algorithm>(17); })),
                  std::invalid_argument);
  CHECK_THROWS_AS(KMeans<float>(with([](Options& o) { o.init = static_cast<kmeans::Init>(-1); })),
                  std::invalid_argument);
  CHECK(contains(message_of([&] { KMeans<double>(with([](Options& o) { o.max_iter = 0; })); }), "max_iter"));
  CHECK(
      contains(message_of([&] { KMeans<double>(with([](Options& o) { o.tol = -2; })); }), "tol must be >= 0, got -2"));
  CHECK(contains(message_of([&] { KMeans<double>(with([](Options& o) { o.n_init = 0; })); }), "n_init"));
  CHECK(contains(message_of([&] { KMeans<double>(with([](Options& o) { o.n_clusters = 0; })); }), "n_clusters"));
  for (const double bad : {0.0, -1.0, std::nan(""), HUGE_VAL})
    CHECK(contains(message_of([&] { KMeans<double>(with([&](Options& o) { o.oversampling = bad; })); }),
                   "oversampling must be finite and > 0"));
  CHECK(contains(message_of([&] { KMeans<double>(with([](Options& o) { o.init_rounds = 0; })); }), "init_rounds"));
}

TEST_CASE("use before fit is a logic error", "[kmeans][errors]") {
  KMeans<float> km;
  std::vector<float> x(8);
  CHECK_THROWS_AS(km.predict(Matrix<const float>(x.data(), 2, 4)), std::logic_error);
  CHECK_THROWS_AS(km.centroids(), std::logic_error);
  CHECK_THROWS_AS(km.labels(), std::logic_error);
  CHECK(contains(message_of([&] { km.labels(); }), "before a successful fit"));
}

TEMPLATE_TEST_CASE("a fit with bad input throws and changes nothing", "[kmeans][errors]", float, double) {
  using T = TestType;
  const auto good = blobs<T>(300, 4, 3, 1.0, 61);
  Options o;
  o.n_clusters = 3;
  o.n_threads = 2;
  KMeans<T> km(o);
  km.fit(good.view());
  const Snapshot<T> before(km);
  const auto unchanged = [&] { CHECK(Snapshot<T>(km) == before); };

  SECTION("no rows") {
    CHECK_THROWS_AS(km.fit(Matrix<const T>(good.buffer.data(), 0, 4)), std::invalid_argument);
    CHECK(contains(message_of([&] { km.fit(Matrix<const T>(good.buffer.data(), 0, 4)); }), "no rows"));
    unchanged();
  }
  SECTION("no columns") {
    CHECK_THROWS_AS(km.fit(Matrix<const T>(good.buffer.data(), 10, 0)), std::invalid_argument);
    CHECK(contains(message_of([&] { km.fit(Matrix<const T>(good.buffer.data(), 10, 0)); }), "no columns"));
    unchanged();
  }
  SECTION("more clusters than rows") {
    CHECK_THROWS_AS(km.fit(Matrix<const T>(good.buffer.data(), 2, 4)), std::invalid_argument);
    CHECK(contains(message_of([&] { km.fit(Matrix<const T>(good.buffer.data(), 2, 4)); }), "n_clusters (3)"));
    unchanged();
  }
  for (const T bad :
       {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()}) {
    SECTION("a non-finite value in X") {
      auto data = good;
      data.buffer[123 * 4 + 2] = bad;
      CHECK_THROWS_AS(km.fit(data.view()), std::invalid_argument);
      const std::string where =
          std::string(std::isnan(bad) ? "X has a NaN" : "X has an infinity (inf)") + " at row 123, column 2";
      CHECK(contains(message_of([&] { km.fit(data.view()); }), where));
      unchanged();
      // Without tol the check is a pass of its own (with it, part of the variance pass).
      Options no_tol = o;
      no_tol.tol = 0;
      KMeans<T> fixed(no_tol);
      CHECK(contains(message_of([&] { fixed.fit(data.view()); }), "row 123, column 2"));
      CHECK_FALSE(fixed.is_fitted());
    }
  }
  SECTION("initial centroids of the wrong shape") {
    std::vector<T> c(4 * 4, T(0));
    CHECK_THROWS_AS(km.fit(good.view(), Matrix<const T>(c.data(), 4, 4)), std::invalid_argument);
    CHECK_THROWS_AS(km.fit(good.view(), Matrix<const T>(c.data(), 3, 5)), std::invalid_argument);
    CHECK(contains(message_of([&] { km.fit(good.view(), Matrix<const T>(c.data(), 3, 5)); }), "3 x 5, expected 3 x 4"));
    unchanged();
  }
  SECTION("non-finite initial centroids") {
    std::vector<T> c(3 * 4, T(1));
    c[7] = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_AS(km.fit(good.view(), Matrix<const T>(c.data(), 3, 4)), std::invalid_argument);
    CHECK(contains(message_of([&] { km.fit(good.view(), Matrix<const T>(c.data(), 3, 4)); }), "initial centroids"));
    unchanged();
  }
  SECTION("predict with the wrong number of columns or non-finite rows") {
    CHECK_THROWS_AS(km.predict(Matrix<const T>(good.buffer.data(), 10, 3)), std::invalid_argument);
    CHECK(contains(message_of([&] { km.predict(Matrix<const T>(good.buffer.data(), 10, 3)); }), "3 columns"));
    auto data = good;
    data.buffer[5] = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_AS(km.predict(data.view()), std::invalid_argument);
    CHECK(km.predict(Matrix<const T>(good.buffer.data(), 0, 4)).empty());
    unchanged();
  }
}
