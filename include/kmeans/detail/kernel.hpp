#pragma once
// The assignment kernel: for each row x, the nearest centroid c.
//
// Fast path: score(c) = ||c||^2 - 2 x.c in T. Centroids are packed in panels of W (the SIMD
// width): panel p holds centroids pW .. pW + W - 1 transposed, so one vector load gives
// coordinate j of W centroids. A register tile of R rows x P panels broadcasts x[r][j],
// loads P panel vectors and does R * P FMAs per j: R + P loads feed R * P FMAs, and the
// scores come out as vectors of W centroids, with no horizontal sums. The argmin is fused:
// each row keeps per-lane vectors of the best score, the second best and the panel index,
// updated by compare-and-blend, and reduced across lanes once per row.
//
// Few centroids (k below the vector width and at most small_k_max): one panel would leave
// lanes idle and give each row a single FMA chain, bound by FMA latency. Instead the SIMD runs
// along d: R rows x k centroids accumulators, each a vector of W partial dot products over
// j = l (mod W), reduced across lanes once per row into one vector of k scores, which then
// goes through the same argmin as a panel's.
//
// A row's scores never depend on how the rows were cut into tiles or blocks: each is one FMA
// chain over j = 0 .. d-1 (panels), or W chains then a fixed tree (few centroids).
//
// Exact fallback: the expanded form cancels badly when ||x|| and ||c|| are large next to
// ||x - c||. With r = ||x|| + max||c||, every score and partial sum is at most r^2 in
// magnitude, and carries a rounding error of at most E = 2 (gamma_m + u) r^2 + 2 (m + 1) t
// (u the unit roundoff of T; m = d + 2 bounds the roundings on any path of the sum, in either
// layout's order; t the smallest normal T: each rounding in the subnormal range, or flushed
// to zero, is off by less than t). A row whose best and second-best scores are not more than
// 2E apart is redone with direct (x - c)^2 sums in double; that also settles exact ties
// toward the lowest index. So is a row with r^2 >= max(T) / 2, whose scores could overflow T:
// float data near FLT_MAX gets exact labels, only slower. (r^2 is taken as 2 ||x||^2 +
// 2 max||c||^2 >= r^2: no square root per row. ||x||^2 is summed in double, or along d in T,
// whose error is itself below E.)

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "../matrix.hpp"
#include "distance.hpp"
#include "mixed_precision.hpp"
#include "simd.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// Tile sizes: R x P accumulators, P panel vectors and one broadcast must fit the registers.
/// With 32 registers, 5 x 4 (20 accumulators, 9 loads per 20 FMAs) measured best on AVX-512
/// (the sweep of R is in bench/README.md).
inline constexpr std::size_t tile_rows = simd_register_count >= 32 ? 5 : 4;
inline constexpr std::size_t tile_panels = simd_register_count >= 32 ? 4 : 2;

/// The largest k scored along d (below the vector width too): tile_rows x k accumulators, k
/// centroid vectors and one row vector must fit the registers (5 x 5 + 5 + 1 of 32).
inline constexpr std::size_t small_k_max = simd_register_count >= 32 ? 5 : 2;

/// A tile's rows are fetched into cache one tile ahead when they take at most this many bytes
/// (short rows: the hardware streams long ones well by itself; bench/README.md).
inline constexpr std::size_t prefetch_tile_bytes = std::size_t{16} << 10;

/// Centroids packed once per iteration for the kernel. Panel p holds centroids pW .. pW + W - 1
/// transposed (padding lanes zero, with score +infinity). Panels are packed in groups of up
/// to tile_panels, interleaved by coordinate ([j][panel][lane]), so one pointer with fixed
/// offsets reaches every panel of a group; groups are balanced (10 panels: 4 + 3 + 3).
/// Also kept: squared norms, the largest squared norm for the error bound, and a plain row-major
/// copy for the exact path. With few centroids (`along_d()`), no panels: the centroids row-major,
/// aligned, each row zero-padded to a whole number of vectors. Double centroids also pack a float
/// copy for the mixed-precision screen (mixed_precision.hpp), at k >= screen_min_k unless turned off.
template <class T>
class PackedCentroids {
 public:
  static constexpr std::size_t W = simd_width<T>;
  struct NoScreen {};
  using Screen = std::conditional_t<std::is_same_v<T, double>, PackedCentroids<float>, NoScreen>;

