// The AVX2 NCHWc depthwise row (nchwc_depthwise_row__avx2) against the scalar row and the
// one-value-at-a-time reference: output widths 1..40 (the 8-pixel runs, their 1..7 tails and
// rows narrower than the window), strides 1 / 2 / 3, pads 0..2 and asymmetric ones, kernels 3x3
// (the register path), 5x5, 1x3, 3x1 and dilation 2, channels not a multiple of 16, NaN and inf
// inputs, residual sum, Relu / Clip; and inside the fused 1x1 + depthwise conv. Skipped on a CPU
// without AVX2.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/cpu_features.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;

namespace {

std::vector<float> seeded(size_t n, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  return onnxi::test::xorshift_floats(n, seed, lo, hi, 13, 100003);
}

bool has_avx2() { return detected_isa() >= Isa::Avx2; }

// Same value up to the FMA's rounding (tolerance as the NCHWc conv tests); NaN where expected is
// NaN, the same infinity where it is infinite.
bool close(float got, float want, int64_t taps) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= 2e-5f * (1.f + std::fabs(want)) * std::sqrt(float(taps));
}

struct RowCase {
  int64_t h, w, kh, kw, stride_h, stride_w, pad_top, pad_left, pad_right, dilation;
  bool with_sum = false;
  float lo = -INFINITY, hi = INFINITY;
  bool specials = false;  // NaN, +inf, -inf in some inputs
};

int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t pads, int64_t d) { return (in + pads - (k - 1) * d - 1) / s + 1; }

// One 16-channel block plane, every output row through both rows, compared lane by lane.
void run_rows(const RowCase& k, uint64_t seed) {
  NchwcConvParams p;
  p.in_channels = p.out_channels = p.groups = 16;
  p.in_h = k.h, p.in_w = k.w, p.kernel_h = k.kh, p.kernel_w = k.kw;
  p.stride_h = k.stride_h, p.stride_w = k.stride_w, p.pad_top = k.pad_top, p.pad_left = k.pad_left;
  p.dilation_h = p.dilation_w = k.dilation;
  p.out_h = out_dim(k.h, k.kh, k.stride_h, 2 * k.pad_top, k.dilation);
  p.out_w = out_dim(k.w, k.kw, k.stride_w, k.pad_left + k.pad_right, k.dilation);
  p.act_lo = k.lo, p.act_hi = k.hi;
  REQUIRE(p.out_h >= 1);
  REQUIRE(p.out_w >= 1);
  std::vector<float> x = seeded(static_cast<size_t>(k.h * k.w * 16), seed);
  if (k.specials) {
    const float inf = std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < x.size(); i += 37) x[i] = NAN;
    for (size_t i = 5; i < x.size(); i += 53) x[i] = inf;
    for (size_t i = 11; i < x.size(); i += 71) x[i] = -inf;
  }
  const std::vector<float> w = seeded(static_cast<size_t>(k.kh * k.kw * 16), seed + 1, -0.5f, 0.5f);
  const std::vector<float> bias = seeded(16, seed + 2);
  const std::vector<float> sum = seeded(static_cast<size_t>(p.out_w * 16), seed + 3);
  const int64_t taps = k.kh * k.kw;
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    NchwcDepthwiseRow r;
    r.x = x.data();
    r.w = w.data();
    r.bias = bias.data();
    r.sum = k.with_sum ? sum.data() : nullptr;
    r.oh = oh;
    std::vector<float> want(static_cast<size_t>(p.out_w * 16), 7.f), got(want.size() + 16, NAN);
    r.y = want.data();
    nchwc_depthwise_row__scalar(p, r);
    r.y = got.data();
    nchwc_depthwise_row__avx2(p, r);
    int bad = 0;
    for (size_t i = 0; i < want.size() && bad < 5; ++i) {
      if (!close(got[i], want[i], taps)) {
        ++bad;
        FAIL_CHECK("row " << oh << " y[" << i << "] = " << got[i] << ", expected " << want[i]);
      }
    }
    for (size_t i = want.size(); i < got.size(); ++i) CHECK(std::isnan(got[i]));  // nothing past the row
  }
}

