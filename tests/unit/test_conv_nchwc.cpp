// NCHWc convolution, reorders and blocked pools: every tile variant the CPU has (scalar, AVX-512)
// against the one-value-at-a-time reference over channel counts around the block (1, 3, 15, 16,
// 17, 64), widths below, at and past the 14-pixel tile, kernels 1x1 / 3x3 / 5x5 / 7x7s2, strides,
// pads, dilations, groups, depthwise, NCHW input, residual sum and activations. Padding channels
// of the blocked input hold garbage on purpose: the kernels must ignore them.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/pool.h"
#include "onnxi/session.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;

namespace {

std::vector<float> seeded(size_t n, uint64_t seed, float lo = -1.f, float hi = 1.f) { return onnxi::test::xorshift_floats(n, seed, lo, hi, 11, 100003); }

struct Variant {
  const char* name;
  NchwcTileFn tile;
  NchwcDepthwiseFn depthwise;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", nchwc_conv_tile__scalar, nchwc_depthwise_row__scalar}};
  if (detected_isa() >= Isa::Avx2) v.push_back({"avx2", nchwc_conv_tile__avx2, nchwc_depthwise_row__scalar});
  if (detected_isa() >= Isa::Avx512) v.push_back({"avx512", nchwc_conv_tile__avx512, nchwc_depthwise_row__avx512});
  return v;
}

struct Case {
  int64_t c, m, groups, h, w, kh, kw, stride, pad, dilation;
  bool nchw_input = false, with_sum = false;
  float lo = -INFINITY, hi = INFINITY;
};

int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t d) { return (in + 2 * pad - (k - 1) * d - 1) / s + 1; }

// nchw_output: y in NCHW, compared with the blocked reference reordered by hand; winograd: the
// packing may pick Winograd (3x3 stride 1), whose NCHW output goes through a reorder.
void run_case(const Case& k, uint64_t seed, bool nchw_output = false, bool winograd = false) {
  NchwcConvParams p;
  p.batch = 2;
  p.in_channels = k.c, p.out_channels = k.m, p.groups = k.groups, p.nchw_input = k.nchw_input;
  p.in_h = k.h, p.in_w = k.w, p.kernel_h = k.kh, p.kernel_w = k.kw;
  p.stride_h = p.stride_w = k.stride, p.dilation_h = p.dilation_w = k.dilation, p.pad_top = p.pad_left = k.pad;
  p.out_h = out_dim(k.h, k.kh, k.stride, k.pad, k.dilation);
  p.out_w = out_dim(k.w, k.kw, k.stride, k.pad, k.dilation);
  p.act_lo = k.lo, p.act_hi = k.hi;
  p.nchw_output = nchw_output;
  p.allow_winograd = winograd;
  REQUIRE(nchwc_conv_supported(k.c, k.m, k.groups, k.nchw_input));
  const int64_t xn = k.nchw_input ? p.batch * k.c * k.h * k.w : p.batch * nchwc_blocks(k.c) * k.h * k.w * 16;
  const int64_t yn = p.batch * nchwc_blocks(k.m) * p.out_h * p.out_w * 16;
  const std::vector<float> x = seeded(static_cast<size_t>(xn), seed);  // padding channels: garbage too
  const std::vector<float> w = seeded(static_cast<size_t>(k.m * (k.c / k.groups) * k.kh * k.kw), seed + 1, -0.5f, 0.5f);
  const std::vector<float> bias = seeded(static_cast<size_t>(k.m), seed + 2);
  const std::vector<float> sum = seeded(static_cast<size_t>(yn), seed + 3);
  const float* s = k.with_sum ? sum.data() : nullptr;
  std::vector<float> expected(static_cast<size_t>(yn));
  nchwc_conv2d_reference(p, x.data(), w.data(), bias.data(), s, expected.data());
  const NchwcPackedWeights packed = pack_nchwc_weights(p, w.data(), bias.data());
  if (packed.winograd != nullptr) {
    // Winograd rounds differently from the reference (its own tests bound that): here the NCHW
    // output must equal its blocked output reordered.
    NchwcConvParams blocked = p;
    blocked.nchw_output = false;
    nchwc_conv2d(blocked, packed, x.data(), s, expected.data());
  }
  if (nchw_output) {
    const int64_t plane = p.out_h * p.out_w, ob = nchwc_blocks(k.m);
    std::vector<float> blocked = expected;
    expected.assign(static_cast<size_t>(p.batch * k.m * plane), 0.f);
    for (int64_t n = 0; n < p.batch; ++n) {
      for (int64_t m = 0; m < k.m; ++m) {
        for (int64_t s = 0; s < plane; ++s) {
          expected[static_cast<size_t>((n * k.m + m) * plane + s)] =
              blocked[static_cast<size_t>(((n * ob + m / 16) * plane + s) * 16 + m % 16)];
        }
      }
    }
  }
  for (const Variant& v : variants()) {
    INFO("variant ", v.name);
    std::vector<float> y(expected.size(), NAN);
    nchwc_conv2d_with(p, packed, x.data(), s, y.data(), v.tile, v.depthwise);
    int bad = 0;
    for (size_t i = 0; i < y.size() && bad < 5; ++i) {
      if (!(std::fabs(y[i] - expected[i]) <=
            2e-5f * (1.f + std::fabs(expected[i])) * std::sqrt(float(k.c * k.kh * k.kw)))) {
        ++bad;
        FAIL_CHECK("y[" << i << "] = " << y[i] << ", expected " << expected[i]);
      }
    }
  }
}

}  // namespace