  struct Group {
    std::size_t first_panel, n_panels, offset;  // offset into the packed data, in elements
  };

  void assign(const T* centroids, std::size_t k, std::size_t d) {
    k_ = k;
    d_ = d;
    screened_ = false;
    if constexpr (std::is_same_v<T, double>) {
      if (screening_ && k >= screen_min_k) {
        narrowed_.resize(k * d);
        narrow_row(centroids, narrowed_.data(), k * d);
        screen_.assign(narrowed_.data(), k, d);
        screened_ = true;
      }
    }
    const std::size_t n_panels = (k + W - 1) / W;
    norms_.assign(n_panels * W, std::numeric_limits<T>::infinity());
    plain_.assign(centroids, centroids + k * d);
    max_norm2_ = 0.0;
    groups_.clear();
    along_d_ = k < W && k <= small_k_max;
    if (along_d_) {
      stride_ = (d + W - 1) / W * W;
      data_.assign(k * stride_, T(0));
      for (std::size_t c = 0; c < k; ++c) {
        std::copy(centroids + c * d, centroids + (c + 1) * d, data_.begin() + static_cast<std::ptrdiff_t>(c * stride_));
        const double n2 = squared_norm(centroids + c * d, d);
        norms_[c] = static_cast<T>(n2);
        max_norm2_ = std::max(max_norm2_, n2);
      }
      return;
    }
    const std::size_t n_groups = (n_panels + tile_panels - 1) / tile_panels;
    for (std::size_t g = 0, first = 0; g < n_groups; ++g) {
      const std::size_t size = n_panels / n_groups + (g < n_panels % n_groups ? 1 : 0);
      groups_.push_back(Group{first, size, first * d * W});
      first += size;
    }
    data_.assign(n_panels * d * W, T(0));
    for (const Group& g : groups_) {
      for (std::size_t q = 0; q < g.n_panels; ++q) {
        for (std::size_t l = 0; l < W; ++l) {
          const std::size_t c = (g.first_panel + q) * W + l;
          if (c >= k) break;
          const T* row = centroids + c * d;
          T* out = data_.data() + g.offset + q * W + l;
          for (std::size_t j = 0; j < d; ++j) out[j * g.n_panels * W] = row[j];
          const double n2 = squared_norm(row, d);
          norms_[c] = static_cast<T>(n2);
          max_norm2_ = std::max(max_norm2_, n2);
        }
      }
    }
  }

  std::size_t k() const noexcept { return k_; }
  std::size_t d() const noexcept { return d_; }
  const std::vector<Group>& groups() const noexcept { return groups_; }
  const T* data(const Group& g) const noexcept { return data_.data() + g.offset; }
  const T* norms(std::size_t panel) const noexcept { return norms_.data() + panel * W; }
  const T* plain() const noexcept { return plain_.data(); }
  double max_norm2() const noexcept { return max_norm2_; }
  /// Few centroids: scored along d from `padded()`, rows of `stride()` (a multiple of W).
  bool along_d() const noexcept { return along_d_; }
  const T* padded() const noexcept { return data_.data(); }
  std::size_t stride() const noexcept { return stride_; }
  /// Whether assign packs the float screen (double only; on by default).
  void set_screening(bool on) noexcept { screening_ = on; }
  /// The last assign packed the screen: rows are scored in float first.
  bool screened() const noexcept { return screened_; }
  const Screen& screen() const noexcept { return screen_; }
  /// The rows of the X this pack is used with, rounded to float (row-major, n x d), and their
  /// squared norms (row_norm2's), for the screen to read instead of rounding each tile and
  /// summing its squares; or null.
  void set_screen_rows(const float* rows, const double* norm2) noexcept {
    screen_rows_ = rows;
    screen_norm2_ = norm2;
  }
  const float* screen_rows() const noexcept { return screen_rows_; }
  const double* screen_norm2() const noexcept { return screen_norm2_; }

