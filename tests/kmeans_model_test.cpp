#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <kmeans/kmeans_model.hpp>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using kmeans::KMeans;
using kmeans::Matrix;
using kmeans::Options;

namespace {

struct Shape {
  std::size_t n, d, k, pad;
};

}  // namespace

TEMPLATE_TEST_CASE("fit matches the brute-force reference on many shapes", "[kmeans][reference]", float, double) {
  using T = TestType;
  const Shape shapes[] = {{200, 1, 3, 0},
                          {300, 2, 4, 1},
                          {257, 3, 5, 0},
                          {500, 7, 8, 2},
                          {1000, 17, 6, 0},
                          {600, 33, 10, 5},
                          {513, 64, 16, 0},
                          {100, 100, 1, 3},
                          {40, 5, 40, 0},
                          {777, 129, 7, 1},
                          {90, 250, 9, 0},
                          {2000, 12, 50, 4},
                          // k x d x 8 bytes above 256 KiB: block sums grouped by cluster
                          {700, 520, 64, 1}};
  std::uint64_t seed = 1;
  for (const Shape& s : shapes) {
    for (const double std_dev : {0.5, 5.0}) {
      CAPTURE(s.n, s.d, s.k, s.pad, std_dev);
      const auto data = blobs<T>(s.n, s.d, std::max<std::size_t>(s.k / 2, 1), std_dev, ++seed, s.pad);
      Options o;
      o.n_clusters = s.k;
      o.seed = seed;
      o.tol = 0;  // run until labels are stable, so centroids are the means of the labels
      o.max_iter = 1000;
      o.n_threads = 2;
      KMeans<T> km(o);
      km.fit(data.view());
      check_labels_and_inertia(km, data.view());
      if (km.converged()) {
        // Converged on stable labels: each centroid is the mean of its rows.
        const ref::Dense Xd = ref::to_dense(data.view());
        const ref::Dense C = centroids_of(km);
        const ref::Dense M = ref::means(Xd, km.labels(), C);
        for (std::size_t i = 0; i < C.v.size(); ++i)
          CHECK(std::abs(C.v[i] - M.v[i]) <= rel_tol<T>() * (1 + std::abs(M.v[i])));
      }
      // labels() is what predict says for the training data.
      CHECK(km.predict(data.view()) == km.labels());
    }
  }
}

TEMPLATE_TEST_CASE("one Lloyd step from given centroids equals the reference step", "[kmeans][reference]", float,
                   double) {
  using T = TestType;
  for (const Shape s : {Shape{1000, 10, 7, 0}, Shape{333, 31, 12, 3}, Shape{64, 1, 4, 0}}) {
    CAPTURE(s.n, s.d, s.k);
    const auto data = blobs<T>(s.n, s.d, s.k, 3.0, 99 + s.d, s.pad);
    const std::vector<T> start = kmeans::initial_centroids(data.view(), [&] {
      Options o;
      o.n_clusters = s.k;
      o.init = kmeans::Init::random;
      return o;
    }());
    const ref::Dense Xd = ref::to_dense(data.view());
    const ref::Dense C0 = ref::to_dense(Matrix<const T>(start.data(), s.k, s.d));
    const ref::Assignment a0 = ref::assign(Xd, C0);
    const ref::Dense C1 = ref::means(Xd, a0.labels, C0);

    Options o;
    o.n_clusters = s.k;
    o.max_iter = 1;
    o.run_till_max_iter = true;
    double reported = -1;
    o.on_iteration = [&](const kmeans::Iteration& it) {
      reported = it.inertia;
      return true;
    };
    KMeans<T> km(o);
    km.fit(data.view(), Matrix<const T>(start.data(), s.k, s.d));
    REQUIRE(km.n_iter() == 1);
    CHECK_FALSE(km.converged());
    CHECK(ref::rel_diff(reported, ref::inertia(Xd, C0, a0.labels)) <= rel_tol<T>());
    const ref::Dense C = centroids_of(km);
    for (std::size_t i = 0; i < C.v.size(); ++i) {
      // float centroids are the double means rounded once to float
      const double expected = std::is_same_v<T, float> ? double(float(C1.v[i])) : C1.v[i];
      CHECK(std::abs(C.v[i] - expected) <= 1e-12 * (1 + std::abs(expected)));
    }
    check_labels_and_inertia(km, data.view());
  }
}

