#pragma once
/// @file
/// @brief The saved-model format (docs/model-format.md): encode a fitted model's state to
/// bytes and decode it back, checking every field, so that a truncated, corrupted or
/// future-version file is a clear error and never a crash or an allocation the file's size
/// does not justify.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../options.hpp"
#include "error.hpp"

namespace kmeans::detail {

inline constexpr char model_magic[8] = {'K', 'M', 'E', 'A', 'N', 'S', '\r', '\n'};
inline constexpr std::uint32_t model_format_version = 1;

enum class ModelKind : std::uint8_t { kmeans = 1, minibatch = 2 };

/// Everything a file holds, for either model; centroids as T's own bits (bit-for-bit back).
struct ModelState {
  ModelKind kind = ModelKind::kmeans;
  std::uint8_t value_bytes = 8;  // 4: float, 8: double
  std::uint64_t k = 0, d = 0;
  std::uint64_t n_iter = 0;  // KMeans: iterations; MiniBatchKMeans: passes
  std::uint64_t steps = 0;   // MiniBatchKMeans
  double inertia = 0;
  bool converged = false;
  Algorithm algorithm_used = Algorithm::lloyd;
  // The options the model was made with, but n_threads (the machine's, not the model's) and
  // the callback.
  Options options;                       // kind == kmeans
  MiniBatchOptions mb_options;           // kind == minibatch
  std::vector<double> counts;            // kind == minibatch: k
  std::vector<unsigned char> centroids;  // k x d values of value_bytes each, little-endian
};

namespace model_io {

static_assert(std::numeric_limits<double>::is_iec559 && std::numeric_limits<float>::is_iec559,
              "the model format stores IEEE 754 values");

inline bool little_endian() noexcept {
  const std::uint16_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

class Writer {
 public:
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    out.insert(out.end(), b, b + n);
  }
  void u8(std::uint8_t v) { out.push_back(v); }
  void u32(std::uint32_t v) { le(v); }
  void u64(std::uint64_t v) { le(v); }
  void f64(double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    le(bits);
  }
  std::vector<unsigned char> out;

 private:
  template <class U>
  void le(U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
};

/// Reads fields in order; any read past the end throws, naming the source and the field.
class Reader {
 public:
  Reader(const unsigned char* data, std::size_t size, const std::string& source)
      : data_(data), size_(size), source_(source) {}

  std::uint8_t u8(const char* field) { return take<std::uint8_t>(field); }
  std::uint32_t u32(const char* field) { return take<std::uint32_t>(field); }
  std::uint64_t u64(const char* field) { return take<std::uint64_t>(field); }
  double f64(const char* field) {
    const std::uint64_t bits = take<std::uint64_t>(field);
    double v = 0;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return size_ - pos_; }
  const unsigned char* here() const noexcept { return data_ + pos_; }
  void skip(std::size_t n) { pos_ += n; }

  template <class... Args>
  [[noreturn]] void fail(Args&&... args) const {
    throw_invalid_argument(source_, ": not a kmeans model file: ", std::forward<Args>(args)...);
  }

 private:
  template <class U>
  U take(const char* field) {
    if (remaining() < sizeof(U)) fail("truncated (the file ends inside ", field, ", at byte ", size_, ")");
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>(v | static_cast<U>(U{data_[pos_ + i]} << (8 * i)));
    pos_ += sizeof(U);
    return v;
  }

  const unsigned char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  const std::string& source_;
};

/// FNV-1a, 64-bit: catches flipped and shifted bytes (not tampering).
inline std::uint64_t checksum(const unsigned char* data, std::size_t size) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ULL;
  return h;
}

inline std::uint8_t enum_byte(Init v) { return static_cast<std::uint8_t>(v); }
inline std::uint8_t enum_byte(Algorithm v) { return static_cast<std::uint8_t>(v); }

inline Init init_from(Reader& r, std::uint8_t b) {
  if (b > static_cast<std::uint8_t>(Init::kmeans_parallel)) r.fail("init has no such value: ", int{b});
  return static_cast<Init>(b);
}
inline Algorithm algorithm_from(Reader& r, std::uint8_t b) {
  if (b > static_cast<std::uint8_t>(Algorithm::automatic)) r.fail("algorithm has no such value: ", int{b});
  return static_cast<Algorithm>(b);
}
inline bool bool_from(Reader& r, std::uint8_t b, const char* field) {
  if (b > 1) r.fail(field, " is ", int{b}, ", not 0 or 1");
  return b == 1;
}

/// A count that must fit size_t (the file may come from a 64-bit build, this one may not be).
inline std::size_t size_from(Reader& r, std::uint64_t v, const char* field) {
  if (v > std::numeric_limits<std::size_t>::max()) r.fail(field, " (", v, ") is too large for this build");
  return static_cast<std::size_t>(v);
}

}  // namespace model_io

/// The bytes of a saved model.
inline std::vector<unsigned char> encode(const ModelState& s) {
  using model_io::enum_byte;
  model_io::Writer w;
  w.bytes(model_magic, sizeof model_magic);
  w.u32(model_format_version);
  w.u8(static_cast<std::uint8_t>(s.kind));
  w.u8(s.value_bytes);
  w.u64(s.k);
  w.u64(s.d);
  w.u64(s.n_iter);
  w.u64(s.steps);
  w.f64(s.inertia);
  w.u8(s.converged ? 1 : 0);
  w.u8(enum_byte(s.algorithm_used));
  if (s.kind == ModelKind::kmeans) {
    const Options& o = s.options;
    w.u64(o.max_iter);
    w.f64(o.tol);
    w.u8(o.run_till_max_iter ? 1 : 0);
    w.u64(o.n_init);
    w.u8(enum_byte(o.init));
    w.f64(o.oversampling);
    w.u64(o.init_rounds);
    w.u8(enum_byte(o.algorithm));
    w.u8(static_cast<std::uint8_t>(o.metric));
    w.u64(o.elkan_max_bytes);
    w.u64(o.seed);
  } else {
    const MiniBatchOptions& o = s.mb_options;
    w.u64(o.batch_size);
    w.u64(o.max_iter);
    w.f64(o.tol);
    w.u64(o.max_no_improvement);
    w.u64(o.init_size);
    w.u64(o.n_init);
    w.f64(o.reassignment_ratio);
    w.u8(enum_byte(o.init));
    w.f64(o.oversampling);
    w.u64(o.init_rounds);
    w.u64(o.seed);
    for (const double c : s.counts) w.f64(c);
  }
  if (model_io::little_endian()) {
    w.bytes(s.centroids.data(), s.centroids.size());
  } else {
    for (std::size_t i = 0; i < s.centroids.size(); i += s.value_bytes)
      for (std::size_t b = s.value_bytes; b-- > 0;) w.u8(s.centroids[i + b]);
  }
  w.u64(model_io::checksum(w.out.data(), w.out.size()));
  return std::move(w.out);
}

/// The model in `data` (`source` names it in errors). Throws std::invalid_argument for
/// anything but a whole, intact file of a version this build reads, whose fields are valid
/// options and whose sizes add up to the file's; allocates nothing before the sizes are known
/// to add up.
inline ModelState decode(const unsigned char* data, std::size_t size, const std::string& source) {
  using namespace model_io;
  Reader r(data, size, source);
  if (size < sizeof model_magic || std::memcmp(data, model_magic, sizeof model_magic) != 0)
    r.fail("bad magic (the first 8 bytes are not KMEANS\\r\\n)");
  r.skip(sizeof model_magic);
  const std::uint32_t version = r.u32("the format version");
  if (version == 0 || version > model_format_version)
    r.fail("format version ", version, " (this build reads version ", model_format_version,
           "; a newer kmeans wrote it)");
  if (size < sizeof model_magic + 4 + 8) r.fail("truncated (", size, " bytes)");
  if (checksum(data, size - 8) != Reader(data + size - 8, 8, source).u64("the checksum"))
    r.fail("corrupted (the checksum does not match the contents)");
  Reader end(data, size - 8, source);  // reads stop before the checksum
  end.skip(r.position());
  Reader& f = end;

  ModelState s;
  const std::uint8_t kind = f.u8("the model kind");
  if (kind != static_cast<std::uint8_t>(ModelKind::kmeans) && kind != static_cast<std::uint8_t>(ModelKind::minibatch))
    f.fail("model kind ", int{kind}, " (1: KMeans, 2: MiniBatchKMeans)");
  s.kind = static_cast<ModelKind>(kind);
  s.value_bytes = f.u8("the value size");
  if (s.value_bytes != 4 && s.value_bytes != 8) f.fail("value size ", int{s.value_bytes}, " (4: float, 8: double)");
  s.k = f.u64("n_clusters");
  s.d = f.u64("n_features");
  if (s.k == 0 || s.d == 0) f.fail("n_clusters ", s.k, " x n_features ", s.d, " centroids");
  s.n_iter = f.u64("n_iter");
  s.steps = f.u64("n_steps");
  s.inertia = f.f64("inertia");
  if (!(s.inertia >= 0)) f.fail("inertia ", s.inertia);
  s.converged = bool_from(f, f.u8("converged"), "converged");
  s.algorithm_used = algorithm_from(f, f.u8("the algorithm used"));
  if (s.kind == ModelKind::kmeans) {
    Options& o = s.options;
    o.max_iter = size_from(f, f.u64("max_iter"), "max_iter");
    o.tol = f.f64("tol");
    o.run_till_max_iter = bool_from(f, f.u8("run_till_max_iter"), "run_till_max_iter");
    o.n_init = size_from(f, f.u64("n_init"), "n_init");
    o.init = init_from(f, f.u8("init"));
    o.oversampling = f.f64("oversampling");
    o.init_rounds = size_from(f, f.u64("init_rounds"), "init_rounds");
    o.algorithm = algorithm_from(f, f.u8("algorithm"));
    const std::uint8_t metric = f.u8("metric");
    if (metric > static_cast<std::uint8_t>(Metric::cosine)) f.fail("metric has no such value: ", int{metric});
    o.metric = static_cast<Metric>(metric);
    o.elkan_max_bytes = size_from(f, f.u64("elkan_max_bytes"), "elkan_max_bytes");
    o.seed = f.u64("seed");
  } else {
    MiniBatchOptions& o = s.mb_options;
    o.batch_size = size_from(f, f.u64("batch_size"), "batch_size");
    o.max_iter = size_from(f, f.u64("max_iter"), "max_iter");
    o.tol = f.f64("tol");
    o.max_no_improvement = size_from(f, f.u64("max_no_improvement"), "max_no_improvement");
    o.init_size = size_from(f, f.u64("init_size"), "init_size");
    o.n_init = size_from(f, f.u64("n_init"), "n_init");
    o.reassignment_ratio = f.f64("reassignment_ratio");
    o.init = init_from(f, f.u8("init"));
    o.oversampling = f.f64("oversampling");
    o.init_rounds = size_from(f, f.u64("init_rounds"), "init_rounds");
    o.seed = f.u64("seed");
  }

  // The sizes must add up to what is left, before anything of their size is allocated.
  const std::uint64_t left = f.remaining();
  const std::uint64_t counts_bytes = s.kind == ModelKind::minibatch ? 8 : 0;
  // Divisions, not products: a crafted k and d must not overflow into a match.
  const std::uint64_t per_centroid_row = s.d > left ? left + 1 : s.d * s.value_bytes;  // d <= left: no overflow
  const std::uint64_t per_cluster = per_centroid_row + counts_bytes;
  if (per_centroid_row > left || s.k > left / per_cluster || s.k * per_cluster != left)
    f.fail("n_clusters ", s.k, " x n_features ", s.d, " of ", int{s.value_bytes}, "-byte values",
           counts_bytes ? " (and a count per cluster)" : "", " do not fill the ", left, " bytes left");
  const std::size_t k = size_from(f, s.k, "n_clusters");
  if (s.kind == ModelKind::minibatch) {
    s.counts.resize(k);
    for (std::size_t c = 0; c < k; ++c) {
      s.counts[c] = f.f64("the counts");
      if (!(s.counts[c] >= 0) || !std::isfinite(s.counts[c])) f.fail("counts[", c, "] is ", s.counts[c]);
    }
  }
  const std::size_t n_bytes = f.remaining();
  s.centroids.resize(n_bytes);
  if (little_endian()) {
    std::memcpy(s.centroids.data(), f.here(), n_bytes);
  } else {
    for (std::size_t i = 0; i < n_bytes; i += s.value_bytes)
      for (std::size_t b = 0; b < s.value_bytes; ++b) s.centroids[i + b] = f.here()[i + s.value_bytes - 1 - b];
  }
  return s;
}

/// The centroids of a model of T, as a file stores them.
template <class T>
void store_centroids(ModelState& s, const std::vector<T>& centroids) {
  s.value_bytes = sizeof(T);
  s.centroids.resize(centroids.size() * sizeof(T));
  if (!centroids.empty()) std::memcpy(s.centroids.data(), centroids.data(), s.centroids.size());
}

/// The file at `path` decoded, checked to hold a model of this kind and T.
template <class T>
ModelState load_state(const std::string& path, ModelKind kind);

/// The whole of a file, or std::invalid_argument naming it and why not.
inline std::vector<unsigned char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw_invalid_argument(path, ": cannot open it for reading");
  const std::streamoff size = in.tellg();
  if (size < 0) throw_invalid_argument(path, ": cannot tell its size");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) throw_invalid_argument(path, ": read failed");
  return bytes;
}

