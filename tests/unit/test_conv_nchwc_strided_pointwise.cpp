// Strided 1x1 NCHWc convs without padding (ResNet v1.5's downsample convs), which gather every
// s-th pixel and then run as stride-1 1x1 convs, against the one-value-at-a-time reference:
// strides 2 and 3, different strides per axis, odd sizes, channels not a multiple of 16, residual
// sum, clamp, NCHW output, and the active tile as well as the scalar one.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;

namespace {

struct Case {
  int64_t c, m, h, w, stride_h, stride_w;
  bool with_sum = false, nchw_output = false;
  float lo = -INFINITY, hi = INFINITY;
};

void run(const Case& k, uint64_t seed) {
  NchwcConvParams p;
  p.batch = 2;
  p.in_channels = k.c, p.out_channels = k.m;
  p.in_h = k.h, p.in_w = k.w, p.kernel_h = p.kernel_w = 1;
  p.stride_h = k.stride_h, p.stride_w = k.stride_w;
  p.out_h = (k.h - 1) / k.stride_h + 1, p.out_w = (k.w - 1) / k.stride_w + 1;
  p.act_lo = k.lo, p.act_hi = k.hi;
  const int64_t ob = nchwc_blocks(k.m), plane = p.out_h * p.out_w;
  const int64_t xn = p.batch * nchwc_blocks(k.c) * k.h * k.w * 16, yn = p.batch * ob * plane * 16;
  const auto x = onnxi::test::xorshift_floats(static_cast<size_t>(xn), seed, -1.f, 1.f, 29);
  const auto w = onnxi::test::xorshift_floats(static_cast<size_t>(k.m * k.c), seed + 1, -0.5f, 0.5f, 29);
  const auto bias = onnxi::test::xorshift_floats(static_cast<size_t>(k.m), seed + 2, -1.f, 1.f, 29);
  const auto sum = onnxi::test::xorshift_floats(static_cast<size_t>(yn), seed + 3, -1.f, 1.f, 29);
  const float* s = k.with_sum ? sum.data() : nullptr;
  std::vector<float> blocked(static_cast<size_t>(yn));
  nchwc_conv2d_reference(p, x.data(), w.data(), bias.data(), s, blocked.data());
  std::vector<float> expected = blocked;
  if (k.nchw_output) {
    expected.assign(static_cast<size_t>(p.batch * k.m * plane), 0.f);
    for (int64_t n = 0; n < p.batch; ++n) {
      for (int64_t m = 0; m < k.m; ++m) {
        for (int64_t i = 0; i < plane; ++i) {
          expected[static_cast<size_t>((n * k.m + m) * plane + i)] =
              blocked[static_cast<size_t>(((n * ob + m / 16) * plane + i) * 16 + m % 16)];
        }
      }
    }
  }
  p.nchw_output = k.nchw_output;
  const NchwcPackedWeights packed = pack_nchwc_weights(p, w.data(), bias.data());
  struct Run {
    const char* name;
    bool scalar;
  };
  for (const Run& r : {Run{"active", false}, Run{"scalar", true}}) {
    INFO(r.name);
    std::vector<float> y(expected.size(), NAN);
    if (r.scalar) {
      nchwc_conv2d_with(p, packed, x.data(), s, y.data(), nchwc_conv_tile__scalar, nchwc_depthwise_row__scalar);
    } else {
      nchwc_conv2d(p, packed, x.data(), s, y.data());
    }
    int bad = 0;
    for (size_t i = 0; i < y.size() && bad < 5; ++i) {
      if (!(std::fabs(y[i] - expected[i]) <= 2e-5f * (1.f + std::fabs(expected[i])) * std::sqrt(float(k.c)))) {
        ++bad;
        FAIL_CHECK("y[" << i << "] = " << y[i] << ", expected " << expected[i]);
      }
    }
    CHECK(bad == 0);
  }
}

}  // namespace

TEST_CASE("NCHWc strided 1x1 convs (gathered, then stride 1) match the reference") {
  const std::vector<Case> cases = {
      {64, 128, 14, 14, 2, 2},
      {40, 24, 13, 11, 2, 2, true},
      {16, 33, 9, 10, 3, 3, false, false, 0.f, 6.f},
      {48, 64, 12, 7, 2, 1, true},
      {17, 16, 5, 9, 1, 3},
      {256, 512, 7, 7, 2, 2, true, false, 0.f, INFINITY},
      {32, 40, 15, 15, 2, 2, false, true},
      {24, 16, 1, 1, 2, 2},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case ", i);
    run(cases[i], 100 + i);
  }
}
