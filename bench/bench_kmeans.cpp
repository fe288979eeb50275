// The reference tutorial's sweeps: 10 full Lloyd iterations (run_till_max_iter) from fixed
// k-means++ centroids on make_blobs data, float64 and float32.
//
//   bench_kmeans --benchmark_filter=clusters/double --benchmark_format=json
//
// Counters: ms_per_iter, and GFLOP/s counting the distance work as 2 n k d per iteration.

#include <benchmark/benchmark.h>

#include <kmeans/kmeans.hpp>

#include <map>
#include <tuple>
#include <vector>

namespace {

constexpr std::size_t iterations = 10;

template <class T>
struct Problem {
  std::vector<T> data;
  std::vector<T> start;
  std::size_t n, d, k;
  kmeans::Matrix<const T> X() const { return {data.data(), n, d}; }
  kmeans::Matrix<const T> C() const { return {start.data(), k, d}; }
};

template <class T>
const Problem<T>& problem(std::size_t n, std::size_t d, std::size_t k) {
  static std::map<std::tuple<std::size_t, std::size_t, std::size_t>, Problem<T>> cache;
  auto [it, fresh] = cache.try_emplace({n, d, k});
  Problem<T>& p = it->second;
  if (fresh) {
    const auto b = kmeans::make_blobs<double>(n, d, k, 1.0, 42);
    p.data.assign(b.data.begin(), b.data.end());
    p.n = n;
    p.d = d;
    p.k = k;
    kmeans::Options o;
    o.n_clusters = k;
    o.seed = 42;
    p.start = kmeans::initial_centroids(p.X(), o);
  }
  return p;
}

template <class T>
void lloyd_iterations(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  const auto k = static_cast<std::size_t>(state.range(2));
  const Problem<T>& p = problem<T>(n, d, k);
  kmeans::Options o;
  o.n_clusters = k;
  o.max_iter = iterations;
  o.run_till_max_iter = true;
  kmeans::KMeans<T> model(o);
  model.fit(p.X(), p.C());  // warm-up: the pool and the first touch of the data
  for (auto _ : state) {
    model.fit(p.X(), p.C());
    benchmark::DoNotOptimize(model.inertia());
  }
  const double iters = static_cast<double>(state.iterations() * iterations);
  state.counters["ms_per_iter"] = benchmark::Counter(iters * 1e-3, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["GFLOPs"] =
      benchmark::Counter(iters * 2.0 * static_cast<double>(n * k * d) * 1e-9, benchmark::Counter::kIsRate);
}

void clusters_sweep(benchmark::internal::Benchmark* b) {
  for (long k = 5; k <= 170; k += 15) b->Args({2000, 200, k});
}
void samples_sweep(benchmark::internal::Benchmark* b) {
  for (long n = 2000; n <= 22000; n += 2000) b->Args({n, 200, 80});
}
void features_sweep(benchmark::internal::Benchmark* b) {
  for (long d = 200; d <= 3800; d += 200) b->Args({4000, d, 5});
}

}  // namespace

#define KMEANS_SWEEP(name, T)                                                                   \
  BENCHMARK_TEMPLATE(lloyd_iterations, T)                                                        \
      ->Name(#name "/" #T)                                                                       \
      ->ArgNames({"n", "d", "k"})                                                                \
      ->Apply(name##_sweep)                                                                      \
      ->Unit(benchmark::kMillisecond)                                                            \
      ->UseRealTime()

KMEANS_SWEEP(clusters, double);
KMEANS_SWEEP(clusters, float);
KMEANS_SWEEP(samples, double);
KMEANS_SWEEP(samples, float);
KMEANS_SWEEP(features, double);
KMEANS_SWEEP(features, float);

BENCHMARK_MAIN();
