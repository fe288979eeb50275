// Data a user's pipeline may hand over: identical rows, outliers, constant columns, values
// near the ends of the floating-point range. Each fit must give the reference answer (or the
// documented error), finite centroids and an inertia that never rises.

#include <cmath>
#include <cstddef>
#include <kmeans/kmeans_model.hpp>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using kmeans::KMeans;
using kmeans::Options;

namespace {

Options options(std::size_t k, std::uint64_t seed = 1) {
  Options o;
  o.n_clusters = k;
  o.seed = seed;
  o.tol = 0;
  o.max_iter = 200;
  o.n_threads = 2;
  return o;
}

/// blobs<T> with every value multiplied by `scale` (in double, then rounded to T).
template <class T>
Owned<T> scaled_blobs(std::size_t n, std::size_t d, std::size_t centers, double scale, std::uint64_t seed) {
  auto data = blobs<double>(n, d, centers, 1.0, seed);
  Owned<T> out{std::vector<T>(data.buffer.size()), n, d, d};
  for (std::size_t i = 0; i < data.buffer.size(); ++i) out.buffer[i] = static_cast<T>(data.buffer[i] * scale);
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("all rows identical: k centroids on the row, inertia zero", "[adversarial]", float, double) {
  using T = TestType;
  const std::vector<T> row{T(-2.5), T(1e3), T(0), T(7)};
  const auto data = from_rows<T>(std::vector<std::vector<T>>(500, row));
  for (const std::size_t k : {1, 3, 20}) {
    const auto km = fit_watched<T>(options(k), data.view());
    CHECK(km.inertia() == 0.0);
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t j = 0; j < row.size(); ++j) CHECK(km.centroids()(c, j) == row[j]);
  }
}

TEMPLATE_TEST_CASE("one huge outlier gets a cluster of its own", "[adversarial]", float, double) {
  using T = TestType;
  auto data = blobs<T>(2000, 6, 4, 1.0, 3);
  for (std::size_t j = 0; j < 6; ++j) data.buffer[std::size_t{1234} * 6 + j] = T(1e7);
  const auto km = fit_watched<T>(options(5), data.view());
  const auto own = km.labels()[1234];
  std::size_t members = 0;
  for (const auto l : km.labels()) members += l == own;
  CHECK(members == 1);
  CHECK(km.centroids()(static_cast<std::size_t>(own), 0) == T(1e7));
}

TEMPLATE_TEST_CASE("constant columns stay constant in every centroid", "[adversarial]", float, double) {
  using T = TestType;
  auto data = blobs<T>(1500, 8, 5, 1.0, 4);
  for (std::size_t i = 0; i < data.rows; ++i) {
    data.buffer[i * 8 + 0] = T(7.5);
    data.buffer[i * 8 + 5] = T(-1e4);
  }
  const auto km = fit_watched<T>(options(5), data.view());
  for (std::size_t c = 0; c < 5; ++c) {
    CHECK(km.centroids()(c, 0) == T(7.5));
    CHECK(km.centroids()(c, 5) == T(-1e4));
  }
}

TEST_CASE("float data near FLT_MAX gets the reference labels through the double path", "[adversarial][range]") {
  // Values up to ~3e38: squared distances overflow float (but not double). Decision: correct
  // results, computed by the kernel's exact double path for rows whose scores could overflow.
  const double scale = 0.25 * static_cast<double>(std::numeric_limits<float>::max()) / 12.0;
  const auto data = scaled_blobs<float>(1200, 5, 4, scale, 5);
  const auto km = fit_watched<float>(options(4), data.view());
  CHECK(std::isfinite(km.inertia()));
  CHECK(km.inertia() > 1e70);
  CHECK(km.predict(data.view()) == km.labels());
  // Mixed: one column near FLT_MAX, the others of order one.
  auto mixed = blobs<float>(1000, 4, 3, 0.5, 6);
  for (std::size_t i = 0; i < mixed.rows; ++i) mixed.buffer[i * 4 + 2] = (i % 2 ? 1.0f : -1.0f) * 3e38f;
  fit_watched<float>(options(3), mixed.view());
}

TEST_CASE("a centroid whose float score overflows is still found nearest", "[adversarial][range]") {
  // Centroids at the origin and at 3e38: the second one's ||c||^2 overflows float, while
  // the origin's score is a harmless 0. Only the exact path tells them apart correctly.
  const auto centres = from_rows<float>({{0.0f, 0.0f}, {3e38f, 0.0f}});
  KMeans<float> km(options(2));
  km.fit(centres.view());
  REQUIRE(km.centroids()(1, 0) == 3e38f);
  const auto rows = from_rows<float>({{3e38f, 0.0f}, {2.9e38f, 5.0f}, {0.0f, 0.0f}, {1.0f, 1.0f}, {2e38f, 0.0f}});
  CHECK(km.predict(rows.view()) == std::vector<std::int32_t>{1, 1, 0, 0, 1});
}

TEST_CASE("double data whose squared distances would overflow is a clear error", "[adversarial][range][errors]") {
  auto data = blobs<double>(100, 3, 2, 1.0, 7);
  data.buffer[42 * 3 + 1] = 1e200;
  KMeans<double> km(options(2));
  REQUIRE_THROWS_AS(km.fit(data.view()), std::invalid_argument);
  try {
    km.fit(data.view());
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("row 42") != std::string::npos);
    CHECK(what.find("too large") != std::string::npos);
  }
  CHECK_FALSE(km.is_fitted());
  // Large but safe for 100 rows: accepted, and right.
  const auto big = scaled_blobs<double>(100, 3, 2, 1e140, 7);
  fit_watched<double>(options(2), big.view());
}