 private:
  std::size_t k_ = 0, d_ = 0, stride_ = 0;
  bool along_d_ = false;
  bool screening_ = std::is_same_v<T, double>, screened_ = false;
  Screen screen_;
  std::vector<float> narrowed_;
  const float* screen_rows_ = nullptr;
  const double* screen_norm2_ = nullptr;
  std::vector<Group> groups_;
  std::vector<T, xsimd::aligned_allocator<T>> data_;
  std::vector<T, xsimd::aligned_allocator<T>> norms_;
  std::vector<T> plain_;
  double max_norm2_ = 0.0;
};

/// Per-lane argmin state of one row: lane l has seen centroids pW + l of the panels so far.
template <class T>
struct LaneBest {
  batch<T> best = batch<T>(std::numeric_limits<T>::infinity());
  batch<T> second = batch<T>(std::numeric_limits<T>::infinity());
  batch<T> panel = batch<T>(T(0));  // as T: exact for any panel count below 2^24 (float)

  void offer(const batch<T>& score, T p) noexcept {
    // Strict <: an equal later score never displaces an earlier centroid.
    const auto better = score < best;
    second = xsimd::min(second, xsimd::max(best, score));
    best = xsimd::select(better, score, best);
    panel = xsimd::select(better, batch<T>(p), panel);
  }
};

/// Scores the P panels of group g for R rows and folds them into the rows' LaneBest; with
/// `scores` (one array of padded-k scores per row), stores them there too.
template <std::size_t R, std::size_t P, class T>
inline void scan_group(const T* const* x, const PackedCentroids<T>& pc, const typename PackedCentroids<T>::Group& g,
                       LaneBest<T>* lanes, T* const* scores) noexcept {
  using B = batch<T>;
  constexpr std::size_t W = B::size;
  const std::size_t d = pc.d();
  const T* c = pc.data(g);
  B acc[R][P];
  KMEANS_UNROLL
  for (std::size_t r = 0; r < R; ++r) {
    KMEANS_UNROLL
    for (std::size_t p = 0; p < P; ++p) acc[r][p] = B(T(0));
  }
  for (std::size_t j = 0; j < d; ++j, c += P * W) {
    B cv[P];
    KMEANS_UNROLL
    for (std::size_t p = 0; p < P; ++p) cv[p] = B::load_aligned(c + p * W);
    KMEANS_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      const B xr(x[r][j]);
      KMEANS_UNROLL
      for (std::size_t p = 0; p < P; ++p) acc[r][p] = detail::fma(xr, cv[p], acc[r][p]);
    }
  }
  const B minus_two(T(-2));
  KMEANS_UNROLL
  for (std::size_t p = 0; p < P; ++p) {
    const std::size_t panel = g.first_panel + p;
    const B norms = B::load_aligned(pc.norms(panel));
    KMEANS_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      const B score = detail::fma(acc[r][p], minus_two, norms);
      if (scores) score.store_aligned(scores[r] + panel * W);
      lanes[r].offer(score, static_cast<T>(panel));
    }
  }
}