// The whole depthwise conv through nchwc_conv2d_with (AVX2 rows, scalar tile) against the
// reference: channel tails and the padding channels of the input (garbage) ignored.
void run_conv(int64_t c, int64_t h, int64_t w_, int64_t k, int64_t stride, int64_t pad, bool with_sum, float lo,
              float hi, uint64_t seed) {
  NchwcConvParams p;
  p.batch = 2;
  p.in_channels = p.out_channels = p.groups = c;
  p.in_h = h, p.in_w = w_, p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = stride, p.pad_top = p.pad_left = pad;
  p.out_h = out_dim(h, k, stride, 2 * pad, 1);
  p.out_w = out_dim(w_, k, stride, 2 * pad, 1);
  p.act_lo = lo, p.act_hi = hi;
  REQUIRE(nchwc_conv_supported(c, c, c, false));
  const int64_t yn = p.batch * nchwc_blocks(c) * p.out_h * p.out_w * 16;
  const std::vector<float> x = seeded(static_cast<size_t>(p.batch * nchwc_blocks(c) * h * w_ * 16), seed);
  const std::vector<float> wt = seeded(static_cast<size_t>(c * k * k), seed + 1, -0.5f, 0.5f);
  const std::vector<float> bias = seeded(static_cast<size_t>(c), seed + 2);
  const std::vector<float> sum = seeded(static_cast<size_t>(yn), seed + 3);
  const float* s = with_sum ? sum.data() : nullptr;
  std::vector<float> want(static_cast<size_t>(yn)), got(static_cast<size_t>(yn), NAN);
  nchwc_conv2d_reference(p, x.data(), wt.data(), bias.data(), s, want.data());
  const NchwcPackedWeights packed = pack_nchwc_weights(p, wt.data(), bias.data());
  nchwc_conv2d_with(p, packed, x.data(), s, got.data(), nchwc_conv_tile__scalar, nchwc_depthwise_row__avx2);
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i) {
    if (!close(got[i], want[i], k * k)) {
      ++bad;
      FAIL_CHECK("y[" << i << "] = " << got[i] << ", expected " << want[i]);
    }
  }
}

}  // namespace

TEST_CASE("AVX2 NCHWc depthwise rows equal the scalar rows over widths 1..40, strides, pads and kernels") {
  if (!has_avx2()) return;
  uint64_t seed = 700;
  for (int64_t w = 1; w <= 40; ++w) {
    // h, w, kh, kw, stride_h, stride_w, pad_top, pad_left, pad_right, dilation
    const RowCase cases[] = {
        {5, w, 3, 3, 1, 1, 1, 1, 1, 1},  // MobileNetV2's stride-1 rows
        {6, w, 3, 3, 2, 2, 1, 1, 1, 1},  // and its stride-2 ones
        {5, w, 3, 3, 2, 2, 0, 0, 1, 1},  // TF-style "same" on stride 2: the pad on the right only
        {4, w, 3, 3, 1, 1, 0, 0, 0, 1},  // no padding: every pixel interior
        {7, w, 5, 5, 1, 1, 2, 2, 2, 1},  {7, w, 5, 5, 2, 2, 2, 2, 2, 1},
        {4, w, 1, 3, 1, 1, 0, 1, 1, 1},  {5, w, 3, 1, 1, 1, 1, 0, 0, 1},
        {7, w, 3, 3, 1, 1, 2, 2, 2, 2},  {6, w, 3, 3, 3, 3, 1, 1, 1, 1},
        {3, w, 3, 3, 1, 2, 1, 2, 0, 1},
    };
    for (const RowCase& k : cases) {
      if (out_dim(k.w, k.kw, k.stride_w, k.pad_left + k.pad_right, k.dilation) < 1) continue;
      INFO("w=", w, " k", k.kh, "x", k.kw, " s", k.stride_h, "/", k.stride_w, " pads t", k.pad_top, " l", k.pad_left,
           " r", k.pad_right, " d", k.dilation);
      run_rows(k, seed++);
    }
  }
}

TEST_CASE("AVX2 NCHWc depthwise rows add the sum, clamp and keep NaN and infinities") {
  if (!has_avx2()) return;
  uint64_t seed = 900;
  for (int64_t w : {1, 3, 4, 7, 8, 9, 12, 13, 17, 28, 40}) {
    for (int64_t s : {1, 2}) {
      INFO("w=", w, " s", s);
      run_rows({5, w, 3, 3, s, s, 1, 1, 1, 1, true}, seed++);                    // sum
      run_rows({5, w, 3, 3, s, s, 1, 1, 1, 1, false, 0.f, 6.f}, seed++);        // Relu6
      run_rows({5, w, 3, 3, s, s, 1, 1, 1, 1, true, 0.f, INFINITY}, seed++);    // sum + Relu
      run_rows({5, w, 3, 3, s, s, 1, 1, 1, 1, true, -0.25f, 0.5f}, seed++);     // sum + Clip
      run_rows({5, w, 3, 3, s, s, 1, 1, 1, 1, false, -INFINITY, INFINITY, true}, seed++);  // NaN / inf
      run_rows({5, w, 3, 3, s, s, 1, 1, 1, 1, true, 0.f, 6.f, true}, seed++);   // NaN / inf, clamped
      run_rows({7, w, 5, 5, s, s, 2, 2, 2, 1, true, 0.f, 6.f, true}, seed++);   // the generic path too
    }
  }
}

