// Mixed-precision screening (detail/mixed_precision.hpp): double rows scored in float first.
// The kernel with the screen must give the labels of the kernel without it, row by row, and of
// the brute-force reference wherever the reference is not itself within rounding of a tie; and
// fits with Options::mixed_precision on and off must be the same bits, for every algorithm and
// thread count. On data made to defeat float: rows within 1e-13 of the bisector of two
// centroids, coordinates offset by 1e5 (norms far above the gaps), columns scaled from 1e-32 to
// 1e32 (float overflow and underflow), small integers (exact ties).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <kmeans/detail/elkan.hpp>
#include <kmeans/detail/kernel.hpp>
#include <kmeans/kmeans_model.hpp>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"
#include "test_data.hpp"

namespace {

/// Rows and centroids of one kind of data.
struct ScreenCase {
  std::string kind;
  Owned<double> X;
  std::vector<double> C;  // k x d
  std::size_t k = 0;
};

ScreenCase screen_case(const std::string& kind, std::size_t n, std::size_t d, std::size_t k, std::uint64_t seed) {
  ScreenCase s{kind, blobs<double>(n, d, k, 3.0, seed), {}, k};
  const auto centres = blobs<double>(k, d, k, 3.0, seed + 1);
  s.C = centres.buffer;
  std::mt19937_64 rng(seed);
  if (kind == "near_ties") {
    // Row i on the segment between two centroids a and b, t of the way past their midpoint.
    const double offsets[] = {0.0, 1e-2, -1e-4, 1e-6, -1e-8, 1e-10, -1e-12, 1e-13, 3e-5, -7e-7};
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t a = rng() % k, b = (a + 1 + rng() % (k - 1)) % k;
      const double t = offsets[i % 10];
      for (std::size_t j = 0; j < d; ++j) {
        const double ca = s.C[a * d + j], cb = s.C[b * d + j];
        s.X.buffer[i * d + j] = 0.5 * (ca + cb) + t * (cb - ca);
      }
    }
  } else if (kind == "offset") {
    for (double& v : s.X.buffer) v += 1e5;
    for (double& v : s.C) v += 1e5;
  } else if (kind == "badly_scaled") {
    for (std::size_t j = 0; j < d; ++j) {
      const double scale = std::pow(10.0, 8.0 * (static_cast<double>(j % 9) - 4.0));
      for (std::size_t i = 0; i < n; ++i) s.X.buffer[i * d + j] *= scale;
      for (std::size_t c = 0; c < k; ++c) s.C[c * d + j] *= scale;
    }
  } else if (kind == "integers") {
    for (double& v : s.X.buffer) v = static_cast<double>(rng() % 4);
    for (double& v : s.C) v = static_cast<double>(rng() % 4);
  }
  return s;
}

struct KernelRows {
  std::vector<std::int32_t> labels;
  std::vector<double> second;
  std::vector<char> screened;  // per row: the screen settled it (its slack is a float score's)
  std::size_t n_screened = 0;
};

/// The kernel over every row; `screen`: with the float screen, `copy`: reading X rounded to
/// float once (as a fit does) instead of rounding each tile.
KernelRows kernel_rows(const ScreenCase& s, bool screen, bool copy) {
  const kmeans::Matrix<const double> X = s.X.view();
  const std::size_t n = X.rows(), d = X.cols();
  kmeans::detail::PackedCentroids<double> pc;
  pc.set_screening(screen);
  pc.assign(s.C.data(), s.k, d);
  REQUIRE(pc.screened() == screen);
  std::vector<float> rows(n * d);
  std::vector<double> norm2(n);
  if (copy) {
    for (std::size_t i = 0; i < n; ++i) {
      kmeans::detail::narrow_row(X.row(i), rows.data() + i * d, d);
      norm2[i] = kmeans::detail::row_norm2(X.row(i), d);
    }
    pc.set_screen_rows(rows.data(), norm2.data());
  }
  KernelRows out;
  out.labels.assign(n, -1);
  out.second.assign(n, 0.0);
  out.screened.assign(n, 0);
  kmeans::detail::assign_rows(
      X, 0, n, pc, [&](std::size_t i, std::int32_t label, double second, const kmeans::detail::RowScores<double>& rs) {
        out.labels[i] = label;
        out.second[i] = second;
        if (std::isfinite(rs.slack) && rs.slack > 1e-12 * (rs.norm2 + pc.max_norm2())) {
          out.screened[i] = 1;
          ++out.n_screened;
        }
      });
  return out;
}

const char* const kinds[] = {"blobs", "near_ties", "offset", "badly_scaled", "integers"};

}  // namespace

