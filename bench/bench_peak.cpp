// This machine's limits, so kernel results can be stated as a fraction of them:
//   fma/<type>/threads:N   FMA throughput at the vector width xsimd uses (GFLOP/s, 2 per FMA lane)
//   read/threads:N         main-memory read bandwidth (GB/s) over a 1 GiB array
// Run: bench_peak --benchmark_format=json (compare.py does, and reads the figures).

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>
#include <xsimd/xsimd.hpp>

namespace {

template <class T>
void fma_peak(benchmark::State& state) {
  using B = xsimd::batch<T>;
  // Independent chains: enough to cover FMA latency x FMA ports on any current core.
  constexpr int chains = 16;
  constexpr int steps = 1000;
  B acc[chains];
  for (int c = 0; c < chains; ++c) acc[c] = B(T(c) * T(1e-3));
  const B a(T(0.999999)), b(T(1e-7));
  for (auto _ : state) {
    for (int s = 0; s < steps; ++s) {
      for (int c = 0; c < chains; ++c) acc[c] = xsimd::fma(acc[c], a, b);
    }
    for (int c = 0; c < chains; ++c) benchmark::DoNotOptimize(acc[c]);
  }
  const double flops = 2.0 * B::size * chains * steps;
  state.counters["GFLOPs"] =
      benchmark::Counter(flops * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["lanes"] = B::size;
}

std::vector<double>& big_array() {
  static std::vector<double> v((std::size_t{1} << 30) / sizeof(double), 1.0);
  return v;
}

void read_bandwidth(benchmark::State& state) {
  using B = xsimd::batch<double>;
  const std::vector<double>& v = big_array();
  const std::size_t part = v.size() / static_cast<std::size_t>(state.threads());
  const double* p = v.data() + part * static_cast<std::size_t>(state.thread_index());
  for (auto _ : state) {
    B s0(0.0), s1(0.0), s2(0.0), s3(0.0);
    for (std::size_t i = 0; i + 4 * B::size <= part; i += 4 * B::size) {
      s0 += B::load_unaligned(p + i);
      s1 += B::load_unaligned(p + i + B::size);
      s2 += B::load_unaligned(p + i + 2 * B::size);
      s3 += B::load_unaligned(p + i + 3 * B::size);
    }
    benchmark::DoNotOptimize(s0 + s1 + s2 + s3);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(part * sizeof(double)));
}

}  // namespace

BENCHMARK_TEMPLATE(fma_peak, double)->Name("fma/double")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(fma_peak, float)->Name("fma/float")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(read_bandwidth)->Name("read")->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
