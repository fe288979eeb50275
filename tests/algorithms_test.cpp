// Hamerly, Elkan, Yinyang and automatic against Lloyd: on the same data and initial centroids every
// iteration must produce the same inertia and centre shift (so the same labels) and the fit
// the same labels, centroids, inertia and n_iter — to the bit, as Lloyd does itself.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <kmeans/detail/fit.hpp>
#include <kmeans/kmeans_model.hpp>
#include <random>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "test_data.hpp"

using kmeans::Algorithm;
using kmeans::KMeans;
using kmeans::Options;

namespace {

/// The fit from C, or without C from o's own initialisation, by `algorithm`.
template <class T>
Trace run(Options o, Algorithm algorithm, kmeans::Matrix<const T> X, const kmeans::Matrix<const T>* C) {
  o.algorithm = algorithm;
  return trace_fit<T>(o, X, C);
}

template <class T>
Trace run(const Options& o, Algorithm algorithm, kmeans::Matrix<const T> X, kmeans::Matrix<const T> C) {
  return run<T>(o, algorithm, X, &C);
}

void require_same(const Trace& a, const Trace& b) { require_same_trace(a, b); }

/// Integer-valued rows on a small grid: many exact ties between centroids.
template <class T>
Owned<T> grid(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Owned<T> o{std::vector<T>(n * d), n, d, d};
  for (auto& v : o.buffer) v = static_cast<T>(rng() % 4);
  return o;
}

}  // namespace

TEMPLATE_TEST_CASE("every algorithm reproduces Lloyd iteration by iteration", "[algorithms]", float, double) {
  using T = TestType;
  struct Case {
    std::size_t n, d, k, pad;
    double std_dev;
  };
  const Case cases[] = {{500, 2, 5, 0, 1.0},    {1000, 3, 20, 1, 2.0}, {777, 10, 80, 0, 3.0}, {300, 50, 7, 2, 5.0},
                        {1500, 16, 40, 0, 8.0}, {256, 1, 9, 0, 4.0},   {90, 5, 90, 0, 1.0},   {400, 129, 12, 1, 6.0},
                        {2000, 4, 170, 0, 3.0}, {600, 33, 1, 0, 1.0},  {520, 64, 200, 0, 4.0}};
  std::uint64_t seed = 100;
  for (const Case& c : cases) {
    for (const bool blobby : {true, false}) {
      CAPTURE(c.n, c.d, c.k, c.pad, blobby);
      ++seed;
      const auto data = blobby ? blobs<T>(c.n, c.d, std::max<std::size_t>(c.k / 3, 1), c.std_dev, seed, c.pad)
                               : grid<T>(c.n, c.d, seed);
      Options o;
      o.n_clusters = c.k;
      o.seed = seed;
      o.tol = 0;
      o.max_iter = 300;
      o.n_threads = 2;
      const auto start = kmeans::initial_centroids(data.view(), o);
      const kmeans::Matrix<const T> C(start.data(), c.k, c.d);
      const Trace lloyd = run<T>(o, Algorithm::lloyd, data.view(), C);
      for (const Algorithm a : {Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang, Algorithm::automatic}) {
        CAPTURE(static_cast<int>(a));
        const Trace t = run<T>(o, a, data.view(), C);
        require_same(lloyd, t);
        if (a != Algorithm::automatic) CHECK(t.used == a);
        // Lloyd computes n k distances every iteration; the first iteration of the others
        // computes all of them too, and the distance to the label once more.
        for (const auto e : lloyd.evaluations) CHECK(e == c.n * c.k);
        if (a != Algorithm::automatic) CHECK(t.evaluations[0] == c.n * (c.k + 1));
      }
    }
  }
}

