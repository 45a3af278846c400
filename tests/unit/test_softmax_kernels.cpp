// The vector softmax rows (kernels/cpu/softmax_impl.h, one template per ISA) for each ISA this CPU
// has (AVX-512 skipped cleanly where absent), against a double-precision softmax and the portable
// float rows: row lengths around the vector widths and a long row, in place, -inf entries, all
// -inf rows (NaN for Softmax, zeros for the attention rule), NaN, and the error in ulp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bench/ulp_reference.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/softmax.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;

namespace {

struct Variant {
  const char* name;
  void (*softmax)(const float*, float*, int64_t, int64_t);
  void (*log_softmax)(const float*, float*, int64_t, int64_t);
  void (*masked)(float*, int64_t);
};

// The portable rows first (the oracle's own figures), then the vector ISAs this CPU has.
std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", softmax_rows_f32_reference, log_softmax_rows_f32_reference,
                          softmax_row_masked_f32_reference}};
  if (detected_isa() >= Isa::Avx2) {
    v.push_back({"avx2", softmax_rows_f32__avx2, log_softmax_rows_f32__avx2, softmax_row_masked_f32__avx2});
  }
  if (detected_isa() >= Isa::Avx512) {
    v.push_back({"avx512", softmax_rows_f32__avx512, log_softmax_rows_f32__avx512, softmax_row_masked_f32__avx512});
  }
  return v;
}

// Softmax and log-softmax of one row in double, from the differences x - max rounded to float as
// every float softmax forms them (exactly: 33 ulp of the result where |x - max| ~ 40, for the
// portable rows and the vector ones alike), so what remains is the exp and normalization error.
void softmax_double(const float* x, int64_t n, std::vector<double>& p, std::vector<double>& logp) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i] - mx));
  p.resize(static_cast<size_t>(n));
  logp.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    p[static_cast<size_t>(i)] = std::exp(static_cast<double>(x[i] - mx)) / sum;
    logp[static_cast<size_t>(i)] = static_cast<double>(x[i]) - mx - std::log(sum);
  }
}

// The spacing of floats at |v|.
double ulp_of(double v) { return std::ldexp(1.0, std::max(-149, std::ilogb(std::max(std::fabs(v), 1e-45)) - 23)); }

}  // namespace

TEST_CASE("softmax rows per ISA: within a few ulp of a double softmax over lengths around the vector widths") {
  const float inf = std::numeric_limits<float>::infinity();
  for (const Variant& v : variants()) {
    double worst_p = 0, worst_log = 0;
    for (int64_t n : {1, 2, 7, 8, 15, 16, 17, 31, 33, 100, 384, 1000, 100000}) {
      CAPTURE(std::string(v.name));
      CAPTURE(n);
      const int64_t rows = n >= 1000 ? 1 : 3;
      std::vector<float> x = onnxi::test::xorshift_floats(static_cast<size_t>(rows * n), static_cast<uint64_t>(n),
                                                          -30.f, 10.f, 3, 1000003);
      if (n > 3) x[2] = -inf;  // a masked score
      std::vector<float> y(x.size() + 16, 777.f), logy(x.size() + 16, 777.f);
      v.softmax(x.data(), y.data(), rows, n);
      v.log_softmax(x.data(), logy.data(), rows, n);
      for (size_t i = x.size(); i < y.size(); ++i) REQUIRE((y[i] == 777.f && logy[i] == 777.f));
      std::vector<double> p, logp;
      for (int64_t r = 0; r < rows; ++r) {
        softmax_double(x.data() + r * n, n, p, logp);
        for (int64_t i = 0; i < n; ++i) {
          const size_t k = static_cast<size_t>(r * n + i);
          worst_p = std::max(worst_p, onnxi::ulp::ulp_error(y[k], p[static_cast<size_t>(i)]));
          if (std::isinf(logp[static_cast<size_t>(i)])) {
            REQUIRE(logy[k] == -inf);
            continue;
          }
          // x - shift cancels near the maximum: measured in ulp of the larger of |x| and |y|.
          const double scale = std::max(std::fabs(static_cast<double>(x[k])), std::fabs(logp[static_cast<size_t>(i)]));
          worst_log = std::max(worst_log, std::fabs(logy[k] - logp[static_cast<size_t>(i)]) / ulp_of(scale));
        }
      }
      // In place gives the same bits.
      std::vector<float> z = x;
      v.softmax(z.data(), z.data(), rows, n);
      REQUIRE(std::memcmp(z.data(), y.data(), x.size() * 4) == 0);
      z = x;
      v.log_softmax(z.data(), z.data(), rows, n);
      REQUIRE(std::memcmp(z.data(), logy.data(), x.size() * 4) == 0);
    }
    MESSAGE(v.name << " softmax rows: max " << worst_p << " ulp; log_softmax: " << worst_log
                   << " ulp of max(|x|, |y|)");
    CHECK(worst_p <= 2.5);
    CHECK(worst_log <= 1.5);
  }
}

