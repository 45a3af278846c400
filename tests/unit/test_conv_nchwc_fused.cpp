// The fused 1x1 + depthwise NCHWc conv (nchwc_pointwise_depthwise) against the two reference convs
// one after the other, for every tile variant, over channel counts around the block, images below,
// at and past the kernel's row buffer (so rows are carried over between chunks), strides, pads,
// kernels 3x3 / 5x5, dilation and activations; the blocked kernels give the same bits at 1 and 2
// threads; and the com.onnxi op's errors.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"
#include "onnxi/session.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;

namespace {

std::vector<float> seeded(size_t n, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  return onnxi::test::xorshift_floats(n, seed, lo, hi, 11, 100003);
}

struct Variant {
  const char* name;
  NchwcTileFn tile;
  NchwcDepthwiseFn depthwise;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", nchwc_conv_tile__scalar, nchwc_depthwise_row__scalar}};
  if (detected_isa() >= Isa::Avx2) v.push_back({"avx2", nchwc_conv_tile__avx2, nchwc_depthwise_row__avx2});
  if (detected_isa() >= Isa::Avx512) v.push_back({"avx512", nchwc_conv_tile__avx512, nchwc_depthwise_row__avx512});
  return v;
}

struct FusedCase {
  int64_t c, e, h, w, k, stride, pad, dilation;
  float pw_lo = -INFINITY, pw_hi = INFINITY, dw_lo = -INFINITY, dw_hi = INFINITY;
};

int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t d) { return (in + 2 * pad - (k - 1) * d - 1) / s + 1; }

void run_fused(const FusedCase& k, uint64_t seed) {
  NchwcConvParams pw, dw;
  pw.batch = dw.batch = 2;
  pw.in_channels = k.c;
  pw.out_channels = dw.in_channels = dw.out_channels = dw.groups = k.e;
  pw.in_h = pw.out_h = dw.in_h = k.h;
  pw.in_w = pw.out_w = dw.in_w = k.w;
  pw.act_lo = k.pw_lo, pw.act_hi = k.pw_hi;
  dw.kernel_h = dw.kernel_w = k.k;
  dw.stride_h = dw.stride_w = k.stride, dw.pad_top = dw.pad_left = k.pad, dw.dilation_h = dw.dilation_w = k.dilation;
  dw.out_h = out_dim(k.h, k.k, k.stride, k.pad, k.dilation);
  dw.out_w = out_dim(k.w, k.k, k.stride, k.pad, k.dilation);
  dw.act_lo = k.dw_lo, dw.act_hi = k.dw_hi;
  const int64_t xn = 2 * nchwc_blocks(k.c) * k.h * k.w * 16;
  const int64_t mid = 2 * nchwc_blocks(k.e) * k.h * k.w * 16;
  const int64_t yn = 2 * nchwc_blocks(k.e) * dw.out_h * dw.out_w * 16;
  const std::vector<float> x = seeded(static_cast<size_t>(xn), seed);  // padding channels: garbage too
  const std::vector<float> w1 = seeded(static_cast<size_t>(k.e * k.c), seed + 1, -0.5f, 0.5f);
  const std::vector<float> b1 = seeded(static_cast<size_t>(k.e), seed + 2);
  const std::vector<float> w2 = seeded(static_cast<size_t>(k.e * k.k * k.k), seed + 3, -0.5f, 0.5f);
  const std::vector<float> b2 = seeded(static_cast<size_t>(k.e), seed + 4);
  std::vector<float> between(static_cast<size_t>(mid)), expected(static_cast<size_t>(yn));
  nchwc_conv2d_reference(pw, x.data(), w1.data(), b1.data(), nullptr, between.data());
  nchwc_conv2d_reference(dw, between.data(), w2.data(), b2.data(), nullptr, expected.data());
  const NchwcPackedWeights p1 = pack_nchwc_weights(pw, w1.data(), b1.data());
  const NchwcPackedWeights p2 = pack_nchwc_weights(dw, w2.data(), b2.data());
  const float tol = 2e-5f * std::sqrt(float(k.c * k.k * k.k));
  for (const Variant& v : variants()) {
    INFO("variant ", v.name);
    std::vector<float> y(static_cast<size_t>(yn), NAN);
    nchwc_pointwise_depthwise_with(pw, p1, dw, p2, x.data(), y.data(), v.tile, v.depthwise);
    int bad = 0;
    for (size_t i = 0; i < y.size() && bad < 5; ++i) {
      const int64_t lane = static_cast<int64_t>(i % 16), block = static_cast<int64_t>(i / 16) / (dw.out_h * dw.out_w) % nchwc_blocks(k.e);
      if (block * 16 + lane >= k.e) continue;  // padding channels: any finite value
      if (!(std::fabs(y[i] - expected[i]) <= tol * (1.f + std::fabs(expected[i])))) {
        ++bad;
        FAIL_CHECK("y[" << i << "] = " << y[i] << ", expected " << expected[i]);
      }
    }
    for (float v2 : y) {
      if (!std::isfinite(v2)) {
        FAIL_CHECK("a non-finite output (padding channels must stay finite)");
        break;
      }
    }
  }
}

}  // namespace

