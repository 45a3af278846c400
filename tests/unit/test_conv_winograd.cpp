// Winograd F(4,3) / F(2,3) convolution: the scalar and AVX-512 kernel sets against the double
// reference nchwc_conv2d_reference over channel counts around and past the block (16, 17, 31, 64,
// 100), image sides at and around the tile (1..8, 13, 14, 56), symmetric and asymmetric pads, bias,
// residual sum, Relu / Clip, batch 2, 1 and 2 threads. Tolerances come from the measured bounds in
// conv_winograd.h (kWinogradF43RelErr, kWinogradF23RelErr) times the largest |conv| of the case;
// the "accuracy" case re-measures those bounds on ResNet-like data.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/conv_winograd.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"
#include "onnxi/error.h"
#include "onnxi/session.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi::kernels;

namespace {

struct KernelSet {
  const char* name;
  WinogradKernels k;
};

std::vector<KernelSet> kernel_sets() {
  std::vector<KernelSet> v{{"scalar", winograd_kernels__scalar()}};
  if (detected_isa() >= Isa::Avx2) v.push_back({"avx2", winograd_kernels__avx2()});
  if (detected_isa() >= Isa::Avx512) v.push_back({"avx512", winograd_kernels__avx512()});
  return v;
}

struct Case {
  int64_t c, m, h, w;
  int64_t pad_t, pad_l, pad_b, pad_r;
  WinogradTile tile = WinogradTile::F43;
  bool with_sum = false;
  float lo = -INFINITY, hi = INFINITY;
  int64_t batch = 2;
};

NchwcConvParams params_of(const Case& k) {
  NchwcConvParams p;
  p.batch = k.batch;
  p.in_channels = k.c, p.out_channels = k.m;
  p.in_h = k.h, p.in_w = k.w, p.kernel_h = 3, p.kernel_w = 3;
  p.pad_top = k.pad_t, p.pad_left = k.pad_l;
  p.out_h = k.h + k.pad_t + k.pad_b - 2, p.out_w = k.w + k.pad_l + k.pad_r - 2;
  p.act_lo = k.lo, p.act_hi = k.hi;
  return p;
}

double rel_err_bound(WinogradTile t) { return t == WinogradTile::F43 ? kWinogradF43RelErr : kWinogradF23RelErr; }

void run_case(const Case& k, uint64_t seed) {
  const NchwcConvParams p = params_of(k);
  const int64_t xn = p.batch * nchwc_blocks(k.c) * k.h * k.w * 16;
  const int64_t yn = p.batch * nchwc_blocks(k.m) * p.out_h * p.out_w * 16;
  // Weights with variance 1/fan_in as in a trained net; padding lanes of x hold values too.
  const float a = std::sqrt(3.f / float(9 * k.c));
  const std::vector<float> x = onnxi::test::xorshift_floats(static_cast<size_t>(xn), seed, -1.f, 1.f, 5, 100003);
  const std::vector<float> w = onnxi::test::xorshift_floats(static_cast<size_t>(k.m * k.c * 9), seed + 1, -a, a, 7, 100003);
  const std::vector<float> bias = onnxi::test::xorshift_floats(static_cast<size_t>(k.m), seed + 2, -1.f, 1.f, 9);
  const std::vector<float> sum = onnxi::test::xorshift_floats(static_cast<size_t>(yn), seed + 3, -1.f, 1.f, 13);
  const float* s = k.with_sum ? sum.data() : nullptr;
  std::vector<float> expected(static_cast<size_t>(yn)), plain(static_cast<size_t>(yn));
  nchwc_conv2d_reference(p, x.data(), w.data(), bias.data(), s, expected.data());
  NchwcConvParams pp = p;
  pp.act_lo = -INFINITY, pp.act_hi = INFINITY;
  nchwc_conv2d_reference(pp, x.data(), w.data(), nullptr, nullptr, plain.data());
  float scale = 0;
  for (float v : plain) scale = std::max(scale, std::fabs(v));
  // The bound is relative to the largest |conv|; bias and sum add exactly-rounded terms on top.
  const float tol = static_cast<float>(rel_err_bound(k.tile) * scale) + 4 * FLT_EPSILON * 4;
  const WinogradWeights packed = pack_winograd_weights(p, k.tile, w.data(), bias.data());
  for (const KernelSet& ks : kernel_sets()) {
    for (int threads : {1, 2}) {
      INFO("kernels ", std::string(ks.name), ", threads ", threads);
      std::vector<float> y(static_cast<size_t>(yn), NAN);
      ThreadArena arena(threads);
      arena.execute([&] { winograd_conv2d_with(p, packed, x.data(), s, y.data(), ks.k); });
      int bad = 0;
      for (size_t i = 0; i < y.size() && bad < 5; ++i) {
        if (!(std::fabs(y[i] - expected[i]) <= tol)) {
          ++bad;
          FAIL_CHECK("y[" << i << "] = " << y[i] << ", expected " << expected[i] << " (tol " << tol << ")");
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("Winograd F(4,3) matches the reference over channels, image sides, pads, batch and threads") {
  const std::vector<Case> cases = {
      // c, m, h, w, pads t l b r
      {16, 16, 1, 1, 1, 1, 1, 1},     {16, 16, 2, 2, 1, 1, 1, 1},    {17, 16, 3, 3, 1, 1, 1, 1},
      {16, 17, 4, 4, 1, 1, 1, 1},     {31, 31, 5, 5, 1, 1, 1, 1},    {64, 64, 7, 7, 1, 1, 1, 1},
      {64, 100, 8, 8, 1, 1, 1, 1},    {100, 64, 13, 13, 1, 1, 1, 1}, {64, 64, 14, 14, 1, 1, 1, 1},
      {17, 31, 56, 56, 1, 1, 1, 1},   {16, 16, 5, 7, 0, 0, 0, 0},    {31, 17, 8, 13, 0, 0, 0, 0},
      {16, 32, 9, 6, 0, 1, 2, 1},     {33, 16, 7, 11, 2, 0, 1, 2},   {48, 80, 3, 14, 2, 2, 2, 2},
      {100, 100, 14, 3, 1, 0, 0, 1},  {64, 64, 6, 6, 0, 0, 0, 0},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": c=", k.c, " m=", k.m, " ", k.h, "x", k.w, " pads ", k.pad_t, k.pad_l, k.pad_b, k.pad_r);
    run_case(k, 100 + i);
  }
}

TEST_CASE("Winograd F(2,3) matches the reference") {
  const std::vector<Case> cases = {
      {16, 16, 1, 1, 1, 1, 1, 1, WinogradTile::F23},   {17, 31, 2, 3, 1, 1, 1, 1, WinogradTile::F23},
      {64, 64, 7, 7, 1, 1, 1, 1, WinogradTile::F23},   {100, 64, 13, 14, 1, 1, 1, 1, WinogradTile::F23},
      {16, 32, 9, 6, 0, 1, 2, 1, WinogradTile::F23},   {31, 16, 5, 4, 0, 0, 0, 0, WinogradTile::F23},
      {64, 100, 14, 14, 1, 1, 1, 1, WinogradTile::F23, true, 0.f},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    INFO("case ", i, ": c=", k.c, " m=", k.m, " ", k.h, "x", k.w);
    run_case(k, 300 + i);
  }
}

TEST_CASE("Winograd fuses bias, a residual sum and Relu / Clip, keeping NaN") {
  const std::vector<Case> cases = {
      {64, 64, 14, 14, 1, 1, 1, 1, WinogradTile::F43, true, 0.f, INFINITY},
      {17, 33, 9, 9, 1, 1, 1, 1, WinogradTile::F43, true, -0.25f, 0.5f},
      {32, 32, 7, 5, 1, 1, 1, 1, WinogradTile::F43, false, 0.f, 6.f},
      {16, 16, 5, 5, 1, 1, 1, 1, WinogradTile::F23, true, -0.5f, 0.5f},
      {64, 64, 8, 8, 1, 1, 1, 1, WinogradTile::F43, true, 0.f, INFINITY, 1},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case ", i);
    run_case(cases[i], 500 + i);
  }
  // A NaN in the residual comes out NaN through the clamp (as the direct kernel's Clip keeps it).
  Case k{16, 16, 4, 4, 1, 1, 1, 1, WinogradTile::F43, true, 0.f, 6.f, 1};
  const NchwcConvParams p = params_of(k);
  std::vector<float> x(4 * 4 * 16, 0.5f), w(16 * 16 * 9, 0.01f), sum(4 * 4 * 16, 0.f), y(4 * 4 * 16);
  sum[5 * 16 + 3] = NAN;
  const WinogradWeights packed = pack_winograd_weights(p, WinogradTile::F43, w.data(), nullptr);
  for (const KernelSet& ks : kernel_sets()) {
    winograd_conv2d_with(p, packed, x.data(), sum.data(), y.data(), ks.k);
    CHECK(std::isnan(y[5 * 16 + 3]));
    CHECK(y[5 * 16 + 4] == doctest::Approx(0.5 * 0.01 * 16 * 9).epsilon(1e-5));
  }
}

TEST_CASE("Winograd AVX2 and AVX-512 kernels agree with the scalar ones") {
  for (const KernelSet& ks : kernel_sets()) {
    if (std::string(ks.name) == "scalar") continue;
    INFO(ks.name);
    for (WinogradTile tile : {WinogradTile::F43, WinogradTile::F23}) {
      const Case k{48, 80, 11, 9, 1, 1, 1, 1, tile, true, 0.f, INFINITY};
      const NchwcConvParams p = params_of(k);
      const int64_t xn = p.batch * 3 * k.h * k.w * 16, yn = p.batch * 5 * p.out_h * p.out_w * 16;
      const auto x = onnxi::test::xorshift_floats(static_cast<size_t>(xn), 7, -1.f, 1.f, 3);
      const auto w = onnxi::test::xorshift_floats(static_cast<size_t>(80 * 48 * 9), 8, -0.1f, 0.1f, 3);
      const auto sum = onnxi::test::xorshift_floats(static_cast<size_t>(yn), 9, -1.f, 1.f, 3);
      const WinogradWeights packed = pack_winograd_weights_with(p, tile, w.data(), nullptr, winograd_kernels__scalar());
      // The weight transforms: the same sums, FMA or not (a couple of ulp of the largest weight).
      const WinogradWeights packed_isa = pack_winograd_weights_with(p, tile, w.data(), nullptr, ks.k);
      REQUIRE(packed_isa.u.size() == packed.u.size());
      float u_worst = 0, u_top = 0;
      for (size_t i = 0; i < packed.u.size(); ++i) {
        u_worst = std::max(u_worst, std::fabs(packed.u.data()[i] - packed_isa.u.data()[i]));
        u_top = std::max(u_top, std::fabs(packed.u.data()[i]));
      }
      CHECK(u_worst <= 4 * FLT_EPSILON * u_top);
      std::vector<float> a(static_cast<size_t>(yn)), b(static_cast<size_t>(yn));
      winograd_conv2d_with(p, packed, x.data(), sum.data(), a.data(), winograd_kernels__scalar());
      winograd_conv2d_with(p, packed, x.data(), sum.data(), b.data(), ks.k);
      float worst = 0, top = 0;
      for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i])), top = std::max(top, std::fabs(a[i]));
      // Each is within the bound of the exact result, so within twice it of the other.
      CHECK(worst <= 2 * rel_err_bound(tile) * top);
    }
  }
}

TEST_CASE("Winograd accuracy on ResNet-like data stays within the stated bounds") {
  // Weights ~N(0, 1/fan_in), inputs ~N(0, 1), as after BatchNorm in ResNet-50.
  struct Shape {
    int64_t c, hw;
  };
  const std::vector<Shape> shapes = {{64, 28}, {128, 28}, {256, 14}, {512, 7}};
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (WinogradTile tile : {WinogradTile::F43, WinogradTile::F23}) {
    double worst = 0;
    for (const Shape& s : shapes) {
      const Case k{s.c, s.c, s.hw, s.hw, 1, 1, 1, 1, tile, false, -INFINITY, INFINITY, 1};
      const NchwcConvParams p = params_of(k);
      std::vector<float> x(static_cast<size_t>(nchwc_blocks(s.c) * s.hw * s.hw * 16));
      std::vector<float> w(static_cast<size_t>(s.c * s.c * 9));
      for (float& v : x) v = normal(rng);
      const float sd = 1.f / std::sqrt(float(9 * s.c));
      for (float& v : w) v = sd * normal(rng);
      std::vector<float> ref(static_cast<size_t>(nchwc_blocks(s.c) * s.hw * s.hw * 16)), y(ref.size());
      nchwc_conv2d_reference(p, x.data(), w.data(), nullptr, nullptr, ref.data());
      const WinogradWeights packed = pack_winograd_weights(p, tile, w.data(), nullptr);
      winograd_conv2d(p, packed, x.data(), nullptr, y.data());
      double err = 0, top = 0;
      for (size_t i = 0; i < y.size(); ++i) {
        err = std::max(err, std::fabs(double(y[i]) - ref[i]));
        top = std::max(top, std::fabs(double(ref[i])));
      }
      // The direct kernel on the same data, for comparison.
      std::vector<float> yd(ref.size());
      nchwc_conv2d(p, pack_nchwc_weights(p, w.data(), nullptr), x.data(), nullptr, yd.data());
      double err_direct = 0;
      for (size_t i = 0; i < y.size(); ++i) err_direct = std::max(err_direct, std::fabs(double(yd[i]) - ref[i]));
      MESSAGE("F(", static_cast<int>(tile), ",3) c=", s.c, " ", s.hw, "x", s.hw, ": max|err| ", err, ", max|y| ", top,
              ", ratio ", err / top, " (", err / top / FLT_EPSILON, " ulp of max|y|); direct kernel ",
              err_direct / top, " (", err_direct / top / FLT_EPSILON, " ulp)");
      worst = std::max(worst, err / top);
    }
    CHECK(worst <= rel_err_bound(tile));
  }
}

TEST_CASE("Winograd choice: 3x3 stride-1 dense blocked convs with enough channels") {
  NchwcConvParams base;
  base.in_channels = base.out_channels = 64;
  base.kernel_h = base.kernel_w = 3;
  base.in_h = base.in_w = 56;
  const bool on = winograd_enabled() && active_isa() >= Isa::Avx2;
  CHECK((winograd_choice(base) != WinogradTile::None) == on);
  struct Off {
    const char* what;
    void (*change)(NchwcConvParams&);
  };
  const std::vector<Off> offs = {
      {"stride 2", [](NchwcConvParams& p) { p.stride_h = p.stride_w = 2; }},
      {"stride 1x2", [](NchwcConvParams& p) { p.stride_w = 2; }},
      {"dilation 2", [](NchwcConvParams& p) { p.dilation_h = p.dilation_w = 2; }},
      {"5x5", [](NchwcConvParams& p) { p.kernel_h = p.kernel_w = 5; }},
      {"3x1", [](NchwcConvParams& p) { p.kernel_w = 1; }},
      {"groups", [](NchwcConvParams& p) { p.groups = 2; }},
      {"depthwise", [](NchwcConvParams& p) { p.groups = 64; }},
      {"NCHW input", [](NchwcConvParams& p) { p.nchw_input = true; }},
      {"few input channels", [](NchwcConvParams& p) { p.in_channels = 15; }},
      {"few output channels", [](NchwcConvParams& p) { p.out_channels = 8; }},
  };
  for (const Off& o : offs) {
    INFO(o.what);
    NchwcConvParams p = base;
    o.change(p);
    CHECK(winograd_choice(p) == WinogradTile::None);
  }
  // pack_nchwc_weights only picks it when the caller allows it (the NchwcConv op does).
  std::vector<float> w(64 * 64 * 9, 0.f);
  CHECK(pack_nchwc_weights(base, w.data(), nullptr).winograd == nullptr);
  NchwcConvParams allowed = base;
  allowed.allow_winograd = true;
  const NchwcPackedWeights packed = pack_nchwc_weights(allowed, w.data(), nullptr);
  CHECK((packed.winograd != nullptr) == on);
  CHECK(packed.w.empty() == on);  // no direct weights kept beside the transformed ones
}

TEST_CASE("ONNXI_WINOGRAD values") {
  CHECK(parse_winograd_switch(nullptr) == WinogradSwitch::Auto);
  CHECK(parse_winograd_switch("1") == WinogradSwitch::Auto);
  CHECK(parse_winograd_switch("0") == WinogradSwitch::Off);
  CHECK(parse_winograd_switch("f43") == WinogradSwitch::F43);
  CHECK(parse_winograd_switch("f23") == WinogradSwitch::F23);
  CHECK(parse_winograd_switch("yes") == WinogradSwitch::Auto);
  // Off means the direct kernel for every conv, whatever the shape.
  if (!winograd_enabled()) {
    NchwcConvParams p;
    p.in_channels = p.out_channels = 64, p.kernel_h = p.kernel_w = 3, p.in_h = p.in_w = 56;
    CHECK(winograd_choice(p) == WinogradTile::None);
  }
}

TEST_CASE("Winograd refuses a conv its weights were not packed for") {
  const Case k{16, 16, 8, 8, 1, 1, 1, 1};
  NchwcConvParams p = params_of(k);
  std::vector<float> w(16 * 16 * 9, 0.f), x(2 * 8 * 8 * 16, 0.f), y(2 * 8 * 8 * 16);
  const WinogradWeights packed = pack_winograd_weights(p, WinogradTile::F43, w.data(), nullptr);
  NchwcConvParams strided = p;
  strided.stride_h = 2;
  CHECK_THROWS_AS(winograd_conv2d(strided, packed, x.data(), nullptr, y.data()), onnxi::Error);
  NchwcConvParams wider = p;
  wider.in_channels = 32;
  CHECK_THROWS_AS(winograd_conv2d(wider, packed, x.data(), nullptr, y.data()), onnxi::Error);
  NchwcConvParams five = p;
  five.kernel_h = five.kernel_w = 5;
  CHECK_THROWS_AS(pack_winograd_weights(five, WinogradTile::F43, w.data(), nullptr), onnxi::Error);
}

// ---- through a session: the NchwcConv op packs for Winograd where the rule says so -------------

namespace {

struct OpCase {
  int64_t c, m, h, w, stride;
};

// One NchwcConv node (pads 1, Relu, bias and residual Sum) on a blocked input of known shape.
onnxi::Model winograd_op_model(const OpCase& k, const std::vector<float>& w, const std::vector<float>& bias) {
  using namespace onnxi;
  Model model;
  model.ir_version = 10;
  model.opset_imports[""] = 21;
  model.opset_imports["com.onnxi"] = 1;
  const int64_t oh = (k.h - 1) / k.stride + 1, ow = (k.w - 1) / k.stride + 1;
  model.graph.inputs.push_back(
      ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, {1, nchwc_blocks(k.c), k.h, k.w, 16}), {}});
  model.graph.inputs.push_back(
      ValueInfo{"s", TypeInfo::tensor_of_shape(DataType::Float, {1, nchwc_blocks(k.m), oh, ow, 16}), {}});
  Tensor wt(DataType::Float, {k.m, k.c, 3, 3}), bt(DataType::Float, {k.m});
  std::copy(w.begin(), w.end(), wt.data<float>());
  std::copy(bias.begin(), bias.end(), bt.data<float>());
  model.graph.initializers["W"] = wt;
  model.graph.initializers["B"] = bt;
  Node n;
  n.name = "conv";
  n.op_type = "NchwcConv";
  n.domain = "com.onnxi";
  n.inputs = {"x", "W", "B", "s"};
  n.attributes.push_back(onnxi::test::attr_ints("pads", {1, 1, 1, 1}));
  n.attributes.push_back(onnxi::test::attr_ints("strides", {k.stride, k.stride}));
  n.attributes.push_back(onnxi::test::attr_string("activation", "Relu"));
  n.outputs = {"y"};
  model.graph.nodes.push_back(n);
  model.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return model;
}

}  // namespace