/// Few centroids: scores R rows against all K centroids along d (R x K accumulators of W
/// partial sums, the last d % W coordinates through a zero-padded copy of each row), reduces
/// each row's K accumulators and its squares (lane_sums' fixed tree) into lanes 0 .. K of one
/// vector and folds lanes 0 .. K-1 into the row's LaneBest as panel 0 (the other lanes score
/// +infinity).
/// Also sums each row's squares in the same loop: its ||x||^2, in T.
template <std::size_t R, std::size_t K, class T>
inline void scan_along_d(const T* const* x, const PackedCentroids<T>& pc, LaneBest<T>* lanes, T* const* scores,
                         double* norm2) noexcept {
  using B = batch<T>;
  constexpr std::size_t W = B::size;
  static_assert(K < W, "along d, the K scores of a row fit one vector");
  const std::size_t d = pc.d(), ld = pc.stride();
  const T* c = pc.padded();
  B acc[R][K], sq[R];
  KMEANS_UNROLL
  for (std::size_t r = 0; r < R; ++r) {
    sq[r] = B(T(0));
    KMEANS_UNROLL
    for (std::size_t q = 0; q < K; ++q) acc[r][q] = B(T(0));
  }
  const auto step = [&](std::size_t j, const B* xv) {
    B cv[K];
    KMEANS_UNROLL
    for (std::size_t q = 0; q < K; ++q) cv[q] = B::load_aligned(c + q * ld + j);
    KMEANS_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      sq[r] = detail::fma(xv[r], xv[r], sq[r]);
      KMEANS_UNROLL
      for (std::size_t q = 0; q < K; ++q) acc[r][q] = detail::fma(xv[r], cv[q], acc[r][q]);
    }
  };
  std::size_t j = 0;
  for (; j + W <= d; j += W) {
    B xv[R];
    KMEANS_UNROLL
    for (std::size_t r = 0; r < R; ++r) xv[r] = B::load_unaligned(x[r] + j);
    step(j, xv);
  }
  if (j < d) {
    alignas(64) T tail[R][W] = {};
    B xv[R];
    KMEANS_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      std::copy(x[r] + j, x[r] + d, tail[r]);
      xv[r] = B::load_aligned(tail[r]);
    }
    step(j, xv);
  }
  // Each row's K dot products and its ||x||^2 reduced together: lanes 0 .. K-1 and K.
  const B minus_two(T(-2)), norms = B::load_aligned(pc.norms(0)), infinity_v(std::numeric_limits<T>::infinity());
  const auto centroid_lane = lane_indices<T>() < B(static_cast<T>(K));
  KMEANS_UNROLL
  for (std::size_t r = 0; r < R; ++r) {
    B v[K + 1];
    KMEANS_UNROLL
    for (std::size_t q = 0; q < K; ++q) v[q] = acc[r][q];
    v[K] = sq[r];
    const B sums = lane_sums<K + 1>(v);
    const B score = xsimd::select(centroid_lane, detail::fma(sums, minus_two, norms), infinity_v);
    if (scores) score.store_aligned(scores[r]);
    lanes[r].offer(score, T(0));
    norm2[r] = static_cast<double>(sums.get(K));
  }
}

/// Whether one pass of scan_along_d<R, K> keeps its R x (K + 1) accumulators, K centroid
/// vectors and a row vector in registers, with two to spare.
template <std::size_t R, std::size_t K>
inline constexpr bool along_d_fits = R*(K + 1) + K + 1 + 2 <= simd_register_count;

/// The most bytes of centroids that scan_along_d_rows reads once per pass (they stay in L1).
inline constexpr std::size_t along_d_split_bytes = std::size_t{16} << 10;

/// scan_along_d over R rows, in passes of as many rows as fit the registers (at K = 5 with
/// 32 registers, 3 rows then 2: five rows at once spilled ten accumulators to the stack, a
/// load and a store per step each), when the centroids are small enough to be read again
/// from L1; longer ones come from L2, and reading them twice cost more than the spills.
template <std::size_t R, std::size_t K, class T>
inline void scan_along_d_rows(const T* const* x, const PackedCentroids<T>& pc, LaneBest<T>* lanes, T* const* scores,
                              double* norm2) noexcept {
  if constexpr (R == 1 || along_d_fits<R, K>) {
    scan_along_d<R, K>(x, pc, lanes, scores, norm2);
  } else {
    if (K * pc.stride() * sizeof(T) > along_d_split_bytes) {
      scan_along_d<R, K>(x, pc, lanes, scores, norm2);
      return;
    }
    constexpr std::size_t H = (R + 1) / 2;
    scan_along_d_rows<H, K>(x, pc, lanes, scores, norm2);
    scan_along_d_rows<R - H, K>(x + H, pc, lanes + H, scores ? scores + H : nullptr, norm2 + H);
  }
}

