// libFuzzer target: bytes -> options and a (strided) matrix -> fit, predict and accessors.
//
// Input layout (missing bytes read as zero):
//   [0] flags: bit 0 double (else float), bit 1 raw value bits (else the value table),
//       bit 2 given initial centroids (the first k rows), bit 3 Init::random,
//       bit 4 run_till_max_iter, bits 5-6 tol in {0, 1e-4, 1e-2, 1}, bit 7 a callback that
//       stops after `stop_after` iterations
//   [1] rows 1..64   [2] cols 1..16   [3] stride padding 0..3   [4] k 1..rows+1 (rows+1 is
//       a documented error)   [5] max_iter 1..16   [6] n_init 1..3   [7] n_threads 1..3
//   [8] stop_after 1..4   [9..16] seed   then the values, row by row; then one byte: bits
//   0-1 the algorithm (lloyd, hamerly, elkan, automatic), bit 2 sample weights, one byte per
//   row from {0, 0.25, 1, 3, 1e-3, 1e3, -1, NaN} (the last two are errors), bit 3
//   Init::kmeans_parallel (over bit 3 of [0]), bits 4-5 its rounds 1..4, bit 6 yinyang (over
//   bits 0-1).
// Only std::invalid_argument may escape fit, and only for the documented reasons; a model
// that fitted must have finite centroids, labels in range that predict() reproduces and that
// name a nearest centroid (checked by brute force in double), and a finite inertia >= 0. Any violation aborts, which
// libFuzzer reports with the input.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <kmeans/kmeans_model.hpp>
#include <limits>
#include <stdexcept>
#include <vector>

