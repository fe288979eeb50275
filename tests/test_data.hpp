#pragma once
// Owned test matrices, optionally strided, with the padding filled with NaN so that any
// read past a row's end shows up as a non-finite result.

#include <cstddef>
#include <cstdint>
#include <kmeans/datasets.hpp>
#include <kmeans/matrix.hpp>
#include <limits>
#include <vector>

template <class T>
struct Owned {
  std::vector<T> buffer;
  std::size_t rows = 0, cols = 0, stride = 0;
  kmeans::Matrix<const T> view() const { return {buffer.data(), rows, cols, stride}; }
  kmeans::Matrix<T> mut() { return {buffer.data(), rows, cols, stride}; }
};

/// make_blobs data copied into a view whose rows are `pad` elements wider than cols.
template <class T>
Owned<T> blobs(std::size_t n, std::size_t d, std::size_t centers, double std_dev, std::uint64_t seed,
               std::size_t pad = 0) {
  const auto b = kmeans::make_blobs<T>(n, d, centers, std_dev, seed);
  Owned<T> o;
  o.rows = n;
  o.cols = d;
  o.stride = d + pad;
  o.buffer.assign(n * o.stride, std::numeric_limits<T>::quiet_NaN());
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) o.buffer[i * o.stride + j] = b.data[i * d + j];
  return o;
}

template <class T>
Owned<T> from_rows(const std::vector<std::vector<T>>& rows) {
  Owned<T> o;
  o.rows = rows.size();
  o.cols = rows.empty() ? 0 : rows[0].size();
  o.stride = o.cols;
  for (const auto& r : rows) o.buffer.insert(o.buffer.end(), r.begin(), r.end());
  return o;
}
