#pragma once
// One-off passes over the data a fit needs before it starts: finiteness and magnitude, and
// the mean per-feature variance that scales tol.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "../matrix.hpp"
#include "blocks.hpp"
#include "distance.hpp"
#include "error.hpp"
#include "simd.hpp"

KMEANS_SIMD_BEGIN

namespace kmeans::detail {

/// The largest squared row norm a fit over n rows accepts: every squared distance between
/// rows and centroids (means of rows) is at most 4 times it, so sums of n of them (inertia,
/// k-means++ potentials, variances) stay finite in double, with a factor 2 to spare.
inline double squared_norm_limit(std::size_t n) noexcept {
  return std::numeric_limits<double>::max() / (8.0 * static_cast<double>(std::max<std::size_t>(n, 1)));
}

/// Whether every value in rows [begin, end) of X is at most `bound` in magnitude (NaN is not).
/// Four vectors of running maxima of |x| and of sums of x (NaN, which max may drop, stays in a
/// sum), so that no step waits on the one before.
template <class T>
bool all_within(Matrix<const T> X, std::size_t begin, std::size_t end, double bound) noexcept {
  using D = batch<double>;
  constexpr std::size_t W = D::size, A = 4;
  const std::size_t d = X.cols();
  D peak[A], sum[A];
  KMEANS_UNROLL
  for (std::size_t a = 0; a < A; ++a) peak[a] = sum[a] = D(0.0);
  double tail_peak = 0.0, tail_sum = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    const T* row = X.row(i);
    std::size_t j = 0;
    for (; j + A * W <= d; j += A * W) {
      KMEANS_UNROLL
      for (std::size_t a = 0; a < A; ++a) {
        const D v = load_as_double(row + j + a * W);
        peak[a] = xsimd::max(peak[a], xsimd::abs(v));
        sum[a] += v;
      }
    }
    for (; j < d; ++j) {
      const auto v = static_cast<double>(row[j]);
      tail_peak = std::max(tail_peak, std::abs(v));
      tail_sum += v;
    }
  }
  KMEANS_UNROLL
  for (std::size_t a = 1; a < A; ++a) {
    peak[0] = xsimd::max(peak[0], peak[a]);
    sum[0] += sum[a];
  }
  // A non-finite value leaves a non-finite sum (as may huge finite ones: then the caller sums
  // the rows' squares, which is only slower).
  return xsimd::all(peak[0] <= D(bound)) && tail_peak <= bound && std::isfinite(xsimd::hadd(sum[0])) &&
         std::isfinite(tail_sum);
}

/// The magnitude below which d values keep a row's squared norm below `limit`
/// (squared_norm_limit), computed ones too: their roundings, a relative (d + 2) 2^-53 at most,
/// stay inside the slack for any d below 2^30.
inline double value_bound(std::size_t d, double limit) noexcept {
  return std::sqrt(limit / (static_cast<double>(d) * (1.0 + 0x1p-16)));
}

/// The first row of X in [begin, end) whose squared norm is not within `limit` (a NaN or
/// infinity fails too), or `end`: one sum of squares per row.
template <class T>
std::size_t first_row_past(Matrix<const T> X, std::size_t begin, std::size_t end, double limit) noexcept {
  for (std::size_t i = begin; i < end; ++i)
    if (!(squared_norm(X.row(i), X.cols()) <= limit)) return i;  // NaN fails too
  return end;
}

/// The first row of X in [begin, end) that holds a NaN or infinity or whose squared norm
/// exceeds `limit`, or `end`. A block whose values are all within value_bound is settled by
/// one vector comparison per value; only a block that fails it is summed row by row.
template <class T>
std::size_t first_unusable_row(Matrix<const T> X, std::size_t begin, std::size_t end, double limit) noexcept {
  if (all_within(X, begin, end, value_bound(X.cols(), limit))) return end;
  return first_row_past(X, begin, end, limit);
}

/// A block's first unusable row when it has none.
inline constexpr std::size_t no_row = static_cast<std::size_t>(-1);

/// Throws std::invalid_argument for the rows first_unusable_row found (no_row where a block
/// has none): the first of them, with its non-finite value and column or its squared norm.
template <class T>
void throw_if_unusable(Matrix<const T> X, const std::vector<std::size_t>& first_bad, const char* name,
                       std::size_t n_rows) {
  const double limit = squared_norm_limit(n_rows);
  for (const std::size_t i : first_bad) {
    if (i == no_row) continue;
    for (std::size_t j = 0; j < X.cols(); ++j)
      if (!std::isfinite(X(i, j)))
        throw_invalid_argument(name, std::isnan(X(i, j)) ? " has a NaN" : " has an infinity (inf)", " at row ", i,
                               ", column ", j);
    throw_invalid_argument(name, " row ", i, " is too large: its squared norm ", squared_norm(X.row(i), X.cols()),
                           " exceeds ", limit, ", past which sums of squared distances over ", n_rows,
                           " rows could overflow double");
  }
}

