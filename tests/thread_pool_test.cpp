#include <atomic>
#include <chrono>
#include <kmeans/detail/blocks.hpp>
#include <kmeans/detail/thread_pool.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "catch.hpp"

using kmeans::detail::ThreadPool;

TEST_CASE("the pool runs every task exactly once, on any size", "[pool]") {
  for (std::size_t size : {1, 2, 3, 8}) {
    ThreadPool pool(size);
    CHECK(pool.size() == size);
    for (std::size_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      for (int rep = 0; rep < 3; ++rep) pool.run(n, [&](std::size_t t) { ++hits[t]; });
      for (auto& h : hits) CHECK(h == 3);
    }
  }
}

TEST_CASE("each thread takes its own share of the tasks first", "[pool]") {
  // Two threads, four slow tasks: the caller's share is tasks 0 and 1, the worker's 2 and 3.
  // Handed out from one counter, the awake worker would take task 1 while the caller is in 0.
  ThreadPool pool(2);
  std::vector<std::thread::id> ran(4);
  pool.run(4, [&](std::size_t t) {
    ran[t] = std::this_thread::get_id();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  CHECK(ran[0] == std::this_thread::get_id());
  CHECK(ran[1] == std::this_thread::get_id());
}

TEST_CASE("a task's exception reaches the caller and the pool keeps working", "[pool]") {
  ThreadPool pool(4);
  CHECK_THROWS_AS(pool.run(100,
                           [](std::size_t t) {
                             if (t == 37) throw std::runtime_error("task 37");
                           }),
                  std::runtime_error);
  std::atomic<std::size_t> sum{0};
  pool.run(100, [&](std::size_t t) { sum += t; });
  CHECK(sum == 4950);
}

TEST_CASE("concurrent callers of one pool all finish", "[pool]") {
  ThreadPool pool(3);
  std::atomic<std::size_t> total{0};
  std::vector<std::thread> callers;
  callers.reserve(6);
  for (int c = 0; c < 6; ++c)
    callers.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep) pool.run(64, [&](std::size_t) { ++total; });
    });
  for (auto& t : callers) t.join();
  CHECK(total == std::size_t{6} * 50 * 64);
}

TEST_CASE("ordered block merges see blocks in ascending order", "[pool]") {
  ThreadPool pool(3);
  const std::size_t n = 10 * kmeans::detail::block_rows + 5;
  std::vector<std::size_t> slots(4), order;
  kmeans::detail::for_blocks_ordered(
      pool, n, slots, [](std::size_t& s, std::size_t begin, std::size_t) { s = begin; },
      [&](const std::size_t& s, std::size_t b) {
        CHECK(s == b * kmeans::detail::block_rows);
        order.push_back(b);
      });
  CHECK(order == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}
