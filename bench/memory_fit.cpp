// Peak memory of a fit: generates n x d float blobs in one buffer (nothing else of size n),
// fits, and prints the resident-set figures, so that what the fit adds to X is visible.
//
//   memory_fit [n=20000000] [d=16] [k=16] [init=kmeans++|random] [max_iter=20]
//
// Run under `/usr/bin/time -v` for the kernel's own peak figure ("Maximum resident set size").

#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <kmeans/kmeans.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

/// Current resident set, from /proc/self/statm, in MiB.
double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / (1 << 20);
}

/// Peak resident set so far, in MiB.
double peak_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int run(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20'000'000;
  const std::size_t d = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 16;
  const std::size_t k = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 16;
  const std::string init = argc > 4 ? argv[4] : "kmeans++";
  const std::size_t max_iter = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 20;

  // Blobs around k random centres in [-10, 10]^d, written straight into X.
  std::vector<float> x(n * d);
  {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<float> centre(-10.0f, 10.0f);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    std::vector<float> centres(k * d);
    for (auto& c : centres) c = centre(rng);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) x[i * d + j] = centres[(i % k) * d + j] + noise(rng);
  }
  const double x_mib = static_cast<double>(x.size() * sizeof(float)) / (1 << 20);
  const double before = resident_mib();

  kmeans::Options o;
  o.n_clusters = k;
  o.max_iter = max_iter;
  o.init = init == "random" ? kmeans::Init::random : kmeans::Init::kmeans_plus_plus;
  kmeans::KMeans<float> km(o);
  const auto start = std::chrono::steady_clock::now();
  km.fit(kmeans::Matrix<const float>(x.data(), n, d));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const double labels_mib = static_cast<double>(n * sizeof(std::int32_t)) / (1 << 20);
  std::printf("n %zu  d %zu  k %zu  init %s  threads %zu  iterations %zu  fit %.2f s\n", n, d, k, init.c_str(),
              kmeans::detail::hardware_threads(), km.n_iter(), seconds);
  std::printf("X                  %9.1f MiB\n", x_mib);
  std::printf("labels (n x int32) %9.1f MiB\n", labels_mib);
  std::printf("resident before fit %8.1f MiB\n", before);
  std::printf("peak resident       %8.1f MiB\n", peak_mib());
  const double beyond = peak_mib() - before;
  const double plus_plus_mib = static_cast<double>(n * sizeof(double)) / (1 << 20);
  std::printf("fit's peak beyond the data: %.1f MiB = %.2f bytes per row\n", beyond,
              beyond * (1 << 20) / static_cast<double>(n));
  std::printf("  (labels take %.1f MiB; k-means++ holds one double per row, %.1f MiB, while it runs)\n", labels_mib,
              plus_plus_mib);
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "memory_fit: %s\n", e.what());
    return 1;
  }
}