TEST_CASE("well separated blobs are recovered exactly", "[kmeans][recovery]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const auto b = kmeans::make_blobs<double>(1500, 20, 5, 0.5, seed);
    // Precondition of the test: the true centres are far apart next to the noise.
    for (std::size_t p = 0; p < 5; ++p)
      for (std::size_t q = p + 1; q < 5; ++q)
        REQUIRE(ref::sqdist(ref::to_dense(b.true_centers()).row(p), ref::to_dense(b.true_centers()).row(q), 20) > 100);
    Options o;
    o.n_clusters = 5;
    o.n_init = 3;
    o.seed = seed;
    KMeans<double> km(o);
    km.fit(b.X());
    CHECK(ref::adjusted_rand_index(km.labels(), b.labels) == 1.0);
    CHECK(km.converged());
  }
}

TEMPLATE_TEST_CASE("results are bit-identical for any thread count", "[kmeans][determinism]", float, double) {
  using T = TestType;
  // Both ways of summing blocks: row by row (small k x d) and grouped by cluster (large).
  const bool large = GENERATE(false, true);
  const auto data = large ? blobs<T>(2600, 530, 40, 4.0, 8, 0) : blobs<T>(5000, 37, 12, 4.0, 7, 3);
  const std::size_t k = large ? 70 : 20;
  for (const auto init : {kmeans::Init::kmeans_plus_plus, kmeans::Init::random}) {
    std::vector<KMeans<T>> fits;
    for (std::size_t threads : {1, 2, 3, 8}) {
      Options o;
      o.n_clusters = k;
      o.n_init = 2;
      o.init = init;
      o.seed = 11;
      o.n_threads = threads;
      fits.emplace_back(o).fit(data.view());
    }
    const auto& a = fits.front();
    for (const auto& b : fits) {
      CHECK(b.labels() == a.labels());
      CHECK(b.n_iter() == a.n_iter());
      CHECK(bits(a.inertia()) == bits(b.inertia()));  // not approximately: equal bits
      const auto ca = a.centroids(), cb = b.centroids();
      CHECK(std::memcmp(ca.data(), cb.data(), ca.rows() * ca.cols() * sizeof(T)) == 0);
    }
  }
}

TEST_CASE("float data far from the origin gets the double reference labels", "[kmeans][precision]") {
  // Every value is 1e4 + N(0, 1)-scale noise: ||x||^2 - 2 x.c + ||c||^2 cancels almost all
  // of float's precision, so the kernel must notice and fall back to direct distances.
  auto data = blobs<float>(3000, 24, 6, 1.0, 5);
  for (auto& v : data.buffer) v = static_cast<float>(1e4 + (v / 10.0));
  Options o;
  o.n_clusters = 6;
  o.seed = 3;
  KMeans<float> km(o);
  km.fit(data.view());
  const ref::Dense Xd = ref::to_dense(data.view());
  const ref::Dense C = centroids_of(km);
  const ref::Assignment a = ref::assign(Xd, C);
  std::size_t compared = 0;
  for (std::size_t i = 0; i < Xd.rows; ++i) {
    if (a.near_tie(i, 1e-3)) continue;
    ++compared;
    CHECK(km.labels()[i] == a.labels[i]);
  }
  CHECK(compared > Xd.rows * 9 / 10);
  CHECK(ref::rel_diff(km.inertia(), ref::inertia(Xd, C, km.labels())) <= 1e-12);
}

TEST_CASE("n_init keeps the restart with the lowest inertia", "[kmeans][restarts]") {
  // Overlapping blobs: restarts end in different local minima.
  const auto data = blobs<double>(1500, 4, 12, 3.0, 77);
  Options o;
  o.n_clusters = 9;
  o.n_init = 6;
  o.tol = 0;  // every restart runs to stable labels: its last reported inertia is its final one
  o.max_iter = 1000;
  std::vector<double> finals;
  o.on_iteration = [&](const kmeans::Iteration& it) {
    if (it.iteration == 1) finals.push_back(0.0);
    finals.back() = it.inertia;
    return true;
  };
  KMeans<double> km(o);
  km.fit(data.view());
  REQUIRE(finals.size() == 6);
  REQUIRE(km.converged());
  const double best = *std::min_element(finals.begin(), finals.end());
  CHECK(km.inertia() == best);
  CHECK(*std::max_element(finals.begin(), finals.end()) > best);  // the restarts did differ
  check_labels_and_inertia(km, data.view());
}

