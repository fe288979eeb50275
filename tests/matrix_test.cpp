#include <kmeans/matrix.hpp>
#include <type_traits>
#include <vector>

#include "catch.hpp"

using kmeans::Matrix;

TEST_CASE("Matrix views vectors, raw buffers and sub-blocks without copying", "[matrix]") {
  std::vector<int> v(std::size_t{6} * 5);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i);
  const Matrix<int> whole(v.data(), 6, 5);
  CHECK(whole.rows() == 6);
  CHECK(whole.cols() == 5);
  CHECK(whole.stride() == 5);
  CHECK(whole(2, 3) == 13);
  CHECK(whole.row(4) == v.data() + 20);

  // Rows 1..3, columns 2..4 of the 6 x 5 array: a strided sub-block.
  const Matrix<int> sub(v.data() + 7, 3, 3, 5);
  CHECK(sub(0, 0) == 7);
  CHECK(sub(2, 2) == 19);
  sub(1, 1) = -1;  // writes through to the original
  CHECK(v[13] == -1);

  const Matrix<const int> ro = sub;  // Matrix<T> -> Matrix<const T>
  CHECK(ro.data() == sub.data());
  CHECK(ro.stride() == 5);
  static_assert(std::is_convertible_v<Matrix<int>, Matrix<const int>>);
  static_assert(!std::is_convertible_v<Matrix<const int>, Matrix<int>>);
  static_assert(std::is_same_v<decltype(ro(0, 0)), const int&>);

  const Matrix<const double> empty;
  CHECK(empty.empty());
  CHECK(empty.rows() == 0);
}
