#include <algorithm>
#include <cmath>
#include <cstdint>
#include <kmeans/kmeans.hpp>
#include <set>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using kmeans::Matrix;
using kmeans::MiniBatchKMeans;
using kmeans::MiniBatchOptions;

namespace {

/// One mini-batch step, plainly: each batch row goes to its nearest centroid (lowest index on
/// ties), and a centroid that absorbed weight W before and gets batch rows x_t of weights w_t
/// becomes (c W + sum w_t x_t) / (W + sum w_t).
void reference_step(const ref::Dense& batch, const std::vector<double>& w, ref::Dense& C, std::vector<double>& counts) {
  const ref::Assignment a = ref::assign(batch, C);
  ref::Dense sums{std::vector<double>(C.v.size(), 0.0), C.rows, C.cols};
  std::vector<double> mass(C.rows, 0.0);
  for (std::size_t t = 0; t < batch.rows; ++t) {
    const auto c = static_cast<std::size_t>(a.labels[t]);
    mass[c] += w[t];
    for (std::size_t j = 0; j < C.cols; ++j) sums.row(c)[j] += w[t] * batch.row(t)[j];
  }
  for (std::size_t c = 0; c < C.rows; ++c) {
    if (mass[c] == 0) continue;
    for (std::size_t j = 0; j < C.cols; ++j)
      C.row(c)[j] = (C.row(c)[j] * counts[c] + sums.row(c)[j]) / (counts[c] + mass[c]);
    counts[c] += mass[c];
  }
}

}  // namespace

TEST_CASE("partial_fit moves the centroids as the reference step does", "[minibatch]") {
  for (const bool weighted : {false, true}) {
    CAPTURE(weighted);
    const auto X = blobs<double>(3000, 6, 5, 1.0, 31);
    MiniBatchOptions o;
    o.n_clusters = 7;
    o.reassignment_ratio = 0;  // the reference has no reassignment
    MiniBatchKMeans<double> mb(o);
    std::vector<double> w(500);
    for (std::size_t t = 0; t < w.size(); ++t) w[t] = weighted ? static_cast<double>(t % 3) + 0.5 : 1.0;
    const auto batch_at = [&](std::size_t b) { return Matrix<const double>(X.view().row(b * 500), 500, 6); };
    mb.partial_fit(batch_at(0), w);
    for (std::size_t b = 1; b < 6; ++b) {
      ref::Dense C = ref::to_dense(mb.centroids());
      std::vector<double> counts = mb.counts();
      const ref::Dense batch = ref::to_dense(batch_at(b));
      reference_step(batch, w, C, counts);
      mb.partial_fit(batch_at(b), w);
      CHECK(ref::worst_rel(ref::to_dense(mb.centroids()), C) <= 1e-12);
      for (std::size_t c = 0; c < 7; ++c) CHECK(mb.counts()[c] == Approx(counts[c]).epsilon(1e-12));
      // labels and inertia: the batch's, for the new centroids
      const ref::Assignment a = ref::assign(batch, C);
      CHECK(mb.labels() == a.labels);
      double inertia = 0;
      for (std::size_t t = 0; t < 500; ++t) inertia += w[t] * a.best[t];
      CHECK(mb.inertia() == Approx(inertia).epsilon(1e-12));
      CHECK(mb.n_steps() == b + 1);
    }
  }
}

TEST_CASE("a centroid that absorbs too little moves to a batch row", "[minibatch]") {
  // Batch 1: 18 rows near the origin and one far outlier, which k-means++ takes as a centroid
  // (its potential dwarfs the rest). The first step checks for small centroids (all counts
  // were 0), but 1 is not below 0.04 x 18. Batch 2 has 25 rows (>= 10 k since that check),
  // none near the outlier: its centroid absorbs nothing, 1 < 0.04 x 43, and it moves to one
  // of batch 2's rows.
  std::vector<std::vector<double>> rows;
  kmeans::detail::Rng rng(5);
  for (int i = 0; i < 18; ++i) rows.push_back({rng.normal(), rng.normal()});
  rows.push_back({1e4, 1e4});
  const auto first = from_rows<double>(rows);
  rows.clear();
  for (int i = 0; i < 25; ++i) rows.push_back({rng.normal(), rng.normal()});
  const auto second = from_rows<double>(rows);

  MiniBatchOptions o;
  o.n_clusters = 2;
  o.reassignment_ratio = 0.04;
  MiniBatchKMeans<double> mb(o);
  mb.partial_fit(first.view());
  const auto far = static_cast<std::size_t>(mb.centroids()(0, 0) > 100 ? 0 : 1);
  REQUIRE(mb.centroids()(far, 0) == 1e4);
  REQUIRE(mb.counts()[far] == 1);
  mb.partial_fit(second.view());
  const std::vector<double> moved{mb.centroids()(far, 0), mb.centroids()(far, 1)};
  CHECK(std::find(rows.begin(), rows.end(), moved) != rows.end());
  // Its count restarts from the other's, so it is not reassigned again at once.
  CHECK(mb.counts()[far] == mb.counts()[1 - far]);
}