TEST_CASE("inertia never rises across Lloyd iterations", "[kmeans][invariant]") {
  const auto data = blobs<double>(3000, 8, 30, 6.0, 21);
  Options o;
  o.n_clusters = 25;
  o.max_iter = 50;
  o.run_till_max_iter = true;
  std::vector<double> inertia;
  o.on_iteration = [&](const kmeans::Iteration& it) {
    inertia.push_back(it.inertia);
    return true;
  };
  KMeans<double> km(o);
  km.fit(data.view());
  REQUIRE(inertia.size() == 50);
  for (std::size_t i = 1; i < inertia.size(); ++i) CHECK(inertia[i] <= inertia[i - 1] * (1 + 1e-12));
  CHECK(km.inertia() <= inertia.back() * (1 + 1e-12));
}

TEST_CASE("run_till_max_iter runs exactly max_iter iterations", "[kmeans][stopping]") {
  const auto b = kmeans::make_blobs<double>(500, 4, 3, 0.1, 4);
  Options o;
  o.n_clusters = 3;
  o.max_iter = 17;
  o.run_till_max_iter = true;
  std::size_t calls = 0;
  o.on_iteration = [&](const kmeans::Iteration&) { return ++calls > 0; };
  KMeans<double> km(o);
  km.fit(b.X());
  CHECK(km.n_iter() == 17);
  CHECK(calls == 17);
  CHECK_FALSE(km.converged());

  o.run_till_max_iter = false;
  o.on_iteration = nullptr;
  KMeans<double> early(o);
  early.fit(b.X());
  CHECK(early.n_iter() < 17);
  CHECK(early.converged());
}

TEST_CASE("tol stops when the centre shift is small enough", "[kmeans][stopping]") {
  const auto data = blobs<double>(4000, 5, 40, 8.0, 8);
  Options o;
  o.n_clusters = 30;
  o.max_iter = 1000;
  o.tol = 1e-2;
  std::vector<double> shifts;
  o.on_iteration = [&](const kmeans::Iteration& it) {
    shifts.push_back(it.center_shift);
    return true;
  };
  KMeans<double> km(o);
  km.fit(data.view());
  REQUIRE(km.converged());
  // The scaled tolerance: tol times the mean per-feature variance of X.
  const ref::Dense Xd = ref::to_dense(data.view());
  double var = 0;
  for (std::size_t j = 0; j < Xd.cols; ++j) {
    double mean = 0, m2 = 0;
    for (std::size_t i = 0; i < Xd.rows; ++i) mean += Xd.row(i)[j];
    mean /= static_cast<double>(Xd.rows);
    for (std::size_t i = 0; i < Xd.rows; ++i) m2 += (Xd.row(i)[j] - mean) * (Xd.row(i)[j] - mean);
    var += m2 / static_cast<double>(Xd.rows);
  }
  const double scaled = 1e-2 * var / static_cast<double>(Xd.cols);
  REQUIRE(shifts.size() == km.n_iter());
  for (std::size_t i = 0; i + 1 < shifts.size(); ++i) CHECK(shifts[i] > scaled * (1 - 1e-9));
  CHECK(shifts.back() <= scaled * (1 + 1e-9));
}

TEMPLATE_TEST_CASE("the variance pass agrees with a two-pass reference on any thread count", "[kmeans][stats]", float,
                   double) {
  using T = TestType;
  // d covers the four-vector, one-vector and scalar column paths; n a part block and several.
  for (const std::size_t d : {1, 5, 8, 9, 31, 32, 33, 45, 100}) {
    for (const std::size_t n : {1, 300, 1000}) {
      CAPTURE(d, n);
      const auto data = blobs<T>(n, d, 3, 4.0, d + n);
      const ref::Dense Xd = ref::to_dense(data.view());
      double expected = 0;
      for (std::size_t j = 0; j < d; ++j) {
        long double mean = 0, m2 = 0;
        for (std::size_t i = 0; i < n; ++i) mean += Xd.row(i)[j];
        mean /= static_cast<long double>(n);
        for (std::size_t i = 0; i < n; ++i) m2 += (Xd.row(i)[j] - mean) * (Xd.row(i)[j] - mean);
        expected += static_cast<double>(m2 / static_cast<long double>(n));
      }
      expected /= static_cast<double>(d);
      kmeans::detail::ThreadPool one(1), three(3);
      const double v1 = kmeans::detail::mean_variance(one, data.view());
      CHECK(v1 == Approx(expected).epsilon(1e-12));
      CHECK(kmeans::detail::mean_variance(three, data.view(), "X") == v1);
    }
  }
}

