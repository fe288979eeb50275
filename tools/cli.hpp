#pragma once
// The `kmeans` command: fit a model to a data file, predict labels or transform to
// distances with a saved model. run() is the whole tool (main() only calls it), so the tests
// (tests/cli_test.cpp) run it in-process with their own streams.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <kmeans/kmeans.hpp>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "data_files.hpp"

namespace kmeans_tool {

inline const char* const usage_text =
    "usage: kmeans fit DATA -k K -o MODEL [--algorithm A] [--init I] [--n-init N] [--max-iter N]\n"
    "                  [--tol X] [--seed S] [--metric M] [--threads T] [--float32] [-q]\n"
    "       kmeans predict MODEL DATA -o LABELS [--threads T] [-q]\n"
    "       kmeans transform MODEL DATA -o DISTANCES [--threads T] [-q]\n"
    "       kmeans --help | VERB --help\n";

inline const char* const fit_help =
    "kmeans fit DATA -k K -o MODEL [options]: exact k-means of DATA's rows; writes MODEL\n"
    "(docs/model-format.md). DATA: .npy (float32, float64, integers, bool; memory-mapped,\n"
    "used in place when float32 or float64) or CSV (numbers, comma-separated, header row\n"
    "optional). Progress on stderr, one line per iteration, then a summary.\n"
    "  -k, --clusters K      number of clusters (required)\n"
    "  -o, --output MODEL    the model file to write (required)\n"
    "  --algorithm A         auto (default), lloyd, elkan, hamerly or yinyang: the same answer\n"
    "  --init I              k-means++ (default), random or k-means||\n"
    "  --n-init N            restarts, the lowest inertia kept (default 1)\n"
    "  --max-iter N          at most N iterations (default 300)\n"
    "  --tol X               converged when the centres move by at most X times the data's\n"
    "                        mean variance (default 1e-4)\n"
    "  --seed S              random seed (default 0)\n"
    "  --metric M            euclidean (default) or cosine (spherical k-means: rows and centres\n"
    "                        scaled to unit length; predict and transform then scale DATA too)\n"
    "  --threads T           threads (default: all cores); the result does not depend on it\n"
    "  --float32             compute in float32 (default: float32 for float32 .npy data,\n"
    "                        else float64)\n"
    "  -q, --quiet           no progress\n";

inline const char* const predict_help =
    "kmeans predict MODEL DATA -o LABELS: the index of the nearest centre of every row of\n"
    "DATA (.npy or CSV, as for fit), written as an int32 .npy of n values.\n"
    "  --threads T, -q as for fit\n";

inline const char* const transform_help =
    "kmeans transform MODEL DATA -o DISTANCES: the distance of every row of DATA to every\n"
    "centre, written as an n x k .npy of the model's type (float32 or float64).\n"
    "  --threads T, -q as for fit\n";

/// The library's message without its "kmeans: " prefix (the tool adds its own).
inline std::string message_of(const std::exception& e) {
  std::string m = e.what();
  if (m.rfind("kmeans: ", 0) == 0) m.erase(0, 8);
  return m;
}

/// A command line that cannot be run: the message, then the usage, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Command {
  std::string verb;
  std::vector<std::string> files;  // DATA, or MODEL DATA
  std::string output;
  std::size_t k = 0, n_init = 1, max_iter = 300, threads = 0;
  double tol = 1e-4;
  std::uint64_t seed = 0;
  kmeans::Algorithm algorithm = kmeans::Algorithm::automatic;
  kmeans::Init init = kmeans::Init::kmeans_plus_plus;
  kmeans::Metric metric = kmeans::Metric::euclidean;
  bool float32 = false, quiet = false, help = false;
};

template <class U>
U number(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    if constexpr (std::is_floating_point_v<U>) {
      const double v = std::stod(text, &used);
      if (used == text.size()) return v;
    } else {
      if (!text.empty() && text[0] != '-') {
        const unsigned long long v = std::stoull(text, &used);
        if (used == text.size()) return static_cast<U>(v);
      }
    }
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " takes a" + (std::is_floating_point_v<U> ? " number" : " whole number >= 0") + ", not '" +
                   text + "'");
}