TEMPLATE_TEST_CASE("mini-batch fits are the same on any thread count", "[minibatch]", float, double) {
  using T = TestType;
  const auto X = blobs<T>(20000, 9, 12, 1.0, 8, 3);
  MiniBatchOptions o;
  o.n_clusters = 12;
  o.batch_size = 700;
  o.seed = 4;
  o.n_threads = 1;
  MiniBatchKMeans<T> one(o);
  one.fit(X.view());
  for (const std::size_t threads : {2, 3, 8}) {
    o.n_threads = threads;
    MiniBatchKMeans<T> many(o);
    many.fit(X.view());
    CHECK(many.n_steps() == one.n_steps());
    CHECK(many.labels() == one.labels());
    CHECK(bits(many.inertia()) == bits(one.inertia()));
    const std::vector<T> a(many.centroids().data(), many.centroids().data() + 12 * 9),
        b(one.centroids().data(), one.centroids().data() + 12 * 9);
    CHECK(a == b);
  }
}

TEST_CASE("a mini-batch fit comes close to Lloyd's on well separated blobs", "[minibatch]") {
  const auto b = kmeans::make_blobs<double>(50000, 10, 20, 1.0, 12);
  kmeans::Options lo;
  lo.n_clusters = 20;
  kmeans::KMeans<double> lloyd(lo);
  lloyd.fit(b.X());
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    MiniBatchOptions o;
    o.n_clusters = 20;
    o.seed = seed;
    MiniBatchKMeans<double> mb(o);
    mb.fit(b.X());
    CAPTURE(seed, mb.n_steps(), mb.inertia(), lloyd.inertia());
    CHECK(mb.inertia() <= 1.01 * lloyd.inertia());
    CHECK(mb.converged());  // stopped early: far fewer than 100 passes
    CHECK(mb.n_iter() < 100);
    // labels and inertia are those of the final centroids over all of X
    CHECK(mb.labels() == mb.predict(b.X()));
    CHECK(mb.inertia() == Approx(-mb.score(b.X())).epsilon(1e-12));
    const ref::Dense Xd = ref::to_dense(b.X());
    CHECK(mb.labels() == ref::assign(Xd, ref::to_dense(mb.centroids())).labels);
  }
}

TEST_CASE("mini-batch stopping rules", "[minibatch]") {
  const auto X = blobs<double>(4000, 3, 4, 1.0, 2);
  MiniBatchOptions o;
  o.n_clusters = 4;
  o.batch_size = 100;
  o.max_iter = 3;
  o.max_no_improvement = 0;
  MiniBatchKMeans<double> all(o);
  all.fit(X.view());
  CHECK(all.n_steps() == 3 * 4000 / 100);
  CHECK(all.n_iter() == 3);
  CHECK_FALSE(all.converged());

  o.on_step = [](const kmeans::MiniBatchStep& s) { return s.step < 5; };
  MiniBatchKMeans<double> stopped(o);
  stopped.fit(X.view());
  CHECK(stopped.n_steps() == 5);

  o.on_step = nullptr;
  o.max_no_improvement = 10;
  o.max_iter = 1000;
  MiniBatchKMeans<double> early(o);
  early.fit(X.view());
  CHECK(early.converged());
  CHECK(early.n_steps() < 1000 * 4000 / 100);
}

