#include <algorithm>
#include <cmath>
#include <kmeans/init.hpp>
#include <limits>
#include <set>
#include <vector>

#include "catch.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using kmeans::Options;

namespace {

/// Index of the row of X equal to centroid c, or -1.
template <class T>
long row_of(const Owned<T>& X, const std::vector<T>& centers, std::size_t c) {
  for (std::size_t i = 0; i < X.rows; ++i) {
    bool same = true;
    for (std::size_t j = 0; j < X.cols; ++j) same &= X.view()(i, j) == centers[c * X.cols + j];
    if (same) return static_cast<long>(i);
  }
  return -1;
}

}  // namespace

TEMPLATE_TEST_CASE("initial centroids are distinct rows of X, the same for a seed on any thread count", "[init]", float,
                   double) {
  using T = TestType;
  const auto X = blobs<T>(3000, 13, 8, 2.0, 3, 2);
  for (const auto init : {kmeans::Init::kmeans_plus_plus, kmeans::Init::random, kmeans::Init::kmeans_parallel}) {
    Options o;
    o.n_clusters = 40;
    o.init = init;
    o.seed = 5;
    o.n_threads = 1;
    const auto one = kmeans::initial_centroids(X.view(), o);
    o.n_threads = 3;
    CHECK(kmeans::initial_centroids(X.view(), o) == one);
    std::set<long> rows;
    for (std::size_t c = 0; c < 40; ++c) rows.insert(row_of(X, one, c));
    CHECK(rows.count(-1) == 0);
    CHECK(rows.size() == 40);
    o.seed = 6;
    CHECK(kmeans::initial_centroids(X.view(), o) != one);
  }
}

TEST_CASE("k-means++ spreads centres over well separated blobs", "[init]") {
  // With one centre per blob there is a centre in every blob: its potential is far lower
  // than any choice that leaves a blob empty, and every trial favours an empty blob.
  const auto b = kmeans::make_blobs<double>(2000, 10, 6, 0.3, 17);
  Options o;
  o.n_clusters = 6;
  const auto centers = kmeans::initial_centroids(b.X(), o);
  const ref::Dense C = ref::to_dense(kmeans::Matrix<const double>(centers.data(), 6, 10));
  const ref::Dense truth = ref::to_dense(b.true_centers());
  const ref::Assignment a = ref::assign(C, truth);
  CHECK(std::set<std::int32_t>(a.labels.begin(), a.labels.end()).size() == 6);
}

TEST_CASE("k-means|| also spreads centres over well separated blobs", "[init]") {
  const auto b = kmeans::make_blobs<double>(5000, 10, 30, 0.3, 21);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    Options o;
    o.n_clusters = 30;
    o.init = kmeans::Init::kmeans_parallel;
    o.seed = seed;
    const auto centers = kmeans::initial_centroids(b.X(), o);
    const ref::Dense C = ref::to_dense(kmeans::Matrix<const double>(centers.data(), 30, 10));
    const ref::Assignment a = ref::assign(C, ref::to_dense(b.true_centers()));
    CHECK(std::set<std::int32_t>(a.labels.begin(), a.labels.end()).size() == 30);
  }
}

namespace {

/// Blobs rounded to integers: every squared distance and every sum of them is exact, so the
/// reference and the library cannot differ by rounding.
template <class T>
Owned<T> integer_blobs(std::size_t n, std::size_t d, std::size_t centers, std::uint64_t seed) {
  auto X = blobs<T>(n, d, centers, 3.0, seed);
  for (auto& v : X.buffer) v = std::round(v * 4);
  return X;
}

}  // namespace

