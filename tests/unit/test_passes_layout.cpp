// The NCHWc layout pass (runtime/passes/layout_nchwc.cpp): models run at level "extended" and
// "all" must agree (rtol 1e-4: the blocked kernels sum in another order), and the nodes after "all"
// show where it fired: a small ResNet (stem on the NCHW image, max pool, bottleneck with residual
// Add + Relu fused), channel counts off the block, a conv output that is also a graph output, an
// extra reader of the conv output, a group count the blocked kernels do not take; and idempotence.
// On CPUs without AVX-512 or AVX2 the pass must leave every model alone.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/cpu_features.h"
#include "onnxi/session.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) { return xorshift_tensor(std::move(shape), seed, lo, hi, 3); }

struct Builder {
  Model m;
  uint64_t seed = 1;
  explicit Builder(Shape input) {
    m.ir_version = 8;
    m.opset_imports[""] = 17;
    m.graph.name = "layout";
    m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, input), {}});
  }
  void add(std::string op, std::vector<std::string> in, std::string out, std::vector<Attribute> attrs = {}) {
    Node n;
    n.name = out + "_node";
    n.op_type = std::move(op);
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    n.attributes = std::move(attrs);
    m.graph.nodes.push_back(std::move(n));
  }
  void conv(const std::string& in, const std::string& out, int64_t c, int64_t mo, int64_t k, int64_t stride = 1,
            int64_t group = 1) {
    const std::string w = out + "_W", b = out + "_B";
    m.graph.initializers[w] = seeded({mo, c / group, k, k}, seed++, -0.4f, 0.4f);
    m.graph.initializers[b] = seeded({mo}, seed++, -0.2f, 0.2f);
    add("Conv", {in, w, b}, out,
        {attr_ints("pads", {k / 2, k / 2, k / 2, k / 2}), attr_ints("strides", {stride, stride}), attr_int("group", group)});
  }
  void output(const std::string& name) { m.graph.outputs.push_back(ValueInfo{name, {}, {}}); }
};

int count_op(const Model& m, const std::string& op) {
  int n = 0;
  for (const Node& node : m.graph.nodes) n += node.op_type == op;
  return n;
}

// Runs m at "extended" and "all" on the same x; returns the "all" session's model.
Model compare_levels(const Model& m, const Shape& x_shape) {
  SessionOptions ext, all;
  ext.optimization_level = "extended";
  all.optimization_level = "all";
  Session a = Session::from_model(m, ext);
  Session b = Session::from_model(m, all);
  const std::map<std::string, Value> feeds{{"x", Value(seeded(x_shape, 99, -1.f, 1.f))}};
  std::vector<Value> ya = a.run(feeds), yb = b.run(feeds);
  REQUIRE(ya.size() == yb.size());
  for (size_t i = 0; i < ya.size(); ++i) check_close(yb[i].tensor(), ya[i].tensor(), 1e-4, 1e-5);
  if (!kernels::nchwc_fast()) {
    CHECK(count_op(b.model(), "NchwcConv") == 0);
    CHECK(b.model().graph.nodes.size() == a.model().graph.nodes.size());
  }
  return b.model();
}

// x [1, 3, 16, 16] -> stem 3x3 (3 -> 32) + Relu -> MaxPool 3x3/2 -> 1x1 (32 -> 16) + Relu -> 3x3 16 +
// Relu -> 1x1 (16 -> 32) -> Add(, pool) -> Relu -> GlobalAveragePool -> y.
Builder resnet_block() {
  Builder b({1, 3, 16, 16});
  b.conv("x", "s", 3, 32, 3);
  b.add("Relu", {"s"}, "sr");
  b.add("MaxPool", {"sr"}, "p", {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1})});
  b.conv("p", "c1", 32, 16, 1);
  b.add("Relu", {"c1"}, "r1");
  b.conv("r1", "c2", 16, 16, 3);
  b.add("Relu", {"c2"}, "r2");
  b.conv("r2", "c3", 16, 32, 1);
  b.add("Add", {"c3", "p"}, "sum");
  b.add("Relu", {"sum"}, "r3");
  b.add("GlobalAveragePool", {"r3"}, "y");
  b.output("y");
  return b;
}

}  // namespace