/// Writes `bytes` to path.tmp, then renames it over path: a crash or a full disk leaves any
/// earlier file at path whole.
inline void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_invalid_argument(path, ": cannot open ", tmp, " for writing");
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      throw_invalid_argument(path, ": writing ", tmp, " failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw_invalid_argument(path, ": cannot rename ", tmp, " to it");
  }
}

template <class T>
ModelState load_state(const std::string& path, ModelKind kind) {
  const std::vector<unsigned char> bytes = read_file(path);
  ModelState s = decode(bytes.data(), bytes.size(), path);
  const char* const names[] = {"", "KMeans", "MiniBatchKMeans"};
  if (s.kind != kind)
    throw_invalid_argument(path, ": holds a ", names[static_cast<int>(s.kind)], ", not a ",
                           names[static_cast<int>(kind)], "; load it with ", names[static_cast<int>(s.kind)],
                           "<T>::load");
  if (s.value_bytes != sizeof(T))
    throw_invalid_argument(path, ": holds ", s.value_bytes == 4 ? "float" : "double", " centroids; load it as ",
                           names[static_cast<int>(kind)], "<", s.value_bytes == 4 ? "float" : "double", ">");
  return s;
}

/// The centroids a file holds, as T (load_state checked the size).
template <class T>
std::vector<T> loaded_centroids(const ModelState& s) {
  std::vector<T> c(s.centroids.size() / sizeof(T));
  std::memcpy(c.data(), s.centroids.data(), s.centroids.size());
  return c;
}

/// Runs `make` (a model's constructor from the file's options), naming the file in its error.
template <class Make>
auto with_file_named(const std::string& path, Make&& make) {
  try {
    return make();
  } catch (const std::invalid_argument& e) {
    throw_invalid_argument(path, ": ", e.what());
  }
}

}  // namespace kmeans::detail