TEMPLATE_TEST_CASE("k-means|| draws the reference's candidates and runs weighted k-means++ on them", "[init]", float,
                   double) {
  using T = TestType;
  struct Case {
    std::size_t n, d, k;
    double oversampling;
    std::size_t rounds;
    bool weighted;
  };
  for (const Case& t :
       {Case{3000, 7, 40, 2.0, 5, false}, Case{3000, 7, 40, 2.0, 5, true}, Case{700, 3, 25, 0.5, 2, false},
        Case{1200, 33, 60, 4.0, 3, true}, Case{90, 2, 80, 2.0, 1, false}}) {
    CAPTURE(t.n, t.d, t.k, t.oversampling, t.rounds, t.weighted);
    const auto X = integer_blobs<T>(t.n, t.d, 12, t.n + t.d);
    std::vector<double> w(t.n, 1.0);
    if (t.weighted)
      for (std::size_t i = 0; i < t.n; ++i) w[i] = static_cast<double>((i * 7) % 5);  // zeros too
    const double* weight = t.weighted ? w.data() : nullptr;

    // The reference draws the same random numbers: the rng's next word seeds the per-row
    // draws, then the first row, then k-means++ continues on the same rng.
    kmeans::detail::Rng rng(99);
    const std::uint64_t seed = rng.next();
    std::size_t first = 0;
    if (t.weighted) {
      double total = 0;
      for (const double v : w) total += v;
      const double r = rng.uniform() * total;
      double acc = 0;
      while (!(acc + w[first] > r && w[first] > 0)) acc += w[first++];
    } else {
      first = static_cast<std::size_t>(rng.below(t.n));
    }
    const auto uniform = [&](std::size_t round, std::size_t row) {
      return kmeans::detail::row_uniform(seed, round, row);
    };
    const ref::Candidates cand = ref::kmeans_parallel_candidates(
        ref::to_dense(X.view()), w, first, t.oversampling * static_cast<double>(t.k), t.rounds, t.k, uniform);
    REQUIRE(cand.rows.size() > t.k);
    std::vector<T> rows;
    for (const std::size_t i : cand.rows) rows.insert(rows.end(), X.view().row(i), X.view().row(i) + t.d);
    kmeans::detail::ThreadPool one(1);
    kmeans::detail::PlusPlusSettings weighted;
    weighted.weight = cand.mass.data();
    const std::vector<T> expected = kmeans::detail::kmeans_plus_plus(
        one, kmeans::Matrix<const T>(rows.data(), cand.rows.size(), t.d), t.k, rng, weighted);

    for (const std::size_t threads : {1, 2, 3}) {
      kmeans::detail::ThreadPool pool(threads);
      kmeans::detail::Rng again(99);
      const kmeans::detail::Problem<T> problem{pool, X.view(), t.k, weight};
      CHECK(kmeans::detail::kmeans_parallel(problem, again, t.oversampling, t.rounds) == expected);
    }
  }
}

TEMPLATE_TEST_CASE("k-means++ chooses the reference's rows, whether it keeps the trial distances or not", "[init]",
                   float, double) {
  using T = TestType;
  struct Case {
    std::size_t n, d, k;
    bool weighted;
  };
  // d below and above 32: trial rows scored in SIMD lanes, or one row against several at once.
  for (const Case t : {Case{600, 2, 9, false}, Case{600, 5, 20, true}, Case{700, 17, 40, false}, Case{513, 31, 8, true},
                       Case{700, 32, 12, false}, Case{500, 33, 60, true}, Case{400, 100, 5, false},
                       Case{300, 130, 33, true}, Case{40, 7, 40, false}}) {
    CAPTURE(t.n, t.d, t.k, t.weighted);
    const auto X = integer_blobs<T>(t.n, t.d, 6, t.n * 7 + t.d);
    std::vector<double> w(t.n, 1.0);
    if (t.weighted)
      for (std::size_t i = 0; i < t.n; ++i) w[i] = static_cast<double>((i * 5) % 4);  // zeros too

    // The unweighted first row is a uniform draw of an index, the weighted one a uniform in [0, 1).
    kmeans::detail::Rng draws(17);
    bool first = true;
    const auto draw = [&] {
      if (first && !t.weighted) {
        first = false;
        return (static_cast<double>(draws.below(t.n)) + 0.5) / static_cast<double>(t.n);
      }
      first = false;
      return draws.uniform();
    };
    const auto below = [&](std::size_t n) { return static_cast<std::size_t>(draws.below(n)); };
    const std::vector<std::size_t> rows = ref::kmeans_plus_plus(ref::to_dense(X.view()), w, t.k, draw, below);
    std::vector<T> expected;
    for (const std::size_t i : rows) expected.insert(expected.end(), X.view().row(i), X.view().row(i) + t.d);

    for (const std::size_t threads : {1, 3}) {
      for (const std::size_t keep : {kmeans::detail::kmeans_pp_keep_bytes, std::size_t{0}}) {
        CAPTURE(threads, keep);
        kmeans::detail::ThreadPool pool(threads);
        kmeans::detail::Rng rng(17);
        kmeans::detail::PlusPlusSettings settings;
        settings.weight = t.weighted ? w.data() : nullptr;
        settings.keep_bytes = keep;
        CHECK(kmeans::detail::kmeans_plus_plus(pool, X.view(), t.k, rng, settings) == expected);
      }
    }
  }
}

