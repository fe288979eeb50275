#include <cmath>
#include <kmeans/datasets.hpp>
#include <vector>

#include "catch.hpp"

TEST_CASE("make_blobs is seeded, balanced and centred on its centres", "[datasets]") {
  const auto b = kmeans::make_blobs<double>(10001, 3, 4, 0.5, 9);
  REQUIRE(b.data.size() == std::size_t{10001} * 3);
  REQUIRE(b.labels.size() == 10001);
  REQUIRE(b.centers.size() == std::size_t{4} * 3);
  std::vector<std::size_t> count(4);
  std::vector<double> mean(12), var(12);
  for (std::size_t i = 0; i < 10001; ++i) {
    const auto c = static_cast<std::size_t>(b.labels[i]);
    ++count[c];
    for (std::size_t j = 0; j < 3; ++j) mean[c * 3 + j] += b.data[i * 3 + j];
  }
  CHECK(count == std::vector<std::size_t>{2501, 2500, 2500, 2500});
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t j = 0; j < 3; ++j) {
      mean[c * 3 + j] /= static_cast<double>(count[c]);
      CHECK(std::abs(mean[c * 3 + j] - b.centers[c * 3 + j]) < 0.05);  // 5 sigma of the mean
      CHECK(b.centers[c * 3 + j] >= -10.0);
      CHECK(b.centers[c * 3 + j] < 10.0);
    }
  for (std::size_t i = 0; i < 10001; ++i) {
    const auto c = static_cast<std::size_t>(b.labels[i]);
    for (std::size_t j = 0; j < 3; ++j) {
      const double t = b.data[i * 3 + j] - b.centers[c * 3 + j];
      var[c * 3 + j] += t * t / static_cast<double>(count[c]);
    }
  }
  for (const double v : var) CHECK(std::abs(std::sqrt(v) - 0.5) < 0.03);
  // Shuffled: labels are not in blocks.
  std::size_t runs = 1;
  for (std::size_t i = 1; i < 10001; ++i) runs += b.labels[i] != b.labels[i - 1];
  CHECK(runs > 5000);

  const auto again = kmeans::make_blobs<double>(10001, 3, 4, 0.5, 9);
  CHECK(again.data == b.data);
  CHECK(kmeans::make_blobs<double>(10001, 3, 4, 0.5, 10).data != b.data);
  CHECK_THROWS_AS(kmeans::make_blobs<float>(10, 0, 2), std::invalid_argument);
  CHECK_THROWS_AS(kmeans::make_blobs<float>(10, 2, 2, -1.0), std::invalid_argument);
}
