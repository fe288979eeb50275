#pragma once
// The block labelling Hamerly and Yinyang share: their bounds screen the rows, and the rows
// the bounds leave open are scored against every centroid by Lloyd's kernel, which also gives
// their new bounds.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "algorithm.hpp"
#include "geometry.hpp"
#include "kernel.hpp"

namespace kmeans::detail {

/// Labels the block's rows: those whose bounds (moved by the last update, then tightened by one
/// direct distance) settle their label keep it; the rest go through the kernel. Bounds:
/// HamerlyBounds or YinyangBounds.
template <class T, class Bounds>
void label_screened_rows(Bounds& bounds, const CentroidGeometry& g, BlockLabelling<T>& b) {
  const auto distance_to = [&](std::size_t i, std::size_t c) { return std::sqrt(b.squared_distance_to(i, c)); };
  // The rows the bounds leave open, then those still open after one direct distance: each
  // list written without a branch per row (which rows settle is data, not a pattern).
  std::vector<std::size_t>& scan = b.slot.scan;
  scan.resize(b.end - b.begin);
  std::size_t open = 0;
  for (std::size_t i = b.begin; i < b.end; ++i) {
    scan[open] = i;
    open += b.bounds_empty || !bounds.still_nearest(i, static_cast<std::size_t>(b.labels[i]), g);
  }
  if (!b.bounds_empty) {
    b.slot.evaluations += open;
    std::size_t still_open = 0;
    for (std::size_t t = 0; t < open; ++t) {
      const std::size_t i = scan[t];
      const auto a = static_cast<std::size_t>(b.labels[i]);
      scan[still_open] = i;
      still_open += !bounds.tightened_still_nearest(i, a, distance_to(i, a), g);
    }
    open = still_open;
  }
  scan.resize(open);
  const auto relabel = [&](std::size_t i, std::int32_t label) {
    b.relabel(i, label);
    return static_cast<std::size_t>(label);
  };
  const auto open_row = [&](std::size_t t) { return scan[t]; };
  // The new upper bound from the row's score for its centroid (no direct distance).
  assign_rows_at(b.X(), scan.size(), open_row, b.packed,
                 [&](std::size_t i, std::int32_t label, double second, const RowScores<T>& scores) {
                   const std::size_t c = relabel(i, label);
                   if constexpr (Bounds::uses_scores)
                     bounds.scanned(i, c, b.upper_distance_to(i, c, scores), second, scores);
                   else
                     bounds.scanned(i, b.upper_distance_to(i, c, scores), second);
                 });
  b.slot.evaluations += scan.size() * (b.k() + 1);
}

}  // namespace kmeans::detail