TEST_CASE("layout_nchwc converts a small ResNet block, fusing the residual Add and Relu") {
  const Model all = compare_levels(resnet_block().m, {1, 3, 16, 16});
  if (!kernels::nchwc_fast()) return;
  CHECK(count_op(all, "NchwcConv") == 4);
  CHECK(count_op(all, "NchwcMaxPool") == 1);
  CHECK(count_op(all, "Add") == 0);
  CHECK(count_op(all, "Relu") == 0);
  CHECK(count_op(all, "ReorderInput") == 0);   // the stem reads the NCHW image itself
  CHECK(count_op(all, "ReorderOutput") == 0);  // the blocked GlobalAveragePool writes NCHW
  CHECK(count_op(all, "NchwcGlobalAveragePool") == 1);
  for (const Node& n : all.graph.nodes) {
    if (n.op_type == "NchwcConv" && n.inputs.size() == 4) CHECK(n.attr_string("activation", "") == "Relu");
  }
}

TEST_CASE("layout_nchwc with channel counts off the block and Clip bounds that make padding nonzero") {
  Builder b({2, 17, 9, 11});
  b.conv("x", "c1", 17, 20, 3);
  b.m.graph.initializers["lo"] = Tensor::scalar_f32(0.5f);
  b.m.graph.initializers["hi"] = Tensor::scalar_f32(0.9f);
  b.add("Clip", {"c1", "lo", "hi"}, "k");  // padding lanes become 0.5: the next conv must ignore them
  b.conv("k", "c2", 20, 33, 3, 2);
  b.conv("c2", "c3", 33, 33, 3, 1, 33);  // depthwise
  b.add("Sigmoid", {"c3"}, "y");
  b.output("y");
  const Model all = compare_levels(b.m, {2, 17, 9, 11});
  if (!kernels::nchwc_fast()) return;
  CHECK(count_op(all, "NchwcConv") == 3);
  CHECK(count_op(all, "ReorderInput") == 1);  // a 3x3 stride-1 conv (Winograd) reads blocks
  CHECK(count_op(all, "ReorderOutput") == 1);
}

TEST_CASE("layout_nchwc reorders where NCHW is needed and leaves what it cannot take") {
  SUBCASE("a conv output that is also a graph output") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "c", 16, 16, 3);
    b.add("Relu", {"c"}, "y");
    b.output("c");
    b.output("y");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "ReorderOutput") == 2);  // c and y (the Relu ran blocked), back to NCHW
      CHECK(count_op(all, "NchwcConv") == 1);
    }
  }
  SUBCASE("the conv before a residual Add has another reader") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "c", 16, 16, 3);
    b.add("Add", {"c", "x"}, "s");
    b.add("Neg", {"c"}, "n");
    b.add("Relu", {"s"}, "y");
    b.output("y");
    b.output("n");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "Add") == 1);  // not fused into the conv
      CHECK(count_op(all, "Neg") == 1);
    }
  }
  SUBCASE("a residual on the graph input itself fuses (its reorder is shared with the conv)") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "c", 16, 16, 3);
    b.add("Add", {"x", "c"}, "y");
    b.output("y");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "Add") == 0);
      CHECK(count_op(all, "ReorderInput") == 1);
    }
  }
  SUBCASE("group 2 with 8 channels per group stays Conv") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "y", 16, 16, 3, 1, 2);
    b.output("y");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    CHECK(count_op(all, "Conv") == 1);
    CHECK(count_op(all, "NchwcConv") == 0);
  }
}

TEST_CASE("layout_nchwc is idempotent and only at level all") {
  Model m = resnet_block().m;
  Model ext = m;
  passes::run_passes(ext, "extended");
  Model all = m;
  const int first = passes::run_passes(all, "all");
  const size_t nodes = all.graph.nodes.size();
  CHECK(passes::run_passes(all, "all") == 0);
  CHECK(all.graph.nodes.size() == nodes);
  CHECK(count_op(ext, "NchwcConv") == 0);
  if (kernels::nchwc_fast()) CHECK(first > passes::run_passes(m, "extended"));
}

