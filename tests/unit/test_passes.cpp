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

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) {
  Tensor t(DataType::Float, std::move(shape));
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 7;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    t.data<float>()[i] = lo + (hi - lo) * static_cast<float>(s % 100000) / 100000.f;
  }
  return t;
}

Node node(std::string op, std::vector<std::string> inputs, std::vector<std::string> outputs) {
  Node n;
  n.name = outputs.empty() ? op : outputs[0] + "_node";
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

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
  Node conv = node("Conv", conv_bias ? std::vector<std::string>{"x", "W", "B"} : std::vector<std::string>{"x", "W"},
                   {"c"});
  conv.attributes.push_back(attr_ints("pads", {1, 1, 1, 1}));
  m.graph.nodes.push_back(conv);
  Node bn = node("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"y"});
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
    m.graph.nodes.push_back(node("Relu", {"c"}, {"r"}));
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

TEST_CASE("passes are idempotent: a second run changes nothing") {
  Model m = conv_bn_model(true);
  CHECK(passes::run_passes(m, "all") == 1);
  const size_t nodes = m.graph.nodes.size();
  CHECK(passes::run_passes(m, "all") == 0);
  CHECK(m.graph.nodes.size() == nodes);
  Model untouched = conv_bn_model(true);
  CHECK(passes::run_passes(untouched, "basic") == 0);
  CHECK(passes::run_passes(untouched, "none") == 0);
}