TEST_CASE("NCHWc convolution matches the reference over shapes, kernels, strides, pads, dilations, groups") {
  const std::vector<Case> cases = {
      // c, m, groups, h, w, kh, kw, stride, pad, dilation
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 1},        {3, 5, 1, 7, 7, 3, 3, 1, 1, 1},
      {15, 17, 1, 14, 14, 3, 3, 1, 1, 1},    {16, 16, 1, 15, 15, 3, 3, 1, 1, 1},
      {17, 33, 1, 7, 15, 3, 3, 2, 1, 1},     {64, 64, 1, 14, 14, 3, 3, 1, 1, 1},
      {64, 64, 1, 7, 7, 3, 3, 1, 1, 1},      {64, 32, 1, 15, 29, 1, 1, 1, 0, 1},
      {32, 64, 1, 14, 14, 1, 1, 2, 0, 1},    {16, 48, 1, 9, 11, 5, 5, 1, 2, 1},
      {16, 16, 1, 15, 15, 3, 3, 1, 2, 2},    {16, 32, 1, 13, 13, 3, 3, 3, 1, 1},
      {32, 32, 2, 9, 9, 3, 3, 1, 1, 1},      {64, 64, 4, 8, 8, 1, 1, 1, 0, 1},
      {48, 128, 1, 7, 7, 3, 3, 1, 1, 1},     {16, 16, 1, 1, 1, 3, 3, 1, 1, 1},
      {144, 80, 1, 7, 7, 1, 1, 1, 0, 1},     {16, 16, 1, 20, 31, 3, 1, 1, 1, 1},
      // channels past the last whole block: the tiles stop at the real ones (24: MobileNetV2's
      // expand convs; 133 with 3x3: the partial block falls in the second weight chunk)
      {24, 144, 1, 14, 14, 1, 1, 1, 0, 1},   {133, 32, 1, 9, 9, 3, 3, 1, 1, 1},
      {40, 24, 1, 7, 7, 1, 1, 1, 0, 1},
      // 1x1 on 7x7 and 5x9 (one flattened row of 49 / 45): 2 x 14 tiles and their tails
      {32, 112, 1, 7, 7, 1, 1, 1, 0, 1},     {48, 96, 1, 5, 9, 1, 1, 1, 0, 1},
      // a last output block with at most 8 real channels (the 256-bit half tiles): M = 8, 24, 40
      // on 1x1 and 3x3, and with the input split into two weight chunks (C = 200, 3x3)
      {96, 24, 1, 15, 15, 1, 1, 1, 0, 1},    {16, 8, 1, 9, 17, 3, 3, 1, 1, 1},
      {32, 40, 1, 14, 14, 3, 3, 1, 1, 1},    {200, 24, 1, 8, 8, 3, 3, 1, 1, 1},
      {24, 24, 1, 7, 7, 3, 3, 2, 1, 1},
      // ic blocks past one weight chunk (7 blocks of 3x3 for 2 output blocks), cut into equal
      // chunks: 8 as 4 + 4 (ResNet-50's stride-2 3x3), 9 as 5 + 4 with a partial last block
      {128, 32, 1, 9, 13, 3, 3, 2, 1, 1},    {140, 40, 1, 7, 9, 3, 3, 2, 1, 1},
      {128, 64, 1, 6, 30, 3, 3, 1, 1, 1},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": C=", k.c, " M=", k.m, " g=", k.groups, " ", k.h, "x", k.w, " k", k.kh, "x", k.kw, " s", k.stride,
         " p", k.pad, " d", k.dilation);
    run_case(k, 100 + i);
  }
}

