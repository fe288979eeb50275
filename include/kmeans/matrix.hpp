#pragma once

#include <cstddef>
#include <type_traits>

#include "detail/error.hpp"

namespace kmeans {

/// @brief A non-owning, row-major view of a rows x cols matrix whose rows are `stride`
/// elements apart. T may be const; Matrix<T> converts to Matrix<const T>.
template <class T>
class Matrix {
  static_assert(std::is_arithmetic_v<std::remove_const_t<T>>, "Matrix<T> needs an arithmetic element type");

 public:
  using element_type = T;
  using value_type = std::remove_const_t<T>;

  /// An empty view (0 x 0).
  constexpr Matrix() noexcept = default;

  /// A view of rows x cols contiguous elements.
  Matrix(T* data, std::size_t rows, std::size_t cols) : Matrix(data, rows, cols, cols) {}

  /// A view whose row i starts at data + i * stride; throws std::invalid_argument if
  /// stride < cols, or if data is null while rows > 0.
  Matrix(T* data, std::size_t rows, std::size_t cols, std::size_t stride)
      : data_(data), rows_(rows), cols_(cols), stride_(stride) {
    if (stride < cols) detail::throw_invalid_argument("Matrix stride (", stride, ") is smaller than cols (", cols, ")");
    if (data == nullptr && rows > 0) detail::throw_invalid_argument("Matrix data is null but rows is ", rows);
  }

  /// Matrix<T> -> Matrix<const T>.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  constexpr Matrix(const Matrix<U>& other) noexcept  // NOLINT(google-explicit-constructor)
      : data_(other.data()), rows_(other.rows()), cols_(other.cols()), stride_(other.stride()) {}

  constexpr std::size_t rows() const noexcept { return rows_; }
  constexpr std::size_t cols() const noexcept { return cols_; }
  constexpr std::size_t stride() const noexcept { return stride_; }
  constexpr T* data() const noexcept { return data_; }
  constexpr bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }

  /// Pointer to the first element of row i (no bounds check).
  constexpr T* row(std::size_t i) const noexcept { return data_ + i * stride_; }
  /// Element (i, j) (no bounds check).
  constexpr T& operator()(std::size_t i, std::size_t j) const noexcept { return data_[i * stride_ + j]; }

 private:
  T* data_ = nullptr;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::size_t stride_ = 0;
};

}  // namespace kmeans