/// Throws std::invalid_argument naming the first row of X that holds a NaN or infinity (and
/// its column), or whose squared norm exceeds squared_norm_limit(n_rows). Float data never
/// reaches the limit; double data reaches it near |x| ~ 1e150.
template <class T>
void require_usable(ThreadPool& pool, Matrix<const T> X, const char* name, std::size_t n_rows) {
  const double limit = squared_norm_limit(n_rows);
  std::vector<std::size_t> first_bad(block_count(X.rows()), no_row);
  for_blocks(pool, X.rows(), [&](std::size_t b, std::size_t begin, std::size_t end) {
    const std::size_t i = first_unusable_row(X, begin, end, limit);
    if (i != end) first_bad[b] = i;
  });
  throw_if_unusable(X, first_bad, name, n_rows);
}

/// The rows of X, contiguous (stride dropped).
template <class T>
std::vector<T> copy_rows(Matrix<const T> X) {
  std::vector<T> out(X.rows() * X.cols());
  for (std::size_t i = 0; i < X.rows(); ++i) std::copy_n(X.row(i), X.cols(), out.data() + i * X.cols());
  return out;
}

/// Row i of X scaled to unit length into out (d values): each value over the row's norm,
/// both in double, rounded to T. Returns false for a row of zeros (no direction).
template <class T>
bool unit_row(const T* x, std::size_t d, T* out) {
  double sum = 0.0;
  for (std::size_t j = 0; j < d; ++j) sum += static_cast<double>(x[j]) * static_cast<double>(x[j]);
  if (!(sum > 0)) return false;
  const double norm = std::sqrt(sum);
  for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<T>(static_cast<double>(x[j]) / norm);
  return true;
}

/// The rows of X scaled to unit length (Metric::cosine), contiguous; throws
/// std::invalid_argument naming the first row of zeros. (Checked for NaN and infinity first:
/// the norm of such a row is not a length.)
template <class T>
std::vector<T> unit_rows(ThreadPool& pool, Matrix<const T> X, const char* name) {
  require_usable(pool, X, name, X.rows());
  const std::size_t d = X.cols();
  std::vector<T> out(X.rows() * d);
  std::vector<std::size_t> first_zero(block_count(X.rows()), no_row);
  for_blocks(pool, X.rows(), [&](std::size_t b, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      if (!unit_row(X.row(i), d, out.data() + i * d) && first_zero[b] == no_row) first_zero[b] = i;
  });
  for (const std::size_t i : first_zero)
    if (i != no_row)
      throw_invalid_argument(name, " row ", i, " is all zeros: the cosine metric needs rows of nonzero length");
  return out;
}

/// Per-column count, mean and sum of squared deviations from the mean, in double.
struct Moments {
  double count = 0;
  std::vector<double> mean, m2;

  explicit Moments(std::size_t d = 0) : mean(d, 0.0), m2(d, 0.0) {}

  /// Folds in the moments of other rows (Chan et al.): data far from the origin loses nothing
  /// to cancellation.
  void add(const Moments& other) {
    if (other.count == 0) return;
    const double total = count + other.count;
    for (std::size_t j = 0; j < mean.size(); ++j) {
      const double delta = other.mean[j] - mean[j];
      mean[j] += delta * (other.count / total);
      m2[j] += other.m2[j] + delta * delta * (count * other.count / total);
    }
    count = total;
  }

  /// Mean over features of the population variance of each column.
  double mean_variance() const {
    double sum = 0;
    for (const double v : m2) sum += v / count;
    return sum / static_cast<double>(m2.size());
  }
};

/// The mean and the sum of squared deviations of columns j .. j + A W - 1 over rows [begin,
/// end) into s: rows innermost, so each column's sums stay in a register (summed row by row
/// into memory, each row waited on the previous row's stores). `peak` takes the largest |x|
/// too, in the loop that forms the sums (the data check's comparison, without a pass of its
/// own: that pass was a third of the check and variance's time at 3000 x 100).
template <std::size_t A, class T>
void block_moments(Matrix<const T> X, std::size_t begin, std::size_t end, std::size_t j, Moments& s,
                   batch<double>& peak) {
  using D = batch<double>;
  constexpr std::size_t W = D::size;
  D acc[A], top[A];
  KMEANS_UNROLL
  for (std::size_t a = 0; a < A; ++a) acc[a] = top[a] = D(0.0);
  for (std::size_t i = begin; i < end; ++i) {
    KMEANS_UNROLL
    for (std::size_t a = 0; a < A; ++a) {
      const D v = load_as_double(X.row(i) + j + a * W);
      acc[a] += v;
      top[a] = xsimd::max(top[a], xsimd::abs(v));
    }
  }
  D mean[A];
  KMEANS_UNROLL
  for (std::size_t a = 0; a < A; ++a) {
    peak = xsimd::max(peak, top[a]);
    mean[a] = acc[a] / D(s.count);
    mean[a].store_unaligned(s.mean.data() + j + a * W);
    acc[a] = D(0.0);
  }
  for (std::size_t i = begin; i < end; ++i) {
    KMEANS_UNROLL
    for (std::size_t a = 0; a < A; ++a) {
      const D t = load_as_double(X.row(i) + j + a * W) - mean[a];
      acc[a] = fma(t, t, acc[a]);
    }
  }
  KMEANS_UNROLL
  for (std::size_t a = 0; a < A; ++a) acc[a].store_unaligned(s.m2.data() + j + a * W);
}