TEST_CASE("NCHWc convolution over rows the AVX2 tiles cut into sub-tiles of 5-6 pixels") {
  // The driver gives AVX2 tiles up to 24 pixels (whole sub-tiles where the row allows: 28 as
  // 17 + 11, 25 as 15 + 10, 13 as one tile of 4 + 4 + 5), not the 14 of the AVX-512 tiles.
  const std::vector<Case> cases = {
      // c, m, groups, h, w, kh, kw, stride, pad, dilation, nchw_input, with_sum, lo, hi
      {40, 40, 1, 23, 23, 1, 1, 1, 0, 1},                          // 529 flattened, half tail, ic tail
      {32, 24, 1, 9, 56, 3, 3, 2, 1, 1},                            // 3x3/2, rows of 28, half tail
      {17, 33, 1, 5, 25, 3, 3, 1, 1, 1},                            // rows of 25, 3 blocks
      {16, 16, 1, 4, 13, 3, 3, 1, 1, 1},                            // rows of 13
      {24, 48, 1, 6, 49, 1, 1, 1, 0, 1, false, true, -0.5f, 0.75f},  // 294 flattened, Sum, Clip
      {48, 40, 1, 7, 58, 3, 3, 2, 1, 1, false, true, 0.f},          // rows of 29 (18 + 11), Sum, Relu
      {64, 24, 1, 5, 5, 1, 1, 1, 0, 1, false, true, 0.f, 6.f},      // 25 flattened, half tail, Clip
      {16, 32, 1, 3, 19, 3, 3, 1, 0, 1},                            // rows of 17, no padding
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": C=", k.c, " M=", k.m, " ", k.h, "x", k.w, " k", k.kh, " s", k.stride, " p", k.pad);
    run_case(k, 600 + i);
    run_case(k, 650 + i, true);  // NCHW output: the tiles go through the task's buffer
  }
}

TEST_CASE("NCHWc convolution over AVX2 tiles that run on over narrow output rows") {
  // Rows under 16 pixels go to the AVX2 tiles as one run of pixels over the band's rows: sub-tiles
  // of up to 6 pixels cross a row end (the next row's input a row stride on), a half last block's
  // sub-tiles stop at it. Widths 1-15, strides 1 and 2, several bands, Sum and activations.
  const std::vector<Case> cases = {
      // c, m, groups, h, w, kh, kw, stride, pad, dilation, nchw_input, with_sum, lo, hi
      {64, 64, 1, 14, 14, 3, 3, 2, 1, 1},                           // 7x7 out at stride 2 (ResNet-50)
      {48, 32, 1, 7, 7, 3, 3, 1, 1, 1, false, true, 0.f},           // 7x7 s1, Sum, Relu
      {32, 24, 1, 7, 7, 3, 3, 1, 1, 1, false, true, -1.f, 1.f},     // half last block, Sum, Clip
      {40, 40, 1, 10, 10, 3, 3, 2, 1, 1},                           // rows of 5 (no run crosses two ends)
      {16, 16, 1, 3, 3, 3, 3, 1, 1, 1},                             // rows of 3
      {16, 48, 1, 28, 28, 3, 3, 2, 1, 1},                           // rows of 14
      {32, 16, 1, 60, 15, 3, 3, 1, 1, 1},                           // rows of 15, several bands
      {17, 33, 1, 9, 11, 5, 5, 1, 2, 1},                            // 5x5, partial ic block
      {16, 16, 1, 11, 11, 3, 3, 1, 2, 2},                           // dilated
      {24, 20, 1, 2, 1, 3, 3, 1, 1, 1},                             // rows of 1
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": C=", k.c, " M=", k.m, " ", k.h, "x", k.w, " k", k.kh, " s", k.stride, " p", k.pad);
    run_case(k, 700 + i);
    run_case(k, 750 + i, true);  // NCHW output
  }
}