TEST_CASE("layout_nchwc with auto_pad, dilations, AveragePool and a Clip-fused conv in the region") {
  Builder b({1, 16, 13, 13});
  b.conv("x", "c1", 16, 32, 3);
  b.m.graph.nodes.back().attributes = {attr_string("auto_pad", "SAME_UPPER"), attr_ints("strides", {2, 2})};
  b.m.graph.initializers["lo"] = Tensor::scalar_f32(0.f);
  b.m.graph.initializers["hi"] = Tensor::scalar_f32(0.3f);
  b.add("Clip", {"c1", "lo", "hi"}, "k");  // fused into c1 at "extended"
  b.add("AveragePool", {"k"}, "a",
        {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1}), attr_int("count_include_pad", 1)});
  b.conv("a", "c2", 32, 16, 3);
  b.m.graph.nodes.back().attributes = {attr_ints("pads", {2, 2, 2, 2}), attr_ints("dilations", {2, 2})};
  b.add("MaxPool", {"c2"}, "y", {attr_ints("kernel_shape", {2, 2}), attr_int("ceil_mode", 1), attr_ints("strides", {2, 2})});
  b.output("y");
  const Model all = compare_levels(b.m, {1, 16, 13, 13});
  if (!kernels::nchwc_fast()) return;
  CHECK(count_op(all, "NchwcConv") == 2);
  CHECK(count_op(all, "NchwcAveragePool") == 1);
  CHECK(count_op(all, "NchwcMaxPool") == 1);
  CHECK(count_op(all, "Clip") == 0);
  CHECK(count_op(all, "ReorderInput") == 0);  // the stride-2 conv reads the NCHW input's planes
  CHECK(count_op(all, "ReorderOutput") == 1);  // after the MaxPool
}

TEST_CASE("layout_nchwc: a conv that starts a region reads NCHW, one that ends it writes NCHW") {
  struct Row {
    int64_t c, m, k, stride, h;
    int reorder_in, reorder_out;  // expected
  };
  // 1x1 and 3x3/2 read the NCHW planes; a 3x3 stride-1 conv on 16+ channels (Winograd) reads blocks;
  // every conv here ends the region and writes NCHW itself.
  for (const Row& r : {Row{64, 32, 1, 1, 9, 0, 0}, Row{32, 48, 3, 2, 11, 0, 0}, Row{20, 40, 3, 1, 7, 1, 0},
                       Row{3, 16, 7, 2, 15, 0, 0}, Row{8, 16, 1, 1, 5, 0, 0}}) {
    INFO("C=", r.c, " M=", r.m, " k", r.k, " s", r.stride);
    Builder b({2, r.c, r.h, r.h});
    b.conv("x", "y", r.c, r.m, r.k, r.stride);
    b.output("y");
    const Model all = compare_levels(b.m, {2, r.c, r.h, r.h});
    if (!kernels::nchwc_fast()) continue;
    if (r.k == 1 && r.stride == 1 && kernels::active_isa() == kernels::Isa::Avx2) {
      CHECK(count_op(all, "NchwcConv") == 0);  // an isolated 1x1 conv stays NCHW there (next test case)
      continue;
    }
    CHECK(count_op(all, "NchwcConv") == 1);
    CHECK(count_op(all, "ReorderInput") == r.reorder_in);
    CHECK(count_op(all, "ReorderOutput") == r.reorder_out);
    for (const Node& n : all.graph.nodes) {
      if (n.op_type == "NchwcConv") CHECK(n.attr_int("nchw_output", 0) == 1);
    }
  }
  SUBCASE("the blocked output has another reader: reordered once, read blocked by the Relu") {
    Builder b({1, 32, 8, 8});
    b.conv("x", "c", 32, 32, 1);
    b.add("Relu", {"c"}, "r");
    b.output("c");
    b.output("r");
    const Model all = compare_levels(b.m, {1, 32, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "ReorderOutput") == 2);
      for (const Node& n : all.graph.nodes) CHECK(n.attr_int("nchw_output", 0) == 0);
    }
  }
  SUBCASE("a conv with a residual Sum keeps its ReorderOutput") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "c", 16, 16, 3);
    b.add("Add", {"x", "c"}, "y");
    b.output("y");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "ReorderOutput") == 1);
      CHECK(count_op(all, "Add") == 0);
    }
  }
}

