// The vectorized float unary maps and Clip (kernels/cpu/elementwise_vec_impl.h over vec_math.h),
// for each ISA this CPU has (AVX-512 cases skip cleanly where it is absent): the error in ulp of
// each approximation against a double reference on a sampled sweep of all floats, bounded by
// vec_math.h's table (bench/ulp_sweep measures the exhaustive figures); and, for every vectorized
// op, sizes around the vector widths, in-place runs, writes confined to [0, n), and NaN / inf /
// -0 / denormal inputs against the portable loop (bit for bit where the op is exact).
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bench/ulp_reference.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/elementwise.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;
namespace ulp = onnxi::ulp;

namespace {

// The vector ISAs this CPU can run.
std::vector<Isa> vector_isas() {
  std::vector<Isa> v;
  if (detected_isa() >= Isa::Avx2) v.push_back(Isa::Avx2);
  if (detected_isa() >= Isa::Avx512) v.push_back(Isa::Avx512);
  return v;
}

bool same_bits_or_both_nan(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, 4) == 0;
}

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Seeded values in [-12, 12] with the special values at the front (so short runs see them too)
// and again near the end (the tail vector).
std::vector<float> test_input(int64_t n, uint64_t seed) {
  std::vector<float> x = onnxi::test::xorshift_floats(static_cast<size_t>(n), seed, -12.f, 12.f, 5, 1000003);
  const float specials[] = {kNaN, kInf, -kInf, -0.f, 0.f, 1e-40f, -1e-40f, FLT_MAX, -FLT_MAX, FLT_MIN, 100.f, -100.f,
                            0.3f, -0.3f, 1e-30f, -1e-30f, 20.f};
  const int64_t k = static_cast<int64_t>(sizeof(specials) / sizeof(float));
  for (int64_t i = 0; i < n && i < k; ++i) x[static_cast<size_t>(i)] = specials[i];
  for (int64_t i = 0; i < k && n - 1 - i >= k; ++i) x[static_cast<size_t>(n - 1 - i)] = specials[i];
  return x;
}

struct OpCase {
  UnaryOp op;
  UnaryParams p;
  // Exact ops agree with the portable loop bit for bit; the others are held to a double
  // reference within max_ulp (below abs_floor: in absolute terms).
  bool exact;
  double (*ref)(double);
  double max_ulp;
  double abs_floor;
};

double ref_hard_sigmoid(double x) {
  const double v = static_cast<double>(0.2f) * x + static_cast<double>(0.5f);
  return std::isnan(v) ? v : v < 0 ? 0.0 : v > 1 ? 1.0 : v;
}

std::vector<OpCase> op_cases() {
  std::vector<OpCase> cases;
  for (const ulp::Function& f : ulp::functions())
    cases.push_back({f.op, f.params, false, f.ref, f.max_ulp, f.abs_floor});
  const UnaryOp exact[] = {UnaryOp::Relu, UnaryOp::Abs, UnaryOp::Neg, UnaryOp::Sqrt, UnaryOp::Reciprocal,
                           UnaryOp::HardSwish, UnaryOp::Softsign};
  for (UnaryOp op : exact) cases.push_back({op, {}, true, nullptr, 0, 0});
  cases.push_back({UnaryOp::LeakyRelu, {0.01, 0, 0}, true, nullptr, 0, 0});
  cases.push_back({UnaryOp::LeakyRelu, {-2.5, 0, 0}, true, nullptr, 0, 0});
  // One FMA in the vector maps: rounded once (the portable loop rounds twice).
  cases.push_back({UnaryOp::HardSigmoid, {0.2, 0.5, 0}, false, ref_hard_sigmoid, 0.5, 0});
  cases.push_back({UnaryOp::ThresholdedRelu, {1.0, 0, 0}, true, nullptr, 0, 0});
  return cases;
}

}  // namespace

