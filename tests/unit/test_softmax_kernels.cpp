// The AVX-512 exp and attention softmax row against std::exp and a double-precision softmax:
// the exp's error in ulp over its whole range (the figure kernels/cpu/softmax__avx512.cpp states),
// its special values, and softmax rows of every length around the vector width, with -inf
// entries, all -inf rows and NaN. Skipped on CPUs without AVX-512.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/softmax.h"

using namespace onnxi::kernels;

namespace {

// Distance in representable floats between two positive finite floats.
int64_t ulp_distance(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return ia > ib ? ia - ib : ib - ia;
}

}  // namespace

TEST_CASE("exp_f32__avx512 is within 2 ulp of std::exp over [-87, 88] and right at the edges") {
  if (detected_isa() < Isa::Avx512) {
    MESSAGE("no AVX-512 on this CPU: skipped");
    return;
  }
  const int64_t n = 1 << 21;
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) x[i] = -87.f + 175.f * static_cast<float>(i) / static_cast<float>(n);
  exp_f32__avx512(x.data(), y.data(), n);
  int64_t worst = 0;
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, ulp_distance(y[i], std::exp(x[i])));
  MESSAGE("exp_f32__avx512: max error " << worst << " ulp over [-87, 88]");
  CHECK(worst <= 2);

  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> special{0.f, -0.f, -inf, inf, nan, 89.f, -104.f, -200.f, 1.f, -1.f};
  std::vector<float> out(special.size());
  exp_f32__avx512(special.data(), out.data(), static_cast<int64_t>(special.size()));
  CHECK(out[0] == 1.f);
  CHECK(out[1] == 1.f);
  CHECK(out[2] == 0.f);
  CHECK(out[3] == inf);
  CHECK(std::isnan(out[4]));
  CHECK(out[5] == inf);
  CHECK(out[6] == 0.f);
  CHECK(out[7] == 0.f);
  CHECK(ulp_distance(out[8], std::exp(1.f)) <= 1);
  CHECK(ulp_distance(out[9], std::exp(-1.f)) <= 1);
}

TEST_CASE("softmax_row_masked_f32__avx512 matches a double softmax; all -inf rows give zeros; NaN spreads") {
  if (detected_isa() < Isa::Avx512) {
    MESSAGE("no AVX-512 on this CPU: skipped");
    return;
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t n : {1, 2, 15, 16, 17, 31, 33, 100, 384, 1000}) {
    std::vector<float> row(n);
    for (int64_t i = 0; i < n; ++i) row[i] = static_cast<float>((i * 37) % 23) * 0.7f - 8.f;
    if (n > 3) row[2] = -inf;  // a masked key
    std::vector<double> want(row.begin(), row.end());
    softmax_row_masked(want.data(), n);
    softmax_row_masked_f32__avx512(row.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      INFO("n=", n, " i=", i);
      REQUIRE(std::fabs(row[i] - want[i]) <= 1e-6 * std::fabs(want[i]) + 1e-9);
    }
  }
  std::vector<float> masked(20, -inf);
  softmax_row_masked_f32__avx512(masked.data(), 20);
  for (float v : masked) CHECK(v == 0.f);
  std::vector<float> with_nan{1.f, std::numeric_limits<float>::quiet_NaN(), 2.f};
  softmax_row_masked_f32__avx512(with_nan.data(), 3);
  for (float v : with_nan) CHECK(std::isnan(v));
}

TEST_CASE("softmax_rows_f32__avx512: Softmax rows as the formula gives them (an all -inf row is NaN)") {
  if (detected_isa() < Isa::Avx512) {
    MESSAGE("no AVX-512 on this CPU: skipped");
    return;
  }
  const float inf = std::numeric_limits<float>::infinity();
  const int64_t n = 37;
  std::vector<float> x(3 * n), y(3 * n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i % 7) - 3.f;
    x[n + i] = -inf;
    x[2 * n + i] = static_cast<float>(i) * 0.25f;
  }
  softmax_rows_f32__avx512(x.data(), y.data(), 3, n);
  for (int64_t r : {0, 2}) {
    std::vector<double> want(x.begin() + r * n, x.begin() + (r + 1) * n);
    double mx = -INFINITY, sum = 0;
    for (double v : want) mx = std::max(mx, v);
    for (double& v : want) sum += (v = std::exp(v - mx));
    for (int64_t i = 0; i < n; ++i) REQUIRE(std::fabs(y[r * n + i] - want[i] / sum) <= 1e-6 * want[i] / sum);
  }
  for (int64_t i = 0; i < n; ++i) CHECK(std::isnan(y[n + i]));
}