TEST_CASE("layout_nchwc leaves an isolated 1x1 conv NCHW on AVX2") {
  const bool avx2 = kernels::active_isa() == kernels::Isa::Avx2;
  SUBCASE("alone: NCHW on AVX2 (the plain GEMM), a one-conv region elsewhere") {
    for (const Shape& x : {Shape{1, 24, 28, 28}, Shape{2, 40, 7, 5}}) {
      INFO("x ", x[1], " x ", x[2], " x ", x[3]);
      Builder b(x);
      b.conv("x", "y", x[1], 40, 1);
      b.output("y");
      const Model all = compare_levels(b.m, x);
      if (kernels::nchwc_fast()) CHECK(count_op(all, "NchwcConv") == (avx2 ? 0 : 1));
      if (avx2) CHECK(count_op(all, "Conv") == 1);
    }
  }
  SUBCASE("read by a Flatten (not a region op) and a Relu fused into it, or after a Sigmoid: isolated") {
    Builder b({1, 16, 32, 30});
    b.conv("x", "c", 16, 8, 1);
    b.add("Relu", {"c"}, "r");
    b.add("Flatten", {"r"}, "y");
    b.add("Sigmoid", {"x"}, "s");  // its input is NCHW: not converted, so the conv on it starts nothing
    b.conv("s", "z", 16, 16, 1);
    b.output("y");
    b.output("z");
    const Model all = compare_levels(b.m, {1, 16, 32, 30});
    if (kernels::nchwc_fast()) CHECK(count_op(all, "NchwcConv") == (avx2 ? 0 : 2));
  }
  SUBCASE("strided or 3x3: blocked as before") {
    struct Row {
      Shape x;
      int64_t k, stride;
    };
    for (const Row& r : {Row{{1, 32, 56, 56}, 1, 2}, Row{{1, 32, 28, 28}, 3, 2}}) {
      INFO("x ", r.x[2], "x", r.x[3], " k", r.k, " s", r.stride);
      Builder b(r.x);
      b.conv("x", "y", 32, 32, r.k, r.stride);
      b.output("y");
      const Model all = compare_levels(b.m, r.x);
      if (kernels::nchwc_fast()) CHECK(count_op(all, "NchwcConv") == 1);
    }
  }
  SUBCASE("read by another conv (a region): both blocked") {
    Builder b({1, 32, 28, 28});
    b.conv("x", "c", 32, 32, 1);
    b.conv("c", "y", 32, 16, 3, 2);
    b.output("y");
    const Model all = compare_levels(b.m, {1, 32, 28, 28});
    if (kernels::nchwc_fast()) CHECK(count_op(all, "NchwcConv") == 2);
  }
}

namespace {

// x [1, 16, H, W] -> 1x1 (16 -> 48) + Clip(0, 6) -> depthwise 3x3 (stride s) + Clip(0, 6) -> 1x1 (48 -> 16)
// (+ x when s is 1): MobileNetV2's inverted residual.
Builder inverted_residual(int64_t h, int64_t stride) {
  Builder b({1, 16, h, h});
  b.m.graph.initializers["lo"] = Tensor::scalar_f32(0.f);
  b.m.graph.initializers["hi"] = Tensor::scalar_f32(6.f);
  b.conv("x", "e", 16, 48, 1);
  b.add("Clip", {"e", "lo", "hi"}, "er");
  b.conv("er", "d", 48, 48, 3, stride, 48);
  b.add("Clip", {"d", "lo", "hi"}, "dr");
  b.conv("dr", "p", 48, 16, 1);
  if (stride == 1) {
    b.add("Add", {"p", "x"}, "y");
  } else {
    b.add("Relu", {"p"}, "y");
  }
  b.output("y");
  return b;
}

}  // namespace