TEST_CASE("NCHWc convolution padding a blocked input band by band") {
  // A padded blocked input whose bands (row ranges of the output) hold more input than a run's
  // weights is padded by each task into a buffer of its own, reused for the band's next runs of
  // output blocks: many rows and few channels, strides, groups, bands overlapping by a row or two.
  const std::vector<Case> cases = {
      // c, m, groups, h, w, kh, kw, stride, pad, dilation, nchw_input, with_sum, lo, hi
      {16, 16, 1, 64, 64, 3, 3, 2, 1, 1},
      {16, 40, 1, 48, 40, 3, 3, 1, 1, 1, false, true, 0.f},  // half last block, Sum, Relu
      {32, 32, 2, 40, 40, 3, 3, 1, 1, 1},                     // 2 groups of one ic block each
      {24, 16, 1, 64, 48, 5, 5, 1, 2, 1, false, true},        // partial ic block, Sum
      {16, 16, 1, 120, 13, 3, 3, 2, 1, 1, false, false, -1.f, 1.f},  // narrow rows (one run), Clip
      {16, 16, 1, 60, 44, 3, 3, 1, 2, 2},                     // dilated
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": C=", k.c, " M=", k.m, " g=", k.groups, " ", k.h, "x", k.w, " k", k.kh, " s", k.stride, " p", k.pad);
    run_case(k, 800 + i);
    run_case(k, 850 + i, true);  // NCHW output
  }
}

TEST_CASE("NCHWc convolution from an NCHW input (a first conv on few channels), 7x7 stride 2 and others") {
  const std::vector<Case> cases = {
      {3, 64, 1, 29, 31, 7, 7, 2, 3, 1, true}, {3, 16, 1, 16, 16, 3, 3, 1, 1, 1, true},
      {1, 20, 1, 9, 9, 3, 3, 2, 1, 1, true},   {4, 32, 1, 12, 12, 5, 5, 3, 2, 1, true},
      // 3 channels (the unrolled RGB path): MobileNetV2's 3x3/2 -> 32 and the stem's 7x7/2 on
      // output widths 1..15 and 28 (tiles of 14 and their tails)
      {3, 32, 1, 1, 1, 3, 3, 2, 1, 1, true},   {3, 32, 1, 3, 3, 3, 3, 2, 1, 1, true},
      {3, 32, 1, 9, 9, 3, 3, 2, 1, 1, true},   {3, 32, 1, 5, 13, 3, 3, 2, 1, 1, true},
      {3, 32, 1, 5, 27, 3, 3, 2, 1, 1, true},  {3, 32, 1, 4, 29, 3, 3, 2, 1, 1, true},
      {3, 32, 1, 6, 55, 3, 3, 2, 1, 1, true},  {3, 64, 1, 9, 21, 7, 7, 2, 3, 1, true},
      {3, 48, 1, 7, 11, 3, 3, 1, 1, 1, true},  {3, 20, 1, 8, 8, 3, 3, 2, 0, 1, true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case ", i);
    run_case(cases[i], 300 + i);
  }
}

TEST_CASE("NCHWc convolution from a wide NCHW input (a conv that starts a region): 16 planes per block") {
  const std::vector<Case> cases = {
      // c, m, groups, h, w, kh, kw, stride, pad, dilation, nchw_input
      {128, 128, 1, 13, 13, 3, 3, 2, 1, 1, true},  // ResNet-50's stride-2 3x3, odd size
      {17, 33, 1, 7, 15, 3, 3, 2, 1, 1, true},     // one channel past a block, 3 output blocks
      {40, 24, 1, 9, 11, 3, 3, 1, 1, 1, true},     // a partial last ic block, a half output block
      {64, 256, 1, 9, 9, 1, 1, 1, 0, 1, true},     // 1x1: one flattened row, no padding
      {256, 64, 1, 6, 10, 1, 1, 1, 0, 1, true},
      {512, 100, 1, 7, 7, 1, 1, 1, 0, 1, true},    // 49 pixels, 7 output blocks, 2 weight chunks
      {20, 16, 1, 15, 29, 1, 1, 2, 0, 1, true},    // 1x1 stride 2
      {24, 32, 1, 11, 12, 5, 5, 1, 2, 2, true},    // dilated, wide padding
      {33, 16, 1, 16, 30, 7, 7, 2, 3, 1, true},
      {200, 40, 1, 8, 8, 3, 3, 2, 1, 1, true},     // 13 ic blocks: chunks with a partial block
      {32, 16, 1, 1, 1, 3, 3, 1, 1, 1, true},      // one pixel, every tap but the centre in padding
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": C=", k.c, " M=", k.m, " ", k.h, "x", k.w, " k", k.kh, " s", k.stride, " p", k.pad);
    run_case(k, 400 + i);
  }
}