TEST_CASE("vectorized unary maps: max ulp against double on a sampled sweep of all floats, per ISA") {
  // Every 16411th bit pattern (an odd stride: every exponent, varied mantissas) plus a dense ramp
  // over [-16, 16], where the functions bend.
  std::vector<float> x;
  for (uint64_t b = 0; b < (uint64_t(1) << 32); b += 16411) {
    const uint32_t bits = static_cast<uint32_t>(b);
    float v;
    std::memcpy(&v, &bits, 4);
    if (std::isfinite(v)) x.push_back(v);
  }
  for (int i = 0; i <= (1 << 17); ++i) x.push_back(-16.f + 32.f * static_cast<float>(i) / static_cast<float>(1 << 17));
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> y(x.size());
  for (Isa isa : vector_isas()) {
    for (const ulp::Function& f : ulp::functions()) {
      CAPTURE(std::string(isa_name(isa)));
      CAPTURE(std::string(f.name));
      unary_f32_isa(isa, f.op, x.data(), y.data(), n, f.params);
      double worst = 0, worst_abs = 0;
      float at = 0;
      for (int64_t i = 0; i < n; ++i) {
        const float xi = x[static_cast<size_t>(i)];
        if (xi < f.lo || xi > f.hi) continue;
        const double ref = f.ref(xi);
        if (std::fabs(ref) < f.abs_floor) {
          worst_abs = std::max(worst_abs, std::fabs(y[static_cast<size_t>(i)] - ref));
          continue;
        }
        const double e = ulp::ulp_error(y[static_cast<size_t>(i)], ref);
        if (e > worst) worst = e, at = xi;
      }
      MESSAGE(isa_name(isa) << " " << f.name << ": max " << worst << " ulp at x = " << at << " (bound " << f.max_ulp
                            << ")");
      CHECK(worst <= f.max_ulp);
      if (f.abs_floor > 0) CHECK(worst_abs <= 1e-37);
    }
  }
}

TEST_CASE("vectorized unary maps: sizes, tails, in place and special values against the portable loop") {
  for (Isa isa : vector_isas()) {
    for (const OpCase& c : op_cases()) {
      for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 100000}) {
        CAPTURE(std::string(isa_name(isa)));
        CAPTURE(std::string(unary_op_name(c.op)));
        CAPTURE(n);
        const std::vector<float> x = test_input(n, static_cast<uint64_t>(n) + 3);
        // 16 sentinels past the end: the masked tail must not write them.
        std::vector<float> y(static_cast<size_t>(n) + 16, 12345.f), ref(static_cast<size_t>(n));
        unary_f32_isa(isa, c.op, x.data(), y.data(), n, c.p);
        unary_f32_isa(Isa::Scalar, c.op, x.data(), ref.data(), n, c.p);
        for (int64_t i = n; i < n + 16; ++i) REQUIRE(y[static_cast<size_t>(i)] == 12345.f);
        int bad = 0;
        for (int64_t i = 0; i < n && bad < 5; ++i) {
          const float xi = x[static_cast<size_t>(i)], yi = y[static_cast<size_t>(i)], ri = ref[static_cast<size_t>(i)];
          bool ok;
          if (c.exact) {
            ok = same_bits_or_both_nan(yi, ri);
          } else {
            const double want = c.ref(xi);
            ok = std::fabs(want) < c.abs_floor ? std::fabs(yi - want) <= 1e-37 : ulp::ulp_error(yi, want) <= c.max_ulp;
            // Where the portable loop gives NaN or inf, so does the vector map.
            if (std::isnan(ri) && !std::isnan(yi)) ok = false;
            if (std::isinf(ri) && yi != ri) ok = false;
            // Odd functions keep the sign of zero.
            if (xi == 0.f && ri == 0.f && std::signbit(ri) != std::signbit(yi)) ok = false;
          }
          if (!ok) {
            ++bad;
            FAIL_CHECK("x = " << xi << ": vector " << yi << ", portable " << ri);
          }
        }
        // In place: the same bits as out of place.
        std::vector<float> z = x;
        unary_f32_isa(isa, c.op, z.data(), z.data(), n, c.p);
        for (int64_t i = 0; i < n; ++i)
          REQUIRE(same_bits_or_both_nan(z[static_cast<size_t>(i)], y[static_cast<size_t>(i)]));
      }
    }
  }
}