TEST_CASE("the data check finds the first bad row however close the values are to its bounds",
          "[adversarial][range][errors]") {
  // first_unusable_row, and the variance pass's check, settle blocks whose values are all
  // within sqrt(limit / (d (1 + 2^-16))) by comparison alone; rows at and just past that bound,
  // rows whose squared norm is just past the limit, and non-finite values must still be found,
  // in the first bad row, against a plain reference (non-finite, or a long double sum of
  // squares past the limit).
  kmeans::detail::Rng rng(3);
  kmeans::detail::ThreadPool pool(2);
  for (const std::size_t d : {1, 3, 8, 33, 100}) {
    const std::size_t n = 300;
    const double limit = kmeans::detail::squared_norm_limit(n);
    const double bound = std::sqrt(limit / static_cast<double>(d));
    for (int rep = 0; rep < 40; ++rep) {
      std::vector<double> x(n * d);
      for (auto& v : x) v = (rng.uniform() - 0.5) * 1e3;
      const int kind = rep % 5;
      const std::size_t bad = static_cast<std::size_t>(rng.below(n));
      if (kind == 0) {  // every value of a row at the bound, times a factor around 1
        const double f = 1.0 + (rng.uniform() - 0.5) * 1e-4;
        for (std::size_t j = 0; j < d; ++j) x[bad * d + j] = (j % 2 ? -bound : bound) * f;
      } else if (kind == 1) {  // one value just past the prefilter's bound, the row fine
        x[bad * d + d / 2] = bound * (1.0 + 0x1p-20);
        for (std::size_t j = 0; j < d; ++j)
          if (j != d / 2) x[bad * d + j] = 0.0;
      } else if (kind == 2) {
        x[bad * d + rng.below(d)] = std::numeric_limits<double>::quiet_NaN();
      } else if (kind == 3) {
        x[bad * d + rng.below(d)] = -std::numeric_limits<double>::infinity();
      }  // kind 4: all fine
      // Only row `bad` can be bad (the others' values are below 500).
      long double norm = 0;
      bool finite = true;
      for (std::size_t j = 0; j < d; ++j) {
        finite = finite && std::isfinite(x[bad * d + j]);
        norm += static_cast<long double>(x[bad * d + j]) * x[bad * d + j];
      }
      const auto lim = static_cast<long double>(limit);
      if (finite && norm > lim * (1 - 1e-9L) && norm < lim * (1 + 1e-9L)) continue;  // either answer is right
      const std::size_t expected = !finite || norm > lim ? bad : n;
      CAPTURE(d, kind, bad, expected);
      const kmeans::Matrix<const double> X(x.data(), n, d);
      CHECK(kmeans::detail::first_unusable_row(X, 0, n, limit) == expected);
      CHECK(kmeans::detail::first_unusable_row(X, bad, n, limit) == expected);
      if (bad + 1 < n) CHECK(kmeans::detail::first_unusable_row(X, bad + 1, n, limit) == n);
      // The same check inside the variance pass (what a fit with tol > 0 runs) names the same row.
      std::size_t named = n;
      try {
        kmeans::detail::mean_variance(pool, X, "X");
      } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        REQUIRE(what.find("row ") != std::string::npos);
        named = std::stoul(what.substr(what.find("row ") + 4));
      }
      CHECK(named == expected);
    }
  }
}

