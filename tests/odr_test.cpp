#include <cmath>

#include "catch.hpp"

double odr_fit_a();
double odr_fit_b();

TEST_CASE("all headers link from two translation units", "[odr]") {
  const double a = odr_fit_a(), b = odr_fit_b();
  CHECK(std::isfinite(a));
  CHECK(a > 0);
  CHECK(std::abs(a - b) <= 1e-4 * b);  // same data in float and double
}
