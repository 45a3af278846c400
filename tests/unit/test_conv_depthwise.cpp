// The depthwise convolution planes of every ISA the CPU has, against a direct loop: widths below,
// at and above a vector (1..37), strides 1 and 2, pads 0..2 (asymmetric output sizes), 3x3 (the
// fast path), 5x5 and dilated 3x3 (the generic path), and NaN in the input. The AVX2 3x3 path
// (masked edge loads, even/odd row split for stride 2, three row slots) also gets every width
// around its 8-column vectors, row and column strides that differ, pad_top != pad_left, rows
// wider than its stride-2 buffers (the fallback) and 5..9 rows (slot reuse).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/conv_depthwise.h"
#include "kernels/cpu/cpu_features.h"

using namespace onnxi::kernels;

namespace {

float naive_point(const DepthwiseParams& p, const std::vector<float>& x, const std::vector<float>& w, float bias,
                  int64_t oh, int64_t ow) {
  double acc = bias;
  for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
    for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
      const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
      if (ih < 0 || ih >= p.in_h || iw < 0 || iw >= p.in_w) continue;
      acc += static_cast<double>(w[kh * p.kernel_w + kw]) * x[ih * p.in_w + iw];
    }
  }
  return static_cast<float>(acc);
}

std::vector<DepthwisePlaneFn> planes() {
  std::vector<DepthwisePlaneFn> fns{depthwise_plane_f32__scalar};
  if (detected_isa() >= Isa::Avx2) fns.push_back(depthwise_plane_f32__avx2);
  return fns;
}

// Runs `plane` on p with a patterned input and checks every output against naive_point.
void check_plane(DepthwisePlaneFn plane, const DepthwiseParams& p, float bias) {
  std::vector<float> x(static_cast<size_t>(p.in_h * p.in_w)), w(static_cast<size_t>(p.kernel_h * p.kernel_w));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37 % 19)) / 9.f - 1.f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 11 % 7)) / 3.f - 1.f;
  // Guard values after y catch a store past the plane's end.
  std::vector<float> y(static_cast<size_t>(p.out_h * p.out_w + 16), -7.f), zeros(static_cast<size_t>(p.in_w + 4));
  plane(p, x.data(), w.data(), bias, y.data(), zeros.data());
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    for (int64_t ow = 0; ow < p.out_w; ++ow) {
      float want = naive_point(p, x, w, bias, oh, ow);
      want = want < p.act_lo ? p.act_lo : (want > p.act_hi ? p.act_hi : want);
      INFO("in ", p.in_h, "x", p.in_w, " s=", p.stride_h, ",", p.stride_w, " pad=", p.pad_top, ",", p.pad_left,
           " at ", oh, ",", ow);
      REQUIRE(y[static_cast<size_t>(oh * p.out_w + ow)] == doctest::Approx(want).epsilon(1e-5));
    }
  }
  for (size_t i = static_cast<size_t>(p.out_h * p.out_w); i < y.size(); ++i) REQUIRE(y[i] == -7.f);
}

}  // namespace

