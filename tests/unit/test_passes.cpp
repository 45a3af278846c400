// Graph passes: for each pass a model where it fires and ones where it must not, each run with the
// passes on (level "all") and off ("none") and the outputs compared; and idempotence.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "onnxi/session.h"
#include "runtime/passes/pass_util.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) { return xorshift_tensor(std::move(shape), seed, lo, hi, 7); }


// x [1, 3, 6, 6] -> Conv 3x3 (4 channels, pad 1, optional bias) -> BatchNormalization -> y.
Model conv_bn_model(bool conv_bias) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph.name = "conv_bn";
  m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, {1, 3, 6, 6}), {}});
  m.graph.initializers["W"] = seeded({4, 3, 3, 3}, 1, -0.5f, 0.5f);
  if (conv_bias) m.graph.initializers["B"] = seeded({4}, 2, -0.2f, 0.2f);
  m.graph.initializers["scale"] = seeded({4}, 3, 0.5f, 1.5f);
  m.graph.initializers["bias"] = seeded({4}, 4, -0.3f, 0.3f);
  m.graph.initializers["mean"] = seeded({4}, 5, -0.2f, 0.2f);
  m.graph.initializers["var"] = seeded({4}, 6, 0.5f, 2.0f);
  Node conv = graph_node("Conv", conv_bias ? std::vector<std::string>{"x", "W", "B"} : std::vector<std::string>{"x", "W"},
                   {"c"});
  conv.attributes.push_back(attr_ints("pads", {1, 1, 1, 1}));
  m.graph.nodes.push_back(conv);
  Node bn = graph_node("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"y"});
  bn.attributes.push_back(attr_float("epsilon", 1e-3f));
  m.graph.nodes.push_back(bn);
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

int count_op(const Model& m, const std::string& op) {
  int n = 0;
  for (const Node& node : m.graph.nodes) n += node.op_type == op;
  return n;
}

// Runs m at levels none and all on the same seeded x; returns the "all" session's op count of op.
int compare_levels(const Model& m, const std::string& op) {
  SessionOptions none, all;
  none.optimization_level = "none";
  all.optimization_level = "all";
  Session a = Session::from_model(m, none);
  Session b = Session::from_model(m, all);
  const std::map<std::string, Value> feeds{{"x", Value(seeded({1, 3, 6, 6}, 9, -1.f, 1.f))}};
  std::vector<Value> ya = a.run(feeds), yb = b.run(feeds);
  REQUIRE(ya.size() == yb.size());
  for (size_t i = 0; i < ya.size(); ++i) check_close(yb[i].tensor(), ya[i].tensor(), 1e-5, 1e-6);
  CHECK(count_op(a.model(), op) == count_op(m, op));  // level none changes nothing
  return count_op(b.model(), op);
}

}  // namespace

TEST_CASE("Conv + BatchNormalization folds into the Conv, with and without a Conv bias") {
  for (bool bias : {false, true}) {
    INFO("conv bias: ", bias);
    CHECK(compare_levels(conv_bn_model(bias), "BatchNormalization") == 0);
  }
}

TEST_CASE("Conv + BatchNormalization stays when folding could change what is computed") {
  SUBCASE("the Conv output is also a graph output") {
    Model m = conv_bn_model(true);
    m.graph.outputs.push_back(ValueInfo{"c", {}, {}});
    CHECK(compare_levels(m, "BatchNormalization") == 1);
  }
  SUBCASE("the Conv output has another consumer") {
    Model m = conv_bn_model(false);
    m.graph.nodes.push_back(graph_node("Relu", {"c"}, {"r"}));
    m.graph.outputs.push_back(ValueInfo{"r", {}, {}});
    CHECK(compare_levels(m, "BatchNormalization") == 1);
  }
  SUBCASE("a BN parameter is a graph input that a feed may override") {
    Model m = conv_bn_model(false);
    m.graph.inputs.push_back(ValueInfo{"mean", TypeInfo::tensor_of_shape(DataType::Float, {4}), {}});
    CHECK(compare_levels(m, "BatchNormalization") == 1);
  }
  SUBCASE("the BN runs in training mode") {
    Model m = conv_bn_model(false);
    m.graph.nodes[1].attributes.push_back(attr_int("training_mode", 1));
    Graph g = m.graph;
    CHECK(passes::fold_conv_batchnorm(g) == 0);
  }
}

namespace {

int changes_of(const std::vector<passes::PassStat>& report, const std::string& pass) {
  for (const passes::PassStat& s : report) {
    if (s.pass == pass) return s.changes;
  }
  return 0;
}

}  // namespace