TEST_CASE("the callback can stop a fit and the model stays usable", "[kmeans][callback]") {
  const auto data = blobs<double>(3000, 6, 20, 5.0, 12);
  Options o;
  o.n_clusters = 20;
  o.tol = 0;
  o.n_init = 3;
  o.on_iteration = [](const kmeans::Iteration& it) { return it.iteration < 3; };
  KMeans<double> km(o);
  km.fit(data.view());
  CHECK(km.n_iter() == 3);
  CHECK_FALSE(km.converged());
  check_labels_and_inertia(km, data.view());
  CHECK(km.predict(data.view()) == km.labels());
}

TEST_CASE("an exception from the callback propagates and leaves the model as it was", "[kmeans][callback]") {
  const auto data = blobs<double>(1000, 3, 4, 1.0, 13);
  const auto other = blobs<double>(800, 3, 4, 1.0, 14);
  bool explode = false;
  Options o;
  o.n_clusters = 4;
  o.n_threads = 3;
  o.on_iteration = [&](const kmeans::Iteration&) -> bool {
    if (explode) throw std::runtime_error("user says no");
    return true;
  };
  KMeans<double> km(o);
  km.fit(data.view());
  const auto labels = km.labels();
  const std::vector<double> centroids(km.centroids().data(), km.centroids().data() + 12);
  const double inertia = km.inertia();
  explode = true;
  CHECK_THROWS_AS(km.fit(other.view()), std::runtime_error);
  CHECK(km.labels() == labels);
  CHECK(std::vector<double>(km.centroids().data(), km.centroids().data() + 12) == centroids);
  CHECK(km.inertia() == inertia);
  explode = false;  // the pool is not stuck: the next fit works
  km.fit(other.view());
  CHECK(km.labels().size() == 800);
}

TEST_CASE("an empty cluster moves to the row farthest from its centroid", "[kmeans][empty]") {
  // Two groups near 0 and 10; the third initial centroid is so far away that no row picks it.
  const auto data = from_rows<double>({{0.0}, {0.5}, {1.0}, {9.0}, {10.0}, {13.0}});
  const auto start = from_rows<double>({{0.5}, {10.0}, {1000.0}});
  Options o;
  o.n_clusters = 3;
  o.max_iter = 1;
  o.run_till_max_iter = true;
  KMeans<double> km(o);
  km.fit(data.view(), start.view());
  // Row 5 (13.0) is farthest from its centroid (10.0): cluster 2 takes it, cluster 1 keeps 9 and 10.
  const auto c = km.centroids();
  CHECK(c(0, 0) == Approx(0.5));
  CHECK(c(1, 0) == Approx(9.5));
  CHECK(c(2, 0) == 13.0);
  CHECK(km.labels() == std::vector<std::int32_t>{0, 0, 0, 1, 1, 2});

  // And to the same centroids the reference gets by doing the same thing by hand.
  const auto blob = blobs<double>(400, 9, 3, 1.0, 31);
  std::vector<double> far_start(std::size_t{4} * 9, 1e6);
  const ref::Dense Xd = ref::to_dense(blob.view());
  for (std::size_t j = 0; j < 9; ++j) far_start[j] = Xd.row(0)[j];  // centroid 0: row 0; 1..3 unreachable
  Options o4;
  o4.n_clusters = 4;
  o4.max_iter = 1;
  o4.run_till_max_iter = true;
  KMeans<double> km4(o4);
  km4.fit(blob.view(), Matrix<const double>(far_start.data(), 4, 9));
  // Reference: everything goes to cluster 0; clusters 1, 2, 3 take the three farthest rows.
  std::vector<std::pair<double, std::size_t>> far;
  for (std::size_t i = 0; i < Xd.rows; ++i) far.emplace_back(-ref::sqdist(Xd.row(i), Xd.row(0), 9), i);
  std::sort(far.begin(), far.end());
  std::vector<std::int32_t> labels(Xd.rows, 0);
  for (std::int32_t e = 1; e <= 3; ++e) labels[far[static_cast<std::size_t>(e - 1)].second] = e;
  const ref::Dense expected = ref::means(Xd, labels, ref::to_dense(Matrix<const double>(far_start.data(), 4, 9)));
  const ref::Dense got = ref::to_dense(km4.centroids());
  for (std::size_t i = 0; i < got.v.size(); ++i)
    CHECK(std::abs(got.v[i] - expected.v[i]) <= 1e-12 * (1 + std::abs(expected.v[i])));
}