TEST_CASE("NCHWc 1x1 + depthwise in one pass matches the two reference convs") {
  const std::vector<FusedCase> cases = {
      // c, e, h, w, k, stride, pad, dilation
      {16, 96, 14, 14, 3, 2, 1, 1, 0.f, 6.f, 0.f, 6.f},  // MobileNetV2's expand + depthwise s2
      {24, 144, 15, 15, 3, 1, 1, 1, 0.f, 6.f, 0.f, 6.f},
      {1, 16, 1, 1, 3, 1, 1, 1},
      {3, 17, 7, 7, 3, 1, 1, 1},
      {17, 40, 7, 9, 3, 2, 1, 1},
      {64, 48, 14, 15, 5, 1, 2, 1, -0.5f, 0.5f},
      {15, 32, 13, 13, 3, 1, 2, 2},
      {16, 32, 40, 64, 3, 1, 1, 1, 0.f, INFINITY, 0.f, INFINITY},  // more rows than the buffer holds
      {16, 48, 21, 128, 3, 2, 1, 1},                               // and with stride 2
      {32, 16, 30, 70, 5, 2, 0, 1},
      {16, 80, 7, 7, 3, 1, 1, 1, 0.f, 6.f, 0.f, 6.f},  // 7x7: runs of 4 blocks, then 1
      {32, 112, 5, 9, 3, 2, 1, 1},                     // 45 pixels: runs of 4, 2, 1
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const FusedCase& k = cases[i];
    INFO("case ", i, ": C=", k.c, " E=", k.e, " ", k.h, "x", k.w, " k", k.k, " s", k.stride, " p", k.pad, " d", k.dilation);
    run_fused(k, 700 + 10 * i);
  }
}

