// Index arithmetic past 32 bits: a strided view whose last row starts beyond 2^32 elements.
// The view lies in a sparse anonymous mapping of ~17 GB of address space of which only the
// touched pages (three rows) ever become memory.

#include <cstddef>
#include <cstdint>
#include <kmeans/kmeans_model.hpp>
#include <vector>

#include "catch.hpp"

#if defined(__linux__)
#include <sys/mman.h>

TEST_CASE("rows beyond 2^32 elements are indexed with 64-bit arithmetic", "[scale]") {
  static_assert(sizeof(std::size_t) == 8, "a 64-bit platform");
  using T = float;
  constexpr std::size_t rows = 3, cols = 5;
  constexpr std::size_t stride = (std::size_t{1} << 31) + 3;  // row 2 starts at 2^32 + 6
  const std::size_t bytes = ((rows - 1) * stride + cols) * sizeof(T);
  void* mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(mapping != MAP_FAILED);
  auto* base = static_cast<T*>(mapping);
  const kmeans::Matrix<T> far(base, rows, cols, stride);
  REQUIRE(static_cast<std::uint64_t>(far.row(2) - base) > (std::uint64_t{1} << 32));

  // The same three rows, contiguous. Row 2 is far from rows 0 and 1.
  const std::vector<T> near{1, 2, 3, 4, 5, 1.5f, 2, 3, 4, 5, 100, 90, 80, 70, 60};
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) far(i, j) = near[i * cols + j];

  kmeans::Options o;
  o.n_clusters = 2;
  o.n_threads = 2;
  kmeans::KMeans<T> a(o), b(o);
  a.fit(kmeans::Matrix<const T>(far));
  b.fit(kmeans::Matrix<const T>(near.data(), rows, cols));
  CHECK(a.labels() == b.labels());
  CHECK(a.labels()[0] == a.labels()[1]);
  CHECK(a.labels()[2] != a.labels()[0]);
  CHECK(a.inertia() == b.inertia());
  CHECK(a.predict(kmeans::Matrix<const T>(far)) == a.labels());
  // The far row's centroid is the row itself, read through the 64-bit offset.
  const auto c = static_cast<std::size_t>(a.labels()[2]);
  for (std::size_t j = 0; j < cols; ++j) CHECK(a.centroids()(c, j) == near[2 * cols + j]);
  munmap(mapping, bytes);
}
#endif
