// The reference tutorial's sweeps: 10 full Lloyd iterations (run_till_max_iter) from fixed
// k-means++ centroids on make_blobs data, float64 and float32.
//
//   bench_kmeans --benchmark_filter=clusters/double --benchmark_format=json
//
// Counters: ms_per_iter, and GFLOP/s counting the distance work as 2 n k d per iteration.
// Also: the assignment kernel alone (assign/*), the direct double distances (distance/*),
// end-to-end fits (fit/*), and float data at the ends of its range (range/float: subnormal
// and near-overflow values).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <kmeans/detail/kernel.hpp>
#include <kmeans/kmeans.hpp>
#include <map>
#include <tuple>
#include <vector>
#include <xsimd/xsimd.hpp>

namespace {

constexpr std::size_t iterations = 10;

template <class T>
struct Problem {
  // At a cache line's start, so that runs measure the code rather than where the heap put X
  // (3000 x 100 x 5 fits: 20-25% slower when X starts 16 bytes past a line, bench/README.md).
  std::vector<T, xsimd::aligned_allocator<T, 64>> data;
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

/// The problem named by a benchmark's arguments (n, d, k).
template <class T>
const Problem<T>& problem(const benchmark::State& state) {
  return problem<T>(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)),
                    static_cast<std::size_t>(state.range(2)));
}

/// GFLOP/s of `passes` assignment passes over p, counting 2nkd per pass.
template <class T>
benchmark::Counter gflops(const Problem<T>& p, double passes) {
  return benchmark::Counter(passes * 2.0 * static_cast<double>(p.n * p.k * p.d) * 1e-9, benchmark::Counter::kIsRate);
}