/// Scores R rows against every centroid. Along d, also writes the rows' ||x||^2 (in T, which
/// the error bound covers as well) to norm2 and returns true; with panels, returns false.
template <std::size_t R, class T>
inline bool scan_all_groups(const T* const* x, const PackedCentroids<T>& pc, LaneBest<T>* lanes, T* const* scores,
                            double* norm2) noexcept {
  static_assert(tile_panels == 2 || tile_panels == 4, "scan_all_groups dispatches 1 to 4 panels");
  static_assert(small_k_max == 2 || small_k_max == 5, "scan_all_groups dispatches 1 to small_k_max centroids");
  if (pc.along_d()) {
    // k < W and k <= small_k_max (PackedCentroids::assign): the other cases are not reached.
    constexpr std::size_t W = simd_width<T>;
    switch (pc.k()) {
      case 1: scan_along_d_rows<R, 1>(x, pc, lanes, scores, norm2); break;
      case 2:
        if constexpr (W > 2) scan_along_d_rows<R, 2>(x, pc, lanes, scores, norm2);
        break;
      case 3:
        if constexpr (small_k_max >= 3 && W > 3) scan_along_d_rows<R, 3>(x, pc, lanes, scores, norm2);
        break;
      case 4:
        if constexpr (small_k_max >= 4 && W > 4) scan_along_d_rows<R, 4>(x, pc, lanes, scores, norm2);
        break;
      default:
        if constexpr (small_k_max >= 5 && W > 5) scan_along_d_rows<R, 5>(x, pc, lanes, scores, norm2);
        break;
    }
    return true;
  }
  for (const auto& g : pc.groups()) {
    switch (g.n_panels) {
      case 1: scan_group<R, 1>(x, pc, g, lanes, scores); break;
      case 2: scan_group<R, 2>(x, pc, g, lanes, scores); break;
      case 3:
        if constexpr (tile_panels >= 3) scan_group<R, 3>(x, pc, g, lanes, scores);
        break;
      default:
        if constexpr (tile_panels >= 4) scan_group<R, 4>(x, pc, g, lanes, scores);
        break;
    }
  }
  return false;
}

/// The minimum of W values, as a balanced tree.
template <std::size_t W, class T>
inline T lane_min(T (&v)[W]) noexcept {
  T m[W];
  std::copy(v, v + W, m);
  for (std::size_t width = W / 2; width > 0; width /= 2)
    for (std::size_t l = 0; l < width; ++l) m[l] = std::min(m[l], m[l + width]);
  return m[0];
}

/// ||x||^2 in double for the kernel's error bound, vectors of doubles at a time (four
/// accumulators, as FMA latency needs on long rows; then single vectors; then a scalar tail
/// of fewer than one vector). The order of additions depends on d and the vector width; any
/// order serves, since the bound covers the rounding of this sum many times over. (lane_sum
/// in distance.hpp, which fixes the order for every instruction set, ends short rows with a
/// long scalar chain, a visible share of the kernel's time at d = 50.)
template <class T>
inline double row_norm2(const T* x, std::size_t d) noexcept {
  using D = batch<double>;
  constexpr std::size_t V = D::size;
  D acc[4] = {D(0.0), D(0.0), D(0.0), D(0.0)};
  std::size_t j = 0;
  for (; j + 4 * V <= d; j += 4 * V) {
    KMEANS_UNROLL
    for (std::size_t a = 0; a < 4; ++a) {
      const D v = load_as_double(x + j + a * V);
      acc[a] = detail::fma(v, v, acc[a]);
    }
  }
  for (; j + V <= d; j += V) {
    const D v = load_as_double(x + j);
    acc[0] = detail::fma(v, v, acc[0]);
  }
  double tail = 0.0;
  for (; j < d; ++j) tail += static_cast<double>(x[j]) * static_cast<double>(x[j]);
  return xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail;
}

/// Lanes l and l ^ H of v exchanged.
template <std::size_t H, class T, std::size_t... L>
inline batch<T> exchange_lanes(const batch<T>& v, std::index_sequence<L...>) noexcept {
  using U = xsimd::as_unsigned_integer_t<T>;
  return xsimd::swizzle(v, xsimd::batch_constant<xsimd::batch<U>, static_cast<U>(L ^ H)...>());
}

