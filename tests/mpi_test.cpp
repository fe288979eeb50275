// The distributed fit, run by ctest under mpirun -np 2 and -np 3. Every process builds the
// same global data, keeps its share of the rows and fits; the result is compared with the
// single-process fit of all the rows (kmeans::KMeans, itself tested against the brute-force
// reference). Checks after a collective use CHECK, not REQUIRE: a process that left a test
// case early would leave the others waiting.
#include <mpi.h>

#include <cmath>
#include <cstring>
#include <kmeans/kmeans.hpp>
#include <kmeans/mpi.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(KMEANS_CATCH2_V3)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#endif
#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"

using kmeans::Algorithm;
using kmeans::Init;
using kmeans::Matrix;
using kmeans::Options;

namespace {

int rank_of() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size_of() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

/// Where each process's rows start: uneven shares, and with `empty_rank` >= 0 that process
/// gets no rows at all.
std::vector<std::size_t> split(std::size_t n, int empty_rank) {
  const auto p = static_cast<std::size_t>(size_of());
  std::vector<std::size_t> start(p + 1, 0);
  std::vector<std::size_t> weight(p);
  for (std::size_t r = 0; r < p; ++r) weight[r] = static_cast<int>(r) == empty_rank ? 0 : r + 2;
  std::size_t total = 0;
  for (const std::size_t w : weight) total += w;
  for (std::size_t r = 0; r < p; ++r) start[r + 1] = start[r] + n * weight[r] / total;
  start[p] = n;
  if (empty_rank == static_cast<int>(p) - 1) start[p - 1] = n;  // the last share absorbs the remainder
  return start;
}

template <class T>
struct Share {
  std::vector<T> all;  // n x d on every process
  std::size_t n = 0, d = 0, begin = 0, end = 0;
  Matrix<const T> global() const { return {all.data(), n, d}; }
  Matrix<const T> mine() const { return {all.data() + begin * d, end - begin, d}; }
};

template <class T>
Share<T> share(std::size_t n, std::size_t d, std::size_t centers, std::uint64_t seed, int empty_rank = -1) {
  const auto b = kmeans::make_blobs<T>(n, d, centers, 1.5, seed);
  Share<T> s{b.data, n, d, 0, 0};
  const auto start = split(n, empty_rank);
  s.begin = start[static_cast<std::size_t>(rank_of())];
  s.end = start[static_cast<std::size_t>(rank_of()) + 1];
  return s;
}

/// Whether every process holds the same bytes.
template <class V>
bool same_everywhere(const V& values) {
  unsigned long long bytes = values.size() * sizeof(values[0]), root_bytes = bytes;
  MPI_Bcast(&root_bytes, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  int sized = bytes == root_bytes ? 1 : 0, all_sized = 0;
  MPI_Allreduce(&sized, &all_sized, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  if (!all_sized) return false;
  std::vector<char> mine(bytes), root(bytes);
  std::memcpy(mine.data(), values.data(), bytes);
  root = mine;
  MPI_Bcast(root.data(), static_cast<int>(bytes), MPI_BYTE, 0, MPI_COMM_WORLD);
  int same = mine == root ? 1 : 0, all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  return all != 0;
}

/// The distributed result against the single-process fit of all rows: this process's labels
/// equal its slice of the labels, centroids and inertia agree to `rel`.
template <class T>
void check_against_single(const kmeans::mpi::Result<T>& got, const kmeans::KMeans<T>& single, const Share<T>& s,
                          double rel) {
  const std::vector<std::int32_t> expected(single.labels().begin() + static_cast<long>(s.begin),
                                           single.labels().begin() + static_cast<long>(s.end));
  CHECK(got.labels == expected);
  CHECK(got.n_iter == single.n_iter());
  CHECK(got.converged == single.converged());
  CHECK(ref::rel_diff(got.inertia, single.inertia()) <= rel);
  double worst = 0.0;
  for (std::size_t c = 0; c < got.n_clusters; ++c)
    for (std::size_t j = 0; j < s.d; ++j) {
      const double a = got.centroid_matrix()(c, j), b = single.centroids()(c, j);
      worst = std::max(worst, std::abs(a - b) / std::max(1.0, std::abs(b)));
    }
  CHECK(worst <= rel);
  CHECK(same_everywhere(got.centroids));
  CHECK(same_everywhere(std::vector<double>{got.inertia}));
}

}  // namespace

TEMPLATE_TEST_CASE("the distributed fit gives the single-process fit's labels and centroids", "[mpi]", float, double) {
  using T = TestType;
  // float centroids are rounded from double sums that differ in the last bits: a float ulp.
  const double rel = std::is_same_v<T, float> ? 3e-7 : 1e-10;
  for (const int empty : {-1, 1}) {
    for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
      CAPTURE(empty, static_cast<int>(a));
      const auto s = share<T>(3000, 7, 9, 42, empty);
      Options o;
      o.n_clusters = 12;
      o.algorithm = a;
      o.n_threads = 2;
      o.seed = 3;
      const std::vector<T> start = kmeans::initial_centroids(s.global(), o);
      const Matrix<const T> C(start.data(), 12, 7);
      kmeans::KMeans<T> single(o);
      single.fit(s.global(), C);
      const auto got = kmeans::mpi::fit<T>(MPI_COMM_WORLD, s.mine(), o, C);
      check_against_single(got, single, s, rel);
      CHECK(got.algorithm == a);
      // The same run again: the same bits.
      const auto again = kmeans::mpi::fit<T>(MPI_COMM_WORLD, s.mine(), o, C);
      CHECK(again.centroids == got.centroids);
      CHECK(again.labels == got.labels);
      CHECK(bits(again.inertia) == bits(got.inertia));
    }
  }
}

TEST_CASE("empty clusters move to the farthest rows over all processes", "[mpi]") {
  // Three centroids far from every row: the first update empties them, and they take the
  // rows farthest from their centroids, wherever those rows live.
  const auto s = share<double>(2000, 3, 5, 7);
  std::vector<double> start;
  for (std::size_t c = 0; c < 5; ++c) start.insert(start.end(), s.global().row(c * 10), s.global().row(c * 10) + 3);
  for (const double far : {1e3, 2e3, 3e3}) start.insert(start.end(), {far, far, far});
  const Matrix<const double> C(start.data(), 8, 3);
  Options o;
  o.n_clusters = 8;
  for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
    o.algorithm = a;
    kmeans::KMeans<double> single(o);
    single.fit(s.global(), C);
    check_against_single(kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), o, C), single, s, 1e-10);
  }
}

