#include <kmeans/init.hpp>
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
  for (const auto init : {kmeans::Init::kmeans_plus_plus, kmeans::Init::random}) {
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

TEST_CASE("initialisation copes with fewer distinct rows than k", "[init]") {
  std::vector<std::vector<double>> rows(20, std::vector<double>{1.0, 1.0});
  rows[3] = {2.0, 2.0};
  const auto X = from_rows<double>(rows);
  for (const auto init : {kmeans::Init::kmeans_plus_plus, kmeans::Init::random}) {
    Options o;
    o.n_clusters = 6;
    o.init = init;
    const auto c = kmeans::initial_centroids(X.view(), o);
    REQUIRE(c.size() == 12);
    std::set<std::vector<double>> distinct;
    for (std::size_t i = 0; i < 6; ++i) distinct.insert({c[2 * i], c[2 * i + 1]});
    if (init == kmeans::Init::kmeans_plus_plus) {
      CHECK(distinct.size() == 2);  // the one row with potential left is always taken
    } else {
      CHECK(distinct.size() <= 2);  // six distinct row indices, duplicates by value
      for (const auto& c2 : distinct) CHECK((c2 == std::vector<double>{1, 1} || c2 == std::vector<double>{2, 2}));
    }
  }
}