inline Command parse_command(const std::vector<std::string>& args) {
  Command c;
  if (args.empty()) throw UsageError("no verb (fit, predict or transform)");
  c.verb = args[0];
  if (c.verb == "--help" || c.verb == "-h") {
    c.help = true;
    return c;
  }
  if (c.verb != "fit" && c.verb != "predict" && c.verb != "transform")
    throw UsageError("unknown verb '" + c.verb + "'");
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      c.help = true;
    } else if (a == "-q" || a == "--quiet") {
      c.quiet = true;
    } else if (a == "-o" || a == "--output") {
      c.output = value();
    } else if (a == "--threads") {
      c.threads = number<std::size_t>(a, value());
    } else if (c.verb == "fit" && (a == "-k" || a == "--clusters")) {
      c.k = number<std::size_t>(a, value());
    } else if (c.verb == "fit" && a == "--n-init") {
      c.n_init = number<std::size_t>(a, value());
    } else if (c.verb == "fit" && a == "--max-iter") {
      c.max_iter = number<std::size_t>(a, value());
    } else if (c.verb == "fit" && a == "--tol") {
      c.tol = number<double>(a, value());
    } else if (c.verb == "fit" && a == "--seed") {
      c.seed = number<std::uint64_t>(a, value());
    } else if (c.verb == "fit" && a == "--float32") {
      c.float32 = true;
    } else if (c.verb == "fit" && a == "--algorithm") {
      const std::string& v = value();
      using A = kmeans::Algorithm;
      if (v == "lloyd")
        c.algorithm = A::lloyd;
      else if (v == "elkan")
        c.algorithm = A::elkan;
      else if (v == "hamerly")
        c.algorithm = A::hamerly;
      else if (v == "yinyang")
        c.algorithm = A::yinyang;
      else if (v == "auto")
        c.algorithm = A::automatic;
      else
        throw UsageError("--algorithm takes lloyd, elkan, hamerly, yinyang or auto, not '" + v + "'");
    } else if (c.verb == "fit" && a == "--metric") {
      const std::string& v = value();
      if (v == "euclidean")
        c.metric = kmeans::Metric::euclidean;
      else if (v == "cosine")
        c.metric = kmeans::Metric::cosine;
      else
        throw UsageError("--metric takes euclidean or cosine, not '" + v + "'");
    } else if (c.verb == "fit" && a == "--init") {
      const std::string& v = value();
      if (v == "k-means++")
        c.init = kmeans::Init::kmeans_plus_plus;
      else if (v == "random")
        c.init = kmeans::Init::random;
      else if (v == "k-means||")
        c.init = kmeans::Init::kmeans_parallel;
      else
        throw UsageError("--init takes k-means++, random or k-means||, not '" + v + "'");
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError("unknown option " + a + " for " + c.verb);
    } else {
      c.files.push_back(a);
    }
  }
  if (c.help) return c;
  const std::size_t want = c.verb == "fit" ? 1 : 2;
  if (c.files.size() != want)
    throw UsageError(c.verb + (want == 1 ? " takes one DATA file" : " takes MODEL and DATA") + ", got " +
                     std::to_string(c.files.size()) + " file names");
  if (c.output.empty()) throw UsageError(c.verb + " needs -o OUTPUT");
  if (c.verb == "fit" && c.k == 0) throw UsageError("fit needs -k K, K >= 1");
  return c;
}

/// A data file's rows as T: in the memory map when the file holds T (aligned), else converted.
template <class T>
struct Rows {
  std::unique_ptr<MappedFile> map;
  std::vector<T> owned;
  kmeans::Matrix<const T> X;
  const char* stored = "";  // what the file held, for the summary
};

inline bool is_npy(const MappedFile& f) { return f.size() >= 6 && std::memcmp(f.data(), "\x93NUMPY", 6) == 0; }

template <class T>
Rows<T> read_rows(const std::string& path) {
  Rows<T> r;
  r.map = std::make_unique<MappedFile>(path);
  const MappedFile& f = *r.map;
  if (is_npy(f)) {
    const NpyLayout l = parse_npy(f.data(), f.size(), path);
    const unsigned char* values = f.data() + l.data_offset;
    const bool same = (std::is_same_v<T, float> && l.element == Element::f4) ||
                      (std::is_same_v<T, double> && l.element == Element::f8);
    static const char* const names[] = {"float32", "float64", "int8",   "int16",  "int32", "int64",
                                        "uint8",   "uint16",  "uint32", "uint64", "bool"};
    r.stored = names[static_cast<int>(l.element)];
    if (same && reinterpret_cast<std::uintptr_t>(values) % alignof(T) == 0) {
      r.X = kmeans::Matrix<const T>(reinterpret_cast<const T*>(values), l.rows, l.cols);
    } else {
      r.owned.resize(l.rows * l.cols);
      for (std::size_t i = 0; i < r.owned.size(); ++i) r.owned[i] = element_at<T>(values, l.element, i);
      r.X = kmeans::Matrix<const T>(r.owned.data(), l.rows, l.cols);
    }
  } else {
    const std::string_view text(reinterpret_cast<const char*>(f.data()), f.size());
    Csv csv = parse_csv(text, path);
    r.stored = "CSV";
    r.owned.assign(csv.values.begin(), csv.values.end());
    r.X = kmeans::Matrix<const T>(r.owned.data(), csv.rows, csv.cols);
  }
  return r;
}

