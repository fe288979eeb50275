#pragma once
// Rows are cut into blocks of a fixed size that does not depend on the thread count. Each
// block's partial result lands in its own slot and slots are merged strictly in block
// order, so every floating-point sum is formed in the same order on 1 thread or 64.

#include <algorithm>
#include <cstddef>
#include <vector>

#include "thread_pool.hpp"

namespace kmeans::detail {

/// Rows per block: large enough to amortise a slot merge (1/256 of the distance work),
/// small enough to balance 2 to 64 threads on a few thousand rows.
inline constexpr std::size_t block_rows = 256;

inline std::size_t block_count(std::size_t n_rows) noexcept { return (n_rows + block_rows - 1) / block_rows; }

/// How many block slots to keep live at once: two per thread, more (up to 8 per thread)
/// while they fit in `budget_bytes`, so the pool is woken a few times per pass, not once
/// per block. Slots are allocated once per fit, so this also bounds that allocation.
inline std::size_t slot_count(std::size_t n_threads, std::size_t n_blocks, std::size_t slot_bytes,
                              std::size_t budget_bytes = std::size_t{4} << 20) noexcept {
  const std::size_t by_memory = budget_bytes / std::max<std::size_t>(slot_bytes, 1);
  const std::size_t wanted = std::max(n_threads * 2, std::min(by_memory, n_threads * 8));
  return std::max<std::size_t>(1, std::min(wanted, n_blocks));
}

/// For every block b of n_rows, in waves of slots.size(): map(slot, begin, end) in parallel,
/// then merge_wave(n) with slots[0 .. n) holding the wave's blocks in ascending order. The
/// merge may itself use the pool, as long as each output is formed in slot order.
template <class Slot, class Map, class MergeWave>
void for_block_waves(ThreadPool& pool, std::size_t n_rows, std::vector<Slot>& slots, Map&& map,
                     MergeWave&& merge_wave) {
  const std::size_t n_blocks = block_count(n_rows);
  for (std::size_t first = 0; first < n_blocks; first += slots.size()) {
    const std::size_t n = std::min(slots.size(), n_blocks - first);
    pool.run(n, [&](std::size_t t) {
      const std::size_t b = first + t;
      map(slots[t], b * block_rows, std::min(n_rows, (b + 1) * block_rows));
    });
    merge_wave(n);
  }
}

/// As for_block_waves, merging each slot on the calling thread: merge(slot, b) in ascending b.
template <class Slot, class Map, class Merge>
void for_blocks_ordered(ThreadPool& pool, std::size_t n_rows, std::vector<Slot>& slots, Map&& map, Merge&& merge) {
  std::size_t next = 0;
  for_block_waves(pool, n_rows, slots, map, [&](std::size_t n) {
    for (std::size_t t = 0; t < n; ++t) merge(slots[t], next++);
  });
}

/// For every block b of n_rows: f(b, begin, end) in parallel, for blocks whose outputs are
/// disjoint and need no merge.
template <class F>
void for_blocks(ThreadPool& pool, std::size_t n_rows, F&& f) {
  pool.run(block_count(n_rows), [&](std::size_t b) { f(b, b * block_rows, std::min(n_rows, (b + 1) * block_rows)); });
}

}  // namespace kmeans::detail