TEST_CASE("mini-batch bad input", "[minibatch][errors]") {
  const auto with = [](auto edit) {
    MiniBatchOptions o;
    edit(o);
    return o;
  };
  CHECK_THROWS_AS(MiniBatchKMeans<double>(with([](MiniBatchOptions& o) { o.batch_size = 0; })), std::invalid_argument);
  CHECK_THROWS_AS(MiniBatchKMeans<double>(with([](MiniBatchOptions& o) { o.reassignment_ratio = -1; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(MiniBatchKMeans<double>(with([](MiniBatchOptions& o) { o.reassignment_ratio = std::nan(""); })),
                  std::invalid_argument);
  CHECK_THROWS_AS(MiniBatchKMeans<double>(with([](MiniBatchOptions& o) { o.n_clusters = 0; })), std::invalid_argument);
  CHECK_THROWS_AS(MiniBatchKMeans<double>(with([](MiniBatchOptions& o) { o.tol = -1; })), std::invalid_argument);

  MiniBatchKMeans<double> mb;
  const auto X = blobs<double>(100, 3, 2, 1.0, 2);
  CHECK_THROWS_AS(mb.predict(X.view()), std::logic_error);
  const auto few = blobs<double>(5, 3, 2, 1.0, 2);
  CHECK_THROWS_AS(mb.fit(few.view()), std::invalid_argument);
  CHECK_THROWS_AS(mb.partial_fit(few.view()), std::invalid_argument);
  auto bad = X;
  bad.buffer[7] = std::nan("");
  CHECK_THROWS_AS(mb.fit(bad.view()), std::invalid_argument);
  // With tol the values are checked in the variance pass: the same error.
  MiniBatchKMeans<double> with_tol(with([](MiniBatchOptions& o) { o.tol = 1e-3; }));
  CHECK(contains(message_of([&] { mb.fit(bad.view()); }), "row 2, column 1"));
  CHECK(contains(message_of([&] { with_tol.fit(bad.view()); }), "row 2, column 1"));
  CHECK_FALSE(with_tol.is_fitted());
  CHECK_THROWS_AS(mb.fit(X.view(), std::vector<double>(99, 1.0)), std::invalid_argument);
  CHECK_THROWS_AS(mb.fit(X.view(), std::vector<double>(100, 0.0)), std::invalid_argument);
  CHECK_FALSE(mb.is_fitted());
  mb.fit(X.view());
  const auto wide = blobs<double>(100, 4, 2, 1.0, 2);
  CHECK_THROWS_AS(mb.partial_fit(wide.view()), std::invalid_argument);
  CHECK_THROWS_AS(mb.predict(wide.view()), std::invalid_argument);
}

// scikit-learn caps a batch at the rows there are, so max_iter bounds the passes over them.
TEST_CASE("a batch larger than X is all of X: max_iter bounds the passes", "[minibatch]") {
  const auto X = blobs<double>(100, 3, 4, 1.0, 12);
  MiniBatchOptions o;
  o.n_clusters = 4;
  o.batch_size = 1024;
  o.max_no_improvement = 0;  // no early stop: every allowed step runs
  std::vector<std::vector<double>> centroids;
  for (const std::size_t max_iter : {1, 3, 10}) {
    CAPTURE(max_iter);
    o.max_iter = max_iter;
    MiniBatchKMeans<double> mb(o);
    mb.fit(X.view());
    CHECK(mb.n_steps() == max_iter);
    CHECK(mb.n_iter() == max_iter);
    centroids.push_back(std::vector<double>(mb.centroids().data(), mb.centroids().data() + 4 * 3));
  }
  CHECK(centroids[0] != centroids[1]);
  CHECK(centroids[1] != centroids[2]);
}

// scikit-learn's init=ndarray, for fit and for partial_fit's first call.
TEST_CASE("mini-batch fits start from given centroids", "[minibatch]") {
  const auto X = blobs<double>(2000, 4, 5, 1.0, 19);
  MiniBatchOptions o;
  o.n_clusters = 5;
  o.batch_size = 256;
  o.max_iter = 1;
  o.max_no_improvement = 0;
  o.reassignment_ratio = 0;  // the reference step has no reassignment
  std::vector<double> start;
  for (std::size_t c = 0; c < 5; ++c) start.insert(start.end(), X.view().row(c * 7), X.view().row(c * 7) + 4);
  const Matrix<const double> C(start.data(), 5, 4);

  // partial_fit's first step from C is the reference step from C, with nothing absorbed yet.
  MiniBatchKMeans<double> streaming(o);
  const Matrix<const double> batch(X.view().row(0), 500, 4);
  streaming.partial_fit(batch, C);
  ref::Dense expected = ref::to_dense(C);
  std::vector<double> counts(5, 0.0);
  reference_step(ref::to_dense(batch), std::vector<double>(500, 1.0), expected, counts);
  CHECK(ref::worst_rel(ref::to_dense(streaming.centroids()), expected) <= 1e-12);
  // The same with weights.
  std::vector<double> w(500);
  for (std::size_t t = 0; t < w.size(); ++t) w[t] = 0.25 + static_cast<double>(t % 4);
  MiniBatchKMeans<double> weighted(o);
  weighted.partial_fit(batch, w, C);
  ref::Dense expected_weighted = ref::to_dense(C);
  std::vector<double> weighted_counts(5, 0.0);
  reference_step(ref::to_dense(batch), w, expected_weighted, weighted_counts);
  CHECK(ref::worst_rel(ref::to_dense(weighted.centroids()), expected_weighted) <= 1e-12);
  CHECK(ref::worst_rel(expected_weighted, expected) > 1e-6);  // the weights matter
  // Later calls continue from the current centroids: C is not read again.
  MiniBatchKMeans<double> ignored = streaming, continued = streaming;
  const Matrix<const double> next(X.view().row(500), 500, 4);
  ignored.partial_fit(next, C);
  continued.partial_fit(next);
  CHECK(ref::worst_rel(ref::to_dense(ignored.centroids()), ref::to_dense(continued.centroids())) == 0);

  // fit from C: no initialisation runs, so neither options.init nor n_init changes the fit;
  // other centroids do.
  MiniBatchKMeans<double> from_c(o), from_other(o);
  from_c.fit(X.view(), C);
  for (const kmeans::Init init : {kmeans::Init::random, kmeans::Init::kmeans_parallel}) {
    MiniBatchOptions changed = o;
    changed.init = init;
    changed.n_init = 4;
    MiniBatchKMeans<double> same(changed);
    same.fit(X.view(), C);
    CHECK(ref::worst_rel(ref::to_dense(same.centroids()), ref::to_dense(from_c.centroids())) == 0);
    CHECK(same.labels() == from_c.labels());
  }
  std::vector<double> other(start.rbegin(), start.rend());
  from_other.fit(X.view(), Matrix<const double>(other.data(), 5, 4));
  CHECK(ref::worst_rel(ref::to_dense(from_c.centroids()), ref::to_dense(from_other.centroids())) > 0);
  CHECK_THROWS_AS(from_c.fit(X.view(), Matrix<const double>(start.data(), 4, 5)), std::invalid_argument);
  const std::vector<double> distances = from_c.fit_transform(X.view());
  CHECK(distances == from_c.transform(X.view()));
  const std::vector<std::int32_t> labels = from_c.fit_predict(X.view());
  CHECK(labels == from_c.predict(X.view()));
}

TEST_CASE("a mini-batch model from centroids and counts continues as the original", "[minibatch][from_centroids]") {
  const auto X = blobs<double>(3000, 5, 4, 1.0, 23);
  MiniBatchOptions o;
  o.n_clusters = 4;
  o.reassignment_ratio = 0;  // reassignment draws come from a stream the copy does not share
  MiniBatchKMeans<double> original(o);
  const auto batch_at = [&](std::size_t b) { return Matrix<const double>(X.view().row(b * 300), 300, 5); };
  for (std::size_t b = 0; b < 3; ++b) original.partial_fit(batch_at(b));

  auto copy = MiniBatchKMeans<double>::from_centroids(original.centroids(), o, original.counts(), original.n_steps());
  CHECK(copy.is_fitted());
  CHECK(copy.predict(X.view()) == original.predict(X.view()));
  CHECK(copy.transform(X.view()) == original.transform(X.view()));
  CHECK(copy.n_steps() == 3);
  for (std::size_t b = 3; b < 6; ++b) {
    original.partial_fit(batch_at(b));
    copy.partial_fit(batch_at(b));
    CHECK(ref::worst_rel(ref::to_dense(copy.centroids()), ref::to_dense(original.centroids())) == 0);
    CHECK(copy.counts() == original.counts());
    CHECK(copy.labels() == original.labels());
  }
  // Without counts, the first step is a first step from given centroids: the reference step.
  auto fresh = MiniBatchKMeans<double>::from_centroids(original.centroids(), o);
  ref::Dense expected = ref::to_dense(original.centroids());
  std::vector<double> counts(4, 0.0);
  reference_step(ref::to_dense(batch_at(0)), std::vector<double>(300, 1.0), expected, counts);
  fresh.partial_fit(batch_at(0));
  CHECK(ref::worst_rel(ref::to_dense(fresh.centroids()), expected) <= 1e-12);

  CHECK_THROWS_AS(MiniBatchKMeans<double>::from_centroids(Matrix<const double>()), std::invalid_argument);
  CHECK_THROWS_AS(MiniBatchKMeans<double>::from_centroids(original.centroids(), o, {1.0, 2.0}), std::invalid_argument);
  CHECK_THROWS_AS(MiniBatchKMeans<double>::from_centroids(original.centroids(), o, {1.0, -1.0, 1.0, 1.0}),
                  std::invalid_argument);
  std::vector<double> bad(original.centroids().data(), original.centroids().data() + 20);
  bad[7] = std::nan("");
  CHECK_THROWS_AS(MiniBatchKMeans<double>::from_centroids(Matrix<const double>(bad.data(), 4, 5)),
                  std::invalid_argument);
}
