#pragma once
// The hand-over from the initialisation to the first pass of the iteration.

#include <cstdint>
#include <vector>

namespace kmeans::detail {

/// What an initialisation can leave the first pass of a fit, so that it need not score every
/// row: each row's label (its nearest centroid by squared_distance, the lowest index among
/// equals: the labels the kernel gives) and, where `bounds` asks for them (Hamerly), `upper`
/// its distance to it (the square root of that squared_distance) and `lower` a lower bound on
/// its distance to every other centroid.
struct SeededRows {
  bool bounds = false;
  std::vector<std::int32_t> labels;
  std::vector<double> upper, lower;
};

/// What an algorithm takes from SeededRows (the fit asks the initialisation for it).
enum class SeedUse {
  none,               ///< nothing: its first pass scores every row
  labels,             ///< the labels: its first pass only sums the rows (Lloyd)
  labels_and_bounds,  ///< the labels and Hamerly's bounds: its first pass skips the rows they settle
};

}  // namespace kmeans::detail