/// Times fits of `iterations` Lloyd iterations from p's centroids; sets ms_per_iter and
/// returns the iterations run.
template <class T>
double time_iterations(benchmark::State& state, const Problem<T>& p) {
  kmeans::Options o;
  o.n_clusters = p.k;
  o.max_iter = iterations;
  o.run_till_max_iter = true;
  kmeans::KMeans<T> model(o);
  model.fit(p.X(), p.C());  // warm-up: the pool and the first touch of the data
  for (auto _ : state) {
    model.fit(p.X(), p.C());
    benchmark::DoNotOptimize(model.inertia());
  }
  const double iters = static_cast<double>(state.iterations() * iterations);
  state.counters["ms_per_iter"] =
      benchmark::Counter(iters * 1e-3, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  return iters;
}

template <class T>
void lloyd_iterations(benchmark::State& state) {
  const Problem<T>& p = problem<T>(state);
  state.counters["GFLOPs"] = gflops(p, time_iterations(state, p));
}

/// The assignment step alone (labels for every row), on one thread: the kernel's speed
/// without the pool, the centroid update or the merge.
template <class T>
void assign_kernel(benchmark::State& state) {
  const Problem<T>& p = problem<T>(state);
  kmeans::detail::PackedCentroids<T> packed;
  packed.assign(p.start.data(), p.k, p.d);
  std::vector<std::int32_t> labels(p.n);
  for (auto _ : state) {
    kmeans::detail::assign_rows(p.X(), 0, p.n, packed, [&](std::size_t i, std::int32_t l) { labels[i] = l; });
    benchmark::DoNotOptimize(labels.data());
  }
  state.counters["GFLOPs"] = gflops(p, static_cast<double>(state.iterations()));
}

/// The direct double distances (the exact path, inertia, k-means++, Elkan's and Hamerly's
/// distances): each of the first 2000 rows to 8 centroids; counter GFLOP/s at 3 per element.
template <class T>
void direct_distances(benchmark::State& state) {
  const Problem<T>& p = problem<T>(state);
  const std::size_t rows = std::min<std::size_t>(p.n, 2000), centres = std::min<std::size_t>(p.k, 8);
  for (auto _ : state) {
    double sum = 0.0;
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t c = 0; c < centres; ++c)
        sum += kmeans::detail::squared_distance(p.X().row(i), p.C().row(c), p.d);
    benchmark::DoNotOptimize(sum);
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(3e-9 * static_cast<double>(rows * centres * p.d) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

/// End to end: k-means++ and iterations to convergence (default tol), the demo's problem.
template <class T>
void fit_end_to_end(benchmark::State& state) {
  const Problem<T>& p = problem<T>(state);
  kmeans::Options o;
  o.n_clusters = p.k;
  kmeans::KMeans<T> model(o);
  std::size_t iters = 0;
  for (auto _ : state) {
    model.fit(p.X());
    iters += model.n_iter();
  }
  state.counters["n_iter"] = static_cast<double>(iters) / static_cast<double>(state.iterations());
}

/// Lloyd iterations on float data scaled by 10^e (the fourth argument): e = 0 is ordinary
/// data, e = -41 makes most values subnormal (scores underflow: every row takes the exact
/// double path), e = 37 brings squared distances past FLT_MAX (the same path, for overflow).
void float_range(benchmark::State& state) {
  const auto scale = std::pow(10.0, static_cast<double>(state.range(3)));
  const Problem<double>& base = problem<double>(state);
  Problem<float> p{{}, {}, base.n, base.d, base.k};
  for (const double v : base.data) p.data.push_back(static_cast<float>(v * scale));
  for (const double v : base.start) p.start.push_back(static_cast<float>(v * scale));
  time_iterations(state, p);
}

/// Kernel shapes: compute-bound (cache-resident and streaming X), small d, memory-bound, and
/// the low dimensions of the accelerated algorithms' sweep (d 2 and 10, where the per-row
/// argmin outweighs the 2kd flops).
void assign_shapes(benchmark::internal::Benchmark* b) {
  for (const auto& args : {std::vector<std::int64_t>{2000, 200, 80},
                           {22000, 200, 80},
                           {2000, 200, 170},
                           {2000, 64, 80},
                           {2000, 50, 100},
                           {4000, 3800, 5},
                           {3000, 100, 5},
                           {20000, 2, 80},
                           {20000, 10, 80}})
    b->Args(args);
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

#define KMEANS_SWEEP(name, T)             \
  BENCHMARK_TEMPLATE(lloyd_iterations, T) \
      ->Name(#name "/" #T)                \
      ->ArgNames({"n", "d", "k"})         \
      ->Apply(name##_sweep)               \
      ->Unit(benchmark::kMillisecond)     \
      ->UseRealTime()

KMEANS_SWEEP(clusters, double);
KMEANS_SWEEP(clusters, float);
KMEANS_SWEEP(samples, double);
KMEANS_SWEEP(samples, float);
KMEANS_SWEEP(features, double);
KMEANS_SWEEP(features, float);

BENCHMARK_TEMPLATE(assign_kernel, double)
    ->Name("assign/double")
    ->ArgNames({"n", "d", "k"})
    ->Apply(assign_shapes)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(assign_kernel, float)
    ->Name("assign/float")
    ->ArgNames({"n", "d", "k"})
    ->Apply(assign_shapes)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(direct_distances, double)
    ->Name("distance/double")
    ->ArgNames({"n", "d", "k"})
    ->Args({2000, 16, 8})
    ->Args({2000, 50, 8})
    ->Args({2000, 200, 8})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(direct_distances, float)
    ->Name("distance/float")
    ->ArgNames({"n", "d", "k"})
    ->Args({2000, 200, 8})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(fit_end_to_end, double)
    ->Name("fit/double")
    ->ArgNames({"n", "d", "k"})
    ->Args({3000, 100, 5})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(fit_end_to_end, float)
    ->Name("fit/float")
    ->ArgNames({"n", "d", "k"})
    ->Args({3000, 100, 5})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK(float_range)
    ->Name("range/float")
    ->ArgNames({"n", "d", "k", "exp10"})
    ->Args({20000, 16, 10, 0})
    ->Args({20000, 16, 10, -41})
    ->Args({20000, 16, 10, 37})
    ->Args({20000, 200, 80, 0})
    ->Args({20000, 200, 80, -41})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