/// The moments of X's columns. Per-block moments are combined in block order, so the result
/// is thread-count independent. With `usable_name`, also does what require_usable(pool, X,
/// usable_name, X.rows()) does, in the same pass over the data: a block whose values are all
/// within value_bound (the largest |x| the sums' loop found) and whose column sums are finite
/// (a NaN, which max may drop, stays in a sum) is usable, as all_within settles it; any other
/// is summed row by row.
template <class T>
Moments column_moments(ThreadPool& pool, Matrix<const T> X, const char* usable_name = nullptr) {
  using D = batch<double>;
  const std::size_t d = X.cols();
  const double limit = squared_norm_limit(X.rows()), bound = value_bound(d, limit);
  std::vector<std::size_t> first_bad(usable_name ? block_count(X.rows()) : 0, no_row);
  std::vector<Moments> slots(slot_count(pool.size(), block_count(X.rows()), 16 * d), Moments(d));
  Moments all(d);
  for_blocks_ordered(
      pool, X.rows(), slots,
      [&](Moments& s, std::size_t begin, std::size_t end) {
        s.count = static_cast<double>(end - begin);
        D peak(0.0);
        double tail_peak = 0.0;
        // As many columns at once as their sums and means fit the registers: each row adds
        // one vector per accumulator, and the adds wait on the previous row's (4 cycles).
        constexpr std::size_t wide = simd_register_count >= 32 ? 12 : 4;
        std::size_t j = 0;
        for (; j + wide * simd_width<double> <= d; j += wide * simd_width<double>)
          block_moments<wide>(X, begin, end, j, s, peak);
        for (; j + 4 * simd_width<double> <= d; j += 4 * simd_width<double>)
          block_moments<4>(X, begin, end, j, s, peak);
        for (; j + simd_width<double> <= d; j += simd_width<double>) block_moments<1>(X, begin, end, j, s, peak);
        // The last columns as one more vector of the last W columns (some done again, with the
        // same additions per column, so the same values) where d allows; else one by one.
        if (j < d && d >= simd_width<double>) block_moments<1>(X, begin, end, d - simd_width<double>, s, peak);
        for (; j < d && d < simd_width<double>; ++j) {
          double sum = 0.0, m2 = 0.0;
          for (std::size_t i = begin; i < end; ++i) {
            sum += static_cast<double>(X(i, j));
            tail_peak = std::max(tail_peak, std::abs(static_cast<double>(X(i, j))));
          }
          s.mean[j] = sum / s.count;
          for (std::size_t i = begin; i < end; ++i) {
            const double t = static_cast<double>(X(i, j)) - s.mean[j];
            m2 = add_square(m2, t);
          }
          s.m2[j] = m2;
        }
        if (usable_name) {
          bool settled = xsimd::all(peak <= D(bound)) && tail_peak <= bound;
          for (std::size_t c = 0; c < d; ++c) settled = settled && std::isfinite(s.mean[c]);
          const std::size_t i = settled ? end : first_row_past(X, begin, end, limit);
          if (i != end) first_bad[begin / block_rows] = i;
        }
      },
      [&](const Moments& s, std::size_t) { all.add(s); });
  if (usable_name) throw_if_unusable(X, first_bad, usable_name, X.rows());
  return all;
}

/// Mean over features of the population variance of each column of X, in double; with
/// `usable_name`, checks X as require_usable does, in the same pass.
template <class T>
double mean_variance(ThreadPool& pool, Matrix<const T> X, const char* usable_name = nullptr) {
  return column_moments(pool, X, usable_name).mean_variance();
}

/// What a fit needs of X before it starts: the check of require_usable(pool, X, "X",
/// X.rows()) and, where tol > 0 can stop the fit, tol times X's mean per-feature variance
/// (else 0), both from one pass over X.
template <class T>
double check_and_scale_tol(ThreadPool& pool, Matrix<const T> X, double tol) {
  if (!(tol > 0)) {
    require_usable(pool, X, "X", X.rows());
    return 0.0;
  }
  return tol * mean_variance(pool, X, "X");
}

}  // namespace kmeans::detail

KMEANS_SIMD_END