TEST_CASE("NCHWc convolution writing NCHW (a conv that ends a region), every path") {
  const std::vector<Case> cases = {
      // c, m, groups, h, w, kh, kw, stride, pad, dilation, nchw_input, with_sum, lo, hi
      {64, 256, 1, 14, 14, 1, 1, 1, 0, 1},       {256, 64, 1, 9, 13, 1, 1, 1, 0, 1},
      {128, 128, 1, 13, 13, 3, 3, 2, 1, 1},      {32, 40, 1, 7, 9, 3, 3, 2, 1, 1},  // M % 16 = 8: half tiles
      {16, 5, 1, 11, 11, 1, 1, 1, 0, 1},         {512, 100, 1, 7, 7, 1, 1, 1, 0, 1},
      {3, 64, 1, 29, 31, 7, 7, 2, 3, 1, true},   // the stem: NCHW in and out
      {128, 48, 1, 9, 9, 3, 3, 2, 1, 1, true},   {64, 32, 1, 12, 12, 1, 1, 1, 0, 1, true},
      {16, 16, 1, 15, 15, 3, 3, 1, 1, 1, false, false, 0.f, 6.f},
      {64, 64, 1, 10, 10, 3, 3, 1, 1, 1},        // Winograd when allowed: blocked, then a reorder
      {48, 48, 48, 13, 13, 3, 3, 2, 1, 1},       // depthwise: blocked, then a reorder
      {32, 32, 2, 9, 9, 3, 3, 1, 1, 1},          // groups
      {32, 48, 1, 8, 8, 3, 3, 1, 1, 1, false, true, 0.f},  // a Sum: blocked, then a reorder
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": C=", k.c, " M=", k.m, " g=", k.groups, " ", k.h, "x", k.w, " k", k.kh, " s", k.stride);
    run_case(k, 500 + i, true, true);
  }
}

TEST_CASE("NCHWc depthwise convolution matches the reference") {
  const std::vector<Case> cases = {
      {16, 16, 16, 14, 14, 3, 3, 1, 1, 1}, {24, 24, 24, 15, 15, 3, 3, 2, 1, 1}, {1, 1, 1, 7, 7, 3, 3, 1, 1, 1},
      {17, 17, 17, 9, 21, 5, 5, 1, 2, 1},  {32, 32, 32, 13, 13, 3, 3, 1, 2, 2}, {16, 16, 16, 1, 1, 3, 3, 1, 1, 1},
      {48, 48, 48, 28, 28, 3, 3, 2, 1, 1},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Case k = cases[i];
    if (k.c == 1) k.groups = 1;  // a 1-channel depthwise conv is the plain case
    INFO("case ", i);
    run_case(k, 400 + i);
  }
}

