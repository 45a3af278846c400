// The float row normalizations (kernels/cpu/layer_norm.h), each ISA variant the CPU has against
// the double-accumulating reference: row lengths around the vector widths (1, 15, 16, 17, 31, 33,
// 64, 65, 768, 1000), every option (gamma, beta, skip of full or repeated rows, bias, sum, the
// mean / inv_std_dev outputs, RMS), rows offset far from zero (where E[x^2] - E[x]^2 would lose
// every digit), and denormal, NaN and inf rows. Also the GELU entry points (kernels/cpu/gelu.h;
// their accuracy per ISA: tests/unit/test_elementwise_vec.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gelu.h"
#include "kernels/cpu/layer_norm.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;

namespace {

std::vector<float> seeded(size_t n, uint64_t seed, float lo, float hi) { return onnxi::test::xorshift_floats(n, seed, lo, hi, 11, 1000003); }

using RowFn = void (*)(const float*, float*, int64_t, const float*, const LayerNormParams&, bool, float*, float*,
                       float*);

struct Variant {
  const char* name;
  RowFn row;
};

// The variants this CPU can run, plus the dispatching entry points (checked separately below).
std::vector<Variant> variants() {
  std::vector<Variant> v;
  if (detected_isa() >= Isa::Avx2) v.push_back({"avx2", norm_row_f32__avx2});
  if (detected_isa() >= Isa::Avx512) v.push_back({"avx512", norm_row_f32__avx512});
  return v;
}

void run_variant(RowFn row, const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p, bool rms) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* skip = p.skip ? p.skip + (r % p.skip_rows) * cols : nullptr;
    row(x + r * cols, y + r * cols, cols, skip, p, rms, p.sum ? p.sum + r * cols : nullptr,
        p.mean && !rms ? p.mean + r : nullptr, p.inv_std_dev ? p.inv_std_dev + r : nullptr);
  }
}

// |a - e| <= atol + rtol |e|, NaN only where expected; returns the largest |a - e|.
double compare(const std::vector<float>& a, const std::vector<float>& e, double atol, double rtol) {
  REQUIRE(a.size() == e.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(e[i])) {
      CHECK_MESSAGE(std::isnan(a[i]), "element ", i);
      continue;
    }
    const double err = std::fabs(static_cast<double>(a[i]) - e[i]);
    worst = std::max(worst, err);
    CHECK_MESSAGE(err <= atol + rtol * std::fabs(e[i]), "element ", i, ": ", a[i], " vs ", e[i]);
  }
  return worst;
}

struct Case {
  bool rms, gamma, beta, skip, bias, sum, stats;
  int64_t skip_rows;  // 0: one per row
};

}  // namespace

TEST_CASE("layer_norm / rms_norm rows: each ISA variant matches the double reference over lengths and options") {
  const Case cases[] = {
      {false, false, false, false, false, false, false, 0}, {false, true, true, false, false, false, true, 0},
      {false, true, false, true, false, false, false, 0},   {false, true, true, true, true, true, true, 0},
      {false, false, true, true, false, true, false, 1},    {true, false, false, false, false, false, false, 0},
      {true, true, true, false, false, false, true, 0},     {true, true, false, true, true, true, false, 1},
  };
  double worst_ln = 0, worst_rms = 0, worst_offset = 0;
  for (const Variant& v : variants()) {
    for (int64_t cols : {1, 15, 16, 17, 31, 33, 64, 65, 768, 1000}) {
      for (const Case& c : cases) {
        for (float offset : {0.f, 100.f}) {
          CAPTURE(v.name);
          CAPTURE(cols);
          CAPTURE(c.rms);
          CAPTURE(c.skip);
          CAPTURE(offset);
          const int64_t rows = 3;
          const size_t n = static_cast<size_t>(rows * cols);
          const std::vector<float> x = seeded(n, static_cast<uint64_t>(cols), offset - 2.f, offset + 2.f);
          const std::vector<float> gamma = seeded(cols, 2, 0.5f, 1.5f), beta = seeded(cols, 3, -0.5f, 0.5f);
          const std::vector<float> skip = seeded(n, 4, -1.f, 1.f), bias = seeded(cols, 5, -0.3f, 0.3f);
          std::vector<float> y(n), y_ref(n), sum(n, -7.f), sum_ref(n, -7.f);
          std::vector<float> mean(rows, -7.f), mean_ref(rows, -7.f), inv(rows, -7.f), inv_ref(rows, -7.f);
          LayerNormParams p;
          p.epsilon = 1e-5f;
          p.gamma = c.gamma ? gamma.data() : nullptr;
          p.beta = c.beta ? beta.data() : nullptr;
          p.skip = c.skip ? skip.data() : nullptr;
          p.skip_rows = c.skip_rows ? c.skip_rows : rows;
          p.bias = c.bias ? bias.data() : nullptr;
          LayerNormParams q = p;
          if (c.sum) p.sum = sum.data(), q.sum = sum_ref.data();
          if (c.stats) {
            p.mean = mean.data(), p.inv_std_dev = inv.data();
            q.mean = mean_ref.data(), q.inv_std_dev = inv_ref.data();
          }
          run_variant(v.row, x.data(), y.data(), rows, cols, p, c.rms);
          if (c.rms) rms_norm_rows_f32_reference(x.data(), y_ref.data(), rows, cols, q);
          else layer_norm_rows_f32_reference(x.data(), y_ref.data(), rows, cols, q);
          // Outputs are O(1) (normalized, gamma <= 1.5). Rows offset by 100 hold the kernels to the
          // same bound: their mean is kept as two floats (one alone would cost ~1e-5 here).
          const double err = compare(y, y_ref, 2e-6, 2e-6);
          if (offset != 0.f) worst_offset = std::max(worst_offset, err);
          else (c.rms ? worst_rms : worst_ln) = std::max(c.rms ? worst_rms : worst_ln, err);
          if (c.sum) CHECK(sum == sum_ref);  // the same two float adds in the same order
          if (c.stats && !c.rms) compare(mean, mean_ref, 1e-5, 1e-6);
          if (c.stats) compare(inv, inv_ref, 0, 2e-5);
          if (c.rms && c.stats) CHECK(mean == std::vector<float>(rows, -7.f));  // RMS has no mean
        }
      }
    }
  }
  MESSAGE("max |error| against the double reference, rows in [-2, 2]: LayerNorm " << worst_ln << ", RMSNorm "
                                                                                     << worst_rms
                                                                                     << "; rows in [98, 102]: "
                                                                                     << worst_offset);
}