namespace {

class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }
  template <class U>
  U raw() {
    U u{};
    for (std::size_t i = 0; i < sizeof(U); ++i) u = static_cast<U>((u << 8) | next());
    return u;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_, pos_ = 0;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

void require(bool ok, const char* what) {
  if (!ok) fail(what);
}

/// One value from one byte: the awkward ones often, small integers otherwise.
template <class T>
T table_value(std::uint8_t b) {
  using L = std::numeric_limits<T>;
  switch (b % 32) {
    case 0: return L::quiet_NaN();
    case 1: return L::infinity();
    case 2: return -L::infinity();
    case 3: return L::denorm_min();
    case 4: return T(-3) * L::denorm_min();
    case 5: return L::min();
    case 6: return L::max();
    case 7: return L::lowest();
    case 8: return T(1e38);
    case 9: return T(-1e38);
    case 10: return T(1e-30);
    case 11: return T(0);
    case 12: return -T(0);
    default: return static_cast<T>(static_cast<int>(b) - 144) / T(4);
  }
}

template <class T>
void run(Bytes& in, std::uint8_t flags) {
  const std::size_t rows = 1 + in.next() % 64;
  const std::size_t cols = 1 + in.next() % 16;
  const std::size_t stride = cols + in.next() % 4;
  const std::size_t k = 1 + in.next() % (rows + 1);
  kmeans::Options o;
  o.n_clusters = k;
  o.max_iter = 1 + in.next() % 16;
  o.n_init = 1 + in.next() % 3;
  o.n_threads = 1 + in.next() % 3;
  const std::size_t stop_after = 1 + in.next() % 4;
  o.seed = in.raw<std::uint64_t>();
  o.init = flags & 8 ? kmeans::Init::random : kmeans::Init::kmeans_plus_plus;
  o.run_till_max_iter = (flags & 16) != 0;
  const double tols[] = {0.0, 1e-4, 1e-2, 1.0};
  o.tol = tols[(flags >> 5) & 3];
  if (flags & 128) o.on_iteration = [stop_after](const kmeans::Iteration& it) { return it.iteration < stop_after; };

  std::vector<T> buffer(rows * stride, std::numeric_limits<T>::quiet_NaN());  // padding: NaN
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      if (flags & 2) {
        using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
        const Bits bits = in.raw<Bits>();
        std::memcpy(&buffer[i * stride + j], &bits, sizeof(T));
      } else {
        buffer[i * stride + j] = table_value<T>(in.next());
      }
    }
  }
  const kmeans::Matrix<const T> X(buffer.data(), rows, cols, stride);
  bool finite = true;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) finite = finite && std::isfinite(X(i, j));
  const bool given = (flags & 4) != 0 && k <= rows;

  // After the values (zero when the input is shorter): the algorithm, and sample weights.
  const std::uint8_t extra = in.next();
  const kmeans::Algorithm algorithms[] = {kmeans::Algorithm::lloyd, kmeans::Algorithm::hamerly,
                                          kmeans::Algorithm::elkan, kmeans::Algorithm::automatic};
  o.algorithm = (extra & 64) != 0 ? kmeans::Algorithm::yinyang : algorithms[extra & 3];
  if (extra & 8) {
    o.init = kmeans::Init::kmeans_parallel;
    o.init_rounds = 1 + ((extra >> 4) & 3);
  }
  std::vector<double> weight;
  bool weights_ok = true;
  if (extra & 4) {
    const double table[] = {0.0, 0.25, 1.0, 3.0, 1e-3, 1e3, -1.0, std::nan("")};
    double total = 0.0;
    for (std::size_t i = 0; i < rows; ++i) {
      weight.push_back(table[in.next() % 8]);
      weights_ok = weights_ok && weight.back() >= 0;  // false for -1 and NaN
      total += weight.back() >= 0 ? weight.back() : 0.0;
    }
    weights_ok = weights_ok && total > 0;
  }

  kmeans::KMeans<T> km(o);
  const kmeans::Matrix<const T> first_rows(buffer.data(), std::min(k, rows), cols, stride);
  try {
    if (given && !weight.empty())
      km.fit(X, weight, first_rows);
    else if (given)
      km.fit(X, first_rows);
    else if (!weight.empty())
      km.fit(X, weight);
    else
      km.fit(X);
  } catch (const std::invalid_argument&) {
    // Documented causes: k > rows, a NaN or infinity, (double) rows too large to sum, or
    // weights negative, NaN or all zero.
    require(k > rows || !finite || sizeof(T) == 8 || !weights_ok, "invalid_argument without a documented cause");
    require(!km.is_fitted(), "a failed fit left a fitted model");
    return;
  }
  require(k <= rows && finite && weights_ok, "fit accepted bad input");
  require(km.is_fitted(), "fit succeeded but the model is not fitted");
  const auto C = km.centroids();
  require(C.rows() == k && C.cols() == cols, "centroids have the wrong shape");
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < cols; ++j) require(std::isfinite(C(c, j)), "a centroid is not finite");
  const auto& labels = km.labels();
  require(labels.size() == rows, "labels have the wrong size");
  for (const auto l : labels) require(l >= 0 && static_cast<std::size_t>(l) < k, "a label is out of range");
  require(std::isfinite(km.inertia()) && km.inertia() >= 0.0, "inertia is not finite and >= 0");
  require(km.n_iter() >= 1 && km.n_iter() <= o.max_iter, "n_iter out of [1, max_iter]");
  require(km.predict(X) == labels, "predict(X) differs from labels()");
  const double score = weight.empty() ? km.score(X) : km.score(X, weight);
  require(std::abs(score + km.inertia()) <= 1e-9 * km.inertia(), "score(X) is not minus the inertia");
  const std::vector<T> distances = km.transform(X);
  require(distances.size() == rows * k, "transform has the wrong size");
  for (std::size_t i = 0; i < rows; ++i) {
    const auto l = static_cast<std::size_t>(labels[i]);
    for (std::size_t c = 0; c < k; ++c)
      require(distances[i * k + c] >= 0 && distances[i * k + c] >= distances[i * k + l] * (1 - 1e-6) ||
                  !std::isfinite(static_cast<double>(distances[i * k + c])),
              "transform disagrees with the labels");
  }
  // Every label is a nearest centroid, by direct distances in double (up to their rounding).
  for (std::size_t i = 0; i < rows; ++i) {
    double nearest = std::numeric_limits<double>::infinity(), chosen = 0;
    for (std::size_t c = 0; c < k; ++c) {
      double s = 0;
      for (std::size_t j = 0; j < cols; ++j) {
        const double t = static_cast<double>(X(i, j)) - static_cast<double>(C(c, j));
        s += t * t;
      }
      nearest = std::min(nearest, s);
      if (c == static_cast<std::size_t>(labels[i])) chosen = s;
    }
    require(chosen <= nearest * (1 + 1e-9) + 1e-300, "a label is not a nearest centroid");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const std::uint8_t flags = in.next();
  if (flags & 1)
    run<double>(in, flags);
  else
    run<float>(in, flags);
  return 0;
}