TEST_CASE("NCHWc convolutions give the same bits at 1 and 2 threads") {
  struct Shape {
    int64_t c, m, groups, h, k, stride;
    bool nchw;
  };
  const std::vector<Shape> shapes = {
      {16, 96, 1, 56, 1, 1, false}, {64, 64, 1, 28, 3, 1, false},  {3, 32, 1, 57, 3, 2, true},
      {96, 96, 96, 29, 3, 2, false}, {320, 1280, 1, 7, 1, 1, false}, {144, 24, 1, 15, 1, 1, false},
  };
  for (const Shape& s : shapes) {
    INFO("C=", s.c, " M=", s.m, " g=", s.groups, " ", s.h, " k", s.k, " s", s.stride);
    NchwcConvParams p;
    p.in_channels = s.c, p.out_channels = s.m, p.groups = s.groups, p.nchw_input = s.nchw;
    p.in_h = p.in_w = s.h, p.kernel_h = p.kernel_w = s.k, p.stride_h = p.stride_w = s.stride;
    p.pad_top = p.pad_left = s.k / 2;
    p.out_h = p.out_w = out_dim(s.h, s.k, s.stride, s.k / 2, 1);
    p.act_lo = 0.f;
    const int64_t xn = s.nchw ? s.c * s.h * s.h : nchwc_blocks(s.c) * 16 * s.h * s.h;
    const int64_t yn = nchwc_blocks(s.m) * 16 * p.out_h * p.out_w;
    const std::vector<float> x = seeded(static_cast<size_t>(xn), 900 + s.c);
    const std::vector<float> w = seeded(static_cast<size_t>(s.m * (s.c / s.groups) * s.k * s.k), 901, -0.5f, 0.5f);
    const NchwcPackedWeights packed = pack_nchwc_weights(p, w.data(), nullptr);
    std::vector<float> y1(static_cast<size_t>(yn)), y2(static_cast<size_t>(yn), NAN);
    ThreadArena one(1), two(2);
    one.execute([&] { nchwc_conv2d(p, packed, x.data(), nullptr, y1.data()); });
    two.execute([&] { nchwc_conv2d(p, packed, x.data(), nullptr, y2.data()); });
    CHECK(y1 == y2);
  }
  // The fused pair splits its rows into bands at 2 threads: the bands' seams must not show.
  NchwcConvParams pw, dw;
  pw.in_channels = 24, pw.out_channels = dw.in_channels = dw.out_channels = dw.groups = 144;
  pw.in_h = pw.out_h = dw.in_h = pw.in_w = pw.out_w = dw.in_w = 56;
  dw.kernel_h = dw.kernel_w = 3, dw.pad_top = dw.pad_left = 1;
  for (int64_t stride : {1, 2}) {
    dw.stride_h = dw.stride_w = stride;
    dw.out_h = dw.out_w = out_dim(56, 3, stride, 1, 1);
    const std::vector<float> x = seeded(static_cast<size_t>(2 * 16 * 56 * 56), 950);
    const std::vector<float> w1 = seeded(144 * 24, 951, -0.5f, 0.5f), w2 = seeded(144 * 9, 952, -0.5f, 0.5f);
    const NchwcPackedWeights p1 = pack_nchwc_weights(pw, w1.data(), nullptr), p2 = pack_nchwc_weights(dw, w2.data(), nullptr);
    std::vector<float> y1(static_cast<size_t>(9 * 16 * dw.out_h * dw.out_w)), y2(y1.size(), NAN);
    ThreadArena one(1), two(2);
    one.execute([&] { nchwc_pointwise_depthwise(pw, p1, dw, p2, x.data(), y1.data()); });
    two.execute([&] { nchwc_pointwise_depthwise(pw, p1, dw, p2, x.data(), y2.data()); });
    CHECK(y1 == y2);
  }
}

TEST_CASE("NchwcPointwiseDepthwise rejects weights that are not a 1x1 and a depthwise conv") {
  using namespace onnxi;
  using onnxi::test::error_of;
  auto model = [](Shape w1, Shape w2, int64_t group) {
    Model m;
    m.ir_version = 8;
    m.opset_imports[""] = 17;
    m.opset_imports["com.onnxi"] = 1;
    m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_unranked(DataType::Float), {}});  // checked at run
    m.graph.initializers["w1"] = Tensor(DataType::Float, w1);
    m.graph.initializers["w2"] = Tensor(DataType::Float, w2);
    Node n;
    n.name = "fused";
    n.op_type = "NchwcPointwiseDepthwise";
    n.domain = "com.onnxi";
    n.inputs = {"x", "w1", "", "w2", ""};
    n.outputs = {"y"};
    n.attributes = {onnxi::test::attr_int("group", group), onnxi::test::attr_ints("pads", {1, 1, 1, 1})};
    m.graph.nodes.push_back(n);
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    return m;
  };
  SessionOptions none;
  none.optimization_level = "none";
  SUBCASE("a working pair runs") {
    Session s = Session::from_model(model({32, 16, 1, 1}, {32, 1, 3, 3}, 32), none);
    const auto y = s.run({{"x", Value(Tensor(DataType::Float, {1, 1, 4, 4, 16}))}});
    CHECK(y[0].tensor().shape() == Shape{1, 2, 4, 4, 16});
  }
  SUBCASE("W1 not 1x1") {
    const std::string e = error_of([&] { Session::from_model(model({32, 16, 3, 3}, {32, 1, 3, 3}, 32), none); });
    CHECK(e.find("[E, C, 1, 1]") != std::string::npos);
  }
  SUBCASE("W2 not depthwise over W1's outputs") {
    const std::string e = error_of([&] { Session::from_model(model({32, 16, 1, 1}, {16, 1, 3, 3}, 16), none); });
    CHECK(e.find("depthwise conv of W1's 32 output channels") != std::string::npos);
  }
  SUBCASE("X with other channels than W1 takes") {
    Session s = Session::from_model(model({32, 16, 1, 1}, {32, 1, 3, 3}, 32), none);
    const std::string e = error_of([&] { s.run({{"x", Value(Tensor(DataType::Float, {1, 2, 4, 4, 16}))}}); });
    CHECK(e.find("16 channels W1 expects") != std::string::npos);
  }
}