TEST_CASE("depthwise planes match the direct loop over widths, strides, pads, kernels and dilations") {
  struct Kernel {
    int64_t k, dilation;
  };
  const Kernel kernels[] = {{3, 1}, {5, 1}, {3, 2}, {1, 1}};
  for (DepthwisePlaneFn plane : planes()) {
    for (const Kernel& kn : kernels) {
      for (int64_t width : {1, 2, 3, 7, 16, 17, 37}) {
        for (int64_t stride : {1, 2}) {
          for (int64_t pad : {0, 1, 2}) {
            DepthwiseParams p;
            p.batch = p.channels = 1;
            p.in_h = 5;
            p.in_w = width;
            p.kernel_h = p.kernel_w = kn.k;
            p.dilation_h = p.dilation_w = kn.dilation;
            p.stride_h = p.stride_w = stride;
            p.pad_top = p.pad_left = pad;
            const int64_t span = (kn.k - 1) * kn.dilation + 1;
            p.out_h = (p.in_h + 2 * pad - span) / stride + 1;
            p.out_w = (width + 2 * pad - span) / stride + 1;
            if (p.out_h <= 0 || p.out_w <= 0) continue;
            std::vector<float> x(static_cast<size_t>(p.in_h * width)), w(static_cast<size_t>(kn.k * kn.k));
            for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37 % 19)) / 9.f - 1.f;
            for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 11 % 7)) / 3.f - 1.f;
            std::vector<float> y(static_cast<size_t>(p.out_h * p.out_w), -7.f), zeros(static_cast<size_t>(width + 4));
            plane(p, x.data(), w.data(), 0.5f, y.data(), zeros.data());
            for (int64_t oh = 0; oh < p.out_h; ++oh) {
              for (int64_t ow = 0; ow < p.out_w; ++ow) {
                INFO("k=", kn.k, " d=", kn.dilation, " w=", width, " s=", stride, " pad=", pad, " at ", oh, ",", ow);
                REQUIRE(y[oh * p.out_w + ow] == doctest::Approx(naive_point(p, x, w, 0.5f, oh, ow)).epsilon(1e-5));
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("depthwise_conv2d: channels and batch pick their own filter and bias; NaN stays local") {
  DepthwiseParams p;
  p.batch = 2;
  p.channels = 3;
  p.in_h = p.in_w = p.out_h = p.out_w = 4;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = 1;
  std::vector<float> x(2 * 3 * 16, 1.f), w(3 * 9), bias{10.f, 20.f, 30.f}, y(x.size());
  for (int c = 0; c < 3; ++c) {
    for (int t = 0; t < 9; ++t) w[c * 9 + t] = static_cast<float>(c + 1);
  }
  x[3 * 16 + 5] = NAN;  // batch 1, channel 0, (1, 1)
  depthwise_conv2d(p, x.data(), w.data(), bias.data(), y.data());
  // Channel c, batch 0: bias + (c + 1) * (taps inside): 4 at a corner, 6 on an edge, 9 inside.
  CHECK(y[0] == 10.f + 4.f);
  CHECK(y[1] == 10.f + 6.f);
  CHECK(y[16 + 5] == 20.f + 2.f * 9.f);
  CHECK(y[2 * 16 + 15] == 30.f + 3.f * 4.f);
  // Batch 1, channel 0: outputs whose window holds (1, 1) are NaN, the others are not.
  CHECK(std::isnan(y[3 * 16 + 0]));
  CHECK(std::isnan(y[3 * 16 + 10]));
  CHECK(!std::isnan(y[3 * 16 + 3]));
  CHECK(!std::isnan(y[4 * 16 + 5]));  // channel 1 of batch 1 is untouched
}

TEST_CASE("depthwise planes apply the fused activation (Clip's clamp) on every path") {
  for (DepthwisePlaneFn plane : planes()) {
    for (int64_t k : {3, 5}) {
      DepthwiseParams p;
      p.batch = p.channels = 1;
      p.in_h = 6;
      p.in_w = 23;
      p.kernel_h = p.kernel_w = k;
      p.pad_top = p.pad_left = k / 2;
      p.out_h = 6;
      p.out_w = 23;
      p.act_lo = -0.5f;
      p.act_hi = 0.75f;
      std::vector<float> x(static_cast<size_t>(6 * 23)), w(static_cast<size_t>(k * k));
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37 % 19)) / 9.f - 1.f;
      for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 11 % 7)) / 3.f - 1.f;
      std::vector<float> y(x.size()), zeros(32);
      plane(p, x.data(), w.data(), 0.1f, y.data(), zeros.data());
      int clipped = 0;
      for (int64_t oh = 0; oh < 6; ++oh) {
        for (int64_t ow = 0; ow < 23; ++ow) {
          const float raw = naive_point(p, x, w, 0.1f, oh, ow);
          const float want = raw < -0.5f ? -0.5f : (raw > 0.75f ? 0.75f : raw);
          clipped += want != raw;
          INFO("k=", k, " at ", oh, ",", ow);
          REQUIRE(y[oh * 23 + ow] == doctest::Approx(want).epsilon(1e-5));
        }
      }
      CHECK(clipped > 0);  // the bounds do bite
    }
  }
}