TEMPLATE_TEST_CASE("a fit that starts from k-means++'s labels reproduces the fit from its centroids", "[algorithms]",
                   float, double) {
  // fit(X) hands Lloyd and Hamerly the rows' nearest centroids (and bounds) k-means++ kept
  // track of, so their first pass need not score the rows; fit(X, C) from the same centroids
  // scores every row. Every iteration and the result must agree to the bit, on blobs, on
  // integer grids (exact ties: the lowest index must win in both), for d below and above 32
  // (with and without k-means++'s pruning), far from the origin too.
  using T = TestType;
  struct Case {
    std::size_t n, d, k;
    double offset;
  };
  std::uint64_t seed = 500;
  for (const Case c : {Case{700, 3, 9, 0.0}, Case{600, 40, 12, 0.0}, Case{900, 100, 5, 1e3}, Case{400, 33, 60, 0.0},
                       Case{300, 64, 1, 0.0}}) {
    for (const bool blobby : {true, false}) {
      CAPTURE(c.n, c.d, c.k, c.offset, blobby);
      ++seed;
      auto data = blobby ? blobs<T>(c.n, c.d, std::max<std::size_t>(c.k / 2, 1), 3.0, seed) : grid<T>(c.n, c.d, seed);
      for (auto& v : data.buffer) v = static_cast<T>(static_cast<double>(v) + c.offset);
      Options o;
      o.n_clusters = c.k;
      o.seed = seed;
      o.n_init = 1;
      o.n_threads = 2;
      const auto start = kmeans::initial_centroids(data.view(), o);
      const kmeans::Matrix<const T> C(start.data(), c.k, c.d);
      for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
        CAPTURE(static_cast<int>(a));
        const Trace given = run<T>(o, a, data.view(), C);
        const Trace seeded = run<T>(o, a, data.view(), nullptr);
        require_same(given, seeded);
        // Seeded, the first pass scores no row (Lloyd: one distance per row for the
        // callback's inertia) or only the rows its bounds leave open (Hamerly).
        if (a == Algorithm::lloyd) CHECK(seeded.evaluations[0] == c.n);
        if (a == Algorithm::hamerly && c.k > 1) CHECK(seeded.evaluations[0] < given.evaluations[0]);
      }
    }
  }
}

TEMPLATE_TEST_CASE("k-means++'s rows' nearest centres and bounds are right", "[init][algorithms]", float, double) {
  // Against squared_distance to every centre: the label is the nearest (the lowest index among
  // equals), upper its distance, lower at most the distance to every other centre.
  using T = TestType;
  for (const std::size_t d : {2, 33, 100}) {
    for (const std::size_t keep : {kmeans::detail::kmeans_pp_keep_bytes, std::size_t{0}}) {
      for (const bool prune : {true, false}) {
        CAPTURE(d, keep, prune);
        auto X = blobs<T>(800, d, 9, 2.0, d + keep % 7);
        for (std::size_t i = 3; i < 800; i += 7) std::copy_n(X.view().row(i - 3), d, X.buffer.data() + i * X.stride);
        kmeans::detail::ThreadPool pool(2);
        kmeans::detail::Rng rng(9);
        kmeans::detail::SeededRows seeded;
        seeded.bounds = true;
        kmeans::detail::PlusPlusSettings settings;
        settings.keep_bytes = keep;
        settings.prune = prune;
        settings.seeded = &seeded;
        const auto centres = kmeans::detail::kmeans_plus_plus(pool, X.view(), 20, rng, settings);
        REQUIRE(seeded.labels.size() == 800);
        std::size_t tight = 0;
        for (std::size_t i = 0; i < 800; ++i) {
          const auto nearest = kmeans::detail::nearest_exact(X.view().row(i), centres.data(), 20, d, d);
          CAPTURE(i);
          REQUIRE(seeded.labels[i] == nearest.label);
          REQUIRE(seeded.upper[i] == std::sqrt(nearest.best));
          REQUIRE(seeded.lower[i] <= std::sqrt(nearest.second));
          tight += seeded.lower[i] >= 0.5 * std::sqrt(nearest.second);
        }
        CHECK(tight > 400);  // and useful: mostly within a factor 2
      }
    }
  }
}

