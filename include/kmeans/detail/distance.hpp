#pragma once
// Distances summed in double, element by element: the exact path of the kernel, inertia,
// k-means++, the bounded algorithms' direct distances and the data checks. The sums are laid
// out in a fixed number of lanes, so that their order is the same for every row and every
// instruction set; the lanes are explicit vectors (left to the compiler, Clang used two-lane
// vectors and GCC at -O2 none).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "simd.hpp"
#include "unroll.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// Lanes of the double sums below: 32 independent partial sums, sum_lanes / W vector
/// accumulators of W lanes each (one would serialise on FMA latency). Lane l adds the terms
/// j = l (mod 32); the lanes are added pairwise at the end (l += l + 16, then l += l + 8, ...),
/// in the same order for every row and vector width.
inline constexpr std::size_t sum_lanes = 32;

/// sum + v^2, fused (one rounding) exactly where the vector fma is: the same bits as a lane
/// of detail::fma(v, v, sum) (k-means++ scores short rows in such lanes).
inline double add_square(double sum, double v) noexcept {
#if defined(__FMA__) || XSIMD_WITH_AVX512F
  return std::fma(v, v, sum);
#else
  return sum + v * v;
#endif
}

/// The sum of value(j)^2 over from <= j < d, in one chain: lane_sum's tail, and all of a
/// short row.
template <class Value>
inline double chain_sum(std::size_t from, std::size_t d, Value&& value) noexcept {
  double sum = 0.0;
  for (std::size_t j = from; j < d; ++j) sum = add_square(sum, value(j));
  return sum;
}

/// The sum of the sum_lanes lanes held in acc, pairwise: whole vectors while the partner
/// lanes are in another vector, then within one (the order every lane sum uses). Always
/// inlined: as a call (GCC's choice in k-means++), acc went through memory.
KMEANS_ALWAYS_INLINE double lane_total(batch<double> (&acc)[sum_lanes / batch<double>::size]) noexcept {
  constexpr std::size_t W = batch<double>::size, A = sum_lanes / W;
  KMEANS_UNROLL
  for (std::size_t width = A / 2; width > 0; width /= 2) {
    KMEANS_UNROLL
    for (std::size_t a = 0; a < width; ++a) acc[a] += acc[a + width];
  }
#if XSIMD_WITH_AVX512F
  // The same additions as the loop below, in registers: lane l and l + 4, then l and l + 2,
  // then 0 and 1 (a + b is b + a, bit for bit).
  batch<double> v = acc[0];
  v += pick_chunks<0x4E>(v, v);
  v += pick_chunks<0xB1>(v, v);
  v += batch<double>(_mm512_permute_pd(v, 0x55));
  return _mm512_cvtsd_f64(v);
#else
  alignas(64) double lane[W];
  acc[0].store_aligned(lane);
  KMEANS_UNROLL
  for (std::size_t width = W / 2; width > 0; width /= 2) {
    KMEANS_UNROLL
    for (std::size_t l = 0; l < width; ++l) lane[l] += lane[l + width];
  }
  return lane[0];
#endif
}

/// lane_sum for d >= sum_lanes.
template <class Load, class Value>
inline double lane_sum_long(std::size_t d, Load&& load, Value&& value) noexcept {
  using D = batch<double>;
  constexpr std::size_t W = D::size, A = sum_lanes / W;
  static_assert(sum_lanes % W == 0, "sum_lanes must be a multiple of the vector width");
  D acc[A];
  KMEANS_UNROLL
  for (std::size_t a = 0; a < A; ++a) acc[a] = D(0.0);
  std::size_t j = 0;
  for (; j + sum_lanes <= d; j += sum_lanes) {
    KMEANS_UNROLL
    for (std::size_t a = 0; a < A; ++a) {
      const D v = load(j + a * W);
      acc[a] = fma(v, v, acc[a]);
    }
  }
  return lane_total(acc) + chain_sum(j, d, value);
}

/// The sum over j < d of term(j) = v(j)^2, where `load(j)` gives v(j .. j + W - 1) as a
/// vector of doubles and `value(j)` gives v(j).
template <class Load, class Value>
inline double lane_sum(std::size_t d, Load&& load, Value&& value) noexcept {
  if (d >= sum_lanes) return lane_sum_long(d, load, value);
  // Only the tail: the same sum as lane_sum_long's (its lanes would add zeros), without the
  // 31 additions of empty lanes that dominate short rows; small enough to be inlined where
  // short rows are hot (Hamerly's bounds at d = 2 spent a tenth of their time in the call).
  return chain_sum(0, d, value);
}

/// Squared Euclidean distance, summed in double.
template <class T>
inline double squared_distance(const T* x, const T* c, std::size_t d) noexcept {
  return lane_sum(
      d, [&](std::size_t j) { return load_as_double(x + j) - load_as_double(c + j); },
      [&](std::size_t j) { return static_cast<double>(x[j]) - static_cast<double>(c[j]); });
}

/// Rows scored at once against one centre (rows_to_centre): their sum_lanes / W accumulators
/// each, with room for the loads, in the vector registers (4 x 4 of 32 with AVX-512).
inline constexpr std::size_t grid_rows = simd_register_count >= 32 ? 4 : 1;

