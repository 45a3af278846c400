// The AVX-512 erf, GELU and exp against the C library over their whole useful range, with the
// special values (0, -0, +-inf, NaN, huge arguments). Skipped on CPUs without AVX-512.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/elementwise.h"

using namespace onnxi::kernels;

namespace {

int64_t ulps(float a, float b) {
  if (a == b) return 0;
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  if ((ia < 0) != (ib < 0)) return INT32_MAX;
  return ia > ib ? ia - ib : ib - ia;
}

}  // namespace

TEST_CASE("erf_f32__avx512 and gelu_f32__avx512 against std::erf") {
  if (detected_isa() < Isa::Avx512) {
    MESSAGE("no AVX-512 on this CPU: skipped");
    return;
  }
  const int64_t n = 1 << 20;
  std::vector<float> x(n), y(n), g(n);
  for (int64_t i = 0; i < n; ++i) x[i] = -6.f + 12.f * static_cast<float>(i) / static_cast<float>(n);
  erf_f32__avx512(x.data(), y.data(), n);
  gelu_f32__avx512(x.data(), g.data(), n);
  int64_t worst_ulp = 0;
  double worst_abs = 0, worst_gelu = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double want = std::erf(static_cast<double>(x[i]));
    worst_abs = std::max(worst_abs, std::fabs(y[i] - want));
    worst_ulp = std::max(worst_ulp, ulps(y[i], static_cast<float>(want)));
    const double gw = 0.5 * x[i] * (1.0 + std::erf(x[i] / std::sqrt(2.0)));
    // Scaled by max(1, |x|): for x << 0 the value is 0.5 x erfc(-x / sqrt 2), whose float form
    // 0.5 x (1 + erf) cancels in any float implementation (the portable loop too).
    worst_gelu = std::max(worst_gelu, std::fabs(g[i] - gw) / std::max(1.0, std::fabs(static_cast<double>(x[i]))));
  }
  MESSAGE("erf_f32__avx512: max " << worst_ulp << " ulp, max abs error " << worst_abs << " over [-6, 6]; "
          << "gelu max error " << worst_gelu << " (relative to max(1, |x|))");
  CHECK(worst_ulp <= 8);
  CHECK(worst_abs <= 2e-7);
  CHECK(worst_gelu <= 3e-7);
  // Tiny arguments keep their relative precision (erf(x) ~ 2x/sqrt(pi)).
  std::vector<float> tiny{1e-30f, -1e-10f, 1e-5f, 0.f, -0.f};
  std::vector<float> out(tiny.size());
  erf_f32__avx512(tiny.data(), out.data(), static_cast<int64_t>(tiny.size()));
  for (size_t i = 0; i < tiny.size(); ++i) CHECK(ulps(out[i], std::erf(tiny[i])) <= 2);
  CHECK(std::signbit(out[4]));
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> special{inf, -inf, std::numeric_limits<float>::quiet_NaN(), 40.f, -40.f};
  std::vector<float> sp(special.size());
  erf_f32__avx512(special.data(), sp.data(), static_cast<int64_t>(special.size()));
  CHECK(sp[0] == 1.f);
  CHECK(sp[1] == -1.f);
  CHECK(std::isnan(sp[2]));
  CHECK(sp[3] == 1.f);
  CHECK(sp[4] == -1.f);
}

TEST_CASE("exp_elementwise_f32__avx512 within 1 ulp of std::exp; edges saturate") {
  if (detected_isa() < Isa::Avx512) {
    MESSAGE("no AVX-512 on this CPU: skipped");
    return;
  }
  const int64_t n = 1 << 20;
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) x[i] = -87.f + 175.f * static_cast<float>(i) / static_cast<float>(n);
  exp_elementwise_f32__avx512(x.data(), y.data(), n);
  int64_t worst = 0;
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, ulps(y[i], std::exp(x[i])));
  CHECK(worst <= 2);
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> special{-inf, inf, std::numeric_limits<float>::quiet_NaN(), 0.f}, out(4);
  exp_elementwise_f32__avx512(special.data(), out.data(), 4);
  CHECK(out[0] == 0.f);
  CHECK(out[1] == inf);
  CHECK(std::isnan(out[2]));
  CHECK(out[3] == 1.f);
}

TEST_CASE("sigmoid_f32__avx512 and tanh_f32__avx512 against the C library") {
  if (detected_isa() < Isa::Avx512) {
    MESSAGE("no AVX-512 on this CPU: skipped");
    return;
  }
  // A ramp over [-20, 20] plus the region near 0 where tanh's two formulas meet, and a tail.
  std::vector<float> x;
  for (int64_t i = 0; i < (1 << 20); ++i) x.push_back(-20.f + 40.f * static_cast<float>(i) / static_cast<float>(1 << 20));
  for (int64_t i = 0; i < 20001; ++i) x.push_back(-1.f + 2.f * static_cast<float>(i) / 20000.f);
  x.push_back(1e-30f);
  x.push_back(-1e-30f);
  x.push_back(1e-42f);  // denormal
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> s(x.size()), t(x.size());
  sigmoid_f32__avx512(x.data(), s.data(), n);
  tanh_f32__avx512(x.data(), t.data(), n);
  int64_t worst_s = 0, worst_t = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double xi = x[static_cast<size_t>(i)];
    const float want_s = static_cast<float>(1.0 / (1.0 + std::exp(-xi)));
    const float want_t = static_cast<float>(std::tanh(xi));
    worst_s = std::max(worst_s, ulps(s[static_cast<size_t>(i)], want_s));
    worst_t = std::max(worst_t, ulps(t[static_cast<size_t>(i)], want_t));
  }
  MESSAGE("sigmoid_f32__avx512: max error ", worst_s, " ulp over [-20, 20]; tanh_f32__avx512: ", worst_t, " ulp");
  CHECK(worst_s <= 4);
  CHECK(worst_t <= 4);
  // Special values: +-inf saturate, NaN stays NaN, -0 stays -0 for tanh, large |x| exact.
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> sp = {inf, -inf, nan, -0.f, 0.f, 100.f, -100.f, 1e30f, -1e30f};
  std::vector<float> ys(sp.size()), yt(sp.size());
  sigmoid_f32__avx512(sp.data(), ys.data(), static_cast<int64_t>(sp.size()));
  tanh_f32__avx512(sp.data(), yt.data(), static_cast<int64_t>(sp.size()));
  CHECK(ys[0] == 1.f);
  CHECK(ys[1] == 0.f);
  CHECK(std::isnan(ys[2]));
  CHECK(ys[3] == 0.5f);
  CHECK(ys[5] == 1.f);
  CHECK(ys[6] == doctest::Approx(std::exp(-100.0)).epsilon(1e-5));
  CHECK(yt[0] == 1.f);
  CHECK(yt[1] == -1.f);
  CHECK(std::isnan(yt[2]));
  CHECK((yt[3] == 0.f && std::signbit(yt[3])));
  CHECK(yt[4] == 0.f);
  CHECK(yt[5] == 1.f);
  CHECK(yt[6] == -1.f);
  CHECK(yt[7] == 1.f);
  CHECK(yt[8] == -1.f);
}
