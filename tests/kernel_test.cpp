// The assignment kernel (detail/kernel.hpp) called directly, against the brute-force
// reference: labels, the second-nearest distance it hands the bounded algorithms, and each
// row's scores with their slack. Every k from 1 past the vector width, so both layouts (along
// d for few centroids, panels otherwise) and the switch between them are covered, at lengths
// d around multiples of the vector width (the along-d tail), on rows with NaN padding after
// them (a read past a row's end would show).

#include <cmath>
#include <cstdint>
#include <kmeans/detail/kernel.hpp>
#include <limits>
#include <vector>

#include "catch.hpp"
#include "reference.hpp"
#include "test_data.hpp"

namespace {

struct Seen {
  std::int32_t label = -1;
  double second = 0, norm2 = 0, slack = 0;
  std::vector<double> scores;
};

/// The kernel's view of every row of X against centroids C (k x d, row-major).
template <class T>
std::vector<Seen> run_kernel(kmeans::Matrix<const T> X, const std::vector<T>& C, std::size_t k) {
  kmeans::detail::PackedCentroids<T> pc;
  pc.assign(C.data(), k, X.cols());
  std::vector<Seen> seen(X.rows());
  kmeans::detail::assign_rows(
      X, 0, X.rows(), pc,
      [&](std::size_t i, std::int32_t label, double second, const kmeans::detail::RowScores<T>& rs) {
        Seen& s = seen[i];
        s.label = label;
        s.second = second;
        s.norm2 = rs.norm2;
        s.slack = rs.slack;
        s.scores.assign(rs.score, rs.score + k);
      });
  return seen;
}

template <class T>
void check_against_reference(kmeans::Matrix<const T> X, const std::vector<T>& C, std::size_t k, bool exact_ties) {
  const ref::Dense Xd = ref::to_dense(X);
  const ref::Dense Cd = ref::to_dense(kmeans::Matrix<const T>(C.data(), k, X.cols()));
  const ref::Assignment a = ref::assign(Xd, Cd);
  const std::vector<Seen> seen = run_kernel(X, C, k);
  for (std::size_t i = 0; i < X.rows(); ++i) {
    CAPTURE(i);
    const Seen& s = seen[i];
    if (exact_ties || !a.near_tie(i, 1e-9)) REQUIRE(s.label == a.labels[i]);
    // A lower bound on the second-nearest distance, and not a vacuous one.
    CHECK(s.second <= a.second[i] * (1 + 1e-12));
    if (k > 1 && std::isfinite(s.slack)) CHECK(s.second >= a.second[i] - 2 * s.slack);
    if (!std::isfinite(s.slack)) continue;  // the exact path: the scores are not handed out
    for (std::size_t c = 0; c < k; ++c) {
      const double distance = ref::sqdist(Xd.row(i), Cd.row(c), Xd.cols);
      const double estimate = static_cast<double>(s.scores[c]) + s.norm2;
      CAPTURE(c, distance, estimate, s.slack);
      CHECK(std::abs(estimate - distance) <= s.slack);
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("the kernel agrees with the reference for every k up to past the vector width",
                   "[kernel][reference]", float, double) {
  using T = TestType;
  constexpr std::size_t W = kmeans::detail::simd_width<T>;
  const std::size_t lengths[] = {1, 2, 3, W - 1, W, W + 1, 2 * W + 3, 31, 33, 100, 257};
  std::uint64_t seed = 7;
  for (std::size_t k = 1; k <= W + 2; ++k) {
    for (const std::size_t d : lengths) {
      if (d == 0) continue;
      CAPTURE(k, d, W);
      // 37 rows: tiles of 4 or 5 rows end short; pad 3: NaN after every row.
      const auto data = blobs<T>(37, d, 4, 2.0, ++seed, 3);
      const auto centres = blobs<T>(k, d, 4, 2.0, ++seed, 0);
      check_against_reference(data.view(), centres.buffer, k, false);

      // Small integers: exact ties everywhere, which must go to the lowest index.
      std::vector<std::vector<T>> rows(29, std::vector<T>(d)), cs(k, std::vector<T>(d));
      std::uint64_t state = seed;
      const auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<T>((state >> 33) % 3);
      };
      for (auto& r : rows)
        for (T& v : r) v = next();
      for (auto& r : cs)
        for (T& v : r) v = next();
      std::vector<T> flat;
      for (const auto& r : cs) flat.insert(flat.end(), r.begin(), r.end());
      check_against_reference(from_rows(rows).view(), flat, k, true);
    }
  }
}

TEST_CASE("few centroids are scored along d, more in panels", "[kernel]") {
  constexpr std::size_t W = kmeans::detail::simd_width<float>;
  const std::vector<float> C(8 * W * 3, 1.0f);
  kmeans::detail::PackedCentroids<float> pc;
  pc.assign(C.data(), 1, 3);
  CHECK(pc.along_d());
  pc.assign(C.data(), std::min(kmeans::detail::small_k_max, W - 1), 3);
  CHECK(pc.along_d());
  pc.assign(C.data(), kmeans::detail::small_k_max + 1, 3);
  CHECK_FALSE(pc.along_d());
  pc.assign(C.data(), W, 3);
  CHECK_FALSE(pc.along_d());
}

TEMPLATE_TEST_CASE("rows_to_centre gives squared_distance's bits for each row", "[kernel][distance]", float, double) {
  using T = TestType;
  // Several rows against one centre at once (k-means++'s trials and first centre): each
  // distance must be the one squared_distance gives, whatever group of rows it was summed in.
  for (const std::size_t d : {1, 5, 31, 32, 33, 64, 100, 257}) {
    const auto X = blobs<T>(23, d, 3, 50.0, d + 7, 0);
    const T* c = X.view().row(22);
    for (std::size_t m = 1; m <= 21; m += 2) {
      CAPTURE(d, m);
      std::vector<std::size_t> rows;  // not in order, with a repeat
      for (std::size_t q = 0; q < m; ++q) rows.push_back((q * 7 + 3) % 21);
      std::vector<double> got(m, -1.0);
      std::vector<std::size_t> order;
      kmeans::detail::rows_to_centre(
          m, d, [&](std::size_t q) { return X.view().row(rows[q]); }, c,
          [&](std::size_t q, double value) {
            order.push_back(q);
            got[q] = value;
          });
      REQUIRE(order.size() == m);
      for (std::size_t q = 0; q < m; ++q) {
        CHECK(order[q] == q);
        CHECK(got[q] == kmeans::detail::squared_distance(X.view().row(rows[q]), c, d));
      }
    }
  }
}

namespace {

/// lane_sums<N> on N vectors of small integers (exact sums), compared lane by lane with a
/// plain loop; lanes N and up must be zero.
template <std::size_t N, class T>
void check_lane_sums() {
  using B = kmeans::detail::batch<T>;
  constexpr std::size_t W = B::size;
  if constexpr (N <= W) {
    CAPTURE(N);
    alignas(64) T lanes[8][W];
    B v[8];
    for (std::size_t q = 0; q < N; ++q) {
      for (std::size_t l = 0; l < W; ++l) lanes[q][l] = static_cast<T>((q + 1) * 100 + l * (q + 3) % 17);
      v[q] = B::load_aligned(lanes[q]);
    }
    alignas(64) T out[W];
    kmeans::detail::lane_sums<N>(v).store_aligned(out);
    for (std::size_t q = 0; q < W; ++q) {
      CAPTURE(q);
      T expected = 0;
      if (q < N)
        for (std::size_t l = 0; l < W; ++l) expected += lanes[q][l];
      CHECK(out[q] == expected);
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("lane_sums puts each vector's sum in its own lane", "[kernel][simd]", float, double) {
  check_lane_sums<1, TestType>();
  check_lane_sums<2, TestType>();
  check_lane_sums<3, TestType>();
  check_lane_sums<4, TestType>();
  check_lane_sums<5, TestType>();
  check_lane_sums<6, TestType>();
  check_lane_sums<7, TestType>();
  check_lane_sums<8, TestType>();
}

TEMPLATE_TEST_CASE("all_lanes_min and lane_bits find the lowest lanes", "[kernel][simd]", float, double) {
  using T = TestType;
  using B = kmeans::detail::batch<T>;
  constexpr std::size_t W = B::size;
  alignas(64) T values[W];
  // The minimum in each lane in turn, alone and then tied with the lane after it.
  for (std::size_t low = 0; low < W; ++low) {
    for (const bool tie : {false, true}) {
      CAPTURE(low, tie);
      for (std::size_t l = 0; l < W; ++l) values[l] = static_cast<T>(10 + (l * 7) % 5);
      values[low] = 1;
      if (tie) values[(low + 1) % W] = 1;
      const B v = B::load_aligned(values);
      const B m = kmeans::detail::all_lanes_min(v);
      for (std::size_t l = 0; l < W; ++l) CHECK(m.get(l) == T(1));
      const unsigned bits = kmeans::detail::lane_bits(v == m);
      const unsigned expected = (1u << low) | (tie ? 1u << ((low + 1) % W) : 0u);
      CHECK(bits == expected);
      CHECK(kmeans::detail::lowest_bit(bits) == (tie && low + 1 == W ? 0 : low));
    }
  }
}

TEST_CASE("lane_total adds the 32 lanes pairwise in the documented order", "[kernel][distance]") {
  using D = kmeans::detail::batch<double>;
  constexpr std::size_t W = D::size, L = kmeans::detail::sum_lanes;
  std::uint64_t state = 12345;
  for (int trial = 0; trial < 200; ++trial) {
    CAPTURE(trial);
    // Random mantissas at magnitudes 2^-20 to 2^20, so that another order of the additions
    // rounds differently.
    double lane[L];
    for (double& v : lane) {
      state = state * 6364136223846793005u + 1442695040888963407u;
      v = std::ldexp(1.0 + static_cast<double>(state >> 11) * 0x1p-53, static_cast<int>(state % 41) - 20);
    }
    D acc[L / W];
    for (std::size_t a = 0; a < L / W; ++a) acc[a] = D::load_unaligned(lane + a * W);
    // Lane l += lane l + 16, then l + 8, ..., then l + 1.
    for (std::size_t width = L / 2; width > 0; width /= 2)
      for (std::size_t l = 0; l < width; ++l) lane[l] += lane[l + width];
    REQUIRE(kmeans::detail::lane_total(acc) == lane[0]);
  }
}