TEST_CASE("NCHWc convolution fuses a residual sum and Relu / Clip, keeping NaN") {
  Case relu{16, 32, 1, 9, 9, 3, 3, 1, 1, 1, false, true, 0.f, INFINITY};
  Case clip{64, 64, 1, 7, 7, 1, 1, 1, 0, 1, false, true, -0.25f, 0.5f};
  Case dw{32, 32, 32, 10, 10, 3, 3, 1, 1, 1, false, true, 0.f, 6.f};
  Case stem{3, 32, 1, 16, 16, 7, 7, 2, 3, 1, true, false, 0.f, INFINITY};
  Case half{144, 24, 1, 14, 14, 1, 1, 1, 0, 1, false, true, -0.5f, 0.75f};  // padding lanes: clamp(sum)
  run_case(half, 504);
  run_case(relu, 500);
  run_case(clip, 501);
  run_case(dw, 502);
  run_case(stem, 503);

  NchwcConvParams p;
  p.in_channels = p.out_channels = 16;
  p.in_h = p.in_w = p.out_h = p.out_w = 2;
  p.act_lo = 0.f;
  std::vector<float> x(2 * 2 * 16, 1.f), w(16 * 16, 0.f);
  for (int i = 0; i < 16; ++i) w[i * 16 + i] = 1.f;
  x[5] = NAN;
  const NchwcPackedWeights packed = pack_nchwc_weights(p, w.data(), nullptr);
  for (const Variant& v : variants()) {
    std::vector<float> y(x.size());
    nchwc_conv2d_with(p, packed, x.data(), nullptr, y.data(), v.tile, v.depthwise);
    CHECK(std::isnan(y[5]));
    CHECK(y[16 + 6] == 1.f);  // the next pixel is untouched (in pixel 0, 0 * NaN poisons every channel)
  }
}

TEST_CASE("NCHWc reorders round-trip and zero the padding channels") {
  for (int64_t c : {1, 3, 15, 16, 17, 64}) {
    for (int64_t spatial : {1, 7, 49}) {
      INFO("C=", c, " spatial=", spatial);
      const std::vector<float> x = seeded(static_cast<size_t>(2 * c * spatial), 7);
      std::vector<float> blocked(static_cast<size_t>(2 * nchwc_blocks(c) * spatial * 16), NAN), back(x.size());
      nchwc_reorder_input(x.data(), 2, c, spatial, blocked.data());
      nchwc_reorder_output(blocked.data(), 2, c, spatial, back.data());
      CHECK(back == x);
      for (int64_t n = 0; n < 2; ++n) {
        for (int64_t ch = 0; ch < nchwc_blocks(c) * 16; ++ch) {
          for (int64_t s = 0; s < spatial; ++s) {
            const float v = blocked[static_cast<size_t>(((n * nchwc_blocks(c) + ch / 16) * spatial + s) * 16 + ch % 16)];
            if (ch < c) {
              CHECK(v == x[static_cast<size_t>((n * c + ch) * spatial + s)]);
            } else {
              CHECK(v == 0.f);
            }
          }
        }
      }
    }
  }
}

namespace {

// A 2-D pool of a k x k window over h x w (planes left to the caller).
PoolParams pool_params_2d(int64_t h, int64_t w, int64_t k, int64_t s, int64_t pad_b, int64_t pad_e, int64_t d) {
  PoolParams p;
  p.in_spatial = {h, w};
  p.out_spatial = {(h + pad_b + pad_e - (k - 1) * d - 1) / s + 1, (w + pad_b + pad_e - (k - 1) * d - 1) / s + 1};
  p.kernel = {k, k};
  p.strides = {s, s};
  p.dilations = {d, d};
  p.pads_begin = {pad_b, pad_b};
  p.pads_end = {pad_e, pad_e};
  return p;
}

}  // namespace

