// libFuzzer target: bytes -> the saved-model decoder (detail/model_file.hpp).
//
// Input: one mode byte, then the file. Mode bit 0 set: the file's checksum (its last 8 bytes)
// is recomputed first, so that mutations reach the field checks behind it, which a checksum
// would otherwise stop almost every mutated input at. Bit 0 clear: the file as it is.
//
// Only std::invalid_argument may escape decode. What decodes must be a model the format
// allows (k, d >= 1, 4- or 8-byte values, centroid bytes k x d of them, a count per cluster
// for a MiniBatchKMeans), must encode back to the very same bytes (the format has one
// spelling per model), and must load: a KMeans or MiniBatchKMeans of its kind and T is
// built from it, or refused with std::invalid_argument (options no model takes, non-finite
// centroids). Any violation aborts, which libFuzzer reports with the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <kmeans/kmeans.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "model_file_fuzzer: %s\n", what);
    std::abort();
  }
}

template <class T>
void load_as(const kmeans::detail::ModelState& s) {
  // The same path as load(), without the file: a model from the decoded state.
  const std::vector<T> c = kmeans::detail::loaded_centroids<T>(s);
  const kmeans::Matrix<const T> C(c.data(), static_cast<std::size_t>(s.k), static_cast<std::size_t>(s.d));
  try {
    if (s.kind == kmeans::detail::ModelKind::kmeans) {
      kmeans::Options o = s.options;
      o.n_threads = 1;
      const auto model = kmeans::KMeans<T>::from_centroids(C, o);
      require(model.predict(C).size() == s.k, "predict on the centroids");
    } else {
      kmeans::MiniBatchOptions o = s.mb_options;
      o.n_threads = 1;
      const auto model = kmeans::MiniBatchKMeans<T>::from_centroids(C, o, s.counts, static_cast<std::size_t>(s.steps));
      require(model.predict(C).size() == s.k, "predict on the centroids");
    }
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t input_size) {
  if (input_size == 0) return 0;
  std::vector<unsigned char> file(input + 1, input + input_size);
  if ((input[0] & 1) != 0 && file.size() >= 8) {
    const std::uint64_t sum = kmeans::detail::model_io::checksum(file.data(), file.size() - 8);
    for (std::size_t i = 0; i < 8; ++i) file[file.size() - 8 + i] = static_cast<unsigned char>(sum >> (8 * i));
  }
  const unsigned char* data = file.data();
  const std::size_t size = file.size();
  kmeans::detail::ModelState s;
  try {
    s = kmeans::detail::decode(data, size, "fuzz input");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  require(s.k >= 1 && s.d >= 1, "empty centroids decoded");
  require(s.value_bytes == 4 || s.value_bytes == 8, "value size");
  require(s.centroids.size() == s.k * s.d * s.value_bytes, "centroid bytes");
  require(s.centroids.size() < size, "decoded more than the input holds");
  require(s.kind != kmeans::detail::ModelKind::minibatch || s.counts.size() == s.k, "counts");
  const std::vector<unsigned char> again = kmeans::detail::encode(s);
  require(again.size() == size && std::memcmp(again.data(), data, size) == 0, "encode(decode(bytes)) != bytes");
  if (s.k * s.d <= 4096) {  // a bigger model is a valid file too, only slow to predict with
    if (s.value_bytes == 4)
      load_as<float>(s);
    else
      load_as<double>(s);
  }
  return 0;
}
