// eliminate_noops on symbolic shapes: a Reshape or Expand whose target is spelled from the input's
// own Shape (Gather/Slice/Concat of it) keeps every dim, whatever the symbols turn out to be, and
// goes; targets that reorder dims, read another value's shape, or could change the shape stay.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "onnxi/session.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor i64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

enum class Target {
  GatherConcat,      // Concat(Unsqueeze(Gather(s, 0)), Unsqueeze(Gather(s, 1)), [4])
  NegativeGather,    // the same with indices -3 and -2
  GatherPair,        // Concat(Gather(s, [0, 1]), [4])
  SliceConcat,       // Concat(Slice(s, 0, 2), [4])
  WholeShape,        // s
  ShapeStartEnd,     // Concat(Shape(r, end=2), [4])
  Swapped,           // Concat(Gather(s, 1), Gather(s, 0), [4])
  OtherValue,        // from the shape of Transpose(r): [M, N, 4]
  MinusOne,          // Concat(Gather(s, 0), Gather(s, 1), [-1])
  ExpandOnes,        // Expand only: Concat(Gather(s, 0), [1], [4])
  ExpandHigherRank,  // Expand only: Concat([1], s): one more dim
};

// x [N, M, 4] -> r = Relu(x) -> Reshape or Expand(r, target) -> Neg -> y.
Model symbolic_model(const std::string& op, Target t) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 15;
  m.graph.inputs.push_back(
      ValueInfo{"x", TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::symbol("M"), Dim::known(4)}), {}});
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  Graph& g = m.graph;
  g.initializers["ax0"] = i64({0});
  g.initializers["four"] = i64({4});
  g.initializers["one"] = i64({1});
  g.initializers["minus_one"] = i64({-1});
  g.nodes.push_back(graph_node("Relu", {"x"}, {"r"}));
  g.nodes.push_back(graph_node("Shape", {"r"}, {"s"}));
  auto dim = [&](const std::string& shape, int64_t i, const std::string& out) {
    g.initializers[out + "_i"] = Tensor::scalar_i64(i);
    g.nodes.push_back(graph_node("Gather", {shape, out + "_i"}, {out + "_scalar"}));
    g.nodes.push_back(graph_node("Unsqueeze", {out + "_scalar", "ax0"}, {out}));
    return out;
  };
  std::string target = "target";
  switch (t) {
    case Target::GatherConcat:
      g.nodes.push_back(graph_node("Concat", {dim("s", 0, "d0"), dim("s", 1, "d1"), "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::NegativeGather:
      g.nodes.push_back(graph_node("Concat", {dim("s", -3, "d0"), dim("s", -2, "d1"), "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::GatherPair:
      g.initializers["idx01"] = i64({0, 1});
      g.nodes.push_back(graph_node("Gather", {"s", "idx01"}, {"d01"}));
      g.nodes.push_back(graph_node("Concat", {"d01", "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::SliceConcat:
      g.initializers["two"] = i64({2});
      g.nodes.push_back(graph_node("Slice", {"s", "ax0", "two"}, {"d01"}));
      g.nodes.push_back(graph_node("Concat", {"d01", "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::WholeShape:
      target = "s";
      break;
    case Target::ShapeStartEnd:
      g.nodes.push_back(graph_node("Shape", {"r"}, {"s2"}, {attr_int("end", 2)}));
      g.nodes.push_back(graph_node("Concat", {"s2", "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::Swapped:
      g.nodes.push_back(graph_node("Concat", {dim("s", 1, "d1"), dim("s", 0, "d0"), "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::OtherValue:
      g.nodes.push_back(graph_node("Transpose", {"r"}, {"rt"}, {attr_ints("perm", {1, 0, 2})}));
      g.nodes.push_back(graph_node("Shape", {"rt"}, {"st"}));
      g.nodes.push_back(graph_node("Concat", {dim("st", 0, "d0"), dim("st", 1, "d1"), "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::MinusOne:
      g.nodes.push_back(graph_node("Concat", {dim("s", 0, "d0"), dim("s", 1, "d1"), "minus_one"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::ExpandOnes:
      g.nodes.push_back(graph_node("Concat", {dim("s", 0, "d0"), "one", "four"}, {target}, {attr_int("axis", 0)}));
      break;
    case Target::ExpandHigherRank:
      g.nodes.push_back(graph_node("Concat", {"one", "s"}, {target}, {attr_int("axis", 0)}));
      break;
  }
  g.nodes.push_back(graph_node(op, {"r", target}, {"t"}));
  g.nodes.push_back(graph_node("Neg", {"t"}, {"y"}));
  return m;
}

int count_op(const Model& m, const std::string& op) {
  int n = 0;
  for (const Node& node : m.graph.nodes) n += node.op_type == op;
  return n;
}

}  // namespace

TEST_CASE("a Reshape or Expand to the input's own symbolic shape goes; other targets stay") {
  const struct {
    const char* what;
    const char* op;
    Target target;
    bool removed;
  } rows[] = {
      {"Reshape to Concat(Gather(s, 0), Gather(s, 1), [4])", "Reshape", Target::GatherConcat, true},
      {"negative Gather indices", "Reshape", Target::NegativeGather, true},
      {"one Gather of two indices", "Reshape", Target::GatherPair, true},
      {"Slice of the shape", "Reshape", Target::SliceConcat, true},
      {"the whole Shape", "Reshape", Target::WholeShape, true},
      {"Shape with end = 2", "Reshape", Target::ShapeStartEnd, true},
      {"dims swapped", "Reshape", Target::Swapped, false},
      {"another value's shape", "Reshape", Target::OtherValue, false},
      {"-1 in place of the known dim", "Reshape", Target::MinusOne, false},
      {"Expand to the whole Shape", "Expand", Target::WholeShape, true},
      {"Expand with a 1 that keeps a dim", "Expand", Target::ExpandOnes, true},
      {"Expand to one more dim", "Expand", Target::ExpandHigherRank, false},
      {"Expand to the swapped dims", "Expand", Target::Swapped, false},
  };
  // N = 2, M = 3: a wrong removal changes the output's shape, and N = M = 1 would hide it.
  const Tensor x = xorshift_tensor({2, 3, 4}, 3, -1.f, 1.f, 5);
  for (const auto& r : rows) {
    INFO(r.what);
    const Model m = symbolic_model(r.op, r.target);
    SessionOptions none, basic;
    none.optimization_level = "none";
    basic.optimization_level = "basic";
    Session a = Session::from_model(m, none);
    std::vector<Value> ya;
    bool runs = true;
    try {
      ya = a.run({{"x", Value(x)}});
    } catch (const Error&) {
      runs = false;  // Expand to swapped dims does not broadcast: the optimized model must fail too
    }
    Session b = Session::from_model(m, basic);
    CHECK(count_op(b.model(), r.op) == (r.removed ? 0 : 1));
    if (r.removed) CHECK(count_op(b.model(), "Shape") == 0);  // the target's nodes went with it
    if (!runs) {
      CHECK_THROWS_AS(b.run({{"x", Value(x)}}), Error);
      continue;
    }
    const std::vector<Value> yb = b.run({{"x", Value(x)}});
    REQUIRE(yb.size() == ya.size());
    check_close(yb[0].tensor(), ya[0].tensor(), 0, 0);
    Model again = b.model();
    CHECK(passes::run_passes(again, "basic") == 0);
  }
}