TEST_CASE("softmax rows per ISA: empty rows, all -inf rows, NaN; the masked row gives zeros") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (const Variant& v : variants()) {
    CAPTURE(std::string(v.name));
    float none = 5.f;
    v.softmax(&none, &none, 1, 0);
    v.masked(&none, 0);
    CHECK(none == 5.f);
    for (int64_t n : {1, 7, 8, 17, 20}) {
      std::vector<float> x(static_cast<size_t>(n), -inf), y(static_cast<size_t>(n));
      v.softmax(x.data(), y.data(), 1, n);
      for (float e : y) CHECK(std::isnan(e));
      v.masked(x.data(), n);
      for (float e : x) CHECK(e == 0.f);
    }
    std::vector<float> with_nan{1.f, nan, 2.f}, y(3);
    v.softmax(with_nan.data(), y.data(), 1, 3);
    for (float e : y) CHECK(std::isnan(e));
    v.log_softmax(with_nan.data(), y.data(), 1, 3);
    for (float e : y) CHECK(std::isnan(e));
    v.masked(with_nan.data(), 3);
    for (float e : with_nan) CHECK(std::isnan(e));
    // A +inf score: inf - inf is NaN, as the formula gives.
    std::vector<float> with_inf{1.f, inf, 2.f};
    v.softmax(with_inf.data(), y.data(), 1, 3);
    CHECK(std::isnan(y[1]));
  }
}

TEST_CASE("softmax_row_masked per ISA matches the double softmax with masked keys") {
  const float inf = std::numeric_limits<float>::infinity();
  for (const Variant& v : variants()) {
    for (int64_t n : {1, 2, 15, 16, 17, 31, 33, 100, 384, 1000}) {
      CAPTURE(std::string(v.name));
      CAPTURE(n);
      std::vector<float> row(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) row[static_cast<size_t>(i)] = static_cast<float>((i * 37) % 23) * 0.7f - 8.f;
      if (n > 3) row[2] = -inf;
      std::vector<double> p, logp;
      softmax_double(row.data(), n, p, logp);
      v.masked(row.data(), n);
      for (int64_t i = 0; i < n; ++i)
        REQUIRE(onnxi::ulp::ulp_error(row[static_cast<size_t>(i)], p[static_cast<size_t>(i)]) <= 2.5);
    }
  }
}

TEST_CASE("softmax<float> / log_softmax<float> dispatch: the last axis through the rows, other axes portable") {
  const int64_t outer = 5, n = 19, inner = 3;
  std::vector<float> x = onnxi::test::xorshift_floats(outer * n * inner, 4, -5.f, 5.f, 1, 1000003);
  std::vector<float> y(x.size()), ref(x.size());
  softmax<float>(x.data(), y.data(), outer * inner, n, 1);
  softmax_rows_f32_reference(x.data(), ref.data(), outer * inner, n);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(std::fabs(y[i] - ref[i]) <= 3e-7 * ref[i]);
  log_softmax<float>(x.data(), y.data(), outer * inner, n, 1);
  log_softmax_rows_f32_reference(x.data(), ref.data(), outer * inner, n);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(std::fabs(y[i] - ref[i]) <= 1e-6 * std::max(1.f, std::fabs(ref[i])));
  // A middle axis: against the double formula.
  softmax<float>(x.data(), y.data(), outer, n, inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      double mx = -INFINITY, sum = 0;
      for (int64_t k = 0; k < n; ++k) mx = std::max(mx, static_cast<double>(x[(o * n + k) * inner + j]));
      for (int64_t k = 0; k < n; ++k) sum += std::exp(x[(o * n + k) * inner + j] - mx);
      for (int64_t k = 0; k < n; ++k) {
        const double want = std::exp(x[(o * n + k) * inner + j] - mx) / sum;
        REQUIRE(std::fabs(y[(o * n + k) * inner + j] - want) <= 1e-6 * want);
      }
    }
  }
}