TEST_CASE("NchwcConv runs Winograd (F(4,3), F(2,3) on small images) and direct for stride 2, all exact to the bound") {
  using namespace onnxi;
  const std::vector<OpCase> cases = {{64, 64, 14, 14, 1}, {64, 48, 7, 7, 1}, {40, 64, 9, 12, 1}, {64, 64, 14, 14, 2}};
  for (size_t i = 0; i < cases.size(); ++i) {
    const OpCase& k = cases[i];
    INFO("case ", i);
    NchwcConvParams p;
    p.in_channels = k.c, p.out_channels = k.m, p.in_h = k.h, p.in_w = k.w, p.kernel_h = p.kernel_w = 3;
    p.stride_h = p.stride_w = k.stride, p.pad_top = p.pad_left = 1;
    p.out_h = (k.h - 1) / k.stride + 1, p.out_w = (k.w - 1) / k.stride + 1;
    p.act_lo = 0.f;
    const WinogradTile tile = winograd_choice(p);
    if (k.stride == 2) CHECK(tile == WinogradTile::None);
    const bool rule = parse_winograd_switch(std::getenv("ONNXI_WINOGRAD")) == WinogradSwitch::Auto;
    if (k.stride == 1 && rule && active_isa() >= Isa::Avx2) {
      CHECK(tile == (k.h * k.w <= 49 ? WinogradTile::F23 : WinogradTile::F43));
    }
    const float a = std::sqrt(3.f / float(9 * k.c));
    const auto x = onnxi::test::xorshift_floats(static_cast<size_t>(nchwc_blocks(k.c) * k.h * k.w * 16), 40 + i, -1.f, 1.f, 3);
    const auto w = onnxi::test::xorshift_floats(static_cast<size_t>(k.m * k.c * 9), 50 + i, -a, a, 3);
    const auto bias = onnxi::test::xorshift_floats(static_cast<size_t>(k.m), 60 + i, -1.f, 1.f, 3);
    const auto sum = onnxi::test::xorshift_floats(static_cast<size_t>(nchwc_blocks(k.m) * p.out_h * p.out_w * 16), 70 + i,
                                                  -1.f, 1.f, 3);
    std::vector<float> want(sum.size()), plain(sum.size());
    nchwc_conv2d_reference(p, x.data(), w.data(), bias.data(), sum.data(), want.data());
    NchwcConvParams pp = p;
    pp.act_lo = -INFINITY;
    nchwc_conv2d_reference(pp, x.data(), w.data(), nullptr, nullptr, plain.data());
    float scale = 0;
    for (float v : plain) scale = std::max(scale, std::fabs(v));
    const double bound = tile == WinogradTile::None ? 1e-6 : rel_err_bound(tile);
    Session s = Session::from_model(winograd_op_model(k, w, bias));
    Tensor xt(DataType::Float, {1, nchwc_blocks(k.c), k.h, k.w, 16});
    Tensor st(DataType::Float, {1, nchwc_blocks(k.m), p.out_h, p.out_w, 16});
    std::copy(x.begin(), x.end(), xt.data<float>());
    std::copy(sum.begin(), sum.end(), st.data<float>());
    const std::vector<Value> out = s.run({{"x", Value(xt)}, {"s", Value(st)}});
    const Tensor& y = out.at(0).tensor();
    REQUIRE(y.numel() == static_cast<int64_t>(want.size()));
    float worst = 0;
    for (size_t j = 0; j < want.size(); ++j) worst = std::max(worst, std::fabs(y.data<float>()[j] - want[j]));
    CHECK(worst <= static_cast<float>(bound * scale) + 16 * FLT_EPSILON);
  }
}