/// The minimum of v's lanes, in every lane (a butterfly of log2 W exchanges). With AVX-512
/// the exchanges within 128 bits are in-lane permutes (1 cycle, where xsimd's swizzle is a
/// 3-cycle full permute with its index vector loaded each time).
template <class T, std::size_t H = simd_width<T> / 2>
inline batch<T> all_lanes_min(const batch<T>& v) noexcept {
#if XSIMD_WITH_AVX512F
  batch<T> m = xsimd::min(v, pick_chunks<0x4E>(v, v));  // 256-bit halves
  m = xsimd::min(m, pick_chunks<0xB1>(m, m));           // 128-bit chunks
  if constexpr (std::is_same_v<T, double>) {
    return xsimd::min(m, batch<T>(_mm512_permute_pd(m, 0x55)));  // neighbours
  } else {
    m = xsimd::min(m, batch<T>(_mm512_permute_ps(m, 0x4E)));  // pairs within a chunk
    return xsimd::min(m, batch<T>(_mm512_permute_ps(m, 0xB1)));
  }
#else
  if constexpr (H == 0) {
    return v;
  } else {
    return all_lanes_min<T, H / 2>(xsimd::min(v, exchange_lanes<H>(v, std::make_index_sequence<simd_width<T>>())));
  }
#endif
}

/// A row's scores ||c||^2 - 2 x.c for every centroid c (as the kernel computed them), and
/// what turns one into a lower bound on a squared distance, max(0, score - slack + ||x||^2),
/// or an upper bound, score + slack + ||x||^2.
template <class T>
struct RowScores {
  const T* score = nullptr;  // k (padded)
  double norm2 = 0;          // ||x||^2
  double slack = 0;          // bounds the rounding of a score and of norm2 (infinity: unusable)

  bool usable() const noexcept { return slack < std::numeric_limits<double>::infinity(); }
  /// An upper bound on the distance to centroid c (usable() only).
  double upper_distance(std::size_t c) const noexcept {
    return std::sqrt(std::max(0.0, static_cast<double>(score[c]) + slack + norm2));
  }
  /// A lower bound on the distance to a centroid whose score is `s` (usable() only).
  double lower_distance(double s) const noexcept { return std::sqrt(std::max(0.0, s - slack + norm2)); }
};

/// One row's argmin across the lanes of its LaneBest: the lowest score; among lanes that have
/// it, the lowest panel, then the lowest lane (the lowest label); then the runner-up: the chosen
/// lane's second best or any other lane's best (second >= best in every lane).
struct RowBest {
  std::size_t label;
  double top, runner_up;
};

template <class T>
inline RowBest reduce_lanes(const LaneBest<T>& lb) noexcept {
  constexpr std::size_t W = simd_width<T>;
  const batch<T> lane_index = lane_indices<T>();
  const batch<T> infinity_v(std::numeric_limits<T>::infinity());
  const batch<T> top_v = all_lanes_min(lb.best);
  auto chosen = lb.best == top_v;
  const unsigned tied = lane_bits(chosen);
  std::size_t label;
  // Usually one lane has the lowest score, and its bit says which (two butterflies fewer).
  if (tied != 0 && (tied & (tied - 1)) == 0) {
    const std::size_t lane = lowest_bit(tied);
    label = static_cast<std::size_t>(lb.panel.get(lane)) * W + lane;
  } else {
    const batch<T> panel_v = all_lanes_min(xsimd::select(chosen, lb.panel, infinity_v));
    const batch<T> lane_v = all_lanes_min(xsimd::select(chosen && lb.panel == panel_v, lane_index, infinity_v));
    chosen = lane_index == lane_v;
    label = static_cast<std::size_t>(panel_v.get(0)) * W + static_cast<std::size_t>(lane_v.get(0));
  }
  const batch<T> runner_v = all_lanes_min(xsimd::select(chosen, lb.second, lb.best));
  return {label, static_cast<double>(top_v.get(0)), static_cast<double>(runner_v.get(0))};
}

