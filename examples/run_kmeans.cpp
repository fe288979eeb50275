// The reference tutorial's demo: k-means on make_blobs data with per-iteration output, the
// inertia of the true centres for comparison, and a file that plot_clusters.py draws.
//
//   run_kmeans [--samples N] [--features D] [--clusters K] [--std S] [--seed S]
//              [--threads T] [--float] [--out FILE]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <kmeans/kmeans.hpp>
#include <stdexcept>
#include <string>

namespace {

struct Args {
  std::size_t samples = 3000, features = 100, clusters = 5, threads = 0;
  double std_dev = 1.0;
  std::uint64_t seed = 42;
  bool use_float = false;
  std::string out = "kmeans_result.txt";
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "run_kmeans: %s\nusage: run_kmeans [--samples N] [--features D] [--clusters K] [--std S]"
               " [--seed S] [--threads T] [--float] [--out FILE]\n",
               why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--float") {
      a.use_float = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") usage("k-means on make_blobs data");
    if (i + 1 >= argc) usage(("missing value for " + flag).c_str());
    const char* v = argv[++i];
    try {
      if (flag == "--samples")
        a.samples = std::stoul(v);
      else if (flag == "--features")
        a.features = std::stoul(v);
      else if (flag == "--clusters")
        a.clusters = std::stoul(v);
      else if (flag == "--threads")
        a.threads = std::stoul(v);
      else if (flag == "--seed")
        a.seed = std::stoull(v);
      else if (flag == "--std")
        a.std_dev = std::stod(v);
      else if (flag == "--out")
        a.out = v;
      else
        usage(("unknown flag " + flag).c_str());
    } catch (const std::logic_error&) {
      usage(("bad value for " + flag + ": " + v).c_str());
    }
  }
  return a;
}

double inertia_of(const kmeans::Blobs<double>& b, const double* centers, const std::vector<std::int32_t>& labels) {
  double s = 0;
  for (std::size_t i = 0; i < b.n_samples; ++i)
    for (std::size_t j = 0; j < b.n_features; ++j) {
      const double t = b.data[i * b.n_features + j] - centers[static_cast<std::size_t>(labels[i]) * b.n_features + j];
      s += t * t;
    }
  return s;
}

template <class T>
int run(const Args& a) {
  const auto blobs = kmeans::make_blobs<double>(a.samples, a.features, a.clusters, a.std_dev, a.seed);
  std::vector<T> data(blobs.data.begin(), blobs.data.end());
  const kmeans::Matrix<const T> X(data.data(), a.samples, a.features);

  kmeans::Options options;
  options.n_clusters = a.clusters;
  options.seed = a.seed;
  options.n_threads = a.threads;
  options.on_iteration = [](const kmeans::Iteration& it) {
    std::printf("iteration %zu, inertia %.6f\n", it.iteration, it.inertia);
    return true;
  };
  std::printf("k-means: %zu samples, %zu features, %zu clusters, %s\n", a.samples, a.features, a.clusters,
              a.use_float ? "float32" : "float64");
  kmeans::KMeans<T> model(options);
  const auto start = std::chrono::steady_clock::now();
  model.fit(X);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("time: %.3f ms (k-means++ and %zu iterations)\n", seconds * 1e3, model.n_iter());
  std::printf("iterations: %zu (%s)\n", model.n_iter(), model.converged() ? "converged" : "not converged");
  std::printf("inertia: %.6f\n", model.inertia());
  std::printf("inertia of the true centres: %.6f\n", inertia_of(blobs, blobs.centers.data(), blobs.labels));

  std::ofstream out(a.out);
  out << "# n_samples n_features n_clusters\n" << a.samples << ' ' << a.features << ' ' << a.clusters << '\n';
  out.precision(9);
  const auto write_rows = [&](const char* name, const auto* rows, std::size_t n) {
    out << name << ' ' << n << '\n';
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < a.features; ++j) out << (j ? " " : "") << rows[i * a.features + j];
      out << '\n';
    }
  };
  write_rows("points", data.data(), a.samples);
  out << "labels " << a.samples << '\n';
  for (std::size_t i = 0; i < a.samples; ++i) out << model.labels()[i] << ' ' << blobs.labels[i] << '\n';
  write_rows("true_centers", blobs.centers.data(), a.clusters);
  write_rows("found_centers", model.centroids().data(), a.clusters);
  if (!out) {
    std::fprintf(stderr, "run_kmeans: could not write %s\n", a.out.c_str());
    return 1;
  }
  std::printf("wrote %s (plot it: /usr/bin/python3 examples/plot_clusters.py %s)\n", a.out.c_str(), a.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    return args.use_float ? run<float>(args) : run<double>(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run_kmeans: %s\n", e.what());
    return 1;
  }
}