TEMPLATE_TEST_CASE("fewer distinct rows than clusters still gives k finite centroids", "[kmeans][degenerate]", float,
                   double) {
  using T = TestType;
  std::vector<std::vector<T>> rows;
  for (int rep = 0; rep < 10; ++rep)
    for (T v : {T(1), T(2), T(3)}) rows.push_back({v, -v});
  const auto data = from_rows<T>(rows);
  for (const auto init : {kmeans::Init::kmeans_plus_plus, kmeans::Init::random}) {
    for (const bool till_max : {false, true}) {
      Options o;
      o.n_clusters = 5;
      o.init = init;
      o.run_till_max_iter = till_max;
      o.max_iter = 50;
      KMeans<T> km(o);
      km.fit(data.view());
      const auto c = km.centroids();
      REQUIRE(c.rows() == 5);
      for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 2; ++j) CHECK(std::isfinite(c(i, j)));
      CHECK(km.inertia() == 0.0);
      check_labels_and_inertia(km, data.view());
    }
  }
  // All rows identical, k = n.
  const auto same = from_rows<T>(std::vector<std::vector<T>>(7, std::vector<T>{T(4), T(4), T(4)}));
  Options o;
  o.n_clusters = 7;
  KMeans<T> km(o);
  km.fit(same.view());
  CHECK(km.inertia() == 0.0);
  CHECK(km.converged());
}

TEST_CASE("a copy is an independent model, a move leaves an unfitted one", "[kmeans][value]") {
  const auto a = blobs<double>(600, 4, 3, 1.0, 41);
  const auto b = blobs<double>(600, 4, 5, 1.0, 42);
  Options o;
  o.n_clusters = 3;
  o.n_threads = 2;
  KMeans<double> km(o);
  km.fit(a.view());
  KMeans<double> copy = km;
  CHECK(copy.labels() == km.labels());
  copy.fit(b.view());
  CHECK(km.predict(a.view()) == km.labels());
  CHECK(copy.predict(b.view()) == copy.labels());
  KMeans<double> moved = std::move(km);
  CHECK(moved.predict(a.view()) == moved.labels());
  CHECK_FALSE(km.is_fitted());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK_THROWS_AS(km.predict(a.view()), std::logic_error);
}

TEMPLATE_TEST_CASE("a model from centroids predicts as the model they came from", "[kmeans][from_centroids]", float,
                   double) {
  using T = TestType;
  const auto X = blobs<T>(1500, 6, 4, 1.0, 43, 3);  // padded rows: the copy drops the stride
  Options o;
  o.n_clusters = 4;
  KMeans<T> fitted(o);
  fitted.fit(X.view());
  // A strided view of the centroids, to check the copy reads rows, not a contiguous block.
  std::vector<T> wide(4 * 9, T(-1));
  for (std::size_t c = 0; c < 4; ++c) std::copy_n(fitted.centroids().row(c), 6, wide.data() + c * 9);
  Options other;  // n_clusters (8) becomes the centroids' rows
  const auto model = KMeans<T>::from_centroids(Matrix<const T>(wide.data(), 4, 6, 9), other);
  CHECK(model.is_fitted());
  CHECK(model.options().n_clusters == 4);
  CHECK(model.predict(X.view()) == fitted.labels());
  CHECK(model.transform(X.view()) == fitted.transform(X.view()));
  CHECK(model.score(X.view()) == fitted.score(X.view()));
  CHECK(model.labels().empty());
  CHECK(model.n_iter() == 0);
  // The predictions are the brute-force reference's.
  CHECK(model.predict(X.view()) == ref::assign(ref::to_dense(X.view()), ref::to_dense(fitted.centroids())).labels);

  CHECK_THROWS_AS(KMeans<T>::from_centroids(Matrix<const T>()), std::invalid_argument);
  wide[9 + 2] = std::numeric_limits<T>::infinity();
  CHECK_THROWS_AS(KMeans<T>::from_centroids(Matrix<const T>(wide.data(), 4, 6, 9)), std::invalid_argument);
  wide[9 + 2] = T(0);
  wide[9 + 7] = std::numeric_limits<T>::quiet_NaN();  // in the stride's gap: not read
  CHECK_NOTHROW(KMeans<T>::from_centroids(Matrix<const T>(wide.data(), 4, 6, 9)));
}

TEST_CASE("predict may be called from several threads at once", "[kmeans][concurrency]") {
  const auto data = blobs<float>(20000, 16, 10, 2.0, 51);
  Options o;
  o.n_clusters = 10;
  o.n_threads = 2;
  KMeans<float> km(o);
  km.fit(data.view());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int rep = 0; rep < 3; ++rep)
        if (km.predict(data.view()) != km.labels()) ++mismatches;
    });
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
}