TEMPLATE_TEST_CASE("k-means++ trial distances have squared_distance's bits", "[init][distance]", float, double) {
  using T = TestType;
  // Whether kept from the trials or computed again, k-means++ sees the same distances.
  for (const std::size_t d : {1, 3, 17, 31, 32, 50, 100}) {
    for (const std::size_t trials : {1, 3, 6, 9, 17}) {
      CAPTURE(d, trials);
      const auto X = blobs<T>(301, d, 5, 4.0, d * 31 + trials, 2);
      std::vector<T> cand;
      for (std::size_t t = 0; t < trials; ++t) cand.insert(cand.end(), X.view().row(t * 7), X.view().row(t * 7) + d);
      const std::vector<double> closest(X.rows, std::numeric_limits<double>::infinity());
      std::vector<double> pot(kmeans::detail::block_count(X.rows) * trials), distances(X.rows * trials);
      kmeans::detail::ThreadPool pool(2);
      kmeans::detail::trial_potentials(pool, X.view(), cand.data(), trials, closest.data(), nullptr, pot.data(),
                                       distances.data());
      for (std::size_t i = 0; i < X.rows; ++i)
        for (std::size_t t = 0; t < trials; ++t)
          REQUIRE(distances[i * trials + t] == kmeans::detail::squared_distance(X.view().row(i), &cand[t * d], d));
      for (std::size_t t = 0; t < trials; ++t) {
        double total = 0;  // closest is infinite: each block's potential is its distances' sum
        for (std::size_t i = 0; i < X.rows; ++i) total += distances[i * trials + t];
        double blocks = 0;
        for (std::size_t b = 0; b < kmeans::detail::block_count(X.rows); ++b) blocks += pot[b * trials + t];
        CHECK(std::abs(blocks - total) <= 1e-12 * total);
      }
    }
  }
}

TEMPLATE_TEST_CASE("k-means++ picks the same centres with and without pruning", "[init]", float, double) {
  using T = TestType;
  // Real-valued blobs (not integers: the roundings matter), some far from the origin, some
  // with duplicate rows; with and without weights (zeros too), trials kept or computed again.
  struct Case {
    std::size_t n, d, k;
    double offset;
    bool weighted, duplicates;
  };
  for (const Case t :
       {Case{900, 32, 5, 0.0, false, false}, Case{700, 100, 9, 0.0, true, false}, Case{600, 33, 40, 1e4, false, true},
        Case{500, 130, 25, 0.0, true, true}, Case{400, 64, 60, 1e6, false, false}}) {
    CAPTURE(t.n, t.d, t.k, t.offset, t.weighted, t.duplicates);
    auto X = blobs<T>(t.n, t.d, 7, 1.5, t.n + t.d * 13);
    for (auto& v : X.buffer) v = static_cast<T>(static_cast<double>(v) + t.offset);
    if (t.duplicates)
      for (std::size_t i = 1; i < t.n; i += 5) std::copy_n(X.view().row(i - 1), t.d, X.buffer.data() + i * X.stride);
    std::vector<double> w(t.n);
    for (std::size_t i = 0; i < t.n; ++i) w[i] = static_cast<double>((i * 7) % 5) * 0.3;
    const double* weight = t.weighted ? w.data() : nullptr;
    for (const std::size_t threads : {1, 3}) {
      for (const std::size_t keep : {kmeans::detail::kmeans_pp_keep_bytes, std::size_t{0}}) {
        CAPTURE(threads, keep);
        kmeans::detail::ThreadPool pool(threads);
        kmeans::detail::Rng plain_rng(5), pruned_rng(5);
        kmeans::detail::PlusPlusSettings settings;
        settings.weight = weight;
        settings.keep_bytes = keep;
        settings.prune = false;
        const auto plain = kmeans::detail::kmeans_plus_plus(pool, X.view(), t.k, plain_rng, settings);
        settings.prune = true;
        const auto pruned = kmeans::detail::kmeans_plus_plus(pool, X.view(), t.k, pruned_rng, settings);
        CHECK(pruned == plain);
      }
    }
  }
}