TEST_CASE("vectorized Clip: bit for bit the portable clip, NaN kept, lo > hi gives hi, tails untouched") {
  struct Bounds {
    float lo, hi;
  };
  const Bounds bounds[] = {{-1.f, 1.f}, {0.f, 6.f}, {-kInf, 2.f}, {-3.f, kInf}, {2.f, -2.f}, {-kInf, kInf}};
  for (Isa isa : vector_isas()) {
    for (const Bounds& b : bounds) {
      for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 100000}) {
        CAPTURE(std::string(isa_name(isa)));
        CAPTURE(b.lo);
        CAPTURE(b.hi);
        CAPTURE(n);
        const std::vector<float> x = test_input(n, 77);
        std::vector<float> y(static_cast<size_t>(n) + 16, 12345.f), ref(static_cast<size_t>(n));
        clip_f32_isa(isa, x.data(), b.lo, b.hi, y.data(), n);
        clip<float>(x.data(), b.lo, b.hi, ref.data(), n);
        for (int64_t i = 0; i < n; ++i)
          REQUIRE(same_bits_or_both_nan(y[static_cast<size_t>(i)], ref[static_cast<size_t>(i)]));
        for (int64_t i = n; i < n + 16; ++i) REQUIRE(y[static_cast<size_t>(i)] == 12345.f);
        std::vector<float> z = x;
        clip_f32_isa(isa, z.data(), b.lo, b.hi, z.data(), n);
        for (int64_t i = 0; i < n; ++i)
          REQUIRE(same_bits_or_both_nan(z[static_cast<size_t>(i)], ref[static_cast<size_t>(i)]));
      }
    }
  }
}

TEST_CASE("vectorized unary maps: the dispatching entry points run the active ISA's kernels") {
  const std::vector<float> x = test_input(1000, 9);
  std::vector<float> a(x.size()), b(x.size());
  for (UnaryOp op : {UnaryOp::Exp, UnaryOp::Gelu, UnaryOp::Relu, UnaryOp::Sin}) {
    CAPTURE(std::string(unary_op_name(op)));
    unary(op, x.data(), a.data(), 1000);
    unary_f32_isa(active_isa(), op, x.data(), b.data(), 1000);
    for (size_t i = 0; i < x.size(); ++i) REQUIRE(same_bits_or_both_nan(a[i], b[i]));
  }
  clip(x.data(), -1.f, 1.f, a.data(), 1000);
  clip_f32_isa(active_isa(), x.data(), -1.f, 1.f, b.data(), 1000);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(same_bits_or_both_nan(a[i], b[i]));
  if (detected_isa() < Isa::Avx512) {
    float v = 1.f;
    CHECK_THROWS_WITH(unary_f32_isa(Isa::Avx512, UnaryOp::Exp, &v, &v, 1), doctest::Contains("this CPU has only"));
  }
}

TEST_CASE("portable HardSigmoid / HardSwish keep NaN (std::min would turn it into 1)") {
  const float x[] = {kNaN, -kInf, kInf, 1.f};
  float y[4];
  unary_f32_isa(Isa::Scalar, UnaryOp::HardSigmoid, x, y, 4, {0.2, 0.5, 0});
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 0.f);
  CHECK(y[2] == 1.f);
  CHECK(y[3] == doctest::Approx(0.7f));
  unary_f32_isa(Isa::Scalar, UnaryOp::HardSwish, x, y, 4, {});
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[1]));  // -inf * 0, the formula's value
  CHECK(y[2] == kInf);
}