/// out[r * N + q] = squared_distance(x[r], c[q], d) for r < R, q < N, with those bits, in one
/// pass: R + N loads feed R x N independent sums (one sum alone waits on FMA latency). With
/// AVX-512 the R x N lane totals come out of one transposed tree (lane_sums, whose additions
/// are lane_total's), not R x N trees.
template <std::size_t R, std::size_t N, class T>
KMEANS_ALWAYS_INLINE void squared_distance_grid(const T* const* x, const T* const* c, std::size_t d,
                                                double* out) noexcept {
  using D = batch<double>;
  constexpr std::size_t W = D::size, A = sum_lanes / W, P = R * N;
  static_assert(P >= 1 && P <= W && P <= 8, "squared_distance_grid: 1 to min(8, W) sums");
  alignas(64) double total[W] = {};
  std::size_t j = 0;
  if (d >= sum_lanes) {
    D acc[P][A];
    KMEANS_UNROLL
    for (std::size_t p = 0; p < P; ++p) {
      KMEANS_UNROLL
      for (std::size_t a = 0; a < A; ++a) acc[p][a] = D(0.0);
    }
    for (; j + sum_lanes <= d; j += sum_lanes) {
      KMEANS_UNROLL
      for (std::size_t a = 0; a < A; ++a) {
        D xv[R];
        KMEANS_UNROLL
        for (std::size_t r = 0; r < R; ++r) xv[r] = load_as_double(x[r] + j + a * W);
        KMEANS_UNROLL
        for (std::size_t q = 0; q < N; ++q) {
          const D cv = load_as_double(c[q] + j + a * W);
          KMEANS_UNROLL
          for (std::size_t r = 0; r < R; ++r) {
            const D v = xv[r] - cv;
            acc[r * N + q][a] = fma(v, v, acc[r * N + q][a]);
          }
        }
      }
    }
#if XSIMD_WITH_AVX512F
    D first[P];  // lane_total's whole-vector levels, then its in-vector ones for all P at once
    KMEANS_UNROLL
    for (std::size_t p = 0; p < P; ++p) {
      KMEANS_UNROLL
      for (std::size_t width = A / 2; width > 0; width /= 2) {
        KMEANS_UNROLL
        for (std::size_t a = 0; a < width; ++a) acc[p][a] += acc[p][a + width];
      }
      first[p] = acc[p][0];
    }
    lane_sums<P>(first).store_aligned(total);
#else
    KMEANS_UNROLL
    for (std::size_t p = 0; p < P; ++p) total[p] = lane_total(acc[p]);
#endif
  }
  // chain_sum's tail (all of a short row), R x N chains side by side.
  double tail[P] = {};
  for (std::size_t i = j; i < d; ++i) {
    KMEANS_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      const double xi = static_cast<double>(x[r][i]);
      KMEANS_UNROLL
      for (std::size_t q = 0; q < N; ++q)
        tail[r * N + q] = add_square(tail[r * N + q], xi - static_cast<double>(c[q][i]));
    }
  }
  KMEANS_UNROLL
  for (std::size_t p = 0; p < P; ++p) out[p] = total[p] + tail[p];
}

/// emit(q, squared_distance(row(q), c, d)) for q = 0 .. m - 1 in order, grid_rows rows at a
/// time (a short last group repeats its last row; the copies are not emitted).
template <class T, class RowOf, class Emit>
inline void rows_to_centre(std::size_t m, std::size_t d, RowOf&& row_of, const T* c, Emit&& emit) {
  constexpr std::size_t R = grid_rows;
  for (std::size_t s = 0; s < m; s += R) {
    const T* xs[R];
    for (std::size_t r = 0; r < R; ++r) xs[r] = row_of(std::min(s + r, m - 1));
    double out[R];
    squared_distance_grid<R, 1>(xs, &c, d, out);
    for (std::size_t r = 0; r < R && s + r < m; ++r) emit(s + r, out[r]);
  }
}

/// Squared norm, summed in double.
template <class T>
inline double squared_norm(const T* x, std::size_t d) noexcept {
  return lane_sum(
      d, [&](std::size_t j) { return load_as_double(x + j); },
      [&](std::size_t j) { return static_cast<double>(x[j]); });
}

/// The nearest of k centroids by direct double distances (the lowest index wins ties), with
/// the squared distances to it and to the second nearest (infinity when k = 1).
struct Nearest {
  std::int32_t label = 0;
  double best = std::numeric_limits<double>::infinity();
  double second = std::numeric_limits<double>::infinity();
};

template <class T>
inline Nearest nearest_exact(const T* x, const T* centroids, std::size_t k, std::size_t d, std::size_t ld) noexcept {
  Nearest n;
  for (std::size_t c = 0; c < k; ++c) {
    const double distance = squared_distance(x, centroids + c * ld, d);
    if (distance < n.best) {
      n.second = n.best;
      n.best = distance;
      n.label = static_cast<std::int32_t>(c);
    } else if (distance < n.second) {
      n.second = distance;
    }
  }
  return n;
}

}  // namespace kmeans::detail

KMEANS_SIMD_END
