#include <cmath>
#include <cstdio>

double odr_fit_a();
double odr_fit_b();

int main() {
  const double a = odr_fit_a(), b = odr_fit_b();
  std::printf("compile_check: %g %g\n", a, b);
  return std::isfinite(a) && std::isfinite(b) ? 0 : 1;
}