/// float32 when asked, or when DATA is a float32 .npy; else float64.
inline bool data_is_float32(const std::string& path) {
  const MappedFile f(path);
  if (!is_npy(f)) return false;
  return parse_npy(f.data(), f.size(), path).element == Element::f4;
}

template <class T>
int fit(const Command& c, std::ostream& err) {
  const Rows<T> data = read_rows<T>(c.files[0]);
  kmeans::Options o;
  o.n_clusters = c.k;
  o.n_init = c.n_init;
  o.max_iter = c.max_iter;
  o.tol = c.tol;
  o.seed = c.seed;
  o.n_threads = c.threads;
  o.algorithm = c.algorithm;
  o.init = c.init;
  o.metric = c.metric;
  if (!c.quiet)
    o.on_iteration = [&err](const kmeans::Iteration& it) {
      err << "iteration " << it.iteration << ": inertia " << it.inertia << ", centre shift " << it.center_shift << '\n';
      return true;
    };
  kmeans::KMeans<T> model(std::move(o));
  const auto start = std::chrono::steady_clock::now();
  try {
    model.fit(data.X);
  } catch (const std::invalid_argument& e) {
    throw DataError(c.files[0] + ": " + message_of(e));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model.save(c.output);
  if (!c.quiet) {
    static const char* const algorithms[] = {"lloyd", "elkan", "hamerly", "yinyang", "auto"};
    err << "fit: " << data.X.rows() << " x " << data.X.cols() << " " << data.stored << " rows in "
        << (std::is_same_v<T, float> ? "float32" : "float64") << ", k = " << c.k << ": " << model.n_iter()
        << " iterations (" << (model.converged() ? "converged" : "not converged") << "), inertia " << model.inertia()
        << ", " << seconds << " s, algorithm " << algorithms[static_cast<int>(model.algorithm_used())] << "; wrote "
        << c.output << '\n';
  }
  return 0;
}

template <class T, class Model>
int apply(const Command& c, const Model& model, std::ostream& err) {
  const Rows<T> data = read_rows<T>(c.files[1]);
  const std::size_t k = model.centroids().rows();
  try {
    if (c.verb == "predict") {
      const std::vector<std::int32_t> labels = model.predict(data.X);
      write_npy(c.output, labels.data(), {labels.size()});
    } else {
      const std::vector<T> distances = model.transform(data.X);
      write_npy(c.output, distances.data(), {data.X.rows(), k});
    }
  } catch (const std::invalid_argument& e) {
    throw DataError(c.files[1] + ": " + message_of(e));
  }
  if (!c.quiet) err << c.verb << ": " << data.X.rows() << " rows, k = " << k << "; wrote " << c.output << '\n';
  return 0;
}

template <class T>
int apply_saved(const Command& c, bool minibatch, std::ostream& err) {
  if (minibatch) return apply<T>(c, kmeans::MiniBatchKMeans<T>::load(c.files[0], c.threads), err);
  return apply<T>(c, kmeans::KMeans<T>::load(c.files[0], c.threads), err);
}

/// The whole tool: returns the exit status (0, 1 for a failed run, 2 for a bad command line).
inline int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Command c;
  try {
    c = parse_command(args);
  } catch (const UsageError& e) {
    err << "kmeans: " << e.what() << '\n' << usage_text;
    return 2;
  }
  if (c.help) {
    out << (c.verb == "fit"         ? fit_help
            : c.verb == "predict"   ? predict_help
            : c.verb == "transform" ? transform_help
                                    : usage_text);
    return 0;
  }
  try {
    if (c.verb == "fit") return c.float32 || data_is_float32(c.files[0]) ? fit<float>(c, err) : fit<double>(c, err);
    const kmeans::SavedModelInfo info = kmeans::saved_model_info(c.files[0]);
    return info.double_values ? apply_saved<double>(c, info.minibatch, err)
                              : apply_saved<float>(c, info.minibatch, err);
  } catch (const std::exception& e) {  // DataError, the library's std::invalid_argument, bad_alloc
    err << "kmeans: " << message_of(e) << '\n';
    return 1;
  }
}

}  // namespace kmeans_tool