TEST_CASE("AVX2 NCHWc depthwise convolution matches the reference over channel counts around the block") {
  if (!has_avx2()) return;
  // c, h, w, k, stride, pad, sum, lo, hi
  run_conv(17, 9, 21, 3, 1, 1, false, -INFINITY, INFINITY, 1000);
  run_conv(24, 15, 15, 3, 2, 1, true, 0.f, 6.f, 1001);
  run_conv(40, 8, 33, 3, 1, 1, false, 0.f, 6.f, 1002);
  run_conv(3, 10, 10, 3, 2, 0, true, -INFINITY, INFINITY, 1003);
  run_conv(33, 9, 19, 5, 1, 2, true, -0.5f, 0.5f, 1004);
  run_conv(8, 1, 1, 3, 1, 1, false, 0.f, INFINITY, 1005);
  run_conv(96, 14, 14, 3, 2, 1, false, 0.f, 6.f, 1006);
}

TEST_CASE("AVX2 NCHWc depthwise rows inside the fused 1x1 + depthwise conv equal the scalar ones") {
  if (!has_avx2()) return;
  struct Fused {
    int64_t c, e, h, w, k, stride, pad;
  };
  const Fused cases[] = {{16, 96, 20, 20, 3, 2, 1}, {24, 144, 14, 14, 3, 1, 1}, {17, 40, 9, 23, 3, 1, 1},
                         {32, 24, 7, 7, 5, 1, 2},   {8, 48, 30, 12, 3, 2, 1}};
  uint64_t seed = 1100;
  for (const Fused& k : cases) {
    INFO("C=", k.c, " E=", k.e, " ", k.h, "x", k.w, " k", k.k, " s", k.stride, " p", k.pad);
    NchwcConvParams pw, dw;
    pw.batch = dw.batch = 2;
    pw.in_channels = k.c;
    pw.out_channels = dw.in_channels = dw.out_channels = dw.groups = k.e;
    pw.in_h = pw.out_h = dw.in_h = k.h;
    pw.in_w = pw.out_w = dw.in_w = k.w;
    pw.act_lo = 0.f, pw.act_hi = 6.f;
    dw.kernel_h = dw.kernel_w = k.k;
    dw.stride_h = dw.stride_w = k.stride, dw.pad_top = dw.pad_left = k.pad;
    dw.out_h = out_dim(k.h, k.k, k.stride, 2 * k.pad, 1);
    dw.out_w = out_dim(k.w, k.k, k.stride, 2 * k.pad, 1);
    dw.act_lo = 0.f, dw.act_hi = 6.f;
    const int64_t yn = 2 * nchwc_blocks(k.e) * dw.out_h * dw.out_w * 16;
    const std::vector<float> x = seeded(static_cast<size_t>(2 * nchwc_blocks(k.c) * k.h * k.w * 16), seed);
    const std::vector<float> w1 = seeded(static_cast<size_t>(k.e * k.c), seed + 1, -0.5f, 0.5f);
    const std::vector<float> b1 = seeded(static_cast<size_t>(k.e), seed + 2);
    const std::vector<float> w2 = seeded(static_cast<size_t>(k.e * k.k * k.k), seed + 3, -0.5f, 0.5f);
    const std::vector<float> b2 = seeded(static_cast<size_t>(k.e), seed + 4);
    seed += 5;
    const NchwcPackedWeights p1 = pack_nchwc_weights(pw, w1.data(), b1.data());
    const NchwcPackedWeights p2 = pack_nchwc_weights(dw, w2.data(), b2.data());
    std::vector<float> want(static_cast<size_t>(yn), NAN), got(static_cast<size_t>(yn), NAN);
    nchwc_pointwise_depthwise_with(pw, p1, dw, p2, x.data(), want.data(), nchwc_conv_tile__scalar,
                                   nchwc_depthwise_row__scalar);
    nchwc_pointwise_depthwise_with(pw, p1, dw, p2, x.data(), got.data(), nchwc_conv_tile__scalar,
                                   nchwc_depthwise_row__avx2);
    int bad = 0;
    for (size_t i = 0; i < got.size() && bad < 5; ++i) {
      if (!close(got[i], want[i], k.k * k.k)) {
        ++bad;
        FAIL_CHECK("y[" << i << "] = " << got[i] << ", expected " << want[i]);
      }
    }
  }
}