TEST_CASE("layout_nchwc fuses a 1x1 conv into the depthwise conv that reads it") {
  for (int64_t stride : {1, 2}) {
    INFO("stride ", stride);
    const Model all = compare_levels(inverted_residual(15, stride).m, {1, 16, 15, 15});
    if (!kernels::nchwc_fast()) continue;
    CHECK(count_op(all, "NchwcPointwiseDepthwise") == 1);
    CHECK(count_op(all, "NchwcConv") == 1);  // the projection (with the residual Sum at stride 1)
    CHECK(count_op(all, "Clip") == 0);
    for (const Node& n : all.graph.nodes) {
      if (n.op_type != "NchwcPointwiseDepthwise") continue;
      CHECK(n.attr_string("pointwise_activation", "") == "Clip");
      CHECK(n.attr_float("pointwise_activation_max", 0.f) == 6.f);
      CHECK(n.attr_string("activation", "") == "Clip");
      CHECK(n.attr_ints("strides") == std::vector<int64_t>{stride, stride});
    }
  }
}

TEST_CASE("layout_nchwc keeps a 1x1 and a depthwise conv apart where the fused op cannot take them") {
  SUBCASE("the 1x1 output has another reader") {
    Builder b = inverted_residual(8, 2);
    b.add("Neg", {"er"}, "n");
    b.output("n");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) CHECK(count_op(all, "NchwcPointwiseDepthwise") == 0);
  }
  SUBCASE("the 1x1 conv has stride 2") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "e", 16, 32, 1, 2);
    b.conv("e", "y", 32, 32, 3, 1, 32);
    b.output("y");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "NchwcPointwiseDepthwise") == 0);
      CHECK(count_op(all, "NchwcConv") == 2);
    }
  }
  SUBCASE("a 3x3 conv before the depthwise one") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "e", 16, 32, 3);
    b.conv("e", "y", 32, 32, 3, 1, 32);
    b.output("y");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) CHECK(count_op(all, "NchwcPointwiseDepthwise") == 0);
  }
  SUBCASE("a 1x1 conv reading the NCHW image (3 channels) directly") {
    Builder b({1, 3, 8, 8});
    b.conv("x", "e", 3, 32, 1);
    b.conv("e", "y", 32, 32, 3, 1, 32);
    b.output("y");
    const Model all = compare_levels(b.m, {1, 3, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "NchwcPointwiseDepthwise") == 0);
      CHECK(count_op(all, "NchwcConv") == 2);
    }
  }
  SUBCASE("the depthwise conv is a graph output's producer: fused, its output reordered") {
    Builder b({1, 16, 8, 8});
    b.conv("x", "e", 16, 32, 1);
    b.conv("e", "y", 32, 32, 3, 1, 32);
    b.output("y");
    const Model all = compare_levels(b.m, {1, 16, 8, 8});
    if (kernels::nchwc_fast()) {
      CHECK(count_op(all, "NchwcPointwiseDepthwise") == 1);
      CHECK(count_op(all, "ReorderOutput") == 1);
    }
  }
}

TEST_CASE("the 1x1 + depthwise fusion is idempotent and only at level all") {
  Model m = inverted_residual(9, 1).m;
  Model ext = m;
  passes::run_passes(ext, "extended");
  CHECK(count_op(ext, "NchwcPointwiseDepthwise") == 0);
  Model all = m;
  passes::run_passes(all, "all");
  const size_t nodes = all.graph.nodes.size();
  CHECK(passes::run_passes(all, "all") == 0);
  CHECK(all.graph.nodes.size() == nodes);
  if (kernels::nchwc_fast()) CHECK(count_op(all, "NchwcPointwiseDepthwise") == 1);
}