TEST_CASE("NCHWc max and average pools equal the NCHW pools") {
  struct PoolCase {
    int64_t c, h, w, k, s, pad_b, pad_e, d;
  };
  const std::vector<PoolCase> cases = {
      {64, 112, 112, 3, 2, 1, 1, 1}, {17, 7, 9, 2, 2, 0, 1, 1}, {3, 15, 15, 3, 1, 1, 1, 2}, {16, 1, 1, 1, 1, 0, 0, 1},
      {20, 14, 14, 3, 2, 1, 0, 1},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const PoolCase& k = cases[i];
    INFO("case ", i);
    PoolParams p = pool_params_2d(k.h, k.w, k.k, k.s, k.pad_b, k.pad_e, k.d);
    const int64_t oh = p.out_spatial[0], ow = p.out_spatial[1];
    const std::vector<float> x = seeded(static_cast<size_t>(k.c * k.h * k.w), 50 + i);
    std::vector<float> xb(static_cast<size_t>(nchwc_blocks(k.c) * k.h * k.w * 16));
    nchwc_reorder_input(x.data(), 1, k.c, k.h * k.w, xb.data());
    for (int kind = 0; kind < 3; ++kind) {
      INFO("kind ", kind);
      std::vector<float> want(static_cast<size_t>(k.c * oh * ow)), got_b(static_cast<size_t>(nchwc_blocks(k.c) * oh * ow * 16)),
          got(want.size());
      p.planes = k.c;
      if (kind == 0) max_pool(p, x.data(), want.data(), nullptr, false);
      if (kind > 0) average_pool(p, x.data(), want.data(), kind == 2);
      p.planes = nchwc_blocks(k.c);
      if (kind == 0) nchwc_max_pool_2d(p, xb.data(), got_b.data());
      if (kind > 0) nchwc_average_pool_2d(p, xb.data(), got_b.data(), kind == 2);
      nchwc_reorder_output(got_b.data(), 1, k.c, oh * ow, got.data());
      for (size_t j = 0; j < want.size(); ++j) REQUIRE(got[j] == doctest::Approx(want[j]).epsilon(1e-6));
    }
  }
}

TEST_CASE("NCHWc max pool keeps the NCHW pool's NaN rule: a NaN first tap wins, a later one is ignored") {
  PoolParams p = pool_params_2d(6, 7, 3, 2, 1, 1, 1);  // 3 x 4 outputs
  const int64_t c = 16, hw = 6 * 7;
  std::vector<float> x = seeded(static_cast<size_t>(c * hw), 7);
  for (int64_t ch = 0; ch < c; ++ch) {
    x[static_cast<size_t>(ch * hw + (ch % 7))] = NAN;           // row 0: first taps of some windows
    x[static_cast<size_t>(ch * hw + 2 * 7 + 3)] = ch % 2 ? NAN : INFINITY;  // an inner tap
  }
  std::vector<float> xb(static_cast<size_t>(hw * 16)), got_b(static_cast<size_t>(12 * 16)), got(12 * c), want(12 * c);
  nchwc_reorder_input(x.data(), 1, c, hw, xb.data());
  p.planes = c;
  max_pool(p, x.data(), want.data(), nullptr, false);
  p.planes = 1;
  nchwc_max_pool_2d(p, xb.data(), got_b.data());
  nchwc_reorder_output(got_b.data(), 1, c, 12, got.data());
  for (size_t j = 0; j < want.size(); ++j) {
    INFO("output ", j, ": want ", want[j], ", got ", got[j]);
    if (std::isnan(want[j])) {
      CHECK(std::isnan(got[j]));
    } else {
      CHECK(got[j] == want[j]);
    }
  }
}

// ---- the com.onnxi ops: bad input fails with an error naming the input and the fix -------------