TEST_CASE("on clustered data the bounds skip most distances", "[algorithms]") {
  const auto data = blobs<double>(5000, 10, 40, 1.0, 3);
  Options o;
  o.n_clusters = 40;
  o.tol = 0;
  const auto start = kmeans::initial_centroids(data.view(), o);
  const kmeans::Matrix<const double> C(start.data(), 40, 10);
  const Trace lloyd = run<double>(o, Algorithm::lloyd, data.view(), C);
  REQUIRE(lloyd.n_iter >= 4);
  for (const Algorithm a : {Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
    const Trace t = run<double>(o, a, data.view(), C);
    require_same(lloyd, t);
    std::size_t total = 0;
    for (const auto e : t.evaluations) total += e;
    CAPTURE(static_cast<int>(a), total, lloyd.n_iter);
    CHECK(total < lloyd.n_iter * 5000 * 40 / 2);
    CHECK(t.evaluations.back() < 5000 * 40 / 10);  // the last iteration: under a tenth
  }
}

TEMPLATE_TEST_CASE("accelerated fits are bit-identical for any thread count", "[algorithms][determinism]", float,
                   double) {
  using T = TestType;
  const auto data = blobs<T>(3000, 8, 25, 5.0, 77);
  for (const Algorithm a : {Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
    Options o;
    o.n_clusters = 30;
    o.tol = 0;
    const Trace one = [&] {
      o.n_threads = 1;
      const auto start = kmeans::initial_centroids(data.view(), o);
      return run<T>(o, a, data.view(), kmeans::Matrix<const T>(start.data(), 30, 8));
    }();
    for (const std::size_t threads : {2, 3, 8}) {
      o.n_threads = threads;
      const auto start = kmeans::initial_centroids(data.view(), o);
      require_same(one, run<T>(o, a, data.view(), kmeans::Matrix<const T>(start.data(), 30, 8)));
    }
  }
}

TEST_CASE("elkan and yinyang above the memory cap run hamerly, with the same result", "[algorithms]") {
  const auto data = blobs<double>(2000, 6, 10, 3.0, 5);
  Options o;
  o.n_clusters = 40;
  o.tol = 0;
  const auto start = kmeans::initial_centroids(data.view(), o);
  const kmeans::Matrix<const double> C(start.data(), 40, 6);
  const Trace lloyd = run<double>(o, Algorithm::lloyd, data.view(), C);
  for (const Algorithm a : {Algorithm::elkan, Algorithm::yinyang}) {
    CAPTURE(static_cast<int>(a));
    const std::size_t needed = a == Algorithm::elkan ? kmeans::detail::ElkanBounds::bytes(2000, 40)
                                                     : kmeans::detail::YinyangBounds::bytes(2000, 40);
    o.elkan_max_bytes = needed;  // exactly enough
    const Trace uncapped = run<double>(o, a, data.view(), C);
    CHECK(uncapped.used == a);
    require_same(lloyd, uncapped);
    o.elkan_max_bytes = needed - 1;  // one byte short: hamerly
    const Trace capped = run<double>(o, a, data.view(), C);
    CHECK(capped.used == Algorithm::hamerly);
    require_same(lloyd, capped);
  }
}

TEST_CASE("yinyang's groups skip far centroids that hamerly's one bound cannot", "[algorithms]") {
  // Many well separated clusters in a high dimension: after a few iterations a row's nearest
  // other centroid is close, so Hamerly's single lower bound opens many rows each iteration,
  // while most groups of centroids stay far and shut.
  const auto data = blobs<double>(4000, 40, 200, 2.0, 12);
  Options o;
  o.n_clusters = 200;
  o.tol = 0;
  o.max_iter = 30;
  const auto start = kmeans::initial_centroids(data.view(), o);
  const kmeans::Matrix<const double> C(start.data(), 200, 40);
  const Trace lloyd = run<double>(o, Algorithm::lloyd, data.view(), C);
  const Trace hamerly = run<double>(o, Algorithm::hamerly, data.view(), C);
  const Trace yinyang = run<double>(o, Algorithm::yinyang, data.view(), C);
  require_same(lloyd, yinyang);
  REQUIRE(lloyd.n_iter >= 3);
  std::size_t h = 0, y = 0;
  for (std::size_t it = 1; it < lloyd.n_iter; ++it) {
    h += hamerly.evaluations[it];
    y += yinyang.evaluations[it];
  }
  CAPTURE(h, y, lloyd.n_iter);
  CHECK(y < h);
  CHECK(y < (lloyd.n_iter - 1) * 4000 * 200 / 10);
}

TEMPLATE_TEST_CASE("accelerated fits with restarts, empty clusters and k-means++ equal Lloyd's", "[algorithms]", float,
                   double) {
  using T = TestType;
  // Few distinct rows: empty clusters every iteration, relocated rows lose their bounds.
  std::vector<std::vector<T>> rows;
  for (int rep = 0; rep < 40; ++rep)
    for (T v : {T(1), T(2), T(3), T(10)}) rows.push_back({v, -v, v * v});
  const auto few = from_rows<T>(rows);
  const auto many = blobs<T>(2500, 12, 30, 6.0, 9);
  for (const auto* data : {&few, &many}) {
    Options o;
    o.n_clusters = 12;
    o.n_init = 3;
    o.max_iter = 60;
    o.n_threads = 2;
    KMeans<T> lloyd(o);
    lloyd.fit(data->view());
    for (const Algorithm a : {Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
      o.algorithm = a;
      KMeans<T> km(o);
      km.fit(data->view());
      CHECK(km.labels() == lloyd.labels());
      CHECK(km.n_iter() == lloyd.n_iter());
      CHECK(bits(km.inertia()) == bits(lloyd.inertia()));
      const auto c = km.centroids(), l = lloyd.centroids();
      CHECK(std::memcmp(c.data(), l.data(), c.rows() * c.cols() * sizeof(T)) == 0);
    }
  }
}

// Where memory allows, each block keeps its clusters' sums from pass to pass and sums again
// only the clusters a row joined or left. The kept sums must be the bits that sums formed
// afresh give: every algorithm, with weights, with empty clusters relocated every iteration.
TEMPLATE_TEST_CASE("sums kept per block between passes equal sums formed afresh", "[algorithms][sums]", float, double) {
  using T = TestType;
  std::vector<std::vector<T>> rows;  // few distinct rows: empty clusters every iteration
  for (int rep = 0; rep < 400; ++rep)
    for (T v : {T(1), T(2), T(3), T(10)}) rows.push_back({v, -v, v * v});
  const auto few = from_rows<T>(rows);
  const auto uniform = [] {
    std::mt19937_64 rng(17);
    std::uniform_real_distribution<double> u(0, 1);
    Owned<T> o{std::vector<T>(3000 * 4), 3000, 4, 4};
    for (auto& v : o.buffer) v = static_cast<T>(u(rng));
    return o;
  }();
  // Three tight blobs 100 apart and one row 5 from the first: the far fourth centroid's
  // cluster starts empty and takes that row, which keeps it and is the only row to move.
  const auto outlier = [] {
    std::vector<std::vector<T>> r;
    std::mt19937_64 rng(29);
    std::uniform_real_distribution<double> jitter(-0.01, 0.01);
    for (std::size_t i = 0; i < 600; ++i) {
      const double cx = i % 3 == 1 ? 100 : 0, cy = i % 3 == 2 ? 100 : 0;
      r.push_back({static_cast<T>(cx + jitter(rng)), static_cast<T>(cy + jitter(rng))});
    }
    r[300] = {T(5), T(0)};
    return from_rows<T>(r);
  }();
  std::vector<double> weights(3000);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = i % 7 == 0 ? 0.0 : 0.5 + static_cast<double>(i % 5);
  kmeans::detail::ThreadPool pool(2);
  for (const auto* data : {&few, &uniform, &outlier}) {
    const std::size_t k = data == &few ? 12 : data == &outlier ? 4 : 25, d = data->view().cols();
    // The first k rows, but the last centroid far away on the uniform and outlier data: its
    // cluster starts empty, and the row it takes keeps it (a relocation that sticks).
    std::vector<T> start;
    for (std::size_t i = 0; i < k; ++i) start.insert(start.end(), data->view().row(i), data->view().row(i) + d);
    if (data != &few) std::fill(start.end() - static_cast<std::ptrdiff_t>(d), start.end(), T(1000));
    for (const bool weighted : {false, true}) {
      for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
        CAPTURE(data == &few, data == &outlier, weighted, static_cast<int>(a));
        Options o;
        o.max_iter = 30;
        o.run_till_max_iter = true;  // the few rows would stop at once: shift 0
        const kmeans::detail::Problem<T> problem{pool, data->view(), k, weighted ? weights.data() : nullptr};
        const auto run = [&](auto algo, bool keep) {
          kmeans::detail::Workspace<T> work;
          work.keep_block_sums = keep;
          kmeans::detail::IterationDriver<T, decltype(algo)> driver(problem, work, algo);
          CHECK(work.totals.blocks.per_block == keep);
          return driver.run(start, o, 0.0, nullptr);
        };
        const auto fit = [&](bool keep) {
          switch (a) {
            case Algorithm::hamerly: return run(kmeans::detail::Hamerly<T>{}, keep);
            case Algorithm::elkan: return run(kmeans::detail::Elkan<T>{}, keep);
            case Algorithm::yinyang: return run(kmeans::detail::Yinyang<T>{}, keep);
            default: return run(kmeans::detail::Lloyd<T>{}, keep);
          }
        };
        const auto kept = fit(true), fresh = fit(false);
        CHECK(kept.n_iter == 30);
        CHECK(fresh.n_iter == 30);
        CHECK(kept.labels == fresh.labels);
        CHECK(bits(kept.inertia) == bits(fresh.inertia));
        CHECK(std::memcmp(kept.centroids.data(), fresh.centroids.data(), kept.centroids.size() * sizeof(T)) == 0);
      }
    }
  }
}

// And against the brute-force reference, iteration by iteration: m Lloyd iterations from the
// same centroids, for m = 1 .. 12, give the reference's m-th centroids (labels change in
// every block at first, in a few later).
TEMPLATE_TEST_CASE("Lloyd's m-th centroids equal the reference's for every m", "[algorithms][reference][sums]", float,
                   double) {
  using T = TestType;
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(0, 1);
  const std::size_t n = 3000, d = 4, k = 25;
  Owned<T> data{std::vector<T>(n * d), n, d, d};
  for (auto& v : data.buffer) v = static_cast<T>(u(rng));
  const ref::Dense X = ref::to_dense(data.view());
  ref::Dense C{std::vector<double>(data.buffer.begin(), data.buffer.begin() + k * d), k, d};
  const std::vector<T> start(data.buffer.begin(), data.buffer.begin() + k * d);
  for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly}) {
    ref::Dense expected = C;
    for (std::size_t m = 1; m <= 12; ++m) {
      CAPTURE(static_cast<int>(a), m);
      const ref::Assignment labels = ref::assign(X, expected);
      std::vector<std::size_t> count(k, 0);
      for (const auto l : labels.labels) ++count[static_cast<std::size_t>(l)];
      REQUIRE(std::find(count.begin(), count.end(), 0) == count.end());  // no relocation: the reference has none
      expected = ref::means(X, labels.labels, expected);
      for (auto& v : expected.v) v = static_cast<double>(static_cast<T>(v));  // the model's centroids are T
      Options o;
      o.n_clusters = k;
      o.algorithm = a;
      o.max_iter = m;
      o.run_till_max_iter = true;
      o.n_threads = 2;
      KMeans<T> km(o);
      km.fit(data.view(), kmeans::Matrix<const T>(start.data(), k, d));
      const ref::Dense got = centroids_of(km);
      for (std::size_t i = 0; i < got.v.size(); ++i)
        CHECK(std::abs(got.v[i] - expected.v[i]) <= rel_tol<T>() * (1 + std::abs(expected.v[i])));
    }
  }
}