TEST_CASE("distributed k-means||, k-means++ and random init pick what one process would", "[mpi]") {
  for (const Init init : {Init::kmeans_parallel, Init::kmeans_plus_plus, Init::random}) {
    for (const int empty : {-1, 0}) {
      CAPTURE(static_cast<int>(init), empty);
      const auto s = share<double>(4000, 5, 20, 11, empty);
      Options o;
      o.n_clusters = 25;
      o.init = init;
      o.n_init = 2;
      o.seed = 17;
      kmeans::KMeans<double> single(o);
      single.fit(s.global());
      check_against_single(kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), o), single, s, 1e-10);
    }
  }
}

TEST_CASE("the weighted distributed fit gives the single-process weighted fit", "[mpi]") {
  const auto s = share<double>(2500, 4, 6, 5, 2);
  std::vector<double> w(s.n);
  for (std::size_t i = 0; i < s.n; ++i) w[i] = static_cast<double>(i % 4);  // zeros too
  const std::vector<double> mine(w.begin() + static_cast<long>(s.begin), w.begin() + static_cast<long>(s.end));
  for (const Init init : {Init::kmeans_parallel, Init::kmeans_plus_plus, Init::random}) {
    Options o;
    o.n_clusters = 8;
    o.init = init;
    o.algorithm = Algorithm::hamerly;
    kmeans::KMeans<double> single(o);
    single.fit(s.global(), w);
    check_against_single(kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), mine, o), single, s, 1e-10);
  }
}

TEST_CASE("a callback that stops on one process stops every process", "[mpi]") {
  const auto s = share<double>(3000, 4, 8, 9);
  Options o;
  o.n_clusters = 8;
  o.init = Init::random;
  o.tol = 0;
  o.on_iteration = [](const kmeans::Iteration& it) { return !(rank_of() == size_of() - 1 && it.iteration == 2); };
  const auto got = kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), o);
  CHECK(got.n_iter == 2);
  CHECK_FALSE(got.converged);
}

TEST_CASE("bad input on any process is the same error on every process", "[mpi]") {
  const int last = size_of() - 1;
  Options o;
  o.n_clusters = 4;
  o.init = Init::kmeans_parallel;
  auto s = share<double>(500, 3, 4, 1);

  // NaN on the last process only.
  std::vector<double> rows(s.mine().data(), s.mine().data() + (s.end - s.begin) * 3);
  if (rank_of() == last) rows[4] = std::nan("");
  std::string m = message_of(
      [&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, Matrix<const double>(rows.data(), s.end - s.begin, 3), o); });
  CAPTURE(m);
  CHECK(contains(m, "rank " + std::to_string(last) + ": X has a NaN"));
  CHECK(same_everywhere(m));

  // The cosine metric: a single-process fit only.
  Options cosine = o;
  cosine.metric = kmeans::Metric::cosine;
  m = message_of([&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, Matrix<const double>(s.all.data(), 100, 3), cosine); });
  CAPTURE(m);
  CHECK(contains(m, "only the Euclidean metric"));
  CHECK(same_everywhere(m));

  // A column count that differs on one process.
  const std::size_t cols = rank_of() == last ? 2 : 3;
  m = message_of([&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, Matrix<const double>(s.all.data(), 100, cols), o); });
  CAPTURE(m);
  CHECK(contains(m, "columns on rank " + std::to_string(last)));
  CHECK(same_everywhere(m));

  // Options that differ.
  Options other = o;
  if (rank_of() == last) other.seed = 99;
  m = message_of([&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), other); });
  CAPTURE(m);
  CHECK(contains(m, "every rank must pass the same options"));

  // More clusters than rows over all processes, and a process without rows.
  other = o;
  other.n_clusters = 600;
  m = message_of([&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), other); });
  CAPTURE(m);
  CHECK(contains(m, "n_clusters (600) is larger than the number of rows over all ranks (500)"));
  CHECK(same_everywhere(m));

  // A negative weight on process 0; weights that are all zero everywhere.
  std::vector<double> w(s.end - s.begin, 1.0);
  if (rank_of() == 0 && !w.empty()) w[0] = -1;
  m = message_of([&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), w, o); });
  CAPTURE(m);
  CHECK(contains(m, "rank 0: sample_weight[0] is -1"));
  std::fill(w.begin(), w.end(), 0.0);
  m = message_of([&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), w, o); });
  CAPTURE(m);
  CHECK(contains(m, "sample_weight is all zeros"));

  // Rank 0's initial centroids of the wrong shape.
  std::vector<double> C(4 * 2, 0.0);
  m = message_of([&] { kmeans::mpi::fit<double>(MPI_COMM_WORLD, s.mine(), o, Matrix<const double>(C.data(), 4, 2)); });
  CAPTURE(m);
  CHECK(contains(m, "rank 0: initial centroids are 4 x 2, expected 4 x 3"));
  CHECK(same_everywhere(m));
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int failed = Catch::Session().run(argc, argv);
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any != 0 ? 1 : 0;
}