/// The kernel over `count` rows of X, the t-th being row_at(t). For each, in order, calls
/// on_row(i, label) or, if on_row takes a third argument, on_row(i, label, second): second is
/// a lower bound on the squared distance to the second-nearest centroid (exact up to double
/// rounding; infinity when k = 1), for the bounded algorithms; or, with a fourth argument,
/// on_row(i, label, second, RowScores) with the row's scores for every centroid too.
/// Double rows go through the float screen first when pc packed one (mixed_precision.hpp);
/// the rows it settles keep its label, the others are scored here in double.
template <class T, class RowAt, class OnRow>
void assign_rows_at(Matrix<const T> X, std::size_t count, RowAt&& row_at, const PackedCentroids<T>& pc,
                    OnRow&& on_row) {
  constexpr bool wants_scores = std::is_invocable_v<OnRow&, std::size_t, std::int32_t, double, const RowScores<T>&>;
  constexpr bool wants_second = wants_scores || std::is_invocable_v<OnRow&, std::size_t, std::int32_t, double>;
  constexpr bool can_screen = std::is_same_v<T, double>;
  constexpr std::size_t W = simd_width<T>;
  constexpr std::size_t R = tile_rows;
  const std::size_t d = pc.d();
  const double error_factor = ScreenBound::kernel_error_factor<T>(d);
  const double error_floor = ScreenBound::kernel_error_floor<T>(d);
  const double overflow = 0.5 * static_cast<double>(std::numeric_limits<T>::max());
  const ScreenBound screen_bound(d);
  const bool screened = pc.screened();

  const std::size_t padded = (pc.k() + W - 1) / W * W;
  std::vector<T, xsimd::aligned_allocator<T>> score_rows(wants_scores ? R * padded : 0);
  T* scores[R];
  for (std::size_t r = 0; r < R; ++r) scores[r] = wants_scores ? score_rows.data() + r * padded : nullptr;
  // The screen's rows in float, and their float scores.
  constexpr std::size_t WF = simd_width<float>;
  const std::size_t padded_f = (pc.k() + WF - 1) / WF * WF;
  const float* screen_rows = pc.screen_rows();
  std::vector<float, xsimd::aligned_allocator<float>> narrow_rows(screened && !screen_rows ? R * d : 0);
  std::vector<float, xsimd::aligned_allocator<float>> narrow_scores(screened && wants_scores ? R * padded_f : 0);
  const float* narrow_x[R];
  float* narrow_score[R];
  for (std::size_t r = 0; r < R; ++r)
    narrow_score[r] = screened && wants_scores ? narrow_scores.data() + r * padded_f : nullptr;
  const bool prefetch_rows = R * d * sizeof(T) <= prefetch_tile_bytes;
  for (std::size_t t = 0; t < count; t += R) {
    const std::size_t rows = std::min(R, count - t);
    // A short last tile repeats its last row: rows never interact, so the extra work is
    // thrown away and changes nothing.
    std::size_t index[R];
    const T* x[R];
    KMEANS_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      index[r] = row_at(t + std::min(r, rows - 1));
      x[r] = X.row(index[r]);
    }
    // The next tile's rows, fetched while this tile is scored (short rows only: long ones
    // would push this tile's out of L1, and the hardware streams them well by itself).
    if (prefetch_rows)
      for (std::size_t r = t + R; r < std::min(count, t + 2 * R); ++r) prefetch(X.row(row_at(r)), d);
    std::size_t label[R];
    double second_distance[R];
    RowScores<T> row_scores[R];
    double row_norm[R];  // the screen's ||x||^2 (row_norm2's bits), reused for the rows it leaves open
    // The rows [0, rows) not settled by the screen, to score in T.
    std::size_t open[R];
    std::size_t n_open = 0;
    if constexpr (can_screen) {
      if (screened) {
        for (std::size_t r = 0; r < R; ++r) {
          if (screen_rows) {
            narrow_x[r] = screen_rows + index[r] * d;
          } else {
            narrow_row(x[r], narrow_rows.data() + r * d, d);
            narrow_x[r] = narrow_rows.data() + r * d;
          }
        }
        LaneBest<float> lanes[R];
        double unused_norm2[R];
        scan_all_groups<R>(narrow_x, pc.screen(), lanes, wants_scores ? narrow_score : nullptr, unused_norm2);
        for (std::size_t r = 0; r < rows; ++r) {
          const RowBest b = reduce_lanes(lanes[r]);
          const double norm2 = row_norm[r] = screen_rows ? pc.screen_norm2()[index[r]] : row_norm2(x[r], d);
          const double reach2 = 2.0 * (norm2 + pc.max_norm2());
          if (!(ScreenBound::in_range(reach2) && b.runner_up - b.top > screen_bound.settling_gap(reach2))) {
            open[n_open++] = r;
            continue;
          }
          label[r] = b.label;
          second_distance[r] = std::numeric_limits<double>::infinity();
          row_scores[r] = RowScores<T>{scores[r], 0.0, std::numeric_limits<double>::infinity()};
          if constexpr (wants_second) {
            const double slack = 2.0 * screen_bound.score_error(reach2);  // a float score's error, and norm2's
            second_distance[r] = std::max(0.0, b.runner_up - slack + norm2);
            if constexpr (wants_scores) {
              std::copy_n(narrow_score[r], pc.k(), scores[r]);
              row_scores[r].norm2 = norm2;
              row_scores[r].slack = slack;
            }
          }
        }
      }
    }
    if (!screened)
      for (std::size_t r = 0; r < rows; ++r) open[n_open++] = r;
    if (n_open > 0) {
      // The open rows as one tile (its short end repeating the last open row).
      const T* xo[R];
      T* so[R];
      for (std::size_t q = 0; q < R; ++q) {
        const std::size_t r = open[std::min(q, n_open - 1)];
        xo[q] = x[r];
        so[q] = scores[r];
      }
      LaneBest<T> lanes[R];
      double tile_norm2[R];
      const bool have_norm2 = scan_all_groups<R>(xo, pc, lanes, wants_scores ? so : nullptr, tile_norm2);
      for (std::size_t q = 0; q < n_open; ++q) {
        const std::size_t r = open[q];
        const RowBest b = reduce_lanes(lanes[q]);
        label[r] = b.label;
        second_distance[r] = std::numeric_limits<double>::infinity();
        row_scores[r] = RowScores<T>{scores[r], 0.0, std::numeric_limits<double>::infinity()};
        if (pc.k() > 1) {
          // (||x|| + max||c||)^2 <= 2 ||x||^2 + 2 max||c||^2: no square root per row.
          const double norm2 = have_norm2 ? tile_norm2[q] : screened ? row_norm[r] : row_norm2(x[r], d);
          const double reach2 = 2.0 * (norm2 + pc.max_norm2());
          const double bound = error_factor * reach2 + error_floor;
          const double gap = b.runner_up - b.top;
          if (!(gap > 2.0 * bound) || !(reach2 < overflow)) {
            const Nearest exact = nearest_exact(x[r], pc.plain(), pc.k(), d, d);
            label[r] = static_cast<std::size_t>(exact.label);
            second_distance[r] = exact.second;
          } else if constexpr (wants_second) {
            // Every true score is within `bound` of its computed one, distance^2 = score + ||x||^2,
            // and a second `bound` covers the rounding of ||x||^2 (bound exceeds its error).
            second_distance[r] = std::max(0.0, b.runner_up - 2.0 * bound + norm2);
            row_scores[r].norm2 = norm2;
            row_scores[r].slack = 2.0 * bound;
          }
        }
      }
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const auto l = static_cast<std::int32_t>(label[r]);
      if constexpr (wants_scores)
        on_row(index[r], l, second_distance[r], row_scores[r]);
      else if constexpr (wants_second)
        on_row(index[r], l, second_distance[r]);
      else
        on_row(index[r], l);
    }
  }
}

/// For every row i in [begin, end) of X, calls on_row(i, label) with the index of its nearest
/// centroid (lowest index on exact ties), in ascending i.
template <class T, class OnRow>
void assign_rows(Matrix<const T> X, std::size_t begin, std::size_t end, const PackedCentroids<T>& pc, OnRow&& on_row) {
  assign_rows_at(
      X, end - begin, [begin](std::size_t t) { return begin + t; }, pc, on_row);
}

}  // namespace kmeans::detail

KMEANS_SIMD_END