namespace {

onnxi::Model nchwc_conv_model(onnxi::Shape x_shape, onnxi::Shape sum_shape, bool w_constant) {
  using namespace onnxi;
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 21;
  m.opset_imports["com.onnxi"] = 1;
  m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, x_shape), {}});
  Tensor w(DataType::Float, {16, 16, 3, 3});
  if (w_constant) {
    m.graph.initializers["W"] = w;
  } else {
    m.graph.inputs.push_back(ValueInfo{"W", TypeInfo::tensor_of_shape(DataType::Float, w.shape()), {}});
  }
  Node n;
  n.name = "conv";
  n.op_type = "NchwcConv";
  n.domain = "com.onnxi";
  n.inputs = {"x", "W", ""};
  if (!sum_shape.empty()) {
    n.inputs.push_back("s");
    m.graph.inputs.push_back(ValueInfo{"s", TypeInfo::tensor_of_shape(DataType::Float, sum_shape), {}});
  }
  n.attributes.push_back(onnxi::test::attr_ints("pads", {1, 1, 1, 1}));
  n.outputs = {"y"};
  m.graph.nodes.push_back(n);
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

}  // namespace

TEST_CASE("NCHWc ops reject bad inputs with errors that name them") {
  using namespace onnxi;
  using onnxi::test::error_of;
  SUBCASE("NchwcConv needs constant weights") {
    const std::string e = error_of([] { Session::from_model(nchwc_conv_model({1, 1, 4, 4, 16}, {}, false)); });
    CHECK(e.find("W as a constant") != std::string::npos);
  }
  SUBCASE("NchwcConv input with the wrong number of channel blocks") {
    Session s = Session::from_model(nchwc_conv_model({1, 2, 4, 4, 16}, {}, true));
    const std::string e =
        error_of([&] { s.run({{"x", Value(Tensor(DataType::Float, {1, 2, 4, 4, 16}))}}); });
    CHECK(e.find("16 channels") != std::string::npos);
  }
  SUBCASE("NchwcConv Sum of another shape") {
    Session s = Session::from_model(nchwc_conv_model({1, 1, 4, 4, 16}, {1, 1, 2, 2, 16}, true));
    const std::string e = error_of([&] {
      s.run({{"x", Value(Tensor(DataType::Float, {1, 1, 4, 4, 16}))}, {"s", Value(Tensor(DataType::Float, {1, 1, 2, 2, 16}))}});
    });
    CHECK(e.find("input Sum") != std::string::npos);
  }
  SUBCASE("ReorderOutput whose channels do not fit the blocks") {
    onnxi::test::NodeRun spec{"ReorderOutput", {onnxi::test::attr_int("channels", 40)}, 1, "com.onnxi"};
    const std::string e =
        error_of([&] { onnxi::test::run_node(spec, {Value(Tensor(DataType::Float, {1, 2, 3, 3, 16}))}); });
    CHECK(e.find("40 channels") != std::string::npos);
    onnxi::test::NodeRun no_attr{"ReorderOutput", {}, 1, "com.onnxi"};
    CHECK(error_of([&] { onnxi::test::run_node(no_attr, {Value(Tensor(DataType::Float, {1, 1, 3, 3, 16}))}); })
              .find("attribute channels") != std::string::npos);
  }
  SUBCASE("ReorderInput of a non-4-D tensor") {
    onnxi::test::NodeRun spec{"ReorderInput", {}, 1, "com.onnxi"};
    const std::string e = error_of([&] { onnxi::test::run_node(spec, {Value(Tensor(DataType::Float, {2, 3, 4}))}); });
    CHECK(e.find("rank 4") != std::string::npos);
  }
}

TEST_CASE("NCHWc global average pool equals the NCHW one and writes NCHW") {
  for (int64_t c : {1, 16, 17, 40}) {
    for (int64_t size : {1, 7, 49}) {
      INFO("C=", c, " size=", size);
      const std::vector<float> x = seeded(static_cast<size_t>(2 * c * size), 80 + c);
      std::vector<float> xb(static_cast<size_t>(2 * nchwc_blocks(c) * size * 16), 1e30f);  // padding: garbage
      nchwc_reorder_input(x.data(), 2, c, size, xb.data());
      std::vector<float> want(static_cast<size_t>(2 * c)), got(want.size(), NAN);
      global_average_pool(x.data(), want.data(), 2 * c, size);
      nchwc_global_average_pool(xb.data(), got.data(), 2, c, size);
      for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
    }
  }
}