TEST_CASE("k-means++ leaves out a trial only where it is no nearer than the row's centre", "[init][distance]") {
  // The hardest case for the triangle inequality: t beyond c on the line from x through c
  // turned back, t = c + f (x - c) with f just above 2, so |x - t| is barely |x - c|; at every
  // scale from tiny (subnormal squares) to large, in d = 1 .. 300.
  kmeans::detail::Rng rng(11);
  std::size_t left_out = 0, cases = 0;
  for (const double scale : {1e-160, 1e-140, 1e-3, 1.0, 1e5, 1e140}) {
    for (const std::size_t d : {1, 7, 32, 100, 300}) {
      for (int rep = 0; rep < 200; ++rep) {
        std::vector<double> x(d), c(d), t(d);
        const double f = 2.0 + (rng.uniform() - 0.5) * 4e-6;
        for (std::size_t j = 0; j < d; ++j) {
          c[j] = (rng.uniform() - 0.5) * scale;
          x[j] = c[j] + (rng.uniform() - 0.5) * scale * 1e-3;
          t[j] = c[j] + f * (x[j] - c[j]);
        }
        const std::int32_t nearest = 0;
        const double u = kmeans::detail::squared_distance(x.data(), c.data(), d);
        const double b = kmeans::detail::squared_distance(t.data(), c.data(), d);
        const kmeans::detail::TrialPruning prune{&nearest, &u, &b, 1};
        ++cases;
        if (!prune.skips(0, 0)) continue;
        ++left_out;
        CAPTURE(scale, d, f, u, b);
        REQUIRE(kmeans::detail::squared_distance(x.data(), t.data(), d) >= u);
      }
    }
  }
  CHECK(left_out > cases / 4);  // the test reaches the pruned side often
  CHECK(left_out < cases);      // and not all of it
}

TEST_CASE("k-means|| never picks a row of weight zero", "[init]") {
  const auto X = integer_blobs<double>(2000, 4, 10, 8);
  std::vector<double> w(2000, 0.0);
  for (std::size_t i = 0; i < 2000; i += 3) w[i] = 1.0;
  kmeans::detail::ThreadPool pool(2);
  for (std::uint64_t s = 0; s < 10; ++s) {
    kmeans::detail::Rng rng(s);
    const auto c =
        kmeans::detail::kmeans_parallel(kmeans::detail::Problem<double>{pool, X.view(), 30, w.data()}, rng, 2.0, 5);
    for (std::size_t j = 0; j < 30; ++j) {
      const long row = row_of(X, c, j);
      REQUIRE(row >= 0);
      // The row found may be an equal row of weight zero; some row of weight one must match.
      bool weighted_match = false;
      for (std::size_t i = 0; i < 2000; i += 3)
        weighted_match |=
            std::equal(c.begin() + static_cast<long>(j * 4), c.begin() + static_cast<long>(j * 4 + 4), X.view().row(i));
      CHECK(weighted_match);
    }
  }
}

TEST_CASE("initialisation copes with fewer distinct rows than k", "[init]") {
  std::vector<std::vector<double>> rows(20, std::vector<double>{1.0, 1.0});
  rows[3] = {2.0, 2.0};
  const auto X = from_rows<double>(rows);
  for (const auto init : {kmeans::Init::kmeans_plus_plus, kmeans::Init::random, kmeans::Init::kmeans_parallel}) {
    Options o;
    o.n_clusters = 6;
    o.init = init;
    const auto c = kmeans::initial_centroids(X.view(), o);
    REQUIRE(c.size() == 12);
    std::set<std::vector<double>> distinct;
    for (std::size_t i = 0; i < 6; ++i) distinct.insert({c[2 * i], c[2 * i + 1]});
    if (init != kmeans::Init::random) {
      CHECK(distinct.size() == 2);  // the one row with potential left is always taken
    } else {
      CHECK(distinct.size() <= 2);  // six distinct row indices, duplicates by value
      for (const auto& c2 : distinct) CHECK((c2 == std::vector<double>{1, 1} || c2 == std::vector<double>{2, 2}));
    }
  }
}