TEST_CASE("passes are idempotent: a second run changes nothing") {
  Model m = conv_bn_model(true);
  // "extended": level "all" adds the NCHWc layout where the CPU has AVX-512 (test_passes_layout.cpp).
  std::vector<passes::PassStat> report;
  // The BN folds; the six original weights and BN parameters are then unused.
  CHECK(passes::run_passes(m, "extended", &report) == 7);
  CHECK(changes_of(report, "fold_conv_batchnorm") == 1);
  CHECK(changes_of(report, "remove_unused_initializers") == 6);
  CHECK(m.graph.initializers.size() == 2);
  const size_t nodes = m.graph.nodes.size();
  CHECK(passes::run_passes(m, "extended") == 0);
  CHECK(m.graph.nodes.size() == nodes);
  Model fused = conv_bn_model(true);
  fused.graph.nodes.push_back(graph_node("Relu", {"y"}, {"z"}));
  fused.graph.outputs = {ValueInfo{"z", {}, {}}};
  report.clear();
  passes::run_passes(fused, "extended", &report);
  CHECK(changes_of(report, "fold_conv_batchnorm") == 1);
  CHECK(changes_of(report, "fuse_conv_activation") == 1);
  CHECK(passes::run_passes(fused, "extended") == 0);
  Model untouched = conv_bn_model(true);
  CHECK(passes::run_passes(untouched, "basic") == 0);
  CHECK(passes::run_passes(untouched, "none") == 0);
}

namespace {

// conv_bn_model followed by an activation on y, giving z.
Model with_activation(Model m, const std::string& op, std::vector<std::string> extra_inputs = {}) {
  std::vector<std::string> inputs{"y"};
  inputs.insert(inputs.end(), extra_inputs.begin(), extra_inputs.end());
  m.graph.nodes.push_back(graph_node(op, inputs, {"z"}));
  m.graph.outputs = {ValueInfo{"z", {}, {}}};
  return m;
}

int count_fused(const Model& m) {
  int n = 0;
  for (const Node& node : m.graph.nodes) n += node.op_type == "FusedConv" && node.domain == "com.onnxi";
  return n;
}

int fused_after_all(const Model& m) {
  SessionOptions all;
  all.optimization_level = "extended";  // "all" turns FusedConv into NchwcConv on AVX-512
  return count_fused(Session::from_model(m, all).model());
}

}  // namespace

TEST_CASE("Conv (+ folded BN) + Relu or Clip becomes one FusedConv with the same outputs") {
  SUBCASE("Relu") {
    Model m = with_activation(conv_bn_model(true), "Relu");
    CHECK(compare_levels(m, "Relu") == 0);
    CHECK(fused_after_all(m) == 1);
  }
  SUBCASE("Clip 11+ with constant bounds (Relu6)") {
    Model m = with_activation(conv_bn_model(false), "Clip", {"lo", "hi"});
    m.graph.initializers["lo"] = Tensor::scalar_f32(0.f);
    m.graph.initializers["hi"] = Tensor::scalar_f32(0.25f);  // tight: many values clip
    CHECK(compare_levels(m, "Clip") == 0);
    CHECK(fused_after_all(m) == 1);
  }
  SUBCASE("Clip 11+ with only a lower bound") {
    Model m = with_activation(conv_bn_model(false), "Clip", {"lo"});
    m.graph.initializers["lo"] = Tensor::scalar_f32(-0.1f);
    CHECK(compare_levels(m, "Clip") == 0);
  }
  SUBCASE("Clip 6 with attributes") {
    Model m = with_activation(conv_bn_model(true), "Clip");
    m.opset_imports[""] = 6;
    // BatchNormalization 6 and Conv 1 take the same inputs; Clip 6 has min/max attributes.
    m.graph.nodes.back().attributes = {attr_float("min", -0.2f), attr_float("max", 0.3f)};
    CHECK(compare_levels(m, "Clip") == 0);
    CHECK(fused_after_all(m) == 1);
  }
}

TEST_CASE("Conv + activation stays apart when the fusion could change what is computed") {
  SUBCASE("Clip bounds fed at run time") {
    Model m = with_activation(conv_bn_model(false), "Clip", {"lo"});
    m.graph.inputs.push_back(ValueInfo{"lo", TypeInfo::tensor_of_shape(DataType::Float, {}), {}});
    SessionOptions all;
    all.optimization_level = "all";
    Session s = Session::from_model(m, all);
    CHECK(count_fused(s.model()) == 0);
    CHECK(count_op(s.model(), "Clip") == 1);
  }
  SUBCASE("the Conv output is read twice") {
    Model m = conv_bn_model(false);
    m.graph.nodes.pop_back();  // no BN: Conv -> c
    m.graph.outputs = {};
    m.graph.nodes.push_back(graph_node("Relu", {"c"}, {"r"}));
    m.graph.nodes.push_back(graph_node("Neg", {"c"}, {"n"}));
    m.graph.outputs = {ValueInfo{"r", {}, {}}, ValueInfo{"n", {}, {}}};
    CHECK(compare_levels(m, "Relu") == 1);
    CHECK(fused_after_all(m) == 0);
  }
}