TEST_CASE("layer_norm rows: the dispatching entry points match the reference, threaded over many rows") {
  const int64_t rows = 200, cols = 768;
  const std::vector<float> x = seeded(rows * cols, 9, -3.f, 3.f), gamma = seeded(cols, 10, 0.5f, 1.5f);
  const std::vector<float> skip = seeded(4 * cols, 11, -1.f, 1.f);
  for (bool rms : {false, true}) {
    CAPTURE(rms);
    std::vector<float> y(x.size()), y_ref(x.size());
    LayerNormParams p;
    p.gamma = gamma.data();
    p.skip = skip.data();
    p.skip_rows = 4;  // a [4, cols] skip repeated over 200 rows
    if (rms) {
      rms_norm_rows_f32(x.data(), y.data(), rows, cols, p);
      rms_norm_rows_f32_reference(x.data(), y_ref.data(), rows, cols, p);
    } else {
      layer_norm_rows_f32(x.data(), y.data(), rows, cols, p);
      layer_norm_rows_f32_reference(x.data(), y_ref.data(), rows, cols, p);
    }
    compare(y, y_ref, 2e-6, 2e-6);
    // In place (y aliases x) gives the same.
    std::vector<float> inplace = x;
    if (rms) rms_norm_rows_f32(inplace.data(), inplace.data(), rows, cols, p);
    else layer_norm_rows_f32(inplace.data(), inplace.data(), rows, cols, p);
    CHECK(inplace == y);
  }
}

TEST_CASE("layer_norm rows: denormal, constant, NaN and inf rows behave as the reference does") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float denorm = std::numeric_limits<float>::denorm_min();
  for (int64_t cols : {1, 17, 768}) {
    // Row 0: denormals; 1: a constant row (variance 0: y = 0 * inv = beta); 2: a NaN; 3: +inf;
    // 4: -inf and +inf; 5: ordinary values.
    const int64_t rows = 6;
    std::vector<float> x = seeded(rows * cols, 21, -1.f, 1.f);
    for (int64_t i = 0; i < cols; ++i) {
      x[i] = denorm * static_cast<float>(1 + i % 7);
      x[cols + i] = 3.25f;
    }
    x[2 * cols + cols / 2] = nan;
    x[3 * cols] = inf;
    x[4 * cols + cols - 1] = inf;
    x[4 * cols] = -inf;
    const std::vector<float> beta = seeded(cols, 22, -0.5f, 0.5f);
    for (bool rms : {false, true}) {
      LayerNormParams p;
      p.beta = beta.data();
      p.epsilon = 1e-6f;
      std::vector<float> y_ref(x.size());
      if (rms) rms_norm_rows_f32_reference(x.data(), y_ref.data(), rows, cols, p);
      else layer_norm_rows_f32_reference(x.data(), y_ref.data(), rows, cols, p);
      // Spot checks of the reference itself: a constant row normalizes to beta; NaN spreads.
      if (!rms) {
        for (int64_t i = 0; i < cols; ++i) CHECK(y_ref[cols + i] == beta[i]);
        for (int64_t i = 0; i < cols; ++i) CHECK(std::isnan(y_ref[2 * cols + i]));
      }
      for (const Variant& v : variants()) {
        CAPTURE(v.name);
        CAPTURE(cols);
        CAPTURE(rms);
        std::vector<float> y(x.size());
        run_variant(v.row, x.data(), y.data(), rows, cols, p, rms);
        // Denormal inputs: float sums of denormals are exact, so these match closely too.
        compare(y, y_ref, 2e-6, 2e-6);
      }
    }
  }
}

TEST_CASE("gelu_f32 / gelu_tanh_f32 dispatch agrees with the portable kernels") {
  const int64_t n = 1000;
  std::vector<float> x(n), y(n), ref(n);
  for (int64_t i = 0; i < n; ++i) x[i] = -6.f + 12.f * static_cast<float>(i) / static_cast<float>(n);
  for (bool tanh_form : {false, true}) {
    CAPTURE(tanh_form);
    (tanh_form ? gelu_tanh_f32 : gelu_f32)(x.data(), y.data(), n);
    unary(tanh_form ? UnaryOp::GeluTanh : UnaryOp::Gelu, x.data(), ref.data(), n, UnaryParams{});
    for (int64_t i = 0; i < n; ++i) CHECK(std::fabs(y[i] - ref[i]) <= 5e-7 * std::max(1.f, std::fabs(x[i])));
  }
}