TEST_CASE("denormal float data gets the reference labels", "[adversarial][range]") {
  // Values of order 1e-41: subnormal floats whose squares underflow float, not double.
  const auto data = scaled_blobs<float>(1500, 6, 5, 1e-42, 8);
  std::size_t subnormal = 0;
  for (const float v : data.buffer) subnormal += std::fpclassify(v) == FP_SUBNORMAL;
  REQUIRE(subnormal > data.buffer.size() / 2);
  const auto km = fit_watched<float>(options(5), data.view());
  CHECK(km.inertia() > 0.0);
  CHECK(km.predict(data.view()) == km.labels());
}

TEMPLATE_TEST_CASE("tiny and huge clusters in one dataset", "[adversarial][range]", float, double) {
  // Two tight groups at scale 1e-3 next to groups at 1e5: the error bound of the large rows
  // must not swamp the small ones' decisions, nor the other way round.
  using T = TestType;
  const auto small = scaled_blobs<T>(600, 3, 3, 1e-3, 9);
  const auto large = scaled_blobs<T>(600, 3, 3, 1e5, 10);
  Owned<T> data{small.buffer, 1200, 3, 3};
  data.buffer.insert(data.buffer.end(), large.buffer.begin(), large.buffer.end());
  fit_watched<T>(options(6), data.view());
}

TEST_CASE("bounds stay valid where a centroid moves by 1e37 next to values near 1e-31", "[adversarial][range]") {
  // Found by the fuzzer: a centroid moved by about 1e37 to near zero, and Elkan's lower bound
  // for it, 1e37 - 1e37 with the rounding of both, came out positive and far above the true
  // distance (about 1e-31), so the nearest centroid was skipped. Every algorithm must give
  // Lloyd's labels, and those must be predict's.
  const std::vector<float> x = {
      0x1.60023p-129f,  0x1.ffcp-2f,      0x1.967ep-50f,     0x1.b8p-142f,     -0x1.1a11cp-102f,  0x1.3658p-128f,
      0x1.ap-146f,      0x0p+0f,          -0x1.191a1p+58f,   -0x1.d804p-15f,   -0x1.03f91ep+125f, -0x1.eb81ecp-56f,
      -0x1.e170d8p-99f, 0x1.01fc02p-123f, -0x1.1f464cp+122f, 0x1.4a4a3cp-53f,  -0x1.aae452p+44f,  -0x1.b5b452p-96f,
      -0x1.b5b5b4p+78f, -0x1.3daa1cp+53f, -0x1.a32c5cp-11f,  0x1.e0a93p-82f,   0x1.1d7b28p+62f,   -0x1.db34b8p+102f,
      0x1.5ee3e2p+49f,  0x1.7e71bep+33f,  -0x1.da37b8p+124f, 0x1.6d643ap-6f,   0x1.4538a6p-91f,   -0x1.e175fep-101f,
      -0x1.2a20b8p-15f, -0x1.e7f07cp+98f, 0x1.3a3ab6p-6f,    0x1.1baee6p-36f,  0x1.a620fcp+120f,  0x1.63b06ap+103f,
      -0x1.5da02ap-37f, -0x1.333534p+99f, -0x1.353534p-74f,  -0x1.353534p-74f, -0x1.3535b4p-74f,  -0x1.b47b34p+54f,
      -0x1.353534p-74f, -0x1.353534p-74f, -0x1.353534p-74f,  -0x1.353534p-74f, -0x1.353534p-74f,  -0x1.353534p-74f,
      -0x1.353534p-74f, -0x1.b5b47ap+54f, -0x1.353534p-74f,  -0x1.353534p-74f};
  const kmeans::Matrix<const float> X(x.data(), x.size(), 1);
  Options o;
  o.n_clusters = 39;
  o.max_iter = 11;
  o.n_init = 3;
  o.tol = 1;
  o.seed = 2693772703375809136ULL;
  o.init = kmeans::Init::kmeans_parallel;
  o.init_rounds = 2;
  KMeans<float> lloyd(o);
  lloyd.fit(X);
  for (const auto a : {kmeans::Algorithm::elkan, kmeans::Algorithm::hamerly, kmeans::Algorithm::yinyang}) {
    o.algorithm = a;
    KMeans<float> km(o);
    km.fit(X);
    CHECK(km.labels() == lloyd.labels());
    CHECK(km.predict(X) == km.labels());
  }
}
