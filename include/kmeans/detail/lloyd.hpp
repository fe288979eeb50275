#pragma once
// Lloyd's labelling: every row scored against every centroid by the kernel, every pass. No
// bounds, no memory beyond the packed centroids; the one the others must agree with.

#include <cstddef>
#include <cstdint>

#include "../options.hpp"
#include "algorithm.hpp"
#include "kernel.hpp"
#include "seeded_rows.hpp"

namespace kmeans::detail {

template <class T>
class Lloyd {
 public:
  static constexpr Algorithm id = Algorithm::lloyd;
  /// k-means++ already knows each row's nearest centre: the first pass only sums the rows.
  static constexpr SeedUse seed_use = SeedUse::labels;

  void start(const Problem<T>& p, const T*, SeededRows*) {
    k_ = p.k;
    d_ = p.X.cols();
  }

  void begin_pass(PackedCentroids<T>& packed, const T* centroids, bool) { packed.assign(centroids, k_, d_); }

  void label_block(BlockLabelling<T>& b) {
    assign_rows(b.X(), b.begin, b.end, b.packed, [&](std::size_t i, std::int32_t label) {
      if (b.want_inertia) b.add_inertia(i, static_cast<std::size_t>(label));
      b.relabel(i, label);
    });
    b.slot.evaluations += (b.end - b.begin) * b.k();
  }

  void end_pass() {}
  void centroids_moved(ThreadPool&, const T*, const T*) {}
  void forget(std::size_t) {}

 private:
  std::size_t k_ = 0, d_ = 0;
};

}  // namespace kmeans::detail
