// Fits raw row-major data from given centroids and reports timings as JSON, so that
// compare.py can run the same data through kmeans, scikit-learn and FAISS.
//
//   kmeans_driver X.bin C.bin n d k float|double iterations repeats [threads [algorithm [tol]]]
//
// X.bin and C.bin hold n x d and k x d values of the given type (numpy's tofile()).
// Each repeat is one fit of exactly `iterations` iterations (run_till_max_iter) by the
// algorithm (lloyd, hamerly, elkan, yinyang, automatic; default: Options' default; a suffix
// ":fp64" turns Options::mixed_precision off). With C.bin given as "-", each repeat is a whole
// default fit instead: k-means++ (seed 0), then iterations until tol (1e-4) or at most
// `iterations`. With tol, each repeat fits from C.bin to convergence (at most `iterations`);
// the untimed warm-up fit counts distance evaluations.
// With C.bin given and no tol, also times the assignment step alone on `threads`
// threads: every row's nearest final centroid (the kernel through the pool, as predict
// does it without its input checks), "assign_seconds", the median of at least 10 passes.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <kmeans/detail/predict.hpp>
#include <kmeans/kmeans.hpp>
#include <string>
#include <vector>

namespace {

template <class T>
std::vector<T> read(const char* path, std::size_t count) {
  std::vector<T> v(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (!in) {
    std::fprintf(stderr, "kmeans_driver: cannot read %zu values from %s\n", count, path);
    std::exit(1);
  }
  return v;
}

template <class T>
int run(int argc, char** argv, std::size_t n, std::size_t d, std::size_t k, std::size_t iterations, std::size_t repeats,
        std::size_t threads) {
  const bool given = std::string(argv[2]) != "-";
  const bool converge = argc > 11;
  std::string name = argc > 10 ? argv[10] : "";
  const std::vector<T> x = read<T>(argv[1], n * d), c = given ? read<T>(argv[2], k * d) : std::vector<T>(k * d);
  kmeans::Options o;
  o.n_clusters = k;
  o.max_iter = iterations;
  o.run_till_max_iter = given && !converge;
  o.n_threads = threads;
  if (const auto colon = name.find(':'); colon != std::string::npos) {
    if (name.substr(colon) != ":fp64") throw std::invalid_argument("unknown suffix in " + name);
    o.mixed_precision = false;
    name.resize(colon);
  }
  if (!name.empty())
    o.algorithm = name == "hamerly"     ? kmeans::Algorithm::hamerly
                  : name == "elkan"     ? kmeans::Algorithm::elkan
                  : name == "yinyang"   ? kmeans::Algorithm::yinyang
                  : name == "automatic" ? kmeans::Algorithm::automatic
                  : name == "lloyd"     ? kmeans::Algorithm::lloyd
                                        : throw std::invalid_argument("unknown algorithm " + name);
  if (converge) o.tol = std::strtod(argv[11], nullptr);
  std::size_t evaluations = 0;
  kmeans::Options counting = o;
  counting.on_iteration = [&](const kmeans::Iteration& it) {
    evaluations += it.distance_evaluations;
    return true;
  };
  kmeans::KMeans<T> model(counting);
  const kmeans::Matrix<const T> X(x.data(), n, d), C(c.data(), k, d);
  std::vector<double> seconds;
  for (std::size_t r = 0; r < repeats + 1; ++r) {  // the first fit warms up and is not counted
    const auto start = std::chrono::steady_clock::now();
    if (given) {
      model.fit(X, C);
    } else {
      model.fit(X);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) seconds.push_back(s);
    if (r == 0) model = kmeans::KMeans<T>(o);  // the timed fits run without the counting callback
  }
  double assign_seconds = 0.0;
  if (given && !converge) {
    kmeans::detail::ThreadPool pool(threads ? threads : kmeans::detail::hardware_threads());
    const auto cen = model.centroids();
    std::vector<double> passes;
    kmeans::detail::nearest_labels(pool, X, cen.data(), k);  // warm-up
    for (double total = 0.0; passes.size() < 10 || (total < 0.2 && passes.size() < 1000);) {
      const auto start = std::chrono::steady_clock::now();
      const auto labels = kmeans::detail::nearest_labels(pool, X, cen.data(), k);
      passes.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      total += passes.back();
    }
    std::nth_element(passes.begin(), passes.begin() + static_cast<std::ptrdiff_t>(passes.size() / 2), passes.end());
    assign_seconds = passes[passes.size() / 2];
  }
  std::printf("{\"seconds\": [");
  for (std::size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.9g", i ? ", " : "", seconds[i]);
  const char* names[] = {"lloyd", "elkan", "hamerly", "yinyang", "automatic"};  // Algorithm's order
  std::printf(
      "], \"n_iter\": %zu, \"inertia\": %.17g, \"evaluations\": %zu, \"algorithm\": \"%s\", \"assign_seconds\": %.9g, "
      "\"centroids\": [",
      model.n_iter(), model.inertia(), evaluations, names[static_cast<int>(model.algorithm_used())], assign_seconds);
  const auto cen = model.centroids();
  for (std::size_t i = 0; i < k * d; ++i) std::printf("%s%.9g", i ? ", " : "", static_cast<double>(cen.data()[i]));
  std::printf("]}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 9) {
    std::fprintf(
        stderr, "usage: kmeans_driver X.bin C.bin n d k float|double iterations repeats [threads [algorithm [tol]]]\n");
    return 2;
  }
  const auto num = [&](int i) { return static_cast<std::size_t>(std::strtoull(argv[i], nullptr, 10)); };
  const std::string type = argv[6];
  const std::size_t threads = argc > 9 ? num(9) : 0;
  try {
    if (type == "float") return run<float>(argc, argv, num(3), num(4), num(5), num(7), num(8), threads);
    if (type == "double") return run<double>(argc, argv, num(3), num(4), num(5), num(7), num(8), threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmeans_driver: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "kmeans_driver: type must be float or double, got %s\n", type.c_str());
  return 2;
}
