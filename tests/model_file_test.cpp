// Saved models (detail/model_file.hpp, KMeans::save/load, MiniBatchKMeans::save/load): a
// model loaded back predicts as the saved one, bit for bit; every damaged file is a clear
// std::invalid_argument naming it.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <kmeans/kmeans.hpp>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "test_data.hpp"

using kmeans::KMeans;
using kmeans::Matrix;
using kmeans::MiniBatchKMeans;
using kmeans::MiniBatchOptions;
using kmeans::Options;

namespace {

std::string temp_path(const char* name) { return std::string("kmeans_model_file_test_") + name; }

std::vector<unsigned char> bytes_of(const std::string& path) { return kmeans::detail::read_file(path); }

void write_bytes(const std::string& path, const std::vector<unsigned char>& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

/// Re-seals bytes edited on purpose, so that the check under test is not the checksum.
void reseal(std::vector<unsigned char>& b) {
  const std::uint64_t sum = kmeans::detail::model_io::checksum(b.data(), b.size() - 8);
  for (std::size_t i = 0; i < 8; ++i) b[b.size() - 8 + i] = static_cast<unsigned char>(sum >> (8 * i));
}

template <class U>
void put_le(std::vector<unsigned char>& b, std::size_t at, U v) {
  for (std::size_t i = 0; i < sizeof(U); ++i)
    b[at + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(v) >> (8 * i));
}

// Byte offsets of the header fields (docs/model-format.md).
constexpr std::size_t at_version = 8, at_kind = 12, at_value_bytes = 13, at_k = 14, at_d = 22, at_max_iter = 56;

}  // namespace

TEMPLATE_TEST_CASE("a saved KMeans loads back to the same predictions, bit for bit", "[model_file]", float, double) {
  using T = TestType;
  const auto X = blobs<T>(2000, 7, 6, 2.0, 61, 2);
  Options o;
  o.n_clusters = 6;
  o.max_iter = 123;
  o.tol = 3e-5;
  o.n_init = 2;
  o.init = kmeans::Init::kmeans_parallel;
  o.oversampling = 3.5;
  o.init_rounds = 7;
  o.algorithm = kmeans::Algorithm::yinyang;
  o.metric = kmeans::Metric::cosine;
  o.elkan_max_bytes = 12345678;
  o.seed = 0xfeedbeefcafeULL;
  o.n_threads = 2;
  KMeans<T> fitted(o);
  fitted.fit(X.view());
  const std::string path = temp_path("kmeans");
  fitted.save(path);

  const KMeans<T> loaded = KMeans<T>::load(path, 1);
  CHECK(loaded.predict(X.view()) == fitted.labels());
  CHECK(loaded.transform(X.view()) == fitted.transform(X.view()));
  CHECK(loaded.score(X.view()) == fitted.score(X.view()));
  CHECK(std::memcmp(loaded.centroids().data(), fitted.centroids().data(), 6 * 7 * sizeof(T)) == 0);
  CHECK(loaded.inertia() == fitted.inertia());
  CHECK(loaded.n_iter() == fitted.n_iter());
  CHECK(loaded.converged() == fitted.converged());
  CHECK(loaded.algorithm_used() == fitted.algorithm_used());
  CHECK(loaded.labels().empty());
  const Options& l = loaded.options();
  CHECK(l.n_clusters == 6);
  CHECK(l.max_iter == 123);
  CHECK(l.tol == 3e-5);
  CHECK(l.n_init == 2);
  CHECK(l.init == kmeans::Init::kmeans_parallel);
  CHECK(l.oversampling == 3.5);
  CHECK(l.init_rounds == 7);
  CHECK(l.algorithm == kmeans::Algorithm::yinyang);
  CHECK(l.metric == kmeans::Metric::cosine);
  CHECK(l.elkan_max_bytes == 12345678);
  CHECK(l.seed == 0xfeedbeefcafeULL);
  CHECK(l.n_threads == 1);  // the machine's, given to load, not saved
  // Refitting the loaded model with its options gives the saved model's fit.
  KMeans<T> refit = loaded;
  refit.fit(X.view());
  CHECK(refit.labels() == fitted.labels());
  std::remove(path.c_str());

  KMeans<T> unfitted(o);
  CHECK_THROWS_AS(unfitted.save(path), std::logic_error);
  CHECK_THROWS_AS(fitted.save("no_such_directory/model.kmeans"), std::invalid_argument);
}

TEST_CASE("a saved MiniBatchKMeans loads back and continues", "[model_file]") {
  const auto X = blobs<double>(3000, 5, 4, 1.0, 62);
  MiniBatchOptions o;
  o.n_clusters = 4;
  o.reassignment_ratio = 0;  // reassignments draw from a stream a loaded model does not share
  o.batch_size = 300;
  MiniBatchKMeans<double> original(o);
  const auto batch_at = [&](std::size_t b) { return Matrix<const double>(X.view().row(b * 300), 300, 5); };
  for (std::size_t b = 0; b < 3; ++b) original.partial_fit(batch_at(b));
  const std::string path = temp_path("minibatch");
  original.save(path);
  auto loaded = MiniBatchKMeans<double>::load(path);
  CHECK(loaded.predict(X.view()) == original.predict(X.view()));
  CHECK(loaded.counts() == original.counts());
  CHECK(loaded.n_steps() == original.n_steps());
  CHECK(loaded.n_iter() == original.n_iter());
  CHECK(loaded.inertia() == original.inertia());
  CHECK(loaded.options().batch_size == 300);
  CHECK(loaded.options().reassignment_ratio == 0);
  for (std::size_t b = 3; b < 6; ++b) {
    original.partial_fit(batch_at(b));
    loaded.partial_fit(batch_at(b));
    CHECK(std::memcmp(loaded.centroids().data(), original.centroids().data(), 20 * sizeof(double)) == 0);
  }
  // float: the predictions still bit for bit
  const auto Xf = blobs<float>(2000, 3, 5, 1.0, 63);
  MiniBatchKMeans<float> mf(MiniBatchOptions{});
  mf.fit(Xf.view());
  mf.save(path);
  CHECK(MiniBatchKMeans<float>::load(path).predict(Xf.view()) == mf.labels());
  CHECK_THROWS_AS(MiniBatchKMeans<double>::load(path), std::invalid_argument);
  CHECK_THROWS_AS(KMeans<float>::load(path), std::invalid_argument);
  std::remove(path.c_str());
}

TEST_CASE("a damaged model file is a clear error, never a crash", "[model_file][errors]") {
  const auto X = blobs<double>(500, 3, 3, 1.0, 64);
  Options o;
  o.n_clusters = 3;
  KMeans<double> km(o);
  km.fit(X.view());
  const std::string path = temp_path("damaged");
  km.save(path);
  const std::vector<unsigned char> good = bytes_of(path);
  REQUIRE(good.size() == 56 + 60 + 3 * 3 * 8 + 8);  // header, KMeans options, centroids, checksum
  const auto message_for = [&](const std::vector<unsigned char>& b) {
    write_bytes(path, b);
    return message_of([&] { KMeans<double>::load(path); });
  };

  SECTION("every truncation") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      CAPTURE(n);
      const std::string m = message_for(std::vector<unsigned char>(good.begin(), good.begin() + n));
      CHECK(contains(m, path));
    }
  }
  SECTION("every flipped byte") {
    for (std::size_t i = 0; i < good.size(); ++i) {
      CAPTURE(i);
      auto b = good;
      b[i] ^= 0x5a;
      CHECK(contains(message_for(b), path));
    }
  }
  SECTION("named problems") {
    CHECK(contains(message_of([&] { KMeans<double>::load("no_such_file.kmeans"); }), "cannot open"));
    auto b = good;
    b[0] = 'X';
    CHECK(contains(message_for(b), "bad magic"));
    b = good;
    put_le<std::uint32_t>(b, at_version, 2);
    reseal(b);
    CHECK(contains(message_for(b), "format version 2 (this build reads version 1"));
    b = good;
    b[20] ^= 1;
    CHECK(contains(message_for(b), "checksum"));
    b = good;
    b[at_kind] = 9;
    reseal(b);
    CHECK(contains(message_for(b), "model kind 9"));
    b = good;
    b[at_value_bytes] = 2;
    reseal(b);
    CHECK(contains(message_for(b), "value size 2"));
    // Huge sizes with the checksum right: refused before any allocation of their size.
    for (const std::uint64_t k : {std::uint64_t{1} << 40, ~std::uint64_t{0}, std::uint64_t{4}}) {
      b = good;
      put_le<std::uint64_t>(b, at_k, k);
      reseal(b);
      CHECK(contains(message_for(b), "do not fill"));
    }
    b = good;
    put_le<std::uint64_t>(b, at_d, std::uint64_t{1} << 62);
    reseal(b);
    CHECK(contains(message_for(b), "do not fill"));
    b = good;
    put_le<std::uint64_t>(b, at_max_iter, 0);
    reseal(b);
    CHECK(contains(message_for(b), "max_iter"));
    b = good;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::memcpy(b.data() + good.size() - 8 - 8, &nan, 8);  // the last centroid value
    reseal(b);
    CHECK(contains(message_for(b), "NaN"));
  }
  std::remove(path.c_str());
}