TEST_CASE("the float screen gives the float64 kernel's labels on data made to defeat float", "[kernel][mixed]") {
  std::uint64_t seed = 40;
  for (const std::string kind : kinds) {
    for (const std::size_t d : {1, 3, 17, 64, 200}) {
      for (const std::size_t k : {kmeans::detail::screen_min_k, std::size_t{13}, std::size_t{40}}) {
        CAPTURE(kind, d, k);
        const ScreenCase s = screen_case(kind, 403, d, k, ++seed);
        const KernelRows full = kernel_rows(s, false, false);
        REQUIRE(full.n_screened == 0);
        const ref::Assignment a =
            ref::assign(ref::to_dense(s.X.view()), ref::to_dense(kmeans::Matrix<const double>(s.C.data(), k, d)));
        for (const bool copy : {false, true}) {
          CAPTURE(copy);
          const KernelRows screened = kernel_rows(s, true, copy);
          REQUIRE(screened.labels == full.labels);
          std::size_t ties = 0;
          for (std::size_t i = 0; i < s.X.rows; ++i) {
            CAPTURE(i);
            if (kind == "integers" || !a.near_tie(i, 1e-9)) REQUIRE(screened.labels[i] == a.labels[i]);
            CHECK(screened.second[i] <= a.second[i] * (1 + 1e-12));
            // Float cannot tell apart centroids within 1e-9 of each other: such rows are
            // never settled by the screen.
            if (a.near_tie(i, 1e-9)) {
              ++ties;
              CHECK(!screened.screened[i]);
            }
          }
          // The data reaches both paths: the screen where float can settle a row, the float64
          // kernel where it cannot.
          if (kind == "blobs") CHECK(screened.n_screened > s.X.rows * 9 / 10);
          if (kind == "near_ties" && d > 1) {
            CHECK(screened.n_screened > 0);
            CHECK(ties > 0);
          }
        }
      }
    }
  }
}

TEST_CASE("fits with the float screen are Lloyd's bits, for every algorithm and thread count", "[algorithms][mixed]") {
  using kmeans::Algorithm;
  std::uint64_t seed = 90;
  for (const std::string kind : kinds) {
    for (const std::size_t k : {std::size_t{8}, std::size_t{30}}) {
      const ScreenCase s = screen_case(kind, 1500, 24, k, ++seed);
      const kmeans::Matrix<const double> C(s.C.data(), k, 24);
      kmeans::Options o;
      o.n_clusters = k;
      o.tol = 0;
      o.mixed_precision = false;
      o.n_threads = 1;
      const Trace full = trace_fit<double>(o, s.X.view(), &C);
      for (const Algorithm a : {Algorithm::lloyd, Algorithm::hamerly, Algorithm::elkan, Algorithm::yinyang}) {
        for (const std::size_t threads : {1, 3}) {
          CAPTURE(kind, k, static_cast<int>(a), threads);
          o.algorithm = a;
          o.n_threads = threads;
          o.mixed_precision = true;
          require_same_trace(full, trace_fit<double>(o, s.X.view(), &C));
        }
      }
    }
  }
}

TEST_CASE("bounds taken from the kernel's scores hold, screened or not", "[kernel][mixed][algorithms]") {
  // Every bounded algorithm takes bounds from a scanned row's scores: RowScores' upper bound on
  // the distance to the row's centroid, and Elkan's lower bound for every centroid (its own
  // included, which a later label change turns into a competitor's).
  std::uint64_t seed = 140;
  for (const std::string kind : kinds) {
    for (const bool screen : {true, false}) {
      CAPTURE(kind, screen);
      const std::size_t d = 24, k = 13;
      const ScreenCase s = screen_case(kind, 301, d, k, ++seed);
      const kmeans::Matrix<const double> X = s.X.view();
      kmeans::detail::PackedCentroids<double> pc;
      pc.set_screening(screen);
      pc.assign(s.C.data(), k, d);
      kmeans::detail::ElkanBounds elkan;
      elkan.reset(X.rows(), k);
      std::size_t rows = 0;
      kmeans::detail::assign_rows(
          X, 0, X.rows(), pc,
          [&](std::size_t i, std::int32_t label, double second, const kmeans::detail::RowScores<double>& rs) {
            const auto a = static_cast<std::size_t>(label);
            const double to_label = std::sqrt(kmeans::detail::squared_distance(X.row(i), s.C.data() + a * d, d));
            const double upper = rs.usable() ? rs.upper_distance(a) : to_label;
            CHECK(upper >= to_label);
            elkan.scanned(i, a, upper, second, rs);
            for (std::size_t c = 0; c < k; ++c) {
              CAPTURE(i, c);
              const double to_c = std::sqrt(kmeans::detail::squared_distance(X.row(i), s.C.data() + c * d, d));
              CHECK(static_cast<double>(elkan.lower[i * k + c]) <= to_c);
            }
            ++rows;
          });
      REQUIRE(rows == X.rows());
    }
  }
}
