#pragma once
// Mixed-precision screening: float64 rows scored first in float32, at twice the vector width,
// against a float32 copy of the centroids. A row whose float32 best and second-best scores are
// further apart than a rigorous bound on their error keeps the float32 label: it is then the
// true nearest centroid, and the one the float64 kernel would give. The other rows are scored
// again in float64 (and, where that cannot settle them either, by direct sums: kernel.hpp).
//
// The bound. Let x' and c' be x and c rounded to float (|x'_j - x_j| <= u |x_j| + t, u = 2^-24,
// t the smallest normal float, covering flush-to-zero). The float kernel computes
// ||c'||^2 - 2 x'.c' with the kernel's own error bound (kernel.hpp) at reach r'^2 <= (1 + u)^2
// r^2 + (terms in t), r^2 = 2 ||x||^2 + 2 max||c||^2; the rounding of the inputs moves the
// score by at most (2u + u^2)(2 ||x|| ||c|| + ||c||^2) + (terms in t) <= (2u + u^2) r^2 + 8 t
// (d + r^2 + 1). A float32 label is kept when the gap exceeds twice that total plus eight times
// the float64 kernel's own bound: the true gap then exceeds four float64 bounds, so the float64
// kernel would have settled the row on the same centroid (its computed gap exceeds two of its
// bounds), never taking its direct-sum path, whose tie rule could differ.

#include <cmath>
#include <cstddef>
#include <limits>

namespace kmeans::detail {

/// The smallest k scored in float32 first (below it the float64 kernel is memory-bound and
/// the conversion of each row would cost more than it saves; bench/README.md).
inline constexpr std::size_t screen_min_k = 8;

/// A fit keeps X rounded to float (n d 4 bytes) up to this size; larger X is rounded a tile
/// of rows at a time as it is scored, every pass.
inline constexpr std::size_t screen_rows_max_bytes = std::size_t{1} << 30;

/// The error bounds of the kernel at float32 and float64, for rows of d coordinates.
class ScreenBound {
 public:
  explicit ScreenBound(std::size_t d) noexcept
      : factor32_(kernel_error_factor<float>(d)),
        factor64_(kernel_error_factor<double>(d)),
        floor32_(kernel_error_floor<float>(d)),
        floor64_(kernel_error_floor<double>(d)),
        d_(static_cast<double>(d)) {}

  /// The kernel's bound on the error of one T score at reach r^2 (kernel.hpp, assign_rows_at).
  template <class T>
  static double kernel_error_factor(std::size_t d) noexcept {
    constexpr double u = std::numeric_limits<T>::epsilon() / 2;
    const double m = static_cast<double>(d + 2);
    return 2.0 * (m * u / (1.0 - m * u) + u);
  }
  template <class T>
  static double kernel_error_floor(std::size_t d) noexcept {
    return 2.0 * (static_cast<double>(d) + 3.0) * static_cast<double>(std::numeric_limits<T>::min());
  }

  /// The bound on a float32 score's error from the true score of x and c, with reach2 =
  /// 2 ||x||^2 + 2 max||c||^2 (computed in double: the factor 1 + 2^-20 covers its rounding).
  double score_error(double reach2) const noexcept {
    constexpr double u = std::numeric_limits<float>::epsilon() / 2;
    constexpr double t = std::numeric_limits<float>::min();
    const double r2 = reach2 * (1.0 + 0x1p-20);
    return factor32_ * r2 * (1.0 + 4.0 * u) + floor32_ + (2.0 * u + u * u) * r2 + 8.0 * t * (d_ + r2 + 1.0);
  }

  /// The gap between the float32 best and second-best scores that settles a row.
  double settling_gap(double reach2) const noexcept {
    return 2.0 * score_error(reach2) + 8.0 * (factor64_ * reach2 * (1.0 + 0x1p-20) + floor64_);
  }

  /// Rows whose scores could overflow float (or whose values did) are not screened.
  static bool in_range(double reach2) noexcept { return reach2 < 0.25 * std::numeric_limits<float>::max(); }

 private:
  double factor32_, factor64_, floor32_, floor64_, d_;
};

}  // namespace kmeans::detail