TEST_CASE("depthwise 3x3 planes: every width around a vector, mixed strides, asymmetric pads, wide rows") {
  for (DepthwisePlaneFn plane : planes()) {
    for (int64_t in_h : {1, 5, 6, 9}) {
      for (int64_t width = 1; width <= 42; ++width) {
        for (int64_t sh : {1, 2}) {
          for (int64_t sw : {1, 2}) {
            for (int64_t pt : {0, 1}) {
              for (int64_t pl : {0, 1, 2}) {
                DepthwiseParams p;
                p.batch = p.channels = 1;
                p.in_h = in_h;
                p.in_w = width;
                p.kernel_h = p.kernel_w = 3;
                p.stride_h = sh;
                p.stride_w = sw;
                p.pad_top = pt;
                p.pad_left = pl;
                // Bottom / right padding as the top / left one (or one less: an odd total).
                p.out_h = (in_h + 2 * pt - 3) / sh + 1;
                p.out_w = (width + pl + (pl > 0 ? pl - 1 : 0) - 3) / sw + 1;
                if (in_h + 2 * pt < 3 || width + pl + (pl > 0 ? pl - 1 : 0) < 3) continue;
                check_plane(plane, p, 0.25f);
              }
            }
          }
        }
      }
    }
    // Wide rows: 513 and 1100 columns (stride 2 past the AVX2 buffers takes the portable loop).
    for (int64_t width : {513, 1024, 1100}) {
      for (int64_t s : {1, 2}) {
        DepthwiseParams p;
        p.batch = p.channels = 1;
        p.in_h = 4;
        p.in_w = width;
        p.kernel_h = p.kernel_w = 3;
        p.stride_h = p.stride_w = s;
        p.pad_top = p.pad_left = 1;
        p.out_h = (4 + 2 - 3) / s + 1;
        p.out_w = (width + 2 - 3) / s + 1;
        p.act_lo = 0.f;
        p.act_hi = 6.f;
        check_plane(plane, p, -0.5f);
      }
    }
  }
}

TEST_CASE("depthwise 3x3 planes: NaN and infinity stay in the outputs whose window holds them") {
  for (DepthwisePlaneFn plane : planes()) {
    for (int64_t s : {1, 2}) {
      DepthwiseParams p;
      p.batch = p.channels = 1;
      p.in_h = 7;
      p.in_w = 19;
      p.kernel_h = p.kernel_w = 3;
      p.stride_h = p.stride_w = s;
      p.pad_top = p.pad_left = 1;
      p.out_h = (7 + 2 - 3) / s + 1;
      p.out_w = (19 + 2 - 3) / s + 1;
      p.act_lo = 0.f;
      p.act_hi = 6.f;
      std::vector<float> x(7 * 19, 1.f), w(9, 1.f), y(static_cast<size_t>(p.out_h * p.out_w)), zeros(32);
      x[3 * 19 + 9] = NAN;
      x[0] = INFINITY;
      plane(p, x.data(), w.data(), 0.f, y.data(), zeros.data());
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const int64_t h0 = oh * s - 1, w0 = ow * s - 1;
          const bool nan = h0 <= 3 && 3 <= h0 + 2 && w0 <= 9 && 9 <= w0 + 2;
          const bool inf = h0 <= 0 && w0 <= 0;
          const float v = y[static_cast<size_t>(oh * p.out_w + ow)];
          INFO("s=", s, " at ", oh, ",", ow);
          if (nan) {
            CHECK(std::isnan(v));
          } else if (inf) {
            CHECK(v == 6.f);  // clamped
          } else {
            int64_t inside = 0;  // the window's taps inside the image (ones), clamped to 6
            for (int64_t kh = 0; kh < 3; ++kh) {
              for (int64_t kw = 0; kw < 3; ++kw) {
                inside += h0 + kh >= 0 && h0 + kh < 7 && w0 + kw >= 0 && w0 + kw < 19;
              }
            }
            CHECK(v == static_cast<float>(inside < 6 ? inside : 6));
          }
        }
      }
    }
  }
}
